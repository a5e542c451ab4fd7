"""The follow-up of last cycle's plan, end to end: previous plans really saved by LibreOffice, next
cycle's plans made from them, filled in LibreOffice and validated (intake/followup.py)."""

import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

import libreoffice
from conftest import complete_answers
from sheetflow.instruments.workbook import Request, generate
from sheetflow.intake.validate import validate_paths
from sheetflow.planning.previous_plans import previous_plans

HERE = Path(__file__).parent
NP_2026 = HERE.parent / "samples" / "returns" / "North Plains - Action Plan.xlsx"  # version 1.1, LibreOffice-saved
NP_2025 = HERE.parent / "samples" / "returns-2025" / "North Plains - Action Plan.xlsx"  # version 1.0
HOSTILE = [["=SUM(1,2) objective", "+call employers", "@Q1 2027", "-Board", None, None],
           ["Second objective", "Plan it", "Soon", "Us", None, None]]

pytestmark = pytest.mark.libreoffice


@pytest.fixture(scope="module")
def follow_up(tmp_path_factory, blank_workbooks, action_plan):
    """(the 2026 plans, the 2027 plans made from them, the filled 2027 returns, the values filled in)."""
    root = tmp_path_factory.mktemp("follow-up")
    before = root / "inbox-2026"
    before.mkdir()
    shutil.copy2(NP_2026, before / NP_2026.name)
    west = complete_answers(action_plan, region="West Lakes", lead_organization="Lakes Board", e1_actions=HOSTILE,
                            e2_actions=[[None] * 6])
    libreoffice.fill_by_name(blank_workbooks["sector-action-plan"], west, before / "West Lakes plan.xlsx")
    plans = previous_plans([before], "2027")
    sent = root / "sent-2027"
    for k, region in enumerate(("North Plains", "West Lakes", "Nowhere")):
        request = Request(action_plan, response_id=f"00000000-0000-4000-8000-00000000020{k}", cycle="2027",
                          prefill={"region": region}, previous=plans.for_region(region))
        generate(request, sent / f"{region}.xlsx")
    filled = {
        "North Plains": {"e1_progress": [["Done", "Finished in June"], ["Delayed", "=not a formula, a note"]],
                         "e4_progress": [["Dropped", None]]},
        "West Lakes": {"e1_progress": [["On track", None], [None, "Started"], [None, None], ["Done", "stray"]]},
    }
    inbox = root / "inbox-2027"
    for region, values in filled.items():
        answers = {**complete_answers(action_plan, region=region, lead_organization="Lead"), **values}
        libreoffice.fill_by_name(sent / f"{region}.xlsx", answers, inbox / f"{region}.xlsx")
    return plans, sent, inbox, filled


def findings(report, name, code, level="errors"):
    f, = [f for f in report.files if Path(f.path).name == name]
    return [(x.name, x.cell) for x in getattr(f, level) if x.code == code]


def test_the_plan_lists_last_cycles_actions_locked_and_as_text(follow_up):
    plans, sent, _, _ = follow_up
    assert plans.cycle == "2026" and plans.for_region("west lakes").region == "West Lakes"
    wb = openpyxl.load_workbook(sent / "West Lakes.xlsx")
    ws = wb["Element 1"]
    (_, ref), = wb.defined_names["e1_previous"].destinations
    first = ws[ref.replace("$", "")][0]
    assert [c.value for c in first] == ["=SUM(1,2) objective", "+call employers", "@Q1 2027", "-Board"]
    assert all(c.data_type == "s" and c.protection.locked for c in first)  # text, never a formula
    (_, ref), = wb.defined_names["e1_progress"].destinations
    rows = ws[ref.replace("$", "")]
    assert [[c.protection.locked for c in row] for row in rows[:3]] == [[False, False]] * 2 + [[True, True]]
    prompts = {c: dv for dv in ws.data_validations.dataValidation for c in str(dv.sqref).split()}
    choice = prompts[rows[0][0].coordinate]
    assert choice.formula1 == '"Done,On track,Delayed,Dropped"' and choice.prompt and choice.promptTitle
    assert prompts[rows[0][1].coordinate].prompt  # the note announces its question too
    assert rows[2][0].coordinate not in prompts


def test_each_component_shows_its_status_as_last_reported(follow_up):
    _, sent, _, _ = follow_up
    reported = openpyxl.load_workbook(NP_2026)["Element 2"]
    ws = openpyxl.load_workbook(sent / "North Plains.xlsx")["Element 2"]
    assert [ws[f"G{r}"].value for r in range(6, 9)] == [reported[f"F{r}"].value for r in range(6, 9)]
    assert all(ws[f"G{r}"].protection.locked for r in range(6, 9)) and ws["G5"].value == "Last reported"


