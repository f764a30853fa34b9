"""The build's cache in the book folder: Markdown conversions and page maps.

The one module that reads and writes `BOOK_DIR/.cache/book-builder/`.

Markdown: a chapter's text and the converter -> the HTML and the raw HTML blocks
Python-Markdown stashed, from `markdown/` when the same text was converted before
by the same builder and Markdown versions, else converted and stored.
Conversion is a pure function of those, and the most costly part of reading a
manuscript: a change to one chapter converts that chapter only, and a book
with much to convert has it converted on two cores (``convert_ahead``: the later
chapters in a forked child, builder.speed.forking's rules). Entries no build
used are removed at the end of each build.

Page maps: the PageMap of the last layout, as JSON keyed by a hash of everything
the layout reads, so an EPUB-only rebuild of an unchanged book lays nothing out.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import markdown

from builder import __version__
from builder.model import PageMap, PageStart
from builder.speed.forking import Beside

CACHE_ROOT = Path(".cache") / "book-builder"
CACHE_DIR = CACHE_ROOT / "markdown"
# Below this many characters to convert, a second process costs about what it
# saves (a fork, and loading the extensions again: ~40 ms).
SPLIT_FROM = 100_000

Conversion = tuple[str, list[str]]  # the HTML, and the raw HTML blocks Markdown stashed


@dataclass
class MarkdownCache:
    folder: Path | None  # None: no caching (a read-only book folder, or tests that want none)
    salt: str
    new_converter: Callable[[], markdown.Markdown]
    used: set[str] = field(default_factory=set)
    converter: markdown.Markdown | None = None  # made on the first miss: loading extensions costs
    ready: dict[str, Conversion] = field(default_factory=dict)  # converted ahead, by key

    @staticmethod
    def for_book(book_root: Path, salt: str, new_converter: Callable[[], markdown.Markdown]) -> MarkdownCache:
        return MarkdownCache(book_root / CACHE_DIR, f"{__version__}|{markdown.__version__}|{salt}",
                             new_converter)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.salt}\0{text}".encode()).hexdigest()[:32]

    def convert(self, text: str) -> Conversion:
        key = self.key(text)
        self.used.add(key)
        found = self.ready.pop(key, None) or self._load(key)
        return found if found is not None else self._converted(key, text)

    def _converted(self, key: str, text: str) -> Conversion:
        converter = self.converter = self.converter or self.new_converter()
        html, raw = _convert(converter, text)
        self._store(key, html, raw)
        return html, raw

    def convert_ahead(self, texts: Sequence[str]) -> None:
        """Convert the texts not cached yet, so that ``convert`` finds them ready:
        when they are long, the later ones in a child while this process does
        the earlier ones (each conversion is a pure function of its text)."""
        missing: dict[str, str] = {}
        for text in texts:
            key = self.key(text)
            if key in self.ready:
                continue
            found = self._load(key)
            if found is None:
                missing[key] = text
            else:
                self.ready[key] = found  # read once: convert() takes it from here
        total = sum(map(len, missing.values()))
        if total < SPLIT_FROM:
            return  # convert() does them one by one
        keys, size = list(missing), 0
        split = next(i for i, key in enumerate(keys) if (size := size + len(missing[key])) >= total / 2) + 1
        earlier, later = keys[:split], keys[split:]
        if not later:
            return  # one chapter is most of it: nothing to share
        with Beside(_convert_all, self.new_converter, [missing[key] for key in later]) as child:
            for key in earlier:
                self.ready[key] = self._converted(key, missing[key])  # known not cached
            for key, (html, raw) in zip(later, child.result(), strict=True):
                self._store(key, html, raw)
                self.ready[key] = html, raw

    def _load(self, key: str) -> Conversion | None:
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


def _convert(converter: markdown.Markdown, text: str) -> Conversion:
    converter.reset()
    html = converter.convert(text)
    return html, [block for block in converter.htmlStash.rawHtmlBlocks if isinstance(block, str)]


def _convert_all(new_converter: Callable[[], markdown.Markdown], texts: list[str]) -> list[Conversion]:
    converter = new_converter()
    return [_convert(converter, text) for text in texts]


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def page_map_to_json(page_map: PageMap) -> str:
    return json.dumps(asdict(page_map), ensure_ascii=False, sort_keys=True)


def page_map_from_json(text: str) -> PageMap:
    data = json.loads(text)
    return PageMap(data["page_count"], tuple(PageStart(**start) for start in data["starts"]))


def load_page_map(book_root: Path, key: str) -> PageMap | None:
    try:
        return page_map_from_json((book_root / CACHE_ROOT / f"pagemap-{key}.json").read_text("utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def has_page_map(book_root: Path) -> bool:
    """Whether any page map is cached for this book (its key not checked)."""
    try:
        return any((book_root / CACHE_ROOT).glob("pagemap-*.json"))
    except OSError:
        return False


def store_page_map(book_root: Path, key: str, page_map: PageMap) -> None:
    """Best effort: a read-only book folder only costs the next build a layout."""
    folder = book_root / CACHE_ROOT
    try:
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("pagemap-*.json"):
            old.unlink()
        (folder / f"pagemap-{key}.json").write_text(page_map_to_json(page_map), encoding="utf-8")
    except OSError:
        pass
