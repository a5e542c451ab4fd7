"""A region's self-assessment results, as plain rows, for the region's action plan to start from.

    results = assessment_results(["inbox/"], cycle="2026", manifest="sent/")   # validates exactly as `validate`
    north = results.for_region("North Plains")                      # RegionResults: rows + facts

Only valid, newest returns of the plan's cycle count. The averages are those of the roll-up's
Summary (``tables.area_matrix``, ``summaries.disagreements`` over the same Responses table), so a
region's plan shows the same figures the board sees for it. Nothing of another region is kept in a
region's results except the all-regions averages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from ..instruments import definitions
from ..instruments.definitions import Kind
from ..instruments.results_sheet import RegionResults
from ..intake import response
from ..intake.report import Report, Status
from ..text import name_key
from ..rollup import summaries, tables

TOP = 5  # strengths and learning opportunities per region
COLUMNS = {
    "RegionAreas": ("area", "respondents", "region_average", "lowest_organization_average",
                    "highest_organization_average", "all_regions_average"),
    "RegionCapabilities": ("item", "area", "capability", "respondents", "average", "lowest", "highest",
                           "all_regions_average", "standing"),
    "RegionDisagreements": ("organization", "item", "capability", "lowest", "highest"),
    "RegionReflections": ("organization", "respondent_name", "question", "answer"),
}
STRENGTH, OPPORTUNITY = "strength", "learning opportunity"


@dataclass
class AssessmentResults:
    """Every region's results for one cycle, and the files that fed no region's plan, with why."""

    cycle: str
    regions: dict = field(default_factory=dict)  # name_key(region) -> RegionResults
    left_out: list = field(default_factory=list)  # (path, reason)
    files: int = 0  # files considered
    asked: dict = field(default_factory=dict)  # name_key(region) -> self-assessments sent (with the manifest)

    def for_region(self, region: str) -> RegionResults:
        """The region's results; a region nobody from answered gets results with no rows."""
        found = self.regions.get(name_key(region))
        if found is not None:
            return found
        return RegionResults(region, self.cycle, asked=self.asked.get(name_key(region), 0 if self.asked else None))


def assessment_results(paths, cycle: str, manifest=None, workers: int = 2, progress=None, on_start=None) -> AssessmentResults:
    """Validate the returns in ``paths`` as `validate` does and compute each region's results for ``cycle``.

    With ``manifest`` (what ``generate --roster`` sent), each region also knows how many were asked.
    """
    from ..intake.validate import validate_paths

    report = validate_paths(paths, workers=workers, progress=progress, on_start=on_start)
    asked: dict[str, int] | None = None
    if manifest:
        from ..instruments.manifest import read_manifest

        counted: dict[str, int] = {}
        kinds = {i.id: i.kind for i in definitions.load_all().values()}
        for row in read_manifest(manifest):
            if kinds.get(row.instrument) == Kind.ASSESSMENT and row.cycle == str(cycle):
                counted[name_key(row.region)] = counted.get(name_key(row.region), 0) + 1
        asked = counted
    return from_report(report, cycle, asked)


def from_report(report, cycle: str, asked: dict | None = None) -> AssessmentResults:
    """Each region's results from a validation report (only valid assessment returns of ``cycle``)."""
    cycle = str(cycle)
    out = AssessmentResults(cycle, files=len(report.files), asked=dict(asked or {}))
    used = []
    instruments = definitions.load_all()
    chosen = _chosen(report.files, cycle, instruments)
    for f in report.files:
        reason = _left_out(f, cycle, instruments, chosen)
        if reason:
            out.left_out.append((f.path, reason))
        else:
            used.append(f)
    for path, why in report.skipped:
        out.left_out.append((path, why))
    rollup = tables.build(Report(files=used))
    responses, context = rollup.tables["Responses"], rollup.tables["Context"]
    instrument = rollup.assessment
    areas = [a.name for a in instrument.areas]
    everyone = _area_averages(responses, areas)
    items = responses.groupby("item")["rating"].mean() if not responses.empty else pd.Series(dtype=float)
    keys = responses["region"].map(name_key) if not responses.empty else pd.Series(dtype=str)
    for key in sorted(set(keys)):
        mine = responses[keys == key]
        name = mine["region"].iloc[0]
        region = RegionResults(name, cycle, returns=response.count(mine, "Responses"), top=instrument.top_rating,
                               organizations=mine["organization"].nunique(), asked=out.asked.get(key, 0)
                               if asked is not None else None)
        region.tables = {
            "RegionAreas": _areas(mine, areas, everyone),
            "RegionCapabilities": _capabilities(mine, instrument, items),
            "RegionDisagreements": _disagreements(mine),
            "RegionReflections": _reflections(context[context["region"].map(name_key) == key], instrument),
        }
        out.regions[key] = region
    return out


def _chosen(files, cycle: str, instruments: dict) -> str | None:
    """The self-assessment the plans start from: of the valid returns of ``cycle``, the instrument most are of."""
    counts: dict[str, int] = {}
    for f in files:
        instrument = instruments.get(f.instrument)
        if f.status == Status.VALID and instrument is not None and instrument.kind == Kind.ASSESSMENT \
                and str(f.cycle) == cycle:
            counts[f.instrument] = counts.get(f.instrument, 0) + 1
    return max(sorted(counts), key=counts.__getitem__) if counts else None


