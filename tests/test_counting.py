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
from sheetflow.planning.region_results import from_report

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
    results = from_report(shared_report, "2026").for_region("North Plains")
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


STRAY = "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"


@pytest.fixture(scope="module")
def stray_inbox(tmp_path_factory):
    """This cycle's sample returns and one valid 2025 workbook left among them."""
    folder = tmp_path_factory.mktemp("stray") / "inbox"
    folder.mkdir()
    for path in (SAMPLES / "returns").iterdir():
        shutil.copy2(path, folder / path.name)
    shutil.copy2(SAMPLES / "returns-2025" / STRAY, folder / "Ana Lopez 2025.xlsx")
    return folder


def test_a_stray_return_of_another_cycle_is_named_and_its_cycle_too_thin_to_compare(stray_inbox, tmp_path, capsys):
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(stray_inbox), "-o", str(out)]) == 0
    said = capsys.readouterr().out
    assert "of another cycle than 2026" in said and "Ana Lopez 2025.xlsx (cycle 2025)" in said
    assert "Too thin to compare with cycle 2026 (16 respondents): 2025 (1 respondent)" in said
    wb = openpyxl.load_workbook(out)
    about = " ".join(str(c.value) for row in wb["About"].iter_rows() for c in row if c.value)
    assert "Ana Lopez 2025.xlsx (cycle 2025)" in about
    summary = openpyxl.load_workbook(out, data_only=True)["Summary"]
    counts = dict(zip([c.value for c in summary[4]][1:], [c.value for c in summary[5]][1:]))
    assert counts["Self-assessments"] == 16  # the 2025 return is not in this cycle's figures
    change = [[c.value for c in row] for row in wb["Change over time"].iter_rows()]
    cycles = {row[0]: row for row in change if row[0] in ("2025", "2026") and isinstance(row[1], int)}
    assert cycles["2025"][1] == 1 and cycles["2025"][2].startswith("too thin to compare")
    assert cycles["2026"][1] == 16 and cycles["2026"][2] == "the cycle in view"
    trend = [dict(zip(["level", "name", "area", "cycle", "respondents", "average", "change"], row))
             for row in change if row[0] in ("all", "region", "organization") and row[3] in ("2025", "2026")]
    assert {r["respondents"] for r in trend if r["level"] == "all" and r["cycle"] == "2025"} == {1}
    assert all(r["change"] is None for r in trend)  # nothing is compared with one stray file
    assert "No cycle before 2026 to compare with" in " ".join(str(row[0]) for row in change)


def test_a_genuine_earlier_cycle_is_compared(tmp_path):
    both = type(validate_paths([SAMPLES / "returns"]))(
        files=validate_paths([SAMPLES / "returns"]).files + validate_paths([SAMPLES / "returns-2025"]).files)
    result = tables.build(both)
    assert result.respondents == {"2025": 19, "2026": 16} and result.thin == set() and result.before == "2025"
    assert result.tables["Trend"]["change"].notna().any()


def missing_list(path):
    """The Summary's list of who has no valid return: {(name, workbook): why}."""
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(path)["Summary"].iter_rows()]
    top = next(i for i, r in enumerate(rows) if str(r[0]).startswith("Without a valid return"))
    out = {}
    for row in rows[top + 2:]:
        if row[0] is None or row[0] == "None.":
            break
        out[row[0], row[1]] = row[2]
    return out


def test_who_has_no_valid_return_is_named_with_why(tmp_path):
    import csv

    manifest = SAMPLES / "sent" / "manifest.csv"
    out = tmp_path / "rollup.xlsx"
    assert main(["rollup", str(SAMPLES / "returns"), "--manifest", str(manifest), "-o", str(out), "--no-pivots"]) == 0
    report = validate_paths([SAMPLES / "returns"])
    valid_ids = {f.response_id for f in report.files if f.status == "valid"}
    with open(manifest, encoding="utf-8-sig", newline="") as handle:
        sent = [r for r in csv.DictReader(handle) if r["instrument"] == "sector-self-assessment"]
    by_hand = {r["organization"] for r in sent} - {r["organization"] for r in sent if r["response_id"] in valid_ids}
    listed = missing_list(out)
    assert {name for name, what in listed if what == "Self-Assessment"} == by_hand and by_hand
    assert all(why.startswith("outstanding: ") for (_, what), why in listed.items() if what == "Self-Assessment")
    assert listed["Red River Valley", "Action Plan"] == "invalid: Red River Valley - Action Plan.xlsx (3 answers to fix)"
    title = openpyxl.load_workbook(out)["Action plans"]["A3"].value
    assert "all regions" not in title
    assert title == ("Components by status, 1 region with a valid plan (North Plains); without one: Red River Valley "
                     "(invalid: Red River Valley - Action Plan.xlsx (3 answers to fix))")


