"""The roster: who gets which workbook, and the manifest that remembers what was sent.

    people = read_roster("roster.csv")            # RosterError lists every problem at once
    rows = generate_for_roster("assessment", "roster.csv", "out/", "2026")

A roster is the convener's own list (CSV or the first sheet of an .xlsx) with the
columns ``organization``, ``region``, ``respondent_name``, ``email`` and, optionally,
``role``, ``org_type`` and ``action_plan_lead`` (yes/no). It is checked with a
pandera schema, lazily, so a bad roster comes back with every problem and the row
it is on (as Excel numbers rows: the header is row 1), and nothing is generated.

``manifest.csv`` in the output folder is the ledger of what was sent: one row per
workbook with its response id. Running again for the same cycle keeps every id
already issued and only adds what is new on the roster.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

from . import definitions
from .definitions import Instrument
from ..errors import SheetflowError
from ..files import check_folder
from .manifest import (MANIFEST, MANIFEST_COLUMNS, Generated, ManifestRow,  # noqa: F401  (also roster's API)
                       manifest_path, read_manifest, write_manifest)
from ..text import name_key
from ..names import MAX_NAME, is_email, safe_file_name, safe_part, unique_name

REQUIRED = ("organization", "region", "respondent_name", "email")
OPTIONAL = ("role", "org_type", "action_plan_lead")


class RosterError(SheetflowError):
    """The roster cannot be used; the message lists every problem, one per line, with its row."""


@dataclass(frozen=True)
class Person:
    """One person on the roster; ``row`` is the row they are on in the file (header = row 1)."""

    row: int
    organization: str
    region: str
    respondent_name: str
    email: str
    role: str = ""
    org_type: str = ""
    action_plan_lead: bool = False


# -- reading the roster ---------------------------------------------------------------------------

def read_roster(path, leads: bool = True) -> list[Person]:
    """The people on a roster (CSV or .xlsx), checked; a bad roster raises one RosterError with all problems.

    ``leads``: each region must have exactly one action-plan lead (needed only to send action plans).
    """
    path = Path(path)
    frame, problems = roster_frame(path)
    problems += check_roster(frame, leads)
    if problems:
        problems.sort(key=lambda p: p[0])
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        raise RosterError(f"The roster {path} has {count}; nothing was generated. Fix these and run again:\n"
                          + "\n".join(f"  {message}" for _, message in problems))
    people = []
    for record in frame.to_dict("records"):
        people.append(Person(
            row=int(record["_row"]), organization=record["organization"], region=record["region"],
            respondent_name=record["respondent_name"], email=record["email"], role=record.get("role", ""),
            org_type=record.get("org_type", ""),
            action_plan_lead=record.get("action_plan_lead", "").casefold() == "yes",
        ))
    return people


def roster_frame(path: Path) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
    """The roster as text (nothing becomes NA: "N/A" and "None" stay text), trimmed, one row per person.

    Returns the frame (known columns under their canonical names, plus ``_row``, the row number as
    Excel shows it) and the problems found while reading (row number, message).
    """
    path = Path(path)
    if not path.is_file():
        raise RosterError(f"{path}: no such roster file.")
    with open(path, "rb") as handle:
        magic = handle.read(8)
    if magic == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or path.suffix.lower() in (".xls", ".ods", ".numbers"):
        raise RosterError(f"{path}: save the roster as an Excel Workbook (.xlsx) or as CSV UTF-8.")
    xlsx = magic.startswith(b"PK\x03\x04") or path.suffix.lower() in (".xlsx", ".xlsm")
    rows = _xlsx_rows(path) if xlsx else _csv_rows(path)
    numbered = [(n, [_text(v) for v in values]) for n, values in rows]
    numbered = [(n, values) for n, values in numbered if any(values)]  # blank rows don't count
    if not numbered:
        raise RosterError(f"{path}: the roster is empty; it needs a header row ({', '.join(REQUIRED)}).")
    (header_row, header), body = numbered[0], numbered[1:]
    if not body:
        raise RosterError(f"{path}: the roster has a header but nobody on it.")
    names = [_column_name(h) for h in header]
    found = [n for n in REQUIRED if n in names]
    if len(found) * 2 < len(REQUIRED):  # not a roster (another file given as one): its rows are not checked
        shown = ", ".join(f'"{_fit(h)}"' for h in header[:6] if h) + (", ..." if len(header) > 6 else "")
        raise RosterError(f"{path}: row {header_row} is not a roster's header (it has {shown or 'nothing'}); a "
                          f"roster needs the columns {', '.join(REQUIRED)}. Is this the right file?")
    problems: list[tuple[int, str]] = []
    where = f"row {header_row} (the header)"
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        problems.append((header_row, f"{where}: the column \"{name}\" appears {names.count(name)} times."))
    keep = {i: n for i, n in enumerate(names) if n in REQUIRED + OPTIONAL and names.index(n) == i}
    records = []
    for number, values in body:
        extra = [v for v in values[len(names):] if v]
        if extra:
            problems.append((number, f"row {number}: {len(names) + len(extra)} values but the header has "
                                     f"{len(names)} columns; put quotes around a value that contains a comma."))
        record: dict[str, object] = {name: (values[i] if i < len(values) else "") for i, name in keep.items()}
        record["_row"] = number
        records.append(record)
    frame = pd.DataFrame(records, columns=[*keep.values(), "_row"], dtype=object)
    frame.attrs["header_row"] = header_row
    return frame, problems


def _csv_rows(path: Path) -> list[tuple[int, list]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise RosterError(f"{path}: the roster is not UTF-8 text; in Excel, save it as "
                          "\"CSV UTF-8 (Comma delimited)\" or as an .xlsx workbook.") from None
    if "\x00" in text:
        raise RosterError(f"{path}: the roster is not a CSV file or an .xlsx workbook.")
    header = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = next((d for d in ";\t" if "," not in header and d in header), ",")  # Excel in some locales
    try:
        return list(enumerate(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), start=1))
    except csv.Error as exc:
        raise RosterError(f"{path}: the roster cannot be read as CSV ({exc}).") from None


def _xlsx_rows(path: Path) -> list[tuple[int, list]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types on damaged or foreign files
        raise RosterError(f"{path}: the roster cannot be opened as an .xlsx workbook "
                          f"({type(exc).__name__}); save it as .xlsx or as CSV UTF-8.") from None
    try:
        ws = wb.worksheets[0]
        return [(n, list(values)) for n, values in enumerate(ws.iter_rows(min_row=1, values_only=True), start=1)]
    finally:
        wb.close()


def _text(value) -> str:
    """A cell as trimmed text, as the convener typed it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return " ".join(str(value).split()) if "\n" in str(value) else str(value).strip()


