"""The one exception for sheetflow's own failures.

Problems inside a respondent's file are never exceptions: they are records in
a report. ``SheetflowError`` is for when the command itself cannot run (a
broken definition, an output that already exists, a missing input); the CLI
turns it into one line on stderr and exit code 2.
"""


class SheetflowError(Exception):
    """The command could not run; ``str(error)`` is a message for the user."""


class DefinitionError(SheetflowError):
    """An instrument definition in workbook_templates/ is broken."""


class OptionMistake(SheetflowError):
    """Options that do not go together, refused before anything is read; the command line shows it as a usage
    error."""
