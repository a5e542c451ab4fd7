"""Consolidate every valid return into the tables and summaries of the regional roll-up.

Everything is computed here in Python from the answers sheetflow read itself
(never from a returned file's cached formula results). ``build(report)`` gives a
:class:`Rollup` of pandas DataFrames; ``rollup.workbook`` writes it for the board
(``rollup.csv_files`` as CSV files).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from ..errors import SheetflowError
from ..instruments import definitions
from ..instruments.definitions import Kind
from ..intake.report import Status
from ..tracking.status import State
from ..text import name_key, number_word, plural
from . import trend
from .columns import TABLES  # every column of every table (``columns.Column``)

if TYPE_CHECKING:  # previous.py reads the tables' columns from here
    from .previous import Previous

SHEET_ORDER = ("Responses", "Context", "Components", "Actions", "Progress", "Submissions", "Problems", "Outstanding",
               "ResponseRate")
WITH_MANIFEST = ("Outstanding", "ResponseRate")  # tables made only from the manifest of what was sent

# The tables whose rows are facts of one cycle: a later roll-up brings them in with --previous.
CARRIED = ("Responses", "Context", "Components", "Actions", "Progress")


@dataclass
class Rollup:
    tables: dict = field(default_factory=dict)  # name -> DataFrame, columns as in TABLES
    files_in: int = 0
    files_out: int = 0
    made_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc).replace(microsecond=0))
    instruments: dict = field(default_factory=dict)  # id -> Instrument
    sources: list = field(default_factory=list)  # every file considered
    summary: dict = field(default_factory=dict)  # files by validation status (valid, invalid, ...)
    with_status: bool = False  # made with the manifest of what was sent: Outstanding and ResponseRate
    sent: int = 0
    sent_valid: int = 0
    cycles: list = field(default_factory=list)  # every cycle in the tables, earliest first
    cycle: str | None = None  # the cycle the summaries show (the latest unless chosen)
    previous: Previous | None = None  # the earlier roll-up its earlier cycles came from
    versions: dict = field(default_factory=dict)  # (instrument id, version) -> valid returns of it in this report
    respondents: dict = field(default_factory=dict)  # cycle -> self-assessment respondents (response.count)
    thin: set = field(default_factory=set)  # the cycles too thin to compare with the cycle in view (trend.thin_cycles)
    other_cycles: list = field(default_factory=list)  # FileReport: valid returns here of another cycle than in view
    skipped: list = field(default_factory=list)  # (path, why): files found that are not returns
    missing: dict = field(default_factory=dict)  # instrument id -> [Missing]: who has no valid return in view, and why
    chosen: dict = field(default_factory=dict)  # kind -> the Instrument of that kind the valid returns are of

    @property
    def before(self) -> str | None:
        """The cycle the cycle in view is compared with: the latest earlier one that is not too thin."""
        return trend.previous_cycle([c for c in self.cycles if c not in self.thin], self.cycle)

    def shown(self, name: str) -> pd.DataFrame:
        """A table's rows of the cycle the summaries show (all its rows if it has no cycle column)."""
        frame = self.tables[name]
        if self.cycle is None or "cycle" not in frame.columns:
            return frame
        return frame[frame["cycle"] == self.cycle]

    def other_cycles_note(self) -> str | None:
        """The valid returns of another cycle than the one in view, each named with its cycle (None if none)."""
        if not self.other_cycles:
            return None
        named = "; ".join(f"{Path(f.path).name} (cycle {f.cycle})" for f in self.other_cycles)
        return (f"{len(self.other_cycles)} of the returns are of another cycle than {self.cycle}, so in the tables "
                f"but not in the summaries: {named}.")

    def thin_note(self) -> str | None:
        """The cycles too thin to compare with the cycle in view, with their respondents (None if none)."""
        if not self.thin:
            return None
        named = ", ".join(f"{c} ({self.respondents.get(c, 0)} respondent{'' if self.respondents.get(c) == 1 else 's'})"
                          for c in self.cycles if c in self.thin)
        return (f"Too thin to compare with cycle {self.cycle} ({self.respondents.get(self.cycle, 0)} respondents): "
                f"{named}; no change is computed from {'it' if len(self.thin) == 1 else 'them'}.")

    @property
    def table_names(self) -> list[str]:
        """The tables to write, in the workbook's order (those from the manifest only when it was given)."""
        return [name for name in SHEET_ORDER if self.with_status or name not in WITH_MANIFEST]

    @property
    def assessment(self):
        """The self-assessment instrument rolled up: the one the returns are of (``chosen``), or else the
        user's own (``--definitions``), or else the bundled one."""
        return self.chosen.get(Kind.ASSESSMENT) or definitions.of_kind(self.instruments, Kind.ASSESSMENT)[0]

    @property
    def action_plan(self):
        """The action-planning instrument rolled up (chosen as ``assessment`` is)."""
        return self.chosen.get(Kind.ACTION_PLAN) or definitions.of_kind(self.instruments, Kind.ACTION_PLAN)[0]

    def meanings(self) -> dict:
        """TABLES with the facts of the instruments rolled up filled in: what each column means."""
        scale = self.assessment.scale
        facts = {"areas": number_word(len(self.assessment.areas)),
                 "items": len(self.assessment.capabilities), "top": self.assessment.top_rating,
                 "scale": f"{scale[0].value} = {scale[0].label} … {scale[-1].value} = {scale[-1].label}",
                 "elements": len(self.action_plan.elements)}
        return {name: {column.name: column.meaning.format(**facts) for column in columns.values()}
                for name, columns in TABLES.items()}


