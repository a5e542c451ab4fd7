"""Render the pictures in docs/ from freshly generated workbooks (needs LibreOffice and poppler).

    .venv/bin/python scripts/render_docs.py
"""

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import libreoffice  # noqa: E402
import openpyxl  # noqa: E402

from sheetflow.instruments import definitions  # noqa: E402
from sheetflow.instruments.workbook import Request, generate  # noqa: E402

PICTURES = {  # picture -> (instrument, text that starts the page's header, pages after the first so headed)
    "assessment-instructions.png": ("sector-self-assessment", "Instructions", 0),
    "assessment-about-you.png": ("sector-self-assessment", "About you", 0),
    "assessment-capabilities.png": ("sector-self-assessment", "Assessment", 0),
    "assessment-summary.png": ("sector-self-assessment", "Summary", 0),
    "action-plan-instructions.png": ("sector-action-plan", "Instructions", 0),
    "action-plan-element.png": ("sector-action-plan", "Element 1", 0),
    "action-plan-element-actions.png": ("sector-action-plan", "Element 1", 1),
}
ROLLUP_PICTURES = {"rollup-summary.png": ("Summary", 0), "rollup-strengths.png": ("Strengths", 0),
                   "rollup-distribution.png": ("Rating distribution", 0),
                   "rollup-action-plans.png": ("Action plans", 0), "rollup-pivot.png": ("Pivot - Ratings by area", 0),
                   "rollup-change-over-time.png": ("Change over time", 1), "rollup-responses.png": ("Responses", 0)}


def page_of(pdf: Path, header: str) -> int:
    pages = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout.split("\f")
    for number, text in enumerate(pages, start=1):
        if text.split("\n", 1)[0].endswith(header) or header in text.split("\n")[:4]:
            return number
    raise SystemExit(f"no page headed {header!r} in {pdf}")


def answers_of(path: Path) -> dict:
    """A return's one-cell named answers (not the stamp), by name, as lo_fill takes them."""
    book = openpyxl.load_workbook(path)
    answers = {}
    for name, defined in book.defined_names.items():
        (sheet, cell), = defined.destinations
        value = book[sheet][cell.replace("$", "")].value if ":" not in cell else None
        if value is not None and not name.startswith("sheetflow_"):
            answers[name] = {"date": value.date().isoformat()} if hasattr(value, "date") else value
    return answers


def main():
    docs = ROOT / "docs"
    docs.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        pdfs = {}
        for instrument_id in {i for i, *_ in PICTURES.values()}:
            book = generate(Request(definitions.load(instrument_id), response_id="example", cycle="2026"),
                            tmp / f"{instrument_id}.xlsx")
            pdfs[instrument_id] = libreoffice.convert(book, "pdf", tmp)
        for picture, (instrument_id, header, skip) in PICTURES.items():
            page = page_of(pdfs[instrument_id], header) + skip
            (png,) = libreoffice.pdf_to_png(pdfs[instrument_id], tmp / picture, page, page, dpi=90)
            (docs / picture).write_bytes(png.read_bytes())
            print(f"docs/{picture}: page {page} of {instrument_id}")
        # the current workbook, filled in LibreOffice with the answers of a sample return (the same names)
        answers = answers_of(next((ROOT / "samples" / "returns").glob("*Ana Lopez*")))
        filled = libreoffice.fill_by_name(tmp / "sector-self-assessment.xlsx", answers, tmp / "filled.xlsx")
        pdf = libreoffice.convert(filled, "pdf", tmp)
        page = page_of(pdf, "Summary")
        (png,) = libreoffice.pdf_to_png(pdf, tmp / "filled", page, page, dpi=90)
        (docs / "assessment-summary-filled.png").write_bytes(png.read_bytes())
        print(f"docs/assessment-summary-filled.png: page {page} of a sample return")
        plan = tmp / "North Plains - Action Plan.xlsx"  # made with the sample returns, as the demo makes it
        subprocess.run([sys.executable, "-m", "sheetflow.cli", "generate", "action-plan", "-o", str(plan),
                        "--region", "North Plains", "--cycle", "2026", "--response-id", "example",
                        "--assessments", str(ROOT / "samples" / "returns"),
                        "--manifest", str(ROOT / "samples" / "sent" / "manifest.csv")], check=True)
        pdf = libreoffice.convert(plan, "pdf", tmp)
        for picture, header, skip in (("action-plan-results.png", "Self-assessment results", 0),
                                      ("action-plan-results-capabilities.png", "Self-assessment results", 1),
                                      ("action-plan-results-2.png", "Self-assessment results (2)", 0)):
            page = page_of(pdf, header) + skip
            (png,) = libreoffice.pdf_to_png(pdf, tmp / picture, page, page, dpi=90)
            (docs / picture).write_bytes(png.read_bytes())
            print(f"docs/{picture}: page {page} of the North Plains action plan")
        rollup = tmp / "rollup.xlsx"
        subprocess.run([sys.executable, "-m", "sheetflow.cli", "rollup", str(ROOT / "samples" / "returns"),
                        str(ROOT / "samples" / "returns-2025"),  # two cycles: the Change over time sheet
                        "--manifest", str(ROOT / "samples" / "sent" / "manifest.csv"), "-o", str(rollup)],
                       check=True)
        pdf = libreoffice.convert(rollup, "pdf", tmp)
        for picture, (header, skip) in ROLLUP_PICTURES.items():
            page = page_of(pdf, header) + skip
            (png,) = libreoffice.pdf_to_png(pdf, tmp / picture, page, page, dpi=90)
            (docs / picture).write_bytes(png.read_bytes())
            print(f"docs/{picture}: page {page} of the sample roll-up")


if __name__ == "__main__":
    main()
