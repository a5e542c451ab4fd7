"""Each region's action plan starts from its self-assessment results: the four tables, computed here
independently (plain Python over the validated answers), against what the plan's Excel Tables hold."""

from __future__ import annotations

import contextlib
import io
import statistics
from pathlib import Path

import openpyxl
import pytest

from conftest import SAMPLES
from sheetflow.cli import main
from sheetflow.instruments import definitions
from sheetflow.intake.validate import validate_paths
from sheetflow.rollup import tables as rollup_tables

SHEET = "Self-assessment results"
REGIONS = ("North Plains", "Red River Valley")


def plan_file(folder: Path, region: str) -> Path:
    return folder / f"{region} - Action Plan.xlsx"


def plan_tables(path: Path) -> dict[str, list[tuple]]:
    """Every Excel Table of the results sheets: name -> rows (header first), as openpyxl reads them."""
    book = openpyxl.load_workbook(path)
    out = {}
    for ws in (book[SHEET], book[f"{SHEET} (2)"]):
        for name, ref in ws.tables.items():
            rows = [tuple(c.value for c in row) for row in ws[ref]]
            out[name] = [rows[0]] + [r for r in rows[1:] if any(v is not None for v in r)]
    return out


def answers_by_region(inbox: Path, cycle="2026") -> dict[str, list]:
    """The valid self-assessment returns of ``cycle``, by region (each a record of answers)."""
    out = {}
    for f in validate_paths([inbox]).files:
        if f.status == "valid" and f.instrument == "sector-self-assessment" and f.cycle == cycle:
            out.setdefault(f.record.value("region"), []).append(f.record)
    return out


def expected(records: list, everyone: list, instrument) -> dict[str, list[tuple]]:
    """The four tables as the issue defines them, computed from the answers with the standard library."""
    caps = [(area, cap) for area in instrument.areas for cap in area.capabilities]
    rating = lambda record, cap: record.value(cap.rating_name)  # noqa: E731
    areas = []
    for area in instrument.areas:
        mine = [rating(r, c) for r in records for c in area.capabilities]
        by_org = {}
        for r in records:
            by_org.setdefault(r.value("organization"), []).extend(rating(r, c) for c in area.capabilities)
        org_means = [statistics.mean(v) for v in by_org.values()]
        areas.append((area.name, len(records), statistics.mean(mine), min(org_means), max(org_means),
                      statistics.mean(rating(r, c) for r in everyone for c in area.capabilities)))
    means = {cap.number: statistics.mean(rating(r, cap) for r in records) for _, cap in caps}
    high = sorted(means, key=lambda n: (-means[n], n))[:5]
    low = sorted(means, key=lambda n: (means[n], n))[:5]
    capabilities = []
    for area, cap in caps:
        values = [rating(r, cap) for r in records]
        standing = "strength" if cap.number in high else "learning opportunity" if cap.number in low else None
        capabilities.append((cap.number, area.name, cap.title, len(values), means[cap.number], min(values),
                             max(values), statistics.mean(rating(r, cap) for r in everyone), standing))
    disagreements = []
    for org in sorted({r.value("organization") for r in records}):
        members = [r for r in records if r.value("organization") == org]
        for _, cap in caps:
            values = [rating(r, cap) for r in members]
            if len(members) > 1 and max(values) - min(values) >= 2:
                disagreements.append((org, cap.number, cap.title, min(values), max(values)))
    questions = [(q["question"], f"reflect_{q['key']}") for q in instrument.data["after"]]
    questions += [(q["follow_up"], f"pre_{q['key']}_detail") for q in instrument.data["before"]]
    reflections = []
    for question, name in questions:
        for r in sorted(records, key=lambda r: (r.value("organization"), r.value("respondent_name"))):
            text = r.value(name)
            if text:
                reflections.append((r.value("organization"), r.value("respondent_name"), question, text))
    return {"RegionAreas": areas, "RegionCapabilities": capabilities, "RegionDisagreements": disagreements,
            "RegionReflections": reflections}


HEADERS = {
    "RegionAreas": ("area", "respondents", "region_average", "lowest_organization_average",
                    "highest_organization_average", "all_regions_average"),
    "RegionCapabilities": ("item", "area", "capability", "respondents", "average", "lowest", "highest",
                           "all_regions_average", "standing"),
    "RegionDisagreements": ("organization", "item", "capability", "lowest", "highest"),
    "RegionReflections": ("organization", "respondent_name", "question", "answer"),
}


