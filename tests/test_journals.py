"""sheetflow's own CSV files (manifest.csv, collected.csv, sent.csv, replied.csv) through the one helper that reads
and writes them: the header checked, text kept text, rows appended as work happens, earlier versions' files read."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sheetflow import journals
from sheetflow.arrival.ledger import Collected, Journal, LedgerRow, is_ledger, read_ledger, write_ledger
from sheetflow.errors import SheetflowError
from sheetflow.instruments.manifest import read_manifest
from sheetflow.journals import LEDGER_CSV, CsvLedger
from sheetflow.outreach.mail import Kind
from sheetflow.outreach.reply import Delivery, Outcome
from sheetflow.senders import SenderCheck

BOM = b"\xef\xbb\xbf"
# collected.csv as versions before the reason column wrote it: "refused: <reason>" in status, and a row of an
# even earlier version that ends after status.
EARLIER_LEDGER = (BOM + b"message_id,received_at,from,subject,attachment,file,sha256,status,response_id,sender_check,"
                  b"authentication\r\n"
                  b"<a@x>,2026-03-03T09:15:00-06:00,ana@x.org,Hi,ana.xlsx,ana.xlsx,abc,saved,R1,own address,\r\n"
                  b"<a@x>,2026-03-03T09:15:00-06:00,ana@x.org,Hi,logo.png,,def,"
                  b"\"refused: an image (.png), not a workbook\",,,\r\n"
                  b"<b@x>,2026-03-04T10:00:00+00:00,ben@x.org,Re,ben.xlsx,ben.xlsx,123,duplicate\r\n")


def test_a_file_lacking_a_column_is_refused_in_one_line_naming_the_file_and_the_column(tmp_path):
    for ledger in journals.OWN_FILES:
        path = tmp_path / ledger.name
        kept = ledger.required[:-1]
        path.write_text(",".join(kept) + "\n" + ",".join("x" for _ in kept) + "\n", encoding="utf-8")
        with pytest.raises(SheetflowError) as caught:
            ledger.read(path)
        message = str(caught.value)
        assert "\n" not in message and str(path) in message and f"no column {ledger.required[-1]}" in message
        assert message.startswith(f"{path} is not {ledger.what}")


def test_text_stays_text_and_a_rewrite_is_atomic_and_byte_for_byte_as_before(tmp_path):
    ledger = CsvLedger("t.csv", ("a", "b"), required=("a",), what="a test file", advice="move it away",
                       keep_cut_row=True)
    path = ledger.rewrite(tmp_path / "t.csv", [["=1+1", "plain, with a comma"], ["@SUM(A1)", None]])
    assert path.read_bytes() == BOM + b"a,b\r\n'=1+1,\"plain, with a comma\"\r\n'@SUM(A1),\r\n"
    assert ledger.read(path) == [{"a": "=1+1", "b": "plain, with a comma"}, {"a": "@SUM(A1)", "b": ""}]
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]  # no temporary file left beside it


def test_the_log_ends_a_row_cut_short_before_the_next(tmp_path):
    path = tmp_path / "replied.csv"
    ledger = CsvLedger("replied.csv", ("a", "b"), required=("a",), what="a log", advice="move it away",
                       keep_cut_row=True)
    with ledger.appending(path) as log:
        log.append(["1", "=2"])
    with open(path, "ab") as handle:
        handle.write(b"3,cut sho")
    with ledger.appending(path) as log:
        log.append(["4", "5"])
    assert ledger.read(path) == [{"a": "1", "b": "=2"}, {"a": "3", "b": "cut sho"}, {"a": "4", "b": "5"}]
    assert path.read_bytes().startswith(BOM + b"a,b\r\n1,'=2\r\n")


def test_the_ledger_drops_a_row_cut_short_and_keeps_every_whole_one(tmp_path):
    write_ledger(tmp_path, [])
    journal = Journal(tmp_path)
    journal.append(LedgerRow("<a@x>", "2026-03-03", "ana@x.org", "Hi", "ana.xlsx", "ana.xlsx", "abc", Collected.SAVED))
    journal.close()
    with open(tmp_path / "collected.csv", "ab") as handle:
        handle.write(b"<b@x>,2026-03-04,ben@x.org,Re,ben.xlsx,ben.xlsx,123,sa")  # killed while writing "saved"
    Journal(tmp_path).close()
    assert [(r.attachment, r.status) for r in read_ledger(tmp_path)] == [("ana.xlsx", "saved")]


def test_an_earlier_versions_ledger_is_read_and_given_the_reason_column_once(tmp_path):
    path = tmp_path / "collected.csv"
    path.write_bytes(EARLIER_LEDGER)
    rows = read_ledger(tmp_path)
    assert [(r.attachment, r.status, r.reason) for r in rows] == [
        ("ana.xlsx", "saved", ""), ("logo.png", "refused", "an image (.png), not a workbook"),
        ("ben.xlsx", "duplicate", "")]
    assert rows[1].status is Collected.REFUSED and rows[0].sender_check == "own address" and rows[2].response_id == ""
    assert is_ledger(path)
    Journal(tmp_path).close()  # collect opens it to add rows: today's header, the same rows, the reason apart
    assert LEDGER_CSV.header(path) == journals.LEDGER_COLUMNS
    assert read_ledger(tmp_path) == rows
    assert b",refused,,,,\"an image (.png), not a workbook\"\r\n" in path.read_bytes()


def test_a_later_versions_file_is_never_rewritten_without_its_columns(tmp_path):
    path = tmp_path / "sent.csv"
    later = (BOM + b"response_id,email,message_id,sent_at,kind,channel\r\n"
             b"R1,a@x.org,<m@x>,2026-03-01,invitation,sms\r\n")
    path.write_bytes(later)
    with pytest.raises(SheetflowError, match=r"sent.csv has columns this sheetflow does not know \(channel\)"):
        journals.SENT_CSV.appending(path).__enter__()
    assert path.read_bytes() == later
    assert journals.SENT_CSV.read(path)[0]["kind"] == "invitation"  # still read


def test_a_status_that_is_none_of_the_ledgers_is_one_line_naming_the_row(tmp_path):
    path = tmp_path / "collected.csv"
    path.write_bytes(EARLIER_LEDGER.replace(b",duplicate\r\n", b",kept by hand\r\n"))
    with pytest.raises(SheetflowError, match=r"collected.csv, row 4: the status 'kept by hand' is not saved, "
                                             r"duplicate, refused; the ledger was edited by hand\.$"):
        read_ledger(tmp_path)


def test_the_manifest_reads_through_the_same_helper(tmp_path):
    path = tmp_path / "manifest.csv"
    journals.MANIFEST_CSV.rewrite(path, [["R1", "sector-self-assessment", "2026", "North", "=Org", "Ana", " a@x.org ",
                                          "ana.xlsx", ""], [""] * 9, ["R2", "", "", "", "", "", "", "", ""]])
    with pytest.raises(SheetflowError, match=r"manifest.csv, row 4: no response id or file"):
        read_manifest(path)  # the blank row 3 is passed over but still counted


def test_the_file_contract_lists_each_files_columns_and_closed_sets_as_declared():
    text = (Path(__file__).parent.parent / "docs" / "file-contract.md").read_text(encoding="utf-8")
    for ledger in journals.OWN_FILES:
        (line,) = re.findall(rf"^\| `{re.escape(ledger.name)}` \|.*$", text, re.M)
        columns = line.split("|")[3]
        assert tuple(re.findall(r"`([a-z_0-9]+)`", columns)) == ledger.columns, ledger.name
        assert tuple(re.findall(r"`([a-z_0-9]+)`", columns.split(";")[0])) == ledger.required, ledger.name
    for name, column, values in (("collected.csv", "status", Collected), ("collected.csv", "sender_check", SenderCheck),
                                 ("sent.csv", "kind", Kind), ("replied.csv", "outcome", Outcome),
                                 ("replied.csv", "delivery", Delivery)):
        (said,) = re.findall(rf"^\| `{re.escape(name)}` `{column}` \| (.*) \|$", text, re.M)
        assert re.findall(r"`([^`]+)`", said) == [str(v) for v in values], column
