"""Validating a real inbox: LibreOffice-saved returns mixed with broken and hostile files.

The bundled samples (samples/returns, really filled and saved by LibreOffice) need no LibreOffice
to run; the tests marked ``libreoffice`` fill fresh workbooks in it with answers chosen here."""

import functools
import hashlib
import io
import json
import os
import re
import shutil
import zipfile
from pathlib import Path

import openpyxl
import pytest

from sheetflow.cli import main
from sheetflow.intake.report import feedback_note
from sheetflow.intake.validate import plain_reader, validate_paths

HERE = Path(__file__).parent
SAMPLES = HERE.parent / "samples"
SAMPLE_VALID = SAMPLES / "returns" / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"


def by_name(report):
    return {Path(f.path).name: f for f in report.files}


def snapshot(folder: Path) -> dict:
    return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def lo_report(lo_inbox, tmp_path_factory):
    folder = tmp_path_factory.mktemp("inbox")
    for name, path in lo_inbox.items():
        shutil.copy2(path, folder / name)
    return validate_paths([folder]), folder


@pytest.mark.libreoffice
def test_a_complete_return_is_valid_and_text_like_NA_is_an_answer(lo_report):
    report, _ = lo_report
    valid = by_name(report)["valid assessment.xlsx"]
    assert valid.status == "valid", [e.message for e in valid.errors]
    assert (valid.organization, valid.respondent) == ("Prairie Workforce Board", "Ana Lopez")
    warned = {w.name for w in valid.warnings}
    assert "comment_03" not in warned and "reflect_missing" not in warned
    assert valid.record.value("comment_03") == "N/A" and valid.record.value("reflect_missing") == "None"


@pytest.mark.libreoffice
def test_each_wrong_answer_is_named_with_its_cell_and_a_message(lo_report, assessment):
    report, _ = lo_report
    bad = by_name(report)["Copy of assessment (2) FINAL.xlsx"]
    assert bad.status == "invalid"
    errors = {e.name: e for e in bad.errors}
    assert set(errors) == {"rating_07", "rating_03", "rating_10", "pre_almost_yes"}
    assert {name: e.code for name, e in errors.items()} == {
        "rating_07": "rating-range", "rating_03": "rating-range", "rating_10": "required",
        "pre_almost_yes": "not-a-choice"}
    seven = errors["rating_07"]
    assert seven.cell == "Assessment!D12"
    assert seven.message == ('Item 7 "Consensus among key regional partners of the…" (Assessment!D12): '
                             'the rating "four" is not a number from 1 to 5.')
    assert "not a number from 1 to 5" in errors["rating_03"].message and '"7"' in errors["rating_03"].message
    assert "no rating chosen" in errors["rating_10"].message
    assert '"Maybe" is not one of Yes or No' in errors["pre_almost_yes"].message
    assert ("comment_05", "optional-empty") in {(w.name, w.code) for w in bad.warnings}
    # a partner's text that looks like a formula is kept as text and is a valid answer
    assert bad.record.value("reflect_strengths") == "=cmd|' /C calc'!A0"


@pytest.mark.libreoffice
def test_action_plan_rows_need_objective_actions_timeline_and_lead(lo_report):
    report, _ = lo_report
    assert by_name(report)["valid action plan.xlsx"].status == "valid"
    bad = by_name(report)["action plan with problems.xlsx"]
    assert bad.status == "invalid"
    top = json.loads((HERE / "golden" / "sector-action-plan.names.json").read_text())["e3_actions"]
    first_row = int(top.split("!A")[1].split(":")[0])
    assert sorted((e.name, e.cell) for e in bad.errors) == sorted([
        ("lead_organization", "Region details!B5"), ("e2_status_1", "Element 2!F6"),
        ("e3_actions", f"Element 3!B{first_row}"), ("e3_actions", f"Element 3!C{first_row}"),
        ("e3_actions", f"Element 3!D{first_row}")])
    assert {(e.name, e.code) for e in bad.errors} == {
        ("lead_organization", "required"), ("e2_status_1", "not-a-choice"), ("e3_actions", "action-incomplete")}
    names = [e.name for e in bad.errors]
    assert names.count("e3_actions") == 3 and "lead_organization" in names and "e2_status_1" in names
    row_one = [e for e in bad.errors if e.name == "e3_actions"]
    assert all(", row 1, " in e.message for e in row_one)
    assert {e.message.split(", row 1, ")[1].split(" (")[0] for e in row_one} == {
        "Key Actions", "Timeline", "Lead Person/ Organization"}


