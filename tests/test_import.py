"""`builder import`: a folder of Markdown from elsewhere -> a book folder that builds."""

from __future__ import annotations

import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from builder.config import load_config
from builder.errors import BuilderError
from builder.importer import ImportReport, import_book
from builder.pipeline import BuildResult, build
from tests.helpers import write_file

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _import(tmp_path_factory: pytest.TempPathFactory, name: str) -> ImportReport:
    return import_book(FIXTURES / name, tmp_path_factory.mktemp(name) / "book")


@pytest.fixture(scope="module")
def mdbook(tmp_path_factory: pytest.TempPathFactory) -> ImportReport:
    return _import(tmp_path_factory, "import-mdbook")


@pytest.fixture(scope="module")
def toc(tmp_path_factory: pytest.TempPathFactory) -> ImportReport:
    return _import(tmp_path_factory, "import-toc")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> ImportReport:
    return _import(tmp_path_factory, "import-plain")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], BuildResult]:
    """Each fixture folder imported and built once, the first time a test asks for
    it: the mdbook in both editions (a test reads its PDF), the others as EPUBs."""
    books: dict[str, BuildResult] = {}

    def book(name: str) -> BuildResult:
        if name not in books:
            folder = tmp_path_factory.mktemp(f"built-{name}")
            report = import_book(FIXTURES / name, folder / "book")
            formats = ["epub", "pdf"] if name == "import-mdbook" else ["epub"]
            books[name] = build(report.book_dir, folder / "dist", formats)
        return books[name]

    return book


def _names(report: ImportReport) -> list[str]:
    return [path.name for path in report.chapters]


def _text(report: ImportReport, name: str) -> str:
    return (report.book_dir / "chapters" / name).read_text(encoding="utf-8")


def _toml(report: ImportReport) -> dict[str, object]:
    return tomllib.loads((report.book_dir / "book" / "book.toml").read_text(encoding="utf-8"))


def _source(tmp_path: Path, files: dict[str, str | bytes]) -> Path:
    source = tmp_path / "source"
    for name, content in files.items():
        write_file(source / name, content)
    return source


def _has(report: ImportReport, *words: str) -> bool:
    return any(all(word in line for word in words) for line in report.unmapped)


# --- order ---------------------------------------------------------------------------------------


def test_order_from_mdbook_summary_flattens_nested_entries(mdbook: ImportReport) -> None:
    assert mdbook.order_source == "SUMMARY.md"
    assert _names(mdbook) == ["01-preface.md", "02-getting-started.md", "03-lamp-room.md", "04-storms.md"]
    assert all(path.is_file() for path in mdbook.chapters)


