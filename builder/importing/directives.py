"""Other tools' template directives -> plain Markdown the builder renders.

In: the text of one Markdown file written for mdBook, GitBook / HonKit or
Leanpub ("plain": only what cannot mean anything else), the file's absolute
path, the source book's BookFolder (every read goes through it: nothing outside
the source book, nothing over the size limit) and, for GitBook, book.json's
variables. Out: an Expanded: the new text, and notes "file:line: what could not
be done and why". Nothing raises on a bad book: a directive that cannot be
carried out is kept as written (in prose with its braces escaped, so it shows as
text) or only its tag is dropped, and noted.

mdBook (its links preprocessor and its HTML renderer, followed line by line):
`{{#include file[:lines|:anchor]}}` and `{{#rustdoc_include …}}` expanded,
recursively, 10 deep, inside code fences too; a printed book shows only the
lines rustdoc_include selects. `{{#playground file attrs}}` becomes a
```` ```rust,attrs ```` fence around the file; `{{#title …}}` goes; `\\{{#…}}`
loses its backslash. In Rust fences, hidden lines (`# …`, `#`) go and `##`
becomes `#`; an info string `rust ignore` becomes `rust,ignore`, the form the
builder reads.

GitBook / HonKit: `{% include "file" %}` expanded (10 deep), `{% hint %}` -> a
GitHub alert (`> [!NOTE]` …), `{% code title lineNumbers %}` -> the title and
line numbers on the fence, `{% tabs %}` -> a bold label per tab, `{% embed url %}`
-> `<url>`, `{% content-ref %}` -> its content, `{% raw %}` -> its content,
literal; `{{ book.x }}` -> the variable. Any other tag is dropped, its content
kept ("plain" keeps it: Jekyll's tags look the same). As in GitBook and HonKit,
which wrap code in {% raw %} before templating, code (fences and inline) is left
alone.

Leanpub (LFM and Markua): `<<[caption](file)` -> a fence around the file,
attribute lines (`{lang=ruby}`, `{title="x"}`, `{linenos=on}`) -> the fence they
precede (other attribute lines go, noted), `W>`, `T>`, `I>`, `E>` asides -> alerts,
`A>`, `B>`, `D>`, `Q>`, `X>` -> admonitions (`!!! question "Question"`), `{aside}`,
`{blurb}`, `{blockquote}` blocks likewise; `{pagebreak}`, `{frontmatter}`,
`{mainmatter}`, `{backmatter}`, `{sample: …}` lines removed; `leanpub-start-insert`
markers in code removed. "plain" leaves asides alone (`Q>` / `A>` may be a dialogue).

Every line of the author's text is kept, in order; a removed directive line
leaves a blank line only where two blocks would otherwise run together.
"""

from __future__ import annotations

import os
import re
from bisect import bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path, PurePosixPath
from typing import Literal

from builder.bookfolder import MAX_TEXT_BYTES, BookFolder, Refused

Flavour = Literal["mdbook", "gitbook", "leanpub", "plain"]
FLAVOURS: tuple[Flavour, ...] = ("mdbook", "gitbook", "leanpub", "plain")
MAX_INCLUDE_DEPTH = 10  # mdBook's MAX_LINK_NESTED_DEPTH; GitBook's includes get the same
# A file that includes itself twice doubles ten times; past this much included text, includes stop.
MAX_INCLUDED_BYTES = MAX_TEXT_BYTES


@dataclass(frozen=True)
class Expanded:
    text: str
    notes: tuple[str, ...]  # "file:line: what could not be done and why"


def expand(text: str, path: Path, folder: BookFolder, flavour: Flavour,
           variables: Mapping[str, str] | None = None, first_line: int = 1) -> Expanded:
    """*text* (the file at *path*, inside *folder*) with the directives of *flavour* carried out.
    *variables*: GitBook's book.json variables, flattened (`{"a.b": "1"}` for `{{ book.a.b }}`);
    without them `{{ book.… }}` is kept and noted (in "plain", not even noted). *first_line*:
    the file's line *text* starts at (after front matter), for the notes."""
    if flavour not in FLAVOURS:
        raise ValueError(f"unknown flavour {flavour!r}; one of {', '.join(FLAVOURS)}")
    run = _Run(folder, flavour, variables)
    lines = _numbered(text.replace("\r\n", "\n").replace("\r", "\n"), path, folder, first_line)
    if flavour in ("mdbook", "plain"):
        lines = _mdbook_code(_mdbook_links(lines, path.parent, 0, run))
    if flavour in ("gitbook", "plain"):
        lines = _gitbook(lines, path, 0, run)
    if flavour in ("leanpub", "plain"):
        lines = _leanpub(lines, path, run)
    return Expanded("\n".join(line.text for line in _settled(lines)), tuple(run.notes))


# --- lines, and where they came from ---------------------------------------------------------------


@dataclass(frozen=True)
class _Line:
    text: str
    where: str  # "chapters/intro.md:12": the source line it came from, for the notes
    separator: bool = False  # a removed directive: a blank line only between two blocks


def _numbered(text: str, path: Path, folder: BookFolder, first: int = 1) -> list[_Line]:
    shown = _shown(path, folder)
    return [_Line(line, f"{shown}:{number}") for number, line in enumerate(text.split("\n"), start=first)]


