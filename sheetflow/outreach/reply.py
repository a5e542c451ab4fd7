"""Every return answered in reply to the partner's own email: ``sheetflow reply``.

    report = reply("inbox/", "outbox/", manifest="sent/manifest.csv")                     # drafts
    report = reply("inbox/", "outbox/", manifest="sent/manifest.csv", smtp="mail.example.org:587",
                   sender="Dana <dana@example.org>")                                         # sent
    report.to_text(), report.to_dict(), report.needs_convener

For each message ``collect`` saved returns from (its ledger, ``inbox/collected.csv``) and that has
not been answered yet, one reply to its sender, threaded to it (``In-Reply-To`` and ``References``
are its Message-ID, the subject is ``Re:`` and theirs), with one section per file as validation
and ``status`` judge it: valid (what was received, nothing more to do), invalid (what to fix, cell by
cell), cannot be read (why, and how to send it again). A file a newer copy replaces gets no reply.
A file that matches nobody on the manifest, or that came from an address that is not its
recipient's, is not answered: it is listed for the convener, as are unreadable mail, files gone
from the inbox and workbooks carrying someone else's stamp.

``outbox/replied.csv`` records every file answered (or held for the convener) as the work happens,
each row flushed to disk: a reply is recorded as ``sending`` before it goes to the SMTP server and
``sent`` once the server accepted it, so a run killed at any moment answers nothing twice (a reply
cut off between the two is sent again on the next run under the same Message-ID) and leaves nothing
unanswered. Two runs never work on one outbox at once (lock.folder_lock).
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Callable, Mapping

from ..errors import SheetflowError
from ..files import atomic_path
from ..instruments import definitions
from ..intake.report import FileReport, Status, for_partner
from ..text import plural
from ..arrival.ledger import LEDGER, Collected, LedgerRow, read_ledger
from ..journals import REPLIED, REPLIED_CSV, Appender
from ..lock import folder_lock
from ..names import is_email, safe_file_name, unique_name
from ..terminal import shown
from ..senders import accepted_senders, is_recipients_address
from ..arrival.collect import ARCHIVES, NOT_OPENED
from .mail import (POLICY, REPLY, SMTP_ERRORS, SmtpServer, address, deliver, fill, format_due, greeting,
                   load_templates, new_message, now_utc, one_line, parse_sender, problem_list, require_sender,
                   smtp_reason, smtp_server, smtp_session, tidy)
from ..instruments.manifest import manifest_path, read_manifest
from ..tracking.status import Recipient, StatusReport, match, validate_returns

WORKBOOKS = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlsb", ".ods", ".csv"}  # refused, these are returns
MESSAGE_ID = re.compile(r"<[^<>\s\"]{1,250}>")  # a Message-ID fit to thread a reply to


class Outcome(StrEnum):
    """What a file that came back is, as far as the reply goes."""

    VALID = "valid"
    INVALID = "invalid"
    REJECTED = "rejected"  # cannot be read (damaged, not a workbook) or refused by collect
    SUPERSEDED = "superseded"  # a newer copy replaces it: no reply
    HELD = "held"  # not answered: for the convener (see Attention)


ANSWERED = (Outcome.VALID, Outcome.INVALID, Outcome.REJECTED)


class Delivery(StrEnum):
    """What became of a file's reply, as replied.csv records it."""

    WRITING = "writing"  # a draft about to be written
    DRAFT = "draft"
    SENDING = "sending"  # handed to the SMTP server; "sent" follows once the server accepted it
    SENT = "sent"
    FAILED = "failed"  # the server did not take it: answered on the next run
    HELD = "held"  # not answered, listed for the convener
    NOT_ANSWERED = "not answered"  # a newer copy replaces it


SETTLED = {Delivery.DRAFT, Delivery.SENT, Delivery.HELD, Delivery.NOT_ANSWERED}


