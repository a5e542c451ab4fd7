"""The roll-up's "Change over time" sheet (xlsxwriter): the Trend table, a chart of each region's
area averages by cycle, and the capabilities that rose or fell the most since the previous cycle.

Written only when the roll-up holds more than one cycle. Averages are stored unrounded and shown
to one decimal; a change is shown with its sign.
"""

from __future__ import annotations

import math

from xlsxwriter.utility import xl_col_to_name

from . import trend

SHEET = "Change over time"
AVERAGE = "0.0"
CHANGE = "+0.0;-0.0;0.0"
SIDE = 8  # the column where the chart and the small tables begin, beside the Trend table


def wanted(rollup) -> bool:
    """Whether the roll-up gets this sheet: when it holds more than one cycle."""
    return len(rollup.cycles) > 1


def write(ws, wb, formats: dict, rollup) -> None:
    """Fill ``ws`` (the sheet named ``SHEET``, added by the workbook in its place) from ``rollup``.

    ``formats``: the workbook's formats by name (title, heading, note, th, label, int, avg)."""
    f = dict(formats)
    f["avg_cell"] = wb.add_format({"font_name": "Calibri", "font_size": 10, "valign": "top", "num_format": AVERAGE})
    f["change_cell"] = wb.add_format({"font_name": "Calibri", "font_size": 10, "valign": "top", "num_format": CHANGE})
    f["change"] = wb.add_format({"font_name": "Calibri", "font_size": 10, "valign": "top", "num_format": CHANGE,
                                 "align": "center", "border": 1, "border_color": "#BFBFBF"})
    table = rollup.tables["Trend"]
    areas = [a.name for a in rollup.assessment.areas]
    ws.set_landscape()
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C&8Page &P of &N")
    ws.set_header(f"&L&8Regional sector partnership roll-up&R&8{SHEET}")
    ws.write_string(0, 0, "Change over time", f["title"])
    ws.write_string(1, 0, f"Cycles {', '.join(rollup.cycles)}: the average rating of each component area per cycle, "
                          "for all respondents, each region and each organization. Change: since the most recent "
                          "earlier cycle in which the same region or organization has returns.", f["note"])
    _trend_table(ws, f, table)
    top = _movers(ws, f, rollup)
    _region_charts(ws, wb, f, table, areas, top + 2)


def _trend_table(ws, f, table) -> None:
    columns = list(trend.TREND_COLUMNS)
    widths = {"level": 12, "name": 34, "area": 30, "cycle": 9, "respondents": 12, "average": 9, "change": 9}
    for c, column in enumerate(columns):
        ws.set_column(c, c, widths[column])
    top = 3
    last = top + max(len(table), 1)
    ws.add_table(top, 0, last, len(columns) - 1, {
        "name": "Trend", "style": "Table Style Medium 2", "columns": [{"header": c} for c in columns]})
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
    ws.freeze_panes(top + 1, 0)


def _movers(ws, f, rollup) -> int:
    """The capabilities that rose or fell the most; returns the last row used."""
    before = trend.previous_cycle(rollup.cycles, rollup.cycle)
    moved = trend.movers(rollup.tables["Responses"], rollup.cycle)
    col = SIDE
    ws.set_column(col, col, 16)
    ws.set_column(col + 1, col + 1, 44)
    ws.set_column(col + 2, col + 2 + max(len(rollup.cycles), 4), 10)
    title = (f"Capabilities whose average rose or fell the most from {before} to {rollup.cycle} (all respondents)"
             if before else f"No cycle before {rollup.cycle} to compare with")
    ws.write_string(3, col, title, f["heading"])
    headers = ["Rose or fell", "Capability", "Item", str(before or "Before"), str(rollup.cycle), "Change"]
    for c, text in enumerate(headers):
        ws.write_string(4, col + c, text, f["th"])
    r = 4
    if before is None:
        ws.write_string(r + 1, col, "None.", f["note"])
        return r + 1
    for kind, verb in (("Rose", "rose"), ("Fell", "fell")):
        chosen = moved[moved["kind"] == kind]
        if chosen.empty:
            r += 1
            ws.write_string(r, col, kind, f["label"])
            ws.write_string(r, col + 1, f"No capability's average {verb}.", f["note"])
        for record in chosen.itertuples(index=False):
            r += 1
            ws.write_string(r, col, record.kind, f["label"])
            ws.write_string(r, col + 1, record.capability, f["label"])
            ws.write_number(r, col + 2, int(record.item), f["int"])
            ws.write_number(r, col + 3, float(record.before), f["avg"])
            ws.write_number(r, col + 4, float(record.average), f["avg"])
            ws.write_number(r, col + 5, float(record.change), f["change"])
    return r


def _region_charts(ws, wb, f, table, areas: list[str], top: int) -> None:
    """For each region, its area averages by cycle (a small grid) and a column chart of them beside it,
    one series per cycle."""
    grid = trend.region_grid(table, areas)
    if grid.empty:
        return
    col, cycles, height = SIDE, [str(c) for c in grid.columns], 16  # rows per region: the chart's height
    ws.write_string(top, col, "Each region's average rating by component area and cycle", f["heading"])
    head = top + 1
    for region in sorted({region for region, _ in grid.index}):
        block = grid.loc[region]
        ws.write_string(head, col, "Region", f["th"])
        ws.write_string(head, col + 1, "Component area", f["th"])
        for c, cycle in enumerate(cycles, start=col + 2):
            ws.write_string(head, c, cycle, f["th"])
        for r, (area, values) in enumerate(block.iterrows(), start=head + 1):
            ws.write_string(r, col, region, f["label"])
            ws.write_string(r, col + 1, area, f["label"])
            for c, value in enumerate(values, start=col + 2):
                if _missing(value):
                    ws.write_blank(r, c, None, f["avg"])
                else:
                    ws.write_number(r, c, float(value), f["avg"])
        last = head + len(block)
        chart = wb.add_chart({"type": "column"})
        for c in range(len(cycles)):
            chart.add_series({"name": [SHEET, head, col + 2 + c],
                              "categories": [SHEET, head + 1, col + 1, last, col + 1],
                              "values": [SHEET, head + 1, col + 2 + c, last, col + 2 + c],
                              "data_labels": {"value": True, "num_format": AVERAGE}})
        chart.set_title({"name": f"{region}: average rating by component area and cycle"})
        chart.set_y_axis({"min": 0, "max": 5, "major_unit": 1, "name": "Average rating (1-5)"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 640, "height": 20 * height})
        ws.insert_chart(head, col + 3 + len(cycles), chart, {"description": (
            f"Column chart: {region}'s average rating (1 to 5) in each component area, one column per cycle "
            f"({', '.join(cycles)}). The figures are in the table to its left, "
            f"{xl_col_to_name(col)}{head + 1}:{xl_col_to_name(col + 1 + len(cycles))}{last + 1}.")})
        head += height + 1


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))