def test_sheetflows_own_files_in_an_inbox_are_skipped_under_their_true_names(tmp_path, capsys):
    import json

    from sheetflow.arrival.ledger import write_ledger

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx",
                 "Red River Valley - Red River Technical College - Priya Shah - Self-Assessment.xlsx"):
        shutil.copy2(SAMPLES / "returns" / name, inbox / name)
    assert main(["rollup", str(inbox), "-o", str(inbox / "Roll-up.xlsx"), "--no-pivots"]) == 0  # saved in the inbox
    assert main(["validate", str(inbox), "--feedback", str(inbox)]) == 1  # Priya's note, beside her return
    shutil.copy2(SAMPLES / "sent" / "manifest.csv", inbox / "manifest.csv")
    write_ledger(inbox, [])
    roster = tmp_path / "roster.csv"
    roster.write_text("".join((SAMPLES / "roster.csv").read_text(encoding="utf-8").splitlines(True)[:3]), "utf-8")
    assert main(["generate", "assessment", "--roster", str(roster), "-o", str(tmp_path / "sent")]) == 0
    assert main(["mail", "--manifest", str(tmp_path / "sent"), "-o", str(inbox / "outbox")]) == 0
    from sheetflow.journals import REPLIED_COLUMNS

    (inbox / "replied.csv").write_text(",".join(REPLIED_COLUMNS) + "\r\n", encoding="utf-8")  # reply's ledger
    from sheetflow.journals import SENT_COLUMNS

    (inbox / "sent.csv").write_text(",".join(SENT_COLUMNS) + "\r\n", encoding="utf-8")  # mail --send's log
    (inbox / "accepted-senders.txt").write_text("ana.home@example.net\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["validate", "--json", str(inbox)]) == 1
    report = json.loads(capsys.readouterr().out)
    skipped = {Path(s["path"]).name: (s["reason"], s["code"]) for s in report["skipped"]}
    drafts = [name for name in skipped if name.endswith(".eml")]
    assert len(drafts) == len(list((inbox / "outbox").glob("*.eml"))) > 0
    assert skipped["Roll-up.xlsx"] == ("a sheetflow roll-up, not a return", "sheetflow-rollup")
    assert skipped["manifest.csv"] == ("sheetflow's manifest of the workbooks sent, not a return", "sheetflow-manifest")
    assert skipped["collected.csv"] == ("sheetflow's ledger of collected mail", "mail-ledger")
    assert skipped["sent.csv"] == ("sheetflow's log of the emails sent, not a return", "sheetflow-mail-log")
    assert skipped["accepted-senders.txt"] == ("the inbox's list of accepted senders", "accepted-senders")
    assert skipped["replied.csv"] == ("sheetflow's log of the replies to returns, not a return", "sheetflow-reply-log")
    note = "Red River Valley - Red River Technical College - Priya Shah - Self-Assessment - what to fix.txt"
    assert skipped[note] == ("a feedback note sheetflow wrote, not a return", "sheetflow-feedback")
    assert {skipped[d] for d in drafts} == {("an email draft sheetflow wrote, not a return", "sheetflow-draft")}
    assert [Path(f["path"]).name for f in report["files"]] == sorted(
        n for n in (p.name for p in inbox.iterdir()) if n.endswith("Self-Assessment.xlsx"))
    assert main(["validate", str(inbox)]) == 1
    text = capsys.readouterr().out
    assert "lock or hidden" not in text and "Roll-up.xlsx: a sheetflow roll-up, not a return" in text
    assert main(["rollup", str(inbox), "-o", str(tmp_path / "again.xlsx"), "--no-pivots"]) == 0
    said = capsys.readouterr().out
    assert "Skipped Roll-up.xlsx: a sheetflow roll-up, not a return." in said and "not made by sheetflow" not in said
    submissions = {r[0].value: (r[2].value, r[10].value) for r in openpyxl.load_workbook(tmp_path / "again.xlsx")[
        "Submissions"].iter_rows(min_row=2)}
    assert submissions["Roll-up.xlsx"] == ("skipped", "a sheetflow roll-up, not a return")


def test_results_for_plans_already_written_say_to_use_force(tmp_path, capsys):
    sent = tmp_path / "sent"
    command = ["generate", "action-plan", "--roster", str(SAMPLES / "roster.csv"), "-o", str(sent), "--cycle", "2026"]
    assert main(command) == 0
    capsys.readouterr()
    assert main([*command, "--assessments", str(SAMPLES / "returns")]) == 0
    said = capsys.readouterr().out
    assert "North Plains: plans exist; use --force to add the results (10 self-assessment returns of cycle 2026)." \
        in said
    assert "Red River Valley: plans exist; use --force to add the results" in said
    assert "no action plan for that region" not in said
