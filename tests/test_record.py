"""The reader: named answers with their cells, normalised as real applications write them."""

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import pytest

import libreoffice
from sheetflow.intake.record import normalise, read_return

SAMPLES = Path(__file__).parent.parent / "samples" / "returns"  # filled and saved by LibreOffice


@pytest.mark.parametrize("value, kind, expected", [
    (4.0, "rating", 4), ("4", "rating", 4), (" 5 ", "rating", 5), ("four", "rating", "four"),
    ("", "text", None), ("   ", "long_text", None), ("  Prairie  ", "text", "Prairie"),
    ("N/A", "text", "N/A"), ("None", "long_text", "None"), (2026, "text", "2026"),
    (46085, "date", dt.date(2026, 3, 4)), (46085.0, "date", dt.date(2026, 3, 4)),
    (dt.datetime(2026, 3, 4), "date", dt.date(2026, 3, 4)), ("2026-03-04", "date", dt.date(2026, 3, 4)),
    ("next week", "date", "next week"), (None, "rating", None), (True, "yes_no", True),
])
def test_normalise(value, kind, expected):
    assert normalise(value, kind) == expected


def test_every_answer_has_its_name_and_cell(blank_workbooks, assessment):
    record = read_return(str(blank_workbooks["sector-self-assessment"]))
    assert record.rejected is None
    assert (record.instrument, record.version, record.response_id, record.cycle) == (
        "sector-self-assessment", "1.2", "00000000-0000-4000-8000-000000000001", "2026")
    assert set(record.answers) == {a.name for a in assessment.answers}
    assert record.answers["rating_07"].cell == "Assessment!D12"
    assert record.answers["organization"].cell == "About you!B4"
    assert len(record.sha256) == 64


def test_stamp_still_read_when_one_copy_is_lost(tmp_path, blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-action-plan"])
    wb.custom_doc_props.props.clear()  # some applications drop custom properties
    wb.save(tmp_path / "no props.xlsx")
    record = read_return(str(tmp_path / "no props.xlsx"))
    assert record.rejected is None and record.instrument == "sector-action-plan"
    assert "identification was removed" in record.findings[0].message
    assert record.findings[0].code == "stamp-partly-lost"


@pytest.mark.libreoffice
def test_a_workbook_filled_elsewhere_and_resaved_by_libreoffice_reads_the_same(tmp_path, blank_workbooks):
    """Filled with openpyxl (as another tool would), then saved by `soffice --convert-to xlsx`."""
    wb = openpyxl.load_workbook(blank_workbooks["sector-action-plan"])
    wb["Region details"]["B4"] = "  North Plains "
    wb["Element 1"]["F6"] = "Partly in place"
    (sheet, ref), = list(wb.defined_names["e2_actions"].destinations)
    top_left = ref.replace("$", "").split(":")[0]
    wb[sheet][top_left] = "Convene employers"
    src = tmp_path / "filled.xlsx"
    wb.save(src)
    out = tmp_path / "resaved"
    resaved = libreoffice.convert(src, "xlsx", out)
    before, after = read_return(str(src)), read_return(str(resaved))
    assert after.rejected is None
    assert after.value("region") == "North Plains" == before.value("region")
    assert after.value("e1_status_1") == "Partly in place"
    assert after.value("e2_actions")[0][0] == "Convene employers"
    assert {n: a.value for n, a in after.answers.items()} == {n: a.value for n, a in before.answers.items()}


def test_the_input_file_is_not_modified(tmp_path):
    path = tmp_path / "return.xlsx"
    shutil.copy2(SAMPLES / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx", path)
    before = (path.read_bytes(), path.stat().st_mtime_ns)
    read_return(str(path))
    assert (path.read_bytes(), path.stat().st_mtime_ns) == before


def test_a_workbook_sheetflow_never_made_is_told_so_even_with_cells_outside_the_template_area(tmp_path):
    """Clearing the far cells would not help: the partner must be told the file is not the one sent."""
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Organization"
    wb.active["AF400"] = "notes far away"  # outside A1:Z250
    wb.save(tmp_path / "their own.xlsx")
    record = read_return(tmp_path / "their own.xlsx")
    assert record.rejected_code == "not-stamped" and "not made by sheetflow" in record.rejected
    assert "outside the template area" not in record.rejected


def test_a_sheetflow_workbook_with_cells_outside_the_template_area_is_told_to_clear_them(tmp_path, blank_workbooks):
    wb = openpyxl.load_workbook(blank_workbooks["sector-self-assessment"])
    wb[wb.sheetnames[0]]["AF400"] = "notes far away"
    wb.save(tmp_path / "ours.xlsx")
    record = read_return(tmp_path / "ours.xlsx")
    assert record.rejected_code == "outside-template" and "AF400" in record.rejected


def test_a_choice_typed_in_another_case_is_the_choice_excel_took_it_for(tmp_path, blank_workbooks):
    """Excel's list validation compares without regard to case: a partner may type "yes" or "IN PLACE". The
    answer is read as the choice it matches (and so rolls up as the list's text); anything else stays as typed."""
    from sheetflow.intake.record import as_choice
    from test_status import fill

    assert as_choice("yes", ("Yes", "No")) == "Yes" and as_choice("IN PLACE", ("In place", "Not yet")) == "In place"
    assert as_choice("Maybe", ("Yes", "No")) == "Maybe" and as_choice(3, ("Yes", "No")) == 3
    path = fill(blank_workbooks["sector-self-assessment"], tmp_path / "typed.xlsx", pre_almost_yes="yes",
                pre_active_yes="NO")
    record = read_return(path)
    assert (record.value("pre_almost_yes"), record.value("pre_active_yes")) == ("Yes", "No")


def test_a_status_typed_in_capitals_validates_and_rolls_up_as_the_lists_text(tmp_path, blank_workbooks):
    from sheetflow.intake.validate import validate_paths
    from sheetflow.rollup.tables import build
    from test_status import fill

    folder = tmp_path / "returns"
    folder.mkdir()
    fill(blank_workbooks["sector-action-plan"], folder / "plan.xlsx", region="North Plains",
         lead_organization="Prairie Workforce Board", e1_status_1="IN PLACE",
         e1_status_2="partly in place")
    report = validate_paths([folder])
    [found] = report.files
    assert found.status == "valid", [e.message for e in found.errors]
    components = build(report).tables["Components"]
    first = components[components["element"] == 1].set_index("component")["status"]
    assert (first[1], first[2]) == ("In place", "Partly in place")
