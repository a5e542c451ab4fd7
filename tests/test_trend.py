"""Change over time: two cycles of LibreOffice-filled returns rolled up, the Trend table read back and
compared with one computed here in plain Python from the returned files' own cells."""

import functools
import statistics
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

import libreoffice
import printed
from sheetflow.cli import main
from sheetflow.intake.validate import validate_paths
from sheetflow.rollup import trend
from sheetflow.rollup.table_sheets import TITLE
from sheetflow.rollup.tables import build
from sheetflow.rollup.trend_sheet import SHEET
from sheetflow.rollup.workbook import write

SAMPLES = Path(__file__).parent.parent / "samples"
CYCLES = {"2025": SAMPLES / "returns-2025", "2026": SAMPLES / "returns"}


@functools.cache
def book(path: Path) -> openpyxl.Workbook:
    """The whole workbook, loaded once (openpyxl takes seconds over a roll-up; the tests only read it)."""
    return openpyxl.load_workbook(path)


def sheet_cells(path: Path, sheet: str, data_only: bool = False) -> dict:
    """{(row, column): value} of one sheet's non-empty cells, read without loading the rest of the workbook."""
    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    try:
        return {(r, c): value for r, row in enumerate(wb[sheet].iter_rows(values_only=True), start=1)
                for c, value in enumerate(row, start=1) if value is not None}
    finally:
        wb.close()


def table_rows(wb, name):
    """The rows of the Excel Table ``name`` (header from the table's own first row), and its sheet."""
    for ws in wb.worksheets:
        if name in ws.tables:
            rows = [[c.value for c in row] for row in ws[ws.tables[name].ref]]
            return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)], ws.title
    raise AssertionError(f"no table {name}")


@functools.cache
def returned_ratings() -> tuple:
    """Each valid assessment's stamp cycle, region, organization and ratings, read by defined name with openpyxl."""
    out = []
    for path in CYCLES.values():
        for f in validate_paths([path]).files:
            if f.status != "valid" or f.instrument != "sector-self-assessment":
                continue
            wb = openpyxl.load_workbook(f.path, read_only=True)
            cells = {}  # (sheet, reference) -> value, each sheet read once

            def value(name):
                (sheet, ref), = list(wb.defined_names[name].destinations)
                if (sheet, None) not in cells:
                    cells[sheet, None] = True
                    cells.update(((sheet, c.coordinate), c.value) for row in wb[sheet].iter_rows()
                                 for c in row if c.value is not None)
                return cells.get((sheet, ref.replace("$", "")))

            out.append({"cycle": str(value("sheetflow_cycle")), "region": value("region"),
                        "organization": value("organization"),
                        "ratings": {i: int(value(f"rating_{i:02d}")) for i in range(1, 21)}})
            wb.close()
    return tuple(out)


def expected_trend(answers, assessment):
    """The Trend table by its definition, in plain Python: {(level, name, area, cycle): (respondents, average, change)}."""
    area_of = {c.number: a.name for a in assessment.areas for c in a.capabilities}
    ratings, people, held = defaultdict(list), defaultdict(int), defaultdict(set)
    for a in answers:
        for level, name in (("all", None), ("region", a["region"]), ("organization", a["organization"])):
            held[(level, name)].add(a["cycle"])
            for area in {area_of[i] for i in a["ratings"]}:
                people[(level, name, area, a["cycle"])] += 1
            for item, rating in a["ratings"].items():
                ratings[(level, name, area_of[item], a["cycle"])].append(rating)
    out = {}
    for (level, name, area, cycle), values in ratings.items():
        average = statistics.mean(values)
        earlier = sorted(c for c in held[(level, name)] if int(c) < int(cycle))
        change = None
        if earlier and (level, name, area, earlier[-1]) in ratings:
            change = average - statistics.mean(ratings[(level, name, area, earlier[-1])])
        out[(level, name, area, cycle)] = (people[(level, name, area, cycle)], average, change)
    return out


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    out = tmp_path_factory.mktemp("trend") / "rollup.xlsx"
    assert main(["rollup", str(CYCLES["2025"]), str(CYCLES["2026"]), "-o", str(out),
                 "--csv", str(out.parent / "csv")]) == 0
    return out


