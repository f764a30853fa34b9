"""Print typography: the hyphenation language, and a pass after layout.

In: the book's declared language (BCP 47, from book.toml); for the pass, the
print HTML and a function that lays an HTML document out (builder.layout's).
Out: the language the print body is hyphenated in (a bare ``en`` is American,
``en-US``: Pyphen keys a bare ``en`` to its British patterns, literat-ure and
intern-al, wrong for most books that say only "en"; every other tag as the
author wrote it); and, from the pass, the laid-out document, the print HTML it
was laid out from and what the pass could not settle.

The pass does what WeasyPrint's CSS cannot say. It reads the lines of the laid-
out pages (through builder.weasyprint_adapter) and finds:
- ladders: three or more lines in a row of one block that end in a hyphen;
- a hyphen on the last line of a page (the word would be split by a page turn);
- runts: a paragraph of two or more lines whose last line has fewer than 5
  characters, closing punctuation not counted ("tion." is a runt);
- unbalanced headings: a heading of two or more lines that a better choice of
  breaks would make more even.
It then changes the print HTML so that the offending break cannot happen: the
word's every occurrence in that block goes into ``<span class="nohyphen">``
(print.css: ``hyphens: manual``); a runt's last two words are joined by a no-break
space (or, where the runt is the tail of a hyphenated word, that word kept
whole); a heading gets ``<br class="balanced"/>`` after the spaces where the most
even lines break. Then it lays the book out again, at most MAX_ROUNDS more times,
and says how many it left. Only the print HTML changes: the EPUB is untouched.

The same rounds settle the print index (builder.index_ranges): a layout says which
page each index marker is on, and an index whose locators do not yet list those pages
once each, consecutive ones as a range, is rewritten, one more reason for a round; a
book whose typography asks for one anyway lays its index out in it, a book without
index markers has nothing to rewrite.

A line goes back to its source through the block it belongs to: the block's
ordinal among the elements of its tag in its section (the element with an id)
is counted in the layout's tree and again in the HTML text, as builder.pagemap
counts it for the EPUB's page list.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from itertools import pairwise
from typing import Any, Literal

from builder.index_ranges import marker_pages, read_entries, with_ranges

DEFAULT_REGIONS = {"en": "en-US"}  # a bare language -> the region whose patterns it means

MAX_ROUNDS = 3  # layouts after the first, at most
RUNT_CHARACTERS = 5  # a paragraph's last line has at least this many, closing punctuation aside
LADDER = 3  # this many hyphenated lines in a row is a ladder
NEAR_PAGE_END = 2  # lines either side of a page-end hyphen kept whole with it
AUTO_HYPHEN = "\u2010"  # WeasyPrint's hyphenate-character (the adapter's probe checks it)
NO_BREAK_SPACE = "\u00a0"
NOHYPHEN_OPEN = '<span class="nohyphen">'
BALANCED_BREAK = '<br class="balanced"/>'

SECTION_TAGS = frozenset({"section", "nav"})
BLOCK_TAGS = frozenset({
    "p", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6",
    "td", "th", "caption", "blockquote", "figcaption", "pre", "div",
})
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_WORD_END = re.compile(r"\w+$")
_WORD_START = re.compile(r"^\w+")
_CLOSING = re.compile(r"[\W_]+$")
_SPACES = re.compile(r"[ \t\n\r\f]+")
_TAG = re.compile(r"<[^>]*>")


def hyphenation_language(language: str) -> str:
    """The language tag the print edition's text is set in, for its hyphenation."""
    return DEFAULT_REGIONS.get(language.strip().lower(), language)


# --- What the layout shows ---------------------------------------------------

BlockKey = tuple[str, str, int]  # (section id, tag, ordinal of the tag within the section)


@dataclass(frozen=True)
class Line:
    page: int  # 1-based
    last_on_page: bool
    block: BlockKey
    text: str

    @property
    def hyphenated(self) -> bool:
        return self.text.endswith(AUTO_HYPHEN)


Kind = Literal["ladder", "page-end", "runt", "heading"]


@dataclass(frozen=True)
class Finding:
    kind: Kind
    line: Line
    word: str = ""  # the word whose hyphenation to forbid
    join: bool = False  # a runt: join the block's last two words
    breaks: tuple[int, ...] = ()  # a heading: break after these words (0-based)

    def __str__(self) -> str:
        return f"page {self.line.page}: {self.kind} at {self.line.text[-40:]!r}"


