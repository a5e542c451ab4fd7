"""roll_up: validate once, match to the manifest, build the roll-up's tables (sheetflow.rollup.run)."""

from pathlib import Path

from sheetflow.intake.validate import validate_paths
from sheetflow.tracking.status import status
from sheetflow.rollup.run import roll_up

SAMPLES = Path(__file__).parent.parent / "samples"
RETURNS, SENT = SAMPLES / "returns", SAMPLES / "sent"


def test_without_a_manifest_every_file_is_considered_and_nobody_is_outstanding():
    report = validate_paths([RETURNS])
    rollup = roll_up([RETURNS], workers=1)
    assert rollup.sources == [f.path for f in report.files]
    assert rollup.summary == report.summary == {"valid": 17, "invalid": 3, "rejected": 2, "superseded": 1}
    assert (rollup.files_in, rollup.files_out) == (17, 6)
    assert not rollup.with_status and rollup.tables["Outstanding"].empty


def test_with_the_manifest_the_outstanding_are_those_status_finds():
    rollup = roll_up([RETURNS, SENT], manifest=SENT, workers=1)  # the manifest itself is not a return
    matched = status([RETURNS], SENT, workers=1)
    assert rollup.sources == [str(p) for p in sorted(RETURNS.iterdir())]
    assert rollup.with_status and (rollup.sent, rollup.sent_valid) == (24, 17)
    outstanding = rollup.tables["Outstanding"]
    assert list(zip(outstanding["response_id"], outstanding["state"])) == [
        (r.response_id, r.state) for r in matched.recipients if r.state != "returned"]
    rates = rollup.tables["ResponseRate"]
    north = rates[(rates["level"] == "Region") & (rates["name"] == "North Plains")
                  & (rates["instrument"] == "Self-Assessment")].iloc[0]
    assert (north["sent"], north["valid"]) == (11, 10)


def test_roll_up_into_refuses_an_existing_workbook_before_reading_and_then_writes_it(tmp_path, monkeypatch):
    import pytest

    from sheetflow.errors import SheetflowError
    from sheetflow.rollup import run

    existing = tmp_path / "rollup.xlsx"
    existing.write_bytes(b"the board's copy")
    read = []
    monkeypatch.setattr(run, "roll_up", lambda *a, **k: read.append(a))
    with pytest.raises(SheetflowError, match="exists"):
        run.roll_up_into([RETURNS], existing)
    assert read == [] and existing.read_bytes() == b"the board's copy"
    monkeypatch.undo()
    made = run.roll_up_into([RETURNS], existing, tmp_path / "csv", force=True, workers=1, pivots=False)
    assert made.written[0] == existing and existing.read_bytes()[:2] == b"PK"
    assert {p.name for p in made.written[1:]} >= {"Responses.csv", "Submissions.csv"}
    assert made.lines()[0] == (f"Wrote {existing}: 17 of 23 files included; 6 left out (3 invalid, 2 rejected, "
                               "1 superseded), listed on its Submissions and Problems sheets.")
