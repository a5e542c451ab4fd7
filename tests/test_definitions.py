"""Loading and checking instrument definitions."""

import json
from pathlib import Path

import pytest

from sheetflow.instruments import definitions
from sheetflow.errors import DefinitionError

HERE = Path(__file__).parent


def test_both_instruments_load_with_their_ids_and_versions():
    loaded = definitions.load_all()
    assert set(loaded) == {"sector-self-assessment", "sector-action-plan"}
    assert all(i.version for i in loaded.values())


def test_assessment_answers_follow_the_published_names(assessment):
    names = [a.name for a in assessment.answers]
    assert [n for n in names if n.startswith("rating_")] == [f"rating_{i:02d}" for i in range(1, 21)]
    assert [n for n in names if n.startswith("comment_")] == [f"comment_{i:02d}" for i in range(1, 21)]
    assert {"pre_almost_yes", "pre_almost_detail", "pre_active_yes", "pre_active_detail",
            "reflect_strengths", "reflect_opportunities", "reflect_missing", "reflect_disagreements",
            "reflect_priorities", "organization", "respondent_name", "completed_on"} <= set(names)
    rating = assessment.answer("rating_07")
    assert rating.required and rating.choices == (1, 2, 3, 4, 5)
    assert rating.label.startswith('Item 7 "Consensus among key regional partners')
    assert not assessment.answer("comment_07").required


def test_action_plan_answers_follow_the_published_names(action_plan):
    names = {a.name for a in action_plan.answers}
    for element in action_plan.elements:
        for j in range(1, len(element.components) + 1):
            assert f"e{element.number}_status_{j}" in names
        assert {f"e{element.number}_obstacles", f"e{element.number}_actions"} <= names
    table = action_plan.answer("e3_actions")
    assert table.rows >= 8 and [c.key for c in table.columns] == [
        "objective", "key_actions", "timeline", "lead", "resources_ta", "desired_outcomes"]
    assert action_plan.answer("e1_status_1").choices == ("In place", "Partly in place", "Not yet in place")


def broken_copy(tmp_path, instrument_id, old, new):
    text = (definitions.templates_dir() / f"{instrument_id}.toml").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize("old, new, problem", [
    ("number = 7\n", "number = 8\n", "capability number 8 is used 2 times"),
    ("number = 7\n", "number = 27\n", "capabilities are numbered"),
    ('kind = "assessment"', 'kind = "survey"', "kind 'survey'"),
    ("comment_label = ", "comment_text = ", "[table] has no 'comment_label'"),
    ("value = 1\n", 'value = "1"\n', "value should be int, not str"),
    ('title = "Sector Strategies', 'title = ["Sector Strategies', "cannot be read as TOML"),
    ('language = "en-US"', "language = 1", "language should be str, not int"),
])
def test_a_broken_definition_names_the_file_and_the_problem(tmp_path, old, new, problem):
    path = broken_copy(tmp_path, "sector-self-assessment", old, new)
    with pytest.raises(DefinitionError) as info:
        definitions.load(path)
    assert str(path) in str(info.value) and problem in str(info.value)


def test_the_language_of_a_definition_is_its_workbooks_language(tmp_path):
    """A translated definition says its language; without one, a definition is in English."""
    import io
    import zipfile

    from sheetflow.instruments.workbook import Request, workbook_bytes

    spanish = definitions.load(broken_copy(tmp_path, "sector-self-assessment", 'language = "en-US"',
                                           'language = "es-US"'))
    assert spanish.language == "es-US"
    with zipfile.ZipFile(io.BytesIO(workbook_bytes(Request(spanish)))) as z:
        assert b"<dc:language>es-US</dc:language>" in z.read("docProps/core.xml")
    assert definitions.load(broken_copy(tmp_path, "sector-self-assessment", 'language = "en-US"', "")).language == "en-US"


def test_repeated_answer_names_are_refused(tmp_path):
    path = broken_copy(tmp_path, "sector-action-plan", 'name = "contact_name"', 'name = "region"')
    with pytest.raises(DefinitionError, match=r"\[\[identity\]\] name 'region' is used 2 times"):
        definitions.load(path)


def test_unknown_definition_lists_the_known_ones():
    with pytest.raises(DefinitionError, match="sector-action-plan, sector-self-assessment"):
        definitions.load("nonsense")


def test_every_issued_version_ships_and_the_current_one_is_the_newest():
    issued = definitions.load_issued()
    assert {("sector-action-plan", "1.0"), ("sector-action-plan", "1.1"), ("sector-action-plan", "1.2")} <= set(issued)
    assert definitions.load_all()["sector-action-plan"] is issued["sector-action-plan", "1.2"]
    assert [a for a in issued["sector-action-plan", "1.2"].answers] == list(issued["sector-action-plan", "1.1"].answers)
    assert definitions.load_version("sector-action-plan", "0.9") is None
    old, new = issued["sector-action-plan", "1.0"], issued["sector-action-plan", "1.1"]
    follow_up = {f"e{k}_{what}" for k in range(1, 7) for what in ("previous", "progress")}
    assert [a for a in new.answers if a.name not in follow_up] == list(old.answers)
    assert not old.progress_choices and new.progress_choices == ("Done", "On track", "Delayed", "Dropped")
    progress = new.answer("e2_progress")
    assert (progress.rows, [c.key for c in progress.columns], progress.given) == (8, ["progress", "note"], False)
    shown = new.answer("e2_previous")
    assert shown.given and [c.key for c in shown.columns] == ["objective", "key_actions", "timeline", "lead"]


def test_an_earlier_version_is_checked_against_its_text_as_issued():
    """Returns of 1.0 are compared with the locked text 1.0 workbooks had, kept beside the definition."""
    old = definitions.load_version("sector-action-plan", "1.0")
    frozen = definitions.questions_file(old)
    assert frozen is not None and frozen.parent.name == definitions.VERSIONS
    assert definitions.questions_file(definitions.load("action-plan")) is None
    cells = json.loads(frozen.read_text(encoding="utf-8"))
    assert ["Element 3", 1, 1, "Element #3: Guided by industry"]  # rows and columns from 1 in cells
