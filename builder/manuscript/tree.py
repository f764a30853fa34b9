"""Tree edits on a converted chapter: its title taken out, headings lifted, figures made.

In: a chapter's parsed tree (lxml, after Python-Markdown). Out: the same tree
edited in place: the title heading taken out (and returned), the other
headings lifted to start at h2, images alone in a paragraph made figures,
rules marked as section breaks, Pygments' empty spans dropped, and a part
marker after each web link where print may show its URL.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from builder import checks
from builder.errors import Location, Problems
from builder.manuscript.parts import PART
from builder.model import Structure

URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # RFC 3986's reserved and unreserved marks


def chapter_heading(path: Path, text: str, root: etree._Element, structure: Structure,
                     problems: Problems) -> etree._Element | None:
    """Take the chapter's title heading out of the body; lift the rest so the
    body's headings start at h2 (a file may hold a book-title line first, or
    several top-level headings)."""
    level = structure.chapter_level
    heading = next((h for h in root if h.tag == f"h{level}"), None)
    if heading is None:
        problems.error(f"no chapter heading; start the chapter with a line like `{'#' * level} Chapter "
                       "title`", Location(path, 1, 1))
        return None
    for above in [h for h in root if h.tag in [f"h{n}" for n in range(1, level)]]:
        problems.warning(f"the heading {' '.join(str(above.xpath('string()')).split())!r} is above the "
                         f"chapter level (chapter_level = {level}); it is left out",
                         checks.locate(path, text, str(above.xpath("string()"))[:40]))
        checks.remove_element(above)
    for call in heading.findall(".//sup[a]"):
        problems.error("a footnote in a chapter title cannot be placed; move it into the text",
                       checks.locate(path, text, "[^"))
        checks.remove_element(call)
    root.remove(heading)
    override = dict(structure.chapter_titles).get(path.name)
    if override:
        heading = etree.Element("h1")
        heading.text = override
    lift_headings(root, level)
    return heading


def lift_headings(root: etree._Element, chapter_level: int) -> None:
    """Sections sit one level below the chapter title (h2 in the book), whatever
    level starts a chapter in the manuscript; extra top-level headings become
    sections too."""
    headings = list(root.iter("h1", "h2", "h3", "h4", "h5", "h6"))
    levels = [int(h.tag[1]) - (chapter_level - 1) for h in headings]
    if not levels:
        return
    extra = max(0, 2 - min(levels))
    for heading, level in zip(headings, levels, strict=True):
        heading.tag = f"h{min(6, level + extra)}"


TASK_MARKS = {True: "\u2611", False: "\u2610"}  # ☑ ☐


def mark_tasks(root: etree._Element) -> None:
    """A task list's checkboxes become the marks ☑ and ☐ with words for a screen
    reader: a book has no form to tick, and print shows the state either way."""
    for box in list(root.iter("input")):
        if (box.get("type") or "").lower() != "checkbox":
            continue
        done = box.get("checked") is not None
        mark = etree.Element("span", {"class": "task-mark", "role": "img",
                                      "aria-label": "done" if done else "not done"})
        mark.text = TASK_MARKS[done]
        mark.tail = box.tail
        parent = box.getparent()
        if parent is not None:
            parent.replace(box, mark)


def drop_comments(root: etree._Element) -> None:
    """HTML comments are the author's notes to self: not published (and an XML
    comment may not hold `--`, which HTML allows)."""
    for comment in list(root.iter(etree.Comment)):
        checks.remove_element(comment)


def drop_empty_spans(root: etree._Element) -> None:
    """Pygments opens each block with an empty <span></span>; it carries nothing and
    trips some reading systems' location code (epub.js)."""
    for span in list(root.iter("span")):
        if not span.attrib and not len(span) and not span.text:
            checks.remove_element(span)


def make_figures(root: etree._Element) -> None:
    """A paragraph holding nothing but an image is a figure; its title, the caption.
    An image aligned left or right in a figure floats the figure, caption and all."""
    for figure in root.iter("figure"):
        image = figure.find(".//img")
        classes = (image.get("class") or "").split() if image is not None else []
        for side in ("align-left", "align-right"):
            if image is not None and side in classes:
                image.set("class", " ".join(c for c in classes if c != side))
                if not image.get("class"):
                    del image.attrib["class"]
                figure.set("class", " ".join([*(figure.get("class") or "").split(), side]))
    for paragraph in list(root.iter("p")):
        children = list(paragraph)
        if (len(children) != 1 or children[0].tag != "img" or (paragraph.text or "").strip()
                or (children[0].tail or "").strip()):
            continue
        image = children[0]
        paragraph.tag = "figure"
        paragraph.text = image.tail = None
        caption = image.get("title")
        if caption:
            del image.attrib["title"]
            etree.SubElement(paragraph, "figcaption").text = caption


def mark_section_breaks(root: etree._Element) -> None:
    for rule in root.iter("hr"):
        rule.set("class", " ".join([*(rule.get("class") or "").split(), "section-break"]))


def mark_link_urls(root: etree._Element) -> None:
    """After each web link, a part where print may show its URL (as a footnote or
    after the text, book.toml's [print] link_urls); the EPUB keeps the link."""
    for link in list(root.iter("a")):
        href = link.get("href") or ""
        if re.match(r"^(https?|ftp|mailto):", href) and link.getparent() is not None:
            # A manuscript's URL may hold spaces, quotes or non-ASCII letters: percent-encode
            # what a URL cannot carry, so EPUB readers and checkers accept it.
            href = web_address(href)
            link.set("href", href)
            marker = etree.Element(PART, kind="link-url", ref=href, anchor="")
            link.addnext(marker)
            marker.tail, link.tail = link.tail, None


def valid_web_links(element: etree._Element) -> None:
    """Web links made valid URLs, where no part marker can go (a title, a note)."""
    for link in element.iter("a"):
        href = link.get("href") or ""
        if re.match(r"^(https?|ftp|mailto):", href):
            link.set("href", web_address(href))


def web_address(href: str) -> str:
    """A manuscript's URL may hold spaces, quotes, non-ASCII letters, a stray % or a second #:
    percent-encode what a URL cannot carry, so EPUB readers and checkers accept it."""
    href = re.sub(r"%(?![0-9A-Fa-f]{2})", "%25", quote(href.strip(), safe=URL_SAFE))
    address, mark, fragment = href.partition("#")
    return address + mark + fragment.replace("#", "%23")
