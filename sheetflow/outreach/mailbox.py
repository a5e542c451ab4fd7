"""Reading received messages and their attachments from mail files, folders and IMAP, never changing them.

    for message in read_sources(["export/"]):        # .eml, .mbox, Maildir, Outlook .msg, folders of them
        message.sender, message.received_at, [a.name for a in message.attachments]
    imap = Imap("mail.example.org", user="convener", password=os.environ[...])
    for message in imap.messages(folder="INBOX", since=date(2026, 3, 1)): ...

A message that cannot be read becomes a ``Message`` with a ``problem`` (one line saying why),
never an exception, so one broken file does not stop a batch. IMAP mailboxes are opened
read-only (EXAMINE) and fetched with BODY.PEEK, so nothing is marked read, moved or deleted.
"""

from __future__ import annotations

import email
import email.policy
import email.utils
import hashlib
import imaplib
import mailbox as stdlib_mailbox
import os
import re
import socket
import ssl
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from ..errors import SheetflowError
from ..names import is_email

MAIL_SUFFIXES = {".eml": "eml", ".mbox": "mbox", ".mbx": "mbox", ".msg": "msg"}
MAX_MESSAGE_BYTES = 100 * 1024 * 1024  # a message file larger than this is listed with a reason, not read
IMAP_BATCH = 20  # messages fetched per IMAP command


@dataclass
class Attachment:
    name: str  # as the sender's program named it: untrusted
    data: bytes


@dataclass
class Message:
    """One received message: who sent it, when it arrived, and its attachments."""

    source: str  # where it was read from (a file, a file and its place in an mbox, or imap://...)
    message_id: str = ""
    received_at: str = ""  # ISO 8601 with its UTC offset
    sender: str = ""  # the From address, lower case
    subject: str = ""
    attachments: list = field(default_factory=list)  # Attachment
    problem: str = ""  # why the message could not be read (then it has no attachments)


def sender_address(value) -> str:
    """The bare address of a From header ("Ana <Ana@Example.org>" -> "ana@example.org"), or "" when it has none
    that is a plain address (names.is_email)."""
    _name, address = email.utils.parseaddr(str(value or ""))
    address = address.strip().lower()
    return address if is_email(address) else ""


def _iso(moment: datetime | None) -> str:
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.isoformat(timespec="seconds")


def _received_time(parsed: email.message.Message) -> datetime | None:
    """When the message arrived: the newest Received header's date, else the sender's Date."""
    for header in parsed.get_all("Received", []) or []:
        stamp = str(header).rpartition(";")[2].strip()
        moment = _date(stamp)
        if moment is not None:
            return moment
    return _date(parsed.get("Date"))


def _date(value) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def from_bytes(raw: bytes, source: str, received: datetime | None = None) -> Message:
    """A message from its raw RFC 5322 bytes; ``received`` (e.g. IMAP's INTERNALDATE) wins over headers."""
    try:
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        message = Message(source=source, message_id=_text(parsed.get("Message-ID")),
                          sender=sender_address(parsed.get("From")), subject=_text(parsed.get("Subject")))
        message.received_at = _iso(received or _received_time(parsed))
        message.attachments = list(_attachments(parsed))
    except Exception as exc:  # noqa: BLE001 - a malformed message is hostile input: one line, not a traceback
        return Message(source=source, message_id=_digest_id(raw),
                       problem=f"this message cannot be read ({type(exc).__name__}: {exc})")
    if not message.message_id:
        message.message_id = _digest_id(raw)
    return message


def _text(value) -> str:
    try:
        return " ".join(str(value or "").split())
    except Exception:  # noqa: BLE001 - a header the email package cannot decode
        return ""


def _digest_id(raw: bytes) -> str:
    """An identity for a message without a Message-ID: the digest of its bytes (same message, same id)."""
    return "no-message-id:" + hashlib.sha256(raw).hexdigest()[:32]


def _attachments(parsed: email.message.Message) -> Iterator[Attachment]:
    for part in parsed.walk():
        if part.is_multipart():
            continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment":
            continue  # the message's own text, or an inline picture without a name
        payload = part.get_payload(decode=True)  # bytes (or None) for a part that is not multipart
        data = payload if isinstance(payload, bytes) else b""
        yield Attachment(name=_text(name) or _unnamed(part), data=data)


def _unnamed(part) -> str:
    subtype = part.get_content_subtype() or "bin"
    return f"attachment.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:8] or 'bin'}"


# -- files and folders ----------------------------------------------------------------------------

