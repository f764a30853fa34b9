"""The index: the markers in the chapters -> the book's index, sorted in its language.

In: the chapter drafts, links resolved (each marker an empty
`<span class="index-marker" data-index="term!sub|see other">` from
builder.markdown_ext). Out: each marker given a book-wide id (its data attribute
dropped), and the index as IndexGroups (builder.model): one per initial letter,
terms sorted for the book's language (by Unicode base letters, case folded,
word by word, with the letters some languages sort after z as those languages
do), sub-entries under their term, each marker a locator, and "see" / "see also"
pointing at the entries they name. A marker with no term, with a sub-entry of a
sub-entry, with a `|` that says neither `see` nor `see also`, or in a chapter's
title is an error at its line; a "see" naming a term the index does not hold,
a warning.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lxml import etree

from builder import checks
from builder.config import slugify, unique_slug
from builder.errors import Location, Problems
from builder.markdown_ext import INDEX_MARKER, INDEX_MARKER_CLASS
from builder.model import IndexEntry, IndexGroup, IndexLocator

if TYPE_CHECKING:
    from builder.manuscript.chapter import ChapterDraft

SYMBOLS = "Symbols"  # the group of the terms that start with no letter, first
_CROSS = re.compile(r"^(?P<also>see\s*also|seealso)\s+(?P<to>.+)$|^see\s+(?P<see>.+)$", re.I | re.S)
# Letters a language sorts after z (or elsewhere), in its order; the rest by their base letter.
_TAILORED: dict[str, tuple[str, float]] = {}
for _languages, _letters in ((("sv", "fi"), "åäö"), (("da", "nb", "nn", "no"), "æøå")):
    for _language in _languages:
        for _rank, _letter in enumerate(_letters, start=1):
            _TAILORED[f"{_language}:{_letter}"] = (_letter, ord("z") + _rank)
_TAILORED["es:ñ"] = ("ñ", ord("n") + 0.5)


@dataclass
class _Term:
    """An entry while the markers are read: its locators and cross references, in order."""

    words: str
    where: Location  # its first marker, for the warnings
    locators: list[IndexLocator] = field(default_factory=list)
    subentries: dict[str, _Term] = field(default_factory=dict)
    see: list[str] = field(default_factory=list)  # each a term's path, "term!sub"
    see_also: list[str] = field(default_factory=list)


def build_index(drafts: list[ChapterDraft], language: str, problems: Problems) -> tuple[IndexGroup, ...]:
    """Name every marker and gather the index, sorted for *language*."""
    terms: dict[str, _Term] = {}
    for draft in drafts:
        for marker in list(draft.heading.iter("span")):
            if _is_marker(marker):
                problems.error("an index marker cannot stand in a chapter's title; put it in the "
                               "text after the title", _locate(draft, str(marker.get("data-index"))))
                checks.remove_element(marker)
        counter = itertools.count(1)
        for element in [draft.root, *(note.item for note in draft.notes)]:
            place = draft.heading
            for node in list(element.iter()):
                if node.tag in checks.HEADINGS and node.get("id"):
                    place = node
                elif _is_marker(node):
                    identifier = f"{draft.slug}--idx-{next(counter)}"
                    _read_marker(node, draft, IndexLocator(identifier, draft.slug, _words(place)), terms,
                                 problems)
                    node.set("id", identifier)
                    del node.attrib["data-index"]
    ids = _entry_ids(terms)
    return _groups(terms, ids, language, problems)


def _is_marker(element: etree._Element) -> bool:
    return (element.tag == "span" and element.get("class") == INDEX_MARKER_CLASS
            and "data-index" in element.attrib)


def _words(element: etree._Element) -> str:
    return " ".join(str(element.xpath("string()")).split())


def _locate(draft: ChapterDraft, spec: str) -> Location:
    """The marker written with *spec* (its words may run over a line), else the first marker."""
    for found in re.finditer(INDEX_MARKER, draft.text):
        if " ".join(found[1].split()) == spec:
            return Location(draft.path, *checks.line_and_column(draft.text, found.start()))
    return checks.locate(draft.path, draft.text, "{^")


def _read_marker(marker: etree._Element, draft: ChapterDraft, locator: IndexLocator, terms: dict[str, _Term],
                 problems: Problems) -> None:
    spec = str(marker.get("data-index"))
    where = _locate(draft, spec)
    path_words, bar, cross = spec.partition("|")
    path = [" ".join(part.split()) for part in path_words.split("!")]
    if not all(path):
        problems.error(f"the index marker {{^ {spec}}} has an empty term; write it as {{^ term}} or "
                       "{^ term!sub-entry}", where)
        return
    if len(path) > 2:
        problems.error(f"the index marker {{^ {spec}}} goes {len(path) - 1} levels down; an index entry "
                       "has sub-entries, not sub-sub-entries: write {^ term!sub-entry}", where)
        return
    crossed = _CROSS.match(cross.strip()) if bar else None
    if bar and crossed is None:
        problems.error(f"the index marker {{^ {spec}}}: after the | write `see other term` or "
                       "`see also other term`", where)
        return
    entry = terms.setdefault(path[0], _Term(path[0], where))
    if len(path) == 2:
        entry = entry.subentries.setdefault(path[1], _Term(path[1], where))
    if crossed is None:
        entry.locators.append(locator)
    elif crossed["see"]:  # "see": the term is indexed under the other; no locator, as in LaTeX
        entry.see.append(" ".join(crossed["see"].split()))
    else:
        entry.see_also.append(" ".join(crossed["to"].split()))


def _entry_ids(terms: dict[str, _Term]) -> dict[str, str]:
    """Each entry's id, by its path ("term" or "term!sub"): from its words, numbered where two agree."""
    ids: dict[str, str] = {}
    for term, entry in terms.items():
        for path in [term, *(f"{term}!{sub}" for sub in entry.subentries)]:
            base = "index--" + "--".join(_id_words(part) for part in path.split("!"))
            ids[path] = unique_slug(base, set(ids.values()))
    return ids