@pytest.mark.libreoffice
@pytest.mark.parametrize("region", REGIONS)
def test_the_four_tables_hold_the_regions_results(plans_with_results, assessment_inbox, region):
    folder, _ = plans_with_results
    instrument = definitions.load("assessment")
    by_region = answers_by_region(assessment_inbox)
    everyone = [r for records in by_region.values() for r in records]
    want = expected(by_region[region], everyone, instrument)
    got = plan_tables(plan_file(folder, region))
    assert set(got) == set(HEADERS)
    words = definitions.load("action-plan").text["results"]["headings"]
    for name, header in HEADERS.items():
        assert got[name][0] == tuple(words[c] for c in header), name  # headed in words, each column's own
        assert got[name][1:] == [tuple(pytest.approx(v) if isinstance(v, float) else v for v in row)
                                 for row in want[name]], name
    assert len(got["RegionAreas"]) == 6 and len(got["RegionCapabilities"]) == 21
    standing = [row[-1] for row in got["RegionCapabilities"][1:]]
    assert standing.count("strength") == 5 and standing.count("learning opportunity") == 5


@pytest.mark.libreoffice
def test_the_averages_are_the_roll_ups(plans_with_results, assessment_inbox):
    """The region's area averages are those the roll-up's Summary shows for the region."""
    folder, _ = plans_with_results
    report = validate_paths([assessment_inbox])
    responses = rollup_tables.build(report).tables["Responses"]
    areas = [a.name for a in definitions.load("assessment").areas]
    board = rollup_tables.area_matrix(responses[responses["cycle"] == "2026"], "region", areas)
    for region in REGIONS:
        rows = plan_tables(plan_file(folder, region))["RegionAreas"][1:]
        assert [row[2] for row in rows] == pytest.approx([board.loc[region, a] for a in areas])


@pytest.mark.libreoffice
def test_the_terminal_says_what_fed_each_plan_and_what_was_left_out(plans_with_results):
    _, output = plans_with_results
    by_region = {line.split(":")[0]: line for line in output.splitlines() if line.startswith(REGIONS)}
    # samples: 10 valid in North Plains (+1 filled here), 6 in Red River Valley (+1); 11 asked in each
    assert "11 self-assessment returns of 11 asked from 4 organizations" in by_region["North Plains"]
    assert "7 self-assessment returns of 11 asked from 4 organizations" in by_region["Red River Valley"]
    left = output.split("Left out")[1]
    assert "np-2025.xlsx: a self-assessment of cycle 2025, not 2026" in left
    assert "Hector Ramirez answers.csv: This is a CSV" in left
    assert "Marcus Bell - Self-Assessment.xlsx: 3 answers to fix" in left
    assert "Ben Okafor - Self-Assessment.xlsx: A newer copy" in left
    assert "North Plains - Action Plan.xlsx: not a self-assessment" in left


@pytest.mark.libreoffice
def test_the_stamp_counts_the_returns_that_fed_the_plan(plans_with_results):
    folder, _ = plans_with_results
    book = openpyxl.load_workbook(plan_file(folder, "Red River Valley"))
    properties = {p.name: p.value for p in book.custom_doc_props.props}
    assert properties["sheetflow_assessment_returns"] == "7"
    info = {row[0]: row[1] for row in book["File info"].iter_rows(values_only=True)}
    assert info["sheetflow_assessment_returns"] == "7"
    assert "sheetflow_assessment_returns" not in book.defined_names  # the names contract is unchanged


def run(*args) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([str(a) for a in args])
    return code, out.getvalue()


@pytest.mark.libreoffice
def test_a_region_nobody_answered_from_gets_one_sentence(tmp_path, assessment_inbox):
    plan = tmp_path / "plan.xlsx"
    code, output = run("generate", "action-plan", "-o", plan, "--region", "Lake Country", "--assessments",
                       assessment_inbox, "--cycle", "2026")
    assert code == 0
    assert "Lake Country: 0 self-assessment returns from 0 organizations" in output
    assert 'Not used: 11 returns from "North Plains" (no action plan for that region here).' in output
    assert 'Not used: 7 returns from "Red River Valley"' in output
    book = openpyxl.load_workbook(plan)
    ws = book[SHEET]
    texts = [c.value for row in ws.iter_rows() for c in row if c.value is not None]
    assert texts == ["Self-assessment results: Lake Country",
                     "No valid self-assessment returns from Lake Country for 2026 had been received when this "
                     "action plan was made, so there are no results to show."]
    assert not ws.tables
    assert book["Region details"]["B4"].value == "Lake Country"


def test_options_that_do_not_go_together_are_refused(tmp_path):
    code, output = run("generate", "assessment", "-o", tmp_path / "a.xlsx", "--assessments", SAMPLES / "returns")
    assert code == 2 and "--assessments is for the action plan" in output
    code, output = run("generate", "action-plan", "-o", tmp_path / "a.xlsx", "--assessments", SAMPLES / "returns")
    assert code == 2 and "with --roster or --region" in output
    code, output = run("generate", "action-plan", "-o", tmp_path / "a.xlsx", "--manifest", SAMPLES / "sent")
    assert code == 2 and "--manifest goes with --assessments" in output
    assert not (tmp_path / "a.xlsx").exists()
