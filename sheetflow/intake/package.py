"""The checks on a returned workbook's zip package before any spreadsheet parser reads it.

Returned files are hostile input. ``open_checked`` reads a file once and looks
only at the raw bytes and the zip structure: what the file is if not a zip
(sniff.py), the number of parts, and every part decompressed exactly once, in
bounded chunks, counting the bytes it actually gets (the sizes written in the
zip headers are never trusted), with each part's text scanned for DTDs and odd
encodings (xml_safety.py) and each worksheet checked against the template area
(template_area.py). It raises ``Rejected`` with one plain-English line for a
convener and a code; it returns the ``CheckedPackage``, whose decompressed
parts and parsed sheets the fast reader uses, so nothing is decompressed twice.
Standard library only.
"""

from __future__ import annotations

import functools
import io
import os
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..limits import RATIO_FLOOR, Limits
from .codes import RESAVE, RESEND, Code, Rejected
from .sniff import HEAD_BYTES, not_a_zip, open_regular_file
from .template_area import SheetStream, parse_sheet_tree, sheet_tree
from .xml_safety import TextChecks

__all__ = ["Limits", "Rejected", "CheckedPackage", "check_package", "checked", "open_checked"]

CHUNK = 1 << 20          # bytes decompressed per read
CARRY = 256              # bytes kept between chunks so markers split across them are found
SMALL_PART = 64 << 10   # parts up to this size are checked once per process and remembered by their bytes
KEEP_LIMIT = 16 << 20    # open_checked hands over decompressed parts up to this many bytes in all


@dataclass
class CheckedPackage:
    """A checked workbook: its bytes, its decompressed parts and its worksheets already parsed."""

    data: bytes
    parts: dict = field(default_factory=dict)   # part name (as in the zip) -> decompressed bytes
    sheets: dict = field(default_factory=dict)  # worksheet part -> sheet_xml.Sheet or ElementTree root (small sheets)
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


# --- reasons -----------------------------------------------------------------

EMPTY = f"The file is empty (0 bytes); {RESEND}."
DAMAGED = ("The file is damaged or incomplete (it may have been cut short while downloading or emailing); "
           f"{RESEND}.")
ZIP_NOT_OFFICE = "This is a zip archive, not an Excel workbook; ask the partner to send the .xlsx file itself."
ODS = f"This is an OpenDocument spreadsheet (.ods, e.g. from LibreOffice), not an Excel workbook; {RESAVE}."
OPENDOCUMENT = f"This is an OpenDocument file (e.g. from LibreOffice), not an Excel workbook; {RESAVE}."
WORD = f"This is a Word document (.docx), not an Excel workbook; {RESAVE}."
POWERPOINT = f"This is a PowerPoint presentation (.pptx), not an Excel workbook; {RESAVE}."
OFFICE_NOT_WORKBOOK = f"This is an Office file but not an Excel workbook; {RESAVE}."
UNUSUAL_PACKAGE = ("This says it is an Excel workbook, but its parts are not where Excel puts them: it is damaged "
                   "or was written by an unusual program; ask the partner to open it in Excel, save it as "
                   "Excel Workbook (.xlsx) and send it again.")
ODS_PASSWORD = ("This is an OpenDocument spreadsheet (.ods) protected with a password, so it cannot be checked; "
                "ask the partner to remove the password and save it as Excel Workbook (.xlsx).")
OPENDOCUMENT_PASSWORD = ("This is an OpenDocument file protected with a password, not an Excel workbook; "
                         "ask the partner to remove the password and save it as Excel Workbook (.xlsx).")
NUMBERS = ("This is an Apple Numbers file, not an Excel workbook; ask the partner to choose File > Export To > "
           "Excel in Numbers and send the .xlsx file.")
MACRO = ("This workbook contains macros (a macro-enabled .xlsm file), which are not accepted; "
         f"{RESAVE}, which removes the macros.")
XLSB = f"This is an Excel Binary Workbook (.xlsb); {RESAVE}."
STRICT = ("This workbook is saved as \"Strict Open XML Spreadsheet\", which is not accepted; ask the partner "
          "to save it as a normal \"Excel Workbook (.xlsx)\" and send it again.")
ENCRYPTED_PARTS = ("Parts of this file are locked with a zip password, which Excel never does; "
                   f"it may be a deliberately harmful file, so it was refused; {RESEND}.")
