"""A cycle's workbooks as ``sheetflow generate`` makes them, in one call: one workbook (blank, or an action plan
for one region) or one per roster row; an action plan starts from its region's self-assessment results
(``assessments``) and follows up its region's plan of the previous cycle (``previous_plans``).

    made = make_workbooks(definitions.load("action-plan"), "sent/", roster="roster.csv", cycle="2027",
                          assessments=["inbox-2026/"], previous_plans=["inbox-2026/"])
    print("\\n".join(made.lines()))

Options that do not go together raise ``OptionMistake`` (a ``SheetflowError``) before anything is read or written.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptionMistake
from ..files import check_output
from ..instruments.definitions import Instrument, Kind
from ..instruments.manifest import MANIFEST, Generated, ManifestRow
from ..instruments.roster import generate_for_roster, summarise
from ..instruments.workbook import Request, generate as write_workbook
from ..progress import Showing, Silent
from ..text import plural
from . import previous_plans as plans_before, region_results
from .previous_plans import PreviousPlans
from .region_results import AssessmentResults


@dataclass
class WorkbooksMade:
    """What ``make_workbooks`` wrote: one workbook (``path``, ``request``) or a roster's (``rows``, the manifest's
    rows of this instrument and cycle), and the plan inputs it read."""

    instrument: Instrument
    output: Path
    path: Path | None = None
    request: Request | None = None
    rows: list[ManifestRow] = field(default_factory=list)
    results: AssessmentResults | None = None
    previous: PreviousPlans | None = None
    warnings: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the terminal says: what was written, then what each plan started from and followed up."""
        if self.request is not None:
            lines = [f"Wrote {self.path} ({self.instrument.title}, response id {self.request.response_id})."]
            region = self.request.prefill.get(self.instrument.filled_from("region") or "")
            made, kept = [region], []
        else:
            n = summarise(self.rows)
            replaced, kept_count = n[Generated.REPLACED], n[Generated.KEPT]
            written = n[Generated.WRITTEN] + replaced
            cycles = ", ".join(sorted({r.cycle for r in self.rows}))
            lines = [f"Wrote {plural(written, 'workbook')} to {self.output} (cycle {cycles}"
                     + (f"; {replaced} replaced, keeping their response ids" if replaced else "") + "); "
                     + f"{kept_count} already there" + (" (kept; --force writes them again)" if kept_count else "")
                     + f". The manifest is {self.output / MANIFEST}."]
            made = [r.region for r in self.rows if r.outcome != Generated.KEPT]
            kept = [r.region for r in self.rows if r.outcome == Generated.KEPT]
        if self.results is not None:
            lines += region_results.summary_lines(self.results, made, kept)
        if self.previous is not None:
            lines += plans_before.summary_lines(self.previous, made)
        return lines


def make_workbooks(instrument: Instrument, output: str | Path, *, cycle: str | None = None,
                   response_id: str | None = None, roster: str | Path | None = None, region: str | None = None,
                   assessments: Iterable[str | Path] = (), manifest: str | Path | None = None,
                   previous_plans: Iterable[str | Path] = (), force: bool = False, workers: int = 2,
                   showing: Showing = Silent) -> WorkbooksMade:
    """Write the workbook ``output`` (or, with ``roster``, one per roster row into the folder ``output``, recorded
    in its manifest.csv). For an action plan, ``region`` fills in the region of a single plan; ``assessments``
    (returned self-assessments; ``manifest``: what was sent, so each plan says how many were asked) and
    ``previous_plans`` (last cycle's returned plans) are read first, their progress reported to ``showing``."""
    assessments, previous_plans = list(assessments), list(previous_plans)
    prefill = _check_options(instrument, response_id, roster, region, assessments, manifest, previous_plans)
    if roster is None:
        check_output(output, (".xlsx",), force, what="workbook")  # as given: "new/" names a folder
    output = Path(output)
    year = cycle or str(dt.date.today().year)
    made = WorkbooksMade(instrument, output)
    if assessments:
        with showing("Reading self-assessments", 10) as progress:
            made.results = region_results.assessment_results(assessments, year, manifest, workers=workers,
                                                              progress=progress.update, on_start=progress.start)
    if previous_plans:
        with showing("Reading previous plans", 10) as progress:
            made.previous = plans_before.previous_plans(previous_plans, year, workers=workers,
                                                        progress=progress.update, on_start=progress.start)
    if roster is not None:
        made.rows = generate_for_roster(instrument, roster, output, cycle, force=force, results=made.results,
                                        previous=made.previous)
        return made
    request = Request(instrument, prefill=prefill,
                      results=made.results.for_region(region) if made.results is not None and region else None,
                      previous=made.previous.for_region(region) if made.previous is not None and region else None)
    if cycle:
        request.cycle = cycle
    if response_id:
        request.response_id = response_id
        if not _is_uuid(response_id):
            made.warnings.append(f"Warning: the response id {response_id!r} is not a UUID; make sure no other "
                                 "workbook has it (two returns with one id count as one response, the newer "
                                 "replacing the older).")
    made.request, made.path = request, write_workbook(request, output, force=force)
    return made


def _check_options(instrument: Instrument, response_id: str | None, roster: str | Path | None, region: str | None,
                   assessments: list[str | Path], manifest: str | Path | None,
                   previous_plans: list[str | Path]) -> dict[str, str]:
    """The options that do not go together, each refused in one line; returns the answers filled in ahead."""
    plan = instrument.kind == Kind.ACTION_PLAN  # its workbook has the results sheet and last cycle's follow-up
    if region and (instrument.per_person or roster is not None):
        raise OptionMistake("--region is for one action plan, without --roster.")
    if manifest and not assessments:
        raise OptionMistake("--manifest goes with --assessments.")
    if assessments and not (plan and (roster is not None or region)):
        raise OptionMistake("--assessments is for the action plan, with --roster or --region.")
    if previous_plans and not (plan and (roster is not None or region)):
        raise OptionMistake("--previous-plans is for the action plan, with --roster or --region.")
    if response_id and roster is not None:
        raise OptionMistake("--response-id cannot be used with --roster (each workbook gets its own).")
    if not region:
        return {}
    name = instrument.filled_from("region")
    if name is None:
        raise OptionMistake(f"--region: {instrument.title} has no region answer to fill in.")
    return {name: region}


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True