def chosen_instruments(files, instruments: dict) -> dict:
    """{kind: Instrument}: the instrument of each kind the valid returns in ``files`` are of. A roll-up holds one
    of each kind (its tables have no instrument column): valid returns of two self-assessments (a state's
    variant and the bundled one) are refused with a SheetflowError naming both, to be rolled up apart."""
    counts: dict[str, dict[str, int]] = {}
    for f in files:
        instrument = instruments.get(f.instrument)
        if f.status == Status.VALID and instrument is not None:
            mine = counts.setdefault(instrument.kind, {})
            mine[instrument.id] = mine.get(instrument.id, 0) + 1
    for kind, ids in counts.items():
        if len(ids) > 1:
            named = ", ".join(f"{instruments[i].title} ({i}): {plural(n, 'valid return')}" for i, n in ids.items())
            raise SheetflowError(f"The returns are of {len(ids)} different {kind} instruments ({named}); a roll-up "
                                 "is of one of each kind: roll each up from its own folder.")
    return {kind: instruments[next(iter(ids))] for kind, ids in counts.items()}


@dataclass(frozen=True)
class Missing:
    """A region (action plan) or organization (self-assessment) without a valid return in the cycle in view."""

    name: str
    why: str  # e.g. "invalid: Red River Valley - Action Plan.xlsx (3 answers to fix)", "outstanding: 2 sent"


def missing_returns(report, status, cycle: str | None, instruments: dict) -> dict:
    """{instrument id: [Missing]}: for the action plan each region, for the self-assessment each organization,
    that has no valid return of ``cycle`` but an invalid return of it here, or (with ``status``, the match to the
    manifest) a workbook of that cycle sent and not validly returned; with why, in words."""
    level = {i.id: str(i.level) for i in sorted(instruments.values(), key=lambda i: (i.per_person, i.id))}
    out: dict = {}
    for instrument, attribute in level.items():  # the region's instruments first, then the organizations'
        names: dict = {}  # name_key -> (name as first spelled, reasons)
        have = set()
        for f in report.files:
            if f.instrument != instrument or (cycle is not None and f.cycle is not None and str(f.cycle) != cycle):
                continue
            key = name_key(f.organization)  # a file's organization: the region, for an action plan
            if f.status == Status.VALID:
                have.add(key)
            elif f.status == Status.INVALID and key:
                names.setdefault(key, (f.organization, []))[1].append(
                    f"invalid: {Path(f.path).name} ({plural(f.errors, 'answer')} to fix)")
        if status is not None:
            for r in status.recipients:
                if r.instrument != instrument or (cycle is not None and r.cycle != cycle):
                    continue
                key = name_key(getattr(r, attribute))
                if r.state == State.RETURNED:
                    have.add(key)
                    continue
                entry = names.setdefault(key, (getattr(r, attribute), []))
                if r.state == State.OUTSTANDING:
                    entry[1].append(f"outstanding: {r.respondent_name or r.organization}")
                elif r.state == State.PROBLEMS and r.report is not None and r.report.status == Status.REJECTED:
                    entry[1].append(f"cannot be read: {Path(r.report.path).name}")
        out[instrument] = [Missing(name, "; ".join(dict.fromkeys(why))) for key, (name, why) in
                           sorted(names.items()) if key not in have]
    return out


def _frame(name: str, rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(TABLES[name]))


