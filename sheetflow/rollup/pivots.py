"""Native PivotTables over the roll-up's Excel Tables, added to the workbook's package as new parts.

XlsxWriter cannot write pivot tables, and loading the workbook into openpyxl to add them would
rewrite every part: it drops the cached results of the summary formulas (so readers that do not
recalculate would see blanks) and loses chart details. So ``add_pivots`` adds, per source table,
a ``pivotCacheDefinition`` (source ``<worksheetSource name="Responses"/>``, the table's name, as
Excel writes it, so rows added to the table are taken in on refresh; ``refreshOnLoad="1"``) with
full ``pivotCacheRecords``, and per pivot a new worksheet holding a ``pivotTableDefinition``
(Excel's compact layout: a title and what the rows and columns are in rows 1-2, two report
filters in rows 3-4, the table from row 6) whose cells already carry the values computed here, so
a viewer that never refreshes still shows the right numbers.
As in Excel's own files, text and axis fields have shared items (matched regardless of case, as
Excel and LibreOffice group them) and other numbers are inline in the records. The parts follow
the element order of the ECMA-376 schema; they are registered through ``parts.WorkbookParts``.

LibreOffice (tests/test_pivots.py) resolves the table name to the table's range when it opens
the file and computes every pivot from that range, so rows added to the table before opening
are in its pivots. It never shows our cached records, with or without ``refreshOnLoad``. Saving
from LibreOffice replaces the table source with a fixed ``ref``/``sheet`` range and drops
``refreshOnLoad``.

Only Excel can confirm: that it opens the file without a repair prompt, that it honours
``refreshOnLoad`` (it should refresh on open, except in Protected View, where the values written
here show until editing is enabled), and that the captions written into the cells match what its
refresh draws. Those captions are a board's words, as Excel writes them when a user renames a
pivot's fields: ``rowHeaderCaption`` and ``colHeaderCaption`` in place of "Row Labels" and "Column
Labels", and a field's own ``name`` where it differs from every source column's (a name that only
differs in case from a column's, "Region" for ``region``, is one Excel refuses). LibreOffice (7.4)
reads none of these and labels its pivots with the source columns' names; it does show the data
field's name ("Average rating"). docProps/app.xml still lists only the
original sheets; Excel does not check that list and rewrites it on save.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from xml.sax.saxutils import escape

from ..cells import column_letters
from .parts import MAIN, REL, SHEETML, WorkbookParts
from .. import style as page_style
from .table_sheets import HEADER_FILL as TITLE_COLOUR, HEADER_TEXT, each_distinct, header_footer

TOP = 6  # first row of each pivot: its title and what its rows and columns are in rows 1-2, its report
# filters (page fields) in rows 3-4, as Excel and LibreOffice place them: right above the table, one row apart
HEAD = 2
FIGURE = 6  # characters: the narrowest column
MARGIN = 0.2  # inches, left and right
SMALLEST_SCALE = 73  # per cent: 11-point text prints at 8 points
FITTED = 1.15  # LibreOffice widens a pivot's columns to its own measure of their text, about this much wider
AVERAGE_FORMAT = "0.0"
# LibreOffice lays a pivot's cells out in the cell styles of these names, the workbook's own when it has them:
# its headings (row and column labels alike), figures and totals all left-aligned, so that each figure is under
# its heading (its own styles put text headings left and figures right)
ALIGNED_STYLES = ("Pivot Table Category", "Pivot Table Value", "Pivot Table Result")
BOLD = 1.1  # a bold text is about this much wider than a regular one
# what may follow <pivotCaches> in a workbook (CT_Workbook)
AFTER_PIVOT_CACHES = ("smartTagPr", "smartTagTypes", "webPublishing", "fileRecoveryPr", "webPublishObjects", "extLst")
# the grand-total key (pickled as itself, for ``table_work``'s process)
ALL = type("GrandTotal", (), {"__repr__": lambda self: "ALL", "__reduce__": lambda self: "ALL"})()
# what the board reads for a source column on a pivot's axis or filter
CAPTIONS = {"organization": "Organization", "area": "Component area", "capability": "Capability",
            "item": "Capability number",
            "rating": "Rating", "region": "Region", "cycle": "Cycle", "element_name": "Key element",
            "lead_organization": "Lead organization"}


@dataclass(frozen=True)
class Pivot:
    sheet: str
    table: str
    rows: str
    cols: str
    data: str
    func: str  # "average" or "count"
    caption: str
    filters: tuple[str, str] = ("region", "cycle")  # a field can be on one axis only


PIVOTS = (
    Pivot("Pivot - Ratings by area", "Responses", "organization", "area", "rating", "average", "Average rating"),
    # by the capability's number: its text (up to 176 characters) would take the page's width at a readable size;
    # the Rating distribution sheet lists each with its number
    Pivot("Pivot - Rating counts", "Responses", "item", "rating", "rating", "count", "Number of ratings"),
    Pivot("Pivot - Actions", "Actions", "element_name", "region", "response_id", "count", "Number of actions",
          ("lead_organization", "cycle")),
)


CYCLE = "cycle"  # the page field each pivot opens filtered on: the cycle in view


@dataclass
class PivotData:
    """What the PivotTables take from their source tables."""
    caches: dict  # table -> (header, shared items per field, cache definition, cache records)
    values: list  # each pivot's {(row key, column key): value}, as ``pivot_values``, of the records in view
    shown: list  # each pivot's (row items, column items) that have records in view, in shared-item order
    cycle: str | None = None  # the cycle every pivot opens filtered to (None: every record)


def pivot_data(pivots, tables: dict, cycle: str | None = None) -> PivotData:
    """``tables``: table name -> a table with ``header`` and ``columns`` (each column a list of its values).
    ``cycle``: the cycle in view; each pivot's figures are those of its records of that cycle, as Excel
    shows a pivot whose Cycle filter is set to it."""
    caches, columns_of = {}, {}
    for table in dict.fromkeys(p.table for p in pivots):
        header, raw = tables[table].header, tables[table].columns
        columns = {f: each_distinct(_cleaned, values) for f, values in zip(header, raw)}
        count = len(raw[0]) if raw else 0
        if not count:  # as Excel writes it: an empty table keeps one blank row, so its cache one blank record
            columns, count = {f: [None] for f in header}, 1
        axes = {f for p in pivots if p.table == table for f in (p.rows, p.cols, *p.filters)}
        # as Excel does: shared items for text and axis fields, other numbers inline in the records
        items = {f: _distinct(v) for f, v in columns.items()
                 if f in axes or not all(issubclass(t, (int, float)) for t in set(map(type, v)))}
        caches[table] = (list(header), items, _cache_definition(table, columns, count, items).encode(),
                         _cache_records(columns, count, items).encode())
        columns_of[table] = columns
    values, shown = [], []
    for p in pivots:
        items = caches[p.table][1]
        columns = in_view(columns_of[p.table], cycle if filtered(p, items, cycle) else None)
        values.append(pivot_values(p, columns))
        present = {f: {_key(v) for v in columns[f]} for f in (p.rows, p.cols)}
        shown.append(tuple([v for v in items[f] if _key(v) in present[f]] for f in (p.rows, p.cols)))
    return PivotData(caches, values, shown, cycle)


def filtered(p: Pivot, items: dict, cycle: str | None) -> bool:
    """Whether pivot ``p`` opens filtered to ``cycle``: it has the Cycle filter and its table that cycle
    (a table with no rows has one blank record, as Excel writes it, and no filter)."""
    return cycle is not None and CYCLE in p.filters and _key(cycle) in {_key(v) for v in items.get(CYCLE, [])}


def in_view(columns: dict, cycle: str | None) -> dict:
    """The records of ``columns`` (field -> values) whose cycle is ``cycle`` (all when None), as Excel's page
    filter keeps them (regardless of case)."""
    if cycle is None or CYCLE not in columns:
        return columns
    keep = [i for i, v in enumerate(columns[CYCLE]) if _key(v) == _key(cycle)]
    return {f: [values[i] for i in keep] for f, values in columns.items()}


@dataclass(frozen=True)
class PivotStyles:
    """The PivotTables' formats in the workbook's styles (``add_pivot_styles``): the averages' cell format and
    number format, the title's and the note's cell formats."""
    number: tuple[int, int]
    heading: tuple[int, int]


def add_pivot_styles(package: WorkbookParts) -> PivotStyles:
    """Add the formats the PivotTables use to the workbook's styles (done by ``add_pivots`` unless given: the
    roll-up adds them first, so that the data tables' formats, added next, have their indexes before the
    PivotTables are written)."""
    number = (package.add_cell_format(AVERAGE_FORMAT), package.number_format(AVERAGE_FORMAT))
    # the title and the note under it wrap within the columns of the pivot's first page (``_worksheet``)
    heading = (package.add_heading_format(TITLE_COLOUR, HEADER_TEXT, wrapped=True),
               package.add_cell_format("General", wrapped=True))
    for name in ALIGNED_STYLES:
        package.add_cell_style(name, "left")
    return PivotStyles(number, heading)


def add_pivots(package: WorkbookParts, pivots, tables: dict, cycle: str | None = None,
               styles: PivotStyles | None = None, data: PivotData | None = None) -> None:
    """Add the PivotTables to a workbook package, each on a new sheet placed before the first source
    table's sheet (``tables``: as for ``pivot_data``; each table is on the sheet of its name), each opening
    filtered to ``cycle`` (its Cycle page field set to it; its title names it). ``styles``: their formats,
    if ``add_pivot_styles`` has added them already; ``data``: ``pivot_data`` of them, if worked out already."""
    book = package.workbook
    root = package.root(book)
    if root.getElementsByTagNameNS(MAIN, "pivotCaches"):
        raise ValueError("the workbook already has pivot tables")
    if data is None:
        data = pivot_data(pivots, tables, cycle)
    if styles is None:
        styles = add_pivot_styles(package)
    number_style, heading_styles = styles.number, styles.heading
    holder = package.element(book, "pivotCaches")
    definitions = {}
    for cache_id, (table, (_, _, definition, records)) in enumerate(data.caches.items(), start=1):
        definitions[table] = package.free_name("xl/pivotCache/pivotCacheDefinition{}.xml")
        records_part = package.free_name("xl/pivotCache/pivotCacheRecords{}.xml")
        package.put(definitions[table], definition, SHEETML + "pivotCacheDefinition+xml")
        package.put(records_part, records, SHEETML + "pivotCacheRecords+xml")
        package.drop_relationships(definitions[table])  # a new part: its records are its relationship rId1
        package.relate(definitions[table], "pivotCacheRecords", records_part)
        rid = package.relate(book, "pivotCacheDefinition", definitions[table])
        holder.appendChild(package.element(book, "pivotCache", rid=rid, cacheId=str(cache_id)))
    following = [e for e in root.childNodes if e.nodeType == e.ELEMENT_NODE and e.localName in AFTER_PIVOT_CACHES]
    root.insertBefore(holder, following[0] if following else None)

    cache_ids = {table: c for c, table in enumerate(data.caches, start=1)}
    at = [name for name, _ in package.sheets()].index(pivots[0].table)
    for n, (p, values, shown) in enumerate(zip(pivots, data.values, data.shown), start=1):
        header, items, _, _ = data.caches[p.table]
        page = data.cycle if filtered(p, items, data.cycle) else None
        table_xml, cells = _pivot(p, n, cache_ids[p.table], header, items, values, number_style, shown, page)
        cells.update(_heading(p, heading_styles, page))
        table_part = package.free_name("xl/pivotTables/pivotTable{}.xml")
        package.put(table_part, table_xml.encode(), SHEETML + "pivotTable+xml")
        package.relate(table_part, "pivotCacheDefinition", definitions[p.table])
        sheet_part = package.free_name("xl/worksheets/sheet{}.xml")
        package.add_sheet(p.sheet, sheet_part, _worksheet(cells, p.sheet).encode(), before=at + n - 1)
        package.add_print_titles(at + n - 1, p.sheet, "$A:$A")  # the row labels on each page a wide pivot takes
        package.relate(sheet_part, "pivotTable", table_part)


def _cleaned(value):
    """A source value as the cache holds it: text as it is, anything else ``_clean``."""
    return value if type(value) is str and value else _clean(value)


def _clean(value):
    """A cache value: None (blank), a number or a string."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return None if value != value else value
    return str(value)


