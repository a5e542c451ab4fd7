"""The roll-up's data tables as whole parts: each table's complete worksheet XML and its Excel Table part.

A state-wide cycle puts tens of thousands of rows in these tables, too many to hand to xlsxwriter
cell by cell in good time, and they need no more than a header, typed values, two number formats
and a frozen, printable layout. So this module writes each table's sheet whole, from plain
values: text is always an inline string (never a formula), escaped as Excel escapes it; numbers
are numbers; dates are Excel serials shown with ``DATE_FORMAT``. The workbook module puts these
parts into the package (``rollup.workbook``); tests compare the cells with xlsxwriter's.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Sequence
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from .. import style
from ..cell_text import t_element
from ..cells import column_letters
from .columns import Column, spec
from .parts import SHEETML, WorkbookParts

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = style.PERCENT_FORMAT
# Each column's number format, whether it is shown whole, whether its texts print elsewhere (its table's printed
# pages leave it out when it is the last: its texts print once on the sheet named, beside the key this table
# prints, not on every row) and whether its digits are text: its ``columns.Column``. A column holding dates
# gets DATE_FORMAT.
WORD = 34  # characters: a longer word (a file's fingerprint) breaks over lines rather than widen its column
SAMPLE = 5000  # rows: the widths are worked out from the first ones (a state-wide table has hundreds of thousands)
LONGEST = 60  # characters: the widest a column is made; longer texts wrap within it
STYLE = "TableStyleMedium2"
# the header cells' own format, drawn over the table style's (white on its blue is 4.0:1, short of WCAG's 4.5:1;
# LibreOffice draws no table style at all): white bold text on navy, as the roll-up's other headings
HEADER_TEXT, HEADER_FILL = style.rgb(style.WHITE), style.rgb(style.NAVY)
# a table prints one page wide at a readable size: 11-point text at 75% is 8.25 points. Its columns share the
# page's width (``print_widths``): short values keep their width, long texts wrap in the rest, so that a row's
# texts take about as many lines in each column. A table whose shortest columns are still too wide for the
# page prints over as many pages across as it needs, its header row and first column on each
PRINT_SCALE = 75
MARGINS = {"left": 0.3, "right": 0.3, "top": 0.6, "bottom": 0.6, "header": 0.25, "footer": 0.25}  # inches
PIXELS = 7  # a character of the width (Calibri 11's digit) in pixels; a column has 5 pixels of padding more
# the pixels of sheet across a Letter landscape page at PRINT_SCALE, less a tenth for the differences in
# text widths between Excel and LibreOffice
PAGE_PIXELS = int((style.page_inches(True)[0] - MARGINS["left"] - MARGINS["right"]) * style.DPI * 100 / PRINT_SCALE * 0.9)
CHARACTERS = 1.1  # characters of text (a mix of letters) in a character of a column's width
LINE = 15  # points: the height of a line of 11-point text in a row
BOLD = 1.1  # a heading is bold: about a tenth wider than the same text in the cells
TITLE = "Regional sector partnership roll-up"  # in every printed page's header


# -- values as the roll-up writes them (also in its CSV files) ----------------------------------------

def missing(value) -> bool:
    """A blank: None, NaN, or pandas' NA and NaT."""
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return type(value).__name__ in ("NAType", "NaTType")


def as_written(value):
    """A table value as the roll-up stores it: None (blank), text, True/False, a datetime or a number
    (whole numbers as int). A datetime is Python's own (not pandas' Timestamp, whose nanoseconds no cell shows):
    the tables go to ``table_work``'s process, which imports no pandas."""
    if missing(value):
        return None
    if isinstance(value, (str, bool)):
        return value
    if isinstance(value, dt.datetime):
        return value if type(value) is dt.datetime else dt.datetime(
            value.year, value.month, value.day, value.hour, value.minute, value.second, value.microsecond, value.tzinfo,
            fold=value.fold)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) or hasattr(value, "__int__"):
        number = float(value)
        return int(number) if number.is_integer() else number
    return str(value)


