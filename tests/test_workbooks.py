"""make_workbooks (planning/workbooks.py): the one library call behind `sheetflow generate`."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import SAMPLES

from sheetflow.instruments import definitions
from sheetflow.errors import OptionMistake
from sheetflow.planning.workbooks import make_workbooks


class Recorder:
    def __init__(self) -> None:
        self.labels: list[str] = []
        self.total = 0

    @contextmanager
    def __call__(self, label: str, threshold: int):  # type: ignore[no-untyped-def]
        self.labels.append(label)
        yield self

    def start(self, total: int) -> None:
        self.total = total

    def update(self, count: int) -> None:
        pass


ASSESSMENT, PLAN = "assessment", "action-plan"


@pytest.mark.parametrize("instrument, options, says", [
    (ASSESSMENT, {"assessments": [SAMPLES / "returns"], "region": "North Plains"}, "--region is for one action plan"),
    (PLAN, {"assessments": [SAMPLES / "returns"]}, "--assessments is for the action plan, with --roster or --region"),
    (PLAN, {"previous_plans": [SAMPLES / "returns"]}, "--previous-plans is for the action plan"),
    (PLAN, {"manifest": SAMPLES / "sent" / "manifest.csv"}, "--manifest goes with --assessments"),
    (ASSESSMENT, {"roster": SAMPLES / "roster.csv", "response_id": "x"}, "--response-id cannot be used with --roster"),
])
def test_options_that_do_not_go_together_are_refused_before_anything_is_read(tmp_path: Path, instrument: str,
                                                                               options: dict, says: str) -> None:
    reading = Recorder()
    output = tmp_path / ("out" if "roster" in options else "out.xlsx")
    with pytest.raises(OptionMistake, match=says):
        make_workbooks(definitions.load(instrument), output, showing=reading, **options)
    assert reading.labels == [] and list(tmp_path.iterdir()) == []


def test_a_region_s_plan_starts_from_its_results_and_says_so(tmp_path: Path) -> None:
    reading = Recorder()
    made = make_workbooks(definitions.load(PLAN), tmp_path / "plan.xlsx", cycle="2026", region="North Plains",
                          assessments=[SAMPLES / "returns"], showing=reading)
    assert reading.labels == ["Reading self-assessments"] and reading.total > 0
    assert made.path == tmp_path / "plan.xlsx" and made.path.is_file()
    assert made.request is not None and made.request.results is not None
    assert made.request.results.region == "North Plains" and made.request.results.returns > 0
    lines = made.lines()
    assert lines[0].startswith(f"Wrote {made.path} (") and made.request.response_id in lines[0]
    assert any(line.startswith("North Plains: ") and "self-assessment return" in line for line in lines[1:])


def test_a_roster_s_workbooks_are_counted_and_not_written_twice(tmp_path: Path) -> None:
    first = make_workbooks(definitions.load(ASSESSMENT), tmp_path / "sent", roster=SAMPLES / "roster.csv",
                           cycle="2026")
    again = make_workbooks(definitions.load(ASSESSMENT), tmp_path / "sent", roster=SAMPLES / "roster.csv",
                           cycle="2026")
    written = len(list((tmp_path / "sent").glob("*.xlsx")))
    assert written == len(first.rows) > 0
    assert first.lines()[0].startswith(f"Wrote {written} workbooks to ")
    assert again.lines()[0].startswith("Wrote 0 workbooks to ") and f"{written} already there (kept" in again.lines()[0]


def test_a_response_id_that_is_not_a_uuid_is_written_with_a_warning(tmp_path: Path) -> None:
    made = make_workbooks(definitions.load(ASSESSMENT), tmp_path / "a.xlsx", response_id="north-1")
    assert made.path is not None and made.path.is_file()
    assert made.warnings and "'north-1' is not a UUID" in made.warnings[0]
