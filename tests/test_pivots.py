"""Native PivotTables in the roll-up: package parts, the values written, and LibreOffice's own results.

Expected figures are computed here from the Responses/Actions tables as openpyxl reads them, not
with sheetflow.rollup.pivots.
"""
import functools
import re
import shutil
import subprocess
import statistics
import zipfile
from collections import defaultdict
from pathlib import Path
from xml.dom import minidom

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from libreoffice import convert
from pivot_cache import as_excel_opens_it
from sheetflow.rollup import tables as rollup
from sheetflow.rollup import workbook as rollup_xlsx
from sheetflow.intake import validate
from sheetflow.rollup.parts import WorkbookParts
from sheetflow.rollup.pivots import PIVOTS, add_pivots
from sheetflow.rollup.table_sheets import TableSheet

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"
TOTAL = "TOTAL"
needs_lo = pytest.mark.libreoffice
EXTRA = {  # rows appended to the tables after the pivots were written, before LibreOffice opens the file
    "Responses": [{"response_id": "extra-1", "cycle": "2026", "region": "North Plains",
                   "organization": "Zeta Test Organization", "area": "Partnerships", "item": 14,
                   "capability": "Added after the pivots were written", "rating": 5},
                  {"response_id": "extra-1", "cycle": "2026", "region": "North Plains",
                   "organization": "Zeta Test Organization", "area": "Organizational Capacity", "item": 1,
                   "capability": "Added after the pivots were written", "rating": 1}],
    "Actions": [{"response_id": "extra-2", "cycle": "2026", "region": "Test Region", "row": 1,
                 "element_name": "Built around great data", "objective": "Added later"}],
}


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("pivots") / "rollup.xlsx"
    rollup_xlsx.write(rollup.build(validate.validate_paths([SAMPLES])), path)  # pivots are on by default
    return path


@pytest.fixture(scope="module")
def extended(workbook, tmp_path_factory):
    path = tmp_path_factory.mktemp("extended") / "extended.xlsx"
    shutil.copy(workbook, path)
    for table, rows in EXTRA.items():
        append_rows(path, table, rows)
    return path


@functools.cache
def load(path):
    return openpyxl.load_workbook(path)


def read_table(path, name):
    wb = load(path)
    ws = next(ws for ws in wb if name in ws.tables)
    cells = [[c.value for c in row] for row in ws[ws.tables[name].ref]]
    return [dict(zip(cells[0], row)) for row in cells[1:]]


def label(value):
    if value in ("Grand Total", "Total Result"):  # Excel's caption, LibreOffice's
        return TOTAL
    return str(int(value)) if isinstance(value, (int, float)) else str(value)


def expected(path, pivot):
    groups = defaultdict(list)
    for record in read_table(path, pivot.table):
        if record[pivot.data] is None:
            continue
        row, col = label(record[pivot.rows]), label(record[pivot.cols])
        for key in ((row, col), (row, TOTAL), (TOTAL, col), (TOTAL, TOTAL)):
            groups[key].append(record[pivot.data])
    aggregate = statistics.mean if pivot.func == "average" else len
    return {key: aggregate(values) for key, values in groups.items()}


def shown(path, pivot):
    """What a pivot sheet shows: {(row label, column label): value}, found below the data caption."""
    ws = load(path)[pivot.sheet]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    top = next(i for i, r in enumerate(rows) if r[0] == pivot.caption)
    captions = {"lead_organization": "Lead organization"}  # LibreOffice shows the column's name, Excel its own
    filters = rows[top - 1 - len(pivot.filters):top - 1]  # right above the table, one row apart
    assert [captions.get(r[0], r[0]) for r in filters] == [captions.get(f, f) for f in pivot.filters]
    header, out = rows[top + 1], {}
    for row in rows[top + 2:]:
        out.update({(label(row[0]), label(h)): v for h, v in zip(header[1:], row[1:])
                    if h is not None and v is not None})
        if label(row[0]) == TOTAL:
            return out
    raise AssertionError(f"no total row on {pivot.sheet}")


def assert_same(got, want):
    assert got.keys() == want.keys()
    for key, value in want.items():
        assert got[key] == pytest.approx(value), key