def written_column(series) -> list:
    """``as_written`` of each value of a pandas column (integer and true/false columns without blanks are
    Python values already; pandas' nullable ones hold NA for a blank)."""
    if series.dtype.kind in "iub" and not series.hasnans:
        return series.tolist()
    return [v if type(v) is str else as_written(v) for v in series.astype(object).tolist()]


# -- cells --------------------------------------------------------------------------------------------

def text_cell(text: str, style: str = "") -> str:
    """A cell holding ``text`` as an inline string (always text, never a formula), as Excel escapes it;
    ``style``: ``' s="n"'`` or ""."""
    return f'<c{style} t="inlineStr"><is>{t_element(text)}</is></c>'


def serial(value: dt.datetime) -> float:
    """Excel's serial number for a date and time (1900 system: 1900-03-01 is 61, after the leap-year bug)."""
    delta = value.replace(tzinfo=None) - dt.datetime(1899, 12, 31)
    number = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return number + 1 if number > 59 else number


def each_distinct(function, values: list) -> list:
    """``function`` of each value, computed once per distinct value (columns repeat their values: names,
    questions). Equal values share one result (1 and 1.0); True and 1 are equal too, so a list holding
    True or False is told apart by type as well."""
    if bool in set(map(type, values)):
        keys = [(type(v), v) for v in values]
        memo = {key: function(key[1]) for key in dict.fromkeys(keys)}
        return list(map(memo.__getitem__, keys))
    memo = {value: function(value) for value in dict.fromkeys(values)}
    return list(map(memo.__getitem__, values))


def cell(value, number_style: str = "", date_style: str = "", text_style: str = "") -> str:
    """One value's whole cell, without a reference (``'<c t="b"><v>1</v></c>'``). A number has
    ``number_style``, a date ``date_style`` and a text or true/false ``text_style`` (each ``' s="n"'`` or "");
    a blank the column's own style (its date style if it has one), as a cell never written would show."""
    if value is None:
        return f"<c{date_style or number_style or text_style}/>"
    if isinstance(value, str):
        return text_cell(value, text_style)
    if isinstance(value, bool):
        return f'<c{text_style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        return f"<c{date_style}><v>{serial(value):.16G}</v></c>"
    return f"<c{number_style}><v>{value:.16G}</v></c>"


def rows_xml(columns: list[list], styles: list[tuple[str, ...]], first_row: int = 2,
             lines: list[int] | None = None) -> str:
    """The <row> elements of a table's values from ``first_row``. ``columns``: each column's values (None,
    text, True/False, a datetime or a number); ``styles``: each column's number, date and text style (``cell``);
    ``lines``: how many lines of text each row is high (its wrapped texts'), if not one.

    Cells carry no reference (OOXML's ``r`` is optional): every row lists all its cells, blanks too, so a
    cell's place in its row is its column. Each distinct value of a column is written once and the rows
    are joined from those cells, a state-wide table's ~300,000 cells without formatting each one."""
    width, count = len(columns), len(columns[0]) if columns else 0
    parts = [""] * (count * (width + 2))
    parts[::width + 2] = [f'<row r="{n}">' if k == 1 else f'<row r="{n}" ht="{k * LINE}" customHeight="1">'
                          for n, k in zip(range(first_row, first_row + count), lines or [1] * count)]
    for c, (values, own) in enumerate(zip(columns, styles), start=1):
        parts[c::width + 2] = each_distinct(lambda value, own=own: cell(value, *own), values)
    parts[width + 1::width + 2] = ["</row>"] * count
    return "".join(parts)


# -- a table and its sheet ----------------------------------------------------------------------------