def _shown(path: Path, folder: BookFolder) -> str:
    normal = Path(os.path.normpath(path))
    for candidate in (normal, Path(os.path.realpath(normal.parent)) / normal.name):
        if candidate.is_relative_to(folder.root):
            return candidate.relative_to(folder.root).as_posix()
    return normal.as_posix()


def _separator(where: str) -> _Line:
    return _Line("", where, separator=True)


def _settled(lines: Sequence[_Line]) -> list[_Line]:
    """The lines with each separator a blank line where it stands between two non-blank
    lines (a paragraph split by a removed tag stays split), gone elsewhere, and with it one of
    two blank lines it stood between."""
    out: list[_Line] = []
    drop_blank = False
    for index, line in enumerate(lines):
        if not line.separator:
            if not (drop_blank and not line.text.strip()):
                out.append(line)
            drop_blank = False
            continue
        after = next((later for later in islice(lines, index + 1, None) if not later.separator), None)
        before_blank = not out or not out[-1].text.strip()
        if not before_blank and after is not None and after.text.strip():
            out.append(_Line("", line.where))
        drop_blank = drop_blank or (bool(out) and before_blank and after is not None)
    return out


def _trimmed(lines: list[_Line]) -> list[_Line]:
    """Without the blank lines at either end."""
    filled = [i for i, line in enumerate(lines) if line.text.strip()]
    return lines[filled[0]:filled[-1] + 1] if filled else []


def _as_rust_lines(lines: list[_Line]) -> list[_Line]:
    """As Rust's str::lines() reads them: a final line ending adds no empty line."""
    return lines[:-1] if lines and not lines[-1].text and not lines[-1].separator else lines


def _escaped(text: str, spans: Sequence[tuple[int, int]] = (), offset: int = 0) -> str:
    """*text* (which starts at *offset* in its line) with its braces escaped outside the code
    *spans*: a directive kept as written must stay visible text, and Python-Markdown's attr_list
    would read a `{…}` that ends a paragraph as the paragraph's attributes (and hide it)."""
    return "".join(f"\\{c}" if c in "{}" and not any(a <= offset + i < b for a, b in spans) else c
                   for i, c in enumerate(text))


def _code_spans(text: str) -> list[tuple[int, int]]:
    return [m.span() for m in _CODE_SPAN.finditer(text)]


@dataclass
class _Run:
    """One expand call: where to read, and what to report."""

    folder: BookFolder
    flavour: Flavour
    variables: Mapping[str, str] | None
    notes: list[str] = field(default_factory=list)
    budget: int = field(default_factory=lambda: MAX_INCLUDED_BYTES)  # read at each call: tests lower it

    def note(self, where: str, message: str) -> None:
        self.notes.append(f"{where}: {message}")

    def read(self, target: Path, where: str, directive: str) -> list[_Line] | None:
        """The lines of an included file, or None (noted) when it cannot be read."""
        if self.budget <= 0:
            self.note(where, f"{directive} is not expanded: the file has grown past "
                             f"{MAX_INCLUDED_BYTES:,} bytes of included text (files that include each "
                             "other?); kept as written")
            return None
        try:
            data = self.folder.read_bytes(target)
        except (Refused, OSError) as exc:
            self.note(where, f"{directive} is not expanded ({_shown(target, self.folder)}: {exc}); "
                             "kept as written")
            return None
        self.budget -= len(data)
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = data.decode("cp1252", errors="replace")
            self.note(where, f"{_shown(target, self.folder)} is not UTF-8; included as Windows-1252: "
                             "check its accented letters")
        return _numbered(text.replace("\r\n", "\n").replace("\r", "\n"), target, self.folder)


# --- code fences -----------------------------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`+)(?!`).*?(?<!`)\1(?!`)")

# An opening fence, perhaps inside block quotes or on a list item's first line.
_FENCE_OPEN = re.compile(
    r"^(?P<lead>(?:[ \t]*>[ ]?)*[ \t]*(?:(?:[-*+]|\d{1,9}[.)])[ \t]+)?)"
    r"(?P<marker>`{3,}(?=[^`]*$)|~{3,})(?P<info>.*)$"
)
_FENCE_CLOSE = re.compile(r"[ \t]*(`{3,}|~{3,})[ \t]*")
_LIST_MARKER = re.compile(r"[-*+]|\d{1,9}[.)]")
_QUOTE_MARKERS = re.compile(r"(?:[ \t]*>[ ]?)+")


@dataclass(frozen=True)
class _Fence:
    start: int  # the opening line
    end: int  # the closing line; the number of lines when the fence is never closed
    lead: str  # what stands before the marker on the opening line: quote markers, a list marker
    marker: str
    info: str


def _fences(texts: Sequence[str]) -> list[_Fence]:
    found: list[_Fence] = []
    index = 0
    while index < len(texts):
        opening = _FENCE_OPEN.match(texts[index])
        if opening is None:
            index += 1
            continue
        lead, marker = opening["lead"], opening["marker"]
        end = index + 1
        while end < len(texts) and not _closes(texts[end], lead, marker):
            end += 1
        found.append(_Fence(index, end, lead, marker, opening["info"]))
        index = end + 1
    return found