class Attention(StrEnum):
    """Why something needs the convener."""

    UNEXPECTED = "unexpected"  # matches nobody on the manifest
    OTHER_SENDER = "other sender"  # came from an address that is not its recipient's
    STAMP = "stamp mismatch"  # answered, but the workbook carries another response's stamp
    UNREADABLE = "unreadable mail"  # collect could not read the message
    MISSING = "missing"  # the ledger names a file that is no longer in the inbox
    NO_ADDRESS = "no address"  # the message has no sender address to answer
    NOT_SENT = "not sent"  # the SMTP server refused the reply


@dataclass
class Section:
    """One file of a message, and what the reply says about it."""

    row: LedgerRow
    outcome: Outcome
    report: FileReport | None = None
    recipient: Recipient | None = None
    reason: str = ""  # rejected: why it cannot be read; held: why it is not answered

    @property
    def file(self) -> str:
        return self.row.file or self.row.attachment

    @property
    def name(self) -> str:
        """The file as the partner named it (a zip's member without the zip)."""
        return re.split(r"[/\\]", self.row.attachment.rpartition(" / ")[2])[-1] or self.file


@dataclass
class ForConvener:
    attention: Attention
    message_id: str
    sender: str
    file: str
    reason: str

    def to_dict(self) -> dict:
        return {"attention": self.attention.value, "message_id": self.message_id, "sender": self.sender,
                "file": self.file, "reason": self.reason}


@dataclass
class Answer:
    """The reply to one message."""

    message_id: str
    to: str
    subject: str  # the reply's
    sections: list = field(default_factory=list)  # Section, answered ones only
    delivery: Delivery = Delivery.DRAFT
    reply_id: str = ""
    draft: str = ""  # the .eml written, for a draft
    error: str = ""  # why it was not sent

    def to_dict(self) -> dict:
        return {"message_id": self.message_id, "to": self.to, "subject": self.subject,
                "delivery": self.delivery.value, "reply_id": self.reply_id, "draft": self.draft or None,
                "error": self.error or None,
                "files": [{"file": s.file, "outcome": s.outcome.value} for s in self.sections]}


@dataclass
class ReplyReport:
    """What a run answered, by outcome, and what needs the convener."""

    outbox: str
    journal: str
    sending: bool = False
    answered: list = field(default_factory=list)  # Answer, drafted or sent
    failed: list = field(default_factory=list)  # Answer the server refused (answered on the next run)
    not_answered: list = field(default_factory=list)  # Section replaced by a newer copy
    for_convener: list = field(default_factory=list)  # ForConvener
    earlier: int = 0  # files answered or held by earlier runs

    @property
    def by_outcome(self) -> dict[str, int]:
        counts = {o.value: 0 for o in ANSWERED}
        for answer in self.answered:
            for s in answer.sections:
                counts[s.outcome.value] += 1
        return counts

    @property
    def needs_convener(self) -> bool:
        return bool(self.for_convener or self.failed)

    def to_dict(self) -> dict:
        delivery = Delivery.SENT if self.sending else Delivery.DRAFT
        return {"outbox": self.outbox, "journal": self.journal, "delivery": delivery,
                "answered": [a.to_dict() for a in self.answered], "by_outcome": self.by_outcome,
                "failed": [a.to_dict() for a in self.failed],
                "not_answered": [{"message_id": s.row.message_id, "file": s.file, "outcome": s.outcome.value}
                                 for s in self.not_answered],
                "for_convener": [c.to_dict() for c in self.for_convener], "answered_before": self.earlier}

    def to_text(self) -> str:
        """The digest for the convener: each reply, then what needs them, then the counts."""
        lines = []
        for a in self.answered:
            files = "; ".join(f"{s.outcome.value}: {shown(s.name)}" for s in a.sections)
            lines.append(f"{'sent' if a.delivery == Delivery.SENT else 'draft'} to {shown(a.to)}, "
                         f"\"{shown(a.subject)}\": {files}")
        for a in self.failed:
            lines.append(f"NOT SENT to {shown(a.to)}: \"{shown(a.subject)}\" ({shown(a.error)}); "
                         "it is answered on the next run.")
        if self.for_convener:
            lines += ["", "Needs you (not answered, or answered with a question):"]
            lines += [f"  {c.attention.value}: {shown(c.file) or '(message)'} from "
                      f"{shown(c.sender) or 'an unknown sender'}: {shown(c.reason)}" for c in self.for_convener]
        counts = self.by_outcome
        done = "sent" if self.sending else "drafted"
        lines += ["" if lines else "",
                  f"{_replies(self.answered)} {done} ({counts['valid']} valid, {counts['invalid']} to fix, "
                  f"{counts['rejected']} cannot be read)"
                  + (f"; {_replies(self.failed)} not sent" if self.failed else "")
                  + (f"; {plural(self.not_answered, 'older copy')} not answered (a newer one came)"
                     if self.not_answered else "")
                  + f"; {len(self.for_convener)} for you; {self.earlier} files answered before. "
                  f"Recorded in {self.journal}."]
        return "\n".join(lines).strip("\n")


