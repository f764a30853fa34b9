"""What GitHub and GitBook render that Python-Markdown reads otherwise -> the builder's Markdown.

In: one chapter's text, its directives already carried out (builder.importing.directives),
and the flavour of its source. Out: the same text with

- each `<details>` block whose body is Markdown (CommonMark ends the HTML block at the
  first blank line, so GitHub, GitBook and mdBook convert what follows it) made a
  pymdownx.details block, `??? "Summary"` (`???+` when open) with its body indented under
  it: Python-Markdown keeps the whole `<details>` … `</details>` as raw HTML, and its
  Markdown (code, lists, links, emphasis) would be printed as written. A block that is
  HTML throughout, or that never closes, is left as it is (check reports the latter);
- for GitBook and plain (GitHub) sources, emoji shortcodes (`:bulb:`, `:warning:`) outside
  code made the characters they stand for, by pymdownx's emoji indexes (GitHub's names
  first); a name in no index is left as written. mdBook and Leanpub print them as text.

Nothing is read and nothing is noted: what is left as it is, the builder's check reports.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from builder.importing.directives import Flavour
from builder.importing.text import marked_lines

_DETAILS_OPEN = re.compile(r"^([ \t]*)<details(\s+[^>]*)?>(.*)$", re.IGNORECASE)
_DETAILS_CLOSE = re.compile(r"</details\s*>[ \t]*$", re.IGNORECASE)
_DETAILS_ANY = re.compile(r"<(/?)details(?=[\s>])", re.IGNORECASE)
_SUMMARY = re.compile(r"^[ \t]*<summary\b[^>]*>(.*?)</summary\s*>[ \t]*$", re.IGNORECASE | re.DOTALL)
_OPEN_ATTRIBUTE = re.compile(r"\bopen\b", re.IGNORECASE)
_INDENT = "    "


def to_builder(text: str, flavour: Flavour) -> str:
    """*text* with its `<details>` blocks, and for GitBook and GitHub its emoji shortcodes, made
    what the builder reads the same way."""
    lines = _details(text.split("\n"))
    if flavour in ("gitbook", "plain"):
        lines = _emoji(lines)
    return "\n".join(lines)


# --- <details> -------------------------------------------------------------------------------------


def _details(lines: Sequence[str]) -> list[str]:
    code = [in_code for _, in_code in marked_lines("\n".join(lines))]
    out: list[str] = []
    index = 0
    while index < len(lines):
        block = None if code[index] else _details_block(lines, code, index)
        if block is None:
            out.append(lines[index])
            index += 1
            continue
        lead, is_open, summary, body, after = block
        if out and out[-1].strip():
            out.append("")
        out.append(f'{lead}???{"+" if is_open else ""} "{_title(summary)}"')
        out += [f"{lead}{_INDENT}{line[_common_lead(line, lead):]}" if line.strip() else ""
                for line in _details(body)]
        if after < len(lines) and lines[after].strip():
            out.append("")
        index = after
    return out


def _details_block(lines: Sequence[str], code: Sequence[bool],
                   start: int) -> tuple[str, bool, str, list[str], int] | None:
    """(the lead, open?, the summary's inner HTML, the body's lines, the index after the block)
    for a `<details>` opening at *start* whose body is Markdown; None for any other line."""
    opening = _DETAILS_OPEN.match(lines[start])
    if opening is None:
        return None
    lead, is_open = opening[1], bool(_OPEN_ATTRIBUTE.search(opening[2] or ""))
    head, index = opening[3], start + 1
    if not head.strip():  # the summary on a line of its own, perhaps after a blank line
        while index < len(lines) and not lines[index].strip():
            index += 1
        head = lines[index] if index < len(lines) and "<summary" in lines[index].lower() else ""
        index += 1 if head else 0
    while head and "</summary" not in head.lower() and index < len(lines) and lines[index].strip():
        head, index = f"{head} {lines[index].strip()}", index + 1
    summary = _SUMMARY.match(head) if head.strip() else None
    if head.strip() and summary is None:
        return None  # more HTML than a summary: the block is HTML, not Markdown
    if index >= len(lines) or lines[index].strip():
        return None  # no blank line: CommonMark reads the rest as HTML too
    close = _closing(lines, code, index)
    if close is None:
        return None
    body = list(lines[index:close])
    last = _DETAILS_CLOSE.sub("", lines[close])
    if last.strip():
        body.append(last)
    while body and not body[0].strip():
        body.pop(0)
    while body and not body[-1].strip():
        body.pop()
    return lead, is_open, summary[1] if summary else "", body, close + 1


def _closing(lines: Sequence[str], code: Sequence[bool], start: int) -> int | None:
    """The line that closes the `<details>` open before *start* (nested ones counted), outside code."""
    depth = 1
    for index in range(start, len(lines)):
        if code[index]:
            continue
        for tag in _DETAILS_ANY.finditer(lines[index]):
            depth += -1 if tag[1] else 1
            if depth == 0:
                return index if _DETAILS_CLOSE.search(lines[index]) else None
    return None


def _title(summary: str) -> str:
    """The summary as pymdownx.details' title: one line, its HTML kept (the builder renders it),
    a leading # escaped (pymdownx would make it a heading)."""
    title = " ".join(summary.split()) or "Details"  # GitHub's word for a block without a summary
    return "\\" + title if title.startswith("#") else title


def _common_lead(line: str, lead: str) -> int:
    """How much of *lead* (the opening's indentation) *line* starts with."""
    count = 0
    while count < len(lead) and count < len(line) and line[count] == lead[count]:
        count += 1
    return count


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
