"""What "a response" is, once for sheetflow: one person's return for one instrument in one cycle.

A response is told apart by its instrument, its cycle, the response id stamped on the workbook and who
filled it in (the organization and the respondent, or for an action plan the region and the lead
organization), names compared as ``name_key`` compares them. A blank workbook sent round to seven
people keeps one response id, yet comes back as seven responses; two copies of one person's workbook
are one response (intake keeps the newest, ``validate.mark_superseded``).

Intake decides with ``of_file`` which copy counts; every count of the roll-up (the Summary's totals,
the ``respondents`` columns, the returns that fed a region's plan, the response rates) counts
``count`` or groups by ``column`` over the rows of one of its tables, so the two always agree.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..instruments.definitions import Kind
from ..text import name_key

if TYPE_CHECKING:  # pandas loads only where a table is counted
    import pandas as pd

    from .report import FileReport

Key = tuple[str, str, str, str, str]

# who filled in a row of each roll-up table: (organization column, respondent column)
WHO = {"Responses": ("organization", "respondent_name"), "Context": ("organization", "respondent_name"),
       "Components": ("region", "lead_organization"), "Actions": ("region", "lead_organization")}
# the kind of instrument the rows of each table come from (a table holds one instrument of that kind): in a
# row's key it stands for the instrument's id, which the rows do not carry
KIND_OF = {"Responses": Kind.ASSESSMENT, "Context": Kind.ASSESSMENT, "Components": Kind.ACTION_PLAN,
           "Actions": Kind.ACTION_PLAN}


def key(instrument: object, cycle: object, response_id: object, organization: object, person: object) -> Key:
    """The one key of a response."""
    return (str(instrument or ""), "" if cycle is None else str(cycle).strip(), str(response_id or "").strip(),
            name_key(organization), name_key(person))


def of_file(report: "FileReport") -> Key:
    """The response a file of a validation report is a copy of."""
    return key(report.instrument, report.cycle, report.response_id, report.organization, report.respondent)


def column(frame: "pd.DataFrame", table: str) -> "pd.Series":
    """Each row's response (its ``key``) in a roll-up table (``Responses``, ``Context``, ``Components``,
    ``Actions``): group by it to count responses."""
    import pandas as pd

    organization, person = WHO[table]
    instrument = KIND_OF[table]
    if frame.empty:
        return pd.Series([], index=frame.index, dtype=object)
    # a response has many rows (a self-assessment's 20 ratings): each distinct row's key is made once; plain
    # lists, as iterating a pandas column value by value costs as much again as the keys themselves
    made: dict[tuple, Key] = {}
    keys = []
    for who in zip(frame["cycle"].tolist(), frame["response_id"].tolist(), frame[organization].tolist(),
                   frame[person].tolist()):
        found = made.get(who)
        if found is None:
            found = made[who] = key(instrument, *who)
        keys.append(found)
    return pd.Series(keys, index=frame.index, dtype=object)


def count(frame: "pd.DataFrame", table: str) -> int:
    """How many responses the rows of a roll-up table come from."""
    return 0 if frame.empty else int(column(frame, table).nunique())
