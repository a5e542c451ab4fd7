"""sniff: what a returned file is before it is opened as a zip (OLE2 compound files by what they hold);
every file is built here, from bytes."""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

import pytest

from hostile import CFB_HEADER, reason
from sheetflow.intake.package import Rejected, check_package

FREE, END, FAT_SECTOR, NO_STREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
SECTOR = 512


def compound_file(entries: dict) -> bytes:
    """A small OLE2 compound file (version 3, 512-byte sectors) as Office writes one, standard library only.

    ``entries``: name -> bytes (a stream) or a dict of the same (a storage). Each stream is padded to
    4096 bytes so that it lives in regular sectors (no mini stream).
    """
    flat = []  # (name, type, data, children indexes); index 0 is the root

    def add(name, value) -> int:
        index = len(flat)
        flat.append([name, 1 if isinstance(value, dict) else 2, b"" if isinstance(value, dict) else value, []])
        if isinstance(value, dict):
            flat[index][3] = [add(n, v) for n, v in value.items()]
        return index

    flat.append(["Root Entry", 5, b"", []])
    flat[0][3] = [add(n, v) for n, v in entries.items()]
    streams = {i: e[2].ljust(max(4096, -(-len(e[2]) // SECTOR) * SECTOR), b"\0") for i, e in enumerate(flat)
               if e[1] == 2}
    dir_sectors = -(-len(flat) // 4)
    fat = [FAT_SECTOR] + [i + 2 for i in range(dir_sectors - 1)] + [END]
    starts = {}
    for i, data in streams.items():
        starts[i] = len(fat)
        count = len(data) // SECTOR
        fat += [len(fat) + k + 1 for k in range(count - 1)] + [END]
    assert len(fat) <= SECTOR // 4, "one FAT sector is enough for these fixtures"
    fat += [FREE] * (SECTOR // 4 - len(fat))
    directory = b""
    for i, (name, kind, data, children) in enumerate(flat):
        encoded = name.encode("utf-16-le") + b"\0\0"
        right = NO_STREAM
        for parent in flat:
            if i in parent[3] and parent[3].index(i) + 1 < len(parent[3]):
                right = parent[3][parent[3].index(i) + 1]
        directory += (encoded.ljust(64, b"\0") + struct.pack("<HBB3I", len(encoded), kind, 1, NO_STREAM, right,
                                                             children[0] if children else NO_STREAM)
                      + bytes(16 + 4 + 16) + struct.pack("<II", starts.get(i, END), len(data)) + bytes(4))
    directory = directory.ljust(dir_sectors * SECTOR, b"\0")
    header = (bytes.fromhex("D0CF11E0A1B11AE1") + bytes(16)
              + struct.pack("<HHHHH6xIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, 0, 1, 1, 0, 4096, END, 0, END, 0)
              + struct.pack("<109I", 0, *[FREE] * 108))
    assert len(header) == SECTOR
    return header + struct.pack(f"<{SECTOR // 4}I", *fat) + directory + b"".join(streams.values())


def biff8(*records) -> bytes:
    """A BIFF8 workbook stream: BOF (workbook globals), the records given, a shared-strings record (so the
    stream is as long as a real one, above the 4096 bytes of the mini stream), EOF."""
    bof = struct.pack("<HH", 0x0809, 16) + struct.pack("<HHHHII", 0x0600, 0x0005, 0x2775, 0x07CD, 0, 0x206)
    records += ((0x00FC, struct.pack("<II", 0, 0) + bytes(4200)),)
    return bof + b"".join(struct.pack("<HH", kind, len(data)) + data for kind, data in records) + b"\x0a\x00\x00\x00"


FILEPASS = (0x002F, struct.pack("<HHH", 1, 1, 2) + bytes(48))  # RC4, CryptoAPI header follows (abridged)
CODEPAGE = (0x0042, struct.pack("<H", 1200))


def rejected(path) -> Rejected:
    with pytest.raises(Rejected) as caught:
        check_package(path)
    return caught.value


@pytest.mark.parametrize("entries, code, phrase", [
    ({"Workbook": biff8(CODEPAGE), "\x05SummaryInformation": bytes(200)}, "old-xls", "old .xls Excel 97-2003"),
    ({"Book": biff8(CODEPAGE)}, "old-xls", "old .xls Excel 97-2003"),
    ({"Workbook": biff8(FILEPASS, CODEPAGE)}, "encrypted", ".xls Excel 97-2003 file protected with a password"),
    ({"WordDocument": bytes(5000), "1Table": bytes(100), "\x05SummaryInformation": bytes(200)},
     "compound-file", "Word 97-2003 document (.doc)"),
    ({"PowerPoint Document": bytes(100), "Current User": bytes(20)}, "compound-file", "PowerPoint 97-2003"),
    ({"NativeContent_MAIN": bytes(100)}, "compound-file", "Quattro Pro"),
    ({"PROJECT": b"ID=\"{0}\"\r\n", "PROJECTwm": bytes(10), "VBA": {"_VBA_PROJECT": bytes(7), "dir": bytes(300),
                                                                   "ThisWorkbook": bytes(900)}},
     "compound-file", "macro project (vbaProject.bin)"),
])
def test_a_compound_file_is_named_by_what_it_holds(tmp_path, entries, code, phrase):
    path = tmp_path / "returned.xlsx"
    path.write_bytes(compound_file(entries))
    found = rejected(path)
    assert (found.code, phrase in found.reason) == (code, True), found.reason
    if code == "compound-file":
        assert ".xls" not in found.reason.replace(".xlsx", "")


@pytest.mark.parametrize("version, kind", [(0x0009, 0x0010), (0x0209, 0x0010), (0x0409, 0x0010), (0x0409, 0x0100)])
def test_an_excel_2_to_4_file_is_an_old_excel_file(tmp_path, version, kind):
    length = 4 if version == 0x0009 else 6
    bof = struct.pack("<HHHH", version, length, 0, kind) + bytes(length - 4)
    number = struct.pack("<HHHHHd", 0x0203, 14, 0, 0, 15, 42.0)  # NUMBER in A1
    path = tmp_path / "ledger.xls"
    path.write_bytes(bof + number + b"\x0a\x00\x00\x00")
    found = rejected(path)
    assert found.code == "old-excel" and "Excel 2.x-4.0" in found.reason and "not an Excel workbook" not in found.reason


# --- not a regular file ------------------------------------------------------

def test_directory(tmp_path):
    assert "folder" in reason(tmp_path, code="folder")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this platform")
def test_named_pipe_is_never_opened(tmp_path):
    fifo = tmp_path / "partner.xlsx"
    os.mkfifo(fifo)
    assert "named pipe" in reason(fifo, code="not-a-file")   # would hang forever if the pipe were opened


@pytest.mark.skipif(not os.path.exists("/dev/null"), reason="no /dev/null")
def test_device():
    assert "device" in reason(Path("/dev/null"), code="not-a-file")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_broken_symlink(tmp_path):
    link = tmp_path / "link.xlsx"
    link.symlink_to(tmp_path / "gone.xlsx")
    assert "no longer exists" in reason(link, code="not-found")


def test_missing_file(tmp_path):
    assert "could not be found" in reason(tmp_path / "nothing.xlsx", code="not-found")


# --- other file types --------------------------------------------------------

def test_old_xls(tmp_path):
    path = tmp_path / "old.xlsx"
    path.write_bytes(CFB_HEADER + "Workbook".encode("utf-16-le") + bytes(2000))
    assert "old .xls Excel 97-2003" in reason(path, code="old-xls")


def test_password_protected_workbook(tmp_path):
    path = tmp_path / "locked.xlsx"
    path.write_bytes(CFB_HEADER + os.urandom(300_000) + "EncryptedPackage".encode("utf-16-le") + bytes(64))
    assert "password-protected (encrypted)" in reason(path, code="encrypted")


@pytest.mark.parametrize("content, code, phrase", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "pdf", "PDF document"),
    (b"<!DOCTYPE html><html><body><table><tr><td>1</td></tr></table></body></html>", "html", "web page (HTML)"),
    (b'\xef\xbb\xbf<html xmlns:o="urn:schemas-microsoft-com:office:office"><body>', "html", "web page (HTML)"),
    (b'<?xml version="1.0"?><?mso-application progid="Excel.Sheet"?><Workbook/>', "xml-file", "XML file"),
    (b"Employer,Sector,Hires\r\nAcme Tooling,Manufacturing,12\r\n", "csv-file", "CSV or plain-text"),
    ("Employer\tSector\r\nÅcme\tMfg\r\n".encode("utf-16"), "csv-file", "CSV or plain-text"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(100), "not-xlsx", "not in .xlsx format"),
])
def test_other_file_types(tmp_path, content, code, phrase):
    path = tmp_path / "renamed.xlsx"
    path.write_bytes(content)
    assert phrase in reason(path, code=code)
