"""Print code: a size at which 80 columns fit the text block, and long lines wrapped by rule.

In: the print HTML document (builder.render) and the book's trim and text size. Out: the
same document with every code block's line that is longer than its block holds broken
where a programmer would break it (after a space, else after punctuation, mid-token only
where a token is longer than the line) and continued on a new line indented past the
line's own indentation behind a mark, `↪`. The code size is chosen so that 80 columns
of the code face fit the house text block (`CodeMeasure`); print.css reads it from the
`--code-size` property the template sets. The EPUB is never touched: a reader's screen
wraps code itself, and copying code from it gives the code as written.

The columns a block holds are counted, not measured: the code face (DejaVu Sans Mono,
the only monospace [style] may name) sets every character 0.602 em wide, and the house
margins and the indents of lists, quotations and notes are known. A book sheet that
changes the code size or the margins leaves the lines to the layout, which still breaks
anything too long for its line (print.css: overflow-wrap: anywhere).
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass

from lxml import etree

from builder.printers import trim_inches

COLUMNS = 80  # what a code block holds by default: the width code is written to
ADVANCE = 1233 / 2048  # DejaVu Sans Mono's advance width, in em
POINTS_PER_INCH = 72
HOUSE_MARGINS = 0.875 + 0.625  # in, print.css's gutter and outside margins
BODY_MARGINS = 2 * 6.0  # pt: the body's 8px on each side (WeasyPrint's own sheet; print.css keeps it)
PRE_PADDING = 0.8  # em of the code size: base.css's pre padding-left
PRE_RULE = 1.5  # pt: base.css's 2px rule at the block's left
LARGEST = 9.0  # pt: on a wide page, code no larger than this (more columns fit)
SMALLEST = 6.0  # pt: on a narrow page, code no smaller than this (fewer columns fit)
MARK = "\u21aa"  # ↪, set before a wrapped line's continuation
TAB = 8  # columns: pre's tab-size
# Where a line breaks best after a space; else after one of these before a word (never
# inside `->`, `--` or `//`), keeping an operator, a separator, an opening bracket or a
# path's slash at the line's end (the reader sees the line goes on).
PUNCTUATION = frozenset(",;:.([{)]}>/\\=&|+-*")

# Block indents in print, as multiples of the text size plus points (base.css):
# a list's margin and padding, a quotation's two margins, a note's padding and rule.
_INDENTS = {"ul": (1.8, 0.0), "ol": (1.8, 0.0), "blockquote": (3.0, 0.0), "dd": (1.5, 0.0)}
_BOXED = (0.8, 2.25)  # .admonition and details: padding 0.8em, a 3px double rule
_PRE = re.compile(r"<pre\b[^>]*>.*?</pre>", re.S)


@dataclass(frozen=True)
class CodeMeasure:
    """The print code's size (pt), the columns a block at the text's full width holds,
    the text block's width and the text's size (pt)."""

    size: float
    columns: int
    width: float
    text_size: float

    @property
    def column(self) -> float:
        return self.size * ADVANCE


def measure(trim: str, text_size: float = 11.0, columns: int = COLUMNS) -> CodeMeasure:
    """The code size at which *columns* fit the house text block of *trim*, within
    SMALLEST..LARGEST, and the columns that size gives."""
    width = (trim_inches(trim)[0] - HOUSE_MARGINS) * POINTS_PER_INCH - BODY_MARGINS
    # The block's content: the width less the rule and the padding (in the code's ems);
    # a little under the exact fit, so that rounding in the layout never wraps a full line.
    size = (width - PRE_RULE) / (columns * ADVANCE + PRE_PADDING) * 0.995
    size = math.floor(min(max(size, SMALLEST), LARGEST) * 100) / 100
    fits = int((width - PRE_RULE - PRE_PADDING * size) / (size * ADVANCE))
    return CodeMeasure(size, fits, width, text_size)


def text_size(font_size: str | None) -> float:
    """book.toml's [style] font_size ("10.5pt"), in points; print.css's 11pt where unset."""
    return float(font_size.removesuffix("pt")) if font_size else 11.0


def wrap_print_code(html: str, code: CodeMeasure) -> str:
    """*html* (the print document) with each code block's long lines wrapped to the
    columns its block holds."""
    held = _columns_held(html, code)
    if len(held) != len(_PRE.findall(html)):  # not read as XHTML: each block at the full width
        held = []
    blocks = iter(held)

    def wrap(found: re.Match[str]) -> str:
        columns = next(blocks, code.columns)
        return wrap_block(found[0], columns) if columns else found[0]

    return _PRE.sub(wrap, html)


def _columns_held(html: str, code: CodeMeasure) -> list[int]:
    """The columns each <pre> of the document holds, in order (0: leave it to the layout,
    as in a table's cell, whose width only the layout knows)."""
    try:
        root = etree.fromstring(html.encode(), etree.XMLParser(resolve_entities=False, no_network=True,
                                                              huge_tree=True))
    except etree.XMLSyntaxError:
        return []
    held = []
    for pre in root.iter("{*}pre"):
        indent = 0.0
        for above in pre.iterancestors():
            name = etree.QName(above).localname
            classes = (above.get("class") or "").split()
            if name in ("td", "th"):
                indent = math.inf
            elif name in _INDENTS:
                ems, points = _INDENTS[name]
                indent += ems * code.text_size + points
            elif name == "details" or "admonition" in classes:
                indent += _BOXED[0] * code.text_size + _BOXED[1]
        held.append(0 if math.isinf(indent) else max(int(code.columns - indent / code.column), 0))
    return held


def wrap_block(markup: str, columns: int) -> str:
    """One `<pre>` element's markup with its lines wrapped to *columns*; the markup as it
    was when every line fits (or it is not well-formed)."""
    try:
        pre = etree.fromstring(markup)
    except etree.XMLSyntaxError:
        return markup
    numbers = pre.find(".//span[@data-linenos]")
    if numbers is not None:  # Pygments' inline line numbers stand before each line
        gutter = len(numbers.get("data-linenos") or "") + 1
        columns -= gutter
    else:
        gutter = 0
    text = str(pre.xpath("string()"))
    breaks = [(offset, indent + gutter) for offset, indent in line_breaks(text, columns)]
    if not breaks:
        return markup
    nodes = _text_nodes(pre)
    for offset, indent in reversed(breaks):
        _insert(nodes, offset, _continuation(indent))
    return etree.tostring(pre, encoding="unicode", with_tail=False)


def width(char: str) -> int:
    """Columns a character takes in the code face: two for wide East Asian ones, none
    for a combining mark or a zero-width character."""
    if unicodedata.combining(char) or char in "\u200b\u200c\u200d\u2060\ufeff":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def line_breaks(text: str, columns: int) -> list[tuple[int, int]]:
    """Where *text*'s lines longer than *columns* break: (offset in *text*, the columns
    the continuation's mark is indented: the line's own indentation)."""
    found: list[tuple[int, int]] = []
    start = 0
    for line in text.split("\n"):
        found += [(start + offset, indent) for offset, indent in _wrap_line(line, columns)]
        start += len(line) + 1
    return found


def _wrap_line(line: str, columns: int) -> list[tuple[int, int]]:
    positions = _columns(line)
    if positions[-1] <= columns or columns < 8:
        return []
    lead = len(line) - len(line.lstrip(" \t"))
    # The continuation stands past the line's indentation, behind the mark and a space; an
    # indentation deeper than half the block is held at half, so the text keeps its room.
    indent = min(positions[lead], columns // 2)
    room = columns - indent - 2
    breaks = []
    begin, limit = 0, columns  # the segment's first character; the columns it may reach
    while positions[-1] - positions[begin] > limit:
        reach = positions[begin] + limit
        last = max(i for i in range(begin, len(line) + 1) if positions[i] <= reach)
        first = lead + 1 if begin == 0 else begin + 1
        at = max(_best_break(line, first, last), begin + 1) if last > begin else begin + 1
        breaks.append((at, indent))
        begin, limit = at, room
    return breaks


def _columns(line: str) -> list[int]:
    """The column at which each character of *line* starts, and its end's, tabs expanded."""
    columns = [0]
    for char in line:
        here = columns[-1]
        columns.append(here + (TAB - here % TAB if char == "\t" else width(char)))
    return columns


def _best_break(line: str, first: int, last: int) -> int:
    """The offset in *line* to break at, between *first* and *last*: after the last space
    when it leaves the line at least 60% full, else after the last punctuation, else after
    the last space, else at *last* (a token longer than the line)."""
    spaces = [i for i in range(first, last + 1) if line[i - 1] == " " and (i == len(line) or line[i] != " ")]
    marks = [i for i in range(first, min(last, len(line) - 1) + 1)
             if line[i - 1] in PUNCTUATION and line[i] not in PUNCTUATION and not line[i].isspace()]
    fair = first + (last - first) * 0.6
    if spaces and spaces[-1] >= fair:
        return spaces[-1]
    if marks:
        return marks[-1]
    if spaces:
        return spaces[-1]
    return last


def _continuation(indent: int) -> etree._Element:
    """A wrapped line's break: a new line, the indentation, the mark and a space."""
    wrap = etree.Element("span", {"class": "code-wrap"})
    wrap.text = "\n" + " " * indent
    mark = etree.SubElement(wrap, "span", {"class": "code-mark"})
    mark.text = MARK
    mark.tail = " "
    return wrap


def _text_nodes(pre: etree._Element) -> list[tuple[etree._Element, bool, int]]:
    """Each text node of *pre* as (its element, whether it is that element's tail, the
    offset it starts at in pre's text), in document order."""
    nodes = []
    offset = 0

    def walk(element: etree._Element) -> None:
        nonlocal offset
        if element.text:
            nodes.append((element, False, offset))
            offset += len(element.text)
        for child in element:
            walk(child)
            if child.tail:
                nodes.append((child, True, offset))
                offset += len(child.tail)

    walk(pre)
    return nodes


def _insert(nodes: list[tuple[etree._Element, bool, int]], offset: int, new: etree._Element) -> None:
    """Put *new* at *offset* of pre's text (the text nodes after it are not looked at again:
    the breaks are made from the last)."""
    element, is_tail, start = next(node for node in reversed(nodes) if node[2] < offset)
    if is_tail:
        text = element.tail or ""
        element.tail = text[:offset - start]
        new.tail = text[offset - start:]
        element.addnext(new)
    else:
        text = element.text or ""
        element.text = text[:offset - start]
        new.tail = text[offset - start:]
        element.insert(0, new)
