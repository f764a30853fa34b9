"""Every author mistake gets a clear word: file, line and column, what to do, a
non-zero exit, no traceback, and dist/ exactly as it was."""

from __future__ import annotations

import errno
import io
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from builder import images, output
from builder.cli import main
from builder.pipeline import build
from tests.conftest import FIXTURES
from tests.helpers import write_file

GOOD_TOML = (FIXTURES / "small-book" / "book" / "book.toml").read_text()


@pytest.fixture(scope="session")
def good_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small book's editions, built once: every test starts from them."""
    book = tmp_path_factory.mktemp("good") / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    build(book, book / "dist")
    return book / "dist"


@dataclass
class Book:
    root: Path
    before: dict[str, bytes]

    def write(self, relative: str, text: str | bytes) -> Path:
        return write_file(self.root / relative, text)

    def toml(self, extra: str = "", replace: tuple[str, str] | None = None) -> None:
        text = GOOD_TOML.replace(*replace) if replace else GOOD_TOML
        self.write("book/book.toml", text + extra)

    def run(self, *args: str) -> tuple[int, str]:
        err = io.StringIO()
        code = main([*args, str(self.root)] if args[0] == "check"
                    else ["build", "--quiet", *args[1:], str(self.root)], err)
        return code, err.getvalue()

    def build(self) -> tuple[int, str]:
        return self.run("build")

    def dist_unchanged(self) -> bool:
        now = {p.name: p.read_bytes() for p in (self.root / "dist").iterdir()}
        return now == self.before


@pytest.fixture
def book(tmp_path: Path, good_dist: Path) -> Book:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", root)
    shutil.copytree(good_dist, root / "dist")
    return Book(root, {p.name: p.read_bytes() for p in good_dist.iterdir()})


def fails(book: Book, *expected: str) -> str:
    """The build fails cleanly: non-zero exit, every expected text said, dist/ untouched."""
    code, said = book.build()
    assert code != 0, said
    for text in expected:
        assert text in said, f"{text!r} not in:\n{said}"
    assert "Traceback" not in said
    assert book.dist_unchanged(), "a failed build changed dist/"
    return said


def warns(book: Book, *expected: str) -> str:
    code, said = book.build()
    assert code == 0, said
    for text in expected:
        assert text in said, f"{text!r} not in:\n{said}"
    assert "warning:" in said
    return said


# --- book.toml -----------------------------------------------------------------

def test_missing_book_toml(book: Book) -> None:
    (book.root / "book" / "book.toml").unlink()
    fails(book, "book/book.toml: error: no book.toml here")


def test_book_toml_not_toml(book: Book) -> None:
    book.write("book/book.toml", 'title = "T"\nauthors = ["A"]\nlanguage = en\n')
    fails(book, "book.toml:3:12: error: not valid TOML")


def test_unknown_key_with_suggestion(book: Book) -> None:
    book.toml('\npublsher = "X"\n')
    fails(book, "book.toml:9:1: error: publsher: unknown key; did you mean 'publisher'?")


def test_wrong_type(book: Book) -> None:
    book.toml(replace=('date = "2024-02-29"', "date = 12"))
    fails(book, "book.toml:5:1: error: date: expected a date or a string")


def test_missing_title(book: Book) -> None:
    book.toml(replace=('title = "A Small Test Book"\n', ""))
    fails(book, "error: title: missing; add the book's title")


def test_bad_language_tag(book: Book) -> None:
    book.toml(replace=('language = "en-GB"', 'language = "english!"'))
    fails(book, "book.toml:3:1: error: language: 'english!' is not a BCP 47 language tag")


def test_bad_date(book: Book) -> None:
    book.toml(replace=('date = "2024-02-29"', 'date = "2023-02-29"'))
    fails(book, "book.toml:5:1: error: date: '2023-02-29' is not a date; write YYYY-MM-DD")


