"""One run at a time on a folder: a lock file made with O_EXCL, holding the process id that made it.

    with folder_lock(outbox, "reply"):      # SheetflowError when another run holds it
        ...

Creating a file that must not exist is atomic on every system (Windows included), unlike
``fcntl``. A lock left by a run that was killed names a process that is gone: it is taken over.
A lock made on another computer (a shared folder) cannot be checked, so it is never taken over.
"""

from __future__ import annotations

import ctypes
import os
import socket
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import SheetflowError


def lock_path(folder: Path, name: str) -> Path:
    return Path(folder) / f".sheetflow-{name}.lock"


@contextmanager
def folder_lock(folder: Path, name: str) -> Iterator[Path]:
    """Hold ``folder``'s lock for ``name`` for the block; refuse when a live run holds it."""
    path = lock_path(folder, name)
    Path(folder).mkdir(parents=True, exist_ok=True)
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder is not None and holder[1] == socket.gethostname() and not pid_alive(holder[0]):
                path.unlink(missing_ok=True)  # left by a run that was killed
                continue
            who = f"process {holder[0]} on {holder[1]}" if holder else "another run"
            raise SheetflowError(f"Another `sheetflow {name}` is working in {folder} ({who}); try again when it "
                                 f"has finished (if none is running, delete {path}).") from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()}\n{socket.gethostname()}\n")
            handle.flush()
            os.fsync(handle.fileno())
        break
    else:
        raise SheetflowError(f"{path} could not be taken over; delete it if no `sheetflow {name}` is running.")
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def _holder(path: Path) -> tuple[int, str] | None:
    """(process id, computer) written in a lock file; None when it cannot be read (being written)."""
    try:
        pid, host = (path.read_text(encoding="utf-8").splitlines() + ["", ""])[:2]
        return int(pid), host
    except (OSError, ValueError, UnicodeDecodeError):
        return None


def pid_alive(pid: int) -> bool:
    """Whether a process with this id is running on this computer."""
    if pid <= 0:
        return False
    if sys.platform == "win32":  # os.kill(pid, 0) would send Ctrl-C there
        kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
        handle = kernel.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return False
        code = ctypes.c_ulong()
        try:
            ok = kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        finally:
            kernel.CloseHandle(handle)
        return bool(ok) and code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by someone else
    return True
