"""The ``sheetflow`` command. Each command parses its options and calls one library function.

Exit codes are decided here and only here: 0 all good, 1 some returns have
problems, 2 the command could not run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Iterator

import click

from .instruments import definitions
from .errors import OptionMistake, SheetflowError
from .files import check_folder, check_output
from .text import plural

OK, PROBLEMS, FAILED = 0, 1, 2


def _use_definitions(_ctx: click.Context, _param: click.Parameter, value: Path | None) -> Path | None:
    """Load the user's definitions beside the bundled ones, here and in every worker process (the environment
    variable is set for them); a definition with a mistake stops the command before anything is read."""
    if value is not None:
        definitions.use(value)
    return value


definitions_option = click.option(
    "--definitions", type=click.Path(file_okay=False, path_type=Path), envvar=definitions.ENVIRONMENT,
    expose_value=False, is_eager=True, callback=_use_definitions,
    help="A folder of your own instrument definitions (.toml), used beside the bundled ones; one with the id of "
         "a bundled one takes its place (or set SHEETFLOW_DEFINITIONS; docs/instruments.md).")

workers_option = click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
                              help="Files read at once, each in its own worker process.")


def sending_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """The options of the commands that write email (mail, reply): drafts by default, or --send over SMTP."""
    for option in reversed((
            click.option("--sender", envvar="SHEETFLOW_SENDER",
                         help='From: "Name <address>" (or set SHEETFLOW_SENDER).'),
            click.option("--send", is_flag=True, help="Send over SMTP instead of writing drafts."),
            click.option("--smtp", metavar="HOST:PORT", help="The SMTP server for --send (STARTTLS; port 465: TLS). "
                         "Credentials come only from SHEETFLOW_SMTP_USER and SHEETFLOW_SMTP_PASSWORD."),
            click.option("--no-starttls", is_flag=True, help="Send unencrypted: only for a local test server."))):
        command = option(command)
    return command


def _instrument(name: str) -> definitions.Instrument:
    """generate takes an instrument's short name (assessment) or its id (sector-self-assessment)."""
    current = definitions.load_all().values()
    for instrument in current:
        if name in instrument.names:
            return instrument
    known = ", ".join(n for i in current for n in i.names)
    raise click.BadParameter(f"{name!r} is not an instrument (known: {known}; `sheetflow instruments` lists them).",
                             param_hint="'INSTRUMENT'")


def _show_version(ctx: click.Context, _param, value: bool) -> None:
    # Looked up only when asked for: importlib.metadata would cost every worker process ~30 ms.
    if value and not ctx.resilient_parsing:
        from . import __version__

        click.echo(f"sheetflow, version {__version__}")
        ctx.exit()


def _one_batch(command):
    """Garbage collection off while a command reads one batch of returns whose records live to its end
    (collecting would only re-scan them); left on for the commands that run long (collect)."""
    @functools.wraps(command)
    def run(*args, **kwargs):
        gc.disable()
        try:
            return command(*args, **kwargs)
        finally:
            gc.enable()
    return run


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_show_version,
              help="Show the version and exit.")
def cli():
    """Run the Sector Strategies Self-Assessment and Action Planning tool with partners in Excel."""


@cli.command()
@click.argument("instrument")
@click.option("-o", "--output", type=click.Path(), required=True,
              help="The workbook to write (.xlsx); with --roster, the folder for the workbooks.")
@click.option("--cycle", help="The assessment cycle stamped on the workbook (default: this year).")
@click.option("--response-id", help="Use this response id instead of a new one (for reproducible files).")
@click.option("--roster", type=click.Path(dir_okay=False, path_type=Path),
              help="A roster (CSV or .xlsx): one pre-filled workbook per person (assessment) or per region "
                   "(action plan), recorded in OUTPUT/manifest.csv.")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
@click.option("--assessments", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Action plan: the self-assessment returns (files or folders); each region's plan starts from "
                   "its region's results (valid, newest returns of --cycle only).")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="With --assessments: what was sent (manifest.csv), so each plan says how many were asked.")
@click.option("--region", help="Action plan without --roster: the region it is for (filled in, and with "
                                "--assessments the region whose results it starts from).")
@click.option("--previous-plans", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Action plan: the previous cycle's returned plans (files or folders); each region's plan "
                   "lists its previous plan's actions and asks what became of them (valid, newest copies).")
