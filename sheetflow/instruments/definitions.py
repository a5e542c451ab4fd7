"""Instrument definitions: the TOML files in workbook_templates/ (and a user's folder), loaded and checked.

A definition holds every word a respondent sees. From it come both the
workbook (workbook.py) and its pandera schema (intake/schemas.py), through one flat
list of :class:`Answer` records: every answer cell has a defined name, a kind,
a label a partner recognises, and whether it is required.

It also says everything else the code needs to know about an instrument, so that nothing outside
this module names one: its short name (``Instrument.short_name``), whether it is made per person or
per region for its lead (``Instrument.level``), its rating scale (``Instrument.scale``), the answer
names of its questions (``Instrument.before``, ``Instrument.after``) and which roster column fills each
identity answer (``Instrument.roster``). A user's definitions (``--definitions DIR`` or the
environment variable ``SHEETFLOW_DEFINITIONS``: a folder of ``.toml`` files) are loaded beside the
bundled ones; a user's file with the id of a bundled one takes its place (docs/instruments.md).
"""

from __future__ import annotations

import functools
import os
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from ..core_properties import LANGUAGE
from ..errors import DefinitionError



class Kind(StrEnum):
    """Which kind of workbook a definition makes (its ``kind``): the code builds each kind's sheets."""

    ASSESSMENT = "assessment"
    ACTION_PLAN = "action-plan"


class Level(StrEnum):
    """Who an instrument is answered by (its ``level``): each person for their organization, or each region
    (one workbook per region, for its lead on the roster)."""

    ORGANIZATION = "organization"
    REGION = "region"


INSTRUMENT_KINDS = tuple(Kind)
DEFAULT_LEVEL = {Kind.ASSESSMENT: Level.ORGANIZATION, Kind.ACTION_PLAN: Level.REGION}
MAX_DEFINITION_BYTES = 2_000_000  # the bundled ones are about 40 kB; a user's file is read whole
ENVIRONMENT = "SHEETFLOW_DEFINITIONS"  # a folder of the user's own definitions, loaded beside the bundled ones
# The roster's columns an identity answer can be filled in from ([[identity]] roster = "...").
ROSTER_FIELDS = ("organization", "region", "respondent_name", "role", "email")
NOT_INSTRUMENTS = {"email"}  # other wording kept beside the instruments (email templates)
# The stamp every generated workbook carries (document properties and hidden sheet), in this order.
STAMP_KEYS = ("sheetflow_instrument", "sheetflow_version", "sheetflow_response_id", "sheetflow_cycle")
RETURNS_KEY = "sheetflow_assessment_returns"  # also stamped (not named) on an action plan made with results
PROMPTS = {  # [workbook.prompts] each kind of workbook needs for its answer cells' input messages
    "assessment": ("text", "email", "date", "before", "before_detail", "rating", "comment", "after"),
    "action-plan": ("text", "email", "date", "status", "obstacles", "action", "action_needed"),
}
PREVIOUS_KEY = "sheetflow_previous_plan"  # also stamped (not named): the response id of the plan followed up
VERSIONS = "versions"  # the sub-folder of workbook_templates/ with the earlier versions issued
ANSWER_KINDS = ("text", "long_text", "email", "date", "rating", "yes_no", "status", "table")


@dataclass(frozen=True)
class Answer:
    """One named answer cell (or, for kind "table", one named block of rows)."""

    name: str
    kind: str
    label: str
    required: bool
    choices: tuple = ()
    group: str = ""  # component area or key element, for summaries
    columns: tuple = ()  # for tables: the Column records, in order
    rows: int = 1
    given: bool = False  # written by sheetflow for the partner to read (locked), never filled in


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool


@dataclass(frozen=True)
class ScaleLevel:
    value: int
    label: str


