"""Write locked, partner-ready workbooks from a definition, with xlsxwriter.

Every answer cell is unlocked, styled yellow and given a workbook-level
defined name (the contract in the README); every other cell is locked and
every sheet protected. The stamp (instrument, version, response id, cycle) is
written twice: as custom document properties and on a hidden sheet.
"""

from __future__ import annotations

import datetime as dt
import io
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from . import prompts
from .definitions import PREVIOUS_KEY, RETURNS_KEY, STAMP_KEYS, Instrument
from .followup_block import write_follow_up
from .layout import bullets, estimate_height, still_needed
from .results_sheet import write_results_sheet
from ..core_properties import CoreProperties, with_properties
from ..errors import SheetflowError
from ..files import atomic_path

YELLOW, ORANGE, NAVY, PALE = "#FFF2CC", "#F8CBAD", "#1F3864", "#DDEBF7"
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
    results: object | None = None  # action plan: the region's RegionResults (rollup/region_results.py)
    previous: object | None = None  # action plan 1.1 on: the region's followup_block.PreviousPlan

    @property
    def stamp(self) -> Stamp:
        returns, previous = self.results and self.results.returns, self.previous and self.previous.response_id
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
    """One workbook being written; methods add one sheet each."""

    def __init__(self, path: str, request: Request):
        self.request = request
        self.inst = request.instrument
        self.text = self.inst.text
        self.labels = self.text["labels"]
        self.wb = xlsxwriter.Workbook(path, {"in_memory": True})  # no temporary files
        self.f = self._formats()

    # -- common pieces -------------------------------------------------------
    def _formats(self) -> dict:
        add = self.wb.add_format
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top", "text_wrap": True}
        answer = {**base, "locked": False, "bg_color": YELLOW, "border": 1, "border_color": "#BF9000"}
        return {
            "title": add({**base, "bold": True, "font_size": 16, "font_color": NAVY, "text_wrap": False}),
            "heading": add({**base, "bold": True, "font_size": 12, "font_color": NAVY}),
            "body": add(base),
            "italic": add({**base, "italic": True}),
            "bold": add({**base, "bold": True}),
            "label": add({**base, "bold": True, "border": 1, "border_color": "#BFBFBF", "bg_color": "#F2F2F2"}),
            "cell": add({**base, "border": 1, "border_color": "#BFBFBF"}),
            "center": add({**base, "border": 1, "border_color": "#BFBFBF", "align": "center"}),
            "th": add({**base, "bold": True, "font_color": "white", "bg_color": NAVY, "border": 1,
                       "align": "center", "valign": "vcenter"}),
            "area": add({**base, "bold": True, "bg_color": PALE, "border": 1, "border_color": "#BFBFBF"}),
            "answer": add({**answer, "num_format": "@"}),
            "choice": add({**answer, "align": "center", "bold": True}),
            "date": add({**answer, "num_format": "yyyy-mm-dd", "align": "left"}),
            "number": add({**base, "border": 1, "border_color": "#BFBFBF", "align": "center", "num_format": "0.0"}),
            "count": add({**base, "border": 1, "border_color": "#BFBFBF", "align": "center", "num_format": "0"}),
            "percent": add({**base, "border": 1, "border_color": "#BFBFBF", "align": "center", "num_format": "0%"}),
            "missing": add({"bg_color": ORANGE}),
        }

    def sheet(self, name: str, landscape: bool = False, repeat: int | None = None):
        ws = self.wb.add_worksheet(name)
        ws.protect("", PROTECTION)
        ws.hide_gridlines(2)
        ws.set_paper(1)
        ws.fit_to_pages(1, 0)
        ws.set_margins(left=0.5, right=0.5, top=0.75, bottom=0.75)
        ws.set_header(f"&L&8{self.labels['header']}&R&8{name}")
        ws.set_footer(f"&C&8{self.labels['footer']}")
        if landscape:
            ws.set_landscape()
        if repeat is not None:
            ws.repeat_rows(0, repeat)
            ws.freeze_panes(repeat + 1, 0)
        return ws

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

    def paragraphs(self, ws, row: int, blocks, width: float, last_col: int = 0) -> int:
        """Write text blocks (a string is a paragraph, a list is a list) from ``row``; return the next row."""
        for block in blocks:
            items = [block] if isinstance(block, str) else [
                item if item[:1].isdigit() else f"• {item}" for item in block]
            for item in items:
                self.text_row(ws, row, item, width, last_col)
                row += 1
        return row

    def text_row(self, ws, row: int, text: str, width: float, last_col: int = 0, fmt: str = "body"):
        if last_col:
            ws.merge_range(row, 0, row, last_col, text, self.f[fmt])
        else:
            ws.write_string(row, 0, text, self.f[fmt])
        ws.set_row(row, estimate_height(text, width))

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
        self.instructions_sheet()
        if self.request.results is not None:
            write_results_sheet(self, self.request.results, estimate_height)
        self.details_sheet()
        if self.inst.kind == "assessment":
            self.assessment_sheet()
            self.reflection_sheet()
            self.assessment_summary()
        else:
            for element in self.inst.elements:
                self.element_sheet(element)
            self.action_summary()
        self.stamp_sheet()
        self.wb.worksheets()[0 if self.request.results is None else 1].activate()  # a plan opens on its results
        self.wb.close()

    # -- sheets ----------------------------------------------------------------
    def instructions_sheet(self):
        ws = self.sheet(self.text["sheets"]["instructions"])
        ws.set_column(0, 0, 100)
        ws.write_string(0, 0, self.inst.title, self.f["title"])
        ws.set_row(0, 24)
        if self.request.results is not None:  # in the empty row 2, so every other text keeps its cell
            self.text_row(ws, 1, self.text["results"]["instructions"], 100, fmt="bold")
        row = 2
        for section in self.text["instructions"]:
            ws.write_string(row, 0, section["heading"], self.f["heading"])
            row = self.paragraphs(ws, row + 1, section["blocks"], 100) + 1
        ws.write_string(row, 0, self.labels["about_heading"], self.f["heading"])
        row += 1
        data = self.inst.data
        if self.inst.kind == "assessment":
            for section in data["intro"]:
                ws.write_string(row, 0, section["heading"], self.f["bold"])
                row = self.paragraphs(ws, row + 1, section["blocks"], 100) + 1
        else:
            row = self.paragraphs(ws, row, data["intro"], 100) + 1
            ws.write_string(row, 0, data["elements_heading"], self.f["bold"])
            row = self.paragraphs(ws, row + 1, [[f"✓ {e.name}" for e in self.inst.elements]], 100) + 1
            ws.write_string(row, 0, data["additional_resources_heading"], self.f["bold"])
            self.paragraphs(ws, row + 1, [data["additional_resources"]], 100)

    def details_sheet(self):
        ws = self.sheet(self.text["sheets"]["details"])
        ws.set_column(0, 0, 42)
        ws.set_column(1, 1, 62)
        ws.write_string(0, 0, self.labels["details_heading"], self.f["title"])
        ws.write_string(1, 0, self.labels["details_note"], self.f["italic"])
        ws.merge_range(2, 0, 2, 1, self.labels["keyboard_note"], self.f["italic"])
        ws.set_row(2, estimate_height(self.labels["keyboard_note"], 104))
        row = 3
        for answer in self.inst.identity:
            ws.write_string(row, 0, answer.label, self.f["label"])
            prompt = answer.kind if answer.kind in ("email", "date") else "text"
            self.answer_cell(ws, row, 1, answer, prompt, question=answer.label)
            ws.set_row(row, 60 if answer.kind == "long_text" else 18)
            row += 1
        self.titles(ws, "RowTitle", 1, 3, 0, row - 1, 1)
        if self.inst.kind != "assessment":
            return
        data = self.inst.data
        row += 1
        ws.merge_range(row, 0, row, 1, self.labels["before_heading"], self.f["heading"])
        ws.merge_range(row + 1, 0, row + 1, 1, data["before_intro"], self.f["italic"])
        row += 2
        first = row
        for number, q in enumerate(data["before"], start=1):
            ws.write_string(row, 0, q["question"], self.f["label"])
            self.answer_cell(ws, row, 1, self.inst.answer(f"pre_{q['key']}_yes"), "before",
                             number=number, question=q["question"])
            ws.set_row(row, estimate_height(q["question"], 42))
            ws.write_string(row + 1, 0, q["follow_up"], self.f["cell"])
            self.answer_cell(ws, row + 1, 1, self.inst.answer(f"pre_{q['key']}_detail"), "before_detail",
                             number=number, question=q["follow_up"])
            ws.set_row(row + 1, max(90, estimate_height(q["follow_up"], 42)))
            row += 2
        self.titles(ws, "RowTitle", 2, first, 0, row - 1, 1)

    def assessment_sheet(self):
        data, L = self.inst.data, self.labels
        ws = self.sheet(self.text["sheets"]["assessment"], landscape=True, repeat=2)
        widths = (4, 30, 72, 10, 44)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        ws.merge_range(0, 0, 0, 4, self.inst.title, self.f["title"])
        ws.set_row(0, 24)
        scale = "    ".join(f"{lv['value']} = {lv['label']}" for lv in data["scale"]["levels"])
        ws.merge_range(1, 0, 1, 4, f"{L['scale_title']}:  {scale}", self.f["bold"])
        ws.set_row(1, 18)
        headers = (L["number_heading"], data["table"]["capability_heading"],
                   data["table"]["characteristics_heading"], L["rating_heading"], data["table"]["comment_label"])
        for col, text in enumerate(headers):
            ws.write_string(2, col, text, self.f["th"])
        ws.set_row(2, 42)
        self.titles(ws, "ColumnTitle", 1, 2, 0, 2, 4)
        row = 3
        self.area_rows = {}
        levels = "\n".join(f"{lv['value']} = {lv['label']}" for lv in data["scale"]["levels"])
        for area in self.inst.areas:
            heading = f"{area.heading}\n{area.question}"
            ws.merge_range(row, 0, row, 4, heading, self.f["area"])
            ws.set_row(row, estimate_height(heading, sum(widths)))
            row += 1
            first = row
            for cap in area.capabilities:
                characteristics = bullets(cap.characteristics)
                ws.write_number(row, 0, cap.number, self.f["center"])
                ws.write_string(row, 1, cap.title, self.f["cell"])
                ws.write_string(row, 2, characteristics, self.f["cell"])
                self.answer_cell(ws, row, 3, self.inst.answer(cap.rating_name), "rating", number=cap.number,
                                 question=cap.title, scale=levels)
                self.answer_cell(ws, row, 4, self.inst.answer(cap.comment_name), "comment", number=cap.number,
                                 question=cap.title)
                ws.set_row(row, max(estimate_height(characteristics, widths[2]),
                                    estimate_height(cap.title, widths[1]), 60))
                row += 1
            self.area_rows[area.name] = (first, row - 1)
        ws.print_area(0, 0, row - 1, 4)

    def reflection_sheet(self):
        ws = self.sheet(self.text["sheets"]["reflection"])
        ws.set_column(0, 0, 42)
        ws.set_column(1, 1, 62)
        ws.write_string(0, 0, self.labels["reflection_heading"], self.f["title"])
        intro = self.inst.data["intro"][-1]["blocks"][-1]
        ws.merge_range(1, 0, 1, 1, intro, self.f["italic"])
        ws.set_row(1, estimate_height(intro, 104))
        row = 3
        for number, q in enumerate(self.inst.data["after"], start=1):
            ws.write_string(row, 0, q["question"], self.f["label"])
            self.answer_cell(ws, row, 1, self.inst.answer(f"reflect_{q['key']}"), "after", number=number,
                             question=q["question"])
            ws.set_row(row, 110)
            row += 1
        self.titles(ws, "RowTitle", 1, 3, 0, row - 1, 1)

    def assessment_summary(self):
        L = self.labels
        ws = self.sheet(self.text["sheets"]["summary"], landscape=True)
        sheet = self.text["sheets"]["assessment"]
        ws.set_column(0, 0, 40)
        ws.set_column(1, 2, 16)
        ws.write_string(0, 0, L["summary_heading"], self.f["title"])
        ws.write_string(1, 0, L["summary_note"], self.f["italic"])
        total = len(self.inst.capabilities)
        ratings = ",".join(c.rating_name for c in self.inst.capabilities)
        answered = sum(isinstance(self.request.prefill.get(c.rating_name), int) for c in self.inst.capabilities)
        ws.write_string(3, 0, L["rated"], self.f["label"])
        ws.write_formula(3, 1, f"=COUNT({ratings})", self.f["count"], answered)
        ws.write_string(3, 2, L["out_of"].format(total=total), self.f["body"])
        ws.write_string(4, 0, L["complete"], self.f["label"])
        ws.write_formula(4, 1, f"=B4/{total}", self.f["percent"], answered / total)
        still_needed(ws, 5, self.labels, self.f, self.inst, self.request.prefill)
        self.titles(ws, "RowTitle", 1, 3, 0, 5, 2)
        for col, text in enumerate((L["area_heading"], L["average_heading"], L["area_rated_heading"])):
            ws.write_string(6, col, text, self.f["th"])
        self.titles(ws, "ColumnTitle", 1, 6, 0, 6, 2)
        row = 7
        for area in self.inst.areas:
            first, last = self.area_rows[area.name]
            cells = f"'{sheet}'!$D${first + 1}:$D${last + 1}"
            ws.write_string(row, 0, area.name, self.f["cell"])
            ws.write_formula(row, 1, f'=IF(COUNT({cells})=0,"",AVERAGE({cells}))', self.f["number"], "")
            ws.write_formula(row, 2, f"=COUNT({cells})", self.f["count"], 0)
            row += 1
        chart = self.wb.add_chart({"type": "column"})
        summary = self.text["sheets"]["summary"]
        chart.add_series({
            "name": L["average_heading"], "categories": [summary, 7, 0, row - 1, 0],
            "values": [summary, 7, 1, row - 1, 1], "fill": {"color": NAVY},
            "data_labels": {"value": True, "num_format": "0.0"},
        })
        chart.set_title({"name": L["chart_title"]})
        chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "name": L["chart_axis"]})
        chart.set_legend({"none": True})
        chart.set_size({"width": 620, "height": 320})
        areas = ", ".join(area.name for area in self.inst.areas)
        ws.insert_chart(row + 1, 0, chart, {"description": L["chart_description"].format(areas=areas)})

    def element_sheet(self, element):
        L = self.labels
        name = self.text["sheets"]["element"].format(number=element.number)
        ws = self.sheet(name, landscape=True, repeat=0)
        widths = (30, 32, 14, 22, 24, 30)
        for col, width in enumerate(widths):
            ws.set_column(col, col, width)
        total = sum(widths)
        ws.merge_range(0, 0, 0, 5, element.heading, self.f["title"])
        ws.set_row(0, 24)
        self.text_row(ws, 1, f"({element.definition})", total, 5, "italic")
        self.text_row(ws, 3, element.components_intro, total, 5, "bold")
        ws.merge_range(4, 0, 4, 4, L["component_heading"], self.f["th"])
        ws.write_string(4, 5, L["status_heading"], self.f["th"])
        self.titles(ws, "ColumnTitle", 1, 4, 0, 4, 5)
        row = first = 5
        for j, text in enumerate(element.components, start=1):
            ws.merge_range(row, 0, row, 4, f"{j}. {text}", self.f["cell"])
            self.answer_cell(ws, row, 5, self.inst.answer(element.status_name(j)), "status",
                             element=element.number, number=j, question=text)
            ws.set_row(row, max(estimate_height(f"{j}. {text}", total - widths[5]), 18))
            row += 1
        self.status_rows = {**getattr(self, "status_rows", {}), element.number: (name, first, row - 1)}
        row += 1
        self.text_row(ws, row, element.prompts, total, 5, "bold")
        row += 1
        self.answer_cell(ws, row, 0, self.inst.answer(element.obstacles_name), "obstacles", last_col=5,
                         element=element.number, question=element.prompts)
        ws.set_row(row, 120)
        row += 2
        self.text_row(ws, row, element.table_intro, total, 5, "bold")
        row += 1
        for col, column in enumerate(self.inst.action_columns):
            ws.write_string(row, col, column.label, self.f["th"])
        ws.set_row(row, 30)
        self.titles(ws, "ColumnTitle", 2, row, 0, row, len(self.inst.action_columns) - 1)
        actions = self.inst.answer(element.actions_name)
        top = row + 1
        for r in range(top, top + actions.rows):
            for col, column in enumerate(self.inst.action_columns):
                ws.write_blank(r, col, None, self.f["answer"])
                self.announce(ws, r, col, actions, "action_needed" if column.required else "action",
                              {"element": element.number, "row": r - top + 1, "rows": actions.rows,
                               "question": column.label}, required=False)
            ws.set_row(r, 48)
        self.name(actions.name, ws, top, 0, top + actions.rows - 1, len(self.inst.action_columns) - 1)
        self.action_rows = {**getattr(self, "action_rows", {}), element.number: (name, top, top + actions.rows - 1)}
        ws.print_area(0, 0, top + actions.rows - 1, 5)
        if self.inst.progress_choices:  # version 1.1 on: the follow-up of last cycle's plan (its own print area)
            write_follow_up(self, ws, element, top + actions.rows + 1, total, estimate_height)

    def action_summary(self):
        L = self.labels
        statuses = self.inst.data["status_choices"]
        ws = self.sheet(self.text["sheets"]["summary"], landscape=True)
        ws.set_column(0, 0, 40)
        ws.set_column(1, 6, 14)
        ws.write_string(0, 0, L["summary_heading"], self.f["title"])
        ws.write_string(1, 0, L["summary_note"], self.f["italic"])
        total = sum(len(e.components) for e in self.inst.elements)
        names = ",".join(e.status_name(j) for e in self.inst.elements for j in range(1, len(e.components) + 1))
        ws.write_string(3, 0, L["components_answered"], self.f["label"])
        ws.write_formula(3, 1, f"=COUNTA({names})", self.f["count"], 0)
        ws.write_string(3, 2, L["out_of"].format(total=total), self.f["body"])
        ws.write_string(4, 0, L["complete"], self.f["label"])
        ws.write_formula(4, 1, f"=B4/{total}", self.f["percent"], 0)
        still_needed(ws, 5, self.labels, self.f, self.inst, self.request.prefill)
        self.titles(ws, "RowTitle", 1, 3, 0, 5, 2)
        headers = [L["element_heading"], L["components_heading"], *statuses, L["not_answered_heading"],
                   L["actions_heading"]]
        for col, text in enumerate(headers):
            ws.write_string(6, col, text, self.f["th"])
        self.titles(ws, "ColumnTitle", 1, 6, 0, 6, len(headers) - 1)
        ws.set_row(6, 30)
        row = 7
        for element in self.inst.elements:
            sheet, first, last = self.status_rows[element.number]
            cells = f"'{sheet}'!$F${first + 1}:$F${last + 1}"
            ws.write_string(row, 0, L["element"].format(number=element.number, name=element.name), self.f["cell"])
            ws.write_number(row, 1, len(element.components), self.f["count"])
            for k, status in enumerate(statuses):
                ws.write_formula(row, 2 + k, f'=COUNTIF({cells},"{status}")', self.f["count"], 0)
            ws.write_formula(row, 2 + len(statuses), f"=COUNTBLANK({cells})", self.f["count"],
                             len(element.components))
            sheet, top, bottom = self.action_rows[element.number]
            ws.write_formula(row, 3 + len(statuses), f"=COUNTA('{sheet}'!$A${top + 1}:$A${bottom + 1})",
                             self.f["count"], 0)
            row += 1
        summary = self.text["sheets"]["summary"]
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        colours = ("#548235", "#FFC000", "#C00000", "#A6A6A6")
        for k in range(len(statuses) + 1):
            chart.add_series({
                "name": [summary, 6, 2 + k], "categories": [summary, 7, 0, row - 1, 0],
                "values": [summary, 7, 2 + k, row - 1, 2 + k], "fill": {"color": colours[k % 4]},
            })
        chart.set_title({"name": L["chart_title"]})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"major_unit": 1, "min": 0})
        chart.set_size({"width": 760, "height": 340})
        elements = ", ".join(e.name for e in self.inst.elements)
        description = L["chart_description"].format(statuses=", ".join(statuses), elements=elements)
        ws.insert_chart(row + 1, 0, chart, {"description": description})

