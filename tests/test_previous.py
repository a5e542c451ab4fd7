"""rollup --previous: earlier cycles brought in from a roll-up sheetflow made, anything else refused with its reason."""

import shutil
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from excel_tables import excel_tables
from sheetflow.cli import main
from sheetflow.errors import SheetflowError
from sheetflow.intake.validate import validate_paths
from sheetflow.rollup import previous
from sheetflow.rollup.tables import build
from sheetflow.rollup.workbook import write

SAMPLES = Path(__file__).parent.parent / "samples"
EARLIER, LATER = SAMPLES / "returns-2025", SAMPLES / "returns"


def table_rows(path, name):
    return excel_tables(Path(path))[name]


@pytest.fixture(scope="module")
def rollups(tmp_path_factory):
    folder = tmp_path_factory.mktemp("previous")
    paths = {name: folder / f"{name}.xlsx" for name in ("2025", "both", "with-previous", "2026", "2025-after")}
    assert main(["rollup", str(EARLIER), "-o", str(paths["2025"])]) == 0
    assert main(["rollup", str(EARLIER), str(LATER), "-o", str(paths["both"])]) == 0
    assert main(["rollup", str(LATER), "--previous", str(paths["2025"]), "-o", str(paths["with-previous"])]) == 0
    assert main(["rollup", str(LATER), "-o", str(paths["2026"])]) == 0
    # a later run of one more 2026 return: the 2026 roll-up's plans (and their follow-up) come along
    one = folder / "one"
    one.mkdir()
    shutil.copy2(next(LATER.glob("*Ana Lopez*.xlsx")), one)
    assert main(["rollup", str(one), "--previous", str(paths["2026"]), "-o", str(paths["2025-after"])]) == 0
    return paths


def key(row):
    return tuple((k, v) for k, v in row.items())


def test_previous_gives_the_same_trend_as_rolling_up_both_cycles(rollups):
    assert table_rows(rollups["with-previous"], "Trend") == table_rows(rollups["both"], "Trend")
    for name in ("Responses", "Context", "Components", "Actions", "Progress"):
        assert sorted(map(key, table_rows(rollups["with-previous"], name))) == \
            sorted(map(key, table_rows(rollups["both"], name))), name
    assert {r["cycle"] for r in table_rows(rollups["with-previous"], "Responses")} == {"2025", "2026"}


def test_the_about_sheet_says_where_the_earlier_cycles_came_from(rollups):
    about = openpyxl.load_workbook(rollups["with-previous"], read_only=True)["About"]
    facts = {row[0]: row[1] for row in about.iter_rows(min_row=1, max_row=12, max_col=2, values_only=True)}
    assert facts["Earlier cycles"].startswith("From the roll-up 2025.xlsx (")
    assert "cycles 2025" in facts["Earlier cycles"]
    assert facts["Cycles"].startswith("The tables hold cycles 2025, 2026; the summaries show 2026")


def test_a_new_return_replaces_the_previous_rollups_rows_of_the_same_response(rollups, tmp_path):
    out = tmp_path / "again.xlsx"
    # the previous roll-up already holds 2025 and 2026; rolling up 2026 again keeps one copy of each response
    assert main(["rollup", str(LATER), "--previous", str(rollups["both"]), "-o", str(out)]) == 0
    again = table_rows(out, "Responses")
    assert sorted(map(key, again)) == sorted(map(key, table_rows(rollups["both"], "Responses")))


def test_the_previous_rollup_is_read_not_changed(rollups, tmp_path):
    copy = tmp_path / "2025.xlsx"
    shutil.copy(rollups["2025"], copy)
    before = copy.read_bytes()
    assert main(["rollup", str(LATER), "--previous", str(copy), "-o", str(tmp_path / "out.xlsx")]) == 0
    assert copy.read_bytes() == before


def refused(tmp_path, capsys, workbook) -> str:
    out = tmp_path / "refused.xlsx"
    assert main(["rollup", str(LATER), "--previous", str(workbook), "-o", str(out)]) == 2
    assert not out.exists()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err
    return err


def test_a_workbook_sheetflow_did_not_make_is_refused(tmp_path, capsys):
    foreign = tmp_path / "budget.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["response_id", "cycle", "rating"])
    wb.save(foreign)
    assert "not a roll-up made by sheetflow" in refused(tmp_path, capsys, foreign)
    about = tmp_path / "about.xlsx"
    wb.create_sheet("About")["A1"] = "About this roll-up"
    wb.save(about)
    assert "not a roll-up made by sheetflow" in refused(tmp_path, capsys, about)