def _key(value):
    """Excel and LibreOffice group pivot items regardless of case."""
    return value.lower() if isinstance(value, str) else value


def _distinct(values) -> list:
    """Shared items: numbers ascending, then text in the order it first appears, then blank."""
    first: dict[object, object] = {}
    for value in dict.fromkeys(values):  # each value once, in order: the first of each key is unchanged
        first.setdefault(value.lower() if type(value) is str else _key(value), value)
    seen = list(first.values())
    return (sorted(v for v in seen if isinstance(v, (int, float))) + [v for v in seen if isinstance(v, str)]
            + [None] * (None in seen))


# -- XML ----------------------------------------------------------------------------------------------
_BAD = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _attr(value) -> str:
    # plain replacements: a cache holds an attribute per distinct value, and saxutils.escape with extra
    # entities costs three times as much
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    if not text.isprintable():  # characters XML cannot hold, and breaks and tabs, are rare
        text = _BAD.sub("", text).replace("\n", "&#10;").replace("\r", "&#13;").replace("\t", "&#9;")
    return '"' + text + '"'


def _num(value) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _item(value) -> str:
    if value is None:
        return "<m/>"
    return f'<s v={_attr(value)}/>' if isinstance(value, str) else f'<n v="{_num(value)}"/>'


def _head(tag, **attrs) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{tag} xmlns="{MAIN}" xmlns:r="{REL}"'
            + "".join(f' {k.replace("__", ":")}="{v}"' for k, v in attrs.items()) + ">")


