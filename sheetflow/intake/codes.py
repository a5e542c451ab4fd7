"""Finding codes: every code intake can emit with its meaning, and the records that carry one.

A code names the kind of problem for programs (``--json`` users, the tests, a
mail merge); the English message beside it is for people and may change. Every
code intake emits is declared once, with its meaning, as a member of ``Code`` (docs/codes.md's
table is checked against it; ``CODES`` is the same as a dict): ``Finding`` and ``Rejected`` refuse a
code that is not. ``Skip`` is why a file found among the returns is not one, each with its code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

# Advice that ends many reasons a file was refused (the note to the partner leaves it out).
RESAVE = "ask the partner to save it as Excel Workbook (.xlsx) and send it again"
RESEND = "ask the partner to send the workbook again"


class Code(StrEnum):
    """A finding code: its value is the kebab-case code programs read (``--json``), ``meaning`` one line for
    people (docs/codes.md's table is checked against these). Never renamed once published."""

    meaning: str

    def __new__(cls, value: str, meaning: str = "") -> "Code":  # the default: for mypy, a look-up Code("pdf")
        member = str.__new__(cls, value)
        member._value_ = value
        member.meaning = meaning
        return member

    # The file itself, before it is opened as a zip (sniff).
    NOT_FOUND = "not-found", "The file does not exist (or is a link to a file that no longer exists)."
    UNREADABLE = "unreadable", "The operating system refused to read the file."
    FOLDER = "folder", "A folder was given where a file was expected."
    NOT_A_FILE = "not-a-file", "A named pipe, device or socket: never read."
    EMPTY = "empty", "The file has 0 bytes."
    TOO_BIG = "too-big", "The file is larger than a returned workbook may be."
    ENCRYPTED = "encrypted", "A password-protected (encrypted) workbook: .xlsx, .xls or .ods."
    OLD_XLS = "old-xls", "An Excel 97-2003 .xls file."
    OLD_EXCEL = "old-excel", "An Excel 2.x-4.0 file (BIFF2-4)."
    COMPOUND_FILE = ("compound-file",
        "Another OLE2 compound file: a Word .doc, PowerPoint .ppt, Quattro Pro file or vbaProject.bin.")
    PDF = "pdf", "A PDF document."
    HTML = "html", "A web page (HTML), even if it opens in Excel."
    XML_FILE = "xml-file", "An XML file, such as an Excel 2003 XML Spreadsheet."
    CSV_FILE = "csv-file", "A CSV or plain-text file."
    NOT_XLSX = "not-xlsx", "Not an Excel workbook at all (unrecognised bytes)."
    # The zip package (package).
    DAMAGED = "damaged", "The file is damaged or incomplete (cut short, bad checksums, duplicate parts)."
    TOO_MANY_PARTS = "too-many-parts", "Far more internal parts than a real workbook."
    ZIP_PASSWORD = "zip-password", "Parts locked with a zip password, which Excel never does."
    ODD_COMPRESSION = "odd-compression", "A compression method Excel never uses."
    ZIP_BOMB = "zip-bomb", "A part expands far beyond its size or the limits (a zip bomb)."
    ODS = "ods", "An OpenDocument spreadsheet (.ods)."
    OPENDOCUMENT = "opendocument", "Another OpenDocument file."
    NUMBERS = "numbers", "An Apple Numbers file."
    PLAIN_ZIP = "plain-zip", "A zip archive that is not an Office file."
    WORD = "word", "A Word document (.docx)."
    POWERPOINT = "powerpoint", "A PowerPoint presentation (.pptx)."
    NOT_A_WORKBOOK = "not-a-workbook", "An Office file that is not an Excel workbook."
    UNUSUAL_PACKAGE = "unusual-package", "Declared an Excel workbook, but its parts are not where Excel puts them."
    MACRO_ENABLED = "macro-enabled", "A macro-enabled workbook (.xlsm)."
    XLSB = "xlsb", "An Excel Binary Workbook (.xlsb)."
    STRICT_XML = "strict-xml", "Saved as Strict Open XML Spreadsheet."
    # The XML inside (xml_safety, template_area).
    ODD_ENCODING = "odd-encoding", "A part in a text encoding Excel never uses."
    DOCTYPE = "doctype", "A DOCTYPE or ENTITY declaration (entity bombs, external entities)."
    DAMAGED_SHEET = "damaged-sheet", "A sheet's XML is damaged or incomplete."
    OUTSIDE_TEMPLATE = "outside-template", "A sheet has cells, rows or a dimension outside the template area."
    # Reading, in a worker process (validate).
    READER_CRASHED = "reader-crashed", "The reader's process crashed or stopped without an answer."
    TIMEOUT = "timeout", "Reading the file took longer than allowed."
    OUT_OF_MEMORY = "out-of-memory", "Reading the file needed more memory than allowed."
    READER_ERROR = "reader-error", "sheetflow itself failed on this file (a fault of sheetflow's)."
    # The stamp and structure (record).
    NOT_STAMPED = "not-stamped", "No sheetflow stamp: not a workbook sheetflow made."
    STAMP_MISMATCH = "stamp-mismatch", "The stamp in the file properties and on the hidden sheet disagree."
    STAMP_INCOMPLETE = "stamp-incomplete", "Part of the stamp is missing."
    STAMP_PARTLY_LOST = ("stamp-partly-lost",
        "Warning: one copy of the stamp was dropped by the program that saved it; the other was used.")
    UNKNOWN_INSTRUMENT = "unknown-instrument", "The stamp names an instrument this sheetflow does not know."
    UNKNOWN_VERSION = "unknown-version", "The stamp names a version of the instrument this sheetflow never issued."
    ANSWERS_MISSING = "answers-missing", "Named answer cells are missing."
    SHEET_MISSING = "sheet-missing", "A sheet was renamed or removed."
    QUESTION_CHANGED = "question-changed", "The text of a locked question cell was changed."
    # The answers (schemas).
    FORMULA = "formula", "A formula in an answer cell (never evaluated)."
    REQUIRED = "required", "A required answer is empty."
    RATING_RANGE = "rating-range", "A rating that is not a whole number on the instrument's scale (1 to 5 for the bundled one)."
    NOT_A_CHOICE = "not-a-choice", "An answer that is not one of its list's choices."
    NOT_A_DATE = "not-a-date", "A date answer that is not a date."
    NOT_TEXT = "not-text", "A text answer that is not text."
    ACTION_INCOMPLETE = "action-incomplete", "An action-table row that is started lacks a required column."
    PROGRESS_WITHOUT_ACTION = ("progress-without-action",
        "A follow-up row (e{k}_progress) is filled in where last cycle's plan had no action.")
    PROGRESS_MISSING = ("progress-missing",
        "Warning: one of last cycle's actions has no progress chosen (e{k}_progress).")
    OPTIONAL_EMPTY = "optional-empty", "Warning: an optional answer (such as a comment) is empty."
    EMAIL_FORMAT = "email-format", "Warning: an email answer does not look like an email address."
    # The batch (validate).
    DUPLICATE = "duplicate", "Warning on a superseded file: the very same file was received again."
    SUPERSEDED = "superseded", "Warning on a superseded file: a newer copy of the same response was received."
    OTHER_SENDER = ("other-sender",
        "Collected from an address that is not the recipient's: not counted until the convener accepts it.")
    LOCK_FILE = "lock-file", "Skipped: an Excel lock file (~$...)."
    HIDDEN_FILE = "hidden-file", "Skipped: a hidden file."
    HIDDEN_FOLDER = "hidden-folder", "Skipped: a hidden folder."
    MAIL_LEDGER = "mail-ledger", "Skipped: the inbox's ledger of collected mail (collected.csv)."
    ACCEPTED_SENDERS = ("accepted-senders",
        "Skipped: the inbox's list of senders the convener accepted (accepted-senders.txt).")
    SENT_BY_SHEETFLOW = "sent-by-sheetflow", "Skipped by status: the manifest or a workbook it lists, not a return."
    SHEETFLOW_ROLLUP = "sheetflow-rollup", "Skipped: a roll-up sheetflow wrote, not a return."
    SHEETFLOW_MANIFEST = "sheetflow-manifest", "Skipped: sheetflow's manifest of the workbooks sent (manifest.csv)."
    SHEETFLOW_MAIL_LOG = "sheetflow-mail-log", "Skipped: sheetflow's log of the emails sent (sent.csv)."
    SHEETFLOW_REPLY_LOG = "sheetflow-reply-log", "Skipped: sheetflow's log of the replies to returns (replied.csv)."
    SHEETFLOW_FEEDBACK = "sheetflow-feedback", "Skipped: a feedback note sheetflow wrote (... - what to fix.txt)."
    SHEETFLOW_DRAFT = "sheetflow-draft", "Skipped: an email draft sheetflow wrote (.eml, unsent)."


CODES: dict[str, str] = {code.value: code.meaning for code in Code}  # code -> meaning, in declaration order


class Skip(StrEnum):
    """Why a file or folder found among the returns is not one: its value is the reason as people read it
    (validate's table, --json's ``reason``), ``code`` the finding code programs read."""

    code: Code

    def __new__(cls, text: str, code: Code) -> "Skip":
        member = str.__new__(cls, text)
        member._value_ = text
        member.code = code
        return member

    LOCK_FILE = "Excel lock file", Code.LOCK_FILE
    HIDDEN_FILE = "hidden file", Code.HIDDEN_FILE
    HIDDEN_FOLDER = "hidden folder", Code.HIDDEN_FOLDER
    MAIL_LEDGER = "sheetflow's ledger of collected mail", Code.MAIL_LEDGER
    ACCEPTED_SENDERS = "the inbox's list of accepted senders", Code.ACCEPTED_SENDERS
    SENT_BY_SHEETFLOW = "sent by sheetflow (listed in the manifest), not a return", Code.SENT_BY_SHEETFLOW
    ROLLUP = "a sheetflow roll-up, not a return", Code.SHEETFLOW_ROLLUP
    MANIFEST = "sheetflow's manifest of the workbooks sent, not a return", Code.SHEETFLOW_MANIFEST
    MAIL_LOG = "sheetflow's log of the emails sent, not a return", Code.SHEETFLOW_MAIL_LOG
    REPLY_LOG = "sheetflow's log of the replies to returns, not a return", Code.SHEETFLOW_REPLY_LOG
    FEEDBACK = "a feedback note sheetflow wrote, not a return", Code.SHEETFLOW_FEEDBACK
    DRAFT = "an email draft sheetflow wrote, not a return", Code.SHEETFLOW_DRAFT


def _known(code: str) -> Code:
    try:
        return Code(code)
    except ValueError:
        raise ValueError(f"{code!r} is not a finding code declared in sheetflow.intake.codes.Code") from None


@dataclass
class Finding:
    """One thing a partner must fix (error) or may want to look at (warning)."""

    name: str | None
    cell: str | None
    message: str
    code: Code

    def __post_init__(self) -> None:
        self.code = _known(self.code)


class Rejected(Exception):
    """The file must not be read; ``reason`` is one plain line for a convener, ``code`` its kind."""

    def __init__(self, code: Code, reason: str):
        super().__init__(reason)
        self.code, self.reason = _known(code), reason

    def __reduce__(self) -> tuple[type["Rejected"], tuple[Code, str], dict[str, object]]:  # crosses from workers
        return type(self), (self.code, self.reason), self.__dict__
