"""Names and addresses sheetflow writes for people: file names every system accepts, and the email rule.

    safe_file_name('Acme: "North"/South.xlsx')   # 'Acme North South.xlsx'
    safe_file_name("CON.eml")                    # '_CON.eml'
    is_email("ana@example.org")                  # True

Which characters and names Windows and macOS refuse is pathvalidate's knowledge; what an
email address may look like is email-validator's (syntax only: no DNS look-up, so it works
offline and gives the same answer every time).
"""

from __future__ import annotations

import functools
import itertools
import os
import unicodedata

from email_validator import EmailNotValidError, validate_email
from pathvalidate import FileNameValidator, is_valid_filename

MAX_NAME = 150  # characters in a file name, extension included: room for the folder within Windows' 260
MAX_BYTES = 255  # what macOS and Linux allow for one name, in UTF-8 bytes (Windows: 255 UTF-16 units, fewer)
MAX_EXTENSION = 16  # a longer ".something" is part of the name, not an extension
RESERVED = frozenset(FileNameValidator(platform="universal").reserved_keywords)  # CON, NUL, COM1, LPT1...


def safe_part(text: object) -> str:
    """Text for a file name (or part of one) that Windows and macOS both accept, readably.

    Characters either system refuses, and control characters, become spaces; runs of spaces
    become one; leading and trailing spaces and dots go (Windows drops trailing ones, and a
    leading dot hides a file on macOS). Accents are composed (NFC), as macOS stores them.
    """
    return _spaced(text).strip(" .")


def _spaced(text: object) -> str:
    """``text`` with refused and control characters as single spaces; dots stay where they are."""
    text = unicodedata.normalize("NFC", str(text))
    return " ".join("".join(" " if _refused(c) else c for c in text).split())


@functools.lru_cache(maxsize=4096)
def _refused(character: str) -> bool:
    """Whether Windows or macOS refuses ``character`` in a file name (control characters are refused too)."""
    if unicodedata.category(character) in ("Cc", "Cs"):
        return True
    return not is_valid_filename(f"a{character}a", platform="universal")


def is_reserved(stem: str) -> bool:
    """Whether Windows takes a name for a device (CON, NUL, COM1...), as it does with any extension or
    trailing spaces ("con.txt", "NUL .eml")."""
    return stem.split(".")[0].strip(" ").upper() in RESERVED


def safe_file_name(name: str, limit: int = MAX_NAME, fallback: str = "file") -> str:
    """``name`` as a file name any system accepts: its characters made safe (see ``safe_part``), a
    device name prefixed with "_", and at most ``limit`` characters (and 255 bytes), the extension
    kept. A name that is only an extension (".xlsx") gets ``fallback`` before it."""
    text = _spaced(name)
    stem, dot, extension = text.rpartition(".")
    if not dot or not extension or len(extension) >= MAX_EXTENSION or " " in extension:
        stem, extension = text, ""
    else:
        extension = "." + extension
    stem = stem.strip(" .") or safe_part(fallback) or "file"
    room = max(limit - len(extension), 1)
    stem = stem[:room].rstrip(" .") or "_"
    if is_reserved(stem):
        stem = ("_" + stem)[:room].rstrip(" .")
    while len((stem + extension).encode("utf-8")) > MAX_BYTES:  # long accented or CJK names
        stem = stem[:-1].rstrip(" .") or "_"
    return stem + extension


def unique_name(name: str, taken: set[str], cycle: str | None = None) -> str:
    """``name``, or ``name (cycle)`` / ``name (2)``... when a file of that name (in any case) is in ``taken``
    (names already in use, casefolded). The caller adds the name it uses to ``taken``."""
    stem, extension = os.path.splitext(name)
    candidates = itertools.chain([name], [f"{stem} ({cycle}){extension}"] if cycle else [],
                                 (f"{stem} ({n}){extension}" for n in itertools.count(2)))
    return next(c for c in candidates if c.casefold() not in taken)


def is_email(text: object) -> bool:
    """One plain address a mail server accepts (``name@example.org``): no display name, quoting, comment or
    IP literal, nothing that could add a header or a second address. The domain is not looked up."""
    if not isinstance(text, str):
        return False
    try:
        validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return False
    return True
