"""Writing outputs safely: atomically, and never over an existing file unless asked."""

from __future__ import annotations

import csv
import io
import os
import struct
import tempfile
import zipfile
import zlib
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable, Iterator

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


def check_output(path, suffixes: tuple[str, ...], force: bool = False, what: str = "output") -> Path:
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


def check_folder(path, purpose: str, not_suffixes: tuple[str, ...] = ()) -> Path:
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


def check_files(paths, force: bool = False) -> list[Path]:
    """Refuse, before any of them is written, files that exist (unless ``force``) or are folders."""
    paths = [Path(p) for p in paths]
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


def zip_bytes(entries) -> bytes:
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


# -- append-only CSV ledgers ----------------------------------------------------------------------


class CsvJournal:
    """An append-only CSV ledger (sent.csv, replied.csv): each row is on disk before the next step.

        journal = CsvJournal(outbox / "sent.csv", COLUMNS)
        done = journal.read()                       # the rows so far, as dicts of text
        with journal:                               # opened for appending, the header written once
            journal.append([...])                   # written, flushed and fsynced

    UTF-8 with a byte-order mark (Excel); every cell through ``csv_cell``, read back with ``csv_text``.
    A row cut short by a crash is ended before the next is written, and read as a row with fewer cells.
    """

    def __init__(self, path: str | os.PathLike[str], columns: tuple[str, ...]):
        self.path, self.columns = Path(path), tuple(columns)
        self._handle: BinaryIO | None = None

    def read(self) -> list[dict[str, str]]:
        if not self.path.is_file():
            return []
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise SheetflowError(f"{self.path} cannot be read as sheetflow's ledger ({exc}); "
                                 "move it away only if you know what it recorded.") from None
        if not rows:
            return []
        header = [h.strip() for h in rows[0]]
        if header[:1] != [self.columns[0]]:
            raise SheetflowError(f"{self.path} is not sheetflow's ledger (its first column is not "
                                 f"{self.columns[0]}); give another folder or move the file away.")
        return [{name: csv_text(values[i]) if i < len(values) else "" for i, name in enumerate(header)}
                for values in rows[1:] if any(v.strip() for v in values)]

    def __enter__(self) -> "CsvJournal":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self._handle = open(self.path, "a+b")
        handle.seek(0, os.SEEK_END)
        if handle.tell() == 0:
            handle.write("\ufeff".encode("utf-8"))
            self._write(self.columns)
        else:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) not in (b"\n", b"\r"):
                handle.write(b"\r\n")  # the end of a row cut short by a crash
        return self

    def append(self, values: Iterable[object]) -> None:
        self._write([csv_cell(v) for v in values])

    def _write(self, cells: Iterable[str]) -> None:
        if self._handle is None:
            raise SheetflowError(f"{self.path} is not open for writing (use the journal in a with block).")
        buffer = io.StringIO()
        csv.writer(buffer).writerow(cells)
        self._handle.write(buffer.getvalue().encode("utf-8"))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def __exit__(self, *_exc: object) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None
