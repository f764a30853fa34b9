"""Our Python-Markdown extensions: placeholders, mdBook's fence info, CommonMark's escapes, index markers.

Placeholders. In: a Markdown block that is exactly `[[name]]` on its own.
Out: an empty `<div data-placeholder="name"/>` in the tree, which the
manuscript stage turns into a body part the template fills (the author table
is rendered by the shared template from book/author.toml, not by Markdown).

Fence info strings. In: a fence opening whose language carries mdBook's
comma-separated attributes (```` ```rust,ignore ````, `rust,no_run`,
`rust,editable`). Out: the same fence with the bare language, which superfences
reads as code (the attributes only tell mdBook how to test the code).

Escapes. In: a backslash before any ASCII punctuation character (`\\<app>`, `\\:`, `\\/`).
Out: the character, as CommonMark (and so GitHub, GitBook and mdBook) reads it; Python-Markdown
alone escapes only some (`\\<app>` printed a backslash and dropped `<app>` as an unknown tag).

Index markers. In: `{^ term}`, `{^ term!sub-entry}`, `{^ term|see other}` or
`{^ term|see also other}` in running text (as LaTeX's \\index{term!sub},
\\index{term|see{other}}); never in code, which Python-Markdown sets aside first.
Out: an empty `<span class="index-marker" data-index="term!sub…"/>` where it stood,
which builder.manuscript.index reads, names and gathers into the book's index.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from pymdownx.util import escape_chars

PLACEHOLDER = re.compile(r"^\[\[([a-z][a-z0-9-]*)\]\]$")
# Above the paragraph processor (10) so the line is never read as text.
PLACEHOLDER_PRIORITY = 95


class PlaceholderProcessor(BlockProcessor):
    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(PLACEHOLDER.match(block.strip()))

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        match = PLACEHOLDER.match(blocks.pop(0).strip())
        assert match is not None  # test() accepted the block
        element = etree.SubElement(parent, "div")
        element.set("data-placeholder", match[1])
        return True


class PlaceholderExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        parser: BlockParser = md.parser
        parser.blockprocessors.register(
            PlaceholderProcessor(parser), "builder-placeholder", PLACEHOLDER_PRIORITY
        )


# An opening fence, perhaps inside quotes or list items, whose language has ,attributes.
MDBOOK_FENCE = re.compile(
    r"^(?P<lead>[ \t>]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<lang>[\w#.+-]+)(?:,[\w-]+)+[ \t]*$")
QUOTED_BLANK = re.compile(r"^((?:[ \t]*>)+)[ \t]+$")
QUOTE_WITHOUT_SPACE = re.compile(r"^((?:[ \t]*>)+)(?=[^\s>])")
LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
ANY_FENCE = re.compile(r"^(?P<lead>[ \t>]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
# Before superfences (priority 25 when it stashes fenced blocks).
FENCE_INFO_PRIORITY = 40


class FenceInfoPreprocessor(Preprocessor):
    """mdBook's `rust,ignore` info strings made a bare language, on opening fences only: a
    fence shown inside another fence's code is code, kept as written."""

    def run(self, lines: list[str]) -> list[str]:
        out, open_fence, quoted, before = [], "", False, ""
        for line in lines:
            if not open_fence or quoted:
                # `>```` and `> ```` are the same quote marker to Markdown, but superfences
                # loses a quoted fence whose closing line has no space after its `>` once the
                # code holds a blank line; so every quoted line gets its space.
                line = QUOTE_WITHOUT_SPACE.sub(r"\1 ", QUOTED_BLANK.sub(r"\1", line))
            marks = ANY_FENCE.match(line)
            if open_fence:
                if marks and marks["fence"][0] == open_fence[0] and len(marks["fence"]) >= len(open_fence) \
                        and not marks["info"].strip():
                    open_fence = ""
            elif marks and not _in_indented_code(marks["lead"], before):
                open_fence, quoted = marks["fence"], ">" in marks["lead"]
                line = MDBOOK_FENCE.sub(r"\g<lead>\g<fence>\g<lang>", line)
            out.append(line)
            before = line if line.strip() else before
        return out


def _in_indented_code(lead: str, before: str) -> bool:
    """Whether a line with this *lead* is indented code: four columns deeper than the text
    before it, which is no list item it could belong to."""
    width = len(lead.expandtabs(4))
    if width < 4 or ">" in lead:
        return False
    above = len(before) - len(before.lstrip(" \t"))
    return not LIST_ITEM.match(before) and width - above >= 4


class FenceInfoExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.preprocessors.register(FenceInfoPreprocessor(md), "builder-fence-info", FENCE_INFO_PRIORITY)


# CommonMark's backslash escapes: every ASCII punctuation character.
COMMONMARK_ESCAPES = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"


class CommonMarkEscapesExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        escape_chars(md, list(COMMONMARK_ESCAPES))


# `{^ …}`: the braces hold no brace; the text may run over a line break.
INDEX_MARKER = r"\{\^[ \t\n]*([^{}]+?)[ \t\n]*\}"
INDEX_MARKER_CLASS = "index-marker"
# Below backticks and escapes (code and \{ stay as written), above links (a marker may
# stand inside a link's text) and the emphasis and caret patterns.
INDEX_MARKER_PRIORITY = 175


class IndexMarkerProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]
        element = etree.Element("span")
        element.set("class", INDEX_MARKER_CLASS)
        element.set("data-index", " ".join(m[1].split()))
        return element, m.start(0), m.end(0)


class IndexMarkerExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(IndexMarkerProcessor(INDEX_MARKER, md), "builder-index-marker",
                                   INDEX_MARKER_PRIORITY)
