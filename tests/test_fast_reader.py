"""The fast reader (fast_reader.Book) gives every cell, and every record, what openpyxl gives."""

import datetime as dt
import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.styles.numbers import BUILTIN_FORMATS
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.styles.numbers import is_date_format as openpyxl_is_date
from openpyxl.styles.numbers import is_timedelta_format as openpyxl_is_duration
from openpyxl.utils.datetime import from_excel as openpyxl_from_excel

from sheetflow.intake import fast_reader as xlsx
from sheetflow.intake.package import Limits, checked
from sheetflow.intake.record import OpenpyxlBook, read_return

GRID = 12  # rows and columns compared cell by cell


def both_books(data: bytes):
    return xlsx.Book(checked(data, Limits(max_rows=250, max_cols=26))), OpenpyxlBook(data)


def assert_same_cells(data: bytes):
    fast, plain = both_books(data)
    assert fast.sheetnames == plain.sheetnames
    for sheet in fast.sheetnames:
        for row in range(1, GRID + 1):
            for col in range(1, GRID + 1):
                got, want = fast.cell(sheet, row, col), plain.cell(sheet, row, col)
                assert got == want and type(got[0]) is type(want[0]), (sheet, row, col, got, want)


def saved(wb) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def rewrite(data: bytes, **parts: str) -> bytes:
    """The same package with some parts' text replaced."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            name = info.filename
            key = name.replace("/", "_").replace(".", "_")
            out.writestr(info, parts[key].encode() if key in parts else source.read(name))
    return buffer.getvalue()


VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=15),
    st.sampled_from(["  padded  ", "_x000D_", "x005F_", "line\nbreak", "=1+2", "=SUM(A1:A2)", "#N/A", "TRUE"]),
    st.datetimes(dt.datetime(1900, 3, 1), dt.datetime(2100, 1, 1)), st.dates(dt.date(1900, 3, 1), dt.date(2100, 1, 1)),
    st.times(), st.timedeltas(dt.timedelta(0), dt.timedelta(days=3)),
)
FORMATS = st.sampled_from([None, "General", "0.0", "yyyy-mm-dd", "d mmm yyyy", "[h]:mm:ss", "hh:mm", "@",
                           '"Due" yyyy', "0%", "[Red]0.00", "mm:ss.0"])


@pytest.mark.filterwarnings("ignore:Cell .* is marked as a date")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cells=st.lists(st.tuples(st.integers(1, GRID), st.integers(1, GRID), VALUES, FORMATS), max_size=25),
       date1904=st.booleans())
def test_any_values_openpyxl_writes_read_the_same(cells, date1904):
    wb = openpyxl.Workbook()
    wb.epoch = openpyxl.utils.datetime.CALENDAR_MAC_1904 if date1904 else openpyxl.utils.datetime.CALENDAR_WINDOWS_1900
    ws = wb.active
    ws.title = "Answers"
    for row, col, value, number_format in cells:
        cell = ws.cell(row, col)
        try:
            cell.value = value
        except (ValueError, TypeError, IllegalCharacterError):  # openpyxl refuses these: nothing to compare
            cell.value = None  # a refused value can leave the cell half-set
            continue
        if number_format:
            cell.number_format = number_format
    assert_same_cells(saved(wb))


def sheet_with(data: bytes, sheet_data: str, extra: str = "") -> bytes:
    xml = zipfile.ZipFile(io.BytesIO(data)).read("xl/worksheets/sheet1.xml").decode()
    xml = re.sub(r"<sheetData>.*</sheetData>|<sheetData/>", f"<sheetData>{sheet_data}</sheetData>{extra}", xml,
                 flags=re.S)
    return rewrite(data, xl_worksheets_sheet1_xml=xml)


@pytest.fixture(scope="module")
def plain_book() -> bytes:
    wb = openpyxl.Workbook()
    wb.active.title = "Answers"
    wb.active["A1"] = "seed"
    return saved(wb)


@pytest.mark.parametrize("sheet_data, extra", [
    # inline strings, plain and in formatted runs; a cell typed as a formula string; booleans; errors
    ('<row r="1"><c r="A1" t="inlineStr"><is><t xml:space="preserve"> a </t></is></c>'
     '<c r="B1" t="inlineStr"><is><r><t>bo</t></r><r><rPr><b/></rPr><t>ld</t></r></is></c>'
     '<c r="C1" t="str"><v>text</v></c><c r="D1" t="b"><v>1</v></c><c r="E1" t="e"><v>#N/A</v></c>'
     '<c r="F1"><v>4.0</v></c><c r="G1"><v>1E3</v></c><c r="H1"><v></v></c></row>', ""),
    # cells and rows without r= follow the one before
    ('<row r="2"><c r="B2"><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>', ""),
    # a merged range: its covered cells read as empty even if the file has values there
    ('<row r="1"><c r="A1"><v>1</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="A2"><v>3</v></c></row>',
     '<mergeCells count="1"><mergeCell ref="A1:B2"/></mergeCells>'),
    # formulas: their text, never the cached value; a shared formula copied down; an array formula
    ('<row r="1"><c r="A1"><f>1+1</f><v>2</v></c><c r="B1"><f t="shared" ref="B1:B3" si="0">A1*2</f><v>4</v></c></row>'
     '<row r="2"><c r="B2"><f t="shared" si="0"/><v>0</v></c><c r="C2"><f t="array" ref="C2">SUM(A1:A2)</f></c></row>',
     ""),
])
def test_xml_the_way_other_programs_write_it(plain_book, sheet_data, extra):
    assert_same_cells(sheet_with(plain_book, sheet_data, extra))


@given(st.text(st.sampled_from('dmyhsDMYHS0#.,;:@"[]$-_\\ Red/APM'), max_size=14))
def test_date_formats_are_recognised_as_openpyxl_does(code):
    assert xlsx.is_date_format(code) == openpyxl_is_date(code)
    assert xlsx.is_duration_format(code) == openpyxl_is_duration(code)


def test_builtin_date_formats_are_openpyxls():
    assert xlsx.BUILTIN_DATES == {i for i, code in BUILTIN_FORMATS.items() if openpyxl_is_date(code)}
    assert xlsx.BUILTIN_DURATIONS == {i for i, code in BUILTIN_FORMATS.items() if openpyxl_is_duration(code)}


@given(st.floats(0, 2958465, allow_nan=False), st.booleans(), st.booleans())
def test_serial_numbers_become_the_same_dates(serial, mac, duration):
    epoch = xlsx.MAC_EPOCH if mac else xlsx.WINDOWS_EPOCH

    def outcome(convert, *args, **kwargs):
        try:
            return convert(*args, **kwargs)
        except (OverflowError, ValueError) as exc:  # beyond the calendar: both readers show #VALUE!
            return type(exc)

    assert outcome(xlsx.from_excel, serial, epoch, duration) == outcome(openpyxl_from_excel, serial, epoch,
                                                                          timedelta=duration)


def test_both_readers_make_the_same_record_of_a_filled_workbook(tmp_path, blank_workbooks, assessment):
    from conftest import complete_answers

    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    for name, value in complete_answers(assessment, rating_03="four", comment_02="=1+1").items():
        (sheet, ref), = wb.defined_names[name].destinations
        wb[sheet][ref.replace("$", "")] = value if not isinstance(value, dict) else dt.date(2026, 3, 4)
    wb.save(tmp_path / "filled.xlsx")
    fast, plain = (read_return(str(tmp_path / "filled.xlsx"), reader=r) for r in ("fast", "openpyxl"))
    assert fast == plain and fast.rejected is None
    assert fast.answers["comment_02"].formula and fast.value("rating_03") == "four"


ANSWERS = st.one_of(
    st.none(), st.integers(-3, 9), st.floats(-1, 7, allow_nan=False), st.booleans(),
    st.sampled_from(["four", " 5 ", "5.0", "Yes", "no", "Maybe", "N/A", "In place", "=1+1", "=B3", "", "  "]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.dates(dt.date(1990, 1, 1), dt.date(2100, 1, 1)),
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_both_readers_make_the_same_record_of_any_filled_workbook(blank_workbooks, assessment, data):
    """Random answers in a generated workbook's named cells: the fast reader's record is openpyxl's."""
    import tempfile

    names = [a.name for a in assessment.answers if a.kind != "table"]
    answers = data.draw(st.dictionaries(st.sampled_from(names), ANSWERS, max_size=20))
    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    for name, value in answers.items():
        (sheet, ref), = wb.defined_names[name].destinations
        wb[sheet][ref.replace("$", "")] = value
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/filled.xlsx"
        wb.save(path)
        fast, plain = (read_return(path, reader=reader) for reader in ("fast", "openpyxl"))
    assert fast.rejected is None and fast == plain
    for name, value in answers.items():
        if isinstance(value, str) and value.startswith("="):
            assert fast.answers[name].formula and fast.value(name) == value


