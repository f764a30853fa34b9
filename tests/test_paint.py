"""The pages of a PDF are painted on two cores, and the file is the one a single
process paints, byte for byte; whatever the child cannot hand over, the parent
paints itself."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import pytest

import builder.paint
import builder.parallel
from builder.pipeline import build
from tests.conftest import FIXTURES, REPO
from tests.helpers import copy_book

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="no os.fork on this system")


class _Recorded(builder.paint.TwoCorePainter):
    made: ClassVar[list[builder.paint.TwoCorePainter]] = []

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.made.append(self)


def _pdf(book: Path, out: Path, **options: Any) -> bytes:
    [pdf] = build(book, out, ["pdf"], **options).files
    return pdf.read_bytes()


def _painted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: Path,
             **options: Any) -> tuple[bytes, bytes, builder.paint.TwoCorePainter]:
    """The PDF painted on two cores, the one painted serially, and the painter."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    monkeypatch.setattr(builder.paint, "TwoCorePainter", _Recorded)
    _Recorded.made = []
    book = copy_book(source, tmp_path / "book")
    two_cores = _pdf(book, tmp_path / "two", **options)
    [painter] = _Recorded.made
    monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")
    one_core = _pdf(book, tmp_path / "one", **options)
    return two_cores, one_core, painter


def _adopted_all(painter: builder.paint.TwoCorePainter) -> bool:
    return (painter.painted_here_because is None
            and painter.pages_from_child == len(painter.pages) - painter.first_for_child > 0)


def test_the_real_book_painted_on_two_cores_is_the_one_painted_on_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, REPO)
    assert painter.child is not None, "no child was started"
    assert _adopted_all(painter)
    assert two_cores == one_core


@pytest.mark.parametrize("options", [{}, {"pdf_variant": "pdf/a-3u"}], ids=["tagged", "untagged"])
def test_every_variant_painted_on_two_cores_is_the_one_painted_on_one(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, options: dict[str, Any]) -> None:
    # The small book's later pages use a font its first pages do not: the parent
    # has to find that font again to take the child's glyphs.
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "small-book",
                                            **options)
    assert _adopted_all(painter)
    assert two_cores == one_core


def test_images_drawn_by_the_child_are_the_parent_s_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The technical book's later pages hold PNG, GIF and SVG figures.
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "tech-book")
    assert _adopted_all(painter)
    assert two_cores == one_core


def test_an_image_the_parent_cannot_find_again_leaves_the_pages_to_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder.paint, "_find_image", lambda *args: None)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "tech-book")
    assert painter.pages_from_child == 0
    assert painter.painted_here_because == "an image not found again"
    assert two_cores == one_core


def test_a_print_job_s_crop_marks_are_renamed_in_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # WeasyPrint draws each page's crop marks as a group named by a running count.
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "small-book",
                                            print_job=True)
    assert _adopted_all(painter)
    assert two_cores == one_core


def _with_print_rule(tmp_path: Path, rule: str) -> Path:
    book = copy_book(FIXTURES / "small-book", tmp_path / "source")
    (book / "styles").mkdir()
    print_css = (REPO / "styles" / "print.css").read_text()
    (book / "styles" / "print.css").write_text(f"{print_css}\n{rule}\n")
    return book


def test_a_gradient_s_group_and_shading_come_from_the_child(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _with_print_rule(tmp_path, "p { background: linear-gradient(white, #eee) no-repeat; }")
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, book)
    assert _adopted_all(painter)
    assert two_cores == one_core


def test_a_page_level_pattern_leaves_the_pages_to_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    book = _with_print_rule(
        tmp_path, "p { background: linear-gradient(white, #eee) repeat; background-size: 1em 1em; }")
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, book)
    assert painter.pages_from_child == 0
    assert painter.painted_here_because == "a pattern or shading"
    assert two_cores == one_core


def _fail(*args: Any) -> None:
    raise RuntimeError("the child fails")


def test_a_failing_child_leaves_its_pages_to_the_parent(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder.paint, "_paint_later_pages", _fail)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "small-book")
    assert painter.child is not None and painter.child.forked
    assert painter.pages_from_child == 0 and painter.painted_here_because == "the child failed"
    assert two_cores == one_core


def test_a_font_the_parent_cannot_find_again_leaves_the_pages_to_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder.paint, "_find_font", lambda *args: None)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "small-book")
    assert painter.child is not None and painter.pages_from_child == 0
    assert painter.painted_here_because == "a font not found again"
    assert two_cores == one_core


def test_a_tagged_box_the_parent_cannot_find_leaves_the_pages_to_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    boxes_by_id = builder.paint._boxes_by_id

    def without_one_box(page: Any) -> dict[int, Any]:
        found = boxes_by_id(page)
        found.popitem()
        return found
    monkeypatch.setattr(builder.paint, "_boxes_by_id", without_one_box)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, REPO)
    assert painter.child is not None and painter.pages_from_child == 0
    assert painter.painted_here_because == "a tagged box not found again"
    assert two_cores == one_core


def test_a_machine_short_of_memory_paints_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A child can copy up to all of the parent's memory: without room for that,
    # the build keeps to one process.
    monkeypatch.setattr(builder.parallel, "room_for_a_copy", lambda: False)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, REPO)
    assert painter.child is None and painter.pages_from_child == 0
    assert two_cores == one_core


def test_a_short_book_is_painted_in_one_process(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder.paint, "MIN_PAGES", 1000)
    two_cores, one_core, painter = _painted(tmp_path, monkeypatch, FIXTURES / "small-book")
    assert painter.child is None and painter.pages_from_child == 0
    assert two_cores == one_core


def _events(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, epub_after_painting_from: int) -> list[str]:
    """When the page-map/EPUB child starts, against the pages painted."""
    import builder.parallel
    import builder.pipeline

    events: list[str] = []
    paint, start = builder.paint.TwoCorePainter.paint, builder.parallel.StartedLater.start

    def painted(self: Any, page: Any, stream: Any, scale: float) -> None:
        events.append(f"painting {self.number[id(page)]}")
        paint(self, page, stream, scale)

    def started(self: Any) -> None:
        if self.side is None:
            events.append("page map and EPUB started")
        start(self)

    monkeypatch.setattr(builder.paint.TwoCorePainter, "paint", painted)
    monkeypatch.setattr(builder.parallel.StartedLater, "start", started)
    monkeypatch.setattr(builder.pipeline, "EPUB_AFTER_PAINTING_FROM", epub_after_painting_from)
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    build(book, tmp_path / "dist")
    return events


def test_a_long_book_s_epub_child_starts_once_the_painting_child_is_gone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = _events(tmp_path, monkeypatch, epub_after_painting_from=1)
    last_page = max(int(event.split()[1]) for event in events if event.startswith("painting"))
    assert events[-2:] == [f"painting {last_page}", "page map and EPUB started"], events


def test_a_short_book_s_epub_child_starts_before_the_painting(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    events = _events(tmp_path, monkeypatch, epub_after_painting_from=1000)
    assert events[0] == "page map and EPUB started", events
