"""`book-builder new`: a new book folder builds at once, clean, and shows every key."""

from __future__ import annotations

import io
import re
import subprocess
import tomllib
from pathlib import Path

import pytest

from builder.cli import main
from builder.config import PRINT_SCHEMA, SCHEMA, STYLE_SCHEMA, load_config
from builder.pipeline import BuildResult, build
from tests.conftest import REPO
from tests.helpers import ace_checker, epubcheck, require_command

SCAFFOLD = REPO / "builder" / "new-book"


def _new(*argv: str) -> tuple[int, str]:
    err = io.StringIO()
    status = main(["new", *argv], stderr=err)
    return status, err.getvalue()


@pytest.fixture(scope="module")
def new_book(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    book = tmp_path_factory.mktemp("new") / "my-book"
    status, said = _new(str(book), "--title", "A First Book", "--author", "Ann Example", "--lang", "en-GB")
    assert status == 0, said
    assert f"make book BOOK_DIR={book}" in said
    return book, build(book, book / "dist")


def test_a_new_book_builds_both_editions_without_a_warning(new_book: tuple[Path, BuildResult]) -> None:
    book, result = new_book
    assert result.warnings == ()
    assert sorted(f.name for f in result.files) == ["a-first-book.epub", "a-first-book.pdf"]
    pdf = book / "dist" / "a-first-book.pdf"
    info = subprocess.run([require_command("pdfinfo"), str(pdf)], capture_output=True, text=True,
                          check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE)[1])  # type: ignore[index]
    assert pages >= 8  # half-title, title, copyright, contents, two chapters on rectos


def test_a_new_book_is_epubcheck_and_ace_clean(new_book: tuple[Path, BuildResult]) -> None:
    epub = new_book[0] / "dist" / "a-first-book.epub"
    messages = epubcheck(epub)
    assert messages == [], "\n".join(f"{m['severity']} {m['ID']}: {m['message']}" for m in messages)
    found = ace_checker().run_ace(epub)
    assert found == [], "\n".join(f"{v['impact']} {v['rule']} {v['file']}: {v['message']}" for v in found)


def test_the_sample_chapters_show_each_feature(new_book: tuple[Path, BuildResult]) -> None:
    """Each feature the scaffold means to show reached the print HTML: a feature the
    Markdown set-up stopped reading would leave the sample showing its raw syntax."""
    book, _ = new_book
    html = subprocess.run([require_command("pdftotext"), str(book / "dist" / "a-first-book.pdf"), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert "--8<--" not in html.replace('--8<-- "chapters/includes/hello.py"', "")
    assert "Included where a chapter names this file." in html  # the include
    for shown in ("An admonition", "Tip", "A folded note", "☑", "☐", "From one book folder to two books",
                  "greeting.py", "highlighted", "Like this one."):
        assert shown.lower() in html.lower(), shown
    for raw in ("==", "~~", "^^", "[!TIP]", "!!!", "???", "[^margin]", "](", "[x]"):
        assert raw not in html, f"{raw!r} left as written"


def test_book_toml_names_every_key_the_builder_knows() -> None:
    text = (SCAFFOLD / "book" / "book.toml").read_text(encoding="utf-8")
    for table, schema in (("", SCHEMA), ("print", PRINT_SCHEMA), ("style", STYLE_SCHEMA)):
        body = _table_text(text, table)
        for key, spec in schema.items():
            if spec.kind is dict and key in ("print", "style"):
                assert re.search(rf"^\[{key}\]$", text, re.MULTILINE), f"[{key}] is missing"
                continue
            assert re.search(rf"^(# )?{key} = ", body, re.MULTILINE), \
                f"{table or 'top level'}: {key!r} is not in the new book's book.toml"


def _table_text(text: str, table: str) -> str:
    """The lines of book.toml's *table* ("" the top level, before the first table)."""
    sections = re.split(r"^\[(\w+)\]$", text, flags=re.MULTILINE)
    if not table:
        return sections[0]
    return sections[sections.index(table) + 1]


def test_the_title_and_authors_read_back_as_given(tmp_path: Path) -> None:
    title = 'The "Quoted" Title \\ with a backslash and ünïcode'
    status, said = _new(str(tmp_path / "b"), "--title", title, "--author", "A. One", "--author", "B. Two")
    assert status == 0, said
    meta = load_config(tmp_path / "b")
    assert (meta.title, meta.authors, meta.language) == (title, ("A. One", "B. Two"), "en")
    data = tomllib.loads((tmp_path / "b" / "book" / "book.toml").read_text(encoding="utf-8"))
    assert data["identifier"].startswith("urn:uuid:") and data["style"] == {}


def test_the_defaults_and_the_files(tmp_path: Path) -> None:
    status, said = _new(str(tmp_path / "b"))
    assert status == 0, said
    meta = load_config(tmp_path / "b")
    assert (meta.title, meta.authors, meta.language) == ("Untitled", ("Your Name",), "en")
    written = sorted(str(p.relative_to(tmp_path / "b")) for p in (tmp_path / "b").rglob("*") if p.is_file())
    assert written == [".gitignore", "book/book.toml", "chapters/01-first-steps.md",
                       "chapters/02-the-toolbox.md", "chapters/images/how-it-works.svg",
                       "chapters/includes/hello.py", "styles/custom.css"]
    assert (tmp_path / "b" / ".gitignore").read_text().split() == \
        ["#", "What", "book-builder", "makes:", "the", "built", "books", "and", "its", "cache.",
         "dist/", ".cache/"]
    assert [p.name for p in tmp_path.iterdir()] == ["b"], "a temporary folder was left beside the book"


def test_an_empty_folder_is_taken(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    status, said = _new(str(tmp_path / "empty"))
    assert status == 0, said
    assert (tmp_path / "empty" / "book" / "book.toml").is_file()


def test_a_folder_that_is_not_empty_is_refused_and_left_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "taken"
    (folder / "notes.md").parent.mkdir()
    (folder / "notes.md").write_text("mine\n")
    status, said = _new(str(folder), "--title", "X")
    assert status != 0
    assert said.startswith(f"{folder}: error: ") and "not empty" in said and "Traceback" not in said
    assert [p.name for p in folder.iterdir()] == ["notes.md"]
    assert [p.name for p in tmp_path.iterdir()] == ["taken"]


def test_a_file_in_the_way_is_refused(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    status, said = _new(str(tmp_path / "file"))
    assert status != 0 and "not a folder" in said
    assert (tmp_path / "file").read_text() == "x"


@pytest.mark.parametrize(("argv", "message"), [
    (("--lang", "english"), "--lang: 'english' is not a BCP 47 language tag"),
    (("--title", "  "), "--title must not be empty"),
    (("--author", "Ann\nExample"), "--author 'Ann\\nExample' holds a control character"),
])
def test_a_value_book_toml_would_refuse_is_refused_before_writing(
        tmp_path: Path, argv: tuple[str, ...], message: str) -> None:
    status, said = _new(str(tmp_path / "b"), *argv)
    assert status != 0 and message in said, said
    assert not (tmp_path / "b").exists()


def test_the_scaffold_is_package_data() -> None:
    """Every file of builder/new-book/ is matched by pyproject's package-data (the wheel
    holds what they match: tests/test_package.py installs one)."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    shipped = {path for pattern in patterns["builder"] for path in (REPO / "builder").glob(pattern)}
    files = {path for path in SCAFFOLD.rglob("*") if path.is_file() and "__pycache__" not in path.parts}
    assert files and files <= shipped, sorted(str(p) for p in files - shipped)
