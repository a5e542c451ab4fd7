"""The roll-up's Action plans sheet: components by status, those not yet in place, the actions planned and
(from version 1.1) what became of last cycle's actions, each table with its chart."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from .. import style
from ..text import plural
from . import tables as R
from .book import Book
from .list_sheets import NEEDS

CHART_WIDTH, CHART_ROWS = 640, 17  # the charts: pixels wide, rows (of 20 px) taken with a gap


def write(book: Book, ws: Worksheet) -> None:
    """Components by status, those not yet in place and the actions planned, each chart below its table,
    at a scale that fits the widest table across the page (never fitted to the page: Excel would then
    ignore the page breaks that keep each part whole)."""
    inst = book.r.action_plan
    components, actions = book.r.shown("Components"), book.r.shown("Actions")
    status = R.component_status(components, inst)
    not_in_place, per_element = R.not_in_place(components, inst), R.actions_per_element(actions, components, inst)
    progress = R.progress_counts(book.r.shown("Progress"), inst) if inst.progress_choices else None
    columns = max(len(status.columns), len(not_in_place.columns), len(per_element.columns),
                  len(progress.columns) if progress is not None else 0)
    ws.set_column(0, 0, 44)
    ws.set_column(1, max(columns, 1), 16)
    book.print_setup(ws, 44 + 16 * columns)
    ws.write_string(0, 0, "Action plans" + book.of_cycle(), book.f["title"])
    ws.write_string(1, 0, f"{book.cycle_shown()}. Every resource or technical assistance need listed is on the "
                          f"{NEEDS} sheet.", book.f["note"])
    with_plan = sorted(components["region"].dropna().astype(str).unique()) if not components.empty else []
    without = book.r.missing.get(inst.id, [])
    row = book.grid(ws, 2, "Components by status, " + (
        f"{plural(with_plan, 'region')} with a valid plan ({', '.join(with_plan)})" if with_plan
        else "no region has a valid plan") + (
        "; without one: " + "; ".join(f"{m.name} ({m.why})" for m in without) if without else ""), status)
    _status_chart(book, ws, row, status, with_plan)
    breaks = [row + CHART_ROWS]  # the parts below start a page: a table is never split from its chart
    row = book.grid(ws, row + CHART_ROWS, "Components not yet in place, by element and region", not_in_place)
    top = row
    row = book.grid(ws, row, "Actions planned, by element and region", per_element)
    if len(per_element.columns):
        _actions_chart(book, ws, top, row, per_element)
        row += CHART_ROWS
    if progress is not None:
        breaks.append(row + 1)
        progress_part(book, ws, row + 1, progress)
    ws.set_h_pagebreaks(breaks)


def _status_chart(book: Book, ws: Worksheet, row: int, status: pd.DataFrame, with_plan: list[str]) -> None:
    """The components by status (the table ``book.grid`` wrote from row 2), charted at ``row``."""
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
    for k, (name, colour) in enumerate(zip(status.columns, style.STATUS_COLOURS)):
        chart.add_series({"name": ["Action plans", 3, 1 + k], "categories": ["Action plans", 4, 0, 3 + len(status), 0],
                          "values": ["Action plans", 4, 1 + k, 3 + len(status), 1 + k],
                          "fill": {"color": colour}})
    chart.set_title({"name": "Components by status and key element" + book.of_cycle()})
    chart.set_y_axis({"reverse": True})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": CHART_WIDTH, "height": 300})
    ws.insert_chart(row, 0, chart, {"description": "Stacked bar chart: for each key element, how many components "
                                   f"are {', '.join(status.columns)}, across the valid action plans of "
                                   f"{', '.join(with_plan) or 'no region'}. The "
                                   "figures are in the table above the chart."})


def _actions_chart(book: Book, ws: Worksheet, top: int, row: int, per_element: pd.DataFrame) -> None:
    """The actions planned per element and region (the table written from ``top``), charted at ``row``."""
    chart = book.wb.add_chart({"type": "column"})
    for k, region in enumerate(per_element.columns):
        chart.add_series({"name": ["Action plans", top + 1, 1 + k],
                          "categories": ["Action plans", top + 2, 0, top + 1 + len(per_element), 0],
                          "values": ["Action plans", top + 2, 1 + k, top + 1 + len(per_element), 1 + k]})
    chart.set_title({"name": "Actions planned per key element" + book.of_cycle()})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": CHART_WIDTH, "height": 300})
    regions = ", ".join(map(str, per_element.columns))
    ws.insert_chart(row, 0, chart, {"description": "Column chart: how many actions each region planned for "
                                   f"each key element, one bar per region: {regions}. The figures are in "
                                   "the table above the chart."})


def progress_part(book: Book, ws: Worksheet, top: int, counts: pd.DataFrame) -> None:
    """Last cycle's actions by what became of them, per region and element (``counts``: the Progress table's
    ``tables.progress_counts``), charted."""
    title = "Last cycle's actions by progress, by region and key element" + book.of_cycle().replace(",", ": plans of")
    if counts.empty:
        ws.write_string(top, 0, title, book.f["heading"])
        ws.write_string(top + 1, 0, "No action plan here follows up an earlier one.", book.f["note"])
        return
    row = book.grid(ws, top, title, counts)  # on a page of its own (action_plans breaks before it)
    ws.write_string(top + 1, 0, "Region: key element", book.f["th"])
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
    colours = style.PROGRESS_COLOURS
    for k, (name, colour) in enumerate(zip(counts.columns, colours)):
        chart.add_series({"name": ["Action plans", top + 1, 1 + k], "fill": {"color": colour},
                          "categories": ["Action plans", top + 2, 0, row - 2, 0],
                          "values": ["Action plans", top + 2, 1 + k, row - 2, 1 + k]})
    chart.set_title({"name": "What became of last cycle's actions" + book.of_cycle().replace(",", ": plans of")})
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"major_unit": 1, "min": 0})
    chart.set_legend({"position": "bottom"})
    chart.set_size({"width": CHART_WIDTH, "height": max(300, 40 + 26 * len(counts))})
    regions = ", ".join(sorted(set(book.r.shown("Progress")["region"].dropna().astype(str))))
    ws.insert_chart(row, 0, chart, {"description": (
        f"Stacked bar chart: for each region ({regions}) and key element, how many of the actions of "
        f"its previous action plan are {', '.join(counts.columns[:-1])} or have no progress given. "
        "The figures are in the table above the chart and in the Progress table.")})
