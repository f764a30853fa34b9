"""Shared fixtures: the real book and the small fixture book, each built once."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.pipeline import BuildResult, build
from tests.helpers import copy_book

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _build_copy(source: Path, workdir: Path) -> tuple[Path, BuildResult]:
    """Build a copy of a book folder, so tests never touch the repository's dist/."""
    book = copy_book(source, workdir / "book-folder")
    return book, build(book, workdir / "dist")


@pytest.fixture(scope="session")
def real_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    return _build_copy(REPO, tmp_path_factory.mktemp("real"))


@pytest.fixture(scope="session")
def tech_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    return _build_copy(FIXTURES / "tech-book", tmp_path_factory.mktemp("tech"))


@pytest.fixture(scope="session")
def small_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    return _build_copy(FIXTURES / "small-book", tmp_path_factory.mktemp("small"))


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    """Start the hostile books' run in the background when its tests are collected."""
    if any(item.nodeid.startswith("tests/test_hostile.py::test_a_hostile_book")
           or "outcomes" in getattr(item, "fixturenames", ()) for item in items):
        from tests.test_hostile import HostileRun

        config.hostile_run = HostileRun()  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    run = getattr(config, "hostile_run", None)
    if run is not None:
        run.close()
