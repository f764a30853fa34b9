"""Includes (`--8<--`, pymdown-extensions' snippets): the book's own files, never another's."""

from __future__ import annotations

import os
from pathlib import Path

from builder.errors import Problems
from builder.manuscript.snippets import with_snippets
from builder.pipeline import check
from tests.helpers import write_file

BOOK_TOML = 'title = "Snips"\nauthors = ["A. Writer"]\nlanguage = "en"\ndate = 2024-01-01\n'


def _book(tmp_path: Path, chapter: str, files: dict[str, str]) -> Path:
    root = tmp_path / "book"
    write_file(root / "book" / "book.toml", BOOK_TOML)
    write_file(root / "chapters" / "01-one.md", chapter)
    for name, text in files.items():
        write_file(root / name, text)
    return root


def test_whole_files_sections_and_line_ranges_are_put_in(tmp_path: Path) -> None:
    root = _book(tmp_path, "", {
        "code/app.py": "# --8<-- [start:main]\nprint('hi')\n# --8<-- [end:main]\nexit()\n",
        "chapters/note.md": "A shared note.\n",
    })
    problems = Problems()
    text = ('```python\n--8<-- "code/app.py:main"\n```\n\n--8<-- "note.md"\n\n'
            '```python\n--8<-- "code/app.py:4:4"\n```\n')
    out = with_snippets(root / "chapters" / "01-one.md", text, root, problems)
    assert out == "```python\nprint('hi')\n```\n\nA shared note.\n\n\n```python\nexit()\n```\n"
    assert not problems.items


def test_a_file_outside_the_book_or_a_link_out_of_it_is_refused_unread(tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("SECRET", encoding="utf-8")
    root = _book(tmp_path, "", {"chapters/nested.md": '--8<-- "chapters/link.txt"\n'})
    os.symlink(outside, root / "chapters" / "link.txt")
    for text in ('--8<-- "../secret.txt"', '--8<-- "link.txt"', f'--8<-- "{outside}"', '--8<-- "nested.md"',
                 '--8<--\nlink.txt\n--8<--'):
        problems = Problems()
        out = with_snippets(root / "chapters" / "01-one.md", text, root, problems)
        assert "SECRET" not in out
        assert [d.message for d in problems.items if "outside the book" in d.message or "not in the book"
                in d.message], text


def test_check_names_a_missing_include_at_its_line(tmp_path: Path) -> None:
    root = _book(tmp_path, "# One\n\nText.\n\n--8<-- \"gone.md\"\n", {})
    found = [str(d) for d in check(root) if d.level == "error"]
    assert any("01-one.md:5:" in d and "'gone.md'" in d for d in found), found
