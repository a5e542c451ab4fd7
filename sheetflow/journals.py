"""sheetflow's own CSV files: each one's name and columns, declared once, and the one way they are read and written.

The stages write them (``instruments.manifest``, ``arrival.ledger``, ``outreach.mail``, ``outreach.reply``)
and intake recognises them among the returns (``intake.own_files``) by these names and headers.

    rows = SENT_CSV.read(outbox / SENT)          # dicts of text, one per row; [] when there is no file
    with SENT_CSV.appending(outbox / SENT) as log:
        log.append([...])                        # on disk (flushed and fsynced) before the next step
    MANIFEST_CSV.rewrite(path, rows)             # the whole file, atomically

Every file is UTF-8 with a byte-order mark (as Excel expects), a header row, then one row per record; every
cell goes through ``files.csv_cell`` (text never becomes a formula) and is read back with ``files.csv_text``.
A file of an earlier version may lack the columns added since (``required`` are the ones every version
wrote) and may have rows cut short: both are read, the missing cells as "".
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Sequence

from .errors import SheetflowError
from .files import atomic_path, csv_cell, csv_text

MANIFEST = "manifest.csv"  # what was sent to whom (generate --roster)
MANIFEST_COLUMNS = ("response_id", "instrument", "cycle", "region", "organization", "respondent_name", "email",
                    "file", "generated_at")

LEDGER = "collected.csv"  # what collect saved from the mail, in the inbox
LEDGER_COLUMNS = ("message_id", "received_at", "from", "subject", "attachment", "file", "sha256", "status",
                  "response_id", "sender_check", "authentication", "reason")

SENT = "sent.csv"  # what mail --send sent, in the outbox
SENT_COLUMNS = ("response_id", "email", "message_id", "sent_at", "kind")

REPLIED = "replied.csv"  # what reply answered, in the inbox
REPLIED_COLUMNS = ("message_id", "file", "sha256", "outcome", "delivery", "at", "reply_id", "to", "draft", "reason")

Row = dict[str, str]
Upgrade = Callable[[list[Row]], Iterable[Sequence[object]]]  # an earlier version's rows -> today's values


@dataclass(frozen=True)
class CsvLedger:
    """One of sheetflow's CSV files: its name, columns and how a message names it."""

    name: str
    columns: tuple[str, ...]
    required: tuple[str, ...]  # the columns a file must have to be read (earlier versions wrote these)
    what: str  # "a sheetflow manifest": how messages name the file
    advice: str  # what to do about a file of that name that is not one
    keep_cut_row: bool  # a row cut short by a crash: kept (ended, read with fewer cells) or dropped

    def read(self, path: str | os.PathLike[str]) -> list[Row]:
        """The rows of the file at ``path`` (none when there is no such file), each with every column of
        ``columns`` ("" where the file has no such column or the row ends early); blank rows are left out.
        A file that cannot be read, or lacks a required column, raises SheetflowError naming it."""
        return [row for _line, row in self.numbered(path)]

    def numbered(self, path: str | os.PathLike[str]) -> list[tuple[int, Row]]:
        """``read``'s rows with the line each is on (the header is line 1), for messages about one row."""
        path = Path(path)
        if not path.is_file():
            return []
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.reader(handle))
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise SheetflowError(f"{path} cannot be read as {self.what} ({exc}).") from None
        if not rows:
            return []
        header = [h.strip() for h in rows[0]]
        missing = [c for c in self.required if c not in header]
        if missing:
            raise SheetflowError(f"{path} is not {self.what} (no column {', '.join(missing)}); {self.advice}.")
        index = {c: header.index(c) for c in self.columns if c in header}
        return [(line, {c: csv_text(values[index[c]]) if c in index and index[c] < len(values) else ""
                        for c in self.columns})
                for line, values in enumerate(rows[1:], start=2) if any(v.strip() for v in values)]

    def header(self, path: str | os.PathLike[str]) -> tuple[str, ...]:
        """The column names on the first line of ``path`` (none when it cannot be read)."""
        try:
            with open(path, encoding="utf-8-sig", newline="") as handle:
                first = handle.readline(1 << 16)
        except (OSError, UnicodeDecodeError):
            return ()
        return tuple(h.strip() for h in next(csv.reader([first]), []))

    def is_one(self, path: str | os.PathLike[str]) -> bool:
        """Whether ``path`` is such a file: its name and a header beginning with the required columns."""
        path = Path(path)
        return (path.name == self.name and path.is_file()
                and self.header(path)[:len(self.required)] == self.required)

    def rewrite(self, path: str | os.PathLike[str], rows: Iterable[Sequence[object]]) -> Path:
        """Write the whole file atomically: the header, then ``rows`` (each a value per column, in order)."""
        with atomic_path(Path(path), force=True) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(self.columns)
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
        return Path(path)

    def appending(self, path: str | os.PathLike[str], upgrade: Upgrade | None = None) -> "Appender":
        """The file opened for adding rows as work happens (use in a with block). ``upgrade`` turns the rows
        of an earlier version's file into today's values (by default, each column's cell)."""
        return Appender(self, Path(path), upgrade)


