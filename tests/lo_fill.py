"""Fill workbook-level defined names of a spreadsheet through LibreOffice UNO.

Run with the system python that has `uno`:
    /usr/bin/python3 lo_fill.py PIPE_NAME SRC DST VALUES.json
An office must already be listening on `pipe,name=PIPE_NAME;urp;` (see libreoffice.py).
VALUES maps defined name -> scalar | [[row], ...] | {"date": "YYYY-MM-DD"} | null
(null clears the cell; rows may be shorter than the range, the rest is left alone).
"""
import datetime
import json
import sys
import time
from pathlib import Path

import uno
from com.sun.star.beans import PropertyValue
from com.sun.star.lang import Locale

CLEAR_FLAGS = 1 | 2 | 4 | 16  # VALUE | DATETIME | STRING | FORMULA
EPOCH = datetime.date(1899, 12, 30)


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


def connect(pipe, deadline=60.0):
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
    url = f"uno:pipe,name={pipe};urp;StarOffice.ComponentContext"
    end = time.monotonic() + deadline
    while True:
        try:
            return resolver.resolve(url)
        except Exception:
            if time.monotonic() > end:
                raise
            time.sleep(0.25)


def date_format(doc):
    formats, locale = doc.NumberFormats, Locale()
    key = formats.queryKey("YYYY-MM-DD", locale, False)
    return key if key != -1 else formats.addNew("YYYY-MM-DD", locale)


def write_cell(cell, value, doc):
    if value is None:
        cell.clearContents(CLEAR_FLAGS)
    elif isinstance(value, dict) and "date" in value:
        cell.setValue((datetime.date.fromisoformat(value["date"]) - EPOCH).days)
        cell.NumberFormat = date_format(doc)
    elif isinstance(value, str):
        cell.setString(value)  # text, never parsed as a formula
    elif isinstance(value, (int, float)):
        cell.setValue(value)
    else:
        raise TypeError(f"unsupported value {value!r}")


def write_name(doc, name, value):
    if not doc.NamedRanges.hasByName(name):
        raise KeyError(f"no workbook-level defined name {name!r}")
    rng = doc.NamedRanges.getByName(name).getReferredCells()
    if rng is None:
        raise ValueError(f"defined name {name!r} does not refer to cells")
    addr = rng.RangeAddress
    rows, cols = addr.EndRow - addr.StartRow + 1, addr.EndColumn - addr.StartColumn + 1
    if rows == cols == 1 and not isinstance(value, list):
        cells = [((0, 0), value)]
    elif isinstance(value, list):
        if len(value) > rows or any(len(r) > cols for r in value):
            raise ValueError(f"{name!r}: {len(value)} rows do not fit a {rows}x{cols} range")
        cells = [((c, r), v) for r, row in enumerate(value) for c, v in enumerate(row)]
    else:
        raise ValueError(f"{name!r} is a {rows}x{cols} range; pass a list of rows")
    sheet = doc.Sheets.getByIndex(addr.Sheet)
    for (c, r), v in cells:
        cell = rng.getCellByPosition(c, r)
        try:
            write_cell(cell, v, doc)
            ok = v is not None or cell.Type.value == "EMPTY"  # deletes are silently ignored on locked cells
        except Exception:
            if not sheet.isProtected():
                raise
            ok = False
        if not ok:
            if not sheet.isProtected():
                raise RuntimeError(f"{name!r}: could not clear {cell.AbsoluteName}")
            sheet.unprotect("")  # LibreOffice refused: retry unprotected, then re-protect
            try:
                write_cell(cell, v, doc)
            finally:
                sheet.protect("")


def main(pipe, src, dst, values_path):
    values = json.loads(Path(values_path).read_text(encoding="utf-8"))
    ctx = connect(pipe)
    desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
    doc = desktop.loadComponentFromURL(Path(src).resolve().as_uri(), "_blank", 0, (prop("Hidden", True),))
    if doc is None:
        raise RuntimeError(f"LibreOffice could not open {src}")
    try:
        for name, value in values.items():
            write_name(doc, name, value)
        doc.storeToURL(Path(dst).resolve().as_uri(),
                       (prop("FilterName", "Calc MS Excel 2007 XML"), prop("Overwrite", True)))
    finally:
        doc.close(True)


if __name__ == "__main__":
    main(*sys.argv[1:5])
