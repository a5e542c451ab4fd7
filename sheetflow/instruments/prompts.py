"""The data validation of each answer cell: its checks, and the input message that announces its question.

Excel shows a cell's input message when the cell is selected, and screen readers
read it out, so a partner who moves through a protected sheet with Tab hears the
question before answering it. Excel refuses a title over 32 characters or a
message over 255 (counted in UTF-16 units), so the question, the part of a
message that can be long, is shortened at a word boundary with an ellipsis. The
wording is the definition's ``[workbook.prompts]``; nothing here is shown as is.
"""

from __future__ import annotations

import datetime as dt

TITLE_LIMIT, MESSAGE_LIMIT = 32, 255
ELLIPSIS = "…"


def excel_length(text: str) -> int:
    """Length as Excel counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def fit(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit``, else cut before a word that does not fit, ending in an ellipsis."""
    if excel_length(text) <= limit:
        return text
    room = limit - excel_length(ELLIPSIS)
    out, used = [], 0
    for char in text:
        used += excel_length(char)
        if used > room:
            break
        out.append(char)
    kept = "".join(out)
    rest = text[len(kept):]
    if kept and not kept[-1].isspace() and not rest[:1].isspace():  # stopped inside a word
        space = max(kept.rfind(" "), kept.rfind("\n"))
        kept = kept[:space] if space > 0 else kept  # a single word longer than the limit is cut anyway
    return kept.rstrip(" \n,;:.-–—") + ELLIPSIS


def filled(template: str, limit: int, **fields) -> str:
    """``template`` formatted with ``fields``; only its ``{question}`` is shortened to fit ``limit``."""
    question = fields.pop("question", "")
    fixed = template.format(question="", **fields)
    room = max(limit - excel_length(fixed), len(ELLIPSIS) + 1)
    return fit(template.format(question=fit(question, room), **fields), limit)


def announcement(prompts: dict, key: str, required: bool, **fields) -> dict:
    """The input title and message for one answer cell, from the prompt ``key`` of ``[workbook.prompts]``."""
    prompt = prompts[key]
    if required:
        mark = prompts["required"]
        room = TITLE_LIMIT - excel_length(mark.format(title=""))
        title = mark.format(title=filled(prompt["title"], room, **fields))
    else:
        title = filled(prompt["title"], TITLE_LIMIT, **fields)
    message = prompt["message"] if isinstance(prompt["message"], str) else "\n".join(prompt["message"])
    return {"input_title": title, "input_message": filled(message, MESSAGE_LIMIT, **fields)}


def validation(answer, labels: dict, cell: str) -> dict:
    """What an answer of ``answer.kind`` at ``cell`` accepts: a dropdown with a stop alert, a date, an email.

    Text answers accept anything; they still get a validation so that their input message is shown.
    """
    if answer.kind == "rating":
        return {"validate": "list", "source": [str(v) for v in answer.choices],
                "error_title": labels["rating_error_title"], "error_message": labels["rating_error"]}
    if answer.kind in ("yes_no", "status"):
        return {"validate": "list", "source": list(answer.choices), "error_message": labels[f"{answer.kind}_error"]}
    if answer.kind == "date":
        return {"validate": "date", "criteria": "between", "minimum": dt.date(2000, 1, 1),
                "maximum": dt.date(2100, 12, 31), "error_message": labels["date_error"]}
    if answer.kind == "email":
        return {"validate": "custom", "value": f'=ISNUMBER(SEARCH("@",{cell}))', "error_type": "warning",
                "error_message": labels["email_error"], "ignore_blank": True}
    return {"validate": "any"}
