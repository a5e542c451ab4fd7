"""Inboxes as conveners really have them: one blank workbook shared by several people, stray files of
another cycle, sheetflow's own files saved among the returns."""

import shutil
import zipfile
from pathlib import Path

SAMPLES = Path(__file__).parent.parent / "samples"
SHARED_ID = "00000000-0000-4000-8000-0000000000aa"


def response_id(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        custom = z.read("docProps/custom.xml").decode()
    start = custom.index('name="sheetflow_response_id"')
    value = custom[start:].split("<vt:lpwstr>", 1)[1]
    return value.split("</vt:lpwstr>", 1)[0]


def restamp(source: Path, target: Path, new_id: str) -> Path:
    """A copy of a return whose stamped response id (in the file properties and on the hidden stamp sheet)
    is ``new_id``: what comes back when several people fill in one blank workbook that was sent round."""
    old = response_id(source).encode()
    with zipfile.ZipFile(source) as z:
        parts = {info: z.read(info) for info in z.infolist()}
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info, data in parts.items():
            out.writestr(info, data.replace(old, new_id.encode()))
    shutil.copystat(source, target)
    return target


def shared_template(folder: Path, people: list[str]) -> list[Path]:
    """The sample 2026 self-assessments of ``people`` (file name parts), all with one response id."""
    out = []
    for person in people:
        (source,) = (SAMPLES / "returns").glob(f"* - {person} - Self-Assessment.xlsx")
        out.append(restamp(source, folder / source.name, SHARED_ID))
    return out
