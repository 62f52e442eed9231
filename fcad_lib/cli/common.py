"""What every command of the path shares: one-line errors and warnings, the output check."""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fcad_lib.errors import FcadDataError

#: Errors that are the user's to fix: reported in one line, exit status 2, no traceback.
USER_ERRORS: tuple[type[BaseException], ...] = (FcadDataError, OSError, ValueError)


def run_command(prog: str, body: Callable[[], int]) -> int:
    """Run a command's body; a user error becomes ``PROG: error: ...`` and status 2.

    Parameters
    ----------
    prog : str
        The command's name, prefixed to every line it writes to stderr.
    body : callable
        The command's work; returns its exit status.

    Returns
    -------
    int
        ``body()``'s status, or 2 after a user error.
    """
    def one_line(message: Warning | str, *_: Any, **__: Any) -> None:
        print(f"{prog}: warning: {message}", file=sys.stderr)  # no source line

    try:
        with warnings.catch_warnings():
            warnings.showwarning = one_line
            return body()
    except USER_ERRORS as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2


def check_new_output(path: str | os.PathLike[str], overwrite: bool, what: str) -> Path:
    """Refuse to replace an existing file or non-empty folder unless ``overwrite``.

    Raises
    ------
    FcadDataError
        ``path`` exists (a non-empty folder, or a file) and not ``overwrite``.
    """
    out = Path(path)
    taken = out.is_file() or (out.is_dir() and any(out.iterdir()))
    if taken and not overwrite:
        raise FcadDataError(out, f"{what} exists already; pass --overwrite to replace it, or "
                            "choose another path")
    return out
