"""Citations: `[@key]`, `[@key, p. 12]`, `[see @a; @b]` and `@key [p. 12]` -> text in a CSL style.

In: the Markdown (``CitationExtension``: each bracketed citation, never in code, left as
a `<span class="citation-source" data-cite="…">` holding its text; ``NarrativeExtension``:
each `@key` of the running text, never in code, a link's address, an address or raw HTML,
with its bracketed locator, so marked too, `data-narrative`), then every chapter's draft
and book.toml's `bibliography` (BibTeX or CSL-JSON) and `csl` (a CSL style; the bundled
Chicago author-date by default), read through the book folder.
Out: each citation formatted by citeproc-py in the style, in reading order across the book,
every cited work in it a link to its bibliography entry (`#ref-<key>`, role doc-biblioref);
a locator with its label as the style prints it ("chap. 2"). A narrative citation (Pandoc's
in-text form) is the work's names as the style prints them in a citation, then the citation
without them: "Knuth (1984, 12)". With a note style (a CSL of class "note") a citation in
the text becomes a footnote of its own; a narrative one leaves the names in the text before
the note's call. Returned: the Bibliography, its entries formatted and ordered by the style.
A key the bibliography lacks is an error at the citation's file and line; a book without a
`bibliography` keeps its citations as written, and so do a chapter's title and a link's text
(a narrative one).
"""

from __future__ import annotations

import dataclasses
import functools
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree
from markdown import Markdown
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.util import AtomicString

from builder import checks
from builder.bookfolder import BookFolder, Refused
from builder.errors import Location, Problems, did_you_mean
from builder.manuscript.parts import PART, NoteDraft
from builder.manuscript.tree import html_fragment
from builder.model import Bibliography, BookMeta, Reference

if TYPE_CHECKING:
    from builder.manuscript.chapter import ChapterDraft

DEFAULT_STYLE = Path(__file__).resolve().parent.parent / "csl" / "chicago-author-date.csl"
SOURCE_CLASS = "citation-source"
# A bracket holding at least one @key (not a link's text, nor a reference link's label).
CITATION = r"\[([^\[\]]*?(?<![\w@.])-?@\w[^\[\]]*)\](?![(\[:])"
# Below backticks (180: code stays code) and above links (160, 170) and emphasis.
CITATION_PRIORITY = 175
# `@key` in running text, with `[locator]` after it (one space at most): not after a letter,
# digit, @, dot, slash or backslash (an address, a@b.org; a path), a bracket that holds an @
# (a bracketed citation of its own) or that opens a link.
NARRATIVE = (r"(?<![\w@./\\])@(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?)"
             r"(?:[ ]?\[(?P<locator>[^\[\]@^]*)\](?![(\[:]))?")
# Below links (160, 170), autolinks (120, 110) and raw HTML (90): their addresses and
# attributes are set aside first; above emphasis (60), so a citation can be emphasised.
NARRATIVE_PRIORITY = 85
_ITEM = re.compile(r"^\s*(?P<prefix>.*?)\s*(?<![\w.])-?@(?P<key>\w(?:[\w:.#$%&+?<>~/-]*\w)?)(?P<rest>.*)$",
                   re.S)
# Locator labels as authors write them, to CSL's names.
_LABELS = {
    "p": "page", "pp": "page", "page": "page", "pages": "page", "chap": "chapter", "ch": "chapter",
    "chapter": "chapter", "chapters": "chapter", "sec": "section", "section": "section", "§": "section",
    "§§": "section", "vol": "volume", "vols": "volume", "volume": "volume", "fig": "figure",
    "figs": "figure", "figure": "figure", "n": "note", "nn": "note", "note": "note", "para": "paragraph",
    "paragraph": "paragraph", "l": "line", "ll": "line", "line": "line", "col": "column",
    "bk": "book", "book": "book", "pt": "part", "part": "part", "no": "issue", "v": "verse",
    "chaps": "chapter", "secs": "section", "sections": "section", "volumes": "volume", "figures": "figure",
    "notes": "note", "paras": "paragraph", "paragraphs": "paragraph", "lines": "line", "cols": "column",
    "column": "column", "columns": "column", "bks": "book", "books": "book", "pts": "part", "parts": "part",
    "nos": "issue", "issue": "issue", "vv": "verse", "verse": "verse", "verses": "verse",
}
_NUMBER = r"\d[\w\u2013\u2014-]*"  # 12, 12-14, 12–14 (a roman page, xiv, is read as a suffix)
_LOCATOR = re.compile(rf"^\s*,?\s*(?:(?P<label>[^\W\d]+|§§?)\.?\s*)?"
                      rf"(?P<value>{_NUMBER}(?:\s*[-\u2013,]\s*{_NUMBER})*)(?P<suffix>.*)$", re.S)
