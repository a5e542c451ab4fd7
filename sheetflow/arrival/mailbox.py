"""Reading received messages and their attachments from mail files, folders and IMAP, never changing them.

    for message in read_sources(["export/"]):        # .eml, .mbox, Maildir, Outlook .msg, folders of them
        message.sender, message.received_at, [a.name for a in message.attachments]
    (IMAP folders: ``imap.Imap``.)

A message that cannot be read becomes a ``Message`` with a ``problem`` (one line saying why),
never an exception, so one broken file does not stop a batch.
"""

from __future__ import annotations

import base64
import email
import email.message
import email.policy
import email.utils
import hashlib
import os
import quopri
import re
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from ..errors import SheetflowError
from ..names import is_email

if TYPE_CHECKING:
    from extract_msg import MSGFile  # imported where an Outlook file is read: most collections have none

MAIL_SUFFIXES = {".eml": "eml", ".mbox": "mbox", ".mbx": "mbox", ".msg": "msg"}
# One message, from any source: a larger one is listed with a reason, not read. Reading a message takes
# about eight times its size (Python's email package), so this cap bounds collect's memory: a 20 MB
# workbook, base64-encoded, fits; mail services refuse larger messages (25 MB at Gmail, 20 MB at Outlook.com).
MAX_MESSAGE_BYTES = 30 * 1024 * 1024
MAX_HEADER_CHARS = 4000  # a header longer than this is cut before it is decoded (decoding is not linear)
MAX_TEXT = 1000  # characters kept of a decoded subject or name
MAX_DEPTH = 5  # messages attached inside messages, opened this deep
HEAD_BYTES = 64 * 1024  # read of a message too large to read, for its sender and subject
IMAP_BATCH = 20  # messages fetched per IMAP command (and at most MAX_MESSAGE_BYTES in all)
LINE = 1 << 16  # an mbox is read in lines of at most this many bytes


@dataclass
class Attachment:
    name: str  # as the sender's program named it: untrusted
    data: bytes
    content_type: str = ""  # as the sender's program declared it: untrusted


@dataclass
class Message:
    """One received message: who sent it, when it arrived, and its attachments."""

    source: str  # where it was read from (a file, a file and its place in an mbox, or imap://...)
    message_id: str = ""
    received_at: str = ""  # ISO 8601 with its UTC offset
    sender: str = ""  # the From address, lower case
    subject: str = ""
    attachments: list[Attachment] = field(default_factory=list)
    problem: str = ""  # why the message (or mail file) could not be read (then it has no attachments)
    authentication: str = ""  # the checks the receiving server recorded as failed ("spf=fail dmarc=fail")


class _CappedPolicy(email.policy.EmailPolicy):
    """The standard policy, with each header cut to MAX_HEADER_CHARS before it is decoded: decoding a header
    of thousands of encoded words takes time and memory growing with the square of its length."""

    def header_fetch_parse(self, name: str, value: str) -> str:
        if len(value) > MAX_HEADER_CHARS:
            cut = value[:MAX_HEADER_CHARS]
            value = cut[:cut.rfind(" ")] if " " in cut else cut
        return super().header_fetch_parse(name, value)


POLICY = _CappedPolicy()


def sender_address(value: str | None) -> str:
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


def _date(value: str | None) -> datetime | None:
    try:
        return email.utils.parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError):
        return None


def from_bytes(raw: bytes, source: str, received: datetime | None = None) -> Message:
    """A message from its raw RFC 5322 bytes; ``received`` (e.g. IMAP's INTERNALDATE) wins over headers."""
    try:
        parsed = email.message_from_bytes(raw, policy=POLICY)
        if not parsed.keys():
            return Message(source=source, message_id=_digest_id(raw),
                           problem="this is not a mail message (it has no headers)")
        message = _described(parsed, source, received)
        message.attachments = list(_attachments(parsed))
    except Exception as exc:  # noqa: BLE001 - a malformed message is hostile input: one line, not a traceback
        return Message(source=source, message_id=_digest_id(raw),
                       problem=f"this message cannot be read ({type(exc).__name__}: {str(exc)[:200]})")
    if not message.message_id:
        message.message_id = _digest_id(raw)
    return message


def _described(parsed: email.message.Message, source: str, received: datetime | None = None) -> Message:
    """A message's identity, sender, subject, time and authentication failures (its attachments not read)."""
    message = Message(source=source, message_id=_text(parsed.get("Message-ID"))[:300],
                      sender=sender_address(parsed.get("From")), subject=_text(parsed.get("Subject")))
    message.received_at = _iso(received or _received_time(parsed))
    message.authentication = _authentication(parsed)
    return message


