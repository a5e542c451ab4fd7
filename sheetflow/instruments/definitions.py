"""Instrument definitions: the TOML files in workbook_templates/, loaded and checked.

A definition holds every word a respondent sees. From it come both the
workbook (workbook.py) and its pandera schema (intake/schemas.py), through one flat
list of :class:`Answer` records: every answer cell has a defined name, a kind,
a label a partner recognises, and whether it is required.
"""

from __future__ import annotations

import functools
import os
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ..core_properties import LANGUAGE
from ..errors import DefinitionError

INSTRUMENT_KINDS = ("assessment", "action-plan")
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


def available() -> dict[str, Path]:
    """Definition id -> file, for every bundled definition."""
    found = {}
    for path in sorted(templates_dir().glob("*.toml")):
        if path.stem not in NOT_INSTRUMENTS:
            found[path.stem] = path
    return found


def load(name_or_path: str | Path) -> Instrument:
    """Load a bundled definition by id (or the instrument kind) or any TOML file by path."""
    aliases = {"assessment": "sector-self-assessment", "action-plan": "sector-action-plan"}
    bundled = available()
    key = aliases.get(str(name_or_path), str(name_or_path))
    path = bundled.get(key) or Path(name_or_path)
    if not path.is_file():
        known = ", ".join(sorted(bundled)) or "none"
        raise DefinitionError(f"No instrument definition called {name_or_path!r} (bundled: {known}).")
    stat = path.stat()
    return _load_file(path.resolve(), stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=32)
