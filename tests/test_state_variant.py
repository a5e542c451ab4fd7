"""A state's variant of the Self-Assessment, from its definition file alone, through every command.

The variant (samples/definitions/state-variant/, the worked example of docs/instruments.md) has its
own id, a capability added (21), the area "Partnerships" renamed "Industry & Community Partnerships"
and a 4-point scale. It is generated blank and for the sample roster, some copies are filled in (with
openpyxl, by defined name) and mailed back, then collect, validate, status, mail, rollup and the
action plans made from its results run on them, as a convener would, each with ``--definitions`` or
``SHEETFLOW_DEFINITIONS``. Nothing here changes sheetflow's code or bundled definitions.
"""

from __future__ import annotations

import csv
import email.policy
import json
import os
import re
import zipfile
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest

import sheetflow
from sheetflow.cli import main
from sheetflow.instruments import definitions

from pivot_cache import as_excel_opens_it

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
VARIANT = SAMPLES / "definitions" / "state-variant"
ROSTER = SAMPLES / "roster.csv"
RENAMED = "Industry & Community Partnerships"
ADDED = "Data shared with the state's workforce agencies to track participants across programs"
# Who sends theirs back (North Plains people), each rating every capability the same: averages are known.
RATINGS = {"Ana Lopez": 4, "Ben Okafor": 2, "Carla Nguyen": 3, "David Whitehorse": 1}
WRONG = "Elena Petrova"  # rates capability 3 a 5, not on the 4-point scale


@pytest.fixture
def own_definitions():
    """Whatever a test sets, the next test starts with the bundled definitions only."""
    saved = os.environ.pop(definitions.ENVIRONMENT, None)
    yield
    os.environ.pop(definitions.ENVIRONMENT, None)
    if saved is not None:
        os.environ[definitions.ENVIRONMENT] = saved


def run(*args: object) -> int:
    return main([str(a) for a in args])


def fill(src: Path, dst: Path, values: dict) -> Path:
    """Type ``values`` into the named answer cells of a generated workbook (as a partner would), save as dst."""
    wb = openpyxl.load_workbook(src)
    for name, value in values.items():
        (sheet, ref), = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "").split(":")[0]] = value
    wb.save(dst)
    return dst


def answers(rating: int, **changes) -> dict:
    instrument = definitions.load("state-self-assessment")
    values: dict = {a.name: rating for a in instrument.answers if a.kind == "rating"}
    values.update({a.name: "No" for a in instrument.answers if a.kind == "yes_no"})
    values.update(changes)
    return values


def mail_back(sent: Path, person: str, values: dict, folder: Path, manifest: list[dict]) -> None:
    """The person's workbook, filled in, attached to a message from their own address."""
    row = next(r for r in manifest if r["respondent_name"] == person)
    filled = fill(sent / row["file"], folder / row["file"], values)
    message = EmailMessage()
    message["From"], message["To"] = f"{person} <{row['email']}>", "convener@example.org"
    message["Subject"], message["Message-ID"] = "My self-assessment", f"<{row['response_id']}@example.org>"
    message["Date"] = "Mon, 16 Mar 2026 09:00:00 +0000"
    message.set_content("Here it is.")
    message.add_attachment(filled.read_bytes(), maintype="application",
                           subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename=row["file"])
    (folder / f"{person}.eml").write_bytes(message.as_bytes(policy=email.policy.SMTP))
    filled.unlink()


