"""A workbook package held as parts in memory: find, replace and register parts by reading its XML, then zip it.

The roll-up's workbook is written by xlsxwriter, then given parts that xlsxwriter cannot write
(the data tables' sheets, PivotTables). Everything here goes through the package's own
indexes, parsed as XML: ``[Content_Types].xml``, the relationship parts and ``xl/workbook.xml``,
so nothing depends on how the first writer named or laid out its parts. Edited index parts are
parsed with ``xml.dom.minidom``, which keeps every namespace declaration (ElementTree drops the
ones it does not see used, which breaks ``mc:Ignorable``), and written back when the package is saved.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from typing import Any
from xml.dom import minidom

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
SHEETML = "application/vnd.openxmlformats-officedocument.spreadsheetml."  # + e.g. "worksheet+xml"
DECLARATION = b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

# Excel's built-in number formats that a cell format may name by number instead of declaring them
BUILT_IN_FORMATS = {"General": 0, "0": 1, "0.00": 2, "#,##0": 3, "#,##0.00": 4, "0%": 9, "0.00%": 10}


class WorkbookParts:
    """A zip package as {part name: bytes}, in the order it will be written (names without a leading "/")."""

    def __init__(self, parts: dict[str, bytes]):
        self.parts = dict(parts)
        self.docs: dict[str, minidom.Document] = {}  # parts being edited, written back by ``save``

    @classmethod
    def from_zip(cls, data: bytes) -> "WorkbookParts":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return cls({info.filename: z.read(info) for info in z.infolist()})

    # -- reading and editing XML parts ------------------------------------------------------------
    def xml(self, name: str) -> minidom.Document:
        """The part ``name`` as a DOM to read or edit (a new relationships part if it does not exist yet)."""
        if name not in self.docs:
            if name in self.parts:
                self.docs[name] = minidom.parseString(self.parts[name])
            elif name.endswith(".rels"):
                self.docs[name] = minidom.parseString(f'<Relationships xmlns="{PKG_REL}"/>')
                self.parts[name] = b""  # its place in the zip; written by ``save``
            else:
                raise KeyError(name)
        return self.docs[name]

    def root(self, name: str) -> minidom.Element:
        """The root element of the part ``name`` (as ``xml``)."""
        return _root(self.xml(name))

    def put(self, name: str, data: bytes, content_type: str | None = None) -> None:
        """Add or replace the part ``name``; ``content_type`` registers it in [Content_Types].xml."""
        self.docs.pop(name, None)
        self.parts[name] = data
        if content_type:
            types = self.root("[Content_Types].xml")
            for override in types.getElementsByTagNameNS(TYPES, "Override"):
                if override.getAttribute("PartName") == "/" + name:
                    types.removeChild(override)
            _append(types, TYPES, "Override", PartName="/" + name, ContentType=content_type)

    def free_name(self, pattern: str) -> str:
        """The first of pattern.format(1), pattern.format(2), ... that is not a part yet."""
        n = 1
        while pattern.format(n) in self.parts:
            n += 1
        return pattern.format(n)

    def parts_of_type(self, content_type: str) -> list[str]:
        """The parts registered with ``content_type`` (by override), in the order they are listed."""
        types = self.root("[Content_Types].xml")
        return [o.getAttribute("PartName").lstrip("/") for o in types.getElementsByTagNameNS(TYPES, "Override")
                if o.getAttribute("ContentType") == content_type]

    # -- relationships ------------------------------------------------------------------------------
    def related(self, source: str, kind: str) -> list[tuple[str, str]]:
        """(relationship id, part name) of each relationship of type ``kind`` (e.g. "worksheet") from ``source``."""
        rels = _rels_name(source)
        if rels not in self.parts:
            return []
        root = self.root(rels)
        return [(r.getAttribute("Id"), _resolve(source, r.getAttribute("Target")))
                for r in root.getElementsByTagNameNS(PKG_REL, "Relationship")
                if r.getAttribute("Type") == f"{REL}/{kind}" and r.getAttribute("TargetMode") != "External"]

    def relate(self, source: str, kind: str, target: str) -> str:
        """Add a relationship of type ``kind`` from part ``source`` to part ``target``; returns its id."""
        root = self.root(_rels_name(source))
        taken = {r.getAttribute("Id") for r in root.getElementsByTagNameNS(PKG_REL, "Relationship")}
        n = len(taken) + 1
        while f"rId{n}" in taken:
            n += 1
        relative = posixpath.relpath(target, posixpath.dirname(source) or ".")
        _append(root, PKG_REL, "Relationship", Id=f"rId{n}", Type=f"{REL}/{kind}", Target=relative)
        return f"rId{n}"

    def drop_relationships(self, source: str) -> None:
        """Forget every relationship from ``source`` (its part is being replaced whole)."""
        name = _rels_name(source)
        self.docs.pop(name, None)
        self.parts.pop(name, None)

    # -- the workbook ---------------------------------------------------------------------------------
    @property
    def workbook(self) -> str:
        """The workbook part, as the package's root relationships name it."""
        [(_, name)] = [r for r in self.related("", "officeDocument")] or [("", "xl/workbook.xml")]
        return name

    def sheets(self) -> list[tuple[str, str]]:
        """(sheet name, part name) of every sheet, in the workbook's order."""
        parts = dict(self.related(self.workbook, "worksheet"))
        book = self.root(self.workbook)
        return [(s.getAttribute("name"), parts[s.getAttributeNS(REL, "id")])
                for s in book.getElementsByTagNameNS(MAIN, "sheet")]

    def add_sheet(self, name: str, part: str, data: bytes, before: int) -> None:
        """Add the worksheet part ``part`` as the sheet ``name``, placed before the sheet at index ``before``.

        Sheet indexes in the workbook (sheet-local defined names, the active and first visible tab)
        that point at or after ``before`` move along with their sheets."""
        self.put(part, data, SHEETML + "worksheet+xml")
        rid = self.relate(self.workbook, "worksheet", part)
        book = self.xml(self.workbook)
        sheets = book.getElementsByTagNameNS(MAIN, "sheet")
        sheet_id = 1 + max([int(s.getAttribute("sheetId")) for s in sheets] or [0])
        for element, attribute in [(e, "localSheetId") for e in book.getElementsByTagNameNS(MAIN, "definedName")] + \
                [(e, a) for e in book.getElementsByTagNameNS(MAIN, "workbookView") for a in ("activeTab", "firstSheet")]:
            if element.hasAttribute(attribute) and int(element.getAttribute(attribute)) >= before:
                element.setAttribute(attribute, str(int(element.getAttribute(attribute)) + 1))
        new = self.element(self.workbook, "sheet", rid=rid, name=name, sheetId=str(sheet_id))
        anchor = sheets[before] if before < len(sheets) else None
        parent: Any = sheets[0].parentNode
        parent.insertBefore(new, anchor)

    def add_print_titles(self, index: int, name: str, titles: str) -> None:
        """Print ``titles`` (e.g. "$A:$A") of the sheet at ``index`` (named ``name``) on each of its pages."""
        book = self.xml(self.workbook)
        holders = book.getElementsByTagNameNS(MAIN, "definedNames")
        if holders:
            holder = holders[0]
        else:  # CT_Workbook: definedNames after sheets
            sheets = book.getElementsByTagNameNS(MAIN, "sheets")[0]
            parent = sheets.parentNode
            assert isinstance(parent, minidom.Element)
            holder = parent.insertBefore(self.element(self.workbook, "definedNames"),
                                         sheets.nextSibling)  # type: ignore[arg-type]
        quoted = "'" + name.replace("'", "''") + "'"
        defined = self.element(self.workbook, "definedName", name="_xlnm.Print_Titles", localSheetId=str(index))
        defined.appendChild(book.createTextNode(f"{quoted}!{titles}"))
        holder.appendChild(defined)

    def element(self, part: str, tag: str, rid: str | None = None, **attributes) -> minidom.Element:
        """A new SpreadsheetML element for the part ``part`` (not yet placed), with ``r:id="rid"`` if given."""
        doc = self.xml(part)
        new = _element(doc, MAIN, tag, **attributes)
        if rid is not None:
            new.setAttributeNS(REL, _prefixed(doc.documentElement, REL, "r") + ":id", rid)
        return new

    # -- cell formats -----------------------------------------------------------------------------------
    @property
    def styles(self) -> minidom.Element:
        [(_, name)] = self.related(self.workbook, "styles")
        return self.root(name)

    def number_format(self, code: str) -> int:
        """The number of the number format ``code`` (e.g. "0.0"): Excel's built-in one, the workbook's own,
        or a new one declared in its styles."""
        if code in BUILT_IN_FORMATS:
            return BUILT_IN_FORMATS[code]
        root = self.styles
        declared = {f.getAttribute("formatCode"): int(f.getAttribute("numFmtId"))
                    for f in root.getElementsByTagNameNS(MAIN, "numFmt")}
        if code in declared:
            return declared[code]
        number = max([163, *declared.values()]) + 1  # the workbook's own formats are numbered from 164
        holders = root.getElementsByTagNameNS(MAIN, "numFmts")
        # numFmts is the first element of a stylesheet
        holder = holders[0] if holders else root.insertBefore(_element(root.ownerDocument, MAIN, "numFmts"),
                                                              root.firstChild)
        _append(holder, MAIN, "numFmt", numFmtId=str(number), formatCode=code)
        holder.setAttribute("count", str(len(holder.getElementsByTagNameNS(MAIN, "numFmt"))))
        return number

    def add_cell_format(self, code: str, wrapped: bool = False, centred: bool = False) -> int:
        """A new cell format with the workbook's default font, fill and border, showing numbers as ``code``
        (e.g. "0.0", "yyyy-mm-dd hh:mm") at the top of the cell, ``centred`` or not, text ``wrapped`` or not;
        returns its index,
        for a cell's or a column's ``s``/``style``."""
        number = self.number_format(code)
        [cell_formats] = self.styles.getElementsByTagNameNS(MAIN, "cellXfs")
        index = len([x for x in cell_formats.childNodes if x.nodeType == x.ELEMENT_NODE])
        xf = _append(cell_formats, MAIN, "xf", numFmtId=str(number), fontId="0", fillId="0", borderId="0", xfId="0",
                     applyNumberFormat="1", applyAlignment="1")
        _append(xf, MAIN, "alignment", **({"horizontal": "center"} if centred else {}), vertical="top",
                **({"wrapText": "1"} if wrapped else {}))
        cell_formats.setAttribute("count", str(index + 1))
        return index

    def add_number_dxf(self, code: str) -> int:
        """A new differential format (for a conditional format) that shows numbers as ``code``; returns its index."""
        number = self.number_format(code)
        root = self.styles
        holders = root.getElementsByTagNameNS(MAIN, "dxfs")
        if holders:
            holder = holders[0]
        else:  # CT_Stylesheet: dxfs after cellStyles
            after = [e for e in root.childNodes if e.nodeType == e.ELEMENT_NODE and e.localName in (
                "tableStyles", "colors", "extLst")]
            holder = root.insertBefore(_element(root.ownerDocument, MAIN, "dxfs"), after[0] if after else None)
        index = len([x for x in holder.childNodes if x.nodeType == x.ELEMENT_NODE])
        dxf = _append(holder, MAIN, "dxf")
        _append(dxf, MAIN, "numFmt", numFmtId=str(number), formatCode=code)
        holder.setAttribute("count", str(index + 1))
        return index

    def add_heading_format(self, colour: str, background: str, wrapped: bool = False) -> int:
        """A new cell format for a table's headings: bold text in ``colour`` on a solid ``background`` (each
        "RRGGBB"), in the workbook's default font and size, ``wrapped`` (at the top of the cell) or not; returns
        its index, as ``add_cell_format``."""
        root = self.styles
        [fonts] = root.getElementsByTagNameNS(MAIN, "fonts")
        [fills] = root.getElementsByTagNameNS(MAIN, "fills")
        [cell_formats] = root.getElementsByTagNameNS(MAIN, "cellXfs")
        default: Any = [f for f in fonts.childNodes if f.nodeType == f.ELEMENT_NODE][0].cloneNode(True)
        for old in [c for c in default.childNodes if c.nodeType == c.ELEMENT_NODE and c.localName in ("b", "color")]:
            default.removeChild(old)
        default.insertBefore(_element(root.ownerDocument, MAIN, "b"), default.firstChild)  # CT_Font: b before sz
        colour_element = _element(root.ownerDocument, MAIN, "color", rgb="FF" + colour.upper())
        after = [c for c in default.childNodes if c.nodeType == c.ELEMENT_NODE and c.localName in ("name", "family",
                                                                                                     "charset", "scheme")]
        default.insertBefore(colour_element, after[0] if after else None)  # CT_Font: color after sz, before name
        fonts.appendChild(default)
        fill = _append(fills, MAIN, "fill")
        pattern = _append(fill, MAIN, "patternFill", patternType="solid")
        _append(pattern, MAIN, "fgColor", rgb="FF" + background.upper())
        _append(pattern, MAIN, "bgColor", indexed="64")
        font_id, fill_id = (len([x for x in e.childNodes if x.nodeType == x.ELEMENT_NODE]) - 1 for e in (fonts, fills))
        for holder in (fonts, fills):
            holder.setAttribute("count", str(len([x for x in holder.childNodes if x.nodeType == x.ELEMENT_NODE])))
        index = len([x for x in cell_formats.childNodes if x.nodeType == x.ELEMENT_NODE])
        xf = _append(cell_formats, MAIN, "xf", numFmtId="0", fontId=str(font_id), fillId=str(fill_id), borderId="0",
                     xfId="0", applyFont="1", applyFill="1", **({"applyAlignment": "1"} if wrapped else {}))
        if wrapped:
            _append(xf, MAIN, "alignment", vertical="top", wrapText="1")
        cell_formats.setAttribute("count", str(index + 1))
        return index

    def add_cell_style(self, name: str, horizontal: str) -> None:
        """A new named cell style ``name`` (as in Excel's Cell Styles) aligning text ``horizontal``ly ("left",
        "center", "right"), the workbook's default font otherwise."""
        root = self.styles
        [style_formats] = root.getElementsByTagNameNS(MAIN, "cellStyleXfs")
        [styles] = root.getElementsByTagNameNS(MAIN, "cellStyles")
        index = len([x for x in style_formats.childNodes if x.nodeType == x.ELEMENT_NODE])
        xf = _append(style_formats, MAIN, "xf", numFmtId="0", fontId="0", fillId="0", borderId="0",
                     applyAlignment="1")
        _append(xf, MAIN, "alignment", horizontal=horizontal)
        style_formats.setAttribute("count", str(index + 1))
        _append(styles, MAIN, "cellStyle", name=name, xfId=str(index))
        styles.setAttribute("count", str(len([x for x in styles.childNodes if x.nodeType == x.ELEMENT_NODE])))

    # -- writing ------------------------------------------------------------------------------------------
    def save(self, path, level: int) -> None:
        """Write the package as a zip, every part deflated at zlib ``level``, with fixed dates (the same
        workbook gives the same bytes)."""
        for name, doc in self.docs.items():
            self.parts[name] = DECLARATION + _root(doc).toxml().encode("utf-8")
        self.docs = {}
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as z:
            for name, data in self.parts.items():
                info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o600 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, data, compresslevel=level)


def _root(doc: minidom.Document) -> minidom.Element:
    root = doc.documentElement
    if root is None:  # a parsed part always has one
        raise ValueError("an XML part without a root element")
    return root


def _rels_name(source: str) -> str:
    """The relationships part of ``source`` ("" is the package itself)."""
    folder, name = posixpath.split(source)
    return posixpath.join(folder, "_rels", f"{name}.rels")


def _resolve(source: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source), target))


def _prefixed(root, namespace: str, fallback: str) -> str:
    """The prefix ``root`` declares for ``namespace`` (declared as ``fallback`` if it has none)."""
    for i in range(root.attributes.length):
        attribute = root.attributes.item(i)
        if attribute.name.startswith("xmlns:") and attribute.value == namespace:
            return attribute.name.split(":", 1)[1]
    root.setAttribute(f"xmlns:{fallback}", namespace)
    return fallback


def _element(doc, namespace: str, tag: str, **attributes) -> minidom.Element:
    element = doc.createElementNS(namespace, tag)
    for key, value in attributes.items():
        element.setAttribute(key, value)
    return element


def _append(parent, namespace: str, tag: str, **attributes) -> minidom.Element:
    return parent.appendChild(_element(parent.ownerDocument, namespace, tag, **attributes))
