"""Write locked, partner-ready workbooks from a definition, with xlsxwriter.

Every answer cell is unlocked, styled yellow and given a workbook-level
defined name (the contract in docs/file-contract.md); every other cell is locked and
every sheet protected. The stamp (instrument, version, response id, cycle) is
written twice: as custom document properties and on a hidden sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import pages, prompts
from .assessment_sheets import assessment_sheet, assessment_summary, reflection_sheet
from .definitions import PREVIOUS_KEY, RETURNS_KEY, STAMP_KEYS, Instrument
from .followup_block import PreviousPlan
from .front_sheets import details_sheet, instructions_sheet
from .layout import estimate_height
from .plan_sheets import action_summary, element_sheet
from .results_sheet import RegionResults, write_results_sheet
from .. import style
from ..core_properties import CoreProperties, with_properties
from ..errors import SheetflowError
from ..files import atomic_path

PROTECTION = {"format_columns": True, "format_rows": True, "select_locked_cells": True,
              "select_unlocked_cells": True}


@dataclass
class Stamp:
    """What a generated file is and who it was for."""
    instrument: str
    version: str
    response_id: str
    cycle: str
    assessment_returns: int | None = None  # an action plan made with its region's self-assessment results
    previous_plan: str | None = None  # an action plan that follows up the region's previous one: its response id

    def properties(self) -> dict[str, str]:
        values = (self.instrument, self.version, self.response_id, self.cycle, self.assessment_returns,
                  self.previous_plan)
        return {key: str(v) for key, v in zip((*STAMP_KEYS, RETURNS_KEY, PREVIOUS_KEY), values) if v is not None}


@dataclass
class Request:
    """One workbook to write: the instrument, its stamp and any answers filled in ahead."""
    instrument: Instrument
    response_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    cycle: str = field(default_factory=lambda: str(dt.date.today().year))
    prefill: dict = field(default_factory=dict)  # answer name -> value (identity block)
    results: RegionResults | None = None  # action plan: the region's self-assessment results
    previous: PreviousPlan | None = None  # action plan 1.1 on: the region's plan of the previous cycle

    @property
    def stamp(self) -> Stamp:
        returns = None if self.results is None else self.results.returns
        previous = None if self.previous is None else self.previous.response_id
        return Stamp(self.instrument.id, self.instrument.version, self.response_id, self.cycle, returns, previous)


def generate(request: Request, output: Path, force: bool = False) -> Path:
    """Write the workbook atomically to ``output``; refuse to overwrite unless ``force``."""
    unknown = set(request.prefill) - {a.name for a in request.instrument.identity}
    if unknown:
        raise SheetflowError(f"Only identity answers can be filled in ahead, not: {', '.join(sorted(unknown))}")
    with atomic_path(output, force) as tmp:
        Path(tmp).write_bytes(workbook_bytes(request))
    return Path(output)


def workbook_bytes(request: Request) -> bytes:
    """The bytes ``generate`` writes for ``request`` (for copies made from it and for checking returns)."""
    buffer = io.BytesIO()
    _Book(buffer, request).write()
    inst, stamp = request.instrument, request.stamp
    return with_properties(buffer.getvalue(), CoreProperties(
        title=inst.title, subject=f"{inst.title} ({stamp.cycle})", created=created_date(stamp.cycle),
        description=f"{stamp.instrument} {stamp.version}; response {stamp.response_id}", language=inst.language))


def created_date(cycle: str) -> dt.datetime:
    """A fixed creation date so that the same inputs give the same bytes."""
    year = int(cycle[:4]) if cycle[:4].isdigit() else 2000
    return dt.datetime(year, 1, 1, tzinfo=dt.timezone.utc)


class _Book:
    """One workbook being written: its formats, sheet setup and answer cells; the sheet modules add the sheets."""

    def __init__(self, path: str | io.BytesIO, request: Request):
        self.request = request
        self.inst = request.instrument
        self.text = self.inst.text
        self.labels = self.text["labels"]
        self.wb = xlsxwriter.Workbook(path, {"in_memory": True})  # no temporary files
        self.f = self._formats()
        self.area_rows: dict = {}  # assessment: area name -> (first, last) row of its capabilities
        self.status_rows: dict = {}  # action plan: element number -> (sheet, first, last) row of its statuses
        self.action_rows: dict = {}  # action plan: element number -> (sheet, top, bottom) row of its actions
        self.layouts: dict[str, pages.Layout] = {}  # sheet name -> how it prints

    # -- common pieces -------------------------------------------------------
    def _formats(self) -> dict:
        add = self.wb.add_format
        base = {**style.FONT, "text_wrap": True}
        boxed = {**base, **style.BORDERED}
        answer = {**base, "locked": False, "bg_color": style.ANSWER_YELLOW, "border": 1,
                  "border_color": style.ANSWER_BORDER}
        return {
            "title": add({**base, **style.TITLE, "text_wrap": False}),
            "heading": add({**base, **style.HEADING}),
            "body": add(base),
            "italic": add({**base, "italic": True}),
            "bold": add({**base, "bold": True}),
            "label": add({**boxed, "bold": True, "bg_color": style.LABEL_GREY}),
            "cell": add(boxed),
            "center": add({**boxed, "align": "center"}),
            "th": add({**base, **style.HEADER_CELL}),
            "area": add({**boxed, "bold": True, "bg_color": style.PALE_BLUE}),
            "answer": add({**answer, "num_format": "@"}),
            "choice": add({**answer, "align": "center", "bold": True}),
            "date": add({**answer, "num_format": "yyyy-mm-dd", "align": "left"}),
            "number": add({**boxed, "align": "center", "num_format": style.AVERAGE_FORMAT}),
            "count": add({**boxed, "align": "center", "num_format": style.WHOLE_FORMAT}),
            "percent": add({**boxed, "align": "center", "num_format": style.PERCENT_FORMAT}),
            "missing": add({"bg_color": style.STILL_NEEDED}),
        }

    def sheet(self, name: str, widths, landscape: bool = False, repeat: int | None = None):
        """A protected sheet with columns ``widths`` that prints on Letter paper (pages.py), rows 0..``repeat``
        repeated at the top of every page and frozen on screen."""
        ws = self.wb.add_worksheet(name)
        ws.protect("", PROTECTION)
        ws.hide_gridlines(2)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        self.layouts[name] = layout = pages.Layout(tuple(widths), landscape, repeat)
        pages.set_up(ws, layout, style.page_header(self.labels["header"], name), style.page_footer(self.labels["footer"]))
        if repeat is not None:
            ws.freeze_panes(repeat + 1, 0)
        return ws

    def row(self, ws, row: int, height: float) -> None:
        """Set a row's height, kept for laying out the sheet's pages."""
        ws.set_row(row, height)
        self.layouts[ws.name].heights[row] = height

    def widen(self, ws, col: int, width: float) -> None:
        """Add a column (or set its width) after the sheet was made; the print scale follows."""
        ws.set_column(col, col, width)
        layout = self.layouts[ws.name]
        widths = list(layout.widths) + [0] * (col + 1 - len(layout.widths))
        widths[col] = width
        layout.widths = tuple(widths)
        ws.set_print_scale(layout.scale)

    def repeat_titles(self, ws, first: int, last: int) -> None:
        """Print rows ``first`` to ``last`` (a long table's column headings) again at the top of every page
        after theirs, as Excel and LibreOffice do with a sheet's print titles."""
        self.layouts[ws.name].titles = (first, last)
        ws.repeat_rows(first, last)

    def keep_with_next(self, ws, row: int) -> None:
        """Never print ``row`` (a heading, a lead-in ending in a colon) last on a page."""
        self.layouts[ws.name].keep.add(row)

    def together(self, ws, first: int, last: int) -> None:
        """Print rows ``first`` to ``last`` (a table with its headings) on one page when they fit on one."""
        self.layouts[ws.name].blocks.append((first, last))

    def paginate(self, ws, last: int) -> None:
        """Break the sheet's pages up to row ``last`` by its kept rows and blocks (pages.Layout.breaks)."""
        breaks = self.layouts[ws.name].breaks(last)
        if breaks:
            ws.set_h_pagebreaks(breaks)

    def name(self, name: str, ws, row: int, col: int, last_row: int | None = None, last_col: int | None = None):
        ref = f"='{ws.name}'!{xl_rowcol_to_cell(row, col, True, True)}"
        if last_row is not None:
            ref += ":" + xl_rowcol_to_cell(last_row, last_col, True, True)
        self.wb.define_name(name, ref)

    def answer_cell(self, ws, row: int, col: int, answer, prompt: str, last_col: int | None = None, **fields):
        """Write one named, unlocked answer cell (merged to ``last_col``); ``prompt`` and ``fields`` announce it."""
        fmt = {"date": self.f["date"], "rating": self.f["choice"], "yes_no": self.f["choice"],
               "status": self.f["choice"]}.get(answer.kind, self.f["answer"])
        value = self.request.prefill.get(answer.name)
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        if last_col is not None and last_col > col:
            ws.merge_range(row, col, row, last_col, "", fmt)
        if value is None or value == "":
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, fmt)
        else:
            ws.write_string(row, col, str(value), fmt)
        self.name(answer.name, ws, row, col)
        self.announce(ws, row, col, answer, prompt, fields, answer.required)
        if answer.required:
            ws.conditional_format(row, col, row, col, {"type": "blanks", "format": self.f["missing"]})

    def announce(self, ws, row: int, col: int, answer, prompt: str, fields: dict, required: bool):
        """The cell's data validation: its checks and the input message that says its question."""
        rule = prompts.validation(answer, self.labels, xl_rowcol_to_cell(row, col))
        rule.update(prompts.announcement(self.text["prompts"], prompt, required, **fields))
        ws.data_validation(row, col, row, col, rule)

    def titles(self, ws, kind: str, number: int, first_row: int, first_col: int, last_row: int, last_col: int):
        """A name screen readers take as a table's column or row titles; sheet-level, so no part of the contract."""
        first, last = (xl_rowcol_to_cell(r, c, True, True) for r, c in ((first_row, first_col), (last_row, last_col)))
        self.wb.define_name(f"'{ws.name}'!{kind}{number}", f"='{ws.name}'!{first}:{last}")

    def paragraphs(self, ws, row: int, blocks, width: float, last_col: int = 0, marker: str = "•") -> int:
        """Write text blocks (a string is a paragraph, a list is a list, its items after ``marker`` unless
        numbered) from ``row``; return the next row."""
        for block in blocks:
            items = [block] if isinstance(block, str) else [
                item if item[:1].isdigit() else f"{marker} {item}" for item in block]
            for item in items:
                self.text_row(ws, row, item, width, last_col)
                row += 1
        return row

    def text_row(self, ws, row: int, text: str, width: float, last_col: int = 0, fmt: str = "body"):
        text = self.inst.shown(text)
        if last_col:
            ws.merge_range(row, 0, row, last_col, text, self.f[fmt])
        else:
            ws.write_string(row, 0, text, self.f[fmt])
        self.row(ws, row, estimate_height(text, width))
        if text.rstrip().endswith(":"):  # a lead-in: on the page of what it leads to
            self.keep_with_next(ws, row)

    def stamp_sheet(self):
        ws = self.wb.add_worksheet(self.text["sheets"]["stamp"])
        ws.protect("", PROTECTION)
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 45)
        ws.write_string(0, 0, self.labels["stamp_note"], self.f["italic"])
        for i, (key, value) in enumerate(self.request.stamp.properties().items(), start=1):
            ws.write_string(i, 0, key, self.f["label"])
            ws.write_string(i, 1, value, self.f["cell"])
            if key in STAMP_KEYS:
                self.name(key, ws, i, 1)
        ws.very_hidden()

    def write(self):
        stamp = self.request.stamp
        for key, value in stamp.properties().items():
            self.wb.set_custom_property(key, value, "text")
        instructions_sheet(self)
        if self.request.results is not None:
            write_results_sheet(self, self.request.results, estimate_height)
        details_sheet(self)
        if self.inst.is_assessment:  # each kind of workbook has its own sheets
            assessment_sheet(self)
            reflection_sheet(self)
            assessment_summary(self)
        else:
            for element in self.inst.elements:
                element_sheet(self, element)
            action_summary(self)
        self.stamp_sheet()
        self.wb.worksheets()[0 if self.request.results is None else 1].activate()  # a plan opens on its results
        self.wb.close()
