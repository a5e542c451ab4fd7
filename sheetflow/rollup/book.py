"""The roll-up's summary sheets being written (xlsxwriter): the workbook, its formats, the cycle in view, the pieces
every summary sheet is made of, and how such a sheet prints.

Partners' text is always written as text (``write_string``; the workbook is opened with ``strings_to_formulas``
off), numbers as numbers, dates as dates. Formulas refer to the data tables' columns by name (``ranges``), so
rows added to a table are counted. Each sheet is written by its own module (``summary_sheet``, ``list_sheets``,
``distribution_sheet``, ``action_plans_sheet``, ``about_sheet``, ``trend_sheet``); ``workbook`` assembles them.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re

import pandas as pd
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from .. import style
from . import tables as R
from .table_sheets import DATE_FORMAT, TableSheet, as_written, page_header, wrapped_lines

MARGINS = {"left": 0.4, "right": 0.4}  # inches (top and bottom: xlsxwriter's 0.75)
PAGE_CHARACTERS = 122  # characters of 11-point text that LibreOffice prints across a Letter landscape page at 100%
SMALLEST = 8  # points: no printed text is smaller
BODY = 10  # points: the summaries' text, printed at no less than SMALLEST
LINE = 13.5  # points per line of 10-point text
# the lists' columns (Strengths, Disagreement, Resources needed): a name, a label, two figures, a text across
# three columns and a last text; 140 characters, printed at 87% (10-point text at 8.7 points)
LIST_WIDTHS = ((0, 0, 28), (1, 1, 14), (2, 3, 9), (4, 6, 18), (7, 7, 26))


def structured(table: str, column: str) -> str:
    """A structured reference to a table column's values (``Responses[rating]``), special characters escaped."""
    escaped = "".join("'" + ch if ch in "[]#'" else ch for ch in column)
    return f"{table}[{escaped}]"


def print_scale(characters: float) -> int:
    """The print scale (per cent) at which columns ``characters`` wide in all fit across the page, never so small
    that the summaries' text prints under SMALLEST points (wider columns print over more pages across)."""
    return style.print_scale(PAGE_CHARACTERS, characters, smallest=math.ceil(100 * SMALLEST / BODY))


def list_width(column: int) -> float:
    return next(width for first, last, width in LIST_WIDTHS if first <= column <= last)


def lines_needed(text: object, width: float) -> int:
    """How many lines ``text`` takes wrapped in a cell ``width`` characters wide, in 10-point text (a width's
    characters are 11-point digits): its words laid on lines as ``wrapped_lines`` lays them."""
    return wrapped_lines(str(text or ""), width * 11 / BODY)


