"""The samples' roll-up as a board member prints it: every visible sheet, as the workbook opens (LibreOffice's
PDF, read with pdftotext). A board pack: at most 60 pages, every text whole and at least 8 points, no ###."""

import re

import openpyxl
import pytest

import libreoffice
import printed
from conftest import SAMPLES
from sheetflow.cli import main
from sheetflow.rollup.columns import spec
from sheetflow.rollup.table_sheets import TITLE

pytestmark = pytest.mark.libreoffice
PAGES = 60  # the whole roll-up of the samples, every visible sheet


@pytest.fixture(scope="module")
def rollup(tmp_path_factory):
    """(the workbook, its PDF, {sheet: [page text, ...]}) of the samples' roll-up, with the manifest."""
    folder = tmp_path_factory.mktemp("board-pack")
    out = folder / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES / "returns"), "--manifest", str(SAMPLES / "sent" / "manifest.csv"),
                 "-o", str(out)]) == 0
    pdf = libreoffice.convert(out, "pdf", folder / "pdf")
    return out, pdf, printed.pages_by_sheet(out, folder / "pdf", TITLE)


def tables(workbook):
    """{sheet: (header, rows)} of every data table (an Excel Table on a sheet of its name)."""
    wb = openpyxl.load_workbook(workbook)
    found = {}
    for ws in wb.worksheets:
        if ws.title in ws.tables:
            rows = [[c.value for c in row] for row in ws[ws.tables[ws.title].ref]]
            found[ws.title] = (rows[0], rows[1:])
    return found


def test_the_whole_rollup_prints_as_a_board_pack_of_at_most_60_pages(rollup):
    workbook, pdf, pages = rollup
    total = sum(map(len, pages.values()))
    assert total == len(printed.page_texts(pdf)) <= PAGES, {sheet: len(p) for sheet, p in pages.items()}
    order = openpyxl.load_workbook(workbook, read_only=True).sheetnames
    data = [order.index(name) for name in tables(workbook)]
    board = [order.index(name) for name in ("Summary", "Strengths", "Rating distribution", "Action plans")]
    assert max(board) < min(data)  # the board's sheets first, the data tables after them


def test_no_figure_prints_as_hashes(rollup):
    _, _, pages = rollup
    assert {sheet: [p for p in texts if "###" in p] for sheet, texts in pages.items()} == \
        {sheet: [] for sheet in pages}


def test_every_text_of_every_data_table_prints_whole_on_its_sheets_pages(rollup):
    """Each distinct text (and date) of a printed column is on its sheet's pages whole, however it wraps; a
    last column left out of the print area (``Column.printed_on``) prints on the sheet it names."""
    workbook, _, pages = rollup
    checked = 0
    for sheet, (header, rows) in tables(workbook).items():
        for c, name in enumerate(header):
            where = spec(sheet, name).printed_on or sheet if c >= printed_columns(sheet, header) else sheet
            text = " ".join(pages[where])
            values = {f"{v:%Y-%m-%d %H:%M}" if hasattr(v, "strftime") else str(v) for v in (row[c] for row in rows)
                      if isinstance(v, str) or hasattr(v, "strftime")}
            missing = sorted(v for v in values if not printed.whole(v, text))
            assert missing == [], f"{sheet}.{name}: {missing[:3]}"
            checked += len(values)
        for number, page in enumerate(pages[sheet], start=1):  # no page of ends of texts: each has the headings
            assert [n for n in header[:printed_columns(sheet, header)] if f" {n} " not in f" {page} "] == [], \
                f"{sheet}, page {number}"
    assert checked > 500


def printed_columns(sheet, header) -> int:
    count = len(header)
    while count > 1 and spec(sheet, header[count - 1]).printed_on:
        count -= 1
    return count


def test_no_printed_text_is_under_8_points(rollup):
    _, pdf, _ = rollup
    small = printed.small_texts(pdf, 8)
    assert small == [], small[:10]


def test_the_rating_distributions_chart_has_a_page_of_its_own_without_an_empty_header_row(rollup):
    _, _, pages = rollup
    chart, *table = pages["Rating distribution"]
    assert "Ratings per capability (share of respondents)" in chart
    assert not re.search(r"Item Capability 1 2 3 4 5 Average", chart)  # no table heading above the chart
    assert table and all("Item Capability 1 2 3 4 5 Average" in page for page in table)


def test_the_summary_names_each_organizations_region(rollup):
    workbook, _, pages = rollup
    summary = " ".join(pages["Summary"])
    seen = {(row[2], row[3]) for row in tables(workbook)["Responses"][1]}  # (region, organization)
    assert [(r, o) for r, o in seen if f"{printed.flat(o)} " not in summary or not re.search(
        re.escape(printed.flat(o)) + r" [\d. ]+ " + re.escape(r), summary)] == []


def test_the_rating_counts_pivot_is_headed_by_the_ratings_1_to_5(rollup):
    _, _, pages = rollup
    counts = " ".join(pages["Pivot - Rating counts"])
    assert "Number of ratings rating item 1 2 3 4 5 Total Result " in counts, counts[:400]


def test_a_pivot_two_pages_wide_prints_its_title_whole_on_each_page(rollup):
    """The Ratings by area pivot takes two pages across, the second with the organizations (column A) again:
    its title and note wrap within that column, so none of their words runs past it into the page's figures."""
    workbook, pdf, pages = rollup
    order = [sheet for sheet in pages for _ in pages[sheet]]
    first = order.index("Pivot - Ratings by area")
    later = printed.words(pdf)[first + 1:first + len(pages["Pivot - Ratings by area"])]
    assert later  # it does print two pages across
    for page in later:
        total = max(x0 for x0, _, _, _, word in page if word == "Total")  # the Total Result column's heading
        top = min(y0 for _, y0, _, _, word in page if word == "region")  # the first filter, under the note
        heading = [w for w in page if 40 < w[1] < top]  # below the page header, above the filters
        assert heading and [w[4] for w in heading if w[2] > total] == []
        assert "cycle 2026" in " ".join(w[4] for w in heading)


def test_each_pivots_figures_print_under_their_headings(rollup):
    """In the Rating counts pivot, every count starts where its column's heading (a rating, or Total Result)
    starts: LibreOffice lays the cells out in the workbook's pivot cell styles, all left-aligned."""
    _, pdf, pages = rollup
    order = [sheet for sheet in pages for _ in pages[sheet]]
    page = printed.words(pdf)[order.index("Pivot - Rating counts")]
    [item] = [w for w in page if w[4] == "item"]  # column A's heading, on the row of the column headings
    headings = [w for w in page if abs(w[1] - item[1]) < 1 and w[0] > item[2]]
    assert [w[4] for w in headings] == ["1", "2", "3", "4", "5", "Total", "Result"]
    starts = [w[0] for w in headings if w[4] != "Result"]
    footer = min(w[1] for w in page if w[4] == "Page")  # "Page n of m"
    figures = [w for w in page if item[3] < w[1] < footer and w[0] > item[2] + 5 and w[4].isdigit()]
    assert len(figures) > 100 and [w for w in figures if min(abs(w[0] - s) for s in starts) > 1] == []
