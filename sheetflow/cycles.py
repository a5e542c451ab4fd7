"""Cycles in time order, once for every command: rollup, status, mail and the follow-up of earlier plans.

A cycle is whatever a convener stamps (``2026``, ``2025-26``, ``R9``): numbers inside it compare as
numbers, so ``R9`` comes before ``R10`` and ``2025-26`` before ``2026-27``. docs/cycles.md says how the
cycle in view is chosen.
"""

from __future__ import annotations

import math
import re
from typing import Iterable


def cycle_key(cycle: object) -> tuple:
    """Cycles in time order: numbers inside a cycle compare as numbers ("2025-26" before "2026-27", "R9" before
    "R10")."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part)
                 for part in re.findall(r"\d+|\D+", str(cycle)))


def ordered(cycles: Iterable) -> list[str]:
    """The distinct cycles, earliest first (blanks left out)."""
    return sorted({str(c) for c in cycles if c is not None and not (isinstance(c, float) and math.isnan(c))
                   and str(c).strip()}, key=cycle_key)


def latest(cycles: Iterable) -> str | None:
    """The latest of ``cycles`` (None if there is none)."""
    found = ordered(cycles)
    return found[-1] if found else None


def before(cycle: object, later: object) -> bool:
    """Whether ``cycle`` comes before ``later``."""
    return cycle_key(cycle) < cycle_key(later)
