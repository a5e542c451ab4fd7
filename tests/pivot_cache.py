"""A PivotTable's figures as Excel shows them when it opens the file (without refreshing): computed from the
cache records the package holds, keeping the records its page fields (report filters) select."""

import statistics
import zipfile
from collections import defaultdict

PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
SML = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _part(z, part, kind):
    """The target of ``part``'s one relationship of a type ending in ``kind``."""
    import posixpath
    import xml.etree.ElementTree as ET

    folder, base = posixpath.split(part)
    rels = ET.fromstring(z.read(posixpath.join(folder, "_rels", base + ".rels")))
    (target,) = [r.get("Target") for r in rels.iter(f"{PKG_REL}Relationship") if r.get("Type").endswith(kind)]
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))


def as_excel_opens_it(path, sheet):
    """A pivot's figures computed from its cache records as Excel computes them when it opens the file without
    refreshing: the records its page fields keep (pageField ``item``: an index into the field's items),
    aggregated by its row and column fields. {(row label, column label): value}, and the page selections."""
    import xml.etree.ElementTree as ET

    with zipfile.ZipFile(path) as z:
        book = ET.fromstring(z.read("xl/workbook.xml"))
        rid = next(s.get(f"{{{REL_NS}}}id") for s in book.iter(f"{SML}sheet") if s.get("name") == sheet)
        rels = ET.fromstring(z.read("xl/_rels/workbook.xml.rels"))
        target = next(r.get("Target") for r in rels.iter(f"{PKG_REL}Relationship") if r.get("Id") == rid)
        sheet_part = "xl/" + target.lstrip("/").removeprefix("xl/")
        table_part = _part(z, sheet_part, "/pivotTable")
        cache_part = _part(z, table_part, "/pivotCacheDefinition")
        records_part = _part(z, cache_part, "/pivotCacheRecords")
        table, cache, records = (ET.fromstring(z.read(p)) for p in (table_part, cache_part, records_part))
    fields = [(f.get("name"), [(i.get("v") if i.tag != f"{SML}m" else None) for i in f.find(f"{SML}sharedItems")])
              for f in cache.iter(f"{SML}cacheField")]
    pivot_fields = list(table.find(f"{SML}pivotFields"))

    def value(k, element):
        if element.tag == f"{SML}x":
            return fields[k][1][int(element.get("v"))]
        return None if element.tag == f"{SML}m" else element.get("v")

    rows = [[value(k, e) for k, e in enumerate(r)] for r in records.iter(f"{SML}r")]
    pages = {}
    for page in table.iter(f"{SML}pageField"):
        k = int(page.get("fld"))
        if page.get("item") is not None:
            item = pivot_fields[k].find(f"{SML}items")[int(page.get("item"))]
            pages[fields[k][0]] = fields[k][1][int(item.get("x"))]
    kept = [r for r in rows if all(r[[f for f, _ in fields].index(name)] == v for name, v in pages.items())]
    row_field = int(table.find(f"{SML}rowFields")[0].get("x"))
    col_field = int(table.find(f"{SML}colFields")[0].get("x"))
    data = table.find(f"{SML}dataFields")[0]
    data_field, func = int(data.get("fld")), data.get("subtotal")
    groups = defaultdict(list)
    for r in kept:
        if r[data_field] is None:
            continue
        groups[str(r[row_field]), str(r[col_field])].append(r[data_field])
    figures = {key: statistics.mean(float(v) for v in values) if func == "average" else len(values)
               for key, values in groups.items()}
    return figures, pages


REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