def _split_lead(text: str, lead: str) -> tuple[str, str]:
    """(the container markers, the code) of a line inside a fence opened after *lead*."""
    continuation = _LIST_MARKER.sub(lambda m: " " * len(m[0]), lead)
    for candidate in (lead, continuation):
        if text.startswith(candidate):
            return candidate, text[len(candidate):]
    quotes = _QUOTE_MARKERS.match(text)
    if ">" in lead and quotes:  # the same quote, its markers spaced differently
        return text[:quotes.end()], text[quotes.end():]
    return "", text


def _closes(text: str, lead: str, marker: str) -> bool:
    closing = _FENCE_CLOSE.fullmatch(_split_lead(text, lead)[1])
    return closing is not None and closing[1][0] == marker[0] and len(closing[1]) >= len(marker)


def _in_code(texts: Sequence[str]) -> list[bool]:
    """Which lines belong to a fence, its opening and closing lines included."""
    mask = [False] * len(texts)
    for fence in _fences(texts):
        for index in range(fence.start, min(fence.end + 1, len(texts))):
            mask[index] = True
    return mask


def _fence_for(texts: Sequence[str]) -> str:
    """A backtick fence longer than any fence inside *texts*."""
    runs = [len(m[1]) + 1 for text in texts if (m := re.match(r"[ \t]*(`{3,})", text))]
    return "`" * max([3, *runs])


# --- mdBook ----------------------------------------------------------------------------------------

# mdBook's own pattern (links.rs): an escaped directive, or {{#type target and properties}}.
_MDBOOK_LINK = re.compile(r"\\\{\{#.*\}\}|\{\{\s*#([a-zA-Z0-9_]+)\s+([^}]+)\}\}")
_ANCHOR_START = re.compile(r"ANCHOR:\s*([\w-]+)")
_ANCHOR_END = re.compile(r"ANCHOR_END:\s*([\w-]+)")
_NUMBER = re.compile(r"\+?\d+")
# A Rust line rustdoc and mdBook hide: `#` then nothing or a space; `##` stands for `#`.
_BORING = re.compile(r"^(\s*)#(.?)(.*)$")
_MDBOOK_LANGUAGE = re.compile(r"[\w#.+-]+")
_MDBOOK_ATTRIBUTE = re.compile(r"[\w-]+")


@dataclass(frozen=True)
class _Range:
    start: int  # 0-based
    end: int | None  # exclusive; None: to the end


@dataclass(frozen=True)
class _Link:
    kind: str  # "escaped", "title", "include", "rustdoc_include" or "playground"
    text: str  # as written
    target: str = ""
    select: _Range | str = _Range(0, None)  # the lines, or an anchor's name
    attributes: tuple[str, ...] = ()  # playground's


def _mdbook_link(match: re.Match[str]) -> _Link | None:
    if match[1] is None:
        return _Link("escaped", match[0])
    if match[1] == "title":
        return _Link("title", match[0])
    words = match[2].split()
    if not words:
        return None
    if match[1] in ("include", "rustdoc_include"):
        target, _, spec = words[0].partition(":")
        return _Link(match[1], match[0], target, _selection(spec))
    if match[1] in ("playground", "playpen"):
        return _Link("playground", match[0], words[0], attributes=tuple(words[1:]))
    return None


def _selection(spec: str) -> _Range | str:
    """mdBook's parse_range_or_anchor: `2`, `2:10`, `:10`, `2:` (1-based, inclusive) or an anchor."""
    parts = spec.split(":", 2)
    if _NUMBER.fullmatch(parts[0]):
        start: int | None = max(int(parts[0]) - 1, 0)
    elif parts[0]:
        return parts[0]
    else:
        start = None
    end = int(parts[1]) if len(parts) > 1 and _NUMBER.fullmatch(parts[1]) else None
    if start is None:
        return _Range(0, end)
    return _Range(start, start + 1) if len(parts) == 1 else _Range(start, end)


def _mdbook_links(lines: list[_Line], base: Path, depth: int, run: _Run) -> list[_Line]:
    """mdBook's replace_all: each directive replaced by its content, which is expanded in turn."""
    text = "\n".join(line.text for line in lines)
    if "{{" not in text:
        return lines
    starts = [0]
    for line in lines[:-1]:
        starts.append(starts[-1] + len(line.text) + 1)
    code = _in_code([line.text for line in lines])
    out = _Joiner(lines[0].where)
    done = 0
    for match in _MDBOOK_LINK.finditer(text):
        index = bisect_right(starts, match.start()) - 1
        where = lines[index].where
        link = _mdbook_link(match)
        if link is None:
            run.note(where, f"{match[0]} is not an mdBook directive this import knows; kept as written")
        too_deep = link is not None and bool(link.target) and depth >= MAX_INCLUDE_DEPTH
        content = None if link is None or too_deep else _mdbook_content(link, base, where, run)
        if too_deep:
            run.note(where, f"{match[0]} is nested {MAX_INCLUDE_DEPTH} includes deep (a file that includes "
                            "itself?); left out there, as mdBook does")
            content = []
        elif link is None or content is None:  # kept as written, as mdBook keeps it
            column = match.start() - starts[index]
            if not code[index] and not any(a <= column < b for a, b in _code_spans(lines[index].text)):
                out.span(text, done, match.start(), lines, starts)
                out.insert([_Line(_escaped(match[0]), where)])
                done = match.end()
            continue
        elif link.target:
            content = _mdbook_links(content, (base / link.target).parent, depth + 1, run)
        out.span(text, done, match.start(), lines, starts)
        out.insert(_as_rust_lines(content))
        done = match.end()
    out.span(text, done, len(text), lines, starts)
    return out.result()


