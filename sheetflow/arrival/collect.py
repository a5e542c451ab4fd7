"""Collecting returned workbooks from received mail into an inbox folder, each exactly once, with a ledger.

    report = collect_mail(["export/"], "inbox/")                        # mail files and folders
    report = collect_mail([Imap("mail.example.org", "me", password)], "inbox/", manifest="sent/")
    report.new, report.saved, report.ledger, report.exit_code

Every attachment that may be a return is saved as ``<received date> - <sender> - <name>``, made
safe and unique; a zip's members are taken out, streamed to disk, under the package checks' limits
(per zip and per message). Identical bytes are saved once. ``inbox/collected.csv`` records every
attachment, saved or not and why, as it happens: a run stopped at any moment (SIGTERM, SIGKILL)
leaves inbox and ledger agreeing, and running again adds only what is new (a file saved just before
the stop is recognised by its bytes). One collect at a time writes into an inbox. Inputs are never
changed and no file is ever overwritten. A collect that fails before reading (no such source, a
refused login) creates nothing.

With a manifest, a file carrying a recipient's stamp that came from an address that is not theirs
(``senders.is_recipients_address``) is marked in the ledger's ``sender_check`` as "another address":
validate, status and rollup do not count it until the convener accepts the sender (docs/collect.md).
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import IO, Callable, Iterable, Iterator

from ..text import plural
from ..errors import SheetflowError
from ..limits import RATIO_FLOOR, Limits
from .ledger import LEDGER, Collected, Journal, LedgerRow, read_ledger
from ..lock import LOCK, folder_lock
from ..names import safe_file_name, unique_name
from ..senders import SenderCheck, accepted_senders, check_sender
from ..terminal import shown
from .imap import Imap, ImapFolder
from .mailbox import Attachment, Message, mail_files, read_sources
from ..instruments.manifest import read_manifest

ARCHIVES = {".zip"}
NOT_OPENED = {".7z", ".rar", ".gz", ".tgz", ".tar", ".bz2", ".xz", ".zipx", ".cab"}
NOT_RETURNS = {  # kinds of file that are never a returned workbook: listed with why, not saved
    "an image": {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".svg", ".webp", ".heic", ".emf",
                 ".wmf", ".emz", ".ico"},
    "a document": {".pdf", ".doc", ".docx", ".odt", ".rtf", ".txt", ".htm", ".html", ".ppt", ".pptx", ".odp"},
    "a calendar or contact card": {".ics", ".vcs", ".vcf"},
    "a signature or key": {".p7s", ".p7m", ".p7c", ".asc", ".sig", ".gpg", ".pgp"},
    "sound or video": {".mp3", ".mp4", ".m4a", ".wav", ".mov", ".avi", ".wmv"},
    "a program": {".exe", ".dll", ".bat", ".cmd", ".com", ".js", ".vbs", ".ps1", ".msi", ".scr", ".jar", ".sh"},
}
TNEF = ("Outlook's rich-text wrapper (winmail.dat), which hides the attached files; ask the partner to send "
        "it again with the message in HTML or plain-text format (Outlook: Format Text > HTML) or from "
        "another mail program")
CHUNK = 1 << 20
LISTED = 10  # messages without attachment named in the summary
TEMP = ".sheetflow-"  # the prefix of files being written (atomic_path's too): a stopped run's are removed


@dataclass
class CollectReport:
    inbox: str
    ledger: str
    rows: list = field(default_factory=list)  # LedgerRow: every row of the ledger, old and new
    new: list = field(default_factory=list)  # LedgerRow found by this run
    messages: int = 0  # messages read
    without_attachment: list = field(default_factory=list)  # Message with nothing attached
    unread: list = field(default_factory=list)  # Message: mail files and messages that could not be read, and why
    recipients: dict = field(default_factory=dict)  # response id -> who (with --manifest), for the messages

    @property
    def saved(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status == Collected.SAVED]

    @property
    def duplicates(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status == Collected.DUPLICATE]

    @property
    def refused(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status == Collected.REFUSED and r.attachment]

    @property
    def needs_look(self) -> list[LedgerRow]:
        """New files tied to a recipient that came from an address that is not theirs."""
        return [r for r in self.new if r.sender_check == SenderCheck.OTHER and r.status == Collected.SAVED]

    @property
    def exit_code(self) -> int:
        """0 everything found was read; 1 some mail files or messages could not be; 2 none could."""
        if self.unread and not self.messages:
            return 2
        return 1 if self.unread else 0

    def to_text(self) -> str:
        lines = [f"not read: {shown(m.source)}: {shown(m.problem, None)}" for m in self.unread]
        lines += [f"{r.status}: {shown(r.reason, None)}: {shown(r.attachment)} "
                  f"from {shown(r.sender) or 'an unknown sender'} "
                  f"({r.received_at[:10] or 'undated'})" for r in self.refused]
        for r in self.needs_look:
            whose = self.recipients.get(r.response_id) or r.response_id
            lines.append(f"needs your look: {shown(r.file)} carries the stamp of {shown(whose)}'s workbook but came "
                         f"from {shown(r.sender) or 'an unknown sender'}, not their address"
                         + (f" (the receiving server recorded {r.authentication})" if r.authentication else "")
                         + "; it does not count until you accept the sender (docs/collect.md).")
        lines += [f"authentication failed: {shown(r.file)} from {shown(r.sender) or 'an unknown sender'}: the "
                  f"receiving server recorded {r.authentication}, so the sender may be forged."
                  for r in self.new if r.authentication and r.status == Collected.SAVED and r not in self.needs_look]
        shown_messages = self.without_attachment[:LISTED]  # an IMAP inbox holds much other mail: a few, then a count
        lines += [f"no attachment: \"{shown(m.subject)}\" from {shown(m.sender) or 'an unknown sender'} "
                  f"({m.received_at[:10]})" for m in shown_messages]
        if len(self.without_attachment) > len(shown_messages):
            lines.append(f"... and {len(self.without_attachment) - len(shown_messages)} more messages without attachment.")
        reasons: dict[str, int] = {}
        for m in self.unread:
            reasons[_kind_of_problem(m.problem)] = reasons.get(_kind_of_problem(m.problem), 0) + 1
        unread = (f"; {len(self.unread)} not read ("
                  + ", ".join(f"{n} {why}" for why, n in reasons.items()) + ")") if self.unread else ""
        lines.append(f"{plural(self.messages, 'message')} read ({len(self.without_attachment)} without attachment)"
                     f"{unread}; {plural(len(self.new) - len([r for r in self.new if not r.attachment]), 'new attachment')}: "
                     f"{len(self.saved)} saved, {plural(self.duplicates, 'duplicate')}, {len(self.refused)} refused"
                     + (f", {len(self.needs_look)} need your look" if self.needs_look else "")
                     + f". Ledger: {shown(self.ledger)}.")
        return "\n".join(lines)


def _kind_of_problem(problem: str) -> str:
    if "larger than" in problem:
        return "too large"
    if "passed over" in problem:
        return "not a file"
    return "unreadable"


def collect_mail(sources: Iterable, inbox, manifest=None, since: date | None = None, folder: str = "INBOX",
            limits: Limits = Limits(), progress: Callable[[int], None] | None = None,
            on_start: Callable[[int], None] | None = None) -> CollectReport:
    """Save every attachment of the messages in ``sources`` that may be a return into ``inbox``.

    A source is a mail file or folder (path) or an ``Imap`` session (read-only; ``folder`` and
    ``since`` choose its messages). With ``manifest``, each saved file is tied to a recipient, and a
    file tied by its stamp that came from another address is marked (``sender_check``).
    """
    inbox = Path(inbox)
    if inbox.exists() and not inbox.is_dir():
        raise SheetflowError(f"{inbox} is a file; collect needs a folder for the attachments.")
    sources = list(sources)
    recipients = _Recipients(manifest) if manifest else None
    if inbox.is_dir():
        read_ledger(inbox)  # a file of that name that is not sheetflow's ledger: refused before anything is read
    found = mail_files([s for s in sources if not isinstance(s, Imap)])  # no such source: nothing is created
    opened: list[ImapFolder] = []
    try:
        for session in (s for s in sources if isinstance(s, Imap)):
            opened.append(session.open(folder=folder, since=since))  # a refused login: nothing is created
        inbox.mkdir(parents=True, exist_ok=True)
        with folder_lock(inbox, "collect"):
            return _collect(found, opened, inbox, recipients, limits, progress, on_start)
    finally:
        for f in opened:
            f.close()


def _collect(found, opened: list[ImapFolder], inbox: Path, recipients, limits: Limits, progress, on_start
             ) -> CollectReport:
    for name in os.listdir(inbox):  # what a stopped run was writing
        if name.startswith(TEMP):
            (inbox / name).unlink(missing_ok=True)
    journal = Journal(inbox)
    try:
        rows = read_ledger(inbox)
        report = CollectReport(inbox=str(inbox), ledger=str(inbox / LEDGER), rows=rows,
                               recipients=recipients.names if recipients else {})
        state = _Inbox(inbox, rows, recipients, limits, journal)
        if on_start:
            on_start(_total(found, opened))

        def messages() -> Iterator[Message]:
            if found:
                yield from read_sources([], found=found)
            for f in opened:
                yield from f.messages()

        for message in messages():
            if message.problem:
                report.unread.append(message)
            else:
                report.messages += 1
            report.new += state.take(message)
            if not message.attachments and not message.problem:
                report.without_attachment.append(message)
            if progress:
                progress(1)
    finally:
        journal.close()
    return report


def _total(found, opened: list[ImapFolder]) -> int:
    from .mailbox import _count

    return sum(_count(kind, path) for kind, path in found) + sum(len(f.uids) for f in opened)


@dataclass
class _Piece:
    """An attachment or zip member: its name, its bytes (in memory, or in a temporary file) and digest, or
    why it was refused."""

    label: str
    data: bytes = b""
    temp: Path | None = None
    digest: str = ""
    refusal: str = ""


class _Inbox:
    """The inbox folder as collect fills it: names taken, bytes already saved, attachments already seen."""

    def __init__(self, folder: Path, rows: list[LedgerRow], recipients, limits: Limits, journal: Journal):
        self.folder, self.rows, self.recipients, self.limits, self.journal = folder, rows, recipients, limits, journal
        names = os.listdir(folder)
        self.taken = {name.casefold() for name in names}
        self.seen = {row.key for row in rows}
        self.by_hash = {row.sha256: row for row in rows  # a saved file deleted since is saved again
                        if row.status == Collected.SAVED and row.file and (folder / row.file).is_file()}
        listed = {row.file for row in rows if row.file}
        # Files a stopped run saved before their ledger row was written: known by their bytes, never saved twice.
        self.unlisted: dict[str, str] = {}
        for name in names:
            path = folder / name
            if name not in listed and name not in (LEDGER, LOCK) and not name.startswith(".") and path.is_file():
                self.unlisted.setdefault(_file_digest(path), name)
        self.accepted = accepted_senders(folder)

    def take(self, message: Message) -> list[LedgerRow]:
        new = []
        if message.problem:
            pieces: Iterable[_Piece] = [_Piece("", refusal=message.problem)]
        else:
            pieces = _Budget(self.limits).pieces(message, self.folder)
        for piece in pieces:
            try:
                row = self._record(message, piece)
            finally:
                if piece.temp is not None:
                    piece.temp.unlink(missing_ok=True)
            if row is not None:
                new.append(row)
        return new

    def _record(self, message: Message, piece: _Piece) -> LedgerRow | None:
        digest = piece.digest or (hashlib.sha256(piece.data).hexdigest() if piece.data or not piece.refusal else "")
        row = LedgerRow(message.message_id, message.received_at, message.sender, message.subject, piece.label,
                        "", digest, Collected.REFUSED, authentication=message.authentication)  # until saved
        if row.key in self.seen:
            return None
        self.seen.add(row.key)
        if piece.refusal:
            row.reason = piece.refusal
        elif digest in self.by_hash:
            first = self.by_hash[digest]
            row.status, row.file, row.response_id = Collected.DUPLICATE, first.file, first.response_id
        else:
            if digest in self.unlisted:  # saved by a run that was stopped before it could list it
                row.file = self.unlisted.pop(digest)
            else:
                row.file = self._save(message, piece)
            row.status = Collected.SAVED
            if self.recipients:
                row.response_id = self.recipients.tie(piece.label, self.folder / row.file, message.sender)
            self.by_hash[digest] = row
        if self.recipients and row.response_id and row.status in (Collected.SAVED, Collected.DUPLICATE):
            row.sender_check = self.recipients.check(row.response_id, message.sender, self.accepted)
        self.journal.append(row)  # on disk before the next file is saved
        self.rows.append(row)
        return row

    def _save(self, message: Message, piece: _Piece) -> str:
        day = message.received_at[:10] or "undated"
        original = safe_file_name(re.split(r"[/\\]", piece.label.rpartition(" / ")[2])[-1], fallback="attachment")
        name = unique_name(safe_file_name(f"{day} - {message.sender or 'unknown sender'} - {original}"), self.taken)
        target = self.folder / name
        if piece.temp is None:
            piece.temp = _temp(self.folder)
            with open(piece.temp, "wb") as handle:
                handle.write(piece.data)
                _synced(handle)
        os.chmod(piece.temp, 0o666 & ~_umask())
        if target.exists():  # never over an existing file
            raise SheetflowError(f"{target} appeared while collect was writing it; run collect again.")
        os.replace(piece.temp, target)
        piece.temp = None
        self.taken.add(name.casefold())
        return name


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp(folder: Path) -> Path:
    fd, name = tempfile.mkstemp(prefix=TEMP, suffix=".part", dir=folder)
    os.close(fd)
    return Path(name)


def _synced(handle: IO[bytes]) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


class _Budget:
    """What one message may hold in all, across its attachments and their zips' members: as many files
    and as many bytes as one zip may (``Limits``); beyond that, the rest is refused, as zip bombs do."""

    def __init__(self, limits: Limits):
        self.limits, self.files, self.bytes = limits, 0, 0

    def refusal(self) -> str:
        if self.files > self.limits.max_members:
            return (f"the message holds more than {self.limits.max_members} files in its attachments and "
                    "zips, as zip bombs do; the rest was not taken out")
        if self.bytes > self.limits.max_uncompressed_bytes:
            return (f"the message's attachments and zips hold more than "
                    f"{self.limits.max_uncompressed_bytes // 2**20} MB in all, as zip bombs do; the rest was not "
                    "taken out")
        return ""

    def pieces(self, message: Message, folder: Path) -> Iterator[_Piece]:
        for attachment in message.attachments:
            for piece in self._pieces(attachment, folder):
                self.files += 1
                size = len(piece.data) if piece.temp is None else piece.temp.stat().st_size
                if not piece.refusal:
                    self.bytes += size
                over = self.refusal()
                if over and not piece.refusal:
                    piece.refusal = over
                    piece.digest = ""
                yield piece

    def _pieces(self, attachment: Attachment, folder: Path) -> Iterator[_Piece]:
        """The pieces of an attachment: itself, or each member of a zip attachment."""
        label = attachment.name
        why = _not_a_return(label, attachment.content_type)
        if why:
            yield _Piece(label, attachment.data, refusal=why)
        elif _suffix(label) in ARCHIVES:
            yield from _zip_members(label, attachment.data, self.limits, folder,
                                    self.limits.max_uncompressed_bytes - self.bytes)
        elif not attachment.data:
            yield _Piece(label, refusal="the attachment is empty (0 bytes)")
        else:
            yield _Piece(label, attachment.data)


def _suffix(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _not_a_return(name: str, content_type: str = "") -> str | None:
    suffix = _suffix(name)
    base = PurePosixPath(name.replace("\\", "/")).name.lower()
    if base == "winmail.dat" or content_type.lower() in ("application/ms-tnef", "application/vnd.ms-tnef"):
        return TNEF
    for kind, suffixes in NOT_RETURNS.items():
        if suffix in suffixes:
            return f"{kind} ({suffix}), not a workbook"
    if suffix in NOT_OPENED:
        return f"an archive sheetflow does not open ({suffix}); ask for the workbook itself or a .zip"
    return None


def _zip_members(label: str, data: bytes, limits: Limits, folder: Path, room: int) -> Iterator[_Piece]:
    """Each member of a zip attachment, streamed into a temporary file in ``folder`` under the package checks'
    limits (and at most ``room`` bytes in all, the rest of the message's budget), or why not."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        yield _Piece(label, data, refusal="the zip file is damaged or incomplete; ask for it again")
        return
    if len(members) > limits.max_members:
        yield _Piece(label, data, refusal=(f"the zip holds more than {limits.max_members} files, as zip "
                                           "bombs do; nothing was taken out of it"))
        return
    total = 0
    for member in members:
        inner = f"{label} / {member.filename}"
        why = _member_refusal(member)
        if why:
            yield _Piece(inner, refusal=why)
            continue
        temp = _temp(folder)
        try:
            size, digest, why = _inflate(archive, member, limits, min(limits.max_uncompressed_bytes - total, room),
                                         temp)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            size, digest, why = 0, "", "this file in the zip is damaged; ask for the zip again"
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        total += size
        room -= size
        if why or not size:
            temp.unlink(missing_ok=True)
            yield _Piece(inner, refusal=why or "this file in the zip is empty (0 bytes)")
        else:
            yield _Piece(inner, temp=temp, digest=digest)


def _member_refusal(member: zipfile.ZipInfo) -> str | None:
    name = member.filename.replace("\\", "/")
    parts = PurePosixPath(name).parts
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name) or ".." in parts:
        return "its name in the zip is a path leading out of the folder, so it was not taken out"
    if member.flag_bits & 0x1:
        return "this file in the zip is locked with a password"
    if parts and parts[0] == "__MACOSX" or PurePosixPath(name).name in (".DS_Store", "Thumbs.db"):
        return "a file the computer added to the zip (Mac or Windows folder data), not a workbook"
    if _suffix(name) in ARCHIVES | NOT_OPENED:
        return "an archive inside the zip is not opened; ask for the workbooks themselves"
    return _not_a_return(name)


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits, room: int,
             target: Path) -> tuple[int, str, str]:
    """A member's bytes written to ``target`` as they come (the sizes the zip claims are never trusted):
    (size, sha256, "") or (size so far, "", why not)."""
    size, digest = 0, hashlib.sha256()
    with archive.open(member) as stream, open(target, "wb") as out:
        while True:
            piece = stream.read(CHUNK)
            if not piece:
                break
            size += len(piece)
            if size > limits.max_member_bytes:
                return size, "", f"this file in the zip unpacks to more than {limits.max_member_bytes // 2**20} MB"
            if size > room:
                return size, "", (f"the zip unpacks to more than {limits.max_uncompressed_bytes // 2**20} MB in "
                                  "all (or the message's attachments do), as zip bombs do")
            if size > RATIO_FLOOR and size > limits.max_ratio * max(member.compress_size, 1):
                return size, "", (f"this file in the zip unpacks to more than {limits.max_ratio:g} times its "
                                  "packed size, as zip bombs do")
            digest.update(piece)
            out.write(piece)
        _synced(out)
    return size, digest.hexdigest(), ""


