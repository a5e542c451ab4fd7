"""A response is one person's return for one instrument in one cycle: every count agrees with a count by hand,
when one blank workbook is shared by several people (one response id) and the inbox mixes cycles."""

import shutil
from pathlib import Path

import openpyxl
import pytest

from mixed import SAMPLES, SHARED_ID, shared_template
from sheetflow.cli import main
from sheetflow.intake import response
from sheetflow.intake.validate import validate_paths
from sheetflow.rollup import tables
from sheetflow.rollup.region_results import region_results

SHARING = ["Ana Lopez", "Carla Nguyen", "Irene Takahashi"]  # all North Plains


@pytest.fixture(scope="module")
def shared_inbox(tmp_path_factory):
    """The 2026 sample returns, three of the North Plains people having filled one shared blank workbook."""
    folder = tmp_path_factory.mktemp("shared") / "inbox"
    folder.mkdir()
    for path in (SAMPLES / "returns").iterdir():
        shutil.copy2(path, folder / path.name)
    shared_template(folder, SHARING)
    return folder


@pytest.fixture(scope="module")
def shared_report(shared_inbox):
    return validate_paths([shared_inbox])


def hand_count(report, instrument="sector-self-assessment", region=None):
    """The valid returns of an instrument, counted file by file (superseded copies never are)."""
    return [f for f in report.files if f.status == "valid" and f.instrument == instrument
            and (region is None or f.record.value("region") == region)]


def test_one_response_id_filled_in_by_three_people_is_three_responses(shared_report):
    shared = [f for f in shared_report.files if f.response_id == SHARED_ID]
    assert len(shared) == 3 and {f.status for f in shared} == {"valid"}  # intake keeps each person's return
    assert len({response.of_file(f) for f in shared}) == 3


def test_the_summary_counts_people_not_response_ids(shared_report, tmp_path):
    result = tables.build(shared_report)
    valid = hand_count(shared_report)
    assert response.count(result.tables["Responses"], "Responses") == len(valid) == 16
    out = tmp_path / "rollup.xlsx"
    from sheetflow.rollup.workbook import write

    write(result, out, pivots=False)
    summary = openpyxl.load_workbook(out)["Summary"]
    counts = dict(zip([c.value for c in summary[4]][1:], [c.value for c in summary[5]][1:]))
    assert counts["Self-assessments"] == 16
    organization_rows = {row[0].value: row[6].value for row in summary.iter_rows(min_row=8, max_row=30)
                         if row[0].value == "Prairie Workforce Board"}
    assert organization_rows == {"Prairie Workforce Board": 3}  # Ana, Ben (his newest copy) and Carla


def test_region_results_and_trend_count_each_person(shared_report):
    north = hand_count(shared_report, region="North Plains")
    results = region_results(shared_report, "2026").for_region("North Plains")
    assert results.returns == len(north) == 10
    columns, rows = results.tables["RegionAreas"]
    assert {row[columns.index("respondents")] for row in rows} == {len(north)}
    earlier = validate_paths([SAMPLES / "returns-2025"])
    both = type(shared_report)(files=shared_report.files + earlier.files)
    trend = tables.build(both).tables["Trend"]
    everyone = trend[(trend["level"] == "all") & (trend["cycle"] == "2026")]
    assert set(everyone["respondents"]) == {16}
    prairie = trend[(trend["name"] == "Prairie Workforce Board") & (trend["cycle"] == "2026")]
    assert set(prairie["respondents"]) == {3}


def test_the_plans_stamp_the_returns_that_fed_them(shared_inbox, tmp_path):
    out = tmp_path / "plan.xlsx"
    assert main(["generate", "action-plan", "-o", str(out), "--region", "North Plains", "--cycle", "2026",
                 "--assessments", str(shared_inbox)]) == 0
    stamp = openpyxl.load_workbook(out).custom_doc_props
    assert stamp["sheetflow_assessment_returns"].value == "10"
