"""The roll-up from returned files: validate them, match them to the manifest if there is one, build the tables.

    rollup = roll_up(["inbox/"], manifest="out/manifest.csv")
    rollup.tables["Responses"]                      # a pandas DataFrame
    workbook.write(rollup, "Roll-up.xlsx")          # for the board

``sheetflow rollup`` makes them in one call, ``roll_up_into``: its outputs checked first (``check_outputs``),
the returns rolled up, then the workbook and CSV files written (``write_outputs``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable

from ..files import check_files, check_folder, check_output
from ..intake.report import LEFT_OUT
from ..intake.validate import validate_paths
from ..instruments.manifest import manifest_path, read_manifest
from ..text import plural
from ..tracking.status import match, validate_returns

if TYPE_CHECKING:
    from .tables import Rollup


def roll_up(paths: Iterable, manifest=None, workers: int = 2, progress: Callable[[int], None] | None = None,
            on_start: Callable[[int], None] | None = None, previous=None,
            cycle: str | None = None):
    """A tables.Rollup of every valid return in ``paths`` (files or folders), with what was left out and why.

    With ``manifest`` (the manifest.csv written by ``generate --roster``, or its folder), the
    manifest and the workbooks sent are not taken for returns, and the roll-up also lists who is
    outstanding and the response rate. Each return's cycle is the one stamped in it. ``previous``:
    an earlier roll-up workbook sheetflow made, whose cycles are brought in (a valid return here
    replaces the previous roll-up's rows of the same response). ``cycle``: the cycle the summaries
    show (default the latest). Both fail (``SheetflowError``) before any return is read.
    """
    earlier = None
    if previous is not None:
        from .previous import read

        earlier = read(previous)
    if manifest is None:
        report, matched = validate_paths(paths, workers=workers, progress=progress, on_start=on_start), None
    else:
        ledger = manifest_path(manifest)
        rows = read_manifest(ledger)  # a missing or damaged manifest fails before any return is read
        report = validate_returns(paths, ledger, workers=workers, progress=progress, on_start=on_start)
        matched = match(report, rows, manifest=ledger)
    from .tables import build  # here, not above: pandas loads while the returns are read, not before

    return build(report, matched, previous=earlier, cycle=cycle)


def check_outputs(output, csv_dir=None, force: bool = False) -> None:
    """Refuse, before any return is read, a roll-up workbook or CSV folder that cannot be written as named."""
    check_output(output, (".xlsx",), force, what="roll-up workbook")
    if csv_dir is not None:
        check_folder(csv_dir, "--csv names the folder for the tables' CSV files",
                     not_suffixes=(".csv", ".xlsx", ".xlsm", ".xls"))


def write_outputs(rollup, output, csv_dir=None, force: bool = False, pivots: bool = True) -> list[Path]:
    """Write the roll-up workbook and (with ``csv_dir``) each table as CSV: all or nothing.

    Every output is checked before any is written. With ``force``, a table's CSV that this
    roll-up does not write (Outstanding.csv from an earlier run with a manifest) is removed, so
    the folder never mixes two roll-ups.
    """
    from .csv_files import write_csv
    from .tables import TABLES
    from .workbook import write

    check_outputs(output, csv_dir, force)
    planned = check_files([Path(csv_dir) / f"{name}.csv" for name in TABLES], force) if csv_dir else []
    written = [write(rollup, output, force=force, pivots=pivots)]
    if csv_dir is not None:
        tables = write_csv(rollup, csv_dir, force=force)
        for stale in set(planned) - set(tables):
            stale.unlink(missing_ok=True)
        written += tables
    return written


@dataclass
class RolledUp:
    """What ``roll_up_into`` made: the roll-up, and the files written (the workbook first)."""

    rollup: Rollup
    output: Path
    written: list[Path] = field(default_factory=list)

    def lines(self) -> list[str]:
        """What the terminal says: what is in the workbook, the cycles, the files skipped and why, and notes."""
        result, s = self.rollup, self.rollup.summary
        left = ", ".join(f"{s[k]} {k}" for k in LEFT_OUT if s[k])
        lines = [f"Wrote {self.output}: {result.files_in} of {plural(result.sources, 'file')} included"
                 + (f"; {result.files_out} left out ({left}), listed on its Submissions and Problems sheets."
                    if result.files_out else ".")]
        if len(result.cycles) > 1:
            lines.append(f"Cycles {', '.join(result.cycles)}; the summaries show {result.cycle}.")
        lines += [f"Skipped {Path(path).name}: {why}." for path, why in result.skipped]
        return lines + [note for note in (result.other_cycles_note(), result.thin_note()) if note]


def roll_up_into(paths: Iterable, output: str | Path, csv_dir: str | Path | None = None, *, force: bool = False,
                 pivots: bool = True, manifest: str | Path | None = None, previous: str | Path | None = None,
                 cycle: str | None = None, workers: int = 2, progress: Callable[[int], None] | None = None,
                 on_start: Callable[[int], None] | None = None) -> RolledUp:
    """``sheetflow rollup``: the outputs checked before any return is read, every valid return in ``paths``
    rolled up (``roll_up``), the workbook ``output`` and (with ``csv_dir``) the CSV files written, all or
    nothing (``write_outputs``)."""
    check_outputs(output, csv_dir, force)
    rollup = roll_up(paths, manifest, workers=workers, progress=progress, on_start=on_start, previous=previous,
                     cycle=cycle)
    written = write_outputs(rollup, output, csv_dir, force=force, pivots=pivots)
    return RolledUp(rollup, Path(output), written)
