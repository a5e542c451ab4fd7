"""sheetflow: run sector-partnership instruments with partners who live in Excel."""

from importlib.metadata import PackageNotFoundError, version

from .errors import DefinitionError, SheetflowError

try:
    __version__ = version("sheetflow")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"

__all__ = ["DefinitionError", "SheetflowError", "__version__"]
