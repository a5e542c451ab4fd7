"""Hostile workbooks built from bytes and zipfile, and how the package checks refuse them (test helpers)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from sheetflow.intake.package import Limits, Rejected, check_package, open_checked

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
CFB_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)  # the start of an old .xls (or any CFB) file
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def content_types(main_type: str = XLSX_TYPE) -> str:
    return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{main_type}"/></Types>')


def workbook_xml(namespace: str = MAIN_NS) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{namespace}">'
            '<sheets><sheet name="Sheet1" sheetId="1"/></sheets></workbook>')


def sheet_xml(rows: str, dimension: str = "A1") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{MAIN_NS}">'
            f'<dimension ref="{dimension}"/><sheetData>{rows}</sheetData></worksheet>')


def xlsx_parts(**changes) -> dict:
    parts = {"[Content_Types].xml": content_types(), "xl/workbook.xml": workbook_xml(),
             "xl/worksheets/sheet1.xml": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')}
    parts.update(changes)
    return parts


def write_zip(path: Path, parts: dict, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return path


def reason(path: Path, limits: Limits = Limits(), *, code: str) -> str:
    """Why the file is refused, given the code it must have; the streaming check and the one that keeps
    parsed sheets must agree."""
    refusals = []
    for check in (check_package, open_checked):
        with pytest.raises(Rejected) as caught:
            check(path, limits)
        refusals.append((caught.value.code, caught.value.reason))
    assert refusals[0] == refusals[1]
    assert refusals[0][0] == code, refusals[0]
    assert "\n" not in refusals[0][1]
    return refusals[0][1]


def outcome(check, path: Path, limits: Limits) -> str | None:
    try:
        check(path, limits)
    except Rejected as rejected:
        return rejected.reason
    return None


def rewrite(source: Path, target: Path, **changes) -> Path:
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts.update(changes)
    return write_zip(target, parts)
