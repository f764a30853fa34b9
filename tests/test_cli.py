"""The command line: version, progress, and errors without tracebacks."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from builder import __version__
from builder.cli import main
from builder.pipeline import NO_PAGE_LIST
from tests.conftest import FIXTURES


def test_version() -> None:
    done = subprocess.run([sys.executable, "-m", "builder", "--version"],
                          capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"book-builder {__version__}"


def test_the_quick_exit_runs_the_exit_handlers_and_flushes_the_streams(tmp_path: Path) -> None:
    script = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
        "print('buffered before the exit', end='')\n"
        f"sys.argv = ['book-builder', 'check', {str(FIXTURES / 'small-book')!r}]\n"
        "from builder.cli import run\n"
        "run()\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "buffered before the exit"
    assert "exit handler ran" in done.stderr
    assert "0 errors" in done.stderr


def test_the_quick_exit_keeps_the_exit_status(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "builder", "check", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "book.toml" in done.stderr


def test_build_prints_a_line_per_stage(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    err = io.StringIO()
    assert main(["build", "--out", str(tmp_path / "dist"), str(book)], err) == 0
    *lines, summary = err.getvalue().splitlines()
    stages = [line.split()[1] for line in lines]
    assert stages == ["manuscript", "layout", "pdf", "epub", "write"]
    assert summary.startswith("book-builder: built ")
    assert sorted(p.name for p in (tmp_path / "dist").iterdir()) == [
        "a-small-test-book.epub", "a-small-test-book.pdf"]


def test_the_summary_line_says_files_sizes_pages_words_warnings_and_time(tmp_path: Path) -> None:
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    err = io.StringIO()  # not a terminal: plain lines, no bar
    assert main(["build", "--quiet", "--out", str(tmp_path / "dist"), str(book)], err) == 0
    [summary] = err.getvalue().splitlines()
    sizes = {p.name: p.stat().st_size for p in (tmp_path / "dist").iterdir()}
    words = sum(len(chapter.read_text().split()) for chapter in (book / "chapters").glob("*.md"))
    found = re.fullmatch(r"book-builder: built a-small-test-book\.pdf \((\d+\.\d) KB\), "
                         r"a-small-test-book\.epub \((\d+\.\d) KB\): (\d+) pages, (\d+) words, "
                         r"0 warnings, (\d+\.\d) s", summary)
    assert found, summary
    pdf_kb, epub_kb, pages, counted, seconds = found.groups()
    assert (float(pdf_kb), float(epub_kb)) == (round(sizes["a-small-test-book.pdf"] / 1000, 1),
                                               round(sizes["a-small-test-book.epub"] / 1000, 1))
    assert int(pages) == len(PdfReader(tmp_path / "dist" / "a-small-test-book.pdf").pages)
    assert 0.7 * words <= int(counted) <= words, "the words of the text, not of its Markdown marks"
    assert float(seconds) > 0
    err = io.StringIO()  # an EPUB alone, no page map of this content: no page count, one warning
    shutil.rmtree(book / ".cache")
    assert main(["build", "--epub", "--out", str(tmp_path / "epub"), str(book)], err) == 0
    *_, warning, summary = err.getvalue().splitlines()
    assert warning.endswith(f"warning: {NO_PAGE_LIST}")
    assert re.fullmatch(r"book-builder: built a-small-test-book\.epub \(\d+\.\d KB\): "
                        rf"{counted} words, 1 warning, \d+\.\d s", summary), summary


def test_an_epub_only_rebuild_reuses_the_page_map(tmp_path: Path) -> None:
    book = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", book)
    assert main(["build", "--quiet", "--out", str(tmp_path / "dist"), str(book)], io.StringIO()) == 0
    err = io.StringIO()
    assert main(["build", "--epub", "--out", str(tmp_path / "dist"), str(book)], err) == 0
    assert "(cached page map)" in err.getvalue() and NO_PAGE_LIST not in err.getvalue()
    changed = "# The Second Chapter\n\n## The End {#the-end}\n\nChanged.\n"
    (book / "chapters" / "02-second.md").write_text(changed)
    err = io.StringIO()
    assert main(["build", "--epub", "--out", str(tmp_path / "dist"), str(book)], err) == 0
    assert "(cached page map)" not in err.getvalue(), "a changed chapter's pages are not known"
    assert NO_PAGE_LIST in err.getvalue(), "the build says the page list was left out"


def test_a_bad_book_exits_non_zero_without_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "builder", "build", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1
    assert "book.toml: error: no book.toml here" in done.stderr
    assert "Traceback" not in done.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "builder", "--debug", "build", str(tmp_path)],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "Traceback" in done.stderr


def test_a_failed_build_keeps_the_good_files(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    book = tmp_path / "good"
    shutil.copytree(FIXTURES / "small-book", book)
    assert main(["build", "--epub", "--quiet", "--out", str(out), str(book)], io.StringIO()) == 0
    good = (out / "a-small-test-book.epub").read_bytes()
    broken = tmp_path / "broken"
    (broken / "book").mkdir(parents=True)
    (broken / "book" / "book.toml").write_text(
        (book / "book" / "book.toml").read_text().replace("chapters = [", "chapters = [\"nope.md\", "))
    assert main(["build", "--epub", "--quiet", "--out", str(out), str(broken)], io.StringIO()) == 1
    assert (out / "a-small-test-book.epub").read_bytes() == good
    assert sorted(p.name for p in out.iterdir()) == ["a-small-test-book.epub"]


def test_a_book_named_by_a_relative_path_is_read_from_any_folder(tmp_path: Path) -> None:
    book = shutil.copytree(FIXTURES / "tech-book", tmp_path / "shelf" / "tech")
    for cwd, name in ((tmp_path, "shelf/tech"), (tmp_path / "shelf", "tech"), (book, ".")):
        checked = subprocess.run([sys.executable, "-m", "builder", "check", name], cwd=cwd,
                                 capture_output=True, text=True, check=False)
        assert checked.returncode == 0 and "0 errors" in checked.stderr, checked.stderr


def test_check_as_json_for_editors_and_ci(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    (book / "chapters" / "02-second.md").write_text("# Second\n\n#### Deep\n\n[x](#nope)\n")
    err = io.StringIO()
    assert main(["check", "--format", "json", str(book)], err) == 1
    assert err.getvalue() == ""
    found = json.loads(capsys.readouterr().out)
    assert found == {"errors": 2, "warnings": 1, "diagnostics": [
        {"file": "chapters/01-first.md", "line": 5, "column": 90, "level": "error",
         "message": "link to '#the-end': no heading or element has the id 'the-end'"},
        {"file": "chapters/02-second.md", "line": 3, "column": 6, "level": "warning",
         "message": "heading level skips from h1 to h4 ('Deep'); the book moves it up to one level below "
                    "the heading above it: write ## for it"},
        {"file": "chapters/02-second.md", "line": 5, "column": 5, "level": "error",
         "message": "link to '#nope': no heading or element has the id 'nope'"},
    ]}


def test_check_as_json_of_a_good_book_and_of_no_book(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", str(FIXTURES / "small-book")], io.StringIO()) == 0
    assert json.loads(capsys.readouterr().out) == {"errors": 0, "warnings": 0, "diagnostics": []}
    assert main(["check", "--format", "json", str(tmp_path)], io.StringIO()) == 1
    found = json.loads(capsys.readouterr().out)
    assert found["errors"] == 1 and found["diagnostics"][0]["file"] == "book/book.toml"
    assert found["diagnostics"][0]["line"] is None


def test_a_failed_build_ends_with_a_summary_line(tmp_path: Path) -> None:
    book = shutil.copytree(FIXTURES / "small-book", tmp_path / "book")
    (book / "chapters" / "02-second.md").write_text("# Second\n\n[x](#nope) [y](#nor)\n")
    err = io.StringIO()
    assert main(["build", "--quiet", str(book)], err) == 1
    assert err.getvalue().splitlines()[-1] == "book-builder: 3 errors, 0 warnings"
