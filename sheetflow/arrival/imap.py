"""Reading messages from an IMAP folder, read-only: EXAMINE and BODY.PEEK[], so nothing is marked read,
moved or deleted (the mail files' reader is ``mailbox``).

    imap = Imap("mail.example.org", user="convener", password=os.environ[...])
    folder = imap.open(folder="INBOX", since=date(2026, 3, 1))    # the login and the search: refused early
    for message in folder.messages(): ...

A message too large to read is fetched only in part (its header) and becomes a ``Message`` with a
``problem``, as ``mailbox`` makes one of a broken file.
"""

from __future__ import annotations

import base64
import imaplib
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime, timezone

from ..errors import SheetflowError
from ..terminal import shown
from . import mailbox  # its MAX_MESSAGE_BYTES is the one cap for a message from every source
from .mailbox import HEAD_BYTES, IMAP_BATCH, Message, from_bytes, too_large

class Imap:
    """A read-only IMAP session: the folder is EXAMINEd and messages fetched with BODY.PEEK[].

    TLS (IMAP over SSL, port 993) unless ``tls=False``, which is allowed only to this computer (a
    local test server or a tunnel). The login is AUTHENTICATE PLAIN in UTF-8 when the server offers
    it (any user name and password), else LOGIN (ASCII only); never when the server says
    LOGINDISABLED. Folder names are sent in IMAP's modified UTF-7, so any name works.
    """

    def __init__(self, server: str, user: str, password: str | None, tls: bool = True, timeout: float = 60):
        if not password:
            raise SheetflowError("No IMAP password: set the environment variable SHEETFLOW_IMAP_PASSWORD.")
        host, _, port = server.rpartition(":") if ":" in server else (server, "", "")
        try:
            self.port = int(port) if port else (993 if tls else 143)
        except ValueError:
            raise SheetflowError(f"{shown(server)}: the IMAP server must be HOST or HOST:PORT.") from None
        if not tls and not _is_loopback(host.strip("[]")):
            raise SheetflowError(f"--no-tls is only for a server on this computer (127.0.0.1, ::1, localhost); "
                                 f"{shown(host)} is not one, and the password would cross the network unencrypted.")
        self.host, self.user, self.password, self.tls, self.timeout = host, user, password, tls, timeout

    def _connect(self) -> imaplib.IMAP4:
        session: imaplib.IMAP4
        try:
            if self.tls:
                session = imaplib.IMAP4_SSL(self.host, self.port, ssl_context=ssl.create_default_context(),
                                            timeout=self.timeout)
            else:
                session = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
        except (OSError, imaplib.IMAP4.error) as exc:
            raise SheetflowError(f"Cannot connect to the IMAP server {shown(self.host)}:{self.port} "
                                 f"({shown(_said(exc))}).") from None
        try:
            self._login(session)
        except SheetflowError:
            _logout(session)
            raise
        return session

    def _login(self, session: imaplib.IMAP4) -> None:
        """Log in without ever echoing the password: its characters are never in a message."""
        capabilities = {str(c).upper() for c in session.capabilities}
        who = shown(self.user)
        if "LOGINDISABLED" in capabilities:
            raise SheetflowError(f"The IMAP server {shown(self.host)} refuses logins on this connection "
                                 "(LOGINDISABLED: it wants TLS first); connect with TLS (leave out --no-tls).")
        try:
            if "AUTH=PLAIN" in capabilities:
                token = b"\0" + self.user.encode("utf-8") + b"\0" + self.password.encode("utf-8")
                session.authenticate("PLAIN", lambda _challenge: token)
            elif not (self.user.isascii() and self.password.isascii()):
                raise SheetflowError(f"The IMAP server {shown(self.host)} offers only the LOGIN command, which "
                                     "takes ASCII letters only, and the user name or the password has others "
                                     "(it does not offer AUTHENTICATE PLAIN, which takes any).")
            else:
                session.login(self.user, self.password)
        except imaplib.IMAP4.error as exc:
            raise SheetflowError(f"The IMAP server refused the login for {who} ({shown(_said(exc))}).") from None
        except (OSError, ValueError, UnicodeError):
            raise SheetflowError(f"The IMAP login for {who} failed (the connection broke off).") from None

    def messages(self, folder: str = "INBOX", since: date | None = None,
                 on_start: Callable[[int], None] | None = None) -> Iterator[Message]:
        """The messages of ``folder`` (received on or after ``since``), oldest first; nothing changes."""
        opened = self.open(folder, since)
        if on_start:
            on_start(len(opened.uids))
        yield from opened.messages()

    def open(self, folder: str = "INBOX", since: date | None = None) -> "ImapFolder":
        """Log in, EXAMINE ``folder`` and list its messages (raising SheetflowError if any step fails);
        ``messages()`` of the result then reads them."""
        session = self._connect()
        try:
            kind, data = session.select(_quoted(imap_utf7(folder)), readonly=True)  # EXAMINE: read-only
            if kind != "OK":
                raise SheetflowError(f"No folder {shown(repr(folder))} on the IMAP server ({shown(_said(data))}).")
            criteria = ("SINCE", since.strftime("%d-%b-%Y")) if since else ("ALL",)
            kind, data = session.uid("SEARCH", *criteria)
            if kind != "OK":
                raise SheetflowError(f"The IMAP server could not list the messages ({shown(_said(data))}).")
        except (OSError, imaplib.IMAP4.error) as exc:
            _logout(session)
            raise SheetflowError(f"The IMAP connection to {shown(self.host)} failed ({shown(_said(exc))}).") from None
        except SheetflowError:
            _logout(session)
            raise
        uids = [u for u in b" ".join(d for d in data if d).split()]
        return ImapFolder(self, session, folder, uids)


