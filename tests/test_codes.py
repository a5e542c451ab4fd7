"""Finding codes: every code intake emits is listed once, with its meaning, in codes.py and in docs/codes.md."""

import re
from pathlib import Path

import pytest

from sheetflow.intake.codes import CODES, SKIPPED, Finding, Rejected

DOCS = Path(__file__).parent.parent / "docs" / "codes.md"
TESTS = Path(__file__).parent
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Codes no test makes sheetflow emit (a test that causes one removes it here): the operating system refusing
# to read a file cannot be arranged where the tests run as root.
NOT_CAUSED_BY_A_TEST = {"unreadable"}


def docs_table() -> dict:
    """code -> meaning, from the table in docs/codes.md."""
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", DOCS.read_text(encoding="utf-8"), re.M))


def test_the_docs_list_every_code_with_its_meaning():
    assert docs_table() == CODES


def test_every_code_is_caused_by_some_test():
    """A code is caused by a test when a test other than this file names it in quotes (it asserts that a file,
    an answer or a skip gets it); a listed code that nothing can cause any more shows up here."""
    texts = [p.read_text(encoding="utf-8") for p in TESTS.rglob("*.py") if p.name != Path(__file__).name]
    caused = {code for code in CODES if any(f'"{code}"' in text or f"'{code}'" in text for text in texts)}
    assert set(CODES) - caused == NOT_CAUSED_BY_A_TEST


def test_codes_are_kebab_case_and_the_skip_reasons_have_codes():
    assert all(KEBAB.fullmatch(code) for code in CODES)
    assert set(SKIPPED.values()) <= set(CODES)


def test_an_unlisted_code_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="not a finding code"):
        Rejected("no-such-code", "A reason.")
    with pytest.raises(ValueError, match="not a finding code"):
        Finding(None, None, "A message.", "no-such-code")
    assert Rejected("zip-bomb", "Too much.").code == "zip-bomb"