def _mdbook_content(link: _Link, base: Path, where: str, run: _Run) -> list[_Line] | None:
    if link.kind == "escaped":
        return [_Line(link.text[1:], where)]
    if link.kind == "title":
        return []  # the page's <title>: a book's chapter keeps its heading
    lines = run.read(base / link.target, where, link.text)
    if lines is None:
        return None
    if link.kind == "playground":
        body = _as_rust_lines(lines)
        fence = _fence_for([line.text for line in body])
        info = ",".join(("rust", *link.attributes))
        return [_Line(fence + info, where), *body, _Line(fence, where)]
    return _selected(_as_rust_lines(lines), link, where, run)


def _selected(lines: list[_Line], link: _Link, where: str, run: _Run) -> list[_Line]:
    """The lines an include asks for. For rustdoc_include, mdBook keeps the rest behind `# `
    (hidden on screen); a printed book cannot unhide them, so they are left out."""
    if isinstance(link.select, _Range):
        chosen = lines[link.select.start:link.select.end]
        if not chosen and link.select.start >= len(lines) > 0:
            run.note(where, f"{link.text}: the file has only {len(lines)} lines; nothing included")
        return chosen
    chosen, found, inside = [], False, False
    for line in lines:
        if inside:
            end = _ANCHOR_END.search(line.text)
            if end and end[1] == link.select:
                if link.kind == "include":
                    break
                inside = False  # rustdoc_include: the anchor may open again
            elif not end and not _ANCHOR_START.search(line.text):
                chosen.append(line)  # other anchors' lines are left out, as mdBook does
        else:
            start = _ANCHOR_START.search(line.text)
            if start and start[1] == link.select:
                inside = found = True
    if not found:
        run.note(where, f"{link.text}: no line in the file holds 'ANCHOR: {link.select}'; nothing included")
    return chosen


class _Joiner:
    """Lines put back together from stretches of text and included lines, each line keeping
    where its first piece came from."""

    def __init__(self, where: str) -> None:
        self.done: list[_Line] = []
        self.text = ""
        self.where: str | None = None
        self.default = where

    def _break(self) -> None:
        self.done.append(_Line(self.text, self.where or self.default))
        self.text, self.where = "", None

    def span(self, text: str, start: int, end: int, lines: list[_Line], starts: list[int]) -> None:
        if start >= end:
            return
        first = bisect_right(starts, start) - 1
        for offset, piece in enumerate(text[start:end].split("\n")):
            if offset:
                self._break()
            if self.where is None:
                self.where = lines[first + offset].where
            self.text += piece

    def insert(self, content: list[_Line]) -> None:
        """*content* at the current place; each line after its first repeats what stands before
        the directive on its line (mdBook after 0.5.4: `> ` quotes, list indents and a `# ` that
        hides a whole include keep holding)."""
        prefix = self.text
        for number, line in enumerate(content):
            if number:
                self._break()
                self.text, self.where = prefix, line.where
            elif self.where is None:
                self.where = line.where
            self.text += line.text

    def result(self) -> list[_Line]:
        self._break()
        return self.done


def _mdbook_code(lines: list[_Line]) -> list[_Line]:
    """Fence info strings the builder reads (`rust ignore` -> `rust,ignore`), and the hidden
    lines of Rust code (and of `hidelines=` fences) left out, as mdBook's renderer hides them."""
    out: list[_Line | None] = list(lines)
    for fence in _fences([line.text for line in lines]):
        words = [word for word in re.split(r"[ \t,]+", fence.info) if word]
        if not words:
            continue
        language, attributes = words[0], words[1:]
        prefix = next((a.partition("=")[2] for a in attributes if a.startswith("hidelines=")), "")
        kept = [a for a in attributes if not a.startswith("hidelines=")]
        if (len(words) > 1 and _MDBOOK_LANGUAGE.fullmatch(language)
                and all(_MDBOOK_ATTRIBUTE.fullmatch(a) for a in kept)):
            opening = lines[fence.start]
            head = opening.text[:len(opening.text) - len(fence.info)]
            out[fence.start] = _Line(head + ",".join([language, *kept]), opening.where)
        if language != "rust" and not prefix:
            continue
        for index in range(fence.start + 1, min(fence.end, len(lines))):
            lead, code = _split_lead(lines[index].text, fence.lead)
            if language != "rust":
                if code.lstrip().startswith(prefix):
                    out[index] = None
                continue
            boring = _BORING.match(code)
            if boring and boring[2] == "#":
                out[index] = _Line(lead + boring[1] + "#" + boring[3], lines[index].where)
            elif boring and boring[2] in ("", " "):
                out[index] = None
    return [line for line in out if line is not None]


# --- GitBook / HonKit ------------------------------------------------------------------------------

