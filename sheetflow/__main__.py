"""`python -m sheetflow` runs the command line, like the `sheetflow` command."""

from .cli import main

main()
