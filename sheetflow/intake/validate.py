"""Validate a batch of returned files: find them, read them in isolated workers, check, decide.

    report = validate_paths(["inbox/"])
    report.to_dict()   # what `sheetflow validate --json` prints
"""

from __future__ import annotations

import contextlib
import functools
import os
import threading
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from ..instruments import definitions
from ..errors import SheetflowError
from ..arrival.ledger import is_ledger, ledgers_for
from ..senders import ACCEPTED_FILE, SenderCheck, is_recipients_address
from .isolation import IsolationFailed, run_isolated_many
from .codes import Code, Finding, Skip
from .record import Return, read_return
from . import own_files, response
from .report import FileReport, Report, Status, from_return, skipped_summary
from ..text import name_key

TIMEOUT_PER_FILE = 30.0  # seconds
MEMORY = 1024 * 2**20  # bytes of address space per worker


def find_files(paths: Iterable) -> tuple[list[str], list[tuple[str, Skip]]]:
    """Every file named or inside a named folder (recursively), and the lock/hidden files skipped."""
    files: list[str] = []
    skipped: list[tuple[str, Skip]] = []

    def consider(path: Path) -> None:
        why = (_skip_reason(path.name) or (Skip.MAIL_LEDGER if is_ledger(path) else None)
               or (Skip.ACCEPTED_SENDERS if path.name == ACCEPTED_FILE else None)
               or own_files.reason(path))
        (skipped.append((str(path), why)) if why else files.append(str(path)))

    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, names in os.walk(path):
                hidden = sorted(d for d in dirs if d.startswith("."))
                skipped.extend((str(Path(root) / d), Skip.HIDDEN_FOLDER) for d in hidden)
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(names):
                    consider(Path(root) / name)
        elif path.exists() or path.is_symlink():
            consider(path)
        else:
            raise SheetflowError(f"{given}: no such file or folder.")
    return files, skipped


def _skip_reason(name: str) -> Skip | None:
    """Why a file found in a folder is not a return, by its name alone."""
    if name.startswith("~$"):
        return Skip.LOCK_FILE
    if name.startswith("."):
        return Skip.HIDDEN_FILE
    return None


def read_all(paths: list[str], workers: int = 2, progress: Callable[[int], None] | None = None,
             reader: Callable[[str], Return] = read_return) -> list[Return]:
    """Read every file in worker processes with memory and time limits; a crash rejects one file only.

    While the workers read, this process loads what checking needs next (pandas and pandera).
    """
    loading = threading.Thread(target=_load_checks, daemon=True)
    records = []
    for path, result in run_isolated_many(reader, paths, timeout=TIMEOUT_PER_FILE, memory_bytes=MEMORY,
                                          workers=workers):
        records.append(result if isinstance(result, Return) else _failed(path, result))
        if len(records) == 1:
            loading.start()  # once the workers are up: starting them waits for imports in progress
        if progress:
            progress(1)
    if records:
        loading.join()
    return records


def _load_checks() -> None:
    try:
        from . import schemas  # noqa: F401
    except Exception:  # noqa: BLE001 - the import is retried, and any error raised, where it is needed
        pass


def _failed(path: str, error: BaseException) -> Return:
    if isinstance(error, IsolationFailed):
        reason = (f"This file could not be read safely: {error.reason}. It may be damaged or deliberately "
                  "malformed; ask the partner to send the workbook again.")
        return Return(path=path, rejected=reason, rejected_code=error.code)
    reason = f"sheetflow could not read this file ({type(error).__name__}: {error})."
    return Return(path=path, rejected=reason, rejected_code=Code.READER_ERROR)


def check(records: list[Return]) -> list[FileReport]:
    """Validate every readable return against its instrument's schemas, one batch per instrument."""
    from .schemas import check_answers  # pandas and pandera: only once the files are read

    instruments = definitions.load_issued()  # a return is checked against the version it was made from
    reports = [from_return(r, instruments.get((r.instrument or "", r.version or ""))) for r in records]
    for instrument in instruments.values():
        chosen = [i for i, r in enumerate(records)
                  if not r.rejected and (r.instrument, r.version) == (instrument.id, instrument.version)]
        results = check_answers([records[i] for i in chosen], instrument)
        for i, (errors, warnings) in zip(chosen, results):
            reports[i].errors = errors
            reports[i].warnings = reports[i].warnings + warnings
            reports[i].status = Status.INVALID if errors else Status.VALID
    return reports


def mark_other_senders(reports: list[FileReport], received: dict, emails: dict | None = None,
                       people: dict | None = None) -> None:
    """A return collected from an address that is not its recipient's never counts unseen: it gets an error
    (``other-sender``) naming who sent it, so it is invalid until the convener accepts the sender.

    ``received``: path -> ledger.Received; ``emails``: response id -> the recipient's address (from the
    manifest); ``people``: an address on the manifest -> the names of its recipients (name_key), so that a
    workbook forwarded to a colleague on the roster and sent back by them counts. Without the manifest, the
    ledger's own judgement (``collect --manifest``) is used.
    """
    for report in reports:
        got = received.get(report.path)
        if got is None or report.status == Status.REJECTED or got.sender_check == SenderCheck.ACCEPTED:
            continue
        email = (emails or {}).get(report.response_id or "") or (emails or {}).get(got.response_id)
        if email:
            other = not is_recipients_address(email, got.sender) and not _filled_in_by_sender(report, got,
                                                                                             people or {})
        else:
            other = got.sender_check == SenderCheck.OTHER
        if not other:
            continue
        to = f" ({email})" if email else ""
        checks = f" The receiving server recorded {got.authentication}." if got.authentication else ""
        report.errors = report.errors + [Finding(None, None, (
            f"This copy came from {got.sender or 'an unknown sender'}, not from the address the workbook was sent "
            f"to{to}: it is not counted until you have looked at it. If it is genuine, add "
            f"{got.sender or 'the address'} to accepted-senders.txt in the inbox (docs/collect.md).{checks}"),
            Code.OTHER_SENDER)]
        report.status = Status.INVALID