_GITBOOK_TOKEN = re.compile(
    r"\{%-?\s*(?P<tag>[A-Za-z][\w-]*)(?P<args>.*?)\s*-?%\}"  # {% tag args %}
    r"|\{\{-?\s*(?P<output>(?!#)[^{}]*?)\s*-?\}\}"  # {{ book.x }} (not mdBook's {{#…}})
    r"|\{#.*?#\}"  # {# a comment #}
)
_ENDRAW = re.compile(r"\{%-?\s*endraw\s*-?%\}")
_ATTRIBUTE = re.compile(r"([\w-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s\"']+))")
_QUOTED_NAME = re.compile(r"\s*(?:\"([^\"]*)\"|'([^']*)')")
_BLOCKS = ("hint", "code")  # their content is changed as a whole
# Tags whose own text simply goes: the content around them stays as it is.
_DROPPED = frozenset({"tabs", "endtabs", "endtab", "content-ref", "endcontent-ref", "endembed", "endfile"})
_HINT_ALERTS = {"info": "NOTE", "success": "TIP", "tip": "TIP", "warning": "WARNING", "danger": "CAUTION",
                "working": "NOTE"}  # GitBook's four styles; HonKit's hints plugin's tip and working


@dataclass(frozen=True)
class _Tag:
    name: str  # "hint", "endhint", "code", "endcode"
    attributes: dict[str, str]
    text: str  # as written
    where: str


def _attributes(args: str) -> dict[str, str]:
    return {m[1]: next(v for v in (m[2], m[3], m[4]) if v is not None) for m in _ATTRIBUTE.finditer(args)}


def _gitbook(lines: list[_Line], path: Path, depth: int, run: _Run) -> list[_Line]:
    items = _GitBookLines(path, depth, run).read(lines)
    return _gitbook_blocks(items, run)


class _GitBookLines:
    """GitBook's tags read line by line (outside code, as GitBook escapes code from its
    templating), the ones that work on a single place carried out: includes, raw, tabs,
    embeds, variables; hints and code blocks left as _Tag items for _gitbook_blocks."""

    def __init__(self, path: Path, depth: int, run: _Run) -> None:
        self.path, self.depth, self.run = path, depth, run
        self.items: list[_Line | _Tag] = []
        self.raw_from = ""  # where the open {% raw %} is; "" when none is open
        self.where = ""  # where the line being read came from (an include moves it on)

    def read(self, lines: list[_Line]) -> list[_Line | _Tag]:
        code = _in_code([line.text for line in lines])
        for index, line in enumerate(lines):
            if line.separator or (code[index] and not self.raw_from) or "{" not in line.text:
                self.items.append(line)
            else:
                self._line(line, code[index])
        if self.raw_from:
            self.run.note(self.raw_from, "{% raw %} is never closed by {% endraw %}; the rest of the file "
                                         "is kept literally")
        return self.items

    def _line(self, line: _Line, in_code: bool) -> None:
        """One line that holds a brace: outside code, or inside code in an open {% raw %}."""
        text, self.where = line.text, line.where
        spans = [(0, len(text))] if in_code else _code_spans(text)
        pieces: list[str] = []
        tagged = False  # a tag went from this line: if nothing else is left, the line goes too
        position = 0
        while True:
            if self.raw_from:
                end = _ENDRAW.search(text, position)
                stop = len(text) if end is None else end.start()
                pieces.append(_escaped(text[position:stop], spans, position))  # literal, as in GitBook
                if end is None:
                    break
                position, self.raw_from, tagged = end.end(), "", True
                if in_code:
                    pieces.append(text[position:])
                    break
                continue
            token = next((m for m in _GITBOOK_TOKEN.finditer(text, position)
                          if not any(a <= m.start() < b for a, b in spans)), None)
            if token is None:
                pieces.append(text[position:])
                break
            pieces.append(text[position:token.start()])
            position = token.end()
            replacement = self._token(token, pieces)
            if replacement is None:
                tagged = True
            else:
                pieces.append(replacement)
        rest = "".join(pieces)
        if rest.strip() or not tagged:
            self.items.append(_Line(rest, self.where))
        elif not (self.items and isinstance(self.items[-1], _Tag)):
            self.items.append(_separator(self.where))

    def _flush(self, pieces: list[str]) -> None:
        """The text before a block tag on its line, as a line of its own."""
        if "".join(pieces).strip():
            self.items.append(_Line("".join(pieces), self.where))
        pieces.clear()

    def _token(self, token: re.Match[str], pieces: list[str]) -> str | None:
        """What replaces *token*: text, or None when it simply goes (having perhaps added items)."""
        name, run, where = token["tag"], self.run, self.where
        if name is None and token["output"] is not None:
            return self._output(token[0], token["output"], where)
        if name is None:
            run.note(where, f"the template comment {token[0]} is left out")
            return None
        args = token["args"]
        if name == "raw":
            self.raw_from = where
            return None
        if name in _BLOCKS or name.removeprefix("end") in _BLOCKS:
            self._flush(pieces)
            self.items.append(_Tag(name, _attributes(args), token[0], where))
            return None
        if name == "include":
            return self._include(token[0], args, pieces)
        if name == "tab":
            self._flush(pieces)
            title = _attributes(args).get("title", "").strip()
            if title:
                self.items += [_separator(where), _Line(f"**{title}**", where), _separator(where)]
            else:
                self.items.append(_separator(where))
            return None
        if name in ("page-ref", "file"):
            self._card(name, token[0], _attributes(args), pieces)
            return None
        if name == "embed":
            url = _attributes(args).get("url", "")
            if url:
                return f"<{url}>"
            run.note(where, f"{token[0]} names no url; left out")
            return None
        if name in _DROPPED:
            return None
        if name == "endraw":
            run.note(where, "{% endraw %} closes no {% raw %}; left out")
            return None
        if run.flavour == "plain":
            run.note(where, f"{token[0]} looks like a template tag; not a GitBook one this import knows, "
                            "so it is kept as written")
            return _escaped(token[0])
        if not name.startswith("end"):
            run.note(where, f"the GitBook tag {{% {name} %}} is not one this import knows; the tag (and its "
                            f"{{% end{name} %}}, if any) is left out, what it holds is kept")
        return None

    def _card(self, name: str, written: str, attributes: Mapping[str, str], pieces: list[str]) -> None:
        """GitBook's card for a page (`{% page-ref page="x" %}`) or a file to download
        (`{% file src="x" %}`): a paragraph with a link to it, named by the page's heading or the
        file's name (the links stage points it at the chapter, or at the web copy)."""
        key = "page" if name == "page-ref" else "src"
        target = attributes.get(key, "").strip()
        if not target:
            self.run.note(self.where, f"{written} names no {key}; left out")
            return
        label = self._page_title(target) if name == "page-ref" else ""
        label = label or PurePosixPath(target.rstrip("/")).name or target
        self._flush(pieces)
        self.items += [_separator(self.where), _Line(f"[{_link_label(label)}](<{target}>)", self.where),
                       _separator(self.where)]

    def _page_title(self, page: str) -> str:
        """The first heading of the page a page-ref names ("" when it cannot be read)."""
        path = self.run.folder.root / page.lstrip("/") if page.startswith("/") else self.path.parent / page
        if page.endswith("/") or not PurePosixPath(page).suffix:
            path = path / "README.md"
        try:
            text = self.run.folder.read_bytes(path).decode("utf-8-sig", errors="replace")
        except (Refused, OSError):
            return ""
        code = _in_code(text.split("\n"))
        return next((heading[1] for number, line in enumerate(text.split("\n"))
                     if not code[number] and (heading := _ATX_TITLE.match(line))), "")

    def _output(self, written: str, expression: str, where: str) -> str:
        variables, run = self.run.variables, self.run
        if run.flavour == "plain" and variables is None:
            return _escaped(written)
        name = expression.removeprefix("book.") if re.fullmatch(r"book\.[\w.]+", expression) else ""
        if name and variables is not None and name in variables:
            return variables[name]
        why = ("no such variable in book.json" if name and variables is not None
               else "no book.json variables were given" if name
               else "only {{ book.name }} variables are filled in")
        run.note(where, f"{written} is kept as written: {why}")
        return _escaped(written)

    def _include(self, written: str, args: str, pieces: list[str]) -> str | None:
        run, where = self.run, self.where
        quoted = _QUOTED_NAME.match(args)
        name = (quoted[1] if quoted[1] is not None else quoted[2]) if quoted else ""
        if not name or re.match(r"[a-z][a-z0-9+.-]*:", name):
            why = "it names no file in quotes" if not name else "it is from another book or the web"
            run.note(where, f"{written} is not expanded: {why}; kept as written")
            return _escaped(written)
        target = run.folder.root / name.lstrip("/") if name.startswith("/") else self.path.parent / name
        if self.depth >= MAX_INCLUDE_DEPTH:
            run.note(where, f"{written} is nested {MAX_INCLUDE_DEPTH} includes deep (a file that includes "
                            "itself?); left out there")
            return None
        lines = run.read(target, where, written)
        if lines is None:
            return _escaped(written)
        content = _as_rust_lines(_gitbook(lines, target, self.depth + 1, run))
        if not content:
            return None
        # Nunjucks puts the text in place: its first line joins the text before the tag,
        # its last the text after it.
        pieces.append(content[0].text)
        for line in content[1:]:
            self.items.append(_Line("".join(pieces), self.where))
            pieces[:] = [line.text]
            self.where = line.where
        return ""


