"""Turn a returned file into a flat record of its named answers, each with its cell.

Nothing here trusts the file: the package is checked before openpyxl sees it
(package.py), the stamp is cross-checked, answers are read by defined name,
formulas are never evaluated or their cached results used, and the locked
question text is compared with a freshly generated copy of the same
instrument. Anything wrong becomes a reason or a finding, never an exception.
This module runs inside worker processes (isolate.py), so its results are
plain picklable records.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import coordinate_from_string, get_column_letter, range_boundaries
from openpyxl.utils.datetime import from_excel

from . import definitions
from .package import Limits, Rejected, read_checked

STAMP_KEYS = ("sheetflow_instrument", "sheetflow_version", "sheetflow_response_id", "sheetflow_cycle")
TEMPLATE_AREA = Limits(max_rows=250, max_cols=26)  # every generated sheet fits well inside A1:Z250


@dataclass
class Finding:
    """One thing a partner must fix (error) or may want to look at (warning)."""

    name: str | None
    cell: str | None
    message: str


@dataclass
class Answer:
    """One named answer as found in the file: its cell (``Sheet!D31``) and normalised value.

    For an action table, ``value`` is a list of rows and ``cell`` the range; ``origin`` gives the
    sheet, first row and first column so each cell's address can be named.
    """

    name: str
    cell: str
    value: object
    formula: bool = False
    origin: tuple = ()

    def cell_at(self, row: int, col: int) -> str:
        sheet, top, left = self.origin
        return f"{sheet}!{get_column_letter(left + col)}{top + row}"


@dataclass
class Return:
    """Everything sheetflow knows about one returned file."""

    path: str
    sha256: str = ""
    size: int = 0
    modified: float = 0.0  # the file's own modification time
    saved_at: str | None = None  # when the application last saved it (docProps/core.xml), ISO 8601
    instrument: str | None = None
    version: str | None = None
    response_id: str | None = None
    cycle: str | None = None
    rejected: str | None = None  # why the file cannot be checked at all
    answers: dict = field(default_factory=dict)  # name -> Answer
    findings: list = field(default_factory=list)  # stamp notes etc. (warnings)

    def value(self, name: str):
        answer = self.answers.get(name)
        return None if answer is None else answer.value


def read_return(path: str, limits: Limits = TEMPLATE_AREA) -> Return:
    """Read one returned file; every problem with the file itself ends up in ``rejected``."""
    record = Return(path=str(path))
    try:
        data = read_checked(Path(path), limits)  # read once: what was checked is what is parsed
        record.sha256, record.size = hashlib.sha256(data).hexdigest(), len(data)
        record.modified = os.stat(path).st_mtime
        _read_workbook(record, io.BytesIO(data))
    except Rejected as exc:
        record.rejected = exc.reason
    return record


def read_many(paths: list[str]) -> list[Return]:
    """Read a batch of files in this process (the unit of work handed to one worker)."""
    return [read_return(p) for p in paths]


def _read_workbook(record: Return, data: io.BytesIO) -> None:
    try:
        wb = openpyxl.load_workbook(data, data_only=False, keep_links=False, keep_vba=False)
    except Exception as exc:  # openpyxl raises many types on damaged input
        raise Rejected("The workbook is damaged and cannot be opened "
                       f"({type(exc).__name__}); ask the partner to send the workbook again.") from None
    modified = wb.properties.modified
    record.saved_at = modified.replace(microsecond=0).isoformat() if modified else None
    stamp = _stamp(wb, record)
    record.instrument, record.version = stamp["sheetflow_instrument"], stamp["sheetflow_version"]
    record.response_id, record.cycle = stamp["sheetflow_response_id"], stamp["sheetflow_cycle"]
    instrument = _instrument(record)
    missing = []
    for answer in instrument.answers:
        found = _read_name(wb, answer)
        if found is None:
            missing.append(answer.name)
        else:
            record.answers[answer.name] = found
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise Rejected(f"Answer cells are missing from this workbook ({shown}): it is not an intact copy of "
                       "the workbook that was sent; ask the partner to fill in the original workbook.")
    _check_unchanged(wb, instrument)


def _stamp(wb, record: Return) -> dict:
    """The stamp from the document properties and the stamp sheet, cross-checked."""
    props = {}
    for prop in getattr(wb.custom_doc_props, "props", []):
        if prop.name in STAMP_KEYS and prop.value is not None:
            value = prop.value
            props[prop.name] = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    sheet = {}
    for key in STAMP_KEYS:
        cell = _single_cell(wb, key)
        if cell is not None and cell.value not in (None, ""):
            sheet[key] = str(cell.value).strip()
    if not props and not sheet:
        raise Rejected("This workbook was not made by sheetflow (it has no sheetflow stamp): it may be someone "
                       "else's form, or the answers were copied into a new file; ask the partner to fill in "
                       "the workbook that was sent to them.")
    for key in STAMP_KEYS:
        if key in props and key in sheet and props[key] != sheet[key]:
            raise Rejected(f"The workbook's identification does not agree with itself ({key} is "
                           f"{props[key]!r} in the file properties but {sheet[key]!r} on the hidden sheet): "
                           "it has been altered; ask the partner to fill in the original workbook.")
    stamp = {key: props.get(key, sheet.get(key)) for key in STAMP_KEYS}
    absent = [key for key, value in stamp.items() if not value]
    if absent:
        raise Rejected(f"The workbook's sheetflow stamp is incomplete (no {', '.join(absent)}); "
                       "ask the partner to fill in the workbook that was sent to them.")
    if len(props) < len(STAMP_KEYS) or len(sheet) < len(STAMP_KEYS):
        record.findings.append(Finding(None, None, "Part of the workbook's identification was removed by the "
                                       "program that saved it; the rest was used."))
    return stamp


def _instrument(record: Return):
    known = definitions.load_all()
    instrument = known.get(record.instrument)
    if instrument is None:
        raise Rejected(f"This workbook is for an instrument sheetflow does not know ({record.instrument!r}); "
                       f"known: {', '.join(sorted(known))}.")
    if instrument.version != record.version:
        raise Rejected(f"This workbook was made from version {record.version} of the {instrument.title}, "
                       f"but this sheetflow has version {instrument.version}; send the partner a new workbook "
                       "or use the sheetflow that made it.")
    return instrument


def _destination(wb, name: str):
    defined = wb.defined_names.get(name)
    if defined is None:
        return None
    try:
        destinations = list(defined.destinations)
    except Exception:
        return None
    if len(destinations) != 1 or destinations[0][0] not in wb.sheetnames:
        return None
    sheet, ref = destinations[0]
    return wb[sheet], ref.replace("$", "")


def _single_cell(wb, name: str):
    found = _destination(wb, name)
    if found is None or ":" in found[1]:
        return None
    ws, ref = found
    try:
        coordinate_from_string(ref)
    except ValueError:
        return None
    return ws[ref]


def _read_name(wb, answer) -> Answer | None:
    found = _destination(wb, answer.name)
    if found is None:
        return None
    ws, ref = found
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return None
    if answer.kind == "table":
        if max_row - min_row + 1 < answer.rows or max_col - min_col + 1 != len(answer.columns):
            return None
        rows, formula = [], False
        for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
            rows.append([normalise(c.value, "text") for c in row])
            formula = formula or any(c.data_type == "f" for c in row)
        return Answer(answer.name, f"{ws.title}!{ref}", rows, formula, (ws.title, min_row, min_col))
    if (min_col, min_row) != (max_col, max_row):
        return None
    cell = ws.cell(min_row, min_col)
    return Answer(answer.name, f"{ws.title}!{cell.coordinate}", normalise(cell.value, answer.kind),
                  cell.data_type == "f", (ws.title, min_row, min_col))


_WHOLE = re.compile(r"[+-]?\d+(\.0*)?")


def normalise(value, kind: str):
    """What real applications write, as one value: 4.0 is 4, "" is missing, text is trimmed."""
    if isinstance(value, str):
        value = value.strip()
        if not value:
            return None
        if kind == "rating" and _WHOLE.fullmatch(value):
            return int(float(value))
        if kind == "date":
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                return value
        return value
    if isinstance(value, bool):
        return value
    if kind in ("text", "long_text", "email") and isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else str(value)
    if isinstance(value, float) and value.is_integer() and kind != "date":
        return int(value)
    if kind == "date":
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, (int, float)) and 1 <= value < 2958466:  # an Excel serial date
            return from_excel(value).date()
    if isinstance(value, dt.datetime) and kind != "date":
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date, dt.time, dt.timedelta)) and kind != "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


@functools.lru_cache(maxsize=8)
def question_text(instrument_id: str) -> tuple:
    """(sheet, cell, text) of every locked text cell in a freshly generated workbook."""
    from .generate import Request, _Book  # only needed here, once per worker and instrument

    instrument = definitions.load_all()[instrument_id]
    buffer = io.BytesIO()
    _Book(buffer, Request(instrument, response_id="template", cycle="2000")).write()
    wb = openpyxl.load_workbook(io.BytesIO(buffer.getvalue()))
    stamp_sheet = instrument.text["sheets"]["stamp"]
    out = []
    for ws in wb.worksheets:
        if ws.title == stamp_sheet:
            continue
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.data_type == "s" and cell.protection.locked:
                    out.append((ws.title, cell.coordinate, cell.value))
    return tuple(out)


def _check_unchanged(wb, instrument) -> None:
    for sheet, coordinate, text in question_text(instrument.id):
        if sheet not in wb.sheetnames:
            raise Rejected(f"The sheet {sheet!r} was renamed or removed, so the workbook's structure was changed; "
                           "ask the partner to fill in the original workbook.")
        found = wb[sheet][coordinate].value
        if not isinstance(found, str) or " ".join(found.split()) != " ".join(text.split()):
            shown = text if len(text) <= 60 else text[:57] + "…"
            raise Rejected(f"The question text in {sheet}!{coordinate} (\"{shown}\") was changed, so the "
                           "workbook's structure was altered; ask the partner to fill in the original workbook.")
