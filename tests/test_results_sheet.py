"""The "Self-assessment results" sheet of a region's action plan: where it is, that it is locked,
printable and values only, that partner text stays text, that nothing of another region is in the
plan, that LibreOffice renders it, and that the rest of the plan is the plan made without it."""

from __future__ import annotations

import html
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest

import libreoffice
from sheetflow.planning.region_results import COLUMNS
from conftest import HOSTILE, SAMPLES, complete_answers
from sheetflow.instruments import definitions
from sheetflow.instruments.workbook import Request, generate
from sheetflow.intake.validate import validate_paths
from sheetflow.planning.region_results import assessment_results
from sheetflow.rollup.tables import build

SHEET = "Self-assessment results"
MORE = "Self-assessment results (2)"  # the disagreements and the partners' own words
TABLES = ("RegionAreas", "RegionCapabilities", "RegionDisagreements", "RegionReflections")


def plan_file(folder: Path, region: str) -> Path:
    return folder / f"{region} - Action Plan.xlsx"


def sheet_part(path: Path, title: str) -> str:
    """The XML of the sheet called ``title``."""
    with zipfile.ZipFile(path) as zf:
        book = zf.read("xl/workbook.xml").decode()
        rels = zf.read("xl/_rels/workbook.xml.rels").decode()
        rid = re.search(rf'<sheet name="{re.escape(title)}" sheetId="\d+" r:id="(rId\d+)"', book).group(1)
        target = re.search(rf'<Relationship Id="{rid}" Type="[^"]+" Target="([^"]+)"', rels).group(1)
        return zf.read(f"xl/{target}").decode()


@pytest.mark.libreoffice
def test_the_sheet_follows_the_instructions_locked_and_printable(plans_with_results):
    folder, _ = plans_with_results
    book = openpyxl.load_workbook(plan_file(folder, "North Plains"))
    assert book.sheetnames[:4] == ["Instructions", SHEET, MORE, "Region details"]
    assert book.active.title == SHEET  # the plan opens on the region's results
    ws = book[SHEET]
    assert ws.protection.sheet
    assert all(c.protection.locked for row in ws.iter_rows() for c in row)
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 1
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # never shrunk onto a page: Excel keeps the page breaks
    assert 60 <= ws.page_setup.scale < 100 and ws.row_breaks.brk  # the scale that fits its nine columns across
    header = ws.tables["RegionCapabilities"].ref.split(":")[0][1:]  # the long tables end their sheets under
    assert ws.print_title_rows.replace("$", "") == f"{header}:{header}"  # their column headings, repeated
    more = book[MORE]
    header = more.tables["RegionReflections"].ref.split(":")[0][1:]
    assert more.print_title_rows.replace("$", "") == f"{header}:{header}" and more.protection.sheet
    assert "&P" in ws.oddFooter.center.text and ws.oddHeader.right.text == SHEET
    assert sorted([*ws.tables, *book[MORE].tables]) == sorted(TABLES)
    assert ws["A1"].value == "Self-assessment results: North Plains"
    assert ws["A3"].value == ("11 people from 4 organizations in North Plains answered the Sector Strategies "
                              "Self-Assessment for 2026. Self-assessments sent to the region: 11.")
    averages = {c.number_format for name in ("RegionAreas", "RegionCapabilities")
                for row in ws[ws.tables[name].ref][1:] for c in row if isinstance(c.value, float)}
    assert averages == {"0.0"}
    instructions = book["Instructions"]["A2"].value
    assert instructions.startswith("Start from your region's self-assessment results") and SHEET in instructions


@pytest.mark.libreoffice
def test_the_sheet_holds_values_and_partner_text_stays_text(plans_with_results):
    folder, _ = plans_with_results
    path = plan_file(folder, "North Plains")
    for sheet in (SHEET, MORE):
        xml = sheet_part(path, sheet)
        assert "<f>" not in xml and "<f " not in xml  # values only: no formula at all on the sheets
    book = openpyxl.load_workbook(path)
    cells = {c.value: c for ws in (book[SHEET], book[MORE]) for row in ws.iter_rows() for c in row
             if isinstance(c.value, str)}
    for text in HOSTILE["North Plains"].values():
        assert text in cells, text
        assert cells[text].data_type == "s"
    assert {text[0] for text in HOSTILE["North Plains"].values()} == set("=+-@")


@pytest.mark.libreoffice
def test_the_chart_has_alternative_text(plans_with_results):
    folder, _ = plans_with_results
    with zipfile.ZipFile(plan_file(folder, "North Plains")) as zf:
        drawings = [zf.read(n).decode() for n in zf.namelist() if n.startswith("xl/drawings/drawing")]
    described = [d for d in drawings if "in the table above it" in d]
    assert len(described) == 1 and 'descr="Column chart of the average self-assessment rating' in described[0]


