"""The data tables' work for the workbook done in a second process while the main one writes the summaries.

Once the returns are read, the roll-up's main process writes the summaries with xlsxwriter, adds
the PivotTables and writes each data table's sheet, one after the other, while the machine's other
core waits. So a big roll-up's tables (``PARALLEL`` cells or more) go to a second process, started
with "spawn" as the readers are (Windows has no fork), which lays them out (number formats, widths,
row heights: ``table_sheets``), works out the PivotTables' caches and values (``pivots.pivot_data``)
and, given the cell formats' indexes in the workbook's styles (known once xlsxwriter has written
them), writes the rows of the biggest tables, the bulk of their sheets, while the main process writes
the others'. A small roll-up's tables are done here, where starting a process would cost more than it
saves; so is whatever the process has not answered if it fails. Either way the workbook's bytes are
the same.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import tempfile
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any, Sequence

from .pivots import Pivot, PivotData, pivot_data
from .table_sheets import TableSheet, TableStyles

PARALLEL = 50_000  # cells (about 150 returns): below, starting the process costs more than it saves


class TableWork:
    """The tables' layouts, pivot data (for ``pivots``, if any) and rows, worked out in a second process for a big
    roll-up. In this order: ``laid_out()``, ``table_sheets.add_table_styles``, ``write(styles)``, ``pivot_data()``,
    ``written()``; then ``close()``."""

    def __init__(self, tables: list[TableSheet], pivots: Sequence[Pivot] = (), cycle: str | None = None):
        self.tables, self.pivots, self.cycle = tables, tuple(pivots), cycle
        self.styles: TableStyles | None = None
        self.connection: Connection | None = None
        self.process: SpawnProcess | None = None
        self.file: Path | None = None
        cells = [len(t.header) * len(t.columns[0]) if t.columns else 0 for t in tables]
        # whose rows the process writes: the biggest tables, until it has half the cells; this one writes the others
        self.theirs: set[int] = set()
        for n in sorted(range(len(tables)), key=lambda n: -cells[n]):
            if sum(cells[k] for k in self.theirs) < sum(cells) / 2:
                self.theirs.add(n)
        if sum(cells) < PARALLEL:
            return
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe(duplex=True)
        try:
            # the tables go through a file: a pipe would take them only as fast as the process, still starting,
            # reads them, holding this one up
            handle, name = tempfile.mkstemp(prefix="sheetflow-", suffix=".tables")
            self.file = Path(name)
            with os.fdopen(handle, "wb") as out:
                pickle.dump((tables, self.pivots, cycle, sorted(self.theirs)), out, protocol=pickle.HIGHEST_PROTOCOL)
            self.process = context.Process(target=_serve, args=(child, name), daemon=True)
            self.process.start()
        except (OSError, pickle.PickleError):
            self.close()
        finally:
            child.close()

    def _answer(self) -> Any:
        """What the process sends next, or None if it has failed (or there is none)."""
        if self.connection is None:
            return None
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            self.close()
            return None

    def laid_out(self) -> None:
        """Each table's number formats, widths and rows' heights, from the process (else worked out here when
        needed)."""
        layouts = self._answer()
        for table, (formats, widths, lines) in zip(self.tables, layouts or []):
            table.laid_out(formats, widths, lines)

    def write(self, styles: TableStyles) -> None:
        """Have the rows written with ``styles`` (``table_sheets.add_table_styles``)."""
        self.styles = styles
        if self.connection is not None:
            try:
                self.connection.send(styles)
            except (OSError, ValueError):
                self.close()

    def pivot_data(self) -> PivotData:
        """``pivots.pivot_data`` of the pivots over the tables."""
        data = self._answer() if self.pivots else None
        return data if data is not None else pivot_data(self.pivots, {t.name: t for t in self.tables}, self.cycle)

    def written(self) -> list[bytes]:
        """Each table's rows, as ``TableSheet.rows`` with the styles given to ``write``: this process writes its
        share while the other writes the rest."""
        assert self.styles is not None
        styles = self.styles.columns
        rows: dict[int, bytes] = {n: table.rows(styles[n]) for n, table in enumerate(self.tables)
                                  if n not in self.theirs or self.connection is None}
        if self.connection is not None:
            try:
                rows.update({n: self.connection.recv_bytes() for n in sorted(self.theirs)})
            except (EOFError, OSError):
                pass
            self.close()
        return [rows[n] if n in rows else table.rows(styles[n]) for n, table in enumerate(self.tables)]

    def close(self) -> None:
        """Stop the process (done with or not)."""
        if self.connection is not None:
            self.connection.close()
            self.connection = None
        if self.process is not None:
            if self.process.pid is not None:  # (it has sent all it had to, or is no longer wanted)
                if self.process.is_alive():
                    self.process.kill()
                self.process.join()
            self.process = None
        if self.file is not None:
            self.file.unlink(missing_ok=True)
            self.file = None


def _serve(connection: Connection, tables_file: str) -> None:
    """The second process: lay the tables (pickled in ``tables_file``) out, work out the pivots' data, then write
    the rows of its share of the tables with the styles given."""
    try:
        with open(tables_file, "rb") as given:
            tables, pivots, cycle, theirs = pickle.load(given)
        layouts = [(table.number_formats(), table.print_widths(), table.lines()) for table in tables]
        data = pivot_data(pivots, {t.name: t for t in tables}, cycle) if pivots else None
        # all worked out before any is sent: a pipe's buffer may take less than the layouts, and the main process
        # takes them only once it has written the summaries
        connection.send(layouts)
        if pivots:
            connection.send(data)
        styles: TableStyles = connection.recv()
        for n in theirs:
            connection.send_bytes(tables[n].rows(styles.columns[n]))
    except Exception:  # (the roll-up stopped; or this process failed, and the roll-up does the rest itself)
        pass
    finally:
        connection.close()
