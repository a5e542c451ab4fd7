"""Finding codes: every code intake emits is listed once, with its meaning, in codes.py and in the README."""

import ast
import re
from pathlib import Path

import pytest

import sheetflow.intake
from sheetflow.intake.codes import CODES, SKIPPED, Finding, Rejected

README = Path(__file__).parent.parent / "README.md"
INTAKE = Path(sheetflow.intake.__file__).parent
KEBAB = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")


def readme_table() -> dict:
    """code -> meaning, from the table under the README's "Finding codes" heading."""
    section = README.read_text(encoding="utf-8").split("### Finding codes", 1)[1].split("\n#", 1)[0]
    return dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", section, re.M))


def emitted_codes() -> dict:
    """code -> where, for every code written in intake's source: the first argument of ``Rejected``,
    the fourth of ``Finding``, the second of ``IsolationFailed``, ``rejected_code=``, and the values
    of the tables that map checks and skip reasons to codes."""
    found = {}
    for path in sorted(INTAKE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            candidates = []
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", getattr(node.func, "attr", None))
                position = {"Rejected": 0, "Finding": 3, "IsolationFailed": 1}.get(name)
                if position is not None and len(node.args) > position:
                    candidates.append(node.args[position])
                candidates += [k.value for k in node.keywords if k.arg in ("code", "rejected_code")]
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") in ("CHECK_CODES", "SKIPPED")
                                                      for t in node.targets):
                candidates += node.value.values
            elif isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "code" for t in node.targets):
                candidates.append(node.value)
            elif isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Tuple) \
                    and isinstance(node.value, ast.Tuple):  # text, code = "...", "formula"
                candidates += [value for target, value in zip(node.targets[0].elts, node.value.elts)
                               if getattr(target, "id", "") == "code"]
            for candidate in candidates:
                for constant in ast.walk(candidate):
                    if isinstance(constant, ast.Constant) and isinstance(constant.value, str) \
                            and KEBAB.fullmatch(constant.value):
                        found.setdefault(constant.value, f"{path.name}:{constant.lineno}")
    return found


def test_the_readme_lists_every_code_with_its_meaning():
    assert readme_table() == CODES


def test_every_code_in_the_source_is_listed_and_every_listed_code_is_emitted():
    emitted = emitted_codes()
    unlisted = {code: where for code, where in emitted.items() if code not in CODES}
    assert not unlisted, f"add these to sheetflow/intake/codes.py and the README: {unlisted}"
    assert set(CODES) - set(emitted) == set(), "listed but never emitted"


def test_codes_are_kebab_case_and_the_skip_reasons_have_codes():
    assert all(KEBAB.fullmatch(code) for code in CODES)
    assert set(SKIPPED.values()) <= set(CODES)


def test_an_unlisted_code_is_refused_where_it_is_made():
    with pytest.raises(ValueError, match="not a finding code"):
        Rejected("no-such-code", "A reason.")
    with pytest.raises(ValueError, match="not a finding code"):
        Finding(None, None, "A message.", "no-such-code")
    assert Rejected("zip-bomb", "Too much.").code == "zip-bomb"
