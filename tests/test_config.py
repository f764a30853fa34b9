"""book.toml is validated in one place; every mistake names its key."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import isbn_is_valid, load_config
from builder.errors import ConfigError

GOOD = '''title = "T"
authors = ["A"]
language = "en"
'''


def book(tmp_path: Path, toml: str, chapters: dict[str, str] | None = None) -> Path:
    (tmp_path / "book").mkdir()
    (tmp_path / "book" / "book.toml").write_text(toml, encoding="utf-8")
    (tmp_path / "chapters").mkdir()
    for name, text in (chapters or {"01-a.md": "# A\n\nText.\n"}).items():
        (tmp_path / "chapters" / name).write_text(text, encoding="utf-8")
    return tmp_path


def error(tmp_path: Path, toml: str) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(book(tmp_path, toml))
    return str(caught.value)


def test_minimal_book_loads_with_defaults(tmp_path: Path) -> None:
    meta = load_config(book(tmp_path, GOOD))
    assert meta.title == "T" and meta.authors == ("A",) and meta.slug == "t"
    assert meta.identifier.startswith("urn:uuid:")
    assert meta.identifier == load_config(tmp_path).identifier, "identifier must be stable"
    assert [p.name for p in meta.chapter_files] == ["01-a.md"]
    assert meta.print.trim == "6in 9in"


def test_unknown_key_is_named_with_a_suggestion(tmp_path: Path) -> None:
    message = error(tmp_path, GOOD + 'titel = "x"\n')
    assert "book.toml:4:1: error: titel: unknown key; did you mean 'title'?" in message


def test_wrong_type_is_named(tmp_path: Path) -> None:
    message = error(tmp_path, GOOD.replace('authors = ["A"]', 'authors = "A"'))
    assert "authors: expected a list" in message and "got a string" in message


def test_missing_title_is_named(tmp_path: Path) -> None:
    assert "title: missing" in error(tmp_path, GOOD.replace('title = "T"\n', ""))


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    message = error(tmp_path, GOOD + 'colour = 1\nlanguage2 = "x"\n')
    assert "colour" in message and "language2" in message


def test_not_toml_gives_line_and_column(tmp_path: Path) -> None:
    message = error(tmp_path, 'title = "T"\nauthors = ["A"]\nlanguage = en\n')
    assert "book.toml:3:12: error: not valid TOML: Invalid value" in message


def test_toml_cut_short_points_at_the_last_line(tmp_path: Path) -> None:
    assert "book.toml:2:" in error(tmp_path, 'title = "T"\nauthors = [\n')


def test_isbn_replaces_the_uuid(tmp_path: Path) -> None:
    meta = load_config(book(tmp_path, GOOD + 'isbn = "978-3-16-148410-0"\n'))
    assert meta.identifier == "urn:isbn:9783161484100"


@pytest.mark.parametrize("isbn, valid", [("9783161484100", True), ("9783161484101", False),
                                         ("0-306-40615-2", True), ("0306406153", False)])
def test_isbn_checksum(isbn: str, valid: bool) -> None:
    assert isbn_is_valid(isbn) is valid


def test_listed_chapter_that_does_not_exist(tmp_path: Path) -> None:
    message = error(tmp_path, GOOD + 'chapters = ["chapters/01-a.md", "chapters/99-z.md"]\n')
    assert "'chapters/99-z.md' is listed but there is no such file" in message


@pytest.mark.parametrize("trim, size", [("5x8", "5in 8in"), ("A5", "148mm 210mm"),
                                        ("7 x 10 in", "7in 10in")])
def test_trim_sizes(tmp_path: Path, trim: str, size: str) -> None:
    meta = load_config(book(tmp_path, GOOD + f'[print]\ntrim = "{trim}"\n'))
    assert meta.print.trim == size


def test_a_bad_book_toml_falls_back_to_read_the_chapters(tmp_path: Path) -> None:
    toml = ('title = 3\nauthors = ["A"]\nlanguage = "english!"\n'
            'chapters = ["chapters/01-a.md", "chapters/02-b.md"]\n[print]\ntrim = "huge"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(book(tmp_path, toml))
    said = str(caught.value)
    assert "title: expected a string" in said and "language: 'english!' is not a BCP 47" in said
    assert "print.trim: 'huge' is not a trim size" in said, "a wrong type does not hide the other keys"
    assert "'chapters/02-b.md' is listed but there is no such file" in said
    fallback = caught.value.fallback
    assert fallback is not None
    assert [p.name for p in fallback.chapter_files] == ["01-a.md"], "only the chapters that can be read"
    assert (fallback.language, fallback.print.trim, fallback.title) == ("en", "6in 9in", "Untitled")


def test_no_fallback_where_the_chapter_list_cannot_be_worked_out(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(book(tmp_path, GOOD + "chapters = 12\n"))
    assert "chapters: expected a list or a string" in str(caught.value)
    assert caught.value.fallback is None


def test_unique_slug_numbers_from_two_what_is_taken() -> None:
    from builder.config import unique_slug

    assert unique_slug("ch-readme", set()) == "ch-readme"
    assert unique_slug("ch-readme", {"ch-readme", "ch-readme-2"}) == "ch-readme-3"
