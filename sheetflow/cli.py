"""The ``sheetflow`` command. Each command parses its options and calls one library function.

Exit codes are decided here and only here: 0 all good, 1 some returns have
problems, 2 the command could not run.
"""

from __future__ import annotations

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
