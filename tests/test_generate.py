"""The generated workbooks, read back with openpyxl: the published contract."""

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pytest
from openpyxl.utils.cell import range_boundaries

from sheetflow.errors import SheetflowError
from sheetflow.instruments.workbook import Request, generate

HERE = Path(__file__).parent
GOLDEN = HERE / "golden"


def defined_names(wb) -> dict:
    """name -> (sheet title, 'A1' or 'A1:F8') for every workbook-level defined name."""
    out = {}
    for name, dn in wb.defined_names.items():
        (sheet, ref), = list(dn.destinations)
        out[name] = (sheet, ref.replace("$", ""))
    return out


def cells_of(ws, ref):
    min_col, min_row, max_col, max_row = range_boundaries(ref)
    for row in ws.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col):
        yield from row


def merged_with(ws, coordinate):
    for rng in ws.merged_cells.ranges:
        if coordinate in rng:
            return {c for r in rng.rows for c in [ws.cell(*pos).coordinate for pos in r]}
    return {coordinate}


@pytest.mark.parametrize("instrument_id, golden_file", [
    ("sector-self-assessment", "sector-self-assessment.names.json"),
    ("sector-action-plan", "sector-action-plan-1.1.names.json"),
])
def test_contract_matches_golden(blank_workbooks, instrument_id, golden_file):
    """Every answer's defined name points where the README says it does."""
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    names = {k: f"{s}!{r}" for k, (s, r) in defined_names(wb).items()}
    golden = json.loads((GOLDEN / golden_file).read_text(encoding="utf-8"))
    assert names == golden


def test_a_version_1_0_plan_keeps_its_contract_and_1_1_only_adds_the_follow_up():
    """Version 1.1 moves no answer of 1.0: it adds e{k}_previous and e{k}_progress below the action table."""
    old = json.loads((GOLDEN / "sector-action-plan.names.json").read_text(encoding="utf-8"))
    issued = openpyxl.load_workbook(HERE / "fixtures" / "versions" / "North Plains - Action Plan 1.0.xlsx")
    assert {k: f"{s}!{r}" for k, (s, r) in defined_names(issued).items()} == old
    new = json.loads((GOLDEN / "sector-action-plan-1.1.names.json").read_text(encoding="utf-8"))
    added = {k: v for k, v in new.items() if k not in old}
    assert {k: v for k, v in new.items() if k in old} == old
    assert sorted(added) == sorted(f"e{k}_{what}" for k in range(1, 7) for what in ("previous", "progress"))
    for k in range(1, 7):  # eight rows each, below the action table: a space, the heading, two notes, column titles
        _, actions = old[f"e{k}_actions"].split("!")
        _, previous = added[f"e{k}_previous"].split("!")
        _, progress = added[f"e{k}_progress"].split("!")
        a, p, q = range_boundaries(actions), range_boundaries(previous), range_boundaries(progress)
        assert (p[0], p[2], p[3] - p[1]) == (1, 4, 7) and (q[0], q[2], q[1], q[3]) == (5, 6, p[1], p[3])
        assert p[1] == a[3] + 6


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_only_answer_cells_are_unlocked_and_every_sheet_is_protected(blank_workbooks, instrument_id, request):
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    names = defined_names(wb)
    assert {a.name for a in instrument.answers} <= set(names)
    answer_cells = set()
    for name, (sheet, ref) in names.items():
        ws = wb[sheet]
        for cell in cells_of(ws, ref):
            if name.startswith("sheetflow_") or name.endswith(("_previous", "_progress")):
                # the stamp, and (without a previous plan) the follow-up block, are locked
                assert cell.protection.locked, f"{name} ({sheet}!{cell.coordinate}) must be locked"
                continue
            assert not cell.protection.locked, f"{name} ({sheet}!{cell.coordinate}) is locked"
            answer_cells |= {(sheet, c) for c in merged_with(ws, cell.coordinate)}
    for ws in wb.worksheets:
        assert ws.protection.sheet, f"sheet {ws.title} is not protected"
        for row in ws.iter_rows():
            for cell in row:
                if not cell.protection.locked:
                    assert (ws.title, cell.coordinate) in answer_cells, f"{ws.title}!{cell.coordinate} is unlocked"


