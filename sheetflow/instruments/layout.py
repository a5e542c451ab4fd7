"""How text is laid out in a generated workbook's cells: row heights, bulleted lists, the answers still needed."""

from __future__ import annotations

import math

from xlsxwriter.utility import xl_rowcol_to_cell


def estimate_height(text: str, width: float, line: float = 13.0) -> float:
    """Row height (points) that shows ``text`` wrapped in a column ``width`` characters wide."""
    per_line = max(8, int(width * 1.25))
    lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
    return lines * line + 4


def bullets(items) -> str:
    """Characteristic bullets as cell text; a nested tuple holds sub-bullets."""
    out: list[str] = []
    for item in items:
        if isinstance(item, tuple):
            out.extend(f"     ◦ {sub}" for sub in item)
        else:
            out.append(f"• {item}")
    return "\n".join(out)


def still_needed(ws, row: int, labels: dict, formats: dict, instrument, prefill: dict, last_col: int = 2) -> None:
    """How many required answers are still blank, in words (in columns C to ``last_col``): the orange
    shading is not the only sign."""
    required = [a.name for a in instrument.answers if a.required]
    count = sum(prefill.get(name) in (None, "") for name in required)
    ws.write_string(row, 0, labels["still_needed"], formats["label"])
    ws.write_formula(row, 1, f"={len(required)}-COUNTA({','.join(required)})", formats["count"], count)
    done, where = (text.replace('"', '""') for text in (labels["still_needed_none"], labels["still_needed_where"]))
    if last_col > 2:
        ws.merge_range(row, 2, row, last_col, "", formats["body"])
    ws.write_formula(row, 2, f'=IF({xl_rowcol_to_cell(row, 1)}=0,"{done}","{where}")', formats["body"],
                     labels["still_needed_none"] if count == 0 else labels["still_needed_where"])
