"""Text in a cell as sheetflow writes it itself: the same <t> element xlsxwriter (and Excel) write."""

import io
import re
import zipfile

import xlsxwriter
from hypothesis import given, settings
from hypothesis import strategies as st

from sheetflow.cell_text import excel_escaped, t_element

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40) | st.sampled_from(
    ["_x0041_", "a_x000D_b", " lead", "trail ", "\tTab", "line\n", "\x01\x0b\x1f", "&<>\"'", "\ufffe\uffff", "=1+2"])


def xlsxwriter_si(text: str) -> str:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    book.add_worksheet().write_string(0, 0, text)
    book.close()
    with zipfile.ZipFile(buffer) as z:
        strings = z.read("xl/sharedStrings.xml").decode("utf-8")
    return re.search(r"<si>.*</si>", strings, re.S).group()


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_the_t_element_is_what_xlsxwriter_writes(text):
    if text.startswith("<r>") and text.endswith("</r>"):  # xlsxwriter's rich-string shortcut; never ours
        return
    assert f"<si>{t_element(text)}</si>" == xlsxwriter_si(text)


def test_escapes():
    assert excel_escaped("_x0041_") == "_x005F_x0041_"
    assert excel_escaped("a\x01b") == "a_x0001_b"
    assert t_element(" a") == '<t xml:space="preserve"> a</t>'
    assert t_element("=A1&B1") == "<t>=A1&amp;B1</t>"
