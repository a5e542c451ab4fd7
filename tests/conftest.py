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
        for fixture in ("lo_inbox", "assessment_inbox"):  # returns LibreOffice filled (plans_with_results uses one)
            if fixture in getattr(item, "fixturenames", ()) and "libreoffice" not in item.keywords:
                raise pytest.UsageError(f"{item.nodeid} uses {fixture}: mark it @pytest.mark.libreoffice")
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


@pytest.fixture
def valid_xlsx(tmp_path: Path) -> Path:
    """A small plain workbook (openpyxl), the starting point of the hostile files the package tests build."""
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Employer", "Sector", "Hires"])
    sheet.append(["Acme Tooling", "Manufacturing", 12])
    path = tmp_path / "valid.xlsx"
    workbook.save(path)
    return path


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
        elif answer.kind == "table" and answer.name.endswith(("_previous", "_progress")):
            continue  # the follow-up of a previous plan: locked and empty in a plan made without one
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


# -- action plans made with the regions' self-assessment results ---------------------------------------

SAMPLES = HERE.parent / "samples"
HOSTILE = {  # partner text that a spreadsheet would run if it were written as a formula
    "North Plains": {"reflect_strengths": "=SUM(1,2) our strength", "reflect_opportunities": "+1 more pathways",
                     "reflect_missing": "-nothing missing", "reflect_priorities": "@priority one",
                     "pre_active_detail": "=HYPERLINK(\"http://example.org\",\"ours\")"},
    "Red River Valley": {"reflect_priorities": "=RRV ONLY 7731 priority", "pre_active_detail": "+RRV ONLY 7732"},
}


@pytest.fixture(scope="session")
def assessment_inbox(tmp_path_factory, assessment):
    """The bundled returns plus three self-assessments really filled by LibreOffice: one more for each
    region, with text that starts like a formula, and one of another cycle (2025)."""
    import concurrent.futures
    import shutil

    import libreoffice

    if not libreoffice.available():
        pytest.skip("LibreOffice is not installed")
    folder = tmp_path_factory.mktemp("assessment-inbox")
    for path in (SAMPLES / "returns").iterdir():
        shutil.copy2(path, folder / path.name)
    people = {
        "np-extra.xlsx": ("2026", "North Plains", "Prairie Workforce Board", "Zoe Formula", [5, 1] * 10),
        "rrv-extra.xlsx": ("2026", "Red River Valley", "Valley Health Careers Consortium", "Yusuf Secret", [4] * 20),
        "np-2025.xlsx": ("2025", "North Plains", "Prairie Workforce Board", "Old Cycle", [1] * 20),
    }
    blanks = tmp_path_factory.mktemp("assessment-blanks")
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        futures = []
        for k, (name, (cycle, region, organization, person, ratings)) in enumerate(people.items()):
            blank = blanks / f"{k}.xlsx"
            generate(Request(assessment, response_id=f"00000000-0000-4000-8000-00000000010{k}", cycle=cycle), blank)
            values = complete_answers(assessment, organization=organization, region=region,
                                      respondent_name=person, **HOSTILE.get(region, {}) if cycle == "2026" else {})
            values.update({f"rating_{i:02d}": r for i, r in enumerate(ratings, start=1)})
            futures.append(pool.submit(libreoffice.fill_by_name, blank, values, folder / name))
        for future in futures:
            future.result()
    return folder


@pytest.fixture(scope="session")
def plans_with_results(tmp_path_factory, assessment_inbox):
    """Each sample region's action plan made with the inbox's results: (folder, terminal output)."""
    import contextlib
    import io

    from sheetflow.cli import main

    folder = tmp_path_factory.mktemp("plans") / "sent"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["generate", "action-plan", "--roster", str(SAMPLES / "roster.csv"), "-o", str(folder),
                     "--assessments", str(assessment_inbox), "--manifest", str(SAMPLES / "sent"), "--cycle", "2026"])
    assert code == 0, out.getvalue()
    return folder, out.getvalue()