@functools.cache
def zip_bomb(blank: Path) -> bytes:
    """The real workbook with one sheet 1 GiB of zeros (deflating it takes seconds: made once a session)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        with zipfile.ZipFile(blank) as src:
            for item in src.infolist():
                if item.filename != "xl/worksheets/sheet1.xml":
                    z.writestr(item, src.read(item))
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(1024):
                member.write(chunk)
    return buffer.getvalue()


def make_hostile(folder: Path, blank: Path, tmp: Path) -> dict:
    """name -> (the code of its rejection, a phrase the reason must contain)."""
    expected = {}

    def put(name, data, code, phrase):
        (folder / name).write_bytes(data)
        expected[name] = code, phrase

    put("empty.xlsx", b"", "empty", "empty")
    put("notes.xlsx", b"organization,rating\nPrairie,4\n", "csv-file", "CSV or plain-text")
    put("old.xlsx", bytes.fromhex("D0CF11E0A1B11AE1") + b"\0" * 600, "old-xls", ".xls")
    put("truncated.xlsx", blank.read_bytes()[:5000], "damaged", "damaged or incomplete")
    with zipfile.ZipFile(folder / "macro.xlsx", "w") as z:
        with zipfile.ZipFile(blank) as src:
            for item in src.infolist():
                z.writestr(item, src.read(item))
        z.writestr("xl/vbaProject.bin", b"\0" * 100)
    expected["macro.xlsx"] = "macro-enabled", "macro"
    other = openpyxl.Workbook()
    other.active["A1"] = "Someone else's form"
    other.save(folder / "someone else.xlsx")
    expected["someone else.xlsx"] = "not-stamped", "not made by sheetflow"

    def edited(name, change, code, phrase):
        wb = openpyxl.load_workbook(blank)
        change(wb)
        wb.save(folder / name)
        expected[name] = code, phrase

    def version(wb):
        for prop in wb.custom_doc_props.props:
            if prop.name == "sheetflow_version":
                prop.value = "0.9"
        wb["File info"]["B3"] = "0.9"

    edited("old version.xlsx", version, "unknown-version", "version 0.9")  # the reason lists those it knows
    edited("names removed.xlsx", lambda wb: wb.defined_names.pop("rating_05"), "answers-missing", "rating_05")
    edited("question changed.xlsx", lambda wb: wb["Assessment"].__setitem__("B5", "Something easier"),
           "question-changed", "Assessment!B5")
    edited("stamp mismatch.xlsx", lambda wb: wb["File info"].__setitem__("B4", "another-id"), "stamp-mismatch",
           "does not agree")
    edited("outside.xlsx", lambda wb: wb["Assessment"].__setitem__("AB300", "x"), "outside-template",
           "cell AB300, outside the template area")
    (folder / "bomb.xlsx").write_bytes(zip_bomb(blank))
    expected["bomb.xlsx"] = "zip-bomb", "zip bomb"
    with zipfile.ZipFile(folder / "entities.xlsx", "w") as z:
        with zipfile.ZipFile(blank) as src:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "xl/sharedStrings.xml":
                    data = data.replace(b"?>", b'?><!DOCTYPE s [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;">]>', 1)
                z.writestr(item, data)
    expected["entities.xlsx"] = "doctype", "DOCTYPE"
    if hasattr(os, "mkfifo"):
        os.mkfifo(folder / "pipe.xlsx")
        expected["pipe.xlsx"] = "not-a-file", "named pipe"
    return expected


def test_hostile_files_are_rejected_one_by_one_and_the_inbox_is_untouched(tmp_path, blank_workbooks):
    inbox = tmp_path / "inbox"
    (inbox / "sub").mkdir(parents=True)
    shutil.copy2(SAMPLE_VALID, inbox / "sub" / "good.xlsx")
    (inbox / "~$good.xlsx").write_bytes(b"lock")
    (inbox / ".DS_Store").write_bytes(b"junk")
    expected = make_hostile(inbox, blank_workbooks["sector-self-assessment"], tmp_path)
    before = snapshot(inbox)
    report = validate_paths([inbox])
    assert snapshot(inbox) == before
    files = by_name(report)
    assert files["good.xlsx"].status == "valid"
    for name, (code, phrase) in expected.items():
        assert files[name].status == "rejected", name
        [error] = files[name].errors
        assert (files[name].code, error.code) == (code, code), (name, error.message)
        assert phrase.lower() in error.message.lower(), (name, error.message)
        assert "\n" not in error.message and "Traceback" not in error.message
    assert {Path(p).name for p, _ in report.skipped} == {"~$good.xlsx", ".DS_Store"}
    skipped = {Path(item["path"]).name: item["code"] for item in report.to_dict()["skipped"]}
    assert skipped == {"~$good.xlsx": "lock-file", ".DS_Store": "hidden-file"}
    assert len(report.files) == len(expected) + 1
    with plain_reader():
        assert validate_paths([inbox]).to_dict() == report.to_dict(), "the plain reader agrees"


@pytest.mark.libreoffice
def test_the_fast_reader_gives_the_plain_readers_report(lo_report):
    report, folder = lo_report
    with plain_reader():
        assert validate_paths([folder]).to_dict() == report.to_dict()


def test_a_formula_in_an_answer_cell_is_never_trusted(tmp_path, blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    wb["Assessment"]["D12"] = "=2+2"
    wb.save(tmp_path / "formula.xlsx")
    (report,) = validate_paths([tmp_path / "formula.xlsx"]).files
    rating = [e for e in report.errors if e.name == "rating_07"]
    assert rating and "contains a formula (=2+2)" in rating[0].message


def test_the_same_response_twice_counts_once_newest_wins(tmp_path):
    older, newer = tmp_path / "assessment.xlsx", tmp_path / "assessment (2).xlsx"
    shutil.copy2(SAMPLE_VALID, older)
    shutil.copy2(SAMPLE_VALID, newer)
    os.utime(older, (1_700_000_000, 1_700_000_000))
    files = by_name(validate_paths([tmp_path]))
    statuses = sorted(f.status for f in files.values())
    assert statuses == ["superseded", "valid"]
    superseded = next(f for f in files.values() if f.status == "superseded")
    winner = next(f for f in files.values() if f.status == "valid")
    assert superseded.superseded_by == winner.path and Path(winner.path).name in superseded.warnings[-1].message
    assert superseded.warnings[-1].code == "duplicate", "the very same bytes"


@pytest.mark.libreoffice
def test_different_respondents_sharing_a_blank_workbook_are_told_apart(lo_report):
    report, _ = lo_report
    files = by_name(report)
    a, b = files["valid assessment.xlsx"], files["Copy of assessment (2) FINAL.xlsx"]
    assert a.response_id == b.response_id and a.status == "valid" and b.status == "invalid"


@pytest.mark.libreoffice
def test_cli_json_is_the_library_report_and_exit_codes(lo_report, capsys, tmp_path):
    report, folder = lo_report
    assert main(["validate", str(folder), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out == json.loads(json.dumps(validate_paths([folder]).to_dict()))
    assert out["summary"] == {"valid": 2, "invalid": 2, "rejected": 0, "superseded": 0}
    first = out["files"][0]
    assert set(first) >= {"path", "status", "instrument", "response_id", "organization", "respondent",
                          "errors", "warnings"}
    valid_only = tmp_path / "ok"
    valid_only.mkdir()
    shutil.copy2(folder / "valid assessment.xlsx", valid_only)
    assert main(["validate", str(valid_only)]) == 0
    assert main(["validate", str(tmp_path / "missing")]) == 2
    assert "no such file" in capsys.readouterr().err


@pytest.mark.libreoffice
def test_feedback_notes_for_each_file_that_is_not_valid(lo_report, tmp_path, capsys):
    _, folder = lo_report
    notes = tmp_path / "notes"
    assert main(["validate", str(folder), "--feedback", str(notes)]) == 1
    written = sorted(p.name for p in notes.iterdir())
    assert written == ["Copy of assessment (2) FINAL - what to fix.txt", "action plan with problems - what to fix.txt"]
    text = (notes / written[0]).read_text(encoding="utf-8")
    assert text.startswith("Hello Ben Okafor,")
    assert '(Assessment!D12): the rating "four" is not a number from 1 to 5.' in text
    assert "email it back" in text
    assert main(["validate", str(folder), "--feedback", str(notes)]) == 2, "never overwrites without --force"


def test_a_note_to_a_partner_whose_file_was_refused_speaks_to_the_partner(tmp_path):
    csv_file = tmp_path / "answers.xlsx"
    csv_file.write_text("organization,rating\nPrairie WB,4\n", encoding="utf-8")
    report = validate_paths([csv_file])
    [refused] = report.files
    assert refused.status == "rejected" and "ask the partner" in refused.errors[0].message  # for the convener
    note = feedback_note(refused, "Sector Strategies Organizational Self-Assessment")
    assert "not an Excel workbook." in note and "ask the partner" not in note
    assert "Please send the workbook again" in note


def crash_on_poison(path):
    """A reader that dies like a native library aborting (as python-calamine does on some files)."""
    from sheetflow.intake.record import read_return

    if "poison" in path:
        os.abort()
    return read_return(path)


def test_a_reader_crash_rejects_only_that_file(tmp_path):
    from sheetflow.intake.validate import read_all

    paths = []
    for k in range(5):
        target = tmp_path / (f"poison {k}.xlsx" if k == 2 else f"return {k}.xlsx")
        shutil.copy2(SAMPLE_VALID, target)
        paths.append(str(target))
    records = read_all(paths, workers=2, reader=crash_on_poison)
    assert [r.path for r in records] == paths
    assert [bool(r.rejected) for r in records] == [False, False, True, False, False]
    assert "could not be read safely" in records[2].rejected and "SIGABRT" in records[2].rejected
    assert records[2].rejected_code == "reader-crashed"


def test_the_samples_fast_reader_gives_the_plain_readers_report():
    folder = SAMPLES / "returns"
    fast = validate_paths([folder]).to_dict()
    with plain_reader():
        assert validate_paths([folder]).to_dict() == fast


def test_cli_json_gives_every_error_and_warning_its_code(capsys):
    assert main(["validate", str(SAMPLES / "returns"), "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["summary"] == {"valid": 17, "invalid": 3, "rejected": 2, "superseded": 1}
    files = {Path(f["path"]).name: f for f in out["files"]}
    marcus = files["Red River Valley - Red River Workforce Partnership - Marcus Bell - Self-Assessment.xlsx"]
    assert [(e["cell"], e["code"]) for e in marcus["errors"]] == [
        ("About you!B13", "not-a-choice"), ("Assessment!D12", "rating-range"), ("Assessment!D22", "rating-range")]
    assert marcus["code"] is None and {w["code"] for w in marcus["warnings"]} == {"optional-empty"}
    csv = files["Hector Ramirez answers.csv"]
    assert (csv["status"], csv["code"], [e["code"] for e in csv["errors"]]) == ("rejected", "csv-file", ["csv-file"])
    cut = files["Red River Valley - Pathways Community Action - Umar Farouk - Self-Assessment.xlsx"]
    assert (cut["status"], cut["code"]) == ("rejected", "damaged")
    okafor = files["North Plains - Prairie Workforce Board - Ben Okafor - Self-Assessment.xlsx"]
    assert okafor["status"] == "superseded" and okafor["warnings"][-1]["code"] == "superseded"
    plan = files["Red River Valley - Action Plan.xlsx"]
    assert {e["code"] for e in plan["errors"]} == {"action-incomplete"}
    assert all(set(f) >= {"path", "status", "code", "instrument", "response_id", "organization", "respondent",
                          "errors", "warnings", "version", "cycle", "sha256", "saved_at", "superseded_by"}
               for f in out["files"])


def test_the_text_table_of_the_samples_is_exactly_as_documented(capsys, monkeypatch):
    monkeypatch.chdir(SAMPLES.parent)
    assert main(["validate", "samples/returns"]) == 1
    expected = (HERE / "golden" / "validate-samples.txt").read_text(encoding="utf-8")
    assert capsys.readouterr().out == expected


def test_feedback_notes_for_the_samples_that_are_not_valid(tmp_path, capsys):
    notes = tmp_path / "notes"
    assert main(["validate", str(SAMPLES / "returns"), "--feedback", str(notes)]) == 1
    assert sorted(p.name for p in notes.iterdir()) == [
        "Hector Ramirez answers - what to fix.txt",
        "Red River Valley - Action Plan - what to fix.txt",
        "Red River Valley - Pathways Community Action - Umar Farouk - Self-Assessment - what to fix.txt",
        "Red River Valley - Red River Technical College - Priya Shah - Self-Assessment - what to fix.txt",
        "Red River Valley - Red River Workforce Partnership - Marcus Bell - Self-Assessment - what to fix.txt"]
    marcus = (notes / "Red River Valley - Red River Workforce Partnership - Marcus Bell - Self-Assessment"
              " - what to fix.txt").read_text(encoding="utf-8")
    assert marcus.startswith("Hello Marcus Bell,")
    assert '(Assessment!D12): the rating "four" is not a number from 1 to 5.' in marcus
    csv = (notes / "Hector Ramirez answers - what to fix.txt").read_text(encoding="utf-8")
    assert "not an Excel workbook." in csv and "ask the partner" not in csv


@pytest.mark.libreoffice
def test_a_version_1_0_plan_and_a_current_plan_validate_and_roll_up_together(lo_inbox, action_plan):
    """A plan made before the follow-up (1.0, as issued) still validates and rolls up beside a current one."""
    from sheetflow.rollup.tables import build

    old = HERE / "fixtures" / "versions" / "North Plains - Action Plan 1.0.xlsx"
    report = validate_paths([old, lo_inbox["valid action plan.xlsx"]])
    files = {f.version: f for f in report.files}
    assert set(files) == {"1.0", action_plan.version}
    assert [(f.status, f.errors) for f in files.values()] == [("valid", [])] * 2
    actions = build(report).tables["Actions"]
    assert set(actions["response_id"]) == {f.response_id for f in files.values()}
    typed = openpyxl.load_workbook(old)["Element 1"]
    rows = actions[(actions["response_id"] == files["1.0"].response_id) & (actions["element"] == 1)]
    first = rows.sort_values("row").iloc[0]
    assert [first["objective"], first["key_actions"], first["lead"]] == [
        typed["A17"].value, typed["B17"].value, typed["D17"].value]


def test_a_version_this_sheetflow_never_issued_is_named_with_those_it_knows(tmp_path, blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-action-plan"])
    for prop in wb.custom_doc_props.props:
        if prop.name == "sheetflow_version":
            prop.value = "7.0"
    wb["File info"]["B3"] = "7.0"
    wb.save(tmp_path / "future.xlsx")
    f, = validate_paths([tmp_path / "future.xlsx"]).files
    assert (f.status, f.code) == ("rejected", "unknown-version")
    assert "version 7.0" in f.errors[0].message and "1.0, 1.1" in f.errors[0].message


def test_with_the_manifest_a_note_greets_its_partner_by_name_even_when_the_file_could_not_be_read(tmp_path):
    """Umar Farouk's sample return is damaged: nothing in it names him, but the manifest does."""
    samples = Path(__file__).parent.parent / "samples"
    notes = tmp_path / "notes"
    assert main(["validate", str(samples / "returns"), "--feedback", str(notes),
                 "--manifest", str(samples / "sent" / "manifest.csv")]) == 1
    [umar] = [p for p in notes.iterdir() if "Umar Farouk" in p.name]
    assert umar.read_text(encoding="utf-8").startswith("Hello Umar Farouk,")
    without = tmp_path / "without"
    assert main(["validate", str(samples / "returns"), "--feedback", str(without)]) == 1
    assert (without / umar.name).read_text(encoding="utf-8").startswith("Hello,")  # the file names nobody


def test_the_table_says_cannot_be_read_only_of_a_file_that_was_not_read(tmp_path, blank_workbooks, capsys):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    expected = make_hostile(inbox, blank_workbooks["sector-self-assessment"], tmp_path)
    edited = [name for name, (code, _) in expected.items() if code == "question-changed"]
    unreadable = [name for name, (code, _) in expected.items() if code in ("csv-file", "damaged", "empty")]
    assert edited and unreadable
    main(["validate", str(inbox)])
    table = {re.split(r"\s{2,}", line)[1]: line for line in capsys.readouterr().out.splitlines()
             if line.startswith("rejected")}
    assert all("read, but a question was edited" in table[name] for name in edited)
    assert all("cannot be read" in table[name] for name in unreadable)