def test_order_from_summary_at_the_top_and_numbered_lists(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "# Summary\n\n1. [Zed](z.md)\n2. [Alpha](a.md)\n",
        "a.md": "# Alpha\n", "z.md": "# Zed\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (report.order_source, _names(report)) == ("SUMMARY.md", ["01-z.md", "02-a.md"])


def test_order_from_toc(toc: ImportReport) -> None:
    assert toc.order_source == "toc.md"
    assert _names(toc) == ["01-pigeons.md", "02-crows.md", "03-sparrows.md"]


def test_order_from_a_readme_that_is_a_list_of_links(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "README.md": "# Recipes\n\n- [Soup](soup.md)\n- [Bread](bread.md)\n",
        "bread.md": "# Bread\n", "soup.md": "# Soup\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (report.order_source, _names(report)) == ("README.md", ["01-soup.md", "02-bread.md"])
    assert _toml(report)["title"] == "Recipes"


def test_a_readme_of_prose_is_not_an_order(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "README.md": "# Recipes\n\nA long introduction.\n\nMore words, and [one link](b.md).\n",
        "b.md": "# B\n", "a.md": "# A\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (report.order_source, _names(report)) == ("file names", ["01-a.md", "02-b.md"])
    assert _has(report, "README.md", "not a chapter")


def test_order_from_file_names_is_natural(plain: ImportReport) -> None:
    assert plain.order_source == "file names"
    assert _names(plain) == ["01-intro.md", "02-body.md", "03-end.md"]
    assert "Nothing more to say" in _text(plain, "03-end.md")
    assert _has(plain, "LICENSE.md", "left out")


# --- headings ------------------------------------------------------------------------------------


def test_heading_inserted_from_the_toc_link_text(toc: ImportReport) -> None:
    assert _text(toc, "02-crows.md").startswith("# Crows and Their Tools\n\nCrows remember faces.")


def test_a_lower_opening_heading_becomes_the_title_once(mdbook: ImportReport, plain: ImportReport) -> None:
    lamp = _text(mdbook, "03-lamp-room.md")
    assert lamp.startswith("# The Lamp Room\n") and "## The Lamp Room" not in lamp
    assert _text(plain, "03-end.md").startswith("# The End\n")


def test_heading_from_first_heading_or_file_name(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "01-deep.md": "Some text first.\n\n### Deep Title\n\nMore.\n",
        "02-getting_started.md": "No heading at all.\n",
    })
    report = import_book(source, tmp_path / "out")
    assert _text(report, "01-deep.md").startswith("# Deep Title\n\nSome text first.")
    assert _text(report, "02-getting-started.md").startswith("# Getting started\n\nNo heading at all.")


def test_line_endings_become_newlines(toc: ImportReport) -> None:
    data = (toc.book_dir / "chapters" / "02-crows.md").read_bytes()
    assert b"\r" not in data and data.endswith(b"lights.\n")


def test_text_that_is_not_utf8_is_converted_and_reported(tmp_path: Path) -> None:
    source = _source(tmp_path, {"caf.md": "# Café\n\nNaïve.\n".encode("cp1252")})
    report = import_book(source, tmp_path / "out")
    assert _text(report, "01-caf.md") == "# Café\n\nNaïve.\n"
    assert _has(report, "caf.md", "not UTF-8")


# --- links ---------------------------------------------------------------------------------------


def test_links_between_files_point_at_the_new_names(mdbook: ImportReport) -> None:
    assert "[storm checklist](04-storms.md#before-the-storm)" in _text(mdbook, "01-preface.md")
    assert "[the first night](02-getting-started.md#your-first-night)" in _text(mdbook, "03-lamp-room.md")
    assert "[the lamp room](03-lamp-room.md)" in _text(mdbook, "04-storms.md")


def test_links_in_code_are_left_alone(mdbook: ImportReport) -> None:
    text = _text(mdbook, "02-getting-started.md")
    assert "cat storms.md\n" in text and "`[not a link](storms.md)`" in text


def test_a_link_to_a_file_not_imported_becomes_text_and_is_reported(mdbook: ImportReport) -> None:
    assert "the notes on fog are still a draft" in _text(mdbook, "02-getting-started.md")
    assert _has(mdbook, "fog-notes.md", "no imported chapter", "plain text")


def test_mdbook_anchors_are_mapped_to_the_builders_ids(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "- [One](one.md)\n- [Two](two.md)\n",
        "one.md": "# One\n\nSee [setup](two.md#step-1----set-up) and [nothing](two.md#nowhere).\n",
        "two.md": "# Two\n\n## Step 1 -- Set up\n",
    })
    report = import_book(source, tmp_path / "out")
    text = _text(report, "01-one.md")
    assert "[setup](02-two.md#step-1-set-up)" in text and "[nothing](02-two.md)" in text
    assert _has(report, "#nowhere")


def test_links_and_images_outside_the_source_are_not_followed(tmp_path: Path) -> None:
    (tmp_path / "secret.md").write_text("# Secret\n", encoding="utf-8")
    (tmp_path / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    source = _source(tmp_path, {"a.md": "# A\n\n[s](../secret.md) ![x](../secret.png)\n"})
    out = tmp_path / "out"
    report = import_book(source, out)
    assert _has(report, "../secret.md", "outside") and _has(report, "../secret.png", "outside")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()) == [
        "book/book.toml", "chapters/01-a.md"]


# --- images --------------------------------------------------------------------------------------


def test_images_are_copied_next_to_the_chapters(mdbook: ImportReport) -> None:
    copied = mdbook.book_dir / "chapters" / "img" / "diagram.png"
    assert copied.read_bytes() == (FIXTURES / "import-mdbook" / "src" / "img" / "diagram.png").read_bytes()
    assert "](img/diagram.png " in _text(mdbook, "02-getting-started.md")
    assert '<img src="img/diagram.png"' in _text(mdbook, "03-lamp-room.md")


def test_missing_images_are_reported(tmp_path: Path) -> None:
    source = _source(tmp_path, {"a.md": "# A\n\n![a map](maps/gone.png)\n\n<img src='x.png' alt='x'>\n"})
    report = import_book(source, tmp_path / "out")
    assert _has(report, "maps/gone.png", "does not exist") and _has(report, "x.png", "does not exist")


# --- what is left out ----------------------------------------------------------------------------


def test_drafts_and_orphans_are_reported(mdbook: ImportReport) -> None:
    assert _has(mdbook, "Winter Maintenance", "draft")
    assert _has(mdbook, "src/fog-notes.md", "not in SUMMARY.md, left out")
    assert not (mdbook.book_dir / "chapters" / "05-fog-notes.md").exists()


def test_mdbook_parts_become_book_parts_after_the_prefix_chapters(mdbook: ImportReport) -> None:
    assert _toml(mdbook)["chapters"] == ["chapters/01-preface.md", {"part": "Part I: The Light", "chapters": [
        "chapters/02-getting-started.md", "chapters/03-lamp-room.md", "chapters/04-storms.md"]}]
    assert len(load_config(mdbook.book_dir).parts) == 1


def test_suffix_chapters_after_the_parts_are_in_no_part(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "# Summary\n\n[Intro](intro.md)\n\n# Basics\n\n- [A](a.md)\n"
                      "    - [A, part two](a.md#two)\n\n## More\n\n* [B](b.md)\n\n---\n\n"
                      "[Credits](credits.md)\n",
        "intro.md": "# Intro\n", "a.md": "# A\n\n## Two\n", "b.md": "# B\n", "credits.md": "# Credits\n",
    })
    report = import_book(source, tmp_path / "out")
    assert _toml(report)["chapters"] == [
        "chapters/01-intro.md", {"part": "Basics", "chapters": ["chapters/02-a.md"]},
        {"part": "More", "chapters": ["chapters/03-b.md"]}, "chapters/04-credits.md"]
    assert not _has(report, "twice")


