"""Keep a version of a definition before it is changed: its TOML and its workbook's locked text, in versions/.

    python scripts/freeze_version.py sector-action-plan
    SHEETFLOW_DEFINITIONS=definitions/ python scripts/freeze_version.py state-self-assessment   # your own

Run it BEFORE editing workbook_templates/<id>.toml into a new version (and before changing how the
workbook is laid out): it copies the current definition to workbook_templates/versions/<id>-<version>.toml
and writes beside it the locked text of a blank workbook of it as sheetflow generates it now
(<id>-<version>.questions.json). Returns of that version are then still read, checked against that
text, validated and rolled up by every later sheetflow. A definition of your own (SHEETFLOW_DEFINITIONS) is
frozen into the versions/ folder beside it.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

from sheetflow.instruments import definitions
from sheetflow.intake.record import issued_questions


def main(instrument_id: str) -> None:
    instrument = definitions.load(instrument_id)
    folder = Path(instrument.source).parent / definitions.VERSIONS  # beside it: bundled or the user's folder
    folder.mkdir(exist_ok=True)
    stem = f"{instrument.id}-{instrument.version}"
    if (folder / f"{stem}.toml").exists():
        sys.exit(f"{folder / stem}.toml exists already: version {instrument.version} is frozen.")
    questions = issued_questions(instrument)
    (folder / f"{stem}.questions.json").write_text(
        json.dumps(questions, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")
    shutil.copyfile(instrument.source, folder / f"{stem}.toml")
    print(f"Froze {instrument.id} {instrument.version}: {folder / stem}.toml and .questions.json "
          f"({len(questions)} locked cells). Now edit {instrument.source} into the new version.")


if __name__ == "__main__":
    main(sys.argv[1])
