"""package: sizes, the zip structure, zip bombs, every part decompressed once; hostile files built from bytes."""

from __future__ import annotations

import functools
import io
import os
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile import (CFB_HEADER, STRICT_NS, content_types, outcome, reason, rewrite, sheet_xml, workbook_xml,
                     write_zip, xlsx_parts)
from sheetflow.cells import column_number
from sheetflow.intake.package import Limits, check_package, open_checked


# --- valid files -------------------------------------------------------------

def test_valid_workbook_passes(valid_xlsx):
    check_package(valid_xlsx)
    check_package(valid_xlsx, Limits(max_rows=200, max_cols=10))
    check_package(str(valid_xlsx))


def test_open_checked_hands_over_the_parts_and_parsed_sheets(valid_xlsx):
    package = open_checked(valid_xlsx, Limits(max_rows=200, max_cols=10))
    assert package.data == valid_xlsx.read_bytes()
    with zipfile.ZipFile(valid_xlsx) as zf:
        assert package.parts == {name: zf.read(name) for name in zf.namelist()}
    assert list(package.sheets) == ["xl/worksheets/sheet1.xml"]
    sheet = package.sheets["xl/worksheets/sheet1.xml"]  # plain form: scanned, not parsed into a tree
    assert sorted(sheet.positions()) == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]


def test_minimal_handmade_package_passes(tmp_path):
    check_package(write_zip(tmp_path / "ok.xlsx", xlsx_parts()), Limits(max_rows=1, max_cols=1))


def test_column_number():
    assert [column_number(x) for x in ("A", "Z", "AA", "AZ", "ZZ", "XFD", "xfd")] == [1, 26, 27, 52, 702, 16384, 16384]
    for bad in ("", "A1", "É"):
        with pytest.raises(ValueError):
            column_number(bad)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in reason(path, code="empty")


def test_too_large(valid_xlsx):
    assert "larger than the 1000 bytes allowed" in reason(valid_xlsx, Limits(max_file_bytes=1000), code="too-big")


# --- damaged zips ------------------------------------------------------------

def test_truncated_workbook(valid_xlsx, tmp_path):
    data = valid_xlsx.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or incomplete" in reason(path, code="damaged")


def test_bad_crc(tmp_path):
    path = write_zip(tmp_path / "crc.xlsx", xlsx_parts(**{"xl/sharedStrings.xml": "<sst>" + "x" * 5000 + "</sst>"}),
                     zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(b"xxxxx")] = ord("y")
    path.write_bytes(bytes(data))
    assert "damaged or incomplete" in reason(path, code="damaged")


def test_duplicate_part_names(tmp_path):
    path = write_zip(tmp_path / "dup.xlsx", xlsx_parts())
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/workbook.xml", workbook_xml())
    assert "damaged or incomplete" in reason(path, code="damaged")


# --- zips that are not plain .xlsx workbooks -----------------------------------

def test_plain_zip(tmp_path):
    assert "zip archive" in reason(write_zip(tmp_path / "a.xlsx", {"report.csv": "a,b\n1,2\n"}), code="plain-zip")


def test_ods(tmp_path):
    path = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", "<manifest:manifest/>", zipfile.ZIP_DEFLATED)
    assert "OpenDocument spreadsheet (.ods" in reason(path, code="ods")


def test_docx(tmp_path):
    parts = {"[Content_Types].xml": content_types(), "word/document.xml": "<w:document/>"}
    assert "Word document (.docx)" in reason(write_zip(tmp_path / "d.xlsx", parts), code="word")


def test_pptx(tmp_path):
    parts = {"[Content_Types].xml": content_types(), "ppt/presentation.xml": "<p:presentation/>"}
    assert "PowerPoint presentation" in reason(write_zip(tmp_path / "p.xlsx", parts), code="powerpoint")


def test_office_package_without_workbook(tmp_path):
    visio = content_types("application/vnd.ms-visio.drawing.main+xml").replace("/xl/workbook.xml", "/visio/document.xml")
    parts = {"[Content_Types].xml": visio, "visio/document.xml": "<VisioDocument/>",
             "docProps/core.xml": "<cp:coreProperties/>"}
    assert "Office file but not an Excel workbook" in reason(write_zip(tmp_path / "o.xlsx", parts),
                                                             code="not-a-workbook")
    declared = {"[Content_Types].xml": content_types(), "docProps/core.xml": "<cp:coreProperties/>"}
    assert "parts are not where Excel puts them" in reason(write_zip(tmp_path / "d.xlsx", declared),
                                                           code="unusual-package")