PathLike = str | os.PathLike[str]


def reply(inbox: PathLike, outbox: PathLike, manifest: PathLike | None = None, templates: Mapping | None = None,
          sender: Address | str | None = None, smtp: str | None = None, starttls: bool = True,
          env: Mapping | None = None, workers: int = 2, connect: Callable | None = None, timeout: float = 60,
          progress: Callable[[int], None] | None = None, on_start: Callable[[int], None] | None = None) -> ReplyReport:
    """Answer every message of ``inbox`` not answered yet: drafts in ``outbox``, or sent via ``smtp``."""
    inbox, outbox = Path(inbox), Path(outbox)
    if not inbox.is_dir():
        raise SheetflowError(f"{inbox}: no such folder (give the inbox `sheetflow collect` saved the returns in).")
    if not (inbox / LEDGER).is_file():
        raise SheetflowError(f"{inbox} has no {LEDGER}: reply answers the messages `sheetflow collect` saved "
                             "returns from; run collect into that folder first.")
    if outbox.exists() and not outbox.is_dir():
        raise SheetflowError(f"{outbox} is a file, not a folder: -o names the folder for the replies.")
    templates = templates or load_templates()
    server = smtp_server(smtp, starttls, env) if smtp else None
    from_address = require_sender(sender) if server else (
        parse_sender(sender) if isinstance(sender, str) or sender is None else sender)
    manifest_file = manifest_path(manifest) if manifest is not None else None
    if manifest_file is not None:
        read_manifest(manifest_file)  # a wrong manifest fails before anything is read
    ledger = read_ledger(inbox)
    with folder_lock(outbox, "reply"):
        journal = REPLIED_CSV.appending(outbox / REPLIED)
        last = {(r["message_id"], r["file"], r["sha256"]): r for r in journal.read()}  # the latest row wins
        report = ReplyReport(outbox=str(outbox), journal=str(journal.path), sending=server is not None)
        report.earlier = sum(_delivery(r) in SETTLED for r in last.values())
        pending: dict[str, list[LedgerRow]] = {}
        for row in ledger:
            key = (row.message_id, row.file or row.attachment, row.sha256)
            if _is_return(row) and _delivery(last.get(key)) not in SETTLED:
                pending.setdefault(row.message_id, []).append(row)
        if not pending:
            return report
        judge = _Judge(inbox, manifest_file, workers, progress, on_start)
        with journal:
            answers = []
            for message_id, rows in pending.items():
                answer = _answer(message_id, rows, judge, report, journal)
                if answer is not None:
                    earlier = [last.get((message_id, s.file, s.row.sha256)) for s in answer.sections]
                    answer.reply_id = next((r["reply_id"] for r in earlier if r and r.get("reply_id")), "")
                    answer.draft = next((r["draft"] for r in earlier if r and r.get("draft")), "")
                    answers.append((answer, _compose(answer, templates, from_address, server is None)))
            if server is None:
                _write_drafts(answers, outbox, journal, report)
            else:
                _send(answers, server, journal, report, connect, timeout)
    return report


def _delivery(row: dict | None) -> Delivery | None:
    try:
        return Delivery(row["delivery"]) if row else None
    except ValueError:
        return None


