"""sheetflow's own files found among the returns: never returns, each skipped under its true name.

A convener saves a roll-up, the manifest, the mail or reply ledger, feedback notes or email drafts into the
inbox folder (or runs a command on the folder they were written to). ``reason`` tells them apart
from a partner's file by name and first line, without opening a workbook; a roll-up, which has no
stamp, is told by ``is_rollup`` only once a worker found the file unstamped (so the returns
themselves cost nothing more). Each reason is a ``codes.Skip``, which carries its code.
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

from .. import journals
from .codes import Skip

ROLLUP_TITLE = "Regional sector partnership roll-up"  # the roll-up's document title (rollup.workbook)
FEEDBACK_SUFFIX = " - what to fix.txt"  # intake.report.write_feedback's note names
_FIRST_LINE = 4096


def reason(path: Path) -> Skip | None:
    """Why a file sheetflow wrote is not a return (None for any other file)."""
    name = path.name.casefold()
    for ledger, skip in ((journals.MANIFEST_CSV, Skip.MANIFEST), (journals.SENT_CSV, Skip.MAIL_LOG),
                         (journals.REPLIED_CSV, Skip.REPLY_LOG)):
        if name == ledger.name and path.is_file() and ledger.header(path) == ledger.columns:
            return skip
    if name.endswith(FEEDBACK_SUFFIX.casefold()) and path.is_file():
        return Skip.FEEDBACK
    if name.endswith(".eml") and _is_draft(path):
        return Skip.DRAFT
    return None


def _first(path: Path) -> bytes:
    try:
        if not path.is_file():
            return b""
        with open(path, "rb") as handle:
            return handle.read(_FIRST_LINE)
    except OSError:
        return b""


def _is_draft(path: Path) -> bool:
    """A message sheetflow drafted: unsent (``X-Unsent: 1``) with its workbook attached."""
    head = _first(path).split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    return any(line.strip().lower() == b"x-unsent: 1" for line in head.splitlines())


def is_rollup(path: str | Path) -> bool:
    """Whether an unstamped workbook is a roll-up sheetflow wrote: its document title and its About sheet.
    Only two small parts are read (each at most 1 MB)."""
    try:
        with zipfile.ZipFile(path) as zf:
            parts = {i.filename.lower(): i for i in zf.infolist()}
            texts = []
            for name in ("docprops/core.xml", "xl/workbook.xml"):
                info = parts.get(name)
                if info is None or info.file_size > 1 << 20:
                    return False
                with zf.open(info) as part:
                    texts.append(part.read(1 << 20).decode("utf-8", "replace"))
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, zlib.error):
        return False
    core, book = texts
    return f">{ROLLUP_TITLE}<" in core and 'name="About"' in book
