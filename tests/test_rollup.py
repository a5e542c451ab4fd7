"""The roll-up workbook, read back with openpyxl and compared with figures computed independently."""

import csv
import re
import statistics
import zipfile
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

import libreoffice
import printed
from test_printed_rollup import printed_columns
from sheetflow.cli import main
from sheetflow.intake.record import Return, Answer
from sheetflow.intake.report import FileReport, Report
from sheetflow.rollup.tables import build
from sheetflow.rollup.csv_files import write_csv
from sheetflow.rollup.table_sheets import TITLE
from sheetflow.rollup.list_sheets import NEEDS
from sheetflow.rollup.workbook import write
from sheetflow.intake.validate import validate_paths

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"


def table_rows(wb, name):
    """The rows of the Excel Table ``name`` as dicts (header from the table itself)."""
    for ws in wb.worksheets:
        if name in ws.tables:
            ref = ws.tables[name].ref
            rows = [[c.value for c in row] for row in ws[ref]]
            return [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]
    raise AssertionError(f"no table {name}")


def sample_answers():
    """Independently of sheetflow's reader: every valid sample assessment's ratings by defined name."""
    out = []
    report = validate_paths([SAMPLES])
    for f in report.files:
        if f.status != "valid" or f.instrument != "sector-self-assessment":
            continue
        wb = openpyxl.load_workbook(f.path)

        def value(name):
            (sheet, ref), = list(wb.defined_names[name].destinations)
            return wb[sheet][ref.replace("$", "")].value

        out.append({"organization": value("organization"), "region": value("region"),
                    "respondent": value("respondent_name"),
                    "ratings": {i: int(value(f"rating_{i:02d}")) for i in range(1, 21)}})
    return out


@pytest.fixture(scope="module")
def sample_rollup(tmp_path_factory):
    out = tmp_path_factory.mktemp("rollup") / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES), "-o", str(out), "--csv", str(out.parent / "csv")]) == 0
    return out


def test_responses_hold_exactly_what_partners_entered(sample_rollup, assessment):
    wb = openpyxl.load_workbook(sample_rollup)
    rows = table_rows(wb, "Responses")
    expected = sorted((a["respondent"], i, r) for a in sample_answers() for i, r in a["ratings"].items())
    assert sorted((r["respondent_name"], r["item"], r["rating"]) for r in rows) == expected
    assert all(isinstance(r["rating"], int) and isinstance(r["item"], int) for r in rows)
    titles = {c.number: c.title for c in assessment.capabilities}
    assert all(r["capability"] == titles[r["item"]] for r in rows)


def test_area_averages_match_an_independent_computation(sample_rollup, assessment):
    answers = sample_answers()
    area_of = {c.number: a.name for a in assessment.areas for c in a.capabilities}
    ratings = defaultdict(list)
    for a in answers:
        for item, rating in a["ratings"].items():
            ratings[(a["organization"], area_of[item])].append(rating)
    formulas = openpyxl.load_workbook(sample_rollup)["Summary"]
    values = openpyxl.load_workbook(sample_rollup, data_only=True)["Summary"]
    areas = [a.name for a in assessment.areas]
    header = next(r for r in range(1, 40) if values.cell(r, 1).value == "Organization")
    assert [values.cell(header, 2 + k).value for k in range(5)] == areas
    checked = 0
    for row in range(header + 1, header + 1 + len({a["organization"] for a in answers})):
        org = values.cell(row, 1).value
        for k, area in enumerate(areas):
            assert formulas.cell(row, 2 + k).value.startswith("=IFERROR(AVERAGEIFS(Responses[rating],Responses[organization],")
            assert values.cell(row, 2 + k).value == pytest.approx(statistics.mean(ratings[(org, area)]))
            checked += 1
    assert checked == 5 * len({a["organization"] for a in answers})


