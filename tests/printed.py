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


# pdftotext draws a word's box as high as its font's ascent and descent: 1.3 times the size of Carlito (the
# metric twin of Calibri that the tests install), measured on 11-point cells printed at 75% (10.7 points high)
CARLITO_BOX = 1.3


def small_texts(pdf: Path, points: float) -> list[tuple[int, float, str]]:
    """The words printed smaller than ``points``: (page, size in points, word), from each word's height
    (``pdftotext -bbox``) over ``CARLITO_BOX``. Rotated words (a chart's vertical axis title) are measured by
    their width's side, so they are left out: none of the roll-up's texts is rotated but the chart's titles."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    found = []
    for number, page in enumerate(out.split("<page ")[1:], start=1):
        for x0, y0, x1, y1, word in re.findall(
                r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page):
            height, width = float(y1) - float(y0), float(x1) - float(x0)
            size = height / CARLITO_BOX
            if size < points - 0.05 and not (height > width and len(word) > 1):
                found.append((number, round(size, 1), word))
    return found


def words(pdf: Path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words as pdftotext finds them (``-bbox``), each (left, top, right, bottom, word) in points:
    a text cut by a cell's edge is still found whole, beyond that edge."""
    out = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [[(float(x0), float(y0), float(x1), float(y1), word) for x0, y0, x1, y1, word in re.findall(
        r'xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<', page)]
        for page in out.split("<page ")[1:]]
