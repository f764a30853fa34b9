"""What GitHub and GitBook render that Python-Markdown reads otherwise -> the builder's Markdown.

In: one chapter's text, its directives already carried out (builder.importing.directives),
and the flavour of its source. Out: the same text with

- `markdown="1"` on each `<details>` or `<div>` whose content is Markdown: CommonMark ends
  the HTML block its opening line (and a `<summary>`) starts at the first blank line, so
  GitHub, GitBook and mdBook convert what follows; Python-Markdown keeps the whole element as
  raw HTML, and its Markdown (code, lists, links, emphasis) would be printed as written. The
  attribute asks the builder's md_in_html to convert it, raw HTML inside (GitBook's `<pre>`
  code, figures) staying raw. An element that is HTML throughout, or never closes, is left as
  it is (check reports the latter);
- a list right under a paragraph's (or a quote's) last line set apart by a blank line:
  CommonMark starts the list there, Python-Markdown would run it into the paragraph (not for
  Leanpub's Markdown);
- what a list item holds (a nested list, a paragraph after a blank line, code) indented by 4
  columns a level, as Python-Markdown reads it, where CommonMark indents it as far as the
  item's text (2 columns under `* `): a list nested 2 deep was run into its parent;
- for GitBook and plain (GitHub) sources, emoji shortcodes (`:bulb:`, `:warning:`) outside
  code made the characters they stand for, by pymdownx's emoji indexes (GitHub's names
  first); a name in no index is left as written. mdBook and Leanpub print them as text.

Nothing is read and nothing is noted: what is left as it is, the builder's check reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from builder.importing.directives import Flavour
from builder.importing.text import marked_lines

# An opening tag at the start of its line (Python-Markdown's raw blocks start there), and what follows it.
_OPENING = re.compile(r"^<(details|div)(\s[^>]*)?>(.*)$", re.IGNORECASE)
_SUMMARY = re.compile(r"^[ \t]*<summary\b[^>]*>.*?</summary\s*>[ \t]*$", re.IGNORECASE | re.DOTALL)
_MARKDOWN_ATTRIBUTE = re.compile(r"\smarkdown\s*=", re.IGNORECASE)


def to_builder(text: str, flavour: Flavour) -> str:
    """*text* with its `<details>` and `<div>` holding Markdown, and for GitBook and GitHub its
    emoji shortcodes, made what the builder reads the same way."""
    lines = _markdown_inside(text.split("\n"))
    if flavour != "leanpub":
        lines = _lists_apart(lines)
    lines = _list_indents(lines)
    if flavour in ("gitbook", "plain"):
        lines = _emoji(lines)
    return "\n".join(lines)


# --- <details> and <div> holding Markdown --------------------------------------------------------


def _markdown_inside(lines: Sequence[str]) -> list[str]:
    code = [in_code for _, in_code in marked_lines("\n".join(lines))]
    out = list(lines)
    for index, line in enumerate(lines):
        opening = None if code[index] else _OPENING.match(line)
        if opening and not _MARKDOWN_ATTRIBUTE.search(opening[2] or "") \
                and _holds_markdown(lines, code, index):
            cut = opening.end(2) if opening[2] else len(opening[1]) + 1
            out[index] = f'{line[:cut]} markdown="1"{line[cut:]}'
    return out


def _holds_markdown(lines: Sequence[str], code: Sequence[bool], start: int) -> bool:
    """Whether the element opened on line *start* holds Markdown as CommonMark reads it: nothing
    after the opening but a `<summary>` (on its line, or the next ones), then a blank line, and
    a line that closes the element (outside code, the same elements inside it counted)."""
    opening = _OPENING.match(lines[start])
    assert opening is not None  # the caller matched it
    name, head, index = opening[1].lower(), opening[3], start + 1
    if name == "details" and not head.strip():  # the summary on a line of its own, perhaps after a blank
        while index < len(lines) and not lines[index].strip():
            index += 1
        head = lines[index] if index < len(lines) and "<summary" in lines[index].lower() else ""
        index += 1 if head else 0
    while head and "</summary" not in head.lower() and index < len(lines) and lines[index].strip():
        head, index = f"{head} {lines[index].strip()}", index + 1
    if head.strip() and not (name == "details" and _SUMMARY.match(head)):
        return False  # more HTML on the opening's lines: CommonMark reads it all as HTML
    if index >= len(lines) or lines[index].strip():
        return False  # no blank line: the rest is HTML too
    return _closed(lines, code, index, name)


def _closed(lines: Sequence[str], code: Sequence[bool], start: int, name: str) -> bool:
    tags = re.compile(rf"<(/?){name}(?=[\s>])", re.IGNORECASE)
    depth = 1
    for index in range(start, len(lines)):
        for tag in [] if code[index] else tags.finditer(lines[index]):
            depth += -1 if tag[1] else 1
            if depth == 0:
                return True
    return False


# --- a list right under a paragraph ---------------------------------------------------------------

# A list item CommonMark lets interrupt a paragraph: a bullet, or the number 1, then text.
_INTERRUPTING_ITEM = re.compile(r"^ {0,3}(?:[-*+]|1[.)])[ \t]+\S")
_ANY_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,9}[.)])(?:[ \t]|$)")
_QUOTE = re.compile(r"^(?:[ \t]*>[ ]?)*")
_ALERT = re.compile(r"[ \t]*\[![A-Za-z]+\][ \t]*")
# A paragraph's first line that is no plain text: indented code, a table, HTML, a heading, an alert.
_NOT_A_PARAGRAPH = re.compile(r"^(?: {4}|\t|[ \t]*(?:\||<|#|\[!|```|~~~))")


def _lists_apart(lines: Sequence[str]) -> list[str]:
    """A blank line (in the same quote) between a paragraph, or a deeper quote, and the list that
    follows it on the next line: CommonMark starts the list there, Python-Markdown would make it
    the paragraph's text (`For each one:` then `* the first` printed as `For each one: * the first`)."""
    marked = list(marked_lines("\n".join(lines)))
    out: list[str] = []
    start = 0  # the first line of the block the line is in
    for index, (line, code) in enumerate(marked):
        quote = _quote_of(line)
        body = line[len(quote):]
        if not body.strip() or code or _ALERT.fullmatch(body):  # an alert's marker heads no paragraph
            start = index + 1
        elif index > start and _INTERRUPTING_ITEM.match(body) and (
                _paragraph(marked, start, index, quote) or len(_quote_of(marked[index - 1][0]).strip()) >
                len(quote.strip())):  # or it ends a quote: it is no lazy line of the quote's paragraph
            out.append(quote.rstrip())
            start = index
        out.append(line)
    return out


