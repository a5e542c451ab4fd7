"""Collecting returned workbooks from received mail into an inbox folder, each exactly once, with a ledger.

    report = collect(["export/"], "inbox/")                        # mail files and folders
    report = collect([Imap("mail.example.org", "me", password)], "inbox/", manifest="sent/")
    report.new, report.saved, report.ledger

Every attachment that may be a return is saved as ``<received date> - <sender> - <name>``, made
safe and unique; a zip's members are taken out under the package checks' limits. Identical bytes
are saved once. ``inbox/collected.csv`` records every attachment, saved or not and why; running
again adds only what is new. Inputs are never changed and no file is ever overwritten.
"""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PurePosixPath
from typing import Callable, Iterable, Iterator

from ..errors import SheetflowError
from ..files import atomic_path
from ..intake.package import RATIO_FLOOR, Limits, Rejected, checked
from ..ledger import LEDGER, LedgerRow, read_ledger, write_ledger
from ..names import safe_file_name, unique_name
from .mailbox import Attachment, Imap, Message, read_sources
from .manifest import read_manifest

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
CHUNK = 1 << 20
LISTED = 10  # messages without attachment named in the summary


@dataclass
class CollectReport:
    inbox: str
    ledger: str
    rows: list = field(default_factory=list)  # LedgerRow: every row of the ledger, old and new
    new: list = field(default_factory=list)  # LedgerRow found by this run
    messages: int = 0  # messages read
    without_attachment: list = field(default_factory=list)  # Message with nothing attached

    @property
    def saved(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status == "saved"]

    @property
    def duplicates(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status == "duplicate"]

    @property
    def refused(self) -> list[LedgerRow]:
        return [r for r in self.new if r.status.startswith("refused")]

    def to_text(self) -> str:
        lines = [f"{r.status}: {r.attachment or '(message)'} from {r.sender or 'an unknown sender'} "
                 f"({r.received_at[:10] or 'undated'})" for r in self.refused]
        shown = self.without_attachment[:LISTED]  # an IMAP inbox holds much other mail: a few, then a count
        lines += [f"no attachment: \"{m.subject}\" from {m.sender or 'an unknown sender'} ({m.received_at[:10]})"
                  for m in shown]
        if len(self.without_attachment) > len(shown):
            lines.append(f"... and {len(self.without_attachment) - len(shown)} more messages without attachment.")
        lines.append(f"{self.messages} messages read ({len(self.without_attachment)} without attachment); "
                     f"{len(self.new)} new attachments: {len(self.saved)} saved, {len(self.duplicates)} duplicates, "
                     f"{len(self.refused)} refused. Ledger: {self.ledger}.")
        return "\n".join(lines)


def collect(sources: Iterable, inbox, manifest=None, since: date | None = None, folder: str = "INBOX",
            limits: Limits = Limits(), progress: Callable[[int], None] | None = None,
            on_start: Callable[[int], None] | None = None) -> CollectReport:
    """Save every attachment of the messages in ``sources`` that may be a return into ``inbox``.

    A source is a mail file or folder (path) or an ``Imap`` session (read-only; ``folder`` and
    ``since`` choose its messages). With ``manifest``, each saved file is tied to a recipient.
    """
    inbox = Path(inbox)
    if inbox.exists() and not inbox.is_dir():
        raise SheetflowError(f"{inbox} is a file; collect needs a folder for the attachments.")
    inbox.mkdir(parents=True, exist_ok=True)
    rows = read_ledger(inbox)
    report = CollectReport(inbox=str(inbox), ledger=str(inbox / LEDGER), rows=rows)
    state = _Inbox(inbox, rows, _Recipients(manifest) if manifest else None, limits)
    started: list[int] = []

    def start(total: int) -> None:  # one bar for all sources: the first that knows its size starts it
        if on_start and not started:
            started.append(total)
            on_start(total)

    try:
        for message in _messages(list(sources), since, folder, start):
            report.messages += 1
            found = state.take(message)
            report.new += found
            if not message.attachments and not message.problem:
                report.without_attachment.append(message)
            if progress:
                progress(1)
    finally:
        if report.new or not (inbox / LEDGER).exists():
            write_ledger(inbox, rows)
    return report