@dataclass(frozen=True)
class Question:
    """One question before or after the assessment, with the names of its answers."""

    key: str
    question: str
    answer_name: str  # yes/no before the assessment (pre_<key>_yes); the text answer after it (reflect_<key>)
    follow_up: str = ""  # before: the "If Yes" detail asked
    detail_name: str = ""  # before: its answer (pre_<key>_detail)


@dataclass(frozen=True)
class Capability:
    number: int
    title: str
    characteristics: tuple  # str items; a nested tuple holds the sub-bullets of the item before it

    @property
    def rating_name(self) -> str:
        return f"rating_{self.number:02d}"

    @property
    def comment_name(self) -> str:
        return f"comment_{self.number:02d}"


@dataclass(frozen=True)
class Area:
    number: int
    name: str
    heading: str
    question: str
    capabilities: tuple


@dataclass(frozen=True)
class Element:
    number: int
    name: str
    heading: str
    definition: str
    components_intro: str
    components: tuple
    prompts: str
    table_intro: str

    def status_name(self, component: int) -> str:
        return f"e{self.number}_status_{component}"

    @property
    def obstacles_name(self) -> str:
        return f"e{self.number}_obstacles"

    @property
    def actions_name(self) -> str:
        return f"e{self.number}_actions"

    @property
    def previous_name(self) -> str:
        """Last cycle's actions for this element, as sheetflow wrote them (version 1.1 on)."""
        return f"e{self.number}_previous"

    @property
    def progress_name(self) -> str:
        """What became of each of last cycle's actions: progress and a note, row by row (version 1.1 on)."""
        return f"e{self.number}_progress"


@dataclass(frozen=True)
class Instrument:
    """A loaded, checked definition. ``data`` keeps the TOML for the workbook's text."""

    id: str
    version: str
    kind: str
    title: str
    short_title: str
    source: str
    data: dict = field(repr=False)
    identity: tuple = ()
    areas: tuple = ()  # assessment
    elements: tuple = ()  # action plan
    action_columns: tuple = ()
    progress_choices: tuple = ()  # action plan 1.1 on: the follow-up of last cycle's plan
    shown_columns: tuple = ()  # the action columns of last cycle's rows that the follow-up lists
    answers: tuple = ()
    language: str = LANGUAGE  # of its text (BCP 47, as Office writes it): a screen reader reads it in this voice
    short_name: str = ""  # what ``generate`` takes besides the id ("assessment")
    level: str = Level.ORGANIZATION  # Level: one workbook per person, or per region for its lead
    scale: tuple = ()  # assessment: the ScaleLevel records, 1 up to the highest
    before: tuple = ()  # assessment: the Question records asked before it
    after: tuple = ()  # assessment: the Question records to consider after it
    roster: tuple = ()  # (identity answer name, roster column) for each identity answer filled in from the roster
    bundled: bool = True  # one of sheetflow's own definitions (False: from the user's folder)

    @property
    def names(self) -> tuple:
        """What ``generate`` accepts for it: its short name and its id."""
        return tuple(dict.fromkeys(n for n in (self.short_name, self.id) if n))

    @property
    def per_person(self) -> bool:
        """One workbook per person on the roster (else one per region, for its action-plan lead)."""
        return self.level == Level.ORGANIZATION

    @property
    def is_assessment(self) -> bool:
        return self.kind == Kind.ASSESSMENT

    @property
    def ratings(self) -> tuple:
        """The rating scale's values, lowest first (1 to 5 for the bundled Self-Assessment)."""
        return tuple(level.value for level in self.scale)

    @property
    def top_rating(self) -> int:
        return self.scale[-1].value if self.scale else 0

    def filled_from(self, field_name: str) -> str | None:
        """The identity answer the roster's ``field_name`` column fills in (None if none)."""
        return next((name for name, column in self.roster if column == field_name), None)

    @property
    def text(self) -> dict:
        """The workbook's own wording (sheet names, instructions, labels)."""
        return self.data["workbook"]

    def shown(self, text: str) -> str:
        """``text`` as the workbook shows it: where the paper refers to its own layout ("the sections
        above"), the definition's ``[workbook.adapted]`` says where the partner finds that part."""
        for paper, workbook in self.text.get("adapted", {}).items():
            text = text.replace(paper, workbook)
        return text

    def answer(self, name: str) -> Answer:
        for answer in self.answers:
            if answer.name == name:
                return answer
        raise KeyError(name)

    @property
    def capabilities(self) -> tuple:
        return tuple(c for area in self.areas for c in area.capabilities)


