"""The numbers a board acts on, on an inbox as conveners really have it: one blank workbook filled in by three people
(so one response id, filled and saved by LibreOffice), a stray return of last cycle, an invalid action plan and a
roll-up saved among the returns. Every figure is counted here by hand, from the files, and compared with the
Summary, the pivots as Excel opens them, RegionAreas, Trend and the plan's results sheet."""

import shutil
import statistics
from collections import defaultdict
from pathlib import Path

import openpyxl
import pytest

from conftest import FIXED_ID, complete_answers
from mixed import SAMPLES
from pivot_cache import as_excel_opens_it
from sheetflow.cli import main
from sheetflow.instruments import definitions

pytestmark = pytest.mark.libreoffice

SHARED = {"Sam One.xlsx": ("Sam One", 4), "Sam Two.xlsx": ("Sam Two", 2), "Sam Three.xlsx": ("Sam Three", 3)}
SHARED_ORG = "Shared Template Partners"
STRAY = "North Plains - Northern Lights Adult Education - Kim Soo-jin - Self-Assessment.xlsx"  # 2025, nobody's 2026


@pytest.fixture(scope="module")
def mixed(tmp_path_factory, blank_workbooks, assessment):
    """(inbox, roll-up, plan, terminal output) for the mixed inbox."""
    import concurrent.futures

    import libreoffice

    if not libreoffice.available():
        pytest.skip("LibreOffice is not installed")
    root = tmp_path_factory.mktemp("mixed")
    inbox = root / "inbox"
    shutil.copytree(SAMPLES / "returns", inbox)  # this cycle: the invalid Red River Valley plan among them
    blank = blank_workbooks["sector-self-assessment"]  # one blank workbook (one response id) sent round
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        jobs = []
        for k, (name, (person, rating)) in enumerate(SHARED.items()):
            own = root / f"blank-{k}.xlsx"  # LibreOffice locks the file it opens
            own.write_bytes(blank.read_bytes())
            values = complete_answers(assessment, organization=SHARED_ORG, region="North Plains",
                                      respondent_name=person)
            values.update({f"rating_{i:02d}": rating for i in range(1, 21)})
            jobs.append(pool.submit(libreoffice.fill_by_name, own, values, inbox / f"Self-Assessment - {name}"))
        for job in jobs:
            job.result()
    shutil.copy2(SAMPLES / "returns-2025" / STRAY, inbox / "Self-Assessment (old).xlsx")
    assert main(["rollup", str(SAMPLES / "returns"), "-o", str(inbox / "Roll-up.xlsx"), "--no-pivots"]) == 0
    out = root / "Roll-up.xlsx"
    import contextlib
    import io

    said = io.StringIO()
    with contextlib.redirect_stdout(said):
        assert main(["rollup", str(inbox), "-o", str(out)]) == 0
        assert main(["generate", "action-plan", "--region", "North Plains", "--cycle", "2026", "-o",
                     str(root / "plan.xlsx"), "--assessments", str(inbox)]) == 0
    return inbox, out, root / "plan.xlsx", said.getvalue()


def by_hand(inbox: Path):
    """Each self-assessment that counts, read with openpyxl: its stamp, who filled it in and its ratings. What
    counts is what a convener counts: each person's valid workbook once (the newest copy), of its cycle."""
    from sheetflow.intake.validate import validate_paths

    statuses = {Path(f.path).name: f.status for f in validate_paths([inbox]).files}
    out = []
    for path in sorted(inbox.glob("*.xlsx")):
        if statuses.get(path.name) != "valid":
            continue
        wb = openpyxl.load_workbook(path)
        if wb.custom_doc_props["sheetflow_instrument"].value != "sector-self-assessment":
            continue

        def value(name):
            (sheet, ref), = list(wb.defined_names[name].destinations)
            return wb[sheet][ref.replace("$", "")].value

        out.append({"file": path.name, "cycle": str(wb.custom_doc_props["sheetflow_cycle"].value),
                    "response_id": wb.custom_doc_props["sheetflow_response_id"].value,
                    "organization": value("organization"), "region": value("region"),
                    "person": value("respondent_name"), "ratings": {i: int(value(f"rating_{i:02d}")) for i in range(1, 21)}})
    return out


def area_means(people, areas):
    return {a.name: statistics.mean(p["ratings"][c.number] for p in people for c in a.capabilities) for a in areas}


