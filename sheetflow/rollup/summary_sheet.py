"""The roll-up's Summary sheet: the counts, average ratings by organization and by region (with a chart), and who
has no valid return in the cycle in view, and why.

Its figures are formulas over the Responses table, each with its value computed in Python, so they show the
right number whether or not the reader recalculates.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from .. import style
from ..intake import response
from ..text import plural
from . import tables as R
from .book import LINE, Book
from .table_sheets import missing

# the Summary's columns (first, last, width in characters): the organization, five component areas, the
# respondents and (organizations' table) the region; together one page wide
SUMMARY_WIDTHS = ((0, 0, 34), (1, 6, 15), (7, 7, 18))


def summary_width(column: int) -> float:
    return next(width for first, last, width in SUMMARY_WIDTHS if first <= column <= last)


def write(book: Book, ws: Worksheet) -> None:
    for first, last, width in SUMMARY_WIDTHS:
        ws.set_column(first, last, width)
    # at the scale that fits its columns, not fitted to the page: Excel would ignore the page break
    # that keeps the regions' table and chart together
    used = 1 + len(book.r.assessment.areas) + 2  # organization, one column per area, respondents, region
    book.print_setup(ws, sum(summary_width(c) for c in range(used)))
    ws.write_string(0, 0, "Regional sector partnership roll-up" + book.of_cycle(), book.f["title"])
    ws.write_string(1, 0, f"{book.cycle_shown()}; made {book.r.made_at:%Y-%m-%d}. "
                          f"{plural(book.r.files_in, 'return')} included, "
                          f"{plural(book.r.files_out, 'file')} left out "
                          "(see the Submissions and Problems sheets).", book.f["note"])
    ws.write_string(2, 0, "Strengths, learning opportunities and internal disagreement are listed on the "
                          "sheets after this one.", book.f["note"])  # a line of its own: it prints whole
    responses = book.r.shown("Responses")
    counts = [("Self-assessments", response.count(responses, "Responses")),
              ("Organizations", responses["organization"].nunique() if not responses.empty else 0),
              ("Action plans", response.count(book.r.shown("Components"), "Components")),
              ("Files left out", book.r.files_out)]
    if book.r.with_status:
        counts += [("Workbooks sent", book.r.sent), ("Response rate", book.r.sent_valid / max(book.r.sent, 1))]
    for c, (label, number) in enumerate(counts):
        ws.write_string(3, 1 + c, label, book.f["th"])
        ws.write_number(4, 1 + c, number, book.f["big_percent"] if label == "Response rate" else book.f["big"])
    ws.set_row(3, 28)
    header, last, width = matrix(book, ws, 6, "organization", "Average rating by organization and component area")
    last = book.frame(ws, last + 2, "Without a valid return" + book.of_cycle() + ", and why", without_return(book),
                      {"name": "Region or organization", "what": "Workbook", "why": "Why"},
                      [(0, 0), (1, 1), (2, 7)]) - 1
    region_top = last + 2
    ws.set_h_pagebreaks([region_top])  # the regions' table and its chart start a page
    r_header, r_last, _ = matrix(book, ws, region_top, "region", "Average rating by region and component area")
    if r_last > r_header:
        chart = book.wb.add_chart({"type": "column"})
        for row in range(r_header + 1, r_last + 1):
            chart.add_series({"name": ["Summary", row, 0], "categories": ["Summary", r_header, 1, r_header, width],
                              "values": ["Summary", row, 1, row, width],
                              "data_labels": {"value": True, "num_format": "0.0"}})
        chart.set_title({"name": "Average rating by component area and region" + book.of_cycle()})
        top = book.r.assessment.top_rating
        chart.set_y_axis({"min": 0, "max": top, "major_unit": 1, "name": f"Average rating (1-{top})"})
        chart.set_legend({"position": "bottom"})
        chart.set_size({"width": 820, "height": 330})
        regions = ", ".join(map(str, sorted(responses["region"].dropna().unique())))
        ws.insert_chart(r_last + 2, 0, chart, {"description": f"Column chart: average rating (1 to {top}) by component "
                                               f"area, one bar per region: {regions}. The figures are in the "
                                               "table above the chart."})


def matrix(book: Book, ws: Worksheet, top: int, by: str, title: str) -> tuple[int, int, int]:
    """An average-rating matrix written as AVERAGEIFS over the Responses table's rows of the cycle shown
    (values computed here)."""
    responses = book.r.shown("Responses")
    areas = [a.name for a in book.r.assessment.areas]
    values = R.area_matrix(responses, by, areas)
    ws.write_string(top, 0, title, book.f["heading"])
    header = top + 1
    ws.write_string(header, 0, by.replace("_", " ").capitalize(), book.f["th"])
    for c, area in enumerate(areas, start=1):
        ws.write_string(header, c, area, book.f["th"])
    ws.write_string(header, len(areas) + 1, "Respondents", book.f["th"])
    if by == "organization":
        ws.write_string(header, len(areas) + 2, "Region", book.f["th"])
        regions = {org: sorted(set(map(str, group.dropna()))) for org, group in responses.groupby(by)["region"]}
    ws.set_row(header, 3 * LINE)  # an area's name over up to three lines
    ranges = book.ranges["Responses"]
    respondents = response.column(responses, "Responses").groupby(responses[by]).nunique()
    row = header
    grid: Any = values.to_numpy(dtype=float, na_value=float("nan")) if len(values.index) else None
    for row, key in enumerate(values.index, start=header + 1):
        ws.write_string(row, 0, str(key), book.f["label"])
        for c, area in enumerate(areas, start=1):
            value = grid[row - header - 1, c - 1]
            formula = (f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges[by]},$A{row + 1},"
                       f"{ranges['area']},{xl_rowcol_to_cell(header, c, row_abs=True)}{book.in_cycle()}),\"\")")
            ws.write_formula(row, c, formula, book.f["avg"], "" if missing(value) else round(float(value), 6))
        ws.write_number(row, len(areas) + 1, int(respondents.get(key, 0)), book.f["int"])
        if by == "organization":  # where each organization is
            ws.write_string(row, len(areas) + 2, ", ".join(regions.get(key, [])), book.f["label"])
    if len(values.index):
        top = book.r.assessment.top_rating  # the scale's highest rating, 5 for the bundled Self-Assessment
        middle = (1 + top) / 2
        ws.conditional_format(header + 1, 1, row, len(areas), {
            "type": "3_color_scale", "min_type": "num", "min_value": 1, "min_color": style.SCALE_LOW,
            "mid_type": "num", "mid_value": int(middle) if middle.is_integer() else middle,
            "mid_color": style.SCALE_MID, "max_type": "num", "max_value": top, "max_color": style.SCALE_HIGH})
    return header, row, len(areas)


def without_return(book: Book) -> pd.DataFrame:
    """The regions without a valid action plan and the organizations without a valid self-assessment in the
    cycle in view, and why (``tables.missing_returns``), as a frame: name, what, why."""
    import pandas as pd

    rows = [{"name": m.name, "what": book.r.instruments[instrument].short_title, "why": m.why}
            for instrument, missing in book.r.missing.items() for m in missing]  # the regions' first
    return pd.DataFrame(rows, columns=["name", "what", "why"])
