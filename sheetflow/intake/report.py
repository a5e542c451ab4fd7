"""The validation report: one record per file, as data, as a table, and as notes for partners.

``Report.to_dict()`` is exactly what ``sheetflow validate --json`` prints.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from ..files import check_files, check_folder, write_text
from ..text import fit, name_key, plural
from .codes import Code, Finding, Skip
from .record import Return

if TYPE_CHECKING:
    from ..instruments.definitions import Instrument



class Status(StrEnum):
    """What validation decided about one file (``FileReport.status``)."""

    VALID = "valid"  # counted: in the roll-up
    INVALID = "invalid"  # read, but answers must be fixed
    REJECTED = "rejected"  # cannot be read or used as sent
    SUPERSEDED = "superseded"  # a newer copy of the same response replaces it


STATUSES = tuple(Status)
NEEDS_FIXING = (Status.INVALID, Status.REJECTED)  # the statuses a partner hears about
LEFT_OUT = (Status.INVALID, Status.REJECTED, Status.SUPERSEDED)  # not in the roll-up


@dataclass
class FileReport:
    path: str
    status: Status
    instrument: str | None = None
    response_id: str | None = None
    organization: str | None = None
    respondent: str | None = None
    errors: list = field(default_factory=list)  # Finding
    warnings: list = field(default_factory=list)  # Finding
    version: str | None = None
    cycle: str | None = None
    sha256: str | None = None
    saved_at: str | None = None
    superseded_by: str | None = None
    code: Code | None = None  # for a rejected file, the code of its reason
    record: Return | None = field(default=None, repr=False, compare=False)  # the answers, for roll-ups

    def to_dict(self) -> dict:
        findings = lambda items: [{"name": f.name, "cell": f.cell, "code": f.code, "message": f.message}  # noqa: E731
                                  for f in items]
        return {
            "path": self.path, "status": self.status, "code": self.code, "instrument": self.instrument,
            "response_id": self.response_id, "organization": self.organization, "respondent": self.respondent,
            "errors": findings(self.errors), "warnings": findings(self.warnings), "version": self.version,
            "cycle": self.cycle, "sha256": self.sha256, "saved_at": self.saved_at,
            "superseded_by": self.superseded_by,
        }


@dataclass
class Report:
    files: list = field(default_factory=list)  # FileReport, in the order the files were found
    skipped: list[tuple[str, Skip]] = field(default_factory=list)  # files found that are not returns
    received: dict = field(default_factory=dict)  # path -> ledger.Received: when and from whom collect got it

    @property
    def summary(self) -> dict:
        return {status: sum(f.status == status for f in self.files) for status in STATUSES}

    @property
    def all_valid(self) -> bool:
        return all(f.status == Status.VALID for f in self.files)

    def to_dict(self) -> dict:
        return {"files": [f.to_dict() for f in self.files], "summary": self.summary,
                "skipped": [skipped_entry(path, why) for path, why in self.skipped]}

    def to_text(self, verbose: bool = True) -> str:
        """A table a convener reads: one line per file, then what each partner must fix."""
        lines = []
        width = min(60, max([len(file_name(f.path)) for f in self.files] + [4]))
        lines.append(f"{'STATUS':<10}  {'FILE':<{width}}  {'FROM':<40}  PROBLEMS")
        for f in self.files:
            who = " / ".join(x for x in (f.organization, f.respondent) if x) or "-"
            problems = {Status.VALID: plural(f.warnings, "warning") if f.warnings else "",
                        Status.INVALID: plural(f.errors, "error"), Status.REJECTED: refused(f),
                        Status.SUPERSEDED: f"replaced by {file_name(f.superseded_by or '')}"}[f.status]
            lines.append(f"{f.status:<10}  {fit(file_name(f.path), width):<{width}}  {fit(who, 40):<40}  {problems}")
        if verbose:
            for f in self.files:
                if f.status in NEEDS_FIXING:
                    lines.append("")
                    lines.append(f"{f.path}:")
                    lines.extend(f"  - {e.message}" for e in f.errors)
        s = self.summary
        lines.append("")
        lines.append(f"{plural(self.files, 'file')}: {s[Status.VALID]} valid, {s[Status.INVALID]} invalid, "
                     f"{s[Status.REJECTED]} rejected, {s[Status.SUPERSEDED]} superseded"
                     + (f"; {skipped_summary(self.skipped)}" if self.skipped else "") + ".")
        if verbose and self.skipped:
            lines += ["", "Skipped (not returns):"] + [f"  {file_name(path)}: {why}" for path, why in self.skipped]
        return "\n".join(lines)


def skipped_summary(skipped: list[tuple[str, Skip]]) -> str:
    """What was skipped, by reason: "2 skipped: 1 Excel lock file, 1 a sheetflow roll-up, not a return"."""
    counts: dict[Skip, int] = {}
    for _, why in skipped:
        counts[why] = counts.get(why, 0) + 1
    return f"{len(skipped)} skipped (" + "; ".join(f"{n}: {why}" for why, n in counts.items()) + ")"


# a file refused although it was read (its stamp or its questions are not as sent), in a few words
READ_BUT_REFUSED: dict[Code | None, str] = {
    Code.QUESTION_CHANGED: "read, but a question was edited", Code.SHEET_MISSING: "read, but a sheet is missing",
    Code.ANSWERS_MISSING: "read, but answer cells are missing", Code.NOT_STAMPED: "read, but not made by sheetflow",
    Code.STAMP_MISMATCH: "read, but its stamp was altered", Code.STAMP_INCOMPLETE: "read, but its stamp is incomplete",
    Code.UNKNOWN_INSTRUMENT: "read, but of an unknown instrument", Code.UNKNOWN_VERSION: "read, but of an unknown version",
    Code.OUTSIDE_TEMPLATE: "read, but has cells outside the form",
}


def refused(f: FileReport) -> str:
    """Why a rejected file is left out, in a few words for the table: "cannot be read" only if it was not."""
    return READ_BUT_REFUSED.get(f.code, "cannot be read")


def skipped_entry(path: str, why: Skip) -> dict[str, str]:
    """A skipped file as --json shows it: its path, the reason and the reason's code."""
    return {"path": path, "reason": why, "code": why.code}


