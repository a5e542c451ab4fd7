"""write_mail (outreach/mailing.py): `sheetflow mail` in one library call, also behind sheetflow.draft_mail."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from test_mail import make_roster

import sheetflow
from sheetflow.errors import OptionMistake
from sheetflow.outreach.mailing import write_mail


@pytest.mark.parametrize("options, says", [
    ({"only": "outstanding"}, "--only outstanding needs the returns"),
    ({"send": True}, "--send and --smtp HOST:PORT go together"),
    ({"smtp": "localhost:25"}, "--send and --smtp HOST:PORT go together"),
])
def test_options_that_do_not_go_together_are_refused_before_anything_is_read(tmp_path: Path, options: dict,
                                                                               says: str) -> None:
    manifest = make_roster(tmp_path / "sent")
    with pytest.raises(OptionMistake, match=says):
        write_mail(manifest, tmp_path / "outbox", **options)
    assert not (tmp_path / "outbox").exists()


def test_the_library_writes_to_the_cycle_in_view_as_the_command_does(tmp_path: Path) -> None:
    manifest = make_roster(tmp_path / "sent")
    with open(manifest, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    earlier = [*rows[1]]
    earlier[0], earlier[2] = "r-ana-2025", "2025"  # last year's workbook for Ana, in the same manifest
    with open(manifest, "a", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerow(earlier)
    run = write_mail(manifest, tmp_path / "outbox")
    assert run.notes and "writing to the recipients of cycle 2026" in run.notes[0]
    drafts = sheetflow.draft_mail(manifest, tmp_path / "outbox-2")
    assert len(drafts.written) == len(run.result.written) == 3  # not last year's workbook too
    assert "r-ana-2025" not in "".join(p.read_text(errors="replace") for p in drafts.written)
    assert run.lines()[-1].startswith(f"Wrote 3 drafts to {tmp_path / 'outbox'}")


def test_a_folder_holding_no_returns_is_refused_rather_than_reminding_everyone(tmp_path: Path) -> None:
    manifest = make_roster(tmp_path / "sent")
    (tmp_path / "empty").mkdir()
    with pytest.raises(sheetflow.SheetflowError, match="no returns there"):
        sheetflow.draft_mail(manifest, tmp_path / "outbox", returns=[tmp_path / "empty"])
