"""Front and back matter: a chapter file's role (book.toml's `{ file, role }`, or `role:` in
its YAML front matter) puts it before the body with roman folios (a dedication, a preface …)
or after it (an appendix, lettered; a glossary …), each with its epub:type, ARIA role and
landmark, never numbered or paged as a chapter."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import ConfigError, ManuscriptError
from builder.manuscript import read_book
from builder.pipeline import BuildResult, build
from tests.helpers import (
    XHTML_NS,
    ace_checker,
    epubcheck,
    nav_document,
    pdf_pages,
    spine_documents,
    write_file,
)

EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
HEAD = 'title = "Matter"\nauthors = ["A. Writer"]\nlanguage = "en"\n'  # chapters starts on line 4
LONG = "\n\n".join(f"Paragraph {n} of a long appendix, long enough to run over a page or two of the "
                   "book so that its running heads can be read." * 3 for n in range(1, 30))


def _files(result: BuildResult) -> tuple[Path, Path]:
    return (next(f for f in result.files if f.suffix == ".epub"),
            next(f for f in result.files if f.suffix == ".pdf"))


def _book(root: Path, chapters: str, files: dict[str, str]) -> Path:
    write_file(root / "book" / "book.toml", HEAD + chapters)
    for name, text in files.items():
        write_file(root / "chapters" / name, text)
    return root


MATTER_FILES = {
    "01-one.md": "# One\n\n![A box](box.svg \"A box\"){#fig-box}\n\nSee [](#fig-box).\n",
    "02-two.md": "# Two\n\nText.\n",
    "10-sizes.md": "# Long Tables\n\n" + LONG + "\n",
    "11-more.md": "# More Tables\n\nText.\n",
    # Listed last, a dedication still opens the book: its front matter says what it is.
    "99-dedication.md": "---\nrole: dedication\n---\n# Dedication\n\nFor B.\n",
}
BOX = '<svg xmlns="http://www.w3.org/2000/svg" width="100" height="50"><rect width="100" height="50"/></svg>'


@pytest.fixture(scope="module")
def matter_book(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    root = _book(tmp_path_factory.mktemp("matter"), '''chapters = [
  "chapters/01-one.md",
  "chapters/02-two.md",
  { file = "chapters/10-sizes.md", role = "appendix" },
  { file = "chapters/11-more.md", role = "Appendix" },
  "chapters/99-dedication.md",
]
''', MATTER_FILES)
    write_file(root / "chapters" / "box.svg", BOX)
    return build(root, root / "dist")


def test_front_matter_is_placed_first_and_not_numbered_as_a_chapter(matter_book: BuildResult) -> None:
    epub, pdf = _files(matter_book)
    names = [name for name, _ in spine_documents(epub)]
    assert names.index("ch-99-dedication.xhtml") < names.index("toc.xhtml") < names.index("ch-01-one.xhtml")
    assert names[-3:] == ["ch-10-sizes.xhtml", "ch-11-more.xhtml", "colophon.xhtml"]
    one = dict(spine_documents(epub))["ch-01-one.xhtml"]
    # The dedication listed first in reading order does not make chapter one chapter two.
    assert "Figure\u00a01.1" in "".join(one.itertext())
    pages = pdf_pages(pdf)
    dedication = next(p for p in pages if p.body.strip().startswith("Dedication"))
    one_page = next(p for p in pages if p.body.strip().startswith("One"))
    assert dedication.number < one_page.number
    contents = next(p for p in pages if p.body.strip().startswith("Contents"))
    assert "Dedication" not in contents.body  # before the contents, as books set it
    assert re.search(r"One[ .]+1\b", contents.body), contents.body  # the first chapter is still page 1


def test_appendices_are_lettered_in_the_contents_the_heading_and_the_running_head(
        matter_book: BuildResult) -> None:
    epub, pdf = _files(matter_book)
    pages = pdf_pages(pdf)
    contents = next(p for p in pages if p.body.strip().startswith("Contents"))
    assert re.search(r"Appendix A: Long Tables[ .]+\d+ Appendix B: More Tables[ .]+\d+", contents.body)
    heads = [p.head for p in pages]
    assert "Appendix A: Long Tables" in heads, heads
    documents = dict(spine_documents(epub))
    section = documents["ch-10-sizes.xhtml"].find(".//x:section", XHTML_NS)
    assert section.get(EPUB_TYPE) == "appendix" and section.get("role") == "doc-appendix"
    assert "".join(section.find("x:h1", XHTML_NS).itertext()) == "Appendix A: Long Tables"
    toc = nav_document(epub).find(".//x:nav[@epub:type='toc']", XHTML_NS)
    entries = ["".join(a.itertext()) for a in toc.iterfind("x:ol/x:li/x:a", XHTML_NS)]
    assert entries == ["Dedication", "One", "Two", "Appendix A: Long Tables", "Appendix B: More Tables"]


def test_the_technical_fixture_has_its_matter_marked(tech_book: tuple[Path, BuildResult]) -> None:
    epub, pdf = _files(tech_book[1])
    documents = dict(spine_documents(epub))
    for name, kind in (("ch-00-dedication.xhtml", "dedication"), ("ch-00-preface.xhtml", "preface"),
                       ("ch-90-tolerances.xhtml", "appendix"), ("ch-91-glossary.xhtml", "glossary")):
        section = documents[name].find(".//x:section", XHTML_NS)
        assert (section.get(EPUB_TYPE), section.get("role")) == (kind, f"doc-{kind}"), name
    nav = nav_document(epub)
    landmarks = {a.get(EPUB_TYPE): a.get("href")
                 for a in nav.iterfind(".//x:nav[@epub:type='landmarks']//x:a", XHTML_NS)}
    assert landmarks["dedication"] == "ch-00-dedication.xhtml"
    assert landmarks["preface"] == "ch-00-preface.xhtml"
    assert landmarks["bodymatter"] == "ch-01-code.xhtml"
    assert landmarks["appendix"] == "ch-90-tolerances.xhtml"
    assert landmarks["glossary"] == "ch-91-glossary.xhtml"
    # The print edition's page numbers: roman before the body, in the EPUB's page list too.
    labels: dict[str, str] = {}  # each document's first page
    for a in nav.iterfind(".//x:nav[@epub:type='page-list']//x:a", XHTML_NS):
        labels.setdefault(a.get("href").split("#")[0], a.text)
    assert re.fullmatch(r"[ivx]+", labels["ch-00-dedication.xhtml"]), labels
    assert labels["ch-01-code.xhtml"] == "1"
    pages = pdf_pages(pdf)
    contents = next(p for p in pages if p.body.strip().startswith("Contents"))
    preface_folio = re.search(r"Preface[ .]+([ivx]+)\b", contents.body)
    assert preface_folio, contents.body
    preface = next(p for p in pages if p.body.strip().startswith("Preface"))
    assert preface.foot.strip() == preface_folio[1] == labels["ch-00-preface.xhtml"]
    assert "role:" not in " ".join(p.body for p in pages)  # the front matter is not text
    assert re.search(r"Appendix A: Tolerances[ .]+\d+ Glossary[ .]+\d+", contents.body)
    assert "Table\u00a0A.1" in "".join(documents["ch-90-tolerances.xhtml"].itertext())


def test_the_technical_fixture_passes_epubcheck_and_ace(tech_book: tuple[Path, BuildResult]) -> None:
    epub, _ = _files(tech_book[1])
    messages = epubcheck(epub)
    assert messages == [], "\n".join(f"{m['severity']} {m['ID']}: {m['message']}" for m in messages)
    found = ace_checker().run_ace(epub)
    assert found == [], "\n".join(f"{v['impact']} {v['rule']} {v['file']}: {v['message']}" for v in found)


def _problems(root: Path) -> list[str]:
    try:
        read_book(load_config(root))
    except (ConfigError, ManuscriptError) as error:
        return [str(d) for d in error.diagnostics]
    return []


def test_a_role_book_toml_does_not_know_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = _book(tmp_path, 'chapters = [\n  { file = "chapters/a.md", role = "dedicaton" },\n]\n',
                 {"a.md": "# A\n\nText.\n"})
    said = _problems(root)
    assert any(s.startswith(f"{root / 'book' / 'book.toml'}:5:") and "'dedicaton' is not a role; did you "
               "mean 'dedication'?" in s for s in said), said


def test_a_role_the_front_matter_does_not_know_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = _book(tmp_path, 'chapters = ["chapters/a.md"]\n',
                 {"a.md": "---\ntitle: x\nrole: prefce\n---\n# A\n\n[broken](#nowhere)\n"})
    said = _problems(root)
    where = root / "chapters" / "a.md"
    assert f"{where}:3:1: error: 'prefce' is not a role; did you mean 'preface'?" in said, said
    assert f"{where}:2:1: warning: front matter 'title' is not read (the builder reads `role:` only)" in said
    # The front matter's lines are blanked, not removed: later lines keep their numbers.
    assert any(s.startswith(f"{where}:7:") and "nowhere" in s for s in said), said


def test_matter_in_a_part_or_given_two_roles_is_an_error(tmp_path: Path) -> None:
    root = _book(tmp_path, '''chapters = [
  { file = "chapters/a.md", role = "preface" },
  { part = "Part I", chapters = ["chapters/b.md", "chapters/c.md"] },
]
''', {"a.md": "---\nrole: dedication\n---\n# A\n\nText.\n", "b.md": "# B\n\nText.\n",
      "c.md": "---\nrole: afterword\n---\n# C\n\nText.\n"})
    said = _problems(root)
    assert any("a.md:2:1: error: the front matter says role 'dedication', book.toml says 'preface'" in s
               for s in said), said
    assert any("c.md:2:1: error: an afterword is front or back matter, not a chapter of a part ('Part I')"
               in s for s in said), said


def test_a_rule_at_the_top_is_not_front_matter(tmp_path: Path) -> None:
    root = _book(tmp_path, 'chapters = ["chapters/a.md"]\n',
                 {"a.md": "---\n\n# A\n\nText.\n\n---\n\nMore.\n"})
    book = read_book(load_config(root))
    assert book.chapters[0].role == "chapter" and book.chapters[0].title_text == "A"