def mail_files(paths) -> list[tuple[str, Path]]:
    """(kind, path) for every mail file or Maildir named or inside a named folder, in a stable order.

    ``kind`` is eml, mbox, msg or maildir. A file of another kind inside a folder is passed over
    (a mail export holds indexes and the like); a file named directly must be a mail file.
    """
    found: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given)
        if _is_maildir(path):
            found += _maildirs(path)
        elif path.is_dir():
            for root, dirs, names in os.walk(path):
                here = Path(root)
                for d in sorted(dirs):
                    if _is_maildir(here / d):
                        found += _maildirs(here / d)
                dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not _is_maildir(here / d)
                                 and d not in ("cur", "new", "tmp"))
                for name in sorted(names):
                    kind = MAIL_SUFFIXES.get(Path(name).suffix.lower())
                    if kind and not name.startswith("."):
                        found.append((kind, here / name))
        elif path.is_file():
            kind = MAIL_SUFFIXES.get(path.suffix.lower()) or _sniff(path)
            if kind is None:
                raise SheetflowError(f"{given}: not a mail file (.eml, .mbox, .msg) or folder.")
            found.append((kind, path))
        else:
            raise SheetflowError(f"{given}: no such file or folder.")
    return found


def _maildirs(path: Path) -> list[tuple[str, Path]]:
    """A Maildir and its subfolders (Maildir++ keeps them beside cur/ and new/ as ".Name")."""
    subfolders = sorted(d for d in path.iterdir() if d.name.startswith(".") and _is_maildir(d))
    return [("maildir", path)] + [("maildir", d) for d in subfolders]


def _is_maildir(path: Path) -> bool:
    return path.is_dir() and all((path / d).is_dir() for d in ("cur", "new"))