_ATX_TITLE = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$")


def _link_label(text: str) -> str:
    """*text* as a link's text: its brackets escaped, HTML (GitBook's heading anchors) left out."""
    plain = " ".join(re.sub(r"<[^>]*>", "", text).split())
    return re.sub(r"([\[\]\\])", r"\\\1", plain)


def _gitbook_blocks(items: list[_Line | _Tag], run: _Run) -> list[_Line]:
    """Hints become alerts, code blocks give their title to the fence inside."""
    out: list[_Line] = []
    stack: list[tuple[_Tag, list[_Line]]] = []
    for item in items:
        if isinstance(item, _Line):
            (stack[-1][1] if stack else out).append(item)
        elif item.name in _BLOCKS:
            stack.append((item, []))
        elif stack and stack[-1][0].name == item.name.removeprefix("end"):
            tag, body = stack.pop()
            (stack[-1][1] if stack else out).extend(_gitbook_block(tag, body, run))
        else:
            run.note(item.where, f"{item.text} closes no {{% {item.name.removeprefix('end')} %}}; left out")
    while stack:
        tag, body = stack.pop()
        run.note(tag.where, f"{tag.text} is never closed; it ends with the file")
        (stack[-1][1] if stack else out).extend(_gitbook_block(tag, body, run))
    return out