class Book:
    """The roll-up's xlsxwriter workbook and what its summary sheets share."""

    def __init__(self, rollup: R.Rollup, tables: list[TableSheet]) -> None:
        self.r = rollup
        self.tables = tables
        self.output = io.BytesIO()
        self.wb = xlsxwriter.Workbook(self.output, {"strings_to_formulas": False, "strings_to_urls": False,
                                                    "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd",
                                                    "in_memory": True})
        add = self.wb.add_format
        base, boxed = style.FONT, {**style.FONT, **style.BORDERED}
        self.f = {
            "title": add({**base, **style.TITLE}),
            "heading": add({**base, **style.HEADING}),
            "note": add({**base, **style.NOTE}),
            "body": add(base),
            "wrap": add({**base, "text_wrap": True}),
            "th": add({**base, **style.HEADER_CELL}),
            "label": add(boxed),
            "label_wrap": add({**boxed, "text_wrap": True}),
            "avg": add({**boxed, "num_format": style.AVERAGE_FORMAT, "align": "center"}),
            "int": add({**boxed, "num_format": style.WHOLE_FORMAT, "align": "center"}),
            "date": add({**base, "num_format": DATE_FORMAT}),
            "big": add({**base, "bold": True, "font_size": 14, "align": "center", "border": 1}),
            "big_percent": add({**base, "bold": True, "font_size": 14, "align": "center", "border": 1,
                                "num_format": style.PERCENT_FORMAT}),
        }
        # formulas refer to the tables' columns by name, so rows added to a table are counted
        self.ranges = {t.name: {c: structured(t.name, c) for c in t.header} for t in tables}

    def cell(self, ws: Worksheet, row: int, col: int, value: object, fmt: Format | None = None) -> None:
        """Write one value with its own type, as ``as_written`` gives it (text always as text)."""
        value = as_written(value)
        if value is None:
            ws.write_blank(row, col, None, fmt)
        elif isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, dt.datetime):
            ws.write_datetime(row, col, value, fmt or self.f["date"])
        else:
            ws.write_number(row, col, value, fmt)

    def print_setup(self, ws: Worksheet, characters: float) -> None:
        """US Letter landscape at the scale that fits columns ``characters`` wide across the page (never fitted
        to the page: Excel would then ignore the page breaks, and its text could shrink under SMALLEST points),
        with the roll-up's page header and page numbers, as large as it takes to print at SMALLEST points."""
        scale = print_scale(characters)
        header, footer = page_header(ws.name, scale)
        style.set_up_page(ws, landscape=True, margins=MARGINS, header=header, footer=footer, scale=scale)

    def cycle_shown(self) -> str:
        """Which cycle the summaries show, e.g. "Cycle 2026 (of 2025, 2026)"."""
        if len(self.r.cycles) > 1:
            return f"Cycle {self.r.cycle} (of {', '.join(self.r.cycles)})"
        return f"Cycle {self.r.cycle or '-'}"

    def of_cycle(self) -> str:
        """What a title adds to name the cycle in view (", cycle 2026"; nothing without valid returns)."""
        return f", cycle {self.r.cycle}" if self.r.cycle else ""

    def in_cycle(self) -> str:
        """The criterion that keeps a COUNTIFS or AVERAGEIFS over Responses to the cycle shown ("" for one cycle)."""
        if len(self.r.cycles) < 2:
            return ""
        literal = re.sub(r"([*?~])", r"~\1", self.r.cycle or "").replace('"', '""')
        return f',{self.ranges["Responses"]["cycle"]},"{literal}"'

    def frame(self, ws: Worksheet, top: int, title: str, frame: pd.DataFrame, headers: dict[str, str],
              spans: list[tuple[int, int]]) -> int:
        """A summary table of values at ``top`` (``headers``: column -> heading, each written across its sheet
        columns in ``spans``, text wrapped within them); returns the row after it."""
        ws.write_string(top, 0, title, self.f["heading"])
        for key, (first, last) in zip(headers, spans):
            self.span(ws, top + 1, first, last, headers[key], self.f["th"])
        ws.set_row(top + 1, 28)
        if frame.empty:
            ws.write_string(top + 2, 0, "None.", self.f["note"])
            return top + 3
        formats = [self.f["avg"] if key == "average" else self.f["int"] if key in ("item", "lowest", "highest")
                   else self.f["label_wrap"] for key in headers]
        widths = [sum(list_width(c) for c in range(first, last + 1)) for first, last in spans]
        for row, line in enumerate(zip(*[frame[key].tolist() for key in headers]), start=top + 2):
            for span, value, fmt in zip(spans, line, formats):
                self.span(ws, row, *span, value, fmt)
            # merged cells are never fitted to their text, by Excel or LibreOffice: the height is set here
            ws.set_row(row, LINE * max(lines_needed(v, w) for v, w in zip(line, widths)))
        return top + 2 + len(frame) + 1

    def span(self, ws: Worksheet, row: int, first: int, last: int, value: object, fmt: Format) -> None:
        """One value across columns ``first``..``last`` (merged), written with its own type."""
        if last > first:
            ws.merge_range(row, first, row, last, "", fmt)
        self.cell(ws, row, first, value, fmt)

    def grid(self, ws: Worksheet, top: int, title: str, frame: pd.DataFrame) -> int:
        ws.write_string(top, 0, title, self.f["heading"])
        ws.write_string(top + 1, 0, "Key element", self.f["th"])
        for c, name in enumerate(frame.columns, start=1):
            ws.write_string(top + 1, c, str(name), self.f["th"])
        for r, (label, values) in enumerate(frame.iterrows(), start=top + 2):
            ws.write_string(r, 0, str(label), self.f["label"])
            for c, value in enumerate(values, start=1):
                ws.write_number(r, c, int(value), self.f["int"])
        return top + 3 + len(frame)
