"""Who has returned what: generated for a roster, some filled in (with openpyxl, by defined name), then status."""

import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetflow.instruments import definitions
from sheetflow.cli import main
from sheetflow.errors import SheetflowError
from sheetflow.instruments.workbook import Request, generate
from sheetflow.intake.report import FileReport
from sheetflow.outreach.roster import generate_for_roster, read_manifest
from sheetflow.outreach.status import Recipient, status

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "samples" / "roster.csv"
SA = "Self-Assessment.xlsx"


def fill(src: Path, dst: Path, **changes) -> Path:
    """Answer every required question of a generated workbook by defined name, with changes; save as dst."""
    wb = openpyxl.load_workbook(src)
    instrument = definitions.load(next(p.value for p in wb.custom_doc_props.props
                                       if p.name == "sheetflow_instrument"))
    values = {}
    for i, answer in enumerate(instrument.answers):
        if answer.kind == "rating":
            values[answer.name] = i % 5 + 1
        elif answer.kind in ("yes_no", "status"):
            values[answer.name] = answer.choices[i % len(answer.choices)]
    values.update(changes)
    for name, value in values.items():
        (sheet, ref), = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "").split(":")[0]] = value
    dst.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dst)
    return dst


@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sent")
    generate_for_roster("assessment", SAMPLE, folder, "2026")
    generate_for_roster("action-plan", SAMPLE, folder, "2026")
    return folder


@pytest.fixture(scope="module")
def inbox(tmp_path_factory, sent):
    """What came back: valid, invalid, twice, forwarded, someone else's copy, strangers and a CSV."""
    box = tmp_path_factory.mktemp("inbox")
    np = "North Plains - Prairie Workforce Board - "
    fill(sent / f"{np}Ana Lopez - {SA}", box / "Ana.xlsx")
    fill(sent / f"{np}Ben Okafor - {SA}", box / "Ben.xlsx", rating_07="four", rating_03=7)
    older = fill(sent / f"{np}Carla Nguyen - {SA}", box / "Carla.xlsx", rating_01=1)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    fill(sent / f"{np}Carla Nguyen - {SA}", box / "later" / "Carla FINAL.xlsx", rating_01=5)
    fill(sent / f"{np}Ben Okafor - {SA}", box / "from Kim.xlsx", organization="Northern Lights Adult Education",
         respondent_name="Kim Soo-jin")  # Ben's email is still in it: the name typed in decides
    fill(sent / f"Red River Valley - Red River Technical College - Priya Shah - {SA}", box / "Priya.xlsx",
         respondent_name="Priya  SHAH ", respondent_email="PShah@rrtc.example.edu")
    fill(sent / f"{np}Ana Lopez - {SA}", box / "Ana's copy, Zoe.xlsx", respondent_name="Zoe Stranger",
         respondent_email="zoe@example.org")
    fill(sent / "North Plains - Action Plan.xlsx", box / "plan.xlsx")
    fill(sent / f"Red River Valley - Pathways Community Action - Tamika Brooks - {SA}", box / "Tamika.xlsx")
    blank = box / "blank.xlsx"
    generate(Request(definitions.load("assessment"), cycle="2026"), blank)
    fill(blank, box / "Pat.xlsx", organization="Nowhere Inc", respondent_name="Pat Nobody")
    fill(blank, box / "Umar.xlsx", organization="Pathways Community Action", respondent_name="Umar Farouk")
    blank.unlink()
    shutil.copy(HERE.parent / "samples" / "returns" / "Hector Ramirez answers.csv", box / "Hector.csv")
    return box


@pytest.fixture(scope="module")
def report(sent, inbox):
    return status([inbox, sent], sent / "manifest.csv")


def by_name(report):
    return {(r.instrument, r.respondent_name): r for r in report.recipients}


def test_every_recipient_gets_one_state(report):
    people = by_name(report)
    assert len(report.recipients) == 24
    sa, ap = "sector-self-assessment", "sector-action-plan"
    states = {name: r.state for (kind, name), r in people.items() if kind == sa and r.state != "outstanding"}
    assert states == {"Ana Lopez": "returned", "Ben Okafor": "problems", "Carla Nguyen": "returned",
                      "Kim Soo-jin": "returned", "Tamika Brooks": "returned",
                      "Priya Shah": "returned", "Umar Farouk": "returned"}
    assert people[(ap, "Ana Lopez")].state == "returned"
    assert people[(ap, "Laura Bergstrom")].state == "outstanding"
    assert report.summary == {"returned": 7, "problems": 1, "superseded": 0, "outstanding": 16,
                              "recipients": 24, "unexpected": 3}
    assert not report.all_returned


def test_problems_carry_the_validation_messages(report):
    ben = by_name(report)[("sector-self-assessment", "Ben Okafor")]
    assert len(ben.errors) == 2 and Path(ben.report.path).name == "Ben.xlsx"
    assert any("Assessment!D12" in e and "four" in e for e in ben.errors)
    assert ben.file == f"North Plains - Prairie Workforce Board - Ben Okafor - {SA}"
    assert ben.email == "ben.okafor@prairiewb.example.org"
    assert [r.email for r in report.problems] == [ben.email]
    assert report.summary["outstanding"] == 16


