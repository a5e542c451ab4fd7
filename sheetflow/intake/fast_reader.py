"""Read a checked workbook straight from its XML: file properties, defined names and cell values.

This is sheetflow's fast reader. It works on the parts package.py already
decompressed and the worksheets it already parsed (``package.open_checked``), and
looks only at what validation asks for. Each cell gets the value openpyxl's
``load_workbook`` would give it: shared and inline strings, numbers as int or
float, dates and times from the cell's number format, booleans, error codes,
and for a formula its text, never its cached result. Cells covered by a merge
read as empty, as in openpyxl. Standard library only; the two rare cases that
need more (a shared formula copied to other cells, a cell typed as an ISO date)
borrow openpyxl's own helpers when they occur.
"""

from __future__ import annotations

import datetime as dt
import functools
import posixpath
import re
from collections.abc import Iterable, Iterator
from typing import NamedTuple, cast, final
from xml.etree import ElementTree
from xml.etree.ElementTree import Element

from . import sheet_xml
from ..cells import column_number
from .package import CheckedPackage

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
RELATIONSHIP_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
CONTENT_TYPES = "{http://schemas.openxmlformats.org/package/2006/content-types}"
CUSTOM = "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}"
MODIFIED = "{http://purl.org/dc/terms/}modified"
WORKBOOK_TYPES = tuple(f"application/vnd.{kind}.main+xml" for kind in (
    "ms-excel.template.macroEnabled", "openxmlformats-officedocument.spreadsheetml.template",
    "ms-excel.sheet.macroEnabled", "openxmlformats-officedocument.spreadsheetml.sheet"))
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
WINDOWS_EPOCH, MAC_EPOCH = dt.datetime(1899, 12, 30), dt.datetime(1904, 1, 1)

# Number formats that make a number a date or time (as openpyxl.styles.numbers decides).
BUILTIN_DATES = {14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47}
BUILTIN_DURATIONS = {46}
_LITERALS = re.compile(r'".*?"|\[(?!hh?\]|mm?\]|ss?\])[^\]]*\]')
_DATE_CODE = re.compile(r"(?<![_\\])[dmhysDMHYS]")
_DURATION_CODE = re.compile(r"\[hh?\](:mm(:ss(\.0*)?)?)?|\[mm?\](:ss(\.0*)?)?|\[ss?\](\.0*)?", re.I)
_COORDINATE = re.compile(r"^[$]?([A-Za-z]{1,3})[$]?(\d+)$")
_DESTINATION = re.compile(r"^(?:'((?:[^']|'')*)'|([^' !]+))!(\$?[A-Za-z]{1,3}\$?\d+(?::\$?[A-Za-z]{1,3}\$?\d+)?)$")
_MODIFIED = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?")


# A cell's value as openpyxl gives it: text (also error codes and a formula's text), a number, true/false, a date,
# time or duration for a number shown as one (a cell typed as an ISO date too), or None for an empty cell.
CellValue = str | int | float | bool | dt.datetime | dt.date | dt.time | dt.timedelta | None
# A custom document property's value: text, a number or true/false (None: given without a value).
PropertyValue = str | int | float | bool | None


class Damaged(Exception):
    """The workbook's XML does not hold together (a part is missing, malformed or inconsistent)."""


class Styles(NamedTuple):
    """What a workbook's cell styles (their index in cellXfs) say about the cells that use them."""

    dates: frozenset[int]  # styles showing numbers as dates or times
    durations: frozenset[int]  # ... as durations ([h]:mm)
    locked: tuple[bool, ...]  # whether each style locks its cells


def is_date_format(code: str | None) -> bool:
    if code is None:
        return False
    return _DATE_CODE.search(_LITERALS.sub("", code.split(";")[0])) is not None


def is_duration_format(code: str | None) -> bool:
    return code is not None and _DURATION_CODE.search(code.split(";")[0]) is not None


