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
from dataclasses import dataclass
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from ..cell_text import t_element
from ..cells import column_letters
from .parts import SHEETML, Package

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
DATE_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0%"
# by column; a column holding dates gets DATE_FORMAT. Ratings have one decimal because LibreOffice formats a
# PivotTable's averages with the format of the source column (Excel uses the pivot's own number format);
# they are shown as the whole numbers they are by a conditional format, which the pivot does not take
NUMBER_FORMATS = {"response_rate": PERCENT_FORMAT, "rating": "0.0"}
WHOLE_NUMBERS = ("rating",)
WIDTHS = {"capability": 50, "comment": 45, "question": 50, "answer": 45, "detail": 40, "message": 90,
          "component_text": 60, "reason": 70, "sha256": 20, "source_file": 40, "saved_at": 17}
STYLE = "TableStyleMedium2"
# the header cells' own format, drawn over the table style's (white on its blue is 4.0:1, short of WCAG's 4.5:1;
# LibreOffice draws no table style at all): white bold text on navy, as the roll-up's other headings
HEADER_TEXT, HEADER_FILL = "FFFFFF", "1F3864"
TEXT_OF_DIGITS = ("cycle",)  # text columns that often hold digits: Excel is told not to flag them as numbers
LETTER = 1  # paperSize: US Letter, as every sheet of the roll-up prints
# a table prints at a readable size over as many pages wide as it needs (its header row and first column on
# each), a row's pages one after another: fitted to one page wide, a wide table printed at a third of its size
PRINT_SCALE = 80
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
    (whole numbers as int)."""
    if missing(value):
        return None
    if isinstance(value, (str, bool, dt.datetime)):
        return value
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


def cell(value, number_style: str = "", date_style: str = "") -> str:
    """One value's whole cell, without a reference (``'<c t="b"><v>1</v></c>'``). A number has
    ``number_style`` and a date ``date_style`` (each ``' s="n"'`` or ""); text and true/false none; a blank
    the column's own style (its date style if it has one), as a cell never written would show."""
    if value is None:
        return f"<c{date_style or number_style}/>"
    if isinstance(value, str):
        return text_cell(value)
    if isinstance(value, bool):
        return f'<c t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        return f"<c{date_style}><v>{serial(value):.16G}</v></c>"
    return f"<c{number_style}><v>{value:.16G}</v></c>"


def rows_xml(columns: list[list], styles: list[tuple[str, ...]], first_row: int = 2) -> str:
    """The <row> elements of a table's values from ``first_row``. ``columns``: each column's values (None,
    text, True/False, a datetime or a number); ``styles``: each column's number and date style (``cell``).

    Cells carry no reference (OOXML's ``r`` is optional): every row lists all its cells, blanks too, so a
    cell's place in its row is its column. Each distinct value of a column is written once and the rows
    are joined from those cells, a state-wide table's ~300,000 cells without formatting each one."""
    width, count = len(columns), len(columns[0]) if columns else 0
    parts = [""] * (count * (width + 2))
    parts[::width + 2] = [f'<row r="{n}">' for n in range(first_row, first_row + count)]
    for c, (values, style) in enumerate(zip(columns, styles), start=1):
        parts[c::width + 2] = each_distinct(lambda value, style=style: cell(value, *style), values)
    parts[width + 1::width + 2] = ["</row>"] * count
    return "".join(parts)


# -- a table and its sheet ----------------------------------------------------------------------------

