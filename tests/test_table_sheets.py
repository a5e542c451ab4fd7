"""The tables' sheets written as XML, read back with openpyxl beside what xlsxwriter writes for the same rows."""

import csv
import datetime as dt
import io
import math
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import xlsxwriter
from hypothesis import given, settings, strategies as st

import libreoffice
from sheetflow.rollup.parts import WorkbookParts
from sheetflow.rollup.columns import spec
from sheetflow.rollup.table_sheets import (DATE_FORMAT, PAGE_PIXELS, PERCENT_FORMAT, PIXELS,
                                           PRINT_SCALE, TableSheet, place, serial, wrapped_lines)

TRICKY_TEXT = ["=1+1", "+Org", "-1+1", "@Ana", "=HYPERLINK(\"http://evil\",\"x\")", "\tTab", "line\nbreak",
               "bell\x07and\x1f", "carriage\rreturn", "_x0041_", "_X004a_ and _x00", " leading", "trailing ", "  ",
               "a & b < c > d \"quoted\" 'single'", "ünïcödé — 漢字 🙂", "x" * 300, "TRUE", "1e5", "0042"]
NUMBERS = [0, 1, -7, 12345678901234567, 2**53 + 1, 0.1, 1e-10, 3.141592653589793, -2.5e300, 1e15, 123456.789]
DATES = [dt.datetime(2026, 3, 1, 14, 30), dt.datetime(2026, 11, 30, 23, 59, 59, 500000), dt.datetime(1900, 1, 15),
         dt.datetime(1900, 3, 1), dt.datetime(2000, 2, 29, 12)]


def ours(frame: pd.DataFrame, tmp_path: Path) -> Path:
    """``frame`` as the roll-up writes a table: its sheet (empty from xlsxwriter) replaced by table_sheets."""
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, {"in_memory": True})
    book.add_worksheet("T")
    book.close()
    package = WorkbookParts.from_zip(data.getvalue())
    place(package, [TableSheet.of("T", frame)])
    package.save(tmp_path / "ours.xlsx", 6)
    return tmp_path / "ours.xlsx"


def theirs(frame: pd.DataFrame, tmp_path: Path) -> Path:
    """The same rows written cell by cell by xlsxwriter: each value by its type, a NaN or NA as a blank."""
    path = tmp_path / "theirs.xlsx"
    book = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_numbers": False,
                                           "strings_to_urls": False})
    dates = book.add_format({"num_format": DATE_FORMAT})
    own = {name: book.add_format({"num_format": spec("T", name).number_format}) for name in frame.columns
           if spec("T", name).number_format}
    sheet = book.add_worksheet("T")
    for c, name in enumerate(frame.columns):
        sheet.write_string(0, c, name)
        for r, value in enumerate(frame[name].astype(object).tolist(), start=1):
            if value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
                continue
            if isinstance(value, str):
                sheet.write_string(r, c, value)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value.to_pydatetime() if hasattr(value, "to_pydatetime") else value, dates)
            else:
                sheet.write_number(r, c, value, own.get(name))
    sheet.add_table(0, 0, max(len(frame), 1), len(frame.columns) - 1,
                    {"name": "T", "columns": [{"header": c} for c in frame.columns]})
    book.close()
    return path


def cells(path: Path, inline: bool = False) -> list[list[tuple]]:
    """Each cell as (value, type, number format). openpyxl undoes Excel's escape of a literal "_xHHHH_"
    ("_x005F_xHHHH_") in shared strings (xlsxwriter's) but not in inline ones (ours): with ``inline``, it
    is undone here the same way, so that like is compared with like."""
    ws = openpyxl.load_workbook(path)["T"]
    unescape = (lambda v: v.replace("x005F_", "") if inline and isinstance(v, str) else v)  # noqa: E731
    return [[(unescape(c.value), c.data_type, c.number_format if c.value is not None else None) for c in row]
            for row in ws.iter_rows()]


