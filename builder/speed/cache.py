"""The build's cache in the book folder: Markdown conversions and page maps.

The one module that reads and writes `BOOK_DIR/.cache/book-builder/`.

Markdown: a chapter's text and the converter -> the HTML and the raw HTML blocks
Python-Markdown stashed, from `markdown/` when the same text was converted before
by the same builder and Markdown versions, else converted and stored.
Conversion is a pure function of those, and the most costly part of reading a
manuscript: a change to one chapter converts that chapter only, and a book
with much to convert has it converted on two cores (``converting_ahead``: the
later chapters in a forked child, each handed over as soon as it is made, while
this process converts and drafts the earlier ones; builder.speed.forking's
rules). Entries no build used are removed at the end of each build.

Page maps: the PageMap of the last layout, as JSON keyed by a hash of everything
the layout reads (the print HTML, which holds the chapters, the template and the
print options; the styles; the images; the builder's and WeasyPrint's versions).
An EPUB-only build never lays out: it takes its page-list from the map whose key
matches the content, or makes the EPUB without one.

The cache is checked, not trusted: each entry holds its key and a hash of its
content, and one that does not match, cannot be read, is not a regular file or
is a symlink is ignored (and made again) with a note. Nothing is read, written
or deleted through a symlink: where any folder of the cache is one, there is no
cache for that build.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import markdown

from builder import __version__
from builder.bookfolder import BookFolder, Refused
from builder.model import PageMap, PageStart
from builder.speed.forking import InTurn

CACHE_ROOT = Path(".cache") / "book-builder"
CACHE_DIR = CACHE_ROOT / "markdown"
# Below this many characters to convert, a second process costs about what it
# saves (a fork, and loading the extensions again: ~40 ms).
SPLIT_FROM = 100_000
# The share of the characters this process converts when a child converts the rest: less
# than half, since it also drafts every chapter meanwhile. 0.45 was the quickest of 0.40,
# 0.45 and 0.50 on both the long and the technical bench books (bench/README.md).
OWN_SHARE = 0.45

MAX_ENTRY_BYTES = 64_000_000
Conversion = tuple[str, list[str]]  # the HTML, and the raw HTML blocks Markdown stashed


class _Untrusted(Exception):
    """A cache entry that is there but cannot be used; the message says why."""


def _digest(content: Any) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()


def real_folder(book_root: Path, relative: Path, create: bool = False) -> Path | None:
    """*book_root*/*relative*, if each of its folders below the root is a real
    folder (made where missing, when *create*); None where one is a symlink or a file."""
    folder = book_root
    for part in relative.parts:
        folder = folder / part
        try:
            info = os.lstat(folder)
        except FileNotFoundError:
            if not create:
                return None
            try:
                os.mkdir(folder)
            except OSError:
                return None
            continue
        except OSError:
            return None
        if not stat.S_ISDIR(info.st_mode):
            return None
    return folder


def read_entry(path: Path, key: str) -> Any:
    """The content stored under *key* at *path* (read through the book folder's door,
    no symlink followed); None if there is no entry."""
    if not os.path.lexists(path):
        return None
    try:
        raw = BookFolder.at(path.parent).read_bytes(path, MAX_ENTRY_BYTES, follow_links=False)
    except Refused as exc:
        raise _Untrusted(str(exc)) from exc
    try:
        data = json.loads(raw)
        if data["key"] != key or data["sha256"] != _digest(data["content"]):
            raise _Untrusted("its key or content does not match its hash")
    except (ValueError, KeyError, TypeError) as exc:
        raise _Untrusted("not an entry this builder wrote") from exc
    return data["content"]


def write_entry(folder: Path, name: str, key: str, content: Any) -> bool:
    """Store *content* under *key* as *folder*/*name*, replacing what stands there
    (a symlink is replaced, never written through). False if it cannot be written."""
    payload = json.dumps({"key": key, "sha256": _digest(content), "content": content}).encode("utf-8")
    temporary = folder / f".{name}.{os.getpid()}.part"
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        handle = os.open(temporary, flags, 0o644)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        os.replace(temporary, folder / name)
        return True
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        return False


@dataclass
class MarkdownCache:
    folder: Path | None  # None: no caching (a read-only book folder, or tests that want none)
    salt: str
    converter_for: Callable[[str], markdown.Markdown]  # builder.manuscript.convert.converters
    used: set[str] = field(default_factory=set)
    ready: dict[str, Conversion] = field(default_factory=dict)  # converted ahead, by key
    beside: InTurn[str, Conversion] | None = None  # the child converting the later chapters
    coming: list[str] = field(default_factory=list)  # the keys it converts, in its order
    notes: list[str] = field(default_factory=list)  # entries found untrustworthy

    @staticmethod
    def for_book(book_root: Path, salt: str,
                 converter_for: Callable[[str], markdown.Markdown]) -> MarkdownCache:
        return MarkdownCache(real_folder(book_root, CACHE_DIR, create=True),
                             f"{__version__}|{markdown.__version__}|{salt}", converter_for)

    def key(self, text: str) -> str:
        return hashlib.sha256(f"{self.salt}\0{text}".encode()).hexdigest()[:32]

    def convert(self, text: str) -> Conversion:
        key = self.key(text)
        self.used.add(key)
        found = self.ready.pop(key, None) or self._made_beside(key) or self._load(key)
        return found if found is not None else self._converted(key, text)

    def keep(self, text: str) -> None:
        """Keep the conversion of *text* (not asked for this time) past ``prune``."""
        self.used.add(self.key(text))

    def _converted(self, key: str, text: str) -> Conversion:
        html, raw = _convert(self.converter_for, text)
        self._store(key, html, raw)
        return html, raw

    @contextlib.contextmanager
    def converting_ahead(self, texts: Sequence[str]) -> Iterator[None]:
        """While the block runs, the texts not cached yet are being converted: when they
        are long, the later ones by a child, each ready as soon as it is made, while
        this process converts the earlier ones when ``convert`` asks for them (and does
        what it does with each between). Each conversion is a pure function of its text."""
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
        keys = list(missing)
        split = _share(OWN_SHARE, [len(missing[key]) for key in keys])
        later = keys[split:] if sum(map(len, missing.values())) >= SPLIT_FROM else []
        with InTurn(self._child_converter, [missing[key] for key in later]) as made:
            if made.forked:
                self.beside, self.coming = made, later
            try:
                yield
            finally:
                self.beside, self.coming = None, []

    def _child_converter(self) -> Callable[[str], Conversion]:
        """In the child, conversion with its copies of this process's converters."""
        return functools.partial(_convert, self.converter_for)

    def _made_beside(self, key: str) -> Conversion | None:
        """*key*'s conversion, when the child makes it: taken in the child's order (those
        before it kept ready), each stored as it comes."""
        while self.beside is not None and key in self.coming:
            made_key = self.coming.pop(0)
            html, raw = next(self.beside)
            self._store(made_key, html, raw)
            if made_key == key:
                return html, raw
            self.ready[made_key] = html, raw
        return None

    def _load(self, key: str) -> Conversion | None:
        if self.folder is None:
            return None
        try:
            content = read_entry(self.folder / f"{key}.json", key)
            if content is None:
                return None
            return str(content["html"]), [str(block) for block in content["raw"]]
        except (_Untrusted, KeyError, TypeError) as exc:
            self.notes.append(f"cache entry {key}.json ignored ({exc or 'malformed'}); converted again")
            return None

    def _store(self, key: str, html: str, raw: list[str]) -> None:
        if self.folder is None:
            return
        if not write_entry(self.folder, f"{key}.json", key, {"html": html, "raw": raw}):
            self.folder = None  # best effort: carry on without a cache

    def prune(self) -> None:
        """Forget conversions of texts no chapter holds any more."""
        if self.folder is None:
            return
        for entry in self.folder.glob("*.json"):
            if entry.stem not in self.used:
                entry.unlink(missing_ok=True)  # unlinks a symlink itself, never its target


