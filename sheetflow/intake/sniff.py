"""What a returned file is before it is opened as a zip: a regular file, and if not a zip, which kind of file.

Partners send CSVs, PDFs, old .xls files, web pages and encrypted workbooks as
often as broken ones; each gets its own reason (and code) naming what it is, so
the convener can tell the partner what to do. Standard library only.
"""

from __future__ import annotations

import codecs
import io
import os
import stat
import struct
from pathlib import Path
from typing import BinaryIO

from .codes import RESAVE, Code, Rejected

CHUNK = 1 << 20          # bytes read at a time when searching a file for a name
HEAD_BYTES = 8192        # bytes sniffed to recognise non-zip files
CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")

ENCRYPTED_WORKBOOK = ("This workbook is password-protected (encrypted), so it cannot be checked; "
                      "ask the partner to remove the password and send it again.")
OLD_XLS = f"This is an old .xls Excel 97-2003 file, not an .xlsx workbook; {RESAVE}."
OLD_XLS_PASSWORD = ("This is an old .xls Excel 97-2003 file protected with a password, so it cannot be checked; "
                    "ask the partner to remove the password and save it as Excel Workbook (.xlsx).")
OLD_EXCEL = f"This is a file from Excel 2.x-4.0 (1987-1994), not an .xlsx workbook; {RESAVE}."
OLD_WORD = f"This is a Word 97-2003 document (.doc), not an Excel workbook; {RESAVE}."
OLD_POWERPOINT = f"This is a PowerPoint 97-2003 presentation (.ppt), not an Excel workbook; {RESAVE}."
VBA_PROJECT = ("This is a macro project (vbaProject.bin) taken out of an Office file, not an Excel workbook; "
               "ask the partner to send the .xlsx workbook itself.")
QUATTRO = f"This is a Quattro Pro spreadsheet, not an Excel workbook; {RESAVE}."
PDF = f"This is a PDF document, not an Excel workbook; {RESAVE}."
HTML = f"This is a web page (HTML) file, not an Excel workbook, even if it opens in Excel; {RESAVE}."
XML = f"This is an XML file (such as an Excel 2003 \"XML Spreadsheet\"), not an .xlsx workbook; {RESAVE}."
TEXT = f"This is a CSV or plain-text file (perhaps renamed to .xlsx), not an Excel workbook; {RESAVE}."
UNKNOWN = f"This file is not an Excel workbook (it is not in .xlsx format at all); {RESAVE}."


def open_regular_file(path: Path) -> io.BufferedReader:
    """Open ``path`` for reading only if it is a regular file; never opens a pipe or device."""
    try:
        _require_regular(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        if os.path.lexists(path):
            raise Rejected(Code.NOT_FOUND, "The file is a shortcut (link) to a file that no longer exists.") from None
        raise Rejected(Code.NOT_FOUND, "The file could not be found.") from None
    except OSError as exc:
        raise Rejected(Code.UNREADABLE, f"The file could not be read ({exc.strerror or exc}).") from None
    f = os.fdopen(fd, "rb")
    try:
        _require_regular(os.fstat(fd))   # it may have been swapped since the stat above
    except Rejected:
        f.close()
        raise
    return f


def _require_regular(st: os.stat_result) -> None:
    mode = st.st_mode
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise Rejected(Code.FOLDER, "This is a folder, not a file.")
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "a special system file")
    raise Rejected(Code.NOT_A_FILE, f"This is not an ordinary file (it is {kind}), so it was not read.")


def not_a_zip(f: BinaryIO, head: bytes) -> Rejected:
    """Why a file whose first bytes (``head``) are not a zip's is refused, naming what it is instead."""
    if head.startswith(CFB_MAGIC):
        return _compound_file(f)
    if _is_old_excel(head):
        return Rejected(Code.OLD_EXCEL, OLD_EXCEL)
    if b"%PDF-" in head[:1024]:
        return Rejected(Code.PDF, PDF)
    if not _looks_like_text(head):
        return Rejected(Code.NOT_XLSX, UNKNOWN)
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    text = head.decode(encoding, "ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html", "<table", "mime-version:")) or "<html" in text[:1024]:
        return Rejected(Code.HTML, HTML)
    if text.startswith("<?xml"):
        return Rejected(Code.XML_FILE, XML)
    return Rejected(Code.CSV_FILE, TEXT)


_CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\f"))


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = head[:4096]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return b"\x00" not in sample and controls <= len(sample) // 200


# The first record of an Excel 2.x-4.0 file: BOF (BIFF2 0x0009, BIFF3 0x0209, BIFF4 0x0409), its length,
# a version word and the kind of sheet (worksheet, chart, macro sheet, workbook).
_OLD_BOF = {0x0009, 0x0209, 0x0409}
_OLD_SHEET_KINDS = {0x0010, 0x0020, 0x0040, 0x0100}


