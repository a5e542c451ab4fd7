"""sheetflow: run sector-partnership instruments with partners who live in Excel.

One function per step of a cycle, each the library call its command makes::

    import sheetflow

    sheetflow.generate_for_roster("assessment", "roster.csv", "sent/", cycle="2026")   # generate --roster
    sheetflow.draft_mail("sent/", "outbox/", due=datetime.date(2026, 4, 30))           # mail (invitations)
    sheetflow.collect_mail(["mail-export/"], "inbox/", manifest="sent/")               # collect
    report = sheetflow.validate(["inbox/"])                                            # validate
    who = sheetflow.status(["inbox/"], "sent/")                                        # status
    sheetflow.draft_mail("sent/", "outbox/", returns=["inbox/"])                       # mail (reminders)
    rollup = sheetflow.roll_up(["inbox/"], manifest="sent/")                           # rollup
    sheetflow.write_rollup(rollup, "rollup.xlsx", csv_dir="csv/")

A state's own instruments: ``sheetflow.use_definitions("definitions/")`` (or the environment variable
``SHEETFLOW_DEFINITIONS``) loads the ``.toml`` files of that folder beside the bundled ones, for every
call after it and the worker processes it starts (docs/instruments.md).

Validation reads files in worker processes: in a script, call these under ``if __name__ == "__main__":``.
Nothing heavy is imported until a function is called (worker processes import this package too).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import DefinitionError, SheetflowError

if TYPE_CHECKING:
    from .instruments.definitions import Instrument
    from .instruments.workbook import Request
    from .intake.codes import Code, Finding, Skip
    from .intake.report import FileReport, Report, Status
    from .arrival.collect import CollectReport
    from .outreach.mail import DraftResult, SendResult
    from .instruments.manifest import ManifestRow
    from .tracking.status import State, StatusReport
    from .planning.previous_plans import PreviousPlans
    from .planning.region_results import AssessmentResults, RegionResults
    from .rollup.tables import Rollup

__all__ = [
    # the steps of a cycle
    "use_definitions", "instrument", "generate", "generate_for_roster", "assessment_results", "previous_plans", "collect_mail",
    "validate", "status", "draft_mail", "send_mail", "roll_up", "write_rollup",
    # what they return
    "Instrument", "Request", "ManifestRow", "CollectReport", "Report", "FileReport", "Finding", "StatusReport",
    "DraftResult", "SendResult", "Rollup", "AssessmentResults", "RegionResults", "PreviousPlans",
    # the closed sets in them (StrEnums: each equals its text, as --json prints it)
    "Status", "State", "Code", "Skip",
    # failures
    "SheetflowError", "DefinitionError", "__version__",
]

# Report types, imported when first asked for (``sheetflow.Report``): name -> module.
_TYPES = {
    "Instrument": "instruments.definitions", "Request": "instruments.workbook", "Finding": "intake.codes",
    "Report": "intake.report", "FileReport": "intake.report", "CollectReport": "arrival.collect",
    "DraftResult": "outreach.mail", "SendResult": "outreach.mail", "ManifestRow": "instruments.manifest",
    "StatusReport": "tracking.status", "PreviousPlans": "planning.previous_plans",
    "AssessmentResults": "planning.region_results", "RegionResults": "planning.region_results",
    "Rollup": "rollup.tables", "Status": "intake.report", "State": "tracking.status", "Code": "intake.codes",
    "Skip": "intake.codes",
}


def use_definitions(folder: str | Path | None) -> None:
    """Use the instrument definitions in ``folder`` (``.toml`` files, as ``--definitions``) beside the bundled ones:
    one with the id of a bundled one takes its place. It sets ``SHEETFLOW_DEFINITIONS`` for this process and
    the worker processes it starts; None goes back to the bundled ones only. A definition with a mistake
    raises DefinitionError, one line per mistake."""
    from .instruments import definitions

    definitions.use(folder)


def instrument(name: str | Path) -> Instrument:
    """An instrument's definition: its short name (``"assessment"``, ``"action-plan"``), its id, or a ``.toml``
    file."""
    from .instruments import definitions

    return definitions.load(name)


def generate(instrument: str | Path | Instrument, output: str | Path, *, cycle: str | None = None,
             response_id: str | None = None, region: str | None = None,
             results: AssessmentResults | None = None, previous: PreviousPlans | None = None,
             force: bool = False) -> Path:
    """Write one locked workbook (``sheetflow generate``); returns its path.

    ``cycle`` defaults to this year, ``response_id`` to a new UUID. For an action plan, ``region`` fills
    it in and picks the region's ``results`` (``assessment_results``) and ``previous`` plan
    (``previous_plans``). Never overwrites a file unless ``force``."""
    from .instruments.workbook import Request, generate as write

    chosen = _instrument(instrument)
    where = chosen.filled_from("region")
    request = Request(chosen, prefill={where: region} if region and where else {},
                      results=results.for_region(region) if results is not None and region else None,
                      previous=previous.for_region(region) if previous is not None and region else None)
    if cycle:
        request.cycle = cycle
    if response_id:
        request.response_id = response_id
    return write(request, Path(output), force=force)


def generate_for_roster(instrument: str | Path | Instrument, roster: str | Path, folder: str | Path, *,
                        cycle: str | None = None, results: AssessmentResults | None = None,
                        previous: PreviousPlans | None = None, force: bool = False) -> list[ManifestRow]:
    """A pre-filled workbook per person on the roster (per region, for its lead, for the action plan),
    recorded in ``folder/manifest.csv`` (``sheetflow generate --roster``); returns the manifest's rows."""
    from .instruments.roster import generate_for_roster as write_all

    return write_all(_instrument(instrument), roster, folder, cycle, force=force, results=results,
                     previous=previous)