@pytest.fixture(scope="module")
def cycle(tmp_path_factory):
    """One cycle of the variant, run through the commands; the folders and what each command printed."""
    saved = os.environ.pop(definitions.ENVIRONMENT, None)
    root = tmp_path_factory.mktemp("state")
    out: dict = {"root": root}
    try:
        out["blank"] = run("generate", "state-assessment", "-o", root / "blank.xlsx", "--cycle", "2026",
                           "--response-id", "00000000-0000-4000-8000-000000000021", "--definitions", VARIANT)
        os.environ.pop(definitions.ENVIRONMENT, None)  # each command says where the definitions are
        out["roster"] = run("generate", "state-self-assessment", "--roster", ROSTER, "-o", root / "sent",
                            "--cycle", "2026", "--definitions", VARIANT)
        with open(root / "sent" / "manifest.csv", newline="", encoding="utf-8-sig") as f:
            manifest = list(csv.DictReader(f))
        out["manifest"] = manifest
        mails = root / "mail"
        mails.mkdir()
        for person, rating in RATINGS.items():
            mail_back(root / "sent", person, answers(rating, rating_21=rating % 4 + 1), mails, manifest)
        mail_back(root / "sent", WRONG, answers(3, rating_03=5), mails, manifest)
        os.environ[definitions.ENVIRONMENT] = str(VARIANT)  # from here on, the environment variable says it
        out["collect"] = run("collect", mails, "-o", root / "inbox", "--manifest", root / "sent")
        return out
    finally:
        os.environ.pop(definitions.ENVIRONMENT, None)
        if saved is not None:
            os.environ[definitions.ENVIRONMENT] = saved


def with_variant(*args: object, capsys) -> tuple[int, str]:
    code = run(*args, "--definitions", VARIANT)
    os.environ.pop(definitions.ENVIRONMENT, None)
    return code, capsys.readouterr().out


def test_generate_writes_the_variant_blank_and_for_the_roster(cycle):
    assert cycle["blank"] == 0 and cycle["roster"] == 0
    wb = openpyxl.load_workbook(cycle["root"] / "blank.xlsx")
    assert "rating_21" in wb.defined_names and "rating_22" not in wb.defined_names
    sheet = wb["Assessment"]
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "INDUSTRY & COMMUNITY PARTNERSHIPS" in text and ADDED in text
    assert "4 = In place and excelling" in text and "5 = " not in text
    (sheet_name, ref), = list(wb.defined_names["rating_21"].destinations)
    rules = [dv for dv in wb[sheet_name].data_validations.dataValidation if ref.replace("$", "") in str(dv.sqref)]
    assert [dv.formula1 for dv in rules] == ['"1,2,3,4"']  # the list offers the state's four points
    manifest = cycle["manifest"]
    assert len(manifest) == 22 and {r["instrument"] for r in manifest} == {"state-self-assessment"}
    assert all(r["file"].endswith("State Self-Assessment.xlsx") for r in manifest)
    ana = openpyxl.load_workbook(cycle["root"] / "sent" / next(r["file"] for r in manifest
                                                                 if r["respondent_name"] == "Ana Lopez"))
    (sheet_name, ref), = list(ana.defined_names["respondent_role"].destinations)
    assert ana[sheet_name][ref.replace("$", "")].value == "Executive Director"  # filled in from the roster


def test_collect_saves_every_return_from_the_mail(cycle):
    assert cycle["collect"] == 0
    saved = sorted(p.name for p in (cycle["root"] / "inbox").glob("*.xlsx"))
    assert len(saved) == 5 and all("State Self-Assessment" in name for name in saved)


def test_validate_reads_the_added_capability_and_refuses_a_5_on_the_4_point_scale(cycle, capsys, own_definitions):
    inbox = cycle["root"] / "inbox"
    code, out = with_variant("validate", inbox, "--json", capsys=capsys)
    report = json.loads(out)
    assert code == 1
    by_person = {f["respondent"]: f for f in report["files"]}
    assert {p for p, f in by_person.items() if f["status"] == "valid"} == set(RATINGS)
    (error,) = by_person[WRONG]["errors"]
    assert error["name"] == "rating_03" and error["code"] == "rating-range"
    assert "is not a number from 1 to 4" in error["message"]
    sheetflow.use_definitions(VARIANT)  # the library's way
    read = {f.respondent: f for f in sheetflow.validate([inbox]).files}
    assert {p: read[p].record.value("rating_21") for p in RATINGS} == {p: r % 4 + 1 for p, r in RATINGS.items()}