def _is_return(row: LedgerRow) -> bool:
    """A ledger row a reply is about: a saved file, an unreadable message, or a refused workbook or archive
    (a logo or a signature refused by collect is no return)."""
    if row.status == Collected.SAVED:
        return True
    if row.status != Collected.REFUSED:
        return False  # a duplicate: its bytes were answered with the first copy
    if not row.attachment:
        return True  # the message itself could not be read
    name = row.attachment.rpartition(" / ")[2]
    if PurePosixPath(name).name in (".DS_Store", "Thumbs.db") or name.startswith("__MACOSX"):
        return False
    return PurePosixPath(name.replace("\\", "/")).suffix.lower() in WORKBOOKS | ARCHIVES | NOT_OPENED


class _Judge:
    """The inbox validated (once, when first needed) and, with a manifest, matched to its recipients."""

    def __init__(self, inbox: Path, manifest: Path | None, workers: int, progress: Callable[[int], None] | None,
                 on_start: Callable[[int], None] | None):
        self.inbox, self.manifest = inbox, manifest
        self.workers, self.progress, self.on_start = workers, progress, on_start
        self._files: dict[str, FileReport] | None = None
        self.status: StatusReport | None = None
        self.owner: dict[int, Recipient] = {}
        self.unexpected: dict[int, str] = {}
        self.accepted = accepted_senders(inbox)  # the addresses the convener accepted (senders.ACCEPTED_FILE)

    def is_recipients(self, recipient: Recipient, sender: str) -> bool:
        return is_recipients_address(recipient.email, sender, accepted=self.accepted)

    def file(self, row: LedgerRow) -> FileReport | None:
        if self._files is None:
            self._validate()
        assert self._files is not None
        return self._files.get(os.path.realpath(self.inbox / row.file))

    def _validate(self) -> None:
        if self.manifest is not None:
            validation = validate_returns([self.inbox], self.manifest, workers=self.workers,
                                          progress=self.progress, on_start=self.on_start)
            self.status = match(validation, read_manifest(self.manifest), manifest=self.manifest)
            self.owner = {id(f): r for r in self.status.recipients for f in r.returns}
            self.unexpected = {id(u.report): u.reason for u in self.status.unexpected}
        else:
            from ..intake.validate import validate_paths

            validation = validate_paths([self.inbox], workers=self.workers, progress=self.progress,
                                        on_start=self.on_start, empty_ok=True)
        self._files = {os.path.realpath(f.path): f for f in validation.files}

    def recipients_at(self, sender: str) -> list[Recipient]:
        if self._files is None:
            self._validate()
        return [r for r in (self.status.recipients if self.status else []) if self.is_recipients(r, sender)]


def _judged(row: LedgerRow, judge: _Judge) -> tuple[Section, list[tuple[Attention, str]]]:
    """The section for one file of a message, and what the convener should hear of it."""
    if row.status == Collected.REFUSED:
        reason = row.reason or "it was refused"
        if not row.attachment:
            return Section(row, Outcome.HELD, reason=reason), [(Attention.UNREADABLE, f"the message {reason}")]
        owner = None
        if judge.manifest is not None:
            found = judge.recipients_at(row.sender)
            if not found:
                why = f"came from {row.sender or 'an unknown sender'}, who is not on the manifest"
                return Section(row, Outcome.HELD, reason=why), [(Attention.UNEXPECTED, why)]
            owner = found[0]
        return Section(row, Outcome.REJECTED, recipient=owner, reason=for_partner(reason)), []
    f = judge.file(row)
    if f is None:
        why = "the ledger names this file but it is not in the inbox (moved or deleted?)"
        return Section(row, Outcome.HELD, reason=why), [(Attention.MISSING, why)]
    if f.status == Status.SUPERSEDED:
        return Section(row, Outcome.SUPERSEDED, report=f), []
    owner = None
    notes: list[tuple[Attention, str]] = []
    if judge.manifest is not None:
        owner = judge.owner.get(id(f))
        if owner is None:
            why = judge.unexpected.get(id(f), "it matches nobody on the manifest.")
            return Section(row, Outcome.HELD, report=f, reason=why), [(Attention.UNEXPECTED, why)]
        if not judge.is_recipients(owner, row.sender):
            why = (f"it is {owner.name}'s return ({owner.email or 'no address on the manifest'}), but came from "
                   f"{row.sender or 'an unknown sender'}; not answered")
            return Section(row, Outcome.HELD, report=f, recipient=owner, reason=why), [(Attention.OTHER_SENDER, why)]
        if f.response_id and f.response_id != owner.response_id and f.status != Status.REJECTED:
            said = [n for n in owner.notes if Path(f.path).name in n]
            notes.append((Attention.STAMP, said[0] if said else
                          f"it carries the stamp of response {f.response_id}, not {owner.name}'s "
                          f"({owner.response_id}); answered as theirs"))
    outcome = Outcome(f.status)
    reason = for_partner(f.errors[0].message) if outcome == Outcome.REJECTED and f.errors else ""
    return Section(row, outcome, report=f, recipient=owner, reason=reason), notes