def _shared_items(values, items) -> str:
    """``<sharedItems>`` with the type flags Excel writes, and the items if the field has them."""
    distinct = set(values)  # the flags depend only on which values occur
    texts = [v for v in distinct if isinstance(v, str)]
    numbers = [v for v in distinct if isinstance(v, (int, float))]
    blank = None in distinct
    flags: dict[str, object] = {}
    if not texts:
        flags.update({} if blank else {"containsSemiMixedTypes": 0}, containsString=0)
    if blank:
        flags["containsBlank"] = 1
    if texts and numbers:
        flags["containsMixedTypes"] = 1
    if numbers:
        flags["containsNumber"] = 1
        if all(float(v).is_integer() for v in numbers):
            flags["containsInteger"] = 1
        flags.update(minValue=_num(min(numbers)), maxValue=_num(max(numbers)))
    if any(len(v) > 255 for v in texts):
        flags["longText"] = 1
    if items is None:
        return "<sharedItems" + "".join(f' {k}="{v}"' for k, v in flags.items()) + "/>"
    flags["count"] = len(items)
    return ("<sharedItems" + "".join(f' {k}="{v}"' for k, v in flags.items()) + ">"
            + "".join(_item(v) for v in items) + "</sharedItems>")


def _cache_definition(table, columns: dict, count: int, items) -> str:
    fields = "".join(f'<cacheField name={_attr(name)} numFmtId="0">{_shared_items(values, items.get(name))}</cacheField>'
                     for name, values in columns.items())
    return (_head("pivotCacheDefinition", r__id="rId1", refreshOnLoad=1, createdVersion=6, refreshedVersion=6,
                  minRefreshableVersion=3, recordCount=count)
            + f'<cacheSource type="worksheet"><worksheetSource name={_attr(table)}/></cacheSource>'
            + f'<cacheFields count="{len(columns)}">{fields}</cacheFields></pivotCacheDefinition>')