@definitions_option
def generate(instrument, output, cycle, response_id, roster, force, assessments, manifest, region, previous_plans):
    """Write a locked workbook for INSTRUMENT (assessment or action-plan, or the short name or id of your own
    definition): a blank one, or with --roster one pre-filled workbook per person (per region for the action
    plan)."""
    from .planning.workbooks import make_workbooks

    with _usage():
        made = make_workbooks(_instrument(instrument), output, cycle=cycle, response_id=response_id, roster=roster,
                              region=region, assessments=assessments, manifest=manifest,
                              previous_plans=previous_plans, force=force, showing=_progress)
    for warning in made.warnings:
        click.echo(warning, err=True)
    click.echo("\n".join(made.lines()))
    return OK


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable report (JSON).")
@click.option("--feedback", type=click.Path(file_okay=False, path_type=Path),
              help="Write a note for each file that is not valid into this folder.")
@click.option("--force", is_flag=True, help="Replace existing feedback notes.")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="With --feedback: the manifest.csv from generate --roster (or its folder), so that each note "
                   "greets its partner by the name the manifest has for them.")
@definitions_option
@workers_option
@_one_batch
def validate(paths, as_json, feedback, force, manifest, workers):
    """Check returned workbooks (PATHS: files or folders of them): what each partner must fix."""
    from .outreach.feedback import check_returns

    with _usage():
        checked = check_returns(paths, feedback=feedback, manifest=manifest, force=force, workers=workers,
                                empty_ok=as_json, showing=_progress)
    report = checked.report
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        if not report.files:  # the JSON says so too, for a script; the exit code says the inbox was empty
            raise SheetflowError("No files to validate.")
    else:
        click.echo(report.to_text())
    if checked.notes_line():
        click.echo(checked.notes_line(), err=as_json)
    return OK if report.all_valid else PROBLEMS


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(), required=True,
              help="The roll-up workbook to write (.xlsx).")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each table as a CSV file into this folder.")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option("--strict", is_flag=True, help="Exit with 1 when any file was left out.")
@click.option("--no-pivots", is_flag=True, help="Leave out the PivotTable sheets (for tools that cannot read them).")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="What was sent (from generate --roster): adds who is outstanding and the response rate.")
@click.option("--previous", type=click.Path(dir_okay=False, path_type=Path), multiple=True,
              help="An earlier roll-up sheetflow made: its cycles are brought in (for change over time). Once: "
                   "the latest earlier roll-up, which carries the cycles before it too.")
@click.option("--cycle", help="The cycle the summaries show (default: the latest).")
@definitions_option
@workers_option
@_one_batch
def rollup(paths, output, csv_dir, force, strict, no_pivots, manifest, previous, cycle, workers):
    """Validate returns (PATHS: files or folders of them, of one cycle or several) and consolidate every valid
    one into a regional roll-up workbook (-o)."""
    from .rollup.run import roll_up_into

    if len(previous) > 1:
        raise click.UsageError(f"--previous is given once (here {len(previous)} times: "
                               f"{', '.join(p.name for p in previous)}): the latest earlier roll-up, which already "
                               "carries the cycles before it.")
    with _progress("Reading returns") as progress:
        made = roll_up_into(paths, output, csv_dir, force=force, pivots=not no_pivots, manifest=manifest,
                            previous=previous[0] if previous else None, cycle=cycle, workers=workers,
                            progress=progress.update, on_start=progress.start)
    click.echo("\n".join(made.lines()))
    return PROBLEMS if strict and made.rollup.files_out else OK


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(path_type=Path), required=True,
              help="The manifest.csv written by `generate --roster` (or its folder): who gets which workbook.")