def test_a_toc_of_titles_without_links_is_matched_to_the_files_by_heading(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "toc.md": "# My Book\n\n1. Second Steps\n2. First Steps\n",
        "one.md": "# First Steps\n", "two.md": "# Second Steps\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (report.order_source, _names(report)) == ("toc.md", ["01-two.md", "02-one.md"])


def test_leanpub_book_txt_gives_the_order(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "manuscript/Book.txt": "zeta.txt\nalpha.md\n", "manuscript/zeta.txt": "# Zeta\n",
        "manuscript/alpha.md": "# Alpha\n", "manuscript/unused.md": "# Unused\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (report.order_source, _names(report)) == ("Book.txt", ["01-zeta.md", "02-alpha.md"])
    assert _has(report, "unused.md", "left out")


# --- book.toml -----------------------------------------------------------------------------------


def test_book_toml_from_mdbook_is_valid_and_complete(mdbook: ImportReport) -> None:
    data = _toml(mdbook)
    assert data["title"] == 'The "Lighthouse" Handbook'
    assert data["authors"] == ["Mira Okafor", "Jonas Feld"]
    meta = load_config(mdbook.book_dir)
    assert [path.name for path in meta.chapter_files] == _names(mdbook)
    assert (meta.title, meta.language) == ('The "Lighthouse" Handbook', "en")
    assert not _has(mdbook, "Unknown")


def test_book_toml_defaults(toc: ImportReport, plain: ImportReport) -> None:
    assert (_toml(toc)["title"], _toml(toc)["authors"], _toml(toc)["language"]) == (
        "Field Notes on Urban Birds", ["Unknown"], "en")
    assert _has(toc, "Unknown")
    assert _toml(plain)["title"] == "Import plain"
    load_config(plain.book_dir)


# --- refusals ------------------------------------------------------------------------------------


def test_refuses_a_source_that_is_not_a_folder(tmp_path: Path) -> None:
    (tmp_path / "file.md").write_text("# A\n", encoding="utf-8")
    for source in (tmp_path / "file.md", tmp_path / "missing"):
        with pytest.raises(BuilderError, match="not a folder"):
            import_book(source, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_refuses_a_source_without_markdown(tmp_path: Path) -> None:
    source = _source(tmp_path, {"notes.txt": "plain text"})
    with pytest.raises(BuilderError, match="no Markdown"):
        import_book(source, tmp_path / "out")


@pytest.mark.parametrize("occupied", ["a file inside", "a file"])
def test_refuses_a_destination_that_is_not_empty(tmp_path: Path, occupied: str) -> None:
    destination = tmp_path / "out"
    if occupied == "a file":
        destination.write_text("mine", encoding="utf-8")
    else:
        destination.mkdir()
        (destination / "keep.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(BuilderError, match="not an empty folder") as raised:
        import_book(FIXTURES / "import-plain", destination)
    assert raised.value.location is not None and raised.value.location.path == destination
    assert not (destination / "book").exists()


def test_an_empty_destination_folder_is_fine(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    assert len(import_book(FIXTURES / "import-plain", tmp_path / "out").chapters) == 3


# --- end to end ----------------------------------------------------------------------------------


def test_the_imported_mdbook_builds_an_epub_and_a_pdf(built: Callable[[str], BuildResult]) -> None:
    result = built("import-mdbook")
    assert sorted(path.suffix for path in result.files) == [".epub", ".pdf"]
    pdf = next(path for path in result.files if path.suffix == ".pdf")
    assert pdf.read_bytes().startswith(b"%PDF")
    epub = next(path for path in result.files if path.suffix == ".epub")
    with zipfile.ZipFile(epub) as package:
        names = package.namelist()
        assert any(name.endswith(".png") and "diagram" in name for name in names)
        lamp = next(package.read(n).decode() for n in names if n.endswith("ch-03-lamp-room.xhtml"))
    assert "your-first-night" in lamp


@pytest.mark.parametrize("fixture", ["import-mdbook", "import-toc", "import-plain"])
def test_every_imported_book_passes_epubcheck_and_ace(built: Callable[[str], BuildResult],
                                                      fixture: str) -> None:
    from tests.helpers import ace_checker, epubcheck

    epub = next(p for p in built(fixture).files if p.suffix == ".epub")
    messages = epubcheck(epub)
    assert messages == [], "\n".join(f"{fixture}: {m['severity']} {m['ID']}: {m['message']}"
                                      for m in messages)
    found = ace_checker().run_ace(epub)
    assert found == [], "\n".join(f"{fixture}: {v['impact']} {v['rule']} {v['file']}: {v['message']}"
                                   for v in found)


def test_reference_links_and_html_links_are_rewritten_too(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "book.toml": '[book]\ntitle = "Docs"\nauthors = ["A. Writer"]\nsrc = "docs"\n',
        "docs/SUMMARY.md": "- [First](first.md)\n- [Second](second.md)\n",
        "docs/first.md": "# First\n\n[Second][s] and <a href=\"second.md\">again</a>.\n\n"
                         "[s]: second.md\n[pic]: pics/p.png\n",
        "docs/second.md": "# Second\n",
        "docs/pics/p.png": b"\x89PNG\r\n\x1a\n",
    })
    report = import_book(source, tmp_path / "out")
    text = _text(report, "01-first.md")
    assert "[s]: 02-second.md\n" in text and '<a href="02-second.md">' in text
    assert "[pic]: pics/p.png" in text and (report.book_dir / "chapters" / "pics" / "p.png").is_file()


def test_the_import_command_reports_and_exits_zero(tmp_path: Path) -> None:
    import io

    from builder.cli import main

    err = io.StringIO()
    code = main(["import", str(FIXTURES / "import-mdbook"), str(tmp_path / "book")], err)
    assert code == 0
    said = err.getvalue()
    assert "in the order of SUMMARY.md" in said and "not mapped:" in said
    assert (tmp_path / "book" / "book" / "book.toml").is_file()


# --- what real books write -----------------------------------------------------------------------


def test_links_as_real_books_write_them(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "- [One](one.md)\n- [Two](sub/two.md)\n",
        "one.md": "# One\n\nSee [`Vec<T>` and more](sub/two.md/#the-part), "
                  "[gh](sub/two.md#user-content-the-part), [top](#one) and [std](../std/vec/index.html).\n",
        "sub/two.md": "# Two\n\n## The Part\n\nBack to [one](../one.md#one).[^n]\n\n"
                      "[^n]: In [one](../one.md).\n",
    })
    report = import_book(source, tmp_path / "out", base_url="https://doc.example.org/book/")
    one, two = _text(report, "01-one.md"), _text(report, "02-two.md")
    assert "[`Vec<T>` and more](02-two.md#the-part)" in one and "[gh](02-two.md#the-part)" in one
    assert "[top](#one)" in one and "[std](https://doc.example.org/std/vec/index.html)" in one
    assert "[one](01-one.md#one)" in two and "[^n]: In [one](01-one.md)." in two
    assert not _has(report, "link")


def test_front_matter_repeated_book_titles_and_duplicate_titles(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "book.json": '{"title": "Field Guide", "author": "R. Birder"}',
        "SUMMARY.md": "# Contents\n\n## Part A\n\n- [a](a.md)\n- [b](b.md)\n\n## Part B\n\n- [c](c.md)\n",
        "a.md": "---\ntitle: \"Setup: the first\"\ntags: [x]\n---\nText of a.\n",
        "b.md": "# Field Guide\n\n## Setup\n\nText of b.\n",
        "c.md": "Field Guide\n===========\n\n## Setup\n\nText of c.\n",
    })
    report = import_book(source, tmp_path / "out")
    assert (_toml(report)["title"], _toml(report)["authors"]) == ("Field Guide", ["R. Birder"])
    assert _text(report, "01-a.md").startswith('# Setup: the first\n\nText of a.')
    assert _text(report, "02-b.md").startswith("# Setup\n\nText of b.")
    assert _text(report, "03-c.md").startswith("# Setup (Part B)\n\nText of c.")
    assert _has(report, "front matter") and _has(report, "book's title") and _has(report, "Setup (Part B)")
    load_config(report.book_dir)


def test_mdbook_book_toml_beside_the_src_folder_given(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "book.toml": '[book]\ntitle = "Beside"\nauthors = ["A. Rustacean"]\n',
        "src/SUMMARY.md": "- [One](one.md)\n", "src/one.md": "# One\n",
    })
    report = import_book(source / "src", tmp_path / "out")
    assert (_toml(report)["title"], _toml(report)["authors"]) == ("Beside", ["A. Rustacean"])


def test_reference_links_to_files_not_imported_become_their_text(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "- [One](one.md)\n- [Two](sub/README.md)\n",
        "one.md": "# One\n\nSee [Vec][vec], [the Box] and [two][].\n\n[vec]: ../std/vec.html\n"
                  "[The box]: ../std/boxed.html\n[two]: sub/index.html\n",
        "sub/README.md": "# Two\n",
    })
    report = import_book(source, tmp_path / "out")
    one = _text(report, "01-one.md")
    assert "See Vec, the Box and [two][]." in one and "[two]: 02-sub.md" in one and "../std" not in one