ODD_COMPRESSION = ("This file uses a compression method that Excel never uses; "
                   f"it may be a deliberately harmful file, so it was refused; {RESEND}.")


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


def open_checked(path: Path, limits: Limits = Limits(), keep: bool = True) -> CheckedPackage:
    """Read ``path`` once and check it; with ``keep``, also hand over the parts the checks decompressed."""
    with open_regular_file(Path(path)) as f:
        if os.fstat(f.fileno()).st_size > limits.max_file_bytes:
            check_stream(f, os.fstat(f.fileno()).st_size, limits)  # raises "too large"
        data = f.read(limits.max_file_bytes + 1)
    return checked(data, limits, keep)


def checked(data: bytes, limits: Limits = Limits(), keep: bool = True) -> CheckedPackage:
    """The package checks on a workbook already in memory (see ``open_checked``)."""
    package = CheckedPackage(data)
    check_stream(io.BytesIO(data), len(data), limits, package if keep else None)
    return package


def check_stream(f, size: int, limits: Limits, keep: CheckedPackage | None = None) -> None:
    """The package checks on an open binary file of ``size`` bytes; ``keep`` collects the parts."""
    if size == 0:
        raise Rejected(Code.EMPTY, EMPTY)
    if size > limits.max_file_bytes:
        raise Rejected(Code.TOO_BIG,
                       f"The file is {_size(size)}, larger than the {_size(limits.max_file_bytes)} "
                       "allowed for a returned workbook; ask the partner to check they sent the right file.")
    head = f.read(HEAD_BYTES)
    if not head.startswith(b"PK"):
        raise not_a_zip(f, head)
    if _central_directory_too_big(f, size, limits):
        raise Rejected(Code.TOO_MANY_PARTS, _too_many_parts(limits.max_members))
    try:
        with zipfile.ZipFile(f) as zf:
            _check_zip(zf, size, limits, keep)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, zlib.error, OSError, ValueError,
            struct.error, OverflowError, RuntimeError):   # includes bad CRC, truncation, bad offsets
        raise Rejected(Code.DAMAGED, DAMAGED) from None


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
ODF_MANIFEST = "meta-inf/manifest.xml"
SPREADSHEET_TYPES = ("spreadsheetml.sheet.main+xml", "spreadsheetml.template.main+xml",
                     "sheet.macroenabled.main+xml", "sheet.binary.macroenabled.main")
STRICT_NAMESPACE = "http://purl.oclc.org/ooxml/spreadsheetml/main"


def _check_zip(zf: zipfile.ZipFile, file_size: int, limits: Limits, keep: CheckedPackage | None = None) -> None:
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise Rejected(Code.TOO_MANY_PARTS, _too_many_parts(limits.max_members))
    parts = {info.filename.lower(): info for info in infos}
    if len(parts) != len(infos):
        raise Rejected(Code.DAMAGED, DAMAGED)   # two parts with the same name: readers disagree on which is real
    if any(info.flag_bits & 0x1 for info in infos):
        raise Rejected(Code.ZIP_PASSWORD, ENCRYPTED_PARTS)
    if any(info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED) for info in infos):
        # also: zipfile decompresses bzip2/lzma without an output bound
        raise Rejected(Code.ODD_COMPRESSION, ODD_COMPRESSION)

    scan = _Scan(zf, file_size, limits, keep)
    if keep is not None:
        keep.names = {info.filename for info in infos}
    if CONTENT_TYPES not in parts:
        if "mimetype" in parts:
            found = scan.member(parts["mimetype"], ("opendocument.spreadsheet", "opendocument"))
            if found:
                locked = ODF_MANIFEST in parts and scan.member(parts[ODF_MANIFEST], ("encryption-data",))
                if locked:
                    raise Rejected(Code.ENCRYPTED, ODS_PASSWORD if "opendocument.spreadsheet" in found
                                   else OPENDOCUMENT_PASSWORD)
                raise (Rejected(Code.ODS, ODS) if "opendocument.spreadsheet" in found
                       else Rejected(Code.OPENDOCUMENT, OPENDOCUMENT))
        if any(name.startswith("index/") and name.endswith(".iwa") or name == "index.zip" for name in parts):
            raise Rejected(Code.NUMBERS, NUMBERS)
        raise Rejected(Code.PLAIN_ZIP, ZIP_NOT_OFFICE)
    if any(name.startswith("word/") for name in parts):
        raise Rejected(Code.WORD, WORD)
    if any(name.startswith("ppt/") for name in parts):
        raise Rejected(Code.POWERPOINT, POWERPOINT)
    if "xl/workbook.bin" in parts:  # before the macros: an .xlsb with macros is still an .xlsb
        raise Rejected(Code.XLSB, XLSB)
    if any(name.endswith("vbaproject.bin") or name.startswith("xl/macrosheets/") for name in parts):
        raise Rejected(Code.MACRO_ENABLED, MACRO)
    if WORKBOOK not in parts:
        if scan.member(parts[CONTENT_TYPES], SPREADSHEET_TYPES):
            raise Rejected(Code.UNUSUAL_PACKAGE, UNUSUAL_PACKAGE)
        raise Rejected(Code.NOT_A_WORKBOOK, OFFICE_NOT_WORKBOOK)

    found = scan.member(parts[CONTENT_TYPES], (BINARY_TYPE, *MACRO_TYPES))
    if BINARY_TYPE in found:
        raise Rejected(Code.XLSB, XLSB)
    if found:
        raise Rejected(Code.MACRO_ENABLED, MACRO)
    if scan.member(parts[WORKBOOK], (STRICT_NAMESPACE,)):
        raise Rejected(Code.STRICT_XML, STRICT)
    for info in infos:
        if info.filename.lower() not in (CONTENT_TYPES, WORKBOOK):
            scan.member(info)