def _cache_records(columns: dict, count: int, items) -> str:
    """One <r> per record: an index into the field's shared items, or the value itself. Written
    column by column, each distinct value of a field once (a state-wide cycle has ~20,000 records)."""
    written = []
    for field, values in columns.items():
        if field in items:
            index = {_key(v): i for i, v in enumerate(items[field])}
            written.append(each_distinct(lambda v: f'<x v="{index[_key(v)]}"/>', values))
        else:
            written.append(each_distinct(_item, values))
    rows = ("<r>" + "".join(line) + "</r>" for line in zip(*written)) if written else ("<r></r>" for _ in range(count))
    return _head("pivotCacheRecords", count=count) + "".join(rows) + "</pivotCacheRecords>"


def _pivot(p: Pivot, n, cache_id, header, items, values, number_style, shown=None, cycle=None):
    """The pivotTableDefinition, and its cells as Excel lays them out: {(row, col): (value, style)}.
    ``shown``: the row and column items with records in view (default all); ``cycle``: the item the Cycle
    page field is set to (None: all)."""
    rows, cols = shown if shown is not None else (items[p.rows], items[p.cols])
    index = {f: {_key(v): i for i, v in enumerate(items[f])} for f in (p.rows, p.cols)}
    selected = {CYCLE: index_of(items[CYCLE], cycle)} if cycle is not None else {}
    axes = {p.rows: "axisRow", p.cols: "axisCol", **{f: "axisPage" for f in p.filters}}
    named = field_names(header, axes)
    fields = []
    for name in header:
        attrs = ((f' name={_attr(named[name])}' if name in named else "")
                 + (f' axis="{axes[name]}"' if name in axes else "") + (' dataField="1"' if name == p.data else ""))
        if name in axes:
            count = len(items[name])
            listed = "".join(f'<item x="{i}"/>' for i in range(count))
            fields.append(f'<pivotField{attrs} showAll="0"><items count="{count + 1}">{listed}'
                          '<item t="default"/></items></pivotField>')
        else:
            fields.append(f'<pivotField{attrs} showAll="0"/>')

    def axis_items(field, shown_items):
        listed = "".join(f'<i><x v="{i}"/></i>' if i else "<i><x/></i>"
                         for i in (index[field][_key(v)] for v in shown_items))
        return f'count="{len(shown_items) + 1}">{listed}<i t="grand"><x/></i>'

    last_col, last_row = column_letters(len(cols) + 2), TOP + 2 + len(rows)
    fmt = f' numFmtId="{number_style[1]}"' if p.func == "average" else ""
    xml = (_head("pivotTableDefinition", name=f"PivotTable{n}", cacheId=cache_id, applyNumberFormats=0,
                 applyBorderFormats=0, applyFontFormats=0, applyPatternFormats=0, applyAlignmentFormats=0,
                 applyWidthHeightFormats=1, dataCaption="Values", updatedVersion=6, minRefreshableVersion=3,
                 rowHeaderCaption=_attr(caption(p.rows))[1:-1], colHeaderCaption=_attr(caption(p.cols))[1:-1],
                 useAutoFormatting=1, itemPrintTitles=1, createdVersion=6, indent=0, outline=1, outlineData=1,
                 multipleFieldFilters=0)
           + f'<location ref="A{TOP}:{last_col}{last_row}" firstHeaderRow="1" firstDataRow="2" firstDataCol="1"'
             f' rowPageCount="{len(p.filters)}" colPageCount="1"/>'
           + f'<pivotFields count="{len(header)}">{"".join(fields)}</pivotFields>'
           + f'<rowFields count="1"><field x="{header.index(p.rows)}"/></rowFields>'
           + f'<rowItems {axis_items(p.rows, rows)}</rowItems>'
           + f'<colFields count="1"><field x="{header.index(p.cols)}"/></colFields>'
           + f'<colItems {axis_items(p.cols, cols)}</colItems>'
           + f'<pageFields count="{len(p.filters)}">'
           + "".join(f'<pageField fld="{header.index(f)}"' + (f' item="{selected[f]}"' if f in selected else "")
                     + ' hier="-1"/>' for f in p.filters) + "</pageFields>"
           + f'<dataFields count="1"><dataField name={_attr(p.caption)} fld="{header.index(p.data)}"'
             f' subtotal="{p.func}" baseField="0" baseItem="0"{fmt}/></dataFields>'
           + '<pivotTableStyleInfo name="PivotStyleLight16" showRowHeaders="1" showColHeaders="1"'
             ' showRowStripes="0" showColStripes="0" showLastColumn="1"/></pivotTableDefinition>')

    style = number_style[0] if p.func == "average" else None
    label = lambda v: "(blank)" if v is None else v  # noqa: E731
    first = TOP - 1 - len(p.filters)
    cells = {(first + i, 1): (named.get(f, f), None) for i, f in enumerate(p.filters)}
    cells.update({(first + i, 2): (label(cycle) if f in selected else "(All)", None) for i, f in enumerate(p.filters)})
    cells.update({(TOP, 1): (p.caption, None), (TOP, 2): (caption(p.cols), None), (TOP + 1, 1): (caption(p.rows), None),
                  (TOP + 1, len(cols) + 2): ("Grand Total", None), (last_row, 1): ("Grand Total", None)})
    for c, col in enumerate([*cols, ALL], start=2):
        if col is not ALL:
            cells[TOP + 1, c] = (label(col), None)
        for r, row in enumerate([*rows, ALL], start=TOP + 2):
            if row is not ALL:
                cells[r, 1] = (label(row), None)
            if (_key(row), _key(col)) in values:
                cells[r, c] = (values[_key(row), _key(col)], style)
    return xml, cells