def _paragraph(marked: Sequence[tuple[str, bool]], start: int, end: int, quote: str) -> bool:
    """Whether lines *start* to *end* (not included) are a paragraph of plain text in *quote*."""
    if any(_quote_of(line).strip() != quote.strip() for line, _ in marked[start:end]):
        return False
    first = marked[start][0]
    body = first[len(_quote_of(first)):]
    return not (_ANY_ITEM.match(body) or _NOT_A_PARAGRAPH.match(body))


def _quote_of(line: str) -> str:
    """The block-quote markers *line* starts with ("" for none)."""
    found = _QUOTE.match(line)
    return found[0] if found else ""


# --- what a list item holds, indented as Python-Markdown reads it ------------------------------------

# A list item's marker, and the spaces to its text: its content starts where the text does.
_ITEM = re.compile(r"^( *)([-*+]|\d{1,9}[.)])( +|$)")
_BREAK = re.compile(r"^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$")  # * * *: a thematic break, no item
_TAB_STOP = 4  # Python-Markdown's, for every level of a list


@dataclass(frozen=True)
class _Item:
    content: int  # the column its content starts at in the source
    depth: int  # 0 for an item of a list at the top


def _list_indents(lines: Sequence[str]) -> list[str]:
    """Each list item's content (nested lists, paragraphs after a blank line, code) indented by
    4 columns a level, as Python-Markdown reads it: CommonMark (GitHub, GitBook, mdBook, Leanpub)
    indents it as far as the item's text, 2 columns under `* `, 3 under `1. `, and
    Python-Markdown ran a list nested 2 deep into its parent and left such paragraphs out of
    their item. A lazy line (text right under text) stays as written; quoted lines are left alone."""
    marked = list(marked_lines("\n".join(lines)))
    out: list[str] = []
    stack: list[_Item] = []
    previous, previous_code = "", False
    for line, code in marked:
        expanded = _expand_lead(line)
        indent = len(expanded) - len(expanded.lstrip(" "))
        item = None if code or _BREAK.match(expanded) else _ITEM.match(expanded)
        if not line.strip():
            out.append(line)
        elif item and not expanded.lstrip().startswith(">"):
            while stack and indent < stack[-1].content:
                stack.pop()
            spaces = len(item[3]) if item[3] and len(item[3]) <= 4 else 1
            depth = len(stack)
            stack.append(_Item(indent + len(item[2]) + spaces, depth))
            out.append(line if depth == 0 else " " * (_TAB_STOP * depth) + expanded[indent:])
        elif not stack or expanded.lstrip().startswith(">"):
            out.append(line)
        elif previous.strip() and not code and not previous_code:
            out.append(line)  # lazy: the paragraph above goes on
        else:
            while stack and indent < stack[-1].content and not (code and previous_code):  # not in a fence
                stack.pop()
            if not stack:
                out.append(line)
            else:
                top = stack[-1]
                out.append(" " * (_TAB_STOP * (top.depth + 1)) + expanded[min(indent, top.content):])
        previous, previous_code = line, code
    return out


