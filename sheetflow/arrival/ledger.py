"""The inbox ledger ``collected.csv``: which file came from whom, when, in which message (written by collect).

Kept apart from the collecting itself (and with the standard library only) so that every stage
can read it: ``validate``, ``status`` and ``rollup`` use ``ledger_of`` to learn when a file was
received and from which address.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from datetime import datetime, timezone
from enum import StrEnum
from pathlib import Path
from typing import Iterable

from ..errors import SheetflowError
from ..journals import LEDGER, LEDGER_COLUMNS as COLUMNS, LEDGER_CSV, Appender, Row  # noqa: F401 (COLUMNS: API)
from ..senders import SenderCheck, accepted_senders

REQUIRED = LEDGER_CSV.required  # ledgers of earlier versions end after status, response_id or authentication


class Collected(StrEnum):
    """What collect did with one attachment (the ledger's ``status`` column)."""

    SAVED = "saved"  # saved into the inbox as ``file``
    DUPLICATE = "duplicate"  # the same bytes as a file saved before: ``file`` names that one
    REFUSED = "refused"  # not saved; ``reason`` says why


@dataclass
class LedgerRow:
    """One attachment (or zip member) of one received message, and what collect did with it."""

    message_id: str
    received_at: str  # ISO 8601 with its UTC offset
    sender: str  # the "from" column: the sender's address
    subject: str
    attachment: str  # the name as sent ("returns.zip / Ana.xlsx" for a zip member), "" for the message itself
    file: str  # the file in the inbox holding these bytes (relative to the ledger), or "" when refused
    sha256: str
    status: Collected
    response_id: str = ""  # with --manifest: the recipient it is tied to
    sender_check: str = ""  # senders.SenderCheck for a file tied to a recipient ("" when not judged)
    authentication: str = ""  # the receiving server's failed checks ("spf=fail dmarc=fail"), else ""
    reason: str = ""  # refused: why, in one line for the convener

    def values(self) -> list[str]:
        return [getattr(self, f.name) for f in fields(self)]

    @property
    def key(self) -> tuple[str, str, str]:
        """What makes a row the same attachment when collect runs again."""
        return self.message_id, self.attachment, self.sha256

    @classmethod
    def of(cls, cells: Row, where: str = "the ledger") -> "LedgerRow":
        """The row ``LEDGER_CSV`` read; an earlier version's "refused: <reason>" status is taken apart."""
        status, reason = cells["status"].strip(), cells["reason"]
        word, colon, said = status.partition(":")
        if colon and word.strip() == Collected.REFUSED:
            status, reason = Collected.REFUSED, reason or said.strip()
        try:
            collected = Collected(status)
        except ValueError:
            raise SheetflowError(f"{where}: the status {status!r} is not {', '.join(Collected)}; "
                                 "the ledger was edited by hand.") from None
        return cls(cells["message_id"], cells["received_at"], cells["from"], cells["subject"], cells["attachment"],
                   cells["file"], cells["sha256"], collected, cells["response_id"], cells["sender_check"],
                   cells["authentication"], reason)


@dataclass(frozen=True)
class Received:
    """What the ledger says about one file in the inbox."""

    received_at: str
    sender: str
    response_id: str
    sender_check: str = ""
    authentication: str = ""


def read_ledger(folder: str | os.PathLike[str]) -> list[LedgerRow]:
    """The rows of ``folder``'s collected.csv (none when there is no ledger)."""
    path = Path(folder) / LEDGER
    return [LedgerRow.of(cells, f"{path}, row {line}") for line, cells in LEDGER_CSV.numbered(path)]


def is_ledger(path: str | os.PathLike[str]) -> bool:
    """Whether ``path`` is a collected.csv written by collect (a file with that name and its header)."""
    return LEDGER_CSV.is_one(path)


def write_ledger(folder: str | os.PathLike[str], rows: Iterable[LedgerRow]) -> Path:
    """Write ``folder``'s collected.csv atomically (UTF-8 with a byte-order mark, as Excel expects)."""
    return LEDGER_CSV.rewrite(Path(folder) / LEDGER, [row.values() for row in rows])


class Journal:
    """``folder``'s collected.csv opened for adding rows as work happens: each row is written, flushed and
    synced to disk before the next file is saved, so a run stopped at any moment (SIGTERM, SIGKILL, a power
    cut) leaves a ledger that lists every file it finished. A row cut short by such a stop is removed when
    the ledger is next opened (its file, if saved, is then recognised by its bytes); an earlier version's
    ledger is given today's columns once."""

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.path = Path(folder) / LEDGER
        where = str(self.path)
        self._file: Appender = LEDGER_CSV.appending(
            self.path, upgrade=lambda rows: [LedgerRow.of(cells, where).values() for cells in rows]).__enter__()

    def append(self, row: LedgerRow) -> None:
        self._file.append(row.values())

    def close(self) -> None:
        self._file.close()


def ledger_of(folder: str | os.PathLike[str]) -> dict[str, Received]:
    """Each file of ``folder`` that collect saved (its real path) -> when it was received, from whom, for whom.

    Empty when the folder has no ledger or the ledger cannot be read: a missing or damaged ledger
    only means files are judged without it.
    """
    try:
        rows = read_ledger(folder)
    except SheetflowError:
        return {}
    accepted = accepted_senders(Path(folder))
    out = {}
    for row in rows:
        if row.status == Collected.SAVED and row.file:
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


def ledgers_for(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Received]:
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