def assert_same_cells(frame: pd.DataFrame, tmp_path: Path) -> list[list[tuple]]:
    mine, expected = cells(ours(frame, tmp_path), inline=True), cells(theirs(frame, tmp_path))
    assert mine == expected
    return mine


def test_every_kind_of_value_reads_back_as_xlsxwriter_writes_it(tmp_path):
    n = max(len(TRICKY_TEXT), len(NUMBERS), len(DATES))
    pad = lambda values: values + [None] * (n - len(values))  # noqa: E731
    frame = pd.DataFrame({
        "text": pad(TRICKY_TEXT),
        "number": pad(NUMBERS),
        "saved_at": pad(DATES),
        "flag": pad([True, False, None]),
        "mixed": pad(["text", 3, 2.5, True, dt.datetime(2026, 1, 2), float("nan"), None]),
        "rating": pd.array(pad([1, 5, None, 3]), dtype="Int64"),
        "response_rate": pad([0.5, 1.0, 0, 2 / 3, "n/a"]),
    })
    got = assert_same_cells(frame, tmp_path)
    # text is text, never a formula; openpyxl leaves control characters in Excel's escape
    escaped = {"bell\x07and\x1f": "bell_x0007_and_x001F_", "carriage\rreturn": "carriage_x000D_return"}
    assert [row[0] for row in got[1:len(TRICKY_TEXT) + 1]] == [(escaped.get(t, t), "s", "General") for t in TRICKY_TEXT]
    assert got[1][2] == (DATES[0], "d", DATE_FORMAT)
    assert [row[3][0] for row in got[1:4]] == [True, False, None]
    assert [row[5][0] for row in got[1:5]] == [1, 5, None, 3]
    assert got[1][6] == (0.5, "n", PERCENT_FORMAT) and got[5][6] == ("n/a", "s", "General")


def test_a_table_is_an_excel_table_with_a_frozen_header_and_print_setup(tmp_path):
    frame = pd.DataFrame({"organization": ["North", "South Plains Workforce Board"], "comment": ["x" * 100, None]})
    wb = openpyxl.load_workbook(ours(frame, tmp_path))
    ws = wb["T"]
    assert ws.tables["T"].ref == "A1:B3" and [c.name for c in ws.tables["T"].tableColumns] == list(frame.columns)
    assert ws.freeze_panes == "A2"
    assert ws.page_setup.orientation == "landscape" and not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.page_setup.scale == PRINT_SCALE and ws.page_setup.pageOrder == "overThenDown"  # readable
    assert ws.oddHeader.right.text == "T" and "Page &P of &N" in ws.oddFooter.center.text
    assert ws.column_dimensions["B"].width == pytest.approx(60.71, abs=0.01)  # a long text: its column's most
    assert ws.column_dimensions["A"].width == pytest.approx(30.71, abs=0.01)  # its longest name, and room
    assert ws.page_setup.paperSize == 1  # US Letter


def test_an_empty_table_keeps_one_blank_row(tmp_path):
    frame = pd.DataFrame({"response_id": pd.Series([], dtype=object), "rating": pd.Series([], dtype="Int64")})
    ws = openpyxl.load_workbook(ours(frame, tmp_path))["T"]
    assert ws.tables["T"].ref == "A1:B2"
    assert [[c.value for c in row] for row in ws.iter_rows()] == [["response_id", "rating"]]


@settings(max_examples=25, deadline=None)
@given(st.lists(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\ufffe\uffff")),
                min_size=1, max_size=8))
def test_any_text_reads_back_as_xlsxwriter_writes_it(tmp_path_factory, texts):
    assert_same_cells(pd.DataFrame({"answer": texts}), tmp_path_factory.mktemp("text"))


