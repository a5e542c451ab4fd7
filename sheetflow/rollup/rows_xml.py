"""The roll-up's biggest parts as XML, made from plain values: its tables' rows and its pivot caches.

These take about half the time of writing a state-wide roll-up, and they need only the tables'
values, not the workbook. So they are kept apart from xlsxwriter and pandas: ``render`` runs in a
helper process on the second core while the main process writes the rest of the workbook
(``rollup_xlsx.write``), or in the main process when there is no helper. Either way the bytes are
the same.

Text is always an inline string, never a formula; numbers are numbers; dates are Excel serials.
"""

from __future__ import annotations

import datetime as dt
import re

from ..files import FAST, Deflated
from ..intake.isolation import Helper
from ..cells import column_letters

_ESCAPED_ALREADY = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")
_TEXT_CACHE: dict[str, str] = {}


def text_cell(text: str) -> str:
    """The inline-string body of a cell holding ``text`` (always text, never a formula), as Excel escapes it."""
    found = _TEXT_CACHE.get(text)
    if found is None:
        body = _ESCAPED_ALREADY.sub(r"_x005F\1", text) if "_x" in text else text
        body = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", body)
        body = body.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        space = ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""
        found = f' t="inlineStr"><is><t{space}>{body}</t></is></c>'
        if len(_TEXT_CACHE) < 100_000:
            _TEXT_CACHE[text] = found
    return found


def serial(value: dt.datetime, date_1904: bool) -> float:
    """Excel's serial number for a date and time (1900 system: 1900-03-01 is 61, after the leap-year bug)."""
    epoch = dt.datetime(1904, 1, 1) if date_1904 else dt.datetime(1899, 12, 31)
    delta = value.replace(tzinfo=None) - epoch
    number = delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400
    return number + 1 if not date_1904 and number > 59 else number


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


def cell_bodies(values: list, style: str, date_1904: bool) -> list[str | None]:
    """Each value of a column as its cell's XML after the reference (``' s="3" t="b"><v>1</v></c>'``);
    None for a blank."""
    return each_distinct(lambda value: cell_body(value, style, date_1904), values)


def cell_body(value, style: str, date_1904: bool) -> str | None:
    """One value's cell XML after the reference (see ``cell_bodies``); None for a blank."""
    if value is None:
        return None
    if isinstance(value, str):
        return style + text_cell(value)
    if isinstance(value, bool):
        return f'{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, dt.datetime):
        return f"{style}><v>{serial(value, date_1904):.16G}</v></c>"
    return f"{style}><v>{value:.16G}</v></c>"


def rows_xml(columns: list[list], styles: list[str], date_1904: bool) -> str:
    """The <row> elements of a table's data from row 2 (row 1 is the header). ``columns``: each column's
    values (None, text, True/False, a datetime or a number); ``styles``: each column's ``' s="n"'`` or ""."""
    bodies = [cell_bodies(values, style, date_1904) for values, style in zip(columns, styles)]
    letters = [column_letters(c) for c in range(1, len(columns) + 1)]
    rows = []
    for number, line in enumerate(zip(*bodies), start=2):
        n = str(number)
        rows.append(f'<row r="{n}">' + "".join([f'<c r="{letter}{n}"{body}' for letter, body in zip(letters, line)
                                                 if body is not None]) + "</row>")
    return "".join(rows)


def rows_piece(columns: list[list], styles: list[str], date_1904: bool) -> Deflated:
    """A table's rows, deflated as a piece of its sheet (``Deflated.of(last=False)``)."""
    return Deflated.of(rows_xml(columns, styles, date_1904).encode("utf-8"), last=False, level=FAST)


def render(job: dict) -> dict:
    """What the helper process makes from ``job``: each table's rows (``rows_piece``) and the pivots' data,
    with the pivot caches deflated (the parts are small to send back, and compressed on this core).

    ``job``: {"tables": {name: columns} (tables with no cell styles), "date_1904": bool,
    "pivots": the Pivots to make (may be empty), "sources": {table: (sheet, header, columns)}}.
    """
    from .pivots import pivot_data

    rows = {name: rows_piece(columns, [""] * len(columns), job["date_1904"]) for name, columns in job["tables"].items()}
    pivots = pivot_data(job["pivots"], job["sources"], pack=lambda part: Deflated.of(part, level=FAST)) \
        if job["pivots"] else None
    return {"rows": rows, "pivots": pivots}


def start_helper() -> Helper:
    """A helper process for ``rollup_xlsx.write``: start it early (before ``rollup.build``) so that it is ready."""
    return Helper(render)
