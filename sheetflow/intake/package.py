"""Safety checks on a returned workbook *before* any spreadsheet parser reads it.

Returned files are hostile input.  ``check_package`` looks only at the raw bytes
and the zip structure, decompressing every part exactly once, in bounded
chunks, and counting the bytes it actually gets (the sizes written in the zip
headers are never trusted).  It raises ``Rejected`` with one plain-English line
for a convener; it returns ``None`` when the file is safe to hand to a reader.

Standard library only: XML is never parsed with entities (a DOCTYPE is refused
the moment it is seen). When a template area is given, every worksheet is
checked against it: parsed once with ElementTree when it is small (the tree is
then handed to the reader, see ``open_checked``), streamed through expat when it
is not, so a huge sheet never becomes a huge tree.
"""

from __future__ import annotations

import codecs
import functools
import io
import os
import re
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from ..cells import column_letters, column_number
from . import sheet_xml as sheetxml

__all__ = ["Limits", "Rejected", "Package", "check_package", "checked", "open_checked", "read_checked"]

CHUNK = 1 << 20          # bytes decompressed per read
HEAD_BYTES = 8192        # bytes sniffed to recognise non-zip files
RATIO_FLOOR = 1 << 20    # compression ratio is only judged once a part passes 1 MB
CARRY = 256              # bytes kept between chunks so markers split across them are found
TREE_LIMIT = 4 << 20     # a worksheet part larger than this is streamed, not parsed into a tree
MEMO_LIMIT = 256 << 10   # parts up to this size are parsed once per process and remembered by their bytes
SMALL_PART = 64 << 10   # parts up to this size are checked once per process and remembered by their bytes
KEEP_LIMIT = 16 << 20    # open_checked hands over decompressed parts up to this many bytes in all

CFB_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 20 * 1024 * 1024
    max_members: int = 2000
    max_uncompressed_bytes: int = 200 * 1024 * 1024   # total, counted while decompressing
    max_member_bytes: int = 100 * 1024 * 1024
    max_ratio: float = 200.0                          # per part: uncompressed / compressed
    max_rows: int | None = None   # template area: cells, rows or <dimension> beyond it are refused
    max_cols: int | None = None


@dataclass
class Package:
    """A checked workbook: its bytes, its decompressed parts and its worksheets already parsed."""

    data: bytes
    parts: dict = field(default_factory=dict)   # part name (as in the zip) -> decompressed bytes
    sheets: dict = field(default_factory=dict)  # worksheet part -> sheetxml.Sheet or ElementTree root (small sheets)
    kept: int = 0  # bytes in ``parts``; beyond KEEP_LIMIT, parts are left out (a reader decompresses them)
    names: set = field(default_factory=set)  # every part name

    def part(self, name: str) -> bytes | None:
        """A part's decompressed bytes (None if there is no such part); the checks already passed."""
        if name in self.parts:
            return self.parts[name]
        if name not in self.names:
            return None
        with zipfile.ZipFile(io.BytesIO(self.data)) as zf:
            try:
                return zf.read(name)
            except KeyError:
                return None