@dataclass
class TableSheet:
    """One Excel Table on a sheet of the same name: header in row 1, the values below."""
    name: str
    header: list[str]
    columns: list[list]  # each column's values, as ``as_written``
    _widths: list[tuple[float, bool]] | None = field(default=None, repr=False, compare=False)
    _formats: list[tuple[str | None, str | None]] | None = field(default=None, repr=False, compare=False)
    _lines: list[int] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def of(cls, name: str, frame) -> "TableSheet":
        return cls(name, [str(c) for c in frame.columns], [written_column(frame[c]) for c in frame.columns])

    @property
    def specs(self) -> list[Column]:
        """Each column's ``columns.Column`` (its number format, how it prints)."""
        return [spec(self.name, name) for name in self.header]

    @property
    def last_row(self) -> int:
        """The table's last row (1-based): an empty table keeps one blank row, as Excel does."""
        return max(len(self.columns[0]) if self.columns else 0, 1) + 1

    @property
    def printed(self) -> int:
        """How many of the table's columns, from the first, its printed pages hold: all but the last ones that
        print elsewhere (``Column.printed_on``)."""
        count, specs = len(self.header), self.specs
        while count > 1 and specs[count - 1].printed_on is not None:
            count -= 1
        return count

    @property
    def ref(self) -> str:
        return f"A1:{column_letters(len(self.header))}{self.last_row}"

    def number_formats(self) -> list[tuple[str | None, str | None]]:
        """Each column's format for numbers (its own, ``Column.number_format``) and for dates (DATE_FORMAT if it
        holds any), or None. Worked out once."""
        if self._formats is None:
            self._formats = [(column.number_format,
                              DATE_FORMAT if any(isinstance(v, dt.datetime) for v in dict.fromkeys(values)) else None)
                             for column, values in zip(self.specs, self.columns)]
        return self._formats

    def laid_out(self, formats: list[tuple[str | None, str | None]], widths: list[tuple[float, bool]],
                 lines: list[int]) -> None:
        """Take the ``number_formats``, ``print_widths`` and ``lines`` worked out elsewhere (in ``table_work``'s
        process)."""
        self._formats, self._widths, self._lines = formats, widths, lines

    def print_widths(self) -> list[tuple[float, bool]]:
        """Each column's width in characters and whether its texts wrap (``print_widths``): the printed columns
        laid out across the page, the others as wide as their values. Worked out once."""
        if self._widths is None:
            dates = [date for _, date in self.number_formats()]
            n = self.printed
            self._widths = (print_widths(self.header[:n], self.columns[:n], dates[:n])
                            + print_widths(self.header[n:], self.columns[n:], dates[n:], page=False))
        return self._widths

    def lines(self) -> list[int]:
        """How many lines each row takes with its texts wrapped in the widths of ``print_widths`` (neither Excel
        nor LibreOffice fits a row's height to its text when it opens a file: the heights are written). Worked
        out once."""
        if self._lines is None:
            wrapped = [(values, width) for values, (width, wraps) in zip(self.columns, self.print_widths()) if wraps]
            if not wrapped:
                self._lines = [1] * (len(self.columns[0]) if self.columns else 0)
            else:
                counts = [each_distinct(lambda v, width=width: wrapped_lines(v, width) if isinstance(v, str) else 1,
                                        values) for values, width in wrapped]
                self._lines = [max(row) for row in zip(*counts)]
        return self._lines

    def rows(self, styles: Sequence[tuple[int | None, int | None, int | None]]) -> bytes:
        """The <row> elements of the table's values (``rows_xml``) in UTF-8; ``styles`` as for ``worksheet``."""
        return rows_xml(self.columns, [tuple(f' s="{s}"' if s is not None else "" for s in trio) for trio in styles],
                        lines=self.lines()).encode("utf-8")

    def worksheet(self, styles: Sequence[tuple[int | None, int | None, int | None]], table_rid: str,
                  header_style: int | None = None, whole_dxf: int | None = None, rows: bytes | None = None) -> bytes:
        """The sheet's whole part. ``styles``: each column's cell-format index for numbers, for dates (for
        ``number_formats``) and for text (wrapped or not, as ``print_widths``), or None; ``table_rid``: the id of
        the sheet's relationship to its table part; ``header_style``: the cell-format index of the header row, if
        it has one; ``whole_dxf``: the differential format showing the ``Column.shown_whole`` columns without
        decimals; ``rows``: ``self.rows(styles)`` if written already."""
        # a column's own format also applies to what is typed below the table
        cols = "".join(f'<col min="{c}" max="{c}" width="{_stored(width)}"'
                       + (f' style="{own}"' if own is not None else "") + ' customWidth="1"/>'
                       for c, ((width, _), (number, date, text)) in enumerate(zip(self.print_widths(), styles),
                                                                               start=1)
                       for own in [date if date is not None else text])
        own = f' s="{header_style}"' if header_style is not None else ""
        header = '<row r="1">' + "".join(text_cell(name, own) for name in self.header) + "</row>"
        margins = " ".join(f'{side}="{inches}"' for side, inches in MARGINS.items())
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
                f'<dimension ref="{self.ref}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                ' state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{header}').encode("utf-8") + (
            self.rows(styles) if rows is None else rows) + (
                f'</sheetData>{self.whole_numbers(whole_dxf)}'
                f'<pageMargins {margins}/>'
                f'<pageSetup paperSize="{style.LETTER}" scale="{PRINT_SCALE}" pageOrder="overThenDown" orientation="landscape"/>'
                f'<headerFooter>{header_footer(self.name, PRINT_SCALE)}</headerFooter>'
                f'{self.ignored_errors()}'
                f'<tableParts count="1"><tablePart r:id="{table_rid}"/></tableParts></worksheet>').encode("utf-8")

    def whole_numbers(self, dxf: int | None) -> str:
        """``<conditionalFormatting>`` showing each number of the ``Column.shown_whole`` columns with the differential
        format ``dxf`` (no decimals), down to the sheet's last row; "" if it has none of them or no ``dxf``."""
        rules = [f'<conditionalFormatting sqref="{letters}2:{letters}1048576"><cfRule type="expression"'
                 f' dxfId="{dxf}" priority="{n}"><formula>ISNUMBER({letters}2)</formula></cfRule></conditionalFormatting>'
                 for n, letters in enumerate([column_letters(c) for c, column in enumerate(self.specs, start=1)
                                              if column.shown_whole], start=1)]
        return "".join(rules) if dxf is not None else ""

    def ignored_errors(self) -> str:
        """``<ignoredErrors>`` telling Excel that the digits in ``Column.digits_as_text`` columns are text on
        purpose (a cycle may be ``2026`` or ``2026-spring``), down to the sheet's last row; "" if it has none."""
        refs = [f"{letters}2:{letters}1048576" for c, column in enumerate(self.specs, start=1)
                if column.digits_as_text for letters in [column_letters(c)]]
        if not refs:
            return ""
        return f'<ignoredErrors><ignoredError sqref="{" ".join(refs)}" numberStoredAsText="1"/></ignoredErrors>'

    def table(self, table_id: int) -> bytes:
        """The Excel Table part over the sheet's header and rows (``table_id``: unique in the workbook)."""
        name = escape(self.name, {'"': "&quot;"})
        columns = "".join(f'<tableColumn id="{i}" name={_attribute(c)}/>' for i, c in enumerate(self.header, start=1))
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<table xmlns="{MAIN}" id="{table_id}" name="{name}" displayName="{name}" ref="{self.ref}"'
                f' totalsRowShown="0"><autoFilter ref="{self.ref}"/>'
                f'<tableColumns count="{len(self.header)}">{columns}</tableColumns>'
                f'<tableStyleInfo name="{STYLE}" showFirstColumn="0" showLastColumn="0" showRowStripes="1"'
                ' showColumnStripes="0"/></table>').encode("utf-8")



