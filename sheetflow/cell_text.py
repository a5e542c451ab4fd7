"""Text as a workbook stores it in a cell: Excel's ``_xHHHH_`` escapes, XML escaping, kept spaces.

One copy for every part sheetflow writes itself (the roll-up's table sheets, personalised copies), the
same rules Excel and xlsxwriter apply, so that readers get back exactly the text that was written.
"""

from __future__ import annotations

import re

_ESCAPED_ALREADY = re.compile(r"(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")


def excel_escaped(text: str) -> str:
    """``text`` with control characters and the non-characters U+FFFE/U+FFFF as ``_xHHHH_``, and text that
    already looks like such an escape with its ``_`` escaped (``_x0041_`` -> ``_x005F_x0041_``)."""
    if "_x" in text:
        text = _ESCAPED_ALREADY.sub(r"_x005F\1", text)
    if not text.isprintable():  # control characters are rare: skip the search for most text
        text = _CONTROL.sub(lambda m: f"_x{ord(m.group()):04X}_", text)
        text = text.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
    return text


def xml_escaped(text: str) -> str:
    """``text`` for an XML element's content (quotes need no escaping there)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def space_attribute(text: str) -> str:
    """``' xml:space="preserve"'`` when ``text`` begins or ends with white space (else XML would drop it)."""
    # str.isspace is the regular expression \s (Unicode white space); a pattern for "\s$" would scan the whole text
    return ' xml:space="preserve"' if text[:1].isspace() or text[-1:].isspace() else ""


def t_element(text: str) -> str:
    """The ``<t>`` element holding ``text`` in a shared or inline string."""
    escaped = excel_escaped(text)
    return f"<t{space_attribute(escaped)}>{xml_escaped(escaped)}</t>"