def _sniff(path: Path) -> str | None:
    """The kind of a mail file without a telling extension (an mbox is often just "Inbox")."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError:
        return None
    if head.startswith(b"From "):
        return "mbox"
    if head == bytes.fromhex("D0CF11E0A1B11AE1"):
        return "msg"
    return None


def read_sources(paths, on_start: Callable[[int], None] | None = None) -> Iterator[Message]:
    """Every message in the mail files and folders ``paths`` (see ``mail_files``), in a stable order.

    ``on_start`` is told how many messages there are before the first is read.
    """
    found = mail_files(paths)
    if on_start:
        on_start(sum(_count(kind, path) for kind, path in found))
    for kind, path in found:
        yield from _read(kind, path)


def _count(kind: str, path: Path) -> int:
    if kind in ("eml", "msg"):
        return 1
    try:
        box = stdlib_mailbox.mbox(path, create=False) if kind == "mbox" else stdlib_mailbox.Maildir(path, create=False)
        return len(box)
    except OSError:
        return 1


def _read(kind: str, path: Path) -> Iterator[Message]:
    try:
        if kind == "eml":
            yield from_bytes(_read_bytes(path), str(path))
        elif kind == "msg":
            yield _from_msg(path)
        elif kind == "mbox":
            yield from _from_mailbox(stdlib_mailbox.mbox(path, create=False), path)
        else:
            yield from _from_mailbox(stdlib_mailbox.Maildir(path, create=False), path)
    except (OSError, SheetflowError) as exc:
        yield Message(source=str(path), message_id=f"unreadable:{path}",
                      problem=f"this mail file cannot be read ({getattr(exc, 'strerror', None) or exc})")


def _read_bytes(path: Path) -> bytes:
    if path.stat().st_size > MAX_MESSAGE_BYTES:
        raise SheetflowError(f"larger than {MAX_MESSAGE_BYTES // 2**20} MB")
    return path.read_bytes()


def _from_mailbox(box, path: Path) -> Iterator[Message]:
    """The messages of an mbox or a Maildir, read as bytes (the stored files are never changed)."""
    for number, key in enumerate(sorted(box.keys()), start=1):
        raw = box.get_bytes(key)
        where = f"{path} (message {number})" if isinstance(box, stdlib_mailbox.mbox) else str(Path(path) / str(key))
        yield from_bytes(raw, where)


def _from_msg(path: Path) -> Message:
    """An Outlook .msg file, read by extract-msg (the format is Microsoft's compound file)."""
    import extract_msg

    try:
        if path.stat().st_size > MAX_MESSAGE_BYTES:
            raise SheetflowError(f"larger than {MAX_MESSAGE_BYTES // 2**20} MB")
        msg: Any
        with extract_msg.openMsg(str(path)) as msg:
            received = getattr(msg, "receivedTime", None) or msg.date
            message = Message(source=str(path), message_id=_text(msg.messageId),
                              sender=sender_address(msg.sender), subject=_text(msg.subject),
                              received_at=_iso(received if isinstance(received, datetime) else None))
            message.attachments = list(_msg_attachments(msg))
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds of errors on damaged files
        return Message(source=str(path), message_id=f"unreadable:{path}",
                       problem=f"this Outlook message cannot be read ({type(exc).__name__}: {exc})")
    if not message.message_id:
        message.message_id = _digest_id(path.read_bytes())
    return message


def _msg_attachments(msg, within: str = "", depth: int = 0) -> Iterator[Attachment]:
    """The files attached to an Outlook message, and those of the Outlook items attached to it (a
    forwarded reply), named "item / file"."""
    for attachment in msg.attachments:
        name = _text(attachment.longFilename or attachment.shortFilename) or "attachment.bin"
        data = attachment.data
        if isinstance(data, bytes):
            yield Attachment(name=within + name, data=data)
        elif hasattr(data, "attachments") and depth < 3:  # an attached Outlook item (an embedded message)
            label = _text(getattr(data, "subject", "")) or name
            yield from _msg_attachments(data, f"{within}{label} / ", depth + 1)
        else:  # an attachment kind with no file inside (a link, a web reference): listed, with nothing in it
            yield Attachment(name=within + name, data=b"")


# -- IMAP ---------------------------------------------------------------------------------------------

class Imap:
    """A read-only IMAP session: the folder is EXAMINEd and messages fetched with BODY.PEEK[].

    TLS (IMAP over SSL, port 993) unless ``tls=False``, which exists only for a local test server.
    """

    def __init__(self, server: str, user: str, password: str | None, tls: bool = True, timeout: float = 60):
        if not password:
            raise SheetflowError("No IMAP password: set the environment variable SHEETFLOW_IMAP_PASSWORD.")
        host, _, port = server.rpartition(":") if ":" in server else (server, "", "")
        try:
            self.port = int(port) if port else (993 if tls else 143)
        except ValueError:
            raise SheetflowError(f"{server}: the IMAP server must be HOST or HOST:PORT.") from None
        self.host, self.user, self.password, self.tls, self.timeout = host, user, password, tls, timeout

    def _connect(self) -> imaplib.IMAP4:
        try:
            if self.tls:
                session: imaplib.IMAP4 = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=ssl.create_default_context(),
                                            timeout=self.timeout)
            else:
                session = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SheetflowError(f"Cannot connect to the IMAP server {self.host}:{self.port} ({exc}).") from None
        try:
            session.login(self.user, self.password)
        except imaplib.IMAP4.error as exc:
            _logout(session)
            raise SheetflowError(f"The IMAP server refused the login for {self.user} ({_said(exc)}).") from None
        return session

    def messages(self, folder: str = "INBOX", since: date | None = None,
                 on_start: Callable[[int], None] | None = None) -> Iterator[Message]:
        """The messages of ``folder`` (received on or after ``since``), oldest first; nothing changes."""
        session = self._connect()
        try:
            kind, data = session.select(_quoted(folder), readonly=True)  # EXAMINE: read-only
            if kind != "OK":
                raise SheetflowError(f"No folder {folder!r} on the IMAP server ({_said(data)}).")
            criteria = ("SINCE", since.strftime("%d-%b-%Y")) if since else ("ALL",)
            kind, data = session.uid("SEARCH", *criteria)
            if kind != "OK":
                raise SheetflowError(f"The IMAP server could not list the messages ({_said(data)}).")
            uids = [u for u in b" ".join(d for d in data if d).split()]
            if on_start:
                on_start(len(uids))
            for start in range(0, len(uids), IMAP_BATCH):
                batch = b",".join(uids[start:start + IMAP_BATCH]).decode()
                kind, data = session.uid("FETCH", batch, "(UID INTERNALDATE BODY.PEEK[])")
                if kind != "OK":
                    raise SheetflowError(f"The IMAP server could not send messages ({_said(data)}).")
                for item in data:
                    if isinstance(item, tuple) and len(item) == 2:
                        yield self._message(folder, item)
        except (OSError, imaplib.IMAP4.error, socket.timeout) as exc:
            raise SheetflowError(f"The IMAP connection to {self.host} failed ({_said(exc)}).") from None
        finally:
            _logout(session)

    def _message(self, folder: str, item: tuple) -> Message:
        head, raw = item
        uid = re.search(rb"UID (\d+)", head)
        where = f"imap://{self.user}@{self.host}/{folder};UID={uid.group(1).decode() if uid else '?'}"
        internal = imaplib.Internaldate2tuple(head)
        received = datetime.fromtimestamp(_timestamp(internal), timezone.utc) if internal else None
        return from_bytes(raw, where, received)


def _timestamp(moment) -> float:
    import time

    return time.mktime(moment)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(value) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:200]


def _logout(session: imaplib.IMAP4) -> None:
    try:
        session.logout()
    except (OSError, imaplib.IMAP4.error):
        pass