class Appender:
    """A CSV ledger opened for appending: each row is written, flushed and fsynced before the next step, so a run
    stopped at any moment (SIGTERM, SIGKILL, a power cut) leaves a file that lists everything it finished.

    On opening, a new file gets its byte-order mark and header; a file of an earlier version (other columns)
    is rewritten once, atomically, with the current ones; a row cut short by a crash is ended (read back as a
    row with fewer cells) or dropped, as the ledger's ``keep_cut_row`` says.
    """

    def __init__(self, ledger: CsvLedger, path: Path, upgrade: Upgrade | None = None):
        self.ledger, self.path = ledger, path
        self.upgrade = upgrade or (lambda rows: [[row[c] for c in ledger.columns] for row in rows])
        self._handle: BinaryIO | None = None

    def __enter__(self) -> "Appender":
        if not self.path.is_file() or not self.path.stat().st_size:
            self.ledger.rewrite(self.path, [])  # the header, whole or not at all
        if not self.ledger.keep_cut_row:
            _drop_cut_row(self.path)
        header = self.ledger.header(self.path)
        if header != self.ledger.columns:  # an earlier version's: given the new columns once
            rows = self.ledger.read(self.path)  # a file that is not one (a required column missing) stops here
            unknown = [c for c in header if c not in self.ledger.columns]
            if unknown:  # rewriting would lose them
                raise SheetflowError(f"{self.path} has columns this sheetflow does not know ({', '.join(unknown)}): "
                                     "a later version wrote it; update sheetflow, or move the file away.")
            self.ledger.rewrite(self.path, self.upgrade(rows))
        handle = self._handle = open(self.path, "a+b")
        handle.seek(0, os.SEEK_END)
        if handle.tell():
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) not in (b"\n", b"\r"):
                handle.write(b"\r\n")  # the end of a row cut short by a crash
        return self

    def read(self) -> list[Row]:
        """The rows so far (``CsvLedger.read``)."""
        return self.ledger.read(self.path)

    def append(self, values: Iterable[object]) -> None:
        self._write([csv_cell(v) for v in values])

    def _write(self, cells: Iterable[str]) -> None:
        if self._handle is None:
            raise SheetflowError(f"{self.path} is not open for writing (use it in a with block).")
        buffer = io.StringIO()
        csv.writer(buffer).writerow(cells)
        self._handle.write(buffer.getvalue().encode("utf-8"))
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None

    def __exit__(self, *_exc: object) -> None:
        self.close()


def _drop_cut_row(path: Path) -> None:
    """Remove a last row cut short by a crash (one that does not end with a line break)."""
    with open(path, "r+b") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return
        handle.seek(size - 1)
        if handle.read(1) in (b"\n", b"\r"):
            return
        block = min(size, 1 << 20)
        handle.seek(size - block)
        tail = handle.read(block)
        cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
        handle.truncate(size - block + cut + 1 if cut >= 0 else size)


MANIFEST_CSV = CsvLedger(MANIFEST, MANIFEST_COLUMNS, required=MANIFEST_COLUMNS, what="a sheetflow manifest",
                         advice="choose another output folder or move the file away", keep_cut_row=False)
LEDGER_CSV = CsvLedger(LEDGER, LEDGER_COLUMNS, required=LEDGER_COLUMNS[:8],  # earlier versions end after status
                       what="sheetflow's ledger of collected mail",
                       advice="collect into another folder or move the file away", keep_cut_row=False)
SENT_CSV = CsvLedger(SENT, SENT_COLUMNS, required=SENT_COLUMNS[:2], what="sheetflow's log of the emails sent",
                     advice="give another folder or move the file away", keep_cut_row=True)
REPLIED_CSV = CsvLedger(REPLIED, REPLIED_COLUMNS, required=REPLIED_COLUMNS[:3],
                        what="sheetflow's log of the replies to returns",
                        advice="give another folder or move the file away", keep_cut_row=True)
OWN_FILES = (MANIFEST_CSV, LEDGER_CSV, SENT_CSV, REPLIED_CSV)