def test_xlsm_with_vba_project(valid_xlsx, tmp_path):
    path = rewrite(valid_xlsx, tmp_path / "m.xlsx", **{"xl/vbaProject.bin": CFB_HEADER})
    assert "contains macros" in reason(path, code="macro-enabled")


def test_xlsm_by_content_type(tmp_path):
    macro_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    path = write_zip(tmp_path / "m.xlsx", xlsx_parts(**{"[Content_Types].xml": content_types(macro_type)}))
    assert "contains macros" in reason(path, code="macro-enabled")


def test_xlsb(tmp_path):
    binary_type = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    path = write_zip(tmp_path / "b.xlsx", xlsx_parts(**{"[Content_Types].xml": content_types(binary_type)}))
    assert "Excel Binary Workbook (.xlsb)" in reason(path, code="xlsb")
    parts = {"[Content_Types].xml": content_types(), "xl/workbook.bin": b"\x83\x01\x00"}
    assert "Excel Binary Workbook (.xlsb)" in reason(write_zip(tmp_path / "b2.xlsx", parts), code="xlsb")


def test_strict_open_xml(tmp_path):
    path = write_zip(tmp_path / "s.xlsx", xlsx_parts(**{"xl/workbook.xml": workbook_xml(STRICT_NS)}))
    text = reason(path, code="strict-xml")
    assert '"Strict Open XML Spreadsheet"' in text and '"Excel Workbook (.xlsx)"' in text


# --- hostile zips --------------------------------------------------------------

def test_too_many_parts(tmp_path):
    extra = {f"xl/media/image{i}.png": b"" for i in range(20)}
    assert "more than 10 internal parts" in reason(write_zip(tmp_path / "n.xlsx", xlsx_parts(**extra)),
                                                   Limits(max_members=10), code="too-many-parts")
    extra = {f"x/{i}": b"" for i in range(2100)}
    assert "more than 2000 internal parts" in reason(write_zip(tmp_path / "n2.xlsx", xlsx_parts(**extra)),
                                                     code="too-many-parts")


def set_zip_password_flag(path: Path) -> None:
    data = bytearray(path.read_bytes())
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        while at >= 0:
            data[at + flag_offset] |= 0x1
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_password_locked_zip_parts(tmp_path):
    path = write_zip(tmp_path / "z.xlsx", xlsx_parts())
    set_zip_password_flag(path)
    assert "locked with a zip password" in reason(path, code="zip-password")


def test_unusual_compression(tmp_path):
    assert "compression method" in reason(write_zip(tmp_path / "bz.xlsx", xlsx_parts(), zipfile.ZIP_BZIP2),
                                          code="odd-compression")


def zero_stream_zip(path: Path, members: dict[str, int]) -> Path:
    """An otherwise valid-looking package whose members are ``size`` zero bytes, written in chunks."""
    block = bytes(1 << 20)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", content_types())
        zf.writestr("xl/workbook.xml", workbook_xml())
        for name, size in members.items():
            with zf.open(name, "w") as member:
                for start in range(0, size, len(block)):
                    member.write(block[: size - start])
    return path


