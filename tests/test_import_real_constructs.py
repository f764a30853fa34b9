"""Import: what two real books (a GitBook of many folders, a Leanpub manuscript/ folder) showed
the importer and the builder getting wrong, each shown by a small source written for the test.

GitHub's `<details>` and `<div>` holding Markdown, a list right under a paragraph (CommonMark
starts it there), what a list item holds indented 2 columns (Python-Markdown wants 4), a fence
indented in a list, GitBook's emoji shortcodes, `{% page-ref %}` and
`{% file %}` cards, GitBook's heading anchors (`Tips & tricks` -> `#tips-and-tricks`, a kept
`<a id>`), its `broken-reference` links and `/root` links; CommonMark's `\\<` escape; a raw
HTML block around a fence, and an attribute without a value, taken for broken HTML by check;
notes that name the line of the chapter as written, or of the file past its front matter; a
README heading that names a page, and Leanpub's `manuscript` folder, taken for the title.
"""

from __future__ import annotations

import io
import tomllib
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from lxml import html as lxml_html

from builder.cli import main
from builder.importer import ImportReport, import_book
from builder.importing.dialect import to_builder
from builder.manuscript import new_markdown
from builder.pipeline import build
from tests.helpers import epubcheck, write_file

XHTML = "{http://www.w3.org/1999/xhtml}"


def _import(tmp_path: Path, files: dict[str, str], source: str = "source") -> ImportReport:
    for name, content in files.items():
        write_file(tmp_path / source / name, content)
    return import_book(tmp_path / source, tmp_path / "book")


def _chapter(report: ImportReport, number: int) -> str:
    return report.chapters[number - 1].read_text(encoding="utf-8")


def _check(book: Path) -> tuple[int, str]:
    err = io.StringIO()
    return main(["check", str(book)], err), err.getvalue()


def _notes(report: ImportReport, *words: str) -> list[str]:
    return [line for line in report.unmapped if all(word in line for word in words)]


# --- <details> holding Markdown ------------------------------------------------------------------

DETAILS = """\
# Jams

<details>

<summary>Setting point</summary>

Test a drop on a `cold saucer`: it should **wrinkle**.

- push it with a finger
- wait a minute

<pre><code># not a heading: GitBook's code
</code></pre>

</details>

<details open><summary>Jars</summary>

Boil them for ten minutes.
</details>

<details><summary>Raw</summary><p>Only <b>HTML</b> here.</p></details>

<div align="center">

![A jar](jar.png)

</div>
"""


def test_details_and_divs_holding_markdown_are_converted_by_the_builder() -> None:
    text = to_builder(DETAILS, "plain")
    assert '<details markdown="1">\n\n<summary>Setting point</summary>' in text
    assert '<details open markdown="1"><summary>Jars</summary>' in text
    assert '<div align="center" markdown="1">' in text
    assert "<details><summary>Raw</summary><p>Only <b>HTML</b> here.</p></details>" in text  # HTML: kept
    html = new_markdown().convert(text)
    assert "<summary>Setting point</summary>" in html and "<code>cold saucer</code>" in html
    assert "<strong>wrinkle</strong>" in html and "<li>wait a minute</li>" in html
    assert "<pre><code># not a heading" in html and "<h1>not a heading" not in html  # raw HTML stays raw
    assert '<img alt="A jar" src="jar.png"' in html
    assert "`" not in html and "**" not in html and "markdown=" not in html


def test_a_details_block_never_closed_is_left_for_check_to_report() -> None:
    text = "<details>\n\n<summary>Open</summary>\n\nAll the rest.\n"
    assert to_builder(text, "plain") == text


def test_a_fence_indented_in_a_list_is_code_to_the_import(tmp_path: Path) -> None:
    report = _import(tmp_path, {"jams.md": (
        "# Jams\n\n1. Label the jar:\n\n    ~~~html\n    <img src=\"missing.png\"> [not a link](nowhere.md)\n"
        "    ~~~\n\n2. Store it.\n")})
    assert '    <img src="missing.png"> [not a link](nowhere.md)' in _chapter(report, 1)
    assert not _notes(report, "missing.png") and not _notes(report, "nowhere.md")


# --- a list right under a paragraph or a quote --------------------------------------------------


@pytest.mark.parametrize(("markdown", "items"), [
    ("For each jar, note:\n* the fruit\n* the date\n", ["the fruit", "the date"]),
    ("> [!TIP]\n> Keep to hand:\n> - a funnel\n> - a ladle\n", ["a funnel", "a ladle"]),
    ("* Wash the jars.\n*   Dry them:\n\n    > in a low oven.\n* Fill them.\n",
     ["Wash the jars.", "Dry them:", "Fill them."]),
])
def test_a_list_right_under_a_paragraph_or_a_quote_is_a_list(markdown: str, items: list[str]) -> None:
    root = etree.fromstring(f"<div>{new_markdown().convert(to_builder(markdown, 'gitbook'))}</div>")
    assert [(li.findtext("p") or li.text or "").strip() for li in root.iter("li")] == items
    assert "*" not in "".join(root.itertext()) and "- a" not in "".join(root.itertext())


