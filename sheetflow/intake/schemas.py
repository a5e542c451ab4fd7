"""pandera schemas derived from a definition, and the batch validation of returns.

One definition gives each answer a kind (rating, yes_no, status, date, email,
text, table) and says whether it is required. From that come two schemas per
instrument: ``errors`` (what must be fixed) and ``warnings`` (optional answers
left empty, odd emails). The answers of all returns of one instrument form one
long frame, a row per return and named answer (the flat list of named cells),
and each schema validates it lazily, in one call, with one check per rule
rather than per question (pandera's cost grows with the columns that fail, not
the rows). Every failure case is mapped back to its file, cell and defined name
with a message a partner can act on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pandera.pandas as pa

from ..names import is_email
from .codes import Code, Finding
from .followup import check_progress
from .record import Return

TITLE_WIDTH = 45
# The code of each check's failure (an empty required answer is an error, an empty optional one a warning).
CHECK_CODES = {"formula": Code.FORMULA, "rating": Code.RATING_RANGE, "choice": Code.NOT_A_CHOICE,
               "date": Code.NOT_A_DATE, "text": Code.NOT_TEXT, "email": Code.EMAIL_FORMAT}


@dataclass(frozen=True)
class Formula:
    """An answer cell that holds a formula: its text, never its cached result."""

    text: str

    def __str__(self) -> str:
        return self.text


def _not_formula(value) -> bool:
    return not isinstance(value, Formula)


def _is_rating(value, scale: frozenset) -> bool:
    """A whole number on the instrument's scale (its ``choices``: 1 to 5 for the bundled Self-Assessment)."""
    return isinstance(value, int) and not isinstance(value, bool) and value in scale


def _is_date(value) -> bool:
    return isinstance(value, dt.date) and dt.date(2000, 1, 1) <= value <= dt.date(2100, 12, 31)


def _is_text(value) -> bool:
    return isinstance(value, str)


def _where(kinds: dict[str, str], wanted: tuple[str, ...], test):
    """A frame check: rows whose answer is of one of the ``wanted`` kinds and filled must pass ``test``."""
    names = [name for name, kind in kinds.items() if kind in wanted]

    def check(df: pd.DataFrame) -> pd.Series:
        chosen = df["name"].isin(names) & df["filled"]
        ok = pd.Series(True, index=df.index)
        if chosen.any():
            ok[chosen] = [bool(test(name, value))
                          for name, value in zip(df["name"][chosen].tolist(), df["value"][chosen].tolist())]
        return ok

    return check


def answer_schemas(instrument) -> tuple[pa.DataFrameSchema, pa.DataFrameSchema]:
    """(errors, warnings) schemas over the long frame of ``answers_frame``, built from the definition."""
    answers = [a for a in instrument.answers if a.kind != "table"]
    kinds = {a.name: a.kind for a in answers}
    required = [a.name for a in answers if a.required]
    optional = [a.name for a in answers if not a.required]
    choices = {a.name: set(a.choices) for a in answers if a.kind in ("yes_no", "status")}
    scales = {a.name: frozenset(a.choices) for a in answers if a.kind == "rating"}
    columns = {
        "response": pa.Column(int),
        "name": pa.Column(str, pa.Check.isin(list(kinds))),
        "value": pa.Column(object, [pa.Check(_not_formula, element_wise=True, name="formula")], nullable=True),
        "filled": pa.Column(bool),  # value.notna(), computed once for every check
    }
    row: dict[str, Any] = {"ignore_na": False}  # every row counts (pandera would otherwise look for all-blank rows per check)
    errors = pa.DataFrameSchema(columns, name=f"{instrument.id} errors", checks=[
        pa.Check(lambda df: df["filled"] | ~df["name"].isin(required), name="not_nullable", **row),
        pa.Check(_where(kinds, ("rating",), lambda n, v: _is_rating(v, scales[n])), name="rating", **row),
        pa.Check(_where(kinds, ("yes_no", "status"), lambda n, v: v in choices[n]), name="choice", **row),
        pa.Check(_where(kinds, ("date",), lambda _, v: _is_date(v)), name="date", **row),
        pa.Check(_where(kinds, ("text", "long_text", "email"), lambda _, v: _is_text(v)), name="text", **row),
    ])
    warnings = pa.DataFrameSchema({**columns, "value": pa.Column(object, nullable=True)},
                                  name=f"{instrument.id} warnings", checks=[
        pa.Check(lambda df: df["filled"] | ~df["name"].isin(optional), name="not_nullable", **row),
        pa.Check(_where(kinds, ("email",), lambda _, v: is_email(v)), name="email", **row),
    ])
    return errors, warnings