def read_lines(document: Any) -> list[Line] | None:
    """The laid-out lines in order; None where the adapter cannot read them (pass off)."""
    from builder.weasyprint_adapter import typography_lines

    pages = typography_lines(document, SECTION_TAGS, BLOCK_TAGS)
    if pages is None:
        return None
    ordinals: dict[int, BlockKey] = {}
    lines: list[Line] = []
    for number, page in enumerate(pages, start=1):
        for index, (section, block, text) in enumerate(page):
            if id(block) not in ordinals:
                ordinals.update(_number_blocks(section))
            key = ordinals.get(id(block))
            if key is not None:
                lines.append(Line(number, index == len(page) - 1, key, text))
    return lines


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _number_blocks(section: Any) -> dict[int, BlockKey]:
    counts: dict[str, int] = {}
    numbered: dict[int, BlockKey] = {}
    for element in section.iter():
        tag = _local(element.tag)
        if tag in BLOCK_TAGS:
            numbered[id(element)] = (section.get("id", ""), tag, counts.get(tag, 0))
            counts[tag] = counts.get(tag, 0) + 1
    return numbered


def findings(lines: Sequence[Line]) -> list[Finding]:
    """Every ladder, page-end hyphen, runt and unbalanced heading in *lines*."""
    blocks: dict[BlockKey, list[Line]] = {}
    for line in lines:
        blocks.setdefault(line.block, []).append(line)
    found: list[Finding] = []
    for key, block in blocks.items():
        if key[1] in HEADINGS:
            found += _unbalanced(block)
            continue
        run = 0
        for index, line in enumerate(block):
            run = run + 1 if line.hyphenated else 0
            word = _hyphenated_word(block, index)
            if run >= LADDER and run % LADDER == 0:
                # The middle line's word kept whole: the run becomes 1, 0, 1 at worst.
                found.append(Finding("ladder", block[index - 1], _hyphenated_word(block, index - 1)))
            if line.hyphenated and line.last_on_page:
                found.append(Finding("page-end", line, word))
        if key[1] == "p" and len(block) >= 2 and _runt(block[-1].text):
            before = block[-2]
            found.append(Finding("runt", block[-1], _hyphenated_word(block, len(block) - 2),
                                 join=not before.hyphenated))
    return found


def precautions(lines: Sequence[Line], reach: int = NEAR_PAGE_END) -> list[Finding]:
    """The hyphenated lines within *reach* lines of a page's end that the page-end
    findings' fixes may shift onto it: kept whole too, so that a round's fixes do not
    bring a new hyphen to the page's end."""
    ends = [index for index, line in enumerate(lines) if line.last_on_page and line.hyphenated]
    near = sorted({index for end in ends for index in range(end - reach, end + reach + 1)
                   if 0 <= index < len(lines) - 1 and index != end})
    return [Finding("page-end", lines[index], _hyphenated_word(lines, index)) for index in near
            if lines[index].hyphenated and lines[index + 1].block == lines[index].block]


def _runt(text: str) -> bool:
    return len(_CLOSING.sub("", text)) < RUNT_CHARACTERS


def _hyphenated_word(block: Sequence[Line], index: int) -> str:
    """The word a hyphenated line breaks: its end on this line, the rest on the next."""
    line = block[index]
    if not line.hyphenated or index + 1 >= len(block):
        return ""
    head = _WORD_END.search(line.text.removesuffix(AUTO_HYPHEN))
    tail = _WORD_START.match(block[index + 1].text)
    return head.group() + tail.group() if head and tail else ""


def _unbalanced(block: Sequence[Line]) -> list[Finding]:
    """A heading of 2+ lines whose breaks an even choice beats (by the longest line)."""
    if len(block) < 2 or any(line.hyphenated for line in block):
        return []
    words = [_SPACES.split(line.text.strip()) for line in block]
    flat = [word for line in words for word in line]
    now = _longest([len(" ".join(line)) for line in words])
    breaks = balanced_breaks([len(word) for word in flat], len(block))
    ends = [-1, *breaks, len(flat) - 1]
    even = _longest([len(" ".join(flat[a + 1:b + 1])) for a, b in pairwise(ends)])
    return [Finding("heading", block[0], breaks=breaks)] if even < now else []


def _longest(lengths: Iterable[int]) -> int:
    return max(lengths, default=0)


