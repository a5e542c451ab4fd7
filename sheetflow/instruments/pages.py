"""How a generated sheet prints: US Letter at a scale that fits its columns, and where its pages break.

Excel ignores manual page breaks on a sheet set to "fit to N pages", so a sheet is given the
scale that fits its columns across the page instead (never above 100%), and the pages are laid
out here from the row heights the sheet was written with: a heading (a row kept with the next)
is never the last row of a page, and a block of rows (a table with its column headings, a
question with its answer) starts a new page rather than being split, when it fits on one. Row
heights are fixed when the workbook is written (a partner's typing does not grow them), so the
same breaks hold for a filled copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import style

MARGINS = {"left": 0.5, "right": 0.5, "top": 0.75, "bottom": 0.75}  # inches; header and footer print inside
# A column width unit in pixels: Excel draws it 7 px wide (Calibri 11's digit) plus 5 px of padding;
# LibreOffice about 7.4 and 5.3. The wider is used, so the columns fit across the page in both.
UNIT_PIXELS, CELL_PADDING = 7.4, 6
DEFAULT_ROW = 15.0  # points: a row written without a height of its own
ROOM = 0.96  # share of a page filled at most, for the small differences between Excel's and LibreOffice's layout


def column_pixels(width: float) -> int:
    """A column ``width`` characters wide, in pixels, as the wider of Excel and LibreOffice draws it."""
    return round(width * UNIT_PIXELS) + CELL_PADDING if width > 0 else 0


def print_scale(widths, landscape: bool) -> int:
    """The print scale (percent) at which columns ``widths`` fit across a Letter page, at most 100."""
    room = (style.page_inches(landscape)[0] - MARGINS["left"] - MARGINS["right"]) * style.DPI
    return style.print_scale(room, sum(column_pixels(w) for w in widths), smallest=10)


def page_height(landscape: bool, scale: int) -> float:
    """Points of rows one page holds at ``scale``."""
    down = style.page_inches(landscape)[1] - MARGINS["top"] - MARGINS["bottom"]
    return down * 72 * 100 / scale * ROOM


@dataclass
class Layout:
    """What a sheet's pages are made from: its columns, orientation, repeated rows and row heights."""

    widths: tuple
    landscape: bool = False
    repeat: int | None = None  # rows 0..repeat print at the top of every page (and are frozen on screen)
    heights: dict = field(default_factory=dict)  # row -> points, for the rows given a height
    keep: set = field(default_factory=set)  # rows kept on the page of the row after them (headings)
    blocks: list = field(default_factory=list)  # (first, last) rows printed on one page when they fit
    titles: tuple | None = None  # (first, last) rows printed again at the top of every page after theirs

    def __post_init__(self):
        if self.titles is None and self.repeat is not None:
            self.titles = (0, self.repeat)

    @property
    def scale(self) -> int:
        return print_scale(self.widths, self.landscape)

    def page_room(self) -> float:
        """Points of rows a page holds below the repeated rows."""
        return page_height(self.landscape, self.scale) - self._titles_height()

    def height(self, row: int) -> float:
        return self.heights.get(row, DEFAULT_ROW)

    def _titles_height(self) -> float:
        return sum(self.height(r) for r in range(self.titles[0], self.titles[1] + 1)) if self.titles else 0.0

    def breaks(self, last: int) -> list[int]:
        """The rows before which a new page starts, for rows up to ``last``: a row in ``keep`` stays on the
        page of the row after it; a block starts a page rather than being split, when it fits on one."""
        capacity = page_height(self.landscape, self.scale)
        first = self.titles[1] + 1 if self.titles and self.titles[0] == 0 else 0  # rows 0.. open every page
        titles = self._titles_height()

        def repeated(row: int) -> float:  # what a page starting at ``row`` holds above it
            return titles if self.titles and row > self.titles[1] else 0.0

        keep, blocks = self.keep, dict(self.blocks)
        units, row = [], first
        while row <= last:
            unit = self._unit(row, last, keep, blocks)
            units.append(unit)
            row = unit[-1] + 1
        found, used = [], titles if first else 0.0
        for unit in units:
            tall = sum(self.height(r) for r in unit)
            if used + tall <= capacity:
                used += tall
            elif repeated(unit[0]) + tall <= capacity:  # it fits on a page of its own: start one
                found.append(unit[0])
                used = repeated(unit[0]) + tall
            else:  # taller than a page: as much as fits, a heading kept with the row after it
                for r in unit:
                    if used + self.height(r) > capacity and used > repeated(r):
                        start = r
                        while start - 1 in keep and start - 1 > max(found, default=first):
                            start -= 1
                        found.append(start)
                        used = repeated(start) + sum(self.height(x) for x in range(start, r))
                    used += self.height(r)
        return found

    @staticmethod
    def _unit(row: int, last: int, keep: set, blocks: dict) -> list[int]:
        """The rows that go on one page with ``row``: itself, its block, and what a kept row is kept with."""
        if row in blocks:
            unit = list(range(row, min(blocks[row], last) + 1))
        else:
            unit = [row]
        while unit[-1] in keep and unit[-1] < last:
            nxt = unit[-1] + 1
            unit.extend(range(nxt, min(blocks.get(nxt, nxt), last) + 1))
        return unit


def set_up(ws, layout: Layout, header: str, footer: str) -> None:
    """Paper, orientation, margins, header and footer, repeated rows and the scale of one sheet."""
    style.set_up_page(ws, landscape=layout.landscape, margins=MARGINS, header=header, footer=footer,
                      scale=layout.scale, repeat=layout.titles)
