"""The pandera schemas derived from the definitions: a property over any values in the named cells."""


import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.intake.record import read_return
from sheetflow.intake.schemas import answer_schemas, check_answers

RATING_VALUES = st.one_of(
    st.integers(-2, 8), st.sampled_from([1.0, 4.0, 2.5, 5.000001]),
    st.sampled_from(["4", " 3 ", "four", "N/A", "None", "", "   ", "5.0", "=2+3"]), st.none(),
)
CHOICE_VALUES = st.one_of(st.sampled_from(["Yes", "No", " Yes ", "yes", "Maybe", "N/A", "", "=1"]), st.none(),
                          st.integers(0, 2))
TEXT_VALUES = st.one_of(st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=20), st.none(), st.integers(-5, 5),
                        st.sampled_from(["N/A", "None", "null", "-", "=SUM(A1)", "+1", "@x"]))


def rating_ok(value) -> bool:
    """The domain of a rating, as a convener states it: a whole number from 1 to 5."""
    if isinstance(value, str):
        text = value.strip()
        return text in {"1", "2", "3", "4", "5", "5.0"} and not text.startswith("=")
    return isinstance(value, (int, float)) and float(value).is_integer() and 1 <= value <= 5


def present(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def is_formula(value) -> bool:
    return isinstance(value, str) and len(value) > 1 and value.startswith("=")  # as openpyxl stores a formula


@pytest.fixture(scope="module")
def template(blank_workbooks):
    return blank_workbooks["sector-self-assessment"]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ratings=st.lists(RATING_VALUES, min_size=20, max_size=20),
       choices=st.lists(CHOICE_VALUES, min_size=2, max_size=2),
       texts=st.lists(TEXT_VALUES, min_size=4, max_size=4))
def test_report_flags_exactly_the_values_outside_their_domain(tmp_path_factory, template, assessment,
                                                              ratings, choices, texts):
    wb = openpyxl.load_workbook(template)
    values = {f"rating_{i + 1:02d}": v for i, v in enumerate(ratings)}
    values.update(pre_almost_yes=choices[0], pre_active_yes=choices[1], organization=texts[0],
                  respondent_name=texts[1], comment_04=texts[2], reflect_priorities=texts[3])
    for name, value in values.items():
        (sheet, ref), = list(wb.defined_names[name].destinations)
        wb[sheet][ref.replace("$", "")].value = value
    path = tmp_path_factory.mktemp("prop") / "return.xlsx"
    wb.save(path)
    record = read_return(str(path))
    assert record.rejected is None
    ((errors, warnings),) = check_answers([record], assessment)
    expected = set()
    for name, value in values.items():
        answer = assessment.answer(name)
        if is_formula(value):
            expected.add(name)
        elif answer.kind == "rating":
            if not rating_ok(value):
                expected.add(name)
        elif answer.kind == "yes_no":
            if not present(value) or str(value).strip().casefold() not in ("yes", "no"):  # any case, as Excel
                expected.add(name)
        elif answer.required and not present(value):
            expected.add(name)
    assert {e.name for e in errors} == expected
    for name in ("comment_04", "reflect_priorities"):
        flagged = name in {w.name for w in warnings}
        assert flagged == (not present(values[name]) and not is_formula(values[name]))


def test_schemas_are_built_from_the_definition(assessment, action_plan):
    """One long frame (a row per return and named answer, and whether it is filled); the names and rules come
    from the definition."""
    for instrument in (assessment, action_plan):
        errors, warnings = answer_schemas(instrument)
        named = {a.name for a in instrument.answers if a.kind != "table"}
        for schema in (errors, warnings):
            assert set(schema.columns) == {"response", "name", "value", "filled"}
            [domain] = schema.columns["name"].checks
            assert set(domain.statistics["allowed_values"]) == named
        assert [c.name for c in errors.checks] == ["not_nullable", "rating", "choice", "date", "text"]
        assert [c.name for c in warnings.checks] == ["not_nullable", "email"]
    assert "e1_actions" not in answer_schemas(action_plan)[0].columns["name"].checks[0].statistics["allowed_values"]


def test_required_and_optional_answers_follow_the_definition(assessment):
    import pandas as pd

    from sheetflow.intake.schemas import _failures

    errors, warnings = answer_schemas(assessment)
    frame = pd.DataFrame({"response": [0, 0, 0], "name": ["rating_01", "comment_01", "rating_02"],
                          "value": pd.Series([None, None, 9], dtype=object), "filled": [False, False, True]})
    assert {(i, check) for _, i, check, _ in _failures(errors, frame)} == {(0, "not_nullable"), (2, "rating")}
    assert {(i, check) for _, i, check, _ in _failures(warnings, frame)} == {(1, "not_nullable")}


@pytest.mark.parametrize("address, good", [
    ("ana@example.org", True), ("ana.lopez@north-plains.example.org", True),
    ("ana@ex..org", False), ("ana:x@example.org", False), ("Ana <ana@example.org>", False),
    ("ana@example", False), ("ana@@example.org", False), ("ana @example.org", False),
])
def test_a_returned_contact_email_follows_the_rule_the_roster_and_mail_use(action_plan, address, good):
    """One email rule: an address the roster would refuse is also flagged in a return, and the reverse."""
    import pandas as pd

    from sheetflow.intake.schemas import _failures
    from sheetflow.names import is_email

    assert is_email(address) is good
    _, warnings = answer_schemas(action_plan)
    frame = pd.DataFrame({"response": [0], "name": ["contact_email"], "value": pd.Series([address], dtype=object),
                          "filled": [True]})
    assert {check for *_, check, _ in _failures(warnings, frame)} == (set() if good else {"email"})
