"""Read the earlier cycles out of a roll-up workbook that sheetflow made (``rollup --previous``).

A roll-up is recognised by its About sheet (titled "About this roll-up", with the Dictionary
table) and by its Excel Tables: each table in ``tables.CARRIED`` must be there with exactly the
columns sheetflow writes, every row with its response_id and cycle, and whole numbers where
sheetflow writes them. Anything else gets one plain line (``SheetflowError``) and the roll-up is
not made. The file is checked as a returned workbook is (zip bombs, entity declarations) before
it is parsed; the tables' ranges are read from the package's own indexes, their values with
openpyxl in read-only mode. A table the workbook's data dictionary does not list comes from a
sheetflow that did not make it yet, and is taken as empty.
"""

from __future__ import annotations

import posixpath
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import get_column_letter, range_boundaries

from ..errors import SheetflowError
from ..intake.package import Limits, Rejected, check_package
from .columns import Column, ValueType
from .tables import CARRIED, TABLES

ABOUT_TITLE = "About this roll-up"
LIMITS = Limits(max_file_bytes=500 << 20, max_members=10000, max_uncompressed_bytes=4 << 30,
                max_member_bytes=2 << 30)  # a state-wide roll-up is far bigger than one return
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


@dataclass
class Previous:
    """The rows of an earlier roll-up's CARRIED tables, as sheetflow wrote them."""

    path: Path
    rows: dict = field(default_factory=dict)  # table name -> [ {column: value} ]
    made: str | None = None  # the About sheet's "Made" line
    cells: dict = field(default_factory=dict)  # cycle -> the first cell holding it ("Responses!B2")

    @property
    def label(self) -> str:
        return f"--previous {self.path.name}"

    def check_before(self, cycle: str | None) -> None:
        """Refuse (``SheetflowError``) an earlier roll-up holding a cycle later than the cycle in view."""
        from ..cycles import cycle_key

        later = [c for c in self.cycles if cycle is not None and cycle_key(c) > cycle_key(cycle)]
        if later:
            raise SheetflowError(f"{self.label}: {self.cells[later[0]]} holds cycle {later[0]}, later than the cycle "
                                 f"in view ({cycle}); --previous takes a roll-up of earlier cycles.")

    @property
    def cycles(self) -> list[str]:
        from .trend import ordered

        return ordered(row["cycle"] for rows in self.rows.values() for row in rows)

    @property
    def responses(self) -> int:
        return len({row["response_id"] for rows in self.rows.values() for row in rows})


def read(path) -> Previous:
    """The earlier cycles held in the roll-up ``path``; ``SheetflowError`` with the reason if it is not one."""
    path = Path(path)
    label = f"--previous {path.name}"
    try:
        check_package(path, LIMITS)
    except Rejected as rejected:
        raise SheetflowError(f"{label}: {_first_sentence(str(rejected))}") from None
    try:
        with zipfile.ZipFile(path) as z:
            tables = _tables(z, label)
    except (KeyError, ET.ParseError, zipfile.BadZipFile, ValueError) as problem:
        raise SheetflowError(f"{label}: not a workbook sheetflow can read ({problem}).") from None
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as problem:  # noqa: BLE001 - any reader failure is a reason, never a traceback
        raise SheetflowError(f"{label}: the workbook could not be read ({type(problem).__name__}).") from None
    try:
        return _read(book, tables, path, label)
    finally:
        book.close()


def _first_sentence(text: str) -> str:
    return text.split("; ask the partner")[0].rstrip(".") + "."