def balanced_breaks(lengths: Sequence[int], lines: int) -> tuple[int, ...]:
    """Where to break words of these *lengths* into *lines* lines of the most even
    length (the longest as short as it can be, then the squares' sum): the index of
    the last word of every line but the last."""
    count = len(lengths)
    lines = min(lines, count)
    if lines < 2:
        return ()

    def width(first: int, last: int) -> int:  # words first..last with a space between each
        return sum(lengths[first:last + 1]) + last - first

    # best[k][j]: (longest, squares, breaks) for words 0..j on k + 1 lines
    best: list[dict[int, tuple[int, int, tuple[int, ...]]]] = [
        {j: (width(0, j), width(0, j) ** 2, ()) for j in range(count)}]
    for k in range(1, lines):
        row: dict[int, tuple[int, int, tuple[int, ...]]] = {}
        for j in range(k, count):
            options = []
            for i in range(k - 1, j):
                longest, squares, breaks = best[k - 1][i]
                line = width(i + 1, j)
                options.append((max(longest, line), squares + line ** 2, (*breaks, i)))
            row[j] = min(options)
        best.append(row)
    return best[lines - 1][count - 1][2]


# --- Where a line comes from in the HTML -----------------------------------

@dataclass
class _Block:
    start: int  # where its content starts (after the start tag)
    end: int = -1  # where its end tag starts


class _SourceIndex(HTMLParser):
    """The print HTML's block elements, keyed as read_lines keys them, with where
    their content is; and the note bodies (print-footnote), whose text is not the
    paragraph's own."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.line_starts = [0, *(m.end() for m in re.finditer("\n", html))]
        self.blocks: dict[BlockKey, _Block] = {}
        self.notes: list[tuple[int, int]] = []
        self._sections: list[tuple[str, str | None, dict[str, int]]] = []  # (tag, id, counts)
        self._open: dict[str, list[list[_Block]]] = {}
        self._spans: list[int | None] = []  # start of a note body, or None
        self.feed(html)
        self.close()

    def _offset(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        here = self._offset()
        named = dict(attrs)
        if tag in SECTION_TAGS:
            self._sections.append((tag, named.get("id"), {}))
        if tag == "span":
            self._spans.append(here if "print-footnote" in (named.get("class") or "").split() else None)
        if tag in BLOCK_TAGS:
            block = _Block(here + len(self.get_starttag_text() or ""))
            for _, section_id, counts in self._sections:
                if section_id:
                    self.blocks[(section_id, tag, counts.get(tag, 0))] = block
                counts[tag] = counts.get(tag, 0) + 1
            self._open.setdefault(tag, []).append([block])

    def handle_endtag(self, tag: str) -> None:
        here = self._offset()
        if tag in BLOCK_TAGS and self._open.get(tag):
            for block in self._open[tag].pop():
                block.end = here
        if tag == "span" and self._spans:
            start = self._spans.pop()
            if start is not None:
                self.notes.append((start, here))
        if tag in SECTION_TAGS and self._sections:
            for index in range(len(self._sections) - 1, -1, -1):
                if self._sections[index][0] == tag:
                    del self._sections[index]
                    break


Edit = tuple[int, int, str]  # replace html[start:end] with the text


def _texts(html: str, block: _Block, notes: Sequence[tuple[int, int]],
           with_notes: bool = False) -> list[tuple[int, str]]:
    """The runs of text between tags in *block*, each with where it starts."""
    runs = []
    position = block.start
    for tag in _TAG.finditer(html, block.start, block.end):
        if tag.start() > position:
            runs.append((position, html[position:tag.start()]))
        position = tag.end()
    if position < block.end:
        runs.append((position, html[position:block.end]))
    if with_notes:
        return runs
    return [(start, text) for start, text in runs
            if not any(a <= start < b for a, b in notes)]


Gap = list[tuple[int, int]]  # the pieces of the HTML a space between two words is made of


def _gaps(html: str, block: _Block, notes: Sequence[tuple[int, int]]) -> tuple[str, list[Gap]]:
    """The block's own text (its notes' aside), and each space between two of its
    words as the pieces of the HTML it is made of (a space may run over a tag)."""
    runs = _texts(html, block, notes)
    text = "".join(run for _, run in runs)
    where = [start + offset for start, run in runs for offset in range(len(run))]
    gaps = []
    for space in _SPACES.finditer(text):
        if space.start() == 0 or space.end() == len(text):
            continue
        pieces: list[tuple[int, int]] = []
        for at in where[space.start():space.end()]:
            if pieces and pieces[-1][1] == at:
                pieces[-1] = (pieces[-1][0], at + 1)
            else:
                pieces.append((at, at + 1))
        gaps.append(pieces)
    return text, gaps


def _edits(html: str, index: _SourceIndex, finding: Finding) -> list[Edit]:
    block = index.blocks.get(finding.line.block)
    if block is None or block.end < block.start:
        return []
    if finding.kind == "heading":
        if BALANCED_BREAK in html[block.start:block.end]:
            return []  # balanced once already: the lines are as even as its words allow
        text, gaps = _gaps(html, block, index.notes)
        if len(gaps) != len(_SPACES.split(text.strip())) - 1:
            return []
        return [(gaps[word][-1][1], gaps[word][-1][1], BALANCED_BREAK) for word in finding.breaks]
    if finding.word:
        pattern = re.compile(rf"(?<!\w){re.escape(finding.word)}(?!\w)")
        return [(start + m.start(), start + m.end(), f"{NOHYPHEN_OPEN}{finding.word}</span>")
                for start, text in _texts(html, block, index.notes, with_notes=True)
                for m in pattern.finditer(text)
                if not html.endswith(NOHYPHEN_OPEN, 0, start + m.start())]  # not marked already
    if finding.join:
        _, gaps = _gaps(html, block, index.notes)
        if gaps:
            (first, *rest) = gaps[-1]
            return [(*first, NO_BREAK_SPACE), *((a, b, "") for a, b in rest)]
    return []


def apply(html: str, found: Sequence[Finding]) -> tuple[str, list[Finding]]:
    """The HTML with every finding's break forbidden, and the findings it could not place."""
    index = _SourceIndex(html)
    edits: dict[tuple[int, int], str] = {}
    unplaced = []
    for finding in found:
        made = _edits(html, index, finding)
        if not made:
            unplaced.append(finding)
        for start, end, text in made:
            edits.setdefault((start, end), text)
    pieces = []
    position = len(html)
    for (start, end), text in sorted(edits.items(), reverse=True):
        if end > position:
            continue  # overlaps an edit already made (the same word twice)
        pieces.append(html[end:position])
        pieces.append(text)
        position = start
    pieces.append(html[:position])
    return "".join(reversed(pieces)), unplaced