def test_without_its_definition_the_variant_is_not_read(cycle, capsys, own_definitions):
    assert run("validate", cycle["root"] / "inbox") == 1
    assert "5 files: 0 valid, 0 invalid, 5 rejected" in capsys.readouterr().out


def test_status_counts_the_returns_against_the_manifest(cycle, capsys, own_definitions):
    code, out = with_variant("status", cycle["root"] / "inbox", "--manifest", cycle["root"] / "sent", "--json",
                             capsys=capsys)
    states = [r["state"] for r in json.loads(out)["recipients"]]
    assert code == 1 and (states.count("returned"), states.count("problems"), states.count("outstanding")) == (4, 1, 17)


def test_mail_drafts_name_the_state_instrument_and_the_fix(cycle, capsys, own_definitions):
    outbox = cycle["root"] / "outbox"
    code, out = with_variant("mail", "--manifest", cycle["root"] / "sent", "-o", outbox, cycle["root"] / "inbox",
                             capsys=capsys)
    assert code == 0 and "18 drafts" in out and "problems: 1" in out and "reminder: 17" in out
    (problem,) = [p for p in outbox.glob("*.eml") if WRONG in p.name]
    message = email.message_from_bytes(problem.read_bytes(), policy=email.policy.default)
    body = message.get_body(("plain",)).get_content()
    assert str(message["Subject"]).startswith("State Self-Assessment 2026:")
    assert "your workbook for the Prairie State Sector Partnership Self-Assessment" in body
    assert '(Assessment!D7): the rating "5" is not a number from 1 to 4.' in body
    assert message.get_payload()[1].get_filename().endswith("State Self-Assessment.xlsx")  # the workbook again


@pytest.fixture(scope="module")
def rollup(cycle):
    saved = os.environ.pop(definitions.ENVIRONMENT, None)
    try:
        code = run("rollup", cycle["root"] / "inbox", "-o", cycle["root"] / "rollup.xlsx", "--csv",
                   cycle["root"] / "csv", "--manifest", cycle["root"] / "sent", "--definitions", VARIANT)
    finally:
        os.environ.pop(definitions.ENVIRONMENT, None)
        if saved is not None:
            os.environ[definitions.ENVIRONMENT] = saved
    return code, cycle["root"] / "rollup.xlsx", cycle["root"] / "csv"


