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
from sheetflow.intake.codes import Finding
from sheetflow.intake.report import FileReport, Report
from sheetflow.instruments.manifest import ManifestRow
from sheetflow.instruments.roster import generate_for_roster, read_manifest
from sheetflow.tracking.status import Recipient, match, status

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
    assert [r.email for r in report.recipients if r.state == "problems"] == [ben.email]
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


# -- match(): a validation report made here, set against manifest rows made here ---------------------------

SA_ID, AP_ID = "sector-self-assessment", "sector-action-plan"


def sent_row(rid, name, region="North", org="Org A", instrument=SA_ID, cycle="2026") -> ManifestRow:
    return ManifestRow(rid, instrument, cycle, region, org, name, f"{name.lower()}@a.org", f"{rid}.xlsx")


def came_back(path, status, rid, who=None, org="Org A", instrument=SA_ID, errors=(), **more) -> FileReport:
    return FileReport(path=path, status=status, instrument=instrument, response_id=rid, organization=org,
                      respondent=who, errors=[Finding(None, None, m, code) for code, m in errors], cycle="2026",
                      **more)


ROWS = [sent_row("r-ana", "Ana"), sent_row("r-ben", "Ben"), sent_row("r-cara", "Cara", "South", "Org B"),
        sent_row("r-dan", "Dan", "South", "Org B", cycle="2025"), sent_row("p-north", "Ana", instrument=AP_ID)]
FILES = [came_back("in/ana.xlsx", "valid", "r-ana", "Ana"),
         came_back("in/ben old.xlsx", "superseded", "r-ben", "Ben", superseded_by="in/ben.xlsx"),
         came_back("in/ben.xlsx", "invalid", "r-ben", "Ben", errors=[("required", "Item 3 (Assessment!D8): no rating chosen.")]),
         came_back("in/broken.xlsx", "rejected", None, None, None, None,
                   errors=[("damaged", "The file is damaged.")]),
         came_back("in/dan.xlsx", "valid", "r-dan", "Dan", "Org B"),
         came_back("in/plan.xlsx", "valid", "p-north", "North", instrument=AP_ID),
         came_back("in/zed.xlsx", "valid", "r-zed", "Zed", "Org Z")]


def test_match_decides_each_state_from_a_report_without_reading_anything():
    result = match(Report(files=FILES, skipped=[("in/~$ana.xlsx", "Excel lock file")]), ROWS, cycle="2026",
                   manifest=Path("sent") / "manifest.csv")
    assert [(r.response_id, r.state) for r in result.recipients] == [
        ("r-ana", "returned"), ("r-ben", "problems"), ("r-cara", "outstanding"), ("p-north", "returned")]
    ben = result.recipients[1]
    assert ben.report.path == "in/ben.xlsx" and ben.errors == ["Item 3 (Assessment!D8): no rating chosen."]
    assert [f.path for f in ben.returns] == ["in/ben old.xlsx", "in/ben.xlsx"]
    assert ben.workbook == Path("sent") / "r-ben.xlsx" and ben.name == "Ben"
    assert {u.report.path: u.reason for u in result.unexpected} == {
        "in/broken.xlsx": "cannot be read, so not matched to anyone: The file is damaged.",
        "in/dan.xlsx": "a return of cycle 2025, the workbook sent to Org B / Dan for that cycle; not of cycle 2026.",
        "in/zed.xlsx": "its response id r-zed was not sent to anyone on the manifest (Org Z / Zed).",
    }
    assert result.skipped == [("in/~$ana.xlsx", "Excel lock file")] and result.manifest == "sent/manifest.csv"
    assert result.summary == {"returned": 2, "problems": 1, "superseded": 0, "outstanding": 1,
                              "recipients": 4, "unexpected": 3}


