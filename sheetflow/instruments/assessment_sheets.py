"""The Self-Assessment's own sheets: the capabilities to rate, the reflection questions and the Summary.

Each function adds one sheet to ``book``, the workbook being written (workbook.py). The Summary's
formulas read the rating cells of the Assessment sheet, whose rows ``assessment_sheet`` records
in ``book.area_rows``.
"""

from __future__ import annotations

from .layout import bullets, estimate_height, still_needed
from ..style import NAVY


def assessment_sheet(book) -> None:
    inst, L, f = book.inst, book.labels, book.f
    data = inst.data
    widths = (4, 30, 72, 10, 44)
    ws = book.sheet(book.text["sheets"]["assessment"], widths, landscape=True, repeat=2)
    ws.merge_range(0, 0, 0, 4, inst.title, f["title"])
    book.row(ws, 0, 24)
    scale = "    ".join(f"{lv['value']} = {lv['label']}" for lv in data["scale"]["levels"])
    ws.merge_range(1, 0, 1, 4, f"{L['scale_title']}:  {scale}", f["bold"])
    book.row(ws, 1, 18)
    headers = (L["number_heading"], data["table"]["capability_heading"],
               data["table"]["characteristics_heading"], L["rating_heading"], data["table"]["comment_label"])
    for col, text in enumerate(headers):
        ws.write_string(2, col, text, f["th"])
    book.row(ws, 2, 42)
    book.titles(ws, "ColumnTitle", 1, 2, 0, 2, 4)
    row = 3
    book.area_rows = {}
    levels = "\n".join(f"{lv['value']} = {lv['label']}" for lv in data["scale"]["levels"])
    for area in inst.areas:
        heading = f"{area.heading}\n{area.question}"
        ws.merge_range(row, 0, row, 4, heading, f["area"])
        book.row(ws, row, estimate_height(heading, sum(widths)))
        book.keep_with_next(ws, row)  # an area's heading prints on the page of its first capability
        row += 1
        first = row
        for cap in area.capabilities:
            characteristics = bullets(cap.characteristics)
            ws.write_number(row, 0, cap.number, f["center"])
            ws.write_string(row, 1, cap.title, f["cell"])
            ws.write_string(row, 2, characteristics, f["cell"])
            book.answer_cell(ws, row, 3, inst.answer(cap.rating_name), "rating", number=cap.number,
                             question=cap.title, scale=levels)
            book.answer_cell(ws, row, 4, inst.answer(cap.comment_name), "comment", number=cap.number,
                             question=cap.title)
            book.row(ws, row, max(estimate_height(characteristics, widths[2]),
                                estimate_height(cap.title, widths[1]), 60))
            row += 1
        book.area_rows[area.name] = (first, row - 1)
    ws.print_area(0, 0, row - 1, 4)
    book.paginate(ws, row - 1)


def reflection_sheet(book) -> None:
    inst, f = book.inst, book.f
    ws = book.sheet(book.text["sheets"]["reflection"], (42, 62))
    ws.write_string(0, 0, book.labels["reflection_heading"], f["title"])
    intro = inst.data["intro"][-1]["blocks"][-1]
    ws.merge_range(1, 0, 1, 1, intro, f["italic"])
    book.row(ws, 1, estimate_height(intro, 104))
    row = 3
    for number, q in enumerate(inst.after, start=1):
        ws.write_string(row, 0, q.question, f["label"])
        book.answer_cell(ws, row, 1, inst.answer(q.answer_name), "after", number=number, question=q.question)
        book.row(ws, row, 110)
        row += 1
    book.titles(ws, "RowTitle", 1, 3, 0, row - 1, 1)


def assessment_summary(book) -> None:
    inst, L, f = book.inst, book.labels, book.f
    summary = book.text["sheets"]["summary"]
    ws = book.sheet(summary, (40, 16, 16), landscape=True)
    sheet = book.text["sheets"]["assessment"]
    ws.write_string(0, 0, L["summary_heading"], f["title"])
    book.row(ws, 0, 24)
    ws.merge_range(1, 0, 1, 2, L["summary_note"], f["italic"])
    total = len(inst.capabilities)
    ratings = ",".join(c.rating_name for c in inst.capabilities)
    answered = sum(isinstance(book.request.prefill.get(c.rating_name), int) for c in inst.capabilities)
    ws.write_string(3, 0, L["rated"], f["label"])
    ws.write_formula(3, 1, f"=COUNT({ratings})", f["count"], answered)
    ws.write_string(3, 2, L["out_of"].format(total=total), f["body"])
    ws.write_string(4, 0, L["complete"], f["label"])
    ws.write_formula(4, 1, f"=B4/{total}", f["percent"], answered / total)
    book.row(ws, 1, estimate_height(L["summary_note"], 72))
    still_needed(ws, 5, L, f, inst, book.request.prefill)
    book.row(ws, 5, max(estimate_height(L[k], 16) for k in ("still_needed_none", "still_needed_where")))
    book.titles(ws, "RowTitle", 1, 3, 0, 5, 2)
    for col, text in enumerate((L["area_heading"], L["average_heading"], L["area_rated_heading"])):
        ws.write_string(6, col, text, f["th"])
    book.titles(ws, "ColumnTitle", 1, 6, 0, 6, 2)
    row = 7
    for area in inst.areas:
        first, last = book.area_rows[area.name]
        cells = f"'{sheet}'!$D${first + 1}:$D${last + 1}"
        ws.write_string(row, 0, area.name, f["cell"])
        ws.write_formula(row, 1, f'=IF(COUNT({cells})=0,"",AVERAGE({cells}))', f["number"], "")
        ws.write_formula(row, 2, f"=COUNT({cells})", f["count"], 0)
        row += 1
    chart = book.wb.add_chart({"type": "column"})
    chart.add_series({
        "name": L["average_heading"], "categories": [summary, 7, 0, row - 1, 0],
        "values": [summary, 7, 1, row - 1, 1], "fill": {"color": NAVY},
        "data_labels": {"value": True, "num_format": "0.0"},
    })
    chart.set_title({"name": L["chart_title"]})
    chart.set_y_axis({"min": 0, "max": inst.top_rating, "major_unit": 1, "name": L["chart_axis"]})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 320})
    areas = ", ".join(area.name for area in inst.areas)
    ws.insert_chart(row + 1, 0, chart, {"description": L["chart_description"].format(areas=areas)})