def _heading(p: Pivot, styles: tuple[int, int], cycle: str | None = None) -> dict:
    """The pivot's title (naming the cycle it opens filtered to) and what its rows and columns are (with the
    source columns' names, which LibreOffice shows as the pivot's own captions), above its filters:
    {(row, col): (text, style)}; ``styles``: the title's and the note's (each wrapped)."""
    title = f"{p.caption} by {caption(p.rows).lower()} and {caption(p.cols).lower()}"
    title += f", cycle {cycle}" if cycle is not None else ""
    note = (f"Rows: {caption(p.rows)} ({p.rows}). Columns: {caption(p.cols)} ({p.cols}). "
            f"From the {p.table} table" + (f", filtered to cycle {cycle} (the Cycle filter above shows every "
                                           "cycle the table holds)." if cycle is not None else ".")
            + (" Each capability's number and text are listed on the Rating distribution sheet."
               if "item" in (p.rows, p.cols) else ""))
    return {(1, 1): (title, styles[0]), (2, 1): (note, styles[1])}


def index_of(items: list, value) -> int:
    """The position of ``value`` among a field's shared items (as Excel compares them, regardless of case)."""
    return [_key(v) for v in items].index(_key(value))


def caption(field: str) -> str:
    """A source column's caption on a pivot (the column's name if it has none in ``CAPTIONS``)."""
    return CAPTIONS.get(field, field)