# Marks put around each cited work in citeproc's output, so that it can be made a link.
_OPEN, _MID, _CLOSE = "\ue000", "\ue001", "\ue002"
_MARKED = re.compile(f"{_OPEN}(\\d+){_MID}(.*?){_CLOSE}", re.S)
# Marks around the names a narrative citation renders (the style's <names>, as affixes), so
# that they can be taken out of it and put before it.
_NAMES_OPEN, _NAMES_CLOSE = "\ue003", "\ue004"
_DELIMITER = re.compile(r"[,;:]?\s+")
_ITEM_MARKS = re.compile(f"{_OPEN}\\d+{_MID}|{_CLOSE}")
_CSL = "{http://purl.org/net/xbiblio/csl}"
# CSL's numeric: numbers, each with letters before or after it (D2, 2b), joined by a comma,
# a hyphen, an en dash or an ampersand.
_NUMERIC = re.compile(r"^\s*[^\W\d_]*\d+[^\W\d_]*(?:\s*[-\u2013,&]\s*[^\W\d_]*\d+[^\W\d_]*)*\s*$")


class CitationProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, int, int]:  # type: ignore[override]
        element = ET.Element("span")
        element.set("class", SOURCE_CLASS)
        element.set("data-cite", " ".join(m[1].split()))
        element.text = AtomicString(m[0])  # as written, for a book that cites nothing
        return element, m.start(0), m.end(0)


class CitationExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        md.inlinePatterns.register(CitationProcessor(CITATION, md), "builder-citation", CITATION_PRIORITY)


class NarrativeProcessor(InlineProcessor):
    def handleMatch(self, m: re.Match[str], data: str) -> tuple[Any, int, int]:  # type: ignore[override]
        element = ET.Element("span")
        element.set("class", SOURCE_CLASS)
        locator = " ".join((m["locator"] or "").split())
        element.set("data-cite", f"@{m['key']}" + (f", {locator}" if locator else ""))
        element.set("data-narrative", "true")
        element.text = AtomicString(m[0])
        return element, m.start(0), m.end(0)


class NarrativeExtension(Extension):
    """`@key` and `@key [p. 12]` in running text; `\\@` is an @ of the text."""

    def extendMarkdown(self, md: Markdown) -> None:
        if "@" not in md.ESCAPED_CHARS:
            md.ESCAPED_CHARS.append("@")
        md.inlinePatterns.register(NarrativeProcessor(NARRATIVE, md), "builder-narrative-citation",
                                   NARRATIVE_PRIORITY)


@dataclass(frozen=True)
class Cite:
    """One work cited, as written: `see @knuth1984, p. 12`."""

    key: str
    prefix: str = ""
    locator: tuple[str, str] | None = None  # (CSL label, value)
    suffix: str = ""


def parse_citation(text: str) -> list[Cite]:
    """The works of a bracketed citation's text (`see @a, p. 3; @b`)."""
    cites = []
    for piece in text.split(";"):
        found = _ITEM.match(piece)
        if found is None:
            continue
        rest = found["rest"].strip()
        locator = None
        where = _LOCATOR.match(rest)
        label = (where["label"] or "").lower() if where else ""
        if where and (not label or label in _LABELS):
            locator = (_LABELS.get(label, "page"), where["value"].strip())
            rest = where["suffix"].strip()
        cites.append(Cite(found["key"], found["prefix"].strip(), locator, rest.lstrip(", ").strip()))
    return cites