def test_tables_are_real_excel_tables_with_typed_columns(sample_rollup):
    wb = openpyxl.load_workbook(sample_rollup)
    names = {name for ws in wb.worksheets for name in ws.tables}
    assert {"Responses", "Context", "Components", "Actions", "Submissions", "Problems", "Dictionary"} <= names
    submissions = table_rows(wb, "Submissions")
    assert len(submissions) == len([p for p in SAMPLES.iterdir()])
    assert {s["status"] for s in submissions} == {"valid", "invalid", "rejected", "superseded"}
    assert all(s["saved_at"] is None or s["saved_at"].year == 2026 for s in submissions)
    left_out = {s["source_file"] for s in submissions if s["status"] != "valid"}
    problems = table_rows(wb, "Problems")
    assert {p["source_file"] for p in problems} == left_out
    components = table_rows(wb, "Components")
    assert {c["status"] for c in components} <= {"In place", "Partly in place", "Not yet in place"}
    assert all(isinstance(c["element"], int) and isinstance(c["component"], int) for c in components)
    actions = table_rows(wb, "Actions")
    assert actions and all(a["objective"] and a["lead"] for a in actions)
    dictionary = table_rows(wb, "Dictionary")
    for table in ("Responses", "Actions", "Submissions"):
        headers = list(table_rows(wb, table)[0])
        assert headers == [d["column"] for d in dictionary if d["table"] == table]


def test_native_charts_and_the_about_sheet(sample_rollup):
    with zipfile.ZipFile(sample_rollup) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
    assert len(charts) >= 3
    about = openpyxl.load_workbook(sample_rollup)["About"]
    text = " ".join(str(c.value) for row in about.iter_rows() for c in row if c.value)
    assert "sheetflow" in text and "23 files considered" in text
    assert "Hector Ramirez answers.csv" in text
    # the versions the included returns were made from, as their own stamps say, not the current ones
    made_from = defaultdict(lambda: defaultdict(int))
    for row in table_rows(openpyxl.load_workbook(sample_rollup), "Submissions"):
        if row["status"] == "valid":
            stamp = openpyxl.load_workbook(SAMPLES / row["source_file"]).custom_doc_props
            made_from[row["instrument"]][stamp["sheetflow_version"].value] += 1
    assert made_from and all(made_from.values())
    for counts in made_from.values():
        for version, n in counts.items():
            assert f"version {version} ({n} return{'s' if n > 1 else ''})" in text
    assert "version 1.2" not in text  # no sample return was made from the current definitions


def test_the_rollup_is_compressed_like_any_workbook(sample_rollup):
    with zipfile.ZipFile(sample_rollup) as z:
        assert z.testzip() is None
        infos = z.infolist()
    assert {info.compress_type for info in infos} == {zipfile.ZIP_DEFLATED}
    assert sum(i.compress_size for i in infos) < sum(i.file_size for i in infos) / 3


