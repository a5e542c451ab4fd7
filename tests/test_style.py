"""The one style-and-print module both the instruments and the roll-up print through (sheetflow/style.py)."""

from __future__ import annotations

import io

import openpyxl
import xlsxwriter

from sheetflow import style
from sheetflow.instruments import pages
from sheetflow.rollup import table_sheets


def test_a_page_header_shows_an_ampersand_in_a_name_rather_than_starting_a_code():
    assert style.page_header("Tools & forms", "Q&A") == "&L&8Tools && forms&R&8Q&&A"
    assert style.page_footer() == "&C&8Page &P of &N"


def test_a_header_prints_at_eight_points_whatever_the_scale_of_its_sheet():
    assert [style.header_size(scale) for scale in (100, 80, 75, 73)] == [8, 10, 11, 11]
    header, footer = table_sheets.page_header("Responses", 75)
    assert header == "&L&11Regional sector partnership roll-up&R&11Responses" and footer == "&C&11Page &P of &N"


def test_the_scale_fits_what_is_needed_in_the_room_there_is_within_its_bounds():
    assert style.print_scale(100, 50, smallest=10) == 100  # never enlarged
    assert style.print_scale(100, 125, smallest=10) == 80
    assert style.print_scale(100, 1000, smallest=73) == 73  # never below the smallest readable
    assert style.scale_to_fit(100, 1000) == 10


def test_an_instrument_sheet_is_set_up_through_the_one_module():
    data = io.BytesIO()
    wb = xlsxwriter.Workbook(data, {"in_memory": True})
    ws = wb.add_worksheet("Q&A")
    layout = pages.Layout((60, 60, 60), landscape=True, repeat=1)  # wider than the page
    pages.set_up(ws, layout, style.page_header("Self-Assessment", "Q&A"), style.page_footer())
    wb.close()
    sheet = openpyxl.load_workbook(data)["Q&A"]
    assert sheet.page_setup.paperSize == style.LETTER and sheet.page_setup.orientation == "landscape"
    assert sheet.page_setup.scale == layout.scale < 100 and sheet.print_title_rows == "$1:$2"
    assert sheet.oddHeader.right.text == "Q&&A" and sheet.oddHeader.right.size == 8