@dataclass
class _Found:
    draft: ChapterDraft
    span: etree._Element
    cites: list[Cite]
    in_note: bool
    citation: Any = None

    @property
    def narrative(self) -> bool:
        return self.span.get("data-narrative") is not None


def cite_book(drafts: list[ChapterDraft], meta: BookMeta, problems: Problems) -> Bibliography | None:
    """Format every citation of the book in its style (see the module's docstring)."""
    found = []
    for draft in drafts:
        for span in [s for s in draft.heading.iter("span") if s.get("class") == SOURCE_CLASS]:
            _restore(span)  # a chapter's title (the contents, the running head) cites nothing
        for span, in_note in _citations(draft):
            if span.get("data-narrative") is not None and any(a.tag == "a" for a in span.iterancestors()):
                _restore(span)  # a link's text: its @ is the author's words, not a citation
            else:
                found.append(_Found(draft, span, parse_citation(span.get("data-cite") or ""), in_note))
    if meta.bibliography is None:
        for item in found:
            _restore(item.span)
        return None
    loaded = _load(meta, problems)
    if loaded is None:
        for item in found:
            _restore(item.span)
        return None
    source, style = loaded
    from citeproc import Citation, CitationItem, CitationStylesBibliography, Locator, formatter

    located = _located_item()

    bibliography = CitationStylesBibliography(style, source, formatter.html)
    ids: dict[str, str] = {}
    kept = []
    for item in found:
        unknown = [cite.key for cite in item.cites if cite.key.lower() not in source]
        for key in unknown:
            problems.error(f"no work with the key {key!r} in {meta.bibliography.name}"
                           + did_you_mean(key, [str(k) for k in source]),
                           checks.locate(item.draft.path, item.draft.text, f"@{key}"))
        if unknown or not item.cites:
            _restore(item.span)
            continue
        for cite in item.cites:  # each work registered bare first: its entry carries no marks
            if cite.key.lower() not in ids:
                ids[cite.key.lower()] = _entry_id(cite.key, ids)
                bibliography.register(Citation([CitationItem(cite.key)]))
        item.citation = Citation([
            located(cite.key, prefix=_affix(cite.prefix, " ") + f"{_OPEN}{number}{_MID}",
                    suffix=_CLOSE + _affix(", " + cite.suffix if cite.suffix else ""),
                    **({"locator": Locator(*cite.locator)} if cite.locator else {}))
            for number, cite in enumerate(item.cites)])
        bibliography.register(item.citation)
        kept.append(item)
    bibliography.sort()
    notes = style.root.get("class") == "note"
    for number, item in enumerate(kept, start=1):
        targets = [ids[cite.key.lower()] for cite in item.cites]
        with _names_marked(style, item.narrative):
            rendered = str(bibliography.cite(item.citation, lambda cite: None))
        names, rest = _names_apart(rendered) if item.narrative else ("", rendered)
        if notes and not item.in_note:
            _as_note(item, _linked(_unmarked(rendered), targets), number, _unmarked(names))
        elif names and not notes:  # "Knuth (1984, 12)", the whole a link to the work's entry
            rest = _ITEM_MARKS.sub("", _unmarked(rest))
            _replace(item.span, _linked(f"{_OPEN}0{_MID}{_unmarked(names)} {rest}{_CLOSE}", targets))
        else:
            _replace(item.span, _linked(_unmarked(rendered), targets))
    for draft in {id(item.draft): item.draft for item in kept if notes}.values():
        _renumber_notes(draft)
    entries = tuple(Reference(ids[cite.key], _xhtml(str(text)))
                    for cite, text in zip(bibliography.items, bibliography.bibliography(), strict=True))
    if not entries:
        return None
    return Bibliography("Bibliography" if notes else "References", entries)