def _is_old_excel(head: bytes) -> bool:
    if len(head) < 8:
        return False
    record, length, _version, kind = struct.unpack_from("<4H", head)
    return record in _OLD_BOF and length in (4, 6, 8) and kind in _OLD_SHEET_KINDS


# Streams and storages that say what an OLE2 compound file holds (its directory's entry names).
_WORKBOOK_STREAMS = ("Workbook", "Book")
_FILEPASS = 0x002F  # the BIFF record that says the rest of the workbook stream is encrypted


def _compound_file(f: BinaryIO) -> Rejected:
    """What an OLE2 compound file is, from its directory: an (encrypted) .xls, or a Word, PowerPoint,
    Quattro Pro or macro-project file. One that cannot be told apart is taken for an .xls."""
    if _cfb_is_encrypted(f):
        return Rejected(Code.ENCRYPTED, ENCRYPTED_WORKBOOK)
    entries = _cfb_entries(f)
    workbook = next((entries[name] for name in _WORKBOOK_STREAMS if name in entries), None)
    if workbook is not None:
        return Rejected(Code.ENCRYPTED, OLD_XLS_PASSWORD) if _biff_has_filepass(f, *workbook) else Rejected(
            Code.OLD_XLS, OLD_XLS)
    if "WordDocument" in entries:
        return Rejected(Code.COMPOUND_FILE, OLD_WORD)
    if "PowerPoint Document" in entries:
        return Rejected(Code.COMPOUND_FILE, OLD_POWERPOINT)
    if "NativeContent_MAIN" in entries:
        return Rejected(Code.COMPOUND_FILE, QUATTRO)
    if "_VBA_PROJECT" in entries or "dir" in entries and "VBA" in entries:
        return Rejected(Code.COMPOUND_FILE, VBA_PROJECT)
    return Rejected(Code.OLD_XLS, OLD_XLS)


def _cfb_entries(f: BinaryIO) -> dict[str, tuple[int, int, int]]:
    """Name -> (first sector, size, sector size) of each stream or storage in a compound file's directory.

    Directory entries are 128 bytes, sector-aligned, so each sits at a multiple of 128: each
    such block whose name length and entry type are plausible is taken for one. Standard library
    only; enough to tell what the file holds, not to read every stream.
    """
    f.seek(0)
    data = f.read()   # the file is already known to be within max_file_bytes
    if len(data) < 512:
        return {}
    sector_size = 1 << struct.unpack_from("<H", data, 30)[0]
    if sector_size not in (512, 4096):
        return {}
    entries: dict[str, tuple[int, int, int]] = {}
    for at in range(sector_size, len(data) - 127, 128):
        length, kind = struct.unpack_from("<HB", data, at + 64)
        if not 2 <= length <= 64 or length % 2 or kind not in (1, 2, 5):
            continue
        raw = data[at:at + length - 2]
        if data[at + length - 2:at + length] != b"\0\0":
            continue
        try:
            name = raw.decode("utf-16-le")
        except UnicodeDecodeError:
            continue
        if name and name.isprintable():
            start, size = struct.unpack_from("<II", data, at + 116)
            entries.setdefault(name, (start, size, sector_size))
    return entries


def _biff_has_filepass(f: BinaryIO, start: int, size: int, sector_size: int) -> bool:
    """Whether the workbook stream's first records include FILEPASS (a password-protected .xls).

    FILEPASS follows the first BOF record closely; the stream's first sector holds it. A stream
    below 4096 bytes lives in the mini stream, which is not followed here (no real workbook is).
    """
    if size < 4096:
        return False
    f.seek((start + 1) * sector_size)
    head = f.read(min(sector_size, size))
    at = 0
    for _ in range(32):
        if at + 4 > len(head):
            return False
        record, length = struct.unpack_from("<HH", head, at)
        if record == _FILEPASS:
            return True
        at += 4 + length
    return False


_ENCRYPTION_STREAMS = tuple(name.encode("utf-16-le") for name in ("EncryptionInfo", "EncryptedPackage"))


def _cfb_is_encrypted(f: BinaryIO) -> bool:
    """An encrypted .xlsx is a CFB file with EncryptionInfo/EncryptedPackage streams; look for their names."""
    f.seek(0)
    carry = b""
    while block := f.read(CHUNK):   # the file is already known to be within max_file_bytes
        window = carry + block
        if any(name in window for name in _ENCRYPTION_STREAMS):
            return True
        carry = window[-64:]
    return False