@dataclass(frozen=True)
class TableStyles:
    """The data tables' formats in the workbook's styles (``add_table_styles``): the header row's cell format, the
    differential format showing whole numbers, and each table's columns' cell formats for numbers, dates and text
    (as ``TableSheet.worksheet`` takes them)."""
    header: int
    whole_dxf: int
    columns: list[list[tuple[int | None, int | None, int | None]]]


def add_table_styles(package: WorkbookParts, tables: list[TableSheet]) -> TableStyles:
    """Add the cell formats the tables' sheets use to the workbook's styles, one per number format and role."""
    formats: dict[tuple[str, str], int] = {}

    def format_of(code: str | None, role: str) -> int:
        """The cell format showing a number as ``code`` (General if None), each value at the top of its cell
        (level with a wrapped text's first line): ``role`` "number" (centred under its heading), "date", "text"
        or "wrapped" (text wrapped within the column)."""
        key = (code or "General", role)
        if key not in formats:
            formats[key] = package.add_cell_format(key[0], wrapped=role == "wrapped", centred=role == "number")
        return formats[key]

    header_style = package.add_heading_format(HEADER_TEXT, HEADER_FILL)
    whole_dxf = package.add_number_dxf("0")
    columns: list[list[tuple[int | None, int | None, int | None]]] = [
        [(format_of(number, "number"), format_of(date, "date") if date else None,
          format_of(None, "wrapped" if wrapped else "text"))
         for (number, date), (_, wrapped) in zip(table.number_formats(), table.print_widths())]
        for table in tables]
    return TableStyles(header_style, whole_dxf, columns)


