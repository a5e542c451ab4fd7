"""Write the roll-up for the board with xlsxwriter: Excel Tables, summaries, native charts, About.

Partners' text is always written as text (``write_string``; the workbook is
opened with ``strings_to_formulas`` off), numbers as numbers, dates as dates.
Summary figures are formulas over the tables, each with its value computed in
Python, so they show the right number whether or not the reader recalculates.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import math
import re
import zipfile
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_cell_to_rowcol, xl_col_to_name, xl_rowcol_to_cell

from .. import __version__
from . import tables as R
from . import rows_xml as tablexml
from ..errors import SheetflowError
from ..files import FAST, Deflated, Deflater, atomic_path, csv_cell, zip_bytes
from ..intake.isolation import Helper
from .pivots import PIVOTS, pivot_parts

NAVY, PALE = "#1F3864", "#DDEBF7"
TABLE_SHEETS = ("Responses", "Context", "Components", "Actions", "Submissions", "Problems", "Outstanding",
                "ResponseRate")
HELPER_TIMEOUT = 600.0  # seconds; after that the rows are made in this process


def write(rollup: R.Rollup, output: Path, force: bool = False, pivots: bool = True,
          helper: Helper | bool = True) -> Path:
    """Write the roll-up workbook atomically; never replace an existing file unless ``force``.

    xlsxwriter writes the workbook with each table's header; the tables' rows (tens of thousands
    in a state-wide cycle, too slow cell by cell) are then written into their sheets directly,
    text as inline text, and the PivotTables added, in one pass over the package. The rows and the
    pivot caches are made and compressed by ``tablexml.render`` in a helper process (``helper``:
    one from ``tablexml.start_helper()``, or True to start one here) while xlsxwriter writes; with
    ``helper=False``, or if the helper fails, in this process. The bytes are the same either way.
    """
    with atomic_path(output, force) as tmp, Deflater(level=FAST) as deflater, \
            (tablexml.start_helper() if helper is True else contextlib.nullcontext(helper or None)) as helping:
        writer = _Writer(tmp, rollup)
        job = writer.job(PIVOTS if pivots else ())
        if helping:
            helping.submit(job)
        writer.write()
        with zipfile.ZipFile(tmp) as z:
            parts = {info.filename: z.read(info) for info in z.infolist()}
        deflater.start(parts)  # xlsxwriter's big parts are compressed while the helper finishes
        rendered = _rendered(helping, job)
        if pivots:
            pivot_parts(parts, PIVOTS, rendered["pivots"], writer.sheet_names)
        writer.fill_rows(parts, rendered["rows"])
        deflated = deflater.finish(parts)
        with open(tmp, "wb") as handle:
            handle.write(zip_bytes((_member(name), deflated[name]) for name in parts))
    return Path(output)


def _around_new_rows(xml: bytes, last_row: int, last_col: int) -> tuple[bytes, bytes]:
    """A sheet's XML cut where rows go after its last row, its dimension extended to (last_row, last_col)
    (1-based): (everything before, everything after)."""
    found = re.search(rb'<dimension ref="A1(?::([A-Z]+)([0-9]+))?"/>', xml)
    if found:
        col = max(last_col, xl_cell_to_rowcol(f"{found[1].decode()}1")[1] + 1 if found[1] else 1)
        row = max(last_row, int(found[2]) if found[2] else 1)
        xml = xml[:found.start()] + f'<dimension ref="A1:{xl_col_to_name(col - 1)}{row}"/>'.encode() + xml[found.end():]
    if b"</sheetData>" in xml:
        head, tail = xml.split(b"</sheetData>", 1)
    else:
        head, tail = xml.split(b"<sheetData/>", 1)
        head += b"<sheetData>"
    return head, b"</sheetData>" + tail


def _rendered(helping: Helper | None, job: dict) -> dict:
    if helping:
        try:
            return helping.result(timeout=HELPER_TIMEOUT)
        except Exception:  # noqa: BLE001 - the helper is only for speed: the same bytes are made here
            pass
    return tablexml.render(job)


def _member(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
    info.external_attr = 0o600 << 16
    return info


def csv_safe(value):
    """A value for CSV: text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str):
        return csv_cell(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value


def write_csv(rollup: R.Rollup, folder: Path, force: bool = False) -> list[Path]:
    """Each table as ``Table.csv`` (UTF-8 with a byte-order mark, as Excel expects)."""
    folder = Path(folder)
    targets = {name: folder / f"{name}.csv" for name in TABLE_SHEETS
               if rollup.with_status or name not in ("Outstanding", "ResponseRate")}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not force:
        raise SheetflowError(f"{existing[0]} already exists; use --force to replace it.")
    for name, path in targets.items():
        with atomic_path(path, force=True) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            frame = rollup.tables[name]
            writer.writerow(frame.columns)
            for row in frame.itertuples(index=False):
                writer.writerow([None if _missing(v) else csv_safe(v) for v in row])
    return list(targets.values())


def _as_written(value):
    """A table value as the roll-up stores it: None (blank), text, True/False, a datetime or a number."""
    if _missing(value):
        return None
    if isinstance(value, (str, bool, dt.datetime)):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) or hasattr(value, "__int__"):
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)