def append_rows(path, table, rows):
    """Add rows to a table (its sheet's cells and its ref) in the package, leaving every pivot part alone."""
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n) for n in z.namelist()}
    table_part = next(n for n in parts if n.startswith("xl/tables/") and f' name="{table}"'.encode() in parts[n])
    rels = next(n for n in parts if n.startswith("xl/worksheets/_rels/")
                and f'/{Path(table_part).name}"'.encode() in parts[n])
    sheet = "xl/worksheets/" + Path(rels).name.removesuffix(".rels")
    definition = parts[table_part].decode()
    columns = re.findall(r'<tableColumn id="\d+" name="([^"]+)"', definition)
    end, last = re.search(r' ref="A1:([A-Z]+)(\d+)"', definition).groups()
    definition = definition.replace(f':{end}{last}"', f':{end}{int(last) + len(rows)}"')
    xml = ""
    for r, row in enumerate(rows, start=int(last) + 1):
        cells = "".join(f'<c r="{get_column_letter(c)}{r}"><v>{row[name]}</v></c>' if isinstance(row[name], int)
                        else f'<c r="{get_column_letter(c)}{r}" t="inlineStr"><is><t>{row[name]}</t></is></c>'
                        for c, name in enumerate(columns, start=1) if name in row)
        xml += f'<row r="{r}">{cells}</row>'
    parts[table_part] = definition.encode()
    parts[sheet] = parts[sheet].replace(b"</sheetData>", xml.encode() + b"</sheetData>")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)


def test_package_has_real_pivot_parts(workbook):
    with zipfile.ZipFile(workbook) as z:
        names = z.namelist()
        text = {n: z.read(n).decode() for n in names if n.endswith((".xml", ".rels"))}
    for name, xml in text.items():
        minidom.parseString(xml)  # well-formed
    types = text["[Content_Types].xml"]
    caches = sorted(n for n in names if re.fullmatch(r"xl/pivotCache/pivotCacheDefinition\d+\.xml", n))
    tables = sorted(n for n in names if re.fullmatch(r"xl/pivotTables/pivotTable\d+\.xml", n))
    assert len(caches) == 2 and len(tables) == 3
    for cache in caches:
        xml = text[cache]
        assert 'refreshOnLoad="1"' in xml
        assert re.search(r'<worksheetSource name="(Responses|Actions)"/>', xml)
        assert f"/{cache}" in types and "pivotCacheDefinition+xml" in types
        records = re.search(r'Target="(pivotCacheRecords\d+\.xml)"', text[cache.replace("e/p", "e/_rels/p") + ".rels"])
        assert f"xl/pivotCache/{records[1]}" in names and f"/xl/pivotCache/{records[1]}" in types
    book, book_rels = text["xl/workbook.xml"], text["xl/_rels/workbook.xml.rels"]
    for cache_id, rid in re.findall(r'<pivotCache cacheId="(\d+)" r:id="(rId\d+)"/>', book):
        assert re.search(f'Id="{rid}" [^>]*Target="pivotCache/pivotCacheDefinition\\d+\\.xml"', book_rels)
    assert re.search(r"<calcPr[^>]*/><pivotCaches>", book)  # CT_Workbook order

    wb = load(workbook)  # openpyxl's own pivot reader accepts every part
    at = wb.sheetnames.index(PIVOTS[0].sheet)
    assert wb.sheetnames[at:at + 3] == [p.sheet for p in PIVOTS] and wb.sheetnames[at + 3] == "Responses"
    for pivot in PIVOTS:
        (table,) = wb[pivot.sheet]._pivots
        assert table.cache.refreshOnLoad and table.cache.cacheSource.worksheetSource.name == pivot.table
        assert [table.cache.cacheFields[f.x].name for f in table.rowFields] == [pivot.rows]
        assert [table.cache.cacheFields[f.x].name for f in table.colFields] == [pivot.cols]
        assert [table.cache.cacheFields[f.fld].name for f in table.pageFields] == list(pivot.filters)
    # sheet-local names (print titles) still point at their own sheets after the new sheets moved them along
    local = re.findall(r'<definedName name="[^"]+" localSheetId="(\d+)">([^!]+)!', book)
    assert local and all(wb.sheetnames[int(i)] == sheet.strip("'") for i, sheet in local)


def test_pivots_are_captioned_for_a_board_as_excel_writes_renamed_fields(workbook):
    wb = load(workbook)
    words = {"Pivot - Ratings by area": ("Organization", "Component area", "Average rating"),
             "Pivot - Rating counts": ("Capability number", "Rating", "Number of ratings"),
             "Pivot - Actions": ("Key element", "Region", "Number of actions")}
    for pivot in PIVOTS:
        (table,) = wb[pivot.sheet]._pivots
        rows, cols, data = words[pivot.sheet]
        assert (table.rowHeaderCaption, table.colHeaderCaption, table.dataFields[0].name) == (rows, cols, data)
        sources = {f.name.lower() for f in table.cache.cacheFields}
        renamed = [f.name for f in table.pivotFields if f.name]
        assert not sources & {name.lower() for name in renamed}  # Excel refuses a column's name
        ws = wb[pivot.sheet]
        shown_words = {c.value for row in ws.iter_rows() for c in row}
        assert {rows, cols, data} <= shown_words and not {"Row Labels", "Column Labels"} & shown_words
        # the title, and what the rows and columns are, also in the source columns' names LibreOffice shows
        assert ws["A1"].value == f"{data} by {rows.lower()} and {cols.lower()}, cycle 2026" and ws["A1"].font.b
        assert f"Rows: {rows} ({pivot.rows}). Columns: {cols} ({pivot.cols})." in ws["A2"].value
    by_name = {f.name for f in wb["Pivot - Actions"]._pivots[0].pivotFields if f.name}
    assert {"Key element", "Lead organization"} <= by_name


