"""Words for people, shared by every stage: names as compared, counted nouns, text cut to a column."""

from __future__ import annotations

from collections.abc import Sized


def name_key(value: object) -> str:
    """A name as compared: case, spacing and missing values do not matter ("Ana  lopez" is "ana lopez")."""
    return "" if value is None else " ".join(str(value).casefold().split())


def plural(items: int | Sized, noun: str) -> str:
    """"3 errors", "1 error": ``items`` is a count or what to count."""
    n = items if isinstance(items, int) else len(items)
    return f"{n} {noun}{'' if n == 1 else 's'}"


def fit(text: str, width: int) -> str:
    """``text`` cut to ``width`` characters for a terminal column, ending in an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


NUMBER_WORDS = ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")


def number_word(n: int) -> str:
    """A small count in words ("five"), as text says it; figures from 11 on."""
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)
