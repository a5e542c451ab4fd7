"""Who has returned what: the manifest's recipients set against the validation report of the returns.

    report = status(["inbox/"], "out/manifest.csv")   # validate the returns, then match them
    report = match(validation, read_manifest(path))   # or match a report made elsewhere
    report.summary          # recipients by state, and how many files matched nobody
    report.to_dict()        # what `sheetflow status --json` prints

Each file of the report is matched to a recipient by its response id. For the
assessment, the name or email typed into the workbook also counts: a workbook
forwarded to a colleague who is on the roster too (or a blank one sent round
without an id from the manifest) is matched to the person who filled it in. A file
that cannot be read belongs to the recipient whose workbook was sent under its file
name (or, collected from the mail, who sent it), so it is their problem to fix. Each
recipient gets one state:

``returned``     a valid return came back;
``problems``     what came back must be fixed (invalid, or cannot be read);
``superseded``   only copies replaced by a newer one that could not be matched here;
``outstanding``  nothing came back yet.

Files matching nobody are listed as ``unexpected``, with the reason.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Callable, Iterable

from ..instruments import definitions
from ..errors import SheetflowError
from ..intake.codes import Code, Skip
from ..intake.report import FileReport, Report, Status, file_name, skipped_entry
from ..text import fit, name_key, plural
from ..intake.validate import find_files, validate_paths
from ..instruments.manifest import ManifestRow, manifest_path, read_manifest



class State(StrEnum):
    """What came back for a recipient (``Recipient.state``), best first."""

    RETURNED = "returned"  # a valid return came back
    PROBLEMS = "problems"  # what came back must be fixed (invalid, or cannot be read)
    SUPERSEDED = "superseded"  # only copies replaced by a newer one that could not be matched here
    OUTSTANDING = "outstanding"  # nothing came back yet


STATES = tuple(State)


@dataclass
class Recipient(ManifestRow):
    """One workbook sent (a manifest row), to whom, and what came back for it."""

    state: State = State.OUTSTANDING
    returns: list = field(default_factory=list)  # FileReport of every file matched, any status
    report: FileReport | None = None  # the file that decides the state
    notes: list = field(default_factory=list)  # str: how a file was matched when it was not plain
    folder: Path = field(default=Path("."), compare=False)  # the manifest's folder, which ``file`` is relative to

    @classmethod
    def from_row(cls, row: ManifestRow, folder: Path | str = ".") -> "Recipient":
        return cls(**{f.name: getattr(row, f.name) for f in fields(ManifestRow)}, folder=Path(folder))

    @property
    def name(self) -> str:
        """Who to greet: the person, or their organization when the manifest has no name."""
        return self.respondent_name or self.organization

    @property
    def workbook(self) -> Path:
        """The workbook that was sent."""
        return self.folder / self.file

    @property
    def errors(self) -> list[str]:
        """What must be fixed (the validation messages of the file that counts), for problems."""
        if self.state != State.PROBLEMS or self.report is None:
            return []
        return [e.message for e in self.report.errors]

    def decide(self) -> None:
        """Set the state from the files matched: a valid one wins, then the newest with problems."""
        by_status = {s: [r for r in self.returns if r.status == s] for s in Status}
        newest = lambda items: max(items, key=lambda r: (r.saved_at or "", r.path))  # noqa: E731
        if by_status[Status.VALID]:
            self.state, self.report = State.RETURNED, newest(by_status[Status.VALID])
        elif by_status[Status.INVALID] or by_status[Status.REJECTED]:
            self.state, self.report = State.PROBLEMS, newest(by_status[Status.INVALID] or by_status[Status.REJECTED])
        elif by_status[Status.SUPERSEDED]:
            self.state, self.report = State.SUPERSEDED, newest(by_status[Status.SUPERSEDED])
        else:
            self.state, self.report = State.OUTSTANDING, None

    def to_dict(self) -> dict:
        return {
            "response_id": self.response_id, "instrument": self.instrument, "cycle": self.cycle,
            "region": self.region, "organization": self.organization, "respondent_name": self.respondent_name,
            "email": self.email, "file": self.file, "state": self.state,
            "returned_file": self.report.path if self.report else None,
            "error_count": len(self.errors), "errors": self.errors,
            "files": [{"path": r.path, "status": r.status} for r in self.returns], "notes": list(self.notes),
        }


@dataclass
class Unexpected:
    """A file that matches no recipient."""

    report: FileReport
    reason: str

    def to_dict(self) -> dict:
        r = self.report
        return {"path": r.path, "status": r.status, "instrument": r.instrument, "response_id": r.response_id,
                "organization": r.organization, "respondent": r.respondent, "reason": self.reason}


@dataclass
class StatusReport:
    """Every recipient with its state, and the files that match nobody."""

    manifest: str = ""  # the manifest file the recipients come from
    recipients: list = field(default_factory=list)  # Recipient, in manifest order
    unexpected: list = field(default_factory=list)  # Unexpected
    skipped: list = field(default_factory=list)  # (path, why): files not taken for returns, as in the report
    files_read: int = 0  # files read as returns (valid or not)

    @property
    def summary(self) -> dict:
        counts = {state: sum(r.state == state for r in self.recipients) for state in State}
        return {**counts, "recipients": len(self.recipients), "unexpected": len(self.unexpected)}

    @property
    def all_returned(self) -> bool:
        """Every recipient has a valid return (nothing outstanding, nothing to fix)."""
        return all(r.state == State.RETURNED for r in self.recipients)

    def counts(self, attribute: str) -> dict[str, dict[str, int]]:
        """Recipients by state for each value of ``attribute`` (region, organization, instrument)."""
        out: dict[str, dict[str, int]] = {}
        for r in self.recipients:
            row = out.setdefault(getattr(r, attribute), {state: 0 for state in State})
            row[r.state] += 1
        return out

    def to_dict(self) -> dict:
        return {
            "manifest": self.manifest,
            "recipients": [r.to_dict() for r in self.recipients],
            "unexpected": [u.to_dict() for u in self.unexpected],
            "summary": self.summary,
            "by_instrument": self.counts("instrument"),
            "by_region": self.counts("region"),
            "by_organization": self.counts("organization"),
            "skipped": [skipped_entry(p, why) for p, why in self.skipped],
        }

    def to_text(self, verbose: bool = True) -> str:
        """One line per recipient, what came back unexpectedly, and counts by region and organization."""
        labels = _labels()
        lines = []
        widths = {key: min(34, max([len(getattr(r, key)) for r in self.recipients] + [len(key)]))
                  for key in ("region", "organization", "respondent_name")}
        what = max([len(labels.get(r.instrument, r.instrument)) for r in self.recipients] + [10])
        lines.append(f"{'STATE':<11}  {'REGION':<{widths['region']}}  {'ORGANIZATION':<{widths['organization']}}  "
                     f"{'RESPONDENT':<{widths['respondent_name']}}  {'WORKBOOK':<{what}}  DETAIL")
        for r in self.recipients:
            detail = {State.RETURNED: file_name(r.report.path) if r.report else "",
                      State.PROBLEMS: ("" if not r.report else f"cannot read {file_name(r.report.path)}"
                                       if r.report.status == Status.REJECTED
                                       else f"{plural(r.errors, 'error')} in {file_name(r.report.path)}"),
                      State.SUPERSEDED: f"only replaced copies ({file_name(r.report.path)})" if r.report else "",
                      State.OUTSTANDING: ""}[r.state]
            lines.append(f"{r.state:<11}  {fit(r.region, widths['region']):<{widths['region']}}  "
                         f"{fit(r.organization, widths['organization']):<{widths['organization']}}  "
                         f"{fit(r.respondent_name, widths['respondent_name']):<{widths['respondent_name']}}  "
                         f"{labels.get(r.instrument, r.instrument):<{what}}  {detail}".rstrip())
        if verbose:
            for r in self.recipients:
                if r.state == State.PROBLEMS:
                    lines += ["", f"{r.respondent_name} ({r.organization}), {r.report.path}:"]
                    lines += [f"  - {message}" for message in r.errors]
                if r.notes:
                    lines += ["", f"{r.respondent_name} ({r.organization}):"] if r.state != State.PROBLEMS else []
                    lines += [f"  note: {note}" for note in r.notes]
        if self.unexpected:
            lines += ["", "Unexpected files (sent to nobody on the manifest):"]
            lines += [f"  {u.report.path}: {u.reason}" for u in self.unexpected]
        for title, attribute in (("By region", "region"), ("By organization", "organization")):
            table = self.counts(attribute)
            width = min(40, max([len(k) for k in table] + [4]))
            lines += ["", f"{title}:"]
            for key, counts in table.items():
                lines.append(f"  {fit(key, width):<{width}}  {_states(counts)}")
        s = self.summary
        lines += ["", f"{plural(s['recipients'], 'recipient')}: {_states(s)}; "
                      f"{plural(self.unexpected, 'unexpected file')}."]
        return "\n".join(lines)


def _states(counts: dict) -> str:
    total = sum(counts[s] for s in State)
    others = {State.PROBLEMS: "with problems", State.SUPERSEDED: "superseded", State.OUTSTANDING: "outstanding"}
    return ", ".join([f"{counts[State.RETURNED]} of {total} returned"]
                     + [f"{counts[s]} {words}" for s, words in others.items() if counts[s]])


def _labels() -> dict:
    try:
        return {i.id: i.text.get("file_label") or i.short_title for i in definitions.load_all().values()}
    except SheetflowError:
        return {}


def status(paths: Iterable, manifest, cycle: str | None = None, workers: int = 2,
           progress: Callable[[int], None] | None = None,
           on_start: Callable[[int], None] | None = None) -> StatusReport:
    """Validate the returns in ``paths`` and match them to the recipients of ``manifest``.

    ``manifest`` is the manifest file (or the folder holding ``manifest.csv``); ``cycle`` keeps
    only that cycle's recipients. No paths (or no returns in them): everyone is outstanding.
    """
    ledger = manifest_path(manifest)
    rows = read_manifest(ledger)
    of_cycle(rows, cycle, ledger)  # before the returns are read: a mistyped cycle fails at once
    report = validate_returns(paths, ledger, workers=workers, progress=progress, on_start=on_start)
    return match(report, rows, cycle=cycle, manifest=ledger)


def validate_returns(paths: Iterable, manifest, workers: int = 2, progress: Callable[[int], None] | None = None,
                     on_start: Callable[[int], None] | None = None) -> Report:
    """The validation report of the returns in ``paths``, as ``sheetflow validate`` makes it.

    The manifest itself and the workbooks it lists are not returns (an inbox may be the folder
    they were sent from): they are listed in the report's ``skipped``, first, with the reason.
    """
    ledger = manifest_path(manifest)
    sent = {_file_key(ledger.parent / r.file) for r in read_manifest(ledger)} | {_file_key(ledger)}
    sent.discard(None)
    files, skipped = find_files(paths)
    keys = {f: _file_key(f) for f in files}
    own = [(f, Skip.SENT_BY_SHEETFLOW) for f in files if keys[f] in sent]
    files = [f for f in files if keys[f] not in sent]
    if files:
        rows = read_manifest(ledger)  # to judge who each collected file came from
        people: dict[str, set[str]] = {}
        for r in rows:
            people.setdefault(name_key(r.email), set()).add(name_key(r.respondent_name))
        report = validate_paths(files, workers=workers, progress=progress, on_start=on_start,
                                emails={r.response_id: r.email for r in rows}, people=people)
    else:
        report = Report()
    report.skipped = own + skipped + report.skipped
    return report


def match(report: Report, manifest_rows: Iterable[ManifestRow], cycle: str | None = None,
          manifest=None) -> StatusReport:
    """Give each file of a validation ``report`` to a recipient of ``manifest_rows`` (or list it as
    unexpected) and decide every recipient's state. Nothing is read or validated here.

    ``cycle`` keeps only that cycle's recipients; a return sent for another cycle is unexpected.
    ``manifest``, the manifest file the rows come from, names it in the report and locates the
    workbooks sent (``Recipient.workbook``).
    """
    ledger = Path(manifest) if manifest is not None else None
    folder = ledger.parent if ledger is not None else Path(".")
    everyone = [Recipient.from_row(r, folder) for r in manifest_rows]
    chosen = of_cycle(everyone, cycle, ledger)
    result = StatusReport(manifest=str(ledger or ""), recipients=chosen, skipped=list(report.skipped),
                          files_read=len(report.files))
    _assign(result, report.files, everyone, report.received)
    for recipient in chosen:
        recipient.decide()
    return result


def cycle_in_view(manifest, cycle: str | None = None) -> tuple[str | None, str | None]:
    """The cycle a command writes for: ``cycle`` if given, else the manifest's latest; and, when the manifest
    holds several cycles and none was chosen, a line saying which was taken (None otherwise)."""
    from ..cycles import latest, ordered

    if cycle is not None:
        return str(cycle).strip(), None
    ledger = manifest_path(manifest)
    cycles = ordered(r.cycle for r in read_manifest(ledger))
    if len(cycles) < 2:
        return (cycles[0] if cycles else None), None
    chosen = latest(cycles)
    return chosen, (f"{ledger} lists cycles {', '.join(cycles)}: writing to the recipients of cycle {chosen} "
                    "(--cycle chooses another).")


def of_cycle(rows: list, cycle: str | None, manifest=None) -> list:
    """The rows (or recipients) of ``cycle`` (all when None); none raises SheetflowError."""
    chosen = [r for r in rows if cycle is None or r.cycle == str(cycle)]
    if not chosen:
        raise SheetflowError(f"{manifest or 'The manifest'} lists nobody" + (f" for cycle {cycle}." if cycle else "."))
    return chosen


def _file_key(path) -> tuple[int, int] | None:
    """Which file a path is (device and file number; links and other spellings agree), or None."""
    try:
        st = os.stat(path)
    except (OSError, ValueError):
        return None
    return st.st_dev, st.st_ino


def _assign(report: StatusReport, files: list[FileReport], everyone: list[Recipient], received: dict) -> None:
    """Give each file to a recipient, or list it as unexpected."""
    per_person: dict[str | None, bool] = {i.id: i.per_person for i in definitions.load_all().values()}
    by_id: dict[str, list[Recipient]] = {}
    for r in report.recipients:
        by_id.setdefault(r.response_id, []).append(r)
    chosen = {id(r) for r in report.recipients}  # by identity: comparing dataclasses is quadratic here
    elsewhere = {r.response_id: r for r in everyone if id(r) not in chosen}
    pools: dict[tuple, _Pool] = {}
    readable: dict[str | None, list[FileReport]] = {}
    for f in files:
        if f.status != Status.REJECTED:
            readable.setdefault(f.response_id, []).append(f)
    for f in files:
        owners = [r for r in by_id.get(f.response_id or "", [])
                  if f.status == Status.REJECTED or r.instrument == f.instrument]
        owner = owners[0] if owners else None
        if owner is None and f.status == Status.REJECTED:
            owner = _by_file_name(f, report) or _by_sender(f, received, report)
        if f.status == Status.REJECTED and owner is None:
            reason = f.errors[0].message if f.errors else "the file cannot be read."
            report.unexpected.append(Unexpected(f, f"cannot be read, so not matched to anyone: {reason}"))
            continue
        recipient, note = owner, None
        if per_person.get(f.instrument) and f.status != Status.REJECTED:  # one workbook may be passed round
            cycle = owner.cycle if owner is not None else f.cycle
            key = (f.instrument, cycle)
            if key not in pools:
                pools[key] = _Pool([r for r in report.recipients if r.instrument == f.instrument and r.cycle == cycle])
            recipient, note = _by_identity(f, owner, pools[key], readable.get(f.response_id, []))
        if recipient is None and owner is None:
            recipient = _by_sender(f, received, report)
        if recipient is not None:
            recipient.returns.append(f)
            if note:
                recipient.notes.append(note)
            if any(e.code == Code.OTHER_SENDER for e in f.errors):  # not counted: said even when another copy is
                got = received.get(f.path)
                recipient.notes.append(f"{file_name(f.path)} came from {got.sender if got else 'another address'}, "
                                       "not their address: not counted until you have looked at it.")
        else:
            cycles = {r.cycle for r in report.recipients}
            report.unexpected.append(Unexpected(f, _why_unexpected(f, owner, elsewhere, cycles)))


def _by_sender(f: FileReport, received: dict, report: StatusReport) -> Recipient | None:
    """The recipient a file collected from the mail belongs to by its ledger row: the recipient collect tied it
    to, else the one recipient (of its instrument, when known) at the address it came from; with a note."""
    got = received.get(f.path)
    if got is None:
        return None
    fits = [r for r in report.recipients if f.instrument is None or r.instrument == f.instrument]
    found = [r for r in fits if got.response_id and r.response_id == got.response_id]
    if not found and got.sender:
        found = [r for r in fits if name_key(r.email) == name_key(got.sender)]
    if len(found) != 1:
        return None
    found[0].notes.append(f"{file_name(f.path)} came from {got.sender or 'their address'} "
                          f"(received {got.received_at[:10]}); counted as theirs.")
    return found[0]


def _by_file_name(f: FileReport, report: StatusReport) -> Recipient | None:
    """The one recipient whose workbook was sent under this file's name (any extension, as a partner
    may save it in another format), for a file that cannot be read; with a note."""
    stem = name_key(Path(f.path).stem)
    found = [r for r in report.recipients if name_key(Path(r.file).stem) == stem]
    if len(found) != 1:
        return None
    found[0].notes.append(f"{file_name(f.path)} cannot be read; counted as theirs by its file name, "
                          "the one their workbook was sent under.")
    return found[0]


def _identity(f: FileReport) -> tuple[str, str]:
    email = f.record.value("respondent_email") if f.record is not None else None
    return name_key(f.respondent), name_key(email)


class _Pool:
    """The recipients a return of one instrument and cycle may belong to, looked up by name and email."""

    def __init__(self, recipients: list[Recipient]):
        self.by_name: dict[str, list[Recipient]] = {}
        self.by_email: dict[str, list[Recipient]] = {}
        for r in recipients:
            self.by_name.setdefault(name_key(r.respondent_name), []).append(r)
            self.by_email.setdefault(name_key(r.email), []).append(r)

    def matches(self, f: FileReport) -> list[Recipient]:
        """The recipients a file names: by the name typed in it, else by its email; narrowed by organization."""
        name, email = _identity(f)
        found = list(self.by_name.get(name, [])) if name else []
        if len(found) > 1:
            found = [r for r in found if name_key(r.organization) == name_key(f.organization)] or found
        if len(found) > 1 and email:
            found = [r for r in found if name_key(r.email) == email] or found
        return found or (list(self.by_email.get(email, [])) if email else [])


def _by_identity(f: FileReport, owner: Recipient | None, pool: _Pool, same_id: list[FileReport]):
    """(recipient, note) for an assessment: its response id's owner unless someone else on the roster filled it.

    ``same_id`` are the readable files with the same response id (``f`` among them).
    """
    found = pool.matches(f)
    if owner is not None and owner in found:
        return owner, None
    if len(found) == 1:
        (person,) = found
        if owner is not None:
            return person, (f"{file_name(f.path)} is {owner.respondent_name}'s workbook, filled in by "
                            f"{person.respondent_name}.")
        return person, f"{file_name(f.path)} was not sent to {person.respondent_name}; matched by name or email."
    if owner is None:
        return None, None
    if any(other is not f and owner in pool.matches(other) for other in same_id):
        return None, None  # the owner's own return is here too: this copy was someone else's
    who = f.respondent or "(no name)"
    return owner, f"{file_name(f.path)} names {who}, not {owner.respondent_name}; counted as theirs."


def _why_unexpected(f: FileReport, owner: Recipient | None, elsewhere: dict, cycles: set | None = None) -> str:
    if f.instrument is None:
        return "not a sheetflow workbook."
    if owner is not None:
        return (f"a copy of {owner.respondent_name}'s workbook filled in by {f.respondent or 'someone'}, "
                "who is not on the manifest.")
    shown = ", ".join(sorted(cycles or ()))
    if f.response_id in elsewhere:
        sent = elsewhere[f.response_id]
        whose = " / ".join(x for x in (sent.organization, sent.respondent_name) if x)
        return (f"a return of cycle {sent.cycle}, the workbook sent to {whose or sent.email} for that cycle; "
                f"not of cycle {shown or 'this one'}.")
    who = " / ".join(x for x in (f.organization, f.respondent) if x)
    if cycles and f.cycle is not None and str(f.cycle) not in cycles:
        return (f"a return of cycle {f.cycle}" + (f" ({who})" if who else "") + f", not of cycle {shown}; "
                "no manifest of that cycle was given to say whose it was.")
    return f"its response id {f.response_id} was not sent to anyone on the manifest" + (f" ({who})." if who else ".")