@functools.cache
def _located_item() -> Any:
    """citeproc's CitationItem, its work answering CSL's `is-numeric="locator"`: citeproc-py
    looks the locator up among the work's variables, where it never is, so a style's label
    for a numeric locator was lost ("chap. 2" printed "2"). The work it sees carries the
    locator's numeric-ness as a variable of that name (citeproc reads the locator's own value
    and label from the item)."""
    from citeproc import CitationItem
    from citeproc.source import Reference

    class LocatedItem(CitationItem):  # type: ignore[misc]
        @property
        def reference(self) -> Any:
            work = super().reference
            if not self.has_locator:
                return work
            numeric = "1" if _NUMERIC.match(str(self.locator.identifier)) else "x"
            fields = {name: value for name, value in work.items() if name not in ("key", "type", "locator")}
            return Reference(work.key, work.type, locator=numeric, **fields)

    return LocatedItem


@contextmanager
def _names_marked(style: Any, wanted: bool) -> Iterator[None]:
    """While a narrative citation is rendered: each <names> its citation can render (in the
    citation's layout and the macros it calls, not a substitute's) between the names marks,
    as affixes outside its own; as it was afterwards."""
    if not wanted:
        yield
        return
    root = style.root
    macros = {macro.get("name"): macro for macro in root.iterchildren(f"{_CSL}macro")}
    seen: set[str] = set()
    todo = list(root.iterchildren(f"{_CSL}citation"))
    changed: list[tuple[Any, str | None, str | None]] = []
    while todo:
        for node in todo.pop().iter(f"{_CSL}names", f"{_CSL}text", f"{_CSL}key"):
            name = node.get("macro")
            if name in macros and name not in seen:
                seen.add(name)
                todo.append(macros[name])
            substituted = any(a.tag == f"{_CSL}substitute" for a in node.iterancestors())
            if node.tag == f"{_CSL}names" and not substituted:
                changed.append((node, node.get("prefix"), node.get("suffix")))
                node.set("prefix", _NAMES_OPEN + (node.get("prefix") or ""))
                node.set("suffix", (node.get("suffix") or "") + _NAMES_CLOSE)
    try:
        yield
    finally:
        for node, prefix, suffix in changed:
            for name, value in (("prefix", prefix), ("suffix", suffix)):
                if value is None:
                    del node.attrib[name]
                else:
                    node.set(name, value)


def _names_apart(rendered: str) -> tuple[str, str]:
    """A narrative citation's names (the first <names> the style rendered, with what a
    substitute rendered in it) and the citation without them and the delimiter after them;
    no names (a style that prints none): ("", rendered)."""
    start = rendered.find(_NAMES_OPEN)
    if start < 0:
        return "", rendered
    depth, end = 0, len(rendered)
    for end in range(start, len(rendered)):
        depth += {_NAMES_OPEN: 1, _NAMES_CLOSE: -1}.get(rendered[end], 0)
        if depth == 0:
            break
    after = _DELIMITER.match(rendered, end + 1)
    return rendered[start:end + 1], rendered[:start] + rendered[after.end() if after else end + 1:]


def _unmarked(text: str) -> str:
    return text.replace(_NAMES_OPEN, "").replace(_NAMES_CLOSE, "")


def _citations(draft: ChapterDraft) -> list[tuple[etree._Element, bool]]:
    spans = [(span, False) for span in draft.root.iter("span") if span.get("class") == SOURCE_CLASS]
    for note in draft.notes:
        spans += [(span, True) for span in note.item.iter("span") if span.get("class") == SOURCE_CLASS]
    return spans