class Rejected(Exception):
    """The file must not be read; ``reason`` is one plain line for a convener."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


# --- reasons -----------------------------------------------------------------

RESAVE = "ask the partner to save it as Excel Workbook (.xlsx) and send it again"
RESEND = "ask the partner to send the workbook again"

EMPTY = f"The file is empty (0 bytes); {RESEND}."
ENCRYPTED_WORKBOOK = ("This workbook is password-protected (encrypted), so it cannot be checked; "
                      "ask the partner to remove the password and send it again.")
OLD_XLS = f"This is an old .xls Excel 97-2003 file, not an .xlsx workbook; {RESAVE}."
PDF = f"This is a PDF document, not an Excel workbook; {RESAVE}."
HTML = f"This is a web page (HTML) file, not an Excel workbook, even if it opens in Excel; {RESAVE}."
XML = f"This is an XML file (such as an Excel 2003 \"XML Spreadsheet\"), not an .xlsx workbook; {RESAVE}."
TEXT = f"This is a CSV or plain-text file (perhaps renamed to .xlsx), not an Excel workbook; {RESAVE}."
UNKNOWN = f"This file is not an Excel workbook (it is not in .xlsx format at all); {RESAVE}."
DAMAGED = ("The file is damaged or incomplete (it may have been cut short while downloading or emailing); "
           f"{RESEND}.")
DAMAGED_SHEET = f"A sheet inside the workbook is damaged or incomplete; {RESEND}."
ZIP_NOT_OFFICE = "This is a zip archive, not an Excel workbook; ask the partner to send the .xlsx file itself."
ODS = f"This is an OpenDocument spreadsheet (.ods, e.g. from LibreOffice), not an Excel workbook; {RESAVE}."
OPENDOCUMENT = f"This is an OpenDocument file (e.g. from LibreOffice), not an Excel workbook; {RESAVE}."
WORD = f"This is a Word document (.docx), not an Excel workbook; {RESAVE}."
POWERPOINT = f"This is a PowerPoint presentation (.pptx), not an Excel workbook; {RESAVE}."
OFFICE_NOT_WORKBOOK = f"This is an Office file but not an Excel workbook; {RESAVE}."
MACRO = ("This workbook contains macros (a macro-enabled .xlsm file), which are not accepted; "
         f"{RESAVE}, which removes the macros.")
XLSB = f"This is an Excel Binary Workbook (.xlsb); {RESAVE}."
STRICT = ("This workbook is saved as \"Strict Open XML Spreadsheet\", which is not accepted; ask the partner "
          "to save it as a normal \"Excel Workbook (.xlsx)\" and send it again.")
ENCRYPTED_PARTS = ("Parts of this file are locked with a zip password, which Excel never does; "
                   f"it may be a deliberately harmful file, so it was refused; {RESEND}.")
ODD_COMPRESSION = ("This file uses a compression method that Excel never uses; "
                   f"it may be a deliberately harmful file, so it was refused; {RESEND}.")
ODD_ENCODING = ("Part of this file uses a text encoding that Excel never uses; "
                f"it may be a deliberately harmful file, so it was refused; {RESEND}.")
DOCTYPE = ("This file contains hidden XML instructions (a DOCTYPE or ENTITY declaration) that Excel never "
           "writes and that are used to attack spreadsheet readers, so it was refused; "
           "ask the partner to save a fresh copy from Excel.")


def _size(n: float) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20), ("KB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n:.0f} bytes"


def _too_many_parts(limit: int) -> str:
    return (f"The file has more than {limit} internal parts, far more than a real workbook; "
            f"it may be a deliberately harmful file, so it was refused; {RESEND}.")


def check_package(path: Path, limits: Limits = Limits()) -> None:
    """Raise ``Rejected`` unless ``path`` is a plain .xlsx package that is safe to parse."""
    with open_regular_file(Path(path)) as f:
        check_stream(f, os.fstat(f.fileno()).st_size, limits)


def read_checked(path: Path, limits: Limits = Limits()) -> bytes:
    """The bytes of ``path``, read once, after checking them; a file swapped meanwhile is never parsed."""
    return open_checked(path, limits, keep=False).data


def open_checked(path: Path, limits: Limits = Limits(), keep: bool = True) -> Package:
    """Read ``path`` once and check it; with ``keep``, also hand over the parts the checks decompressed."""
    with open_regular_file(Path(path)) as f:
        if os.fstat(f.fileno()).st_size > limits.max_file_bytes:
            check_stream(f, os.fstat(f.fileno()).st_size, limits)  # raises "too large"
        data = f.read(limits.max_file_bytes + 1)
    return checked(data, limits, keep)


def checked(data: bytes, limits: Limits = Limits(), keep: bool = True) -> Package:
    """The package checks on a workbook already in memory (see ``open_checked``)."""
    package = Package(data)
    check_stream(io.BytesIO(data), len(data), limits, package if keep else None)
    return package


def check_stream(f, size: int, limits: Limits, keep: Package | None = None) -> None:
    """The package checks on an open binary file of ``size`` bytes; ``keep`` collects the parts."""
    if size == 0:
        raise Rejected(EMPTY)
    if size > limits.max_file_bytes:
        raise Rejected(f"The file is {_size(size)}, larger than the {_size(limits.max_file_bytes)} "
                       "allowed for a returned workbook; ask the partner to check they sent the right file.")
    head = f.read(HEAD_BYTES)
    if not head.startswith(b"PK"):
        raise Rejected(_not_a_zip_reason(f, head))
    if _central_directory_too_big(f, size, limits):
        raise Rejected(_too_many_parts(limits.max_members))
    try:
        with zipfile.ZipFile(f) as zf:
            _check_zip(zf, size, limits, keep)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError, ValueError,
            struct.error, OverflowError, RuntimeError):   # includes bad CRC, truncation, bad offsets
        raise Rejected(DAMAGED) from None


# --- the file itself ---------------------------------------------------------

def open_regular_file(path: Path):
    """Open ``path`` for reading only if it is a regular file; never opens a pipe or device."""
    try:
        _require_regular(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0))
    except FileNotFoundError:
        if os.path.lexists(path):
            raise Rejected("The file is a shortcut (link) to a file that no longer exists.") from None
        raise Rejected("The file could not be found.") from None
    except OSError as exc:
        raise Rejected(f"The file could not be read ({exc.strerror or exc}).") from None
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
        raise Rejected("This is a folder, not a file.")
    kind = ("a named pipe" if stat.S_ISFIFO(mode) else
            "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else
            "a socket" if stat.S_ISSOCK(mode) else "a special system file")
    raise Rejected(f"This is not an ordinary file (it is {kind}), so it was not read.")


def _not_a_zip_reason(f, head: bytes) -> str:
    if head.startswith(CFB_MAGIC):
        return ENCRYPTED_WORKBOOK if _cfb_is_encrypted(f) else OLD_XLS
    if b"%PDF-" in head[:1024]:
        return PDF
    if not _looks_like_text(head):
        return UNKNOWN
    encoding = "utf-16" if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-8"
    text = head.decode(encoding, "ignore").lstrip("\ufeff \t\r\n").lower()
    if text.startswith(("<!doctype html", "<html", "<table", "mime-version:")) or "<html" in text[:1024]:
        return HTML
    if text.startswith("<?xml"):
        return XML
    return TEXT


_CONTROL_BYTES = bytes(set(range(32)) - set(b"\t\n\r\f"))


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    sample = head[:4096]
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return b"\x00" not in sample and controls <= len(sample) // 200


_ENCRYPTION_STREAMS = tuple(name.encode("utf-16-le") for name in ("EncryptionInfo", "EncryptedPackage"))


def _cfb_is_encrypted(f) -> bool:
    """An encrypted .xlsx is a CFB file with EncryptionInfo/EncryptedPackage streams; look for their names."""
    f.seek(0)
    carry = b""
    while block := f.read(CHUNK):   # the file is already known to be within max_file_bytes
        window = carry + block
        if any(name in window for name in _ENCRYPTION_STREAMS):
            return True
        carry = window[-64:]
    return False


def _central_directory_too_big(f, size: int, limits: Limits) -> bool:
    """Refuse a huge zip directory before zipfile builds an object for every entry in it."""
    tail_length = min(size, 22 + 65535)
    f.seek(size - tail_length)
    tail = f.read(tail_length)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        return False   # zipfile will report the damage
    entries, directory_bytes = struct.unpack_from("<HI", tail, at + 10)
    if entries == 0xFFFF or directory_bytes == 0xFFFFFFFF:
        return False   # zip64: the real counts live elsewhere; checked after opening
    return entries > limits.max_members or directory_bytes > limits.max_members * 1024


# --- the zip package ---------------------------------------------------------

CONTENT_TYPES = "[content_types].xml"
WORKBOOK = "xl/workbook.xml"
BINARY_TYPE = "sheet.binary.macroenabled.main"
MACRO_TYPES = ("macroenabled.main+xml", "ms-excel.macrosheet", "ms-office.vbaproject")
STRICT_NAMESPACE = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def _check_zip(zf: zipfile.ZipFile, file_size: int, limits: Limits, keep: Package | None = None) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise Rejected(_too_many_parts(limits.max_members))
    parts = {info.filename.lower(): info for info in infos}
    if len(parts) != len(infos):
        raise Rejected(DAMAGED)   # two parts with the same name: readers would disagree on which is real
    if any(info.flag_bits & 0x1 for info in infos):
        raise Rejected(ENCRYPTED_PARTS)
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        raise Rejected(ODD_COMPRESSION)   # also: zipfile decompresses bzip2/lzma without an output bound

    scan = _Scan(zf, file_size, limits, keep)
    if keep is not None:
        keep.names = {info.filename for info in infos}
    if CONTENT_TYPES not in parts:
        if "mimetype" in parts:
            found = scan.member(parts["mimetype"], ("opendocument.spreadsheet", "opendocument"))
            if found:
                raise Rejected(ODS if "opendocument.spreadsheet" in found else OPENDOCUMENT)
        raise Rejected(ZIP_NOT_OFFICE)
    if any(name.startswith("word/") for name in parts):
        raise Rejected(WORD)
    if any(name.startswith("ppt/") for name in parts):
        raise Rejected(POWERPOINT)
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in parts):
        raise Rejected(MACRO)
    if "xl/workbook.bin" in parts:
        raise Rejected(XLSB)
    if WORKBOOK not in parts:
        raise Rejected(OFFICE_NOT_WORKBOOK)

    found = scan.member(parts[CONTENT_TYPES], (BINARY_TYPE, *MACRO_TYPES))
    if BINARY_TYPE in found:
        raise Rejected(XLSB)
    if found:
        raise Rejected(MACRO)
    if scan.member(parts[WORKBOOK], (STRICT_NAMESPACE,)):
        raise Rejected(STRICT)
    for info in infos:
        if info.filename.lower() not in (CONTENT_TYPES, WORKBOOK):
            scan.member(info)


def _text_encoding(start: bytes) -> str:
    """The encoding an XML parser would detect from a part's first bytes (UTF-8 unless UTF-16)."""
    if start.startswith((codecs.BOM_UTF16_LE, b"<\x00")):
        return "utf-16-le"
    if start.startswith((codecs.BOM_UTF16_BE, b"\x00<")):
        return "utf-16-be"
    return "utf-8"