def test_the_samples_hold_two_cycles_of_the_same_roster():
    answers = returned_ratings()
    assert {a["cycle"] for a in answers} == {"2025", "2026"}
    by_cycle = defaultdict(set)
    for a in answers:
        by_cycle[a["cycle"]].add(a["organization"])
    assert len(by_cycle["2025"] & by_cycle["2026"]) >= 8


def test_the_trend_table_matches_an_independent_computation(both, assessment):
    rows, sheet = table_rows(book(both), "Trend")
    assert sheet == "Change over time"
    assert list(rows[0]) == ["level", "name", "area", "cycle", "respondents", "average", "change"]
    expected = expected_trend(returned_ratings(), assessment)
    got = {(r["level"], r["name"], r["area"], r["cycle"]): (r["respondents"], r["average"], r["change"]) for r in rows}
    assert len(rows) == len(got) == len(expected)
    assert got.keys() == expected.keys()
    for key, (people, average, change) in expected.items():
        assert got[key][0] == people, key
        assert got[key][1] == pytest.approx(average), key
        if change is None:
            assert got[key][2] is None, key
        else:
            assert got[key][2] == pytest.approx(change), key
    assert any(r["change"] is not None and r["change"] > 0 for r in rows)
    assert any(r["change"] is not None and r["change"] < 0 for r in rows)
    assert all(r["change"] is None for r in rows if r["cycle"] == "2025")


def test_the_trend_table_is_also_a_csv_file(both):
    import csv

    rows, _ = table_rows(book(both), "Trend")
    with open(both.parent / "csv" / "Trend.csv", encoding="utf-8-sig", newline="") as handle:
        written = list(csv.DictReader(handle))
    assert [r["name"] or None for r in written] == [r["name"] for r in rows]
    assert [float(r["average"]) for r in written] == pytest.approx([r["average"] for r in rows])
    assert [float(r["change"]) if r["change"] else None for r in written] == \
        pytest.approx([r["change"] for r in rows])


def test_averages_are_unrounded_numbers_shown_to_one_decimal_and_change_with_its_sign(both):
    ws = book(both)["Change over time"]
    ref = ws.tables["Trend"].ref
    cells = list(ws[ref])
    header = [c.value for c in cells[0]]
    average, change = header.index("average"), header.index("change")
    assert any(row[average].value != round(row[average].value, 1) for row in cells[1:])
    assert {row[average].number_format for row in cells[1:]} == {"0.0"}
    assert {row[change].number_format for row in cells[1:]} == {"[>=0.05]+0.0;[<=-0.05]-0.0;0.0"}  # never -0.0


def test_a_native_chart_of_each_regions_area_averages_by_cycle_with_alt_text(both):
    import zipfile

    with zipfile.ZipFile(both) as z:
        sheet = _sheet_part(z, "Change over time")
        drawing_rels = z.read(sheet.replace("worksheets/", "worksheets/_rels/") + ".rels").decode()
        drawing = "xl/drawings/" + drawing_rels.split("drawings/")[1].split('"')[0]
        xml = z.read(drawing).decode()
        charts = [z.read("xl/charts/" + name.split('"')[0]).decode() for name in
                  z.read(drawing.replace("drawings/", "drawings/_rels/") + ".rels").decode().split("charts/")[1:]]
    regions = ("North Plains", "Red River Valley")
    assert len(charts) == 2
    for region in regions:
        assert f'descr="Column chart: {region}&apos;s average rating' in xml or \
            f"descr=\"Column chart: {region}'s average rating" in xml
    for chart in charts:
        assert chart.count("<c:ser>") == 2  # one series per cycle
        assert "<c:v>2025</c:v>" in chart and "<c:v>2026</c:v>" in chart
        assert "<c:v>Organizational Capacity</c:v>" in chart  # categories: the areas


