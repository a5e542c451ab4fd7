"""Write the "Self-assessment results" sheets of a region's action plan from plain rows, with xlsxwriter.

The rows come from planning/region_results.py (``RegionResults``, below: four tables of plain values and
the facts of the paragraph above them); nothing is computed here. Every value is written as
what it is (text always with ``write_string``, so partner text is never a formula), the sheets
are locked and print like the plan's other sheets. The wording is the definition's
``[workbook.results]``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import style
from ..text import number_word

WIDTHS = (16, 22, 40, 28, 16, 18, 10, 18, 18)  # the widest table has nine columns; text columns wrap
# the second sheet's tables (disagreements: organization, item, capability, lowest, highest; the partners' words:
# organization, respondent, question, answer) across the same width of page
MORE_WIDTHS = (30, 22, 58, 56, 20)
AVERAGES = {"region_average", "lowest_organization_average", "highest_organization_average",
            "all_regions_average", "average"}
STYLE = "Table Style Light 9"


@dataclass
class RegionResults:
    """What one region's action plan shows: its four tables (rows in COLUMNS order) and the paragraph's facts."""

    region: str
    cycle: str
    returns: int = 0  # valid assessment returns that fed the plan
    organizations: int = 0
    asked: int | None = None  # self-assessments sent to the region (with the manifest)
    top: int = 0  # the self-assessment's highest rating (5 for the bundled one): the chart's axis ends there
    tables: dict = field(default_factory=dict)  # table name -> (columns, list of row tuples)


def write_results_sheet(book, results, row_height) -> None:
    """Add the sheets to ``book`` (the workbook being written: its xlsxwriter workbook, formats and sheet setup).

    ``row_height(text, width)`` is the height in points that shows ``text`` wrapped in a column that wide.
    A table longer than a page must end its sheet, whose print titles are then its column headings
    (they print on every page after theirs): so the areas, their chart and the capabilities make
    one sheet, the disagreements and the partners' own words a second.
    """
    words = book.text["results"]
    facts = {"region": results.region, "cycle": results.cycle, "top": results.top,
             "area_count": number_word(len(results.tables.get("RegionAreas", ((), ()))[1]))}
    ws = _sheet(book, words["sheet"], words["title"].format(**facts))
    last, total = len(WIDTHS) - 1, sum(WIDTHS)
    if not results.returns:
        book.text_row(ws, 2, words["none"].format(**facts), total, last)
        return
    formats = _formats(book)
    people = _count(words, "person", "people", results.returns)
    organizations = _count(words, "organization", "organizations", results.organizations)
    paragraph = words["answered"].format(people=people, organizations=organizations, **facts)
    if results.asked is not None:
        paragraph += " " + words["asked"].format(asked=results.asked)
    book.text_row(ws, 2, paragraph, total, last)
    book.text_row(ws, 3, words["how_to_read"], total, last, "italic")
    row = 5
    ws.write_string(row, 0, words["areas_heading"], formats["heading"])
    book.keep_with_next(ws, row)
    top, bottom = _table(book, ws, row + 1, "RegionAreas", results.tables["RegionAreas"], formats, row_height)
    book.together(ws, row, bottom)
    chart = _chart(book, ws.name, results.tables["RegionAreas"][0], (top, bottom), words, facts)
    ws.insert_chart(bottom + 2, 0, chart, {"description": words["chart_description"].format(**facts),
                                           "x_offset": 4, "y_offset": 4})
    book.together(ws, bottom + 1, bottom + 19)  # the chart (320 px) is not cut by a page
    row = _section(book, ws, bottom + 20, "RegionCapabilities", "capabilities_heading", None, results, formats,
                   row_height)
    ws.print_area(0, 0, row, last)
    book.paginate(ws, row)
    ws = _sheet(book, words["more_sheet"], words["more_title"].format(**facts), MORE_WIDTHS)
    row = _section(book, ws, 2, "RegionDisagreements", "disagreements_heading", "no_disagreements", results,
                   formats, row_height)
    row = _section(book, ws, row, "RegionReflections", "reflections_heading", "no_reflections", results,
                   formats, row_height)
    ws.print_area(0, 0, row, last)
    book.paginate(ws, row)


def _sheet(book, name: str, title: str, widths: tuple = WIDTHS):
    ws = book.sheet(name, widths, landscape=True)
    ws.merge_range(0, 0, 0, len(widths) - 1, title, book.f["title"])
    book.row(ws, 0, 24)
    return ws


def _section(book, ws, row: int, table: str, heading: str, empty: str | None, results, formats, row_height) -> int:
    """A heading and its table from ``row``, the table's column headings printed again on every page it
    runs onto (so it ends its sheet); returns the row after it and a blank one."""
    words = book.text["results"]
    ws.write_string(row, 0, words[heading], formats["heading"])
    book.keep_with_next(ws, row)
    header, bottom = _table(book, ws, row + 1, table, results.tables[table], formats, row_height)
    book.together(ws, row, bottom)
    book.repeat_titles(ws, header, header)
    row = bottom + 1
    if empty and not results.tables[table][1]:
        ws.write_string(row, 0, words[empty], book.f["italic"])
        row += 1
    return row + 1


def _count(words, one: str, many: str, count: int) -> str:
    return words[one] if count == 1 else words[many].format(count=count)


def _formats(book) -> dict:
    add = book.wb.add_format
    base = {**style.FONT, "text_wrap": True, **style.BORDERED}
    return {"heading": add({"font_name": style.FONT_NAME, **style.HEADING}),
            "text": add(base), "average": add({**base, "num_format": style.AVERAGE_FORMAT, "align": "center"}),
            "whole": add({**base, "num_format": style.WHOLE_FORMAT, "align": "center"}),
            "header": add({**base, **style.HEADER_CELL})}


def _table(book, ws, top: int, name: str, table, formats, row_height) -> tuple[int, int]:
    """An Excel Table of plain values at row ``top``; returns its header row and last row."""
    columns, rows = table
    widths = book.layouts[ws.name].widths  # the sheet's: its rows as high as their texts wrapped in them
    bottom = top + max(len(rows), 1)  # a table needs a row: an empty one when there is nothing to show
    # each column headed in words ("Region average"); the table's name stays for formulas and Power Query
    headings = [heading(book, c) for c in columns]
    ws.add_table(top, 0, bottom, len(columns) - 1, {
        "name": name, "style": STYLE, "autofilter": False,
        "columns": [{"header": h, "header_format": formats["header"]} for h in headings]})
    book.row(ws, top, max([30, *(row_height(h, w) + 4 for h, w in zip(headings, widths))]))
    for r, values in enumerate(rows, start=top + 1):
        book.row(ws, r, max(row_height(v, w) if isinstance(v, str) else 15 for v, w in zip(values, widths)))
        for c, (column, value) in enumerate(zip(columns, values)):
            if value is None:
                ws.write_blank(r, c, None, formats["text"])
            elif isinstance(value, str):
                ws.write_string(r, c, value, formats["text"])
            else:
                ws.write_number(r, c, value, formats["average" if column in AVERAGES else "whole"])
    if not rows:
        for c in range(len(columns)):
            ws.write_blank(top + 1, c, None, formats["text"])
    return top, bottom


def heading(book, column: str) -> str:
    """A results table's column heading in words (the definition's ``[workbook.results.headings]``; a definition
    made before it had them shows the column's name)."""
    return book.text["results"].get("headings", {}).get(column, column)


def _chart(book, sheet: str, columns, rows: tuple[int, int], words, facts):
    """The region's area averages beside all regions' (from the RegionAreas table's cells)."""
    chart = book.wb.add_chart({"type": "column"})
    top, bottom = rows
    for key, label, colour in (("region_average", words["chart_region"].format(**facts), style.NAVY),
                               ("all_regions_average", words["chart_all"], style.GREY)):
        column = columns.index(key)
        chart.add_series({"name": label, "categories": [sheet, top + 1, 0, bottom, 0],
                          "values": [sheet, top + 1, column, bottom, column], "fill": {"color": colour},
                          "data_labels": {"value": True, "num_format": "0.0"}})
    chart.set_title({"name": words["chart_title"]})
    chart.set_y_axis({"min": 0, "max": facts["top"], "major_unit": 1, "name": words["chart_axis"].format(**facts)})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": 760, "height": 320})
    return chart