def _spellings(words: tuple[str, ...], encoding: str) -> tuple[bytes, ...]:
    return tuple(word.lower().encode(encoding) for word in words)


_DTD_SPELLINGS = {encoding: _spellings(("<!doctype", "<!entity"), encoding)
                  for encoding in ("utf-8", "utf-16-le", "utf-16-be")}
# Office parts must be UTF-8 or UTF-16; other encodings could hide a DOCTYPE from the byte scan.
_ODD_ENCODING_STARTS = (b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00", b"\x00\x00\x00<", b"<\x00\x00\x00",
                        b"\x4c\x6f\xa7\x94")   # UTF-32 (with and without BOM), EBCDIC "<?xm"
_XML_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml\s[^>]*?encoding\s*=\s*[\"']([^\"']*)[\"']")
_ALLOWED_ENCODINGS = {b"utf-8", b"utf8", b"utf-16", b"utf16", b"utf-16le", b"utf-16be", b"us-ascii",
                      b"ascii", b"iso-8859-1", b"latin-1", b"windows-1252"}


def _has_odd_encoding(start: bytes) -> bool:
    if start.startswith(_ODD_ENCODING_STARTS):
        return True
    declared = _XML_DECLARED_ENCODING.match(start[:512])
    return bool(declared) and declared.group(1).lower() not in _ALLOWED_ENCODINGS