def test_parts_too_big_to_keep_are_read_from_the_package(monkeypatch, blank_workbooks, tmp_path):
    """Sheets over the tree limit are only streamed by the checks, and parts over the keep limit are
    left in the zip; the reader parses or decompresses them itself and reads the same record."""
    from sheetflow.intake import package, template_area

    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    (sheet, ref), = wb.defined_names["rating_01"].destinations
    wb[sheet][ref.replace("$", "")] = 4
    wb.properties.keywords = str(tmp_path)  # bytes no other test has, so nothing is remembered from before
    wb.save(tmp_path / "big.xlsx")
    normal = read_return(str(tmp_path / "big.xlsx"))
    monkeypatch.setattr(template_area, "TREE_LIMIT", 10)
    monkeypatch.setattr(package, "KEEP_LIMIT", 3000)
    template_area.remembered_sheet_tree.cache_clear()
    checked_package = package.open_checked(tmp_path / "big.xlsx", Limits(max_rows=250, max_cols=26))
    assert checked_package.sheets == {} and len(checked_package.parts) < len(checked_package.names)
    assert read_return(str(tmp_path / "big.xlsx")) == normal
    assert normal.value("rating_01") == 4


@pytest.mark.parametrize("part, pattern, replacement", [
    ("xl/workbook.xml", rb'(<sheet [^>]*?)name="[^"]*"', rb"\1"),  # a sheet without its name
    ("xl/styles.xml", rb'(<numFmt [^>]*?)numFmtId="[^"]*"', rb"\1"),  # a number format without its number
    ("xl/workbook.xml", rb'(<definedName [^>]*?)name="[^"]*"', rb"\1"),  # a defined name without its name
    ("docProps/custom.xml", rb'(<property [^>]*?)name="[^"]*"', rb"\1"),  # a file property without its name
])
def test_a_part_missing_an_attribute_openpyxl_needs_is_damaged_for_both_readers(tmp_path, blank_workbooks,
                                                                                  part, pattern, replacement):
    """Without it openpyxl refuses the workbook; the fast reader, which may read a part only for a number
    (the styles), refuses it as damaged too, never with a Python error or a reason of its own."""
    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    (sheet, ref), = wb.defined_names["rating_01"].destinations
    wb[sheet][ref.replace("$", "")] = 4  # a number: its style is looked up
    source = zipfile.ZipFile(io.BytesIO(saved(wb)))
    assert re.search(pattern, source.read(part))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            text = source.read(info.filename)
            out.writestr(info, re.sub(pattern, replacement, text, count=1) if info.filename == part else text)
    (tmp_path / "altered.xlsx").write_bytes(buffer.getvalue())
    fast, plain = (read_return(str(tmp_path / "altered.xlsx"), reader=r) for r in ("fast", "openpyxl"))
    assert (fast.rejected_code, fast.rejected) == (plain.rejected_code, plain.rejected)
    assert fast.rejected_code == "damaged"
