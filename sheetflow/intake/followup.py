"""The follow-up of last cycle's plan in a returned action plan (version 1.1 on), checked row by row.

Row r of ``e{k}_progress`` answers row r of ``e{k}_previous`` (last cycle's actions, written by
sheetflow and locked). A progress or note given for a row that had no action is an error with its
cell; an action whose progress is not chosen is a warning; a progress that is not one of the list's
choices, or a formula, is an error.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .codes import Code, Finding

if TYPE_CHECKING:
    from ..instruments.definitions import Instrument
    from .record import Return


def check_progress(record: Return, instrument: Instrument) -> tuple[list[Finding], list[Finding]]:
    """(errors, warnings) of one read return's follow-up blocks (none for a plan before version 1.1)."""
    errors, warnings = [], []
    choices = instrument.progress_choices
    for element in instrument.elements if choices else ():
        shown, given = record.answers.get(element.previous_name), record.answers.get(element.progress_name)
        if shown is None or given is None:  # a missing name is already the file's reason (answers-missing)
            continue
        label = instrument.answer(element.progress_name).label
        for r, (action, answers) in enumerate(zip(shown.value, given.value), start=1):
            had = any(v not in (None, "") for v in action)
            progress, note = (list(answers) + [None, None])[:2]
            where = f"{label}, row {r}"
            for col, value in enumerate((progress, note)):
                cell = given.cell_at(r - 1, col)
                if value in (None, ""):
                    continue
                if not had:
                    errors.append(Finding(element.progress_name, cell,
                                          f"{where} ({cell}): filled in, but last cycle's plan had no action in this "
                                          "row; leave it empty.", Code.PROGRESS_WITHOUT_ACTION))
                elif given.formula and isinstance(value, str) and value.startswith("="):
                    errors.append(Finding(element.progress_name, cell, f"{where} ({cell}): contains a formula; "
                                          "type the text itself.", Code.FORMULA))
                elif col == 0 and value not in choices:
                    errors.append(Finding(element.progress_name, cell,
                                          f"{where} ({cell}): {str(value)!r} is not one of "
                                          f"{', '.join(choices)}.", Code.NOT_A_CHOICE))
            if had and progress in (None, ""):
                cell = given.cell_at(r - 1, 0)
                warnings.append(Finding(element.progress_name, cell,
                                        f"{where} ({cell}): last cycle's action \"{_short(action[0])}\" has no "
                                        "progress chosen.", Code.PROGRESS_MISSING))
    return errors, warnings


def _short(text: object, width: int = 40) -> str:
    text = str(text or "")
    return text if len(text) <= width else text[:width - 1] + "…"