class _TextChecks:
    """The byte checks on a part's text, fed its lowered bytes (whole, or in overlapping windows):
    an odd encoding or a DTD refuses the part; ``found`` is which of the ``markers`` occur."""

    def __init__(self, start: bytes, markers: tuple[str, ...]):
        if _has_odd_encoding(start):
            raise Rejected(ODD_ENCODING)
        encoding = _text_encoding(start)
        self.dtd = _DTD_SPELLINGS[encoding]
        self.wanted = dict(zip(markers, _spellings(markers, encoding)))
        self.found: set[str] = set()

    def feed(self, lowered: bytes) -> None:
        if any(spelling in lowered for spelling in self.dtd):
            raise Rejected(DOCTYPE)
        self.found.update(marker for marker, spelling in self.wanted.items() if spelling in lowered)


class _Scan:
    """Streams zip parts once each, enforcing size limits and scanning the bytes as they pass."""

    def __init__(self, zf: zipfile.ZipFile, file_size: int, limits: Limits, keep: Package | None = None):
        self.zf, self.file_size, self.limits, self.keep = zf, file_size, limits, keep
        self.total = 0
        self.check_area = limits.max_rows is not None or limits.max_cols is not None

    def member(self, info: zipfile.ZipInfo, markers: tuple[str, ...] = ()) -> set[str]:
        """Decompress one part in chunks; return which ``markers`` occur in it."""
        if self.keep is not None and info.file_size <= SMALL_PART and self.keep.kept + info.file_size <= KEEP_LIMIT:
            raw = _stored_bytes(self.keep.data, info)
            if raw is not None:
                try:
                    data, found, tree = _small_part(raw, info.compress_type, info.CRC, info.file_size, markers,
                                                    self.limits if self.check_area else None)
                except _Unusual:
                    pass  # read it the careful way below, which names what is wrong
                else:
                    self.total += len(data)
                    self._check_sizes(len(data), max(1, min(info.compress_size, self.file_size)))
                    self.keep.parts[info.filename] = data
                    self.keep.kept += len(data)
                    if tree is not None:
                        self.keep.sheets[info.filename] = tree
                    return set(found)
        text: _TextChecks | None = None
        chunks: list[bytes] | None = [] if self.keep is not None else None
        area = _SheetArea(self.limits) if self.check_area and chunks is None else None
        compressed = max(1, min(info.compress_size, self.file_size))
        size, carry = 0, b""
        with self.zf.open(info) as stream:
            while chunk := stream.read(CHUNK):
                if text is None:
                    text = _TextChecks(chunk, markers)
                size += len(chunk)
                self.total += len(chunk)
                self._check_sizes(size, compressed)
                lowered = chunk.lower()
                window = carry + lowered if carry else lowered
                text.feed(window)
                carry = window[-CARRY:]
                if area:
                    area.feed(chunk)
                elif chunks is not None:
                    chunks.append(chunk)
                    if self.keep.kept + size > KEEP_LIMIT:  # too much to hold: check as it streams by
                        area = _SheetArea(self.limits) if self.check_area else None
                        if area:
                            area.feed(b"".join(chunks))
                        chunks = None
        if area:
            area.feed(b"", final=True)
        if chunks is not None:
            data = self.keep.parts[info.filename] = b"".join(chunks)
            self.keep.kept += len(data)
            tree = _sheet_tree(data, self.limits if self.check_area else None)
            if tree is not None:
                self.keep.sheets[info.filename] = tree
        return set() if text is None else text.found

    def _check_sizes(self, size: int, compressed: int) -> None:
        limits = self.limits
        bomb = "This file looks like a zip bomb (a file built to overwhelm computers): "
        advice = "; do not open it, and ask the partner to send the workbook again."
        if size > limits.max_member_bytes:
            raise Rejected(f"{bomb}one part of it would expand to more than {_size(limits.max_member_bytes)}{advice}")
        if self.total > limits.max_uncompressed_bytes:
            raise Rejected(f"{bomb}it would expand to more than {_size(limits.max_uncompressed_bytes)}{advice}")
        if size > RATIO_FLOOR and size > limits.max_ratio * compressed:
            raise Rejected(f"{bomb}one part of it is squeezed more than {limits.max_ratio:g} times smaller "
                           f"than its real size{advice}")


