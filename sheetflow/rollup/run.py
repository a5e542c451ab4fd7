"""The roll-up from returned files: validate them, match them to the manifest if there is one, build the tables.

    rollup = roll_up(["inbox/"], manifest="out/manifest.csv")
    rollup.tables["Responses"]                      # a pandas DataFrame
    workbook.write(rollup, "Roll-up.xlsx")          # for the board

The same steps as ``sheetflow rollup``, which then writes the workbook (and CSV).
"""

from __future__ import annotations

from typing import Callable, Iterable

from ..intake.validate import validate_paths
from ..outreach.manifest import manifest_path, read_manifest
from ..outreach.status import match, validate_returns


def roll_up(paths: Iterable, manifest=None, workers: int = 2, progress: Callable[[int], None] | None = None,
            on_start: Callable[[int], None] | None = None, reader: str = "fast"):
    """A tables.Rollup of every valid return in ``paths`` (files or folders), with what was left out and why.

    With ``manifest`` (the manifest.csv written by ``generate --roster``, or its folder), the
    manifest and the workbooks sent are not taken for returns, and the roll-up also lists who is
    outstanding and the response rate.
    """
    if manifest is None:
        report, matched = validate_paths(paths, workers=workers, progress=progress, on_start=on_start,
                                         reader=reader), None
    else:
        ledger = manifest_path(manifest)
        rows = read_manifest(ledger)  # a missing or damaged manifest fails before any return is read
        report = validate_returns(paths, ledger, workers=workers, progress=progress, on_start=on_start,
                                  reader=reader)
        matched = match(report, rows, manifest=ledger)
    from .tables import build  # here, not above: pandas loads while the returns are read, not before

    return build(report, matched)
