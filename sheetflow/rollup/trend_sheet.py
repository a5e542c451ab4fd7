"""The roll-up's "Change over time" sheet (xlsxwriter): the capabilities that rose or fell the most
since the previous cycle, a chart of each region's area averages by cycle, and the Trend table.

Written only when the roll-up holds more than one cycle. Averages are stored unrounded and shown
to one decimal; a change is shown with its sign. Everything is in the Trend table's seven columns,
one below the other, so the sheet prints at full size on US Letter landscape: the capabilities on
the first page, each region's chart on a page of its own, then the Trend table from a new page,
its headings repeated on every page it continues onto.
"""

from __future__ import annotations

import math

from xlsxwriter.utility import xl_col_to_name

from . import trend
from .. import style
from .columns import TABLES
from .table_sheets import page_header

SHEET = "Change over time"
AVERAGE, CHANGE = TABLES["Trend"]["average"].number_format, TABLES["Trend"]["change"].number_format
# the Trend table's columns' widths; the lists and grids above it use the same columns (a region grid: the
# region in `name`, the area in `area`, a cycle in each column from `cycle` on)
WIDTHS = {column.name: column.width or 0 for column in TABLES["Trend"].values()}
LINE = 13.5  # points per line of 10-point text
CHART_ROWS = 17  # rows (of 15 points) a region's chart takes, with the gap below it


def wanted(rollup) -> bool:
    """Whether the roll-up gets this sheet: when it holds more than one cycle."""
    return len(rollup.cycles) > 1


def write(ws, wb, formats: dict, rollup) -> None:
    """Fill ``ws`` (the sheet named ``SHEET``, added by the workbook in its place) from ``rollup``.

    ``formats``: the workbook's formats by name (title, heading, note, th, label, label_wrap, int, avg)."""
    f = dict(formats)
    f["note_wrap"] = wb.add_format({**style.FONT, **style.NOTE, "text_wrap": True})
    f["avg_cell"] = wb.add_format({**style.FONT, "num_format": AVERAGE})
    f["change_cell"] = wb.add_format({**style.FONT, "num_format": CHANGE})
    f["change"] = wb.add_format({**style.FONT, "num_format": CHANGE, "align": "center", **style.BORDERED})
    table = rollup.tables["Trend"]
    areas = [a.name for a in rollup.assessment.areas]
    header, footer = page_header(SHEET, 100)  # the seven columns fit the page's width at full size
    style.set_up_page(ws, landscape=True, margins={"left": 0.5, "right": 0.5}, header=header, footer=footer)
    for c, width in enumerate(WIDTHS.values()):
        ws.set_column(c, c, width)
    ws.write_string(0, 0, f"Change over time, up to cycle {rollup.cycle}", f["title"])
    ws.merge_range(1, 0, 1, len(WIDTHS) - 1, "", f["note_wrap"])
    ws.write_string(1, 0, f"Cycles {', '.join(rollup.cycles)}: the average rating of each component area per cycle, "
                          "for all respondents, each region and each organization. Change: since the most recent "
                          "earlier cycle in which the same region or organization has returns.", f["note_wrap"])
    ws.set_row(1, 2 * LINE)
    row = _cycles(ws, f, rollup, 3)
    row = _movers(ws, f, rollup, row + 2)
    breaks, row = _region_charts(ws, wb, f, table, areas, row + 2, rollup.assessment.top_rating)
    ws.set_h_pagebreaks([*breaks, row + 1])
    _trend_table(ws, f, table, row + 1)


def _trend_table(ws, f, table, top: int) -> None:
    """The Trend table from row ``top`` (its heading), its column headings repeated on every printed page."""
    columns = list(trend.TREND_COLUMNS)
    ws.write_string(top, 0, "The Trend table: every average by level, name, component area and cycle", f["heading"])
    top += 1
    ws.repeat_rows(top)
    last = top + max(len(table), 1)
    ws.add_table(top, 0, last, len(columns) - 1, {
        "name": "Trend", "style": "Table Style Medium 2",  # headings in the roll-up's navy: the style's blue is too light
        "columns": [{"header": c, "header_format": f["th"]} for c in columns]})
    for r, record in enumerate(table.itertuples(index=False), start=top + 1):
        ws.write_string(r, 0, record.level)
        if record.name is None or (isinstance(record.name, float) and math.isnan(record.name)):
            ws.write_blank(r, 1, None)
        else:
            ws.write_string(r, 1, str(record.name))
        ws.write_string(r, 2, str(record.area))
        ws.write_string(r, 3, str(record.cycle))
        ws.write_number(r, 4, int(record.respondents))
        ws.write_number(r, 5, float(record.average), f["avg_cell"])
        if _missing(record.change):
            ws.write_blank(r, 6, None, f["change_cell"])
        else:
            ws.write_number(r, 6, float(record.change), f["change_cell"])


