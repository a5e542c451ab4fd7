"""File names every system accepts and the one email rule (sheetflow.names)."""

import string
import unicodedata

import pytest
from hypothesis import given, settings, strategies as st
from pathvalidate import is_valid_filename

from sheetflow.names import MAX_NAME, is_email, is_reserved, safe_file_name, safe_part, unique_name

# Windows' device names, written out here rather than taken from the code under test.
DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)), *(f"LPT{i}" for i in range(10))}
REFUSED = set('<>:"/\\|?*') | {chr(c) for c in range(32)} | {"\x7f"}


def acceptable(name: str, limit: int = MAX_NAME) -> bool:
    """What Windows and macOS need of a file name, checked by hand and by pathvalidate."""
    return (0 < len(name) <= limit and len(name.encode("utf-8")) <= 255
            and not set(name) & REFUSED and name == name.strip(" ") and not name.endswith(".")
            and not name.startswith(".") and name.split(".")[0].strip().upper() not in DEVICES
            and is_valid_filename(name, platform="windows") and is_valid_filename(name, platform="macos"))


@pytest.mark.parametrize("name, safe", [
    ("CON", "_CON"), ("con.txt", "_con.txt"), ("PRN.tar.gz", "_PRN.tar.gz"), ("Aux.eml", "_Aux.eml"),
    ("NUL .xlsx", "_NUL.xlsx"), ("COM1.xlsx", "_COM1.xlsx"), ("lpt1.eml", "_lpt1.eml"), ("COM0", "_COM0"),
    ("CONSOLE.txt", "CONSOLE.txt"), ("CON - Workbook.xlsx", "CON - Workbook.xlsx"), ("COM10.x", "COM10.x"),
])
def test_device_names_get_an_underscore_with_any_extension(name, safe):
    assert safe_file_name(name) == safe and acceptable(safe)


@pytest.mark.parametrize("name, safe", [
    ('North: Plains/"A" <HQ>?.xlsx', "North Plains A HQ.xlsx"),
    ("report. . .xlsx", "report.xlsx"), ("name. ", "name"), ("  .hidden", "file.hidden"), ("a/.eml", "a.eml"),
    ("Tab\there\r\nnow.eml", "Tab here now.eml"), ("", "file"), ("...", "file"), ("?*.eml", "file.eml"),
    ("Cafe\u0301.xlsx", "Caf\u00e9.xlsx"),  # composed, as macOS stores names
])
def test_refused_characters_and_trailing_dots_and_spaces_go(name, safe):
    assert safe_file_name(name) == safe and acceptable(safe)


def test_long_names_are_cut_keeping_the_extension():
    assert safe_file_name("x" * 400 + ".eml") == "x" * 146 + ".eml"
    assert safe_file_name("ab. " * 100 + "c.xlsx", limit=20) == "ab. ab. ab. ab.xlsx"  # no dot left before it
    wide = safe_file_name("\U0001F600" * 100 + ".eml")  # 4 bytes each: the 255-byte limit comes first
    assert wide.endswith(".eml") and len(wide.encode("utf-8")) <= 255 and acceptable(wide)
    assert safe_file_name("é" * 300) == "é" * 127  # 2 bytes each


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=300), st.sampled_from(["", ".eml", ".xlsx", ".txt"]))
def test_any_text_becomes_a_name_windows_and_macos_accept(text, extension):
    name = safe_file_name(text + extension)
    assert acceptable(name)
    assert safe_file_name(name) == name  # already safe: unchanged
    if extension and safe_part(text) and len(text) < 100:
        assert name.endswith(extension)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_part_keeps_every_allowed_character_and_no_refused_one(text):
    part = safe_part(text)
    assert not set(part) & REFUSED and part == part.strip(" .") and "  " not in part
    kept = [c for c in unicodedata.normalize("NFC", text) if c not in REFUSED and not c.isspace() and c != "."]
    assert all(c in part for c in kept if c.isprintable())


def test_is_reserved_reads_the_name_as_windows_does():
    assert is_reserved("nul.tar.gz") and is_reserved("COM9 ") and not is_reserved("_NUL") and not is_reserved("NULL")


def test_unique_names_ignore_case_and_prefer_the_cycle():
    taken = {"a.xlsx", "a (2026).xlsx"}
    assert unique_name("b.xlsx", taken) == "b.xlsx"
    assert unique_name("A.xlsx", taken) == "A (2).xlsx"
    assert unique_name("A.xlsx", {"a.xlsx"}, cycle="2026") == "A (2026).xlsx"
    assert unique_name("A.xlsx", taken, cycle="2026") == "A (2).xlsx"


# -- the email rule ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("address", [
    "ana@example.org", "PShah@rrtc.example.edu", "ana.lopez+board@prairiewb.example.org", "o'connor@example.org",
    "ana_lopez@sub.example.co.uk", "jose\u0301@example.org", "ana@ex-ample.org",
])
def test_plain_addresses_are_email(address):
    assert is_email(address)


@pytest.mark.parametrize("address", [
    "ana:x@example.org",  # a colon before the @ (the roster used to take it)
    "ana@ex..org",  # an empty label in the domain (mail used to take it)
    "", "ana", "ana@", "@example.org", "ana@example", "ana@localhost", "a b@example.org", " ana@example.org",
    "ana@example.org\r\nBcc: eve@example.org", "Ana <ana@example.org>", "ana@example.org, ben@example.org",
    "ana@example.org;ben@example.org", '"ana"@example.org', "ana@[127.0.0.1]", "ana@@example.org",
    "ana.@example.org", ".ana@example.org", "ana@-example.org", "ana@example.invalid", None, 42,
])
def test_anything_else_is_not(address):
    assert not is_email(address)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "äé\u00a0\u2028", max_size=40))
def test_an_email_is_one_address_that_cannot_add_a_header(text):
    if is_email(text):
        local, domain = text.split("@")
        assert local and "." in domain
        assert not any(c.isspace() or c in ',;<>()[]"\\:' for c in text)
