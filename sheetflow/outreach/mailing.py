"""``sheetflow mail`` in one call: who to write to (the manifest's recipients of the cycle in view, set against the
returns), then a draft for each, or each sent over SMTP.

    run = write_mail("sent/", "outbox/", returns=["inbox/"], due=datetime.date(2026, 4, 30))
    print("\\n".join(run.lines()))

Options that do not go together raise ``OptionMistake`` before anything is read; a folder of returns holding none
raises ``SheetflowError`` (without them everyone would look outstanding and get a reminder).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptionMistake, SheetflowError
from ..files import check_folder
from ..progress import Showing, Silent
from ..text import plural
from ..tracking.status import State, cycle_in_view, status
from .mail import DraftResult, SendResult, check_sending, draft_all, load_templates, prepare, send_all


@dataclass
class MailRun:
    """What ``write_mail`` did: the drafts written or the messages sent (``result``), or nobody to write to."""

    outbox: Path
    manifest: Path
    result: DraftResult | SendResult
    smtp: str | None = None
    recipients: int = 0  # in the manifest, of the cycle in view
    nobody: str | None = None  # why nobody was written to (the only, or "outstanding or has problems")
    notes: list[str] = field(default_factory=list)  # the cycle taken, when the manifest holds several
    warnings: list[str] = field(default_factory=list)  # a due date in the past

    def lines(self) -> list[str]:
        """What the terminal says (the recipients not written to are in ``not_written``)."""
        if self.nobody is not None:
            return [*self.notes, f"Nobody to write to: none of the {self.recipients} in {self.manifest} is "
                                 f"{self.nobody}."]
        if isinstance(self.result, SendResult):
            already = self.result.already_sent
            return [*self.notes, f"Sent {plural(self.result.sent, 'message')} via {self.smtp}"
                    + (f"; {len(already)} had been sent before" if already else "")
                    + f" (recorded in {self.result.log})."]
        kinds = ", ".join(f"{kind}: {n}" for kind, n in self.result.kinds.items())
        return [*self.notes, f"Wrote {plural(self.result.written, 'draft')} to {self.outbox}"
                + (f" ({kinds})" if kinds else "") + "; open each and press Send."]

    def not_written(self) -> list[str]:
        return [f"Not written to {s.recipient.name or s.recipient.response_id}: {s.reason}."
                for s in self.result.skipped]


def write_mail(manifest: str | Path, outbox: str | Path, *, returns: Iterable[str | Path] = (),
               only: str | None = None, cycle: str | None = None, due: dt.date | None = None,
               sender: str | None = None, template: str | Path | None = None, send: bool = False,
               smtp: str | None = None, starttls: bool = True, force: bool = False, workers: int = 2,
               showing: Showing = Silent) -> MailRun:
    """Without ``returns`` an invitation for everyone in the manifest of the cycle in view (``cycle``, else its
    latest); with them a reminder for those outstanding and the fix-list for those with problems (``only``:
    one of the two). Drafts (``.eml``) into ``outbox``, never over one unless ``force``; or with ``send``, over
    ``smtp`` (HOST:PORT), each recorded in ``outbox/sent.csv`` as it goes."""
    paths = list(returns)
    check_sending(send, smtp)
    if only and not paths:
        raise OptionMistake(f"--only {only} needs the returns (files or folders) to know "
                            + ("who has not sent theirs back." if only == State.OUTSTANDING
                               else "whose return has problems."))
    warnings = []
    if due and due < dt.date.today():
        warnings.append(f"Warning: the due date {due.isoformat()} is in the past; the emails will say so.")
    folder = check_folder(outbox, "-o names the folder for the messages",
                          not_suffixes=(".eml", ".msg", ".txt", ".csv"))
    templates = load_templates(Path(template) if template else None)
    cycle, note = cycle_in_view(manifest, cycle)
    notes = [note] if note else []
    with showing("Reading returns", 10) as progress:
        report = status(paths, manifest, cycle=cycle, workers=workers, progress=progress.update,
                        on_start=progress.start)
    if paths and not report.files_read:
        from ..intake.report import skipped_summary

        raise SheetflowError(f"{', '.join(map(str, paths))}: no returns there" + (
            f" ({skipped_summary(report.skipped)})" if report.skipped else "") + "; without them everyone "
            f"would look outstanding and get a reminder. Give the folder the returns were saved to, or no folder "
            "to invite everyone.")
    chosen = prepare(report, only)
    run = MailRun(folder, Path(manifest), DraftResult(), smtp, len(report.recipients), notes=notes,
                  warnings=warnings)
    if not chosen:
        run.nobody = only or "outstanding or has problems"
        return run
    if send and smtp:
        with showing("Sending", 1) as progress:
            run.result = send_all(chosen, folder, smtp, sender, templates, due, reminder=bool(paths),
                                  starttls=starttls, progress=progress.update, on_start=progress.start)
    else:
        run.result = draft_all(chosen, folder, templates, due, sender, reminder=bool(paths), force=force)
    return run