def _fit(text: str, width: int = 30) -> str:
    """A cell's text for a message: printable, and cut at ``width``."""
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= width else text[:width - 1] + "…"


def _column_name(header: str) -> str:
    return re.sub(r"[\s\-]+", "_", header.strip().casefold())


# -- the pandera schema -----------------------------------------------------------------------------

def _filled(value) -> bool:
    return value != ""


def _yes_no(value) -> bool:
    return value.casefold() in ("yes", "no", "")


def _pass(df: pd.DataFrame) -> pd.Series:
    return pd.Series(True, index=df.index)


def _unique_emails(df: pd.DataFrame) -> pd.Series:
    if "email" not in df:
        return _pass(df)
    key = df["email"].map(name_key)
    return (key == "") | ~key.duplicated(keep=False)


def _leads(df: pd.DataFrame) -> pd.Series:
    if "action_plan_lead" not in df:
        return pd.Series(False, index=df.index)
    return df["action_plan_lead"].map(lambda v: v.casefold() == "yes")


def _one_lead_per_region(df: pd.DataFrame) -> pd.Series:
    if "region" not in df:
        return _pass(df)
    region = df["region"].map(name_key)
    count = _leads(df).astype(int).groupby(region).transform("sum")
    return (region == "") | (count == 1)


def _same_spelling(column: str):
    def check(df: pd.DataFrame) -> pd.Series:
        if column not in df:
            return _pass(df)
        first = df.groupby(df[column].map(name_key))[column].transform("first")
        return df[column] == first
    return check


