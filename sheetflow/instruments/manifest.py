"""The manifest: which workbook was sent to whom, with which response id (written by generate --roster).

Kept apart from roster.py so that reading it (status, rollup --manifest) needs no pandas.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from ..errors import SheetflowError
from ..journals import MANIFEST, MANIFEST_COLUMNS, MANIFEST_CSV


class Generated(StrEnum):
    """What generate --roster did with a recipient's workbook this run (``ManifestRow.outcome``)."""

    NEW = "new"  # planned for a recipient not on the manifest yet (written once the workbook is)
    WRITTEN = "written"
    REPLACED = "replaced"  # --force: written again over the one sent, with the same response id
    KEPT = "kept"  # already on the manifest and its workbook is there: left alone


@dataclass
class ManifestRow:
    """One workbook sent: to whom, with which response id, in which file (relative to the manifest)."""

    response_id: str
    instrument: str
    cycle: str
    region: str
    organization: str
    respondent_name: str
    email: str
    file: str
    generated_at: str = ""
    outcome: Generated | None = field(default=None, compare=False)  # this run only, not stored

    def values(self) -> list[str]:
        return [getattr(self, name) for name in MANIFEST_COLUMNS]


def manifest_path(folder_or_file: str | os.PathLike[str]) -> Path:
    path = Path(folder_or_file)
    return path / MANIFEST if path.is_dir() else path


def read_manifest(path: str | os.PathLike[str]) -> list[ManifestRow]:
    """The rows of a manifest written by ``write_manifest``; a file that is not one raises SheetflowError."""
    path = manifest_path(path)
    if not path.is_file():
        raise SheetflowError(f"{path}: no such manifest (sheetflow generate ... --roster writes one).")
    rows = MANIFEST_CSV.numbered(path)
    if not rows and not MANIFEST_CSV.header(path):
        raise SheetflowError(f"{path} is empty; it is not a sheetflow manifest.")
    out = []
    for number, cells in rows:
        if not cells["response_id"] or not cells["file"]:
            raise SheetflowError(f"{path}, row {number}: no response id or file; the manifest was edited by hand.")
        out.append(ManifestRow(cells["response_id"], cells["instrument"], cells["cycle"], cells["region"],
                               cells["organization"], cells["respondent_name"],
                               cells["email"].strip(),  # a space typed by hand around an address is not part of it
                               cells["file"], cells["generated_at"]))
    return out


def write_manifest(path: str | os.PathLike[str], rows: list[ManifestRow]) -> Path:
    """Write the manifest atomically (UTF-8 with a byte-order mark, as Excel expects)."""
    return MANIFEST_CSV.rewrite(path, [row.values() for row in rows])