def _answer(message_id: str, rows: list[LedgerRow], judge: _Judge, report: ReplyReport,
            journal: Appender) -> Answer | None:
    """The reply to one message (None when nothing in it is answered); the files held or not answered are
    recorded at once."""
    first = rows[0]
    sections = []
    for row in rows:
        section, notes = _judged(row, judge)
        for attention, why in notes:
            report.for_convener.append(ForConvener(attention, message_id, row.sender, section.name, why))
        sections.append(section)
    answered = [s for s in sections if s.outcome in ANSWERED]
    if answered and not is_email(first.sender):
        why = "the message has no sender address to answer"
        report.for_convener.append(ForConvener(Attention.NO_ADDRESS, message_id, first.sender, answered[0].name, why))
        for s in answered:
            s.outcome, s.reason = Outcome.HELD, why
        answered = []
    for s in sections:
        if s.outcome == Outcome.HELD:
            journal.append(_row(s, Delivery.HELD, reason=s.reason))
        elif s.outcome == Outcome.SUPERSEDED:
            journal.append(_row(s, Delivery.NOT_ANSWERED))
            report.not_answered.append(s)
    if not answered:
        return None
    subject = first.subject.strip()
    subject = subject if re.match(r"(?i)re\s*:", subject) else f"Re: {subject or 'your email'}"
    return Answer(message_id=message_id, to=first.sender, subject=subject, sections=answered)


def _row(s: Section, delivery: Delivery, answer: Answer | None = None, reason: str = "") -> list[str]:
    return [s.row.message_id, s.file, s.row.sha256, s.outcome.value, delivery.value, now_utc(),
            answer.reply_id if answer else "", answer.to if answer else "", answer.draft if answer else "",
            one_line(reason)]


def _compose(answer: Answer, templates: Mapping, sender: Address | None, draft: bool) -> EmailMessage:
    """The reply: threaded to their message, a section per file."""
    texts = templates[REPLY]
    first = answer.sections[0].row
    name = next((s.recipient.name for s in answer.sections if s.recipient is not None), "")
    try:
        received = format_due(dt.datetime.fromisoformat(first.received_at).date())
    except ValueError:
        received = "recently"
    values = {"received": received, "sender_name": sender.display_name if sender else "", "name": one_line(name)}
    values["greeting"] = greeting(templates, name, values)
    sections = [tidy(fill(texts[s.outcome.value], _section_values(s, templates, values))).strip()
                for s in answer.sections]
    body = tidy(fill(texts["body"], {**values, "sections": "\n\n".join(sections)}))
    message = new_message(address(name, answer.to), answer.subject, body, sender, draft)
    if MESSAGE_ID.fullmatch(answer.message_id):
        message["In-Reply-To"] = answer.message_id
        message["References"] = answer.message_id
    return message


def _section_values(s: Section, templates: Mapping, common: dict) -> dict:
    f, r = s.report, s.recipient
    instrument = _instrument_title(f.instrument if f else (r.instrument if r else None))
    errors = [e.message for e in f.errors] if f is not None and s.outcome == Outcome.INVALID else []
    values = {**common, "file_name": f"\"{one_line(s.name)}\"", "instrument": instrument,
              "organization": one_line((r.organization if r else "") or (f.organization if f else "") or
                                       "your organization"),
              "respondent": one_line((r.respondent_name if r else "") or (f.respondent if f else "") or "you"),
              "reason": one_line(s.reason), "problem_count": str(len(errors))}
    values["problems"] = problem_list(templates, errors, values)
    return values