def roster_schema(leads: bool = True) -> pa.DataFrameSchema:
    """What a usable roster is: required columns filled in, emails valid and unique and (``leads``, for
    the action plan) one lead per region."""
    filled = [pa.Check(_filled, element_wise=True, name="empty")]
    columns = {name: pa.Column(object, filled, required=True) for name in ("organization", "region",
                                                                           "respondent_name")}
    columns["email"] = pa.Column(object, [pa.Check(_filled, element_wise=True, name="empty"),
                                          pa.Check(is_email, element_wise=True, name="email")], required=True)
    columns["role"] = pa.Column(object, required=False)
    columns["org_type"] = pa.Column(object, required=False)
    columns["action_plan_lead"] = pa.Column(object, [pa.Check(_yes_no, element_wise=True, name="yes_no")],
                                            required=False)
    columns["_row"] = pa.Column(int, required=True)
    checks = [pa.Check(_unique_emails, name="repeated_email"),
              pa.Check(_same_spelling("region"), name="spelling:region"),
              pa.Check(_same_spelling("organization"), name="spelling:organization")]
    if leads:
        checks.append(pa.Check(_one_lead_per_region, name="lead"))
    return pa.DataFrameSchema(columns, checks=checks, name="roster")


def check_roster(frame: pd.DataFrame, leads: bool = True) -> list[tuple[int, str]]:
    """Every problem of a roster frame (row number, message), from one lazy pandera validation."""
    frame = frame.copy()
    frame["_row"] = frame["_row"].astype(int)
    try:
        roster_schema(leads).validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    else:
        return []
    header = frame.attrs.get("header_row", 1)
    rows = frame["_row"].tolist()
    problems, seen = [], set()
    for case in failures.itertuples(index=False):
        check = str(case.check)
        if check == "column_in_dataframe":
            problems.append((header, f"row {header} (the header): there is no \"{case.failure_case}\" column; "
                                     f"a roster needs the columns {', '.join(REQUIRED)}."))
            continue
        if pd.isna(case.index):
            continue
        position = int(case.index)
        column = case.column if check in ("empty", "email", "yes_no") else None
        if (check, column, position) in seen or (check == "email" and frame["email"].iloc[position] == ""):
            continue  # a dataframe check fails once per column; an empty email is reported as empty
        seen.add((check, column, position))
        if check == "lead":
            continue  # one message per region, below
        problems.append((rows[position], _message(frame, check, column, position)))
    problems.extend(_lead_problems(frame, {p for c, _, p in seen if c == "lead"}))
    return problems


def _message(frame: pd.DataFrame, check: str, column: str | None, position: int) -> str:
    row = frame["_row"].iloc[position]
    if check == "empty":
        return f"row {row}: {column} is empty."
    value = frame[column].iloc[position] if column else None
    if check == "email":
        return f"row {row}: email \"{value}\" is not an email address."
    if check == "yes_no":
        return f"row {row}: action_plan_lead \"{value}\" should be yes or no (blank means no)."
    if check == "repeated_email":
        email = frame["email"].iloc[position]
        others = [r for r, e in zip(frame["_row"], frame["email"]) if name_key(e) == name_key(email) and r != row]
        return f"row {row}: the email {email} is also on {_rows(others)}; each person needs their own email."
    if check.startswith("spelling:"):
        column = check.split(":", 1)[1]
        value = frame[column].iloc[position]
        same = frame[frame[column].map(name_key) == name_key(value)]
        first = same.iloc[0]
        return (f"row {row}: {column} \"{value}\" is written differently on row {first['_row']} "
                f"(\"{first[column]}\"); spell it the same way.")
    return f"row {row}: fails the check {check}."


