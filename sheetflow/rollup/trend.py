"""Cycles in a roll-up: their order, which one the summaries show, and each area's change over time.

``trend(responses, areas)`` is the Trend table: the average rating of each component area per
cycle, for all respondents, each region and each organization, with its change since the most
recent earlier cycle in which the same region or organization has returns. ``movers`` gives the
capabilities whose all-respondents average rose or fell the most since the previous cycle.
Computed with pandas from the Responses table, never from a workbook's cached values.
"""

from __future__ import annotations

import math

import pandas as pd

from ..cycles import cycle_key, ordered
from ..errors import SheetflowError
from ..intake import response
from .columns import TABLES

LEVELS = (("all", None), ("region", "region"), ("organization", "organization"))
TREND_COLUMNS = list(TABLES["Trend"])
MOVER_COLUMNS = ["kind", "item", "capability", "before", "average", "change"]


def choose(cycles: list[str], wanted: str | None) -> str | None:
    """The cycle the summaries show: ``wanted``, or the latest; a cycle the roll-up does not hold is refused."""
    if wanted is None:
        return cycles[-1] if cycles else None
    wanted = str(wanted).strip()
    if wanted not in cycles:
        held = ", ".join(cycles) if cycles else "no cycle at all (no valid returns)"
        raise SheetflowError(f"--cycle {wanted}: the roll-up holds {held}.")
    return wanted


THIN_SHARE = 0.5  # a cycle with fewer respondents than this share of the cycle in view's is too thin to compare


def respondents_by_cycle(responses: pd.DataFrame) -> dict[str, int]:
    """How many respondents (``response.count``) gave any rating in each cycle, earliest first."""
    rated = responses[responses["rating"].notna()]
    if rated.empty:
        return {}
    keys = response.column(rated, "Responses")
    counts = keys.groupby(rated["cycle"].astype(str)).nunique()
    return {cycle: int(counts[cycle]) for cycle in ordered(counts.index)}


def thin_cycles(counts: dict[str, int], cycle: str | None) -> set[str]:
    """The cycles too thin to compare with the cycle in view: fewer respondents than ``THIN_SHARE`` of its own
    (one stray return of last year in this year's inbox is one). Their averages stay in the Trend table, but
    no change is computed from or to them (docs/cycles.md)."""
    if cycle is None or cycle not in counts:
        return set()
    return {c for c, n in counts.items() if c != cycle and n < THIN_SHARE * counts[cycle]}


def previous_cycle(cycles: list[str], cycle: str | None) -> str | None:
    """The most recent cycle before ``cycle`` in ``cycles`` (earliest first), or None."""
    earlier = [c for c in cycles if cycle is not None and cycle_key(c) < cycle_key(cycle)]
    return earlier[-1] if earlier else None


def trend(responses: pd.DataFrame, areas: list[str], thin: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """The Trend table (``TREND_COLUMNS``), one row per level, name, area and cycle with any rating.

    ``change`` is the average minus the same level/name/area's average in the most recent earlier
    cycle in which that level/name has returns; missing (NaN) where there is no such cycle. A cycle
    in ``thin`` (``thin_cycles``) is never compared: its rows have no change, and no change is
    computed from it.
    """
    rated = responses[responses["rating"].notna()]
    if rated.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    rated = rated.assign(rating=rated["rating"].astype(float), cycle=rated["cycle"].astype(str), all="",
                         response=response.column(rated, "Responses"))
    area_order = {area: k for k, area in enumerate(areas)}
    parts = []
    for level_order, (level, by) in enumerate(LEVELS):
        column = by or "all"
        chosen = rated[rated[column].notna()]
        groups = chosen.groupby([column, "area", "cycle"], sort=False)
        table = groups.agg(respondents=("response", "nunique"), average=("rating", "mean")).reset_index()
        table = table.rename(columns={column: "name"}).assign(level=level, level_order=level_order)
        # when each has returns, leaving out the cycles too thin to compare
        held = {name: [c for c in ordered(cycles) if c not in thin] for name, cycles in chosen.groupby(column)["cycle"]}
        before = {(name, cycle): None if cycle in thin else previous_cycle(held[name], cycle) for name, cycle in
                  zip(table["name"], table["cycle"])}
        averages = {(n, a, c): v for n, a, c, v in zip(table["name"], table["area"], table["cycle"], table["average"])}
        table["change"] = [v - averages[(n, a, before[(n, c)])] if (n, a, before[(n, c)]) in averages else math.nan
                           for n, a, c, v in zip(table["name"], table["area"], table["cycle"], table["average"])]
        parts.append(table)
    table = pd.concat(parts, ignore_index=True)
    table["name"] = table["name"].astype(object).where(table["level"] != "all", None)
    table = table.assign(area_order=table["area"].map(lambda a: area_order.get(a, len(areas))),
                         cycle_order=table["cycle"].map(cycle_key), name_order=table["name"].fillna(""))
    table = table.sort_values(["level_order", "name_order", "area_order", "area", "cycle_order"], kind="stable")
    table["respondents"] = table["respondents"].astype(int)
    return table[TREND_COLUMNS].reset_index(drop=True)


def movers(responses: pd.DataFrame, cycle: str | None, top: int = 3, thin: set[str] | frozenset[str] = frozenset()) -> pd.DataFrame:
    """The capabilities whose all-respondents average rose (``kind`` "Rose") or fell ("Fell") the most
    between the cycle before ``cycle`` (leaving out those in ``thin``) and ``cycle``: at most ``top`` of
    each, largest change first."""
    rated = responses[responses["rating"].notna()]
    rated = rated.assign(cycle=rated["cycle"].astype(str), rating=rated["rating"].astype(float))
    before = previous_cycle([c for c in ordered(rated["cycle"]) if c not in thin], cycle)
    if before is None:
        return pd.DataFrame(columns=MOVER_COLUMNS)
    means = rated.groupby(["item", "capability", "cycle"])["rating"].mean().unstack("cycle")
    if cycle not in means.columns:
        return pd.DataFrame(columns=MOVER_COLUMNS)
    both = means[[before, cycle]].dropna().reset_index()
    both["change"] = both[cycle] - both[before]
    rows = []
    for kind, chosen in (("Rose", both[both["change"] > 0].sort_values(["change", "item"], ascending=[False, True])),
                         ("Fell", both[both["change"] < 0].sort_values(["change", "item"], ascending=[True, True]))):
        for record in chosen.head(top).to_dict("records"):
            rows.append({"kind": kind, "item": int(record["item"]), "capability": record["capability"],
                         "before": float(record[before]), "average": float(record[cycle]),
                         "change": float(record["change"])})
    return pd.DataFrame(rows, columns=MOVER_COLUMNS)


def region_grid(table: pd.DataFrame, areas: list[str]) -> pd.DataFrame:
    """Each region's area averages (rows: region, area) by cycle (columns, earliest first), from the Trend table."""
    regions = table[table["level"] == "region"]
    if regions.empty:
        return pd.DataFrame()
    grid = regions.pivot_table(index=["name", "area"], columns="cycle", values="average", aggfunc="first")
    order = [(r, a) for r in sorted(regions["name"].unique()) for a in areas if (r, a) in grid.index]
    return grid.reindex(index=order, columns=ordered(regions["cycle"]))