def _cycles(ws, f, rollup, top: int) -> int:
    """Every cycle with the respondents its averages rest on, and whether it is compared or too thin to
    compare (``trend.thin_cycles``), from row ``top``; returns the last row used."""
    ws.write_string(top, 0, "The cycles compared, and the respondents each cycle's averages rest on", f["heading"])
    for c, text in enumerate(("Cycle", "Respondents", "Compared?")):
        ws.write_string(top + 1, c, text, f["th"])
    share = f"{trend.THIN_SHARE:.0%}"
    r = top + 1
    for cycle in rollup.cycles:
        r += 1
        n = rollup.respondents.get(cycle, 0)
        if cycle == rollup.cycle:
            words = "the cycle in view"
        elif cycle in rollup.thin:
            words = (f"too thin to compare: fewer than {share} of cycle {rollup.cycle}'s "
                     f"{rollup.respondents.get(rollup.cycle, 0)} respondents; no change is computed from it")
        else:
            words = "compared"
        ws.write_string(r, 0, cycle, f["label"])
        ws.write_number(r, 1, n, f["int"])
        ws.merge_range(r, 2, r, len(WIDTHS) - 1, "", f["label_wrap"])
        ws.write_string(r, 2, words, f["label_wrap"])
    return r


def _movers(ws, f, rollup, top: int) -> int:
    """The capabilities that rose or fell the most, from row ``top`` (the capability across columns B and C,
    wrapped); returns the last row used."""
    before = rollup.before
    moved = trend.movers(rollup.tables["Responses"], rollup.cycle, thin=rollup.thin)
    title = (f"Capabilities whose average rose or fell the most from {before} to {rollup.cycle} (all respondents)"
             if before else f"No cycle before {rollup.cycle} to compare with")
    ws.write_string(top, 0, title, f["heading"])
    headers = ["Rose or fell", "Capability", None, "Item", str(before or "Before"), str(rollup.cycle), "Change"]
    ws.merge_range(top + 1, 1, top + 1, 2, "", f["th"])
    for c, text in enumerate(headers):
        if text is not None:
            ws.write_string(top + 1, c, text, f["th"])
    r = top + 1
    if before is None:
        ws.write_string(r + 1, 0, "None.", f["note"])
        return r + 1
    width = WIDTHS["name"] + WIDTHS["area"]
    for kind, verb in (("Rose", "rose"), ("Fell", "fell")):
        chosen = moved[moved["kind"] == kind]
        if chosen.empty:
            r += 1
            ws.write_string(r, 0, kind, f["label"])
            ws.write_string(r, 1, f"No capability's average {verb}.", f["note"])
        for record in chosen.itertuples(index=False):
            r += 1
            ws.write_string(r, 0, record.kind, f["label"])
            ws.merge_range(r, 1, r, 2, "", f["label_wrap"])
            ws.write_string(r, 1, record.capability, f["label_wrap"])
            # merged cells are never fitted to their text, by Excel or LibreOffice: the height is set here
            ws.set_row(r, LINE * max(1, math.ceil(len(record.capability) / (width * 1.1))))
            ws.write_number(r, 3, int(record.item), f["int"])
            ws.write_number(r, 4, float(record.before), f["avg"])
            ws.write_number(r, 5, float(record.average), f["avg"])
            ws.write_number(r, 6, float(record.change), f["change"])
    return r


def _region_charts(ws, wb, f, table, areas: list[str], top: int, highest: int) -> tuple[list[int], int]:
    """For each region, on a page of its own: its area averages by cycle (a small grid) and a column chart
    of them below it, one series per cycle. Returns the rows each region's page begins at, and the last row."""
    grid = trend.region_grid(table, areas)
    if grid.empty:
        return [], top
    cycles = [str(c) for c in grid.columns]
    breaks, head = [], top
    for region in sorted({region for region, _ in grid.index}):
        block = grid.loc[region]
        breaks.append(head)
        ws.write_string(head, 0, f"{region}: average rating by component area and cycle", f["heading"])
        head += 1
        ws.write_string(head, 1, "Region", f["th"])
        ws.write_string(head, 2, "Component area", f["th"])
        for c, cycle in enumerate(cycles, start=3):
            ws.write_string(head, c, cycle, f["th"])
        for r, (area, values) in enumerate(block.iterrows(), start=head + 1):
            ws.write_string(r, 1, region, f["label"])
            ws.write_string(r, 2, area, f["label"])
            for c, value in enumerate(values, start=3):
                if _missing(value):
                    ws.write_blank(r, c, None, f["avg"])
                else:
                    ws.write_number(r, c, float(value), f["avg"])
        last = head + len(block)
        chart = wb.add_chart({"type": "column"})
        for c in range(len(cycles)):
            chart.add_series({"name": [SHEET, head, 3 + c],
                              "categories": [SHEET, head + 1, 2, last, 2],
                              "values": [SHEET, head + 1, 3 + c, last, 3 + c],
                              "data_labels": {"value": True, "num_format": AVERAGE}})
        chart.set_title({"name": f"{region}: average rating by component area and cycle"})
        chart.set_y_axis({"min": 0, "max": highest, "major_unit": 1, "name": f"Average rating (1-{highest})"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 720, "height": 20 * (CHART_ROWS - 1)})
        ws.insert_chart(last + 2, 0, chart, {"object_position": 3, "description": (
            f"Column chart: {region}'s average rating (1 to {highest}) in each component area, one column per cycle "
            f"({', '.join(cycles)}). The figures are in the table above it, "
            f"{xl_col_to_name(1)}{head + 1}:{xl_col_to_name(2 + len(cycles))}{last + 1}.")})
        head = last + 2 + CHART_ROWS
    return breaks, head - 1


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
