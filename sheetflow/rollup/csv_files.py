"""Write the roll-up's tables as CSV files, with partners' text made safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from ..errors import SheetflowError
from ..files import atomic_path, csv_cell
from .table_sheets import missing
from .tables import Rollup


def write_csv(rollup: Rollup, folder: Path, force: bool = False) -> list[Path]:
    """Each table as ``Table.csv`` (UTF-8 with a byte-order mark, as Excel expects); nothing is replaced
    unless ``force``."""
    folder = Path(folder)
    names = rollup.table_names + (["Trend"] if len(rollup.cycles) > 1 else [])  # Trend: on Change over time
    targets = {name: folder / f"{name}.csv" for name in names}
    existing = [str(p) for p in targets.values() if p.exists()]
    if existing and not force:
        raise SheetflowError(f"{existing[0]} already exists; use --force to replace it.")
    for name, path in targets.items():
        with atomic_path(path, force=True) as tmp, open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            frame = rollup.tables[name]
            writer.writerow(frame.columns)
            for row in frame.itertuples(index=False):
                writer.writerow([_cell(v) for v in row])
    return list(targets.values())


def _cell(value: object) -> object:
    """A table value for CSV: blank, a number as it is, a date in ISO form, or text through ``csv_cell``."""
    if missing(value):
        return None
    if isinstance(value, str):
        return csv_cell(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return value