def test_rollup_tables_hold_the_added_capability_and_the_renamed_area(rollup):
    code, _, tables = rollup
    assert code == 0
    with open(tables / "Responses.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * 21  # the four valid returns, each with its 21 ratings
    added = [r for r in rows if r["item"] == "21"]
    assert {r["capability"] for r in added} == {ADDED}
    assert {r["area"] for r in added} == {"Sustainability & Continuous Improvement"}
    assert {r["area"] for r in rows if r["item"] == "14"} == {RENAMED}
    assert "Partnerships" not in {r["area"] for r in rows}


def test_rollup_summary_shows_the_renamed_area_and_averages_on_the_4_point_scale(rollup):
    _, path, _ = rollup
    wb = openpyxl.load_workbook(path)
    summary = [[c.value for c in row] for row in wb["Summary"].iter_rows()]
    header = next(r for r in summary if r[0] == "Organization")
    assert RENAMED in header and "Partnerships" not in header
    with zipfile.ZipFile(path) as z:  # the cached values a reader sees before Excel recalculates
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        charts = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    prairie = summary.index(next(r for r in summary if r[0] == "Prairie Workforce Board"))
    # Ana (4), Ben (2) and Carla (3) of Prairie Workforce Board rated every capability alike: 3.0 on average
    column = "ABCDEFG"[header.index(RENAMED)]
    cached = re.search(rf'<c r="{column}{prairie + 1}"[^>]*>.*?<v>([^<]*)</v>', sheet)
    assert cached is not None and float(cached.group(1)) == 3.0
    assert "<c:max val=\"4\"/>" in charts and "Average rating (1-4)" in charts and "(1-5)" not in charts
    distribution = [[c.value for c in row] for row in wb["Rating distribution"].iter_rows(max_col=8)]
    assert distribution[1][0] == "1 = Not yet started, 2 = Getting started, 3 = In place, 4 = In place and excelling."
    head = next(r for r in distribution if r[0] == "Item")
    assert head[:7] == ["Item", "Capability", "1", "2", "3", "4", "Average"]
    assert next(r for r in distribution if r[0] == 21)[1] == ADDED
    about = {(r[0].value, r[1].value): r[2].value for r in wb["About"].iter_rows() if r[2].value}
    assert about["Responses", "rating"] == "The rating: 1 = Not yet started … 4 = In place and excelling."
    assert about["Responses", "item"] == "The capability's number, 1 to 21."


def test_rollup_pivots_average_the_renamed_area(rollup):
    _, path, _ = rollup
    figures, _ = as_excel_opens_it(path, "Pivot - Ratings by area")
    assert figures["Prairie Workforce Board", RENAMED] == pytest.approx(3.0)  # Ana's 4, Ben's 2, Carla's 3
    assert figures["North Plains Community College", RENAMED] == pytest.approx(1.0)  # David's 1 (Elena's is invalid)
    counts, _ = as_excel_opens_it(path, "Pivot - Rating counts")
    assert {rating for _, rating in counts} == {"1", "2", "3", "4"}  # the state's four points, no 5
    assert {rating: counts["21", rating] for rating in "1234"} == {"1": 1, "2": 1, "3": 1, "4": 1}  # item 21 read


def test_action_plans_start_from_the_variants_results(cycle, capsys, own_definitions):
    plans = cycle["root"] / "plans"
    code, out = with_variant("generate", "action-plan", "--roster", ROSTER, "-o", plans, "--cycle", "2026",
                             "--assessments", cycle["root"] / "inbox", capsys=capsys)
    assert code == 0 and "North Plains: 4 self-assessment returns from 2 organizations (cycle 2026)." in out
    plan = next(plans.glob("North Plains*.xlsx"))
    wb = openpyxl.load_workbook(plan)
    text = "\n".join(str(c.value) for ws in wb.worksheets if "results" in ws.title.lower()
                     for row in ws.iter_rows() for c in row if c.value is not None)
    assert RENAMED in text and ADDED in text
    with zipfile.ZipFile(plan) as z:
        charts = " ".join(z.read(n).decode() for n in z.namelist() if n.startswith("xl/charts/chart"))
    assert "<c:max val=\"4\"/>" in charts and "Average rating (1-4)" in charts


def test_a_definition_with_mistakes_is_refused_one_line_per_mistake(tmp_path, capsys, own_definitions):
    text = (VARIANT / "state-self-assessment.toml").read_text(encoding="utf-8")
    broken = text.replace("number = 7\n", "number = 6\n", 1)  # a capability number used twice
    broken = broken.replace('label = "Getting started"\n', "", 1)  # a scale level without its label
    broken = broken.replace('area = "Sustainability & Continuous Improvement"\n', 'area = "Sustainability"\n', 1)
    broken = broken.replace('[[before]]\nkey = "active"', '[[before]]\nkey = "almost"', 1)  # a key used twice
    assert broken.count("number = 6\n") == 2
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "state-self-assessment.toml").write_text(broken, encoding="utf-8")
    code = run("validate", tmp_path, "--definitions", folder)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 4, err
    assert any("capability number 6 is used 2 times" in line for line in lines)
    assert any("[[scale.levels]] #2 (value 2) has no 'label'" in line for line in lines)
    assert any("[[capabilities]] #1 (number 21): area 'Sustainability' is not the name of any of the [[areas]]"
               in line for line in lines)
    assert any("[[before]] key 'almost' is used 2 times" in line for line in lines)
    assert all("state-self-assessment.toml" in line for line in lines)