def place(package: WorkbookParts, tables: list[TableSheet], styles: TableStyles | None = None,
          rows: list[bytes] | None = None) -> None:
    """Each table's sheet and table part in place of the sheet of the same name (made empty by xlsxwriter,
    so that the workbook lists it in order, with its print titles). ``styles``: the tables' formats, if
    ``add_table_styles`` has added them already; ``rows``: each table's ``TableSheet.rows``, if written already
    (by ``table_work``)."""
    sheets = dict(package.sheets())
    kind = SHEETML + "table+xml"
    taken = [int(ElementTree.fromstring(package.parts[p]).get("id") or 0) for p in package.parts_of_type(kind)]
    if styles is None:
        styles = add_table_styles(package, tables)
    for n, (table_id, table) in enumerate(enumerate(tables, start=max(taken, default=0) + 1)):
        part, table_part = sheets[table.name], package.free_name("xl/tables/table{}.xml")
        package.put(table_part, table.table(table_id), kind)
        package.drop_relationships(part)  # the whole sheet is replaced: nothing of the old one is kept
        rid = package.relate(part, "table", table_part)
        package.put(part, table.worksheet(styles.columns[n], rid, styles.header, styles.whole_dxf,
                                          None if rows is None else rows[n]))


# -- the printed layout -----------------------------------------------------------------------------------

def page_header(sheet: str, scale: int) -> tuple[str, str]:
    """The page header (the roll-up's title, the sheet's name) and footer (the page number) of a sheet printed at
    ``scale`` per cent, in Excel's codes: in type as large as it takes to print at 8 points (a header is scaled
    with its sheet)."""
    size = style.header_size(scale)
    return style.page_header(TITLE, sheet, size), style.page_footer(style.PAGE_NUMBERS, size)


def header_footer(sheet: str, scale: int) -> str:
    """``page_header`` as a worksheet's <oddHeader> and <oddFooter>."""
    header, footer = page_header(sheet, scale)
    return f"<oddHeader>{escape(header)}</oddHeader><oddFooter>{escape(footer)}</oddFooter>"


def shown_length(value: object, date_format: str | None) -> int:
    """How many characters a value shows in its cell: a date in ``date_format``, a number with up to ten
    digits (as General shows it), true/false as TRUE/FALSE."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dt.datetime):
        return len(date_format or DATE_FORMAT)
    if isinstance(value, bool):
        return 5
    return min(len(f"{value:.10G}"), 11)


def longest_word(text: str) -> int:
    """The longest part of ``text`` a line cannot break (breaks at spaces and after hyphens and slashes)."""
    return max((len(w) for w in re.split(r"\s+|(?<=[-/])", text)), default=0)


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes wrapped in a column ``width`` characters wide: its words laid greedily on
    each line (a word too long for a line is broken), ``CHARACTERS`` characters of text to a character of the
    width (a width's character is a digit's, wider than most letters)."""
    room = max(int(width * CHARACTERS) - 1, 1)
    if len(text) <= room and "\n" not in text:  # most texts: one line
        return 1
    total = 0
    for paragraph in text.split("\n"):
        lines, used = 1, 0
        for word in paragraph.split():
            n = len(word)
            if used and used + 1 + n <= room:
                used += 1 + n
                continue
            lines += used > 0  # the word starts a line, and takes more if it is too long for one
            lines += (n - 1) // room
            used = n - (n - 1) // room * room
        total += lines
    return max(total, 1)


