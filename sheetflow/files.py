"""Writing outputs safely: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .errors import SheetflowError


def refuse_existing(path: Path, force: bool) -> None:
    if Path(path).exists() and not force:
        raise SheetflowError(f"{path} already exists; use --force to replace it.")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path, force: bool = False) -> Iterator[str]:
    """A temporary file beside ``path`` to write to; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    refuse_existing(path, force)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sheetflow-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str, force: bool = False, encoding: str = "utf-8") -> Path:
    """Write a text file atomically; never replace an existing file unless ``force``."""
    with atomic_path(path, force) as tmp:
        with open(tmp, "w", encoding=encoding, newline="") as handle:
            handle.write(text)
    return Path(path)


# -- CSV cells no spreadsheet will run ------------------------------------------------------------

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")  # what Excel would take for the start of a formula


def csv_cell(value) -> str:
    """Text for a CSV cell no spreadsheet will run: a leading = + - @ tab gets a ' (undone by ``csv_text``)."""
    value = "" if value is None else str(value)
    if value.startswith(DANGEROUS) or (value.startswith("'") and value.lstrip("'").startswith(DANGEROUS)):
        return "'" + value
    return value


def csv_text(cell: str) -> str:
    """The text ``csv_cell`` was given."""
    if cell.startswith("'") and cell.lstrip("'").startswith(DANGEROUS):
        return cell[1:]
    return cell