def action_schema(instrument) -> pa.DataFrameSchema:
    """One row per action-table row: a row with anything in it needs its required columns."""
    columns = {c.key: pa.Column(object, [pa.Check(_not_formula, element_wise=True, name="formula")],
                                nullable=True) for c in instrument.action_columns}
    checks = [pa.Check(lambda df, key=c.key: df[key].notna() | ~df["_filled"].astype(bool), name=f"needs:{c.key}",
                       ignore_na=False)  # every row counts, as in answer_schemas
              for c in instrument.action_columns if c.required]
    return pa.DataFrameSchema({**columns, "_filled": pa.Column(bool)}, checks=checks,
                              name=f"{instrument.id} actions")


def _cell_value(answer):
    return Formula(str(answer.value)) if answer.formula else answer.value


def answers_frame(returns: list[Return], instrument) -> pd.DataFrame:
    """Long frame: one row per return and named answer: ``response`` (position), ``name``, ``value`` as read,
    and whether it is ``filled``."""
    names = [a.name for a in instrument.answers if a.kind != "table"]
    values = pd.Series([_cell_value(r.answers[n]) for r in returns for n in names], dtype=object)
    filled = values.notna()
    return pd.DataFrame({"response": [i for i in range(len(returns)) for _ in names],
                         "name": names * len(returns), "value": values.where(filled, None), "filled": filled})


def actions_frame(returns: list[Return], instrument) -> pd.DataFrame:
    """Long frame: one row per (return, element, table row) with the six action columns."""
    keys = [c.key for c in instrument.action_columns]
    columns: dict[str, list[Any]] = {name: [] for name in ("_return", "element", "row", *keys, "_filled")}
    for position, record in enumerate(returns):
        for element in instrument.elements:
            table = record.answers[element.actions_name]
            for number, values in enumerate(table.value, start=1):
                if table.formula:
                    values = [Formula(str(v)) if isinstance(v, str) and v.startswith("=") else v for v in values]
                columns["_return"].append(position)
                columns["element"].append(element.number)
                columns["row"].append(number)
                for key, value in zip(keys, values):
                    columns[key].append(value)
                columns["_filled"].append(any(v is not None for v in values))
    frame = pd.DataFrame({name: pd.Series(values, dtype=bool if name == "_filled" else object)
                          for name, values in columns.items()})
    return frame


def _failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[str, int, str, object]]:
    """(column, row index, check name, failing value) for every failure, lazily, in one pass."""
    if frame.empty:
        return []
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        cases = cases[cases["index"].notna()]
        out = list(zip(cases["column"].tolist(), cases["index"].astype(int).tolist(),
                       cases["check"].astype(str).tolist(), cases["failure_case"].tolist()))
        return sorted(out, key=lambda failure: failure[2] != "formula")  # a formula explains any other failure
    return []


