"""Test helper: the printed pages of a workbook as LibreOffice lays them out (its PDF, read with pdftotext)."""
import re
import statistics
import subprocess
from collections import defaultdict
from pathlib import Path

import libreoffice


def flat(text: str) -> str:
    """Text with every run of white space made one space (a wrapped cell's lines join up again)."""
    return re.sub(r"\s+", " ", text).strip()


def whole(text: str, page: str) -> bool:
    """``text`` is on ``page`` whole, however its lines wrap (a line may break after a hyphen: ``buy-`` ``in``)."""
    return re.sub(r"\s+", "", text) in re.sub(r"\s+", "", page)


def page_texts(pdf: Path) -> list[str]:
    """Each page's text in the order LibreOffice drew it (``pdftotext -raw``), white space flattened."""
    raw = subprocess.run(["pdftotext", "-raw", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [flat(page) for page in raw.split("\f")[:-1]]


def pages_by_sheet(workbook: Path, outdir: Path, header: str) -> dict[str, list[str]]:
    """{sheet name: the text of each of its printed pages}, for a workbook whose page header is ``header``
    then the sheet's name (every sheet of the roll-up and of the instruments prints one)."""
    sheets = defaultdict(list)
    for text in page_texts(libreoffice.convert(workbook, "pdf", outdir)):
        assert text.startswith(header + " "), f"a page without the header {header!r}: {text[:120]!r}"
        name = next(n for n in sorted(_names(workbook), key=len, reverse=True)
                    if text.startswith(f"{header} {n} ") or text == f"{header} {n}")
        sheets[name].append(text)
    return dict(sheets)


def _names(workbook: Path) -> list[str]:
    import openpyxl
    return openpyxl.load_workbook(workbook, read_only=True).sheetnames


def decimals_over(text: str, places: int) -> list[str]:
    """The numbers in ``text`` with more than ``places`` decimals."""
    return re.findall(r"\d\.\d{%d,}" % (places + 1), text)


def text_sizes(pdf: Path) -> list[float]:
    """Each page's typical text height in points (the median height of its words, ``pdftotext -bbox``): about
    the font size the page's cells print at, so a sheet scaled down to fit the page shows as small text."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    sizes = []
    for page in out.split("<page ")[1:]:
        heights = [float(b) - float(a) for a, b in re.findall(r'yMin="([\d.]+)"[^>]*yMax="([\d.]+)"', page)]
        sizes.append(statistics.median(heights) if heights else 0.0)
    return sizes
