"""Markdown conversions, remembered: a chapter's text -> Python-Markdown's HTML.

In: a chapter's text and the converter. Out: the HTML and the raw HTML blocks
Python-Markdown stashed, from `BOOK_DIR/.cache/book-builder/markdown/` when the
same text was converted before by the same builder and Markdown versions, else
converted and stored. Conversion is a pure function of those, and the most
costly part of reading a manuscript: a change to one chapter converts that
chapter only. Entries no build used are removed at the end of each build.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import markdown

from builder import __version__

CACHE_DIR = Path(".cache") / "book-builder" / "markdown"


@dataclass
class MarkdownCache:
    folder: Path | None  # None: no caching (a read-only book folder, or tests that want none)
    salt: str
    new_converter: Callable[[], markdown.Markdown]
    used: set[str] = field(default_factory=set)
    converter: markdown.Markdown | None = None  # made on the first miss: loading extensions costs

    @staticmethod
    def for_book(book_root: Path, salt: str, new_converter: Callable[[], markdown.Markdown]) -> MarkdownCache:
        return MarkdownCache(book_root / CACHE_DIR, f"{__version__}|{markdown.__version__}|{salt}",
                             new_converter)

    def convert(self, text: str) -> tuple[str, list[str]]:
        key = hashlib.sha256(f"{self.salt}\0{text}".encode()).hexdigest()[:32]
        self.used.add(key)
        cached = self._load(key)
        if cached is not None:
            return cached
        converter = self.converter = self.converter or self.new_converter()
        converter.reset()
        html = converter.convert(text)
        raw = [block for block in converter.htmlStash.rawHtmlBlocks if isinstance(block, str)]
        self._store(key, html, raw)
        return html, raw

    def _load(self, key: str) -> tuple[str, list[str]] | None:
        if self.folder is None:
            return None
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            return str(data["html"]), [str(block) for block in data["raw"]]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _store(self, key: str, html: str, raw: list[str]) -> None:
        if self.folder is None:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / f"{key}.json").write_text(json.dumps({"html": html, "raw": raw}), "utf-8")
        except OSError:
            self.folder = None  # best effort: carry on without a cache

    def prune(self) -> None:
        """Forget conversions of texts no chapter holds any more."""
        if self.folder is None or not self.folder.is_dir():
            return
        for entry in self.folder.glob("*.json"):
            if entry.stem not in self.used:
                entry.unlink(missing_ok=True)