def too_large(head: bytes, source: str, size: int, received: datetime | None = None) -> Message:
    """A message larger than MAX_MESSAGE_BYTES, described from its first bytes (``head``), with its reason."""
    try:
        headers, _sep, _body = head.partition(b"\n\n") if b"\r\n\r\n" not in head else head.partition(b"\r\n\r\n")
        message = _described(email.message_from_bytes(headers, policy=POLICY), source, received)
    except Exception:  # noqa: BLE001 - the headers of a hostile message: described as unknown
        message = Message(source=source)
    message.message_id = message.message_id or _digest_id(head + str(size).encode())
    message.problem = (f"the message is larger than {MAX_MESSAGE_BYTES // 2**20} MB ({size / 2**20:.0f} MB), so it "
                       "was not read; ask for the workbook alone, or collect it by hand")
    return message


AUTH_RESULT = re.compile(r"\b(spf|dkim|dmarc)\s*=\s*(fail|softfail|permerror)\b", re.IGNORECASE)


def _authentication(parsed: email.message.Message) -> str:
    """The checks the receiving server recorded as failed in Authentication-Results ("spf=fail dmarc=fail")."""
    failed: list[str] = []
    for header in (parsed.get_all("Authentication-Results") or [])[:10]:
        for method, result in AUTH_RESULT.findall(str(header)):
            found = f"{method.lower()}={result.lower()}"
            if found not in failed:
                failed.append(found)
    return " ".join(failed)


def _text(value: str | None) -> str:
    try:
        return " ".join(str(value or "").split())[:MAX_TEXT]
    except Exception:  # noqa: BLE001 - a header the email package cannot decode
        return ""


def _digest_id(raw: bytes) -> str:
    """An identity for a message without a Message-ID: the digest of its bytes (same message, same id)."""
    return "no-message-id:" + hashlib.sha256(raw).hexdigest()[:32]


def _attachments(parsed: email.message.Message, within: str = "", depth: int = 0) -> Iterator[Attachment]:
    """The files attached to a message, and those of the messages attached to it (a forwarded message,
    however it is encoded, MAX_DEPTH deep), named "subject / file"."""
    for part in _parts(parsed):
        if part.get_content_type() == "message/rfc822" or (
                part.get_content_type() == "application/octet-stream" and _suffix_of(part) == ".eml"):
            inner = _attached_message(part)
            if inner is not None and depth < MAX_DEPTH:
                label = _text(inner.get("Subject")) or _text(part.get_filename()) or "attached message"
                yield from _attachments(inner, f"{within}{label} / ", depth + 1)
                continue
        name = part.get_filename()
        disposition = part.get_content_disposition()
        if not name and disposition != "attachment":
            continue  # the message's own text, or an inline picture without a name
        data = part.get_payload(decode=True) or b""
        yield Attachment(name=within + (_text(name) or _unnamed(part)), data=data if isinstance(data, bytes) else b"",
                         content_type=part.get_content_type())


def _parts(message: email.message.Message) -> Iterator[email.message.Message]:
    """The leaf parts of a message, and each attached message as one part (not opened here)."""
    if message.get_content_type() == "message/rfc822" and message is not None:
        yield message
        return
    if message.is_multipart():
        for sub in message.get_payload():
            if isinstance(sub, email.message.Message):
                yield from _parts(sub)
        return
    yield message


def _suffix_of(part: email.message.Message) -> str:
    return Path(_text(part.get_filename())).suffix.lower()


def _attached_message(part: email.message.Message) -> email.message.Message | None:
    """The message inside a message/rfc822 part (as the parser read it, or decoded from base64 or
    quoted-printable, which mail programs use although the standard does not allow it)."""
    encoding = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    payload = part.get_payload()
    if isinstance(payload, list) and payload and encoding not in ("base64", "quoted-printable"):
        inner = payload[0]
        return inner if isinstance(inner, email.message.Message) else None
    if isinstance(payload, list) and payload:  # parsed as if it were plain: its "body" is the encoded text
        first = payload[0]
        text = first.get_payload() if isinstance(first, email.message.Message) else None
        if not isinstance(text, str):
            return None
        raw = (base64.b64decode(text.encode("ascii", "replace"), validate=False) if encoding == "base64"
               else quopri.decodestring(text.encode("ascii", "replace")))
    else:
        decoded = part.get_payload(decode=True)
        raw = decoded if isinstance(decoded, bytes) else b""
    if not raw:
        return None
    inner = email.message_from_bytes(raw, policy=POLICY)
    return inner if inner.keys() else None


