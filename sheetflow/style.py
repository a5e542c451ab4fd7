"""How sheetflow's workbooks look and print: colours, base cell formats, US Letter pages, header, footer and scale.

Both the instruments (``instruments.workbook``, ``instruments.pages``) and the roll-up (its summary sheets,
``rollup.table_sheets``, ``rollup.pivots``) take their colours, their cells' base formats, their paper, page
header and footer, and the arithmetic of their print scale from here. Colours are xlsxwriter's ``#RRGGBB``;
``rgb`` gives the ``RRGGBB`` a part written as XML takes.

A sheet prints at the scale at which its columns fit across the page (``print_scale``), never "fitted to N
pages": Excel ignores manual page breaks on such a sheet, and could shrink its text below what can be read.
What "its columns' width" is depends on who lays them out, so each kind of sheet measures it its own way
(``instruments.pages``: pixels as the wider of Excel and LibreOffice draws them; the roll-up's summaries:
characters of their 10-point text; ``rollup.pivots``: pixels as LibreOffice widens a pivot's columns).
"""

from __future__ import annotations

import math
from typing import Any

# -- colours ------------------------------------------------------------------------------------------
NAVY = "#1F3864"  # titles, headings, and the fill of header cells (white on it: 11.6:1, past WCAG's 4.5:1)
WHITE = "#FFFFFF"
PALE_BLUE = "#DDEBF7"  # an instrument's component-area rows
ANSWER_YELLOW = "#FFF2CC"  # a cell a partner fills in
ANSWER_BORDER = "#BF9000"  # its border
STILL_NEEDED = "#F8CBAD"  # a required answer still blank (orange; never the only sign: a count says it in words)
BORDER_GREY = "#BFBFBF"  # every bordered cell's border
LABEL_GREY = "#F2F2F2"  # an instrument's label cells
NOTE_GREY = "#595959"  # notes' text (7:1 on white)
GREEN, AMBER, RED, BLUE, GREY = "#548235", "#FFC000", "#C00000", "#2F75B5", "#A6A6A6"  # charts' series
STATUS_COLOURS = (GREEN, AMBER, RED, GREY)  # an action plan's statuses (in place, partly, not yet) and more
PROGRESS_COLOURS = (GREEN, BLUE, AMBER, RED, GREY)  # what became of last cycle's actions, then "not given"
RATING_COLOURS = (RED, "#F4B183", "#FFE699", "#A9D18E", GREEN)  # ratings 1 to 5, from red to green
# an average rating's cell shading, from 1 (low) through 3 to 5 (high)
SCALE_LOW, SCALE_MID, SCALE_HIGH = "#F8696B", "#FFEB84", "#63BE7B"


def rgb(colour: str) -> str:
    """A colour as a part written as XML takes it: ``"#1F3864"`` -> ``"1F3864"``."""
    return colour.lstrip("#").upper()


# -- base cell formats (xlsxwriter properties, combined with ``{**FONT, **HEADING}``) -------------------
FONT_NAME = "Calibri"
FONT = {"font_name": FONT_NAME, "font_size": 10, "valign": "top"}  # every cell's text, at the top of its cell
BORDERED = {"border": 1, "border_color": BORDER_GREY}
TITLE = {"bold": True, "font_size": 16, "font_color": NAVY}
HEADING = {"bold": True, "font_size": 12, "font_color": NAVY}
HEADER_CELL = {"bold": True, "font_color": "white", "bg_color": NAVY, "text_wrap": True, "align": "center",
               "valign": "vcenter", "border": 1}  # a table's column headings
NOTE = {"italic": True, "font_color": NOTE_GREY}
AVERAGE_FORMAT = "0.0"  # an average rating: one decimal
WHOLE_FORMAT = "0"
PERCENT_FORMAT = "0%"


# -- the printed page ---------------------------------------------------------------------------------
LETTER = 1  # paperSize: US Letter, as every sheet sheetflow writes prints
LETTER_INCHES = (8.5, 11.0)  # width, height (portrait)
DPI = 96  # pixels per inch of paper at 100%
HEADER_POINTS = 8  # the page header's and footer's printed size
PAGE_NUMBERS = "Page &P of &N"


def page_inches(landscape: bool) -> tuple[float, float]:
    """A Letter page's inches across and down, ``landscape`` or portrait."""
    width, height = LETTER_INCHES
    return (height, width) if landscape else (width, height)


def scale_to_fit(room: float, needed: float) -> int:
    """The scale (per cent, not bounded) at which something ``needed`` wide fits in ``room`` (the same unit)."""
    return int(100 * room / needed)


def print_scale(room: float, needed: float, smallest: int) -> int:
    """``scale_to_fit``, at most 100 and at least ``smallest`` (wider columns then print over more pages across)."""
    return max(smallest, min(100, scale_to_fit(room, needed)))


def header_size(scale: int) -> int:
    """The type size of a page header on a sheet printed at ``scale`` that prints at HEADER_POINTS (a header is
    scaled with its sheet)."""
    return math.ceil(HEADER_POINTS * 100 / scale)


def page_header(left: str, right: str, size: int = HEADER_POINTS) -> str:
    """A page header in Excel's codes: ``left`` and ``right`` texts (a single & in them would start a code: it is
    doubled) in type ``size`` points."""
    return f"&L&{size}{_text(left)}&R&{size}{_text(right)}"


def page_footer(codes: str = PAGE_NUMBERS, size: int = HEADER_POINTS) -> str:
    """A page footer in Excel's codes, centred: ``codes`` as given (``&P`` the page, ``&N`` the pages)."""
    return f"&C&{size}{codes}"


def _text(text: str) -> str:
    return text.replace("&", "&&")


def set_up_page(ws: Any, *, landscape: bool, margins: dict[str, float], header: str, footer: str,
                scale: int = 100, repeat: tuple[int, int] | None = None) -> None:
    """One xlsxwriter sheet's printed page: Letter, ``landscape`` or portrait, ``margins`` (inches, as
    ``set_margins`` takes them), page ``header`` and ``footer`` (``page_header``, ``page_footer``), print
    ``scale`` and the rows ``repeat`` printed at the top of every page."""
    ws.set_paper(LETTER)
    ws.set_margins(**margins)
    ws.set_header(header)
    ws.set_footer(footer)
    if landscape:
        ws.set_landscape()
    if repeat is not None:
        ws.repeat_rows(*repeat)
    ws.set_print_scale(scale)


def spread(colours: tuple[str, ...], count: int) -> tuple[str, ...]:
    """``count`` of ``colours`` (lowest to highest), spread from the first to the last: all five for a 5-point
    scale, red to green for any other."""
    if count >= len(colours) or count < 2:
        return colours[:max(count, 0)] if count < 2 else colours
    return tuple(colours[round(i * (len(colours) - 1) / (count - 1))] for i in range(count))