LISTS = """\
* Apples
  * Bramley
    * for cooking

  Keep them cool.

  ```text
  store: cellar
    shelf: 2
  ```
* Pears

1. Pick
   - by hand
2. Sort

* * *

After the list.
"""


def test_what_a_list_item_holds_is_indented_as_python_markdown_reads_it() -> None:
    html = new_markdown().convert(to_builder(LISTS, "gitbook"))
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    apples = root.find("ul/li")
    assert apples is not None
    assert [li.text for li in apples.iter("li")][1:] == ["Bramley", "for cooking"]  # nested, not run in
    assert apples.findtext("p[2]") == "Keep them cool."  # the item's own paragraph
    assert "store: cellar\n  shelf: 2" in "".join(apples.find(".//pre").itertext())  # its code, as written
    assert [li.text for li in root.findall("ol/li/ul/li")] == ["by hand"]
    assert root.find("hr") is not None and root.findtext("p") == "After the list."


def test_a_list_indented_four_columns_reads_as_before() -> None:
    text = "- Plums\n    - Damson\n\n    Sour.\n"
    assert new_markdown().convert(to_builder(text, "plain")) == new_markdown().convert(text)


def test_a_numbered_line_other_than_1_goes_on_with_its_paragraph_as_in_commonmark() -> None:
    text = "We kept\n2. jars of each.\n"
    assert to_builder(text, "gitbook") == text


# --- emoji shortcodes ----------------------------------------------------------------------------


def test_gitbook_and_github_emoji_shortcodes_become_the_characters() -> None:
    text = "Careful :warning: and :man\\_shrugging: but `:bulb:` stays, :nosuchemoji: too, at 10:30:15.\n"
    assert to_builder(text, "gitbook") == ("Careful \u26a0\ufe0f and \U0001f937\u200d\u2642\ufe0f but "
                                           "`:bulb:` stays, :nosuchemoji: too, at 10:30:15.\n")
    assert to_builder("```\n:bulb:\n```\n", "plain") == "```\n:bulb:\n```\n"
    assert to_builder("a :bulb:\n", "mdbook") == "a :bulb:\n"  # mdBook prints them as written


# --- CommonMark's escapes and check's reading of raw HTML ----------------------------------------


def test_a_backslash_escapes_a_less_than_sign_as_in_commonmark() -> None:
    html = new_markdown().convert("| command | what |\n|---|---|\n| `keep <jar>` | keep \\<jar> |\n\n"
                                  "Half\\/half, 10\\% and \\@home.\n")
    assert "<td>keep &lt;jar&gt;</td>" in html
    assert "Half/half, 10% and @home." in html


@pytest.mark.parametrize("html", [
    "<div class=\"aside\">\n\n```\nbrine = salt + water\n```\n\n</div>\n",  # the fence set aside in it
    "<table data-header-hidden><tbody><tr><td>Dill</td><td>Garlic</td></tr></tbody></table>\n",
])
def test_check_takes_well_formed_raw_html_for_what_it_is(tmp_path: Path, html: str) -> None:
    report = _import(tmp_path, {"pickles.md": f"# Pickles\n\n{html}"})
    code, said = _check(report.book_dir)
    assert (code, said.strip().splitlines()[-1]) == (0, "book-builder: 0 errors, 0 warnings"), said


# --- GitBook: cards, anchors, broken and root links ----------------------------------------------

GITBOOK = {
    ".gitbook/assets/.keep": "",
    ".gitbook/assets/press-guide.pdf": "not really a PDF",
    "SUMMARY.md": ("# Table of contents\n\n* [Welcome](README.md)\n* [Presses](presses/README.md)\n"
                   "  * [Cider](presses/cider.md)\n* [Storage](storage.md)\n"),
    "README.md": "# Welcome\n\nA book of presses :apple:.\n",
    "presses/README.md": "# Fruit presses\n\nAll about presses.\n",
    "presses/cider.md": (
        "---\ndescription: Pressing apples.\n---\n\n# Cider\n\n{% page-ref page=\"./\" %}\n\n"
        "{% file src=\"../.gitbook/assets/press-guide.pdf\" %}\n\n{% mystery %}\n\n"
        "## Tips & tricks\n\nWash the fruit.\n\n"
        "## Keeping it cool <a href=\"#cellar-storage\" id=\"cellar-storage\"></a>\n\nBelow 12 degrees.\n"),
    "storage.md": ("# Storage\n\nSee [the tips](presses/cider.md#tips-and-tricks), [the cellar]"
                   "(presses/cider.md#cellar-storage), [a lost page](broken-reference) and [the presses]"
                   "(/presses/README.md).\n\nAnd [nothing](presses/cider.md#no-such-part).\n"),
}


