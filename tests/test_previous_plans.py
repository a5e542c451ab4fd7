"""Choosing each region's plan of the previous cycle (planning/previous_plans.py), on the bundled
LibreOffice-saved returns (North Plains' valid plan of 2026, version 1.0, Red River Valley's
invalid one, among self-assessments)."""

import os
import shutil
from pathlib import Path

import openpyxl

from sheetflow.cli import main
from sheetflow.planning.previous_plans import previous_plans

SAMPLES = Path(__file__).parent.parent / "samples"


def test_each_region_follows_up_its_own_valid_newest_plan_of_the_cycle_before(tmp_path):
    inbox = tmp_path / "inbox"
    shutil.copytree(SAMPLES / "returns", inbox)
    newer = inbox / "North Plains - Action Plan (resent).xlsx"
    shutil.copy2(inbox / "North Plains - Action Plan.xlsx", newer)
    os.utime(newer, (2_000_000_000, 2_000_000_000))
    plans = previous_plans([inbox], "2027")
    assert plans.cycle == "2026" and [p.region for p in plans.regions.values()] == ["North Plains"]
    assert "answer" in dict(plans.left_out)[str(inbox / "Red River Valley - Action Plan.xlsx")]  # invalid: left out
    north = plans.for_region("  north plains ")
    typed = openpyxl.load_workbook(inbox / "North Plains - Action Plan.xlsx")
    e4 = typed["Element 4"]
    assert north.actions[4][0] == [e4["A15"].value, e4["B15"].value, e4["C15"].value, e4["D15"].value]
    assert north.statuses["e4_status_2"] == e4["F7"].value
    reasons = dict(plans.left_out)
    assert reasons[str(inbox / "North Plains - Harvest Manufacturing Alliance - Irene Takahashi - "
                                 "Self-Assessment.xlsx")] == "not an action plan"
    assert any(str(p).endswith("Hector Ramirez answers.csv") for p in reasons)  # nothing silently dropped
    assert plans.for_region("Nowhere") is None


def test_plans_of_the_same_or_a_later_cycle_are_not_followed_up():
    plans = previous_plans([SAMPLES / "returns"], "2026")
    assert plans.cycle is None and not plans.regions
    assert "of cycle 2026, not before 2026" in dict(plans.left_out).values()


def test_cli_previous_plans_needs_the_action_plan_and_a_region(tmp_path, capsys):
    assert main(["generate", "assessment", "-o", str(tmp_path / "a.xlsx"),
                 "--previous-plans", str(SAMPLES / "returns")]) == 2
    out = tmp_path / "np.xlsx"
    assert main(["generate", "action-plan", "--region", "North Plains", "--cycle", "2027", "-o", str(out),
                 "--previous-plans", str(SAMPLES / "returns")]) == 0
    assert "Follow-up for North Plains: " in capsys.readouterr().out
    ws = openpyxl.load_workbook(out)["Element 4"]
    e4 = openpyxl.load_workbook(SAMPLES / "returns" / "North Plains - Action Plan.xlsx")["Element 4"]
    assert ws["A28"].value == e4["A15"].value and ws["G7"].value == e4["F7"].value


def test_with_the_roster_each_region_follows_up_its_own_plan_and_the_stamp_names_it(tmp_path, capsys):
    out = tmp_path / "sent-2027"
    assert main(["generate", "action-plan", "--roster", str(SAMPLES / "roster.csv"), "--cycle", "2027",
                 "-o", str(out), "--previous-plans", str(SAMPLES / "returns")]) == 0
    said = capsys.readouterr().out
    assert ("Follow-up for Red River Valley: no valid plan of a cycle before 2027 (its plan of cycle 2026 (Red River "
            "Valley - Action Plan.xlsx) is invalid: 3 answers to fix") in said
    previous = previous_plans([SAMPLES / "returns"], "2027").for_region("North Plains")
    stamps = {}
    for path in out.glob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        props = {p.name: p.value for p in wb.custom_doc_props.props}
        stamps[wb["Region details"]["B4"].value] = (props.get("sheetflow_previous_plan"), wb["Element 4"]["A28"].value)
    assert stamps["North Plains"][0] == previous.response_id and stamps["North Plains"][1] == previous.actions[4][0][0]
    assert stamps["Red River Valley"] == (None, None)


def test_a_region_whose_last_plan_is_invalid_follows_up_its_valid_plan_before_it(tmp_path):
    from sheetflow.planning.previous_plans import summary_lines

    plans = previous_plans([SAMPLES / "returns", SAMPLES / "returns-2025"], "2027")
    north, red = plans.for_region("North Plains"), plans.for_region("Red River Valley")
    assert (north.cycle, red.cycle) == ("2026", "2025")  # Red River Valley's 2026 plan is invalid
    said = summary_lines(plans, ["North Plains", "Red River Valley"])
    assert any(line.startswith("Follow-up for Red River Valley: ") and "of its 2025 plan" in line for line in said)


def test_cycles_are_ordered_as_the_rollup_orders_them():
    from sheetflow.intake.validate import validate_paths
    from sheetflow.planning.previous_plans import from_report

    report = validate_paths([SAMPLES / "returns" / "North Plains - Action Plan.xlsx"])
    (plan,) = report.files
    plan.cycle = plan.record.cycle = "R9"  # a convener's own cycle names
    chosen = from_report(report, "R10")
    assert chosen.cycle == "R9" and chosen.for_region("North Plains").cycle == "R9"


def test_when_no_plan_qualifies_the_terminal_says_why():
    from sheetflow.planning.previous_plans import summary_lines

    said = "\n".join(summary_lines(previous_plans([SAMPLES / "returns"], "2026"), ["North Plains", "Red River Valley"]))
    assert "no valid action plan of a cycle before 2026" in said
    assert "Follow-up for North Plains: no valid plan of a cycle before 2026 (its plan of cycle 2026 is not of a " \
           "cycle before 2026)" in said
    assert "Follow-up for Red River Valley: no valid plan of a cycle before 2026 (its plan of cycle 2026 (Red River " \
           "Valley - Action Plan.xlsx) is invalid" in said
    assert "Not followed up: " in said
