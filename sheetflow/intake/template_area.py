"""The template-area rule: no worksheet may hold cells, rows or a dimension beyond the area the template uses.

A returned workbook with something at XFD1048576 is built to make readers
allocate huge grids; a generated sheet never goes beyond the template area, so
anything outside it is refused. ``Area.check`` is the one rule. It is applied
on each of the three ways a sheet is looked at: the plain form scanned by
sheet_xml (its extent and dimension), a parsed tree (small sheets: the tree is
kept for the reader), and an expat stream (large sheets, so a huge sheet never
becomes a huge tree). The tree and the stream place cells the same way
(``_Walk``): cells or rows without an ``r`` attribute follow the previous one.
Standard library only.
"""

from __future__ import annotations

import functools
from typing import Protocol
from xml.etree import ElementTree
from xml.parsers import expat

from ..cells import column_letters, column_number
from ..limits import Limits
from . import sheet_xml
from .codes import RESEND, Code, Rejected
from .xml_safety import refuse_dtd, text_encoding

TREE_LIMIT = 4 << 20     # a worksheet part larger than this is streamed, not parsed into a tree
MEMO_LIMIT = 256 << 10   # sheets up to this size are checked once per process and remembered by their bytes
DAMAGED_SHEET = f"A sheet inside the workbook is damaged or incomplete; {RESEND}."
SHEET_ROOTS = ("worksheet", "dialogsheet")


class Area:
    """Rows 1 to ``max_rows`` and columns A to ``max_cols`` (None: no bound), from a ``Limits``."""

    def __init__(self, limits: Limits) -> None:
        self.max_rows, self.max_cols = limits.max_rows, limits.max_cols
        self.rows = float("inf") if self.max_rows is None else self.max_rows
        self.cols = float("inf") if self.max_cols is None else self.max_cols

    def inside(self, col: int, row: int) -> bool:
        return row <= self.rows and col <= self.cols

    def check(self, col: int, row: int) -> None:
        """Refuse the file if (col, row) is outside the area; 0 stands for a whole row or column."""
        if self.inside(col, row):
            return
        where = (f"cell {column_letters(col)}{row}" if col and row else
                 f"column {column_letters(col)}" if col else f"row {row}")
        area = " and ".join(
            ([f"rows 1 to {self.max_rows}"] if self.max_rows is not None else [])
            + ([f"columns A to {column_letters(self.max_cols)}"] if self.max_cols is not None else []))
        raise Rejected(Code.OUTSIDE_TEMPLATE, f"A sheet has something at {where}, outside the template area ({area}); "
                       "ask the partner to clear anything outside the template and send it again.")


@functools.lru_cache(maxsize=1 << 14)
def _cached_column_number(letters: str) -> int:
    return column_number(letters)


@functools.lru_cache(maxsize=1 << 16)
def split_reference(reference: str) -> tuple[int, int]:
    """ "XFD1048576" -> (16384, 1048576); a missing part is 0; not a reference -> (0, 0)."""
    reference = reference.strip().replace("$", "")
    letters = reference.rstrip("0123456789")
    digits = reference[len(letters):]
    if letters and not (len(letters) <= 10 and letters.isascii() and letters.isalpha()) or len(digits) > 12:
        return 0, 0
    return (_cached_column_number(letters) if letters else 0), int(digits or 0)


class _Attributes(Protocol):
    """An element's attributes as expat gives them (a dict) or an ElementTree element holds them."""

    def get(self, name: str, default: str, /) -> str: ...


class _Walk:
    """Places a sheet's elements in document order and checks each against the area."""

    def __init__(self, area: Area) -> None:
        self.area = area
        self.row = self.col = 0

    def element(self, name: str, attributes: _Attributes) -> None:
        """One element (by its local name) after the root; ``attributes`` has ``get``."""
        if name == "c":
            col, row = split_reference(attributes.get("r", ""))
            self.col, self.row = col or self.col + 1, row or self.row
            self.area.check(self.col, self.row)
        elif name == "row":
            _, row = split_reference(attributes.get("r", ""))
            self.row, self.col = row or self.row + 1, 0
            self.area.check(0, self.row)
        elif name == "dimension":
            for corner in attributes.get("ref", "").split(":"):
                self.area.check(*split_reference(corner))


