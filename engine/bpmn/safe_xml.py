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
_HTML_PAGE = re.compile(
    rb"(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html[\s>])", re.I | re.S
)
_ZIP_MAGIC = b"PK\x03\x04"  # a zipped export (Signavio, ADONIS) chosen instead of the file inside


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
        "The file is not well-formed XML (line %(line)s, column %(column)s). Save it again from the modeler."
    ),
    "xml-too-deep": N_(
        "The file is not well-formed XML: at line %(line)s its elements are nested more than 256 "
        "levels deep, which no diagram or decision table needs. Save it again from the modeler."
    ),
    "xml-undefined-prefix": N_(
        "The file is not well-formed XML: line %(line)s, column %(column)s uses the prefix '%(prefix)s' "
        "without declaring it on the root element (an xmlns attribute). Declare it, or save the file "
        "again from the modeler."
    ),
    "xml-unknown-entity": N_(
        "The file is not well-formed XML: line %(line)s, column %(column)s writes &%(entity)s;, an "
        "HTML entity that XML does not know. Write the character itself instead."
    ),
    "xml-unescaped": N_(
        "The file is not well-formed XML: line %(line)s, column %(column)s holds a bare & or < in a "
        "text or value. Write &amp; or &lt; instead."
    ),
    "xml-tag-mismatch": N_(
        "The file is not well-formed XML: line %(line)s, column %(column)s closes the element %(tag)s "
        "with another name than it was opened with. Correct the closing tag, or save the file again "
        "from the modeler."
    ),
    "xml-truncated": N_(
        "The file is not well-formed XML: it ends at line %(line)s before its elements are closed, "
        "as if it were cut off. Take the complete file."
    ),
    "xml-extra-content": N_(
        "The file is not well-formed XML: something follows the end of the document at line "
        "%(line)s, column %(column)s. Keep one document and remove what follows it."
    ),
    "xml-no-element": N_(
        "The file does not begin with an XML element, so it is no diagram or decision table. Choose "
        "the file the modeler saved."
    ),
    "xml-duplicate-attribute": N_(
        "The file is not well-formed XML: the element at line %(line)s, column %(column)s has the "
        "attribute %(attribute)s twice. Keep one of them."
    ),
    "xml-control-character": N_(
        "The file is not well-formed XML: line %(line)s, column %(column)s holds a control "
        "character, which XML does not allow (pasted from another program?). Remove it."
    ),
    "html-page": N_(
        "The file is a web page (HTML), not a diagram or decision table: saved from the browser instead "
        "of exported. Export the diagram as BPMN 2.0 XML (or the table as DMN) and choose that file."
    ),
    "zip-archive": N_(
        "The file is a ZIP archive, not a diagram or decision table. Unpack it and choose the .bpmn or "
        ".dmn file inside."
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


# libxml2's error numbers (lxml.etree.ErrorTypes) said by a code of ours, and what of its English
# message the code's template names; any other error is "not-well-formed", with its line and column.
_SYNTAX_CODES: dict[int, tuple[str, str | None, str | None]] = {
    4: ("xml-no-element", None, None),  # ERR_DOCUMENT_EMPTY: text, or nothing but spaces
    5: ("xml-extra-content", None, None),  # ERR_DOCUMENT_END
    9: ("xml-control-character", None, None),  # ERR_INVALID_CHAR
    23: ("xml-unescaped", None, None),  # ERR_ENTITYREF_SEMICOL_MISSING: R&D
    26: ("xml-unknown-entity", "entity", r"Entity '([^']+)'"),  # ERR_UNDECLARED_ENTITY
    38: ("xml-unescaped", None, None),  # ERR_LT_IN_ATTRIBUTE
    42: ("xml-duplicate-attribute", "attribute", r"Attribute (\S+) redefined"),  # ERR_ATTRIBUTE_REDEFINED
    68: ("xml-unescaped", None, None),  # ERR_NAME_REQUIRED: a bare &
    73: ("xml-truncated", None, None),  # ERR_GT_REQUIRED
    74: ("xml-truncated", None, None),  # ERR_LTSLASH_REQUIRED
    76: ("xml-tag-mismatch", "tag", r"mismatch: (\S+) line"),  # ERR_TAG_NAME_MISMATCH
    77: ("xml-truncated", None, None),  # ERR_TAG_NOT_FINISHED
    114: ("xml-too-deep", None, r"(Excessive depth)"),  # ERR_RESOURCE_LIMIT
    201: ("xml-undefined-prefix", "prefix", r"Namespace prefix (\S+)"),  # NS_ERR_UNDEFINED_NAMESPACE
}


def syntax_problem(error: int, message: str) -> tuple[str, dict[str, str]]:
    """The code of a parser's error and its parameters, so that no English text of the parser reaches
    a message (a code whose parameter cannot be read is the plain "not-well-formed")."""
    code, name, pattern = _SYNTAX_CODES.get(error, ("not-well-formed", None, None))
    if pattern is None:
        return code, {}
    found = re.search(pattern, message)
    if found is None:
        return "not-well-formed", {}
    return code, {name: found.group(1)} if name else {}


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
    if _HTML_PAGE.match(xml):
        raise UnsafeXml("html-page", "the file is a web page (HTML)")
    if _DTD_MARKUP.search(xml):
        raise UnsafeXml("xml-doctype", "the file declares a DOCTYPE or entities, which a diagram never needs")
    if xml.startswith(_ZIP_MAGIC):
        raise UnsafeXml("zip-archive", "the file is a ZIP archive")
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
        line, column = err.position
        code, params = syntax_problem(err.code, err.msg)
        raise UnsafeXml(code, f"not well-formed XML: {err.msg}", line=line, column=column, **params) from err
    if root.getroottree().docinfo.doctype:
        raise UnsafeXml("xml-doctype", "the file declares a DOCTYPE or entities, which a diagram never needs")
    return read_activiti_as_camunda(root) if ACTIVITI_NS.encode() in xml else root