def test_without_a_previous_plan_the_block_is_empty_and_locked(follow_up):
    _, sent, _, _ = follow_up
    wb = openpyxl.load_workbook(sent / "Nowhere.xlsx")
    (_, ref), = wb.defined_names["e3_progress"].destinations
    cells = [c for row in wb["Element 3"][ref.replace("$", "")] for c in row]
    assert all(c.value is None and c.protection.locked for c in cells)


def test_progress_is_read_back_exactly_as_filled(follow_up):
    _, _, inbox, filled = follow_up
    report = validate_paths([inbox])
    north = next(f for f in report.files if Path(f.path).name == "North Plains.xlsx")
    assert north.status == "valid", north.errors
    assert north.record.value("e1_progress")[:2] == filled["North Plains"]["e1_progress"]
    assert north.record.value("e4_progress")[0] == ["Dropped", None]


def test_a_row_without_an_action_filled_is_an_error_and_an_action_without_progress_a_warning(follow_up):
    _, sent, inbox, _ = follow_up
    report = validate_paths([inbox])
    wb = openpyxl.load_workbook(sent / "West Lakes.xlsx")
    (_, ref), = wb.defined_names["e1_progress"].destinations
    top = int(ref.split(":")[0].split("$")[-1])
    assert findings(report, "West Lakes.xlsx", "progress-without-action") == [
        ("e1_progress", f"Element 1!E{top + 3}"), ("e1_progress", f"Element 1!F{top + 3}")]
    missing = findings(report, "West Lakes.xlsx", "progress-missing", "warnings")
    assert [m for m in missing if m[0] == "e1_progress"] == [("e1_progress", f"Element 1!E{top + 1}")]
    north = findings(report, "North Plains.xlsx", "progress-missing", "warnings")
    assert ("e1_progress", "Element 1!E30") not in north and north  # the others of its actions are unanswered


def test_the_rollup_reports_what_became_of_last_cycles_actions(follow_up, tmp_path):
    """A 1.0 plan (2025), the 1.1 plan following it up (2026) and the plans following that up (2027) roll up
    together; Progress holds every action followed up as filled, and the Action plans sheet counts them by
    progress, with a chart."""
    from sheetflow.rollup.tables import build
    from sheetflow.rollup.workbook import write

    plans, _, inbox, filled = follow_up
    report = validate_paths([inbox, NP_2026, NP_2025])
    rollup = build(report)
    progress = rollup.tables["Progress"]
    assert set(progress["cycle"]) == {"2026", "2027"}  # the 2026 sample plan follows up 2025's
    progress = progress[progress["cycle"] == "2027"]
    assert set(progress["region"]) == {"North Plains"}  # West Lakes' return has errors: left out
    north = progress[progress["element"] == 1].sort_values("row")
    typed = openpyxl.load_workbook(NP_2026)["Element 1"]
    actions = [r for r in range(17, 25) if typed[f"A{r}"].value]
    assert list(north["objective"]) == [typed[f"A{r}"].value for r in actions]
    assert [list(x) for x in north[["progress", "note"]].head(2).itertuples(index=False)] == \
        filled["North Plains"]["e1_progress"]
    assert north["progress"].iloc[2:].isna().all()
    assert set(progress["previous_response_id"]) == {plans.for_region("North Plains").response_id}
    assert set(progress["cycle"]) == {"2027"}
    assert set(rollup.tables["Actions"]["cycle"]) == {"2025", "2026", "2027"}  # both versions' actions
    path = write(rollup, tmp_path / "rollup.xlsx")
    wb = openpyxl.load_workbook(path)
    assert "Progress" in wb["Progress"].tables
    ws = wb["Action plans"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    label = cells["North Plains: 1. " + rollup.action_plan.elements[0].name]
    header = [ws.cell(label.row - 1 - k, 2).value for k in range(0, 20)]
    top = label.row - 1 - header.index("Done")  # the header row above the first data row
    counts = {ws.cell(top, c).value: ws.cell(label.row, c).value for c in range(2, 7)}
    assert counts == {"Done": 1, "On track": 0, "Delayed": 1, "Dropped": 0, "Not given": len(actions) - 2}
    with zipfile.ZipFile(path) as z:
        drawings = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/drawings/drawing"))
    assert 'descr="Stacked bar chart: for each region (North Plains) and key element' in drawings  # alt text
