"""The live preview's cache of drafted chapters (builder.speed.drafts): an edit drafts its
chapter only, and the book read with the cache is the book read without it, whatever changed:
the chapter, a file it includes, an image it shows, book.toml."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

import builder.manuscript
from builder.errors import Problems
from builder.manuscript.chapter import ChapterDraft, DraftInputs
from builder.model import BookImage
from builder.serve.snapshot import Attempt, read_snapshot
from builder.speed.cache import MarkdownCache
from builder.speed.drafts import DraftCache
from tests.helpers import copy_book, write_file

TECH_BOOK = Path(__file__).resolve().parent / "fixtures" / "tech-book"
AN_HOUR_AGO = 3600


@pytest.fixture
def book(tmp_path: Path) -> Path:
    return copy_book(TECH_BOOK, tmp_path / "book")


def settled(root: Path) -> None:
    """Every file of the book written an hour ago: a file written in the last second is not
    trusted to hold what a draft read (builder.speed.drafts.RACY_NS)."""
    for path in root.rglob("*"):
        info = path.stat()
        os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns - AN_HOUR_AGO * 10**9))


@pytest.fixture
def drafted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the chapter files drafted (converted and checked), in order."""
    names: list[str] = []
    real = builder.manuscript.draft_chapter

    def counting(conversions: MarkdownCache, inputs: DraftInputs, problems: Problems,
                 images: dict[Path, BookImage]) -> ChapterDraft | None:
        names.append(inputs.path.name)
        return real(conversions, inputs, problems, images)

    monkeypatch.setattr(builder.manuscript, "draft_chapter", counting)
    return names


def assert_same(cached: Attempt, fresh: Attempt) -> None:
    """The attempt read with the cache is the one read without it: the same book, the same
    XHTML documents, images and styles, the same problems in the same order."""
    assert cached.problems == fresh.problems
    assert (cached.snapshot is None) == (fresh.snapshot is None)
    if cached.snapshot is not None and fresh.snapshot is not None:
        assert cached.snapshot.documents == fresh.snapshot.documents
        assert cached.snapshot.resources == fresh.snapshot.resources
        assert cached.snapshot.book == fresh.snapshot.book


def after(book: Path, kept: DraftCache, change: Callable[[], object]) -> Attempt:
    """Make *change* to the book, read it with the cache and without it, and compare."""
    change()
    cached = read_snapshot(book, kept)
    assert_same(cached, read_snapshot(book))
    return cached


def document(attempt: Attempt, chapter: str) -> str:
    assert attempt.snapshot is not None, attempt.problems
    name = next(file_name for path, file_name in attempt.snapshot.chapter_sources.items()
                if path.name == chapter)
    return attempt.snapshot.documents[name].decode("utf-8")


def test_an_edit_drafts_its_chapter_only_and_the_book_is_as_without_the_cache(
        book: Path, drafted: list[str]) -> None:
    settled(book)
    kept = DraftCache()
    first = read_snapshot(book, kept)
    assert first.snapshot is not None, first.problems
    everything = list(drafted)
    assert len(everything) == len(first.snapshot.book.chapters)
    drafted.clear()
    chapter = book / "chapters" / "01-code.md"
    again = after(book, kept, lambda: chapter.write_text(
        chapter.read_text(encoding="utf-8") + "\nA sentence added while the preview runs.\n",
        encoding="utf-8"))
    assert drafted[0] == "01-code.md"  # then once more, read without the cache
    assert drafted[1:] == everything
    assert "A sentence added while the preview runs." in document(again, "01-code.md")
    drafted.clear()
    assert_same(read_snapshot(book, kept), read_snapshot(book))
    assert drafted == everything, "nothing changed: every draft is reused"


def test_an_edit_to_an_included_file_is_seen(book: Path) -> None:
    snippet = write_file(book / "chapters" / "shared.md", "The included sentence, first version.\n")
    chapter = book / "chapters" / "02-figures.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + '\n--8<-- "shared.md"\n', encoding="utf-8")
    settled(book)
    kept = DraftCache()
    assert "first version" in document(read_snapshot(book, kept), "02-figures.md")
    edited = after(book, kept, lambda: snippet.write_text("The included sentence, second version.\n",
                                                          encoding="utf-8"))
    assert "second version" in document(edited, "02-figures.md")
    assert "first version" not in document(edited, "02-figures.md")


