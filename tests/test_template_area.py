"""template_area: anything beyond the template area is refused, found the same way in every form of a sheet."""

from __future__ import annotations

import openpyxl
import pytest

from hostile import reason, sheet_xml, write_zip, xlsx_parts
from sheetflow.intake.package import Limits, check_package

# --- template area -------------------------------------------------------------

AREA = Limits(max_rows=200, max_cols=10)


def test_cell_far_outside_template(valid_xlsx, tmp_path):
    workbook = openpyxl.load_workbook(valid_xlsx)
    workbook.active["XFD1048576"] = "hidden"
    path = tmp_path / "far.xlsx"
    workbook.save(path)
    text = reason(path, AREA, code="outside-template")
    assert "outside the template area (rows 1 to 200 and columns A to J)" in text and "XFD1048576" in text
    check_package(path)   # without an area, the same file is fine


@pytest.mark.parametrize("rows, dimension, where", [
    ('<row r="1"><c r="XFD1048576"><v>1</v></c></row>', "A1", "cell XFD1048576"),
    ('<row r="1"><c r="K1"><v>1</v></c></row>', "A1", "cell K1"),
    ('<row r="201"><c r="A201"><v>1</v></c></row>', "A1", "row 201"),
    ('<row r="1"/>', "A1:Z5", "cell Z5"),
    ('<row r="1"/>', "A:Z", "column Z"),
    # things a naive regex would miss: '>' inside a quoted attribute, a character reference, a prefix
    ('<row r="1"><c note="a>b" r="XFD1"><v>1</v></c></row>', "A1", "cell XFD1"),
    ('<row r="1"><c r="&#88;FD1"><v>1</v></c></row>', "A1", "cell XFD1"),
    ('<row r="1"><x:c xmlns:x="urn:x" r="ZZ1"/></row>', "A1", "cell ZZ1"),
    # cells and rows without r= follow the previous position
    ('<row r="1"><c r="J1"/><c/></row>', "A1", "cell K1"),
    ('<row r="200"/><row/>', "A1", "row 201"),
])
def test_outside_template_area(tmp_path, rows, dimension, where):
    path = write_zip(tmp_path / "area.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": sheet_xml(rows, dimension)}))
    text = reason(path, AREA, code="outside-template")
    assert "outside the template area" in text and f"at {where}," in text


def test_area_limits_one_direction_only(tmp_path):
    rows = '<row r="1"><c r="XFD1"/></row><row r="2"><c r="A2"/></row>'
    path = write_zip(tmp_path / "wide.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": sheet_xml(rows)}))
    check_package(path, Limits(max_rows=2))
    assert "(columns A to J)" in reason(path, Limits(max_cols=10), code="outside-template")


def test_worksheet_found_by_content_not_by_name(tmp_path):
    rows = '<row r="1"><c r="XFD1"/></row>'
    path = write_zip(tmp_path / "hid.xlsx", xlsx_parts(**{"xl/elsewhere/data.bin": sheet_xml(rows)}))
    assert "outside the template area" in reason(path, AREA, code="outside-template")


def test_damaged_worksheet_with_area_limits(tmp_path):
    broken = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')[:-20]
    path = write_zip(tmp_path / "broken.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": broken}))
    assert "sheet inside the workbook is damaged" in reason(path, AREA, code="damaged-sheet")