def _read(book, tables: dict, path: Path, label: str) -> Previous:
    if "About" not in book.sheetnames or "Dictionary" not in tables:
        raise SheetflowError(f"{label}: not a roll-up made by sheetflow (it has no About sheet with the "
                             "data dictionary).")
    about = book["About"]
    title = next(about.iter_rows(min_row=1, max_row=1, max_col=1, values_only=True), (None,))[0]
    if title != ABOUT_TITLE:
        raise SheetflowError(f"{label}: not a roll-up made by sheetflow (its About sheet does not begin with "
                             f"\"{ABOUT_TITLE}\").")
    made = next((row[1] for row in about.iter_rows(min_row=1, max_row=8, max_col=2, values_only=True)
                 if row[0] == "Made"), None)
    listed = {row[0] for row in _values(book, tables["Dictionary"])[1:]}
    result = Previous(path=path, made=made if isinstance(made, str) else None)
    known = _known()
    for name in CARRIED:
        if name not in tables:
            if name in listed:
                raise SheetflowError(f"{label}: its {name} table is missing (a sheetflow roll-up has one).")
            result.rows[name] = []  # made before sheetflow had this table
            continue
        result.rows[name] = _rows(book, name, tables[name], label, known, result.cells)
    return result


def _known() -> dict:
    """What a roll-up's rows may hold, from every version of the instruments sheetflow issued: the capability
    numbers, each element's component count, and the rating scale."""
    from ..instruments import definitions

    items: set[int] = set()
    components: dict[int, int] = {}
    scale: set[int] = set()
    for instrument in definitions.load_issued().values():
        if instrument.kind == definitions.Kind.ASSESSMENT:
            items |= {c.number for c in instrument.capabilities}
            scale |= set(instrument.ratings)
        else:
            for e in instrument.elements:
                components[e.number] = max(components.get(e.number, 0), len(e.components))
    return {"item": items, "element": components, "rating": scale}


# what tells one row of a table from another: its response, then these columns
ROW_KEYS = {"Responses": ("item",), "Context": ("stage", "question"), "Components": ("element", "component"),
            "Actions": ("element", "row"), "Progress": ("element", "row")}


def _row_key(name: str, row: dict) -> tuple:
    from ..intake import response

    who: tuple
    if name in response.WHO:
        organization, person = response.WHO[name]
        who = response.key(response.KIND_OF[name], row["cycle"], row["response_id"], row[organization],
                           row[person])
    else:
        who = (row["cycle"], row["response_id"])
    return (who, *(row[c] for c in ROW_KEYS[name]))


def _check_row(name: str, row: dict, cell, known: dict, label: str) -> None:
    """Refuse a value sheetflow never writes: a rating off the scale, an item, element or component it has not."""
    checks = [("rating", known["rating"], "a rating on the scale"), ("item", known["item"], "a capability's number"),
              ("element", set(known["element"]), "a key element's number")]
    for column, allowed, what in checks:
        if column in row and row[column] is not None and row[column] not in allowed:
            raise SheetflowError(f"{label}: {cell(column)} holds {row[column]}, which is not {what} "
                                 f"({min(allowed)} to {max(allowed)}).")
    if name == "Components" and not 1 <= row["component"] <= known["element"].get(row["element"], 0):
        raise SheetflowError(f"{label}: {cell('component')} holds {row['component']}, which is not a component of "
                             f"key element {row['element']}.")
    if "row" in row and row["row"] is not None and row["row"] < 1:
        raise SheetflowError(f"{label}: {cell('row')} holds {row['row']}, which is not a row of an action table.")