def validations(ws):
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            for row in ws.iter_rows(min_row=rng.min_row, max_row=rng.max_row, min_col=rng.min_col,
                                    max_col=rng.max_col):
                for cell in row:
                    out[cell.coordinate] = dv
    return out


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_choices_are_dropdowns_with_stop_alerts(blank_workbooks, instrument_id, request):
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    names = defined_names(wb)
    choice_answers = [a for a in instrument.answers if a.kind in ("rating", "yes_no", "status")]
    assert choice_answers
    for answer in choice_answers:
        sheet, ref = names[answer.name]
        dv = validations(wb[sheet]).get(ref)
        assert dv is not None, f"{answer.name} has no dropdown"
        assert dv.type == "list" and dv.showDropDown in (None, False)
        assert dv.errorStyle in (None, "stop") and dv.showErrorMessage
        assert dv.formula1.strip('"').split(",") == [str(c) for c in answer.choices]
        if answer.kind == "rating":
            assert "1 = Not at all" in dv.prompt and "5 = Not only in place" in dv.prompt


def all_text(wb) -> str:
    return "\n".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row
                     if isinstance(c.value, str))


def test_every_capability_and_characteristic_is_in_the_assessment(blank_workbooks, assessment):
    text = all_text(openpyxl.load_workbook(blank_workbooks["sector-self-assessment"]))
    assert len(assessment.capabilities) == 20
    for cap in assessment.capabilities:
        assert cap.title in text
        for item in cap.characteristics:
            for line in item if isinstance(item, tuple) else (item,):
                assert line in text, line
    for area in assessment.areas:
        assert area.question in text
    for level in assessment.data["scale"]["levels"]:
        assert level["label"] in text
    for q in assessment.data["before"] + assessment.data["after"]:
        assert q["question"] in text
    assert "Describe rating briefly:" in text


def test_every_element_component_and_prompt_is_in_the_action_plan(blank_workbooks, action_plan):
    text = all_text(openpyxl.load_workbook(blank_workbooks["sector-action-plan"]))
    for element in action_plan.elements:
        for piece in (element.heading, element.definition, element.components_intro, element.prompts,
                      element.table_intro, *element.components):
            assert action_plan.shown(piece) in text, piece
    for column in action_plan.action_columns:
        assert column.label in text


@pytest.mark.parametrize("instrument_id", ["sector-self-assessment", "sector-action-plan"])
def test_stamp_is_in_properties_and_on_hidden_sheet(blank_workbooks, instrument_id, request):
    instrument = request.getfixturevalue("assessment" if "assessment" in instrument_id else "action_plan")
    wb = openpyxl.load_workbook(blank_workbooks[instrument_id])
    props = {p.name: p.value for p in wb.custom_doc_props.props}
    expected = {"sheetflow_instrument": instrument.id, "sheetflow_version": instrument.version,
                "sheetflow_response_id": "00000000-0000-4000-8000-000000000001", "sheetflow_cycle": "2026"}
    assert props == expected
    names = defined_names(wb)
    for key, value in expected.items():
        sheet, ref = names[key]
        assert wb[sheet].sheet_state in ("hidden", "veryHidden")
        assert wb[sheet][ref].value == value


def test_same_inputs_give_the_same_bytes(tmp_path, assessment):
    paths = []
    for name in ("one.xlsx", "two.xlsx"):
        paths.append(generate(Request(assessment, response_id="abc", cycle="2026"), tmp_path / name))
    other = generate(Request(assessment, response_id="abd", cycle="2026"), tmp_path / "three.xlsx")
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert paths[0].read_bytes() != other.read_bytes()


def test_refuses_to_overwrite_without_force(tmp_path, assessment):
    path = tmp_path / "out.xlsx"
    path.write_bytes(b"keep me")
    with pytest.raises(SheetflowError, match="already exists"):
        generate(Request(assessment), path)
    assert path.read_bytes() == b"keep me"
    generate(Request(assessment), path, force=True)
    assert path.read_bytes().startswith(b"PK")
    assert [p.name for p in tmp_path.iterdir()] == ["out.xlsx"], "no temporary file left behind"


def test_identity_block_can_be_filled_ahead(tmp_path, assessment):
    prefill = {"organization": "=Prairie Workforce Board", "respondent_name": "Ana López",
               "completed_on": dt.date(2026, 3, 4)}
    path = generate(Request(assessment, prefill=prefill), tmp_path / "ana.xlsx")
    wb = openpyxl.load_workbook(path)
    names = defined_names(wb)
    for name, value in prefill.items():
        sheet, ref = names[name]
        cell = wb[sheet][ref]
        got = cell.value.date() if isinstance(cell.value, dt.datetime) else cell.value
        assert got == value
        assert cell.data_type in ("s", "d", "n"), "typed text stays text, never a formula"
