"""Manuscript checks: a chapter's text and parsed tree -> problems, all at once.

In: the chapter's path, its text and the tree Python-Markdown and lxml made of
it. Out: Diagnostics added to a Problems collector, each naming the file, line
and column where the mistake is and what to do about it. Checks never stop at
the first problem, so `builder check` lists everything in one run; unsafe
markup is also removed from the tree, so no later stage ever sees it.

Also the one rule for heading levels (outline: each heading one below the heading
it falls under), which the manuscript's tree edits apply and the book's
accessibility count checks; and that count (accessibility: the built Book -> what
it meets of the rules DAISY Ace checks), from which the EPUB's claim is made.
"""

from __future__ import annotations

import html.entities
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any, cast

from lxml import etree

from builder import tablefit
from builder.codewrap import CodeMeasure
from builder.errors import Location, Problems
from builder.model import Accessibility, Book

# C0 controls (but tab, newline, carriage return), DEL and the non-characters: not allowed in XML.
CONTROL_CHARACTERS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
FORBIDDEN_ELEMENTS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet",
                                "base", "form"})
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "xlink:href")
UNDEFINED_FOOTNOTE = re.compile(r"\[\^([^\]\s]+)\]")
_XML_ENTITIES = {"amp", "lt", "gt", "quot", "apos"}


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def locate(path: Path, text: str, *needles: str) -> Location:
    """The first place where any of *needles* occurs (case-insensitive), or the file."""
    lowered = text.lower()
    found = [i for i in (lowered.find(n.lower()) for n in needles if n) if i >= 0]
    if not found:
        return Location(path)
    return Location(path, *line_and_column(text, min(found)))


def clean_characters(path: Path, text: str, problems: Problems) -> str:
    """Report characters XML cannot carry; return the text without them so the
    other checks can still run."""
    for match in CONTROL_CHARACTERS.finditer(text):
        problems.error(
            f"control character U+{ord(match.group()):04X} is not allowed in a book; delete it",
            Location(path, *line_and_column(text, match.start())),
        )
    for match in re.finditer("\x85", text):
        problems.warning("U+0085 (next line, a line break from old encodings) is read as a space",
                         Location(path, *line_and_column(text, match.start())))
    # Python-Markdown splits lines at it too, and loses what it set aside across the split.
    return CONTROL_CHARACTERS.sub("", text).replace("\x85", " ")


# Attributes that hold no address and run nothing: an element with only these (a code
# token's span, most of a chapter's elements) needs no closer look.
_INERT_ATTRIBUTES = frozenset({"class", "id", "title", "lang", "dir", "role", "alt", "colspan", "rowspan"})
_WITH_ID_PATH = etree.XPath("descendant-or-self::*[@id]")


def with_id(root: etree._Element) -> list[etree._Element]:
    """*root* and the elements under it that have an id, in document order."""
    return cast(list[etree._Element], _WITH_ID_PATH(root))