def _rows(book, name: str, where: tuple, label: str, known: dict | None = None, cycles: dict | None = None) -> list[dict]:
    values = _values(book, where)
    expected = list(TABLES[name])
    header = [None if v is None else str(v) for v in (values[0] if values else [])]
    if sorted(map(str, header)) != sorted(expected):  # in any order: a column is read by its name
        raise SheetflowError(f"{label}: the {name} table's columns are not those sheetflow writes "
                             f"(expected {', '.join(expected)}; found {', '.join(map(str, header)) or 'none'}).")
    names = [str(column) for column in header]  # every one a column's name (checked above)
    sheet, first_col, first_row = where[0], where[1][0], where[1][1]
    rows: list[dict] = []
    seen: dict[tuple, int] = {}
    for number, line in enumerate(values[1:], start=first_row + 1):
        if all(v is None or v == "" for v in line):
            continue  # an empty table keeps one blank row, as Excel does

        def cell(column: str) -> str:
            return f"{sheet}!{get_column_letter(first_col + names.index(column))}{number}"

        row = {column: _value(TABLES[name][column], value, cell(column), label) for column, value in zip(names, line)}
        if known is not None:
            _check_row(name, row, cell, known, label)
        key = _row_key(name, row)
        if key in seen:
            raise SheetflowError(f"{label}: row {number} of the {name} table ({sheet}!A{number}) repeats row "
                                 f"{seen[key]}: the same response's same answer twice.")
        seen[key] = number
        if cycles is not None:
            cycles.setdefault(row["cycle"], cell("cycle"))
        rows.append(row)
    return rows


def _value(column: Column, value, cell: str, label: str):
    if isinstance(value, str):
        value = value if value.strip() else None
    if value is None:
        if column.required:
            raise SheetflowError(f"{label}: {cell} is blank; every row of a sheetflow roll-up has its {column.name}.")
        return None
    if column.value_type is ValueType.WHOLE:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or float(value) != int(value):
            raise SheetflowError(f"{label}: {cell} holds {value!r}, where sheetflow writes a whole number "
                                 f"({column.name}).")
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a cycle or name Excel took for a number
    return value if isinstance(value, str) else str(value)


def _values(book, where: tuple) -> list[tuple]:
    sheet, (min_col, min_row, max_col, max_row) = where
    return [tuple(line) for line in book[sheet].iter_rows(min_row=min_row, max_row=max_row, min_col=min_col,
                                                          max_col=max_col, values_only=True)]


def _tables(z: zipfile.ZipFile, label: str = "--previous") -> dict:
    """Every Excel Table in the package: name -> (sheet name, (min_col, min_row, max_col, max_row)); a table
    whose range is not a block of cells on the sheet (``A:L``, ``A1``) is refused with its sheet."""
    workbook = ET.fromstring(z.read("xl/workbook.xml"))
    targets = _relationships(z, "xl/workbook.xml")
    found = {}
    for sheet in workbook.iter(f"{MAIN}sheet"):
        part = targets.get(sheet.get(REL_ID))
        if part is None or part not in z.namelist():
            continue
        for table_part in _relationships(z, part, kind="/table").values():
            if table_part not in z.namelist():
                continue
            table = ET.fromstring(z.read(table_part))
            name, ref = table.get("displayName") or table.get("name"), table.get("ref")
            if name and ref:
                found[name] = (sheet.get("name"), _block(ref, name, sheet.get("name") or "", label))
    return found


def _block(ref: str, name: str, sheet: str, label: str) -> tuple:
    """A table's range as (min_col, min_row, max_col, max_row): a block with a header and at least one row."""
    try:
        bounds = range_boundaries(ref)
    except (ValueError, TypeError):
        bounds = (None,)
    if None in bounds or not (1 <= bounds[0] <= bounds[2] <= 16384 and 1 <= bounds[1] < bounds[3] <= 1048576):
        raise SheetflowError(f"{label}: the {name} table on sheet {sheet} has the range {ref!r}, not a block of "
                             "cells with a header row and rows below it as sheetflow writes it.")
    return bounds


def _relationships(z: zipfile.ZipFile, part: str, kind: str = "") -> dict:
    """A part's relationships (of a type ending with ``kind``): id -> the target part's name in the zip."""
    folder, base = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", base + ".rels")
    if rels not in z.namelist():
        return {}
    out = {}
    for rel in ET.fromstring(z.read(rels)).iter(f"{RELS}Relationship"):
        if rel.get("TargetMode") == "External" or not rel.get("Type", "").endswith(kind):
            continue
        target = rel.get("Target", "")
        name = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        out[rel.get("Id")] = name
    return out
