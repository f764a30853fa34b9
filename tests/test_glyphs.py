"""Characters no installed font has (builder.glyphs): found at their first use, with what
happens to them, and only those: format characters draw nothing and are never reported."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder import glyphs
from builder.errors import Problems
from builder.pipeline import check
from tests.conftest import FIXTURES
from tests.helpers import copy_book, require_command

LATIN_ONLY = ([0x20, 0xA0], [0x7E, 0x24F])  # what a book face has: ASCII and Latin


@pytest.fixture()
def latin_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(glyphs, "installed_coverage", lambda: LATIN_ONLY)


def test_a_character_no_font_has_is_a_warning_at_its_first_use(tmp_path: Path, latin_only: None) -> None:
    problems = Problems()
    text = "# Tools\n\nA café.\n\nA tool 🛠️ and another 🛠.\n"
    glyphs.report_undrawable(tmp_path / "ch.md", text, problems)
    [warning] = problems.warnings
    assert (warning.line, warning.column) == (5, 8)
    assert "'🛠' (U+1F6E0 hammer and wrench, 2 in this file)" in warning.message
    assert "empty box" in warning.message


def test_joiners_and_variation_selectors_draw_nothing_and_are_not_reported(
        tmp_path: Path, latin_only: None) -> None:
    problems = Problems()
    glyphs.report_undrawable(tmp_path / "ch.md", "soft\u00adhyphen, a\u200db, é\ufe0f\n", problems)
    assert not problems.warnings


def test_a_file_with_many_says_the_first_ten_and_how_many_more(tmp_path: Path, latin_only: None) -> None:
    problems = Problems()
    glyphs.report_undrawable(tmp_path / "ch.md", "".join(chr(0x4E00 + n) for n in range(14)), problems)
    assert len(problems.warnings) == glyphs.MAX_WARNINGS + 1
    assert problems.warnings[-1].message == "4 more characters no installed font has"


def test_check_reports_it_with_the_chapters_file_and_line(tmp_path: Path, latin_only: None) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    chapter = book / "chapters" / "01-first.md"
    lines = len(chapter.read_text(encoding="utf-8").splitlines())
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nFinished ✅.\n", encoding="utf-8")
    [found] = [d for d in check(book) if "no font installed" in d.message]
    assert (found.path, found.line) == (chapter, lines + 2)


def test_the_installed_fonts_are_read_from_fontconfig() -> None:
    require_command("fc-list")
    glyphs.installed_coverage.cache_clear()
    coverage = glyphs.installed_coverage()
    assert coverage is not None
    starts, ends = coverage
    assert all(a <= b for a, b in zip(starts, ends, strict=True))
    assert all(end + 1 < start for end, start in zip(ends, starts[1:], strict=False)), "merged"
    covered = [any(s <= ord(c) <= e for s, e in zip(starts, ends, strict=True)) for c in "aé“—"]
    assert all(covered), "the book's own faces (EB Garamond, DejaVu) cover Latin text and its punctuation"