@pytest.fixture(scope="module")
def printed_pages(both, tmp_path_factory):
    """Every page of the two cycles' roll-up as LibreOffice prints it: [(text, typical text height), ...]."""
    pdf = libreoffice.convert(both, "pdf", tmp_path_factory.mktemp("pdf"))
    return list(zip(printed.page_texts(pdf), printed.text_sizes(pdf)))


@pytest.fixture(scope="module")
def printed_change(printed_pages):
    """The Change over time sheet's pages."""
    return [(text, size) for text, size in printed_pages if text.startswith(f"{TITLE} {SHEET} ")]


@pytest.mark.libreoffice
def test_the_progress_chart_prints_whole_on_one_page(both, printed_pages):
    plans = [text for text, _ in printed_pages if text.startswith(f"{TITLE} Action plans ")]
    [page] = [text for text in plans if "What became of last cycle's actions" in text]
    for label in ("North Plains: 1. Built around great data", "North Plains: 6. Are measured"):
        assert page.count(label) == 2, label  # in the table and on the chart's axis, on the same page
    # ... because the section starts a page, and its chart below the page's first row (drawn on that page only)
    ws = book(both)["Action plans"]
    heading = next(c.row for row in ws.iter_rows(max_col=1) for c in row
                   if str(c.value).startswith("Last cycle's actions by progress"))
    assert heading - 1 in [brk.id for brk in ws.row_breaks.brk]
    [chart] = [chart for chart in ws._charts if chart.anchor._from.row >= heading - 1]
    assert chart.anchor._from.row >= heading


@pytest.mark.libreoffice
def test_change_over_time_prints_at_full_size_with_the_trend_headings_on_every_page_of_the_table(printed_change):
    pages = printed_change
    assert len(pages) >= 4 and min(size for _, size in pages) >= 8  # 10- and 11-point text, not scaled down
    headings = "level name area cycle respondents average change"
    start = next(i for i, (text, _) in enumerate(pages) if "The Trend table" in text)
    assert len(pages[start:]) > 1 and all(headings in text for text, _ in pages[start:])
    for region in ("North Plains", "Red River Valley"):  # its grid and chart on a page of their own
        holding = [text for text, _ in pages if f"{region}: average rating by component area and cycle" in text]
        assert len(holding) == 1 and "Rose or fell" not in holding[0] and headings not in holding[0]


@pytest.mark.libreoffice
def test_every_area_and_listed_capability_prints_whole_on_change_over_time(both, printed_change, assessment):
    text = " ".join(text for text, _ in printed_change)
    assert [a.name for a in assessment.areas if f"{a.name} 2025" not in text] == []  # a Trend table row, not cut
    titles = {c.title for c in assessment.capabilities}
    ws = book(both)[SHEET]
    listed = {cell.value for row in ws.iter_rows() for cell in row if cell.value in titles}
    assert len(listed) == 6 and [t for t in listed if printed.flat(t) not in text] == []


def test_the_capabilities_that_moved_most_since_the_previous_cycle(both, assessment):
    cells = sheet_cells(both, "Change over time")
    header_row, col = next(key for key, v in cells.items() if v == "Rose or fell")
    where = {cells[header_row, c]: c for r, c in cells if r == header_row}
    listed = []
    r = header_row + 1
    while cells.get((r, col)) in ("Rose", "Fell"):
        if cells.get((r, where["Item"])) is not None:
            listed.append((cells[(r, col)], cells[(r, where["Item"])], cells[(r, where["Change"])]))
        r += 1
    means = defaultdict(list)
    for a in returned_ratings():
        for item, rating in a["ratings"].items():
            means[(a["cycle"], item)].append(rating)
    change = {i: statistics.mean(means[("2026", i)]) - statistics.mean(means[("2025", i)]) for i in range(1, 21)}
    rose = sorted((i for i in change if change[i] > 0), key=lambda i: (-change[i], i))[:3]
    fell = sorted((i for i in change if change[i] < 0), key=lambda i: (change[i], i))[:3]
    assert [(k, i) for k, i, _ in listed] == [("Rose", i) for i in rose] + [("Fell", i) for i in fell]
    assert [c for _, _, c in listed] == pytest.approx([change[i] for i in rose + fell])


