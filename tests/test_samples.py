"""The bundled sample returns still match the definitions and show every kind of outcome."""

from pathlib import Path

from sheetflow.intake.validate import validate_paths

SAMPLES = Path(__file__).parent.parent / "samples"


def test_sample_returns_have_the_documented_outcomes():
    report = validate_paths([SAMPLES / "returns"])
    assert report.summary == {"valid": 17, "invalid": 3, "rejected": 2, "superseded": 1}
    invalid = {Path(f.path).name.split(" - ")[-2] if " - " in f.path else f.path
               for f in report.files if f.status == "invalid"}
    assert invalid == {"Marcus Bell", "Priya Shah", "Red River Valley"}
