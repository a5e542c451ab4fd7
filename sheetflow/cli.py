"""The ``sheetflow`` command. Each command parses its options and calls one library function.

Exit codes are decided here and only here: 0 all good, 1 some returns have
problems, 2 the command could not run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import __version__, definitions
from .errors import SheetflowError

OK, PROBLEMS, FAILED = 0, 1, 2
INSTRUMENTS = {"assessment": "sector-self-assessment", "action-plan": "sector-action-plan"}


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="sheetflow")
def cli():
    """Run the Sector Strategies Self-Assessment and Action Planning tool with partners in Excel."""


@cli.command()
@click.argument("instrument", type=click.Choice(sorted(INSTRUMENTS)))
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True,
              help="The workbook to write (.xlsx).")
@click.option("--cycle", help="The assessment cycle stamped on the workbook (default: this year).")
@click.option("--response-id", help="Use this response id instead of a new one (for reproducible files).")
@click.option("--force", is_flag=True, help="Replace the output if it exists.")
def generate(instrument, output, cycle, response_id, force):
    """Write a blank, locked workbook for INSTRUMENT (assessment or action-plan)."""
    from .generate import Request, generate as write

    request = Request(definitions.load(INSTRUMENTS[instrument]))
    if cycle:
        request.cycle = cycle
    if response_id:
        request.response_id = response_id
    path = write(request, output, force=force)
    click.echo(f"Wrote {path} ({request.instrument.title}, response id {request.response_id}).")
    return OK


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the machine-readable report (JSON).")
@click.option("--feedback", type=click.Path(file_okay=False, path_type=Path),
              help="Write a note for each file that is not valid into this folder.")
@click.option("--force", is_flag=True, help="Replace existing feedback notes.")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True,
              help="Files read at once, each in its own worker process.")
def validate(paths, as_json, feedback, force, workers):
    """Check returned workbooks (files or folders): what each partner must fix."""
    from .report import write_feedback
    from .validate import validate_paths

    with _progress("Reading returns") as progress:
        report = validate_paths(paths, workers=workers, progress=progress.update, on_start=progress.start)
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(report.to_text())
    if feedback:
        titles = {i.id: i.title for i in definitions.load_all().values()}
        notes = write_feedback(report, feedback, titles, force=force)
        click.echo(f"Wrote {len(notes)} feedback notes to {feedback}.", err=as_json)
    return OK if report.all_valid else PROBLEMS


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The roll-up workbook to write (.xlsx).")
@click.option("--csv", "csv_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Also write each table as a CSV file into this folder.")
@click.option("--force", is_flag=True, help="Replace existing output files.")
@click.option("--strict", is_flag=True, help="Exit with 1 when any file was left out.")
@click.option("--workers", type=click.IntRange(1, 32), default=2, show_default=True)
def rollup(paths, output, csv_dir, force, strict, workers):
    """Validate returns and consolidate every valid one into a regional roll-up workbook."""
    from .rollup import build
    from .rollup_xlsx import write, write_csv
    from .validate import validate_paths

    if output.exists() and not force:
        raise SheetflowError(f"{output} already exists; use --force to replace it.")
    with _progress("Reading returns") as progress:
        report = validate_paths(paths, workers=workers, progress=progress.update, on_start=progress.start)
    result = build(report)
    write(result, output, force=force)
    if csv_dir:
        write_csv(result, csv_dir, force=force)
    s = report.summary
    left = ", ".join(f"{s[k]} {k}" for k in ("invalid", "rejected", "superseded") if s[k])
    click.echo(f"Wrote {output}: {result.files_in} of {len(report.files)} files included"
               + (f"; {result.files_out} left out ({left}), listed on its Submissions and Problems sheets."
                  if result.files_out else "."))
    return PROBLEMS if strict and result.files_out else OK


class _progress:
    """A progress bar on stderr when many files are read interactively; silent otherwise."""

    def __init__(self, label: str, threshold: int = 10):
        self.label, self.threshold, self.bar = label, threshold, None

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


@cli.command(name="instruments")
def list_instruments():
    """List the instrument definitions sheetflow knows."""
    for instrument in definitions.load_all().values():
        click.echo(f"{instrument.id} {instrument.version}: {instrument.title} "
                   f"({len(instrument.answers)} named answers)")
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
    code = OK if code is None else code
    if argv is None:
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
