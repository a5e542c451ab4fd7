"""Write the roll-up for the board: summaries and native charts, Excel Tables, PivotTables, About.

xlsxwriter writes the summaries, charts and the About sheet, and an empty sheet for each data
table; ``table_sheets`` then writes each table's sheet and table part whole (tens of thousands
of rows in a state-wide cycle), ``pivots`` adds the PivotTables, and ``parts.WorkbookParts`` puts
them into the package through its own indexes. Partners' text is always written as text
(``write_string``; the workbook is opened with ``strings_to_formulas`` off), numbers as numbers,
dates as dates. Summary figures are formulas over the tables, each with its value computed in
Python, so they show the right number whether or not the reader recalculates.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import re
from pathlib import Path
from typing import Any

import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell

from .. import style
from ..version import version
from . import tables as R
from ..core_properties import PART as PROPERTIES, CoreProperties
from ..files import atomic_path
from ..instruments.prompts import fit
from ..intake import response
from ..text import plural
from .parts import WorkbookParts
from .pivots import PIVOTS, add_pivots
from .table_sheets import DATE_FORMAT, TITLE, TableSheet, as_written, missing, page_header, place, wrapped_lines
from . import trend_sheet

# the Summary's columns (first, last, width in characters): the organization, five component areas, the
# respondents and (organizations' table) the region; together one page wide
SUMMARY_WIDTHS = ((0, 0, 34), (1, 6, 15), (7, 7, 18))
# the lists' columns (Strengths, Disagreement, Resources needed): a name, a label, two figures, a text across
# three columns and a last text; 140 characters, printed at 87% (10-point text at 8.7 points)
LIST_WIDTHS = ((0, 0, 28), (1, 1, 14), (2, 3, 9), (4, 6, 18), (7, 7, 26))
LINE = 13.5  # points per line of 10-point text
LABELS, CHART_LABEL = 9, 48  # Rating distribution: the column of the chart's labels, and their most characters
NEEDS = "Resources needed"  # the sheet listing every resource or technical-assistance need
DISTRIBUTION_ROWS = 29  # rows of 20 pixels the Rating distribution chart (560 pixels high) takes, with a gap
CHART_WIDTH, CHART_ROWS = 640, 17  # the Action plans sheet's charts: pixels wide, rows (of 20 px) taken with a gap
MARGINS = {"left": 0.4, "right": 0.4}  # inches (top and bottom: xlsxwriter's 0.75)
PAGE_CHARACTERS = 122  # characters of 11-point text that LibreOffice prints across a Letter landscape page at 100%
SMALLEST = 8  # points: no printed text is smaller
BODY = 10  # points: the summaries' text, printed at no less than SMALLEST
LEVEL = 2  # zlib level: a quarter of the default level's time, for a package ~18% bigger


def write(rollup: R.Rollup, output: Path, force: bool = False, pivots: bool = True) -> Path:
    """Write the roll-up workbook atomically; never replace an existing file unless ``force``.
    ``pivots``: add the PivotTable sheets (some tools cannot read them)."""
    tables = [TableSheet.of(name, rollup.tables[name]) for name in rollup.table_names]
    with atomic_path(output, force) as tmp:
        package = WorkbookParts.from_zip(_Writer(rollup, tables).write())
        if pivots:
            add_pivots(package, PIVOTS, {t.name: t for t in tables}, rollup.cycle)
        place(package, tables)
        package.put(PROPERTIES, CoreProperties(
            title="Regional sector partnership roll-up", created=rollup.made_at,
            subject="Sector Strategies self-assessments and action plans, consolidated").xml())
        package.save(tmp, LEVEL)
    return Path(output)


def _by_version(item) -> tuple:
    """(instrument, version) counts in version order: 1.2 before 1.10."""
    (_, version), _ = item
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def structured(table: str, column: str) -> str:
    """A structured reference to a table column's values (``Responses[rating]``), special characters escaped."""
    escaped = "".join("'" + ch if ch in "[]#'" else ch for ch in column)
    return f"{table}[{escaped}]"


def summary_width(column: int) -> float:
    return next(width for first, last, width in SUMMARY_WIDTHS if first <= column <= last)


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


