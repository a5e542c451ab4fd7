"""`import sheetflow`: a whole cycle run on the samples through the package's own functions alone."""

import shutil
import subprocess
import sys
from pathlib import Path

import sheetflow

SAMPLES = Path(__file__).parent.parent / "samples"


def test_a_whole_cycle_from_import_sheetflow_alone(tmp_path):
    sent, inbox = tmp_path / "sent", tmp_path / "inbox"
    sent.mkdir()  # the samples' manifest: the workbooks are made again with its response ids, as the replies carry
    shutil.copy(SAMPLES / "sent" / "manifest.csv", sent / "manifest.csv")
    rows = sheetflow.generate_for_roster("assessment", SAMPLES / "roster.csv", sent, cycle="2026")
    rows += sheetflow.generate_for_roster("action-plan", SAMPLES / "roster.csv", sent, cycle="2026")
    assert len(rows) == 24 and all((sent / Path(r.file).name).is_file() for r in rows)
    invitations = sheetflow.draft_mail(sent, tmp_path / "invitations")
    assert len(invitations.written) == 24 and invitations.kinds == {"invitation": 24}

    collected = sheetflow.collect_mail([SAMPLES / "mail"], inbox, manifest=sent)
    assert len(collected.saved) == 23 and (inbox / "collected.csv").is_file()
    report = sheetflow.validate([inbox])
    assert isinstance(report, sheetflow.Report) and len(report.files) == 23
    assert report.summary["valid"] > 0 and report.summary["invalid"] > 0 and report.summary["rejected"] > 0
    who = sheetflow.status([inbox], sent, cycle="2026")
    assert isinstance(who, sheetflow.StatusReport)
    assert who.summary["recipients"] == 24 and who.summary["returned"] == 17 and who.summary["outstanding"] == 3
    reminders = sheetflow.draft_mail(sent, tmp_path / "reminders", returns=[inbox])
    assert sum(reminders.kinds.values()) + len(reminders.skipped) == \
        who.summary["outstanding"] + who.summary["problems"]
    assert set(reminders.kinds) == {"reminder", "problems", "resend"}  # resend: a file that could not be opened

    rollup = sheetflow.roll_up([inbox], manifest=sent)
    assert isinstance(rollup, sheetflow.Rollup) and rollup.cycle == "2026"
    assert len(rollup.tables["Outstanding"]) == who.summary["recipients"] - who.summary["returned"]
    valid_assessments = [f for f in report.files if f.status == "valid" and f.instrument == "sector-self-assessment"]
    assert len(rollup.tables["Responses"]) == 20 * len(valid_assessments)
    written = sheetflow.write_rollup(rollup, tmp_path / "rollup.xlsx", csv_dir=tmp_path / "csv")
    assert written[0] == tmp_path / "rollup.xlsx" and (tmp_path / "csv" / "Responses.csv") in written

    results = sheetflow.assessment_results([inbox], "2026", sent)
    plan = sheetflow.generate("action-plan", tmp_path / "plan.xlsx", cycle="2026", region="North Plains",
                              results=results)
    assert plan.is_file() and results.for_region("North Plains").returns > 0
    try:
        sheetflow.generate("assessment", plan)
    except sheetflow.SheetflowError as refusal:
        assert "exists" in str(refusal) or "--force" in str(refusal)
    else:
        raise AssertionError("an existing workbook was overwritten without force")


def test_the_front_door_lists_what_it_has_and_imports_nothing_heavy():
    assert all(hasattr(sheetflow, name) for name in sheetflow.__all__)
    assert sheetflow.instrument("assessment").id == "sector-self-assessment"
    # worker processes import the package: pandas, pandera and openpyxl must wait until a function needs them
    loaded = subprocess.run([sys.executable, "-c", "import sys, sheetflow; "
                             "print(sorted(m for m in ('pandas', 'pandera', 'openpyxl', 'xlsxwriter') if m in sys.modules))"],
                            capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
