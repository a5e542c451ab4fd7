"""Each region's action plan of the previous cycle, for the next cycle's plan to follow up.

    plans = previous_plans(["inbox-2026/"], cycle="2027")   # validates exactly as `validate` does
    north = plans.for_region("North Plains")         # instruments.followup_block.PreviousPlan, or None

Only valid returns count (a superseded copy never does: the newest copy of a response wins, as
in `validate`). Each region follows up its latest valid plan of a cycle before ``cycle`` (cycles
ordered as everywhere, ``cycles.cycle_key``: R9 before R10), so a region whose last plan was
invalid follows up the valid one before it; a region with two different valid plans of that cycle
follows up the one saved last. Regions are matched by name as the roll-up matches them (case,
accents and spacing aside).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cycles import before, cycle_key
from ..instruments import definitions
from ..instruments.definitions import Kind
from ..instruments.followup_block import PreviousPlan
from ..intake.report import Status
from ..text import name_key
from ..rollup import tables



@dataclass
class PreviousPlans:
    """Every region's previous plan, and the files that are nobody's previous plan, with why."""

    cycle: str | None  # the latest cycle of the plans followed up (None: no valid plan found)
    regions: dict = field(default_factory=dict)  # name_key(region) -> PreviousPlan (each of its own latest cycle)
    left_out: list = field(default_factory=list)  # (path, reason)
    files: int = 0
    before: str = ""  # the cycle the plans are followed up for
    unusable: dict = field(default_factory=dict)  # name_key(region) -> why its plans here are none of them followed up

    def for_region(self, region: str | None) -> PreviousPlan | None:
        return self.regions.get(name_key(region or ""))


def previous_plans(paths, cycle: str, workers: int = 2, progress=None, on_start=None) -> PreviousPlans:
    """Validate the returns in ``paths`` as `validate` does and pick each region's plan before ``cycle``."""
    from ..intake.validate import validate_paths

    report = validate_paths(paths, workers=workers, progress=progress, on_start=on_start)
    return from_report(report, cycle)


def from_report(report, cycle: str) -> PreviousPlans:
    """Each region's newest valid action plan of the latest cycle before ``cycle`` in ``report``."""
    cycle = str(cycle)
    out = PreviousPlans(None, files=len(report.files), before=cycle)
    candidates = []
    kinds = {i.id: i.kind for i in definitions.load_all().values()}
    for f in report.files:
        if f.status != Status.VALID:
            why = tables.left_out_reason(f)
            out.left_out.append((f.path, why))
            if kinds.get(f.instrument) == Kind.ACTION_PLAN and f.status == Status.INVALID and name_key(f.organization):
                out.unusable.setdefault(name_key(f.organization), []).append(
                    f"its plan of cycle {f.cycle} ({Path(f.path).name}) is invalid: {why}")
        elif kinds.get(f.instrument) != Kind.ACTION_PLAN:
            out.left_out.append((f.path, "not an action plan"))
        elif not before(str(f.cycle), cycle):
            out.left_out.append((f.path, f"of cycle {f.cycle}, not before {cycle}"))
            out.unusable.setdefault(name_key(f.record.value("region") or ""), []).append(
                f"its plan of cycle {f.cycle} is not of a cycle before {cycle}")
        elif not name_key(f.record.value("region") or ""):
            out.left_out.append((f.path, "no region"))
        else:
            candidates.append(f)
    out.left_out.extend(report.skipped)
    if not candidates:
        return out
    chosen: dict = {}
    for f in candidates:  # each region's latest cycle, then the copy saved last
        key = name_key(f.record.value("region"))
        other = chosen.get(key)
        rank = lambda r: (cycle_key(str(r.cycle)), r.saved_at or "", r.path)  # noqa: E731
        if other is None or rank(f) > rank(other):
            if other is not None:
                out.left_out.append((other.path, _older(other, f)))
            chosen[key] = f
        else:
            out.left_out.append((f.path, _older(f, other)))
    out.regions = {key: plan_of(f.record) for key, f in sorted(chosen.items())}
    out.cycle = max((str(f.cycle) for f in chosen.values()), key=cycle_key)
    return out


def _older(f, newer) -> str:
    if str(f.cycle) != str(newer.cycle):
        return f"of cycle {f.cycle}; the region's plan of {newer.cycle} is followed up"
    return "an older plan of the same region"


def plan_of(record) -> PreviousPlan:
    """What the follow-up shows of one read plan (intake.record.Return) of any version."""
    instrument = definitions.load_version(record.instrument, record.version)
    if instrument is None:  # a valid return's version is one sheetflow issued
        raise ValueError(f"no version {record.version} of {record.instrument}")
    current = definitions.load_all()[record.instrument]
    keys = [c.key for c in instrument.action_columns]
    shown = [keys.index(c.key) for c in current.shown_columns]
    statuses, actions = {}, {}
    for element in instrument.elements:
        for j in range(1, len(element.components) + 1):
            statuses[element.status_name(j)] = record.value(element.status_name(j))
        table = record.answers.get(element.actions_name)
        rows = table.value if table is not None and table.value else []
        actions[element.number] = [[row[i] for i in shown] for row in rows]
    return PreviousPlan(record.response_id, str(record.cycle), record.value("region") or "", statuses, actions)


def summary_lines(plans: PreviousPlans, regions) -> list[str]:
    """What the terminal says about the plans followed up (one line per region, then what was left out)."""
    lines = []
    if plans.cycle is None:
        lines.append(f"Follow-up: no valid action plan of a cycle before {plans.before} among {plans.files} files; "
                     "the plans' follow-up blocks are empty.")
    for region in regions:
        plan = plans.for_region(region)
        if plan is None:
            why = "; ".join(plans.unusable.get(name_key(region or ""), [])) or "no plan of this region among them"
            lines.append(f"Follow-up for {region}: no valid plan of a cycle before {plans.before} ({why}); "
                         "its block is empty.")
        else:
            count = sum(any(v not in (None, "") for v in row) for rows in plan.actions.values() for row in rows)
            lines.append(f"Follow-up for {region}: {count} actions of its {plan.cycle} plan.")
    others = sum(why == "not an action plan" for _, why in plans.left_out)
    if others:
        lines.append(f"Not action plans: {others} files (left aside).")
    for path, why in [(p, w) for p, w in plans.left_out if w != "not an action plan"]:
        lines.append(f"Not followed up: {path}: {why}")
    return lines

