"""Test helper: the rows of every Excel Table in a workbook, read from the package itself (the table parts'
names and ranges) and openpyxl's read-only cells. Loading a whole roll-up with openpyxl takes seconds (its
pivot caches, styles and charts); this reads only what a table holds."""

from __future__ import annotations

import functools
import posixpath
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.utils.cell import range_boundaries

_RELATIONSHIP = re.compile(r"<Relationship\b[^>]*>")


def _targets(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id -> the part it points at, for ``part``."""
    folder, name = posixpath.split(part)
    rels = posixpath.join(folder, "_rels", name + ".rels")
    if rels not in z.namelist():
        return {}
    out = {}
    for element in _RELATIONSHIP.findall(z.read(rels).decode("utf-8")):
        rid, target = re.search(r'Id="([^"]+)"', element).group(1), re.search(r'Target="([^"]+)"', element).group(1)
        out[rid] = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
    return out


@functools.cache
def excel_tables(path: Path) -> dict[str, list[dict]]:
    """{table name: [{column: value}, ...]}: each table's header row and its rows that hold anything."""
    with zipfile.ZipFile(path) as z:
        workbook = z.read("xl/workbook.xml").decode("utf-8")
        parts = _targets(z, "xl/workbook.xml")
        where: dict[str, list[tuple[str, str]]] = {}  # sheet name -> [(table name, range)]
        for sheet in re.findall(r"<sheet\b[^>]*/>", workbook):
            name = re.search(r'name="([^"]+)"', sheet).group(1)
            rid = re.search(r'r:id="([^"]+)"', sheet).group(1)
            for target in _targets(z, parts[rid]).values():
                if "/tables/" in target:
                    table = z.read(target).decode("utf-8")
                    display = re.search(r'displayName="([^"]+)"', table).group(1)
                    where.setdefault(_unescaped(name), []).append((display, re.search(r'\bref="([^"]+)"', table).group(1)))
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        out = {}
        for sheet, tables in where.items():
            for display, ref in tables:
                left, top, right, bottom = range_boundaries(ref)
                rows = [list(r) for r in wb[sheet].iter_rows(min_row=top, max_row=bottom, min_col=left, max_col=right,
                                                              values_only=True)]
                out[display] = [dict(zip(rows[0], r)) for r in rows[1:] if any(v is not None for v in r)]
        return out
    finally:
        wb.close()


def _unescaped(text: str) -> str:
    return text.replace("&apos;", "'").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