def _lead_problems(frame: pd.DataFrame, positions: set) -> list[tuple[int, str]]:
    if not positions:
        return []
    leads = _leads(frame)
    problems = []
    regions: dict[str, list[int]] = {}
    for position in sorted(positions):
        regions.setdefault(name_key(frame["region"].iloc[position]), []).append(position)
    for members in regions.values():
        region = frame["region"].iloc[members[0]]
        rows = [int(frame["_row"].iloc[p]) for p in members]
        chosen = [int(frame["_row"].iloc[p]) for p in members if leads.iloc[p]]
        if not chosen:
            column = "" if "action_plan_lead" in frame else " (the roster has no action_plan_lead column)"
            problems.append((rows[0], f"{_rows(rows)}: region \"{region}\" has no action-plan lead"
                                      f"{column}; mark one person yes in action_plan_lead."))
        else:
            problems.append((chosen[0], f"{_rows(chosen)}: region \"{region}\" has {len(chosen)} "
                                        "action-plan leads; mark exactly one person yes in action_plan_lead."))
    return problems


def _rows(numbers) -> str:
    numbers = sorted(numbers)
    if len(numbers) == 1:
        return f"row {numbers[0]}"
    if len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1)):
        return f"rows {numbers[0]}-{numbers[-1]}"
    return "rows " + ", ".join(map(str, numbers[:-1])) + f" and {numbers[-1]}"


# -- file names -----------------------------------------------------------------------------------------

def file_name(parts, label: str, extension: str = ".xlsx", limit: int = MAX_NAME) -> str:
    """``Part - Part - Label.xlsx``, safe on Windows and macOS (names.safe_file_name) and at most ``limit``
    characters: long parts are cut so that the label, which says what the workbook is, stays whole."""
    label = safe_part(label) or "Workbook"
    head = " - ".join(p for p in (safe_part(part) for part in parts) if p)
    room = limit - len(extension) - len(label) - 3
    if len(head) > room:
        head = head[:max(room, 0)].rstrip(" .-")
    return safe_file_name((f"{head} - {label}" if head else label) + extension, limit)


# -- generating for a roster ----------------------------------------------------------------------------

def recipients(instrument: Instrument, people: list[Person]) -> list[Person]:
    """Who gets a workbook: every person (an instrument made per person, the assessment) or each region's
    action-plan lead (one made per region, the action plan)."""
    if instrument.per_person:
        return list(people)
    return [p for p in people if p.action_plan_lead]


def workbook_key(instrument: Instrument, who) -> tuple:
    """How someone's workbook is recognised from one run to the next: by email (made per person) or region
    (made per region). ``who`` is a Person on the roster or a ManifestRow of an earlier run."""
    if instrument.per_person:
        return "email", name_key(who.email)
    return "region", name_key(who.region)


def prefill(instrument: Instrument, person: Person) -> dict:
    """The answers a person's workbook is sent with, by defined name: who it is for (each identity answer the
    definition fills in from a roster column, ``[[identity]] roster``)."""
    return {name: getattr(person, column) for name, column in instrument.roster}


