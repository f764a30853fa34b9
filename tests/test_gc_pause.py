"""Memory and the garbage collector during a build: no automatic full
collections while the book is laid out, the layout's context freed by reference
counting as soon as the pages are laid out, SVG images still drawn with it, and
the interpreter's own thresholds back afterwards, whether the build worked or
failed."""

from __future__ import annotations

import gc
import shutil
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

import builder.layout
import builder.pdf
from builder import weasyprint_adapter
from builder.config import load_config
from builder.errors import ConfigError
from builder.manuscript import read_book
from builder.pipeline import build
from builder.render import render_print
from builder.speed.gc_pause import few_full_collections
from tests.conftest import FIXTURES


def test_full_collections_are_off_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with few_full_collections():
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2], "young garbage is still collected as usual"
        assert full > 100_000
    assert gc.get_threshold() == before


def test_a_build_lays_out_without_full_collections(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")  # the layout runs in this process
    seen: dict[str, Any] = {}
    real_layout = builder.layout.layout

    def watched_layout(*args: Any) -> Any:
        seen["threshold"] = gc.get_threshold()
        return real_layout(*args)

    monkeypatch.setattr(builder.layout, "layout", watched_layout)
    before = gc.get_threshold()
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    build(book, tmp_path / "dist", formats=["pdf"])
    assert seen["threshold"][2] > 100_000
    assert gc.get_threshold() == before


def test_a_failed_build_restores_the_thresholds(tmp_path: Path) -> None:
    before = gc.get_threshold()
    (tmp_path / "book").mkdir()
    with pytest.raises(ConfigError):
        build(tmp_path / "book", tmp_path / "dist")
    assert gc.get_threshold() == before


@contextmanager
def _collector_off() -> Iterator[None]:
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _laid_out(book_dir: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any], Any]:
    """The fixture book laid out; the document, weak references to the layout
    contexts WeasyPrint made, and the book."""
    from weasyprint.layout import LayoutContext

    contexts: list[Any] = []
    ours = LayoutContext.__init__

    def recorded(self: Any, *args: Any, **kwargs: Any) -> None:
        ours(self, *args, **kwargs)
        contexts.append(weakref.ref(self))

    monkeypatch.setattr(LayoutContext, "__init__", recorded)
    book = read_book(load_config(book_dir))
    resources = builder.layout.print_resources(book)
    document, _ = builder.layout.layout(book, render_print(book), resources)
    return document, contexts, book


def test_the_layout_context_is_freed_without_a_collection(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book_dir = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    with _collector_off():
        document, contexts, _ = _laid_out(book_dir, monkeypatch)
        assert contexts and len(document.pages) > 1
        assert all(context() is None for context in contexts), \
            "WeasyPrint's context is still alive: only a full collection would free it"


def test_an_svg_still_draws_with_the_context_it_keeps(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book_dir = shutil.copytree(FIXTURES / "tech-book", tmp_path / "book")
    with _collector_off():
        document, contexts, book = _laid_out(book_dir, monkeypatch)
        assert any(context() is not None for context in contexts), "the SVG image holds its context"
    pdf = builder.pdf.write_pdf(book, document, _noon(book.meta.date))
    (tmp_path / "book.pdf").write_bytes(pdf)
    drawn = [page for page in PdfReader(tmp_path / "book.pdf").pages
             if b" c\n" in page.get_contents().get_data()]  # type: ignore[union-attr]
    assert drawn, "the SVG's circle (Bezier curves) is drawn on a page"


def test_a_layout_freed_by_reference_counting_gives_the_same_pdf(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from weasyprint.layout import LayoutContext

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    book = shutil.copytree(FIXTURES / "tech-book", tmp_path / "book")  # it has an SVG
    ours = build(book, tmp_path / "ours", ["pdf"]).files[0].read_bytes()
    monkeypatch.setattr(LayoutContext, "__init__", LayoutContext.__init__.__wrapped__)
    shipped = build(book, tmp_path / "shipped", ["pdf"]).files[0].read_bytes()
    assert ours == shipped


def test_a_fetcher_without_the_cycle_is_left_as_it_is() -> None:
    class Context:
        def get_image_from_uri(self, url: str) -> str:
            return url

    context = Context()
    fetch = context.get_image_from_uri
    weasyprint_adapter._image_fetcher_without_cycle(context)
    assert context.get_image_from_uri == fetch


def _noon(day: Any) -> Any:
    import datetime as dt

    return dt.datetime.combine(day, dt.time(12), dt.UTC)