@pytest.mark.parametrize("name", ["r-cara.xlsx", "R-CARA.ods"])
def test_a_file_that_cannot_be_read_under_the_name_it_was_sent_is_that_recipients_problem(name):
    from sheetflow.outreach.mail import prepare

    damaged = came_back(f"in/{name}", "rejected", None, None, None, None,
                        errors=[("damaged", "The file is damaged; send the workbook again.")])
    result = match(Report(files=[*FILES, damaged]), ROWS, cycle="2026")
    cara = next(r for r in result.recipients if r.response_id == "r-cara")
    assert cara.state == "problems" and cara.errors == ["The file is damaged; send the workbook again."]
    assert "by its file name" in cara.notes[0]
    assert f"in/{name}" not in {u.report.path for u in result.unexpected}
    assert "r-cara" not in [r.response_id for r in prepare(result, "outstanding")]
    assert "r-cara" in [r.response_id for r in prepare(result, "problems")]


def test_a_file_that_cannot_be_read_but_has_a_readable_stamp_is_that_recipients_problem():
    cut = came_back("in/odd name.xlsx", "rejected", "r-cara", None, None,
                    errors=[("outside-template", "A sheet has something at AF400, outside the template area.")])
    cara = next(r for r in match(Report(files=[*FILES, cut]), ROWS, cycle="2026").recipients
                if r.response_id == "r-cara")
    assert cara.state == "problems" and cara.errors == ["A sheet has something at AF400, outside the template area."]


def test_a_return_of_another_cycle_is_named_with_its_cycle_and_whose_it_was():
    stray = came_back("in/old.xlsx", "valid", "r-old", "Old Timer", "Org Z")
    stray.cycle = "2025"  # a valid return of last cycle, left in this cycle's inbox
    result = match(Report(files=[*FILES, stray]), ROWS, cycle="2026")
    reasons = {u.report.path: u.reason for u in result.unexpected}
    assert reasons["in/old.xlsx"] == ("a return of cycle 2025 (Org Z / Old Timer), not of cycle 2026; no manifest "
                                      "of that cycle was given to say whose it was.")
    assert "Org B / Dan for that cycle" in reasons["in/dan.xlsx"]  # with the manifest of its cycle: whose it was
    assert "in/old.xlsx: a return of cycle 2025" in result.to_text()


def test_match_of_an_empty_report_has_everyone_outstanding():
    result = match(Report(), ROWS)
    assert [r.state for r in result.recipients] == ["outstanding"] * 5
    assert result.unexpected == [] and result.manifest == "" and result.recipients[0].workbook == Path("r-ana.xlsx")
    with pytest.raises(SheetflowError, match="lists nobody for cycle 2030"):
        match(Report(), ROWS, cycle="2030")


def test_the_text_of_a_match_exactly():
    result = match(Report(files=FILES), ROWS, cycle="2026")
    assert result.to_text() == """\
STATE        REGION  ORGANIZATION  RESPONDENT       WORKBOOK         DETAIL
returned     North   Org A         Ana              Self-Assessment  ana.xlsx
problems     North   Org A         Ben              Self-Assessment  1 error in ben.xlsx
outstanding  South   Org B         Cara             Self-Assessment
returned     North   Org A         Ana              Action Plan      plan.xlsx

Ben (Org A), in/ben.xlsx:
  - Item 3 (Assessment!D8): no rating chosen.

Unexpected files (sent to nobody on the manifest):
  in/broken.xlsx: cannot be read, so not matched to anyone: The file is damaged.
  in/dan.xlsx: a return of cycle 2025, the workbook sent to Org B / Dan for that cycle; not of cycle 2026.
  in/zed.xlsx: its response id r-zed was not sent to anyone on the manifest (Org Z / Zed).

By region:
  North  2 of 3 returned, 1 with problems
  South  0 of 1 returned, 1 outstanding

By organization:
  Org A  2 of 3 returned, 1 with problems
  Org B  0 of 1 returned, 1 outstanding

4 recipients: 2 of 4 returned, 1 with problems, 1 outstanding; 3 unexpected files."""


def test_the_status_of_the_samples_prints_exactly_this(monkeypatch, capsys):
    """The whole table for the bundled samples, as a convener sees it (paths as typed, from the repository)."""
    monkeypatch.chdir(HERE.parent)
    assert main(["status", "--manifest", "samples/sent/manifest.csv", "samples/returns"]) == 1
    expected = (HERE / "golden" / "status-samples.txt").read_text(encoding="utf-8")
    assert capsys.readouterr().out == expected
