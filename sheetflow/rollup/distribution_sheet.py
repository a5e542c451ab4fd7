"""The roll-up's Rating distribution sheet: how many respondents gave each rating, per capability, charted on
the first page and tabled from the next."""

from __future__ import annotations

from typing import Any

from xlsxwriter.worksheet import Worksheet

from .. import style
from ..instruments.prompts import fit
from . import tables as R
from .book import LINE, Book, lines_needed
from .table_sheets import missing

LABELS, CHART_LABEL = 9, 48  # the column of the chart's labels, and their most characters
DISTRIBUTION_ROWS = 29  # rows of 20 pixels the chart (560 pixels high) takes, with a gap


def write(book: Book, ws: Worksheet) -> None:
    responses = book.r.shown("Responses")
    counts = R.rating_distribution(responses, book.r.assessment)
    ws.set_column(0, 0, 6)
    ws.set_column(1, 1, 60)
    scale = book.r.assessment.scale
    ws.set_column(2, 2 + len(scale), 9)
    book.print_setup(ws, 6 + 60 + (len(scale) + 1) * 9)
    ws.write_string(0, 0, "How many respondents gave each rating, per capability" + book.of_cycle(), book.f["title"])
    ws.write_string(2, 0, f"{book.cycle_shown()}.", book.f["note"])
    ws.write_string(1, 0, ", ".join(f"{level.value} = {level.label}" for level in scale) + ".", book.f["note"])
    # the chart first, on the first page; the table from the next page, its headings repeated on each of its
    # pages (a page break keeps them off the chart's page: repeated above a chart they print as an empty row)
    top = 3 + DISTRIBUTION_ROWS
    headers = ["Item", "Capability", *(str(level.value) for level in scale), "Average"]
    for c, text in enumerate(headers):
        ws.write_string(top, c, text, book.f["th"])
    ranges = book.ranges["Responses"]
    # the chart's labels: the capability, shortened at a word boundary, in a hidden column the chart still reads
    ws.set_column(LABELS, LABELS, CHART_LABEL + 2, None, {"hidden": True})
    for row, (item, record) in enumerate(counts.iterrows(), start=top + 1):
        ws.write_number(row, 0, int(item), book.f["int"])
        ws.write_string(row, LABELS, fit(f"{int(item)}. {record['capability']}", CHART_LABEL))
        ws.write_string(row, 1, record["capability"], book.f["label_wrap"])
        ws.set_row(row, LINE * lines_needed(record["capability"], 60))  # LibreOffice does not fit rows on opening
        for k in (level.value for level in scale):
            formula = f"=COUNTIFS({ranges['item']},$A{row + 1},{ranges['rating']},{k}{book.in_cycle()})"
            ws.write_formula(row, 1 + k, formula, book.f["int"], int(record[k]))
        mean: Any = responses.loc[responses["item"] == item, "rating"].mean() if not responses.empty else None
        ws.write_formula(row, 2 + len(scale), f"=IFERROR(AVERAGEIFS({ranges['rating']},{ranges['item']},$A{row + 1}"
                                 f"{book.in_cycle()}),\"\")",
                         book.f["avg"], "" if missing(mean) else round(float(mean), 6))
    last = top + len(counts)
    chart = book.wb.add_chart({"type": "bar", "subtype": "percent_stacked"})
    colours = style.spread(style.RATING_COLOURS, len(scale))  # lowest red, highest green
    for k in (level.value for level in scale):
        chart.add_series({"name": ["Rating distribution", top, 1 + k],
                          "categories": ["Rating distribution", top + 1, LABELS, last, LABELS],
                          "values": ["Rating distribution", top + 1, 1 + k, last, 1 + k],
                          "fill": {"color": colours[k - scale[0].value]}, "gap": 40})
    chart.set_title({"name": "Ratings per capability (share of respondents)" + book.of_cycle()})
    chart.set_y_axis({"reverse": True, "name": "Capability (item number and name)"})
    chart.show_hidden_data()
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 820, "height": 560})
    ws.set_h_pagebreaks([top])  # the chart on the first page, the table from the next
    ws.insert_chart(3, 0, chart, {"object_position": 3,
                                  "description": f"Stacked bar chart: for each of the {len(counts)} "
                                  "capabilities (labelled by item number and name), the share of "
                                  f"respondents who gave each rating from {scale[0].value} to {scale[-1].value}. The counts are in the "
                                  "table below the chart."})
    ws.repeat_rows(top)
