"""check_package: every hostile file is built here, in the test, from bytes and zipfile."""

from __future__ import annotations

import os
import sys
import tracemalloc
import zipfile
from pathlib import Path

import functools
import io

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sheetflow.cells import column_number
from sheetflow.intake.package import CHUNK, Limits, Rejected, check_package, open_checked

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
STRICT_NS = "http://purl.oclc.org/ooxml/spreadsheetml/main"
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


def reason(path: Path, limits: Limits = Limits()) -> str:
    """Why the file is refused; the streaming check and the one that keeps parsed sheets must agree."""
    reasons = []
    for check in (check_package, open_checked):
        with pytest.raises(Rejected) as caught:
            check(path, limits)
        reasons.append(caught.value.reason)
    assert reasons[0] == reasons[1]
    assert "\n" not in reasons[0]
    return reasons[0]


def outcome(check, path: Path, limits: Limits) -> str | None:
    try:
        check(path, limits)
    except Rejected as rejected:
        return rejected.reason
    return None


@pytest.fixture
def valid_xlsx(tmp_path: Path) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["Employer", "Sector", "Hires"])
    sheet.append(["Acme Tooling", "Manufacturing", 12])
    path = tmp_path / "valid.xlsx"
    workbook.save(path)
    return path


def rewrite(source: Path, target: Path, **changes) -> Path:
    with zipfile.ZipFile(source) as zf:
        parts = {name: zf.read(name) for name in zf.namelist()}
    parts.update(changes)
    return write_zip(target, parts)


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


# --- not a regular file ------------------------------------------------------

def test_directory(tmp_path):
    assert "folder" in reason(tmp_path)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_never_opened(tmp_path):
    fifo = tmp_path / "partner.xlsx"
    os.mkfifo(fifo)
    assert "named pipe" in reason(fifo)   # would hang forever if the pipe were opened


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device():
    assert "device" in reason(Path("/dev/null"))


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_broken_symlink(tmp_path):
    link = tmp_path / "link.xlsx"
    link.symlink_to(tmp_path / "gone.xlsx")
    assert "no longer exists" in reason(link)


def test_missing_file(tmp_path):
    assert "could not be found" in reason(tmp_path / "nothing.xlsx")


def test_empty_file(tmp_path):
    path = tmp_path / "empty.xlsx"
    path.write_bytes(b"")
    assert "empty" in reason(path)


def test_too_large(valid_xlsx):
    assert "larger than the 1000 bytes allowed" in reason(valid_xlsx, Limits(max_file_bytes=1000))


# --- other file types --------------------------------------------------------

CFB_HEADER = bytes.fromhex("D0CF11E0A1B11AE1") + bytes(504)


