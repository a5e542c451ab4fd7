"""sheetflow: run sector-partnership instruments with partners who live in Excel."""

from .errors import DefinitionError, SheetflowError

__all__ = ["DefinitionError", "SheetflowError", "__version__"]


def __getattr__(name: str):
    # The version is looked up when asked for: importlib.metadata costs every worker process ~35 ms to import.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("sheetflow")
        except PackageNotFoundError:  # running from a source tree
            return "0.0.0+source"
    raise AttributeError(f"module 'sheetflow' has no attribute {name!r}")
