"""The sheets a generated workbook opens with: the partner's Instructions and the identity block.

Each function adds one sheet to ``book``, the workbook being written (workbook.py: its xlsxwriter
workbook, formats, sheet setup and answer cells). The wording is the definition's.
"""

from __future__ import annotations

from .layout import estimate_height


def instructions_sheet(book) -> None:
    """What the workbook is, how to fill it in and send it back, then the instrument's own introduction."""
    inst, text = book.inst, book.text
    ws = book.sheet(text["sheets"]["instructions"])
    ws.set_column(0, 0, 100)
    ws.write_string(0, 0, inst.title, book.f["title"])
    ws.set_row(0, 24)
    if book.request.results is not None:  # in the empty row 2, so every other text keeps its cell
        book.text_row(ws, 1, text["results"]["instructions"], 100, fmt="bold")
    row = 2
    for section in text["instructions"]:
        ws.write_string(row, 0, section["heading"], book.f["heading"])
        row = book.paragraphs(ws, row + 1, section["blocks"], 100) + 1
    ws.write_string(row, 0, book.labels["about_heading"], book.f["heading"])
    row += 1
    data = inst.data
    if inst.kind == "assessment":
        for section in data["intro"]:
            ws.write_string(row, 0, section["heading"], book.f["bold"])
            row = book.paragraphs(ws, row + 1, section["blocks"], 100) + 1
        # the introduction ends by pointing to the questions to consider after the assessment: list them here
        row = book.paragraphs(ws, row - 1, [[q["question"] for q in data["after"]], book.labels["reflection_note"]],
                              100)
    else:
        row = book.paragraphs(ws, row, data["intro"], 100) + 1
        ws.write_string(row, 0, data["elements_heading"], book.f["bold"])
        row = book.paragraphs(ws, row + 1, [[e.name for e in inst.elements]], 100, marker="✓") + 1
        ws.write_string(row, 0, data["additional_resources_heading"], book.f["bold"])
        book.paragraphs(ws, row + 1, [data["additional_resources"]], 100)


def details_sheet(book) -> None:
    """The identity block (filled in ahead from a roster) and, for the assessment, the questions before it."""
    inst, labels, f = book.inst, book.labels, book.f
    ws = book.sheet(book.text["sheets"]["details"])
    ws.set_column(0, 0, 42)
    ws.set_column(1, 1, 62)
    ws.write_string(0, 0, labels["details_heading"], f["title"])
    ws.write_string(1, 0, labels["details_note"], f["italic"])
    ws.merge_range(2, 0, 2, 1, labels["keyboard_note"], f["italic"])
    ws.set_row(2, estimate_height(labels["keyboard_note"], 104))
    row = 3
    for answer in inst.identity:
        ws.write_string(row, 0, answer.label, f["label"])
        prompt = answer.kind if answer.kind in ("email", "date") else "text"
        book.answer_cell(ws, row, 1, answer, prompt, question=answer.label)
        ws.set_row(row, 60 if answer.kind == "long_text" else 18)
        row += 1
    book.titles(ws, "RowTitle", 1, 3, 0, row - 1, 1)
    if inst.kind != "assessment":
        return
    data = inst.data
    row += 1
    ws.merge_range(row, 0, row, 1, labels["before_heading"], f["heading"])
    ws.merge_range(row + 1, 0, row + 1, 1, data["before_intro"], f["italic"])
    row += 2
    first = row
    for number, q in enumerate(data["before"], start=1):
        ws.write_string(row, 0, q["question"], f["label"])
        book.answer_cell(ws, row, 1, inst.answer(f"pre_{q['key']}_yes"), "before",
                         number=number, question=q["question"])
        ws.set_row(row, estimate_height(q["question"], 42))
        follow_up = inst.shown(q["follow_up"])
        ws.write_string(row + 1, 0, follow_up, f["cell"])
        book.answer_cell(ws, row + 1, 1, inst.answer(f"pre_{q['key']}_detail"), "before_detail",
                         number=number, question=follow_up)
        ws.set_row(row + 1, max(90, estimate_height(follow_up, 42)))
        row += 2
    book.titles(ws, "RowTitle", 2, first, 0, row - 1, 1)