def _written_column(series) -> list:
    """``_as_written`` of each value of a column (integer and true/false columns are Python values already)."""
    if series.dtype.kind in "iub":
        return series.tolist()
    return [v if type(v) is str else _as_written(v) for v in series.astype(object).tolist()]


def _missing(value) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


class _Writer:
    def __init__(self, path: str, rollup: R.Rollup):
        self.r = rollup
        self.wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False,
                                             "strings_to_numbers": False, "default_date_format": "yyyy-mm-dd",
                                             "in_memory": True})  # parts are assembled in memory, not temp files
        add = self.wb.add_format
        base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
        self.f = {
            "title": add({**base, "bold": True, "font_size": 16, "font_color": NAVY}),
            "heading": add({**base, "bold": True, "font_size": 12, "font_color": NAVY}),
            "note": add({**base, "italic": True, "font_color": "#595959"}),
            "body": add(base),
            "wrap": add({**base, "text_wrap": True}),
            "th": add({**base, "bold": True, "font_color": "white", "bg_color": NAVY, "text_wrap": True,
                       "align": "center", "valign": "vcenter", "border": 1}),
            "label": add({**base, "border": 1, "border_color": "#BFBFBF"}),
            "avg": add({**base, "num_format": "0.0", "align": "center", "border": 1, "border_color": "#BFBFBF"}),
            "int": add({**base, "num_format": "0", "align": "center", "border": 1, "border_color": "#BFBFBF"}),
            "date": add({**base, "num_format": "yyyy-mm-dd hh:mm"}),
            "big": add({**base, "bold": True, "font_size": 14, "align": "center", "border": 1}),
            "percent": add({**base, "num_format": "0%"}),
            "big_percent": add({**base, "bold": True, "font_size": 14, "align": "center", "border": 1,
                                "num_format": "0%"}),
        }
        self.ranges = {}  # table name -> {column: absolute range}
        self.columns = {}  # table name -> (header, each column's values as written, each column's format)
        self.sheets = {}  # sheet index -> table name, for fill_rows
        self.late = {}  # sheet index -> [(row, [(column, value, format)])] for fill_rows, below all else
        self.sheet_names = []

    def write(self):
        self.wb.set_properties({"title": "Regional sector partnership roll-up", "author": "sheetflow",
                                "created": self.r.made_at.replace(tzinfo=None)})
        summary = self.wb.add_worksheet("Summary")
        distribution = self.wb.add_worksheet("Rating distribution")
        plans = self.wb.add_worksheet("Action plans")
        if not self.columns:
            self.job(())
        for name in self.table_names():
            self.table(name)
        self.about()
        self.summary(summary)
        self.distribution(distribution)
        self.action_plans(plans)
        summary.activate()
        self.sheet_names = [ws.name for ws in self.wb.worksheets()]
        self.wb.close()

    # -- tables ---------------------------------------------------------------------------------
    def cell(self, ws, row, col, value, fmt=None):
        """Write one value as its own type (text always as text); return the value as written."""
        if _missing(value):
            ws.write_blank(row, col, None, fmt)
            return None
        if isinstance(value, str):
            ws.write_string(row, col, value, fmt)
        elif isinstance(value, bool):
            ws.write_boolean(row, col, value, fmt)
        elif isinstance(value, (dt.datetime, dt.date)):
            if not isinstance(value, dt.datetime):
                value = dt.datetime(value.year, value.month, value.day)
            ws.write_datetime(row, col, value, fmt or self.f["date"])
        elif isinstance(value, (int, float)) or hasattr(value, "__int__"):
            number = float(value)
            value = int(number) if number.is_integer() else number
            ws.write_number(row, col, value, fmt)
        else:
            value = str(value)
            ws.write_string(row, col, value, fmt)
        return value

    def job(self, pivots) -> dict:
        """Each table's values as written, column by column, and what ``tablexml.render`` is to make of them:
        the rows of every table with no cell formats (the rest are made once xlsxwriter has numbered its
        formats), and the pivots' data."""
        for name in self.table_names():
            frame = self.r.tables[name]
            columns = [_written_column(frame[column]) for column in frame.columns]
            formats = [{"response_rate": self.f["percent"]}.get(column) for column in frame.columns]
            for c, values in enumerate(columns):
                if formats[c] is None and any(issubclass(t, dt.datetime) for t in set(map(type, values))):
                    formats[c] = self.f["date"]
            self.columns[name] = (list(frame.columns), columns, formats)
        return {"tables": {name: columns for name, (_, columns, formats) in self.columns.items()
                           if all(f is None for f in formats)},
                "date_1904": self.wb.date_1904, "pivots": tuple(pivots),
                "sources": {p.table: (p.table, *self.columns[p.table][:2]) for p in pivots}}

    def table_names(self) -> list[str]:
        return [name for name in TABLE_SHEETS
                if self.r.with_status or name not in ("Outstanding", "ResponseRate")]  # those only with --manifest

    def table(self, name: str):
        """An Excel Table on its own sheet: header and columns here, the rows by ``fill_rows``."""
        header, columns, formats = self.columns[name]
        ws = self.wb.add_worksheet(name)
        last_row, _ = self.last_cell(name)
        # Declared over its header and first row (xlsxwriter checks every cell of a table's range for
        # overlaps, ~0.2 s for a state-wide cycle); fill_rows extends the range to the last row.
        ws.add_table(0, 0, 1, len(header) - 1, {
            "name": name, "style": "Table Style Medium 2",
            "columns": [{"header": c} for c in header],
        })
        widths = {"capability": 50, "comment": 45, "question": 50, "answer": 45, "detail": 40, "message": 90,
                  "component_text": 60, "reason": 70, "sha256": 20, "source_file": 40, "saved_at": 17}
        for c, column in enumerate(header):
            ws.set_column(c, c, widths.get(column, 18 if len(column) > 10 else 14), formats[c])
        ws.freeze_panes(1, 0)
        self.print_setup(ws, repeat=True)
        self.ranges[name] = {col: f"{name}!${xl_col_to_name(c)}$2:${xl_col_to_name(c)}${last_row}"
                             for c, col in enumerate(header)}
        self.sheets[ws.index] = name

    def fill_rows(self, parts: dict, rendered: dict) -> None:
        """Put each table's rows into its sheet and extend the table over them (after xlsxwriter has closed
        the workbook). ``rendered``: the rows ``tablexml.render`` made, by table name, deflated; each sheet
        becomes its XML before the rows, deflated, joined with the rows and the XML after them."""
        for part in [p for p in parts if p.startswith("xl/tables/")]:
            xml = parts[part].decode("utf-8")
            found = re.search(r'<table [^>]*displayName="([^"]+)"', xml)
            if found and found.group(1) in self.columns:
                last = xl_rowcol_to_cell(*(n - 1 for n in self.last_cell(found.group(1))))
                xml = re.sub(r'( ref="A1:)[A-Z]+2"', rf'\g<1>{last}"', xml, count=2)
                parts[part] = xml.encode("utf-8")
        for index in self.late:
            rows, last_row, last_col = self.late_rows(index)
            head, tail = _around_new_rows(parts[f"xl/worksheets/sheet{index + 1}.xml"], last_row, last_col)
            parts[f"xl/worksheets/sheet{index + 1}.xml"] = head + rows + tail
        for index, name in self.sheets.items():
            _, columns, formats = self.columns[name]
            rows = rendered.get(name)
            if rows is None:  # a table with cell formats: their numbers are known now
                styles = [f' s="{f.xf_index}"' if f is not None else "" for f in formats]
                rows = tablexml.rows_piece(columns, styles, self.wb.date_1904)
            part = f"xl/worksheets/sheet{index + 1}.xml"
            head, tail = _around_new_rows(parts[part], *self.last_cell(name))
            parts[part] = Deflated.of(head, last=False, level=FAST) + rows + Deflated.of(tail, level=FAST)

    def last_cell(self, name: str) -> tuple[int, int]:
        """(row, column), 1-based, of a table's last cell (an empty table keeps one blank row, as Excel does)."""
        header, columns, _ = self.columns[name]
        return max(len(columns[0]) if columns else 0, 1) + 1, len(header)

    def print_setup(self, ws, repeat: bool = False):
        ws.set_landscape()
        ws.fit_to_pages(1, 0)
        ws.set_footer("&C&8Page &P of &N")
        ws.set_header(f"&L&8Regional sector partnership roll-up&R&8{ws.name}")
        if repeat:
            ws.repeat_rows(0)

    def about(self):
        ws = self.wb.add_worksheet("About")
        self.print_setup(ws)
        ws.set_column(0, 0, 16)
        ws.set_column(1, 1, 22)
        ws.set_column(2, 2, 90)
        ws.write_string(0, 0, "About this roll-up", self.f["title"])
        made = self.r.made_at.strftime("%Y-%m-%d %H:%M UTC")
        versions = ", ".join(f"{i.title} version {i.version}" for i in self.r.instruments.values())
        facts = [
            ("Made", f"{made} by sheetflow {__version__}"),
            ("Instruments", versions),
            ("Files", f"{len(self.r.sources)} files considered: {self.r.files_in} valid returns included, "
                      f"{self.r.files_out} left out. Every file and its status is in the Submissions table; "
                      "why each was left out is in the Problems table."),
            ("Figures", "Every figure is computed by sheetflow from the answers it read; no value is taken "
                        "from formulas inside the returned files."),
        ]
        for i, (key, text) in enumerate(facts, start=2):
            ws.write_string(i, 0, key, self.f["body"])
            ws.merge_range(i, 1, i, 2, text, self.f["wrap"])
            ws.set_row(i, 15 * max(1, math.ceil(len(text) / 105)))
        start = len(facts) + 3
        ws.write_string(start, 0, "Data dictionary: the columns of every table", self.f["heading"])
        rows = [(t, c, meaning) for t, cols in R.TABLES.items() for c, meaning in cols.items()]
        ws.add_table(start + 1, 0, start + 1 + len(rows), 2, {
            "name": "Dictionary", "style": "Table Style Light 9",
            "columns": [{"header": "table"}, {"header": "column"}, {"header": "meaning"}]})
        for i, row in enumerate(rows, start=start + 2):
            for c, value in enumerate(row):
                ws.write_string(i, c, value, self.f["wrap"] if c == 2 else None)
        lines = ["Source files:"] + [Path(p).name for p in self.r.sources]
        ws.write_string(start + len(rows) + 3, 0, lines[0], self.f["heading"])
        for i, name in enumerate(lines[1:], start=start + len(rows) + 4):
            ws.write_string(i, 0, name)

    # -- summaries --------------------------------------------------------------------------------
    def matrix(self, ws, top: int, by: str, title: str) -> tuple[int, int, int]:
        """An average-rating matrix written as AVERAGEIFS over the Responses table (values computed here)."""
        responses = self.r.tables["Responses"]
        areas = [a.name for a in self.r.assessment.areas]
        values = R.area_matrix(responses, by, areas)
        ws.write_string(top, 0, title, self.f["heading"])
        header = top + 1
        ws.write_string(header, 0, by.replace("_", " ").capitalize(), self.f["th"])
        for c, area in enumerate(areas, start=1):
            ws.write_string(header, c, area, self.f["th"])
        ws.write_string(header, len(areas) + 1, "Respondents", self.f["th"])
        ws.set_row(header, 30)
        ranges = self.ranges["Responses"]
        respondents = responses.groupby(by)["response_id"].nunique()
        row = header
        grid = values.to_numpy(dtype=float, na_value=float("nan")) if len(values.index) else None
        for row, key in enumerate(values.index, start=header + 1):
            ws.write_string(row, 0, str(key), self.f["label"])
            for c, area in enumerate(areas, start=1):
                value = grid[row - header - 1, c - 1]
                formula = (f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges[by]},$A{row + 1},"
                           f"{ranges['area']},{xl_rowcol_to_cell(header, c, row_abs=True)}),\"\")")
                ws.write_formula(row, c, formula, self.f["avg"], "" if _missing(value) else round(float(value), 6))
            ws.write_number(row, len(areas) + 1, int(respondents.get(key, 0)), self.f["int"])
        if len(values.index):
            ws.conditional_format(header + 1, 1, row, len(areas), {
                "type": "3_color_scale", "min_type": "num", "min_value": 1, "min_color": "#F8696B",
                "mid_type": "num", "mid_value": 3, "mid_color": "#FFEB84", "max_type": "num", "max_value": 5,
                "max_color": "#63BE7B"})
        return header, row, len(areas)

    def summary(self, ws):
        ws.set_column(0, 0, 38)
        ws.set_column(1, 1, 20)
        ws.set_column(2, 7, 15)
        ws.set_column(9, 9, 60)  # disagreement ratings; capabilities overflow across F:I
        self.print_setup(ws)
        ws.write_string(0, 0, "Regional sector partnership roll-up", self.f["title"])
        cycles = sorted(set(self.r.tables["Responses"]["cycle"].dropna()) |
                        set(self.r.tables["Components"]["cycle"].dropna()))
        ws.write_string(1, 0, f"Cycle {', '.join(cycles) or '-'}; made {self.r.made_at:%Y-%m-%d}. "
                              f"{self.r.files_in} returns included, {self.r.files_out} files left out "
                              "(see the Submissions and Problems sheets).", self.f["note"])
        responses = self.r.tables["Responses"]
        counts = [("Self-assessments", responses["response_id"].nunique() if not responses.empty else 0),
                  ("Organizations", responses["organization"].nunique() if not responses.empty else 0),
                  ("Action plans", self.r.tables["Components"]["response_id"].nunique()),
                  ("Files left out", self.r.files_out)]
        if self.r.with_status:
            counts += [("Workbooks sent", self.r.sent), ("Response rate", self.r.sent_valid / max(self.r.sent, 1))]
        for c, (label, number) in enumerate(counts):
            ws.write_string(3, 1 + c, label, self.f["th"])
            ws.write_number(4, 1 + c, number, self.f["big_percent"] if label == "Response rate" else self.f["big"])
        ws.set_row(3, 28)
        header, last, width = self.matrix(ws, 6, "organization", "Average rating by organization and component area")
        region_top = last + 2
        r_header, r_last, _ = self.matrix(ws, region_top, "region", "Average rating by region and component area")
        if r_last > r_header:
            chart = self.wb.add_chart({"type": "column"})
            for row in range(r_header + 1, r_last + 1):
                chart.add_series({"name": ["Summary", row, 0], "categories": ["Summary", r_header, 1, r_header, width],
                                  "values": ["Summary", row, 1, row, width],
                                  "data_labels": {"value": True, "num_format": "0.0"}})
            chart.set_title({"name": "Average rating by component area and region"})
            chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "name": "Average rating (1-5)"})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 820, "height": 330})
            ws.insert_chart(r_last + 2, 0, chart)
        row = r_last + 20
        row = self.frame(ws, row, "Strengths and learning opportunities (highest and lowest average ratings)",
                         R.strengths_and_opportunities(responses),
                         {"organization": "Organization", "kind": "Strength or opportunity", "item": "Item",
                          "average": "Average", "capability": "Capability"}, [0, 1, 2, 3, 4])
        self.frame(ws, row + 1, "Internal disagreement: capabilities whose ratings differ by 2 or more within an "
                                "organization", R.disagreements(responses),
                   {"organization": "Organization", "item": "Item", "lowest": "Lowest", "highest": "Highest",
                    "capability": "Capability", "ratings": "Ratings"}, [0, 2, 3, 4, 5, 9])

    def frame(self, ws, top, title, frame, headers: dict, columns: list[int]) -> int:
        """A summary table of values at ``top``, below everything else on its sheet; returns the row after it.

        Its cells (thousands in a state-wide cycle) are not given to xlsxwriter: ``fill_rows`` writes them
        into the sheet once xlsxwriter has closed it, as it writes the tables' rows."""
        late = self.late.setdefault(ws.index, [])
        for name in ("heading", "th", "note", "avg", "int", "label"):
            self.f[name]._get_xf_index()  # numbered as xlsxwriter numbers a format it writes (so in styles.xml)
        late.append((top, [(0, title, self.f["heading"])]))
        late.append((top + 1, [(col, headers[key], self.f["th"]) for key, col in zip(headers, columns)]))
        if frame.empty:
            late.append((top + 2, [(0, "None.", self.f["note"])]))
            return top + 3
        formats = [self.f["avg"] if key == "average" else self.f["int"] if key in ("item", "lowest", "highest")
                   else self.f["label"] for key in headers]
        values = [[_as_written(v) for v in frame[key].tolist()] for key in headers]
        for row, line in enumerate(zip(*values), start=top + 2):
            late.append((row, list(zip(columns, line, formats))))
        return top + 2 + len(frame) + 1

    def late_rows(self, index: int) -> tuple[bytes, int, int]:
        """The rows ``frame`` kept back for sheet ``index`` as XML, with their last row and column (1-based)."""
        rows, last_row, last_col = [], 0, 0
        for row, cells in self.late.get(index, []):
            n = str(row + 1)
            out = [f'<c r="{xl_col_to_name(col)}{n}"' + (tablexml.cell_body(value, style, self.wb.date_1904)
                                                           or f"{style}/>")  # a blank keeps its format
                   for col, value, style in sorted((col, value, f' s="{fmt._get_xf_index()}"')
                                                   for col, value, fmt in cells)]
            rows.append(f'<row r="{n}">' + "".join(out) + "</row>")
            last_row, last_col = max(last_row, row + 1), max([last_col] + [col + 1 for col, _, _ in cells])
        return "".join(rows).encode("utf-8"), last_row, last_col

    def distribution(self, ws):
        counts = R.rating_distribution(self.r.tables["Responses"], self.r.assessment)
        ws.set_column(0, 0, 6)
        ws.set_column(1, 1, 60)
        ws.set_column(2, 7, 9)
        self.print_setup(ws)
        ws.write_string(0, 0, "How many respondents gave each rating, per capability", self.f["title"])
        ws.write_string(1, 0, "1 = Not at all, 2 = Making progress but long way to go, 3 = Have some of this, "
                              "sometimes, 4 = Yes, in place now, 5 = Not only in place, but we're excelling here.",
                        self.f["note"])
        headers = ["Item", "Capability", "1", "2", "3", "4", "5", "Average"]
        for c, text in enumerate(headers):
            ws.write_string(3, c, text, self.f["th"])
        ranges = self.ranges["Responses"]
        responses = self.r.tables["Responses"]
        for row, (item, record) in enumerate(counts.iterrows(), start=4):
            ws.write_number(row, 0, int(item), self.f["int"])
            ws.write_string(row, 1, record["capability"], self.f["label"])
            for k in range(1, 6):
                formula = f"=COUNTIFS({ranges['item']},$A{row + 1},{ranges['rating']},{k})"
                ws.write_formula(row, 1 + k, formula, self.f["int"], int(record[k]))
            mean = responses.loc[responses["item"] == item, "rating"].mean() if not responses.empty else None
            ws.write_formula(row, 7, f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges['item']},$A{row + 1}),\"\")",
                             self.f["avg"], "" if _missing(mean) else round(float(mean), 6))
        last = 3 + len(counts)
        chart = self.wb.add_chart({"type": "bar", "subtype": "percent_stacked"})
        colours = ("#C00000", "#F4B183", "#FFE699", "#A9D18E", "#548235")
        for k in range(1, 6):
            chart.add_series({"name": ["Rating distribution", 3, 1 + k],
                              "categories": ["Rating distribution", 4, 0, last, 0],
                              "values": ["Rating distribution", 4, 1 + k, last, 1 + k],
                              "fill": {"color": colours[k - 1]}, "gap": 40})
        chart.set_title({"name": "Ratings per capability (share of respondents)"})
        chart.set_y_axis({"reverse": True, "name": "Capability (item)"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 620})
        ws.insert_chart(3, 9, chart)
        ws.freeze_panes(4, 0)

    def action_plans(self, ws):
        inst = self.r.action_plan
        components, actions = self.r.tables["Components"], self.r.tables["Actions"]
        ws.set_column(0, 0, 44)
        ws.set_column(1, 6, 16)
        self.print_setup(ws)
        ws.write_string(0, 0, "Action plans", self.f["title"])
        status = R.component_status(components, inst)
        row = self.grid(ws, 2, "Components by status, all regions", status)
        chart = self.wb.add_chart({"type": "bar", "subtype": "stacked"})
        for k, (name, colour) in enumerate(zip(status.columns, ("#548235", "#FFC000", "#C00000"))):
            chart.add_series({"name": ["Action plans", 3, 1 + k], "categories": ["Action plans", 4, 0, 3 + len(status), 0],
                              "values": ["Action plans", 4, 1 + k, 3 + len(status), 1 + k],
                              "fill": {"color": colour}})
        chart.set_title({"name": "Components by status and key element"})
        chart.set_y_axis({"reverse": True})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 300})
        ws.insert_chart(2, 6, chart)
        row = self.grid(ws, max(row, 19), "Components not yet in place, by element and region",
                        R.not_in_place(components, inst))
        per_element = R.actions_per_element(actions, components, inst)
        top = row
        row = self.grid(ws, row, "Actions planned, by element and region", per_element)
        if len(per_element.columns):
            chart = self.wb.add_chart({"type": "column"})
            for k, region in enumerate(per_element.columns):
                chart.add_series({"name": ["Action plans", top + 1, 1 + k],
                                  "categories": ["Action plans", top + 2, 0, top + 1 + len(per_element), 0],
                                  "values": ["Action plans", top + 2, 1 + k, top + 1 + len(per_element), 1 + k]})
            chart.set_title({"name": "Actions planned per key element"})
            chart.set_legend({"position": "bottom"})
            chart.set_size({"width": 640, "height": 300})
            ws.insert_chart(top, 6, chart)
        needs = R.ta_needs(actions)
        row = max(row, top + 17)
        ws.write_string(row, 0, "Resources and technical assistance needed", self.f["heading"])
        spans = ((0, 0), (1, 2), (3, 4), (5, 7))  # region, key element, objective, resources: merged columns
        headers = ("Region", "Key element", "Strategic objective", "Resources/ TA needed")
        for (first, last), text in zip(spans, headers):
            self.span(ws, row + 1, first, last, text, self.f["th"])
        if needs.empty:
            ws.write_string(row + 2, 0, "None listed.", self.f["note"])
        for i, record in enumerate(needs.itertuples(index=False), start=row + 2):
            values = (record.region, record.element_name, record.objective, record.resources_ta)
            for (first, last), value in zip(spans, values):
                self.span(ws, i, first, last, value, self.f["label"])

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