def field_names(header: list[str], fields) -> dict:
    """{field: its own name} for the ``fields`` whose caption Excel takes as a field name: one that is not, in any
    case, the name of a source column (Excel refuses a field name that is already one)."""
    taken = {name.lower() for name in header}
    return {f: caption(f) for f in fields if caption(f).lower() not in taken}


def pivot_values(p: Pivot, columns: dict) -> dict:
    """{(row key, column key): value} (keys as ``_key``), ALL for the totals; absent where there is no data.
    ``columns``: the source table's cleaned values, by field."""
    average = p.func == "average"
    keys = {v: _key(v) for v in (*dict.fromkeys(columns[p.rows]), *dict.fromkeys(columns[p.cols]))}
    totals: defaultdict[tuple, float] = defaultdict(int)
    counts: defaultdict[tuple, int] = defaultdict(int)
    for row, col, value in zip(columns[p.rows], columns[p.cols], columns[p.data]):
        if value is None or (average and not isinstance(value, (int, float))):
            continue
        cell = (keys[row], keys[col])
        counts[cell] += 1
        if average:
            totals[cell] += value
    for row, col in list(counts):  # the totals, from the cells
        for key in ((row, ALL), (ALL, col), (ALL, ALL)):
            counts[key] += counts[row, col]
            totals[key] += totals[row, col]
    return {key: totals[key] / n if average else n for key, n in counts.items()}


def _widths(cells) -> dict[int, float]:
    """Each column's width in characters: as wide as its longest label or figure (LibreOffice lays a pivot's
    cells out itself and never wraps them: a label wider than its column is cut by the next one)."""
    shown = {key: value for key, (value, _) in cells.items() if key[0] > HEAD}  # the heading runs on to the right
    return {c: max([FIGURE, *(len(v if isinstance(v, str) else f"{v:.1f}") + 1 for (r, k), v in shown.items()
                              if k == c)])
            for c in range(1, max(c for _, c in cells) + 1)}


