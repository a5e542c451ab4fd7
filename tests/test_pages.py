"""Page layout of generated sheets (sheetflow/instruments/pages.py): the print scale and where pages break."""

import openpyxl
import pytest

from sheetflow.instruments import pages
from sheetflow.instruments.pages import Layout


def layout(heights, repeat=None, keep=(), blocks=()):
    """A landscape sheet at 100% (one narrow column) with rows of ``heights`` points."""
    return Layout((10,), landscape=True, repeat=repeat, heights=dict(enumerate(heights)), keep=set(keep),
                  blocks=list(blocks))


def test_the_scale_fits_the_columns_across_the_page_and_never_enlarges():
    assert pages.print_scale((10,), landscape=True) == 100
    wide = (30, 32, 14, 22, 24, 30, 16)
    scale = pages.print_scale(wide, landscape=True)
    across = sum(pages.column_pixels(w) for w in wide) * scale / 100
    assert 60 <= scale < 100 and across <= 10 * 96 < across * 1.02  # 10 inches between the margins, in pixels
    assert pages.print_scale(wide, landscape=False) < scale


ROOM = pages.page_height(landscape=True, scale=100)


def test_rows_flow_onto_the_next_page_where_the_page_is_full():
    assert layout([ROOM * 0.3] * 4).breaks(3) == [3]
    assert layout([ROOM * 0.3] * 3).breaks(2) == []


def test_a_heading_is_never_the_last_row_of_a_page():
    heights = [ROOM * 0.3] * 3 + [ROOM * 0.05, ROOM * 0.3]  # the heading fits at the foot of page 1, its row does not
    assert layout(heights).breaks(4) == [4]
    assert layout(heights, keep={3}).breaks(4) == [3]


def test_a_block_that_fits_on_a_page_starts_one_rather_than_being_split():
    heights = [ROOM * 0.55] + [ROOM / 8] * 6  # over half a page, then a table of six rows (three quarters of a page)
    assert layout(heights).breaks(6) == [4]
    assert layout(heights, blocks=[(1, 6)]).breaks(6) == [1]


def test_a_block_taller_than_a_page_is_split_where_the_page_is_full_and_repeated_rows_take_their_room():
    heights = [ROOM * 0.3] * 7
    assert layout(heights, blocks=[(1, 6)]).breaks(6) == [3, 6]
    assert layout(heights, repeat=0, blocks=[(1, 6)]).breaks(6) == [3, 5]  # row 0 prints on every page


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_every_sheet_prints_on_letter_at_a_readable_scale_never_fitted_to_a_page(blank_workbooks, instrument_id):
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    for ws in wb.worksheets:
        if ws.sheet_state != "visible":
            continue
        setup = ws.page_setup
        assert (setup.paperSize, ws.sheet_properties.pageSetUpPr.fitToPage) in ((1, None), (1, False)), ws.title
        assert 70 <= (setup.scale or 100) <= 100, f"{ws.title} prints at {setup.scale}%"
        assert "&P" in ws.oddFooter.center.text and ws.oddHeader.left.text, ws.title


def test_column_headings_repeated_after_their_own_page_take_room_on_the_pages_after_it():
    heights = [ROOM * 0.3] * 2 + [ROOM * 0.1] + [ROOM * 0.25] * 5  # two rows, a table's headings, its rows
    table = layout(heights, blocks=[(2, 7)])
    table.titles = (2, 2)
    assert table.breaks(7) == [4, 7]  # each page after the first holds the headings and three rows
