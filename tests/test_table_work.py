"""A big roll-up's tables laid out, their pivots' data worked out and their rows written in a second process: the
same workbook as when all is done in one."""

import datetime as dt
import pickle
import zipfile
from pathlib import Path

import pytest

from sheetflow.rollup import table_work
from sheetflow.rollup.parts import WorkbookParts
from sheetflow.rollup.pivots import ALL, PIVOTS
from sheetflow.rollup.run import roll_up
from sheetflow.rollup.table_sheets import TableSheet, add_table_styles
from sheetflow.rollup.table_work import TableWork
from sheetflow.rollup.workbook import summaries, write

SAMPLES = Path(__file__).parent.parent / "samples"


@pytest.fixture(scope="module")
def rollup():
    return roll_up([SAMPLES / "returns"], manifest=SAMPLES / "sent" / "manifest.csv")


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {info.filename: z.read(info) for info in z.infolist()}


def worked(rollup, kill: bool = False):
    """Whether a second process was started and sent the pivots' data, the tables' layouts, the pivots' data and the tables' rows, each
    asked for as ``workbook.write`` asks."""
    tables = [TableSheet.of(name, rollup.tables[name]) for name in rollup.table_names]
    work = TableWork(tables, PIVOTS, rollup.cycle)
    started = work.process is not None
    try:
        if kill and work.process is not None:
            work.process.kill()
        package = WorkbookParts.from_zip(summaries(rollup, tables))
        work.laid_out()
        layouts = [(t.number_formats(), t.print_widths(), t.lines()) for t in tables]
        work.write(add_table_styles(package, tables))
        data = work.pivot_data()
        answered = work.connection is not None  # the process is still there, having sent the pivots' data
        return started and answered, layouts, data, work.written()
    finally:
        work.close()


def test_the_rollup_is_the_same_whether_its_tables_are_worked_on_in_a_second_process_or_here(
        rollup, tmp_path, monkeypatch):
    here = write(rollup, tmp_path / "here.xlsx")
    monkeypatch.setattr(table_work, "PARALLEL", 0)  # every roll-up is big enough
    assert worked(rollup)[0]
    there = write(rollup, tmp_path / "there.xlsx")
    assert parts(here) == parts(there)
    assert parts(write(rollup, tmp_path / "no-pivots.xlsx", pivots=False)).keys() < parts(here).keys()


def test_a_small_rollup_starts_no_process(rollup):
    started, _, _, rows = worked(rollup)
    assert not started and len(rows) == len(rollup.table_names)


def test_what_the_second_process_sends_is_what_is_worked_out_here_and_if_it_dies_the_rest_is_done_here(
        rollup, monkeypatch):
    _, *here = worked(rollup)
    assert any(ALL in key for values in here[1].values for key in values)  # (the grand totals' key: itself)
    monkeypatch.setattr(table_work, "PARALLEL", 0)
    started, *there = worked(rollup)
    assert started and there == here
    started, *there = worked(rollup, kill=True)
    assert not started and there == here


def test_the_tables_reach_the_process_without_pandas(rollup):
    """(the process would import pandas to read them, most of a second on the machine's other core)"""
    tables = [TableSheet.of(name, rollup.tables[name]) for name in rollup.table_names]
    assert any(isinstance(v, dt.datetime) for t in tables for column in t.columns for v in column)
    assert b"pandas" not in pickle.dumps(tables) and b"numpy" not in pickle.dumps(tables)