def remove_unsafe_markup(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    """Scripts, frames, event handlers and javascript: URLs have no place in a book."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str):
            continue
        tag = element.tag.lower()
        if tag not in FORBIDDEN_ELEMENTS and _INERT_ATTRIBUTES.issuperset(element.keys()):
            continue
        if tag in FORBIDDEN_ELEMENTS:
            problems.error(f"<{tag}> is not allowed in a book (EPUB readers and printers refuse "
                           "active content); remove it", locate(path, text, f"<{tag}"))
            remove_element(element)
            continue
        if tag == "a" and "attachment" in (element.get("rel") or "").lower().split():
            problems.error("a link with rel=\"attachment\" asks to embed a file; a book carries "
                           "none: link to a web page instead", locate(path, text, "attachment"))
            del element.attrib["rel"]
        for name, value in [(str(k), str(v)) for k, v in element.attrib.items()]:
            if name.lower().startswith("on"):
                problems.error(f"event handler {name}=\"…\" on <{tag}> is not allowed in a book; "
                               "remove the attribute", locate(path, text, f"{name}="))
                del element.attrib[name]
            elif name.lower() in URL_ATTRIBUTES and re.match(r"\s*(javascript|vbscript):", value, re.I):
                problems.error(f"{name}=\"{value[:40]}\" is a script URL; link to a chapter or "
                               "a web page instead", locate(path, text, value[:40]))
                del element.attrib[name]
            elif name.lower() in URL_ATTRIBUTES and re.match(r"\s*data:", value, re.I) \
                    and not re.match(r"\s*data:image/(png|jpeg|gif|webp)[;,]", value, re.I):
                problems.error(f"{name}=\"{value[:40]}\" is a data: URL of a kind a book cannot carry "
                               "(only PNG, JPEG, GIF and WebP images); link to a chapter or a web page",
                               locate(path, text, value[:40]))
                del element.attrib[name]


def remove_element(element: etree._Element) -> None:
    """Remove *element*, keeping the text that follows it in place."""
    parent = element.getparent()
    if parent is None:
        return
    previous = element.getprevious()
    if element.tail:
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)


def report_repaired_html(path: Path, text: str, raw_blocks: Iterable[str], problems: Problems) -> None:
    """Raw HTML blocks that are not well-formed XHTML are repaired by the HTML
    parser; say so, with the line, because the repair may not be what was meant.
    A block whose first element is never closed has taken in the rest of the chapter
    (Python-Markdown ends a raw block only where its element closes), its Markdown
    unconverted: that repair would move content, so it is an error saying what it takes."""
    for block in raw_blocks:
        stripped = block.strip()
        if "\n" not in stripped and not re.match(r"^<(\w+)[^>]*>.*</\1>$", stripped, re.S):
            continue  # an inline fragment, such as an opening <span>: checked as part of its paragraph
        where = _block_location(path, text, stripped)
        swallowed = _swallowed(stripped)
        if swallowed:
            problems.error(swallowed, where)
            continue
        if _well_formed(stripped):
            continue  # already XML (as highlighted code is): nothing for _as_xml to forgive
        try:
            etree.fromstring(f"<div>{_as_xml(stripped)}</div>".encode())
        except etree.XMLSyntaxError as exc:
            problems.warning(
                f"raw HTML is not well-formed XHTML ({exc.msg.split(',')[0]}); it was repaired; "
                "check the result or close every tag", where)


def _well_formed(markup: str) -> bool:
    try:
        etree.fromstring(f"<div>{markup}</div>".encode())
    except etree.XMLSyntaxError:
        return False
    return True


_OPENING = re.compile(r"^<([a-zA-Z][\w-]*)\b[^>]*?(/?)>")
_NOTE_DEFINITION = re.compile(r"^ {0,3}\[\^[^\]\n]+\]:", re.M)


def _swallowed(block: str) -> str:
    """What the raw HTML *block* took in past its first paragraph because the element it
    opens is never closed, said as the error; "" when it closes (or took nothing in)."""
    opening = _OPENING.match(block)
    if opening is None or opening[2] or opening[1].lower() in _VOID_NAMES:
        return ""
    name = opening[1]
    opened = len(re.findall(rf"<{name}(?=[\s/>])", block, re.I))
    closed = len(re.findall(rf"</{name}\s*>", block, re.I))
    rest = [chunk for chunk in re.split(r"\n[ \t]*\n", block)[1:] if chunk.strip()]
    if opened <= closed or not rest:
        return ""
    notes = any(_NOTE_DEFINITION.search(chunk) for chunk in rest)
    paragraphs = sum(1 for chunk in rest if not _NOTE_DEFINITION.match(chunk))
    taken = [f"{paragraphs} paragraph{'s' * (paragraphs != 1)}"] * bool(paragraphs) \
        + ["the footnotes"] * notes
    return (f"the <{name}> opened here is never closed: the rest of the chapter ({', '.join(taken)}) "
            f"would go inside it as raw HTML, its Markdown not converted; close it with </{name}>")


def _block_location(path: Path, text: str, block: str) -> Location:
    """Where the raw HTML *block* starts: found whole where it can be, else by its first line."""
    found = text.find(block[:200])
    if found >= 0:
        return Location(path, *line_and_column(text, found))
    return locate(path, text, block.splitlines()[0][:60])


_VOID = re.compile(r"<(area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr)\b([^>]*?)\s*/?>", re.I)
_UNQUOTED = re.compile(r"(\s[\w:-]+)=([^\s\"'=<>`]+)")


_START_TAG = re.compile(r"<[a-zA-Z][\w:-]*(\s[^<>]*)>")
_ATTRIBUTE = re.compile(r"""(\s+)([^\s"'=<>/`]+)(\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")


def _as_xml(markup: str) -> str:
    """HTML's own liberties (void elements, unquoted attributes, attributes without a value,
    named entities) made XML, so that only real breakage (an unclosed or crossed tag) is reported."""
    markup = _UNQUOTED.sub(r'\1="\2"', markup)
    markup = _START_TAG.sub(_valued, markup)
    markup = _VOID.sub(lambda m: f"<{m.group(1)}{m.group(2)}/>", markup)
    return _numeric_entities(markup)


def _valued(tag: re.Match[str]) -> str:
    """A start tag whose attributes without a value (`<table data-header-hidden>`) have an empty one."""
    start, end = tag.span(1)
    attributes = _ATTRIBUTE.sub(lambda a: a[0] if a[3] else f'{a[1]}{a[2]}=""', tag[1])
    return tag[0][:start - tag.start()] + attributes + tag[0][end - tag.start():]


def _numeric_entities(markup: str) -> str:
    def numeric(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _XML_ENTITIES or name not in html.entities.name2codepoint:
            return match.group()
        return f"&#{html.entities.name2codepoint[name]};"

    return re.sub(r"&([A-Za-z][A-Za-z0-9]*);", numeric, markup)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")


def outline(levels: Sequence[int], top: int) -> list[tuple[int, int]]:
    """The one rule for heading levels. In: the levels of a chapter's headings in
    reading order, below its title at level *top*. Out: for each, the level of the
    heading it falls under as written (the nearest earlier one of a higher rank, else
    the title) and the level it has in an outline without skips: one below that
    heading's. h2, h4, h5, h3 -> h2, h3, h4, h3: relative nesting is kept."""
    placed: list[tuple[int, int]] = []  # the open headings: (written level, outline level)
    out = []
    for level in levels:
        while placed and placed[-1][0] >= level:
            placed.pop()
        under, parent = placed[-1] if placed else (top, top)
        placed.append((level, min(6, parent + 1)))
        out.append((under, placed[-1][1]))
    return out


def skips(levels: Sequence[int], top: int) -> int:
    """How many of *levels* skip a level below the heading they fall under (or are
    no lower than the title)."""
    return sum(1 for level, (under, _) in zip(levels, outline(levels, top), strict=True)
               if level > under + 1 or level <= top)


def check_duplicate_ids(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    seen: set[str] = set()
    for element in with_id(root):
        identifier = element.get("id")
        if not identifier:
            continue
        if identifier in seen:
            problems.error(f"the id {identifier!r} is used twice in this chapter; ids must be unique",
                           locate(path, text, "{#" + identifier, f'id="{identifier}"', identifier))
        seen.add(identifier)


def check_footnotes(path: Path, text: str, root: etree._Element, problems: Problems) -> None:
    """A `[^label]` left as text was never defined (Python-Markdown leaves it as is);
    in code, `[^…]` is code (a regex), not a note."""
    for piece in cast(list[Any], _NOTE_CALL_TEXT(root)):  # lxml's "smart" strings
        # A text's holder is the element it is the text of; a tail's, the parent of that element.
        holder = piece.getparent() if piece.is_text else piece.getparent().getparent()
        if holder is None or not _in_code(holder):
            for match in UNDEFINED_FOOTNOTE.finditer(piece):
                problems.error(f"footnote [^{match.group(1)}] is referenced but never defined; add "
                               f"a line `[^{match.group(1)}]: the note's text`",
                               locate(path, text, match.group()))


def check_table_widths(path: Path, text: str, root: etree._Element, measure: CodeMeasure,
                       problems: Problems) -> None:
    """A table whose columns' longest words do not fit side by side in the print text block,
    even at the smallest size builder.tablefit sets a wide table in: its words will break."""
    for table in root.iter("table"):
        columns = tablefit.columns_of(table)
        if columns is None or not tablefit.overfull(columns, measure.width / measure.text_size):
            continue
        words = ("".join(map(str, cell.itertext())).strip() for cell in table.iter("th", "td"))
        header = next((found for found in words if found), "|")
        problems.warning(f"this table's {len(columns)} columns are too many for the printed page: even at "
                         f"{round(tablefit.SIZES[-1] * 100)} % of the text size their longest words do not "
                         "fit side by side, so print breaks some between letters; give it fewer columns, "
                         "or split it in two", locate(path, text, str(header)))


_NOTE_CALL_TEXT = etree.XPath("descendant-or-self::*/text()[contains(., '[^')]")


def _in_code(element: etree._Element) -> bool:
    return any(ancestor.tag in ("code", "pre", "kbd", "samp") for ancestor in element.iterancestors()) \
        or element.tag in ("code", "pre", "kbd", "samp")


# What one chapter may hold: far beyond any real book, short of what would
# exhaust the converter, the layout or the memory.
MAX_NESTING = 100  # lists, quotes and blocks within one another
MAX_BLOCK_CHARS = 100_000  # one paragraph: some 30 printed pages
MAX_FOOTNOTES = 5_000
MAX_HEADINGS = 5_000
MAX_IMAGES = 2_000
_TAG = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*?(/?)>")
_VOID_NAMES = frozenset({"br", "hr", "img", "wbr", "col", "area", "base", "embed", "input", "link",
                         "meta", "source", "track", "param"})


def check_bounds(path: Path, text: str, problems: Problems) -> bool:
    """Counts and sizes in the chapter's text that no book reaches; False if any is exceeded."""
    counts = {
        "footnotes": (len(re.findall(r"^ {0,3}\[\^[^\]\n]+\]:", text, re.M)), MAX_FOOTNOTES),
        "headings": (len(re.findall(r"^ {0,3}#{1,6}[ \t]", text, re.M)), MAX_HEADINGS),
        "images": (text.count("!["), MAX_IMAGES),
    }
    within = True
    for what, (count, limit) in counts.items():
        if count > limit:
            problems.error(f"the chapter has {count:,} {what}; the limit is {limit:,} per chapter: "
                           "split it into several chapters", Location(path, 1, 1))
            within = False
    depth = max(_source_nesting(text), nesting_depth(text))
    if depth > MAX_NESTING:
        problems.error(f"lists, quotes or blocks nest {depth} deep here; a book allows {MAX_NESTING}: "
                       "flatten them", Location(path, 1, 1))
        within = False
    offset = 0
    for block in re.split(r"(\n[ \t]*\n)", text):
        if len(block) > MAX_BLOCK_CHARS and not block.lstrip().startswith(("```", "~~~", "    ")):
            problems.error(f"a paragraph of {len(block):,} characters is too long for a page layout "
                           f"(the limit is {MAX_BLOCK_CHARS:,}); break it into paragraphs",
                           Location(path, text.count("\n", 0, offset) + 1, 1))
            within = False
        offset += len(block)
    return within


def _source_nesting(text: str) -> int:
    """The deepest Markdown nesting: quote markers, or list indentation (2 spaces a level)."""
    quotes = max((len(m) - m.count(" ") for m in re.findall(r"^[ >]*>", text, re.M)), default=0)
    indents = max((len(m) // 2 for m in re.findall(r"^([ \t]*)(?:[-*+]|\d+[.)])[ \t]", text, re.M)),
                  default=0)
    return max(quotes, indents)


def nesting_depth(html: str) -> int:
    """How deep the elements of *html* nest (a scan, no parse: it cannot recurse)."""
    depth = deepest = 0
    for closing, tag, self_closing in _TAG.findall(html):
        if tag.lower() in _VOID_NAMES or self_closing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        deepest = max(deepest, depth)
    return deepest


def accessibility(book: Book) -> Accessibility:
    """In: the built book. Out: what its chapters' markup (titles, bodies, notes) meets of
    the rules Ace checks. The template's own pages and the author table are the
    builder's and meet them by construction (the cover has alt text, the table its th)."""
    images = without_alt = tables = headerless = skipped = empty = 0
    for chapter in book.chapters:
        body = "".join(part.xhtml for part in chapter.body if part.kind == "markup")
        notes = "".join(note.block_xhtml for note in chapter.notes)
        root = etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml" xmlns:epub='
                                f'"http://www.idpf.org/2007/ops"><h1>{chapter.title_html}</h1>{body}{notes}</div>')
        for image in root.iter("{*}img"):
            alt = (image.get("alt") or "").strip()
            decorative = image.get("alt") == "" and image.get("role") in ("presentation", "none")
            images += not decorative
            without_alt += not decorative and not alt
        for table in root.iter("{*}table"):
            if table.get("role") in ("presentation", "none"):
                continue
            tables += 1
            headerless += next(table.iter("{*}th"), None) is None
        headings = list(root.iter(*(f"{{*}}{name}" for name in HEADINGS)))
        empty += sum(1 for h in headings if not _has_text(h))
        levels = [int(etree.QName(h).localname[1]) for h in headings[1:]]
        skipped += skips(levels, 1)
    return Accessibility(book.meta.language, images, without_alt, tables, headerless, skipped, empty)


def _has_text(heading: etree._Element) -> bool:
    """Whether a heading has a name a reader hears: its text, or an image's alt."""
    return bool(str(heading.xpath("string()")).strip()) or any(
        (image.get("alt") or "").strip() for image in heading.iter("{*}img"))
