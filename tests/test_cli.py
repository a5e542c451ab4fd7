"""The sheetflow command: options in, one library call, exit codes out."""

import subprocess
import sys

import openpyxl

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


def test_the_sheetflow_command_loads_the_command_line_only_when_it_runs():
    """Worker processes start by re-running the script that started the command ("spawn"); the script
    imports sheetflow.__main__, which must not load click and the commands for them."""
    from importlib.metadata import entry_points

    [script] = [e for e in entry_points(group="console_scripts") if e.name == "sheetflow"]
    assert script.value == "sheetflow.__main__:run"
    probe = "import sys, sheetflow.__main__; print(sorted(m for m in ('click', 'sheetflow.cli') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