def from_excel(value: float, epoch: dt.datetime = WINDOWS_EPOCH,
               duration: bool = False) -> dt.datetime | dt.time | dt.timedelta:
    """An Excel serial number as a datetime, time or timedelta (openpyxl's rules, to the millisecond)."""
    if duration:
        span = dt.timedelta(days=value)
        if span.microseconds:
            span = dt.timedelta(seconds=span.total_seconds() // 1, microseconds=round(span.microseconds, -3))
        return span
    day, fraction = divmod(value, 1)
    diff = dt.timedelta(milliseconds=round(fraction * 86400 * 1000))
    if 0 <= value < 1 and diff.days == 0:
        seconds = diff.seconds
        return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, diff.microseconds)
    if 0 < value < 60 and epoch == WINDOWS_EPOCH:
        day += 1
    return epoch + dt.timedelta(days=day) + diff



def boundaries(reference: str) -> tuple[int, int, int, int]:
    """ "A17:F24" -> (17, 1, 24, 6): top, left, bottom, right; a single cell is a range of one."""
    first, _, last = reference.partition(":")
    (top, left), (bottom, right) = coordinate(first), coordinate(last or first)
    if bottom < top or right < left:
        raise Damaged(f"not a range: {reference!r}")
    return top, left, bottom, right


@functools.lru_cache(maxsize=1 << 16)
def coordinate(text: str) -> tuple[int, int]:
    """ "D31" -> (31, 4): row and column."""
    match = _COORDINATE.match(text)
    if not match or not int(match.group(2)):
        raise Damaged(f"not a cell reference: {text!r}")
    return int(match.group(2)), column_number(match.group(1))


def _number(text: str) -> int | float:
    return float(text) if "." in text or "E" in text or "e" in text else int(text)


def _text(element: Element) -> str:
    """The text of a string item (<si> or <is>): its plain part and its formatted runs, in order."""
    plain = element.find(MAIN + "t")
    snippets = [plain.text] if plain is not None and plain.text is not None else []
    for run in element.findall(MAIN + "r"):
        t = run.find(MAIN + "t")
        if t is not None and t.text is not None:
            snippets.append(t.text)
    return "".join(snippets)


MEMO_LIMIT = 256 << 10


def parse(data: bytes) -> Element:
    """An XML part's tree; small parts seen before (most returns share their styles) are not parsed again."""
    return _remembered(data) if len(data) <= MEMO_LIMIT else ElementTree.fromstring(data)


@functools.lru_cache(maxsize=64)
def _remembered(data: bytes) -> Element:
    return ElementTree.fromstring(data)


