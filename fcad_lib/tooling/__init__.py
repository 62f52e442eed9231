"""Book tooling (papermill runner, benchmark runner), kept apart from the science library."""