def _share(share: float, sizes: Sequence[int]) -> int:
    """How many of the first *sizes* it takes to reach *share* of their sum (at least one)."""
    reached, wanted = 0, share * sum(sizes)
    for count, size in enumerate(sizes, start=1):
        reached += size
        if reached >= wanted:
            return count
    return len(sizes)


def _convert(converter_for: Callable[[str], markdown.Markdown], text: str) -> Conversion:
    converter = converter_for(text)  # made on the first miss: loading extensions costs
    converter.reset()
    html = converter.convert(text)
    return html, [block for block in converter.htmlStash.rawHtmlBlocks if isinstance(block, str)]


def cache_key(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8"))
        digest.update(b"\0")
    return digest.hexdigest()[:32]


def _page_map(content: Any) -> PageMap:
    """A PageMap from what store_page_map wrote (``asdict`` of one)."""
    return PageMap(content["page_count"], tuple(PageStart(**start) for start in content["starts"]))


def load_page_map(book_root: Path, key: str, notes: list[str]) -> PageMap | None:
    folder = real_folder(book_root, CACHE_ROOT)
    if folder is None:
        return None
    try:
        content = read_entry(folder / f"pagemap-{key}.json", key)
        return None if content is None else _page_map(content)
    except (_Untrusted, KeyError, TypeError) as exc:
        notes.append(f"cached page map ignored ({exc or 'malformed'}); the next layout makes it again")
        return None


def has_page_map(book_root: Path) -> bool:
    """Whether any page map is cached for this book (its key not checked): an EPUB-only
    build renders the print HTML, to key one, only then."""
    folder = real_folder(book_root, CACHE_ROOT)
    return folder is not None and any(folder.glob("pagemap-*.json"))


def store_page_map(book_root: Path, key: str, page_map: PageMap) -> None:
    """Best effort: a read-only book folder only costs the next build a layout."""
    folder = real_folder(book_root, CACHE_ROOT, create=True)
    if folder is None:
        return
    for old in folder.glob("pagemap-*.json"):
        old.unlink(missing_ok=True)
    write_entry(folder, f"pagemap-{key}.json", key, asdict(page_map))