def test_csv_tables_match_the_workbook(sample_rollup):
    folder = sample_rollup.parent / "csv"
    with open(folder / "Responses.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    wb_rows = table_rows(openpyxl.load_workbook(sample_rollup), "Responses")
    assert len(rows) == len(wb_rows)
    assert [r["rating"] for r in rows] == [str(r["rating"]) for r in wb_rows]


def hostile_report(tmp_path, assessment):
    """A valid return whose text answers look like formulas, built directly as a record."""
    answers = {}
    for a in assessment.answers:
        value = {"rating": 3, "yes_no": "No", "date": None}.get(a.kind, "=HYPERLINK(\"http://evil\",\"x\")")
        answers[a.name] = Answer(a.name, "About you!B4", value)
    answers["organization"].value = "+Org"
    answers["respondent_name"].value = "@Ana"
    answers["comment_01"].value = "\tTab"
    answers["comment_02"].value = "-1+1"
    record = Return(path=str(tmp_path / "x.xlsx"), instrument=assessment.id, version=assessment.version,
                    response_id="r1", cycle="2026", answers=answers)
    return Report(files=[FileReport(path=record.path, status="valid", instrument=assessment.id,
                                    response_id="r1", organization="+Org", respondent="@Ana", record=record)])


def test_partner_text_is_never_written_as_a_formula(tmp_path, assessment):
    result = build(hostile_report(tmp_path, assessment))
    path = write(result, tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(path)
    rows = table_rows(wb, "Responses")
    ws = wb["Responses"]
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str):
                assert cell.data_type == "s", cell.coordinate
    assert rows[0]["organization"] == "+Org" and rows[0]["comment"] == "\tTab" and rows[1]["comment"] == "-1+1"
    assert rows[2]["comment"].startswith("=HYPERLINK")
    write_csv(result, tmp_path / "csv")
    with open(tmp_path / "csv" / "Responses.csv", encoding="utf-8-sig", newline="") as handle:
        first = list(csv.DictReader(handle))
    assert first[0]["organization"] == "'+Org" and first[0]["respondent_name"] == "'@Ana"
    assert first[0]["comment"] == "'\tTab" and first[2]["comment"].startswith("'=HYPERLINK")
    assert first[0]["rating"] == "3"


def test_exit_codes_force_and_strict(tmp_path, sample_rollup, capsys):
    out = tmp_path / "r.xlsx"
    out.write_text("keep")
    assert main(["rollup", str(SAMPLES), "-o", str(out)]) == 2
    assert out.read_text() == "keep"
    assert main(["rollup", str(SAMPLES), "-o", str(out), "--force", "--strict"]) == 1
    said = capsys.readouterr().out
    assert "17 of 23 files included; 6 left out (3 invalid, 2 rejected, 1 superseded)" in said
    assert [p.name for p in tmp_path.iterdir()] == ["r.xlsx"]


@pytest.mark.libreoffice
def test_libreoffice_opens_the_rollup(tmp_path, sample_rollup):
    pdf = libreoffice.convert(sample_rollup, "pdf", tmp_path)
    assert pdf.stat().st_size > 20_000
    assert libreoffice.pdf_to_png(pdf, tmp_path, 1, 1)


@pytest.fixture(scope="module")
def printed_rollup(tmp_path_factory):
    """The samples' roll-up (with the manifest) as LibreOffice prints it: {sheet: [page text, ...]}."""
    folder = tmp_path_factory.mktemp("printed")
    out = folder / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES), "--manifest", str(SAMPLES.parent / "sent" / "manifest.csv"),
                 "-o", str(out)]) == 0
    return out, printed.pages_by_sheet(out, folder / "pdf", TITLE)


@pytest.mark.libreoffice
def test_every_capability_prints_whole_on_the_pages_of_its_sheet(printed_rollup, assessment):
    workbook, pages = printed_rollup
    distribution = " ".join(pages["Rating distribution"])
    assert [c.title for c in assessment.capabilities if printed.flat(c.title) not in distribution] == []
    wb = openpyxl.load_workbook(workbook)
    for sheet, column in (("Strengths", 5), ("Disagreement", 5), ("Disagreement", 8)):
        ws, text = wb[sheet], " ".join(pages[sheet])
        listed = {ws.cell(r, column).value for r in range(3, ws.max_row + 1)} - {None}
        assert listed and [t for t in listed if printed.flat(str(t)) not in text] == [], sheet
    summary = " ".join(pages["Summary"])
    assert [a.name for a in assessment.areas if a.name not in summary] == []
    organizations = {r["organization"] for r in table_rows(wb, "Responses")}
    for sheet in ("Summary", "Pivot - Ratings by area"):
        text = " ".join(pages[sheet])
        assert [o for o in organizations if printed.flat(o) not in text] == [], sheet


@pytest.mark.libreoffice
def test_the_summary_chart_prints_whole_on_the_page_of_its_table(tmp_path):
    """A chart cut by a page's end has its title on one page and its legend on the next: the region averages'
    chart starts a page with its table, however long the lines above (two cycles, here, lengthen them)."""
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES), str(SAMPLES.parent / "returns-2025"),
                 "--manifest", str(SAMPLES.parent / "sent" / "manifest.csv"), "-o", str(out)]) == 0
    pages = printed.pages_by_sheet(out, tmp_path / "pdf", TITLE)["Summary"]
    [page] = [text for text in pages if "Average rating by component area and region" in text]
    assert "Average rating by region and component area" in page  # the table the chart shows
    assert "North Plains Red River Valley" in page  # the legend, at the chart's foot