def _messages(sources: list, since, folder, on_start) -> Iterator[Message]:
    paths = [s for s in sources if not isinstance(s, Imap)]
    if paths:
        yield from read_sources(paths, on_start=on_start)
    for session in (s for s in sources if isinstance(s, Imap)):
        yield from session.messages(folder=folder, since=since, on_start=on_start)


class _Inbox:
    """The inbox folder as collect fills it: names taken, bytes already saved, attachments already seen."""

    def __init__(self, folder: Path, rows: list[LedgerRow], recipients, limits: Limits):
        self.folder, self.rows, self.recipients, self.limits = folder, rows, recipients, limits
        self.taken = {name.casefold() for name in os.listdir(folder)}
        self.seen = {row.key for row in rows}
        self.by_hash = {row.sha256: row for row in rows  # a saved file deleted since is saved again
                        if row.status == "saved" and row.file and (folder / row.file).is_file()}

    def take(self, message: Message) -> list[LedgerRow]:
        new = []
        if message.problem:
            candidates = [("", b"", f"refused: {message.problem}")]
        else:
            candidates = [item for a in message.attachments for item in self._pieces(a)]
        for label, data, refusal in candidates:
            digest = hashlib.sha256(data).hexdigest() if data or not refusal else ""
            row = LedgerRow(message.message_id, message.received_at, message.sender, message.subject, label,
                            "", digest, "")
            if row.key in self.seen:
                continue
            self.seen.add(row.key)
            if refusal:
                row.status = refusal
            elif digest in self.by_hash:
                first = self.by_hash[digest]
                row.status, row.file, row.response_id = "duplicate", first.file, first.response_id
            else:
                row.file = self._save(message, label, data)
                row.status = "saved"
                if self.recipients:
                    row.response_id = self.recipients.tie(label, data, message.sender)
                self.by_hash[digest] = row
            self.rows.append(row)
            new.append(row)
        return new

    def _pieces(self, attachment: Attachment) -> Iterator[tuple[str, bytes, str]]:
        """(label, bytes, refusal) for an attachment, or for each member of a zip attachment."""
        label = attachment.name
        why = _not_a_return(label)
        if why:
            yield label, attachment.data, f"refused: {why}"
        elif _suffix(label) in ARCHIVES:
            yield from _zip_members(label, attachment.data, self.limits)
        elif not attachment.data:
            yield label, b"", "refused: the attachment is empty (0 bytes)"
        else:
            yield label, attachment.data, ""

    def _save(self, message: Message, label: str, data: bytes) -> str:
        day = message.received_at[:10] or "undated"
        original = safe_file_name(re.split(r"[/\\]", label.rpartition(" / ")[2])[-1], fallback="attachment")
        name = unique_name(safe_file_name(f"{day} - {message.sender or 'unknown sender'} - {original}"), self.taken)
        with atomic_path(self.folder / name) as tmp:  # never over an existing file
            Path(tmp).write_bytes(data)
        self.taken.add(name.casefold())
        return name


def _suffix(name: str) -> str:
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()


def _not_a_return(name: str) -> str | None:
    suffix = _suffix(name)
    for kind, suffixes in NOT_RETURNS.items():
        if suffix in suffixes:
            return f"{kind} ({suffix}), not a workbook"
    if suffix in NOT_OPENED:
        return f"an archive sheetflow does not open ({suffix}); ask for the workbook itself or a .zip"
    return None