def print_widths(header: list[str], columns: list[list], date_formats: list[str | None],
                 page: bool = True) -> list[tuple[float, bool]]:
    """Each column's width in characters and whether it wraps, so that the table's columns fit across the page
    at PRINT_SCALE. A column is as wide as its heading (bold, never broken) and, if there is room, its longest
    value; numbers and dates always get their whole width (a number cut short shows ###). If the columns do not
    fit, texts wrap: the fewest lines that most rows' texts can wrap to in widths that fit the page is found,
    each column made as wide as its texts need for it (at least its heading and a long word), and what is left
    of the page shared by how much text each column holds, never wider than its longest value or LONGEST.
    Columns that do not print (not ``page``) are as wide as their longest value, at most LONGEST, and never wrap."""
    budget = PAGE_PIXELS / PIXELS - len(header) * 5 / PIXELS
    facts: list[tuple[float, float, float, float, float]] = []
    longests: list[float] = []
    for name, values, date_format in zip(header, columns, date_formats):
        sample = values[:SAMPLE]
        distinct = list(dict.fromkeys(sample))
        heading = math.ceil(len(name) * BOLD) + 1
        others = [shown_length(v, date_format) for v in distinct if v is not None and not isinstance(v, str)]
        fixed = max([heading, *(n + 2 for n in others)])  # numbers and dates never wrap
        lengths = sorted(len(v) for v in sample if isinstance(v, str))
        longest = max([fixed, *(n + 2 for n in lengths[-1:])])
        natural = min(longest, LONGEST)
        least = min(natural, max([fixed, 8, *(min(longest_word(t), WORD) + 2 for t in distinct if isinstance(t, str))]))
        typical = lengths[len(lengths) * 9 // 10] if lengths else 0  # nine rows in ten are no longer
        weight = sum(lengths) / max(len(sample), 1)
        facts.append((natural, least, min(fixed, natural), typical, weight))
        longests.append(longest)
    widths: list[float] = [natural for natural, *_ in facts]
    if sum(widths) <= budget or not page:  # (a text longer than LONGEST wraps in a printed column)
        return [(w, page and w < longest) for w, longest in zip(widths, longests)]
    for lines, hard in [(n, False) for n in range(1, 40)] + [(n, True) for n in range(1, 80)]:
        # (long words whole, then if need be broken: a column is then at least as wide as its heading)
        widths = [min(natural, max(fixed if hard else least, typical / lines * 1.15 + 2))
                  for natural, least, fixed, typical, _ in facts]
        if sum(widths) <= budget:
            break
    spare = budget - sum(widths)
    open_ = [c for c, (natural, *_) in enumerate(facts) if widths[c] < natural]
    while spare > 0.5 and open_:  # what is left of the page, by how much text each column holds
        total = sum(facts[c][4] for c in open_)
        for c in open_:
            widths[c] = min(widths[c] + spare * (facts[c][4] / total if total else 1 / len(open_)), facts[c][0])
        spare = budget - sum(widths)
        open_ = [c for c in open_ if widths[c] < facts[c][0]]
    return [(round(w, 1), w < longest) for w, longest in zip(widths, longests)]


def _stored(characters: float) -> str:
    """A width in characters as Excel stores it, with the padding of its default font."""
    return str(int((characters * PIXELS + 5) / PIXELS * 256) / 256)


def _attribute(text: str) -> str:
    return '"' + escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'