def short(text: object, width: int = TITLE_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _label(answer) -> str:
    label = answer.label
    if answer.kind == "rating" or answer.name.startswith("comment_"):
        head, _, title = label.partition(' "')
        return f'{head} "{short(title.rstrip(chr(34)))}"' if title else label
    if answer.kind in ("status",):
        head, _, text = label.partition(' "')
        return f'{head} "{short(text.rstrip(chr(34)))}"' if text else label
    return f'"{short(label)}"' if answer.kind in ("yes_no", "long_text") and answer.group != "identity" else label


def _scale(answer) -> str:
    """A rating's scale in words: "1 to 5" (its choices, from the instrument's scale)."""
    return f"{min(answer.choices)} to {max(answer.choices)}" if answer.choices else "the list"


def _shown(value) -> str:
    return f'"{short(value, 40)}"' if isinstance(value, (str, Formula)) else f'"{value}"'


def message(answer, check: str, value, cell: str, instrument) -> str:
    """A sentence a partner can act on, naming the question and the cell."""
    where = f"{_label(answer)} ({cell})"
    if check == "formula":
        return f"{where}: contains a formula ({short(str(value), 30)}); type the answer itself."
    if check == "not_nullable":
        if answer.kind == "rating":
            return f"{where}: no rating chosen; choose a number from {_scale(answer)}."
        if answer.kind in ("yes_no", "status"):
            return f"{where}: nothing chosen; choose {_choices(answer)} from the list."
        if answer.name.startswith("comment_"):
            return f"{where}: the rating is not described (optional)."
        return f"{where} is empty" + (" (optional)." if not answer.required else ".")
    if check == "rating":
        return f"{where}: the rating {_shown(value)} is not a number from {_scale(answer)}."
    if check == "choice":
        return f"{where}: {_shown(value)} is not one of {_choices(answer)}; choose from the list."
    if check == "date":
        return f"{where}: {_shown(value)} is not a date; type it like 2026-03-15."
    if check == "email":
        return f"{where}: {_shown(value)} does not look like an email address."
    if check == "text":
        return f"{where}: {_shown(value)} should be text."
    raise ValueError(f"no message for the check {check!r}")


def _choices(answer) -> str:
    options = [str(c) for c in answer.choices]
    return ", ".join(options[:-1]) + " or " + options[-1] if len(options) > 1 else options[0]


def check_answers(returns: list[Return], instrument) -> list[tuple[list[Finding], list[Finding]]]:
    """(errors, warnings) for each return of one instrument, in order, from one lazy validation."""
    results: list[tuple[list[Finding], list[Finding]]] = [([], []) for _ in returns]
    if not returns:
        return results
    frame = answers_frame(returns, instrument)
    errors, warnings = answer_schemas(instrument)
    responses, names, values = frame["response"].tolist(), frame["name"].tolist(), frame["value"].tolist()
    seen = set()  # one finding per cell: the first check it fails; a warning never repeats an error
    for level, schema in ((0, errors), (1, warnings)):
        for _, index, check, _ in _failures(schema, frame):
            if index in seen:
                continue
            seen.add(index)
            position, name, value = responses[index], names[index], values[index]
            answer = instrument.answer(name)
            cell = returns[position].answers[name].cell
            code = (Code.REQUIRED, Code.OPTIONAL_EMPTY)[level] if check == "not_nullable" else CHECK_CODES[check]
            results[position][level].append(Finding(name, cell, message(answer, check, value, cell, instrument), code))
    if instrument.elements:
        _validate_actions(returns, instrument, results)
    for position, record in enumerate(returns if instrument.progress_choices else ()):
        progress_errors, progress_warnings = check_progress(record, instrument)  # version 1.1 on: last cycle's plan
        results[position][0].extend(progress_errors)
        results[position][1].extend(progress_warnings)
    order = {a.name: i for i, a in enumerate(instrument.answers)}
    for found in results:
        for findings in found:
            findings.sort(key=lambda f: (order.get(f.name, len(order)), f.cell or ""))
    return results


def _validate_actions(returns, instrument, results) -> None:
    frame = actions_frame(returns, instrument)
    columns = {c.key: (i, c) for i, c in enumerate(instrument.action_columns)}
    required = [c.label for c in instrument.action_columns if c.required]
    seen = set()
    for column, index, check, value in _failures(action_schema(instrument), frame):
        row = frame.iloc[index]
        position, element, number = int(row["_return"]), int(row["element"]), int(row["row"])
        key = check.split(":", 1)[1] if check.startswith("needs:") else column
        if key not in columns or (index, key) in seen:
            continue
        seen.add((index, key))
        col, spec = columns[key]
        table = returns[position].answers[f"e{element}_actions"]
        cell = table.cell_at(number - 1, col)
        answer = instrument.answer(f"e{element}_actions")
        where = f"{answer.label}, row {number}, {spec.label} ({cell})"
        if check == "formula":
            text, code = f"{where}: contains a formula ({short(str(value), 30)}); type the text itself.", Code.FORMULA
        else:
            needed = ", ".join(required[:-1]) + " and " + required[-1]
            text, code = f"{where} is empty; a row you start needs its {needed}.", Code.ACTION_INCOMPLETE
        results[position][0].append(Finding(answer.name, cell, text, code))