def _zip_members(label: str, data: bytes, limits: Limits) -> Iterator[tuple[str, bytes, str]]:
    """Each member of a zip attachment, taken out under the package checks' limits, or why not."""
    import io

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        yield label, data, "refused: the zip file is damaged or incomplete; ask for it again"
        return
    if len(members) > limits.max_members:
        yield label, data, (f"refused: the zip holds more than {limits.max_members} files, as zip bombs do; "
                            "nothing was taken out of it")
        return
    total = 0
    for member in members:
        inner = f"{label} / {member.filename}"
        why = _member_refusal(member)
        if why:
            yield inner, b"", f"refused: {why}"
            continue
        try:
            content, why = _inflate(archive, member, limits, limits.max_uncompressed_bytes - total)
        except (zipfile.BadZipFile, zlib.error, OSError, ValueError, EOFError, NotImplementedError, RuntimeError):
            content, why = b"", "this file in the zip is damaged; ask for the zip again"
        total += len(content)
        if why:
            yield inner, b"", f"refused: {why}"
        elif not content:
            yield inner, b"", "refused: this file in the zip is empty (0 bytes)"
        else:
            yield inner, content, ""


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


def _inflate(archive: zipfile.ZipFile, member: zipfile.ZipInfo, limits: Limits, room: int) -> tuple[bytes, str]:
    """A member's bytes, counted as they come (the sizes the zip claims are never trusted), or why not."""
    pieces, size = [], 0
    with archive.open(member) as stream:
        while True:
            piece = stream.read(CHUNK)
            if not piece:
                break
            size += len(piece)
            if size > limits.max_member_bytes:
                return b"", f"this file in the zip unpacks to more than {limits.max_member_bytes // 2**20} MB"
            if size > room:
                return b"", (f"the zip unpacks to more than {limits.max_uncompressed_bytes // 2**20} MB in all, "
                             "as zip bombs do")
            if size > RATIO_FLOOR and size > limits.max_ratio * max(member.compress_size, 1):
                return b"", (f"this file in the zip unpacks to more than {limits.max_ratio:g} times its "
                             "packed size, as zip bombs do")
            pieces.append(piece)
    return b"".join(pieces), ""


# -- tying files to recipients --------------------------------------------------------------------------

STAMP = re.compile(rb'name="sheetflow_response_id"[^>]*>\s*<vt:lpwstr>([^<]{1,100})</vt:lpwstr>')


class _Recipients:
    """The manifest's recipients, looked up by the file sent to them, their response id and their address."""

    def __init__(self, manifest):
        rows = read_manifest(manifest)
        self.ids = {r.response_id for r in rows}
        self.by_file: dict[str, str] = {}
        self.by_email: dict[str, list] = {}
        for r in rows:
            name = PurePosixPath(r.file.replace("\\", "/")).name
            self.by_file.setdefault(name.casefold(), r.response_id)
            # What kind of workbook it was, as its file name says it ("... - Action Plan.xlsx").
            label = PurePosixPath(name).stem.rpartition(" - ")[2].casefold()
            self.by_email.setdefault(r.email.strip().lower(), []).append((r.response_id, label))

    def tie(self, label: str, data: bytes, sender: str) -> str:
        """The response id a saved file belongs to: by its stamp, its name, else the sender's address."""
        stamped = _stamp(data)
        if stamped in self.ids:
            return stamped
        name = re.split(r"[/\\]", label.rpartition(" / ")[2])[-1].casefold()
        if name in self.by_file:
            return self.by_file[name]
        sent = self.by_email.get(sender, [])
        if len(sent) > 1:  # one address, several workbooks (a lead's action plan): the name may tell which
            sent = [(rid, label) for rid, label in sent if label and label in name]
        return sent[0][0] if len(sent) == 1 else ""


def _stamp(data: bytes) -> str:
    """The response id stamped in a workbook's document properties, if it is a safe, readable workbook."""
    try:
        package = checked(data)
        custom = package.part("docProps/custom.xml") or b""
    except (Rejected, OSError, ValueError, zipfile.BadZipFile):
        return ""
    found = STAMP.search(custom)
    return found.group(1).decode("utf-8", "replace").strip() if found else ""