def _gitbook_block(tag: _Tag, body: list[_Line], run: _Run) -> list[_Line]:
    if tag.name == "hint":
        style = tag.attributes.get("style", "info")
        kind = _HINT_ALERTS.get(style)
        if kind is None:
            run.note(tag.where, f"{tag.text}: the style {style!r} is not GitBook's; shown as a note")
        return _boxed(kind or "NOTE", "", body, tag.where)
    fence = next(iter(_fences([line.text for line in body])), None)
    if fence is None:
        run.note(tag.where, f"{tag.text} holds no code fence; its title is left out")
        return body
    options = []
    if tag.attributes.get("title", "").strip():
        options.append(_fence_title(tag.attributes["title"]))
    if tag.attributes.get("lineNumbers", "").lower() == "true":
        options.append('linenums="1"')
    opening = body[fence.start]
    body = [*body[:fence.start], _Line(_with_options(opening.text, fence, options), opening.where),
            *body[fence.start + 1:]]
    return [_separator(tag.where), *_trimmed(_settled(body)), _separator(tag.where)]


def _fence_title(title: str) -> str:
    # superfences reads title="…" up to the next double quote
    return 'title="' + title.strip().replace('"', "'") + '"'


def _with_options(opening: str, fence: _Fence, options: Sequence[str]) -> str:
    """The fence's opening line with superfences options (title="x", linenums="1") added."""
    present = fence.info.strip()
    wanted = [o for o in options if o.partition("=")[0] + "=" not in present]
    if not wanted:
        return opening
    head = opening[:len(opening) - len(fence.info)]
    return head + " ".join(filter(None, (present, *wanted))) if present else head + " " + " ".join(wanted)


_ALERTS = frozenset({"NOTE", "TIP", "IMPORTANT", "WARNING", "CAUTION"})  # GitHub's, the builder's


def _boxed(kind: str, title: str, body: list[_Line], where: str) -> list[_Line]:
    """*body* as a GitHub alert (`> [!NOTE]` and every line quoted) for GitHub's five kinds,
    else as an admonition (`!!! question "Question"` and every line indented), which the house
    style boxes the same way (a block quote would merge with the next one). A fence inside is
    kept apart from the text around it: the builder reads it there only as a block of its own."""
    lines = _trimmed(_settled(body))
    alert = kind in _ALERTS
    head = _Line(f"> [!{kind}]" if alert else f'!!! {kind.lower()} "{title}"', where)
    blank = ">" if alert else ""
    fences = _fences([line.text for line in lines])
    opens, closes = {f.start for f in fences}, {f.end for f in fences}
    boxed: list[_Line] = []
    for index, line in enumerate(lines):
        if index in opens and boxed and boxed[-1].text != blank:
            boxed.append(_Line(blank, line.where))
        if not line.text.strip():
            boxed.append(_Line(blank, line.where))
        else:
            boxed.append(_Line(("> " if alert else "    ") + line.text, line.where))
        if index in closes and index + 1 < len(lines) and lines[index + 1].text.strip():
            boxed.append(_Line(blank, line.where))
    return [_separator(where), head, *boxed, _separator(where)]


# --- Leanpub ---------------------------------------------------------------------------------------

_MATTER = re.compile(r"[ \t]*\{(?:pagebreak|frontmatter|mainmatter|backmatter|sample:[^{}]*)\}[ \t]*",
                     re.IGNORECASE)
_ATTRIBUTE_LINE = re.compile(r"[ \t]*\{([A-Za-z][\w-]*[ \t]*[:=][^{}]*)\}[ \t]*")
_ATTRIBUTE_ENTRY = re.compile(r"([A-Za-z][\w-]*)[ \t]*[:=][ \t]*(\"[^\"]*\"|'[^']*'|[^,\"']*)")
_CODE_INCLUDE = re.compile(r"[ \t]*<<(?:\[([^\]]*)\])?\(([^()\s]+)\)[ \t]*")
_INSERT_MARKER = re.compile(r"[ \t]*leanpub-(?:start|end)-(?:insert|delete)[ \t]*")
_ASIDE_LINE = re.compile(r"([ABDEIQTWX])>(?: (.*)|[ \t]*$)")
_BLOCK_OPEN = re.compile(r"[ \t]*\{(aside|blurb|blockquote)(?:[ \t]*,[ \t]*class:[ \t]*\"?(\w+)\"?)?\}[ \t]*")
# letter -> (kind, title): GitHub alerts where Leanpub's icon means what one of them means, else
# admonitions of Leanpub's own kinds, titled as Leanpub's icons say (an aside and a blurb have none).
_ASIDES: dict[str, tuple[str, str]] = {
    "A": ("aside", ""), "B": ("blurb", ""), "D": ("discussion", "Discussion"), "E": ("CAUTION", ""),
    "I": ("NOTE", ""), "Q": ("question", "Question"), "T": ("TIP", ""), "W": ("WARNING", ""),
    "X": ("exercise", "Exercise"),
}
_BLURB_CLASSES = {"warning": "W", "tip": "T", "error": "E", "information": "I", "info": "I",
                  "question": "Q", "discussion": "D", "exercise": "X"}
_LANGUAGE_KEYS = ("lang", "format", "language")
_FENCE_KEYS = frozenset({*_LANGUAGE_KEYS, "title", "linenos", "line-numbers"})


