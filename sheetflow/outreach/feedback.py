"""``sheetflow validate`` in one call: the returns checked cell by cell and, with a folder for them, a note for each
file that is not valid saying what to fix, greeting the partner by the manifest's name for them.

    checked = check_returns(["inbox/"], feedback="notes/", manifest="sent/")
    print(checked.report.to_text())
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import OptionMistake
from ..files import check_folder
from ..instruments import definitions
from ..instruments.manifest import manifest_path, read_manifest
from ..intake.report import Report, write_feedback
from ..intake.validate import validate_paths
from ..progress import Showing, Silent
from ..text import plural
from ..tracking.status import match


@dataclass
class Checked:
    """What ``check_returns`` did: the validation report, and the feedback notes written (if asked for)."""

    report: Report
    feedback: Path | None = None
    notes: list[Path] = field(default_factory=list)

    def notes_line(self) -> str | None:
        return None if self.feedback is None else f"Wrote {plural(self.notes, 'feedback note')} to {self.feedback}."


def check_returns(paths: Iterable[str | Path], *, feedback: str | Path | None = None,
                  manifest: str | Path | None = None, force: bool = False, workers: int = 2,
                  empty_ok: bool = False, showing: Showing = Silent) -> Checked:
    """Validate the returned files and folders ``paths``; with ``feedback`` (a folder) write a note for each file
    that is not valid, never over a note unless ``force``; with ``manifest`` (it goes with ``feedback``) each note
    greets its partner by name. ``empty_ok``: no files is a report, not a ``SheetflowError``."""
    if manifest and not feedback:
        raise OptionMistake("--manifest goes with --feedback.")
    folder = check_folder(feedback, "--feedback names the folder for the notes", not_suffixes=(".txt",)) \
        if feedback else None
    with showing("Reading returns", 10) as progress:
        report = validate_paths(list(paths), workers=workers, progress=progress.update, on_start=progress.start,
                                empty_ok=empty_ok)
    checked = Checked(report, folder)
    if folder is not None and report.files:
        titles = {i.id: i.title for i in definitions.load_all().values()}
        names: dict[str, str] = {}  # the file -> the name of the partner it was sent to, as the manifest has it
        if manifest:
            ledger = manifest_path(manifest)
            for r in match(report, read_manifest(ledger), manifest=ledger).recipients:
                names.update({f.path: r.respondent_name for f in r.returns if r.respondent_name})
        checked.notes = write_feedback(report, folder, titles, force=force, names=names)
    return checked
