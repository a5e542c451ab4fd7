"""The lists the board reads on their own sheets, in plain Python: strengths and learning opportunities (the
highest and lowest average ratings, overall and per organization) and internal disagreement (capabilities on
which people of one organization differ by two points or more).

Both take the Responses table (a pandas DataFrame, as the roll-up holds it) and give a small frame; the rules
are worked out on its rows as plain values. A row without an organization, item or capability is in no
organization's figures (it still counts towards all organizations'); a blank rating counts nowhere.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pandas as pd

from .table_sheets import missing

ALL = "All organizations"
STRENGTH, OPPORTUNITY = "Strength", "Learning opportunity"
STRENGTH_COLUMNS = ["organization", "kind", "item", "capability", "average"]
DISAGREEMENT_COLUMNS = ["organization", "item", "capability", "lowest", "highest", "ratings"]


def _rows(responses: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """The table's ``columns`` as one dict of plain values per row, in the table's order."""
    return [dict(zip(columns, values)) for values in zip(*(responses[c].tolist() for c in columns))]


def _averages(rows: list[dict[str, Any]]) -> list[tuple[int, str, float]]:
    """(item, capability, average rating) of each capability rated in ``rows``, by item and capability."""
    ratings: defaultdict[tuple[Any, Any], list[int]] = defaultdict(list)
    for row in rows:
        if not missing(row["rating"]) and not missing(row["item"]) and not missing(row["capability"]):
            ratings[row["item"], row["capability"]].append(row["rating"])
    return [(item, capability, sum(values) / len(values)) for (item, capability), values in sorted(ratings.items())]


def strengths_and_opportunities(responses: pd.DataFrame, top: int = 3) -> pd.DataFrame:
    """The ``top`` highest (strengths) and lowest (learning opportunities) average ratings, for all organizations
    and then each organization in alphabetical order; ties by item number."""
    if responses.empty:
        return pd.DataFrame(columns=STRENGTH_COLUMNS)
    rows = _rows(responses, ["organization", "item", "capability", "rating"])
    by_organization: defaultdict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if not missing(row["organization"]):
            by_organization[row["organization"]].append(row)
    listed = []
    for organization, chosen in [(ALL, rows), *sorted(by_organization.items(), key=lambda group: group[0])]:
        means = _averages(chosen)
        highest = sorted(means, key=lambda m: -m[2])[:top]  # stable: ties stay by item and capability
        lowest = sorted(means, key=lambda m: m[2])[:top]
        listed += [(organization, STRENGTH, *mean) for mean in highest]
        listed += [(organization, OPPORTUNITY, *mean) for mean in lowest]
    return pd.DataFrame({"organization": [r[0] for r in listed], "kind": [r[1] for r in listed],
                         "item": [int(r[2]) for r in listed], "capability": [r[3] for r in listed],
                         "average": [float(r[4]) for r in listed]}, columns=STRENGTH_COLUMNS)


def disagreements(responses: pd.DataFrame, spread: int = 2) -> pd.DataFrame:
    """Within an organization with several respondents to a capability, the capabilities whose ratings differ
    by ``spread`` or more, by organization and item, with each rating given ("Ana: 5, Ben: 3", in the table's
    order)."""
    if responses.empty:
        return pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    groups: defaultdict[tuple[Any, Any, Any], list[dict[str, Any]]] = defaultdict(list)
    for row in _rows(responses, ["organization", "item", "capability", "respondent_name", "rating"]):
        key = (row["organization"], row["item"], row["capability"])
        if not any(missing(part) for part in key):
            groups[key].append(row)
    found = []
    for key, members in sorted(groups.items()):
        people = {row["respondent_name"] for row in members if not missing(row["respondent_name"])}
        rated = [row for row in members if not missing(row["rating"])]
        ratings = [int(row["rating"]) for row in rated]
        if len(people) >= 2 and ratings and max(ratings) - min(ratings) >= spread:
            said = ", ".join(f"{row['respondent_name']}: {rating}" for row, rating in zip(rated, ratings))
            found.append((*key, min(ratings), max(ratings), said))
    if not found:
        return pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    return pd.DataFrame({"organization": [f[0] for f in found], "item": [int(f[1]) for f in found],
                         "capability": [f[2] for f in found], "lowest": [f[3] for f in found],
                         "highest": [f[4] for f in found], "ratings": [f[5] for f in found]},
                        columns=DISAGREEMENT_COLUMNS)