def _expand_lead(line: str) -> str:
    """*line* with the tabs of its indentation made spaces (to 4-column stops)."""
    body = line.lstrip(" \t")
    return line[:len(line) - len(body)].expandtabs(_TAB_STOP) + body


# --- emoji shortcodes ------------------------------------------------------------------------------

# GitBook writes `:man\_shrugging:`, its underscore escaped; a name of digits alone is no emoji's (12:30:45).
_SHORTCODE = re.compile(r"(?<![\w:/]):((?:[a-z0-9+-]|\\?_)*(?:[a-z+-]|\\?_)(?:[a-z0-9+-]|\\?_)*):(?![\w:/])")
# Where a shortcode is not text: inline code, a link's address, an autolink, an HTML tag.
_NOT_TEXT = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)|\]\([^)\n]*\)|<[^<>\n]*>")


def _emoji(lines: Sequence[str]) -> list[str]:
    text = "\n".join(lines)
    return [line if in_code else _with_emoji(line) for line, in_code in marked_lines(text)]


def _with_emoji(line: str) -> str:
    if ":" not in line:
        return line
    pieces, position = [], 0
    for other in _NOT_TEXT.finditer(line):
        pieces += [_SHORTCODE.sub(_character, line[position:other.start()]), other[0]]
        position = other.end()
    return "".join(pieces) + _SHORTCODE.sub(_character, line[position:])


def _character(match: re.Match[str]) -> str:
    return _emoji_index().get(match[1].replace("\\", ""), match[0])


@cache
def _emoji_index() -> dict[str, str]:
    """Shortcode name -> the emoji's characters: GitHub's names (gemoji), then Twemoji's and
    EmojiOne's (GitBook's `:tools:` is theirs). The fully qualified sequence where the index
    has one (`unicode_alt`: with its zero-width joiners and emoji variation selector)."""
    from pymdownx import emoji1_db, gemoji_db, twemoji_db

    index: dict[str, str] = {}
    for db in (emoji1_db, twemoji_db, gemoji_db):  # the last one written wins
        names: dict[str, str] = {}
        for name, entry in db.emoji.items():
            code = entry.get("unicode_alt") or entry["unicode"]
            names[name.strip(":")] = "".join(chr(int(part, 16)) for part in code.split("-"))
        for alias, name in db.aliases.items():
            if name.strip(":") in names:
                names[alias.strip(":")] = names[name.strip(":")]
        index.update(names)
    return index
