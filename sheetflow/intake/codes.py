"""Finding codes: every code intake can emit with its meaning, and the records that carry one.

A code names the kind of problem for programs (``--json`` users, the tests, a
mail merge); the English message beside it is for people and may change. Every
code intake emits is listed in ``CODES`` (and, from there, in docs/codes.md's table):
``Finding`` and ``Rejected`` refuse a code that is not.
"""

from __future__ import annotations

from dataclasses import dataclass

# Advice that ends many reasons a file was refused (the note to the partner leaves it out).
RESAVE = "ask the partner to save it as Excel Workbook (.xlsx) and send it again"
RESEND = "ask the partner to send the workbook again"

# code -> meaning, grouped by where a file meets it. Kebab-case; never renamed once published.
CODES = {
    # The file itself, before it is opened as a zip (sniff).
    "not-found": "The file does not exist (or is a link to a file that no longer exists).",
    "unreadable": "The operating system refused to read the file.",
    "folder": "A folder was given where a file was expected.",
    "not-a-file": "A named pipe, device or socket: never read.",
    "empty": "The file has 0 bytes.",
    "too-big": "The file is larger than a returned workbook may be.",
    "encrypted": "A password-protected (encrypted) workbook: .xlsx, .xls or .ods.",
    "old-xls": "An Excel 97-2003 .xls file.",
    "old-excel": "An Excel 2.x-4.0 file (BIFF2-4).",
    "compound-file": "Another OLE2 compound file: a Word .doc, PowerPoint .ppt, Quattro Pro file or vbaProject.bin.",
    "pdf": "A PDF document.",
    "html": "A web page (HTML), even if it opens in Excel.",
    "xml-file": "An XML file, such as an Excel 2003 XML Spreadsheet.",
    "csv-file": "A CSV or plain-text file.",
    "not-xlsx": "Not an Excel workbook at all (unrecognised bytes).",
    # The zip package (package).
    "damaged": "The file is damaged or incomplete (cut short, bad checksums, duplicate parts).",
    "too-many-parts": "Far more internal parts than a real workbook.",
    "zip-password": "Parts locked with a zip password, which Excel never does.",
    "odd-compression": "A compression method Excel never uses.",
    "zip-bomb": "A part expands far beyond its size or the limits (a zip bomb).",
    "ods": "An OpenDocument spreadsheet (.ods).",
    "opendocument": "Another OpenDocument file.",
    "numbers": "An Apple Numbers file.",
    "plain-zip": "A zip archive that is not an Office file.",
    "word": "A Word document (.docx).",
    "powerpoint": "A PowerPoint presentation (.pptx).",
    "not-a-workbook": "An Office file that is not an Excel workbook.",
    "unusual-package": "Declared an Excel workbook, but its parts are not where Excel puts them.",
    "macro-enabled": "A macro-enabled workbook (.xlsm).",
    "xlsb": "An Excel Binary Workbook (.xlsb).",
    "strict-xml": "Saved as Strict Open XML Spreadsheet.",
    # The XML inside (xml_safety, template_area).
    "odd-encoding": "A part in a text encoding Excel never uses.",
    "doctype": "A DOCTYPE or ENTITY declaration (entity bombs, external entities).",
    "damaged-sheet": "A sheet's XML is damaged or incomplete.",
    "outside-template": "A sheet has cells, rows or a dimension outside the template area.",
    # Reading, in a worker process (validate).
    "reader-crashed": "The reader's process crashed or stopped without an answer.",
    "timeout": "Reading the file took longer than allowed.",
    "out-of-memory": "Reading the file needed more memory than allowed.",
    "reader-error": "sheetflow itself failed on this file (a fault of sheetflow's).",
    # The stamp and structure (record).
    "not-stamped": "No sheetflow stamp: not a workbook sheetflow made.",
    "stamp-mismatch": "The stamp in the file properties and on the hidden sheet disagree.",
    "stamp-incomplete": "Part of the stamp is missing.",
    "stamp-partly-lost": "Warning: one copy of the stamp was dropped by the program that saved it; the other was used.",
    "unknown-instrument": "The stamp names an instrument this sheetflow does not know.",
    "unknown-version": "The stamp names a version of the instrument this sheetflow never issued.",
    "answers-missing": "Named answer cells are missing.",
    "sheet-missing": "A sheet was renamed or removed.",
    "question-changed": "The text of a locked question cell was changed.",
    # The answers (schemas).
    "formula": "A formula in an answer cell (never evaluated).",
    "required": "A required answer is empty.",
    "rating-range": "A rating that is not a whole number from 1 to 5.",
    "not-a-choice": "An answer that is not one of its list's choices.",
    "not-a-date": "A date answer that is not a date.",
    "not-text": "A text answer that is not text.",
    "action-incomplete": "An action-table row that is started lacks a required column.",
    "progress-without-action": "A follow-up row (e{k}_progress) is filled in where last cycle's plan had no action.",
    "progress-missing": "Warning: one of last cycle's actions has no progress chosen (e{k}_progress).",
    "optional-empty": "Warning: an optional answer (such as a comment) is empty.",
    "email-format": "Warning: an email answer does not look like an email address.",
    # The batch (validate).
    "duplicate": "Warning on a superseded file: the very same file was received again.",
    "superseded": "Warning on a superseded file: a newer copy of the same response was received.",
    "other-sender": "Collected from an address that is not the recipient's: not counted until the convener accepts it.",
    "lock-file": "Skipped: an Excel lock file (~$...).",
    "hidden-file": "Skipped: a hidden file.",
    "hidden-folder": "Skipped: a hidden folder.",
    "mail-ledger": "Skipped: the inbox's ledger of collected mail (collected.csv).",
    "accepted-senders": "Skipped: the inbox's list of senders the convener accepted (accepted-senders.txt).",
    "sent-by-sheetflow": "Skipped by status: the manifest or a workbook it lists, not a return.",
    "sheetflow-rollup": "Skipped: a roll-up sheetflow wrote, not a return.",
    "sheetflow-manifest": "Skipped: sheetflow's manifest of the workbooks sent (manifest.csv).",
    "sheetflow-mail-log": "Skipped: sheetflow's log of the emails sent (sent.csv).",
    "sheetflow-reply-log": "Skipped: sheetflow's log of the replies to returns (replied.csv).",
    "sheetflow-feedback": "Skipped: a feedback note sheetflow wrote (... - what to fix.txt).",
    "sheetflow-draft": "Skipped: an email draft sheetflow wrote (.eml, unsent).",
}

