"""Sheets in the plain form are scanned, not parsed, and read exactly as the XML path reads them."""

import io
import re
import zipfile
from xml.sax.saxutils import escape

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.intake import template_area
from sheetflow.intake import sheet_xml as sheetxml
from sheetflow.intake import fast_reader as xlsx
from sheetflow.intake.package import Limits, Rejected, checked
from sheetflow.intake.record import OpenpyxlBook

AREA = Limits(max_rows=250, max_cols=26)
SHEET = "xl/worksheets/sheet1.xml"


@pytest.fixture(scope="module")
def seed() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Answers"
    wb.active["A1"] = "seed"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def with_sheet(data: bytes, sheet_data: str, extra: str = "", head: str | None = None) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    xml = source.read(SHEET).decode()
    xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", lambda _: f"<sheetData>{sheet_data}</sheetData>{extra}",
                 xml, flags=re.S)
    if head is not None:
        xml = re.sub(r"<worksheet [^>]*>", lambda _: head, xml, count=1)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            out.writestr(info, xml.encode() if info.filename == SHEET else source.read(info.filename))
    return buffer.getvalue()


def cells(book, rows=6, cols=6):
    return {(r, c): book.cell("Answers", r, c) for r in range(1, rows + 1) for c in range(1, cols + 1)}


def read_both_ways(data: bytes, monkeypatch):
    """(cells read from the scanned sheet, cells read from the parsed tree, whether the sheet was scanned)."""
    package = checked(data, AREA)
    scanned = isinstance(package.sheets.get(SHEET), sheetxml.Sheet)
    fast = cells(xlsx.Book(package))
    with monkeypatch.context() as m:
        m.setattr(sheetxml, "scan", lambda data: None)
        template_area.remembered_sheet_tree.cache_clear()  # sheets are remembered by their bytes
        parsed = cells(xlsx.Book(checked(data, AREA)))
    template_area.remembered_sheet_tree.cache_clear()
    return fast, parsed, scanned


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff",
                             max_codepoint=0x2FFF).filter(lambda t: all(ord(c) >= 32 or c in "\t\n\r" for c in t)),
               max_size=12)
CELL = st.one_of(
    st.tuples(st.just("number"), st.one_of(st.integers(-10**9, 10**9), st.floats(-1e9, 1e9))),
    st.tuples(st.just("inline"), TEXT),
    st.tuples(st.just("str"), TEXT),
    st.tuples(st.just("bool"), st.booleans()),
    st.tuples(st.just("formula"), st.sampled_from(["1+1", "A1&\"x\"", "SUM(A1:B2)"])),
    st.tuples(st.just("empty"), st.booleans()),
)


def cell_xml(ref: str, kind: str, value) -> str:
    if kind == "number":
        return f'<c r="{ref}"><v>{value!r}</v></c>'
    if kind == "inline":
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    if kind == "str":
        return f'<c r="{ref}" t="str"><v>{escape(value).replace(chr(13), "&#13;")}</v></c>'
    if kind == "bool":
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if kind == "formula":
        return f'<c r="{ref}"><f>{escape(value)}</f><v>0</v></c>'
    return f'<c r="{ref}" s="0"/>' if value else f'<c r="{ref}"></c>'


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.function_scoped_fixture])
@given(grid=st.dictionaries(st.tuples(st.integers(1, 6), st.integers(1, 6)), CELL, max_size=20),
       merge=st.booleans())
def test_a_scanned_sheet_reads_as_the_parsed_sheet(seed, monkeypatch, grid, merge):
    rows = {}
    for (r, c), (kind, value) in sorted(grid.items()):
        rows.setdefault(r, []).append(cell_xml(f"{'ABCDEF'[c - 1]}{r}", kind, value))
    sheet_data = "".join(f'<row r="{r}" spans="1:6">{"".join(found)}</row>' for r, found in rows.items())
    extra = '<mergeCells count="1"><mergeCell ref="B2:C3"/></mergeCells>' if merge else ""
    fast, parsed, scanned = read_both_ways(with_sheet(seed, sheet_data, extra), monkeypatch)
    assert scanned
    assert fast == parsed