def _leanpub(lines: list[_Line], path: Path, run: _Run) -> list[_Line]:
    texts = [line.text for line in lines]
    fences = _fences(texts)
    starts = {fence.start: fence for fence in fences}
    code = _in_code(texts)
    leanpub = run.flavour == "leanpub"
    out: list[_Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else None
        attributes = _attribute_line(line.text) if not code[index] else None
        if code[index] or line.separator:
            if not (leanpub and code[index] and _INSERT_MARKER.fullmatch(line.text)):
                out.append(line)
        elif _MATTER.fullmatch(line.text):
            out.append(_separator(line.where))
        elif attributes is not None and index + 1 in starts and following is not None:
            fence = starts[index + 1]
            out.append(_Line(_fence_opening(following.text, fence, attributes), following.where))
            index += 1
        elif attributes is not None and following is not None and _CODE_INCLUDE.fullmatch(following.text):
            out.extend(_code_include(following, attributes, path, run))
            index += 1
        elif attributes is not None and leanpub:
            run.note(line.where, f"the attribute line {line.text.strip()} is left out (the builder has "
                                 "no use for it here)")
            out.append(_separator(line.where))
        elif _CODE_INCLUDE.fullmatch(line.text):
            out.extend(_code_include(line, {}, path, run))
        elif leanpub and _ASIDE_LINE.match(line.text):
            letter, body = line.text[0], []
            while index < len(lines) and (aside := _ASIDE_LINE.match(lines[index].text)):
                if aside[1] != letter:
                    break
                body.append(_Line(aside[2] or "", lines[index].where))
                index += 1
            out.extend(_boxed(*_ASIDES[letter], body, line.where))
            continue
        elif leanpub and (block := _BLOCK_OPEN.fullmatch(line.text)):
            index = _markua_block(lines, index, block, out, run)
        else:
            out.append(line)
        index += 1
    return out


def _markua_block(lines: list[_Line], index: int, block: re.Match[str], out: list[_Line], run: _Run) -> int:
    """`{aside}` … `{/aside}` (and blurb, blockquote) as _boxed renders it; the index of its last line."""
    closing = re.compile(r"[ \t]*\{/" + block[1] + r"\}[ \t]*")
    end = next((i for i in range(index + 1, len(lines)) if closing.fullmatch(lines[i].text)), None)
    if end is None:
        run.note(lines[index].where, f"{lines[index].text.strip()} is never closed by {{/{block[1]}}}; "
                                     "left as it is")
        out.append(_Line(_escaped(lines[index].text), lines[index].where))
        return index
    body, where = lines[index + 1:end], lines[index].where
    if block[1] == "blockquote":
        quoted = [_Line(f"> {line.text}" if line.text.strip() else ">", line.where)
                  for line in _trimmed(_settled(body))]
        out.extend([_separator(where), *quoted, _separator(where)])
    else:
        letter = _BLURB_CLASSES.get((block[2] or "").lower(), "A" if block[1] == "aside" else "B")
        out.extend(_boxed(*_ASIDES[letter], body, where))
    return end


def _attribute_line(text: str) -> dict[str, str] | None:
    """`{lang=ruby, title="x"}` or Markua's `{format: ruby}` as a dict; None for any other line."""
    line = _ATTRIBUTE_LINE.fullmatch(text)
    if line is None:
        return None
    entries = [m for m in _ATTRIBUTE_ENTRY.finditer(line[1])]
    return {m[1].lower(): m[2].strip().strip("\"'") for m in entries}


def _fence_options(attributes: Mapping[str, str], caption: str = "") -> list[str]:
    options = []
    title = attributes.get("title", "").strip() or caption.strip()
    if title:
        options.append(_fence_title(title))
    numbers = attributes.get("linenos", attributes.get("line-numbers", "")).lower()
    if numbers in ("on", "true", "yes"):
        options.append('linenums="1"')
    return options


def _language_of(attributes: Mapping[str, str]) -> str:
    language = next((attributes[k] for k in _LANGUAGE_KEYS if attributes.get(k)), "")
    return "" if language == "guess" else language


def _fence_opening(opening: str, fence: _Fence, attributes: Mapping[str, str]) -> str:
    """A fence's opening line with the attribute line before it folded in."""
    language = _language_of(attributes)
    if language and not fence.info.strip():
        opening = opening.rstrip() + language
        fence = _Fence(fence.start, fence.end, fence.lead, fence.marker, language)
    return _with_options(opening, fence, _fence_options(attributes))


def _code_include(line: _Line, attributes: Mapping[str, str], path: Path, run: _Run) -> list[_Line]:
    """`<<[caption](file)`: a fence around the file (Leanpub looks for it beside the chapter,
    at the top of the manuscript, and in Markua's resources folder)."""
    match = _CODE_INCLUDE.fullmatch(line.text)
    assert match is not None  # the caller matched it
    caption, name = match[1] or "", match[2]
    candidates = [path.parent / name, run.folder.root / name, run.folder.root / "resources" / name]
    target = next((c for c in candidates if os.path.lexists(c)), candidates[0])
    lines = run.read(target, line.where, line.text.strip())
    if lines is None:
        return [line]
    body = _as_rust_lines(lines)
    fence = _fence_for([b.text for b in body])
    info = " ".join(filter(None, (_language_of(attributes) or _language_for(name),
                                  *_fence_options(attributes, caption))))
    return [_separator(line.where), _Line(fence + info, line.where), *body, _Line(fence, line.where),
            _separator(line.where)]


def _language_for(name: str) -> str:
    """The highlighter's name for a file's language, from its name ("" when it has none)."""
    from pygments.lexers import get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        return str(get_lexer_for_filename(Path(name).name).aliases[0])
    except (ClassNotFound, IndexError):
        return ""