class _Writer:
    def __init__(self, rollup: R.Rollup, tables: list[TableSheet]):
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

    def write(self) -> bytes:
        """The workbook's bytes: every sheet but the tables' (empty, for ``table_sheets``) and the pivots."""
        summary = self.wb.add_worksheet("Summary")
        strengths, disagreement = self.wb.add_worksheet("Strengths"), self.wb.add_worksheet("Disagreement")
        distribution = self.wb.add_worksheet("Rating distribution")
        plans, needs = self.wb.add_worksheet("Action plans"), self.wb.add_worksheet(NEEDS)
        change = self.wb.add_worksheet(trend_sheet.SHEET) if trend_sheet.wanted(self.r) else None
        for table in self.tables:
            sheet = self.wb.add_worksheet(table.name)  # the sheet itself is written by table_sheets
            sheet.repeat_rows(0)
            sheet.repeat_columns(0)  # the row's key on each of the pages a wide table prints across
            sheet.print_area(0, 0, table.last_row - 1, table.printed - 1)
        self.about()
        self.summary(summary)
        responses = self.r.shown("Responses")
        self.lists(strengths, "Strengths and learning opportunities (highest and lowest average ratings)"
                   + self.of_cycle(),
                   R.strengths_and_opportunities(responses),
                   {"organization": "Organization", "kind": "Strength or opportunity", "item": "Item",
                    "average": "Average", "capability": "Capability"}, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 7)])
        self.lists(disagreement, "Internal disagreement: capabilities whose ratings differ by 2 or more within an "
                                 "organization" + self.of_cycle(), R.disagreements(responses),
                   {"organization": "Organization", "item": "Item", "lowest": "Lowest", "highest": "Highest",
                    "capability": "Capability", "ratings": "Ratings"}, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 6), (7, 7)])
        self.distribution(distribution)
        self.action_plans(plans)
        self.needs(needs)
        if change is not None:
            trend_sheet.write(change, self.wb, self.f, self.r)
        summary.activate()
        self.wb.close()
        return self.output.getvalue()

    def cell(self, ws, row, col, value, fmt=None):
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

    def print_setup(self, ws, characters: float):
        """US Letter landscape at the scale that fits columns ``characters`` wide across the page (never fitted
        to the page: Excel would then ignore the page breaks, and its text could shrink under SMALLEST points),
        with the roll-up's page header and page numbers, as large as it takes to print at SMALLEST points."""
        scale = print_scale(characters)
        header, footer = page_header(ws.name, scale)
        style.set_up_page(ws, landscape=True, margins=MARGINS, header=header, footer=footer, scale=scale)

    def about(self):
        ws = self.wb.add_worksheet("About")
        self.print_setup(ws, 16 + 22 + 90)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 22)
        ws.set_column(2, 2, 90)
        ws.write_string(0, 0, "About this roll-up", self.f["title"])
        made = self.r.made_at.strftime("%Y-%m-%d %H:%M UTC")
        versions = "; ".join(f"{i.title}: " + (", ".join(
            f"version {v} ({plural(n, 'return')})" for (k, v), n in sorted(self.r.versions.items(), key=_by_version) if k == i.id)
            or "no returns") for i in self.r.instruments.values())
        facts = [
            ("Made", f"{made} by sheetflow {version()}"),
            ("Instruments", versions),
            ("Files", f"{plural(self.r.sources, 'file')} considered: "
                      f"{plural(self.r.files_in, 'valid return')} included, "
                      f"{self.r.files_out} left out"
                      + (f"; {plural(self.r.skipped, 'file')} skipped as not returns" if self.r.skipped else "")
                      + ". Every file and its status is in the Submissions table; "
                      "why each was left out is in the Problems table."),
            ("Figures", "Every figure is computed by sheetflow from the answers it read; no value is taken "
                        "from formulas inside the returned files."),
        ]
        if len(self.r.cycles) > 1:
            facts.append(("Cycles", f"The tables hold cycles {', '.join(self.r.cycles)}; the summaries show "
                                    f"{self.r.cycle}, and the Change over time sheet compares them."))
        for label, note in (("Other cycles", self.r.other_cycles_note()), ("Thin cycles", self.r.thin_note())):
            if note:
                facts.append((label, note))
        if self.r.previous is not None:
            before = self.r.previous
            facts.append(("Earlier cycles", f"From the roll-up {before.path.name} ({before.made or 'made by sheetflow'}): "
                                            f"cycles {', '.join(before.cycles) or 'none'}, {before.responses} responses; "
                                            "a response also returned in this roll-up's files is taken from them."))
        for i, (key, text) in enumerate(facts, start=2):
            ws.write_string(i, 0, key, self.f["body"])
            ws.merge_range(i, 1, i, 2, text, self.f["wrap"])
            ws.set_row(i, 15 * max(1, math.ceil(len(text) / 105)))
        start = len(facts) + 3
        ws.write_string(start, 0, "Data dictionary: the columns of every table", self.f["heading"])
        rows = [(t, c, meaning) for t, cols in R.TABLES.items() for c, meaning in cols.items()]
        ws.add_table(start + 1, 0, start + 1 + len(rows), 2, {
            "name": "Dictionary", "style": "Table Style Light 9",
            "columns": [{"header": h, "header_format": self.f["th"]} for h in ("table", "column", "meaning")]})
        for i, row in enumerate(rows, start=start + 2):
            for c, value in enumerate(row):
                ws.write_string(i, c, value, self.f["wrap"] if c == 2 else None)
        lines = ["Source files:"] + [Path(p).name for p in self.r.sources]
        ws.write_string(start + len(rows) + 3, 0, lines[0], self.f["heading"])
        for i, name in enumerate(lines[1:], start=start + len(rows) + 4):
            ws.write_string(i, 0, name)

    # -- summaries --------------------------------------------------------------------------------
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

    def matrix(self, ws, top: int, by: str, title: str) -> tuple[int, int, int]:
        """An average-rating matrix written as AVERAGEIFS over the Responses table's rows of the cycle shown
        (values computed here)."""
        responses = self.r.shown("Responses")
        areas = [a.name for a in self.r.assessment.areas]
        values = R.area_matrix(responses, by, areas)
        ws.write_string(top, 0, title, self.f["heading"])
        header = top + 1
        ws.write_string(header, 0, by.replace("_", " ").capitalize(), self.f["th"])
        for c, area in enumerate(areas, start=1):
            ws.write_string(header, c, area, self.f["th"])
        ws.write_string(header, len(areas) + 1, "Respondents", self.f["th"])
        if by == "organization":
            ws.write_string(header, len(areas) + 2, "Region", self.f["th"])
            regions = {org: sorted(set(map(str, group.dropna()))) for org, group in responses.groupby(by)["region"]}
        ws.set_row(header, 3 * LINE)  # an area's name over up to three lines
        ranges = self.ranges["Responses"]
        respondents = response.column(responses, "Responses").groupby(responses[by]).nunique()
        row = header
        grid: Any = values.to_numpy(dtype=float, na_value=float("nan")) if len(values.index) else None
        for row, key in enumerate(values.index, start=header + 1):
            ws.write_string(row, 0, str(key), self.f["label"])
            for c, area in enumerate(areas, start=1):
                value = grid[row - header - 1, c - 1]
                formula = (f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges[by]},$A{row + 1},"
                           f"{ranges['area']},{xl_rowcol_to_cell(header, c, row_abs=True)}{self.in_cycle()}),\"\")")
                ws.write_formula(row, c, formula, self.f["avg"], "" if missing(value) else round(float(value), 6))
            ws.write_number(row, len(areas) + 1, int(respondents.get(key, 0)), self.f["int"])
            if by == "organization":  # where each organization is
                ws.write_string(row, len(areas) + 2, ", ".join(regions.get(key, [])), self.f["label"])
        if len(values.index):
            ws.conditional_format(header + 1, 1, row, len(areas), {
                "type": "3_color_scale", "min_type": "num", "min_value": 1, "min_color": style.SCALE_LOW,
                "mid_type": "num", "mid_value": 3, "mid_color": style.SCALE_MID, "max_type": "num", "max_value": 5,
                "max_color": style.SCALE_HIGH})
        return header, row, len(areas)

    def summary(self, ws):
        for first, last, width in SUMMARY_WIDTHS:
            ws.set_column(first, last, width)
        # at the scale that fits its columns, not fitted to the page: Excel would ignore the page break
        # that keeps the regions' table and chart together
        used = 1 + len(self.r.assessment.areas) + 2  # organization, one column per area, respondents, region
        self.print_setup(ws, sum(summary_width(c) for c in range(used)))
        ws.write_string(0, 0, "Regional sector partnership roll-up" + self.of_cycle(), self.f["title"])
        ws.write_string(1, 0, f"{self.cycle_shown()}; made {self.r.made_at:%Y-%m-%d}. "
                              f"{plural(self.r.files_in, 'return')} included, "
                              f"{plural(self.r.files_out, 'file')} left out "
                              "(see the Submissions and Problems sheets).", self.f["note"])
        ws.write_string(2, 0, "Strengths, learning opportunities and internal disagreement are listed on the "
                              "sheets after this one.", self.f["note"])  # a line of its own: it prints whole
        responses = self.r.shown("Responses")
        counts = [("Self-assessments", response.count(responses, "Responses")),
                  ("Organizations", responses["organization"].nunique() if not responses.empty else 0),
                  ("Action plans", response.count(self.r.shown("Components"), "Components")),
                  ("Files left out", self.r.files_out)]
        if self.r.with_status:
            counts += [("Workbooks sent", self.r.sent), ("Response rate", self.r.sent_valid / max(self.r.sent, 1))]
        for c, (label, number) in enumerate(counts):
            ws.write_string(3, 1 + c, label, self.f["th"])
            ws.write_number(4, 1 + c, number, self.f["big_percent"] if label == "Response rate" else self.f["big"])
        ws.set_row(3, 28)
        header, last, width = self.matrix(ws, 6, "organization", "Average rating by organization and component area")
        last = self.frame(ws, last + 2, "Without a valid return" + self.of_cycle() + ", and why", self.missing(),
                          {"name": "Region or organization", "what": "Workbook", "why": "Why"},
                          [(0, 0), (1, 1), (2, 7)]) - 1
        region_top = last + 2
        ws.set_h_pagebreaks([region_top])  # the regions' table and its chart start a page
        r_header, r_last, _ = self.matrix(ws, region_top, "region", "Average rating by region and component area")
        if r_last > r_header:
            chart = self.wb.add_chart({"type": "column"})
            for row in range(r_header + 1, r_last + 1):
                chart.add_series({"name": ["Summary", row, 0], "categories": ["Summary", r_header, 1, r_header, width],
                                  "values": ["Summary", row, 1, row, width],
                                  "data_labels": {"value": True, "num_format": "0.0"}})
            chart.set_title({"name": "Average rating by component area and region" + self.of_cycle()})
            chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "name": "Average rating (1-5)"})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 820, "height": 330})
            regions = ", ".join(map(str, sorted(responses["region"].dropna().unique())))
            ws.insert_chart(r_last + 2, 0, chart, {"description": "Column chart: average rating (1 to 5) by component "
                                                   f"area, one bar per region: {regions}. The figures are in the "
                                                   "table above the chart."})

    def missing(self):
        """The regions without a valid action plan and the organizations without a valid self-assessment in the
        cycle in view, and why (``tables.missing_returns``), as a frame: name, what, why."""
        import pandas as pd

        rows = [{"name": m.name, "what": self.r.instruments[instrument].short_title, "why": m.why}
                for instrument in ("sector-action-plan", "sector-self-assessment")
                for m in self.r.missing.get(instrument, [])]
        return pd.DataFrame(rows, columns=["name", "what", "why"])

    def lists(self, ws, title: str, frame, headers: dict, spans: list[tuple[int, int]]):
        """A list on a sheet of its own (LIST_WIDTHS, headings repeated on every printed page)."""
        for first, last, width in LIST_WIDTHS:
            ws.set_column(first, last, width)
        self.print_setup(ws, sum(width * (last - first + 1) for first, last, width in LIST_WIDTHS))
        ws.repeat_rows(1)
        ws.freeze_panes(2, 0)
        self.frame(ws, 0, title, frame, headers, spans)

    def frame(self, ws, top, title, frame, headers: dict, spans: list[tuple[int, int]]) -> int:
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

    def distribution(self, ws):
        responses = self.r.shown("Responses")
        counts = R.rating_distribution(responses, self.r.assessment)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 60)
        ws.set_column(2, 7, 9)
        self.print_setup(ws, 6 + 60 + 6 * 9)
        ws.write_string(0, 0, "How many respondents gave each rating, per capability" + self.of_cycle(), self.f["title"])
        ws.write_string(2, 0, f"{self.cycle_shown()}.", self.f["note"])
        ws.write_string(1, 0, "1 = Not at all, 2 = Making progress but long way to go, 3 = Have some of this, "
                              "sometimes, 4 = Yes, in place now, 5 = Not only in place, but we're excelling here.",
                        self.f["note"])
        # the chart first, on the first page; the table from the next page, its headings repeated on each of its
        # pages (a page break keeps them off the chart's page: repeated above a chart they print as an empty row)
        top = 3 + DISTRIBUTION_ROWS
        headers = ["Item", "Capability", "1", "2", "3", "4", "5", "Average"]
        for c, text in enumerate(headers):
            ws.write_string(top, c, text, self.f["th"])
        ranges = self.ranges["Responses"]
        # the chart's labels: the capability, shortened at a word boundary, in a hidden column the chart still reads
        ws.set_column(LABELS, LABELS, CHART_LABEL + 2, None, {"hidden": True})
        for row, (item, record) in enumerate(counts.iterrows(), start=top + 1):
            ws.write_number(row, 0, int(item), self.f["int"])
            ws.write_string(row, LABELS, fit(f"{int(item)}. {record['capability']}", CHART_LABEL))
            ws.write_string(row, 1, record["capability"], self.f["label_wrap"])
            ws.set_row(row, LINE * lines_needed(record["capability"], 60))  # LibreOffice does not fit rows on opening
            for k in range(1, 6):
                formula = f"=COUNTIFS({ranges['item']},$A{row + 1},{ranges['rating']},{k}{self.in_cycle()})"
                ws.write_formula(row, 1 + k, formula, self.f["int"], int(record[k]))
            mean: Any = responses.loc[responses["item"] == item, "rating"].mean() if not responses.empty else None
            ws.write_formula(row, 7, f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges['item']},$A{row + 1}"
                                     f"{self.in_cycle()}),\"\")",
                             self.f["avg"], "" if missing(mean) else round(float(mean), 6))
        last = top + len(counts)
        chart = self.wb.add_chart({"type": "bar", "subtype": "percent_stacked"})
        colours = style.RATING_COLOURS
        for k in range(1, 6):
            chart.add_series({"name": ["Rating distribution", top, 1 + k],
                              "categories": ["Rating distribution", top + 1, LABELS, last, LABELS],
                              "values": ["Rating distribution", top + 1, 1 + k, last, 1 + k],
                              "fill": {"color": colours[k - 1]}, "gap": 40})
        chart.set_title({"name": "Ratings per capability (share of respondents)" + self.of_cycle()})
        chart.set_y_axis({"reverse": True, "name": "Capability (item number and name)"})
        chart.show_hidden_data()
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 820, "height": 560})
        ws.set_h_pagebreaks([top])  # the chart on the first page, the table from the next
        ws.insert_chart(3, 0, chart, {"object_position": 3,
                                      "description": f"Stacked bar chart: for each of the {len(counts)} "
                                      "capabilities (labelled by item number and name), the share of "
                                      "respondents who gave each rating from 1 to 5. The counts are in the "
                                      "table below the chart."})
        ws.repeat_rows(top)

    def action_plans(self, ws):
        """Components by status, those not yet in place and the actions planned, each chart below its table,
        at a scale that fits the widest table across the page (never fitted to the page: Excel would then
        ignore the page breaks that keep each part whole)."""
        inst = self.r.action_plan
        components, actions = self.r.shown("Components"), self.r.shown("Actions")
        status = R.component_status(components, inst)
        not_in_place, per_element = R.not_in_place(components, inst), R.actions_per_element(actions, components, inst)
        progress = R.progress_counts(self.r.shown("Progress"), inst) if inst.progress_choices else None
        columns = max(len(status.columns), len(not_in_place.columns), len(per_element.columns),
                      len(progress.columns) if progress is not None else 0)
        ws.set_column(0, 0, 44)
        ws.set_column(1, max(columns, 1), 16)
        self.print_setup(ws, 44 + 16 * columns)
        ws.write_string(0, 0, "Action plans" + self.of_cycle(), self.f["title"])
        ws.write_string(1, 0, f"{self.cycle_shown()}. Every resource or technical assistance need listed is on the "
                              f"{NEEDS} sheet.", self.f["note"])
        with_plan = sorted(components["region"].dropna().astype(str).unique()) if not components.empty else []
        without = self.r.missing.get("sector-action-plan", [])
        row = self.grid(ws, 2, "Components by status, " + (
            f"{plural(with_plan, 'region')} with a valid plan ({', '.join(with_plan)})" if with_plan
            else "no region has a valid plan") + (
            "; without one: " + "; ".join(f"{m.name} ({m.why})" for m in without) if without else ""), status)
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        for k, (name, colour) in enumerate(zip(status.columns, style.STATUS_COLOURS)):
            chart.add_series({"name": ["Action plans", 3, 1 + k], "categories": ["Action plans", 4, 0, 3 + len(status), 0],
                              "values": ["Action plans", 4, 1 + k, 3 + len(status), 1 + k],
                              "fill": {"color": colour}})
        chart.set_title({"name": "Components by status and key element" + self.of_cycle()})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": CHART_WIDTH, "height": 300})
        ws.insert_chart(row, 0, chart, {"description": "Stacked bar chart: for each key element, how many components "
                                       f"are {', '.join(status.columns)}, across the valid action plans of "
                                       f"{', '.join(with_plan) or 'no region'}. The "
                                       "figures are in the table above the chart."})
        breaks = [row + CHART_ROWS]  # the parts below start a page: a table is never split from its chart
        row = self.grid(ws, row + CHART_ROWS, "Components not yet in place, by element and region", not_in_place)
        top = row
        row = self.grid(ws, row, "Actions planned, by element and region", per_element)
        if len(per_element.columns):
            chart = self.wb.add_chart({"type": "column"})
            for k, region in enumerate(per_element.columns):
                chart.add_series({"name": ["Action plans", top + 1, 1 + k],
                                  "categories": ["Action plans", top + 2, 0, top + 1 + len(per_element), 0],
                                  "values": ["Action plans", top + 2, 1 + k, top + 1 + len(per_element), 1 + k]})
            chart.set_title({"name": "Actions planned per key element" + self.of_cycle()})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": CHART_WIDTH, "height": 300})
            regions = ", ".join(map(str, per_element.columns))
            ws.insert_chart(row, 0, chart, {"description": "Column chart: how many actions each region planned for "
                                           f"each key element, one bar per region: {regions}. The figures are in "
                                           "the table above the chart."})
            row += CHART_ROWS
        if progress is not None:
            breaks.append(row + 1)
            self.progress(ws, row + 1, progress)
        ws.set_h_pagebreaks(breaks)

    def needs(self, ws):
        """Every resource or technical-assistance need, on a sheet of its own so its headings repeat."""
        self.lists(ws, "Resources and technical assistance needed" + self.of_cycle(), R.ta_needs(self.r.shown("Actions")),
                   {"region": "Region", "element_name": "Key element", "objective": "Strategic objective",
                    "resources_ta": "Resources/ TA needed"}, [(0, 0), (1, 2), (3, 5), (6, 7)])

    def progress(self, ws, top, counts):
        """Last cycle's actions by what became of them, per region and element (``counts``: the Progress table's
        ``tables.progress_counts``), charted."""
        title = "Last cycle's actions by progress, by region and key element" + self.of_cycle().replace(",", ": plans of")
        if counts.empty:
            ws.write_string(top, 0, title, self.f["heading"])
            ws.write_string(top + 1, 0, "No action plan here follows up an earlier one.", self.f["note"])
            return
        row = self.grid(ws, top, title, counts)  # on a page of its own (action_plans breaks before it)
        ws.write_string(top + 1, 0, "Region: key element", self.f["th"])
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        colours = style.PROGRESS_COLOURS
        for k, (name, colour) in enumerate(zip(counts.columns, colours)):
            chart.add_series({"name": ["Action plans", top + 1, 1 + k], "fill": {"color": colour},
                              "categories": ["Action plans", top + 2, 0, row - 2, 0],
                              "values": ["Action plans", top + 2, 1 + k, row - 2, 1 + k]})
        chart.set_title({"name": "What became of last cycle's actions" + self.of_cycle().replace(",", ": plans of")})
        chart.set_y_axis({"reverse": True})
        chart.set_x_axis({"major_unit": 1, "min": 0})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": CHART_WIDTH, "height": max(300, 40 + 26 * len(counts))})
        regions = ", ".join(sorted(set(self.r.shown("Progress")["region"].dropna().astype(str))))
        ws.insert_chart(row, 0, chart, {"description": (
            f"Stacked bar chart: for each region ({regions}) and key element, how many of the actions of "
            f"its previous action plan are {', '.join(counts.columns[:-1])} or have no progress given. "
            "The figures are in the table above the chart and in the Progress table.")})

    def span(self, ws, row, first, last, value, fmt):
        """One value across columns ``first``..``last`` (merged), written with its own type."""
        if last > first:
            ws.merge_range(row, first, row, last, "", fmt)
        self.cell(ws, row, first, value, fmt)

    def grid(self, ws, top, title, frame) -> int:
        ws.write_string(top, 0, title, self.f["heading"])
        ws.write_string(top + 1, 0, "Key element", self.f["th"])
        for c, name in enumerate(frame.columns, start=1):
            ws.write_string(top + 1, c, str(name), self.f["th"])
        for r, (label, values) in enumerate(frame.iterrows(), start=top + 2):
            ws.write_string(r, 0, str(label), self.f["label"])
            for c, value in enumerate(values, start=1):
                ws.write_number(r, c, int(value), self.f["int"])
        return top + 3 + len(frame)
