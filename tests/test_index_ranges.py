"""The print index's page ranges (builder.index_ranges) and the layouts they cost: a page
listed once, consecutive pages as a range of two links, roman pages apart from arabic ones;
folded into the typography pass's rounds, so that an index costs a layout only where the
typography asks for none, and a book without index markers costs nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from builder import typography
from builder.index_ranges import marker_pages, read_entries, with_ranges
from builder.typography import AUTO_HYPHEN, Line


def _locator(target: str, *classes: str) -> str:
    return (f'<a class="{" ".join(["index-locator", *classes])}" epub:type="index-locator" '
            f'href="#{target}"></a>')


def _entry(term: str, *locators: str) -> str:
    return f'<li epub:type="index-entry"><span epub:type="index-term">{term}</span>' + "".join(
        f", {locator}" for locator in locators) + "</li>"


# As the template renders it: one locator per marker, in the order the markers were read.
INDEX = ('<section class="index"><ul>'
         + _entry("widget", _locator("pre--idx-1", "folio-roman"), _locator("a--idx-1"), _locator("a--idx-2"),
                  _locator("b--idx-1"), _locator("c--idx-1"), _locator("e--idx-1"), _locator("note--idx-9"))
         + _entry("alone", _locator("a--idx-3"))
         + _entry("see", ) + "</ul></section>")
PAGES = {"pre--idx-1": 9, "a--idx-1": 13, "a--idx-2": 13, "b--idx-1": 14, "c--idx-1": 15, "e--idx-1": 19,
         "note--idx-9": 11, "a--idx-3": 14}


def test_each_page_once_runs_as_ranges_roman_first() -> None:
    entries = read_entries(INDEX)
    assert [len(entry) for entry in entries] == [7, 1], "the entry without locators has no run"
    assert entries[0][0].roman and not any(marker.roman for marker in entries[0][1:])
    html = with_ranges(INDEX, entries, PAGES)
    widget = html[html.index("widget"):html.index("</li>")]
    assert widget == ("widget</span>, " + _locator("pre--idx-1", "folio-roman")
                      + ", " + _locator("note--idx-9")
                      + ", " + _locator("a--idx-1") + "\u2013" + _locator("c--idx-1", "index-range-end")
                      + ", " + _locator("e--idx-1"))
    assert "alone</span>, " + _locator("a--idx-3") + "</li>" in html
    assert html.replace(widget, "") == INDEX.replace(INDEX[INDEX.index("widget"):INDEX.index("</li>")], "")


def test_a_rewritten_index_is_rewritten_from_its_markers_again() -> None:
    entries = read_entries(INDEX)
    once = with_ranges(INDEX, entries, PAGES)
    assert with_ranges(once, entries, PAGES) == once, "settled: the same pages, the same index"
    moved = {**PAGES, "b--idx-1": 17}  # a later layout moves a marker: the range breaks up again
    again = with_ranges(once, entries, moved)
    assert again == with_ranges(INDEX, entries, moved)
    assert _locator("a--idx-1") + ", " + _locator("c--idx-1") + ", " + _locator("b--idx-1") in again


def test_a_marker_the_layout_did_not_place_keeps_its_locator() -> None:
    entries = read_entries(INDEX)
    html = with_ranges(INDEX, entries, {})
    assert html.count('class="index-locator') == INDEX.count('class="index-locator')


def test_the_roman_and_arabic_pages_are_never_one_range() -> None:
    html = "<ul>" + _entry("x", _locator("p", "folio-roman"), _locator("q")) + "</ul>"
    assert with_ranges(html, read_entries(html), {"p": 1, "q": 2}) == html


# --- The layouts it costs ----------------------------------------------------

@dataclass
class _Page:
    anchors: dict[str, Any] = field(default_factory=dict)


@dataclass
class _Document:
    pages: list[_Page]


def _document(pages: dict[str, int]) -> _Document:
    document = _Document([_Page() for _ in range(max(pages.values(), default=1))])
    for name, number in pages.items():
        document.pages[number - 1].anchors[name] = (0, 0)
    return document


WORDS = ("literature", "considerations")
PARAGRAPH = f'<section id="c"><p>a {" ".join(3 * WORDS)}</p></section>'


def _laid_out(monkeypatch: pytest.MonkeyPatch, ladders: int) -> list[str]:
    """The layouts made, kept in the list returned; the first *ladders* show a ladder (each of
    another word: the pass has something new to mend each time)."""
    def ladder(word: str) -> list[Line]:
        head, tail = word[:3], word[3:]
        broken = f"{head}{AUTO_HYPHEN}"
        return [Line(1, False, ("c", "p", 0), text) for text in
                (f"a {broken}", f"{tail} {broken}", f"{tail} {broken}", tail)]
    laid_out: list[str] = []
    monkeypatch.setattr(typography, "read_lines",
                        lambda document: ladder(WORDS[len(laid_out) - 1]) if len(laid_out) <= ladders else [])
    return laid_out


@pytest.mark.parametrize(("ladders", "layouts"), [(0, 2), (1, 2), (2, 3)])
def test_the_index_rides_on_the_typography_rounds(monkeypatch: pytest.MonkeyPatch, ladders: int,
                                                  layouts: int) -> None:
    """An index to rewrite is one more reason for a round: alone it costs one layout; with a
    typography round it is laid out in that round."""
    laid_out = _laid_out(monkeypatch, ladders)
    html = PARAGRAPH + INDEX

    def lay_out(text: str) -> _Document:
        laid_out.append(text)
        return _document(PAGES)
    outcome = typography.settle(html, lay_out)
    assert len(laid_out) == outcome.layouts == layouts
    assert "index-range-end" in outcome.html and "index-range-end" in laid_out[1]
    assert outcome.summary() is None


def test_a_book_without_index_markers_costs_no_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    laid_out = _laid_out(monkeypatch, 0)
    outcome = typography.settle(PARAGRAPH, lambda text: laid_out.append(text) or _document({}))
    assert len(laid_out) == outcome.layouts == 1 and outcome.html == PARAGRAPH


def test_with_the_typography_pass_off_the_index_still_settles(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(typography, "read_lines", lambda document: None)
    laid_out: list[str] = []
    outcome = typography.settle(INDEX, lambda text: laid_out.append(text) or _document(PAGES))
    assert outcome.off and outcome.layouts == 2 and "index-range-end" in outcome.html


def test_an_index_still_moving_after_the_last_round_is_said(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each layout puts a marker on another page: after the rounds the index is a layout behind."""
    monkeypatch.setattr(typography, "read_lines", lambda document: [])
    laid_out: list[str] = []

    def lay_out(text: str) -> _Document:
        laid_out.append(text)
        return _document({**PAGES, "b--idx-1": 14 + 2 * (len(laid_out) % 2)})
    outcome = typography.settle(INDEX, lay_out, rounds=2)
    assert outcome.layouts == 3 and outcome.index_left
    assert (outcome.summary() or "").startswith("index: after 3 layouts its page ranges are those of")


def test_marker_pages_reads_the_documents_anchors() -> None:
    assert marker_pages(_document({"a": 2, "b": 1, "c": 2})) == {"a": 2, "b": 1, "c": 2}