def test_cells_written_match_the_tables(workbook):
    for pivot in PIVOTS:
        assert_same(shown(workbook, pivot), expected(workbook, pivot))


@needs_lo
def test_libreoffice_computes_the_pivots(workbook, tmp_path):
    resaved = convert(workbook, "xlsx", tmp_path)
    for pivot in PIVOTS:
        assert_same(shown(resaved, pivot), expected(workbook, pivot))
        assert len(load(resaved)[pivot.sheet]._pivots) == 1  # still a pivot, not just values


@needs_lo
def test_libreoffice_recomputes_from_the_tables(workbook, extended, tmp_path):
    resaved = convert(extended, "xlsx", tmp_path)
    for pivot in PIVOTS:
        want = expected(extended, pivot)
        assert want != expected(workbook, pivot)  # the added rows change every pivot
        assert_same(shown(resaved, pivot), want)
    assert ("Zeta Test Organization", "Partnerships") in shown(resaved, PIVOTS[0])
    assert ("Built around great data", "Test Region") in shown(resaved, PIVOTS[2])


def test_empty_actions_table_and_only_once(tmp_path):
    folder = tmp_path / "returns"
    folder.mkdir()
    shutil.copy(next(SAMPLES.glob("*Ana Lopez*")), folder)
    result = rollup.build(validate.validate_paths([folder]))
    path = rollup_xlsx.write(result, tmp_path / "one.xlsx")
    assert shown(path, PIVOTS[2]) == {}  # a "(blank)" row and column, no counts
    assert ("Prairie Workforce Board", TOTAL) in shown(path, PIVOTS[0])
    tables = {name: TableSheet.of(name, result.tables[name]) for name in ("Responses", "Actions")}
    with pytest.raises(ValueError, match="already has pivot tables"):
        add_pivots(WorkbookParts.from_zip(path.read_bytes()), PIVOTS, tables)


def test_no_pivots_leaves_them_out(tmp_path):
    path = rollup_xlsx.write(rollup.build(validate.validate_paths([SAMPLES])), tmp_path / "plain.xlsx",
                             pivots=False)
    with zipfile.ZipFile(path) as z:
        assert not [n for n in z.namelist() if "pivot" in n.lower()]
        assert "<pivotCaches" not in z.read("xl/workbook.xml").decode()
    assert "Pivot - Actions" not in openpyxl.load_workbook(path).sheetnames


@needs_lo
def test_a_pivot_over_an_empty_table_has_excels_one_blank_record(tmp_path):
    only_assessments = [p for p in SAMPLES.glob("* - Ana Lopez - Self-Assessment.xlsx")]
    path = tmp_path / "assessments only.xlsx"
    result = rollup.build(validate.validate_paths(only_assessments))
    assert result.tables["Actions"].empty
    rollup_xlsx.write(result, path)
    with zipfile.ZipFile(path) as z:
        parts = {n: z.read(n).decode() for n in z.namelist() if n.startswith("xl/pivotCache/")}
    [actions] = [xml for n, xml in parts.items() if '<worksheetSource name="Actions"/>' in xml]
    assert 'recordCount="1"' in actions
    fields = re.findall(r'<cacheField name="([^"]+)"[^>]*>(<sharedItems[^>]*?(?:/>|>.*?</sharedItems>))', actions)
    assert fields and all('containsBlank="1"' in items and items.endswith('count="1"><m/></sharedItems>')
                          for _, items in fields), fields
    [records] = [xml for xml in parts.values() if "<pivotCacheRecords" in xml and xml.count("<r>") == 1
                 and '<x v="0"/>' in xml]
    assert records.count('<x v="0"/>') == len(fields)
    pdf = convert(path, "pdf", tmp_path)  # LibreOffice opens it and prints the empty pivot's sheet
    text = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "roll-up Pivot - Actions" in text and "roll-up Pivot - Ratings by area" in text