@pytest.fixture(scope="module")
def gigabyte_bomb(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("bomb") / "bomb.xlsx"
    return zero_stream_zip(path, {"xl/worksheets/sheet1.xml": 1 << 30})


def test_zip_bomb_is_refused_with_little_memory(gigabyte_bomb):
    assert gigabyte_bomb.stat().st_size < 5 << 20   # it really is a bomb: ~1 MB expanding to 1 GiB
    tracemalloc.start()
    try:
        text = reason(gigabyte_bomb, code="zip-bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "zip bomb" in text and "more than 100 MB" in text
    assert peak < 32 << 20


def test_zip_bomb_with_area_limits(gigabyte_bomb):
    assert "zip bomb" in reason(gigabyte_bomb, Limits(max_rows=200, max_cols=10), code="zip-bomb")


def test_compression_ratio_bomb(tmp_path):
    path = zero_stream_zip(tmp_path / "r.xlsx", {"xl/worksheets/sheet1.xml": 30 << 20})
    assert "squeezed more than 200 times" in reason(path, code="zip-bomb")


def test_total_expanded_size(tmp_path):
    path = zero_stream_zip(tmp_path / "t.xlsx", {f"xl/media/image{i}.png": 2 << 20 for i in range(3)})
    limits = Limits(max_uncompressed_bytes=5 << 20, max_ratio=1e9)
    check_package(path, Limits(max_ratio=1e9))
    assert "expand to more than 5 MB" in reason(path, limits, code="zip-bomb")


# --- damaged in arbitrary ways ---------------------------------------------------

@functools.lru_cache(maxsize=None)
def small_workbook_bytes() -> bytes:
    workbook = openpyxl.Workbook()
    workbook.active.append(["Employer", "Hires"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8),
       cut=st.floats(0.05, 1))
def test_mangled_workbooks_are_passed_or_rejected_never_crash(tmp_path, edits, cut):
    data = bytearray(small_workbook_bytes())
    for where, value in edits:
        data[int(where * len(data))] = value
    path = tmp_path / "mangled.xlsx"
    path.write_bytes(bytes(data[: max(1, int(cut * len(data)))]))
    limits = Limits(max_rows=200, max_cols=10)
    found = outcome(check_package, path, limits)
    assert found is None or (found and "\n" not in found)
    assert outcome(open_checked, path, limits) == found


# --- what a package that is not a plain workbook is called -------------------------------------

XLSB_TYPE = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"


def test_an_xlsb_with_macros_is_called_xlsb(tmp_path):
    path = write_zip(tmp_path / "book.xlsx", {
        "[Content_Types].xml": content_types(XLSB_TYPE).replace("/xl/workbook.xml", "/xl/workbook.bin"),
        "xl/workbook.bin": bytes(64), "xl/worksheets/sheet1.bin": bytes(64), "xl/vbaProject.bin": bytes(512)})
    text = reason(path, code="xlsb")
    assert "Excel Binary Workbook (.xlsb)" in text and "macro" not in text


def test_an_apple_numbers_file_is_named(tmp_path):
    path = write_zip(tmp_path / "Budget.xlsx", {"Index/Document.iwa": bytes(300), "Index/Tables/DataList.iwa": bytes(80),
                                               "Metadata/Properties.plist": b"bplist00", "preview.jpg": b"\xff\xd8"})
    text = reason(path, code="numbers")
    assert "Apple Numbers file" in text and "Export To" in text


def test_a_password_protected_ods_mentions_the_password(tmp_path):
    manifest = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest='
                '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
                '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                '"application/vnd.oasis.opendocument.spreadsheet"/>'
                '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" '
                'manifest:size="2841"><manifest:encryption-data manifest:checksum-type="urn:oasis:names:tc:'
                'opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum="AAAA"><manifest:algorithm '
                'manifest:algorithm-name="http://www.w3.org/2001/04/xmlenc#aes256-cbc" '
                'manifest:initialisation-vector="AAAA"/></manifest:encryption-data></manifest:file-entry>'
                '</manifest:manifest>')
    parts = {"mimetype": "application/vnd.oasis.opendocument.spreadsheet", "META-INF/manifest.xml": manifest,
             "content.xml": os.urandom(2000)}
    path = write_zip(tmp_path / "locked.ods", parts, zipfile.ZIP_STORED)
    assert "OpenDocument spreadsheet (.ods) protected with a password" in reason(path, code="encrypted")
    plain = write_zip(tmp_path / "plain.ods", {**parts, "META-INF/manifest.xml": manifest.split("<manifest:encryption")[0]
                                               + "</manifest:file-entry></manifest:manifest>"}, zipfile.ZIP_STORED)
    text = reason(plain, code="ods")
    assert "password" not in text and "OpenDocument spreadsheet" in text


def test_a_workbook_whose_parts_sit_at_unusual_paths_is_called_unusual_not_another_office_file(tmp_path):
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="data/book.xml"/></Relationships>')
    path = write_zip(tmp_path / "odd.xlsx", {
        "[Content_Types].xml": content_types().replace("/xl/workbook.xml", "/data/book.xml"), "_rels/.rels": rels,
        "data/book.xml": workbook_xml(), "data/sheets/one.xml": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    text = reason(path, code="unusual-package")
    assert "its parts are not where Excel puts them" in text and "not an Excel workbook" not in text