def build(report, status=None, previous=None, cycle: str | None = None) -> Rollup:
    """Every valid return into one set of tables, plus the list of what was left out and why.

    With ``status`` (tracking.status.match of this report to the manifest of what was sent), also
    who is outstanding and the response rate; without it those tables stay empty. With
    ``previous`` (previous.read of an earlier roll-up), its rows of the CARRIED tables come first,
    except those of a response this report has a valid return of (the new return wins). ``cycle``:
    the cycle the summaries show (default the latest); the tables hold every cycle.
    """
    instruments = definitions.load_all()
    result = Rollup(instruments=instruments, sources=[f.path for f in report.files], summary=report.summary)
    valid = [f for f in report.files if f.status == Status.VALID]
    result.chosen = chosen_instruments(valid, instruments)
    result.files_in, result.files_out = len(valid), len(report.files) - len(valid)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    versions = {}  # each version met, looked up once (a lookup checks the definition files are unchanged)
    for f in valid:
        record, source = f.record, Path(f.path).name
        key = (f.instrument, record.version)
        if key not in versions:
            versions[key] = definitions.load_version(*key)  # as the return was made
        instrument = versions[key]
        result.versions[key] = result.versions.get(key, 0) + 1
        if instrument is None:  # a valid return is of a version sheetflow knows: never here
            continue
        if instrument.kind == Kind.ASSESSMENT:
            _assessment_rows(rows, instrument, record, source)
        elif instrument.kind == Kind.ACTION_PLAN:
            _action_plan_rows(rows, instrument, record, source)
    for f in report.files:
        rows["Submissions"].append({
            "source_file": Path(f.path).name, "sha256": f.sha256, "status": str(f.status), "instrument": f.instrument,
            "response_id": f.response_id, "organization": f.organization, "respondent_name": f.respondent,
            "saved_at": _when(f.saved_at), "errors": len(f.errors), "warnings": len(f.warnings),
            "reason": left_out_reason(f),
        })
        if f.status != Status.VALID:
            for level, findings in (("error", f.errors), ("warning", f.warnings)):
                rows["Problems"].extend({"source_file": Path(f.path).name, "status": str(f.status), "level": level,
                                         "name": x.name, "cell": x.cell, "message": x.message} for x in findings)
    for path, why in report.skipped:
        rows["Submissions"].append({"source_file": Path(path).name, "status": "skipped", "reason": str(why)})
    result.skipped = list(report.skipped)
    if status is not None:
        _status_rows(rows, status, instruments)
        result.with_status, result.sent = True, len(status.recipients)
        result.sent_valid = sum(r.state == State.RETURNED for r in status.recipients)
    if previous is not None:
        _carry(rows, previous, valid, instruments)
        result.previous = previous
    result.tables = {name: _frame(name, table) for name, table in rows.items()}
    for name in ("Responses",):
        result.tables[name]["rating"] = result.tables[name]["rating"].astype("Int64")
    result.cycles = trend.ordered(c for name in CARRIED for c in result.tables[name]["cycle"])
    own = trend.ordered(f.cycle for f in valid)  # the cycle in view is the latest of the returns read, not of --previous
    result.cycle = trend.choose(result.cycles, cycle if cycle is not None or not own else own[-1])
    if previous is not None:
        previous.check_before(result.cycle)
    result.missing = missing_returns(report, status, result.cycle, instruments)
    result.respondents = trend.respondents_by_cycle(result.tables["Responses"])
    result.thin = trend.thin_cycles(result.respondents, result.cycle)
    result.other_cycles = [f for f in valid if result.cycle is not None and str(f.cycle) != result.cycle]
    if len(result.cycles) > 1:
        result.tables["Trend"] = trend.trend(result.tables["Responses"], [a.name for a in result.assessment.areas],
                                             result.thin)
    return result


def _carry(rows, previous, valid: list, instruments: dict) -> None:
    """The earlier roll-up's rows before this run's, leaving out the responses this run has again (the same
    ``response.key``, with the instrument's kind for its id: a table's rows hold no instrument; Progress rows
    by their plan's cycle and response id)."""
    from ..intake import response

    kinds = {i.id: i.kind for i in instruments.values()}
    again = {response.key(kinds.get(f.instrument), f.cycle, f.response_id, f.organization, f.respondent)
             for f in valid}
    plans = {(str(f.cycle), f.response_id) for f in valid if kinds.get(f.instrument) == Kind.ACTION_PLAN}
    for name in CARRIED:
        if name in response.WHO:
            organization, person = response.WHO[name]
            kind = response.KIND_OF[name]
            earlier = [row for row in previous.rows.get(name, []) if response.key(
                kind, row["cycle"], row["response_id"], row[organization], row[person]) not in again]
        else:
            earlier = [row for row in previous.rows.get(name, []) if (str(row["cycle"]), row["response_id"]) not in plans]
        rows[name][:0] = earlier


