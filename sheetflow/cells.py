"""Cell references: column letters and numbers, and "D31"-style names (the one copy for every stage)."""

from __future__ import annotations


def column_number(letters: str) -> int:
    """Spreadsheet column letters to a 1-based number: "A" -> 1, "AA" -> 27, "XFD" -> 16384."""
    if not (letters.isascii() and letters.isalpha()):
        raise ValueError(f"not spreadsheet column letters: {letters!r}")
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def column_letters(number: int) -> str:
    """A 1-based column number to its letters: 1 -> "A", 27 -> "AA" (the reverse of ``column_number``)."""
    letters = ""
    while number > 0:
        number, rest = divmod(number - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def cell_name(row: int, col: int) -> str:
    """(31, 4) -> "D31" (1-based row and column)."""
    return f"{column_letters(col)}{row}"