@dataclass
class TableSheet:
    """One Excel Table on a sheet of the same name: header in row 1, the values below."""
    name: str
    header: list[str]
    columns: list[list]  # each column's values, as ``as_written``

    @classmethod
    def of(cls, name: str, frame) -> "TableSheet":
        return cls(name, [str(c) for c in frame.columns], [written_column(frame[c]) for c in frame.columns])

    @property
    def last_row(self) -> int:
        """The table's last row (1-based): an empty table keeps one blank row, as Excel does."""
        return max(len(self.columns[0]) if self.columns else 0, 1) + 1

    @property
    def ref(self) -> str:
        return f"A1:{column_letters(len(self.header))}{self.last_row}"

    def number_formats(self) -> list[tuple[str | None, str | None]]:
        """Each column's format for numbers (its own, in ``NUMBER_FORMATS``) and for dates (DATE_FORMAT if it
        holds any), or None."""
        return [(NUMBER_FORMATS.get(name),
                 DATE_FORMAT if any(issubclass(t, dt.datetime) for t in set(map(type, values))) else None)
                for name, values in zip(self.header, self.columns)]

    def worksheet(self, styles: list[tuple[int | None, ...]], table_rid: str,
                  header_style: int | None = None, whole_dxf: int | None = None) -> bytes:
        """The sheet's whole part. ``styles``: each column's cell-format index for numbers and for dates (for
        ``number_formats``), or None; ``table_rid``: the id of the sheet's relationship to its table part;
        ``header_style``: the cell-format index of the header row, if it has one; ``whole_dxf``: the differential
        format showing the ``WHOLE_NUMBERS`` columns without decimals."""
        # a column's own format also applies to what is typed below the table
        cols = "".join(f'<col min="{c}" max="{c}" width="{_width(name, values)}"'
                       + (f' style="{date if date is not None else number}"'
                          if (date, number) != (None, None) else "") + ' customWidth="1"/>'
                       for c, (name, values, (number, date)) in enumerate(zip(self.header, self.columns, styles),
                                                                          start=1))
        own = f' s="{header_style}"' if header_style is not None else ""
        header = '<row r="1">' + "".join(text_cell(name, own) for name in self.header) + "</row>"
        rows = rows_xml(self.columns, [tuple(f' s="{s}"' if s is not None else "" for s in pair) for pair in styles])
        sheet_title = escape(self.name.replace("&", "&&"))  # a single & starts a header code
        return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f'<worksheet xmlns="{MAIN}" xmlns:r="{REL}">'
                f'<dimension ref="{self.ref}"/>'
                '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft"'
                ' state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>'
                f'<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>{header}{rows}</sheetData>'
                f'{self.whole_numbers(whole_dxf)}'
                '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/>'
                f'<pageSetup paperSize="{LETTER}" scale="{PRINT_SCALE}" pageOrder="overThenDown" orientation="landscape"/>'
                f'<headerFooter><oddHeader>&amp;L&amp;8{escape(TITLE)}&amp;R&amp;8{sheet_title}</oddHeader>'
                '<oddFooter>&amp;C&amp;8Page &amp;P of &amp;N</oddFooter></headerFooter>'
                f'{self.ignored_errors()}'
                f'<tableParts count="1"><tablePart r:id="{table_rid}"/></tableParts></worksheet>').encode("utf-8")

    def whole_numbers(self, dxf: int | None) -> str:
        """``<conditionalFormatting>`` showing each number of the ``WHOLE_NUMBERS`` columns with the differential
        format ``dxf`` (no decimals), down to the sheet's last row; "" if it has none of them or no ``dxf``."""
        rules = [f'<conditionalFormatting sqref="{letters}2:{letters}1048576"><cfRule type="expression"'
                 f' dxfId="{dxf}" priority="{n}"><formula>ISNUMBER({letters}2)</formula></cfRule></conditionalFormatting>'
                 for n, letters in enumerate([column_letters(c) for c, name in enumerate(self.header, start=1)
                                              if name in WHOLE_NUMBERS], start=1)]
        return "".join(rules) if dxf is not None else ""

    def ignored_errors(self) -> str:
        """``<ignoredErrors>`` telling Excel that the digits in ``TEXT_OF_DIGITS`` columns are text on purpose
        (a cycle may be ``2026`` or ``2026-spring``), down to the sheet's last row; "" if it has none."""
        refs = [f"{letters}2:{letters}1048576" for c, name in enumerate(self.header, start=1)
                if name in TEXT_OF_DIGITS for letters in [column_letters(c)]]
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


def place(package: Package, tables: list[TableSheet]) -> None:
    """Each table's sheet and table part in place of the sheet of the same name (made empty by xlsxwriter,
    so that the workbook lists it in order, with its print titles)."""
    sheets = dict(package.sheets())
    kind = SHEETML + "table+xml"
    taken = [int(ElementTree.fromstring(package.parts[p]).get("id") or 0) for p in package.parts_of_type(kind)]
    formats: dict[str | None, int] = {}
    header_style = package.add_heading_format(HEADER_TEXT, HEADER_FILL)
    whole_dxf = package.add_number_dxf("0")
    for table_id, table in enumerate(tables, start=max(taken, default=0) + 1):
        codes = table.number_formats()
        for code in [code for pair in codes for code in pair]:
            if code is not None and code not in formats:
                formats[code] = package.add_cell_format(code)
        part, table_part = sheets[table.name], package.free_name("xl/tables/table{}.xml")
        package.put(table_part, table.table(table_id), kind)
        package.drop_relationships(part)  # the whole sheet is replaced: nothing of the old one is kept
        rid = package.relate(part, "table", table_part)
        package.put(part, table.worksheet([tuple(formats.get(code) for code in pair) for pair in codes], rid,
                                          header_style, whole_dxf))


def _width(column: str, values: list) -> str:
    """A column's width in characters, as Excel stores it (with the padding of its default font): as wide as its
    heading and its longest text or number, at most its width in ``WIDTHS`` (40 for the others)."""
    shown = {str: len, dt.datetime: lambda v: len(DATE_FORMAT)}
    longest = max([len(column)] + [shown.get(type(v), lambda v: 10)(v) for v in dict.fromkeys(values[:5000])])
    characters = min(longest + 2, WIDTHS.get(column, 40))
    return str(int((characters * 7 + 5) / 7 * 256) / 256)


def _attribute(text: str) -> str:
    return '"' + escape(text, {'"': "&quot;", "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}) + '"'