def test_old_xls(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(CFB_HEADER + "Workbook".encode("utf-16-le") + bytes(2000))
    assert "old .xls Excel 97-2003" in reason(path)


def test_password_protected_workbook(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(CFB_HEADER + os.urandom(300_000) + "EncryptedPackage".encode("utf-16-le") + bytes(64))
    assert "password-protected (encrypted)" in reason(path)


@pytest.mark.parametrize("content, phrase", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF document"),
    (b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", "web page (HTML)"),
    (b'\xef\xbb\xbf<html xmlns:o="urn:schemas-microsoft-com:office:office"><body>', "web page (HTML)"),
    (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook/>', "XML file"),
    (b"Employer,Sector,Hires\r\nAcme Tooling,Manufacturing,12\r\n", "CSV or plain-text"),
    ("Employer\tSector\r\nÅcme\tMfg\r\n".encode("utf-16"), "CSV or plain-text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "not in .xlsx format"),
])
def test_other_file_types(tmp_path, content, phrase):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(content)
    assert phrase in reason(path)


# --- damaged zips ------------------------------------------------------------

def test_truncated_workbook(valid_xlsx, tmp_path):
    data = valid_xlsx.read_bytes()
    path = tmp_path / "cut.xlsx"
    path.write_bytes(data[: len(data) // 2])
    assert "damaged or incomplete" in reason(path)


def test_bad_crc(tmp_path):
    path = write_zip(tmp_path / "crc.xlsx", xlsx_parts(**{"xl/sharedStrings.xml": "<sst>" + "x" * 5000 + "</sst>"}),
                     zipfile.ZIP_STORED)
    data = bytearray(path.read_bytes())
    data[data.index(b"xxxxx")] = ord("y")
    path.write_bytes(bytes(data))
    assert "damaged or incomplete" in reason(path)


def test_duplicate_part_names(tmp_path):
    path = write_zip(tmp_path / "dup.xlsx", xlsx_parts())
    with pytest.warns(UserWarning), zipfile.ZipFile(path, "a") as zf:
        zf.writestr("xl/workbook.xml", workbook_xml())
    assert "damaged or incomplete" in reason(path)


# --- zips that are not plain .xlsx workbooks -----------------------------------

def test_plain_zip(tmp_path):
    assert "zip archive" in reason(write_zip(tmp_path / "a.xlsx", {"report.csv": "a,b\n1,2\n"}))


def test_ods(tmp_path):
    path = tmp_path / "sheet.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
        zf.writestr("META-INF/manifest.xml", "<manifest:manifest/>", zipfile.ZIP_DEFLATED)
    assert "OpenDocument spreadsheet (.ods" in reason(path)


def test_docx(tmp_path):
    parts = {"[Content_Types].xml": content_types(), "word/document.xml": "<w:document/>"}
    assert "Word document (.docx)" in reason(write_zip(tmp_path / "d.xlsx", parts))


def test_pptx(tmp_path):
    parts = {"[Content_Types].xml": content_types(), "ppt/presentation.xml": "<p:presentation/>"}
    assert "PowerPoint presentation" in reason(write_zip(tmp_path / "p.xlsx", parts))


def test_office_package_without_workbook(tmp_path):
    visio = content_types("application/vnd.ms-visio.drawing.main+xml").replace("/xl/workbook.xml", "/visio/document.xml")
    parts = {"[Content_Types].xml": visio, "visio/document.xml": "<VisioDocument/>",
             "docProps/core.xml": "<cp:coreProperties/>"}
    assert "Office file but not an Excel workbook" in reason(write_zip(tmp_path / "o.xlsx", parts))
    declared = {"[Content_Types].xml": content_types(), "docProps/core.xml": "<cp:coreProperties/>"}
    assert "parts are not where Excel puts them" in reason(write_zip(tmp_path / "d.xlsx", declared))


def test_xlsm_with_vba_project(valid_xlsx, tmp_path):
    path = rewrite(valid_xlsx, tmp_path / "m.xlsx", **{"xl/vbaProject.bin": CFB_HEADER})
    assert "contains macros" in reason(path)


def test_xlsm_by_content_type(tmp_path):
    macro_type = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    path = write_zip(tmp_path / "m.xlsx", xlsx_parts(**{"[Content_Types].xml": content_types(macro_type)}))
    assert "contains macros" in reason(path)


def test_xlsb(tmp_path):
    binary_type = "application/vnd.ms-excel.sheet.binary.macroEnabled.main"
    path = write_zip(tmp_path / "b.xlsx", xlsx_parts(**{"[Content_Types].xml": content_types(binary_type)}))
    assert "Excel Binary Workbook (.xlsb)" in reason(path)
    parts = {"[Content_Types].xml": content_types(), "xl/workbook.bin": b"\x83\x01\x00"}
    assert "Excel Binary Workbook (.xlsb)" in reason(write_zip(tmp_path / "b2.xlsx", parts))


def test_strict_open_xml(tmp_path):
    path = write_zip(tmp_path / "s.xlsx", xlsx_parts(**{"xl/workbook.xml": workbook_xml(STRICT_NS)}))
    text = reason(path)
    assert '"Strict Open XML Spreadsheet"' in text and '"Excel Workbook (.xlsx)"' in text


# --- hostile zips --------------------------------------------------------------

def test_too_many_parts(tmp_path):
    extra = {f"xl/media/image{i}.png": b"" for i in range(20)}
    assert "more than 10 internal parts" in reason(write_zip(tmp_path / "n.xlsx", xlsx_parts(**extra)),
                                                   Limits(max_members=10))
    extra = {f"x/{i}": b"" for i in range(2100)}
    assert "more than 2000 internal parts" in reason(write_zip(tmp_path / "n2.xlsx", xlsx_parts(**extra)))


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
    assert "locked with a zip password" in reason(path)


def test_unusual_compression(tmp_path):
    assert "compression method" in reason(write_zip(tmp_path / "bz.xlsx", xlsx_parts(), zipfile.ZIP_BZIP2))


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
        text = reason(gigabyte_bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "zip bomb" in text and "more than 100 MB" in text
    assert peak < 32 << 20


def test_zip_bomb_with_area_limits(gigabyte_bomb):
    assert "zip bomb" in reason(gigabyte_bomb, Limits(max_rows=200, max_cols=10))


def test_compression_ratio_bomb(tmp_path):
    path = zero_stream_zip(tmp_path / "r.xlsx", {"xl/worksheets/sheet1.xml": 30 << 20})
    assert "squeezed more than 200 times" in reason(path)


def test_total_expanded_size(tmp_path):
    path = zero_stream_zip(tmp_path / "t.xlsx", {f"xl/media/image{i}.png": 2 << 20 for i in range(3)})
    limits = Limits(max_uncompressed_bytes=5 << 20, max_ratio=1e9)
    check_package(path, Limits(max_ratio=1e9))
    assert "expand to more than 5 MB" in reason(path, limits)


BILLION_LAUGHS = ('<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
                  + "".join(f' <!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">\n'
                            for i in range(1, 10))
                  + f']>\n<worksheet xmlns="{MAIN_NS}"><sheetData><row r="1"><c r="A1" t="inlineStr">'
                  '<is><t>&lol9;</t></is></c></row></sheetData></worksheet>')


def test_billion_laughs_in_valid_workbook(valid_xlsx, tmp_path):
    path = rewrite(valid_xlsx, tmp_path / "lol.xlsx", **{"xl/worksheets/sheet1.xml": BILLION_LAUGHS})
    assert "hidden XML instructions" in reason(path)
    assert "hidden XML instructions" in reason(path, Limits(max_rows=200, max_cols=10))


@pytest.mark.parametrize("xml", [
    '<?xml version="1.0"?><!doctype x SYSTEM "http://attacker.example/x.dtd"><x/>'.encode(),
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE x [<!ENTITY e "e">]><x>&e;</x>'.encode("utf-16"),
    '<x><!ENTITY e "e"></x>'.encode(),
])
def test_doctype_and_entity_declarations(tmp_path, xml):
    path = write_zip(tmp_path / "dtd.xlsx", xlsx_parts(**{"xl/styles.xml": xml}))
    assert "hidden XML instructions" in reason(path)


def test_doctype_split_across_chunks(tmp_path):
    padding = os.urandom(CHUNK // 2).hex().encode()[: CHUNK - 4]   # incompressible, so no bomb alarm
    parts = xlsx_parts(**{"xl/customXml/item1.xml": padding + b"<!DOCTYPE x []><x/>"})
    assert "hidden XML instructions" in reason(write_zip(tmp_path / "split.xlsx", parts, zipfile.ZIP_STORED))


@pytest.mark.parametrize("start", [
    b'<?xml version="1.0" encoding="UTF-7"?><worksheet/>',
    b'<?xml version="1.0" encoding="cp037"?><worksheet/>',
    "<worksheet/>".encode("utf-32"),
])
def test_unusual_text_encoding(tmp_path, start):
    path = write_zip(tmp_path / "enc.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": start}))
    assert "text encoding that Excel never uses" in reason(path)


# --- template area -------------------------------------------------------------

AREA = Limits(max_rows=200, max_cols=10)


def test_cell_far_outside_template(valid_xlsx, tmp_path):
    workbook = openpyxl.load_workbook(valid_xlsx)
    workbook.active["XFD1048576"] = "hidden"
    path = tmp_path / "far.xlsx"
    workbook.save(path)
    text = reason(path, AREA)
    assert "outside the template area (rows 1 to 200 and columns A to J)" in text and "XFD1048576" in text
    check_package(path)   # without an area, the same file is fine


@pytest.mark.parametrize("rows, dimension, where", [
    ('<row r="1"><c r="XFD1048576"><v>1</v></c></row>', "A1", "cell XFD1048576"),
    ('<row r="1"><c r="K1"><v>1</v></c></row>', "A1", "cell K1"),
    ('<row r="201"><c r="A201"><v>1</v></c></row>', "A1", "row 201"),
    ('<row r="1"/>', "A1:Z5", "cell Z5"),
    ('<row r="1"/>', "A:Z", "column Z"),
    # things a naive regex would miss: '>' inside a quoted attribute, a character reference, a prefix
    ('<row r="1"><c note="a>b" r="XFD1"><v>1</v></c></row>', "A1", "cell XFD1"),
    ('<row r="1"><c r="&#88;FD1"><v>1</v></c></row>', "A1", "cell XFD1"),
    ('<row r="1"><x:c xmlns:x="urn:x" r="ZZ1"/></row>', "A1", "cell ZZ1"),
    # cells and rows without r= follow the previous position
    ('<row r="1"><c r="J1"/><c/></row>', "A1", "cell K1"),
    ('<row r="200"/><row/>', "A1", "row 201"),
])
def test_outside_template_area(tmp_path, rows, dimension, where):
    path = write_zip(tmp_path / "area.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": sheet_xml(rows, dimension)}))
    text = reason(path, AREA)
    assert "outside the template area" in text and f"at {where}," in text


def test_area_limits_one_direction_only(tmp_path):
    rows = '<row r="1"><c r="XFD1"/></row><row r="2"><c r="A2"/></row>'
    path = write_zip(tmp_path / "wide.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": sheet_xml(rows)}))
    check_package(path, Limits(max_rows=2))
    assert "(columns A to J)" in reason(path, Limits(max_cols=10))


def test_worksheet_found_by_content_not_by_name(tmp_path):
    rows = '<row r="1"><c r="XFD1"/></row>'
    path = write_zip(tmp_path / "hid.xlsx", xlsx_parts(**{"xl/elsewhere/data.bin": sheet_xml(rows)}))
    assert "outside the template area" in reason(path, AREA)


def test_damaged_worksheet_with_area_limits(tmp_path):
    broken = sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')[:-20]
    path = write_zip(tmp_path / "broken.xlsx", xlsx_parts(**{"xl/worksheets/sheet1.xml": broken}))
    assert "sheet inside the workbook is damaged" in reason(path, AREA)


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
    assert "Excel Binary Workbook (.xlsb)" in reason(path) and "macro" not in reason(path)


def test_an_apple_numbers_file_is_named(tmp_path):
    path = write_zip(tmp_path / "Budget.xlsx", {"Index/Document.iwa": bytes(300), "Index/Tables/DataList.iwa": bytes(80),
                                               "Metadata/Properties.plist": b"bplist00", "preview.jpg": b"\xff\xd8"})
    assert "Apple Numbers file" in reason(path) and "Export To" in reason(path)


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
    assert "OpenDocument spreadsheet (.ods) protected with a password" in reason(path)
    plain = write_zip(tmp_path / "plain.ods", {**parts, "META-INF/manifest.xml": manifest.split("<manifest:encryption")[0]
                                               + "</manifest:file-entry></manifest:manifest>"}, zipfile.ZIP_STORED)
    assert "password" not in reason(plain) and "OpenDocument spreadsheet" in reason(plain)


def test_a_workbook_whose_parts_sit_at_unusual_paths_is_called_unusual_not_another_office_file(tmp_path):
    rels = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="data/book.xml"/></Relationships>')
    path = write_zip(tmp_path / "odd.xlsx", {
        "[Content_Types].xml": content_types().replace("/xl/workbook.xml", "/data/book.xml"), "_rels/.rels": rels,
        "data/book.xml": workbook_xml(), "data/sheets/one.xml": sheet_xml('<row r="1"><c r="A1"><v>1</v></c></row>')})
    assert "its parts are not where Excel puts them" in reason(path) and "not an Excel workbook" not in reason(path)
