"""The print layout -> the page map: where each printed page starts.

In: WeasyPrint's laid-out Document of the print HTML. Out: a PageMap, one
PageStart per page that starts with text: its folio label and the place where
it starts, named in terms both editions share (the id of the page's section,
the block element as tag + ordinal within that section, the word within the
block). The EPUB writer turns each entry into a page-break marker, so "page 57"
in an e-reader is page 57 of the printed book. The map is plain data, cached as
JSON by a hash of everything the layout reads, so an EPUB-only rebuild of an
unchanged book does no layout at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

AUTO_HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character; sources use U+002D
BLOCK_TAGS = frozenset({
    "p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "td", "th", "caption", "blockquote", "figcaption", "pre", "div",
})
SECTION_TAGS = frozenset({"section", "nav"})
CACHE_DIR = Path(".cache") / "book-builder"


@dataclass(frozen=True)
class PageStart:
    label: str  # the folio as printed: "v", "1", "23"
    section: str  # id of the section (chapter or front-matter page) the page starts in
    tag: str  # the block element the page starts in…
    ordinal: int  # …the how-many-th of its tag within the section (0-based)
    word: int  # the word of that block the page starts at (0-based)
    first_words: str  # for checks and debugging


@dataclass(frozen=True)
class PageMap:
    page_count: int
    starts: tuple[PageStart, ...]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> PageMap:
        data = json.loads(text)
        return PageMap(data["page_count"], tuple(PageStart(**start) for start in data["starts"]))


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def load_cached(book_root: Path, key: str) -> PageMap | None:
    try:
        return PageMap.from_json((book_root / CACHE_DIR / f"pagemap-{key}.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def has_cached(book_root: Path) -> bool:
    """Whether any page map is cached for this book (its key not checked)."""
    try:
        return any((book_root / CACHE_DIR).glob("pagemap-*.json"))
    except OSError:
        return False


def store_cached(book_root: Path, key: str, page_map: PageMap) -> None:
    """Best effort: a read-only book folder only costs the next build a layout."""
    folder = book_root / CACHE_DIR
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("pagemap-*.json"):
            old.unlink()
        (folder / f"pagemap-{key}.json").write_text(page_map.to_json(), encoding="utf-8")
    except OSError:
        pass


def folio_labels(page_count: int, first_body_page: int) -> list[str]:
    """Lower-case roman before the first chapter, arabic from 1 on it: print.css's rule."""
    return [_roman(n) if n < first_body_page else str(n - first_body_page + 1)
            for n in range(1, page_count + 1)]


def _roman(number: int) -> str:
    numerals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
                (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = []
    for value, letters in numerals:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)


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
    """Walk the laid-out pages (WeasyPrint's box tree) and note where each page starts."""
    from weasyprint.formatting_structure import boxes

    ordinals: dict[int, tuple[str, str, int]] = {}  # id(element) -> (section, tag, ordinal)
    blocks: dict[int, _Block] = {}
    starts: list[PageStart] = []
    first_pages: dict[str, int] = {}
    for number, page in enumerate(document.pages, start=1):
        first: tuple[Any, Any, str] | None = None
        for section, block, line in _lines(page._page_box, boxes):
            first_pages.setdefault(section.get("id", ""), number)
            key = id(block)
            if key not in ordinals:
                ordinals.update(_number_blocks(section))
            state = blocks.setdefault(key, _Block())
            if first is None:
                first = (block, state.next_word, line)
            state.add_line(line)
        if first is not None:
            block, word, line = first
            section_id, tag, ordinal = ordinals[id(block)]
            starts.append(PageStart(str(number), section_id, tag, ordinal, word, line[:60]))
    labels = folio_labels(len(document.pages), first_pages.get(first_chapter_id, 1))
    return PageMap(
        page_count=len(document.pages),
        starts=tuple(_with_label(start, labels[int(start.label) - 1]) for start in starts),
    )


def _with_label(start: PageStart, label: str) -> PageStart:
    return PageStart(label, start.section, start.tag, start.ordinal, start.word, start.first_words)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _number_blocks(section: Any) -> dict[int, tuple[str, str, int]]:
    counts: dict[str, int] = {}
    numbered = {}
    for element in section.iter():
        tag = _local(element.tag) if isinstance(element.tag, str) else ""
        if tag in BLOCK_TAGS:
            numbered[id(element)] = (section.get("id", ""), tag, counts.get(tag, 0))
            counts[tag] = counts.get(tag, 0) + 1
    return numbered


def _lines(box: Any, boxes: Any, section: Any = None, block: Any = None) -> Iterator[tuple[Any, Any, str]]:
    """(section element, block element, text) of every line of the page, in order;
    margin boxes (heads, folios), footnote areas and generated content skipped."""
    tag = _local(getattr(box, "element_tag", "") or "")
    if isinstance(box, boxes.MarginBox | boxes.FootnoteAreaBox) or "::" in tag:
        return
    element = getattr(box, "element", None)
    if element is not None and tag in SECTION_TAGS and element.get("id"):
        section = element
    if element is not None and tag in BLOCK_TAGS and not isinstance(box, boxes.LineBox):
        block = element
    if isinstance(box, boxes.LineBox):
        text = "".join(_texts(box, boxes)).strip()
        if text and section is not None and block is not None:
            yield section, block, text
        return
    for child in getattr(box, "children", ()):
        yield from _lines(child, boxes, section, block)


def _texts(box: Any, boxes: Any) -> Iterator[str]:
    if "::" in (getattr(box, "element_tag", "") or "") or isinstance(box, boxes.FootnoteAreaBox):
        return
    if isinstance(box, boxes.TextBox):
        yield box.text
    for child in getattr(box, "children", ()):
        yield from _texts(child, boxes)