class _NotASheet(Exception):
    pass


class SheetStream:
    """Streams one part through expat; if it is a worksheet, refuses anything beyond the template area.

    Expat sees what a reader sees: quoted attributes, character references,
    namespace prefixes, UTF-16. Parts that are not XML, or whose root is not a
    worksheet, are dropped as soon as that is clear.
    """

    def __init__(self, limits: Limits) -> None:
        self.walk = _Walk(Area(limits))
        self.is_sheet: bool | None = None
        parser = expat.ParserCreate(namespace_separator=" ")
        self.parser: expat.XMLParserType | None = parser
        parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse_dtd
        parser.StartElementHandler = self._root

    def feed(self, data: bytes, final: bool = False) -> None:
        if self.parser is None:
            return
        try:
            self.parser.Parse(data, final)
        except (_NotASheet, expat.ExpatError):
            if self.is_sheet:
                raise Rejected(Code.DAMAGED_SHEET, DAMAGED_SHEET) from None
            self.parser = None

    def _root(self, tag: str, _attributes: dict[str, str]) -> None:
        self.is_sheet = tag.rpartition(" ")[2] in SHEET_ROOTS
        if not self.is_sheet:
            raise _NotASheet
        if self.parser is not None:  # it is: expat calls this
            self.parser.StartElementHandler = self._start

    def _start(self, tag: str, attributes: dict[str, str]) -> None:
        self.walk.element(tag.rpartition(" ")[2], attributes)


def _is_sheet(data: bytes) -> bool:
    """Whether the root element of an XML part is a worksheet (expat reads only up to the root)."""
    if text_encoding(data[:4]) == "utf-8" and b"sheet" not in data:  # tag names never hold references
        return False
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = parser.EntityDeclHandler = refuse_dtd
    roots: list[str] = []

    def root(tag: str, _attributes: dict[str, str]) -> None:
        roots.append(tag.rpartition(" ")[2])
        raise _NotASheet

    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except (_NotASheet, expat.ExpatError):
        pass
    return bool(roots) and roots[0] in SHEET_ROOTS


def sheet_tree(data: bytes, limits: Limits | None) -> sheet_xml.Sheet | ElementTree.Element | None:
    """A worksheet part, checked against the template area (``limits``; None: not checked); None if not a sheet.

    The result is a sheet_xml.Sheet for the plain form, else an ElementTree root
    for a sheet small enough to parse (kept for the reader), else None (only
    streamed; the reader parses it if it gets that far). Sheets seen before (the
    same instructions in every return) are not looked at again: the result
    depends on nothing but the bytes and limits. Results are shared, so readers
    never change them.
    """
    if len(data) <= MEMO_LIMIT:
        return remembered_sheet_tree(data, limits)
    return parse_sheet_tree(data, limits)


@functools.lru_cache(maxsize=64)
def remembered_sheet_tree(data: bytes, limits: Limits | None) -> sheet_xml.Sheet | ElementTree.Element | None:
    return parse_sheet_tree(data, limits)


def parse_sheet_tree(data: bytes, limits: Limits | None) -> sheet_xml.Sheet | ElementTree.Element | None:
    """``sheet_tree`` without remembering."""
    scanned = sheet_xml.scan_checked(data)  # the plain form every writer uses: no tree needed
    if scanned is not None and (limits is None or _scanned_inside(scanned, Area(limits))):
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
            SheetStream(limits).feed(data, final=True)
        return None
    if limits is not None:
        _check_tree(root, Area(limits))
    return root


def _scanned_inside(sheet: sheet_xml.Sheet, area: Area) -> bool:
    """Whether a scanned sheet lies within the area (if not, the tree or stream names what is outside)."""
    last_row, last_col = sheet.extent()
    corners = [split_reference(corner) for ref in sheet.dimension for corner in ref.decode().split(":")]
    return area.inside(last_col, last_row) and all(area.inside(col, row) for col, row in corners)


def _check_tree(root: ElementTree.Element, area: Area) -> None:
    """The area check over a parsed sheet, in document order, as the stream does it."""
    walk = _Walk(area)
    for element in root.iter():
        if element is not root:
            tag = element.tag
            walk.element(tag[tag.rfind("}") + 1:], element)
