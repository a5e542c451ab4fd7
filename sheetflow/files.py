"""Writing outputs safely: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import os
import struct
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

from .errors import SheetflowError


def refuse_existing(path: Path, force: bool) -> None:
    if Path(path).exists() and not force:
        raise SheetflowError(f"{path} already exists; use --force to replace it.")


def _names_a_folder(given: str) -> bool:
    return given.endswith(("/", os.sep)) or Path(given).is_dir()


def _refuse_file_above(given: str) -> None:
    """A path whose folder (or a folder above it) is a file cannot be written."""
    for parent in Path(given).parents:
        if parent.exists():
            if not parent.is_dir():
                raise SheetflowError(f"{given}: {parent} is a file, not a folder.")
            return


def check_output(path: str | os.PathLike[str], suffixes: tuple[str, ...], force: bool = False, what: str = "output") -> Path:
    """Refuse, before any work, a file output that cannot be written as the user named it.

    ``path`` as the user gave it (a trailing slash means a folder): it must not be a folder, must end
    in one of ``suffixes``, must sit in a folder (not under a file) and must not exist unless ``force``.
    Every message names the path the user gave.
    """
    given = str(path)
    if _names_a_folder(given):
        raise SheetflowError(f"{given} is a folder; the {what} is a file: give its name, "
                             f"e.g. {os.path.join(given, 'name' + suffixes[0])}.")
    if Path(given).suffix.lower() not in suffixes:
        raise SheetflowError(f"{given}: the {what} must be a {' or '.join(suffixes)} file; "
                             f"end its name with {suffixes[0]}.")
    _refuse_file_above(given)
    refuse_existing(Path(given), force)
    return Path(given)


def check_folder(path: str | os.PathLike[str], purpose: str, not_suffixes: tuple[str, ...] = ()) -> Path:
    """Refuse, before any work, a folder output that is a file (or named like one: ``not_suffixes``).

    ``purpose`` says what the folder is for, e.g. "--csv names the folder for the tables".
    """
    given = str(path)
    folder = Path(given)
    if folder.exists() and not folder.is_dir():
        raise SheetflowError(f"{given} is a file, not a folder: {purpose}.")
    if not folder.exists() and folder.suffix.lower() in not_suffixes:
        raise SheetflowError(f"{given} is named like a file, not a folder: {purpose}.")
    _refuse_file_above(given)
    return folder


def check_files(given: Iterable[str | os.PathLike[str]], force: bool = False) -> list[Path]:
    """Refuse, before any of them is written, files that exist (unless ``force``) or are folders."""
    paths = [Path(p) for p in given]
    for path in paths:
        if path.is_dir():
            raise SheetflowError(f"{path} is a folder; it is in the way of a file of that name.")
    existing = [str(p) for p in paths if p.exists()]
    if existing and not force:
        raise SheetflowError(f"{existing[0]} already exists"
                             + (f" ({len(existing) - 1} more like it)" if len(existing) > 1 else "")
                             + "; use --force to replace it.")
    return paths


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def atomic_path(path: Path, force: bool = False) -> Iterator[str]:
    """A temporary file beside ``path`` to write to; it replaces ``path`` only if the block succeeds."""
    path = Path(path)
    if path.is_dir():
        raise SheetflowError(f"{path} is a folder; give the name of the file to write.")
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


# -- zip packages --------------------------------------------------------------------------------

def deflate(data: bytes, level: int = zlib.Z_DEFAULT_COMPRESSION) -> bytes:
    """What zipfile stores for a ZIP_DEFLATED part (at the default level unless ``level``)."""
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class Deflated:
    """A part as a zip stores it: deflated, with the CRC-32 and size of what it inflates to."""
    packed: bytes
    crc: int
    size: int

    @classmethod
    def of(cls, data: bytes, level: int = zlib.Z_DEFAULT_COMPRESSION) -> "Deflated":
        return cls(deflate(data, level), zlib.crc32(data), len(data))


def zip_bytes(entries: Iterable[tuple[zipfile.ZipInfo, Deflated]]) -> bytes:
    """A zip of deflated parts, laid out byte for byte as zipfile.writestr lays them out.

    ``entries``: (ZipInfo, Deflated) in order; the ZipInfo gives the name, date, system and
    attributes. Packages here are far below zip64's 4 GB.
    """
    local, central = [], []
    offset = 0
    for info, part in entries:
        name = info.filename.encode("ascii")
        y, mo, d, h, mi, sec = info.date_time
        date, clock = (y - 1980) << 9 | mo << 5 | d, h << 11 | mi << 5 | sec // 2
        local.append(struct.pack("<4s2B4HL2L2H", b"PK\x03\x04", 20, 0, 0, zipfile.ZIP_DEFLATED, clock, date,
                                 part.crc, len(part.packed), part.size, len(name), 0) + name + part.packed)
        central.append(struct.pack("<4s4B4HL2L5H2L", b"PK\x01\x02", 20, info.create_system, 20, 0, 0,
                                   zipfile.ZIP_DEFLATED, clock, date, part.crc, len(part.packed), part.size,
                                   len(name), 0, 0, 0, 0, info.external_attr, offset) + name)
        offset += len(local[-1])
    if offset > 0xFFFFFFFF:
        raise SheetflowError("The workbook would be larger than 4 GB, too large to write.")
    directory = b"".join(central)
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), offset, 0)
    return b"".join(local) + directory + end


# -- CSV cells no spreadsheet will run ------------------------------------------------------------

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")  # what Excel would take for the start of a formula


def csv_cell(value: object) -> str:
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
