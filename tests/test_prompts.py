"""Input messages: within Excel's limits, shortened between words, saying the question and whether it is required."""

from hypothesis import given
from hypothesis import strategies as st

from sheetflow.instruments.definitions import Answer
from sheetflow.instruments.prompts import announcement, excel_length, filled, fit, validation

PROMPTS = {"required": "{title} (required)",
           "rating": {"title": "Item {number} rating", "message": ["Item {number}: {question}", "{scale}"]},
           "text": {"title": "{question}", "message": "{question}: type your answer."}}


def test_fit_keeps_what_fits_and_cuts_between_words():
    assert fit("Rate the partnership", 32) == "Rate the partnership"
    assert fit("Institutional culture that supports industry", 30) == "Institutional culture that…"
    assert fit("Consensus among partners, of the target", 26) == "Consensus among partners…"  # no ",…"
    assert fit("Supercalifragilisticexpialidocious", 10) == "Supercali…"  # one word longer than the limit


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=400), st.integers(2, 300))
def test_fit_never_exceeds_the_limit_and_only_ever_shortens(text, limit):
    out = fit(text, limit)
    assert excel_length(out) <= limit
    if out != text:
        assert out.endswith("…") and text.startswith(out[:-1])


@given(st.lists(st.text(alphabet="abcdefghij", min_size=1, max_size=12), min_size=1, max_size=40),
       st.integers(5, 120))
def test_a_cut_never_splits_a_word_that_has_room_before_it(words, limit):
    text = " ".join(words)
    out = fit(text, limit)
    if out != text and " " in out:
        kept = out[:-1].split(" ")
        assert kept == words[:len(kept)], "only whole words are kept"


def test_emoji_count_twice_as_excel_counts_them():
    assert excel_length("🙂") == 2
    assert excel_length(fit("🙂" * 40, 32)) <= 32


def test_only_the_question_is_shortened():
    message = filled("Item {number}: {question}\n{scale}", 60, number=7, question="word " * 40,
                     scale="1 = Not at all")
    assert message.startswith("Item 7: word") and message.endswith("…\n1 = Not at all") and len(message) <= 60


def test_an_announcement_says_required_within_the_title_limit():
    said = announcement(PROMPTS, "text", True, question="A very long identity label that goes on and on")
    assert said["input_title"].endswith(" (required)") and excel_length(said["input_title"]) <= 32
    assert said["input_message"].startswith("A very long identity label")
    said = announcement(PROMPTS, "rating", False, number=3, question="Staff", scale="1 = Not at all\n5 = Excelling")
    assert said == {"input_title": "Item 3 rating", "input_message": "Item 3: Staff\n1 = Not at all\n5 = Excelling"}


def test_validation_keeps_the_checks_of_each_kind():
    labels = {"rating_error_title": "Choose", "rating_error": "1 to 5", "yes_no_error": "Yes or No",
              "status_error": "From the list", "date_error": "A date", "email_error": "An email"}
    rating = validation(Answer("rating_01", "rating", "Item 1", True, (1, 2, 3, 4, 5)), labels, "D5")
    assert rating["validate"] == "list" and rating["source"] == ["1", "2", "3", "4", "5"]
    email = validation(Answer("e", "email", "Email", False), labels, "B8")
    assert email["value"] == '=ISNUMBER(SEARCH("@",B8))' and email["error_type"] == "warning"
    assert validation(Answer("c", "long_text", "Comment", False), labels, "E5") == {"validate": "any"}
