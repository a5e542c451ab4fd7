"""Personalised copies: byte for byte the workbook generate() writes, or generate() itself when they cannot be."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.instruments.copies import Copier
from sheetflow.errors import SheetflowError
from sheetflow.instruments.workbook import Request, generate
from sheetflow.intake.record import read_return


def both(tmp_path: Path, copier: Copier, request: Request, name: str) -> tuple[bytes, bytes]:
    generate(request, tmp_path / f"{name} plain.xlsx", force=True)
    copier.generate(request, tmp_path / f"{name} copy.xlsx", force=True)
    return (tmp_path / f"{name} plain.xlsx").read_bytes(), (tmp_path / f"{name} copy.xlsx").read_bytes()


@pytest.mark.parametrize("prefill", [
    {"organization": "Prairie Workforce Board", "region": "North Plains", "respondent_name": "Ana Lopez",
     "respondent_role": "Executive Director", "respondent_email": "ana.lopez@example.org"},
    {"organization": "Smith & Sons <Tooling>", "region": "Red River", "respondent_name": "  Ana  "},
    {"organization": "Åsa Nyström AB", "region": "Région Nord", "respondent_name": "李 小龍", "respondent_role": ""},
    {"organization": "Org_x0041_", "region": "North\tPlains", "respondent_name": "=SUM(A1)"},
])
def test_a_copy_is_the_generated_workbook(tmp_path, assessment, prefill):
    copier = Copier()
    plain, copy = both(tmp_path, copier, Request(assessment, response_id="r-1", cycle="2026", prefill=prefill), "a")
    assert copy == plain
    assert copier.copied == 1 and copier.generated == 0


def test_values_xlsxwriter_would_merge_are_generated_the_plain_way(tmp_path, assessment, action_plan):
    copier = Copier()
    same = {"organization": "North Plains", "region": "North Plains", "respondent_name": "Ana"}
    plain, copy = both(tmp_path, copier, Request(assessment, response_id="r-2", cycle="2026", prefill=same), "same")
    assert copy == plain and copier.generated == 1
    control = {"region": "North\x01Plains", "lead_organization": "Prairie"}
    plain, copy = both(tmp_path, copier, Request(action_plan, response_id="r-3", cycle="2026", prefill=control), "c")
    assert copy == plain and copier.generated == 2


def test_copies_read_back_as_their_own_respondent(tmp_path, assessment):
    copier = Copier()
    for n in range(3):
        prefill = {"organization": f"Org {n}", "region": "North", "respondent_name": f"Person {n}"}
        copier.generate(Request(assessment, response_id=f"id-{n}", cycle="2027", prefill=prefill),
                        tmp_path / f"{n}.xlsx")
    records = [read_return(str(tmp_path / f"{n}.xlsx")) for n in range(3)]
    assert [(r.response_id, r.cycle, r.value("respondent_name"), r.rejected) for r in records] == [
        (f"id-{n}", "2027", f"Person {n}", None) for n in range(3)]
    assert len(copier.templates) == 1


def test_copier_refuses_what_generate_refuses(tmp_path, assessment):
    copier = Copier()
    target = tmp_path / "x.xlsx"
    copier.generate(Request(assessment, response_id="a", cycle="2026"), target)
    with pytest.raises(SheetflowError, match="already exists"):
        copier.generate(Request(assessment, response_id="b", cycle="2026"), target)
    with pytest.raises(SheetflowError, match="identity answers"):
        copier.generate(Request(assessment, response_id="c", cycle="2026", prefill={"rating_01": 3}),
                        tmp_path / "y.xlsx", force=True)
    assert not (tmp_path / "y.xlsx").exists()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(min_size=1, max_size=30), min_size=3, max_size=3),
       response_id=st.text(st.characters(min_codepoint=33, max_codepoint=0x2FFF), min_size=1, max_size=40))
def test_any_details_give_the_same_bytes_either_way(tmp_path, action_plan, names, response_id):
    copier = Copier()
    prefill = dict(zip(("region", "lead_organization", "contact_name"), names))
    plain, copy = both(tmp_path, copier, Request(action_plan, response_id=response_id, cycle="2026",
                                                 prefill=prefill), "h")
    assert copy == plain
