"""Finding codes that no other test causes: each made to happen the way a partner or a convener would, and
checked by its code (test_codes.py lists the codes no test causes yet)."""

import shutil
from pathlib import Path

import openpyxl

from sheetflow.intake.record import read_return
from sheetflow.intake.schemas import check_answers
from sheetflow.intake.validate import validate_paths
from sheetflow.arrival.collect import collect_mail
from sheetflow.tracking.status import validate_returns as validate_inbox

SAMPLES = Path(__file__).parent.parent / "samples"
ANA = next((SAMPLES / "returns").glob("*Ana Lopez*.xlsx"))


def filled(template: Path, folder: Path, **values) -> Path:
    """A copy of ``template`` with ``values`` typed into the named answer cells, saved by openpyxl."""
    wb = openpyxl.load_workbook(template)
    for name, value in values.items():
        (sheet, ref), = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    path = folder / "return.xlsx"
    wb.save(path)
    return path


def test_a_date_that_is_not_a_date_true_for_a_name_and_an_odd_email(tmp_path, blank_workbooks, assessment):
    path = filled(blank_workbooks["sector-self-assessment"], tmp_path, completed_on="next week", organization=True,
                  respondent_email="ana at prairie", respondent_name="Ana Lopez")
    ((errors, warnings),) = check_answers([read_return(str(path))], assessment)
    codes = {f.name: f.code for f in errors + warnings if f.name in ("completed_on", "organization",
                                                                     "respondent_email")}
    assert codes == {"completed_on": "not-a-date", "organization": "not-text", "respondent_email": "email-format"}
    assert {f.code for f in warnings if f.name == "respondent_email"} == {"email-format"}  # a warning, not an error


def test_a_hidden_folder_and_the_mail_ledger_are_skipped_with_their_codes(tmp_path):
    inbox = tmp_path / "inbox"
    collect_mail([SAMPLES / "mail"], inbox)  # writes inbox/collected.csv beside the saved attachments
    (inbox / ".thumbnails").mkdir()
    shutil.copy(ANA, inbox / ".thumbnails" / "copy.xlsx")
    skipped = {Path(s["path"]).name: s["code"] for s in validate_paths([inbox]).to_dict()["skipped"]}
    assert skipped["collected.csv"] == "mail-ledger" and skipped[".thumbnails"] == "hidden-folder"


def test_the_manifest_and_the_workbooks_sent_are_not_returns(tmp_path, blank_workbooks):
    sent = tmp_path / "sent"
    sent.mkdir()
    shutil.copy(SAMPLES / "sent" / "manifest.csv", sent / "manifest.csv")
    shutil.copy(ANA, sent / "a return.xlsx")
    listed = "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx"  # as the manifest lists it
    shutil.copy(blank_workbooks["sector-self-assessment"], sent / listed)
    report = validate_inbox([sent], sent / "manifest.csv")
    skipped = {Path(s["path"]).name: s["code"] for s in report.to_dict()["skipped"]}
    assert skipped == {"manifest.csv": "sheetflow-manifest", listed: "sent-by-sheetflow"}
    assert [Path(f.path).name for f in report.files] == ["a return.xlsx"]


def edited(tmp_path: Path, change) -> Path:
    """A valid return opened, changed and saved again by openpyxl."""
    wb = openpyxl.load_workbook(ANA)
    change(wb)
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


def stamped(wb, key: str, value) -> None:
    """Both copies of one stamp key (the file property and the hidden sheet's cell) set to ``value``."""
    for prop in wb.custom_doc_props.props:
        if prop.name == key:
            prop.value = value
    (sheet, ref), = list(wb.defined_names[key].destinations)
    wb[sheet][ref.replace("$", "")].value = value or None


def test_a_stamp_for_another_instrument_a_stamp_cut_short_and_a_sheet_taken_out(tmp_path):
    other = read_return(str(edited(tmp_path, lambda wb: stamped(wb, "sheetflow_instrument", "state-variant"))))
    assert other.rejected_code == "unknown-instrument" and "'state-variant'" in other.rejected
    cut = read_return(str(edited(tmp_path, lambda wb: stamped(wb, "sheetflow_cycle", ""))))
    assert cut.rejected_code == "stamp-incomplete" and "sheetflow_cycle" in cut.rejected
    gone = read_return(str(edited(tmp_path, lambda wb: wb.remove(wb["Instructions"]))))
    assert gone.rejected_code == "sheet-missing" and "Instructions" in gone.rejected


def fails_on_poison(path):
    """A reader with a bug: it raises on one file (sheetflow's own fault, not the partner's)."""
    if "poison" in path:
        raise KeyError("a bug")
    return read_return(path)


def test_a_fault_of_sheetflow_s_on_one_file_rejects_only_that_file_and_says_so(tmp_path):
    from sheetflow.intake.validate import read_all

    paths = [str(shutil.copy(ANA, tmp_path / name)) for name in ("one.xlsx", "poison.xlsx", "three.xlsx")]
    records = read_all(paths, workers=2, reader=fails_on_poison)
    assert [r.rejected_code for r in records] == [None, "reader-error", None]
    assert "sheetflow could not read this file (KeyError" in records[1].rejected


def test_an_opendocument_text_file_is_named_as_such(tmp_path):
    import zipfile

    path = tmp_path / "Self-Assessment.xlsx"  # a Writer document saved under a workbook's name
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    record = read_return(str(path))
    assert record.rejected_code == "opendocument"
