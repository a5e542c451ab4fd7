"""The record of a returned file: its stamp and a flat list of its named answers, each with its cell.

Nothing here trusts the file: the package is checked before any reader sees it
(package.py), the stamp is cross-checked, answers are read by defined name,
formulas are never evaluated or their cached results used, and the locked
question text is compared with a freshly generated copy of the same
instrument. Anything wrong becomes a reason or a finding, never an exception.
This module runs inside worker processes (isolation.py), so its results are
plain picklable records.

Two readers give the same record: "fast" (fast_reader.py, straight from the XML the
package checks already parsed; the default) and "openpyxl" (the plain way,
kept as the reference the fast one is tested against).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import io
import os
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree.ElementTree import ParseError

from ..cells import cell_name
from ..instruments import definitions
from ..instruments.definitions import PREVIOUS_KEY, STAMP_KEYS
from . import fast_reader, own_files
from .codes import Code, Finding, Rejected
from .fast_reader import boundaries, from_excel
from .package import Limits, checked, open_checked

TEMPLATE_AREA = Limits(max_rows=250, max_cols=26)  # every generated sheet fits well inside A1:Z250
READERS = ("fast", "openpyxl")
NOT_STAMPED = ("This workbook was not made by sheetflow (it has no sheetflow stamp): it may be someone else's "
               "form, or the answers were copied into a new file; ask the partner to fill in the workbook that "
               "was sent to them.")
DAMAGED = "The workbook is damaged and cannot be opened; ask the partner to send the workbook again."
# What malformed XML makes the fast reader raise (anything else is a fault of sheetflow's, reported as such).
_MALFORMED = (fast_reader.Damaged, ParseError, ValueError, KeyError, IndexError, OverflowError)


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
        return f"{sheet}!{cell_name(top + row, left + col)}"


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
    previous_response_id: str | None = None  # an action plan following up an earlier one: that plan's response id
    rejected: str | None = None  # why the file cannot be checked at all
    rejected_code: Code | None = None  # what kind of reason that is
    answers: dict = field(default_factory=dict)  # name -> Answer
    findings: list = field(default_factory=list)  # stamp notes etc. (warnings)

    def value(self, name: str):
        answer = self.answers.get(name)
        return None if answer is None else answer.value

    # Records cross from the worker processes as pickles; answers travel as plain tuples,
    # which pickle far more cheaply than a dataclass object per answer.
    def __getstate__(self) -> dict:
        state = self.__dict__.copy()
        state["answers"] = [(a.name, a.cell, a.value, a.formula, a.origin) for a in self.answers.values()]
        return state

    def __setstate__(self, state: dict) -> None:
        state["answers"] = {fields[0]: Answer(*fields) for fields in state["answers"]}
        self.__dict__.update(state)


def read_return(path: str, limits: Limits = TEMPLATE_AREA, reader: str = "fast") -> Return:
    """Read one returned file; every problem with the file itself ends up in ``rejected``."""
    record = Return(path=str(path))
    try:
        package = open_checked(Path(path), limits, keep=reader == "fast")  # read once: what was checked is parsed
        record.sha256, record.size = hashlib.sha256(package.data).hexdigest(), len(package.data)
        record.modified = os.stat(path).st_mtime
        if reader == "fast":
            try:
                _read_workbook(record, fast_reader.Book(package))
            except _MALFORMED:
                raise Rejected(Code.DAMAGED, DAMAGED) from None
        else:
            _read_workbook(record, OpenpyxlBook(package.data))
    except Rejected as exc:
        if exc.code == Code.OUTSIDE_TEMPLATE and not _names_a_stamp(path):
            exc = Rejected(Code.NOT_STAMPED, NOT_STAMPED)  # clearing the cells would not make it ours
        if exc.code == Code.NOT_STAMPED and own_files.is_rollup(path):
            exc = Rejected(Code.SHEETFLOW_ROLLUP, own_files.Skip.ROLLUP)  # validate skips it: sheetflow's own file
        record.rejected, record.rejected_code = exc.reason, exc.code
    return record


STAMP_PARTS = ("docprops/custom.xml", "xl/workbook.xml")  # the stamp's file properties and defined names


def _names_a_stamp(path) -> bool:
    """Whether a package refused before its stamp was read names a sheetflow stamp where one lives.

    Only the two small parts that hold a stamp are read, each at most 4 MB; when that cannot be
    told (a damaged zip), the answer is yes, so the first reason stands.
    """
    try:
        with zipfile.ZipFile(path) as zf:
            infos = [i for i in zf.infolist() if i.filename.lower() in STAMP_PARTS]
            for info in infos:
                with zf.open(info) as part:
                    if STAMP_KEYS[0].encode() in part.read(4 << 20):
                        return True
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, zlib.error):
        return True
    return False


class OpenpyxlBook:
    """The plain way: openpyxl loads the whole workbook; same questions as fast_reader.Book answers."""

    def __init__(self, data: bytes):
        import openpyxl

        try:
            self.wb = openpyxl.load_workbook(io.BytesIO(data), data_only=False, keep_links=False, keep_vba=False)
        except Exception:  # openpyxl raises many types on damaged input
            raise Rejected(Code.DAMAGED, DAMAGED) from None
        self.sheetnames = self.wb.sheetnames
        self.modified = self.wb.properties.modified
        self.properties = {prop.name: prop.value for prop in getattr(self.wb.custom_doc_props, "props", [])}

    def destination(self, name: str):
        defined = self.wb.defined_names.get(name)
        if defined is None:
            return None
        try:
            destinations = list(defined.destinations)
        except Exception:
            return None
        return (destinations[0][0], destinations[0][1].replace("$", "")) if len(destinations) == 1 else None

    def cell(self, sheet: str, row: int, col: int):
        ws = self.wb[sheet]
        if not hasattr(ws, "cell"):  # a chart sheet
            return None, False
        cell = ws.cell(row, col)
        if cell.data_type != "f":
            return cell.value, False
        value = cell.value
        return (value if isinstance(value, str) else getattr(value, "text", None) or "="), True

    def cells(self, sheet: str, keys) -> list:
        return [self.cell(sheet, row, col) for row, col in keys]


def _read_workbook(record: Return, book) -> None:
    modified = book.modified
    record.saved_at = modified.replace(microsecond=0).isoformat() if isinstance(modified, dt.datetime) else None
    stamp = _stamp(book, record)
    record.instrument, record.version = stamp["sheetflow_instrument"], stamp["sheetflow_version"]
    record.response_id, record.cycle = stamp["sheetflow_response_id"], stamp["sheetflow_cycle"]
    previous = book.properties.get(PREVIOUS_KEY)
    record.previous_response_id = str(previous).strip() if previous not in (None, "") else None
    instrument = _instrument(record)
    missing = []
    for name, found in _read_names(book, instrument.answers).items():
        if found is None:
            missing.append(name)
        else:
            record.answers[name] = found
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise Rejected(Code.ANSWERS_MISSING,
                       f"Answer cells are missing from this workbook ({shown}): it is not an intact copy of "
                       "the workbook that was sent; ask the partner to fill in the original workbook.")
    _check_unchanged(book, instrument)


def _stamp(book, record: Return) -> dict:
    """The stamp from the document properties and the stamp sheet, cross-checked."""
    props = {}
    for name, value in book.properties.items():
        if name in STAMP_KEYS and value is not None:
            props[name] = str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    sheet = {}
    for key in STAMP_KEYS:
        found = _destination(book, key)
        if found is not None and found[1] == found[3] and found[2] == found[4]:
            value, _ = book.cell(*found[:3])
            if value not in (None, ""):
                sheet[key] = str(value).strip()
    if not props and not sheet:
        raise Rejected(Code.NOT_STAMPED, NOT_STAMPED)
    for key in STAMP_KEYS:
        if key in props and key in sheet and props[key] != sheet[key]:
            raise Rejected(Code.STAMP_MISMATCH,
                           f"The workbook's identification does not agree with itself ({key} is "
                           f"{props[key]!r} in the file properties but {sheet[key]!r} on the hidden sheet): "
                           "it has been altered; ask the partner to fill in the original workbook.")
    stamp = {key: props.get(key, sheet.get(key)) for key in STAMP_KEYS}
    absent = [key for key, value in stamp.items() if not value]
    if absent:
        raise Rejected(Code.STAMP_INCOMPLETE,
                       f"The workbook's sheetflow stamp is incomplete (no {', '.join(absent)}); "
                       "ask the partner to fill in the workbook that was sent to them.")
    if len(props) < len(STAMP_KEYS) or len(sheet) < len(STAMP_KEYS):
        record.findings.append(Finding(None, None, "Part of the workbook's identification was removed by the "
                                       "program that saved it; the rest was used.", Code.STAMP_PARTLY_LOST))
    return stamp


def _instrument(record: Return) -> definitions.Instrument:
    known = definitions.load_all()
    current = known.get(record.instrument or "")
    if current is None:
        raise Rejected(Code.UNKNOWN_INSTRUMENT,
                       f"This workbook is for an instrument sheetflow does not know ({record.instrument!r}); "
                       f"known: {', '.join(sorted(known))}. If it is your own, give its definition's folder "
                       f"(--definitions DIR or {definitions.ENVIRONMENT}).")
    instrument = definitions.load_version(current.id, record.version or "")
    if instrument is None:
        issued = sorted(v for i, v in definitions.load_issued() if i == record.instrument)
        raise Rejected(Code.UNKNOWN_VERSION,
                       f"This workbook was made from version {record.version} of the {current.title}, "
                       f"which this sheetflow does not know (it knows version {', '.join(issued)}); "
                       "use the sheetflow that made it, or send the partner a new workbook.")
    return instrument


def _destination(book, name: str):
    """(sheet, top, left, bottom, right) of a workbook-level defined name; None unless one range on a sheet."""
    found = book.destination(name)
    if found is None or found[0] not in book.sheetnames:
        return None
    try:
        return (found[0], *boundaries(found[1]))
    except (fast_reader.Damaged, ValueError):
        return None


def _read_names(book, answers) -> dict:
    """Every named answer, in definition order: name -> Answer, or None if missing or not the right shape."""
    tables, singles = _plan(book, answers)
    found = dict.fromkeys(answer.name for answer in answers)
    for answer, place in tables:
        found[answer.name] = _read_table(book, answer, place)
    for sheet, (wanted, keys) in singles.items():  # a sheet at a time
        for (answer, cell, place), (value, formula) in zip(wanted, book.cells(sheet, keys)):
            value = as_choice(normalise(value, answer.kind), answer.choices)
            found[answer.name] = Answer(answer.name, cell, value, formula, place)
    return found


_PLANS: dict = {}


def _plan(book, answers) -> tuple[list, dict]:
    """Where each answer is: (tables as (answer, place)), {sheet: ((answer, "Sheet!D31", place), keys)}).

    Most returns have the same workbook part (so the same defined names, as the same parsed object,
    see ``fast_reader._workbook``) and the same sheets: the plan is made once for them."""
    names = getattr(book, "names", None)  # the plain (openpyxl) reader's books make their plan each time
    key = (id(names), tuple(book.sheetnames), id(answers))
    known = _PLANS.get(key) if names is not None else None
    if known is not None and known[0] is names and known[1] is answers:
        return known[2]
    tables: list = []
    singles: dict = {}
    for answer in answers:
        place = _destination(book, answer.name)
        if place is None:
            continue
        sheet, top, left, bottom, right = place
        if answer.kind == "table":
            tables.append((answer, place))
        elif (top, left) == (bottom, right):
            singles.setdefault(sheet, []).append((answer, f"{sheet}!{cell_name(top, left)}", (sheet, top, left)))
    plan = tables, {sheet: (wanted, [place[1:] for _, _, place in wanted]) for sheet, wanted in singles.items()}
    if names is not None and len(_PLANS) < 64:
        _PLANS[key] = (names, answers, plan)
    return plan


def _read_table(book, answer, place) -> Answer | None:
    sheet, top, left, bottom, right = place
    width = right - left + 1
    if bottom - top + 1 < answer.rows or width != len(answer.columns):
        return None
    cells = book.cells(sheet, [(row, col) for row in range(top, bottom + 1) for col in range(left, right + 1)])
    rows = [[normalise(value, "text") for value, _ in cells[start:start + width]]
            for start in range(0, len(cells), width)]
    if answer.choices:  # a table with a list (the follow-up's progress) has it in its first column
        rows = [[as_choice(row[0], answer.choices), *row[1:]] for row in rows]
    formula = any(is_formula for _, is_formula in cells)
    reference = f"{cell_name(top, left)}:{cell_name(bottom, right)}"
    return Answer(answer.name, f"{sheet}!{reference}", rows, formula, (sheet, top, left))


def as_choice(value: object, choices: tuple) -> object:
    """A text that is one of ``choices`` but for its case ("yes", "IN PLACE") as that choice, as Excel's list
    validation takes it (it compares without regard to case); any other value as it is."""
    if isinstance(value, str) and choices and value not in choices:
        folded = value.casefold()
        return next((c for c in choices if isinstance(c, str) and c.casefold() == folded), value)
    return value


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
            moment = from_excel(value)  # from 1 on a date and time (below 1, a time of day)
            return moment.date() if isinstance(moment, dt.datetime) else moment
    if isinstance(value, dt.datetime) and kind != "date":
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, (dt.date, dt.time, dt.timedelta)) and kind != "date":
        return value.isoformat() if hasattr(value, "isoformat") else str(value)
    return value


@functools.lru_cache(maxsize=8)
def _questions(instrument_id: str, version: str) -> tuple:
    """(sheet, row, column, text, text with its white space normalised) of every locked text cell."""
    instrument = definitions.load_version(instrument_id, version)
    if instrument is None:
        raise ValueError(f"no version {version} of {instrument_id}")  # _instrument has refused such a return
    frozen = definitions.questions_file(instrument)
    if frozen is not None:  # an earlier version: its text as issued, whatever the generator writes today
        import json

        cells = json.loads(frozen.read_text(encoding="utf-8"))
    else:
        cells = issued_questions(instrument)
    return tuple((sheet, row, col, text, " ".join(text.split())) for sheet, row, col, text in cells)


def issued_questions(instrument) -> list:
    """[sheet, row, column, text] of every locked text cell of a blank workbook of ``instrument`` as
    sheetflow generates it now (scripts/freeze_version.py keeps them beside an earlier version)."""
    from ..instruments.workbook import Request, workbook_bytes  # once per worker and instrument

    book = fast_reader.Book(checked(workbook_bytes(Request(instrument, response_id="template", cycle="2000"))))
    stamp_sheet = instrument.text["sheets"]["stamp"]
    return [[sheet, row, col, text] for sheet in book.sheetnames if sheet != stamp_sheet
            for row, col, text in book.strings(sheet)]


def _check_unchanged(book, instrument) -> None:
    sheets = set(book.sheetnames)
    for sheet, keys, expected in _questions_by_sheet(instrument.id, instrument.version):
        if sheet not in sheets:
            raise Rejected(Code.SHEET_MISSING,
                           f"The sheet {sheet!r} was renamed or removed, so the workbook's structure was changed; "
                           "ask the partner to fill in the original workbook.")
        for (found, _), (row, col), (text, words) in zip(book.cells(sheet, keys), keys, expected):
            if found != text and (not isinstance(found, str) or " ".join(found.split()) != words):
                coordinate = cell_name(row, col)
                shown = text if len(text) <= 60 else text[:57] + "…"
                raise Rejected(Code.QUESTION_CHANGED,
                               f"The question text in {sheet}!{coordinate} (\"{shown}\") was changed, so the "
                               "workbook's structure was altered; ask the partner to fill in the original workbook.")


@functools.lru_cache(maxsize=8)
def _questions_by_sheet(instrument_id: str, version: str) -> tuple:
    """(sheet, its question cells as (row, column), their (text, normalised text)) in workbook order."""
    groups: dict[str, list] = {}
    for sheet, row, col, text, words in _questions(instrument_id, version):
        groups.setdefault(sheet, []).append(((row, col), (text, words)))
    return tuple((sheet, tuple(k for k, _ in items), tuple(t for _, t in items)) for sheet, items in groups.items())