@pytest.mark.libreoffice
def test_libreoffice_reads_escape_like_text_and_spaces_as_they_were(tmp_path):
    texts = ["_x0041_", "A_x005F_B", " leading", "trailing ", "=1+1"]
    converted = libreoffice.convert(ours(pd.DataFrame({"answer": texts}), tmp_path), "csv", tmp_path)
    with open(converted, encoding="utf-8", newline="") as handle:
        assert [row[0] for row in csv.reader(handle)] == ["answer", *texts]


def test_dates_are_excel_serials():
    assert serial(dt.datetime(1900, 2, 28)) == 59 and serial(dt.datetime(1900, 3, 1)) == 61
    assert serial(dt.datetime(2026, 1, 1, 12)) == 46023.5


def test_excel_is_told_the_digits_in_a_cycle_column_are_text(tmp_path):
    frame = pd.DataFrame({"response_id": ["a", "b"], "cycle": ["2026", "2026-spring"], "rating": [3, 4]})
    path = ours(frame, tmp_path)
    with zipfile.ZipFile(path) as z:
        sheet = next(z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/sheet"))
    assert '<ignoredErrors><ignoredError sqref="B2:B1048576" numberStoredAsText="1"/></ignoredErrors>' in sheet
    # CT_Worksheet's order: after the page setup and header, before the table parts
    assert sheet.index("</headerFooter>") < sheet.index("<ignoredErrors>") < sheet.index("<tableParts")
    assert openpyxl.load_workbook(path)["T"]["B2"].value == "2026"
    (tmp_path / "other").mkdir()
    no_cycle = ours(frame.drop(columns="cycle"), tmp_path / "other")
    with zipfile.ZipFile(no_cycle) as z:
        assert not any(b"ignoredErrors" in z.read(n) for n in z.namelist())


def test_a_wide_table_is_laid_out_one_page_wide_its_long_texts_wrapped_and_its_rows_as_high_as_their_lines(tmp_path):
    """Columns share the page's width: a date and a number keep the width they show in (a date in a column
    narrower than ``yyyy-mm-dd hh:mm`` shows ###), the long texts wrap, and each row is as high as its texts'
    lines (no application fits a row to its text when it opens a file)."""
    n = 30
    frame = pd.DataFrame({
        "response_id": [f"00000000-0000-4000-8000-{k:012d}" for k in range(n)],
        "saved_at": [dt.datetime(2026, 3, 1, 14, 30)] * n,
        "errors": [12345] * n,
        "organization": ["Prairie Workforce Board of the Northern Counties"] * n,
        "question": [("Does the partnership have a shared vision that every partner has agreed to in writing? " * 2)
                     [:40 + 4 * k] for k in range(n)],
        "answer": ["Yes, and we review it every year at the annual meeting of the partners " * 2] * n,
    })
    ws = openpyxl.load_workbook(ours(frame, tmp_path))["T"]
    widths = {c.value: ws.column_dimensions[c.column_letter].width for c in ws[1]}
    assert sum(w * PIXELS for w in widths.values()) <= PAGE_PIXELS  # one page wide (a stored width has its padding)
    assert widths["saved_at"] >= len(DATE_FORMAT) + 1 and widths["errors"] >= 6
    wrapped = [bool(c.alignment.wrap_text) for c in ws[2]]
    assert wrapped[1:3] == [False, False] and wrapped[4:] == [True, True]  # numbers never wrap; long texts do
    for r in range(2, n + 2):
        texts = [(ws.cell(r, c).value, widths[ws.cell(1, c).value]) for c in (5, 6)]
        assert ws.row_dimensions[r].height == 15 * max(wrapped_lines(t, w) for t, w in texts) > 15


def test_wrapped_lines_lays_words_greedily_and_breaks_a_word_too_long_for_a_line():
    assert wrapped_lines("short", 20) == 1
    assert wrapped_lines("aaaa bbbb cccc", 5) == 3  # 1.1 characters to a width's character, less one
    assert wrapped_lines("x" * 25, 10) == 3 and wrapped_lines("one\ntwo", 20) == 2 and wrapped_lines("", 9) == 1