def _left_out(f, cycle: str, instruments: dict, chosen: str | None) -> str | None:
    """Why a file feeds no region's plan, or None when it does."""
    if f.status != Status.VALID:
        return tables.left_out_reason(f)
    instrument = instruments.get(f.instrument)
    if instrument is None or instrument.kind != Kind.ASSESSMENT:
        return "not a self-assessment"
    if chosen is not None and f.instrument != chosen:
        return (f"a return of {instrument.title}; the plans start from the {instruments[chosen].title}, which most "
                "returns are of")
    if str(f.cycle) != cycle:
        return f"a self-assessment of cycle {f.cycle}, not {cycle}"
    if not name_key(f.record.value("region")):
        return "no region given on its About you sheet, so it belongs to no region's plan"
    return None


def _area_averages(responses: pd.DataFrame, areas: list[str]) -> pd.Series:
    """The mean rating of each area over ``responses``, as the roll-up's Summary computes it."""
    matrix = tables.area_matrix(responses.assign(everyone="all"), "everyone", areas)
    return matrix.iloc[0] if len(matrix.index) else pd.Series(float("nan"), index=areas)


def _number(value):
    return None if pd.isna(value) else float(value)


def _areas(mine: pd.DataFrame, areas: list[str], everyone: pd.Series):
    region = _area_averages(mine, areas)
    by_organization = tables.area_matrix(mine, "organization", areas)
    rated = mine[mine["rating"].notna()]
    respondents = response.column(rated, "Responses").groupby(rated["area"]).nunique()
    rows = [(area, int(respondents.get(area, 0)), _number(region[area]), _number(by_organization[area].min()),
             _number(by_organization[area].max()), _number(everyone[area])) for area in areas]
    return COLUMNS["RegionAreas"], rows


def _capabilities(mine: pd.DataFrame, instrument, everyone: pd.Series):
    rated = mine[mine["rating"].notna()]
    stats = rated.groupby("item")["rating"].agg(["count", "mean", "min", "max"])
    ranked = stats.reset_index().sort_values(["mean", "item"], ascending=[False, True], kind="stable")["item"]
    standing = {int(i): STRENGTH for i in ranked.head(TOP)}
    lowest = stats.reset_index().sort_values(["mean", "item"], ascending=[True, True], kind="stable")["item"]
    standing.update({int(i): OPPORTUNITY for i in lowest.head(TOP) if int(i) not in standing})
    rows = []
    for area in instrument.areas:
        for cap in area.capabilities:
            got = stats.loc[cap.number] if cap.number in stats.index else None
            rows.append((cap.number, area.name, cap.title, 0 if got is None else int(got["count"]),
                         None if got is None else float(got["mean"]), None if got is None else int(got["min"]),
                         None if got is None else int(got["max"]), _number(everyone.get(cap.number)),
                         standing.get(cap.number)))
    return COLUMNS["RegionCapabilities"], rows


def _disagreements(mine: pd.DataFrame):
    found = summaries.disagreements(mine)
    return COLUMNS["RegionDisagreements"], [
        (org, int(item), capability, int(low), int(high)) for org, item, capability, low, high
        in zip(found["organization"], found["item"], found["capability"], found["lowest"], found["highest"])]


def _reflections(context: pd.DataFrame, instrument):
    """What respondents wrote: the after-questions in the form's order, then the before-questions' details."""
    # (stage, question as in the Context table, the column holding the answer, the question it answers)
    questions = [("After", q.question, "answer", q.question) for q in instrument.after]
    questions += [("Before", q.question, "detail", q.follow_up) for q in instrument.before]
    rows = []
    for stage, question, column, answered in questions:
        chosen = context[(context["stage"] == stage) & (context["question"] == question)]
        chosen = chosen.sort_values(["organization", "respondent_name"], kind="stable")
        for org, person, text in zip(chosen["organization"], chosen["respondent_name"], chosen[column]):
            if isinstance(text, str) and text.strip():
                rows.append((org, person, answered, text))
    return COLUMNS["RegionReflections"], rows


def summary_lines(results: AssessmentResults, regions, kept=()) -> list[str]:
    """What the terminal says: the returns that fed each region's plan, then every file left out and why.
    ``kept``: the regions whose plan was already there and kept as it was (without the results)."""
    lines = []
    for region in kept:
        got = results.for_region(region)
        lines.append(f"{region}: plans exist; use --force to add the results ({got.returns} self-assessment "
                     f"return{'' if got.returns == 1 else 's'} of cycle {results.cycle}).")
    for region in regions:
        got = results.for_region(region)
        asked = f" of {got.asked} asked" if got.asked is not None else ""
        lines.append(f"{region}: {got.returns} self-assessment return{'' if got.returns == 1 else 's'}"
                     f"{asked} from {got.organizations} organization{'' if got.organizations == 1 else 's'} "
                     f"(cycle {results.cycle}).")
    wanted = {name_key(r) for r in [*regions, *kept]}
    for key, other in sorted(results.regions.items()):
        if key not in wanted:  # another region's, or a region spelled unlike any plan's
            lines.append(f"Not used: {other.returns} return{'' if other.returns == 1 else 's'} from "
                         f"\"{other.region}\" (no action plan for that region here).")
    if results.left_out:
        lines.append(f"Left out ({len(results.left_out)}):")
        lines.extend(f"  {Path(path).name}: {reason}" for path, reason in results.left_out)
    return lines