def test_the_summaries_show_the_latest_cycle_and_say_so(both, assessment):
    assert sheet_cells(both, "Summary")[2, 1].startswith("Cycle 2026 (of 2025, 2026);")
    assert sheet_cells(both, "Rating distribution")[3, 1] == "Cycle 2026 (of 2025, 2026)."
    assert sheet_cells(both, "Action plans")[2, 1].startswith("Cycle 2026 (of 2025, 2026). ")
    _summary_matches_the_cycle(both, "2026", assessment)


def test_cycle_chooses_the_cycle_the_summaries_show(tmp_path, assessment):
    rollup = build(validate_paths(list(CYCLES.values())), cycle="2025")  # what `rollup --cycle 2025` builds
    assert (rollup.cycle, rollup.cycles) == ("2025", ["2025", "2026"])
    out = write(rollup, tmp_path / "rollup-2025.xlsx")
    assert sheet_cells(out, "Summary")[2, 1].startswith("Cycle 2025 (of 2025, 2026);")
    _summary_matches_the_cycle(out, "2025", assessment)
    plans = rollup.tables["Components"]
    assert set(plans["cycle"]) == {"2025", "2026"}
    action_plans = sheet_cells(out, "Action plans")
    statuses = [action_plans.get((r, c), 0) for r in range(5, 11) for c in range(2, 5)]
    assert sum(statuses) == (plans["cycle"] == "2025").sum() > 0


def test_a_cycle_the_rollup_does_not_hold_is_refused(tmp_path, capsys):
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(CYCLES["2026"]), "--cycle", "2024", "-o", str(out)]) == 2
    assert "--cycle 2024: the roll-up holds 2026." in capsys.readouterr().err
    assert not out.exists()


def test_one_cycle_has_no_change_over_time_sheet(tmp_path):
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(CYCLES["2025"]), "-o", str(out)]) == 0
    assert "Change over time" not in openpyxl.load_workbook(out, read_only=True).sheetnames
    assert sheet_cells(out, "Summary")[2, 1].startswith("Cycle 2025;")


def _summary_matches_the_cycle(path, cycle, assessment):
    """The Summary's region matrix: cached values are that cycle's averages, and the formulas keep to that cycle."""
    area_of = {c.number: a.name for a in assessment.areas for c in a.capabilities}
    ratings = defaultdict(list)
    for a in returned_ratings():
        if a["cycle"] == cycle:
            for item, rating in a["ratings"].items():
                ratings[(a["region"], area_of[item])].append(rating)
    values, formulas = sheet_cells(path, "Summary", data_only=True), sheet_cells(path, "Summary")
    header = next(r for r in range(1, 80) if values.get((r, 1)) == "Region")
    regions = sorted({region for region, _ in ratings})
    for row, region in enumerate(regions, start=header + 1):
        assert values[row, 1] == region
        for k, area in enumerate(a.name for a in assessment.areas):
            assert values[row, 2 + k] == pytest.approx(statistics.mean(ratings[(region, area)]))
            assert f',"{cycle}")' in formulas[row, 2 + k]


def _sheet_part(z, name):
    import re

    workbook = z.read("xl/workbook.xml").decode()
    rid = re.search(rf'<sheet name="{re.escape(name)}" sheetId="\d+" r:id="(rId\d+)"', workbook).group(1)
    rels = z.read("xl/_rels/workbook.xml.rels").decode()
    target = re.search(rf'Id="{rid}"[^>]*Target="([^"]+)"|Target="([^"]+)"[^>]*Id="{rid}"', rels)
    return "xl/" + (target.group(1) or target.group(2)).lstrip("/").removeprefix("xl/")


def test_cycles_sort_as_time_does():
    assert trend.ordered(["2026", "2025-26", "2025", "9", "10", None]) == ["9", "10", "2025", "2025-26", "2026"]
