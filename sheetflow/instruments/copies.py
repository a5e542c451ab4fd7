"""Personalised copies of a generated workbook, without building each one from scratch.

Generating a workbook with xlsxwriter takes tens of milliseconds; a roster of a
thousand people would spend most of its time redrawing the same sheets. So for
each instrument, cycle and set of pre-filled answers, the workbook is generated
once with unique placeholders where the response id and the respondent's
details go. A copy replaces the placeholders in the three parts that hold them
(the shared strings, docProps/custom.xml and docProps/core.xml), escaped by
the rules xlsxwriter applies (``cell_text``); only those three are compressed again, and the zip is
laid out as Python's zipfile lays out xlsxwriter's own (the other parts are
copied as they were compressed).

A copy is byte for byte the workbook ``generate.generate`` writes for the same
request (tests/test_copies.py checks this). Where that cannot be guaranteed (a
value xlsxwriter would merge with another string, a date, control characters),
the copy is generated the plain way instead.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from ..cell_text import t_element, xml_escaped
from ..files import Deflated, atomic_path, zip_bytes
from .definitions import Instrument
from .workbook import Request, generate, workbook_bytes

RESPONSE_ID = "response_id"
STRINGS, CUSTOM, CORE = "xl/sharedStrings.xml", "docProps/custom.xml", "docProps/core.xml"
_PLAIN = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]*")  # xlsxwriter escapes these differently per part
_SST_ITEM = re.compile(r"<si><t[^>]*>(.*?)</t></si>", re.S)
LONGEST = 32767  # longer strings are cut by xlsxwriter


def _placeholder(field: str) -> str:
    return f"SHEETFLOWPLACEHOLDER{field.upper()}X"


class Template:
    """One generated workbook with a placeholder for the response id and each pre-filled answer."""

    def __init__(self, instrument: Instrument, cycle: str, fields: tuple[str, ...]) -> None:
        self.instrument, self.cycle, self.fields = instrument, cycle, fields
        request = Request(instrument, response_id=_placeholder(RESPONSE_ID), cycle=cycle,
                          prefill={field: _placeholder(field) for field in fields})
        with zipfile.ZipFile(io.BytesIO(workbook_bytes(request))) as zf:
            self.entries = [(info, zf.read(info)) for info in zf.infolist()]
        self.compressed = {info.filename: Deflated.of(data) for info, data in self.entries}
        parts = dict((info.filename, data) for info, data in self.entries)
        strings = parts[STRINGS].decode("utf-8")
        tokens = {_placeholder(field) for field in (RESPONSE_ID, *fields)}
        self.taken = {item for item in _SST_ITEM.findall(strings)} - tokens  # text already in the workbook
        if any(strings.count(f"<si><t>{token}</t></si>") != 1 for token in tokens):
            raise RuntimeError("the template's placeholders were not written as expected")

    def personalise(self, request: Request) -> dict[str, bytes] | None:
        """The three changed parts for ``request``; None if only the plain way gives the exact workbook."""
        values = {RESPONSE_ID: request.response_id,
                  **{field: request.prefill[field] for field in self.fields}}
        texts = list(values.values())
        if any(not isinstance(v, str) or len(v) > LONGEST or not _PLAIN.fullmatch(v) for v in texts):
            return None
        if any(v.startswith("<r>") and v.endswith("</r>") for v in texts):
            return None  # xlsxwriter takes such text for a rich string
        escape = xml_escaped
        if len(set(texts)) != len(texts) or self.taken.intersection(escape(v) for v in texts):
            return None  # xlsxwriter would store equal strings once, changing the string table
        parts = dict((info.filename, data.decode("utf-8")) for info, data in self.entries
                     if info.filename in (STRINGS, CUSTOM, CORE))
        for field, value in values.items():
            token = _placeholder(field)
            parts[STRINGS] = parts[STRINGS].replace(f"<si><t>{token}</t></si>", _shared_string(value))
            for name in (CUSTOM, CORE):
                parts[name] = parts[name].replace(token, escape(value))
        return {name: text.encode("utf-8") for name, text in parts.items()}

    def write(self, path: str | Path, parts: dict[str, bytes]) -> None:
        """The workbook with ``parts`` changed, laid out byte for byte as zipfile.writestr would."""
        entries = [(info, Deflated.of(parts[info.filename]) if info.filename in parts
                    else self.compressed[info.filename]) for info, _ in self.entries]
        with open(path, "wb") as handle:
            handle.write(zip_bytes(entries))


def _shared_string(value: str) -> str:
    """The <si> element xlsxwriter writes for ``value``."""
    return f"<si>{t_element(value)}</si>"


class Copier:
    """Writes personalised workbooks, reusing one template per instrument, cycle and pre-filled answers."""

    def __init__(self) -> None:
        self.templates: dict[tuple, Template] = {}
        self.copied = self.generated = 0

    def generate(self, request: Request, output: Path, force: bool = False) -> Path:
        """Like ``generate.generate``: the same bytes, written atomically, never over a file unless ``force``."""
        fields = tuple(sorted(k for k, v in request.prefill.items() if v is not None and v != ""))
        identity = {a.name for a in request.instrument.identity}
        parts = None
        one_of_a_kind = request.results is not None or request.previous is not None  # results or a follow-up
        if set(request.prefill) <= identity and not one_of_a_kind:
            key = (request.instrument.id, request.instrument.version, request.cycle, fields)
            if key not in self.templates:
                self.templates[key] = Template(request.instrument, request.cycle, fields)
            parts = self.templates[key].personalise(request)
        if parts is None:
            self.generated += 1
            return generate(request, output, force)
        template = self.templates[key]
        with atomic_path(output, force) as tmp:
            template.write(tmp, parts)
        self.copied += 1
        return Path(output)