def _load(meta: BookMeta, problems: Problems) -> tuple[Any, Any] | None:
    """The references and the style, read through the book folder; None (said) when unreadable."""
    from citeproc import CitationStylesStyle
    from citeproc.source.bibtex import BibTeX
    from citeproc.source.json import CiteProcJSON

    assert meta.bibliography is not None
    folder = BookFolder.at(meta.root, with_package=True)
    path = meta.bibliography
    try:
        text = folder.read_bytes(path).decode("utf-8")
        source = (CiteProcJSON(json.loads(text)) if path.suffix.lower() == ".json"
                  else BibTeX(io.StringIO(text)))
    except (Refused, OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        problems.error(f"the bibliography cannot be read: {_reason(exc)}", Location(path))
        return None
    style_path = meta.csl or DEFAULT_STYLE
    try:
        style_bytes = folder.read_bytes(style_path)
        style = _style(CitationStylesStyle, style_bytes, meta.language)
    except (Refused, OSError, ValueError, etree.XMLSyntaxError) as exc:
        problems.error(f"the citation style cannot be read: {_reason(exc)}", Location(style_path))
        return None
    return source, style


def _style(kind: Any, data: bytes, language: str) -> Any:
    """The style in the book's language where citeproc has that locale, else the style's own."""
    for locale in (language, None):
        try:
            return kind(io.BytesIO(data), locale=locale, validate=False)
        except ValueError:
            if locale is None:
                raise
    raise AssertionError("unreachable")


def _reason(exc: BaseException) -> str:
    return getattr(exc, "reason", None) or str(exc) or type(exc).__name__


def _entry_id(key: str, taken: dict[str, str]) -> str:
    base = "ref-" + (re.sub(r"[^A-Za-z0-9_-]+", "-", key).strip("-") or "work")
    name, number = base, 2
    while name in taken.values():
        name, number = f"{base}-{number}", number + 1
    return name


def _affix(text: str, space: str = "") -> str:
    return html.escape(text, quote=False) + space if text else ""


def _linked(rendered: str, ids: list[str]) -> str:
    """citeproc's HTML with each marked work a link to its entry."""
    return _MARKED.sub(lambda m: f'<a href="#{ids[int(m[1])]}" role="doc-biblioref">{m[2]}</a>',
                       rendered).replace(_OPEN, "").replace(_MID, "").replace(_CLOSE, "")


def _xhtml(rendered: str) -> str:
    """citeproc's HTML as XHTML (its entities and tags read by lxml's HTML parser)."""
    holder = html_fragment(rendered)
    return (html.escape(holder.text or "", quote=False)
            + "".join(etree.tostring(child, method="xml", encoding="unicode") for child in holder))


def _fragment(markup: str) -> etree._Element:
    holder = html_fragment(markup, "span")
    holder.set("class", "citation")
    return holder


def _replace(span: etree._Element, markup: str) -> None:
    citation = _fragment(markup)
    citation.tail = span.tail
    parent = span.getparent()
    assert parent is not None
    parent.replace(span, citation)


def _restore(span: etree._Element) -> None:
    """A citation left as its author wrote it."""
    text = span.text or ""
    previous, parent = span.getprevious(), span.getparent()
    if parent is None:
        return
    if previous is not None:
        previous.tail = (previous.tail or "") + text + (span.tail or "")
    else:
        parent.text = (parent.text or "") + text + (span.tail or "")
    parent.remove(span)


def _as_note(item: _Found, markup: str, number: int, names: str = "") -> None:
    """A note style's citation in the text: a footnote of its own, called where it stood (a
    narrative one's names before the call, in the text)."""
    draft = item.draft
    note_id, call_id = f"{draft.slug}--fn-cite-{number}", f"{draft.slug}--fnref-cite-{number}"
    note = etree.Element("li", id=note_id)
    paragraph = etree.SubElement(note, "p")
    paragraph.append(_fragment(markup))
    marker = etree.Element(PART, kind="noteref", ref=note_id, anchor=call_id)
    marker.tail = item.span.tail
    parent = item.span.getparent()
    assert parent is not None
    if names:
        text = _fragment(names)
        parent.replace(item.span, text)
        text.addnext(marker)
    else:
        parent.replace(item.span, marker)
    draft.notes = (*draft.notes, NoteDraft(note_id, 0, call_id, note))


def _renumber_notes(draft: ChapterDraft) -> None:
    """Notes numbered in the order of their first calls, the citations' among the author's."""
    order: list[str] = []
    for marker in draft.root.iter(PART):
        ref = marker.get("ref") or ""
        if marker.get("kind") == "noteref" and ref not in order:
            order.append(ref)
    by_id = {note.id: note for note in draft.notes}
    draft.notes = tuple(dataclasses.replace(by_id[ref], number=number)
                        for number, ref in enumerate([r for r in order if r in by_id], start=1))
