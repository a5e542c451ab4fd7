"""The roll-up's lists, each on a sheet of its own with its headings repeated on every printed page: Strengths
(and learning opportunities), Disagreement, and every resource or technical-assistance need (Resources needed)."""

from __future__ import annotations

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from . import tables as R
from .summaries import disagreements, strengths_and_opportunities
from .book import LIST_WIDTHS, Book

NEEDS = "Resources needed"  # the sheet listing every resource or technical-assistance need


def strengths(book: Book, ws: Worksheet, responses: pd.DataFrame) -> None:
    """The highest and lowest rated capabilities, overall and per organization."""
    list_sheet(book, ws, "Strengths and learning opportunities (highest and lowest average ratings)" + book.of_cycle(),
               strengths_and_opportunities(responses),
               {"organization": "Organization", "kind": "Strength or opportunity", "item": "Item",
                "average": "Average", "capability": "Capability"}, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 7)])


def disagreement(book: Book, ws: Worksheet, responses: pd.DataFrame) -> None:
    """The capabilities whose ratings differ by 2 or more within an organization."""
    list_sheet(book, ws, "Internal disagreement: capabilities whose ratings differ by 2 or more within an "
                         "organization" + book.of_cycle(), disagreements(responses),
               {"organization": "Organization", "item": "Item", "lowest": "Lowest", "highest": "Highest",
                "capability": "Capability", "ratings": "Ratings"}, [(0, 0), (1, 1), (2, 2), (3, 3), (4, 6), (7, 7)])


def list_sheet(book: Book, ws: Worksheet, title: str, frame: pd.DataFrame, headers: dict[str, str],
               spans: list[tuple[int, int]]) -> None:
    """A list on a sheet of its own (LIST_WIDTHS, headings repeated on every printed page)."""
    for first, last, width in LIST_WIDTHS:
        ws.set_column(first, last, width)
    book.print_setup(ws, sum(width * (last - first + 1) for first, last, width in LIST_WIDTHS))
    ws.repeat_rows(1)
    ws.freeze_panes(2, 0)
    book.frame(ws, 0, title, frame, headers, spans)


def needs(book: Book, ws: Worksheet) -> None:
    """Every resource or technical-assistance need, on a sheet of its own so its headings repeat."""
    list_sheet(book, ws, "Resources and technical assistance needed" + book.of_cycle(),
               R.ta_needs(book.r.shown("Actions")),
               {"region": "Region", "element_name": "Key element", "objective": "Strategic objective",
                "resources_ta": "Resources/ TA needed"}, [(0, 0), (1, 2), (3, 5), (6, 7)])