def test_every_number_the_board_sees_equals_a_count_by_hand(mixed, assessment):
    inbox, rollup, plan, said = mixed
    counted = by_hand(inbox)
    now = [p for p in counted if p["cycle"] == "2026"]
    shared = [p for p in now if p["response_id"] == FIXED_ID]
    assert len(shared) == 3  # three people, one response id
    areas = assessment.areas

    # the Summary
    wb = openpyxl.load_workbook(rollup, data_only=True)
    summary = wb["Summary"]
    counts = dict(zip([c.value for c in summary[4]][1:], [c.value for c in summary[5]][1:]))
    assert counts["Self-assessments"] == len(now) == 19
    assert counts["Organizations"] == len({p["organization"] for p in now}) == 9
    assert counts["Action plans"] == 1
    rows = [[c.value for c in row] for row in summary.iter_rows()]
    top = next(i for i, r in enumerate(rows) if r[0] == "Organization")
    header = rows[top]
    table = {}
    for row in rows[top + 1:]:
        if row[0] is None:
            break
        table[row[0]] = dict(zip(header[1:], row[1:]))
    by_org = defaultdict(list)
    for p in now:
        by_org[p["organization"]].append(p)
    assert set(table) == set(by_org)
    for org, people in by_org.items():
        assert table[org]["Respondents"] == len(people), org
        for area, mean in area_means(people, areas).items():
            assert table[org][area] == pytest.approx(mean), (org, area)
    assert table[SHARED_ORG]["Respondents"] == 3 and table[SHARED_ORG][areas[0].name] == pytest.approx(3.0)

    # the pivot of ratings, as Excel opens it: the Summary's figures, this cycle only
    figures, pages = as_excel_opens_it(rollup, "Pivot - Ratings by area")
    assert pages == {"cycle": "2026"}
    for org, people in by_org.items():
        for area, mean in area_means(people, areas).items():
            assert figures[org, area] == pytest.approx(mean)
    assert not any(key[0] == "Northern Lights Adult Education" for key in figures)  # the stray 2025 return

    # Trend: each cycle's respondents, and one stray file too thin to compare
    trend = [dict(zip(["level", "name", "area", "cycle", "respondents", "average", "change"], r))
             for r in openpyxl.load_workbook(rollup)["Change over time"].iter_rows(values_only=True)
             if r[0] in ("all", "region", "organization") and r[3] in ("2025", "2026")]
    everyone = {r["cycle"]: r["respondents"] for r in trend if r["level"] == "all"}
    assert everyone == {"2025": len([p for p in counted if p["cycle"] == "2025"]), "2026": 19} == {"2025": 1, "2026": 19}
    north = {r["cycle"]: r["respondents"] for r in trend if r["level"] == "region" and r["name"] == "North Plains"}
    assert north == {"2025": 1, "2026": len([p for p in now if p["region"] == "North Plains"])} == {"2025": 1, "2026": 13}
    assert all(r["change"] is None for r in trend)
    assert "Too thin to compare with cycle 2026 (19 respondents): 2025 (1 respondent)" in said

    # the plan's results sheet: RegionAreas and the returns that fed it
    mine = [p for p in now if p["region"] == "North Plains"]
    results = openpyxl.load_workbook(plan)
    stamp = results.custom_doc_props["sheetflow_assessment_returns"].value
    assert str(stamp) == str(len(mine)) == "13"
    ws = next(ws for ws in results.worksheets if "RegionAreas" in ws.tables)
    region_areas = [[c.value for c in row] for row in ws[ws.tables["RegionAreas"].ref]]
    everyone_means = area_means(now, areas)
    for row, (area, mean) in zip(region_areas[1:], area_means(mine, areas).items()):
        assert row[0] == area and row[1] == len(mine) and row[2] == pytest.approx(mean)
        assert row[5] == pytest.approx(everyone_means[area])
    assert "North Plains: 13 self-assessment returns from 5 organizations (cycle 2026)." in said


def test_every_file_left_out_is_named_with_why(mixed):
    inbox, rollup, _, said = mixed
    wb = openpyxl.load_workbook(rollup)
    submissions = {r[0]: (r[2], r[10]) for r in wb["Submissions"].iter_rows(min_row=2, values_only=True) if r[0]}
    assert set(submissions) == {p.name for p in inbox.iterdir()}  # every file, none dropped
    for name, (status, reason) in submissions.items():
        assert status == "valid" or reason, name
    assert submissions["Roll-up.xlsx"] == ("skipped", "a sheetflow roll-up, not a return")
    assert submissions["Red River Valley - Action Plan.xlsx"][0] == "invalid"
    assert "Self-Assessment (old).xlsx (cycle 2025)" in said  # valid, but of another cycle: named with it
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    assert "Self-Assessment (old).xlsx (cycle 2025)" in about
    missing = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    top = next(i for i, r in enumerate(missing) if str(r[0]).startswith("Without a valid return"))
    assert missing[top + 2][:3] == ["Red River Valley", "Action Plan",
                                    "invalid: Red River Valley - Action Plan.xlsx (3 answers to fix)"]
    assert "Red River Valley (invalid" in wb["Action plans"]["A3"].value