def test_a_returned_workbook_or_a_csv_is_refused(tmp_path, capsys):
    a_return = next(LATER.glob("*Ana Lopez*.xlsx"))
    assert "not a roll-up made by sheetflow" in refused(tmp_path, capsys, a_return)
    assert "CSV" in refused(tmp_path, capsys, SAMPLES / "roster.csv")
    assert refused(tmp_path, capsys, tmp_path / "missing.xlsx").startswith("sheetflow: --previous missing.xlsx: ")


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A roll-up of one self-assessment and one action plan, small enough for openpyxl to edit in a moment."""
    files = [EARLIER / "North Plains - Action Plan.xlsx", next(EARLIER.glob("*Ana Lopez*.xlsx"))]
    path = tmp_path_factory.mktemp("small") / "2025.xlsx"
    return write(build(validate_paths(files)), path)


def edited(rollup: Path, tmp_path, change) -> Path:
    """``rollup`` opened, changed and saved again by openpyxl, as a user's spreadsheet program would."""
    wb = openpyxl.load_workbook(rollup)
    change(wb)
    path = tmp_path / "edited.xlsx"
    wb.save(path)
    return path


def reason(path: Path) -> str:
    """Why ``previous.read`` refuses the file (what `rollup --previous` prints, after the option and file)."""
    with pytest.raises(SheetflowError) as refusal:
        previous.read(path)
    return str(refusal.value)


def test_a_rollup_whose_tables_were_edited_out_of_shape_is_refused(small, tmp_path):
    def renamed(wb):
        wb["Responses"]["J1"] = "score"

    assert "the Responses table's columns are not those sheetflow writes" in reason(edited(small, tmp_path, renamed))

    def typed_over(wb):
        wb["Responses"]["I3"] = "four"

    assert "Responses!I3 holds 'four', where sheetflow writes a whole number (rating)" in \
        reason(edited(small, tmp_path, typed_over))

    def cycle_cleared(wb):
        wb["Components"]["B2"] = None

    assert "Components!B2 is blank; every row of a sheetflow roll-up has its cycle" in \
        reason(edited(small, tmp_path, cycle_cleared))

    def table_removed(wb):
        del wb["Actions"].tables["Actions"]

    assert "its Actions table is missing" in reason(edited(small, tmp_path, table_removed))


def test_a_rollup_saved_again_by_openpyxl_still_reads(small, tmp_path):
    path = edited(small, tmp_path, lambda wb: None)
    assert previous.read(path).rows["Responses"] == previous.read(small).rows["Responses"]
    assert {row["cycle"] for row in previous.read(path).rows["Components"]} == {"2025"}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=2000))
def test_any_bytes_get_a_reason_never_a_traceback(tmp_path, data):
    path = tmp_path / "previous.xlsx"
    path.write_bytes(b"PK\x03\x04" + data)
    with pytest.raises(SheetflowError):
        previous.read(path)


def one_return(tmp_path, assessment, organization, comment, cycle="2025"):
    """A valid return built directly as a record (its text as a partner might type it)."""
    from sheetflow.intake.record import Answer, Return
    from sheetflow.intake.report import FileReport, Report

    answers = {}
    for a in assessment.answers:
        value = {"rating": 4, "yes_no": "Yes", "date": None}.get(a.kind, comment)
        answers[a.name] = Answer(a.name, "About you!B4", value)
    answers["organization"].value = organization
    record = Return(path=str(tmp_path / "x.xlsx"), instrument=assessment.id, version=assessment.version,
                    response_id="r1", cycle=cycle, answers=answers)
    return Report(files=[FileReport(path=record.path, status="valid", instrument=assessment.id,
                                    response_id="r1", organization=organization, respondent=comment,
                                    record=record)])


TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn")), min_size=1, max_size=40).filter(str.strip)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(organization=TEXT, comment=TEXT)
def test_what_partners_typed_comes_back_unchanged_from_a_previous_rollup(tmp_path, assessment, organization,
                                                                           comment):
    from sheetflow.rollup.tables import build
    from sheetflow.rollup.workbook import write

    made = build(one_return(tmp_path, assessment, organization, comment))
    path = write(made, tmp_path / "earlier.xlsx", force=True, pivots=False)
    rows = previous.read(path).rows
    expected = made.tables["Responses"].astype(object).where(made.tables["Responses"].notna(), None)
    assert rows["Responses"] == expected.to_dict("records")
    assert {r["comment"] for r in rows["Responses"]} == {comment}
    assert {r["organization"] for r in rows["Context"]} == {organization}


