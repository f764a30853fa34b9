"""Markdown -> HTML: the one Python-Markdown set-up both the build and the importer use.

In: nothing (the extensions and their settings are fixed here). Out: a new
converter, and a string naming everything besides the text that shapes its
output (the cache key's salt); and, for its output, the check that nothing
Python-Markdown set aside was left behind in it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import markdown

from builder import checks
from builder.errors import Location, Problems
from builder.manuscript.citations import CitationExtension, NarrativeExtension
from builder.manuscript.math import ARITHMATEX_CONFIG
from builder.markdown_ext import (
    CommonMarkEscapesExtension,
    FenceInfoExtension,
    IndexMarkerExtension,
    PlaceholderExtension,
)

# Python-Markdown sets pieces aside between these marks and puts them back at the end.
_SET_ASIDE = re.compile("[\x02\x03]")
_ADDRESS_SETTING_ASIDE = re.compile('href="([^"\x02]*)[^"]*\x02')

# Python-Markdown with the extension set MkDocs Material authors write for
# (pymdown-extensions), so a book's Markdown reads as it does on their sites.
MARKDOWN_EXTENSIONS: list[Any] = [
    "pymdownx.superfences",  # fences anywhere (lists, quotes, details), any info string, attributes
    "pymdownx.highlight",  # Pygments; line numbers and marked lines on request
    "pymdownx.details",  # ??? collapsible notes (open in print)
    "pymdownx.tasklist",  # - [x] done
    "pymdownx.tilde",  # ~~deleted~~, H~2~O
    "pymdownx.caret",  # ^^inserted^^, x^2^
    "pymdownx.mark",  # ==marked==
    "pymdownx.arithmatex",  # $…$ and $$…$$ found (never in code), typeset by builder.manuscript.math
    "admonition",  # !!! note "Title"
    "github-callouts",  # > [!NOTE], GitHub's alerts, as admonitions
    "tables",
    "footnotes",
    "attr_list",
    "def_list",
    "md_in_html",  # <details markdown="1">: Markdown inside an HTML block (the importer marks GitHub's)
    "smarty",
    "toc",
    "sane_lists",
    PlaceholderExtension(),
    CitationExtension(),  # [@key, p. 12]: builder.manuscript.citations
    NarrativeExtension(),  # @key [p. 12]: the same
    FenceInfoExtension(),
    CommonMarkEscapesExtension(),  # \< and every ASCII punctuation escaped, as CommonMark reads it
    IndexMarkerExtension(),  # {^ term!sub}: builder.manuscript.index
]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    # Colons in ids are legal HTML but awkward in CSS and XML tools.
    "footnotes": {"SEPARATOR": "-", "BACKLINK_TITLE": "Back to reference %d"},
    "toc": {"permalink": False},
    # Pygments marks tokens with short classes; the house base.css colours them.
    "pymdownx.highlight": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True,
                           "linenums_style": "pymdownx-inline"},
    "pymdownx.tasklist": {"clickable_checkbox": False},
    "pymdownx.arithmatex": ARITHMATEX_CONFIG,
}


def conversion_settings() -> str:
    """Everything besides the text that shapes Python-Markdown's output."""
    from importlib.metadata import version

    names = [e if isinstance(e, str) else type(e).__name__ for e in MARKDOWN_EXTENSIONS]
    versions = [f"{name} {version(name)}" for name in ("pygments", "pymdown-extensions", "markdown-callouts")]
    return f"{names}|{sorted(MARKDOWN_CONFIG.items())}|{versions}"


def new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG, output_format="html"
    )


# What a text must hold for an inline pattern to match anything in it. Python-Markdown tries
# every pattern on every piece of text, and in a prose chapter a quarter of the conversion went
# on patterns that could not match (no $, no backslash, no < anywhere in it). The text the
# converter reads is the chapter's (tabs expanded, line ends made \n), but for a citation's,
# which the patterns after it read too: a text with an @ keeps them all.
CANNOT_MATCH_WITHOUT: dict[str, tuple[str, ...]] = {
    "backtick": ("`",),
    "arithmatex-inline": ("$",),
    "escape": ("\\",),
    "footnote": ("[^",),
    "builder-citation": ("@",),
    "builder-narrative-citation": ("@",),
    "builder-index-marker": ("{^",),
    "image_link": ("![",),
    "image_reference": ("![",),
    "short_image_ref": ("![",),
    "autolink": ("<",),
    "automail": ("<",),
    "html": ("<",),
    "linebreak": ("  \n", "\t", "\r"),
    "entity": ("&",),
}


ConverterFor = Callable[[str], markdown.Markdown]  # the converter to use for a text


def converters(new_converter: Callable[[], markdown.Markdown] = new_markdown) -> ConverterFor:
    """For each text, a converter without the inline patterns that cannot match in it: the same
    HTML, sooner (tests/test_markdown.py compares). The converters made are kept, one per set
    of patterns left out; one costs 1 ms after the first, and a book needs a few."""
    made: dict[frozenset[str], markdown.Markdown] = {}

    def converter_for(text: str) -> markdown.Markdown:
        left_out = frozenset() if "@" in text else frozenset(
            name for name, needs in CANNOT_MATCH_WITHOUT.items() if not any(need in text for need in needs))
        if left_out not in made:
            made[left_out] = new_converter()
            for name in left_out:
                made[left_out].inlinePatterns.deregister(name, strict=False)
        return made[left_out]

    return converter_for


def without_set_asides(path: Path, text: str, html: str, problems: Problems) -> str:
    """*html* with no mark of a piece Python-Markdown set aside and did not put back: that happens
    when a link's address opens a ( that nothing closes, and it swallows what follows (a note
    call, code): an error at the link, not a crash later."""
    if not _SET_ASIDE.search(html):
        return html
    addresses = [a.split("\n")[0] for a in _ADDRESS_SETTING_ASIDE.findall(html)]
    if not addresses:
        problems.error("Python-Markdown lost a piece of this chapter it had set aside (code or a note call "
                       "near an odd character); please report it with the chapter", Location(path))
    for address in addresses:
        problems.error(f"the link to {address!r} runs on over what follows it: its parentheses do not pair "
                       "up; close the link's ( with a ), or write a ( inside the address as %28",
                       checks.locate(path, text, f"]({address}" if address else "]("))
    return _SET_ASIDE.sub("", html)