@click.option("-o", "--outbox", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the .eml drafts (and sent.csv when sending).")
@click.option("--only", type=click.Choice(["outstanding", "problems"]),
              help="Write only to those who have not sent it back, or only to those whose return has problems.")
@click.option("--cycle", help="Only the recipients of this cycle (default: the manifest's latest).")
@click.option("--due", type=click.DateTime(["%Y-%m-%d"]), help="The due date to mention (YYYY-MM-DD).")
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file with your own subjects and texts (same shape as the bundled email.toml).")
@sending_options
@click.option("--force", is_flag=True, help="Replace existing drafts.")
@workers_option
@definitions_option
def mail(paths, manifest, outbox, only, cycle, due, template, sender, send, smtp, no_starttls, force, workers):
    """Draft (or --send) the emails to the people in the manifest (--manifest, written by generate --roster),
    each with its workbook attached.

    Without PATHS everyone in the manifest gets an invitation. With the returns (files or folders)
    those who have not sent theirs back get a reminder and those whose return has problems get the
    list of what to fix; nobody else is written to.
    """
    from .outreach.mailing import write_mail

    with _usage():
        run = write_mail(manifest, outbox, returns=paths, only=only, cycle=cycle, due=due.date() if due else None,
                         sender=sender, template=template, send=send, smtp=smtp, starttls=not no_starttls,
                         force=force, workers=workers, showing=_progress)
    for line in run.warnings:
        click.echo(line, err=True)
    click.echo("\n".join(run.lines()))
    for line in run.not_written():
        click.echo(line, err=True)
    return OK


@cli.command(name="collect")
@click.argument("sources", nargs=-1, type=click.Path(path_type=Path))
@click.option("-o", "--output", "inbox", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="The inbox folder for the returned files and the ledger collected.csv.")
@click.option("--imap", metavar="HOST[:PORT]", help="Read an IMAP mailbox (read-only; TLS, port 993 by default). "
              "The password comes only from SHEETFLOW_IMAP_PASSWORD.")
@click.option("--user", help="The IMAP user name.")
@click.option("--folder", default="INBOX", show_default=True, help="The IMAP folder to read.")
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), help="Only IMAP messages received on or after this date.")
@click.option("--no-tls", is_flag=True, help="Connect without TLS: only to this computer (a local test server).")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="The manifest.csv from generate --roster: ties each file to a recipient (response_id).")
@definitions_option
def collect_mail(sources, inbox, imap, user, folder, since, no_tls, manifest):
    """Save the returned workbooks attached to received mail (SOURCES: .eml, .mbox, Maildir, Outlook .msg
    files or folders of them; or --imap) into an inbox folder, each once, listed in collected.csv.
    Exit 1 when some mail could not be read, 2 when none could (docs/collect.md)."""
    from .arrival.collect import collect_mail as collect
    from .arrival.imap import Imap

    if not sources and not imap:
        raise click.UsageError("Give mail files or folders to read, or --imap HOST --user NAME.")
    if imap and not user:
        raise click.UsageError("--imap needs --user.")
    if (since or no_tls) and not imap:
        raise click.UsageError("--since and --no-tls are for --imap.")
    sessions = [Imap(imap, user, os.environ.get("SHEETFLOW_IMAP_PASSWORD"), tls=not no_tls)] if imap else []
    with _progress("Reading mail") as progress:
        report = collect(list(sources) + sessions, inbox, manifest=manifest, folder=folder,
                         since=since.date() if since else None, progress=progress.update, on_start=progress.start)
    click.echo(report.to_text())  # every text from the mail in it is escaped (terminal.shown)
    return report.exit_code


@cli.command(name="reply")
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("-o", "--outbox", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for the replies (.eml drafts) and their ledger replied.csv.")
@click.option("--manifest", type=click.Path(path_type=Path),
              help="The manifest.csv from generate --roster (or its folder): replies only to each return's own "
                   "recipient; anything else is listed for you.")
@click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
              help="A TOML file with your own texts (its [reply] table; same shape as the bundled email.toml).")
@sending_options
@click.option("--json", "as_json", is_flag=True, help="Print the digest as JSON.")
@workers_option
@definitions_option
def reply_command(inbox, outbox, manifest, template, sender, send, smtp, no_starttls, as_json, workers):
    """Answer each message collect saved returns from (INBOX, with its collected.csv), in reply to it: what was
    received, what to fix, or why it cannot be read. Each is answered once (OUTBOX/replied.csv)."""
    from .outreach.mail import check_sending, load_templates
    from .outreach.reply import reply

    with _usage():
        check_sending(send, smtp)
    check_folder(outbox, "-o names the folder for the replies", not_suffixes=(".eml", ".msg", ".txt", ".csv"))
    templates = load_templates(template)
    with _progress("Reading returns") as progress:
        report = reply(inbox, outbox, manifest=manifest, templates=templates, sender=sender, smtp=smtp,
                       starttls=not no_starttls, workers=workers, progress=progress.update, on_start=progress.start)
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else report.to_text())
    return PROBLEMS if report.needs_convener else OK


@contextlib.contextmanager
def _usage() -> Iterator[None]:
    """A library call whose options do not go together (``OptionMistake``) shows click's usage error."""
    try:
        yield
    except OptionMistake as mistake:
        raise click.UsageError(str(mistake)) from None


