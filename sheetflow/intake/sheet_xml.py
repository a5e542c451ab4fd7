"""Worksheets and shared strings in the plain form spreadsheet programs write, read with regular expressions.

Building an XML tree of every sheet of every return is most of the cost of
reading a thousand small workbooks. Excel, LibreOffice, xlsxwriter and openpyxl
all write cells the same plain way (``<c r="D31" s="4" t="s"><v>12</v></c>``),
and for that form a regular expression finds exactly what an XML parser would.
``scan`` accepts a part only when that is certain: UTF-8, one default namespace,
no comments, CDATA or processing instructions, every row and cell with its
reference as the first attribute, nothing but rows and cells (holding values,
formulas and plain text) in the sheet data, and every tag there accounted for.
Anything else returns None and the caller parses the part as XML; that path
also gives the reasons. Well-formedness is always checked by expat.
Standard library only.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, final
from xml.parsers import expat

from ..cells import cell_name, column_number

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

MAIN = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_HEAD = re.compile(rb'(?:<\?xml [^>]*?encoding="(?:UTF-8|utf-8)"[^>]*\?>)?\s*<(worksheet|sst)[\s>]')
_ATTRIBUTES = rb'((?:\s+[A-Za-z_][\w.:-]*="[^"<&\t\n\r]*")*)\s*'
_CELL = re.compile(rb'<c r="([A-Z]{1,3}[1-9][0-9]{0,6})"' + _ATTRIBUTES
                   + rb'(?:(/)>|>([^<]*(?:<(?!/?(?:c|row)[\s/>])[^<]*)*)</c>)')
_ROW = re.compile(rb'<row r="([1-9][0-9]{0,6})"' + _ATTRIBUTES + rb'(/?)>')
_DIMENSION = re.compile(rb'<dimension ref="([^"<&]*)"\s*/>')
_MERGE = re.compile(rb'<mergeCell ref="([A-Z]{1,3}[1-9][0-9]{0,6}(?::[A-Z]{1,3}[1-9][0-9]{0,6})?)"\s*/>')
_MERGE_TAG = re.compile(rb"<mergeCell[\s/>]")
_OTHER_TAG = re.compile(rb"<(?!/?(?:row|c|v|f|is|t)[\s/>])")  # inside sheetData: only these, no prefixes
_PREFIXED = re.compile(rb"<[A-Za-z_][\w.-]*:(?:c|row|dimension|mergeCell|sheetData|sheetPr|v|f|is|t)[\s/>]")
_ATTRIBUTE = re.compile(rb'([A-Za-z_][\w.:-]*)="([^"]*)"')
_VALUE = re.compile(rb"<v>([^<]*)</v>")
_INLINE = re.compile(rb'<is><t(?: xml:space="preserve")?>([^<]*)</t></is>')
_STRING = re.compile(rb'<si><t(?: xml:space="preserve")?>([^<]*)</t></si>')
_SHARED = re.compile(rb'<f\s[^>]*\bt="shared"')
_ENTITY = re.compile(r"&(#[0-9]+|#x[0-9a-fA-F]+|amp|lt|gt|quot|apos);")
_NAMED = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "apos": "'"}


@functools.lru_cache(maxsize=1 << 16)
def reference(text: bytes) -> tuple[int, int]:
    """b"D31" -> (31, 4): row and column."""
    digits = text.lstrip(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return int(digits), column_number(text[:len(text) - len(digits)].decode("ascii"))


@functools.lru_cache(maxsize=1 << 16)
def _name(row: int, col: int) -> bytes:
    return cell_name(row, col).encode("ascii")


def _entity(match: re.Match[str]) -> str:
    name = match.group(1)
    if name[0] == "#":
        return chr(int(name[2:], 16) if name[1] in "xX" else int(name[1:]))
    return _NAMED[name]


def text(raw: bytes) -> str:
    """Character data as an XML parser returns it: line ends normalised, entities and references resolved."""
    if b"\r" in raw:
        raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    decoded = raw.decode("utf-8")
    return _ENTITY.sub(_entity, decoded) if "&" in decoded else decoded


def well_formed(data: bytes) -> bool:
    parser = expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except expat.ExpatError:
        return False
    return True


def well_formed_sheet(data: bytes) -> bool:
    """``well_formed`` for a worksheet ``scan`` accepted, checking the frame around its sheet data once.

    Everything but the sheet data (columns, validations, protection...) is the same in every return
    of an instrument saved by the same program. A document is well formed exactly when its frame,
    with the sheet data emptied, is well formed and the sheet data is well formed on its own; that
    needs what ``scan`` makes sure of: one ``<sheetData``, and no comments, CDATA or processing
    instructions that could hold the tag as text.
    """
    start, end = data.find(b"<sheetData>"), data.find(b"</sheetData>")
    if start < 0 or end < start:
        return well_formed(data)
    end += len(b"</sheetData>")
    return _frame_well_formed(data[:start], data[end:]) and well_formed(data[start:end])


@functools.lru_cache(maxsize=64)
def _frame_well_formed(before: bytes, after: bytes) -> bool:
    return well_formed(before + b"<sheetData/>" + after)


def _plain_form(data: bytes, root: bytes) -> bool:
    head = _HEAD.match(data)
    if not head or head.group(1) != root:
        return False
    rest = head.end()  # a one-byte search first: "?" and "!" are rare, "<" is everywhere
    return ((data.find(b"?", rest) < 0 or data.find(b"<?", rest) < 0) and (b"!" not in data or b"<!" not in data)
            and data.count(b'xmlns="') == 1 and data.count(MAIN) == 1 and b'xmlns="' + MAIN + b'"' in data)


@final  # the reader tells it from an XML element by ``type(cell) is Cell``
class Cell:
    """One cell of a scanned sheet: its type (``kind``), style number, value or inline text.

    It answers ``get`` for an attribute as an XML element would.
    """

    __slots__ = ("attributes", "kind", "style", "value", "inline")

    def __init__(self, attributes: dict[str, str], value: str | None, inline: str | None) -> None:
        self.attributes, self.value, self.inline = attributes, value, inline
        self.kind = attributes.get("t", "n")
        style = attributes.get("s")
        self.style = int(style) if style else 0  # not a number: ValueError, as for a parsed cell

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.attributes.get(name, default)


class Sheet:
    """A worksheet's cells by reference, in document order (later cells with the same reference win)."""

    def __init__(self, cells: dict[bytes, tuple[int, bytes, bytes | None]], rows: list[int], dimension: list[bytes],
                 merged: list[bytes]) -> None:
        self._cells = cells  # b"D31" -> (position, attributes, content or None)
        self.rows, self.dimension, self.merged = rows, dimension, merged
        self._covered: set[tuple[int, int]] | None = None

    def extent(self) -> tuple[int, int]:
        """(last row, last column) holding a row or a cell."""
        if not self._cells:
            return max(self.rows, default=0), 0
        rows, cols = zip(*map(reference, self._cells))
        return max(max(rows), max(self.rows, default=0)), max(cols)

    def covered(self) -> set[tuple[int, int]]:
        """Cells hidden under a merge (all but each merge's top-left cell)."""
        if self._covered is None:
            self._covered = set()
            for ref in self.merged:
                first, _, last = ref.partition(b":")
                (top, left), (bottom, right) = reference(first), reference(last or first)
                self._covered.update((r, c) for r in range(top, bottom + 1) for c in range(left, right + 1)
                                     if (r, c) != (top, left))
        return self._covered

    def get(self, key: tuple[int, int]) -> tuple[int, Cell | Element] | None:
        """(position, cell) at (row, column), or None; ``cell`` is a ``Cell`` or, for anything but a
        plain value or plain inline text, an ElementTree element parsed from the cell's own XML."""
        return self.get_many((key,))[0]

    def get_many(self, keys: Iterable[tuple[int, int]]) -> list[tuple[int, Cell | Element] | None]:
        """``get`` for many (row, column) keys at once."""
        cells = self._cells
        covered: Collection[tuple[int, int]] = (self._covered or self.covered()) if self.merged else ()
        out: list[tuple[int, Cell | Element] | None] = []
        for key in keys:
            ref = _name(*key)
            found = cells.get(ref)
            out.append(None if found is None or key in covered else
                       (found[0], _element(ref, found[1], found[2] or b"")))
        return out

    def positions(self) -> list[tuple[int, int]]:
        """Every cell's (row, column)."""
        return [reference(ref) for ref in self._cells]


