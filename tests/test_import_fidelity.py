"""Import fidelity on small books written for the tests, one per source kind, each in the
layout its tool expects: tests/fixtures/import-mdbook-real (mdBook), import-gitbook
(GitBook) and import-leanpub (Leanpub). Each goes through import and build and the same
checks and measures as `make corpus` (scripts/corpus.py) applies to the whole public
books, which stay outside the repository: import and build exit 0, EPUBCheck and Ace
clean, 99 % of the source's paragraphs and code lines in the EPUB (and, for the mdBook,
in the PDF, with no text off the page), code inside code elements, no ``` {{# {% left
in the text. The fixtures exercise the constructs those books use (see each README.md).

A target today's importer misses is marked xfail(strict=True) with its cause: fixing
the cause turns the mark into a failure, so remove it then."""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FIXTURES
from tests.helpers import ace_checker, require, require_command

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "corpus.py"
# (name, fixture, the book's folder inside it, whether the PDF is built and measured too,
# the import options as scripts/corpus-sources.txt writes them, {repo} being the fixture)
BOOKS = (
    ("mdbook", "import-mdbook-real", "guide", True,
     ("--within", "{repo}", "--base-url", "https://example.org/tally/")),
    ("gitbook", "import-gitbook", ".", False, ()),
    ("leanpub", "import-leanpub", ".", False, ()),
)
TARGETS = ("import exit 0", "build exit 0", "EPUBCheck 0 errors 0 warnings", "Ace 0 violations",
           "EPUB paragraphs >= 99%", "EPUB code lines >= 99%", "EPUB code lines inside code elements",
           "EPUB no ``` {{# {% in text", "PDF paragraphs >= 99%", "PDF code lines >= 99%",
           "PDF no ``` {{# {% in text", "PDF no text off the page")

# (book, target) -> the cause, while today's importer misses it: none today.
KNOWN: dict[tuple[str, str], str] = {}


