"""Markdown -> HTML: the one Python-Markdown set-up both the build and the importer use.

In: nothing (the extensions and their settings are fixed here). Out: a new
converter, and a string naming everything besides the text that shapes its
output (the cache key's salt).
"""

from __future__ import annotations

from typing import Any

import markdown

from builder.markdown_ext import FenceInfoExtension, PlaceholderExtension

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
    "admonition",  # !!! note "Title"
    "github-callouts",  # > [!NOTE], GitHub's alerts, as admonitions
    "tables",
    "footnotes",
    "attr_list",
    "def_list",
    "smarty",
    "toc",
    "sane_lists",
    PlaceholderExtension(),
    FenceInfoExtension(),
]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    # Colons in ids are legal HTML but awkward in CSS and XML tools.
    "footnotes": {"SEPARATOR": "-", "BACKLINK_TITLE": "Back to reference %d"},
    "toc": {"permalink": False},
    # Pygments marks tokens with short classes; the house base.css colours them.
    "pymdownx.highlight": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True,
                           "linenums_style": "pymdownx-inline"},
    "pymdownx.tasklist": {"clickable_checkbox": False},
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
