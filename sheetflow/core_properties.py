"""The document properties of every workbook sheetflow writes (docProps/core.xml), its language included.

Screen readers choose their voice from the document's language (``dc:language``) and read its
title (``dc:title``) first; Excel's Accessibility Checker asks for both. xlsxwriter has no
property for the language, so sheetflow writes this small part whole and puts it in the
package in place of the one xlsxwriter wrote (the rest of the package is left as it is).
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from .cell_text import xml_escaped
from .files import Deflated, zip_bytes

PART = "docProps/core.xml"
LANGUAGE = "en-US"  # what the instruments and the roll-up are written in
_NAMESPACES = {
    "cp": "http://schemas.openxmlformats.org/package/2006/metadata/core-properties",
    "dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/",
    "dcmitype": "http://purl.org/dc/dcmitype/", "xsi": "http://www.w3.org/2001/XMLSchema-instance",
}


@dataclass(frozen=True)
class CoreProperties:
    """What File > Info > Properties shows: title, subject, author, comments, language and dates."""
    title: str
    subject: str
    created: dt.datetime  # also the last-modified date: the same inputs give the same bytes
    description: str = ""
    creator: str = "sheetflow"
    language: str = LANGUAGE

    def xml(self) -> bytes:
        when = self.created.astimezone(dt.timezone.utc) if self.created.tzinfo else self.created
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        namespaces = " ".join(f'xmlns:{prefix}="{uri}"' for prefix, uri in _NAMESPACES.items())
        texts = [("dc:title", self.title), ("dc:subject", self.subject), ("dc:creator", self.creator),
                 ("dc:description", self.description), ("dc:language", self.language),
                 ("cp:lastModifiedBy", self.creator)]
        elements = "".join(f"<{tag}>{xml_escaped(value)}</{tag}>" for tag, value in texts if value)
        dates = "".join(f'<dcterms:{tag} xsi:type="dcterms:W3CDTF">{stamp}</dcterms:{tag}>'
                        for tag in ("created", "modified"))
        return ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                f"<cp:coreProperties {namespaces}>{elements}{dates}</cp:coreProperties>").encode("utf-8")


def with_properties(package: bytes, properties: CoreProperties) -> bytes:
    """The zip ``package`` with its document properties part replaced, every other part as it was
    (laid out as zipfile lays out a package it writes)."""
    with zipfile.ZipFile(io.BytesIO(package)) as z:
        entries = [(info, Deflated.of(properties.xml() if info.filename == PART else z.read(info)))
                   for info in z.infolist()]
    return zip_bytes(entries)
