"""A workbook package edited through its own indexes: sheets found, parts added and registered, formats added."""

import io
import zipfile

import openpyxl
import xlsxwriter

from sheetflow.rollup.parts import SHEETML, WorkbookParts


def workbook(*sheets: str) -> bytes:
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"in_memory": True})
    for name in sheets:
        book.add_worksheet(name).write_string(0, 0, f"on {name}")
    book.get_worksheet_by_name(sheets[-1]).repeat_rows(0)  # a sheet-local defined name
    book.close()
    return data.getvalue()


def renamed(data: bytes, old: str, new: str) -> bytes:
    """The package with part ``old`` moved to ``new`` and every index pointing at it changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as z, zipfile.ZipFile(out, "w") as w:
        for info in z.infolist():
            body = z.read(info).replace(old.encode(), new.encode()).replace(old.split("/", 1)[1].encode(),
                                                                             new.split("/", 1)[1].encode())
            w.writestr(info.filename.replace(old, new), body)
    return out.getvalue()


def sheet(text: str) -> bytes:
    return (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">'
            b'<c r="A1" t="inlineStr"><is><t>' + text.encode() + b"</t></is></c></row></sheetData></worksheet>")


def test_sheets_are_found_through_the_workbook_and_its_relationships_not_by_name():
    data = renamed(workbook("First", "Second"), "xl/worksheets/sheet2.xml", "xl/sheets/the-second.xml")
    package = WorkbookParts.from_zip(data)
    assert package.sheets() == [("First", "xl/worksheets/sheet1.xml"), ("Second", "xl/sheets/the-second.xml")]


def test_a_replaced_sheet_and_an_added_sheet_read_back(tmp_path):
    package = WorkbookParts.from_zip(workbook("First", "Second"))
    package.put(dict(package.sheets())["First"], sheet("replaced"))
    package.add_sheet("New", package.free_name("xl/worksheets/sheet{}.xml"), sheet("new"), before=1)
    package.save(tmp_path / "edited.xlsx", 6)
    wb = openpyxl.load_workbook(tmp_path / "edited.xlsx")
    assert wb.sheetnames == ["First", "New", "Second"]
    assert [wb[name]["A1"].value for name in wb.sheetnames] == ["replaced", "new", "on Second"]
    assert wb["Second"].print_title_rows == "$1:$1"  # the sheet-local name moved along with its sheet
    with zipfile.ZipFile(tmp_path / "edited.xlsx") as z:
        types = z.read("[Content_Types].xml").decode()
    assert f'PartName="/xl/worksheets/sheet3.xml" ContentType="{SHEETML}worksheet+xml"' in types


def test_cell_formats_reuse_built_in_and_declared_number_formats(tmp_path):
    package = WorkbookParts.from_zip(workbook("First"))
    percent, custom, again = (package.add_cell_format(code) for code in ("0%", "0.0", "0.0"))
    assert package.number_format("0%") == 9 and package.number_format("0.0") == 164
    assert len({percent, custom, again}) == 3
    sheet = dict(package.sheets())["First"]
    package.put(sheet, package.parts[sheet].replace(b"</row>", f'<c r="B1" s="{custom}"><v>2.25</v></c></row>'.encode()))
    package.save(tmp_path / "formats.xlsx", 6)
    ws = openpyxl.load_workbook(tmp_path / "formats.xlsx")["First"]
    assert ws["B1"].number_format == "0.0" and ws["B1"].value == 2.25


def test_a_heading_format_is_bold_text_on_a_solid_fill(tmp_path):
    package = WorkbookParts.from_zip(workbook("First"))
    heading = package.add_heading_format("ffffff", "1F3864")
    sheet = dict(package.sheets())["First"]
    package.put(sheet, package.parts[sheet].replace(b'<c r="A1"', f'<c r="A1" s="{heading}"'.encode()))
    package.save(tmp_path / "heading.xlsx", 6)
    cell = openpyxl.load_workbook(tmp_path / "heading.xlsx")["First"]["A1"]
    assert (cell.value, cell.font.b, cell.font.color.rgb, cell.font.name) == ("on First", True, "FFFFFFFF", "Calibri")
    assert (cell.fill.fill_type, cell.fill.fgColor.rgb) == ("solid", "FF1F3864")


def test_namespace_declarations_survive_an_edit():
    package = WorkbookParts.from_zip(workbook("First"))
    package.put("xl/workbook.xml", package.parts["xl/workbook.xml"].replace(
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
        b' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" mc:Ignorable="x15"'
        b' xmlns:x15="http://schemas.microsoft.com/office/spreadsheetml/2010/11/main"'))
    package.add_sheet("Second", "xl/worksheets/sheet2.xml", sheet("second"), before=1)
    package.save(out := io.BytesIO(), 6)
    with zipfile.ZipFile(out) as z:
        book = z.read("xl/workbook.xml").decode()
    assert 'mc:Ignorable="x15"' in book and "xmlns:x15=" in book
    assert '<sheet name="Second" sheetId="2" r:id="rId' in book