def test_bad_isbn_checksum(book: Book) -> None:
    book.toml('isbn = "978-3-16-148410-1"\n')
    fails(book, "error: isbn: '978-3-16-148410-1' is not a valid ISBN-13 or ISBN-10")


def test_listed_chapter_missing(book: Book) -> None:
    book.toml(replace=('"chapters/02-second.md"', '"chapters/02-secnd.md"'))
    fails(book, "book.toml:7:37: error: chapters: 'chapters/02-secnd.md' is listed but there is no such "
          "file; did you mean 'chapters/02-second.md'?")


def test_a_bad_key_does_not_hide_the_chapters_problems(book: Book) -> None:
    book.toml('\npublsher = "X"\n', replace=('language = "en-GB"', 'language = 12'))
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nSee [there](#nowhere).\n")
    for said in (fails(book), book.run("check")[1]):
        for text in ("book.toml:3:1: error: language: expected a string",
                     "book.toml:9:1: error: publsher: unknown key",
                     "02-second.md:5:13: error: link to '#nowhere': no heading or element has the id"):
            assert text in said, f"{text!r} not in:\n{said}"


def test_a_misspelt_chapter_in_book_toml_does_not_hide_the_other_chapter(book: Book) -> None:
    book.toml(replace=('"chapters/02-second.md"', '"chapters/02-secnd.md"'))
    book.write("chapters/01-first.md", "# First\n\nText.[^gone]\n")
    said = fails(book, "error: chapters: 'chapters/02-secnd.md' is listed but there is no such file",
                 "01-first.md:3:6: error: footnote [^gone] is referenced but never defined")
    assert "cannot read the file" not in said, "the missing file is said once, in book.toml"


def test_a_bad_chapters_value_stops_at_book_toml(book: Book) -> None:
    book.toml(replace=('chapters = [', 'chapters = 12\nx = ['))
    code, said = book.run("check")
    assert code == 1 and "chapters: expected a list or a string" in said
    assert "01-first.md" not in said, "no chapter list to read"


def test_unlisted_chapter_file_is_a_warning(book: Book) -> None:
    book.write("chapters/03-draft.md", "# Draft\n\nNot yet.\n")
    warns(book, "chapters/03-draft.md: warning: this chapter file is not listed")


def test_two_chapters_with_the_same_title(book: Book) -> None:
    book.write("chapters/02-second.md", "# The First Chapter\n\n## The End {#the-end}\n\nText.\n")
    fails(book, "02-second.md:1:1: error: two chapters have the same title 'The First Chapter'")


def test_empty_chapter(book: Book) -> None:
    book.write("chapters/02-second.md", "\n\n")
    fails(book, "02-second.md: error: the chapter is empty")


# --- chapters -------------------------------------------------------------------

def test_chapter_not_utf8_names_the_byte(book: Book) -> None:
    book.write("chapters/02-second.md", b"# Second\n\nCaf\xe9 au lait.\n")
    fails(book, "02-second.md:3:4: error: not UTF-8: byte 13 is 0xe9")


def test_chapter_without_heading(book: Book) -> None:
    book.write("chapters/02-second.md", "Just text, no heading.\n")
    fails(book, "02-second.md:1:1: error: no chapter heading")


def test_a_chapter_without_heading_still_has_its_other_problems_told(book: Book) -> None:
    book.write("chapters/02-second.md",
               "Just text.\n\n## The End {#the-end}\n\nSee [there](#nowhere).[^gone]\n\n![](map.png)\n")
    fails(book, "02-second.md:1:1: error: no chapter heading",
          "02-second.md:5:13: error: link to '#nowhere': no heading or element has the id 'nowhere'",
          "02-second.md:5:23: error: footnote [^gone] is referenced but never defined",
          "02-second.md:7:4: error: the image 'map.png' has no alt text")


def test_heading_levels_that_skip_warn(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n#### Deep\n\nText.\n")
    warns(book, "02-second.md:5:6: warning: heading level skips from h2 to h4 ('Deep')")


def test_link_to_a_missing_anchor(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nSee [there](#nowhere).\n")
    fails(book, "02-second.md:5:13: error: link to '#nowhere': no heading or element has the id 'nowhere'")


def test_link_to_a_missing_chapter(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nSee [it](03-x.md).\n")
    fails(book, "02-second.md:5:10: error: link to '03-x.md': no chapter file '03-x.md' in the book")


def test_link_to_a_local_file_that_is_no_chapter(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nSee [code](src/main.rs).\n")
    fails(book, "02-second.md:5:12: error: link to 'src/main.rs': only chapters (.md) and web addresses")


def test_a_link_whose_parentheses_do_not_pair_is_named_not_a_crash(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n[0](https://example.org/()\n"
               "' ([^n1]\n\n[^n1]: a note\n")
    fails(book, "02-second.md:5:3: error: the link to 'https://example.org/()' runs on over what follows it")


def test_duplicate_ids(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n## Again {#the-end}\n")
    fails(book, "error: the id 'the-end' is used twice in this chapter")


def test_missing_image(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n![A map](map.png)\n")
    said = fails(book, "02-second.md:5:9: error: image 'map.png' not found")
    assert "did you mean" not in said, "the book has no image to suggest"


@pytest.mark.parametrize("where, src, meant", [
    ("chapters/maps/harbour.png", "maps/harbor.png", "maps/harbour.png"),  # next to the chapter
    ("images/harbour.PNG", "images/harbor.PNG", "images/harbour.PNG"),  # in the book folder
    ("images/harbour.png", "harbor.png", "images/harbour.png"),
])
def test_a_misspelt_image_names_the_file_meant(book: Book, where: str, src: str, meant: str) -> None:
    from PIL import Image

    (book.root / where).parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (64, 64)).save(book.root / where, "PNG")
    book.write("chapters/02-second.md", f"# Second\n\n## The End {{#the-end}}\n\n![A map]({src})\n")
    fails(book, f"02-second.md:5:9: error: image '{src}' not found next to the chapter or in the book "
          f"folder; did you mean '{meant}'?")


def test_not_an_image(book: Book) -> None:
    book.write("chapters/map.png", "this is text")
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n![A map](map.png)\n")
    fails(book, "error: 'map.png' is not an image EPUB readers can show")


def test_image_too_large(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(book.root / "chapters" / "map.png")
    monkeypatch.setattr(images, "MAX_IMAGE_BYTES", 10)
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n![A map](map.png)\n")
    fails(book, "error: image 'map.png' is", "the limit is")


def test_image_without_alt_text(book: Book) -> None:
    from PIL import Image

    Image.new("RGB", (64, 64)).save(book.root / "chapters" / "map.png")
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n![](map.png)\n")
    fails(book, "02-second.md:5:4: error: the image 'map.png' has no alt text")


def test_footnote_referenced_but_not_defined(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nText.[^gone]\n")
    fails(book, "02-second.md:5:6: error: footnote [^gone] is referenced but never defined")


def test_footnote_defined_but_never_referenced(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nText.\n\n[^lost]: Alone.\n")
    warns(book, "02-second.md:7:1: warning: footnote 'lost' is defined but never referenced")


# --- raw HTML -------------------------------------------------------------------

def test_malformed_raw_html_is_repaired_with_a_warning(book: Book) -> None:
    book.write("chapters/02-second.md",
               "# Second\n\n## The End {#the-end}\n\n<div class=box><p>Open <b>bold\n</div>\n\nAfter.\n")
    warns(book, "02-second.md:5:1: warning: raw HTML is not well-formed XHTML")


def test_an_unclosed_div_that_would_take_in_the_rest_of_the_chapter_is_an_error(book: Book) -> None:
    book.write("chapters/02-second.md",
               "# Second\n\n<div class=\"box\">Boxed.\n\n## The End {#the-end}\n\nFirst.[^1]\n\nSecond.\n\n"
               "[^1]: The note.\n")
    said = fails(book, "02-second.md:3:1: error: the <div> opened here is never closed: the rest of the "
                 "chapter (3 paragraphs, the footnotes) would go inside it", "close it with </div>")
    assert "warning: raw HTML" not in said


def test_an_unclosed_div_at_the_chapter_s_end_is_only_repaired(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nText.\n\n<div>Last\nlines.\n")
    warns(book, "02-second.md:7:1: warning: raw HTML is not well-formed XHTML")


def test_a_div_closed_further_on_takes_nothing_it_should_not(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n<div>\n\n<p>Inside.</p>\n\n"
               "</div>\n\nAfter.\n")
    code, said = book.run("check")
    assert code == 0 and "error" not in said.replace("0 errors", ""), said


@pytest.mark.parametrize("markup, said", [
    ("<script>alert(1)</script>", "5:1: error: <script> is not allowed in a book"),
    ('<iframe src="https://example.org"></iframe>', "5:1: error: <iframe> is not allowed in a book"),
    ('<p onclick="steal()">Click</p>', "5:4: error: event handler onclick=\"…\" on <p> is not allowed"),
    ('[Click](javascript:alert(1))', "5:9: error: href=\"javascript:alert(1)\" is a script URL"),
])
def test_active_content_is_refused(book: Book, markup: str, said: str) -> None:
    book.write("chapters/02-second.md", f"# Second\n\n## The End {{#the-end}}\n\n{markup}\n")
    fails(book, said)


def test_control_characters_are_refused(book: Book) -> None:
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nNUL\x00here.\n")
    fails(book, "02-second.md:5:4: error: control character U+0000 is not allowed")


# --- styles ---------------------------------------------------------------------

def test_css_that_does_not_parse(book: Book) -> None:
    book.write("styles/print.css", "p { color: black }\nh1 {{ broken\n")
    fails(book, "styles/print.css:2:", "error: CSS")


def test_css_unknown_property_is_a_warning_with_its_line(book: Book) -> None:
    book.write("styles/print.css", "p {\n  colr: red;\n}\n")
    warns(book, "styles/print.css:2:3: warning: CSS: Ignored `colr: red`")


def test_font_face_pointing_at_a_missing_file(book: Book) -> None:
    book.write("styles/base.css",
               "@font-face {\n  font-family: Mine;\n  src: url(fonts/mine.otf);\n}\n")
    fails(book, "styles/base.css:3:8: error: @font-face src url(fonts/mine.otf) points at no file")


# --- output ---------------------------------------------------------------------

def _temporary_files(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def test_output_folder_not_writable(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied", str(book.root / "dist"))

    monkeypatch.setattr(output.tempfile, "mkstemp", refuse)
    said = fails(book, "error: cannot write", "Permission denied")
    assert "dist" in said


def test_output_path_is_a_file(book: Book, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    code, said = book.run("build", "--out", str(blocker))
    assert code == 3 and "cannot create the output folder" in said and "Traceback" not in said


def test_disk_full_leaves_the_old_files(book: Book, monkeypatch: pytest.MonkeyPatch) -> None:
    real_fsync = output.os.fsync
    calls = []

    def full(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 2:  # the second file does not fit
            raise OSError(errno.ENOSPC, "No space left on device")
        real_fsync(descriptor)

    monkeypatch.setattr(output.os, "fsync", full)
    fails(book, "No space left on device")
    assert _temporary_files(book.root / "dist") == []


@pytest.mark.parametrize("stage", ["builder.pdf.write_pdf", "builder.output.os.replace"])
def test_ctrl_c_mid_build_leaves_the_old_files(book: Book, monkeypatch: pytest.MonkeyPatch,
                                               stage: str) -> None:
    def interrupt(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(stage, interrupt)
    code, said = book.build()
    assert code == 130 and "interrupted; dist/ was left as it was" in said
    assert book.dist_unchanged()
    assert _temporary_files(book.root / "dist") == []


# --- builder check --------------------------------------------------------------

def test_check_lists_every_problem_like_a_compiler(book: Book) -> None:
    book.write("chapters/01-first.md", "# First\n\nSee [x](#nope).\n\n<script>x</script>\n")
    book.write("chapters/02-second.md", "# Second\n\n#### Deep\n\n![](missing.png)\n")
    code, said = book.run("check")
    lines = said.splitlines()
    assert code == 1
    expected = [
        "01-first.md:3:9: error: link to '#nope'",
        "01-first.md:5:1: error: <script> is not allowed",
        "02-second.md:3:6: warning: heading level skips",
        "02-second.md:5:4: error: the image 'missing.png' has no alt text",
        "02-second.md:5:4: error: image 'missing.png' not found",
    ]
    for text in expected:
        assert any(text in line for line in lines), f"{text!r} not in:\n{said}"
    assert lines[-1] == "book-builder: 4 errors, 1 warning"
    assert book.dist_unchanged()


def _place(line: str) -> tuple[str, int, int]:
    file, line_number, column = line.split(": ")[0].split(":")
    return file, int(line_number), int(column)


def test_problems_are_told_once_sorted_by_file_line_and_column(book: Book) -> None:
    # Found in another order: each chapter's text checks, then its tree's, then the links book-wide.
    book.write("chapters/01-first.md", "# First\n\nSee [x](#nope). A note[^gone] and again[^gone].\n\n"
               "<script>x</script>\n")
    book.write("chapters/02-second.md", "# Second\n\n[y](#nope)\n\nNUL\x00here.\n")
    for command in ("check", "build"):
        code, said = book.run(command)
        errors = [line for line in said.splitlines() if ": error: " in line]
        assert code == 1 and len(errors) == 5, said
        assert errors == sorted(errors, key=_place), said
        assert len(set(errors)) == len(errors), said
        assert said.splitlines()[-1] == "book-builder: 5 errors, 0 warnings"


def test_counts_are_singular_and_plural_right(book: Book) -> None:
    book.write("chapters/01-first.md", "# First\n\n#### Deep\n\nText.\n")
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nText.[^gone]\n")
    assert book.run("check")[1].splitlines()[-1] == "book-builder: 1 error, 1 warning"
    assert fails(book).splitlines()[-1] == "book-builder: 1 error, 1 warning"


def test_each_chapter_s_problems_come_together_in_chapter_order(book: Book) -> None:
    # Texts are read (and their characters checked) before any is converted,
    # but each chapter's problems are still told together.
    book.write("chapters/01-first.md", "# First\n\nNUL\x00here.\n\n<script>x</script>\n")
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\nNUL\x00here.\n")
    code, said = book.run("check")
    problems = [line for line in said.splitlines() if ": error: " in line]
    assert code == 1
    assert [line.split(": error: ")[1][:11] for line in problems] == \
        ["control cha", "<script> is", "control cha"]
    assert ["01-first.md" in problems[0], "01-first.md" in problems[1],
            "02-second.md" in problems[2]] == [True, True, True]


def test_check_of_a_good_book_is_quiet(book: Book) -> None:
    assert book.run("check") == (0, "book-builder: 0 errors, 0 warnings\n")



def test_a_misspelt_include_names_the_file_meant(book: Book) -> None:
    book.write("chapters/code/hello.py", "print('hello')\n")
    book.write("chapters/02-second.md", "# Second\n\n## The End {#the-end}\n\n```python\n"
               "--8<-- \"code/helo.py\"\n```\n")
    fails(book, "02-second.md:6:9: error: the included file 'code/helo.py' is not in the book folder",
          "did you mean 'code/hello.py'?")
