"""One run at a time on a folder: a lock file the operating system releases when the process ends.

    with folder_lock(inbox, "collect"):   # a second collect into inbox/ is refused with who holds it
        ...

The lock is taken on the open file (``fcntl.flock`` on POSIX, ``msvcrt.locking`` on Windows), so a run
that is killed (SIGKILL, a power cut) leaves no stale lock: the next run takes it. The file names the
process holding it, for the message.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO, Iterator

from .errors import SheetflowError

LOCK = ".sheetflow.lock"


def _try_lock(handle: IO[bytes]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            handle.seek(1 << 20)  # a byte past the text, so that the holder's name can still be read
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)  # type: ignore[attr-defined]
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _same_file(handle: IO[bytes], path: Path) -> bool:
    """Whether ``path`` still names the file ``handle`` holds (a run that ended removes its lock file)."""
    try:
        return os.path.samestat(os.fstat(handle.fileno()), os.stat(path))
    except OSError:
        return False


@contextmanager
def folder_lock(folder: Path, what: str) -> Iterator[None]:
    """Hold ``folder``'s lock for the block (making the folder if need be), or raise SheetflowError naming
    the run that holds it. The lock file is removed when the block ends."""
    path = Path(folder) / LOCK
    Path(folder).mkdir(parents=True, exist_ok=True)
    for _attempt in range(20):
        handle = open(path, "a+b")
        if not _try_lock(handle):
            try:
                handle.seek(0)
                holder = handle.read(200).decode("utf-8", "replace").strip() or "another process"
            except OSError:
                holder = "another process"
            handle.close()
            raise SheetflowError(f"Another {what} is writing into {folder} ({holder}); wait for it to finish, "
                                 "then run this again.")
        if sys.platform == "win32" or _same_file(handle, path):
            break
        handle.close()  # the run before removed it as this one opened it: take the new one
    else:
        raise SheetflowError(f"Cannot take the lock {path}; run this again.")
    try:
        handle.seek(0)
        handle.truncate()
        handle.write(f"sheetflow {what}, process {os.getpid()}, started "
                     f"{datetime.now().astimezone().isoformat(timespec='seconds')}".encode())
        handle.flush()
        yield
    finally:
        if sys.platform != "win32":
            path.unlink(missing_ok=True)  # while still held: a run waiting on this file sees it gone
        handle.close()
        if sys.platform == "win32":
            try:
                path.unlink()
            except OSError:
                pass  # another run has it open already
