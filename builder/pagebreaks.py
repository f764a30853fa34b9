"""Page-break markers: a PageMap + the EPUB's parsed XHTML -> markers in place.

In: the page map (where each printed page starts, in shared terms) and the
parsed documents of the EPUB. Out: the same trees, with an empty
`<span epub:type="pagebreak" role="doc-pagebreak" id="page-N" aria-label="N"/>`
at the word where printed page N starts. The one place where the EPUB's markup
is edited after the template, because only the print layout knows page breaks.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lxml import etree

from builder.model import PageMap, PageStart

XHTML = "http://www.w3.org/1999/xhtml"
EPUB_NS = "http://www.idpf.org/2007/ops"
# A marker cannot be a child of these; it goes inside the block instead.
NO_PHRASING_PARENT = frozenset({"ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr"})


def page_break_id(label: str) -> str:
    return f"page-{label}"


def insert_page_breaks(trees: Iterable[etree._Element], page_map: PageMap) -> int:
    """Insert every marker whose section is in *trees*; returns how many were placed."""
    sections = {
        element.get("id"): element
        for tree in trees
        for element in tree.iter(f"{{{XHTML}}}section", f"{{{XHTML}}}nav")
        if element.get("id")
    }
    placed = 0
    for start in page_map.starts:
        section = sections.get(start.section)
        if section is None:
            continue  # a print-only page, such as the half-title
        blocks = list(section.iter(f"{{{XHTML}}}{start.tag}"))
        if start.ordinal < len(blocks):
            _place(blocks[start.ordinal], start)
            placed += 1
    return placed


def _marker(start: PageStart) -> etree._Element:
    return etree.Element(f"{{{XHTML}}}span", {
        f"{{{EPUB_NS}}}type": "pagebreak",
        "role": "doc-pagebreak",
        "id": page_break_id(start.label),
        "aria-label": start.label,
    })


def _place(block: etree._Element, start: PageStart) -> None:
    marker = _marker(start)
    parent = block.getparent()
    if start.word == 0 and parent is not None and etree.QName(parent).localname == "nav":
        parent.addprevious(marker)  # a nav must open with its heading
        return
    if start.word == 0 and parent is not None and etree.QName(parent).localname not in NO_PHRASING_PARENT:
        marker.tail = None
        block.addprevious(marker)  # before the block: not read as part of a heading's name
        return
    slot_owner, attribute, offset = _word_position(block, start.word)
    if attribute == "text":
        marker.tail = (slot_owner.text or "")[offset:] or None
        slot_owner.text = (slot_owner.text or "")[:offset] or None
        slot_owner.insert(0, marker)
    else:
        marker.tail = (slot_owner.tail or "")[offset:] or None
        slot_owner.tail = (slot_owner.tail or "")[:offset] or None
        slot_owner.addnext(marker)


def _word_position(block: etree._Element, word: int) -> tuple[etree._Element, str, int]:
    """The text slot (element.text or element.tail) and offset where word number
    *word* of the block's text begins; past the end, the end of the block."""
    seen = 0
    previous_char_was_space = True
    last: tuple[etree._Element, str, int] = (block, "text", len(block.text or ""))
    for owner, attribute, text in _slots(block):
        for match in re.finditer(r"\S+", text):
            joined = match.start() == 0 and not previous_char_was_space
            if not joined:
                if seen == word:
                    return owner, attribute, match.start()
                seen += 1
        if text:
            previous_char_was_space = text[-1].isspace()
            last = (owner, attribute, len(text))
    return last


def _slots(element: etree._Element) -> Iterable[tuple[etree._Element, str, str]]:
    """The element's text pieces in reading order: (owner, "text" | "tail", text)."""
    yield element, "text", element.text or ""
    for child in element:
        yield from _slots(child)
        yield child, "tail", child.tail or ""
