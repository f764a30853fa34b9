"""Metadata: each edition's own ISBN (checked, hyphenated by the ISBN Agency's ranges, on its
copyright page, the ebook's as the EPUB's identifier), the series (EPUB 3 belongs-to-collection;
the half-title and copyright page) and contributors with their roles (MARC relators)."""

from __future__ import annotations

from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import ConfigError
from builder.isbn import hyphenated, is_valid
from builder.pipeline import BuildResult, build
from tests.helpers import OPF_NS, epubcheck, opf, pdf_pages, spine_documents, write_file

HEAD = 'title = "Meta"\nauthors = ["A. Writer"]\nlanguage = "en"\n'  # three lines


@pytest.mark.parametrize(("isbn", "expected"), [
    ("9780306406157", "978-0-306-40615-7"),  # English group, 3-digit registrant
    ("9781491946008", "978-1-4919-4600-8"),
    ("978 3 16 148410 0", "978-3-16-148410-0"),  # German group
    ("9784873113685", "978-4-87311-368-5"),  # Japan
    ("9791032305690", "979-10-323-0569-0"),  # France, in 979
    ("9798602405453", "979-8-6024-0545-3"),  # the United States, in 979
    ("0306406152", "0-306-40615-2"),  # an ISBN-10 keeps its ten digits
    ("080442957X", "0-8044-2957-X"),
])
def test_isbns_are_hyphenated_by_the_ranges(isbn: str, expected: str) -> None:
    assert is_valid(isbn) and hyphenated(isbn) == expected


def test_a_wrong_check_digit_or_prefix_is_not_an_isbn() -> None:
    assert not is_valid("9780306406158") and not is_valid("9770306406154") and not is_valid("030640615X")


def _book(root: Path, toml: str) -> Path:
    write_file(root / "book" / "book.toml", HEAD + toml)
    write_file(root / "chapters" / "01-one.md", "# One\n\nText.\n")
    return root


def _errors(root: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(root)
    return [str(d) for d in caught.value.diagnostics]


def test_an_invalid_isbn_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = _book(tmp_path, 'isbn_epub = "978-0-306-40615-7"\nisbn_print = "978-0-306-40615-8"\n')
    toml = root / "book" / "book.toml"
    assert _errors(root) == [f"{toml}:5:1: error: isbn_print: '978-0-306-40615-8' is not a valid ISBN-13 or "
                             "ISBN-10 (check digit or length)"]


def test_metadata_mistakes_are_errors_at_their_lines(tmp_path: Path) -> None:
    root = _book(tmp_path, '''isbn_epub = "9780306406157"
isbn_print = "978-0-306-40615-7"
series_number = 0
contributors = [{ name = "Ann Editor", role = "edtor" }]
''')
    toml = root / "book" / "book.toml"
    said = _errors(root)
    assert f"{toml}:5:1: error: isbn_print: is the other edition's ISBN too; each edition has its own " \
           "(or give one `isbn` for both)" in said, said
    assert f"{toml}:6:1: error: series_number: 0 is not a place in a series; use 1, 2 …" in said
    assert any(s.startswith(f"{toml}:7:") and "'edtor' is not a role; did you mean 'editor'?" in s
               for s in said), said


@pytest.fixture(scope="module")
def meta_book(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    root = _book(tmp_path_factory.mktemp("meta"), '''isbn_epub = "9780306406157"
isbn_print = "9781491946008"
series = "The Widget Books"
series_number = 2

[[contributors]]
name = "Ann Editor"
role = "editor"

[[contributors]]
name = "Tom Translator"
role = "trl"
''')
    return build(root, root / "dist")


def test_the_opf_has_the_ebook_isbn_the_series_and_the_contributors(meta_book: BuildResult) -> None:
    epub = next(f for f in meta_book.files if f.suffix == ".epub")
    package = opf(epub)
    identifier = package.find(".//dc:identifier", OPF_NS)
    assert identifier.text == "urn:isbn:9780306406157"
    assert package.get("unique-identifier") == identifier.get("id")
    collection = package.find(".//opf:meta[@property='belongs-to-collection']", OPF_NS)
    assert collection.text == "The Widget Books"
    refines = {m.get("property"): m.text for m in package.iterfind(
        f".//opf:meta[@refines='#{collection.get('id')}']", OPF_NS)}
    assert refines == {"collection-type": "series", "group-position": "2"}
    contributors = {c.text: c.get("id") for c in package.iterfind(".//dc:contributor", OPF_NS)}
    assert set(contributors) == {"Ann Editor", "Tom Translator"}
    for name, code in (("Ann Editor", "edt"), ("Tom Translator", "trl")):
        role = package.find(f".//opf:meta[@refines='#{contributors[name]}'][@property='role']", OPF_NS)
        assert (role.text, role.get("scheme")) == (code, "marc:relators")
    assert epubcheck(epub) == []


def test_each_edition_prints_its_own_isbn(meta_book: BuildResult) -> None:
    epub = next(f for f in meta_book.files if f.suffix == ".epub")
    pdf = next(f for f in meta_book.files if f.suffix == ".pdf")
    copyright_page = "".join(dict(spine_documents(epub))["copyright.xhtml"].itertext())
    assert "ISBN 978-0-306-40615-7" in copyright_page and "978-1-4919" not in copyright_page
    assert "The Widget Books, book 2" in copyright_page
    assert "Edited by Ann Editor" in copyright_page and "Translated by Tom Translator" in copyright_page
    pages = pdf_pages(pdf)
    printed = next(p for p in pages if "ISBN" in p.body)
    assert "ISBN 978-1-4919-4600-8" in printed.body and "978-0-306" not in printed.body
    assert "The Widget Books, book 2" in pages[0].body  # the half-title
    title = next(p for p in pages if "Edited by" in p.body)
    assert "Edited by Ann Editor" in title.body and "Translated by Tom Translator" in title.body
    assert title.number < printed.number  # the title page, then the copyright page