@functools.lru_cache(maxsize=1 << 12)  # unchanged cells (the questions) recur in every return
def _element(ref: bytes, attributes: bytes, content: bytes) -> Cell | Element:
    names = dict((k.decode(), v.decode()) for k, v in _ATTRIBUTE.findall(attributes)) if attributes else {}
    names["r"] = ref.decode()
    if not content:
        return Cell(names, None, None)
    plain = _VALUE.fullmatch(content)
    if plain:
        return Cell(names, text(plain.group(1)), None)
    inline = _INLINE.fullmatch(content)
    if inline:
        return Cell(names, None, text(inline.group(1)))
    from xml.etree import ElementTree  # formulas and rich text: rare, parse the cell itself

    return ElementTree.fromstring(b'<c xmlns="' + MAIN + b'" r="' + ref + b'"' + attributes + b">"
                                  + content + b"</c>")


def scan(data: bytes) -> Sheet | None:
    """The cells of a worksheet part in the plain form; None when the part must be parsed as XML."""
    if not _plain_form(data, b"worksheet") or _PREFIXED.search(data) or data.count(b"<sheetData") != 1:
        return None
    if b"<sheetData/>" in data:
        body = b""
    else:
        start, end = data.find(b"<sheetData>"), data.find(b"</sheetData>")
        if start < 0 or end < start:
            return None
        body = data[start + len(b"<sheetData>"):end]
    if _OTHER_TAG.search(body) or _SHARED.search(body):  # shared formulas: the XML path translates them
        return None
    pieces = _CELL.split(body)  # between cells, then each cell's reference, attributes, "/", content
    between = b"".join(pieces[::5])
    rows = _ROW.findall(between)
    if between.count(b"<") != sum(1 if closed else 2 for _, _, closed in rows):
        return None  # something besides rows and cells (the caller has checked the XML is well formed)
    dimension = _DIMENSION.findall(data)
    merged = _MERGE.findall(data)
    if data.count(b"<dimension") != len(dimension) or len(_MERGE_TAG.findall(data)) != len(merged):
        return None
    cells = {ref: (position, attrs, content)
             for position, (ref, attrs, content) in enumerate(zip(pieces[1::5], pieces[2::5], pieces[4::5]), start=1)}
    return Sheet(cells, [int(r) for r, _, _ in rows], dimension, merged)


def scan_checked(data: bytes) -> Sheet | None:
    """``scan``, for a part that is also well formed (else None: the caller parses it, for the reason)."""
    sheet = scan(data)
    return sheet if sheet is not None and well_formed_sheet(data) else None


def shared_strings(data: bytes) -> list[str] | None:
    """The items of a shared-strings part in the plain form (one unformatted text each); else None."""
    if not _plain_form(data, b"sst"):
        return None
    found = _STRING.findall(data)
    expected = (1 if data.lstrip(b"\xef\xbb\xbf").startswith(b"<?") else 0) + 2 + 4 * len(found)
    if data.count(b"<") != expected or data.count(b"<si") != len(found):  # no other tag, nor one named si...
        return None
    known = _KNOWN_TEXT  # the question texts recur in every return: each is decoded once per process
    out = []
    for raw in found:
        decoded = known.get(raw)
        if decoded is None:
            decoded = text(raw)
            if len(known) < 1 << 14:
                known[raw] = decoded
        out.append(decoded)
    return out


_KNOWN_TEXT: dict[bytes, str] = {}