class _progress:
    """A progress bar on stderr when many files are read interactively; silent otherwise."""

    def __init__(self, label: str, threshold: int = 10):
        self.label, self.threshold = label, threshold
        self.bar: Any = None  # click's progress bar, once started

    def __enter__(self):
        return self

    def start(self, total: int):
        if total >= self.threshold and sys.stderr.isatty():
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()

    def update(self, count: int):
        if self.bar:
            self.bar.update(count)

    def __exit__(self, *exc):
        if self.bar:
            self.bar.__exit__(*exc)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--manifest", type=click.Path(path_type=Path), required=True,
              help="The manifest.csv written by `generate --roster` (or its folder).")
@click.option("--cycle", help="Only the recipients of this cycle.")
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable report (JSON).")
@definitions_option
@workers_option
@_one_batch
def status(paths, manifest, cycle, as_json, workers):
    """Who has returned what: each recipient in the manifest (--manifest, written by generate --roster)
    against the returns in PATHS (files or folders of them)."""
    from .tracking.status import status as status_of_returns

    with _progress("Reading returns") as progress:
        report = status_of_returns(paths, manifest, cycle=cycle, workers=workers, progress=progress.update,
                               on_start=progress.start)
    click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False) if as_json else report.to_text())
    return OK if report.all_returned else PROBLEMS


@cli.command(name="instruments")
@click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
@definitions_option
def list_instruments(as_json):
    """List the instruments: the name `generate` takes (short or full), version and title."""
    issued = definitions.load_issued()
    known: list[dict[str, Any]] = [{"name": i.short_name or i.id, "id": i.id, "version": i.version, "title": i.title,
              "named_answers": len(i.answers),
              "reads_versions": sorted(v for key, v in issued if key == i.id)}  # returns of these validate
             for i in definitions.load_all().values()]
    if as_json:
        click.echo(json.dumps(known, indent=2, ensure_ascii=False))
        return OK
    width = max([12, *(len(i["name"]) + 1 for i in known)])
    for i in known:
        earlier = [v for v in i["reads_versions"] if v != i["version"]]
        click.echo(f"{i['name']:<{width}} {i['id']} {i['version']}: {i['title']} ({i['named_answers']} named answers"
                   + (f"; also reads returns of version {', '.join(earlier)}" if earlier else "") + ")")
    return OK


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; turn every failure into a message and an exit code."""
    try:
        code = cli.main(args=argv, prog_name="sheetflow", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("Aborted.", err=True)
        code = FAILED
    except click.ClickException as exc:
        exc.show()
        code = FAILED
    except SheetflowError as exc:
        click.echo(f"sheetflow: {exc}", err=True)
        code = FAILED
    except OSError as exc:
        click.echo(f"sheetflow: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), err=True)
        code = FAILED
    except Exception as exc:  # a bug in sheetflow itself: one line, the traceback only on request
        if os.environ.get("SHEETFLOW_DEBUG"):
            raise
        click.echo(f"sheetflow: internal error ({type(exc).__name__}: {exc}); please report it "
                   "(run with SHEETFLOW_DEBUG=1 to see the details).", err=True)
        code = FAILED
    code = OK if code is None else code
    if argv is None:  # the command is over: Python's collection at exit would walk every object it made (0.3 s
        gc.freeze()   # after a state-wide roll-up); frozen, they are only freed, as they would be anyway
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()


# What each command's exit code means, at the end of its --help (one place: the codes are main's).
_FAILED = "2 the command could not run (a bad option, a file that cannot be read or written)."
EXIT_CODES = {
    "generate": f"Exit codes: 0 the workbooks were written; {_FAILED}",
    "validate": f"Exit codes: 0 every file is valid; 1 some files have problems; {_FAILED}",
    "rollup": f"Exit codes: 0 the roll-up was written (with --strict: and no file was left out); 1 with --strict, "
              f"some files were left out; {_FAILED}",
    "mail": f"Exit codes: 0 the drafts were written or the messages sent; {_FAILED}",
    "collect": f"Exit codes: 0 the mail was read and its returns saved; {_FAILED}",
    "status": f"Exit codes: 0 everyone has returned a valid workbook; 1 some have not; {_FAILED}",
    "instruments": f"Exit codes: 0 listed; {_FAILED}",
}
for _name, _command in cli.commands.items():
    _command.epilog = EXIT_CODES.get(_name, f"Exit codes: 0 done; 1 some items have problems; {_FAILED}")