# --- The pass ---------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    document: Any
    html: str  # the print HTML the document was laid out from
    layouts: int
    left: tuple[Finding, ...]  # what the last layout still shows
    off: bool = False  # the lines could not be read: no typography was looked at
    index_left: bool = False  # the index's page ranges are those of the layout before the last

    def summary(self) -> str | None:
        """What was left, for a warning; None when everything was settled (or the pass is off)."""
        said = []
        if self.left:
            kinds: dict[str, int] = {}
            for finding in self.left:
                kinds[finding.kind] = kinds.get(finding.kind, 0) + 1
            counts = ", ".join(f"{count} {kind}" for kind, count in sorted(kinds.items()))
            said.append(f"typography: {len(self.left)} left unresolved after {self.layouts} layouts "
                        f"({counts}); first: {self.left[0]}")
        if self.index_left:
            said.append(f"index: after {self.layouts} layouts its page ranges are those of the layout "
                        "before the last (a page may be listed twice, or a range left unmerged)")
        return "; ".join(said) or None


def settle(html: str, lay_out: Callable[[str], Any], rounds: int = MAX_ROUNDS) -> Outcome:
    """Lay *html* out, then again with each finding's break forbidden and the index's
    locators as pages and ranges (builder.index_ranges), until neither changes the HTML or
    *rounds* more layouts have been made. A book without index markers has nothing of its
    index to settle; with the lines unreadable (the typography pass off), only the index is."""
    entries = read_entries(html)
    document = lay_out(html)
    for layouts in range(1, rounds + 2):
        lines = read_lines(document)
        found = findings(lines) if lines is not None else []
        ranged = with_ranges(html, entries, marker_pages(document)) if entries else html
        if (not found and ranged == html) or layouts > rounds:
            return Outcome(document, html, layouts, tuple(found), lines is None, ranged != html)
        changed = apply(ranged, [*found, *precautions(lines)])[0] if found and lines else ranged
        if changed == html:  # nothing it found could be placed in the HTML
            return Outcome(document, html, layouts, tuple(found), lines is None)
        html = changed
        document = None  # freed before the next layout, not after it: one book's boxes at a time
        gc.collect()  # its boxes hold cycles, and a build runs no automatic full collection
        document = lay_out(html)
    raise AssertionError("unreachable")  # the loop returns on its last round