@pytest.mark.libreoffice
def test_a_wide_data_table_prints_readably_over_pages_each_with_its_headings_and_key(printed_rollup, tmp_path):
    """Responses prints one page wide at a readable size, each page with the header row (and, should a table be
    wider than a page, the first column: the response id); together they hold every printed heading."""
    workbook, pages = printed_rollup
    wb = openpyxl.load_workbook(workbook)
    for sheet in ("Responses", "Actions"):
        assert wb[sheet].print_title_rows == "$1:$1" and wb[sheet].print_title_cols == "$A:$A"
        names = [c.value for c in wb[sheet][1]]
        names = names[:printed_columns(sheet, names)]  # a last capability or source_file prints on another sheet
        assert all(f" {names[0]} " in f" {text} " for text in pages[sheet]), sheet  # the key column's heading
        assert [n for n in names if not any(f" {n} " in f" {t} " for t in pages[sheet])] == [], sheet
    pdf = libreoffice.convert(workbook, "pdf", tmp_path)
    sizes = dict(zip(printed.page_texts(pdf), printed.text_sizes(pdf)))
    responses = [size for text, size in sizes.items() if text.startswith(f"{TITLE} Responses ")]
    assert responses and min(responses) >= 6.5  # 11-point text at 75%, not a third of its size


@pytest.mark.libreoffice
def test_every_printed_page_of_a_table_carries_its_column_headings(printed_rollup):
    workbook, pages = printed_rollup
    wb = openpyxl.load_workbook(workbook)
    # a data table's pages across each carry the headings of their own columns and of the key column: the key
    headings = {ws.title: [ws["A1"].value] for ws in wb if ws.title in ws.tables}
    headings.update({sheet: [c.value for c in wb[sheet][2] if c.value] for sheet in ("Strengths", "Disagreement")})
    distribution = wb["Rating distribution"]
    [top] = [row for row in distribution.iter_rows() if row[0].value == "Item"]
    headings["Rating distribution"] = [c.value for c in top if c.value]
    assert len(pages["Responses"]) > 1 and len(pages["Strengths"]) > 1  # the check means something
    for sheet, names in headings.items():
        first = 2 if sheet == "Rating distribution" else 1  # its chart's page comes first, without the table
        for number, text in enumerate(pages[sheet][first - 1:], start=first):
            assert [n for n in names if f" {n} " not in f" {text} "] == [], f"{sheet}, page {number}"


@pytest.mark.libreoffice
def test_the_distribution_chart_labels_each_bar_with_its_capability(printed_rollup, assessment):
    _, pages = printed_rollup
    text = " ".join(pages["Rating distribution"])
    for c in assessment.capabilities:  # the number and the name, shortened at a word boundary if at all
        words = printed.flat(c.title).split(" ")
        labels = [f"{c.number}. {' '.join(words[:k])}…" for k in range(4, len(words))] + [f"{c.number}. {c.title}"]
        assert any(label in text for label in labels), c.title


@pytest.mark.libreoffice
def test_ratings_print_as_whole_numbers_while_the_pivots_averages_keep_one_decimal(printed_rollup):
    workbook, pages = printed_rollup
    ws = openpyxl.load_workbook(workbook)["Responses"]
    column = [c.value for c in ws[1]].index("rating")
    ratings = [row[column].value for row in ws.iter_rows(min_row=2)]
    assert ratings and all(isinstance(r, int) and 1 <= r <= 5 for r in ratings)  # the values are whole numbers
    text = " ".join(pages["Responses"])
    assert re.findall(r"(?<![\d.])[1-5]\.0(?!\d)", text) == []  # ... and print so ("3", never "3.0")
    averages = " ".join(pages["Pivot - Ratings by area"])
    assert re.search(r"\b[1-5]\.[1-9]\b", averages) and printed.decimals_over(averages, 1) == []


