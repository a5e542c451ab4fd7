"""Finding codes: every code intake emits is declared once, with its meaning (``codes.Code``), and docs/codes.md's
table says the same."""

import re
from pathlib import Path

import pytest

from sheetflow.intake.codes import CODES, Code, Finding, Rejected, Skip

DOCS = Path(__file__).parent.parent / "docs" / "codes.md"
TESTS = Path(__file__).parent
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Codes no test makes sheetflow emit (a test that causes one removes it here): the operating system refusing
# to read a file cannot be arranged where the tests run as root.
NOT_CAUSED_BY_A_TEST = {"unreadable"}


def docs_table(text: str | None = None) -> dict:
    """code -> meaning, from the table in docs/codes.md."""
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", DOCS.read_text(encoding="utf-8") if text is None else text,
                           re.M))


def differences(table: dict) -> tuple[set, set, set]:
    """(declared but undocumented, documented but undeclared, documented with another meaning)."""
    declared = {code.value: code.meaning for code in Code}
    return (set(declared) - set(table), set(table) - set(declared),
            {c for c in set(declared) & set(table) if declared[c] != table[c]})


def test_the_docs_list_every_declared_code_with_its_meaning_and_no_other():
    assert differences(docs_table()) == (set(), set(), set())
    assert CODES == {code.value: code.meaning for code in Code}


def test_a_code_left_out_of_the_docs_or_only_in_the_docs_is_found():
    text = DOCS.read_text(encoding="utf-8")
    assert differences(docs_table(text.replace("| `zip-bomb` |", "| `zip-bombs` |"))) == ({"zip-bomb"}, {"zip-bombs"},
                                                                                         set())
    reworded = text.replace(Code.PDF.meaning, "A PDF.")
    assert differences(docs_table(reworded)) == (set(), set(), {"pdf"})


def test_every_code_is_caused_by_some_test():
    """A code is caused by a test when a test other than this file names it in quotes (it asserts that a file,
    an answer or a skip gets it); a listed code that nothing can cause any more shows up here."""
    texts = [p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py") if p.name != Path(__file__).name]
    caused = {code for code in CODES if any(f'"{code}"' in text or f"'{code}'" in text for text in texts)}
    assert set(CODES) - caused == NOT_CAUSED_BY_A_TEST


def test_codes_are_kebab_case_with_a_meaning_and_each_skip_carries_its_own_code():
    assert all(KEBAB.fullmatch(code) and code.meaning.endswith(".") for code in Code)
    assert all(isinstance(skip.code, Code) for skip in Skip)
    assert len({skip.code for skip in Skip}) == len(Skip)  # no two reasons share a code
    assert Skip.ROLLUP.code == "sheetflow-rollup" and Skip.LOCK_FILE == "Excel lock file"


def test_an_unlisted_code_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="not a finding code"):
        Rejected("no-such-code", "A reason.")
    with pytest.raises(ValueError, match="not a finding code"):
        Finding(None, None, "A message.", "no-such-code")
    assert Rejected(Code.ZIP_BOMB, "Too much.").code is Code.ZIP_BOMB
    assert Finding(None, None, "A message.", "zip-bomb").code is Code.ZIP_BOMB  # a code's text is taken as the code