def test_an_edit_to_book_toml_is_seen(book: Path) -> None:
    settled(book)
    kept = DraftCache()
    assert "Old Markup, Made New" in document(read_snapshot(book, kept), "03-legacy.md")
    toml = book / "book" / "book.toml"
    edited = after(book, kept, lambda: toml.write_text(toml.read_text(encoding="utf-8").replace(
        '"03-legacy.md" = "Old Markup, Made New"', '"03-legacy.md" = "Markup Retold"'), encoding="utf-8"))
    assert "Markup Retold" in document(edited, "03-legacy.md")
    leveled = after(book, kept, lambda: toml.write_text(toml.read_text(encoding="utf-8").replace(
        "chapter_level = 2", "chapter_level = 1"), encoding="utf-8"))
    assert leveled.snapshot is None  # the chapters' titles are ## lines: said for each, as without it
    assert any("no chapter heading" in problem.message for problem in leveled.problems)


def test_an_image_changed_replaced_or_shadowed_is_seen(book: Path) -> None:
    write_file(book / "pictures" / "dot.png", b"")
    Image.new("RGB", (40, 20), "red").save(book / "pictures" / "dot.png")
    chapter = book / "chapters" / "01-code.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![A red dot](pictures/dot.png)\n",
                       encoding="utf-8")
    settled(book)
    kept = DraftCache()
    first = read_snapshot(book, kept)
    assert first.snapshot is not None, first.problems
    before = set(first.snapshot.resources)
    # The same name, other pixels: a new image name in the chapter.
    repainted = after(book, kept, lambda: Image.new("RGB", (40, 20), "blue").save(
        book / "pictures" / "dot.png"))
    assert repainted.snapshot is not None and set(repainted.snapshot.resources) != before
    settled(book)
    assert_same(read_snapshot(book, kept), read_snapshot(book))
    # A file of that name beside the chapter is found first (as without the cache).
    (book / "chapters" / "pictures").mkdir()
    shadowed = after(book, kept, lambda: Image.new("RGB", (80, 40), "green").save(
        book / "chapters" / "pictures" / "dot.png"))
    assert shadowed.snapshot is not None
    assert set(shadowed.snapshot.resources) != set(repainted.snapshot.resources)
    # Gone: an error, as without the cache.
    (book / "chapters" / "pictures" / "dot.png").unlink()
    (book / "pictures" / "dot.png").unlink()
    gone = after(book, kept, lambda: None)
    assert gone.snapshot is None and any("dot.png" in problem.message for problem in gone.problems)


def test_a_chapter_with_an_error_is_drafted_again_until_it_is_fixed(book: Path, drafted: list[str]) -> None:
    chapter = book / "chapters" / "01-code.md"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n![A picture](pictures/dot.png)\n",
                       encoding="utf-8")
    settled(book)
    kept = DraftCache()
    assert read_snapshot(book, kept).snapshot is None
    # A file of a name close to the missing one: the error's "did you mean" names it now.
    write_file(book / "pictures" / "dots.png", b"")
    Image.new("RGB", (40, 20), "red").save(book / "pictures" / "dots.png")
    drafted.clear()
    hinted = after(book, kept, lambda: None)
    assert any("did you mean 'pictures/dots.png'" in problem.message for problem in hinted.problems), \
        hinted.problems
    assert drafted[0] == "01-code.md"


def test_a_draft_whose_image_was_just_written_is_not_kept(book: Path, drafted: list[str]) -> None:
    settled(book)
    Image.new("RGB", (40, 20), "red").save(book / "chapters" / "images" / "diagram.png")  # 02-figures'
    kept = DraftCache()
    read_snapshot(book, kept)
    drafted.clear()
    assert_same(read_snapshot(book, kept), read_snapshot(book))
    # Its bytes may have changed after the draft read them, in the same clock tick: drafted again.
    assert drafted.count("02-figures.md") == 2
    assert drafted.count("01-code.md") == 1
