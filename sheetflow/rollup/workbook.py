"""Write the roll-up for the board: summaries and native charts, Excel Tables, PivotTables, About.

xlsxwriter writes the summary sheets, their charts and the About sheet (``book``, and a module per sheet:
``summary_sheet``, ``list_sheets``, ``distribution_sheet``, ``action_plans_sheet``, ``trend_sheet``,
``about_sheet``), and an empty sheet for each data table; ``table_sheets`` then writes each table's sheet
and table part whole (tens of thousands of rows in a state-wide cycle), ``pivots`` adds the PivotTables,
and ``parts.WorkbookParts`` puts them into the package through its own indexes. A big roll-up's tables are
laid out, their PivotTables' data worked out and most of their rows written in a second process while
xlsxwriter writes the summaries (``table_work``). Summary figures are
formulas over the tables, each with its value computed in Python, so they show the right number whether
or not the reader recalculates.
"""

from __future__ import annotations

from pathlib import Path

from ..core_properties import PART as PROPERTIES, CoreProperties
from ..files import atomic_path
from . import about_sheet, action_plans_sheet, distribution_sheet, list_sheets, summary_sheet, trend_sheet
from . import tables as R
from .book import Book
from .parts import WorkbookParts
from .pivots import PIVOTS, add_pivot_styles, add_pivots
from .table_sheets import TableSheet, add_table_styles, place
from .table_work import TableWork

LEVEL = 2  # zlib level: a quarter of the default level's time, for a package ~18% bigger


def write(rollup: R.Rollup, output: Path, force: bool = False, pivots: bool = True) -> Path:
    """Write the roll-up workbook atomically; never replace an existing file unless ``force``.
    ``pivots``: add the PivotTable sheets (some tools cannot read them)."""
    tables = [TableSheet.of(name, rollup.tables[name]) for name in rollup.table_names]
    with atomic_path(output, force) as tmp:
        # a big roll-up's tables are laid out, their pivots' data worked out and their rows written in a second
        # process meanwhile (``table_work``); the styles are added in the order they always were
        work = TableWork(tables, PIVOTS if pivots else (), rollup.cycle)
        try:
            package = WorkbookParts.from_zip(summaries(rollup, tables))
            pivot_styles = add_pivot_styles(package) if pivots else None
            work.laid_out()
            styles = add_table_styles(package, tables)
            work.write(styles)
            if pivots:
                add_pivots(package, PIVOTS, {t.name: t for t in tables}, rollup.cycle, pivot_styles, work.pivot_data())
            place(package, tables, styles, work.written())
        finally:
            work.close()
        package.put(PROPERTIES, CoreProperties(
            title="Regional sector partnership roll-up", created=rollup.made_at,
            subject="Sector Strategies self-assessments and action plans, consolidated").xml())
        package.save(tmp, LEVEL)
    return Path(output)


def summaries(rollup: R.Rollup, tables: list[TableSheet]) -> bytes:
    """The workbook's bytes: every sheet but the tables' (empty, for ``table_sheets``) and the pivots."""
    book = Book(rollup, tables)
    wb = book.wb
    summary = wb.add_worksheet("Summary")
    strengths, disagreement = wb.add_worksheet("Strengths"), wb.add_worksheet("Disagreement")
    distribution = wb.add_worksheet("Rating distribution")
    plans, needs = wb.add_worksheet("Action plans"), wb.add_worksheet(list_sheets.NEEDS)
    change = wb.add_worksheet(trend_sheet.SHEET) if trend_sheet.wanted(rollup) else None
    for table in tables:
        sheet = wb.add_worksheet(table.name)  # the sheet itself is written by table_sheets
        sheet.repeat_rows(0)
        sheet.repeat_columns(0)  # the row's key on each of the pages a wide table prints across
        sheet.print_area(0, 0, table.last_row - 1, table.printed - 1)
    about_sheet.write(book)
    summary_sheet.write(book, summary)
    responses = rollup.shown("Responses")
    list_sheets.strengths(book, strengths, responses)
    list_sheets.disagreement(book, disagreement, responses)
    distribution_sheet.write(book, distribution)
    action_plans_sheet.write(book, plans)
    list_sheets.needs(book, needs)
    if change is not None:
        trend_sheet.write(change, wb, book.f, rollup)
    summary.activate()
    wb.close()
    return book.output.getvalue()