@pytest.mark.parametrize("sheet_data, extra, head", [
    ('<row r="1"><!-- a note --><c r="A1"><v>1</v></c></row>', "", None),  # a comment
    ("<row r='1'><c r='A1'><v>1</v></c></row>", "", None),  # single quotes
    ('<row r="1"><c s="0" r="A1"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>', "", None),
    ('<row r="1"><c r="A1"><v>1</v></c><extra/></row>', "", None),  # something else inside a row
    ('<row r="1"><c r="A1"><v><![CDATA[7]]></v></c></row>', "", None),
    ('<row r="1"><c r="A1" t="inlineStr"><is><r><t>bo</t></r><r><t>ld</t></r></is></c></row>', "", None),
    ('<row r="1"><c r="A1"><f t="shared" ref="A1:A2" si="0">B1*2</f></c></row>'
     '<row r="2"><c r="A2"><f t="shared" si="0"/></c></row>', "", None),
    ('<x:row r="1"><x:c r="A1"><x:v>5</x:v></x:c></x:row>', "",
     '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
     'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'),
])
def test_anything_but_the_plain_form_is_parsed_and_reads_as_openpyxl_reads_it(seed, sheet_data, extra, head):
    data = with_sheet(seed, sheet_data, extra, head)
    xml = zipfile.ZipFile(io.BytesIO(data)).read(SHEET)
    assert sheetxml.scan(xml) is None
    book = xlsx.Book(checked(data, AREA))
    plain = OpenpyxlBook(data)
    assert cells(book) == {(r, c): plain.cell("Answers", r, c) for r in range(1, 7) for c in range(1, 7)}


@pytest.mark.parametrize("sheet_data, extra, where", [
    ('<row r="1"><c r="A1"><v>1</v></c><c r="AA1"><v>2</v></c></row>', "", "cell AA1"),
    ('<row r="251"><c r="A251"><v>1</v></c></row>', "", "row 251"),
    ('<row r="300"/>', "", "row 300"),
])
def test_outside_the_template_area_is_refused_with_the_cell_named(seed, sheet_data, extra, where):
    data = with_sheet(seed, sheet_data, extra)
    assert sheetxml.scan(zipfile.ZipFile(io.BytesIO(data)).read(SHEET)) is not None
    with pytest.raises(Rejected, match=f"something at {where}, outside the template area"):
        checked(data, AREA)


def test_a_damaged_plain_sheet_is_still_refused(seed):
    data = with_sheet(seed, '<row r="1"><c r="A1"><v>1</v></c></row>', "<mergeCells>")  # never closed
    with pytest.raises(Rejected, match="damaged"):
        checked(data, AREA)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(at=st.integers(0, 5000), inserted=st.sampled_from(["", "<", ">", "&", '"', "/", "=", "\x01", "\xff", "a", "<c>"]),
       replace=st.booleans(), within=st.booleans())
def test_a_sheet_is_well_formed_exactly_when_its_frame_and_its_sheet_data_are(seed, at, inserted, replace, within):
    rows = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>x &amp; y</t></is></c></row>'
    xml = zipfile.ZipFile(io.BytesIO(with_sheet(seed, rows, '<mergeCells count="1"><mergeCell ref="A2:B2"/>'
                                                            '</mergeCells>'))).read(SHEET)
    if within:  # damage the sheet data, whose frame has been checked before
        start, end = xml.index(b"<sheetData>"), xml.index(b"</sheetData>") + len(b"</sheetData>")
        at = start + at % (end - start + 1)
    else:
        at %= len(xml) + 1
    damaged = xml[:at] + inserted.encode("latin-1") + xml[at + replace:]
    assert sheetxml.well_formed_sheet(xml)
    assert sheetxml.well_formed_sheet(damaged) == sheetxml.well_formed(damaged)


@given(st.lists(TEXT, max_size=8))
def test_plain_shared_strings_read_as_an_xml_parser_reads_them(items):
    body = "".join(f'<si><t xml:space="preserve">{escape(t).replace(chr(13), "&#13;")}</t></si>' for t in items)
    data = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<sst xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main" count="{len(items)}" uniqueCount="{len(items)}">{body}</sst>').encode()
    assert sheetxml.shared_strings(data) == items
    if items:  # formatted runs are left to the XML parser
        assert sheetxml.shared_strings(data.replace(b"<si><t", b"<si><r><t").replace(b"</t></si>", b"</t></r></si>")) is None