# Why a file or folder found in a folder was skipped (validate.find_files) -> its code.
SKIPPED = {"Excel lock file": "lock-file", "hidden file": "hidden-file", "hidden folder": "hidden-folder",
           "sheetflow's ledger of collected mail": "mail-ledger",
           "the inbox's list of accepted senders": "accepted-senders",
           "sent by sheetflow (listed in the manifest), not a return": "sent-by-sheetflow",
           "a sheetflow roll-up, not a return": "sheetflow-rollup",
           "sheetflow's manifest of the workbooks sent, not a return": "sheetflow-manifest",
           "sheetflow's log of the emails sent, not a return": "sheetflow-mail-log",
           "sheetflow's log of the replies to returns, not a return": "sheetflow-reply-log",
           "a feedback note sheetflow wrote, not a return": "sheetflow-feedback",
           "an email draft sheetflow wrote, not a return": "sheetflow-draft"}


def _known(code: str) -> str:
    if code not in CODES:
        raise ValueError(f"{code!r} is not a finding code listed in sheetflow.intake.codes.CODES")
    return code


@dataclass
class Finding:
    """One thing a partner must fix (error) or may want to look at (warning)."""

    name: str | None
    cell: str | None
    message: str
    code: str

    def __post_init__(self) -> None:
        _known(self.code)


class Rejected(Exception):
    """The file must not be read; ``reason`` is one plain line for a convener, ``code`` its kind."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code, self.reason = _known(code), reason

    def __reduce__(self) -> tuple:  # crosses from worker processes as a pickle
        return type(self), (self.code, self.reason), self.__dict__