class Book:
    """One workbook, read lazily from a checked package."""

    def __init__(self, package: CheckedPackage):
        self.package = package
        workbook_part, self._strings_part = _content_types(self._xml("[Content_Types].xml"))
        workbook = self._xml(workbook_part)
        if workbook is None:
            raise Damaged("no workbook part")
        folder, file = posixpath.split(workbook_part)
        relations = _relations(self._xml(posixpath.join(folder, "_rels", file + ".rels")), folder)
        self.epoch, sheets, self._names = _workbook(workbook)
        self._parts: dict[str, str | None] = {}  # sheet title -> worksheet part (None: a chart sheet)
        for title, rid in sheets:
            if rid not in relations:
                raise Damaged(f"sheet {title!r} points nowhere")
            kind, target = relations[rid]
            if target in package.names:
                self._parts[title] = None if kind.endswith("/chartsheet") else target
        self.sheetnames = list(self._parts)
        self._sheets: dict[str, _Sheet | _Scanned] = {}
        self._strings: list[str] | None = None
        self._styles: Styles | None = None

    # -- the workbook ------------------------------------------------------------------------------
    def _xml(self, name: str | None) -> Element | None:
        data = None if name is None else self.package.part(name)
        return None if data is None else parse(data)

    @property
    def modified(self) -> dt.datetime | None:
        """When the workbook was last saved, from docProps/core.xml (None if not given)."""
        core = self._xml("docProps/core.xml")
        found = None if core is None else core.find(MODIFIED)
        match = _MODIFIED.match(found.text or "") if found is not None else None
        if not match:
            return None
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        return dt.datetime(year, month, day, hour, minute, second)

    @property
    def properties(self) -> dict[str, PropertyValue]:
        """The custom document properties: name -> value (text, number, true/false)."""
        custom = self._xml("docProps/custom.xml")
        out: dict[str, PropertyValue] = {}
        for prop in [] if custom is None else custom.iter(CUSTOM + "property"):
            name = _required(prop, "name")  # openpyxl refuses a property without one
            value = next(iter(prop), None)
            if value is None:
                continue
            kind, text = value.tag.rpartition("}")[2], value.text
            if text is None:
                out[name] = None
            elif kind in ("i1", "i2", "i4", "i8", "int", "ui1", "ui2", "ui4", "ui8", "uint"):
                out[name] = int(text)
            elif kind in ("r4", "r8", "decimal"):
                out[name] = float(text)
            elif kind == "bool":
                out[name] = text.strip().lower() in ("1", "true")
            else:
                out[name] = text
        return out

    @property
    def names(self) -> dict[str, tuple[str, str] | None]:
        """Every workbook-level defined name: name -> (sheet title, reference), or None if not one range.
        Books with the same workbook part share this dict: read it, never change it."""
        return self._names

    def destination(self, name: str) -> tuple[str, str] | None:
        """Where a workbook-level defined name points: (sheet title, "D31" or "A17:F24"); None if not one range."""
        return self._names.get(name)

    def cell(self, sheet: str, row: int, col: int) -> tuple[CellValue, bool]:
        """(value, is a formula) of one cell."""
        return self.cells(sheet, ((row, col),))[0]

    def cells(self, sheet: str, keys: Iterable[tuple[int, int]]) -> list[tuple[CellValue, bool]]:
        """(value, is a formula) of many cells of one sheet, given as (row, column)."""
        grid = self._sheets.get(sheet) or self._sheet(sheet)
        value = self._value
        found: tuple[int, sheet_xml.Cell | Element] | None
        if type(grid) is not _Scanned:
            get = grid.cells.get
            return [(None, False) if (found := get(key)) is None else value(grid, found) for key in keys]
        strings = None
        out: list[tuple[CellValue, bool]] = []
        for found in grid.cells.get_many(keys):
            if found is None:
                out.append((None, False))
                continue
            cell = found[1]
            if type(cell) is sheet_xml.Cell and cell.kind == "s" and cell.value:  # most cells: shared text
                strings = self.shared_strings() if strings is None else strings
                out.append((strings[int(cell.value)], False))
            else:
                out.append(value(grid, found))
        return out

    def strings(self, sheet: str) -> Iterator[tuple[int, int, str]]:
        """Every text cell of a sheet that the workbook's styles lock: (row, column, text)."""
        grid, (_, _, locked) = self._sheet(sheet), self.styles()
        found: Iterable[tuple[tuple[int, int], tuple[int, sheet_xml.Cell | Element] | None]]
        found = ((key, grid.cells.get(key)) for key in grid.cells.positions()) if isinstance(grid, _Scanned) \
            else grid.cells.items()
        for (row, col), (position, element) in sorted((key, cell) for key, cell in found if cell is not None):
            value, formula = self._value(grid, (position, element))
            style = int(element.get("s") or 0)
            if isinstance(value, str) and not formula and element.get("t") in ("s", "inlineStr", "str") \
                    and (style >= len(locked) or locked[style]):
                yield row, col, value

    # -- sheets and cells ----------------------------------------------------------------------------
    def _sheet(self, title: str) -> _Sheet | _Scanned:
        if title not in self._sheets:
            part = self._parts[title]
            root: sheet_xml.Sheet | Element | None = None if part is None else self.package.sheets.get(part)
            if root is None and part is not None:
                data = cast(bytes, self.package.part(part))  # a part the workbook lists
                root = sheet_xml.scan_checked(data)
                root = root if root is not None else parse(data)
            self._sheets[title] = _Scanned(root) if isinstance(root, sheet_xml.Sheet) else _index(root)
        return self._sheets[title]

    def shared_strings(self) -> list[str]:
        if self._strings is None:
            data = self.package.part(self._strings_part) if self._strings_part else None
            plain = sheet_xml.shared_strings(data) if data and sheet_xml.well_formed(data) else None
            if plain is None:
                tree = None if data is None else parse(data)
                plain = [] if tree is None else [_text(item) for item in tree.iter(MAIN + "si")]
            self._strings = [item.replace("x005F_", "") for item in plain]
        return self._strings

    def styles(self) -> Styles:
        """(styles showing dates, styles showing durations, whether each style locks its cells)."""
        if self._styles is None:
            self._styles = _styles(self._xml("xl/styles.xml"))
        return self._styles

    def _value(self, grid: _Sheet | _Scanned, found: tuple[int, sheet_xml.Cell | Element]) -> tuple[CellValue, bool]:
        position, element = found
        if type(element) is sheet_xml.Cell:  # a plain cell: no formula, at most a value or plain text
            kind, style = element.kind, element.style
            if kind == "inlineStr":
                return element.inline, False
            value = element.value or None
        else:
            kind = element.get("t", "n")
            style_number = element.get("s")
            style = int(style_number) if style_number else 0
            formula = element.find(MAIN + "f")
            if formula is not None:
                return grid.formula(position, element, formula), True
            if kind == "inlineStr":
                inline = element.find(MAIN + "is")
                return (None if inline is None else _text(inline)), False
            value = element.findtext(MAIN + "v") or None
        if value is None:
            return None, False
        if kind == "n":
            number = _number(value)
            dates, durations, _ = self.styles()
            if style in dates:
                try:
                    return from_excel(number, self.epoch, style in durations), False
                except (OverflowError, ValueError):
                    return "#VALUE!", False
            return number, False
        if kind == "s":
            return self.shared_strings()[int(value)], False
        if kind == "b":
            return bool(int(value)), False
        if kind == "d":
            from openpyxl.utils.datetime import from_ISO8601  # rare: cells typed as ISO dates
            return from_ISO8601(value), False
        return value, False