def file_name(path: str) -> str:
    return Path(path).name


def from_return(record: Return, instrument: Instrument | None = None) -> FileReport:
    """The report line of a file, before validation decides its status."""
    who = _who(record, instrument)
    return FileReport(
        path=record.path, status=Status.REJECTED if record.rejected else Status.VALID, instrument=record.instrument,
        response_id=record.response_id, organization=who[0], respondent=who[1],
        errors=[Finding(None, None, record.rejected, record.rejected_code or Code.READER_ERROR)] if record.rejected else [],
        warnings=list(record.findings), version=record.version, cycle=record.cycle,
        sha256=record.sha256 or None, saved_at=record.saved_at, code=record.rejected_code, record=record,
    )


def _who(record: Return, instrument: Instrument | None) -> tuple[str | None, ...]:
    if instrument is None or record.rejected:
        return None, None
    keys = [a.name for a in instrument.identity if a.required]
    values = [record.value(k) for k in keys[:2]]
    values += [None] * (2 - len(values))
    return tuple(str(v) if v is not None else None for v in values)


def feedback_note(report: FileReport, instrument_title: str | None = None, partner: str | None = None) -> str:
    """A short plain-language note the convener can paste into a reply to the partner, greeting them by
    ``partner`` (the name the manifest has) or else the name the file gives."""
    name = file_name(report.path)
    who = partner or report.respondent
    greeting = f"Hello{(' ' + who) if who else ''},"
    lines = [greeting, ""]
    what = f"the {instrument_title}" if instrument_title else "the workbook"
    if report.status == Status.REJECTED:
        verb = "use" if report.code in READ_BUT_REFUSED else "read"
        lines.append(f"Thank you for sending {what} back (the file \"{name}\"). Unfortunately we cannot "
                     f"{verb} it:")
        lines.append("")
        lines.extend(f"  {for_partner(e.message)}" for e in report.errors)
        lines.append("")
        lines.append("Please send the workbook again as an Excel Workbook (.xlsx): the one we sent you, "
                     "filled in and saved without changing its format.")
    else:
        lines.append(f"Thank you for filling in {what} (the file \"{name}\"). Before we can include it, "
                     "please change the following (each item names the sheet and cell):")
        lines.append("")
        lines.extend(f"  - {e.message}" for e in report.errors)
        lines.append("")
        lines.append("Only the yellow cells can be changed; cells shaded orange still need an answer. Then "
                     "save the workbook (keep it as an Excel Workbook, .xlsx) and email it back to us. "
                     "You may keep the same file name.")
    lines.extend(["", "Thank you!", ""])
    return "\n".join(lines)


_CONVENER_ADVICE = re.compile(r"[;:]\s*(?:do not open it, and )?ask the partner\b.*$", re.S)


def for_partner(reason: str) -> str:
    """A reason a file was refused, without the advice meant for the convener ("ask the partner to ..."):
    the note to the partner says what to do in its own words."""
    text = _CONVENER_ADVICE.sub("", reason).rstrip()
    return text if text.endswith((".", "!", "?")) else text + "."


def write_feedback(report: Report, folder: Path, titles: dict, force: bool = False,
                   names: dict | None = None) -> list[Path]:
    """One note per file that is not valid (superseded copies need no reply); every note is checked
    before any is written, so a note in the way leaves the folder as it was. ``names``: file path -> the
    partner's name, for the greeting."""
    notes, used = {}, set()
    for f in report.files:
        if f.status not in NEEDS_FIXING:
            continue
        stem = Path(f.path).stem
        name = f"{stem} - what to fix.txt"
        counter = 2
        while name.casefold() in used:
            name, counter = f"{stem} ({counter}) - what to fix.txt", counter + 1
        used.add(name.casefold())
        notes[Path(folder) / name] = f
    check_folder(folder, "the notes are written into a folder")
    check_files(notes, force)
    return [write_text(path, feedback_note(f, titles.get(f.instrument), (names or {}).get(f.path)), force)
            for path, f in notes.items()]
