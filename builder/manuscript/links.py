"""Links: ids made unique book-wide, and links between chapters pointed at them.

In: the drafts of every chapter (body, title and notes). Out: each element id
prefixed with its chapter's slug, and every link to an anchor or to a chapter
file rewritten to `#book-wide-id` (the PDF is one document; the EPUB writer
adds file names). A chapter file is found the way a reader of the Markdown
would follow the link: relative to the linking file (`../part/ch.md`,
mdBook's `ch.html`, a folder's `README.md`), or by a unique file name. An
anchor is the author's own id, or the anchor GitHub or mdBook gives a heading
(`#my-heading`, `#user-content-my-heading`). A link to another local file goes
to book.toml's `base_url` when there is one; a link to nothing is an error
with its line and, where one is close, the name meant.

Cross references: first the figures, tables and listings with an id are
numbered (tree.number_captions); a link with no text (`[](#fig-map)`) then
takes its target's label ("Figure 2.1") or, to a chapter or a section, its
title. Each link to a place in the book, in the text and the notes, is marked
`xref` (print adds the target's page after it; a filled-in label is also
marked `xref-label`; a target in the front matter, `folio-roman`: its page is
printed in lower-roman, as its folio is).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urljoin

from lxml import etree

from builder import checks
from builder.errors import ManuscriptError, Problems
from builder.manuscript.tree import number_captions
from builder.model import FRONT_ROLES

if TYPE_CHECKING:
    from builder.manuscript.chapter import ChapterDraft

ROMAN_FOLIO = "folio-roman"  # print.css: the target's page in lower-roman

_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^//")
_PAGE_SUFFIXES = (".md", ".markdown", ".html", ".htm")
_FOLDER_PAGES = ("README.md", "index.md")
# The smart typography made `--` a dash; GitHub and mdBook made their anchors from the typed text.
_TYPED = str.maketrans({"\u2014": "---", "\u2013": "--", "\u2018": "'", "\u2019": "'", "\u201c": '"',
                        "\u201d": '"', "\u2026": "..."})


def prefix_ids(root: etree._Element, chapter_slug: str) -> dict[str, str]:
    """Make ids unique across the book (the PDF is one document)."""
    renamed: dict[str, str] = {}
    for element in checks.with_id(root):
        original = element.get("id")
        if original:
            renamed[original] = f"{chapter_slug}--{original}"
            element.set("id", renamed[original])
    return renamed


def add_heading_anchors(local_ids: dict[str, str], heading: etree._Element, root: etree._Element,
                        chapter_slug: str) -> None:
    """Also answer to the anchors GitHub and mdBook give headings (their text, lower-cased,
    spaces made hyphens, numbered when repeated), and to the title's own anchors with the
    chapter's start. The author's own ids win."""
    counts: dict[str, int] = {}
    headings = [(heading, chapter_slug)] + [
        (h, str(h.get("id"))) for h in root.iter("h2", "h3", "h4", "h5", "h6") if h.get("id")]
    for element, target in headings:
        base = web_anchor(str(element.xpath("string()")))
        alias = f"{base}-{counts[base]}" if base in counts else base
        counts[base] = counts.get(base, 0) + 1
        local_ids.setdefault(alias, target)
    if heading.get("id"):
        local_ids.setdefault(str(heading.get("id")), chapter_slug)


def web_anchor(text: str) -> str:
    """A heading's anchor as GitHub and mdBook make it."""
    return "".join(c.lower() if c.isalnum() or c in "_-" else "-" if c.isspace() else ""
                   for c in text.strip().translate(_TYPED))


@dataclass(frozen=True)
class _Book:
    drafts: list[ChapterDraft]
    by_path: dict[Path, ChapterDraft]
    root: Path
    base_url: str

    @classmethod
    def of(cls, drafts: list[ChapterDraft], root: Path, base_url: str) -> _Book:
        return cls(drafts, {_normal(d.path): d for d in drafts}, root, base_url)


def resolve_links(drafts: list[ChapterDraft], problems: Problems, root: Path, base_url: str = "") -> None:
    """Point links to anchors and chapters at book-wide ids (always `#id`: the PDF is
    one document, the EPUB writer adds file names); links to other local files at
    *base_url*. Titles and notes are linked like the text."""
    book = _Book.of(drafts, root, base_url)
    names = {}  # a book-wide id -> the words an empty link to it shows
    for draft in drafts:
        names[draft.slug] = " ".join(str(draft.heading.xpath("string()")).split())
        names.update((str(h.get("id")), " ".join(str(h.xpath("string()")).split()))
                     for h in draft.root.iter(*checks.HEADINGS) if h.get("id"))
    labels = {identifier: label for draft in drafts
              for identifier, label in number_captions(draft.root, draft.letter or draft.number).items()}
    front = {identifier for draft in drafts if draft.role in FRONT_ROLES
             for identifier in (draft.slug, *draft.local_ids.values())}
    for draft in drafts:
        elements = [draft.heading, draft.root, *(note.item for note in draft.notes)]
        for link in [a for element in elements for a in element.iter("a")]:
            href = (link.get("href") or "").strip()
            try:
                target = _link_target(href, draft, book)
            except ManuscriptError as exc:
                problems.items.extend(exc.diagnostics)
                continue
            if target is not None:
                link.set("href", target)
            if target is not None and target.startswith("#") and _in_running_text(link, draft.heading):
                _mark_reference(link, target[1:], labels, names, target[1:] in front)


