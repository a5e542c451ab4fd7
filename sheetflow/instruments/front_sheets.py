"""The sheets a generated workbook opens with: the partner's Instructions and the identity block.

Each function adds one sheet to ``book``, the workbook being written (workbook.py: its xlsxwriter
workbook, formats, sheet setup and answer cells). The wording is the definition's.
"""

from __future__ import annotations

from .layout import estimate_height


WIDTH = 100  # the Instructions' one column, in characters
HEADING, SUBHEADING = 18.0, 15.0  # row heights (points) of the 12 pt headings and the bold 10 pt ones


def instructions_sheet(book) -> None:
    """What the workbook is, how to fill it in and send it back, then the instrument's own introduction.

    Each section of the partner's instructions prints on one page, as does the action plan's
    introduction (it fits on a page of its own); no heading or lead-in ends a page.
    """
    inst, text, f = book.inst, book.text, book.f
    ws = book.sheet(text["sheets"]["instructions"], (WIDTH,))
    ws.write_string(0, 0, inst.title, f["title"])
    book.row(ws, 0, 24)
    if book.request.results is not None:  # in the empty row 2, so every other text keeps its cell
        book.text_row(ws, 1, text["results"]["instructions"], WIDTH, fmt="bold")

    def heading(row: int, words: str, fmt: str = "heading") -> int:
        ws.write_string(row, 0, words, f[fmt])
        book.row(ws, row, HEADING if fmt == "heading" else SUBHEADING)
        book.keep_with_next(ws, row)
        return row + 1

    row = 2
    for section in text["instructions"]:
        start = row
        row = book.paragraphs(ws, heading(row, section["heading"]), section["blocks"], WIDTH)
        book.together(ws, start, row - 1)
        row += 1
    about = row
    row = heading(row, book.labels["about_heading"])
    data = inst.data
    if inst.is_assessment:  # longer than a page: it flows on, no heading or lead-in ending a page
        for number, section in enumerate(data["intro"], start=1):
            row = book.paragraphs(ws, heading(row, section["heading"], "bold"), section["blocks"], WIDTH)
            if number == len(data["intro"]):  # it ends by pointing to the questions after the assessment: list them
                row = book.paragraphs(ws, row, [[q.question for q in inst.after],
                                                book.labels["reflection_note"]], WIDTH)
            row += 1
    else:
        row = book.paragraphs(ws, row, data["intro"], WIDTH) + 1
        row = heading(row, data["elements_heading"], "bold")
        row = book.paragraphs(ws, row, [[e.name for e in inst.elements]], WIDTH, marker="✓") + 1
        row = heading(row, data["additional_resources_heading"], "bold")
        row = book.paragraphs(ws, row, [data["additional_resources"]], WIDTH) + 1
        book.together(ws, about, row - 2)
    book.paginate(ws, row - 2)


def details_sheet(book) -> None:
    """The identity block (filled in ahead from a roster) and, for the assessment, the questions before it."""
    inst, labels, f = book.inst, book.labels, book.f
    ws = book.sheet(book.text["sheets"]["details"], (42, 62))
    ws.write_string(0, 0, labels["details_heading"], f["title"])
    ws.write_string(1, 0, labels["details_note"], f["italic"])
    ws.merge_range(2, 0, 2, 1, labels["keyboard_note"], f["italic"])
    book.row(ws, 2, estimate_height(labels["keyboard_note"], 104))
    row = 3
    for answer in inst.identity:
        ws.write_string(row, 0, answer.label, f["label"])
        prompt = answer.kind if answer.kind in ("email", "date") else "text"
        book.answer_cell(ws, row, 1, answer, prompt, question=answer.label)
        book.row(ws, row, 60 if answer.kind == "long_text" else 18)
        row += 1
    book.titles(ws, "RowTitle", 1, 3, 0, row - 1, 1)
    if not inst.is_assessment:  # the questions before the assessment: an assessment's only
        return
    data = inst.data
    row += 1
    ws.merge_range(row, 0, row, 1, labels["before_heading"], f["heading"])
    ws.merge_range(row + 1, 0, row + 1, 1, data["before_intro"], f["italic"])
    row += 2
    first = row
    for number, q in enumerate(inst.before, start=1):
        ws.write_string(row, 0, q.question, f["label"])
        book.answer_cell(ws, row, 1, inst.answer(q.answer_name), "before", number=number, question=q.question)
        book.row(ws, row, estimate_height(q.question, 42))
        follow_up = inst.shown(q.follow_up)
        ws.write_string(row + 1, 0, follow_up, f["cell"])
        book.answer_cell(ws, row + 1, 1, inst.answer(q.detail_name), "before_detail",
                         number=number, question=follow_up)
        book.row(ws, row + 1, max(90, estimate_height(follow_up, 42)))
        row += 2
    book.titles(ws, "RowTitle", 2, first, 0, row - 1, 1)
