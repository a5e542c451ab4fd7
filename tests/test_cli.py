"""The sheetflow command: options in, one library call, exit codes out."""

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from sheetflow.cli import main


def test_generate_writes_a_stamped_workbook(tmp_path, capsys):
    out = tmp_path / "wb.xlsx"
    code = main(["generate", "assessment", "-o", str(out), "--cycle", "2027", "--response-id", "r-1"])
    assert code == 0
    assert "r-1" in capsys.readouterr().out
    props = {p.name: p.value for p in openpyxl.load_workbook(out).custom_doc_props.props}
    assert props["sheetflow_cycle"] == "2027" and props["sheetflow_response_id"] == "r-1"


def test_generate_refuses_to_overwrite_with_exit_2(tmp_path, capsys):
    out = tmp_path / "wb.xlsx"
    out.write_text("mine")
    assert main(["generate", "action-plan", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert out.read_text() == "mine"
    assert main(["generate", "action-plan", "-o", str(out), "--force"]) == 0


def test_bad_usage_exits_2(capsys):
    assert main(["generate", "poll", "-o", "x.xlsx"]) == 2
    assert "poll" in capsys.readouterr().err


def test_instruments_lists_both(capsys):
    assert main(["instruments"]) == 0
    out = capsys.readouterr().out
    assert "sector-self-assessment" in out and "sector-action-plan" in out


def test_instruments_says_which_earlier_versions_it_still_reads(capsys):
    assert main(["instruments", "--json"]) == 0
    plan, = [i for i in json.loads(capsys.readouterr().out) if i["id"] == "sector-action-plan"]
    assert plan["version"] == "1.2" and plan["reads_versions"] == ["1.0", "1.1", "1.2"]
    assert main(["instruments"]) == 0
    assert "also reads returns of version 1.0" in capsys.readouterr().out


def test_instruments_lists_the_names_generate_takes_and_generate_takes_both_names(tmp_path, capsys):
    assert main(["instruments", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {(i["name"], i["id"]) for i in listed} == {("assessment", "sector-self-assessment"),
                                                      ("action-plan", "sector-action-plan")}
    assert main(["instruments"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for i in listed:
        assert any(line.split()[:2] == [i["name"], i["id"]] for line in lines)
        for name in (i["name"], i["id"]):
            out = tmp_path / f"{name}.xlsx"
            assert main(["generate", name, "-o", str(out)]) == 0
            assert i["title"] in capsys.readouterr().out
            props = {p.name: p.value for p in openpyxl.load_workbook(out).custom_doc_props.props}
            assert props["sheetflow_instrument"] == i["id"]


def test_a_response_id_that_is_not_a_uuid_is_warned_about(tmp_path, capsys):
    assert main(["generate", "assessment", "-o", str(tmp_path / "a.xlsx"), "--response-id", "r-1"]) == 0
    assert "'r-1' is not a UUID" in capsys.readouterr().err
    rid = "0b5e8d2e-6a4f-4c1e-9f3a-2d7c1b9e8a01"
    assert main(["generate", "assessment", "-o", str(tmp_path / "b.xlsx"), "--response-id", rid]) == 0
    assert "UUID" not in capsys.readouterr().err


def test_validate_json_on_an_empty_folder_is_a_report_with_no_files(tmp_path, capsys):
    assert main(["validate", "--json", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    report = json.loads(captured.out)
    assert report["files"] == [] and report["summary"] == {"valid": 0, "invalid": 0, "rejected": 0,
                                                           "superseded": 0}
    assert "No files to validate" in captured.err


@pytest.mark.parametrize("command", ["validate", "rollup", "mail", "status"])
def test_every_workers_option_says_what_it_is(command, capsys):
    assert main([command, "--help"]) == 0
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--workers INTEGER RANGE Files read at once" in help_text


def test_one_file_is_one_file_not_one_files(tmp_path, capsys):
    out = tmp_path / "roll-up.xlsx"
    one = SAMPLES / "returns" / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"
    assert main(["rollup", str(one), "-o", str(out)]) == 0
    assert " of 1 file included" in capsys.readouterr().out
    book = openpyxl.load_workbook(out)
    about = " ".join(str(c.value) for row in book["About"].iter_rows() for c in row if c.value)
    summary = " ".join(str(c.value) for row in book["Summary"].iter_rows(max_row=3) for c in row if c.value)
    assert "1 file considered: 1 valid return included" in about and "1 return included, 0 files left out" in summary
    main(["validate", str(one)])
    assert "\n1 file: " in capsys.readouterr().out


def test_the_sheetflow_command_loads_the_command_line_only_when_it_runs():
    """Worker processes start by re-running the script that started the command ("spawn"); the script
    imports sheetflow.__main__, which must not load click and the commands for them."""
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "sheetflow"]
    assert script.value == "sheetflow.__main__:run"
    probe = "import sys, sheetflow.__main__; print(sorted(m for m in ('click', 'sheetflow.cli') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"


# -- outputs checked before any work, named as the user gave them -----------------------------------

SAMPLES = Path(__file__).parent.parent / "samples"


@pytest.mark.parametrize("given, says", [
    ("out/", "out/ is a folder"),
    ("existing", "existing is a folder"),
    ("table.csv", "must be a .xlsx file"),
    ("afile/roll-up.xlsx", "afile is a file, not a folder"),
])
def test_rollup_refuses_an_output_it_cannot_write_before_reading_returns(tmp_path, monkeypatch, capsys,
                                                                          given, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    (tmp_path / "afile").write_text("mine")
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["rollup", str(SAMPLES / "returns"), "-o", given]) == 2
    err = capsys.readouterr().err
    assert says in err and given.rstrip("/") in err and ".sheetflow-" not in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("given, says", [
    ("existing", "existing is a folder"),
    ("new/", "new/ is a folder"),
    ("blank.xls", "must be a .xlsx file"),
])
def test_generate_refuses_a_folder_or_a_wrong_extension(tmp_path, monkeypatch, capsys, given, says):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "existing").mkdir()
    assert main(["generate", "assessment", "-o", given]) == 2
    assert says in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]


def test_generate_for_a_roster_refuses_a_workbook_name_as_its_folder(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["generate", "assessment", "--roster", str(SAMPLES / "roster.csv"), "-o", "single.xlsx"]) == 2
    assert "single.xlsx is named like a file, not a folder" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_rollup_writes_nothing_when_one_csv_is_in_the_way(tmp_path, capsys):
    csv_dir = tmp_path / "csv"
    csv_dir.mkdir()
    (csv_dir / "Problems.csv").write_text("mine")
    out = tmp_path / "roll-up.xlsx"
    assert main(["rollup", str(SAMPLES / "returns"), "-o", str(out), "--csv", str(csv_dir)]) == 2
    assert "Problems.csv already exists" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in csv_dir.iterdir()] == ["Problems.csv"]


def test_rollup_force_leaves_no_csv_of_an_earlier_run(tmp_path):
    out, csv_dir = tmp_path / "roll-up.xlsx", tmp_path / "csv"
    assert main(["rollup", str(SAMPLES / "returns"), "-o", str(out), "--csv", str(csv_dir),
                 "--manifest", str(SAMPLES / "sent")]) == 0
    assert (csv_dir / "Outstanding.csv").exists()
    assert main(["rollup", str(SAMPLES / "returns"), "-o", str(out), "--csv", str(csv_dir), "--force"]) == 0
    assert not (csv_dir / "Outstanding.csv").exists() and not (csv_dir / "ResponseRate.csv").exists()
    assert (csv_dir / "Responses.csv").exists()


def test_validate_checks_the_feedback_folder_before_reading_and_writes_all_notes_or_none(tmp_path, capsys):
    (tmp_path / "afile").write_text("mine")
    assert main(["validate", str(SAMPLES / "returns"), "--feedback", str(tmp_path / "afile" / "notes")]) == 2
    err = capsys.readouterr().err
    assert "is a file, not a folder" in err and "Not a directory" not in err
    notes = tmp_path / "notes"
    assert main(["validate", str(SAMPLES / "returns"), "--feedback", str(notes)]) == 1
    written = sorted(p.name for p in notes.iterdir())
    for p in notes.iterdir():
        p.unlink() if p.name != written[0] else p.write_text("edited")
    assert main(["validate", str(SAMPLES / "returns"), "--feedback", str(notes)]) == 2
    assert "already exists" in capsys.readouterr().err
    assert [p.name for p in notes.iterdir()] == [written[0]] and (notes / written[0]).read_text() == "edited"


def test_every_commands_help_names_what_it_takes_and_lists_the_exit_codes(capsys):
    from sheetflow.cli import cli

    for name in cli.commands:
        assert main([name, "--help"]) == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "Exit codes: 0 " in text and "2 the command could not run" in text, name
    main(["status", "--help"])
    status = " ".join(capsys.readouterr().out.split())
    assert "in MANIFEST" not in status and "the manifest (--manifest" in status and "PATHS" in status
    main(["mail", "--help"])
    mail = " ".join(capsys.readouterr().out.split())
    assert "to the roster" not in mail and "the people in the manifest (--manifest" in mail
