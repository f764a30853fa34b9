"""The garbage collector during a build: no automatic full collections while the
book is laid out, one by hand after the layout, and the interpreter's own
thresholds back afterwards, whether the build worked or failed."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path
from typing import Any

import pytest

import builder.collector
import builder.pdf
from builder.collector import WORTH_COLLECTING_PAGES, collect_old_garbage, few_full_collections
from builder.errors import ConfigError
from builder.pipeline import build
from tests.conftest import FIXTURES


def test_full_collections_are_off_inside_and_restored_after() -> None:
    before = gc.get_threshold()
    with few_full_collections():
        young, middle, full = gc.get_threshold()
        assert (young, middle) == before[:2], "young garbage is still collected as usual"
        assert full > 100_000
    assert gc.get_threshold() == before


def test_a_build_lays_out_without_full_collections_and_collects_after(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BOOK_BUILDER_SERIAL", "1")  # the layout runs in this process
    seen: dict[str, Any] = {}
    real_layout = builder.pdf.layout

    def watched_layout(*args: Any) -> Any:
        seen["threshold"] = gc.get_threshold()
        seen["full collections before"] = full_collections()
        return real_layout(*args)

    monkeypatch.setattr(builder.pdf, "layout", watched_layout)
    monkeypatch.setattr(builder.collector, "WORTH_COLLECTING_PAGES", 1)  # a small book
    before = gc.get_threshold()
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    build(book, tmp_path / "dist", formats=["pdf"])
    assert seen["threshold"][2] > 100_000
    assert full_collections() > seen["full collections before"], \
        "one full collection after the layout frees the parsed HTML and the cascade"
    assert gc.get_threshold() == before


def full_collections() -> int:
    return int(gc.get_stats()[2]["collections"])


def test_only_a_long_layout_is_worth_a_collection() -> None:
    before = full_collections()
    assert collect_old_garbage(WORTH_COLLECTING_PAGES - 1) == 0
    assert full_collections() == before
    collect_old_garbage(WORTH_COLLECTING_PAGES)
    assert full_collections() == before + 1


def test_a_failed_build_restores_the_thresholds(tmp_path: Path) -> None:
    before = gc.get_threshold()
    (tmp_path / "book").mkdir()
    with pytest.raises(ConfigError):
        build(tmp_path / "book", tmp_path / "dist")
    assert gc.get_threshold() == before
