"""Tree edits on a converted chapter: its title taken out, headings lifted, figures made.

In: a chapter's parsed tree (lxml, after Python-Markdown). Out: the same tree
edited in place: the title heading taken out (and returned), empty headings
dropped, the other headings set under it from h2 without skipping a level,
images alone in a paragraph made figures, a `Table: caption` paragraph beside a
table made its caption, a fence with an id wrapped as a listing (a figure with
its title as the caption); then, book-wide, the figures, tables and listings
with an id numbered per chapter ("Figure 2.1"); rules marked as section breaks,
Pygments' empty spans dropped, and a part marker after each web link where print
may show its URL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lxml import etree

from builder import checks
from builder.errors import Location, Problems
from builder.manuscript.parts import PART
from builder.model import Structure

# lxml's HTML parser as lxml.html uses it, but making plain elements: lxml.html picks each
# element's class in Python, a call per element (in a chapter of highlighted code, thousands).
_HTML_PARSER = etree.HTMLParser()


def html_fragment(markup: str, parent: str = "div") -> etree._Element:
    """*markup* (a chapter's HTML, citeproc's) parsed as lxml.html.fragment_fromstring(markup,
    create_parent=parent) parses it: its elements and leading text in a new *parent*."""
    document = etree.fromstring(f"<html><body>{markup}</body></html>", _HTML_PARSER)
    body = document.find("body")
    holder = etree.Element(parent)
    if body is not None:
        if body.text and body.text.strip():
            holder.text = body.text
        holder.extend(body)
    return holder


URL_SAFE = ":/?#@!$&'()*+,;=%~-._"  # RFC 3986's marks, but [ ] (only for IPv6 hosts; EPUBCheck refuses them)


def chapter_heading(path: Path, text: str, root: etree._Element, structure: Structure,
                    problems: Problems) -> etree._Element | None:
    """Take the chapter's title heading out of the body; set the body's headings
    under it (h2 and below, none skipping a level) and drop the empty ones (a file
    may hold a book-title line first, or several top-level headings)."""
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
    elif not _name_empty_heading(path, text, heading, problems):
        problems.error(f"the chapter's title is empty; write it after the `{'#' * level}`",
                       _empty_heading_location(path, text, heading, 0))
        return None
    drop_empty_headings(path, text, root, problems)
    for skip in lift_headings(root, level):
        title = " ".join(str(skip.heading.xpath("string()")).split())
        problems.warning(
            f"heading level skips from h{skip.under} to h{skip.written} ({title!r}); the book moves it up "
            f"to one level below the heading above it: write {'#' * (skip.under + 1)} for it",
            checks.locate(path, text, title[:40]))
    return heading


@dataclass(frozen=True)
class Skip:
    """A heading written more than one level below the heading it falls under."""

    heading: etree._Element
    written: int  # its level in the manuscript
    under: int  # the manuscript level of the heading it falls under (the title's, at the top)


def lift_headings(root: etree._Element, chapter_level: int) -> list[Skip]:
    """Set each body heading one level below the heading it falls under, the chapter
    title being h1 (checks.outline, the one rule), whatever level starts a chapter in
    the manuscript: sections are h2, extra top-level headings become sections too,
    and a skip (## then ####) is closed, the headings under it following.
    Out: the skips as written, for the author to hear of."""
    headings = list(root.iter(*checks.HEADINGS))
    written = [int(h.tag[1]) for h in headings]
    found = []
    for heading, level, (under, placed) in zip(headings, written, checks.outline(written, chapter_level),
                                               strict=True):
        heading.tag = f"h{placed - (chapter_level - 1)}"
        if level > under + 1:
            found.append(Skip(heading, level, under))
    return found


def drop_empty_headings(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    """A heading without text (`##` alone, or one holding only an anchor) names nothing in
    a reader's outline: it goes, with a warning, its anchors kept where it stood. One holding
    only an image with alt text takes that text instead."""
    searched = 0
    for heading in list(root.iter(*checks.HEADINGS)):
        if _name_empty_heading(path, text, heading, problems):
            continue
        where = _empty_heading_location(path, text, heading, searched)
        searched = _offset(text, where)
        problems.warning("an empty heading names nothing in a reader's outline; it is left out "
                         "(write its title, or remove the line)", where)
        for identifier in _ids(heading):
            anchor = etree.Element("span", id=identifier)
            heading.addprevious(anchor)
        checks.remove_element(heading)


def _name_empty_heading(path: Path, text: str, heading: etree._Element, problems: Problems) -> bool:
    """Whether *heading* has text, given, where it has none but holds an image with alt
    text, that text in place of the image (a heading is a line of text in an outline)."""
    if str(heading.xpath("string()")).strip():
        return True
    image = next((i for i in heading.iter("img") if (i.get("alt") or "").strip()), None)
    if image is None:
        return False
    alt = " ".join(str(image.get("alt")).split())
    problems.warning(f"a heading holding only an image takes its alt text {alt!r} as its title; "
                     "the image is left out (write the title after the #)",
                     checks.locate(path, text, str(image.get("src") or "<img")))
    image.tail = alt + (image.tail or "")
    checks.remove_element(image)
    return True


# Python-Markdown's toc extension names a heading without text `_1`, `_2`, …: no one links there.
_UNNAMED_ID = re.compile(r"_\d+")
_EMPTY_ATX = re.compile(r"^ {0,3}#{1,6}[ \t]*(\{[^}\n]*\}[ \t]*)?#*[ \t]*$", re.M)


def _ids(heading: etree._Element) -> list[str]:
    ids = [str(e.get("id")) for e in heading.iter() if isinstance(e.tag, str) and e.get("id")]
    return [i for i in ids if not (i == heading.get("id") and _UNNAMED_ID.fullmatch(i))]


def _empty_heading_location(path: Path, text: str, heading: etree._Element, after: int) -> Location:
    """Where an empty heading is written: at its anchor or image, else the next line that is
    nothing but #s after offset *after* (so that each empty heading finds its own line)."""
    needles = [n for i in _ids(heading) for n in (f'id="{i}"', f"{{#{i}")]
    needles += [str(image.get("src")) for image in heading.iter("img") if image.get("src")]
    for needle in needles:
        if needle in text:
            return checks.locate(path, text, needle)
    found = _EMPTY_ATX.search(text, after)
    if found is None:
        return checks.locate(path, text, f"<{heading.tag}")
    return Location(path, *checks.line_and_column(text, text.index("#", found.start())))


def _offset(text: str, where: Location) -> int:
    """The offset of the line after *where*."""
    if where.line is None:
        return 0
    lines = text.splitlines(keepends=True)
    return sum(len(line) for line in lines[:where.line])


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


def make_figures(root: etree._Element, sizes: Mapping[str, tuple[str, int, int]] | None = None) -> None:
    """A paragraph holding nothing but an image is a figure; its title, the caption; the
    image's id (`![alt](a.png){#fig-a}`), the figure's. An image too large for a line of text
    (block_large_images: *sizes*, each image's media type and pixels by its src) is taken out
    of its paragraph into a figure of its own.
    An image aligned left or right in a figure sets the figure to that side (print.css: a
    block, never floated). Also the tables' captions and the listings (captioned_tables,
    listings); the captions' quotes curled (smart_captions)."""
    block_large_images(root, sizes or {})
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
        if image.get("id") and not paragraph.get("id"):
            paragraph.set("id", str(image.attrib.pop("id")))
        caption = image.get("title")
        if caption:
            del image.attrib["title"]
            etree.SubElement(paragraph, "figcaption").text = caption
    captioned_tables(root)
    listings(root)
    smart_captions(root)


CSS_PX = 0.75  # pt
PRINT_DPI = 300  # print.css's image-resolution: a picture's pixels without a size
LARGE_WIDTH = 108.0  # pt (1.5 in, a third of a 6 x 9 in text block): wider, and the line is
LARGE_HEIGHT = 24.0  # pt (under two lines of text): taller, and the leading is broken


def print_size(image: etree._Element, sizes: Mapping[str, tuple[str, int, int]]) -> tuple[float, float]:
    """An image's size in print, in points: its width and height attributes (CSS px), the one
    missing from the other by the picture's proportions; else its pixels at 300 dpi (a
    drawing's at 96, CSS px)."""
    media_type, pixels_wide, pixels_high = sizes.get(str(image.get("src")), ("", 0, 0))
    scale = CSS_PX if media_type == "image/svg+xml" else 72 / PRINT_DPI
    width, height = (_css_px(image.get(name)) for name in ("width", "height"))
    if width is None and height is None:
        return pixels_wide * scale, pixels_high * scale
    aspect = pixels_high / pixels_wide if pixels_wide and pixels_high else 1.0
    if width is None:
        width = (height or 0) / aspect
    if height is None:
        height = width * aspect
    return width * CSS_PX, height * CSS_PX


def _css_px(value: str | None) -> float | None:
    found = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*", value or "")
    return float(found[1]) if found else None


def block_large_images(root: etree._Element, sizes: Mapping[str, tuple[str, int, int]]) -> None:
    """An image in a line of text that is wider than a third of the line or taller than two
    lines (a line set around it is spaced apart, its leading broken) stands in a paragraph
    of its own between the text before it and the text after it, which make_figures makes
    a figure; the text after it goes on unindented."""
    for image in list(root.iter("img")):
        paragraph = image.getparent()
        if paragraph is None or paragraph.tag != "p" or paragraph.getparent() is None:
            continue
        alone = len(paragraph) == 1 and not (paragraph.text or "").strip() and not (image.tail or "").strip()
        width, height = print_size(image, sizes)
        if alone or (width <= LARGE_WIDTH and height <= LARGE_HEIGHT):
            continue
        after = etree.Element("p", {str(k): str(v) for k, v in paragraph.attrib.items() if k != "id"})
        after.text = (image.tail or "").lstrip()
        after.extend(list(image.itersiblings()))
        image.tail = None
        own = etree.Element("p")
        own.append(image)
        paragraph.addnext(own)
        own.tail, paragraph.tail = paragraph.tail, None
        if (after.text or "").strip() or len(after):
            own.addnext(after)
            after.tail, own.tail = own.tail, None
        if len(paragraph):
            paragraph[-1].tail = (paragraph[-1].tail or "").rstrip() or None
        else:
            paragraph.text = (paragraph.text or "").rstrip() or None
        if not (paragraph.text or "").strip() and not len(paragraph):
            checks.remove_element(paragraph)


_CODE_TAGS = ("code", "kbd", "samp", "pre")
_OPENS = " \t\n\u00a0([{\u2014\u2013/-"  # a quote after one of these opens


def smart_captions(root: etree._Element) -> None:
    """Straight quotes in captions curled, as smarty curls the text's: a caption written as an
    image's title, in raw HTML, or made from a fence's title is never seen by it."""
    for caption in root.iter("figcaption", "caption"):
        before = " "
        for element, is_tail in _text_slots(caption):
            text = element.tail if is_tail else element.text
            if text:
                curled = curl_quotes(text, before)
                if is_tail:
                    element.tail = curled
                else:
                    element.text = curled
                before = text[-1]


def _text_slots(element: etree._Element) -> list[tuple[etree._Element, bool]]:
    """The text and tails under *element* in reading order, not those inside code."""
    slots: list[tuple[etree._Element, bool]] = [(element, False)]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in _CODE_TAGS:
            slots += _text_slots(child)
        slots.append((child, True))
    return slots


def curl_quotes(text: str, before: str = " ") -> str:
    """*text* with ' and " curled: an apostrophe inside a word (widget's), an opening quote
    after a space or an opening bracket, a closing one elsewhere; *before*, the character
    before *text*."""
    out = []
    for index, char in enumerate(text):
        previous = text[index - 1] if index else before
        if char == "'":
            out.append("\u2018" if previous in _OPENS else "\u2019")
        elif char == '"':
            out.append("\u201c" if previous in _OPENS else "\u201d")
        else:
            out.append(char)
    return "".join(out)


# Pandoc's table caption: a paragraph `Table: words {#tbl-id}` right before or after the table.
_TABLE_CAPTION = re.compile(r"^\s*Table:\s*")
_TRAILING_ID = re.compile(r"\s*\{#([A-Za-z][\w:.-]*)\}\s*$")
CAPTION_LABEL = "caption-label"
KINDS = {"figure": "Figure", "table": "Table", "listing": "Listing"}


def captioned_tables(root: etree._Element) -> None:
    """A paragraph that starts `Table:` right before (else after) a table is that table's
    caption; an id written at its end (`{#tbl-sizes}`), or given it by attr_list, the table's."""
    for table in list(root.iter("table")):
        if table.find("caption") is not None:
            continue
        for paragraph in (table.getprevious(), table.getnext()):
            if paragraph is None or paragraph.tag != "p" or not _TABLE_CAPTION.match(paragraph.text or ""):
                continue
            caption = etree.Element("caption")
            caption.text = _TABLE_CAPTION.sub("", paragraph.text or "", count=1)
            caption.extend(list(paragraph))
            last = caption[-1] if len(caption) else None
            words = (last.tail if last is not None else caption.text) or ""
            found = _TRAILING_ID.search(words)
            if found:
                words = words[:found.start()]
                if last is not None:
                    last.tail = words
                else:
                    caption.text = words
            identifier = paragraph.get("id") or (found[1] if found else None)
            if identifier and not table.get("id"):
                table.set("id", identifier)
            caption.tail = None
            paragraph.tail, tail = None, paragraph.tail
            checks.remove_element(paragraph)
            if tail and tail.strip():
                table.tail = (table.tail or "") + tail
            table.insert(0, caption)
            break


def listings(root: etree._Element) -> None:
    """A fence with an id (`{.python #lst-hello title="hello.py"}`) is a listing: a figure
    holding the code, its title (superfences' file name) the caption, above the code."""
    for block in list(root.iter("div")):
        if "codehilite" not in (block.get("class") or "").split() or not block.get("id"):
            continue
        figure = etree.Element("figure", {"class": "listing", "id": str(block.attrib.pop("id"))})
        caption = etree.SubElement(figure, "figcaption")
        title = block.find("span[@class='filename']")
        if title is not None:
            caption.text = title.text
            caption.extend(list(title))
            checks.remove_element(title)
        block.addprevious(figure)
        figure.tail, block.tail = block.tail, None
        figure.append(block)


def number_captions(root: etree._Element, chapter: int | str) -> dict[str, str]:
    """Number the figures, tables and listings that have an id, per chapter: "Figure 2.1"
    is chapter 2's first figure with an id ("Figure A.1": appendix A's). The number opens the
    caption (one is made where there is none). Returns each numbered element's id with its label."""
    counts = dict.fromkeys(KINDS, 0)
    labels: dict[str, str] = {}
    for element in root.iter("figure", "table"):
        identifier = element.get("id")
        if not identifier:
            continue
        kind = "listing" if "listing" in (element.get("class") or "").split() else str(element.tag)
        counts[kind] += 1
        label = labels[identifier] = f"{KINDS[kind]}\u00a0{chapter}.{counts[kind]}"  # never broken
        caption = element.find("caption" if kind == "table" else "figcaption")
        if caption is None:
            caption = etree.Element("caption" if kind == "table" else "figcaption")
            if kind == "figure":
                element.append(caption)
            else:
                element.insert(0, caption)
        number = etree.Element("span", {"class": CAPTION_LABEL})
        number.text = label
        has_words = bool((caption.text or "").strip()) or len(caption)
        number.tail = (": " if has_words else "") + (caption.text or "").lstrip()
        caption.text = None
        caption.insert(0, number)
    return labels


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


def empty_header_cells_as_data(root: etree._Element) -> None:
    """A header cell with nothing in it (a table's corner, GitBook's hidden header row) is a data
    cell: a header must name its column for a screen reader."""
    for cell in root.iter("th"):
        if not str(cell.xpath("string()")).strip() and not len(cell):
            cell.tag = "td"
