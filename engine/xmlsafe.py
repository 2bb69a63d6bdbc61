"""Parse untrusted XML with entity expansion and network access off."""

from __future__ import annotations

import re

from lxml import etree


class UnsafeXmlError(ValueError):
    """The document is not well-formed or declares a DTD (XXE / entity-expansion risk)."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(message)
        self.line = line


_DOCTYPE = re.compile(rb"<!DOCTYPE", re.IGNORECASE)


def parse_xml(content: bytes) -> etree._ElementTree:
    """Parse bytes into a tree, refusing any DOCTYPE: BPMN never needs one, attacks always do."""
    found = _DOCTYPE.search(content)
    if found is not None:
        # Said before parsing: libxml2's own errors about entities would hide the real reason.
        line = content.count(b"\n", 0, found.start()) + 1
        raise UnsafeXmlError("El archivo declara un DOCTYPE/DTD; no se permiten entidades en BPMN", line)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )
    try:
        tree = etree.ElementTree(etree.fromstring(content, parser))
    except etree.XMLSyntaxError as exc:
        raise UnsafeXmlError(f"XML mal formado: {exc.msg}", exc.position[0] if exc.position else None) from exc
    docinfo = tree.docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise UnsafeXmlError("El archivo declara un DOCTYPE/DTD; no se permiten entidades en BPMN", 1)
    return tree
