"""Reading BPMN that comes from outside (a browser, a file someone sent): refused before parsing when
it is too large or declares a DTD, and parsed without entities, network or DTD loading.

A diagram has no reason to carry a DOCTYPE; refusing it outright closes entity expansion ("billion
laughs") and external entities (reading local files) whatever the parser would do with them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, ClassVar

from lxml import etree

from engine.bpmn.legacy_namespace import ACTIVITI_NS, read_activiti_as_camunda
from engine.errors import HotlineError
from engine.messages import N_

MAX_BPMN_BYTES = 2 * 1024 * 1024
_DTD_MARKUP = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


# Why a file is not read as a diagram; validation (engine/processes/validation.py) reports these too.
XML_MESSAGES: dict[str, str] = {
    "file-too-large": N_(
        "The file has %(size)s bytes; a diagram may have at most %(limit)s. Remove what it does not "
        "need (embedded images, copied elements)."
    ),
    "xml-doctype": N_(
        "The file declares a DOCTYPE or entities, which a diagram never needs. Save the diagram again "
        "from the modeler."
    ),
    "not-utf8": N_("The file is not UTF-8 encoded (byte %(byte)s). Save it as UTF-8."),
    "not-well-formed": N_(
        "The file is not well-formed XML: %(detail)s (line %(line)s). Save the diagram again from "
        "the modeler."
    ),
    "not-bpmn": N_(
        "The root element is not bpmn:definitions, so this is not a BPMN diagram. Open a .bpmn file."
    ),
}


class UnsafeXml(HotlineError, ValueError):
    """XML refused before or while parsing; `code` says why, `params` the details."""

    TEMPLATES: ClassVar[Mapping[str, str]] = {
        **XML_MESSAGES,
        "empty": N_("The file is empty. Choose a .bpmn file."),
    }

    def __init__(self, code: str, message: str, **params: Any) -> None:
        line = params.get("line")
        super().__init__(message, code=code, params=params, line=line if isinstance(line, int) else None)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
    )


def parse_xml(xml: bytes, limit: int = MAX_BPMN_BYTES) -> Any:
    """The root element of a document, or UnsafeXml (too large, DTD, not UTF-8, not well-formed);
    Activiti's extensions read as Camunda's, as Camunda 7 reads them."""
    if len(xml) > limit:
        raise UnsafeXml(
            "file-too-large",
            f"the file has {len(xml)} bytes; the limit is {limit}",
            size=len(xml),
            limit=limit,
        )
    if _DTD_MARKUP.search(xml):
        raise UnsafeXml("xml-doctype", "the file declares a DOCTYPE or entities, which a diagram never needs")
    try:
        if b"\x00" in xml:  # UTF-16 or binary: the DTD check above could not have read it
            raise UnicodeDecodeError("utf-8", xml, xml.index(b"\x00"), xml.index(b"\x00") + 1, "NUL byte")
        xml.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UnsafeXml(
            "not-utf8", f"the file is not UTF-8 encoded (byte {err.start}); save it as UTF-8", byte=err.start
        ) from err
    try:
        root = etree.fromstring(xml, parser=_parser())
    except etree.XMLSyntaxError as err:
        raise UnsafeXml(
            "not-well-formed", f"not well-formed XML: {err.msg}", detail=err.msg, line=err.lineno
        ) from err
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml("xml-doctype", "the file declares a DOCTYPE or entities, which a diagram never needs")
    return read_activiti_as_camunda(root) if ACTIVITI_NS.encode() in xml else root