def _status_rows(rows, status, instruments) -> None:
    labels = {i.id: i.short_title for i in instruments.values()}
    for r in status.recipients:
        if r.state != State.RETURNED:
            rows["Outstanding"].append({"response_id": r.response_id, "instrument": labels.get(r.instrument),
                                        "cycle": r.cycle, "region": r.region, "organization": r.organization,
                                        "respondent_name": r.respondent_name, "email": r.email, "state": str(r.state),
                                        "file": Path(r.file).name})
    for level, attribute in (("Region", "region"), ("Organization", "organization")):
        groups: dict[tuple, list] = {}
        for r in status.recipients:
            groups.setdefault((getattr(r, attribute), r.instrument), []).append(r)
        for (name, instrument), members in sorted(groups.items(), key=lambda g: (g[0][1], g[0][0])):
            sent = len(members)
            returned = sum(r.state != State.OUTSTANDING for r in members)
            valid = sum(r.state == State.RETURNED for r in members)
            rows["ResponseRate"].append({"level": level, "name": name, "instrument": labels.get(instrument),
                                         "sent": sent, "returned": returned, "valid": valid,
                                         "response_rate": valid / sent})


def _when(text):
    if not text:
        return None
    stamp = dt.datetime.fromisoformat(text)
    return stamp.astimezone(dt.timezone.utc).replace(tzinfo=None) if stamp.tzinfo else stamp


def left_out_reason(f) -> str | None:
    """Why a file was left out of the roll-up, in one line (None for a valid file)."""
    if f.status == Status.VALID:
        return None
    if f.status == Status.SUPERSEDED:
        return f.warnings[-1].message if f.warnings else "A newer copy was used."
    if f.status == Status.REJECTED:
        return f.errors[0].message
    count = len(f.errors)
    return f"{count} answer{'s' if count != 1 else ''} to fix, e.g. {f.errors[0].message}"


def _assessment_rows(rows, instrument, record, source) -> None:
    who = {k: record.value(k) for k in ("region", "organization", "respondent_name", "respondent_role")}
    base = {"response_id": record.response_id, "cycle": record.cycle, **who}
    for area in instrument.areas:
        for cap in area.capabilities:
            rows["Responses"].append({**base, "area": area.name, "item": cap.number, "capability": cap.title,
                                      "rating": record.value(cap.rating_name),
                                      "comment": record.value(cap.comment_name), "source_file": source})
    context = {k: base[k] for k in ("response_id", "cycle", "region", "organization", "respondent_name")}
    for q in instrument.before:
        rows["Context"].append({**context, "stage": "Before", "question": q.question,
                                "answer": record.value(q.answer_name), "detail": record.value(q.detail_name),
                                "source_file": source})
    for q in instrument.after:
        rows["Context"].append({**context, "stage": "After", "question": q.question,
                                "answer": record.value(q.answer_name), "detail": None, "source_file": source})


def _action_plan_rows(rows, instrument, record, source) -> None:
    base = {"response_id": record.response_id, "cycle": record.cycle, "region": record.value("region"),
            "lead_organization": record.value("lead_organization")}
    keys = [c.key for c in instrument.action_columns]
    for element in instrument.elements:
        where = {**base, "element": element.number, "element_name": element.name}
        for j, text in enumerate(element.components, start=1):
            rows["Components"].append({**where, "component": j, "component_text": text,
                                       "status": record.value(element.status_name(j)), "source_file": source})
        for number, values in enumerate(record.value(element.actions_name), start=1):
            if any(v is not None for v in values):
                rows["Actions"].append({**where, "row": number, **dict(zip(keys, values)), "source_file": source})
        if instrument.progress_choices:  # version 1.1 on: what became of last cycle's actions
            _progress_rows(rows, instrument, element, record)


