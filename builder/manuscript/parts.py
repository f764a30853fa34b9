"""Notes and parts: where the template puts something of its own into a chapter.

In: a chapter's parsed tree. Out: its footnotes as Note data (each call a part
marker), its placeholders checked and marked, and the chapter split at the
markers into BodyParts the template renders in order (markup, table, markup,
note call…). The split is made on the chapter as lxml serialised it: a marker
is an empty element lxml always writes the same way, so a regex over lxml's own
output finds it (the author's text cannot hold it: Python-Markdown escapes
angle brackets in text, and raw HTML is parsed by lxml first).
"""

from __future__ import annotations

import html
import re
from copy import deepcopy
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from builder import checks
from builder.errors import Problems
from builder.model import BodyPart, Note

KNOWN_PLACEHOLDERS = {"author-table"}


# Where the template must put something of its own into a chapter (a placeholder's
# table, a note call), the chapter markup carries this element, and the markup
# is split there into parts the template renders in order.
PART = "builder-part"
PART_PATTERN = re.compile(r'<builder-part kind="([a-z-]+)" ref="([^"]*)" anchor="([^"]*)"/>')


def _mark_part(element: etree._Element, kind: str, ref: str = "", anchor: str = "") -> None:
    """Replace *element* by a part marker, keeping the text that follows it."""
    marker = etree.Element(PART, kind=kind, ref=ref, anchor=anchor)
    marker.tail = element.tail
    parent = element.getparent()
    assert parent is not None
    parent.replace(element, marker)


@dataclass(frozen=True)
class NoteDraft:
    """A footnote taken out of the flow, still a tree: its links are resolved
    book-wide before it is frozen into a Note."""

    id: str
    number: int
    backlink: str  # the id of its first call; "" when never called
    item: etree._Element  # Python-Markdown's <li>, backlinks removed

    def freeze(self) -> Note:
        paragraphs = [child for child in self.item if child.tag == "p"]
        return Note(
            id=self.id,
            number=self.number,
            backlink=self.backlink,
            block_xhtml="".join(etree.tostring(c, encoding="unicode").strip() for c in self.item),
            inline_xhtml="<br/>".join(inner_xml(p).strip() for p in paragraphs) or inner_xml(self.item),
        )


def extract_notes(root: etree._Element, local_ids: dict[str, str]) -> tuple[NoteDraft, ...]:
    """Take Python-Markdown's footnotes out of the flow: the notes become data,
    each call a part marker, so the template places them per edition (pop-up
    notes in the EPUB, foot-of-page notes in print)."""
    container = root.find("div[@class='footnote']")
    if container is None:
        return ()
    calls: dict[str, str] = {}
    for sup in list(root.iter("sup")):
        link = sup.find("a[@class='footnote-ref']")
        if link is not None:
            fragment = (link.get("href") or "#")[1:]
            note_id = local_ids.get(fragment, fragment)
            calls.setdefault(note_id, sup.get("id") or "")
            _mark_part(sup, "noteref", note_id, sup.get("id") or "")
    notes = []
    for number, item in enumerate(container.findall("ol/li"), start=1):
        for backlink in item.findall(".//a[@class='footnote-backref']"):
            checks.remove_element(backlink)
        note_id = item.get("id") or ""
        notes.append(NoteDraft(note_id, number, calls.get(note_id, ""), item))
    checks.remove_element(container)
    return tuple(notes)


def body_parts(root: etree._Element, path: Path, text: str, problems: Problems) -> list[BodyPart]:
    """Split the chapter at its part markers: markup, table, markup, note call…"""
    for element in list(root.iter("div")):
        name = element.get("data-placeholder")
        if name is None:
            continue
        if name not in KNOWN_PLACEHOLDERS:
            problems.error(
                f"unknown placeholder [[{name}]]; known: "
                + ", ".join(f"[[{known}]]" for known in sorted(KNOWN_PLACEHOLDERS)),
                checks.locate(path, text, f"[[{name}]]"),
            )
            checks.remove_element(element)
            continue
        _mark_part(element, name)
    pieces = PART_PATTERN.split(inner_xml(root).strip())
    parts = [BodyPart("markup", pieces[0])]
    for index in range(1, len(pieces), 4):
        kind, ref, anchor, markup = pieces[index : index + 4]
        parts += [BodyPart(kind, "", ref, anchor), BodyPart("markup", markup)]
    return [part for part in parts if part.kind != "markup" or part.xhtml.strip()]


def inner_xml(element: etree._Element) -> str:
    """The element's content as XML: its text, then its children with their tails."""
    return html.escape(element.text or "", quote=False) + "".join(
        etree.tostring(child, method="xml", encoding="unicode") for child in element
    )


def without_links(heading: etree._Element) -> etree._Element:
    """A copy of the heading fit to stand inside a link: no links, no ids."""
    copy = deepcopy(heading)
    etree.strip_tags(copy, "a")
    for element in copy.iter():
        if "id" in element.attrib:
            del element.attrib["id"]
    return copy
