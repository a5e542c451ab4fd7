"""The inbox ledger ``collected.csv``: which file came from whom, when, in which message (written by collect).

Kept apart from the collecting itself (and with the standard library only) so that every stage
can read it: ``validate``, ``status`` and ``rollup`` use ``ledger_of`` to learn when a file was
received and from which address.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from pathlib import Path

from ..errors import SheetflowError
from ..files import atomic_path, csv_cell, csv_text
from ..senders import SenderCheck, accepted_senders

from ..journals import LEDGER, LEDGER_COLUMNS as COLUMNS
REQUIRED = COLUMNS[:8]  # ledgers of earlier versions end after status or response_id


@dataclass
class LedgerRow:
    """One attachment (or zip member) of one received message, and what collect did with it."""

    message_id: str
    received_at: str  # ISO 8601 with its UTC offset
    sender: str  # the "from" column: the sender's address
    subject: str
    attachment: str  # the name as sent ("returns.zip / Ana.xlsx" for a zip member)
    file: str  # the file in the inbox holding these bytes (relative to the ledger), or "" when refused
    sha256: str
    status: str  # saved, duplicate, or "refused: <reason>"
    response_id: str = ""  # with --manifest: the recipient it is tied to
    sender_check: str = ""  # senders.SenderCheck for a file tied to a recipient ("" when not judged)
    authentication: str = ""  # the receiving server's failed checks ("spf=fail dmarc=fail"), else ""

    def values(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a row the same attachment when collect runs again."""
        return self.message_id, self.attachment, self.sha256


@dataclass(frozen=True)
class Received:
    """What the ledger says about one file in the inbox."""

    received_at: str
    sender: str
    response_id: str
    sender_check: str = ""
    authentication: str = ""


def read_ledger(folder) -> list[LedgerRow]:
    """The rows of ``folder``'s collected.csv (none when there is no ledger)."""
    path = Path(folder) / LEDGER
    if not path.is_file():
        return []
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SheetflowError(f"{path} cannot be read as sheetflow's ledger of collected mail ({exc}).") from None
    header = [h.strip() for h in rows[0]] if rows else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise SheetflowError(f"{path} is not sheetflow's ledger of collected mail (no column {', '.join(missing)}); "
                             "collect into another folder or move the file away.")
    index = {c: header.index(c) for c in COLUMNS if c in header}
    out = []
    for values in rows[1:]:
        if not any(v.strip() for v in values):
            continue
        cells = [csv_text(values[index[c]]) if c in index and index[c] < len(values) else "" for c in COLUMNS]
        out.append(LedgerRow(*cells))
    return out


def is_ledger(path) -> bool:
    """Whether ``path`` is a collected.csv written by collect (a file with that name and its header)."""
    path = Path(path)
    if path.name != LEDGER or not path.is_file():
        return False
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return first.strip().split(",")[:len(REQUIRED)] == list(REQUIRED)


def write_ledger(folder, rows: list[LedgerRow]) -> Path:
    """Write ``folder``'s collected.csv atomically (UTF-8 with a byte-order mark, as Excel expects)."""
    path = Path(folder) / LEDGER
    with atomic_path(path, force=True) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row.values()])
    return path


class Journal:
    """``folder``'s collected.csv opened for adding rows as work happens: each row is written, flushed and
    synced to disk before the next file is saved, so a run stopped at any moment (SIGTERM, SIGKILL, a power
    cut) leaves a ledger that lists every file it finished. A row cut short by such a stop is removed when
    the ledger is next opened (its file, if saved, is then recognised by its bytes)."""

    def __init__(self, folder) -> None:
        self.path = Path(folder) / LEDGER
        if not self.path.exists():
            write_ledger(folder, [])
        self._drop_partial_row()
        with open(self.path, encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader([handle.readline()]), [])
        if tuple(h.strip() for h in header) != COLUMNS:  # an earlier version's ledger: given the new columns once
            write_ledger(folder, read_ledger(folder))
        self.handle = open(self.path, "a", encoding="utf-8", newline="")
        self.writer = csv.writer(self.handle)

    def _drop_partial_row(self) -> None:
        with open(self.path, "r+b") as handle:
            size = handle.seek(0, os.SEEK_END)
            if size == 0:
                return
            handle.seek(max(0, size - 1))
            if handle.read(1) in (b"\n", b"\r"):
                return
            block = min(size, 1 << 20)
            handle.seek(size - block)
            tail = handle.read(block)
            cut = max(tail.rfind(b"\n"), tail.rfind(b"\r"))
            handle.truncate(size - block + cut + 1 if cut >= 0 else size)

    def append(self, row: LedgerRow) -> None:
        self.writer.writerow([csv_cell(v) for v in row.values()])
        self.handle.flush()
        os.fsync(self.handle.fileno())

    def close(self) -> None:
        self.handle.close()


def ledger_of(folder) -> dict[str, Received]:
    """Each file of ``folder`` that collect saved (its real path) -> when it was received, from whom, for whom.

    Empty when the folder has no ledger or the ledger cannot be read: a missing or damaged ledger
    only means files are judged without it.
    """
    try:
        rows = read_ledger(folder)
    except SheetflowError:
        return {}
    accepted = accepted_senders(folder)
    out = {}
    for row in rows:
        if row.status == "saved" and row.file:
            check = SenderCheck.ACCEPTED if row.sender and row.sender in accepted else row.sender_check
            out[os.path.realpath(Path(folder) / row.file)] = Received(_utc(row.received_at), row.sender,
                                                                      row.response_id, check, row.authentication)
    return out


def _utc(moment: str) -> str:
    """An ISO time in UTC, so that times received in different zones compare as text ("" when unknown)."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return ""
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).isoformat(timespec="seconds")


def ledgers_for(paths) -> dict[str, Received]:
    """``ledger_of`` every folder named in ``paths`` and every folder holding a named file, together."""
    out: dict[str, Received] = {}
    seen = set()
    for given in paths:
        path = Path(given)
        folders = [path] if path.is_dir() else [path.parent]
        if path.is_dir():
            folders += [Path(root) for root, _dirs, names in os.walk(path) if LEDGER in names]
        for folder in folders:
            real = os.path.realpath(folder)
            if real not in seen:
                seen.add(real)
                out.update(ledger_of(folder))
    return out