def _filled_in_by_sender(report: FileReport, got, people: dict) -> bool:
    """Whether a workbook forwarded to a colleague on the roster came back from that colleague: the sender is
    a recipient's address, and the workbook names that recipient (by the address or the name typed in it;
    status then counts it as theirs). ``people``: address -> the names of the recipients at it."""
    names = people.get(name_key(got.sender)) if got.sender else None
    if names is None:
        return False
    typed = report.record.value("respondent_email") if report.record is not None else None
    return name_key(typed) == name_key(got.sender) or name_key(report.respondent) in names


def _other_sender(report: FileReport) -> bool:
    return any(e.code == Code.OTHER_SENDER for e in report.errors)


def mark_superseded(reports: list[FileReport], received: dict | None = None) -> None:
    """The same respondent's response twice counts once: the newest received copy wins (per ``received``:
    path -> ledger.Received, for the files collect saved), else the newest saved."""
    received = received or {}
    arrival: dict[int, Any] = {id(r): received.get(r.path) for r in reports}
    groups: dict[tuple, list[FileReport]] = {}
    for report in reports:
        if report.status == Status.REJECTED or _other_sender(report):  # it neither replaces nor is replaced unseen
            continue
        groups.setdefault(response.of_file(report), []).append(report)
    for group in groups.values():
        if len(group) < 2:
            continue
        newest = max(group, key=lambda r: (arrival[id(r)].received_at if arrival[id(r)] else "", r.saved_at or "",
                                           r.record.modified if r.record else 0, r.path))
        for report in group:
            if report is newest:
                continue
            same = bool(report.sha256) and report.sha256 == newest.sha256
            report.status, report.superseded_by = Status.SUPERSEDED, newest.path
            report.warnings = report.warnings + [_superseded_note(newest, same, arrival[id(newest)])]


def _superseded_note(newest: FileReport, identical: bool, received=None):
    if identical:
        return Finding(None, None, f"The same file was also received as \"{Path(newest.path).name}\"; "
                                   "it is counted once.", Code.DUPLICATE)
    if received is not None:
        return Finding(None, None, f"A copy of this response received later (\"{Path(newest.path).name}\", "
                                   f"received {received.received_at}) is used instead.", Code.SUPERSEDED)
    return Finding(None, None, f"A newer copy of this response was received (\"{Path(newest.path).name}\", "
                               f"saved {newest.saved_at or 'later'}); that copy is used instead.", Code.SUPERSEDED)


_reader = "fast"  # how returns are read: set only by ``plain_reader``


@contextlib.contextmanager
def plain_reader() -> Iterator[None]:
    """Within the block, every validation reads the returns the plain way, with openpyxl: slower, the
    reference the fast reader is tested and benchmarked against (for the tests and bench/scale.py only)."""
    global _reader
    before, _reader = _reader, "openpyxl"
    try:
        yield
    finally:
        _reader = before


def validate_paths(paths: Iterable, workers: int = 2, progress: Callable[[int], None] | None = None,
                   on_start: Callable[[int], None] | None = None, empty_ok: bool = False,
                   emails: dict | None = None, people: dict | None = None) -> Report:
    """Validate files and folders of returns; the report lists every file, none dropped.

    No files to validate is a SheetflowError, unless ``empty_ok`` (then the report has no files).
    ``emails`` (response id -> the recipient's address, from the manifest) and ``people`` let
    ``mark_other_senders`` judge files whose ledger row was written without one.
    """
    paths = list(paths)
    files, skipped = find_files(paths)
    if not files and empty_ok:
        return Report(skipped=skipped)
    if not files:
        raise SheetflowError("No files to validate" + (f"; {skipped_summary(skipped)}." if skipped else "."))
    if on_start:
        on_start(len(files))
    read = read_return if _reader == "fast" else functools.partial(read_return, reader=_reader)
    records = read_all(files, workers=workers, progress=progress, reader=read)
    skipped += [(r.path, Skip.ROLLUP) for r in records if r.rejected_code == Code.SHEETFLOW_ROLLUP]
    reports = check([r for r in records if r.rejected_code != Code.SHEETFLOW_ROLLUP])
    ledgers = ledgers_for(paths)
    received = {r.path: ledgers[os.path.realpath(r.path)] for r in reports if os.path.realpath(r.path) in ledgers}
    mark_other_senders(reports, received, emails, people)
    mark_superseded(reports, received)
    return Report(files=reports, skipped=skipped, received=received)
