"""The data tables' work for the workbook done in a second process while the main one writes the summaries.

Once the returns are read, the roll-up's main process writes the summaries with xlsxwriter, adds
the PivotTables and writes each data table's sheet, one after the other, while the machine's other
core waits. So a big roll-up's tables (``PARALLEL`` cells or more) go to a second process, started
with "spawn" as the readers are (Windows has no fork), which lays them out (number formats, widths,
row heights: ``table_sheets``), works out the PivotTables' caches and values (``pivots.pivot_data``)
and, given the cell formats' indexes in the workbook's styles (known once xlsxwriter has written
them), writes the tables' rows, the bulk of their sheets. A small roll-up's tables are done here,
where starting a process would cost more than it saves; so is whatever the process has not
answered if it fails. Either way the workbook's bytes are the same.
"""

from __future__ import annotations

import multiprocessing
import threading
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
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
        self.sender: threading.Thread | None = None
        if sum(len(t.header) * len(t.columns[0]) for t in tables if t.columns) < PARALLEL:
            return
        context = multiprocessing.get_context("spawn")
        self.connection, child = context.Pipe(duplex=True)
        self.process = context.Process(target=_serve, args=(child,), daemon=True)
        try:
            self.process.start()
        except OSError:
            self.close()
            return
        finally:
            child.close()
        # sent from a thread: the pipe takes the tables only as fast as the process, still starting, reads them
        self.sender = threading.Thread(target=self._send, daemon=True)
        self.sender.start()

    def _send(self) -> None:
        try:
            assert self.connection is not None
            self.connection.send((self.tables, self.pivots, self.cycle))
        except (OSError, ValueError, AssertionError):
            pass  # the process is gone: the next answer expected from it says so

    def _answer(self) -> Any:
        """What the process sends next, or None if it has failed (or there is none)."""
        if self.connection is None:
            return None
        try:
            if self.sender is not None:
                self.sender.join()
            return self.connection.recv()
        except (EOFError, OSError):
            self.close()
            return None

    def laid_out(self) -> None:
        """Each table's number formats and widths, from the process (else worked out here when needed)."""
        layouts = self._answer()
        for table, (formats, widths) in zip(self.tables, layouts or []):
            table.laid_out(formats, widths)

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
        """Each table's rows, as ``TableSheet.rows`` with the styles given to ``write``."""
        assert self.styles is not None
        if self.connection is not None:
            try:
                rows = [self.connection.recv_bytes() for _ in self.tables]
            except (EOFError, OSError):
                pass
            else:
                self.close()
                return rows
            self.close()
        return [table.rows(styles) for table, styles in zip(self.tables, self.styles.columns)]

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


def _serve(connection: Connection) -> None:
    """The second process: lay the tables out, work out the pivots' data, then write the rows with the styles given."""
    try:
        tables, pivots, cycle = connection.recv()
        connection.send([(table.number_formats(), table.print_widths()) for table in tables])
        if pivots:
            connection.send(pivot_data(pivots, {t.name: t for t in tables}, cycle))
        styles: TableStyles = connection.recv()
        for table, columns in zip(tables, styles.columns):
            connection.send_bytes(table.rows(columns))
    except Exception:  # (the roll-up stopped; or this process failed, and the roll-up does the rest itself)
        pass
    finally:
        connection.close()
