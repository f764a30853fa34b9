"""The print index's page ranges: a layout's pages -> each entry's locators, a page once, runs merged.

In: the print HTML as the template writes it (an index entry's locators one empty
``a.index-locator`` link per marker, whose page print.css shows by target-counter; class
``folio-roman`` where the marker is in the front matter) and, from a layout, the page each
marker's id is on. Out: the print HTML with each entry's (and sub-entry's) locators one per
page, in page order, consecutive pages made a range: a link to the run's first marker, an en
dash, a link to its last, each still showing its own page by target-counter, so that a later
layout that moves a page break keeps the numbers true. Front matter's roman pages and the
body's arabic ones are never one range. The EPUB's index (a link to each marker) is another
rendering and is not touched. Pure: the layout's pages come in as a mapping.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

LOCATOR_CLASS = "index-locator"
RANGE_END_CLASS = "index-range-end"  # the second link of a range
ROMAN_CLASS = "folio-roman"
EN_DASH = "\u2013"
_LINK = r'<a class="index-locator[^"]*" epub:type="index-locator" href="#[^"]+"></a>'
_ONE = re.compile(r'<a class="index-locator(?P<classes>[^"]*)" epub:type="index-locator" '
                  r'href="#(?P<target>[^"]+)"></a>')
# An entry's locators as the template or this module writes them: each after ", ", the end of
# a range after an en dash.
_RUN = re.compile(rf"(?:, {_LINK}(?:{EN_DASH}{_LINK})?)+")


@dataclass(frozen=True)
class Marker:
    target: str  # the marker's id
    roman: bool  # in the front matter: a roman folio


Entry = tuple[Marker, ...]  # one entry's markers, as the template listed them


def read_entries(html: str) -> tuple[Entry, ...]:
    """Every index entry's markers, in the order the entries stand in *html* (as rendered,
    before any rewriting: each marker its own link); () for a book without an index."""
    return tuple(tuple(Marker(m["target"], ROMAN_CLASS in m["classes"].split())
                       for m in _ONE.finditer(run[0]))
                 for run in _RUN.finditer(html))


def marker_pages(document: Any) -> dict[str, int]:
    """The page (1-based) each anchor of a laid-out WeasyPrint Document is on (Page.anchors)."""
    return {name: number for number, page in enumerate(document.pages, start=1) for name in page.anchors}


def with_ranges(html: str, entries: Sequence[Entry], pages: Mapping[str, int]) -> str:
    """*html* with each entry's locators as *pages* puts its markers (see the module's
    docstring); *entries* are read_entries' of the HTML first rendered."""
    runs = list(_RUN.finditer(html))
    if len(runs) != len(entries):  # not the index read_entries saw: leave it as it is
        return html
    pieces, position = [], 0
    for run, entry in zip(runs, entries, strict=True):
        pieces += [html[position:run.start()], _locators(entry, pages)]
        position = run.end()
    return "".join(pieces) + html[position:]


def _locators(entry: Entry, pages: Mapping[str, int]) -> str:
    """", first" or ", first–last" per run of consecutive pages; a marker the layout did not
    place (no page) keeps a locator of its own."""
    firsts: dict[tuple[bool, int], Marker] = {}
    unplaced: list[Marker] = []
    for marker in entry:
        page = pages.get(marker.target)
        if page is None:
            unplaced.append(marker)
        else:
            firsts.setdefault((not marker.roman, page), marker)  # roman pages come first
    runs: list[list[tuple[tuple[bool, int], Marker]]] = []
    for key, marker in sorted(firsts.items(), key=lambda item: item[0]):
        last = runs[-1][-1][0] if runs else None
        if last is not None and last[0] == key[0] and last[1] + 1 == key[1]:
            runs[-1].append((key, marker))
        else:
            runs.append([(key, marker)])
    out = []
    for run in runs:
        out.append(", " + _link(run[0][1]))
        if len(run) > 1:
            out.append(EN_DASH + _link(run[-1][1], RANGE_END_CLASS))
    out += [", " + _link(marker) for marker in unplaced]
    return "".join(out)


def _link(marker: Marker, *more: str) -> str:
    classes = " ".join([LOCATOR_CLASS, *more, *([ROMAN_CLASS] if marker.roman else [])])
    return f'<a class="{classes}" epub:type="index-locator" href="#{marker.target}"></a>'
