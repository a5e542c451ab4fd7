"""Shared fixtures: generated workbooks, written once per test session."""

from pathlib import Path

import pytest

from sheetflow.instruments import definitions
from sheetflow.instruments.workbook import Request, generate

HERE = Path(__file__).parent
FIXED_ID = "00000000-0000-4000-8000-000000000001"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``libreoffice`` (or using LibreOffice-filled returns) are skipped where it is not installed."""
    import libreoffice

    for item in items:
        if "lo_inbox" in getattr(item, "fixturenames", ()) and "libreoffice" not in item.keywords:
            raise pytest.UsageError(f"{item.nodeid} uses lo_inbox: mark it @pytest.mark.libreoffice")
    if libreoffice.available():
        return
    skip = pytest.mark.skip(reason="LibreOffice is not installed (scripts/install-system-deps)")
    for item in items:
        if "libreoffice" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def assessment():
    return definitions.load("sector-self-assessment")


@pytest.fixture(scope="session")
def action_plan():
    return definitions.load("sector-action-plan")


@pytest.fixture(scope="session")
def blank_workbooks(tmp_path_factory, assessment, action_plan):
    """instrument id -> a blank generated workbook with a fixed response id."""
    folder = tmp_path_factory.mktemp("blank")
    out = {}
    for instrument in (assessment, action_plan):
        path = folder / f"{instrument.id}.xlsx"
        generate(Request(instrument, response_id=FIXED_ID, cycle="2026"), path)
        out[instrument.id] = path
    return out


def complete_answers(instrument, **changes) -> dict:
    """Values for every answer a partner must give (as typed into LibreOffice), with changes."""
    values = {}
    for i, answer in enumerate(instrument.answers):
        if answer.kind == "rating":
            values[answer.name] = i % 5 + 1
        elif answer.kind in ("yes_no", "status"):
            values[answer.name] = answer.choices[i % len(answer.choices)]
        elif answer.kind == "date":
            values[answer.name] = {"date": "2026-03-04"}
        elif answer.kind == "email":
            values[answer.name] = "ana.lopez@example.org"
        elif answer.kind == "table":
            values[answer.name] = [["Map skills", "Convene employers", "Q3 2026", "Prairie WB", "Facilitator",
                                    "A shared skills map"]]
        else:
            values[answer.name] = f"Answer for {answer.name}"
    values.update(changes)
    return values


@pytest.fixture(scope="session")
def lo_inbox(tmp_path_factory, blank_workbooks, assessment, action_plan):
    """Returns really filled and saved by LibreOffice: name -> path (fills run in parallel)."""
    import concurrent.futures

    import libreoffice

    if not libreoffice.available():
        pytest.skip("LibreOffice is not installed")
    folder = tmp_path_factory.mktemp("lo-inbox")
    sa, ap = blank_workbooks["sector-self-assessment"], blank_workbooks["sector-action-plan"]
    jobs = {
        "valid assessment.xlsx": (sa, complete_answers(assessment, organization="Prairie Workforce Board",
                                                       respondent_name="Ana Lopez", comment_03="N/A",
                                                       reflect_missing="None")),
        "Copy of assessment (2) FINAL.xlsx": (sa, complete_answers(
            assessment, organization="Prairie Workforce Board", respondent_name="Ben Okafor",
            rating_07="four", rating_03=7, rating_10=None, pre_almost_yes="Maybe", comment_05=None,
            reflect_strengths="=cmd|' /C calc'!A0")),
        "valid action plan.xlsx": (ap, complete_answers(action_plan, region="North Plains",
                                                        lead_organization="Prairie Workforce Board")),
        "action plan with problems.xlsx": (ap, complete_answers(
            action_plan, region="North Plains", lead_organization=None, e2_status_1="Done",
            e3_actions=[["Only an objective", None, None, None, None, None],
                        [None, None, None, None, None, None],
                        ["Objective", "Actions", "Soon", "Me", None, None]])),
    }
    sources = tmp_path_factory.mktemp("lo-sources")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = {}
        for k, (name, (src, values)) in enumerate(jobs.items()):
            own = sources / f"{k}-{src.name}"  # LibreOffice locks the file it opens: one copy per fill
            own.write_bytes(src.read_bytes())
            futures[name] = pool.submit(libreoffice.fill_by_name, own, values, folder / name)
        paths = {name: future.result() for name, future in futures.items()}
    return paths