def _unnamed(part: email.message.Message) -> str:
    subtype = part.get_content_subtype() or "bin"
    return f"attachment.{re.sub(r'[^a-z0-9]', '', subtype.lower())[:8] or 'bin'}"


# -- files and folders ----------------------------------------------------------------------------

def mail_files(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[str, Path]]:
    """(kind, path) for every mail file or Maildir named or inside a named folder, in a stable order.

    ``kind`` is eml, mbox, msg or maildir; or "special" for a named pipe, device or socket, which is
    never opened (a pipe would wait forever) and is listed with a reason. A file of another kind inside
    a folder is passed over (a mail export holds indexes and the like); a file named directly must be a
    mail file.
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
                        found.append((kind if _is_regular(here / name) else "special", here / name))
        elif _special(path):
            found.append(("special", path))
        elif path.is_file():
            kind = MAIL_SUFFIXES.get(path.suffix.lower()) or _sniff(path)
            if kind is None:
                raise SheetflowError(f"{given}: not a mail file (.eml, .mbox, .msg) or folder.")
            found.append((kind, path))
        else:
            raise SheetflowError(f"{given}: no such file or folder.")
    return found


def _is_regular(path: Path) -> bool:
    try:
        return stat.S_ISREG(os.stat(path).st_mode)
    except OSError:
        return True  # a file that vanished or cannot be read: reading it says why


def _special(path: Path) -> str | None:
    """What a named pipe, device or socket is, in words; None for anything else (or nothing)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


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


def read_sources(paths: Iterable[str | os.PathLike[str]], on_start: Callable[[int], None] | None = None,
                 found: list[tuple[str, Path]] | None = None) -> Iterator[Message]:
    """Every message in the mail files and folders ``paths`` (see ``mail_files``; or the list it gave,
    ``found``), in a stable order. ``on_start`` is told how many messages there are before the first is read.
    """
    found = mail_files(paths) if found is None else found
    if on_start:
        on_start(sum(_count(kind, path) for kind, path in found))
    for kind, path in found:
        yield from _read(kind, path)


def _count(kind: str, path: Path) -> int:
    try:
        if kind == "mbox":
            return sum(1 for _ in _mbox_starts(path))
        if kind == "maildir":
            return len(_maildir_files(path))
    except OSError:
        pass
    return 1


def _read(kind: str, path: Path) -> Iterator[Message]:
    try:
        if kind == "special":
            yield Message(source=str(path), message_id=f"not-read:{path}",
                          problem=f"{_special(path) or 'not a regular file'}, not a mail file: passed over, never opened")
        elif kind == "eml":
            yield _from_file(path, str(path))
        elif kind == "msg":
            yield _from_msg(path)
        elif kind == "mbox":
            yield from _from_mbox(path)
        else:
            yield from _from_maildir(path)
    except (OSError, SheetflowError) as exc:
        yield Message(source=str(path), message_id=f"unreadable:{path}",
                      problem=f"this mail file cannot be read ({getattr(exc, 'strerror', None) or exc})")