# -- one cycle in view: each pivot opens filtered to it, and then shows the Summary's figures -----------------
def grid_below(ws, heading, first_column_label):
    """A table the workbook writes below ``heading``: {(row label, column label): value}."""
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    top = next(i for i, r in enumerate(rows) if r and r[0] == heading) + 1
    while rows[top][0] != first_column_label:
        top += 1
    header = rows[top]
    out = {}
    for row in rows[top + 1:]:
        if row[0] is None:
            break
        out.update({(str(row[0]), str(h)): v for h, v in zip(header[1:], row[1:]) if h is not None and v not in (None, "")})
    return out


@pytest.fixture(scope="module")
def two_cycles(tmp_path_factory):
    """A roll-up of this cycle's returns with last cycle's, in one folder: the tables hold both."""
    folder = tmp_path_factory.mktemp("two-cycles") / "inbox"
    folder.mkdir()
    for source in (SAMPLES, SAMPLES.parent / "returns-2025"):
        for path in source.iterdir():
            shutil.copy2(path, folder / f"{source.name} {path.name}")
    out = folder.parent / "rollup.xlsx"
    rollup_xlsx.write(rollup.build(validate.validate_paths([folder])), out)
    return out


def test_each_pivot_opens_filtered_to_the_cycle_in_view_and_shows_the_summarys_figures(two_cycles):
    wb = openpyxl.load_workbook(two_cycles, data_only=True)  # the values written beside the formulas
    assert {r["cycle"] for r in read_table(two_cycles, "Responses")} == {"2025", "2026"}  # the tables keep both
    ratings, pages = as_excel_opens_it(two_cycles, "Pivot - Ratings by area")
    assert pages == {"cycle": "2026"}
    summary = grid_below(wb["Summary"], "Average rating by organization and component area", "Organization")
    summary = {k: v for k, v in summary.items() if k[1] not in ("Respondents", "Region")}
    assert summary and ratings.keys() == summary.keys()
    for key, value in summary.items():
        assert ratings[key] == pytest.approx(value), key
    actions, pages = as_excel_opens_it(two_cycles, "Pivot - Actions")
    assert pages == {"cycle": "2026"}
    planned = grid_below(wb["Action plans"], "Actions planned, by element and region", "Key element")
    assert {(element.split(". ", 1)[1], region): n for (element, region), n in planned.items() if n} == actions
    for pivot in PIVOTS:
        ws = wb[pivot.sheet]
        assert ws["A1"].value.endswith(", cycle 2026")
        cells = {c.value: ws.cell(c.row, 2).value for row in ws.iter_rows(max_row=5) for c in row[:1]}
        assert cells["cycle"] == "2026"  # the filter cell shows the cycle, not "(All)"
    assert_same(shown(two_cycles, PIVOTS[0]), {k: v for k, v in expected_in(two_cycles, PIVOTS[0], "2026").items()})


def expected_in(path, pivot, cycle):
    groups = defaultdict(list)
    for record in read_table(path, pivot.table):
        if record[pivot.data] is None or record["cycle"] != cycle:
            continue
        row, col = label(record[pivot.rows]), label(record[pivot.cols])
        for key in ((row, col), (row, TOTAL), (TOTAL, col), (TOTAL, TOTAL)):
            groups[key].append(record[pivot.data])
    aggregate = statistics.mean if pivot.func == "average" else len
    return {key: aggregate(values) for key, values in groups.items()}


@needs_lo
def test_libreoffice_opens_each_pivot_filtered_to_the_cycle_in_view(two_cycles, tmp_path):
    resaved = convert(two_cycles, "xlsx", tmp_path)
    for pivot in PIVOTS:
        assert_same(shown(resaved, pivot), expected_in(two_cycles, pivot, "2026"))


def test_the_filtered_rollup_passes_the_schema_check(two_cycles):
    from openxml_audit import OpenXmlValidator

    result = OpenXmlValidator().validate(two_cycles)
    assert result.is_valid, [e.description for e in result.errors[:10]]


def test_every_board_facing_sheet_names_the_cycle_in_view(two_cycles):
    wb = openpyxl.load_workbook(two_cycles)
    board = ["Summary", "Strengths", "Disagreement", "Rating distribution", "Action plans", "Resources needed",
             "Change over time", *(p.sheet for p in PIVOTS)]
    for sheet in board:
        assert "cycle 2026" in wb[sheet]["A1"].value, sheet
    with zipfile.ZipFile(two_cycles) as z:
        titles = [re.sub("<[^>]+>", "", t) for n in z.namelist() if n.startswith("xl/charts/chart")
                  for t in re.findall(r"<c:title>.*?</c:title>", z.read(n).decode().split("<c:plotArea>")[0])]
    summary_charts = [t for t in titles if not re.search("North Plains|Red River", t)]  # the regions' change charts
    assert summary_charts and all("cycle 2026" in t for t in summary_charts), summary_charts