@functools.cache
def _corpus() -> Any:
    spec = importlib.util.spec_from_file_location("corpus_harness", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Each book imported and built once, its targets measured (lazily, per book)."""
    return {"work": tmp_path_factory.mktemp("fidelity")}


def _outcome(results: dict[str, Any], name: str) -> dict[str, tuple[bool | None, str]]:
    if name not in results:
        corpus = _corpus()
        _, fixture, folder, pdf, options = next(book for book in BOOKS if book[0] == name)
        source = corpus.Source(name, "", "", folder, "", options)
        result = corpus.run_book(name, FIXTURES / fixture / folder, results["work"] / name, pdf=pdf,
                                 pandoc=False, import_options=source.import_options(FIXTURES / fixture))
        results[name] = {target: (ok, detail) for target, ok, detail in corpus.targets(result, pdf=pdf)}
        results[name + ":result"] = result
    return results[name]  # type: ignore[no-any-return]


def _cases() -> list[Any]:
    cases = []
    for name, _, _, pdf, _ in BOOKS:
        for target in TARGETS:
            if target.startswith("PDF") and not pdf:
                continue
            marks = []
            if (name, target) in KNOWN:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN[(name, target)]))
            cases.append(pytest.param(name, target, marks=marks, id=f"{name}-{target}"))
    return cases


@pytest.mark.parametrize(("name", "target"), _cases())
def test_an_imported_book_meets_the_corpus_target(results: dict[str, Any], name: str, target: str) -> None:
    if target.startswith("EPUBCheck"):
        require_command("java")
    if target.startswith("Ace"):
        ace_checker()
    if target.startswith("PDF"):
        require_command("pdftotext")
    met, detail = _outcome(results, name)[target]
    result = results[name + ":result"]
    if met is None and result.checker_errors:
        require(False, "; ".join(result.checker_errors))
    assert met, f"{name}: {target}: {detail}"


def test_the_source_is_read_as_its_tool_would() -> None:
    """The measuring code itself: mdBook includes expanded (anchors, line ranges, from outside
    src/; escaped ones kept as text), hidden Rust lines left out, GitBook tags removed and
    {% include %} expanded, Leanpub's Book.txt order, attribute lines and aside markers."""
    corpus = _corpus()
    guide = corpus.expected_from_source(FIXTURES / "import-mdbook-real" / "guide")
    assert guide.kind == "mdbook"
    assert [c.name for c in guide.chapters] == ["foreword.md", "counting.md", "tallies.md", "sharing.md",
                                                 "directives.md", "colophon.md"]  # the draft left out
    code = [item.text for item in guide.code]
    assert "pub struct Tally {" in code and not any("ANCHOR" in line for line in code)
    assert "//! A tally sheet: how many birds of each kind were seen." in code  # lines 2 to 5
    assert any("strokes.chars()" in line for line in code)  # {{#playground examples/hide.rs}}
    assert "\\{{#include examples/tally.rs:tally}}" not in code
    assert "{{#include examples/tally.rs:tally}}" in code  # escaped: literal text
    assert any('format!("{kind};{count}")' in line for line in code)  # from shared/, outside the book
    assert any("Send each count within a week" in p.text for p in guide.paragraphs)
    assert guide.hidden_code_lines > 0 and "# fn main() {" not in code
    assert "~import json" not in code  # book.toml's hidelines for Python
    gitbook = corpus.expected_from_source(FIXTURES / "import-gitbook")
    assert gitbook.kind == "gitbook" and not any("{%" in p.text for p in gitbook.paragraphs)
    assert [c.name for c in gitbook.chapters] == ["README.md", "installing.md", "first-firing.md",
                                                   "schedules.md"]
    assert any("Keep the area around the kiln clear" in p.text for p in gitbook.paragraphs)  # included
    assert any("Switch the kiln off" in p.text for p in gitbook.paragraphs)  # inside {% hint %}
    assert not any("pottery kiln" in p.text and "description" in p.text for p in gitbook.paragraphs)
    leanpub = corpus.expected_from_source(FIXTURES / "import-leanpub")
    assert leanpub.kind == "leanpub" and [c.name for c in leanpub.chapters] == [
        "frontmatter.txt", "preface.txt", "mainmatter.txt", "chapter1.txt", "chapter2.txt"]
    assert not any(p.text.startswith(("{lang=", "{width=", "{frontmatter}", "I>", "T>", "W>"))
                   for p in leanpub.paragraphs)
    assert any("normally closed" in p.text for p in leanpub.paragraphs)  # an I> aside's text is counted
    assert "$ python check_valve.py 1" in [item.text for item in leanpub.code]  # a fence inside an aside


def test_the_corpus_list_gives_each_book_its_import_options() -> None:
    """scripts/corpus-sources.txt, as `make corpus` reads it: {repo} is the book's repository."""
    sources = _corpus().read_sources()
    options = {s.name: s.import_options(Path("/r")) for s in sources}
    assert options["mdbook-guide"][:2] == ["--within", "/r"]
    assert "--base-url" in options["nomicon"]
    assert not any(word in s.licence.upper() for s in sources for word in ("GPL", "NC"))


Imported = tuple[subprocess.CompletedProcess[str], list[str]]


@pytest.fixture(scope="module")
def manuscript_alone(tmp_path_factory: pytest.TempPathFactory) -> Imported:
    """manuscript/ given as the source: Book.txt and .txt chapters, no .md file at all;
    the import's outcome and the chapter files it wrote."""
    src = FIXTURES / "import-leanpub" / "manuscript"
    assert not list(src.rglob("*.md"))
    book = tmp_path_factory.mktemp("manuscript") / "book"
    done = subprocess.run([sys.executable, "-m", "builder", "import", str(src), str(book)],
                          capture_output=True, text=True, cwd=ROOT)
    return done, sorted(p.name for p in (book / "chapters").glob("*.md"))


def test_a_leanpub_folder_of_txt_chapters_alone_imports(manuscript_alone: Imported) -> None:
    done, chapters = manuscript_alone
    assert done.returncode == 0, done.stderr
    # in Book.txt's order, whatever their numbers
    assert [name.split("-", 1)[1] for name in chapters] == [
        "preface.md", "chapter1.md", "chapter2.md"], chapters


def test_a_leanpub_file_of_section_markers_only_is_no_chapter(manuscript_alone: Imported) -> None:
    done, chapters = manuscript_alone
    assert done.returncode == 0, done.stderr
    assert chapters == ["01-preface.md", "02-chapter1.md", "03-chapter2.md"], chapters


def test_a_leanpub_link_to_an_id_in_another_chapter_stays_a_link(results: dict[str, Any]) -> None:
    _outcome(results, "leanpub")
    epub = results["leanpub:result"].epub
    assert epub, "the Leanpub book did not build"
    with zipfile.ZipFile(epub) as archive:
        texts = [archive.read(n).decode() for n in archive.namelist() if n.endswith(".xhtml")]
    chapter = next(text for text in texts if "the next chapter waters" in text.lower())
    link = re.search(r'<a [^>]*href="[^"]*#[^"]*schedule"[^>]*>the schedule</a>', chapter)
    assert link, "chapter 1's link to chapter 2's {#schedule} heading was unlinked"