def name_parts(instrument: Instrument, person: Person) -> tuple:
    """What a person's workbook is named after, before the instrument's label."""
    if instrument.per_person:
        return person.region, person.organization, person.respondent_name
    return (person.region,)


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def generate_for_roster(instrument, roster_path, folder, cycle: str | None = None,
                        force: bool = False, results=None, previous=None) -> list[ManifestRow]:
    """A pre-filled workbook for everyone on the roster, recorded in ``folder/manifest.csv``.

    Assessment: one per person; action plan: one per region, for its lead. Response ids already
    in the manifest for this instrument and cycle are kept; a workbook already generated is kept
    (``outcome`` "kept") unless ``force``, which writes it again with the same response id
    ("replaced"). Returns the manifest rows of this instrument and cycle, in roster order.
    With ``results`` (planning.region_results.AssessmentResults), each action plan starts from its
    region's self-assessment results; with ``previous`` (planning.previous_plans.PreviousPlans), each
    follows up its region's plan of the previous cycle.
    """
    from .copies import Copier
    from .workbook import Request

    if not isinstance(instrument, Instrument):
        instrument = definitions.load(instrument)
    cycle = str(cycle) if cycle else str(dt.date.today().year)
    folder = check_folder(folder, "with --roster, -o names the folder for the workbooks",
                          not_suffixes=(".xlsx", ".xlsm", ".xls", ".csv"))
    # a bad roster stops everything before any file is written; leads matter only for the action plan
    people = read_roster(roster_path, leads=not instrument.per_person)
    ledger = folder / MANIFEST
    rows = read_manifest(ledger) if ledger.exists() else []
    known = {(r.cycle, *workbook_key(instrument, r)): r for r in rows if r.instrument == instrument.id}
    taken = {r.file.casefold() for r in rows} | {MANIFEST.casefold()}
    other_cycles = {r.file.casefold() for r in rows if r.cycle != cycle}
    label = instrument.text.get("file_label") or instrument.short_title
    plan, clashes = [], []
    for recipient in recipients(instrument, people):
        existing = known.get((cycle, *workbook_key(instrument, recipient)))
        if existing is not None:
            target = folder / existing.file
            if target.exists() and not force:
                existing.outcome = Generated.KEPT
            else:
                existing.outcome = Generated.REPLACED if target.exists() else Generated.WRITTEN
            plan.append((recipient, existing))
            continue
        wanted = file_name(name_parts(instrument, recipient), label)
        name = unique_name(wanted, taken, cycle if wanted.casefold() in other_cycles else None)
        taken.add(name.casefold())
        if (folder / name).exists() and not force:
            clashes.append(str(folder / name))
        row = ManifestRow(str(uuid.uuid4()), instrument.id, cycle, recipient.region, recipient.organization,
                          recipient.respondent_name, recipient.email, name, "", outcome=Generated.NEW)
        plan.append((recipient, row))
    if clashes:
        raise SheetflowError(f"{clashes[0]} already exists and is not in {ledger}"
                             + (f" ({len(clashes) - 1} more like it)" if len(clashes) > 1 else "")
                             + "; use --force to replace, or choose another folder.")
    folder.mkdir(parents=True, exist_ok=True)
    new_rows, changed, copier = [], False, Copier()  # one workbook is built; everyone gets a personalised copy
    try:
        for recipient, row in plan:
            if row.outcome == Generated.KEPT:
                continue
            request = Request(instrument, response_id=row.response_id, cycle=cycle,
                              prefill=prefill(instrument, recipient),
                              results=None if results is None else results.for_region(recipient.region),
                              previous=None if previous is None else previous.for_region(recipient.region))
            copier.generate(request, folder / row.file, force=True)
            row.generated_at = _now()
            if row.outcome == Generated.NEW:
                row.outcome = Generated.WRITTEN
                new_rows.append(row)
            else:  # the roster may have corrected a name or role; the id and the file stay
                row.region, row.organization = recipient.region, recipient.organization
                row.respondent_name, row.email = recipient.respondent_name, recipient.email
            changed = True
    finally:
        if changed:
            write_manifest(ledger, rows + new_rows)
    return [row for _, row in plan]


def summarise(rows: list[ManifestRow]) -> dict[str, int]:
    """How many rows of a run were written, replaced and kept."""
    done = (Generated.WRITTEN, Generated.REPLACED, Generated.KEPT)
    return {outcome: sum(r.outcome == outcome for r in rows) for outcome in done}


__all__ = ["Person", "RosterError", "ManifestRow", "read_roster", "generate_for_roster", "read_manifest",
           "write_manifest", "file_name", "roster_schema", "check_roster", "summarise",
           "MANIFEST_COLUMNS"]