@functools.lru_cache(maxsize=16)
def _content_types(tree: Element | None) -> tuple[str, str | None]:
    """(workbook part, shared strings part) as [Content_Types].xml names them."""
    overrides = {} if tree is None else {
        o.get("ContentType"): o.get("PartName", "") for o in tree.iter(CONTENT_TYPES + "Override")}
    workbook = next((overrides[t][1:] for t in WORKBOOK_TYPES if overrides.get(t)), "xl/workbook.xml")
    return workbook, overrides.get(SHARED_STRINGS_TYPE, "")[1:] or None


@functools.lru_cache(maxsize=16)
def _relations(tree: Element | None, folder: str) -> dict[str | None, tuple[str, str]]:
    """Relationship id -> (type, part name) of a .rels part, targets resolved against ``folder``."""
    out: dict[str | None, tuple[str, str]] = {}
    for rel in [] if tree is None else tree.iter(RELATIONSHIPS + "Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            target = target[1:] if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = (rel.get("Type", ""), target)
    return out


@functools.lru_cache(maxsize=16)
def _workbook(tree: Element) -> tuple[dt.datetime, list[tuple[str, str]], dict[str, tuple[str, str] | None]]:
    """(date epoch, [(sheet title, relationship id)], workbook-level defined name -> (sheet, cells) or None)."""
    properties = tree.find(MAIN + "workbookPr")
    date1904 = properties is not None and properties.get("date1904", "").lower() in ("1", "true")
    # a sheet or defined name without its name: openpyxl refuses the workbook, and so does this reader
    sheets: list[tuple[str, str]] = []
    for entry in tree.iter(MAIN + "sheet"):
        title, rid = _required(entry, "name"), entry.get(RELATIONSHIP_ID)
        if rid:
            sheets.append((title, rid))
    names: dict[str, tuple[str, str] | None] = {}
    for name in tree.iter(MAIN + "definedName"):
        key = _required(name, "name")
        if name.get("localSheetId") is None:
            match = _DESTINATION.match((name.text or "").strip())
            if match:
                quoted, plain, cells = match.groups()
                sheet = plain if quoted is None else quoted.replace("''", "'")
                names[key] = sheet, cells.replace("$", "")
            else:
                names[key] = None
    return (MAC_EPOCH if date1904 else WINDOWS_EPOCH), sheets, names


@functools.lru_cache(maxsize=16)
def _styles(tree: Element | None) -> Styles:
    """(styles showing dates, styles showing durations, whether each style locks its cells) of a styles part."""
    dates: set[int] = set()
    durations: set[int] = set()
    locked: list[bool] = []
    if tree is not None:
        custom = {int(_required(f, "numFmtId")): f.get("formatCode") for f in tree.iter(MAIN + "numFmt")}
        formats = tree.find(MAIN + "cellXfs")
        for index, xf in enumerate([] if formats is None else formats.findall(MAIN + "xf")):
            number = int(xf.get("numFmtId", 0))
            code = custom.get(number)
            if (code is None and number in BUILTIN_DATES) or is_date_format(code):
                dates.add(index)
            if (code is None and number in BUILTIN_DURATIONS) or is_duration_format(code):
                durations.add(index)
            protection = xf.find(MAIN + "protection")
            flag = "1" if protection is None else protection.get("locked", "1").lower()
            locked.append(flag in ("1", "true"))
    return Styles(frozenset(dates), frozenset(durations), tuple(locked))


def _required(element: Element, attribute: str) -> str:
    """An attribute openpyxl requires (without it, it refuses the workbook, and so does this reader)."""
    value = element.get(attribute)
    if value is None:
        raise Damaged(f"<{element.tag.rpartition('}')[2]}> without {attribute}")
    return value


@final  # Book tells the two kinds of sheet apart by type(grid) is _Scanned
class _Scanned:
    """A scanned sheet (sheet_xml.Sheet) with the face of ``_Sheet``: cells by (row, column) and formulas."""

    def __init__(self, sheet: sheet_xml.Sheet) -> None:
        self.cells = sheet

    def formula(self, position: int, element: Element, formula: Element) -> str:
        return "=" if formula.get("t") == "dataTable" else "=" + (formula.text or "")  # never shared here


@functools.lru_cache(maxsize=64)
def _index(root: Element | None) -> _Sheet:
    return _Sheet(root)


@final
class _Sheet:
    """A worksheet's cells by (row, column), in document order, as openpyxl places them."""

    def __init__(self, root: Element | None) -> None:
        self.cells: dict[tuple[int, int], tuple[int, Element]] = {}  # (row, column) -> (position, <c> element)
        # shared formula id -> (position, cell, formula); an id or cell reference left out is None, as in openpyxl
        self.shared: dict[str | None, tuple[int, str | None, str]] = {}
        if root is None:
            return
        row_number = position = 0
        for row in root.iter(MAIN + "row"):
            number = row.get("r")
            if number is None:
                row_number += 1
            else:
                try:
                    row_number = int(number)
                except ValueError:
                    as_float = float(number)
                    if not as_float.is_integer():
                        raise Damaged(f"{number} is not a row number") from None
                    row_number = int(as_float)
            column = 0
            for element in row:
                reference = element.get("r")
                if reference:
                    row_at, column = coordinate(reference)
                else:
                    row_at, column = row_number, column + 1
                position += 1
                self.cells[(row_at, column)] = (position, element)
        for merged in root.iter(MAIN + "mergeCell"):
            top, left, bottom, right = boundaries(merged.get("ref") or "")
            for r in range(top, bottom + 1):
                for c in range(left, right + 1):
                    if (r, c) != (top, left):
                        self.cells.pop((r, c), None)

    def formula(self, position: int, element: Element, formula: Element) -> str:
        """A formula cell's text: "=" and the formula (a copy of a shared formula is translated to its cell)."""
        text = "=" + (formula.text or "")
        kind = formula.get("t")
        if kind == "dataTable":
            return "="
        if kind != "shared":
            return text
        if not self.shared:
            for pos, cell in sorted(self.cells.values(), key=lambda item: item[0]):
                f = cell.find(MAIN + "f")
                if f is not None and f.get("t") == "shared" and f.text and f.get("si") not in self.shared:
                    self.shared[f.get("si")] = (pos, cell.get("r"), "=" + f.text)
        master = self.shared.get(formula.get("si"))
        if master is None or master[0] >= position:
            return text
        from openpyxl.formula.translate import Translator  # rare: a formula filled down into answer cells
        return Translator(master[2], master[1]).translate_formula(element.get("r"))