@pytest.fixture(scope="module")
def gitbook(tmp_path_factory: pytest.TempPathFactory) -> ImportReport:
    return _import(tmp_path_factory.mktemp("gitbook"), GITBOOK)


def test_a_page_ref_is_a_link_named_by_the_pages_heading(gitbook: ImportReport) -> None:
    assert "[Fruit presses](02-presses.md)" in _chapter(gitbook, 3)
    assert not _notes(gitbook, "page-ref")


def test_a_file_card_is_a_link_to_the_file_reported_at_its_line(gitbook: ImportReport) -> None:
    assert "press-guide.pdf" in _chapter(gitbook, 3)
    assert _notes(gitbook, "chapters/03-cider.md:", "(from presses/cider.md)", "press-guide.pdf")


def test_notes_on_directives_name_the_files_own_line_past_its_front_matter(gitbook: ImportReport) -> None:
    assert _notes(gitbook, "presses/cider.md:11:", "{% mystery %}")


def test_gitbook_heading_anchors_reach_their_headings(gitbook: ImportReport) -> None:
    storage = _chapter(gitbook, 4)
    assert "[the tips](03-cider.md#tips-tricks)" in storage
    assert "[the cellar](03-cider.md#cellar-storage)" in storage
    assert "## Keeping it cool {#cellar-storage}" in _chapter(gitbook, 3)


def test_a_gitbook_description_stands_under_the_pages_title(gitbook: ImportReport, tmp_path: Path) -> None:
    assert _chapter(gitbook, 3).startswith("# Cider\n\nPressing apples.\n\n[Fruit presses]")
    assert not _notes(gitbook, "presses/cider.md", "front matter")
    report = _import(tmp_path, {"one.md": "---\ndescription: Not shown here.\nlayout: page\n---\n# One\n"})
    assert "Not shown" not in _chapter(report, 1)  # not GitBook's: a page's metadata
    assert _notes(report, "one.md", "front matter (description, layout)")


def test_broken_and_root_links(gitbook: ImportReport) -> None:
    storage = _chapter(gitbook, 4)
    assert "[the presses](02-presses.md)" in storage
    assert "a lost page" in storage and "broken-reference" not in storage
    assert _notes(gitbook, "chapters/04-storage.md:3 (from storage.md)", "GitBook marks this link as broken")
    assert _notes(gitbook, "chapters/04-storage.md:5 (from storage.md)", "#no-such-part",
                  "03-cider.md has no heading")


def test_a_readme_heading_that_names_a_page_is_not_the_title(gitbook: ImportReport) -> None:
    data = tomllib.loads((gitbook.book_dir / "book" / "book.toml").read_text(encoding="utf-8"))
    assert data["title"] == "Source"
    assert _notes(gitbook, "no title found", "'Source'")


def test_the_gitbook_builds_clean_with_its_constructs_rendered(gitbook: ImportReport, tmp_path: Path) -> None:
    result = build(gitbook.book_dir, tmp_path / "dist", ["epub"])
    epub = next(path for path in result.files if path.suffix == ".epub")
    assert epubcheck(epub) == []
    with zipfile.ZipFile(epub) as archive:
        welcome, cider = (etree.fromstring(archive.read(f"EPUB/ch-{gitbook.chapters[number].stem}.xhtml"))
                          for number in (0, 2))
    assert "\U0001f34e" in "".join(welcome.itertext())
    assert cider.find(f".//{XHTML}h2[@id='ch-{gitbook.chapters[2].stem}--cellar-storage']") is not None


def test_control_characters_are_reported_at_their_lines(tmp_path: Path) -> None:
    report = _import(tmp_path, {"one.md": "# One\n\nA bell\x07 rang.\n\nAnd\x08 again.\n"})
    assert "\x07" not in _chapter(report, 1)
    assert _notes(report, "one.md:3: control characters", "(lines 3, 5)")


# --- Leanpub: the manuscript folder --------------------------------------------------------------


def test_a_leanpub_manuscript_folder_takes_its_title_from_the_readme_beside_it(tmp_path: Path) -> None:
    write_file(tmp_path / "orchard" / "README.md", "# The Orchard Handbook\n\nNotes on the repository.\n")
    report = _import(tmp_path, {"Book.txt": "one.md\n", "one.md": "# Planting\n\nDig deep.\n"},
                     source="orchard/manuscript")
    data = tomllib.loads((report.book_dir / "book" / "book.toml").read_text(encoding="utf-8"))
    assert data["title"] == "The Orchard Handbook"
    assert not _notes(report, "no title found")
