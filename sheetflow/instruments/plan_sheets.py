"""The Action Plan's own sheets: one per key element (components, reflection, action table) and the Summary.

Each function adds one sheet to ``book``, the workbook being written (workbook.py). The Summary's
formulas read the status and action cells of the element sheets, whose rows ``element_sheet``
records in ``book.status_rows`` and ``book.action_rows``.
"""

from __future__ import annotations

from .followup_block import write_follow_up
from .layout import estimate_height, still_needed
from ..style import STATUS_COLOURS



def element_sheet(book, element) -> None:
    inst, L, f = book.inst, book.labels, book.f
    name = book.text["sheets"]["element"].format(number=element.number)
    widths = (30, 32, 14, 22, 24, 30)
    ws = book.sheet(name, widths, landscape=True, repeat=0)
    total = sum(widths)
    ws.merge_range(0, 0, 0, 5, element.heading, f["title"])
    book.row(ws, 0, 24)
    book.text_row(ws, 1, f"({element.definition})", total, 5, "italic")
    book.text_row(ws, 3, element.components_intro, total, 5, "bold")
    book.together(ws, 1, 4 + len(element.components))  # the element, its components and their statuses
    ws.merge_range(4, 0, 4, 4, L["component_heading"], f["th"])
    ws.write_string(4, 5, L["status_heading"], f["th"])
    book.titles(ws, "ColumnTitle", 1, 4, 0, 4, 5)
    row = first = 5
    for j, text in enumerate(element.components, start=1):
        ws.merge_range(row, 0, row, 4, f"{j}. {text}", f["cell"])
        book.answer_cell(ws, row, 5, inst.answer(element.status_name(j)), "status",
                         element=element.number, number=j, question=text)
        book.row(ws, row, max(estimate_height(f"{j}. {text}", total - widths[5]), 18))
        row += 1
    book.status_rows[element.number] = (name, first, row - 1)
    row += 1
    book.text_row(ws, row, element.prompts, total, 5, "bold")
    book.keep_with_next(ws, row)  # the questions print above their answer
    row += 1
    book.answer_cell(ws, row, 0, inst.answer(element.obstacles_name), "obstacles", last_col=5,
                     element=element.number, question=inst.shown(element.prompts))
    book.row(ws, row, 120)
    row += 2
    book.text_row(ws, row, element.table_intro, total, 5, "bold")
    intro = row
    row += 1
    for col, column in enumerate(inst.action_columns):
        ws.write_string(row, col, column.label, f["th"])
    book.row(ws, row, 30)
    book.titles(ws, "ColumnTitle", 2, row, 0, row, len(inst.action_columns) - 1)
    actions = inst.answer(element.actions_name)
    top = row + 1
    for r in range(top, top + actions.rows):
        for col, column in enumerate(inst.action_columns):
            ws.write_blank(r, col, None, f["answer"])
            book.announce(ws, r, col, actions, "action_needed" if column.required else "action",
                          {"element": element.number, "row": r - top + 1, "rows": actions.rows,
                           "question": column.label}, required=False)
        book.row(ws, r, 48)
    book.name(actions.name, ws, top, 0, top + actions.rows - 1, len(inst.action_columns) - 1)
    book.action_rows[element.number] = (name, top, top + actions.rows - 1)
    book.together(ws, intro, top + actions.rows - 1)  # the action table on one page, under its headings
    bottom = top + actions.rows - 1
    ws.print_area(0, 0, bottom, 5)
    if inst.progress_choices:  # version 1.1 on: the follow-up of last cycle's plan
        bottom = write_follow_up(book, ws, element, bottom + 2, total, estimate_height)
    book.paginate(ws, bottom)


def action_summary(book) -> None:
    inst, L, f = book.inst, book.labels, book.f
    statuses = inst.data["status_choices"]
    summary = book.text["sheets"]["summary"]
    widths = (44, *[13] * (3 + len(statuses)))
    last = len(widths) - 1
    ws = book.sheet(summary, widths, landscape=True)
    ws.write_string(0, 0, L["summary_heading"], f["title"])
    book.row(ws, 0, 24)
    ws.merge_range(1, 0, 1, last, L["summary_note"], f["italic"])
    total = sum(len(e.components) for e in inst.elements)
    names = ",".join(e.status_name(j) for e in inst.elements for j in range(1, len(e.components) + 1))
    ws.write_string(3, 0, L["components_answered"], f["label"])
    ws.write_formula(3, 1, f"=COUNTA({names})", f["count"], 0)
    ws.write_string(3, 2, L["out_of"].format(total=total), f["body"])
    ws.write_string(4, 0, L["complete"], f["label"])
    ws.write_formula(4, 1, f"=B4/{total}", f["percent"], 0)
    book.row(ws, 1, estimate_height(L["summary_note"], sum(widths)))
    still_needed(ws, 5, L, f, inst, book.request.prefill, last)
    book.row(ws, 5, max(estimate_height(L[k], sum(widths[2:])) for k in ("still_needed_none", "still_needed_where")))
    book.titles(ws, "RowTitle", 1, 3, 0, 5, 2)
    headers = [L["element_heading"], L["components_heading"], *statuses, L["not_answered_heading"],
               L["actions_heading"]]
    for col, text in enumerate(headers):
        ws.write_string(6, col, text, f["th"])
    book.titles(ws, "ColumnTitle", 1, 6, 0, 6, len(headers) - 1)
    book.row(ws, 6, 30)
    row = 7
    for element in inst.elements:
        sheet, first, last = book.status_rows[element.number]
        cells = f"'{sheet}'!$F${first + 1}:$F${last + 1}"
        label = L["element"].format(number=element.number, name=element.name)
        ws.write_string(row, 0, label, f["cell"])
        book.row(ws, row, max(15, estimate_height(label, widths[0])))
        ws.write_number(row, 1, len(element.components), f["count"])
        for k, status in enumerate(statuses):
            ws.write_formula(row, 2 + k, f'=COUNTIF({cells},"{status}")', f["count"], 0)
        ws.write_formula(row, 2 + len(statuses), f"=COUNTBLANK({cells})", f["count"], len(element.components))
        sheet, top, bottom = book.action_rows[element.number]
        ws.write_formula(row, 3 + len(statuses), f"=COUNTA('{sheet}'!$A${top + 1}:$A${bottom + 1})", f["count"], 0)
        row += 1
    chart = book.wb.add_chart({"type": "bar", "subtype": "stacked"})
    for k in range(len(statuses) + 1):
        chart.add_series({
            "name": [summary, 6, 2 + k], "categories": [summary, 7, 0, row - 1, 0],
            "values": [summary, 7, 2 + k, row - 1, 2 + k], "fill": {"color": STATUS_COLOURS[k % 4]},
        })
    chart.set_title({"name": L["chart_title"]})
    chart.set_y_axis({"reverse": True})
    chart.set_x_axis({"major_unit": 1, "min": 0})
    chart.set_size({"width": 760, "height": 320})  # below the table, on the same page
    elements = ", ".join(e.name for e in inst.elements)
    description = L["chart_description"].format(statuses=", ".join(statuses), elements=elements)
    ws.insert_chart(row + 1, 0, chart, {"description": description})
