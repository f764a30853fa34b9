"""Markdown -> HTML: the one Python-Markdown set-up both the build and the importer use.

In: nothing (the extensions and their settings are fixed here). Out: a new
converter, and a string naming everything besides the text that shapes its
output (the cache key's salt).
"""

from __future__ import annotations

from typing import Any

import markdown

from builder.markdown_ext import PlaceholderExtension

MARKDOWN_EXTENSIONS: list[Any] = [
    "fenced_code",
    "codehilite",
    "tables",
    "footnotes",
    "attr_list",
    "def_list",
    "smarty",
    "toc",
    "sane_lists",
    PlaceholderExtension(),
]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    # Colons in ids are legal HTML but awkward in CSS and XML tools.
    "footnotes": {"SEPARATOR": "-", "BACKLINK_TITLE": "Back to reference %d"},
    "toc": {"permalink": False},
    # Pygments marks tokens with short classes; the house base.css colours them.
    "codehilite": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True},
}


def conversion_settings() -> str:
    """Everything besides the text that shapes Python-Markdown's output."""
    import pygments

    names = [e if isinstance(e, str) else type(e).__name__ for e in MARKDOWN_EXTENSIONS]
    return f"{names}|{sorted(MARKDOWN_CONFIG.items())}|pygments {pygments.__version__}"


def new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG, output_format="html"
    )
