"""The roll-up's tables as CSV files: every table, text that no spreadsheet will run, nothing replaced unless asked."""

import csv
import datetime as dt

import pandas as pd
import pytest

from sheetflow.errors import SheetflowError
from sheetflow.rollup.csv_files import write_csv
from sheetflow.rollup.tables import TABLES, Rollup


def rollup(with_status=False) -> Rollup:
    tables = {name: pd.DataFrame(columns=list(columns)) for name, columns in TABLES.items()}
    tables["Submissions"] = pd.DataFrame({
        "source_file": ["=cmd|' /C calc'!A0.xlsx", "plain.xlsx", "-minus.xlsx"],
        "saved_at": [dt.datetime(2026, 3, 1, 14, 30), None, None],
        "errors": [0, 2, 1],
        "reason": [None, "@SUM(1)", "'=quoted already"],
    }).reindex(columns=list(TABLES["Submissions"]))
    return Rollup(tables=tables, with_status=with_status)


def read(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_table_is_a_csv_file_with_formula_like_text_quoted(tmp_path):
    written = write_csv(rollup(), tmp_path)
    assert sorted(p.name for p in written) == sorted(f"{name}.csv" for name in TABLES  # Trend: several cycles
                                                     if name not in ("Outstanding", "ResponseRate", "Trend"))
    rows = read(tmp_path / "Submissions.csv")
    assert [r["source_file"] for r in rows] == ["'=cmd|' /C calc'!A0.xlsx", "plain.xlsx", "'-minus.xlsx"]
    assert [r["reason"] for r in rows] == ["", "'@SUM(1)", "''=quoted already"]
    assert [r["saved_at"] for r in rows] == ["2026-03-01T14:30:00", "", ""]
    assert [r["errors"] for r in rows] == ["0", "2", "1"]  # numbers as they are, never quoted
    assert (tmp_path / "Submissions.csv").read_bytes().startswith(b"\xef\xbb\xbf")  # a byte-order mark for Excel


def test_the_tables_from_the_manifest_only_with_it_and_nothing_replaced_without_force(tmp_path):
    write_csv(rollup(with_status=True), tmp_path)
    assert (tmp_path / "Outstanding.csv").exists() and (tmp_path / "ResponseRate.csv").exists()
    (tmp_path / "Responses.csv").write_text("keep")
    with pytest.raises(SheetflowError, match="already exists"):
        write_csv(rollup(), tmp_path)
    assert (tmp_path / "Responses.csv").read_text() == "keep"
    write_csv(rollup(), tmp_path, force=True)
    assert read(tmp_path / "Responses.csv") == []
