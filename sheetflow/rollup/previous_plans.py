"""Each region's action plan of the previous cycle, for the next cycle's plan to follow up.

    plans = collect(["inbox-2026/"], cycle="2027")   # validates exactly as `validate` does
    north = plans.for_region("North Plains")         # instruments.followup_block.PreviousPlan, or None

Only valid returns count (a superseded copy never does: the newest copy of a response wins, as
in `validate`). The previous cycle is the latest cycle before ``cycle`` that has plans; a region
with two different valid plans of that cycle follows up the one saved last. Regions are matched
by name as the roll-up matches them (case, accents and spacing aside).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..instruments.followup_block import PreviousPlan
from ..intake.report import name_key
from . import tables

ACTION_PLAN = "sector-action-plan"


@dataclass
class PreviousPlans:
    """Every region's previous plan, and the files that are nobody's previous plan, with why."""

    cycle: str | None  # the cycle the plans are of (None: no valid plan found)
    regions: dict = field(default_factory=dict)  # name_key(region) -> PreviousPlan
    left_out: list = field(default_factory=list)  # (path, reason)
    files: int = 0

    def for_region(self, region: str | None) -> PreviousPlan | None:
        return self.regions.get(name_key(region or ""))


def collect(paths, cycle: str, workers: int = 2, progress=None, on_start=None) -> PreviousPlans:
    """Validate the returns in ``paths`` as `validate` does and pick each region's plan before ``cycle``."""
    from ..intake.validate import validate_paths

    report = validate_paths(paths, workers=workers, progress=progress, on_start=on_start)
    return previous_plans(report, cycle)


def previous_plans(report, cycle: str) -> PreviousPlans:
    """Each region's newest valid action plan of the latest cycle before ``cycle`` in ``report``."""
    cycle = str(cycle)
    out = PreviousPlans(None, files=len(report.files))
    candidates = []
    for f in report.files:
        if f.status != "valid":
            out.left_out.append((f.path, tables.left_out_reason(f)))
        elif f.instrument != ACTION_PLAN:
            out.left_out.append((f.path, "not an action plan"))
        elif not _before(str(f.cycle), cycle):
            out.left_out.append((f.path, f"of cycle {f.cycle}, not before {cycle}"))
        elif not name_key(f.record.value("region") or ""):
            out.left_out.append((f.path, "no region"))
        else:
            candidates.append(f)
    out.left_out.extend(report.skipped)
    if not candidates:
        return out
    out.cycle = max((str(f.cycle) for f in candidates), key=_cycle_order)
    chosen: dict = {}
    for f in candidates:
        if str(f.cycle) != out.cycle:
            out.left_out.append((f.path, f"of cycle {f.cycle}; the plans followed up are those of {out.cycle}"))
            continue
        key = name_key(f.record.value("region"))
        other = chosen.get(key)
        if other is None or (f.saved_at or "", f.path) > (other.saved_at or "", other.path):
            if other is not None:
                out.left_out.append((other.path, "an older plan of the same region"))
            chosen[key] = f
        else:
            out.left_out.append((f.path, "an older plan of the same region"))
    out.regions = {key: plan_of(f.record) for key, f in sorted(chosen.items())}
    return out


def plan_of(record) -> PreviousPlan:
    """What the follow-up shows of one read plan (intake.record.Return) of any version."""
    from ..instruments import definitions

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
    if plans.cycle is None:
        return [f"Follow-up: no valid action plan of an earlier cycle among {plans.files} files; "
                "the plans' follow-up blocks are empty."]
    lines = []
    for region in regions:
        plan = plans.for_region(region)
        if plan is None:
            lines.append(f"Follow-up for {region}: no valid plan of {plans.cycle} from this region; "
                         "its block is empty.")
        else:
            count = sum(any(v not in (None, "") for v in row) for rows in plan.actions.values() for row in rows)
            lines.append(f"Follow-up for {region}: {count} actions of its {plans.cycle} plan.")
    others = sum(why == "not an action plan" for _, why in plans.left_out)
    if others:
        lines.append(f"Not action plans: {others} files (left aside).")
    for path, why in [(p, w) for p, w in plans.left_out if w != "not an action plan"]:
        lines.append(f"Not followed up: {path}: {why}")
    return lines


def _cycle_order(cycle: str) -> tuple:
    return (0, int(cycle), cycle) if cycle.isdigit() else (1, 0, cycle)


def _before(cycle: str, later: str) -> bool:
    return _cycle_order(cycle) < _cycle_order(later)