def test_the_newest_copy_counts_and_a_forwarded_workbook_finds_its_sender(report):
    people = by_name(report)
    carla = people[("sector-self-assessment", "Carla Nguyen")]
    assert Path(carla.report.path).name == "Carla FINAL.xlsx"
    assert sorted(r.status for r in carla.returns) == ["superseded", "valid"]
    kim = people[("sector-self-assessment", "Kim Soo-jin")]
    assert Path(kim.report.path).name == "from Kim.xlsx"
    assert "Ben Okafor's workbook, filled in by Kim Soo-jin" in kim.notes[0]
    assert [Path(r.path).name for r in people[("sector-self-assessment", "Ben Okafor")].returns] == ["Ben.xlsx"]
    priya = people[("sector-self-assessment", "Priya Shah")]
    assert Path(priya.report.path).name == "Priya.xlsx" and priya.notes == []  # spacing and case don't matter
    umar = people[("sector-self-assessment", "Umar Farouk")]  # a blank workbook sent round, not his own
    assert Path(umar.report.path).name == "Umar.xlsx" and "was not sent to Umar Farouk" in umar.notes[0]


def test_files_matching_nobody_are_unexpected(report):
    unexpected = {Path(u.report.path).name: u.reason for u in report.unexpected}
    assert set(unexpected) == {"Ana's copy, Zoe.xlsx", "Pat.xlsx", "Hector.csv"}
    assert "Ana Lopez's workbook filled in by Zoe Stranger" in unexpected["Ana's copy, Zoe.xlsx"]
    assert "was not sent to anyone on the manifest" in unexpected["Pat.xlsx"]
    assert "cannot be read" in unexpected["Hector.csv"] and "CSV" in unexpected["Hector.csv"]
    skipped = [p for p, _ in report.skipped]
    assert len(skipped) == 25  # the workbooks sent and the manifest are not returns


def test_counts_by_region_and_organization(report):
    data = report.to_dict()
    assert data["by_region"]["North Plains"] == {"returned": 4, "problems": 1, "superseded": 0, "outstanding": 7}
    assert data["by_region"]["Red River Valley"] == {"returned": 3, "problems": 0, "superseded": 0,
                                                     "outstanding": 9}
    assert data["by_organization"]["Prairie Workforce Board"] == {"returned": 3, "problems": 1, "superseded": 0,
                                                                  "outstanding": 0}
    assert data["by_instrument"]["sector-action-plan"]["returned"] == 1
    text = report.to_text()
    assert "North Plains      4 of 12 returned, 1 with problems, 7 outstanding" in text
    assert "24 recipients: 7 of 24 returned, 1 with problems, 16 outstanding; 3 unexpected files." in text


def test_the_cli_reports_and_exits_1_while_anything_is_missing(sent, inbox, capsys):
    assert main(["status", "--manifest", str(sent / "manifest.csv"), str(inbox)]) == 1
    out = capsys.readouterr().out
    assert "outstanding  Red River Valley" in out and "problems     North Plains" in out
    assert main(["status", "--manifest", str(sent), str(inbox), "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    ana = next(r for r in data["recipients"] if r["respondent_name"] == "Ana Lopez")
    assert set(ana) >= {"response_id", "instrument", "region", "organization", "respondent_name", "email", "file",
                        "state", "errors"}
    assert data["summary"]["unexpected"] == 3
    assert main(["status", "--manifest", str(sent / "nope.csv"), str(inbox)]) == 2
    assert "no such manifest" in capsys.readouterr().err


def test_exit_0_when_everyone_has_returned_a_valid_workbook(tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("organization,region,respondent_name,email,action_plan_lead\n"
                      "Org A,North,Ana,ana@a.org,yes\nOrg B,North,Ben,ben@b.org,\n", encoding="utf-8")
    sent = tmp_path / "sent"
    rows = generate_for_roster("assessment", roster, sent, "2026") + \
        generate_for_roster("action-plan", roster, sent, "2026")
    inbox = tmp_path / "inbox"
    assert main(["status", "--manifest", str(sent / "manifest.csv"), str(inbox.parent / "sent")]) == 1
    assert "3 outstanding" in capsys.readouterr().out  # nothing back yet (the sent files are not returns)
    for row in rows:
        fill(sent / row.file, inbox / row.file)
    assert main(["status", "--manifest", str(sent / "manifest.csv"), str(inbox)]) == 0
    assert "3 recipients: 3 of 3 returned; 0 unexpected files." in capsys.readouterr().out
    assert read_manifest(sent / "manifest.csv") == rows


def test_only_superseded_copies_and_unknown_cycles(tmp_path):
    recipient = Recipient("id", "sector-self-assessment", "2026", "North", "Org", "Ana", "a@x.org", "a.xlsx")
    recipient.returns = [FileReport(path="old.xlsx", status="superseded", superseded_by="elsewhere.xlsx")]
    recipient.decide()
    assert recipient.state == "superseded" and recipient.errors == []
    recipient.returns.append(FileReport(path="new.xlsx", status="rejected"))
    recipient.decide()
    assert recipient.state == "problems"


def test_a_cycle_with_nobody_is_refused(sent, inbox):
    with pytest.raises(SheetflowError, match="lists nobody for cycle 1999"):
        status([inbox], sent, cycle="1999")
