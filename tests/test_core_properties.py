"""The document properties part sheetflow writes whole (core_properties.py), read back as Excel's readers do."""

import datetime as dt
import io
import zipfile

import openpyxl
import xlsxwriter

from sheetflow.core_properties import PART, CoreProperties, with_properties


def test_properties_read_back_with_openpyxl(tmp_path):
    made = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.timezone(dt.timedelta(hours=-6)))
    properties = CoreProperties(title="Roll-up <North & South>", subject="Ana's \"plans\"", created=made,
                                description="one; two", language="es-US")
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet("Summary").write("A1", "Summary")
    book.close()
    path = tmp_path / "book.xlsx"
    path.write_bytes(with_properties(buffer.getvalue(), properties))

    read = openpyxl.load_workbook(path).properties
    assert (read.title, read.subject, read.description, read.language) == (
        "Roll-up <North & South>", "Ana's \"plans\"", "one; two", "es-US")
    assert read.creator == read.lastModifiedBy == "sheetflow"
    assert read.created == read.modified == dt.datetime(2026, 3, 4, 11, 6, 7)  # in UTC
    assert openpyxl.load_workbook(path)["Summary"]["A1"].value == "Summary"


def test_only_the_properties_part_changes(tmp_path):
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    book.add_worksheet().write("A1", 1)
    book.close()
    changed = with_properties(buffer.getvalue(), CoreProperties("T", "S", dt.datetime(2026, 1, 1)))
    with zipfile.ZipFile(buffer) as before, zipfile.ZipFile(io.BytesIO(changed)) as after:
        assert before.namelist() == after.namelist()
        for name in before.namelist():
            if name != PART:
                assert before.read(name) == after.read(name), name
        assert b"<dc:language>en-US</dc:language>" in after.read(PART)
        assert after.testzip() is None


def test_empty_values_are_left_out():
    xml = CoreProperties("Title", "", dt.datetime(2026, 1, 1)).xml()
    assert b"<dc:subject>" not in xml and b"<dc:description>" not in xml and b"<dc:title>Title</dc:title>" in xml
