"""Text from outside (mail subjects, senders, attachment names) made safe to print on a terminal.

    shown("Invoice\\x1b]0;pwned\\x07")   # 'Invoice\\\\x1b]0;pwned\\\\x07': no escape sequence reaches the terminal

The files and ledgers keep the real text; only what is printed is escaped.
"""

from __future__ import annotations

import unicodedata

# Bidirectional controls: they reorder what follows on the line (a name ending "xlsx.exe" shown as "exe.xlsx").
BIDI = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(text: object, limit: int | None = 300) -> str:
    """``text`` with control characters (C0, DEL, C1), bidirectional controls and other invisible format
    characters written as ``\\xNN`` / ``\\uNNNN``, and cut to ``limit`` characters (None: not cut)."""
    value = str(text if text is not None else "")
    if limit is not None and len(value) > limit:
        value = value[:limit] + "..."
    return "".join(_escaped(c) for c in value)


def _escaped(c: str) -> str:
    code = ord(c)
    if code < 0x20 or 0x7F <= code <= 0x9F:
        return f"\\x{code:02x}"
    if c in BIDI or (code > 0x9F and unicodedata.category(c) in ("Cf", "Zl", "Zp", "Cs", "Co")):
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return c