def _progress_rows(rows, instrument, element, record) -> None:
    """One row per action of last cycle's plan listed in the follow-up block (given a progress or not)."""
    objective = [c.key for c in instrument.shown_columns].index("objective")
    given = record.value(element.progress_name) or []
    for number, action in enumerate(record.value(element.previous_name) or [], start=1):
        if not any(v is not None for v in action):
            continue
        progress, note = (list(given[number - 1]) + [None, None])[:2] if number <= len(given) else (None, None)
        rows["Progress"].append({
            "response_id": record.response_id, "cycle": record.cycle, "region": record.value("region"),
            "element": element.number, "element_name": element.name, "row": number,
            "objective": action[objective], "progress": progress, "note": note,
            "previous_response_id": record.previous_response_id,
        })


# -- summaries: small frames the board reads at a glance (the Strengths and Disagreement lists: summaries.py) --

def area_matrix(responses: pd.DataFrame, by: str, areas: list[str]) -> pd.DataFrame:
    """Average rating by ``by`` (rows) and component area (columns, in the instrument's order)."""
    if responses.empty:
        return pd.DataFrame(columns=areas, dtype=float)
    table = responses.pivot_table(index=by, columns="area", values="rating", aggfunc="mean")
    return table.reindex(columns=areas).sort_index()


def rating_distribution(responses: pd.DataFrame, instrument) -> pd.DataFrame:
    """How many respondents gave each rating of the instrument's scale, per capability."""
    counts = pd.crosstab(responses["item"], responses["rating"]) if not responses.empty else pd.DataFrame()
    counts = counts.reindex(index=[c.number for c in instrument.capabilities], columns=list(instrument.ratings),
                            fill_value=0)
    counts.insert(0, "capability", [c.title for c in instrument.capabilities])
    return counts


def component_status(components: pd.DataFrame, instrument) -> pd.DataFrame:
    """Components by status, per element (rows) across all regions."""
    statuses = list(instrument.data["status_choices"])
    names = [f"{e.number}. {e.name}" for e in instrument.elements]
    if components.empty:
        return pd.DataFrame(0, index=names, columns=statuses)
    labels = components["element"].map(lambda n: names[n - 1])
    table = pd.crosstab(labels, components["status"])
    return table.reindex(index=names, columns=statuses, fill_value=0)


def not_in_place(components: pd.DataFrame, instrument) -> pd.DataFrame:
    """Components not yet in place, per element (rows) and region (columns)."""
    names = [f"{e.number}. {e.name}" for e in instrument.elements]
    status = instrument.data["status_choices"][-1]
    chosen = components[components["status"] == status]
    regions = sorted(components["region"].dropna().unique()) if not components.empty else []
    if chosen.empty:
        return pd.DataFrame(0, index=names, columns=regions)
    table = pd.crosstab(chosen["element"].map(lambda n: names[n - 1]), chosen["region"])
    return table.reindex(index=names, columns=regions, fill_value=0)


def actions_per_element(actions: pd.DataFrame, components: pd.DataFrame, instrument) -> pd.DataFrame:
    """How many actions each region planned for each element."""
    names = [f"{e.number}. {e.name}" for e in instrument.elements]
    regions = sorted(set(components["region"].dropna()) | set(actions["region"].dropna()))
    if actions.empty:
        return pd.DataFrame(0, index=names, columns=regions)
    table = pd.crosstab(actions["element"].map(lambda n: names[n - 1]), actions["region"])
    return table.reindex(index=names, columns=regions, fill_value=0)


NOT_GIVEN = "Not given"


def progress_counts(progress: pd.DataFrame, instrument) -> pd.DataFrame:
    """Last cycle's actions by what became of them (columns: each progress, then not given), per region
    and key element (rows, "region: element"), from the Progress table."""
    columns = [*instrument.progress_choices, NOT_GIVEN]
    if progress.empty:
        return pd.DataFrame(0, index=[], columns=columns)
    names = {e.number: f"{e.number}. {e.name}" for e in instrument.elements}
    ordered = progress.sort_values(["region", "element"], kind="stable")
    labels = ordered["region"].fillna("").astype(str) + ": " + ordered["element"].map(names)
    table = pd.crosstab(labels, ordered["progress"].fillna(NOT_GIVEN))
    return table.reindex(index=list(dict.fromkeys(labels)), columns=columns, fill_value=0)


def ta_needs(actions: pd.DataFrame) -> pd.DataFrame:
    """Every resource or technical-assistance need listed, with where it came from."""
    columns = ["region", "element_name", "objective", "resources_ta"]
    if actions.empty:
        return pd.DataFrame(columns=columns)
    chosen = actions[actions["resources_ta"].notna()].sort_values(["region", "element", "row"], kind="stable")
    return chosen[columns].reset_index(drop=True)