@pytest.mark.libreoffice
def test_pivots_print_one_decimal_and_readable_captions(printed_rollup):
    _, pages = printed_rollup
    pivots = {sheet: " ".join(texts) for sheet, texts in pages.items() if sheet.startswith("Pivot")}
    # each on a page, or (LibreOffice widens a pivot's columns to its own measure) two across, each with the
    # row labels: the Ratings by area's organizations beside their overall average on the second
    assert len(pivots) == 3 and all(len(pages[sheet]) <= 2 for sheet in pivots)
    for sheet in pivots:
        first = pages[sheet][0]
        for page in pages[sheet][1:]:
            assert "Total Result" in page and all(o in page for o in ("Prairie Workforce Board", "Red River"))
    assert {sheet: printed.decimals_over(text, 1) for sheet, text in pivots.items()} == dict.fromkeys(pivots, [])
    assert "Average rating" in pivots["Pivot - Ratings by area"]
    assert re.search(r"Average rating .*\b[1-5]\.\d\b", pivots["Pivot - Ratings by area"])
    assert "Sustainability & Continuous Improvement" in pivots["Pivot - Ratings by area"]


NEED = ("Two days a month of a labor market analyst from the state workforce agency, to build and keep up the "
        "shared dashboard that the partnership reviews at each quarterly meeting")


@pytest.fixture(scope="module")
def printed_long_texts(tmp_path_factory):
    """The samples' roll-up with long action-plan texts, as LibreOffice prints it: (texts, {sheet: [page text]})."""
    folder = tmp_path_factory.mktemp("long")
    result = build(validate_paths([SAMPLES]))
    import pandas as pd

    actions = pd.concat([result.tables["Actions"]] * 3, ignore_index=True)  # enough to run onto more pages
    needs = [f"{NEED} (need {n})" for n in range(len(actions))]
    objectives = [f"Objective {n}: agree with employers on the skills that the region's health care jobs need"
                  for n in range(len(actions))]
    result.tables["Actions"] = actions.assign(resources_ta=needs, objective=objectives)
    path = write(result, folder / "long.xlsx")
    shown = result.shown("Actions").index
    texts = [needs[i] for i in shown] + [objectives[i] for i in shown]
    return texts, printed.pages_by_sheet(path, folder / "pdf", TITLE)


@pytest.mark.libreoffice
def test_long_resource_needs_and_objectives_print_whole_under_their_headings(printed_long_texts):
    texts, pages = printed_long_texts
    printed_text = " ".join(pages[NEEDS])
    assert len(texts) > 10 and [t for t in texts if printed.flat(t) not in printed_text] == []
    assert len(pages[NEEDS]) > 1  # the list runs on, and every page carries its headings
    for number, text in enumerate(pages[NEEDS], start=1):
        assert "Region Key element Strategic objective Resources/ TA needed" in text, f"page {number}"


@pytest.mark.libreoffice
def test_libreoffice_computes_the_summary_formulas_to_the_values_written(tmp_path, sample_rollup):
    ours = openpyxl.load_workbook(sample_rollup, data_only=True)
    formulas = openpyxl.load_workbook(sample_rollup)
    theirs = openpyxl.load_workbook(libreoffice.convert(sample_rollup, "xlsx", tmp_path), data_only=True)
    checked = 0
    for sheet in ("Summary", "Rating distribution"):
        for row in formulas[sheet].iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and cell.value.startswith("="):
                    assert "Responses[" in cell.value and "Responses!" not in cell.value  # the table's columns
                    mine, computed = ours[sheet][cell.coordinate].value, theirs[sheet][cell.coordinate].value
                    assert (computed or "") == pytest.approx(mine or "") if mine != "" else computed in ("", None)
                    checked += 1
    assert checked > 100


