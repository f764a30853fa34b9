"""Print tables: a table too wide for the text block set smaller, its columns sized by what they hold.

In: the print HTML document (builder.render) and the text block's width and the text's size
(codewrap.CodeMeasure). Out: the same document in which each table whose columns' longest
words would not fit side by side in the text block at the text's size is marked ``fitted``
(print.css: a fixed layout across the full width, less padding), set smaller (0.9,
0.8 or 0.7 of the text: the largest at which every column holds its longest word) and given
a ``<colgroup>``: each column at least as wide as its longest word, the rest of the width
shared by how much more each column holds. Left to itself the layout ran such a table off
the page, or gave a column of long labels the width of a letter, its words set a letter a line.

Widths are counted, not measured: a character of the book's face is taken as 0.45 em, a
cell's padding as one em (base.css; half an em once fitted, print.css), a cross-reference as
its words plus ", page 000" (the page print.css adds after it; in a fitted table it may start
a line). A table with a cell that spans rows or columns, with column widths of its own, or
that is not read as XHTML, is left to the layout, as is one that fits. The EPUB is never
touched: a reader's screen sets its tables itself.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lxml import etree

from builder.codewrap import CodeMeasure

CHARACTER = 0.45  # em: an average character of the book's face (EB Garamond's is about 0.42)
PADDING = 1.0  # em: a cell's padding, left and right (base.css)
FITTED_PADDING = 0.5  # em: the same in a fitted table (print.css)
SIZES = (0.9, 0.8, 0.7)  # of the text size: the steps a wide table is set in
PAGE_AFTER_XREF = ", page\u00a0000"  # what print.css sets after a cross-reference in a fitted table
_TABLE = re.compile(r"<table\b[^>]*>.*?</table>", re.S)
_OPENING = re.compile(r"<table\b[^>]*>")
_CAPTION_END = re.compile(r"</caption\s*>")
_WORDS = re.compile(r"[^ \t\n\r\f]+")  # a no-break space joins its neighbours into one


@dataclass(frozen=True)
class Column:
    """What a column holds, in characters: its longest word and its longest cell."""

    word: int
    cell: int


@dataclass(frozen=True)
class Fit:
    """How a wide table is set: its size (of the text's) and its columns' widths (%)."""

    size: float
    widths: tuple[float, ...]


def fit_wide_tables(html: str, measure: CodeMeasure) -> str:
    """*html* (the print document) with each table too wide for the text block fitted to it."""
    def fitted(found: re.Match[str]) -> str:
        columns = table_columns(found[0])
        fit = fit_columns(columns, measure.width / measure.text_size) if columns else None
        return with_fit(found[0], fit) if fit else found[0]

    return _TABLE.sub(fitted, html)


def table_columns(markup: str) -> list[Column] | None:
    """Each column's longest word and cell; None for a table left to the layout."""
    try:
        table = etree.fromstring(markup, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    return columns_of(table)


def columns_of(table: etree._Element) -> list[Column] | None:
    """``table_columns`` of a parsed table."""
    if "author-table" in (table.get("class") or "").split():
        return None  # the builder's own, set to fit
    if any(_local(element.tag) in ("col", "colgroup") for element in table.iter()):
        return None  # the author's own column widths
    rows = [[cell for cell in row if _local(cell.tag) in ("td", "th")]
            for row in table.iter() if _local(row.tag) == "tr"]
    cells = [cell for row in rows for cell in row]
    if not cells or any(cell.get("colspan", "1") != "1" or cell.get("rowspan", "1") != "1" for cell in cells):
        return None
    width = max(map(len, rows))
    texts = [[_text(row[index]) if index < len(row) else "" for row in rows] for index in range(width)]
    return [Column(max((len(word) for text in column for word in _WORDS.findall(text)), default=0),
                   max(map(len, column))) for column in texts]


def fit_columns(columns: Sequence[Column], block: float) -> Fit | None:
    """How to set a table of *columns* in a text block *block* ems of the text wide; None
    where its longest words fit side by side at the text's size (the layout wraps the rest)."""
    if sum(_ems(column.word, PADDING) for column in columns) <= block:
        return None
    least = sum(_ems(column.word) for column in columns)
    size = next((size for size in SIZES if least * size <= block), SIZES[-1])
    room = block / size  # in the table's own ems
    if least >= room:  # the words themselves do not fit: shares by word, the layout breaks them
        shares = [_ems(column.word) for column in columns]
    else:
        wants = [_ems(column.cell) - _ems(column.word) for column in columns]
        spare, wanted = room - least, sum(wants)
        shares = [_ems(column.word) + (spare * want / wanted if wanted else spare / len(columns))
                  for column, want in zip(columns, wants, strict=True)]
    total = sum(shares)
    return Fit(size, tuple(round(100 * share / total, 1) for share in shares))


def overfull(columns: Sequence[Column], block: float) -> bool:
    """Whether the columns' longest words would not fit side by side even at the smallest size."""
    return sum(_ems(column.word) for column in columns) * SIZES[-1] > block


def with_fit(markup: str, fit: Fit) -> str:
    """The table's markup marked fitted, at the fit's size, with its columns' widths."""
    opening = _OPENING.match(markup)
    assert opening is not None  # _TABLE matched it
    tag = _with_value(opening[0], "class", "fitted", " ")
    tag = _with_value(tag, "style", f"font-size: {fit.size}em", "; ")
    columns = "".join(f'<col style="width: {width}%"/>' for width in fit.widths)
    rest = markup[opening.end():]
    caption = _CAPTION_END.search(rest)
    at = caption.end() if caption else 0
    return f"{tag}{rest[:at]}<colgroup>{columns}</colgroup>{rest[at:]}"


def _with_value(tag: str, name: str, value: str, separator: str) -> str:
    """The opening *tag* with *value* put first in its attribute *name* (added if missing)."""
    if f' {name}="' in tag:
        return tag.replace(f' {name}="', f' {name}="{value}{separator}', 1)
    return f'{tag[:-1]} {name}="{value}">'


def _text(element: etree._Element) -> str:
    """The element's words as print sets them: a cross-reference with its page after it."""
    parts = [element.text or ""]
    for child in element:
        parts += [_text(child), child.tail or ""]
    if _local(element.tag) == "a" and "xref" in (element.get("class") or "").split():
        parts.append(PAGE_AFTER_XREF)
    return "".join(parts)


def _ems(characters: int, padding: float = FITTED_PADDING) -> float:
    return characters * CHARACTER + padding


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""
