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


def test_each_sample_action_plan_has_its_own_actions_per_element():
    """A sample plan reads like a real one: each key element has actions of its own, not one row copied six times."""
    import openpyxl

    for plan in sorted((SAMPLES / "returns").glob("* - Action Plan.xlsx")):
        book = openpyxl.load_workbook(plan)
        objectives = {}
        for k in range(1, 7):
            sheet, cells = next(iter(book.defined_names[f"e{k}_actions"].destinations))
            rows = book[sheet][cells.replace("$", "")]
            objectives[k] = tuple(row[0].value for row in rows if row[0].value)
        assert all(objectives.values()), plan.name
        firsts = [found[0] for found in objectives.values()]
        assert len(set(firsts)) == 6, f"{plan.name}: {firsts}"