def _id_words(words: str) -> str:
    slug = slugify(words)
    return slug if slug != "book" or words.lower() == "book" else "term"


def _groups(terms: dict[str, _Term], ids: dict[str, str], language: str,
            problems: Problems) -> tuple[IndexGroup, ...]:
    entries = [_freeze(term, terms[term], ids, problems, language, term) for term in terms]
    ordered = sorted(entries, key=lambda entry: (_group(entry.term, language) != SYMBOLS,
                                                 sort_key(entry.term, language)))
    return tuple(IndexGroup(label, tuple(members))
                 for label, members in itertools.groupby(ordered, key=lambda e: _group(e.term, language)))


def _freeze(words: str, term: _Term, ids: dict[str, str], problems: Problems, language: str,
            path: str) -> IndexEntry:
    def crosses(targets: list[str]) -> tuple[tuple[str, str], ...]:
        out = []
        for target in dict.fromkeys(targets):
            key = "!".join(" ".join(part.split()) for part in target.split("!"))
            if key not in ids:
                problems.warning(f"the index says 'see {target}', but no marker indexes {target!r}; "
                                 "the reference is printed without a link", term.where)
            out.append((key.replace("!", ", "), ids.get(key, "")))
        return tuple(out)

    see, see_also = crosses(term.see), crosses(term.see_also)
    if see and see_also:
        problems.warning(f"the index entry {words!r} has both 'see' and 'see also'; an entry indexed "
                         "elsewhere ('see') lists nothing more: the 'see also' is left out",
                         term.where)
        see_also = ()
    subentries = sorted((_freeze(sub, term.subentries[sub], ids, problems, language, f"{path}!{sub}")
                         for sub in term.subentries), key=lambda entry: sort_key(entry.term, language))
    return IndexEntry(ids[path], words, tuple(term.locators), tuple(subentries), see, see_also)


def sort_key(words: str, language: str) -> tuple[tuple[float, ...], str, str]:
    """Word by word (a space before any letter), by base letter (accents, then case, lower
    first, only break ties), with the letters *language* sorts apart in their places; marks
    are not counted."""
    folded = unicodedata.normalize("NFC", words).casefold()
    code = language.split("-")[0].lower()
    primary: list[float] = []
    for character in folded:
        tailored = _TAILORED.get(f"{code}:{character}")
        if tailored is not None:
            primary.append(tailored[1])
            continue
        for base in unicodedata.normalize("NFKD", character):
            if unicodedata.combining(base):
                continue
            if base.isspace():
                if primary and primary[-1] != 0:
                    primary.append(0)
            elif base.isalnum():
                primary.append(ord(base))
    return tuple(primary), unicodedata.normalize("NFKD", folded), words.swapcase()  # lower case first


def _group(words: str, language: str) -> str:
    """The letter a term is listed under: its first character's base letter, or Symbols."""
    first = unicodedata.normalize("NFC", words.strip())[:1].casefold()
    if not first.isalpha():
        return SYMBOLS
    code = language.split("-")[0].lower()
    if f"{code}:{first}" in _TAILORED:
        return first.upper()
    base = unicodedata.normalize("NFKD", first)[:1]
    return base.upper() if base.isalpha() else first.upper()