def every_text(path: Path) -> str:
    """Every part of the package as text, entities resolved."""
    with zipfile.ZipFile(path) as zf:
        return "\n".join(html.unescape(zf.read(n).decode("utf-8", "replace")) for n in zf.namelist())


@pytest.mark.libreoffice
def test_nothing_of_another_region_is_in_a_plan(plans_with_results, assessment_inbox):
    folder, _ = plans_with_results
    people = {}
    for f in validate_paths([assessment_inbox]).files:
        if f.instrument == "sector-self-assessment" and f.record is not None:
            people.setdefault(f.record.value("region"), set()).update(
                {f.record.value("organization"), f.record.value("respondent_name")})
    for region, other in (("North Plains", "Red River Valley"), ("Red River Valley", "North Plains")):
        text = every_text(plan_file(folder, region))
        theirs = people[other] - people[region] | {other} | set(HOSTILE[other].values())
        assert people[region] - {None} and any(name in text for name in people[region] if name)
        leaked = sorted(name for name in theirs if name and name in text)
        assert not leaked, f"{region}'s plan names {leaked}"


@pytest.mark.libreoffice
def test_the_sheet_renders_through_libreoffice(tmp_path, plans_with_results):
    if not libreoffice.available():
        pytest.skip("LibreOffice is not installed")
    folder, _ = plans_with_results
    pdf = libreoffice.convert(plan_file(folder, "Red River Valley"), "pdf", tmp_path)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    for heading in ("Self-assessment results: Red River Valley", "Component areas",
                    "Average rating by component area", "Capabilities: each one's average in your region",
                    "Internal disagreement", "In your partners' own words", "Region average", "Strength or",
                    "Respondent"):
        assert heading in text, heading
    named = {c for columns in COLUMNS.values() for c in columns if "_" in c}
    assert named and [c for c in named if c in text] == []  # no column's name (region_average) as a heading
    assert "North Plains" not in text


def test_the_rest_of_the_plan_is_the_plan_without_results(tmp_path, action_plan):
    results = assessment_results([SAMPLES / "returns"], "2026").for_region("North Plains")
    request = dict(instrument=action_plan, response_id="00000000-0000-4000-8000-000000000009", cycle="2026",
                   prefill={"region": "North Plains"})
    with_results = generate(Request(**request, results=results), tmp_path / "with.xlsx")
    without = generate(Request(**request), tmp_path / "without.xlsx")
    again = generate(Request(**request), tmp_path / "again.xlsx")
    assert without.read_bytes() == again.read_bytes()
    assert b"Self-assessment results" not in zipfile.ZipFile(without).read("xl/workbook.xml")
    a, b = openpyxl.load_workbook(with_results), openpyxl.load_workbook(without)
    assert [s for s in a.sheetnames if s not in (SHEET, MORE)] == b.sheetnames
    assert dict(a.defined_names.items()).keys() == dict(b.defined_names.items()).keys()
    for name in b.sheetnames:
        mine, theirs = ({c.coordinate: c.value for row in book[name].iter_rows() for c in row
                         if c.value is not None} for book in (a, b))
        if name == "Instructions":
            assert mine.pop("A2").startswith("Start from your region's")
        if name == "File info":
            assert mine.pop("A6") == "sheetflow_assessment_returns" and mine.pop("B6") == "10"
        assert mine == theirs, name


@pytest.mark.libreoffice
def test_a_plan_with_results_validates_and_rolls_up_as_one_without(tmp_path, action_plan):
    if not libreoffice.available():
        pytest.skip("LibreOffice is not installed")
    results = assessment_results([SAMPLES / "returns"], "2026").for_region("Red River Valley")
    values = complete_answers(action_plan, region="Red River Valley",
                              lead_organization="Red River Workforce Partnership", e1_obstacles="=not a formula")
    filled = {}
    for name, extra in (("with", {"results": results}), ("without", {})):
        blank = generate(Request(action_plan, response_id=f"00000000-0000-4000-8000-00000000002{len(extra)}",
                                 cycle="2026", **extra), tmp_path / f"blank-{name}.xlsx")
        filled[name] = libreoffice.fill_by_name(blank, values, tmp_path / name / "plan.xlsx")
    reports = {name: validate_paths([path]) for name, path in filled.items()}
    for report in reports.values():
        assert [f.status for f in report.files] == ["valid"]
    messages = {name: [(w.name, w.message) for w in r.files[0].warnings] for name, r in reports.items()}
    assert messages["with"] == messages["without"]
    for table in ("Components", "Actions"):
        frames = [build(reports[name]).tables[table].drop(columns=["response_id"]) for name in ("with", "without")]
        assert frames[0].equals(frames[1]), table
        assert not frames[0].empty