def _in_running_text(link: etree._Element, title: etree._Element) -> bool:
    """Whether *link* is in running text: not in a heading (nor the chapter's title)."""
    return not any(a is title or a.tag in checks.HEADINGS for a in link.iterancestors())


def _mark_reference(link: etree._Element, target: str, labels: dict[str, str], names: dict[str, str],
                    in_front: bool) -> None:
    """An empty link takes its target's label or title; every one is marked a reference, and
    one into the front matter (whose pages have roman folios) so."""
    classes = (link.get("class") or "").split()
    if not len(link) and not (link.text or "").strip() and (target in labels or target in names):
        link.text = labels.get(target) or names[target]
        classes += ["xref", "xref-label"] if target in labels else ["xref"]
    else:
        classes.append("xref")
    if in_front:
        classes.append(ROMAN_FOLIO)
    link.set("class", " ".join(classes))


def _link_target(href: str, draft: ChapterDraft, book: _Book) -> str | None:
    """The link's new href, or None when it stays as written (a web or mail address)."""
    if not href or _SCHEME.match(href):
        return None
    file_part, _, fragment = href.partition("#")
    fragment = unquote(fragment).removeprefix("user-content-")
    if not file_part:
        candidates = [draft] + [other for other in book.drafts if other is not draft]
    else:
        chapter = _chapter_at(unquote(file_part), draft, book)
        if chapter is None:
            return _elsewhere(href, draft, book)
        candidates = [chapter]
    if not fragment:
        return "#" + candidates[0].slug
    for candidate in candidates:
        if fragment in candidate.local_ids:
            return "#" + candidate.local_ids[fragment]
    raise ManuscriptError(f"link to {href!r}: no heading or element has the id {fragment!r}",
                          checks.locate(draft.path, draft.text, href))


def _chapter_at(path: str, draft: ChapterDraft, book: _Book) -> ChapterDraft | None:
    """The chapter a relative path names: the file, its .md for mdBook's .html, a folder's
    README.md or index.md; else a chapter of that file name when only one has it."""
    path = path.rstrip("/") if path.rstrip("/").lower().endswith(_PAGE_SUFFIXES) else path
    target = _normal(draft.path.parent / path)
    stem, suffix = os.path.splitext(str(target))
    markdown = Path(stem + ".md") if suffix.lower() in (".html", ".htm") else target
    tries = [target, markdown]
    if path.endswith("/") or not suffix:
        tries += [target / name for name in _FOLDER_PAGES]
    if target.name.lower() in ("index.html", "index.htm"):  # mdBook publishes README.md as index.html
        tries.append(target.parent / "README.md")
    for candidate in tries:
        if candidate in book.by_path:
            return book.by_path[candidate]
    named = [d for d in book.drafts if markdown.suffix == ".md" and d.path.name == markdown.name]
    return named[0] if len(named) == 1 else None


def _elsewhere(href: str, draft: ChapterDraft, book: _Book) -> str:
    """A link to a local file that is no chapter: to the web copy at base_url, or refused."""
    if book.base_url:
        page = _normal(draft.path).relative_to(_normal(book.root / "chapters")) \
            if _normal(draft.path).is_relative_to(_normal(book.root / "chapters")) else Path(draft.path.name)
        address = urljoin(urljoin(book.base_url, page.with_suffix(".html").as_posix()), href)
        file_part, hash_mark, fragment = address.partition("#")
        if file_part.endswith(".md"):
            file_part = file_part[:-3] + ".html"
        return file_part + hash_mark + fragment
    file_part = unquote(href.partition("#")[0])
    if file_part.lower().rstrip("/").endswith(_PAGE_SUFFIXES):
        names = [os.path.relpath(d.path, draft.path.parent) for d in book.drafts]
        close = difflib.get_close_matches(file_part, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        message = f"link to {href!r}: no chapter file {file_part!r} in the book{hint}"
    else:
        message = (f"link to {href!r}: only chapters (.md) and web addresses can be linked; a local file "
                   "is not carried into the book (or set base_url in book.toml: such links then go to "
                   "the book's web copy)")
    raise ManuscriptError(message, checks.locate(draft.path, draft.text, href))


def _normal(path: Path) -> Path:
    return Path(os.path.normpath(path.absolute()))