def test_with_the_manifest_the_rollup_lists_who_is_outstanding_and_the_response_rate(tmp_path):
    manifest = SAMPLES.parent / "sent" / "manifest.csv"
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES), "--manifest", str(manifest), "-o", str(out), "--no-pivots"]) == 0
    wb = openpyxl.load_workbook(out)
    with open(manifest, encoding="utf-8-sig", newline="") as handle:
        sent = list(csv.DictReader(handle))
    valid = {f.response_id for f in validate_paths([SAMPLES]).files if f.status == "valid"}
    outstanding = table_rows(wb, "Outstanding")
    assert sorted(r["response_id"] for r in outstanding) == sorted(r["response_id"] for r in sent
                                                                  if r["response_id"] not in valid)
    rates = {(r["level"], r["name"], r["instrument"]): r for r in table_rows(wb, "ResponseRate")}
    for region in {r["region"] for r in sent}:
        mine = [r for r in sent if r["region"] == region and r["instrument"] == "sector-self-assessment"]
        row = rates[("Region", region, "Self-Assessment")]
        assert row["sent"] == len(mine)
        assert row["valid"] == sum(r["response_id"] in valid for r in mine)
        assert row["response_rate"] == pytest.approx(row["valid"] / row["sent"])
    assert "Response rate" in [c.value for c in wb["Summary"][4]]


def test_the_same_rollup_gives_the_same_bytes(tmp_path):
    result = build(validate_paths([SAMPLES]))
    first = write(result, tmp_path / "first.xlsx")
    again = write(result, tmp_path / "again.xlsx")
    assert first.read_bytes() == again.read_bytes()
    wb = openpyxl.load_workbook(first)
    assert len(table_rows(wb, "Responses")) == len(result.tables["Responses"]) > 0
    assert {"Pivot - Ratings by area", "Pivot - Rating counts", "Pivot - Actions"} <= set(wb.sheetnames)


def test_strengths_and_disagreements_are_listed_on_their_own_sheets(sample_rollup):
    from sheetflow.rollup.summaries import disagreements, strengths_and_opportunities

    import pandas as pd

    wb = openpyxl.load_workbook(sample_rollup)
    responses = pd.DataFrame(table_rows(wb, "Responses"))
    assert wb.sheetnames[:3] == ["Summary", "Strengths", "Disagreement"]
    strengths_at = disagreements_at = 1
    assert wb["Strengths"]["A1"].value.startswith("Strengths and learning opportunities")
    assert wb["Disagreement"]["A1"].value.startswith("Internal disagreement")
    assert wb["Strengths"].print_title_rows == wb["Disagreement"].print_title_rows == "$2:$2"

    def listed(top, columns, ws):
        header = [ws.cell(top + 1, c).value for c in columns]
        rows = []
        for r in range(top + 2, ws.max_row + 1):
            line = [ws.cell(r, c).value for c in columns]
            if not any(v is not None for v in line):
                break
            rows.append(line)
        return header, rows

    ws = wb["Strengths"]
    header, rows = listed(strengths_at, [1, 2, 3, 4, 5], ws)
    assert header == ["Organization", "Strength or opportunity", "Item", "Average", "Capability"]
    expected = strengths_and_opportunities(responses)
    assert [r[:3] + [r[4]] for r in rows] == expected[["organization", "kind", "item", "capability"]].values.tolist()
    assert [round(r[3], 6) for r in rows] == [round(a, 6) for a in expected["average"]]
    assert ws.cell(strengths_at + 2, 4).number_format == "0.0"

    ws = wb["Disagreement"]
    header, rows = listed(disagreements_at, [1, 2, 3, 4, 5, 8], ws)
    assert header == ["Organization", "Item", "Lowest", "Highest", "Capability", "Ratings"]
    expected = disagreements(responses)
    if expected.empty:
        assert rows == [["None.", None, None, None, None, None]]
    else:
        assert rows == expected[["organization", "item", "lowest", "highest", "capability", "ratings"]].values.tolist()
