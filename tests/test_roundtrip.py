"""Workbooks filled by name in LibreOffice itself read back exactly (the contract, for any tool)."""

import datetime as dt
import subprocess

import openpyxl
import pytest

import libreoffice
from conftest import complete_answers
from test_generate import defined_names, cells_of

pytestmark = pytest.mark.libreoffice


def fill_values(instrument) -> dict:
    """A value for every answer name, text that looks like formulas included, tables full."""
    values = complete_answers(instrument)
    for answer in instrument.answers:
        if answer.kind in ("text", "long_text"):
            values[answer.name] = f"{answer.name}: N/A, “quoted” and +leading plus"
        elif answer.kind == "table":
            values[answer.name] = [[f"=row {r} col {c} of {answer.name}" if c == 0 else f"r{r}c{c}"
                                    for c in range(len(answer.columns))] for r in range(answer.rows)]
    return values


def read_back(path) -> dict:
    wb = openpyxl.load_workbook(path)
    out = {}
    for name, (sheet, ref) in defined_names(wb).items():
        cells = list(cells_of(wb[sheet], ref))
        if ":" in ref:
            width = len({c.column for c in cells})
            out[name] = [[c.value for c in cells[i:i + width]] for i in range(0, len(cells), width)]
        else:
            out[name] = cells[0].value
    return out


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_filled_in_libreoffice_reads_back_the_same(tmp_path, blank_workbooks, instrument_id, request):
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    values = fill_values(instrument)
    filled = libreoffice.fill_by_name(blank_workbooks[instrument_id], values, tmp_path / "filled.xlsx")
    got = read_back(filled)
    for name, value in values.items():
        if isinstance(value, dict):
            value = dt.datetime.fromisoformat(value["date"])
        assert got[name] == value, name
    # LibreOffice keeps the stamp, the protection and the names a reader relies on
    wb = openpyxl.load_workbook(filled)
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    assert props["sheetflow_instrument"] == instrument.id
    assert got["sheetflow_response_id"] == props["sheetflow_response_id"]
    assert all(ws.protection.sheet for ws in wb.worksheets)


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_prints_in_libreoffice_with_every_question_on_the_page(tmp_path, blank_workbooks, instrument_id, request):
    """LibreOffice prints the workbook; each question's start is on a page, none cut off at the right edge."""
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    pdf = libreoffice.convert(blank_workbooks[instrument_id], "pdf", tmp_path)
    text = "".join(subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())  # words wrap inside cells: compare without spaces
    assert "".join(instrument.title.split()) in text
    if instrument.kind == "assessment":
        pieces = [c.title.split()[:5] for c in instrument.capabilities]
    else:
        pieces = [c.split()[:5] for e in instrument.elements for c in e.components]
    for words in pieces:
        assert "".join(words) in text, " ".join(words)
    assert libreoffice.pdf_to_png(pdf, tmp_path, first_page=1, last_page=1)