def test_images_the_book_cannot_hold_and_gitbook_heading_anchors(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "a.md": "# A\n\n## Theory <a href=\"#theory\" id=\"theory\"></a>\n\n![](pics/p\\(1\\).png)\n\n"
                "![a chart](https://example.org/c.png) ![gone](gone.png)\n\n"
                "<img src=\"gone.svg\" alt=\"\">\n",
        "pics/p(1).png": b"\x89PNG\r\n\x1a\n",
    })
    report = import_book(source, tmp_path / "out")
    text = _text(report, "01-a.md")
    assert "## Theory\n" in text and "![Image: P(1)](pics/p%281%29.png)" in text
    assert "[a chart](https://example.org/c.png)" in text and "gone" not in text
    assert _has(report, "no alt text", "describe") and _has(report, "gone.png", "left out")


def test_inline_triple_backticks_html_links_nowhere_and_leanpub_text_chapters(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "manuscript/Book.txt": "one.txt\n",
        "manuscript/one.txt": "# One\n\nSet ```a.b = 1``` here.\n\n"
                              "<a href=\"gone.md\">Gone</a> and ![a map](map.png)\n",
        "manuscript/map.png": b"\x89PNG\r\n\x1a\n",
    })
    report = import_book(source, tmp_path / "out")
    text = _text(report, "01-one.md")
    assert "<a>Gone</a>" in text and "![a map](map.png)" in text
    assert (report.book_dir / "chapters" / "map.png").is_file()


def test_a_front_matter_role_is_kept_and_the_book_builds(tmp_path: Path) -> None:
    source = _source(tmp_path, {
        "SUMMARY.md": "- [For Ada](ded.md)\n\n# Part One\n\n- [One](one.md)\n- [Extra](extra.md)\n",
        "ded.md": "---\nrole: dedication\n---\n# For Ada\n\nWho counted.\n",
        "one.md": "# One\n\nText.\n", "extra.md": "---\nrole: appendix\n---\n# Extra\n\nMore.\n",
    })
    report = import_book(source, tmp_path / "out")
    assert _text(report, "01-ded.md").startswith("---\nrole: dedication\n---\n# For Ada\n")
    assert _toml(report)["chapters"] == ["chapters/01-ded.md", {"part": "Part One", "chapters": [
        "chapters/02-one.md"]}, "chapters/03-extra.md"]
    meta = load_config(report.book_dir)
    assert [p.name for p in meta.chapter_files] == ["01-ded.md", "02-one.md", "03-extra.md"]
    from builder.pipeline import check

    assert not [str(d) for d in check(report.book_dir) if d.level == "error"]
