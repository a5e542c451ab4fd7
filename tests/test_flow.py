"""The folders follow a returned file: a module imports only its own stage, the stages before it, and the
shared modules at the top of the package; never a later stage. The order is ``architecture.STAGES``."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts"))
import architecture  # noqa: E402

MODULES = sorted(architecture.PACKAGE.rglob("*.py"))


def test_every_folder_is_a_stage() -> None:
    folders = {p.name for p in architecture.PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == set(architecture.STAGES)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: architecture.module_name(p))
def test_imports_follow_the_flow(path: Path) -> None:
    here = architecture.module_name(path)
    against = [used for used in sorted(architecture.imports(path))
               if architecture.stage_rank(used) > architecture.stage_rank(here)]
    assert not against, f"{here} ({architecture.stage_of(here)}) imports a later stage: {against}"


def test_the_rule_catches_an_import_against_the_flow(tmp_path: Path) -> None:
    assert architecture.stage_rank("sheetflow.intake.validate") > architecture.stage_rank("sheetflow.arrival.collect")
    assert architecture.stage_rank("sheetflow.files") < architecture.stage_rank("sheetflow.instruments.workbook")
    assert architecture.stage_rank("sheetflow.cli") > architecture.stage_rank("sheetflow.planning.region_results")
