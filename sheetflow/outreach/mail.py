"""Emails to the roster: a ready-to-send draft (.eml) per recipient, or sent over SMTP.

Recipients are the rows of the roster's ``manifest.csv`` (one per generated
workbook) with their state from ``status`` (a status.StatusReport; without
returns everyone is outstanding). Each gets the message for its state: an
invitation (or, once returns have been checked, a reminder) with its workbook
attached, or for a return with mistakes the list of what to fix. The words are data: the
``[invitation]``, ``[reminder]`` and ``[problems]`` tables of
``workbook_templates/email.toml`` with ``$placeholders``; a user TOML of the
same shape overrides any of them.

Drafts open as unsent messages (``X-Unsent: 1``) in Outlook, and as messages
to send again in Apple Mail and Thunderbird. Sending records every message in
``OUTBOX/sent.csv`` as soon as the server has accepted it, so a rerun after a
failure sends only the rest and never anything twice. SMTP credentials are
read only from the environment (``SHEETFLOW_SMTP_USER``,
``SHEETFLOW_SMTP_PASSWORD``) and never sent without encryption.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import smtplib
import ssl
import string
import tomllib
import unicodedata
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import policy as email_policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from enum import StrEnum
from pathlib import Path
from typing import Callable, Iterable, Iterator, Mapping

from ..instruments import definitions
from ..errors import OptionMistake, SheetflowError
from ..files import atomic_path
from ..intake.report import for_partner
from ..journals import SENT, SENT_CSV, Appender
from ..names import is_email, safe_file_name, unique_name
from ..intake.report import Status
from ..tracking.status import Recipient, State, StatusReport



class Kind(StrEnum):
    """Which message a recipient gets (a section of email.toml, and sent.csv's ``kind`` column)."""

    INVITATION = "invitation"  # the workbook, first time
    REMINDER = "reminder"  # the workbook again, nothing came back yet
    PROBLEMS = "problems"  # what to fix in a return
    RESEND = "resend"  # what came back cannot be opened: send it again


MAILED = (State.OUTSTANDING, State.PROBLEMS)  # the recipients' states that get a message
KINDS = tuple(Kind)
XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
SENDER_ENV, USER_ENV, PASSWORD_ENV = "SHEETFLOW_SENDER", "SHEETFLOW_SMTP_USER", "SHEETFLOW_SMTP_PASSWORD"
TEMPLATE_FILE = "email.toml"
COMMON_KEYS = ("greeting", "greeting_without_name", "due_sentence", "problem_item")
KIND_KEYS = ("subject", "body", "due_sentence")
REPLY = "reply"  # the [reply] table: `sheetflow reply`'s answer to a partner's email, a section per file
REPLY_KEYS = ("body", "valid", "invalid", "rejected")
SECTIONS = ("common",) + KINDS + (REPLY,)
PLACEHOLDERS = ("greeting", "name", "organization", "region", "cycle", "response_id", "instrument",
                "short_title", "file_name", "due", "due_sentence", "problems", "problem_count",
                "sender_name", "message", "respondent", "received", "reason", "sections")
POLICY = email_policy.SMTP  # CRLF line ends, as both SMTP and .eml files expect


@dataclass
class Draft:
    """A message for one recipient, before it is written or sent."""

    recipient: Recipient
    kind: Kind
    message: EmailMessage


@dataclass
class Skipped:
    recipient: Recipient
    reason: str


@dataclass
class DraftResult:
    written: list = field(default_factory=list)  # Path of each .eml
    kinds: dict = field(default_factory=dict)  # kind -> count
    skipped: list = field(default_factory=list)  # Skipped


@dataclass
class SendResult:
    sent: list = field(default_factory=list)  # (Recipient, message id)
    already_sent: list = field(default_factory=list)  # Recipient, found in sent.csv
    skipped: list = field(default_factory=list)  # Skipped
    log: Path | None = None


# ---------------------------------------------------------------------------------------------- recipients


def prepare(status: StatusReport, only: str | None = None) -> list[Recipient]:
    """Who gets a message, from ``status`` (who has returned what): those outstanding or with
    problems, or only one of them."""
    if only is not None and only not in MAILED:
        raise SheetflowError(f"--only must be one of {', '.join(MAILED)}, not {only!r}.")
    wanted = (only,) if only else MAILED
    return [r for r in status.recipients if r.state in wanted]


# ----------------------------------------------------------------------------------------------- templates


def default_template() -> Path:
    return definitions.templates_dir() / TEMPLATE_FILE


def load_templates(path: Path | None = None) -> dict[str, dict[str, str]]:
    """The message texts: the bundled email.toml, with anything in ``path`` (same shape) replacing it."""
    templates = _read_templates(default_template())
    if path is not None:
        for section, texts in _read_templates(Path(path)).items():
            templates[section].update(texts)
    for section in SECTIONS:
        needed = {"common": COMMON_KEYS, REPLY: REPLY_KEYS}.get(section, ("subject", "body"))
        absent = [k for k in needed if k not in templates[section]]
        if absent:
            raise SheetflowError(f"The email templates have no [{section}] {', '.join(absent)}.")
    return templates


def _read_templates(path: Path) -> dict[str, dict[str, str]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SheetflowError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise SheetflowError(f"{path}: cannot be read as TOML: {exc}") from None
    templates: dict[str, dict[str, str]] = {s: {} for s in SECTIONS}
    for section, table in data.items():
        if section not in templates or not isinstance(table, dict):
            raise SheetflowError(f"{path}: [{section}] is not one of the email templates "
                                 f"({', '.join(templates)}).")
        allowed = {"common": COMMON_KEYS, REPLY: REPLY_KEYS}.get(section, KIND_KEYS)
        for key, text in table.items():
            if key not in allowed:
                raise SheetflowError(f"{path}: [{section}] {key} is not known here (use {', '.join(allowed)}).")
            if not isinstance(text, str):
                raise SheetflowError(f"{path}: [{section}] {key} should be text.")
            unknown = [n for n in string.Template(text).get_identifiers() if n not in PLACEHOLDERS]
            if unknown:
                raise SheetflowError(f"{path}: [{section}] {key} uses ${unknown[0]}, which is not a placeholder "
                                     f"(known: {', '.join('$' + p for p in PLACEHOLDERS)}).")
            templates[section][key] = text
    return templates


def format_due(due: dt.date | None) -> str:
    return f"{due:%A} {due.day} {due:%B %Y}" if due else ""


def render(recipient: Recipient, kind: str, templates: Mapping, instrument=None,
           due: dt.date | None = None, sender_name: str = "") -> tuple[str, str]:
    """(subject, body) of one message, from the templates."""
    common, texts = templates["common"], templates[kind]
    values = {
        "name": one_line(recipient.name), "organization": one_line(recipient.organization),
        "region": one_line(recipient.region), "cycle": recipient.cycle, "response_id": recipient.response_id,
        "instrument": instrument.title if instrument else "workbook",
        "short_title": instrument.short_title if instrument else "Workbook",
        "file_name": recipient.workbook.name, "due": format_due(due), "sender_name": sender_name,
        "problem_count": str(len(recipient.errors)),
    }
    values["greeting"] = greeting(templates, recipient.name, values)
    values["due_sentence"] = fill(texts.get("due_sentence", common["due_sentence"]), values) if due else ""
    values["problems"] = problem_list(templates, recipient.errors, values)
    subject = one_line(fill(texts["subject"], values))
    return subject, tidy(fill(texts["body"], values))


def fill(text: str, values: Mapping[str, str]) -> str:
    """A template's text with its $placeholders filled in (unknown ones left as they are)."""
    return string.Template(text).safe_substitute(values)


def greeting(templates: Mapping, name: str, values: Mapping[str, str]) -> str:
    common = templates["common"]
    return fill(common["greeting"] if name else common["greeting_without_name"], {**values, "name": one_line(name)})


def problem_list(templates: Mapping, messages: Iterable[str], values: Mapping[str, str]) -> str:
    """One line per thing to fix, as [common] problem_item, in the partner's words (without the advice meant
    for the convener)."""
    item = templates["common"]["problem_item"]
    return "\n".join(fill(item, {**values, "message": one_line(for_partner(m))}) for m in messages)


def tidy(body: str) -> str:
    """A message body without trailing spaces and empty paragraphs (a placeholder left empty)."""
    body = re.sub(r"[ \t]+\n", "\n", body.strip("\n"))
    return re.sub(r"\n{3,}", "\n\n", body).strip() + "\n"


# ------------------------------------------------------------------------------------------------ messages


def parse_sender(sender: str | None) -> Address | None:
    """``Name <address>`` (or a bare address) as an Address; None when not given."""
    if not sender or not sender.strip():
        return None
    name, addr = parseaddr(sender.strip())
    if not is_email(addr):
        raise SheetflowError(f"The sender {sender!r} is not an email address (write \"Name <name@example.org>\").")
    return address(name, addr)


def new_message(to: Address, subject: str, body: str, sender: Address | None = None,
                draft: bool = True) -> EmailMessage:
    """A plain-text message with its Date and a new Message-ID; a draft carries ``X-Unsent: 1``. The subject
    is made one line (no header can be added through it)."""
    message = EmailMessage(policy=POLICY)
    if sender:
        message["From"] = sender
    message["To"] = to
    message["Subject"] = one_line(subject)
    message["Date"] = format_datetime(dt.datetime.now().astimezone())
    domain = sender.domain if sender else "sheetflow.invalid"
    message["Message-ID"] = f"<{uuid.uuid4().hex}@{domain}>"  # short enough not to be folded
    if draft:
        message["X-Unsent"] = "1"
    message.set_content(body, cte="quoted-printable")
    return message


def compose(recipient: Recipient, kind: str, templates: Mapping, instrument=None, due: dt.date | None = None,
            sender: Address | None = None, draft: bool = True) -> EmailMessage:
    """The message for one recipient with its workbook attached; a draft carries ``X-Unsent: 1``."""
    subject, body = render(recipient, kind, templates, instrument, due, sender.display_name if sender else "")
    message = new_message(address(recipient.name, recipient.email), subject, body, sender, draft)
    try:
        data = recipient.workbook.read_bytes()
    except OSError as exc:
        raise SheetflowError(f"The workbook for {recipient.name or recipient.response_id} cannot be read: "
                             f"{exc.strerror or exc}: {recipient.workbook}") from None
    name = recipient.workbook.name
    # filename goes out RFC 2231-encoded; Content-Type's name= (for older readers) is kept ASCII because
    # Python's folding garbles the content type when that parameter is not.
    message.add_attachment(data, maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=name,
                           params={"name": _ascii(name)})
    return message


def message_kind(recipient: Recipient, reminder: bool = False) -> Kind:
    """What to write: the problems to fix in a return, or (when what came back could not be opened) a request
    to send it again; else the invitation or a reminder."""
    if recipient.state == State.PROBLEMS:
        rejected = recipient.report is not None and recipient.report.status == Status.REJECTED
        return Kind.RESEND if rejected else Kind.PROBLEMS
    return Kind.REMINDER if reminder else Kind.INVITATION


def plan(recipients: Iterable[Recipient], templates: Mapping, due: dt.date | None = None,
         sender: Address | None = None, reminder: bool = False, draft: bool = True):
    """(drafts, skipped): a message for everyone with a usable address. Fails before any message is
    made when a workbook is missing."""
    drafts, skipped, instruments = [], [], {}
    recipients = list(recipients)
    for r in recipients:
        if not r.workbook.is_file():
            raise SheetflowError(f"The workbook for {r.name or r.response_id} is missing: {r.workbook}")
    for r in recipients:
        if not r.email:
            skipped.append(Skipped(r, "no email address in the manifest"))
            continue
        if not is_email(r.email):
            skipped.append(Skipped(r, f"{r.email!r} is not an email address"))
            continue
        if r.instrument not in instruments:
            instruments[r.instrument] = definitions.load(r.instrument) if r.instrument else None
        kind = message_kind(r, reminder)
        drafts.append(Draft(r, kind, compose(r, kind, templates, instruments[r.instrument], due, sender, draft)))
    return drafts, skipped


def draft_all(recipients: Iterable[Recipient], outbox: Path, templates: Mapping | None = None,
              due: dt.date | None = None, sender: Address | str | None = None, reminder: bool = False,
              force: bool = False) -> DraftResult:
    """Write one .eml draft per recipient into ``outbox``; never replace one unless ``force``."""
    outbox = Path(outbox)
    templates = templates or load_templates()
    sender = parse_sender(sender) if isinstance(sender, str) or sender is None else sender
    drafts, skipped = plan(recipients, templates, due, sender, reminder, draft=True)
    names = unique_names([eml_name(d) for d in drafts])
    targets = [outbox / n for n in names]
    existing = [str(p) for p in targets if p.exists()]
    if existing and not force:
        raise SheetflowError(f"{existing[0]} already exists; use --force to replace it.")
    outbox.mkdir(parents=True, exist_ok=True)
    result = DraftResult(skipped=skipped)
    for d, target in zip(drafts, targets):
        write_bytes(target, d.message.as_bytes(policy=POLICY))
        result.written.append(target)
        result.kinds[d.kind] = result.kinds.get(d.kind, 0) + 1
    return result


def eml_name(d: Draft) -> str:
    return f"{d.recipient.workbook.stem} - {d.kind}.eml"


def unique_names(names: list[str]) -> list[str]:
    """Safe, readable file names (names.safe_file_name), made distinct with (2), (3)…"""
    out: list[str] = []
    used: set[str] = set()
    for name in names:
        name = unique_name(safe_file_name(name, fallback="message"), used)
        used.add(name.casefold())
        out.append(name)
    return out


def write_bytes(path: Path, data: bytes) -> None:
    with atomic_path(path, force=True) as tmp:
        Path(tmp).write_bytes(data)


# ----------------------------------------------------------------------------------------------- sending


def send_all(recipients: Iterable[Recipient], outbox: Path, smtp: str, sender: Address | str | None,
             templates: Mapping | None = None, due: dt.date | None = None, reminder: bool = False,
             starttls: bool = True, env: Mapping | None = None,
             progress: Callable[[int], None] | None = None, on_start: Callable[[int], None] | None = None,
             connect: Callable | None = None, timeout: float = 60) -> SendResult:
    """Send each recipient's message over SMTP, one at a time, recording each in ``outbox/sent.csv``.

    Anyone already recorded there for the same message kind and address is skipped, so running
    again after a failure sends only the rest. An SMTP failure stops the run with SheetflowError
    after everything sent before it has been recorded.
    """
    outbox = Path(outbox)
    templates = templates or load_templates()
    sender = require_sender(sender)
    server = smtp_server(smtp, starttls, env)
    journal = SENT_CSV.appending(outbox / SENT)
    done = _already_sent(journal)
    recipients = list(recipients)
    result = SendResult(log=journal.path)
    todo = []
    for r in recipients:
        if (r.response_id, r.email.lower(), message_kind(r, reminder)) in done:
            result.already_sent.append(r)
        else:
            todo.append(r)
    drafts, result.skipped = plan(todo, templates, due, sender, reminder, draft=False)
    if not drafts:
        return result
    if on_start:
        on_start(len(drafts))
    current = None
    try:
        with journal, smtp_session(server, connect, timeout) as session:
            for d in drafts:
                current = d.recipient
                deliver(session, d.message)
                message_id = d.message["Message-ID"]
                journal.append((d.recipient.response_id, d.recipient.email, message_id, now_utc(), d.kind))
                result.sent.append((d.recipient, message_id))
                if progress:
                    progress(1)
    except SMTP_ERRORS as exc:
        to = f" to {current.email}" if current else ""
        so_far = (f"the {len(result.sent)} sent before that are recorded in {journal.path}; run the same command "
                  "again to send the rest") if result.sent else "nothing was sent"
        raise SheetflowError(f"Sending{to} via {server.where} failed ({smtp_reason(exc)}); {so_far}.") from None
    return result


SMTP_ERRORS = (smtplib.SMTPException, OSError, ssl.SSLError)


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to send: the server, and the credentials from the environment (never printed)."""

    host: str
    port: int
    user: str = ""
    password: str = field(default="", repr=False)
    starttls: bool = True

    @property
    def implicit_tls(self) -> bool:
        return self.port == 465

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def require_sender(sender: Address | str | None) -> Address:
    """The From address for sending; sending without one is refused."""
    sender = parse_sender(sender) if isinstance(sender, str) or sender is None else sender
    if sender is None:
        raise SheetflowError(f"Sending needs a sender: give --sender \"Name <address>\" or set {SENDER_ENV}.")
    return sender


def smtp_server(smtp: str, starttls: bool = True, env: Mapping | None = None) -> SmtpServer:
    """The server of ``--smtp HOST:PORT`` with the credentials of ``env`` (the environment); a password is
    never sent unencrypted."""
    env = os.environ if env is None else env
    host, port = parse_smtp(smtp)
    user, password = env.get(USER_ENV) or "", env.get(PASSWORD_ENV) or ""
    if user and not password:
        raise SheetflowError(f"{USER_ENV} is set but {PASSWORD_ENV} is not.")
    server = SmtpServer(host, port, user, password, starttls)
    if user and not (starttls or server.implicit_tls):
        raise SheetflowError("Refusing to send the SMTP password without encryption (--no-starttls).")
    return server


@contextmanager
def smtp_session(server: SmtpServer, connect: Callable | None = None, timeout: float = 60) -> Iterator:
    """A logged-in SMTP connection (STARTTLS unless turned off; port 465: TLS), closed after the block."""
    session = _connect(connect, server.host, server.port, timeout, server.starttls, server.implicit_tls,
                       server.user, server.password)
    try:
        yield session
    finally:
        try:
            session.quit()
        except (smtplib.SMTPException, OSError):
            session.close()


def deliver(session, message: EmailMessage) -> None:
    """Send one message now (its Date made the moment it goes); raises one of SMTP_ERRORS when refused."""
    message.replace_header("Date", format_datetime(dt.datetime.now().astimezone()))
    session.send_message(message)


def now_utc() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def check_sending(send: bool, smtp: str | None) -> None:
    """--send and --smtp go together (mail and reply): drafts need neither, sending needs both."""
    if send != bool(smtp):
        raise OptionMistake("--send and --smtp HOST:PORT go together.")


def parse_smtp(smtp: str) -> tuple[str, int]:
    host, sep, port = (smtp or "").strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise SheetflowError(f"--smtp should be HOST:PORT, e.g. smtp.example.org:587, not {smtp!r}.")
    return host, int(port)


def _connect(connect, host, port, timeout, starttls, implicit_tls, user, password):
    context = ssl.create_default_context()
    if implicit_tls:
        server: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=timeout, context=context)
    else:
        server = (connect or smtplib.SMTP)(host, port, timeout=timeout)
    try:
        server.ehlo()
        if starttls and not implicit_tls:
            if not server.has_extn("starttls"):
                raise SheetflowError(f"The server {host}:{port} does not offer STARTTLS, so nothing was sent "
                                     "(sheetflow does not send mail unencrypted).")
            server.starttls(context=context)
            server.ehlo()
        if user:
            server.login(user, password)
    except BaseException:
        server.close()
        raise
    return server


def _already_sent(journal: Appender) -> set[tuple[str, str, str]]:
    done = set()
    for row in journal.read():
        if row.get("response_id") and row.get("email"):
            done.add((row["response_id"], row["email"].lower(), row.get("kind") or Kind.INVITATION))
    return done


def smtp_reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [f"{code} {_decode(text)}" for code, text in exc.recipients.values()]
        return "recipient refused: " + "; ".join(codes)
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_decode(exc.smtp_error)}"
    if isinstance(exc, OSError) and not isinstance(exc, ssl.SSLError) and exc.strerror:
        return exc.strerror
    return one_line(str(exc)) or type(exc).__name__


def _decode(text) -> str:
    return one_line(text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text))


# ------------------------------------------------------------------------------------------------ helpers


def address(name: str, addr: str) -> Address:
    """``Name <addr>`` as a header value, the name made one line."""
    local, _, domain = addr.rpartition("@")
    return Address(display_name=one_line(name or ""), username=local, domain=domain)


def one_line(text: str) -> str:
    """Text as one line: runs of white space (line breaks included) as one space."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _ascii(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"\s+", " ", plain).strip() or "workbook.xlsx"