class _Unusual(Exception):
    """A part that is not simply a complete deflated (or stored) stream of its stated size and checksum."""


def _stored_bytes(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part's compressed bytes, found through its local header; None if anything there is out of the ordinary."""
    at = info.header_offset
    if data[at:at + 4] != b"PK\x03\x04" or len(data) < at + 30:
        return None
    name_length, extra_length = struct.unpack_from("<HH", data, at + 26)
    name = data[at + 30:at + 30 + name_length]
    try:
        if name.decode("utf-8" if info.flag_bits & 0x800 else "cp437") != info.orig_filename:
            return None
    except UnicodeDecodeError:
        return None
    start = at + 30 + name_length + extra_length
    raw = data[start:start + info.compress_size]
    return raw if len(raw) == info.compress_size else None


@functools.lru_cache(maxsize=256)
def _small_part(raw: bytes, method: int, crc: int, size: int, markers: tuple[str, ...], limits: Limits | None):
    """(data, markers found, sheet) of a small part, checked as ``_Scan.member`` checks it.

    Returns repeat across returns (the styles, the theme, unchanged sheets), so the result is
    remembered by the compressed bytes: a part seen before is neither decompressed nor checked again.
    """
    if method == zipfile.ZIP_STORED:
        data = raw
    elif method == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        try:
            data = inflater.decompress(raw, size + 1)
        except zlib.error:
            raise _Unusual from None
        if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
            raise _Unusual
    else:
        raise _Unusual
    if len(data) != size or zlib.crc32(data) != crc:
        raise _Unusual
    text = _TextChecks(data[:CHUNK], markers)
    text.feed(data.lower())
    found = tuple(marker for marker in markers if marker in text.found)
    tree = _parse_sheet_tree(data, limits)
    return data, found, tree


# --- template area -----------------------------------------------------------

class _NotASheet(Exception):
    pass


def _refuse_dtd(*_args) -> None:
    raise Rejected(DOCTYPE)


@functools.lru_cache(maxsize=1 << 14)
def _cached_column_number(letters: str) -> int:
    return column_number(letters)


@functools.lru_cache(maxsize=1 << 16)
def _split_reference(reference: str) -> tuple[int, int]:
    """ "XFD1048576" -> (16384, 1048576); a missing part is 0; not a reference -> (0, 0)."""
    reference = reference.strip().replace("$", "")
    letters = reference.rstrip("0123456789")
    digits = reference[len(letters):]
    if letters and not (len(letters) <= 10 and letters.isascii() and letters.isalpha()) or len(digits) > 12:
        return 0, 0
    return (_cached_column_number(letters) if letters else 0), int(digits or 0)


def _is_sheet(data: bytes) -> bool:
    """Whether the root element of an XML part is a worksheet (expat reads only up to the root)."""
    if _text_encoding(data[:4]) == "utf-8" and b"sheet" not in data:  # tag names never hold references
        return False
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse_dtd
    roots: list[str] = []

    def root(tag: str, _attributes) -> None:
        roots.append(tag.rpartition(" ")[2])
        raise _NotASheet

    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except (_NotASheet, expat.ExpatError):
        pass
    return bool(roots) and roots[0] in ("worksheet", "dialogsheet")


def _sheet_tree(data: bytes, limits: Limits | None):
    """A worksheet part's tree, checked against the template area (``limits``); None if not a sheet.

    Small sheets are parsed once here and the tree is kept for the reader; a large
    one is only streamed (its tree is built by the reader, if it gets that far).
    A sheet whose bytes were seen before (the same instructions in every return)
    is not parsed again: the result depends on nothing but the bytes and limits.
    Trees are shared, so readers never change them.
    """
    if len(data) <= MEMO_LIMIT:
        return _remembered_sheet_tree(data, limits)
    return _parse_sheet_tree(data, limits)


@functools.lru_cache(maxsize=64)
def _remembered_sheet_tree(data: bytes, limits: Limits | None):
    return _parse_sheet_tree(data, limits)


def _parse_sheet_tree(data: bytes, limits: Limits | None):
    scanned = sheetxml.scan_checked(data)  # the plain form every writer uses: no tree needed
    if scanned is not None and (limits is None or _scanned_inside(scanned, limits)):
        return scanned
    if not _is_sheet(data):
        return None
    streamed = len(data) > TREE_LIMIT
    if not streamed:
        try:
            root = ElementTree.fromstring(data)  # no DTD can reach here: the byte scan refused it
        except ElementTree.ParseError:
            streamed = True  # the stream names the first problem in document order
    if streamed:
        if limits is not None:
            area = _SheetArea(limits)
            area.feed(data, final=True)
        return None
    if limits is not None:
        _tree_area(root, _SheetArea(limits))
    return root


def _scanned_inside(sheet: sheetxml.Sheet, limits: Limits) -> bool:
    """Whether a scanned sheet lies within the template area (if not, the XML path names what is outside)."""
    max_rows = limits.max_rows if limits.max_rows is not None else float("inf")
    max_cols = limits.max_cols if limits.max_cols is not None else float("inf")
    last_row, last_col = sheet.extent()
    corners = [_split_reference(corner) for ref in sheet.dimension for corner in ref.decode().split(":")]
    return last_row <= max_rows and last_col <= max_cols and all(
        row <= max_rows and col <= max_cols for col, row in corners)


def _tree_area(root, area: _SheetArea) -> None:
    """The template-area check over a parsed sheet: the same walk as ``_SheetArea``, in document order.

    Written out for speed (it runs on every sheet of every return): cells and rows
    are placed as ``_SheetArea.element`` places them, and anything beyond the
    area goes to ``_SheetArea._check`` for the reason.
    """
    max_rows = area.max_rows if area.max_rows is not None else float("inf")
    max_cols = area.max_cols if area.max_cols is not None else float("inf")
    row = col = 0
    for element in root.iter():
        tag = element.tag
        if tag[-2:] == "}c" or tag == "c":
            got_col, got_row = _split_reference(element.get("r", ""))
            col, row = got_col or col + 1, got_row or row
            if row > max_rows or col > max_cols:
                area._check(col, row)
        elif tag[-4:] == "}row" or tag == "row":
            row, col = _split_reference(element.get("r", ""))[1] or row + 1, 0
            if row > max_rows:
                area._check(0, row)
        elif (tag[-10:] == "}dimension" or tag == "dimension") and element is not root:
            for corner in element.get("ref", "").split(":"):
                area._check(*_split_reference(corner))


class _SheetArea:
    """Streams one part through expat; if it is a worksheet, refuses anything beyond the template area.

    Expat sees what a reader sees: quoted attributes, character references,
    namespace prefixes, UTF-16, and cells or rows without an ``r`` attribute
    (whose position follows the previous one).  Parts that are not XML, or whose
    root is not a worksheet, are dropped as soon as that is clear.
    """

    def __init__(self, limits: Limits):
        self.max_rows, self.max_cols = limits.max_rows, limits.max_cols
        self.is_sheet: bool | None = None
        self.row = self.col = 0
        parser = self.parser = expat.ParserCreate(namespace_separator=" ")
        parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = _refuse_dtd
        parser.StartElementHandler = self._root

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.parser is None:
            return
        try:
            self.parser.Parse(data, final)
        except (_NotASheet, expat.ExpatError):
            if self.is_sheet:
                raise Rejected(DAMAGED_SHEET) from None
            self.parser = None

    def _root(self, tag: str, attributes: dict[str, str]) -> None:
        self.is_sheet = tag.rpartition(" ")[2] in ("worksheet", "dialogsheet")
        if not self.is_sheet:
            raise _NotASheet
        self.parser.StartElementHandler = self._start

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        self.element(tag.rpartition(" ")[2], attributes)

    def element(self, name: str, attributes) -> None:
        """One element (by its local name) in document order, after the root."""
        if name == "c":
            col, row = _split_reference(attributes.get("r", ""))
            self.col, self.row = col or self.col + 1, row or self.row
            self._check(self.col, self.row)
        elif name == "row":
            _, row = _split_reference(attributes.get("r", ""))
            self.row, self.col = row or self.row + 1, 0
            self._check(0, self.row)
        elif name == "dimension":
            for corner in attributes.get("ref", "").split(":"):
                self._check(*_split_reference(corner))

    def _check(self, col: int, row: int) -> None:
        if (self.max_rows is not None and row > self.max_rows) or (self.max_cols is not None and col > self.max_cols):
            where = (f"cell {column_letters(col)}{row}" if col and row else
                     f"column {column_letters(col)}" if col else f"row {row}")
            area = " and ".join(
                ([f"rows 1 to {self.max_rows}"] if self.max_rows is not None else [])
                + ([f"columns A to {column_letters(self.max_cols)}"] if self.max_cols is not None else []))
            raise Rejected(f"A sheet has something at {where}, outside the template area ({area}); "
                           "ask the partner to clear anything outside the template and send it again.")
