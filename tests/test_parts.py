"""Books with parts: book.toml's `{ part = "…", chapters = [...] }` entries are
checked where they are written, and both editions show each part as a page of
its own before its chapters, with the chapters under it in every contents."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import ConfigError
from builder.model import Part

HEAD = 'title = "T"\nauthors = ["A"]\nlanguage = "en"\n'  # three lines: chapters starts on line 4
FILES = ("00-intro.md", "01-a.md", "02-b.md", "03-c.md", "99-end.md")


def book(tmp_path: Path, chapters: str) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "book.toml").write_text(HEAD + chapters, encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    for name in FILES:
        (tmp_path / "chapters" / name).write_text(f"# {name}\n\nText.\n", encoding="utf-8")
    return tmp_path


def errors(tmp_path: Path, chapters: str) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(book(tmp_path, chapters))
    return [str(d) for d in caught.value.diagnostics]


def test_parts_group_the_flat_list_of_chapter_files(tmp_path: Path) -> None:
    meta = load_config(book(tmp_path, '''chapters = [
  "chapters/00-intro.md",  # before the parts
  { part = "Part I: Foundations", chapters = ["chapters/01-a.md", "chapters/02-b.md"] },
  { part = "Part II: Practice", chapters = [
      "chapters/03-c.md",
  ] },
  'chapters/99-end.md',
]
'''))
    assert [path.name for path in meta.chapter_files] == list(FILES)
    assert meta.parts == (Part(1, "Part I: Foundations", 1, 2), Part(2, "Part II: Practice", 3, 1))
    assert [meta.part_of(index) for index in range(5)] == [None, *meta.parts[:1] * 2, meta.parts[1], None]


def test_a_list_without_parts_has_none(tmp_path: Path) -> None:
    assert load_config(book(tmp_path, 'chapters = ["chapters/01-a.md"]\n')).parts == ()


@pytest.mark.parametrize(("entry", "message"), [
    ('{ part = "", chapters = ["chapters/01-a.md"] }', "a part needs its title as a non-empty string"),
    ('{ chapters = ["chapters/01-a.md"] }', "a part needs its title"),
    ('{ part = 3, chapters = ["chapters/01-a.md"] }', "a part needs its title"),
    ('{ part = "P" }', "the part 'P' needs `chapters`, a non-empty list of chapter files"),
    ('{ part = "P", chapters = [] }', "the part 'P' needs `chapters`"),
    ('{ part = "P", chapters = "chapters/*.md" }', "the part 'P' needs `chapters`"),
    ('{ part = "P", chapters = ["chapters/01-a.md"], title = "x" }',
     "a part has only `part` (its title) and `chapters` (its files), not 'title'"),
    ('{ part = "P", chapters = [{ part = "Q", chapters = ["chapters/01-a.md"] }] }',
     "parts do not nest: the part 'P' lists a part"),
    ('{ part = "P", chapters = [1] }', "every chapter of the part 'P' must be a file name, got 1"),
    ('{ part = "P", chapters = ["chapters/nope.md"] }',
     "'chapters/nope.md' is listed but there is no such file"),
    ('{ part = "P", chapters = ["../outside.md"] }', "'../outside.md' is not a path inside the book folder"),
    ("42", "every entry must be a file name or a part"),
])
def test_a_wrong_part_is_named_at_its_line(tmp_path: Path, entry: str, message: str) -> None:
    found = errors(tmp_path, f'chapters = [\n  "chapters/00-intro.md",\n  {entry},\n]\n')
    assert len(found) == 1, found
    where, _, said = found[0].partition(": error: ")
    assert where.startswith(f"{tmp_path / 'book' / 'book.toml'}:6:"), "the line of the entry"
    assert said.startswith(f"chapters: {message}")


def test_a_file_listed_twice_anywhere_is_an_error_at_its_second_place(tmp_path: Path) -> None:
    found = errors(tmp_path, '''chapters = [
  "chapters/01-a.md",
  { part = "P", chapters = [
    "chapters/02-b.md",
    "chapters/01-a.md",
  ] },
  "chapters/02-b.md",
]
''')
    assert found == [
        f"{tmp_path / 'book' / 'book.toml'}:8:5: error: chapters: 'chapters/01-a.md' is listed twice "
        "(also at line 5); a chapter appears once in a book",
        f"{tmp_path / 'book' / 'book.toml'}:10:3: error: chapters: 'chapters/02-b.md' is listed twice "
        "(also at line 7); a chapter appears once in a book",
    ]


def test_every_wrong_entry_is_reported_at_once(tmp_path: Path) -> None:
    found = errors(tmp_path, 'chapters = [{ part = "" , chapters = [] }, "chapters/none.md", 7]\n')
    assert [line.split(": error: ")[0].rsplit(":", 2)[1:] for line in found] == [
        ["4", "13"], ["4", "13"], ["4", "44"], ["4", "64"]]
