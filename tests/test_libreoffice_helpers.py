import datetime
import hashlib
import os
import uuid
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from openpyxl.styles.numbers import is_date_format

import libreoffice
from libreoffice import convert, fill_by_name, pdf_to_png

pytestmark = pytest.mark.libreoffice


@pytest.fixture
def form(tmp_path):
    path = tmp_path / "form.xlsx"
    wb = xlsxwriter.Workbook(path)
    wb.add_worksheet("Intro").write("A1", "Please fill in the Answers sheet")
    ws = wb.add_worksheet("Answers")
    unlocked = wb.add_format({"locked": False})
    ws.write("A1", "Locked label")
    for cell in ("B2", "B3", "B4"):
        ws.write_blank(cell, None, unlocked)
    ws.write("B5", "previous answer", unlocked)
    for row in range(6, 9):  # B7:C9
        for col in (1, 2):
            ws.write_blank(row, col, None, unlocked)
    ws.protect()
    wb.define_name("Q_Text", "=Answers!$B$2")
    wb.define_name("Q_Num", "=Answers!$B$3")
    wb.define_name("Q_Date", "=Answers!$B$4")
    wb.define_name("Q_Cleared", "=Answers!$B$5")
    wb.define_name("T_Grid", "=Answers!$B$7:$C$9")
    wb.close()
    return path


def test_fill_convert_render(form, tmp_path):
    dst = fill_by_name(form, {
        "Q_Text": "=SUM(A1:A2)",
        "Q_Num": 42.5,
        "Q_Date": {"date": "2026-03-04"},
        "Q_Cleared": None,
        "T_Grid": [["a", 1], [None, 2.5], ["c"]],
    }, tmp_path / "out" / "filled.xlsx")

    wb = openpyxl.load_workbook(dst)
    ws = wb["Answers"]
    assert ws["B2"].value == "=SUM(A1:A2)" and ws["B2"].data_type == "s"  # text, not a formula
    assert ws["B3"].value == 42.5
    date = ws["B4"]
    assert date.value in (datetime.datetime(2026, 3, 4), 46085)
    assert isinstance(date.value, datetime.datetime) or is_date_format(date.number_format)
    assert ws["B5"].value is None
    assert [[c.value for c in row] for row in ws["B7:C9"]] == [["a", 1], [None, 2.5], ["c", None]]
    assert ws["A1"].value == "Locked label"
    # what the read-back side relies on survives the LibreOffice round trip
    assert ws.protection.sheet
    assert {n: d.attr_text for n, d in wb.defined_names.items()} == {
        "Q_Text": "Answers!$B$2", "Q_Num": "Answers!$B$3", "Q_Date": "Answers!$B$4",
        "Q_Cleared": "Answers!$B$5", "T_Grid": "Answers!$B$7:$C$9"}

    pdf = convert(dst, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 1000
    pngs = pdf_to_png(pdf, tmp_path / "png")
    assert len(pngs) == 1 and pngs[0].read_bytes().startswith(b"\x89PNG")


def test_convert_resaves_xlsx_and_ods(form, tmp_path):
    xlsx = convert(form, "xlsx", tmp_path / "resaved")
    assert xlsx.name == "form.xlsx" and "T_Grid" in openpyxl.load_workbook(xlsx).defined_names
    assert convert(form, "ods", tmp_path / "ods").stat().st_size > 0


def test_fill_unknown_name_raises(form, tmp_path):
    with pytest.raises(RuntimeError, match="No_Such_Name"):
        fill_by_name(form, {"No_Such_Name": 1}, tmp_path / "x.xlsx")


def test_nothing_left_in_the_temporary_folder(form, tmp_path, monkeypatch):
    """LibreOffice's sockets (OSL_PIPE_*), profiles and scratch files go with each run."""
    import tempfile

    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setenv("TMPDIR", str(scratch))
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    profiles = []

    class Recorded(tempfile.TemporaryDirectory):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            profiles.append(Path(self.name, "profile"))

    monkeypatch.setattr(tempfile, "TemporaryDirectory", Recorded)
    monkeypatch.setattr(libreoffice.uuid, "uuid4", lambda: uuid.UUID(int=0xED6E5))
    filled = fill_by_name(form, {"Q_Text": "hello"}, tmp_path / "out" / "filled.xlsx")
    convert(filled, "pdf", tmp_path / "out")
    assert sorted(p.name for p in scratch.iterdir()) == []
    # The sockets live in /tmp whatever TMPDIR says; the single-instance one is named by LibreOffice
    # after the MD5 of the profile's URL in UTF-16, each byte in hex without leading zeros.
    uid = os.getuid()
    sockets = [Path(f"/tmp/OSL_PIPE_{uid}_sheetflow-{uuid.UUID(int=0xED6E5).hex}")] + [
        Path(f"/tmp/OSL_PIPE_{uid}_SingleOfficeIPC_"
             + "".join(format(b, "x") for b in hashlib.md5(p.as_uri().encode("utf-16-le")).digest()))
        for p in profiles]
    assert len(profiles) == 2 and [s for s in sockets if os.path.lexists(s)] == []