@functools.cache
def templates_dir() -> Path:
    """Where the bundled definitions live, installed or in a source checkout."""
    try:
        folder = resources.files("sheetflow.workbook_templates")
        path = Path(str(folder))
        if path.is_dir():
            return path
    except ModuleNotFoundError:
        pass
    return Path(__file__).resolve().parents[2] / "workbook_templates"  # sheetflow/instruments/ -> the checkout


def user_folder() -> Path | None:
    """The folder of the user's own definitions (``SHEETFLOW_DEFINITIONS``; ``--definitions`` sets it), or None."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    if not value:
        return None
    folder = Path(value)
    if not folder.is_dir():
        raise DefinitionError(f"{value}: not a folder of instrument definitions (from --definitions or "
                              f"{ENVIRONMENT}).")
    return folder.resolve()


def use(folder: str | Path | None) -> None:
    """Load the definitions in ``folder`` (its ``.toml`` files) beside the bundled ones, in this process and in
    the worker processes it starts from now on (it sets ``SHEETFLOW_DEFINITIONS``); None: the bundled ones
    only. Every definition is checked at once: a mistake is a DefinitionError naming each one."""
    if folder is None or str(folder).strip() == "":
        os.environ.pop(ENVIRONMENT, None)
        return
    path = Path(folder)
    if not path.is_dir():
        raise DefinitionError(f"{folder}: not a folder of instrument definitions (--definitions names a folder "
                              "of .toml files).")
    os.environ[ENVIRONMENT] = str(path.resolve())
    load_issued()


def available() -> dict[str, Path]:
    """Definition id -> file, for every current definition (the bundled ones and the user's)."""
    return {i.id: Path(i.source) for i in load_all().values()}


def load(name_or_path: str | Path) -> Instrument:
    """Load a definition by id or short name (``assessment``), or any TOML file by path."""
    given = str(name_or_path)
    current = load_all()
    for instrument in current.values():
        if given in instrument.names:
            return instrument
    path = Path(name_or_path)
    if not given.endswith(".toml") or not path.is_file():
        known = ", ".join(sorted(n for i in current.values() for n in i.names)) or "none"
        raise DefinitionError(f"No instrument definition called {given!r} (known: {known}).")
    return _checked(path)


def _checked(path: Path) -> Instrument:
    try:
        stat = path.stat()
    except OSError as exc:
        raise DefinitionError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    return _load_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_file(path: Path, _mtime_ns: int, size: int) -> Instrument:
    """One definition file, parsed and checked once for as long as it is unchanged (validate asks per file)."""
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionError(f"{path}: {size:,} bytes, larger than any instrument definition "
                              f"(at most {MAX_DEFINITION_BYTES:,}); is it the right file?")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot be read as TOML: {exc}") from None
    try:
        return _build(data, path)
    except _Broken as exc:
        raise DefinitionError("\n".join(f"{path}: {line}" for line in str(exc).splitlines())) from None


def load_all() -> dict[str, Instrument]:
    """Every current definition by id (bundled, and the user's in their place), checked (read again only when
    a file changes)."""
    return dict(_load_all(*_folder_stamps())[0])


def load_issued() -> dict[tuple[str, str], Instrument]:
    """Every version sheetflow has issued of every instrument, by (id, version): the current definitions
    and the earlier ones kept in workbook_templates/versions/ so that their returns still validate."""
    return dict(_load_all(*_folder_stamps())[1])


def load_version(instrument_id: str, version: str) -> Instrument | None:
    """The definition of one issued version, or None if this sheetflow never issued it."""
    return _load_all(*_folder_stamps())[1].get((instrument_id, version))


def of_kind(instruments: dict, kind: str) -> list:
    """The instruments of ``kind`` among ``instruments`` (id -> Instrument), the user's before the bundled."""
    return sorted((i for i in instruments.values() if i.kind == kind), key=lambda i: (i.bundled, i.id))


def questions_file(instrument: Instrument) -> Path | None:
    """For an earlier version, the locked text of its workbooks as issued (``<id>-<version>.questions.json``
    beside its definition in versions/): returns are compared with it, not with what is generated today."""
    path = Path(instrument.source)
    if path.parent.name != VERSIONS:
        return None
    frozen = path.with_name(f"{path.stem}.questions.json")
    return frozen if frozen.is_file() else None


def _folder_stamps() -> tuple:
    folders = tuple(f for f in (templates_dir(), user_folder()) if f is not None)
    stamps = []
    for folder in folders:
        for where in (folder, folder / VERSIONS):  # asked once per returned file: kept to a few system calls
            if where.is_dir():
                with os.scandir(where) as entries:
                    stamps += sorted((str(where), e.name, e.stat().st_mtime_ns) for e in entries
                                     if e.name.endswith(".toml"))
    return folders, tuple(f.stat().st_mtime_ns for f in folders), tuple(stamps)


@functools.lru_cache(maxsize=4)
def _load_all(folders: tuple, _mtimes: tuple, _stamps: tuple) -> tuple[dict, dict]:
    """(current by id, issued by (id, version)) from the bundled folder and the user's (its definitions take the
    place of bundled ones with the same id, and of issued versions with the same id and version). Every
    file is checked; the mistakes of all of them are refused together."""
    problems: list[str] = []
    current: dict[str, Instrument] = {}
    earlier: dict[tuple[str, str], Instrument] = {}
    for folder in folders:
        mine: dict[str, Path] = {}
        for path in sorted(folder.glob("*.toml")):
            if path.stem in NOT_INSTRUMENTS:
                continue
            try:
                instrument = _checked(path)
            except DefinitionError as exc:
                problems.append(str(exc))
                continue
            if instrument.id in mine:
                problems.append(f"{path}: id {instrument.id!r} is also the id of {mine[instrument.id].name}; each "
                                "definition needs its own id.")
                continue
            mine[instrument.id] = path
            current[instrument.id] = instrument
            earlier.pop((instrument.id, instrument.version), None)  # the user's takes the place of a bundled one
        seen: set = set()
        for path in sorted((folder / VERSIONS).glob("*.toml")):
            try:
                instrument = _checked(path)
            except DefinitionError as exc:
                problems.append(str(exc))
                continue
            key = (instrument.id, instrument.version)
            if key in seen or key in {(i.id, i.version) for i in current.values() if Path(i.source).parent == folder}:
                problems.append(f"{path}: version {instrument.version} of {instrument.id} is defined twice.")
                continue
            seen.add(key)
            earlier[key] = instrument
    named: dict[str, Instrument] = {}
    for instrument in current.values():
        for name in instrument.names:
            other = named.setdefault(name, instrument)
            if other is not instrument:
                problems.append(f"{instrument.source}: {name!r} is also the short name or id of {other.id} "
                                f"({Path(other.source).name}); give it a short_name of its own.")
    for (instrument_id, _), instrument in earlier.items():
        if instrument_id not in current:
            problems.append(f"{instrument.source}: an earlier version of {instrument_id!r}, which has no current "
                            "definition.")
    if problems:
        raise DefinitionError("\n".join(problems))
    issued = {(i.id, i.version): i for i in current.values()}
    issued.update((key, i) for key, i in earlier.items() if key not in issued)
    return current, issued


class _Broken(Exception):
    pass


class _Problems:
    """The mistakes found in one definition, each a line naming its key: a part with a mistake is checked to its
    end, the others all the same, so that one reading lists them all."""

    def __init__(self) -> None:
        self.found: list[str] = []

    @contextmanager
    def part(self) -> Iterator[None]:
        try:
            yield
        except _Broken as exc:
            self.found.append(str(exc))

    def add(self, problem: str) -> None:
        self.found.append(problem)

    def twice(self, values: list, what: str) -> None:
        """One line for each value used more than once in ``values``."""
        for value in dict.fromkeys(v for v in values if values.count(v) > 1):
            self.found.append(f"{what} {value!r} is used {values.count(value)} times; each must be different")


def _get(table: dict, key: str, kind: type | tuple, where: str) -> Any:
    if key not in table:
        raise _Broken(f"{where} has no {key!r}")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is int:
        expected = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise _Broken(f"{where}.{key} should be {expected}, not {type(value).__name__}")
    if isinstance(value, (str, list)) and not value:
        raise _Broken(f"{where}.{key} is empty")
    return value


def _strings(table: dict, key: str, where: str) -> tuple:
    items = _get(table, key, list, where)
    for i, item in enumerate(items):
        if not isinstance(item, str) or not item.strip():
            raise _Broken(f"{where}.{key}[{i}] should be a non-empty string")
    return tuple(items)


def _numbered(items: list, where: str, start: int = 1) -> None:
    numbers = [item.number for item in items]
    expected = list(range(start, start + len(items)))
    if numbers != expected:
        raise _Broken(f"{where} are numbered {numbers}, expected {expected}")


def _build(data: dict, path: Path) -> Instrument:
    problems = _Problems()
    kind = _get(data, "kind", str, "the definition")
    if kind not in INSTRUMENT_KINDS:
        raise _Broken(f"kind {kind!r} is not one of {', '.join(INSTRUMENT_KINDS)}")
    kind = Kind(kind)
    for key in ("id", "version", "title", "short_title", *(k for k in ("language", "short_name") if k in data)):
        with problems.part():
            _get(data, key, str, "the definition")
    level = data.get("level", DEFAULT_LEVEL[kind])
    if level not in tuple(Level):
        problems.add(f"level {level!r} should be {' or '.join(map(repr, map(str, Level)))}")
        level = DEFAULT_LEVEL[kind]
    workbook = _get(data, "workbook", dict, "the definition")
    for key in ("instructions", "sheets", "labels"):
        with problems.part():
            _get(workbook, key, (list, dict), "[workbook]")
    if path.parent.name != VERSIONS or "prompts" in workbook:  # an earlier version is only read, never generated
        with problems.part():
            _prompts(_get(workbook, "prompts", dict, "[workbook]"), kind, problems)
    identity = []
    with problems.part():
        for i, f in enumerate(_get(data, "identity", list, "the definition")):
            with problems.part():
                identity.append(_identity_answer(f, i))
    problems.twice([a.name for a in identity], "[[identity]] name")
    roster = tuple((f["name"], f["roster"]) for f in data.get("identity", []) if isinstance(f, dict) and "roster" in f)
    for name, column in roster:
        if column not in ROSTER_FIELDS:
            problems.add(f"[[identity]] {name!r}: roster {column!r} should be one of {', '.join(ROSTER_FIELDS)}")
    common = dict(
        id=data.get("id", ""), version=data.get("version", ""), kind=kind, title=data.get("title", ""),
        short_title=data.get("short_title", ""), source=str(path), data=data, identity=tuple(identity),
        language=data.get("language", LANGUAGE), short_name=data.get("short_name", ""), level=Level(level),
        roster=roster, bundled=path.is_relative_to(templates_dir()),
    )
    labels = workbook.get("labels") if isinstance(workbook.get("labels"), dict) else {}
    if kind == Kind.ASSESSMENT:
        instrument = _assessment(data, common, labels, problems)
    else:
        instrument = _action_plan(data, common, labels, problems)
    names = [a.name for a in instrument.answers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated and not problems.found:
        problems.add(f"answer names used twice: {', '.join(repeated)}")
    if problems.found:
        raise _Broken("\n".join(problems.found))
    return instrument


def _prompts(prompts: dict, kind: str, problems: _Problems) -> None:
    """Every input message the workbook of ``kind`` announces: a title and a message each."""
    with problems.part():
        _get(prompts, "required", str, "[workbook.prompts]")
    for key in PROMPTS[kind]:
        with problems.part():
            prompt = _get(prompts, key, dict, "[workbook.prompts]")
            _get(prompt, "title", str, f"[workbook.prompts].{key}")
            if isinstance(_get(prompt, "message", (str, list), f"[workbook.prompts].{key}"), list):
                _strings(prompt, "message", f"[workbook.prompts].{key}")  # one line each


def _identity_answer(table: dict, index: int) -> Answer:
    where = f"[[identity]] #{index + 1}"
    kind = _get(table, "kind", str, where)
    if kind not in ("text", "long_text", "email", "date"):
        raise _Broken(f"{where}.kind {kind!r} should be text, long_text, email or date")
    return Answer(
        name=_get(table, "name", str, where), kind=kind, label=_get(table, "label", str, where),
        required=bool(table.get("required", False)), group="identity",
    )


def _characteristics(items: list, where: str) -> tuple:
    out: list[str | tuple[str, ...]] = []
    for i, item in enumerate(items):
        if isinstance(item, str) and item.strip():
            out.append(item)
        elif isinstance(item, list) and out and all(isinstance(s, str) and s.strip() for s in item):
            out.append(tuple(item))
        else:
            raise _Broken(f"{where}.characteristics[{i}] should be a string, or a list of sub-bullets after one")
    return tuple(out)


def _scale(data: dict, problems: _Problems) -> tuple:
    """The rating scale: levels valued 1, 2, ... up to the highest (at least 2 levels, at most 10), each labelled."""
    scale = _get(data, "scale", dict, "the definition")
    levels = _get(scale, "levels", list, "[scale]")
    out = []
    for i, level in enumerate(levels, start=1):
        where = f"[[scale.levels]] #{i}"
        if not isinstance(level, dict):
            problems.add(f"{where} should be a table with value and label")
            continue
        with problems.part():
            value = _get(level, "value", int, where)
            out.append(ScaleLevel(value, _get(level, "label", str, f"{where} (value {value})")))
    values = [level.value for level in out]
    if len(out) == len(levels) and values != list(range(1, len(values) + 1)):
        problems.add(f"[scale] levels should be valued 1, 2, ... in order, found {values}")
    elif len(out) == len(levels) and not 2 <= len(values) <= 10:
        problems.add(f"[scale] should have 2 to 10 levels, not {len(values)}")
    return tuple(out)


def _questions(data: dict, section: str, keys: tuple, problems: _Problems) -> tuple:
    """The [[before]] or [[after]] questions, each with its answers' names."""
    out = []
    with problems.part():
        for i, q in enumerate(_get(data, section, list, "the definition"), start=1):
            with problems.part():
                for key in keys:
                    _get(q, key, str, f"[[{section}]] #{i}")
                if section == "before":
                    out.append(Question(q["key"], q["question"], f"pre_{q['key']}_yes", q["follow_up"],
                                        f"pre_{q['key']}_detail"))
                else:
                    out.append(Question(q["key"], q["question"], f"reflect_{q['key']}"))
    problems.twice([q.key for q in out], f"[[{section}]] key")
    return tuple(out)


def _capability(cap: Any, where: str) -> Capability:
    if not isinstance(cap, dict):
        raise _Broken(f"{where} should be a table with number, title and characteristics")
    number = _get(cap, "number", int, where)
    where = f"{where} (number {number})"
    return Capability(number=number, title=_get(cap, "title", str, where),
                      characteristics=_characteristics(_get(cap, "characteristics", list, where), where))


def _assessment(data: dict, common: dict, labels: dict, problems: _Problems) -> Instrument:
    scale: tuple = ()
    with problems.part():
        scale = _scale(data, problems)
    with problems.part():
        table = _get(data, "table", dict, "the definition")
        for key in ("capability_heading", "characteristics_heading", "comment_label"):
            with problems.part():
                _get(table, key, str, "[table]")
    yes_no: tuple = ()
    with problems.part():
        yes_no = _strings(data, "yes_no_choices", "the definition")
    built = _areas(data, problems)
    before = _questions(data, "before", ("key", "question", "follow_up"), problems)
    after = _questions(data, "after", ("key", "question"), problems)
    if "item" not in labels:
        problems.add("[workbook.labels] has no 'item' (how a capability is named, e.g. \"{number}. {title}\")")
    if problems.found:
        return Instrument(**common)
    answers = list(common["identity"])
    for q in before:
        answers.append(Answer(q.answer_name, "yes_no", q.question, True, yes_no, "before"))
        answers.append(Answer(q.detail_name, "long_text", q.follow_up, False, (), "before"))
    values = tuple(level.value for level in scale)
    for area in built:
        for cap in area.capabilities:
            label = labels["item"].format(number=cap.number, title=cap.title)
            answers.append(Answer(cap.rating_name, "rating", label, True, values, area.name))
            answers.append(Answer(cap.comment_name, "long_text", label, False, (), area.name))
    for q in after:
        answers.append(Answer(q.answer_name, "long_text", q.question, False, (), "after"))
    return Instrument(**common, areas=tuple(built), answers=tuple(answers), scale=scale, before=before, after=after)


def _areas(data: dict, problems: _Problems) -> list[Area]:
    """The [[areas]], each with its capabilities: those listed under it and those ([[capabilities]]) naming it."""
    areas: list[tuple[dict, list[Capability]]] = []
    with problems.part():
        for a, area in enumerate(_get(data, "areas", list, "the definition"), start=1):
            where = f"[[areas]] #{a}"
            with problems.part():
                if not isinstance(area, dict):
                    raise _Broken(f"{where} should be a table with name, heading, question and capabilities")
                for key in ("name", "heading", "question"):
                    with problems.part():
                        _get(area, key, str, where)
                capabilities = []
                for c, cap in enumerate(area.get("capabilities", []), start=1):
                    with problems.part():
                        capabilities.append(_capability(cap, f"{where} capability #{c}"))
                areas.append((area, capabilities))
    names = [str(area.get("name")) for area, _ in areas]
    problems.twice(names, "[[areas]] name")
    _loose_capabilities(data, areas, names, problems)
    built = []
    for a, (area, capabilities) in enumerate(areas, start=1):
        if not capabilities:
            problems.add(f"[[areas]] #{a} ({area.get('name')!r}) has no capabilities")
        built.append(Area(number=a, name=area.get("name", ""), heading=area.get("heading", ""),
                          question=area.get("question", ""),
                          capabilities=tuple(sorted(capabilities, key=lambda c: c.number))))
    numbers = [c.number for area in built for c in area.capabilities]
    problems.twice(numbers, "capability number")
    if len(set(numbers)) == len(numbers):
        with problems.part():
            _numbered([c for area in built for c in area.capabilities], "capabilities")
    return built


def _loose_capabilities(data: dict, areas: list[tuple[dict, list[Capability]]], names: list[str],
                        problems: _Problems) -> None:
    """A capability may also be listed on its own, naming its area (``[[capabilities]] area = "..."``): each is
    added to its area's."""
    loose = data.get("capabilities", [])
    if not isinstance(loose, list):
        problems.add("capabilities should be a list of [[capabilities]] tables, each naming its area")
        loose = []
    for c, cap in enumerate(loose, start=1):
        where = f"[[capabilities]] #{c}"
        with problems.part():
            capability = _capability(cap, where)
            area_name = cap.get("area")
            where = f"{where} (number {capability.number})"
            if area_name is None:
                raise _Broken(f"{where} is in no area: give it area = \"<the name of one of the [[areas]]>\", or "
                              "list it under its area as [[areas.capabilities]]")
            if area_name not in names:
                raise _Broken(f"{where}: area {area_name!r} is not the name of any of the [[areas]] "
                              f"({', '.join(map(repr, names))})")
            areas[names.index(area_name)][1].append(capability)


def _action_plan(data: dict, common: dict, labels: dict, problems: _Problems) -> Instrument:
    with problems.part():
        return _action_plan_parts(data, common, labels, problems)
    return Instrument(**common)


def _action_plan_parts(data: dict, common: dict, labels: dict, problems: _Problems) -> Instrument:
    statuses = _strings(data, "status_choices", "the definition")
    rows = _get(data, "action_rows", int, "the definition")
    if rows < 1:
        raise _Broken("action_rows should be at least 1")
    columns = tuple(
        Column(_get(c, "key", str, "[[action_columns]]"), _get(c, "label", str, "[[action_columns]]"),
               bool(c.get("required", False)))
        for c in _get(data, "action_columns", list, "the definition")
    )
    elements = []
    for e in _get(data, "elements", list, "the definition"):
        where = f"[[elements]] {e.get('number', '?')}"
        elements.append(Element(
            number=_get(e, "number", int, where), name=_get(e, "name", str, where),
            heading=_get(e, "heading", str, where), definition=_get(e, "definition", str, where),
            components_intro=_get(e, "components_intro", str, where),
            components=_strings(e, "components", where), prompts=_get(e, "prompts", str, where),
            table_intro=_get(e, "table_intro", str, where),
        ))
    _numbered(elements, "elements")
    for key in ("element", "component", "actions"):
        if key not in labels:
            raise _Broken(f"[workbook.labels] has no {key!r}")
    problems.twice([c.key for c in columns], "[[action_columns]] key")
    answers = list(common["identity"])
    for el in elements:
        group = labels["element"].format(number=el.number, name=el.name)
        for j, text in enumerate(el.components, start=1):
            label = labels["component"].format(element=el.number, number=j, text=text)
            answers.append(Answer(el.status_name(j), "status", label, True, statuses, group))
        answers.append(Answer(el.obstacles_name, "long_text", el.prompts, False, (), group))
        answers.append(Answer(el.actions_name, "table", labels["actions"].format(number=el.number),
                              False, (), group, columns, rows))
    followup = data.get("followup")
    if followup is None:
        return Instrument(**common, elements=tuple(elements), action_columns=columns, answers=tuple(answers))
    choices = _strings(followup, "choices", "[followup]")
    keys = _strings(followup, "shown_columns", "[followup]")
    shown = tuple(c for key in keys for c in columns if c.key == key)
    if len(shown) != len(keys):
        raise _Broken("[followup].shown_columns should name action columns")
    wording = _get(data["workbook"], "followup", dict, "[workbook]")
    progress = (Column("progress", _get(followup, "progress_label", str, "[followup]"), False),
                Column("note", _get(followup, "note_label", str, "[followup]"), False))
    for el in elements:
        group = labels["element"].format(number=el.number, name=el.name)
        answers.append(Answer(el.previous_name, "table", wording["previous"].format(number=el.number), False,
                              (), group, shown, rows, given=True))
        answers.append(Answer(el.progress_name, "table", wording["progress"].format(number=el.number), False,
                              choices, group, progress, rows))
    return Instrument(**common, elements=tuple(elements), action_columns=columns, progress_choices=choices,
                      shown_columns=shown, answers=tuple(answers))
