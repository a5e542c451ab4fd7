"""sheetflow's version, looked up when asked for: importlib.metadata costs every worker process ~35 ms to import."""

from __future__ import annotations


def version() -> str:
    """The installed version, or ``0.0.0+source`` when running from a source tree."""
    from importlib.metadata import PackageNotFoundError, version as installed

    try:
        return installed("sheetflow")
    except PackageNotFoundError:  # running from a source tree
        return "0.0.0+source"