def test_a_capability_in_no_area_is_named(tmp_path, capsys, own_definitions):
    text = (VARIANT / "state-self-assessment.toml").read_text(encoding="utf-8")
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "state.toml").write_text(text.replace('area = "Sustainability & Continuous Improvement"\n', "", 1),
                                       encoding="utf-8")
    assert run("instruments", "--definitions", folder) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "[[capabilities]] #1 (number 21) is in no area" in line


def test_a_rollup_of_the_variant_and_the_bundled_self_assessment_is_refused_naming_both(cycle, tmp_path, capsys,
                                                                                        own_definitions):
    code = run("rollup", cycle["root"] / "inbox", SAMPLES / "returns", "-o", tmp_path / "both.xlsx",
               "--definitions", VARIANT)
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and not (tmp_path / "both.xlsx").exists()
    assert "Prairie State Sector Partnership Self-Assessment (state-self-assessment): 4 valid returns" in err
    assert "Sector Strategies Organizational Self-Assessment (sector-self-assessment)" in err


def test_a_definition_with_a_bundled_id_takes_its_place(tmp_path, capsys, own_definitions):
    bundled = definitions.templates_dir() / "sector-self-assessment.toml"
    folder = tmp_path / "definitions"
    folder.mkdir()
    text = bundled.read_text(encoding="utf-8").replace('title = "Sector Strategies Organizational Self-Assessment"',
                                                       'title = "Our Own Self-Assessment"', 1)
    (folder / "ours.toml").write_text(text, encoding="utf-8")
    assert run("instruments", "--json", "--definitions", folder) == 0
    listed = {i["id"]: i["title"] for i in json.loads(capsys.readouterr().out)}
    assert listed == {"sector-self-assessment": "Our Own Self-Assessment",
                      "sector-action-plan": "Sector Strategies Action Planning Tool"}


def test_a_short_name_taken_by_another_instrument_is_refused(tmp_path, capsys, own_definitions):
    text = (VARIANT / "state-self-assessment.toml").read_text(encoding="utf-8")
    folder = tmp_path / "definitions"
    folder.mkdir()
    (folder / "state.toml").write_text(text.replace('short_name = "state-assessment"', 'short_name = "assessment"'),
                                       encoding="utf-8")
    assert run("generate", "assessment", "-o", tmp_path / "which.xlsx", "--definitions", folder) == 2
    assert "'assessment' is also the short name or id of sector-self-assessment" in capsys.readouterr().err
    assert not (tmp_path / "which.xlsx").exists()


@pytest.mark.libreoffice
def test_a_variant_return_filled_and_saved_by_libreoffice_is_read_on_its_scale(cycle, tmp_path, own_definitions):
    """LibreOffice (our stand-in for Excel) fills in the variant's workbook: its 4-point answers are read back."""
    import libreoffice

    sheetflow.use_definitions(VARIANT)
    row = next(r for r in cycle["manifest"] if r["respondent_name"] == "Farid Haddad")
    values = answers(4, rating_21=2, rating_14=1, organization=row["organization"], respondent_name="Farid Haddad")
    saved = libreoffice.fill_by_name(cycle["root"] / "sent" / row["file"], values, tmp_path / "inbox" / row["file"])
    (read,) = sheetflow.validate([saved.parent]).files
    assert read.status == "valid", [e.message for e in read.errors]
    assert (read.record.value("rating_21"), read.record.value("rating_14"), read.record.value("rating_01")) == (2, 1, 4)
    rollup = sheetflow.roll_up([saved.parent])
    rows = rollup.tables["Responses"]
    assert rows.loc[rows["item"] == 14, "area"].tolist() == [RENAMED]
    assert rollup.assessment.ratings == (1, 2, 3, 4)