class ImapFolder:
    """An IMAP folder opened read-only, with the UIDs of the messages chosen; ``messages()`` reads them
    (each message's size is asked first: one larger than mailbox.MAX_MESSAGE_BYTES is never fetched)."""

    def __init__(self, imap: Imap, session: imaplib.IMAP4, folder: str, uids: list[bytes]):
        self.imap, self.session, self.folder, self.uids = imap, session, folder, uids

    def close(self) -> None:
        """Log out (reading the messages does, at its end)."""
        _logout(self.session)

    def messages(self) -> Iterator[Message]:
        session = self.session
        try:
            for start in range(0, len(self.uids), IMAP_BATCH):
                batch = self.uids[start:start + IMAP_BATCH]
                sizes = self._sizes(batch)
                small = [u for u in batch if sizes.get(u, 0) <= mailbox.MAX_MESSAGE_BYTES]
                for uid in batch:
                    if uid not in small:
                        yield self._too_large(uid, sizes[uid])
                for group in _groups(small, sizes):
                    kind, data = session.uid("FETCH", b",".join(group).decode(), "(UID INTERNALDATE BODY.PEEK[])")
                    if kind != "OK":
                        raise SheetflowError(f"The IMAP server could not send messages ({shown(_said(data))}).")
                    for item in data:
                        if isinstance(item, tuple) and len(item) == 2:
                            yield self._message(item)
                    del data
        except (OSError, imaplib.IMAP4.error, socket.timeout) as exc:
            raise SheetflowError(f"The IMAP connection to {shown(self.imap.host)} failed ({shown(_said(exc))}).") from None
        finally:
            _logout(session)

    def _sizes(self, batch: list[bytes]) -> dict[bytes, int]:
        kind, data = self.session.uid("FETCH", b",".join(batch).decode(), "(UID RFC822.SIZE)")
        if kind != "OK":
            raise SheetflowError(f"The IMAP server could not list the messages' sizes ({shown(_said(data))}).")
        sizes: dict[bytes, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            uid, size = re.search(rb"UID (\d+)", line or b""), re.search(rb"RFC822\.SIZE (\d+)", line or b"")
            if uid and size:
                sizes[uid.group(1)] = int(size.group(1))
        return sizes

    def _where(self, uid: bytes) -> str:
        return f"imap://{self.imap.user}@{self.imap.host}/{self.folder};UID={uid.decode()}"

    def _too_large(self, uid: bytes, size: int) -> Message:
        kind, data = self.session.uid("FETCH", uid.decode(),
                                      f"(UID INTERNALDATE BODY.PEEK[HEADER]<0.{HEAD_BYTES}>)")  # its start only
        head, received = b"", None
        for item in data if kind == "OK" else []:
            if isinstance(item, tuple) and len(item) == 2:
                head, received = item[1][:HEAD_BYTES], _internal(item[0])
        return too_large(head + b"\r\n\r\n", self._where(uid), size, received)

    def _message(self, item: tuple[bytes, bytes]) -> Message:
        head, raw = item
        uid = re.search(rb"UID (\d+)", head)
        return from_bytes(raw, self._where(uid.group(1) if uid else b"?"), _internal(head))


def _groups(uids: list[bytes], sizes: dict[bytes, int]) -> Iterator[list[bytes]]:
    """The UIDs in groups of at most mailbox.MAX_MESSAGE_BYTES in all (a message alone may be that large)."""
    group: list[bytes] = []
    total = 0
    for uid in uids:
        if group and total + sizes.get(uid, 0) > mailbox.MAX_MESSAGE_BYTES:
            yield group
            group, total = [], 0
        group.append(uid)
        total += sizes.get(uid, 0)
    if group:
        yield group


def _internal(head: bytes) -> datetime | None:
    internal = imaplib.Internaldate2tuple(head)
    return datetime.fromtimestamp(_timestamp(internal), timezone.utc) if internal else None


def _is_loopback(host: str) -> bool:
    """Whether ``host`` is this computer: every address it resolves to is a loopback address."""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        found = {str(info[4][0]) for info in socket.getaddrinfo(host, None)}
    except (OSError, UnicodeError):
        return False
    return bool(found) and all(ipaddress.ip_address(a.split("%")[0]).is_loopback for a in found)


def imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): "Rückläufer" -> "R&APw-ckl&AOQ-ufer"."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode("ascii").rstrip("=")
            out.append("&" + encoded.replace("/", ",") + "-")
            pending.clear()

    for c in name:
        if 0x20 <= ord(c) <= 0x7E:
            flush()
            out.append("&-" if c == "&" else c)
        else:
            pending.append(c)
    flush()
    return "".join(out)


def _timestamp(moment: time.struct_time) -> float:
    return time.mktime(moment)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _said(value: object) -> str:
    if isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    return " ".join(str(value).split())[:200]


def _logout(session: imaplib.IMAP4) -> None:
    if session.state == "LOGOUT":
        return
    try:
        session.logout()
    except (OSError, imaplib.IMAP4.error):
        pass