def print_scale(widths) -> int:
    """The scale at which the columns fit across a Letter landscape page, never under SMALLEST_SCALE (11-point
    text at 8 points or more); a pivot wider than that prints over two pages across."""
    return page_style.print_scale(_room(), _pixels(widths), SMALLEST_SCALE)


def _room() -> float:
    """Pixels across a Letter landscape page between the margins, at 100%."""
    return (page_style.page_inches(True)[0] - 2 * MARGIN) * page_style.DPI


def _pixels(widths) -> float:
    """Pixels the columns ``widths`` take as LibreOffice draws a pivot's."""
    return sum(w * 7 + 5 for w in widths.values()) * FITTED


def heading_columns(widths) -> int:
    """How many columns the title and the note span: all the pivot's when it prints one page across; column A
    (which each page repeats) when it prints over more, so that they print whole on every page."""
    return len(widths) if page_style.scale_to_fit(_room(), _pixels(widths)) >= SMALLEST_SCALE else 1


def _heading_rows(cells, widths) -> tuple[str, dict[int, float]]:
    """The ``<mergeCells>`` over the heading's columns and the heights (points) of the heading's rows, as
    high as their wrapped text (neither Excel nor LibreOffice fits a row to its text on opening)."""
    span = heading_columns(widths)
    width = sum(widths[c] for c in range(1, span + 1)) * FITTED
    heights: dict[int, float] = {}
    for r in range(1, HEAD + 1):
        text = cells.get((r, 1), ("", None))[0]
        lines = -(-len(text) * (BOLD if r == 1 else 1) // max(width - 2, 1))
        heights[r] = 15 * max(1, int(lines))
    merged = (f'<mergeCells count="{HEAD}">' + "".join(f'<mergeCell ref="A{r}:{column_letters(span)}{r}"/>'
                                                         for r in range(1, HEAD + 1)) + "</mergeCells>"
              if span > 1 else "")
    return merged, heights


def _worksheet(cells, sheet: str) -> str:
    """The pivot's sheet: its cells as written by ``_pivot``, columns wide enough for their labels, printed
    like every other sheet (US Letter landscape, one page wide, the roll-up's header and page numbers)."""
    by_row = defaultdict(list)
    for (r, c), value in sorted(cells.items()):
        by_row[r].append((c, *value))
    widths = _widths(cells)
    scale = print_scale(widths)
    merged, heights = _heading_rows(cells, widths)
    rows = []
    for r, row in sorted(by_row.items()):
        out = []
        for c, value, style in row:
            ref, s = f"{column_letters(c)}{r}", f' s="{style}"' if style is not None else ""
            if isinstance(value, str):
                out.append(f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">'
                           f'{escape(_BAD.sub("", value))}</t></is></c>')
            else:
                out.append(f'<c r="{ref}"{s}><v>{_num(value)}</v></c>')
        high = f' ht="{heights[r]}" customHeight="1"' if r in heights else ""
        rows.append(f'<row r="{r}"{high}>{"".join(out)}</row>')
    last = max(r for r, _ in cells), max(c for _, c in cells)
    cols = "".join(f'<col min="{c}" max="{c}" width="{width + 5 / 7:.2f}" customWidth="1"/>'
                   for c, width in widths.items())
    return (_head("worksheet")
            + f'<dimension ref="A1:{column_letters(last[1])}{last[0]}"/>'
            + '<sheetViews><sheetView workbookViewId="0"/></sheetViews><sheetFormatPr defaultRowHeight="15"/>'
            + f'<cols>{cols}</cols><sheetData>{"".join(rows)}</sheetData>{merged}'
            + f'<pageMargins left="{MARGIN}" right="{MARGIN}" top="0.6" bottom="0.6" header="0.25" footer="0.25"/>'
            + f'<pageSetup paperSize="{page_style.LETTER}" scale="{scale}" orientation="landscape"/>'
            + f'<headerFooter>{header_footer(sheet, scale)}</headerFooter></worksheet>')