def assessment_results(paths: Iterable[str | Path], cycle: str, manifest: str | Path | None = None, *,
                       workers: int = 2) -> AssessmentResults:
    """Each region's self-assessment results of ``cycle``, from the returns in ``paths``, for the action
    plans to start from (``generate --assessments``)."""
    from .planning.region_results import assessment_results as collect

    return collect(list(paths), cycle, manifest, workers=workers)


def previous_plans(paths: Iterable[str | Path], cycle: str, *, workers: int = 2) -> PreviousPlans:
    """Each region's action plan of the cycle before ``cycle``, for the new plans to follow up
    (``generate --previous-plans``)."""
    from .planning.previous_plans import previous_plans as collect

    return collect(list(paths), cycle, workers=workers)


def collect_mail(sources: Iterable[Any], inbox: str | Path, *, manifest: str | Path | None = None,
                 since: dt.date | None = None, folder: str = "INBOX") -> CollectReport:
    """Save every attachment that may be a return from mail files, folders or ``Imap`` sessions
    (``sheetflow.arrival.imap.Imap``) into ``inbox``, once each, with its ledger (``sheetflow collect``)."""
    from .arrival.collect import collect_mail as collect

    return collect(list(sources), Path(inbox), manifest=manifest, since=since, folder=folder)


def validate(paths: Iterable[str | Path], *, workers: int = 2) -> Report:
    """Validate returned files and folders cell by cell (``sheetflow validate``): one record per file,
    never an exception for a partner's file."""
    from .intake.validate import validate_paths

    return validate_paths(list(paths), workers=workers)


def status(paths: Iterable[str | Path], manifest: str | Path, *, cycle: str | None = None,
           workers: int = 2) -> StatusReport:
    """Who has returned what: the returns validated and matched to the manifest (``sheetflow status``)."""
    from .tracking.status import status as status_of_returns

    return status_of_returns(list(paths), manifest, cycle=cycle, workers=workers)


def draft_mail(manifest: str | Path, outbox: str | Path, *, returns: Iterable[str | Path] = (),
               only: str | None = None, cycle: str | None = None, due: dt.date | None = None,
               sender: str | None = None, template: str | Path | None = None, force: bool = False,
               workers: int = 2) -> DraftResult:
    """One ``.eml`` draft per recipient of the cycle in view (``cycle``, else the manifest's latest) (``sheetflow
    mail``): without ``returns`` an invitation for everyone in the manifest; with them a reminder for those
    outstanding and the fix-list for those with problems (``only``: "outstanding" or "problems")."""
    from .outreach.mail import DraftResult
    from .outreach.mailing import write_mail

    result = write_mail(manifest, outbox, returns=returns, only=only, cycle=cycle, due=due, sender=sender,
                        template=template, force=force, workers=workers).result
    assert isinstance(result, DraftResult)
    return result


def send_mail(manifest: str | Path, outbox: str | Path, smtp: str, *, returns: Iterable[str | Path] = (),
              only: str | None = None, cycle: str | None = None, due: dt.date | None = None,
              sender: str | None = None, template: str | Path | None = None, workers: int = 2) -> SendResult:
    """Send the messages ``draft_mail`` would write over SMTP (``sheetflow mail --send --smtp HOST:PORT``),
    each recorded in ``outbox/sent.csv`` as it goes; credentials from ``SHEETFLOW_SMTP_USER`` and
    ``SHEETFLOW_SMTP_PASSWORD``."""
    from .outreach.mail import SendResult
    from .outreach.mailing import write_mail

    result = write_mail(manifest, outbox, returns=returns, only=only, cycle=cycle, due=due, sender=sender,
                        template=template, send=True, smtp=smtp, workers=workers).result
    if not isinstance(result, SendResult):  # nobody to write to: nothing sent
        return SendResult()
    return result


def roll_up(paths: Iterable[str | Path], *, manifest: str | Path | None = None,
            previous: str | Path | None = None, cycle: str | None = None, workers: int = 2) -> Rollup:
    """Every valid return consolidated into the roll-up's tables (``sheetflow rollup``); with ``manifest``
    also who is outstanding; ``previous``: an earlier roll-up whose cycles come along; ``cycle``: the one
    the summaries show (default the latest)."""
    from .rollup.run import roll_up as build

    return build(list(paths), manifest=manifest, workers=workers, previous=previous, cycle=cycle)


def write_rollup(rollup: Rollup, output: str | Path, *, csv_dir: str | Path | None = None, force: bool = False,
                 pivots: bool = True) -> list[Path]:
    """Write the roll-up workbook (and each table as CSV into ``csv_dir``): all or nothing, never over a file
    unless ``force``; returns the files written."""
    from .rollup.run import write_outputs

    return write_outputs(rollup, Path(output), Path(csv_dir) if csv_dir is not None else None, force=force,
                         pivots=pivots)


def _instrument(given: str | Path | Instrument) -> Instrument:
    return instrument(given) if isinstance(given, (str, Path)) else given


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from .version import version

        return version()
    if name in _TYPES:
        import importlib

        return getattr(importlib.import_module(f".{_TYPES[name]}", __name__), name)
    raise AttributeError(f"module 'sheetflow' has no attribute {name!r}")