class _Scan:
    """Streams zip parts once each, enforcing size limits and scanning the bytes as they pass."""

    def __init__(self, zf: zipfile.ZipFile, file_size: int, limits: Limits, keep: CheckedPackage | None = None):
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
        text: TextChecks | None = None
        keep = self.keep
        chunks: list[bytes] | None = [] if keep is not None else None
        area = SheetStream(self.limits) if self.check_area and chunks is None else None
        compressed = max(1, min(info.compress_size, self.file_size))
        size, carry = 0, b""
        with self.zf.open(info) as stream:
            while chunk := stream.read(CHUNK):
                if text is None:
                    text = TextChecks(chunk, markers)
                size += len(chunk)
                self.total += len(chunk)
                self._check_sizes(size, compressed)
                lowered = chunk.lower()
                window = carry + lowered if carry else lowered
                text.feed(window)
                carry = window[-CARRY:]
                if area:
                    area.feed(chunk)
                elif chunks is not None and keep is not None:
                    chunks.append(chunk)
                    if keep.kept + size > KEEP_LIMIT:  # too much to hold: check as it streams by
                        area = SheetStream(self.limits) if self.check_area else None
                        if area:
                            area.feed(b"".join(chunks))
                        chunks = None
        if area:
            area.feed(b"", final=True)
        if chunks is not None and keep is not None:
            data = keep.parts[info.filename] = b"".join(chunks)
            keep.kept += len(data)
            tree = sheet_tree(data, self.limits if self.check_area else None)
            if tree is not None:
                keep.sheets[info.filename] = tree
        return set() if text is None else text.found

    def _check_sizes(self, size: int, compressed: int) -> None:
        limits = self.limits
        bomb = "This file looks like a zip bomb (a file built to overwhelm computers): "
        advice = "; do not open it, and ask the partner to send the workbook again."
        if size > limits.max_member_bytes:
            raise Rejected(Code.ZIP_BOMB,
                           f"{bomb}one part of it would expand to more than "
                           f"{_size(limits.max_member_bytes)}{advice}")
        if self.total > limits.max_uncompressed_bytes:
            raise Rejected(Code.ZIP_BOMB,
                           f"{bomb}it would expand to more than "
                           f"{_size(limits.max_uncompressed_bytes)}{advice}")
        if size > RATIO_FLOOR and size > limits.max_ratio * compressed:
            raise Rejected(Code.ZIP_BOMB,
                           f"{bomb}one part of it is squeezed more than {limits.max_ratio:g} times "
                           f"smaller than its real size{advice}")


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
    text = TextChecks(data[:CHUNK], markers)
    text.feed(data.lower())
    found = tuple(marker for marker in markers if marker in text.found)
    tree = parse_sheet_tree(data, limits)
    return data, found, tree