def _instrument_title(instrument_id: str | None) -> str:
    try:
        known = definitions.load_all().get(instrument_id or "")  # a stamp is the file's word: never a path
        return known.title if known is not None else "workbook"
    except SheetflowError:
        return "workbook"


def _draft_name(answer: Answer) -> str:
    day = answer.sections[0].row.received_at[:10] or "undated"
    return safe_file_name(f"{day} - {answer.to} - {answer.subject}.eml", fallback="reply")


def _write_drafts(answers: list[tuple[Answer, EmailMessage]], outbox: Path, journal: Appender,
                  report: ReplyReport) -> None:
    """Each reply as an .eml draft: recorded as being written, written (never over another file), recorded."""
    taken = {name.casefold() for name in os.listdir(outbox)}
    for answer, message in answers:
        if answer.reply_id:
            message.replace_header("Message-ID", answer.reply_id)
        answer.reply_id = message["Message-ID"]
        target = outbox / answer.draft if answer.draft else None
        if target is None or not target.is_file():  # a draft recorded as being written is there already
            if target is None:
                answer.draft = unique_name(_draft_name(answer), taken)
                taken.add(answer.draft.casefold())
                target = outbox / answer.draft
            for s in answer.sections:
                journal.append(_row(s, Delivery.WRITING, answer))
            with atomic_path(target) as tmp:
                Path(tmp).write_bytes(message.as_bytes(policy=POLICY))
        for s in answer.sections:
            journal.append(_row(s, Delivery.DRAFT, answer))
        answer.delivery, answer.draft = Delivery.DRAFT, str(target)
        report.answered.append(answer)


def _send(answers: list[tuple[Answer, EmailMessage]], server: SmtpServer, journal: Appender, report: ReplyReport,
          connect: Callable | None, timeout: float) -> None:
    """Send each reply: recorded as sending, handed to the server, recorded as sent (or failed)."""
    remaining = list(answers)
    connected = False
    try:
        with smtp_session(server, connect, timeout) as session:
            connected = True
            while remaining:
                answer, message = remaining[0]
                if answer.reply_id:  # cut off while sending before: the same message again
                    message.replace_header("Message-ID", answer.reply_id)
                answer.reply_id = message["Message-ID"]
                for s in answer.sections:
                    journal.append(_row(s, Delivery.SENDING, answer))
                try:
                    deliver(session, message)
                except (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
                    _failed(answer, smtp_reason(exc), journal, report)  # the server goes on: so do we
                    remaining.pop(0)
                    continue
                except SMTP_ERRORS as exc:
                    _failed(answer, smtp_reason(exc), journal, report)
                    remaining.pop(0)
                    raise
                for s in answer.sections:
                    journal.append(_row(s, Delivery.SENT, answer))
                answer.delivery = Delivery.SENT
                report.answered.append(answer)
                remaining.pop(0)
    except SMTP_ERRORS as exc:
        reason = smtp_reason(exc)
        if not connected:
            raise SheetflowError(f"Connecting to {server.where} failed ({reason}); nothing was sent, and the "
                                 f"{_replies(remaining)} go out on the next run.") from None
        for answer, _message in remaining:
            answer.error = f"not tried: {reason}"
            report.failed.append(answer)


def _failed(answer: Answer, reason: str, journal: Appender, report: ReplyReport) -> None:
    answer.delivery, answer.error = Delivery.FAILED, reason
    for s in answer.sections:
        journal.append(_row(s, Delivery.FAILED, answer, reason))
    report.failed.append(answer)
    report.for_convener.append(ForConvener(Attention.NOT_SENT, answer.message_id, answer.to,
                                           answer.sections[0].name, f"the server did not take the reply: {reason}"))


def _replies(items: list) -> str:
    return f"{len(items)} repl{'y' if len(items) == 1 else 'ies'}"