def test_the_follow_up_of_an_earlier_roll_up_comes_along(rollups):
    """The 2026 plans' Progress rows reach a later roll-up that takes the 2026 roll-up as --previous."""
    carried = table_rows(rollups["2025-after"], "Progress")
    assert carried and sorted(map(key, carried)) == sorted(map(key, table_rows(rollups["2026"], "Progress")))


def test_an_earlier_rollup_is_checked_as_a_return_is(small, tmp_path, capsys):
    """Values sheetflow never writes are refused with the sheet and cell, as a return's would be (the small
    roll-up has every table these rules look at, and openpyxl edits it in a moment)."""
    def rating(value):
        return lambda wb: wb["Responses"].__setitem__("I3", value)

    for value in (-40, 7):
        assert f"Responses!I3 holds {value}, which is not a rating on the scale (1 to 5)" in \
            refused(tmp_path, capsys, edited(small, tmp_path, rating(value)))
    assert "Responses!H4 holds 99, which is not a capability's number (1 to 20)" in \
        refused(tmp_path, capsys, edited(small, tmp_path, lambda wb: wb["Responses"].__setitem__("H4", 99)))
    assert "Components!E2 holds 9, which is not a key element's number (1 to 6)" in \
        refused(tmp_path, capsys, edited(small, tmp_path, lambda wb: wb["Components"].__setitem__("E2", 9)))

    def duplicated(wb):
        ws = wb["Responses"]
        for column in range(1, 13):
            ws.cell(5, column).value = ws.cell(4, column).value

    assert "row 5 of the Responses table (Responses!A5) repeats row 4" in \
        refused(tmp_path, capsys, edited(small, tmp_path, duplicated))

    def unbounded(wb):
        wb["Responses"].tables["Responses"].ref = "A:L"

    err = refused(tmp_path, capsys, edited(small, tmp_path, unbounded))
    assert "the Responses table on sheet Responses has the range 'A:L', not a block of cells" in err
    assert "internal error" not in err


def test_an_earlier_rollup_of_a_later_cycle_is_refused(rollups, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    assert main(["rollup", str(EARLIER), "--previous", str(rollups["2026"]), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--previous 2026.xlsx: Responses!B2 holds cycle 2026, later than the cycle in view (2025)" in err
    assert not out.exists()


def test_previous_given_twice_is_refused_never_one_dropped(rollups, tmp_path, capsys):
    out = tmp_path / "out.xlsx"
    assert main(["rollup", str(LATER), "--previous", str(rollups["2025"]), "--previous", str(rollups["both"]),
                 "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "--previous is given once (here 2 times: 2025.xlsx, both.xlsx)" in err and not out.exists()


def test_a_rollup_whose_columns_are_in_another_order_comes_in_by_their_names(rollups, tmp_path):
    """Responses' capability moved after the comment (so that the printed pages can leave it out): a roll-up
    made before, with capability between item and rating, still comes in, each value under its own name."""
    def old_order(wb):
        ws = wb["Responses"]
        header = [c.value for c in ws[1]]
        names = ["capability", "rating", "comment"]  # as they were, from the column of the old capability
        first = header.index("rating") + 1
        columns = {n: [ws.cell(r, header.index(n) + 1).value for r in range(1, ws.max_row + 1)] for n in names}
        for k, name in enumerate(names):
            for r, value in enumerate(columns[name], start=1):
                ws.cell(r, first + k).value = value
        table = ws.tables["Responses"]
        for k, name in enumerate(names):
            table.tableColumns[first - 1 + k].name = name

    earlier = edited(rollups["2025"], tmp_path, old_order)
    assert [c.value for c in openpyxl.load_workbook(earlier)["Responses"][1]][7:11] == \
        ["item", "capability", "rating", "comment"]
    out = tmp_path / "out.xlsx"
    assert main(["rollup", str(LATER), "--previous", str(earlier), "-o", str(out)]) == 0
    assert sorted(map(key, table_rows(out, "Responses"))) == sorted(map(key, table_rows(rollups["with-previous"],
                                                                                       "Responses")))
    mine = {(r["response_id"], r["item"]): (r["capability"], r["rating"]) for r in table_rows(out, "Responses")}
    want = {(r["response_id"], r["item"]): (r["capability"], r["rating"])
            for r in table_rows(rollups["with-previous"], "Responses")}
    assert mine == want
