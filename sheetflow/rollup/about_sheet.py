"""The roll-up's About sheet: when and from what it was made, the cycles it holds, the data dictionary (every
table's columns and what they mean) and the source files."""

from __future__ import annotations

import math
from pathlib import Path

from ..text import plural
from ..version import version
from .book import Book


def _by_version(item: tuple[tuple[str, str], int]) -> tuple[int, ...]:
    """(instrument, version) counts in version order: 1.2 before 1.10."""
    (_, version), _ = item
    return tuple(int(p) if p.isdigit() else 0 for p in version.split("."))


def write(book: Book) -> None:
    ws = book.wb.add_worksheet("About")
    book.print_setup(ws, 16 + 22 + 90)
    ws.set_column(0, 0, 16)
    ws.set_column(1, 1, 22)
    ws.set_column(2, 2, 90)
    ws.write_string(0, 0, "About this roll-up", book.f["title"])
    made = book.r.made_at.strftime("%Y-%m-%d %H:%M UTC")
    versions = "; ".join(f"{i.title}: " + (", ".join(
        f"version {v} ({plural(n, 'return')})"
        for (k, v), n in sorted(book.r.versions.items(), key=_by_version) if k == i.id)
        or "no returns") for i in book.r.instruments.values())
    facts = [
        ("Made", f"{made} by sheetflow {version()}"),
        ("Instruments", versions),
        ("Files", f"{plural(book.r.sources, 'file')} considered: "
                  f"{plural(book.r.files_in, 'valid return')} included, "
                  f"{book.r.files_out} left out"
                  + (f"; {plural(book.r.skipped, 'file')} skipped as not returns" if book.r.skipped else "")
                  + ". Every file and its status is in the Submissions table; "
                  "why each was left out is in the Problems table."),
        ("Figures", "Every figure is computed by sheetflow from the answers it read; no value is taken "
                    "from formulas inside the returned files."),
    ]
    if len(book.r.cycles) > 1:
        facts.append(("Cycles", f"The tables hold cycles {', '.join(book.r.cycles)}; the summaries show "
                                f"{book.r.cycle}, and the Change over time sheet compares them."))
    for label, note in (("Other cycles", book.r.other_cycles_note()), ("Thin cycles", book.r.thin_note())):
        if note:
            facts.append((label, note))
    if book.r.previous is not None:
        before = book.r.previous
        facts.append(("Earlier cycles", f"From the roll-up {before.path.name} ({before.made or 'made by sheetflow'}): "
                                        f"cycles {', '.join(before.cycles) or 'none'}, {before.responses} responses; "
                                        "a response also returned in this roll-up's files is taken from them."))
    for i, (key, text) in enumerate(facts, start=2):
        ws.write_string(i, 0, key, book.f["body"])
        ws.merge_range(i, 1, i, 2, text, book.f["wrap"])
        ws.set_row(i, 15 * max(1, math.ceil(len(text) / 105)))
    start = len(facts) + 3
    ws.write_string(start, 0, "Data dictionary: the columns of every table", book.f["heading"])
    rows = [(t, c, meaning) for t, cols in book.r.meanings().items() for c, meaning in cols.items()]
    ws.add_table(start + 1, 0, start + 1 + len(rows), 2, {
        "name": "Dictionary", "style": "Table Style Light 9",
        "columns": [{"header": h, "header_format": book.f["th"]} for h in ("table", "column", "meaning")]})
    for i, row in enumerate(rows, start=start + 2):
        for c, value in enumerate(row):
            ws.write_string(i, c, value, book.f["wrap"] if c == 2 else None)
    lines = ["Source files:"] + [Path(p).name for p in book.r.sources]
    ws.write_string(start + len(rows) + 3, 0, lines[0], book.f["heading"])
    for i, name in enumerate(lines[1:], start=start + len(rows) + 4):
        ws.write_string(i, 0, name)
