"""A table too wide for the printed page is set smaller across the text block, each column at
least as wide as its longest word where that fits: nothing runs off the page, and no column is
left a letter wide. The EPUB's tables are the reader's screen's to set."""

from __future__ import annotations

import zipfile
from pathlib import Path

from builder.codewrap import measure
from builder.pipeline import build, check
from builder.tablefit import Column, fit_columns, fit_wide_tables, table_columns
from tests.conftest import FIXTURES
from tests.helpers import copy_book, pdf_pages, write_file

# Eleven columns, as in a real book's comparison table (The Hacker Recipes' MITM techniques),
# its headers links to chapters: print sets ", page N" after each.
WIDE = """

## A wide comparison

| Technique | [First](01-first.md) | [Second](02-second.md) | [First](01-first.md) | [Second](02-second.md) | [First](01-first.md) | Resolution | Broadcast | Multicast | Unicast | Exchange |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
| Can require waiting for replication or syncing | x | | | | | | | | | |
| Easy to start and stop | | x | x | takes about five minutes to revert | revert time depends on the cache timeout (usually sixty seconds) | x | x | x | x | up to 2019 |
| Requires credentials | x | | | | | | | x | requires a mail-capable account | x |

## A narrow one

| Name | Value |
| --- | --- |
| alpha | 1 |
"""  # noqa: E501


def test_a_table_that_fits_is_left_to_the_layout() -> None:
    block = measure("6in 9in").width / measure("6in 9in").text_size
    assert fit_columns([Column(5, 5), Column(1, 1)], block) is None
    table = "<table><tr><th>Name</th><th>Value</th></tr><tr><td>alpha</td><td>1</td></tr></table>"
    assert fit_wide_tables(f"<body>{table}</body>", measure("6in 9in")) == f"<body>{table}</body>"


def test_a_wide_table_is_set_smaller_its_columns_shared_by_what_they_hold() -> None:
    block = measure("6in 9in").width / measure("6in 9in").text_size  # about 28 ems
    labels, marks = Column(word=20, cell=46), Column(word=1, cell=1)
    assert fit_columns([labels, *[marks] * 6], block) is None, "long cells wrap: the layout's to do"
    fit = fit_columns([labels] * 3 + [marks] * 6, block)
    assert fit is not None and fit.size == 0.8, "the largest size at which every word fits"
    assert abs(sum(fit.widths) - 100) < 0.5
    assert fit.widths[0] > 3 * fit.widths[-1], "the labels' columns take the room the marks do not need"
    crowded = fit_columns([Column(word=15, cell=40)] * 11, block)
    assert crowded is not None and crowded.size == 0.7 and len(set(crowded.widths)) == 1


def test_what_a_column_holds_counts_a_cross_references_page() -> None:
    table = ('<table><tr><th><a class="xref" href="#ch-1">First</a></th><th>Other words</th></tr>'
             '<tr><td>x</td><td>y</td></tr></table>')
    assert table_columns(table) == [Column(len("page\u00a0000"), 15), Column(5, 11)]
    assert table_columns(table.replace("<th>Other", '<th colspan="2">Other')) is None
    assert table_columns(table.replace("<table>", '<table class="author-table">')) is None
    own_widths = '<colgroup><col style="width: 80%"/></colgroup><tr>'
    assert table_columns(table.replace("<tr>", own_widths, 1)) is None


def test_a_wide_table_fits_the_printed_page_and_the_epub_keeps_its_own(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    chapter = book / "chapters" / "02-second.md"
    write_file(chapter, chapter.read_text(encoding="utf-8") + WIDE)
    files = build(book, tmp_path / "dist").files
    pdf = next(f for f in files if f.suffix == ".pdf")
    pages = pdf_pages(pdf)
    off = [word for page in pages for word in page.words
           if word[0] < 0 or word[2] > page.width or word[1] < 0 or word[3] > page.height]
    assert off == [], "words off the page"
    words = {word[4] for page in pages for word in page.words}
    # Left to the layout, the labels' column was a letter wide: "E", "a", "s", "y".
    assert {"Easy", "Requires", "start", "Unicast", "Value", "alpha"} <= words, "the labels' words whole"
    epub = next(f for f in files if f.suffix == ".epub")
    with zipfile.ZipFile(epub) as archive:
        chapters = [archive.read(name).decode() for name in archive.namelist() if "02-second" in name]
    assert chapters and all("fitted" not in text and "<colgroup" not in text for text in chapters)


def test_check_names_a_table_too_wide_for_any_size_at_its_line(tmp_path: Path) -> None:
    book = copy_book(FIXTURES / "small-book", tmp_path / "book")
    chapter = book / "chapters" / "02-second.md"
    text = chapter.read_text(encoding="utf-8") + WIDE
    write_file(chapter, text)
    said = [d for d in check(book) if "columns are too many" in d.message]
    rows = text.splitlines()
    line = next(number for number, row in enumerate(rows, start=1) if row.startswith("| Technique"))
    assert [(d.path, d.line, d.level) for d in said] == [(chapter, line, "warning")]
    assert "11 columns" in said[0].message and "70 %" in said[0].message
    narrow = WIDE.split("## A narrow one")[1]
    write_file(chapter, "# Second\n" + narrow)
    fitting = [d for d in check(book) if "columns are too many" in d.message]
    assert fitting == [], "a table that fits says nothing"