# -- tying files to recipients --------------------------------------------------------------------------

STAMP = re.compile(rb'name="sheetflow_response_id"[^>]*>\s*<vt:lpwstr>([^<]{1,100})</vt:lpwstr>')


class _Recipients:
    """The manifest's recipients, looked up by the file sent to them, their response id and their address."""

    def __init__(self, manifest):
        rows = read_manifest(manifest)
        self.ids = {r.response_id for r in rows}
        self.emails = {r.response_id: r.email for r in rows}
        self.names = {r.response_id: r.respondent_name or r.organization or r.email for r in rows}
        self.by_file: dict[str, str] = {}
        self.by_email: dict[str, list] = {}
        for r in rows:
            name = PurePosixPath(r.file.replace("\\", "/")).name
            self.by_file.setdefault(name.casefold(), r.response_id)
            # What kind of workbook it was, as its file name says it ("... - Action Plan.xlsx").
            label = PurePosixPath(name).stem.rpartition(" - ")[2].casefold()
            self.by_email.setdefault(r.email.strip().lower(), []).append((r.response_id, label))

    def tie(self, label: str, path: Path, sender: str) -> str:
        """The response id a saved file belongs to: by its stamp, its name, else the sender's address."""
        stamped = _stamp(path)
        if stamped in self.ids:
            return stamped
        name = re.split(r"[/\\]", label.rpartition(" / ")[2])[-1].casefold()
        if name in self.by_file:
            return self.by_file[name]
        sent = self.by_email.get(sender, [])
        if len(sent) > 1:  # one address, several workbooks (a lead's action plan): the name may tell which
            sent = [(rid, label) for rid, label in sent if label and label in name]
        return sent[0][0] if len(sent) == 1 else ""

    def check(self, response_id: str, sender: str, accepted) -> str:
        """The ledger's sender_check for a file tied to ``response_id`` that came from ``sender``."""
        return check_sender(self.emails.get(response_id, ""), sender, accepted=accepted).value


STAMP_PART, STAMP_PART_BYTES = "docProps/custom.xml", 1 << 20


def _stamp(path: Path) -> str:
    """The response id stamped in a workbook's document properties: only that part is read, at most 1 MB of it
    (intake checks the whole workbook later)."""
    try:
        if path.stat().st_size > Limits().max_file_bytes:
            return ""
        with zipfile.ZipFile(path) as archive:
            if STAMP_PART not in archive.namelist():
                return ""
            with archive.open(STAMP_PART) as part:
                custom = part.read(STAMP_PART_BYTES)
    except (OSError, ValueError, EOFError, NotImplementedError, zipfile.BadZipFile, zlib.error):
        return ""
    found = STAMP.search(custom)
    return found.group(1).decode("utf-8", "replace").strip() if found else ""
