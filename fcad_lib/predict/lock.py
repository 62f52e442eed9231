"""One run at a time per output folder: a lock file that names its holder.

``OUT/.fcad-predict.lock`` holds the PID, host name and start time of the run that owns ``OUT``.
The file is also ``flock``-ed for the run's lifetime, so the kernel frees it the moment the
process dies, whatever kills it; the content is what a refused run reports. A second run on the
same folder is refused with :class:`~fcad_lib.errors.OutputLockedError`. A lock left behind by a
dead process on this host is taken over with a :class:`StaleLockWarning`; one left by another
host cannot be checked and is refused (the message says which file to delete).
"""

from __future__ import annotations

import json
import os
import socket
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path

from fcad_lib.errors import OutputLockedError

try:  # POSIX; elsewhere the lock relies on its content alone
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

#: Lock file inside the output folder.
LOCK_FILE = ".fcad-predict.lock"


class StaleLockWarning(UserWarning):
    """A lock left by a process that no longer runs was taken over."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: process id, host name and start time (ISO 8601, UTC)."""

    pid: int
    host: str
    since: str

    @classmethod
    def me(cls) -> Holder:
        """This process, now."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return cls(os.getpid(), socket.gethostname(), now)

    def __str__(self) -> str:
        return f"pid {self.pid} on host {self.host}, since {self.since}"


def _alive(pid: int) -> bool:
    """Whether a process with this id runs on this host."""
    try:
        os.kill(pid, 0)  # signal 0: existence check only
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


def _read_holder(fd: int) -> Holder | None:
    """The holder recorded in the open lock file, or None if empty or unreadable."""
    os.lseek(fd, 0, os.SEEK_SET)
    text = os.read(fd, 4096).decode(errors="replace")
    try:
        record = json.loads(text)
        return Holder(int(record["pid"]), str(record["host"]), str(record["since"]))
    except (ValueError, KeyError, TypeError):
        return None


def _try_flock(fd: int) -> bool:
    if fcntl is None:  # pragma: no cover - Windows
        return True
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _refuse(out: Path, holder: Holder | None, path: Path, remote: bool = False) -> None:
    who = str(holder) if holder else "a process whose record is unreadable"
    if remote:
        raise OutputLockedError(out, f"locked by fcad-predict {who}, which cannot be checked "
                                f"from here; if no run is using this folder, delete {path}")
    raise OutputLockedError(out, f"another fcad-predict run is writing to this folder ({who}); "
                            "wait for it to finish or choose another output folder")


def acquire(out_dir: str | os.PathLike[str]) -> int:
    """Take the lock of ``out_dir`` (created if needed); the open lock file's descriptor.

    Raises
    ------
    OutputLockedError
        Another live run holds the folder (or a run on another host left its lock).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / LOCK_FILE
    me = Holder.me()
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            holder = _read_holder(fd)
            if not _try_flock(fd):
                _refuse(out, holder, path)
            if os.fstat(fd).st_ino != getattr(_stat(path), "st_ino", None):
                os.close(fd)  # released and removed meanwhile: lock the new file
                continue
            holder = _read_holder(fd)  # as left by the last holder, now that none writes
            if holder is not None and holder.host != me.host:
                _refuse(out, holder, path, remote=True)
            if holder is not None and holder.pid != me.pid and _alive(holder.pid):
                _refuse(out, holder, path)
            if holder is not None:
                warnings.warn(f"{out}: took over the lock of fcad-predict {holder}, which no "
                              "longer runs (its staged work is resumed if the settings match)",
                              StaleLockWarning, stacklevel=3)
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(asdict(me)) + "\n").encode())
            os.fsync(fd)
            return fd
        except BaseException:
            os.close(fd)
            raise


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except FileNotFoundError:
        return None


def release(out_dir: str | os.PathLike[str], fd: int) -> None:
    """Remove the lock file of ``out_dir`` (while still holding it), then let go."""
    try:
        (Path(out_dir) / LOCK_FILE).unlink(missing_ok=True)
    finally:
        os.close(fd)


@contextmanager
def output_lock(out_dir: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the lock of ``out_dir`` for the ``with`` block, released also on error.

    Yields
    ------
    pathlib.Path
        The output folder (created if needed).
    """
    fd = acquire(out_dir)
    try:
        yield Path(out_dir)
    finally:
        release(out_dir, fd)