def _from_file(path: Path, where: str) -> Message:
    """The message in one file (an .eml, or a Maildir's file): read whole only when it is not too large."""
    if _special(path):  # before opening: opening a pipe waits for a writer, forever
        return Message(source=where, message_id=f"not-read:{path}",
                       problem=f"{_special(path)}, not a mail file: passed over, never opened")
    with open(path, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_size > MAX_MESSAGE_BYTES:
            return too_large(handle.read(HEAD_BYTES), where, info.st_size)
        return from_bytes(handle.read(info.st_size + 1), where)  # read(cap) would set aside the cap at once


def _mbox_starts(path: Path) -> Iterator[int]:
    """The offset of each message's "From " line in an mbox, found in one pass in bounded memory."""
    with open(path, "rb") as handle:
        at, line_start = 0, True
        while True:
            line = handle.readline(LINE)
            if not line:
                return
            if line_start and line.startswith(b"From "):
                yield at
            at += len(line)
            line_start = line.endswith(b"\n")


def _from_mbox(path: Path) -> Iterator[Message]:
    """The messages of an mbox, one at a time in bounded memory: a message larger than MAX_MESSAGE_BYTES is
    passed over with a reason, its first bytes kept only for its sender and subject."""
    with open(path, "rb") as handle:
        first = handle.read(5)
        if not first:
            return
        if first != b"From ":
            yield Message(source=str(path), message_id=f"unreadable:{path}",
                          problem="this file is not an mbox (it does not begin with a \"From \" line)")
            return
        handle.seek(0)
        pieces: list[bytes] = []
        number, size, line_start, last_empty = 0, -1, True, False

        def finish() -> Message:
            where = f"{path} (message {number})"
            if size > MAX_MESSAGE_BYTES:
                return too_large(b"".join(pieces), where, size)
            raw = b"".join(pieces)
            return from_bytes(raw[:-1] if last_empty and raw.endswith(b"\n") else raw, where)

        while True:
            line = handle.readline(LINE)
            if line_start and (not line or line.startswith(b"From ")):
                if size >= 0:
                    yield finish()
                if not line:
                    return
                number, pieces, size, last_empty = number + 1, [], 0, False
                line_start = line.endswith(b"\n")
                continue
            if not line:  # the file ends in the middle of a line
                yield finish()
                return
            size += len(line)
            if size <= MAX_MESSAGE_BYTES:
                pieces.append(line)
            elif size - len(line) <= MAX_MESSAGE_BYTES:
                pieces = _head(pieces)  # too large: only its start is kept, for the sender and subject
            if line_start:
                last_empty = line in (b"\n", b"\r\n")
            line_start = line.endswith(b"\n")


def _head(pieces: list[bytes]) -> list[bytes]:
    kept, total = [], 0
    for piece in pieces:
        if total >= HEAD_BYTES:
            break
        kept.append(piece)
        total += len(piece)
    return kept


def _maildir_files(path: Path) -> list[tuple[str, Path]]:
    """(key, file) of each message of a Maildir (new/ and cur/), in the order of their keys."""
    found = []
    for sub in ("new", "cur"):
        for entry in os.scandir(path / sub):
            if not entry.name.startswith("."):
                found.append((entry.name.split(":")[0], Path(entry.path)))
    return sorted(found)


def _from_maildir(path: Path) -> Iterator[Message]:
    for key, file in _maildir_files(path):
        where = str(Path(path) / key)
        try:
            yield _from_file(file, where)
        except OSError as exc:
            yield Message(source=where, message_id=f"unreadable:{file}",
                          problem=f"this message cannot be read ({exc.strerror or exc})")


def _from_msg(path: Path) -> Message:
    """An Outlook .msg file, read by extract-msg (the format is Microsoft's compound file)."""
    import extract_msg
    from extract_msg.msg_classes import MessageBase

    try:
        size = path.stat().st_size
        if size > MAX_MESSAGE_BYTES:
            return Message(source=str(path), message_id=f"too-large:{path}", problem=(
                f"the message is larger than {MAX_MESSAGE_BYTES // 2**20} MB ({size / 2**20:.0f} MB), so it was "
                "not read; ask for the workbook alone, or collect it by hand"))
        with extract_msg.openMsg(str(path)) as msg:
            if isinstance(msg, MessageBase):
                received = getattr(msg, "receivedTime", None) or msg.date
                message = Message(source=str(path), message_id=_text(msg.messageId),
                                  sender=sender_address(msg.sender), subject=_text(msg.subject),
                                  received_at=_iso(received if isinstance(received, datetime) else None))
            else:  # an item of the bare class "IPM": no sender, subject or time of its own, but attachments
                message = Message(source=str(path))
            message.attachments = list(_msg_attachments(msg))
    except Exception as exc:  # noqa: BLE001 - extract-msg raises many kinds of errors on damaged files
        return Message(source=str(path), message_id=f"unreadable:{path}",
                       problem=f"this Outlook message cannot be read ({type(exc).__name__}: {exc})")
    if not message.message_id:
        message.message_id = _digest_id(path.read_bytes())
    return message


def _msg_attachments(msg: MSGFile, within: str = "", depth: int = 0) -> Iterator[Attachment]:
    """The files attached to an Outlook message, and those of the Outlook items attached to it (a
    forwarded reply), named "item / file"."""
    from extract_msg import MSGFile

    for attachment in msg.attachments:
        name = _text(attachment.longFilename or attachment.shortFilename) or "attachment.bin"
        data = attachment.data
        if isinstance(data, bytes):
            yield Attachment(name=within + name, data=data)
        elif isinstance(data, MSGFile) and depth < 3:  # an attached Outlook item (an embedded message)
            label = _text(getattr(data, "subject", "")) or name
            yield from _msg_attachments(data, f"{within}{label} / ", depth + 1)
        else:  # an attachment kind with no file inside (a link, a web reference): listed, with nothing in it
            yield Attachment(name=within + name, data=b"")
