"""Rosters: read and checked all at once; one pre-filled workbook per recipient, recorded in a manifest."""

import csv
import re
import shutil
from pathlib import Path

import openpyxl
import pytest

from sheetflow.cli import main
from sheetflow.errors import SheetflowError
from sheetflow.files import csv_cell, csv_text
from sheetflow.instruments.roster import (MANIFEST_COLUMNS, RosterError, file_name, generate_for_roster,
                              read_manifest, read_roster)

HERE = Path(__file__).parent
SAMPLE = HERE.parent / "samples" / "roster.csv"
HEADER = ["organization", "region", "respondent_name", "email", "role", "org_type", "action_plan_lead"]


def write_csv(path, rows, header=HEADER, bom=False):
    with open(path, "w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def named(path) -> dict:
    """Every single-cell defined name of a workbook with its value."""
    wb = openpyxl.load_workbook(path)
    out = {}
    for name, dn in wb.defined_names.items():
        (sheet, ref), = list(dn.destinations)
        if ":" not in ref:
            out[name] = wb[sheet][ref.replace("$", "")].value
    return out


def stamp(path) -> dict:
    return {p.name: p.value for p in openpyxl.load_workbook(path).custom_doc_props.props}


# -- reading --------------------------------------------------------------------------------------------

def test_the_sample_roster():
    people = read_roster(SAMPLE)
    assert len(people) == 22
    assert len({p.organization for p in people}) == 11  # the README says 12; the file has 11
    assert {p.region for p in people} == {"North Plains", "Red River Valley"}
    assert [p.respondent_name for p in people if p.action_plan_lead] == ["Ana Lopez", "Laura Bergstrom"]
    assert people[0].row == 2 and people[-1].row == 23
    assert people[0].role == "Executive Director" and people[0].org_type == "Workforce board"


def test_text_stays_text_with_a_bom_and_spaces(tmp_path):
    path = write_csv(tmp_path / "r.csv", [
        ["  Prairie WB ", "North", " Ana  ", "ana@x.org", "N/A", "None", "YES"],
        ["Prairie WB", "North", "Ben", "ben@x.org", "NULL", "", ""],
    ], bom=True)
    ana, ben = read_roster(path)
    assert (ana.organization, ana.respondent_name, ana.role, ana.org_type) == ("Prairie WB", "Ana", "N/A", "None")
    assert ana.action_plan_lead and not ben.action_plan_lead and ben.role == "NULL"


def test_a_semicolon_csv_from_excel_and_a_value_on_two_lines(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Organization;Region;Respondent Name;Email;Action plan lead\r\n"
                    "A, Inc;North;\"Ana\r\nLopez\";ana@x.org;Yes\r\n\r\nB;North;Ben;ben@x.org;\r\n", encoding="utf-8")
    ana, ben = read_roster(path)
    assert (ana.organization, ana.respondent_name, ana.action_plan_lead) == ("A, Inc", "Ana Lopez", True)
    assert ben.row == 4


def test_optional_columns_may_be_missing_but_each_region_needs_a_lead(tmp_path):
    path = write_csv(tmp_path / "r.csv", [["Org", "North", "Ana", "ana@x.org"]], header=HEADER[:4])
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    assert "row 2: region \"North\" has no action-plan lead" in str(caught.value)


def test_a_roster_without_action_plan_lead_serves_the_assessment_not_the_action_plan(tmp_path, capsys):
    roster = write_csv(tmp_path / "r.csv", [["Org", "North", "Ana", "ana@x.org"], ["Org", "North", "Ben", "ben@x.org"]],
                       header=HEADER[:4])
    sent = tmp_path / "sent"
    assert main(["generate", "assessment", "--roster", str(roster), "-o", str(sent)]) == 0
    assert len(list(sent.glob("*.xlsx"))) == 2
    assert main(["generate", "action-plan", "--roster", str(roster), "-o", str(sent)]) == 2
    assert "region \"North\" has no action-plan lead" in capsys.readouterr().err
    assert len(list(sent.glob("*.xlsx"))) == 2


def test_every_problem_of_a_csv_roster_at_once_with_its_row(tmp_path):
    rows = [
        ["Prairie WB", "North Plains", "Ana Lopez", "ana@x.org", "", "", "yes"],      # row 2
        ["Prairie WB", "North Plains", "", "ANA@X.org", "", "", "maybe"],             # row 3
        ["", "North Plains", "Ben", "ben@", "N/A", "", "yes"],                        # row 4
        [],                                                                           # row 5: blank
        ["Valley Org", "North plains", "Carl", "", "", "", ""],                       # row 6
        ["Valley Org", "Red River", "Dee", "dee@x.org", "", "", "no"],                # row 7: no lead there
        ["Valley Org", "", "Eve", "eve@x.org, eve@y.org", "", "", ""],                # row 8
    ]
    path = write_csv(tmp_path / "bad roster.csv", rows)
    with pytest.raises(RosterError) as caught:
        generate_for_roster("sector-action-plan", path, tmp_path / "out", "2026")
    message = str(caught.value)
    lines = message.splitlines()
    expected = [
        "row 2: the email ana@x.org is also on row 3",
        "row 3: the email ANA@X.org is also on row 2",
        "rows 2 and 4: region \"North Plains\" has 2 action-plan leads",
        "row 3: respondent_name is empty",
        "row 3: action_plan_lead \"maybe\" should be yes or no",
        "row 4: email \"ben@\" is not an email address",
        "row 4: organization is empty",
        "row 6: region \"North plains\" is written differently on row 2 (\"North Plains\")",
        "row 6: email is empty",
        "row 7: region \"Red River\" has no action-plan lead",
        "row 8: region is empty",
        "row 8: email \"eve@x.org, eve@y.org\" is not an email address",
    ]
    for phrase in expected:
        assert any(phrase in line for line in lines), phrase
    assert f"has {len(expected)} problems; nothing was generated" in lines[0]
    assert len(lines) == len(expected) + 1
    assert not (tmp_path / "out").exists()


def test_every_problem_of_an_xlsx_roster_at_once(tmp_path):
    header = ["Organization", "Region", "Respondent Name", "role", "action_plan_lead"]  # no email column
    rows = [["Org A", "North", "Ana", "Lead", True],
            ["Org A", "North", "Ben", None, "Yes"],
            [None, "South", "Cy", 12, "no"]]
    path = write_xlsx(tmp_path / "roster.xlsx", rows, header)
    with pytest.raises(RosterError) as caught:
        read_roster(path)
    lines = str(caught.value).splitlines()[1:]
    assert lines[0].strip().startswith("row 1 (the header): there is no \"email\" column")
    assert any("rows 2 and 3: region \"North\" has 2 action-plan leads" in line for line in lines)
    assert any("row 4: organization is empty" in line for line in lines)
    assert any("row 4: region \"South\" has no action-plan lead" in line for line in lines)
    assert len(lines) == 4


def test_an_xlsx_roster_reads_like_the_csv(tmp_path):
    with open(SAMPLE, encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    path = write_xlsx(tmp_path / "roster.xlsx", rows, header)
    assert [p.__dict__ for p in read_roster(path)] == [p.__dict__ for p in read_roster(SAMPLE)]


def test_a_roster_that_cannot_be_read_says_why(tmp_path):
    latin = tmp_path / "latin.csv"
    latin.write_bytes("organization,region,respondent_name,email\nCaf\xe9,N,A,a@x.org\n".encode("latin-1"))
    with pytest.raises(RosterError, match="UTF-8"):
        read_roster(latin)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(RosterError, match="cannot be opened"):
        read_roster(broken)
    with pytest.raises(RosterError, match="no such roster"):
        read_roster(tmp_path / "missing.csv")
    (tmp_path / "empty.csv").write_text(",".join(HEADER) + "\n")
    with pytest.raises(RosterError, match="nobody on it"):
        read_roster(tmp_path / "empty.csv")


# -- generating -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sent(tmp_path_factory):
    """Both instruments generated for the sample roster into one folder."""
    folder = tmp_path_factory.mktemp("sent")
    assessment = generate_for_roster("assessment", SAMPLE, folder, "2026")
    plans = generate_for_roster("action-plan", SAMPLE, folder, "2026")
    return folder, assessment, plans


def test_one_prefilled_workbook_per_person_and_one_plan_per_region(sent):
    folder, assessment, plans = sent
    assert len(assessment) == 22 and len(plans) == 2
    assert all(r.outcome == "written" for r in assessment + plans)
    files = sorted(p.name for p in folder.glob("*.xlsx"))
    assert len(files) == 24
    assert "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx" in files
    assert "North Plains - Action Plan.xlsx" in files and "Red River Valley - Action Plan.xlsx" in files
    ana = named(folder / "North Plains - Prairie Workforce Board - Ana Lopez - Self-Assessment.xlsx")
    assert (ana["organization"], ana["region"], ana["respondent_name"], ana["respondent_role"],
            ana["respondent_email"]) == ("Prairie Workforce Board", "North Plains", "Ana Lopez",
                                         "Executive Director", "ana.lopez@prairiewb.example.org")
    assert ana["rating_01"] is None and ana["completed_on"] is None
    plan = named(folder / "Red River Valley - Action Plan.xlsx")
    assert (plan["region"], plan["lead_organization"], plan["contact_name"], plan["contact_email"]) == (
        "Red River Valley", "Red River Workforce Partnership", "Laura Bergstrom", "lbergstrom@redriverwp.example.org")
    assert plan["partners"] is None


def test_the_manifest_records_every_workbook_with_its_own_id(sent):
    folder, assessment, plans = sent
    rows = read_manifest(folder / "manifest.csv")
    assert rows == assessment + plans
    with open(folder / "manifest.csv", encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle)) == list(MANIFEST_COLUMNS)
    assert len({r.response_id for r in rows}) == 24
    for row in rows:
        assert stamp(folder / row.file)["sheetflow_response_id"] == row.response_id
        assert stamp(folder / row.file)["sheetflow_cycle"] == row.cycle == "2026"
        assert row.generated_at.endswith("Z") and row.generated_at[:2] == "20"
    kim = next(r for r in rows if r.respondent_name == "Kim Soo-jin")
    assert (kim.instrument, kim.region, kim.organization, kim.email) == (
        "sector-self-assessment", "North Plains", "Northern Lights Adult Education", "ksoojin@nladulted.example.org")
    plan = next(r for r in rows if r.instrument == "sector-action-plan" and r.region == "North Plains")
    assert (plan.organization, plan.respondent_name, plan.file) == (
        "Prairie Workforce Board", "Ana Lopez", "North Plains - Action Plan.xlsx")


def test_a_rerun_keeps_every_id_and_adds_only_the_new_person(tmp_path, sent):
    folder = tmp_path / "sent"
    shutil.copytree(sent[0], folder)
    before = read_manifest(folder / "manifest.csv")
    times = {p.name: p.stat().st_mtime_ns for p in folder.glob("*.xlsx")}
    again = generate_for_roster("assessment", SAMPLE, folder, "2026")
    assert all(r.outcome == "kept" for r in again)
    assert read_manifest(folder / "manifest.csv") == before
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.xlsx")} == times

    roster = tmp_path / "roster.csv"
    roster.write_text(SAMPLE.read_text(encoding="utf-8")
                      + "Prairie Workforce Board,North Plains,Wen Li,wli@prairiewb.example.org,Analyst,,no\n",
                      encoding="utf-8")
    rows = generate_for_roster("assessment", roster, folder, "2026")
    assert [r.respondent_name for r in rows if r.outcome == "written"] == ["Wen Li"]
    after = read_manifest(folder / "manifest.csv")
    assert after[:len(before)] == before and len(after) == len(before) + 1
    assert (folder / "North Plains - Prairie Workforce Board - Wen Li - Self-Assessment.xlsx").exists()
    assert {p.name: p.stat().st_mtime_ns for p in folder.glob("*.xlsx") if p.name in times} == times
    assert all(r.outcome == "kept" for r in generate_for_roster("action-plan", roster, folder, "2026"))

    next_cycle = generate_for_roster("action-plan", roster, folder, "2027")
    assert {r.file for r in next_cycle} == {"North Plains - Action Plan (2027).xlsx",
                                           "Red River Valley - Action Plan (2027).xlsx"}
    assert not {r.response_id for r in next_cycle} & {r.response_id for r in before}


def test_force_writes_the_workbooks_again_with_the_same_ids(tmp_path, sent):
    folder = tmp_path / "sent"
    shutil.copytree(sent[0], folder)
    before = {r.file: r.response_id for r in read_manifest(folder / "manifest.csv")}
    (folder / "North Plains - Action Plan.xlsx").write_bytes(b"scribbled on")
    rows = generate_for_roster("action-plan", SAMPLE, folder, "2026", force=True)
    assert [r.outcome for r in rows] == ["replaced", "replaced"]
    assert {r.file: r.response_id for r in read_manifest(folder / "manifest.csv")} == before
    assert stamp(folder / "North Plains - Action Plan.xlsx")["sheetflow_response_id"] == \
        before["North Plains - Action Plan.xlsx"]


def test_a_workbook_not_in_the_manifest_is_never_overwritten_without_force(tmp_path, capsys):
    folder = tmp_path / "out"
    folder.mkdir()
    mine = folder / "Red River Valley - Action Plan.xlsx"
    mine.write_bytes(b"my own notes")
    assert main(["generate", "action-plan", "--roster", str(SAMPLE), "-o", str(folder)]) == 2
    err = capsys.readouterr().err
    assert "Red River Valley - Action Plan.xlsx already exists" in err and "--force" in err
    assert mine.read_bytes() == b"my own notes" and not (folder / "manifest.csv").exists()
    assert list(folder.iterdir()) == [mine]
    assert main(["generate", "action-plan", "--roster", str(SAMPLE), "-o", str(folder), "--force"]) == 0
    assert stamp(mine)["sheetflow_instrument"] == "sector-action-plan"


def test_a_folder_with_someone_elses_manifest_is_refused(tmp_path):
    (tmp_path / "manifest.csv").write_text("name,amount\nx,1\n")
    with pytest.raises(SheetflowError, match="not a sheetflow manifest"):
        generate_for_roster("assessment", SAMPLE, tmp_path, "2026")
    assert (tmp_path / "manifest.csv").read_text() == "name,amount\nx,1\n"


@pytest.mark.parametrize("address", ["ana:x@example.org", "ana@ex..org", "Ana <ana@example.org>", "ana@example"])
def test_an_address_mail_could_not_use_is_refused(tmp_path, address):
    roster = write_csv(tmp_path / "roster.csv", [["Org", "North", "Ana", address, "", "", "yes"]])
    with pytest.raises(RosterError, match=f'row 2: email "{re.escape(address)}" is not an email address'):
        read_roster(roster)


def test_the_cli_counts_what_it_wrote(tmp_path, capsys):
    out = tmp_path / "out"
    args = ["generate", "assessment", "--roster", str(SAMPLE), "-o", str(out), "--cycle", "2027"]
    assert main(args) == 0
    assert "Wrote 22 workbooks" in capsys.readouterr().out
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "Wrote 0 workbooks" in text and "22 already there" in text
    assert main([*args, "--response-id", "x"]) == 2
    bad = write_csv(tmp_path / "bad.csv", [["Org", "North", "Ana", "not-an-email", "", "", "yes"]])
    assert main(["generate", "assessment", "--roster", str(bad), "-o", str(tmp_path / "other")]) == 2
    err = capsys.readouterr().err
    assert "row 2: email \"not-an-email\" is not an email address" in err and "Traceback" not in err
    assert not (tmp_path / "other").exists()


# -- names and the manifest's cells ------------------------------------------------------------------

def test_file_names_are_safe_on_windows_and_macos():
    assert file_name(["North: Plains", 'A/B "Works" <HQ>', "Ana | Lopez?*"], "Self-Assessment") == \
        "North Plains - A B Works HQ - Ana Lopez - Self-Assessment.xlsx"
    assert file_name(["Region.", "Org\t\x01name...", " "], "Action Plan") == \
        "Region - Org name - Action Plan.xlsx"
    assert file_name(["CON"], "") == "CON - Workbook.xlsx"  # only the bare name is reserved
    assert file_name([], "COM1 ") == "_COM1.xlsx"
    assert file_name([], "nul") == "_nul.xlsx"
    long = file_name(["R" * 100, "O" * 100, "N" * 100], "Self-Assessment")
    assert len(long) <= 150 and long.endswith(" - Self-Assessment.xlsx")


def test_unsafe_and_clashing_names_on_a_roster(tmp_path):
    rows = [["CON", "North/South", "Ana", "a@x.org", "", "", "yes"],
            ["Acme: Inc.", "North/South", 'Bo "B" ', "b@x.org", "", "", ""],
            ["Acme: Inc.", "North/South", "Bo B", "b2@x.org", "", "", ""],
            ["acme inc", "North/South", "BO B", "b3@x.org", "", "", ""]]
    roster = write_csv(tmp_path / "roster.csv", rows)
    out = tmp_path / "out"
    result = generate_for_roster("assessment", roster, out, "2026")
    names = [r.file for r in result]
    assert names == ["North South - CON - Ana - Self-Assessment.xlsx",
                     "North South - Acme Inc - Bo B - Self-Assessment.xlsx",
                     "North South - Acme Inc - Bo B - Self-Assessment (2).xlsx",
                     "North South - acme inc - BO B - Self-Assessment (3).xlsx"]
    assert sorted(p.name for p in out.glob("*.xlsx")) == sorted(names)
    assert named(out / names[1])["respondent_name"] == 'Bo "B"'


def test_manifest_cells_cannot_run_as_formulas_and_read_back_unchanged(tmp_path):
    rows = [["=HYPERLINK(\"http://x\")", "+North", "-Ana", "a@x.org", "@role", "", "yes"],
            ["'=quoted", "+North", "'plain", "b@x.org", "", "", ""]]
    roster = write_csv(tmp_path / "roster.csv", rows)
    out = tmp_path / "out"
    result = generate_for_roster("assessment", roster, out, "2026")
    with open(out / "manifest.csv", encoding="utf-8-sig") as handle:
        raw = list(csv.reader(handle))[1:]
    assert raw[0][3:6] == ["'+North", "'=HYPERLINK(\"http://x\")", "'-Ana"]
    assert raw[1][4:6] == ["''=quoted", "'plain"]
    assert read_manifest(out / "manifest.csv") == result
    assert named(out / result[0].file)["organization"] == "=HYPERLINK(\"http://x\")"
    for text in ("=1", "'=1", "''+1", "'x", "-", "", "plain", "\tTab"):
        assert csv_text(csv_cell(text)) == text


def test_a_file_that_is_not_a_roster_stops_at_its_header_with_one_message(tmp_path, capsys):
    """README.md given as --roster: one line naming what its header has, not a problem for each of its lines."""
    readme = Path(__file__).parent.parent / "README.md"
    with pytest.raises(RosterError) as caught:
        read_roster(readme)
    message = str(caught.value)
    assert len(message.splitlines()) == 1 and "is not a roster's header" in message and "Is this the right file" in message
    assert main(["generate", "assessment", "--roster", str(readme), "-o", str(tmp_path / "out")]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
