"""The print layout -> the page map: where each printed page starts.

In: the laid-out Document of the print HTML, read through the WeasyPrint
adapter (the text of each page's lines, with its section and block element).
Out: a PageMap (builder.model), one PageStart per page that starts with text:
its folio label and the place where it starts, named in terms both editions
share (the id of the page's section, the block element as tag + ordinal within
that section, the word within the block). The EPUB writer turns each entry into
a page-break marker, so "page 57" in an e-reader is page 57 of the printed book.
Where the adapter cannot read the page boxes, the map has the page count and no
starts (the EPUB then has no page list, and the build says so).
"""

from __future__ import annotations

from typing import Any

from builder.folios import folio_labels
from builder.model import PageMap, PageStart
from builder.weasyprint_adapter import page_lines

AUTO_HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character; sources use U+002D
BLOCK_TAGS = frozenset({
    "p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "td", "th", "caption", "blockquote", "figcaption", "pre", "div",
})
SECTION_TAGS = frozenset({"section", "nav"})


class _Block:
    """The words a block element has shown so far, line by line."""

    def __init__(self) -> None:
        self.text = ""
        self.open_hyphen = False  # the last line ended inside a hyphenated word

    def add_line(self, line: str) -> None:
        if self.text and not self.open_hyphen:
            self.text += " "
        self.open_hyphen = line.endswith(AUTO_HYPHEN)
        self.text += line.removesuffix(AUTO_HYPHEN) if self.open_hyphen else line

    @property
    def next_word(self) -> int:
        words = len(self.text.split())
        return words - 1 if self.open_hyphen and words else words


def page_map(document: Any, first_chapter_id: str) -> PageMap:
    """Note where each laid-out page starts."""
    pages = page_lines(document, SECTION_TAGS, BLOCK_TAGS)
    if pages is None:
        return PageMap(len(document.pages), ())
    ordinals: dict[int, tuple[str, str, int]] = {}  # id(element) -> (section, tag, ordinal)
    blocks: dict[int, _Block] = {}
    starts: list[PageStart] = []
    first_pages: dict[str, int] = {}
    for number, lines in enumerate(pages, start=1):
        first: tuple[Any, int, str] | None = None
        for section, block, line in lines:
            first_pages.setdefault(section.get("id", ""), number)
            if id(block) not in ordinals:
                ordinals.update(_number_blocks(section))
            state = blocks.setdefault(id(block), _Block())
            if first is None:
                first = (block, state.next_word, line)
            state.add_line(line)
        if first is not None:
            block, word, line = first
            section_id, tag, ordinal = ordinals[id(block)]
            starts.append(PageStart(str(number), section_id, tag, ordinal, word, line[:60]))
    labels = folio_labels(len(pages), first_pages.get(first_chapter_id, 1))
    return PageMap(len(pages), tuple(PageStart(labels[int(s.label) - 1], s.section, s.tag, s.ordinal,
                                               s.word, s.first_words) for s in starts))


def _number_blocks(section: Any) -> dict[int, tuple[str, str, int]]:
    counts: dict[str, int] = {}
    numbered = {}
    for element in section.iter():
        tag = element.tag.rsplit("}", 1)[-1] if isinstance(element.tag, str) else ""
        if tag in BLOCK_TAGS:
            numbered[id(element)] = (section.get("id", ""), tag, counts.get(tag, 0))
            counts[tag] = counts.get(tag, 0) + 1
    return numbered
