"""The follow-up block of an action plan (version 1.1 on): last cycle's actions and what became of them.

On each element's sheet, below the action table, the region's actions from its previous plan are
listed, locked (the defined name ``e{k}_previous``: objective, key actions, timeline, lead), and beside
each row two answer cells, its progress (a list) and a note (``e{k}_progress``, one row per action
row). Rows that had no action stay empty and locked. Beside each component's status, the status last
reported is shown, locked. Without a previous plan the block is there, empty and locked, so that every
1.1 plan has the same cells (intake compares the locked text of a return with a blank plan's).
Last cycle's text is the partners' own: it is written as text, never as a formula.
"""

from __future__ import annotations

from dataclasses import dataclass, field

LAST_STATUS_COLUMN = 6  # G: beside the status to fill (F)
LAST_STATUS_WIDTH = 16


@dataclass(frozen=True)
class PreviousPlan:
    """The region's plan of the previous cycle, as far as the follow-up shows it."""

    response_id: str
    cycle: str
    region: str = ""
    statuses: dict = field(default_factory=dict)  # e{k}_status_{j} -> the status it reported
    actions: dict = field(default_factory=dict)  # element number -> rows of the shown columns (None when blank)

    def rows(self, element: int, count: int) -> list[list]:
        """``count`` rows of last cycle's actions for ``element`` (all None where there was no action)."""
        found = [list(r) for r in self.actions.get(element, [])][:count]
        width = len(found[0]) if found else 0
        return found + [[None] * width for _ in range(count - len(found))]


def has_action(row) -> bool:
    return any(v not in (None, "") for v in row)


def write_follow_up(book, ws, element, row: int, width: float, estimate_height) -> int:
    """The status each component had last cycle beside the status to fill, and the block from ``row``; returns
    the sheet's last printed row: the block's, or without a previous plan the one above it (``row`` - 2: the
    empty block prints no page). ``book`` is the workbook being written (workbook.py)."""
    _, first, _ = book.status_rows[element.number]
    write_last_statuses(book, ws, element, first - 1, first)
    bottom = write_block(book, ws, element, row, width, estimate_height)
    if book.request.previous is None:  # nothing to follow up: the empty block stays (its names, locked) unprinted
        ws.print_area(0, 0, row - 2, LAST_STATUS_COLUMN)
        return row - 2
    ws.print_area(0, 0, bottom, LAST_STATUS_COLUMN)
    return bottom


def write_last_statuses(book, ws, element, header_row: int, first_row: int) -> None:
    """The status each component had in the previous plan, locked, in the column beside the status."""
    words = book.text["followup"]
    book.widen(ws, LAST_STATUS_COLUMN, LAST_STATUS_WIDTH)
    ws.write_string(header_row, LAST_STATUS_COLUMN, words["last_status_heading"], book.f["th"])
    previous = book.request.previous
    for j in range(1, len(element.components) + 1):
        status = previous.statuses.get(element.status_name(j)) if previous is not None else None
        if status:
            ws.write_string(first_row + j - 1, LAST_STATUS_COLUMN, str(status), book.f["center"])
        else:
            ws.write_blank(first_row + j - 1, LAST_STATUS_COLUMN, None, book.f["center"])


def write_block(book, ws, element, row: int, width: float, estimate_height) -> int:
    """Write the block from ``row`` (heading, note, column headings, the rows); return its last row."""
    inst, words, previous = book.inst, book.text["followup"], book.request.previous
    shown, progress = inst.answer(element.previous_name), inst.answer(element.progress_name)
    last = len(shown.columns) + len(progress.columns) - 1
    book.text_row(ws, row, words["heading"], width, last, "heading")
    book.text_row(ws, row + 1, words["intro"], width, last, "italic")
    if previous is not None:  # blank in a plan without a previous one, so its locked text stays the same
        rows = previous.rows(element.number, shown.rows)
        note = words["from"] if any(has_action(r) for r in rows) else words["no_actions"]
        book.text_row(ws, row + 2, note.format(cycle=previous.cycle), width, last, "bold")
    else:
        rows = [[None] * len(shown.columns) for _ in range(shown.rows)]
    header = row + 3
    for col, column in enumerate(shown.columns + progress.columns):
        ws.write_string(header, col, column.label, book.f["th"])
    book.row(ws, header, 30)
    top = header + 1
    layout = book.layouts[ws.name]
    widths = layout.widths
    # every row as tall as its text, but the block no taller than a page, so it prints under its headings
    room = layout.page_room() - sum(layout.height(r) for r in range(row, top))
    tallest = max(30, room / shown.rows)
    for r, values in enumerate(rows):
        for col, value in enumerate(values):
            if value in (None, ""):
                ws.write_blank(top + r, col, None, book.f["cell"])
            else:
                ws.write_string(top + r, col, str(value), book.f["cell"])  # partners' text: never a formula
        answer_col = len(shown.columns)
        if has_action(values):
            ws.write_blank(top + r, answer_col, None, book.f["choice"])
            ws.write_blank(top + r, answer_col + 1, None, book.f["answer"])
            ws.data_validation(top + r, answer_col, top + r, answer_col, {
                "validate": "list", "source": list(progress.choices), "input_title": words["prompt_title"],
                "input_message": words["prompt"], "error_message": words["error"]})
            ws.data_validation(top + r, answer_col + 1, top + r, answer_col + 1, {
                "validate": "any", "input_title": words["note_prompt_title"], "input_message": words["note_prompt"]})
            height = max(estimate_height(str(v or ""), w) for v, w in zip(values, widths))
            book.row(ws, top + r, max(30, min(height, tallest)))
        else:  # nothing to follow up in this row: it stays empty and locked
            ws.write_blank(top + r, answer_col, None, book.f["cell"])
            ws.write_blank(top + r, answer_col + 1, None, book.f["cell"])
            book.row(ws, top + r, 20)
    bottom = top + shown.rows - 1
    book.keep_with_next(ws, row)
    book.together(ws, row, bottom)
    book.name(shown.name, ws, top, 0, bottom, len(shown.columns) - 1)
    book.name(progress.name, ws, top, len(shown.columns), bottom, last)
    return bottom
