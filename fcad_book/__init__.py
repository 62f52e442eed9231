"""The book's tooling: papermill runner, publishing, profiles, pages, benchmark runner.

A separate import package beside the science library ``fcad_lib``, in the same distribution: it
imports ``fcad_lib``, never the reverse, and it may know the checkout (``fcad_book.paths``).
"""