def _load_file(path: Path, _mtime_ns: int, _size: int) -> Instrument:
    """One definition file, parsed and checked once for as long as it is unchanged (validate asks per file)."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise DefinitionError(f"{path}: cannot be read as TOML: {exc}") from None
    try:
        return _build(data, path)
    except _Broken as exc:
        raise DefinitionError(f"{path}: {exc}") from None


def load_all() -> dict[str, Instrument]:
    """Every bundled definition by id, in its current version, checked (read again only when a file changes)."""
    return dict(_load_all(*_folder_stamps(templates_dir()))[0])


def load_issued() -> dict[tuple[str, str], Instrument]:
    """Every version sheetflow has issued of every instrument, by (id, version): the current definitions
    and the earlier ones kept in workbook_templates/versions/ so that their returns still validate."""
    return dict(_load_all(*_folder_stamps(templates_dir()))[1])


def load_version(instrument_id: str, version: str) -> Instrument | None:
    """The definition of one issued version, or None if this sheetflow never issued it."""
    return _load_all(*_folder_stamps(templates_dir()))[1].get((instrument_id, version))


def questions_file(instrument: Instrument) -> Path | None:
    """For an earlier version, the locked text of its workbooks as issued (``<id>-<version>.questions.json``
    beside its definition in versions/): returns are compared with it, not with what is generated today."""
    path = Path(instrument.source)
    if path.parent.name != VERSIONS:
        return None
    frozen = path.with_name(f"{path.stem}.questions.json")
    return frozen if frozen.is_file() else None


def _folder_stamps(folder: Path) -> tuple:
    stamps = []
    for where in (folder, folder / VERSIONS):  # asked once per returned file: kept to a few system calls
        if where.is_dir():
            with os.scandir(where) as entries:
                stamps += sorted((str(where), e.name, e.stat().st_mtime_ns) for e in entries
                                 if e.name.endswith(".toml"))
    return folder, folder.stat().st_mtime_ns, tuple(stamps)


@functools.lru_cache(maxsize=4)
def _load_all(folder: Path, _mtime_ns: int, _stamps: tuple) -> tuple[dict, dict]:
    current = {i.id: i for i in (load(path) for path in available().values())}
    issued = {(i.id, i.version): i for i in current.values()}
    for path in sorted((folder / VERSIONS).glob("*.toml")):
        earlier = load(path)
        if (earlier.id, earlier.version) in issued:
            raise DefinitionError(f"{path}: version {earlier.version} of {earlier.id} is defined twice.")
        if earlier.id not in current:
            raise DefinitionError(f"{path}: an earlier version of {earlier.id!r}, which has no current definition.")
        issued[earlier.id, earlier.version] = earlier
    return current, issued


class _Broken(Exception):
    pass


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
    kind = _get(data, "kind", str, "the definition")
    if kind not in INSTRUMENT_KINDS:
        raise _Broken(f"kind {kind!r} is not one of {', '.join(INSTRUMENT_KINDS)}")
    for key in ("id", "version", "title", "short_title", *(("language",) if "language" in data else ())):
        _get(data, key, str, "the definition")
    workbook = _get(data, "workbook", dict, "the definition")
    for key in ("instructions", "sheets", "labels"):
        _get(workbook, key, (list, dict), "[workbook]")
    if path.parent.name != VERSIONS or "prompts" in workbook:  # an earlier version is only read, never generated
        _prompts(_get(workbook, "prompts", dict, "[workbook]"), kind)
    identity = tuple(_identity_answer(f, i) for i, f in enumerate(_get(data, "identity", list, "the definition")))
    common = dict(
        id=data["id"], version=data["version"], kind=kind, title=data["title"],
        short_title=data["short_title"], source=str(path), data=data, identity=identity,
        language=data.get("language", LANGUAGE),
    )
    if kind == "assessment":
        instrument = _assessment(data, common)
    else:
        instrument = _action_plan(data, common)
    names = [a.name for a in instrument.answers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise _Broken(f"answer names used twice: {', '.join(repeated)}")
    return instrument


def _prompts(prompts: dict, kind: str) -> None:
    """Every input message the workbook of ``kind`` announces: a title and a message each."""
    _get(prompts, "required", str, "[workbook.prompts]")
    for key in PROMPTS[kind]:
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


def _assessment(data: dict, common: dict) -> Instrument:
    scale = _get(data, "scale", dict, "the definition")
    levels = _get(scale, "levels", list, "[scale]")
    values = [_get(level, "value", int, "[[scale.levels]]") for level in levels]
    for level in levels:
        _get(level, "label", str, "[[scale.levels]]")
    if values != [1, 2, 3, 4, 5]:
        raise _Broken(f"[scale] levels should be 1 to 5, found {values}")
    table = _get(data, "table", dict, "the definition")
    for key in ("capability_heading", "characteristics_heading", "comment_label"):
        _get(table, key, str, "[table]")
    yes_no = _strings(data, "yes_no_choices", "the definition")
    areas = []
    for a, area in enumerate(_get(data, "areas", list, "the definition"), start=1):
        where = f"[[areas]] #{a}"
        capabilities = []
        for cap in _get(area, "capabilities", list, where):
            cwhere = f"{where} capability"
            capabilities.append(Capability(
                number=_get(cap, "number", int, cwhere), title=_get(cap, "title", str, cwhere),
                characteristics=_characteristics(_get(cap, "characteristics", list, cwhere), cwhere),
            ))
        areas.append(Area(
            number=a, name=_get(area, "name", str, where), heading=_get(area, "heading", str, where),
            question=_get(area, "question", str, where), capabilities=tuple(capabilities),
        ))
    _numbered([c for area in areas for c in area.capabilities], "capabilities")
    before = _get(data, "before", list, "the definition")
    after = _get(data, "after", list, "the definition")
    for i, q in enumerate(before):
        for key in ("key", "question", "follow_up"):
            _get(q, key, str, f"[[before]] #{i + 1}")
    for i, q in enumerate(after):
        for key in ("key", "question"):
            _get(q, key, str, f"[[after]] #{i + 1}")
    labels = data["workbook"]["labels"]
    answers = list(common["identity"])
    for q in before:
        answers.append(Answer(f"pre_{q['key']}_yes", "yes_no", q["question"], True, yes_no, "before"))
        answers.append(Answer(f"pre_{q['key']}_detail", "long_text", q["follow_up"], False, (), "before"))
    for area in areas:
        for cap in area.capabilities:
            label = labels["item"].format(number=cap.number, title=cap.title)
            answers.append(Answer(cap.rating_name, "rating", label, True, tuple(values), area.name))
            answers.append(Answer(cap.comment_name, "long_text", label, False, (), area.name))
    for q in after:
        answers.append(Answer(f"reflect_{q['key']}", "long_text", q["question"], False, (), "after"))
    return Instrument(**common, areas=tuple(areas), answers=tuple(answers))


def _action_plan(data: dict, common: dict) -> Instrument:
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
    labels = data["workbook"]["labels"]
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
