"""check_returns (outreach/feedback.py): `sheetflow validate` in one library call."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES

from sheetflow.errors import OptionMistake
from sheetflow.outreach.feedback import check_returns


def test_a_manifest_without_a_feedback_folder_is_refused_before_reading(tmp_path: Path) -> None:
    with pytest.raises(OptionMistake, match="--manifest goes with --feedback"):
        check_returns([tmp_path / "nothing-here"], manifest=SAMPLES / "sent")


def test_a_note_for_each_file_that_is_not_valid_greeting_its_partner(tmp_path: Path) -> None:
    checked = check_returns([SAMPLES / "returns"], feedback=tmp_path / "notes", manifest=SAMPLES / "sent",
                            workers=1)
    s = checked.report.summary
    assert len(checked.notes) == s["invalid"] + s["rejected"] == 5  # superseded copies need no note
    assert checked.notes_line() == f"Wrote 5 feedback notes to {tmp_path / 'notes'}."
    greetings = sorted(note.read_text(encoding="utf-8").splitlines()[0] for note in checked.notes)
    # four were sent to someone the manifest names; one file carries no stamp the manifest knows
    assert greetings == ["Hello Laura Bergstrom,", "Hello Marcus Bell,", "Hello Priya Shah,", "Hello Umar Farouk,",
                         "Hello,"]
