"""Stage 2: BookMeta + the book folder -> Book (chapters as XHTML, table data, errata).

In: validated BookMeta. Out: a Book whose chapters hold well-formed XHTML
fragments with ids unique across the whole book, ready for the template.
Markdown is converted by Python-Markdown, then parsed by lxml's HTML parser
and serialised as XML: a real parser and serialiser, never string patches.
This stage and the URL fetcher are the only readers of the book folder.
"""

from __future__ import annotations

import re
import tomllib
from copy import deepcopy
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

import markdown
from lxml import etree
from lxml import html as lxml_html

from builder import checks, legacy
from builder.config import slugify, toml_problem
from builder.errors import Location, ManuscriptError, Problems
from builder.images import collect_images, read_cover
from builder.markdown_ext import PlaceholderExtension
from builder.model import (
    AuthorTable,
    BodyPart,
    Book,
    BookImage,
    BookMeta,
    Chapter,
    Erratum,
    Note,
    Section,
    Structure,
    TableRow,
)
from builder.speed.cache import MarkdownCache
from builder.stylesheets import STYLE_SHEETS, style_path

AUTHOR_TABLE_FILE = Path("book") / "author.toml"
ERRATA_FILE = Path("book") / "errata.toml"
KNOWN_PLACEHOLDERS = {"author-table"}
URL_SAFE = ":/?#[]@!$&'()*+,;=%~-._"  # RFC 3986's reserved and unreserved marks

MARKDOWN_EXTENSIONS: list[Any] = [
    "fenced_code",
    "codehilite",
    "tables",
    "footnotes",
    "attr_list",
    "def_list",
    "smarty",
    "toc",
    "sane_lists",
    PlaceholderExtension(),
]
MARKDOWN_CONFIG: dict[str, dict[str, Any]] = {
    # Colons in ids are legal HTML but awkward in CSS and XML tools.
    "footnotes": {"SEPARATOR": "-", "BACKLINK_TITLE": "Back to reference %d"},
    "toc": {"permalink": False},
    # Pygments marks tokens with short classes; styles/base.css colours them.
    "codehilite": {"css_class": "codehilite", "guess_lang": False, "use_pygments": True},
}


def _conversion_settings() -> str:
    """Everything besides the text that shapes Python-Markdown's output."""
    import pygments

    names = [e if isinstance(e, str) else type(e).__name__ for e in MARKDOWN_EXTENSIONS]
    return f"{names}|{sorted(MARKDOWN_CONFIG.items())}|pygments {pygments.__version__}"


def new_markdown() -> markdown.Markdown:
    return markdown.Markdown(
        extensions=MARKDOWN_EXTENSIONS, extension_configs=MARKDOWN_CONFIG, output_format="html"
    )


def read_book(meta: BookMeta, problems: Problems | None = None) -> Book:
    """Read every chapter named by *meta*, plus the optional table and errata.

    Every problem in every chapter is collected first; if any is an error,
    one ManuscriptError lists them all."""
    problems = problems if problems is not None else Problems()
    conversions = MarkdownCache.for_book(meta.root, _conversion_settings(), new_markdown)
    images: dict[Path, BookImage] = {}
    sources = [_chapter_source(number, path) for number, path in enumerate(meta.chapter_files, start=1)]
    conversions.convert_ahead([source.text for source in sources if source.text is not None])
    drafts = []
    for source in sources:
        problems.items.extend(source.problems.items)  # in chapter order, as they were found
        if source.text is not None and (draft := _draft_chapter(
                conversions, source.number, source.path, source.text, meta, problems, images)):
            drafts.append(draft)
    conversions.prune()
    _warn_unlisted_chapters(meta, problems)
    _resolve_links(drafts, problems)
    chapters = tuple(draft.finish(problems) for draft in drafts)
    _check_unique_titles(chapters, problems)
    author_table = read_author_table(meta.root / AUTHOR_TABLE_FILE, problems)
    if author_table is None:
        for chapter in chapters:
            if any(part.kind == "author-table" for part in chapter.body):
                problems.warning("[[author-table]] is here but book/author.toml is missing; "
                                 "no table is printed", Location(chapter.source))
    errata = _titled_errata(read_errata(meta.root / ERRATA_FILE, problems), chapters,
                            meta.root / ERRATA_FILE, problems)
    styles = read_styles(meta.root, problems)
    cover = read_cover(meta.root, problems)
    if not chapters and not problems.has_errors:
        problems.error("the book has no chapter", Location(meta.root / "book" / "book.toml"))
    problems.raise_if_errors(ManuscriptError)
    return Book(
        meta=meta,
        chapters=chapters,
        author_table=author_table,
        errata=errata,
        styles=styles,
        images=tuple(images.values()),
        cover=cover,
        warnings=problems.warnings,
    )


@dataclass
class _Draft:
    """A chapter between parsing and serialising: links are resolved book-wide
    before any chapter is frozen into markup."""

    number: int
    path: Path
    text: str
    slug: str
    heading: etree._Element
    root: etree._Element
    local_ids: dict[str, str]  # the author's id -> the book-wide id
    notes: tuple[Note, ...]

    def finish(self, problems: Problems) -> Chapter:
        return Chapter(
            number=self.number,
            source=self.path,
            slug=self.slug,
            title_html=_inner_xml(self.heading),
            title_toc_html=_inner_xml(_without_links(self.heading)),
            title_text=" ".join(str(self.heading.xpath("string()")).split()),
            body=tuple(_body_parts(self.root, self.path, self.text, problems)),
            notes=self.notes,
            sections=tuple(
                Section(int(h.tag[1]), h.get("id") or "", " ".join(str(h.xpath("string()")).split()))
                for h in self.root.iter("h2", "h3") if h.get("id")
            ),
        )


@dataclass(frozen=True)
class _Source:
    """A chapter's text, read and cleaned, with what was found doing it."""

    number: int
    path: Path
    text: str | None  # None: nothing to convert (unreadable or empty)
    problems: Problems


def _chapter_source(number: int, path: Path) -> _Source:
    problems = Problems()
    text = _read_text(path, problems)
    if text is not None and not text.strip():
        problems.error("the chapter is empty; write a `# Title` and some text, or remove it "
                       "from book.toml", Location(path))
        text = None
    if text is not None:
        text = checks.clean_characters(path, text, problems)
    return _Source(number, path, text, problems)


def _draft_chapter(conversions: MarkdownCache, number: int, path: Path, text: str, meta: BookMeta,
                   problems: Problems, images: dict[Path, BookImage]) -> _Draft | None:
    html, raw_blocks = conversions.convert(text)
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    checks.report_repaired_html(path, text, raw_blocks, problems)
    checks.remove_unsafe_markup(path, text, root, problems)
    legacy.modernise(path, text, root, problems)
    checks.check_heading_levels(path, text, root, problems)
    heading = _chapter_heading(path, text, root, meta.structure, problems)
    if heading is None:
        return None
    checks.check_duplicate_ids(path, text, root, problems)
    checks.check_footnotes(path, text, root, problems)
    collect_images(path, text, root, meta.root, problems, images)
    _drop_empty_spans(root)
    _make_figures(root)
    _mark_section_breaks(root)
    slug = "ch-" + slugify(path.stem)
    local_ids = _prefix_ids(root, slug)
    notes = _extract_notes(root, local_ids)
    for note in notes:
        if not note.backlink:
            label = note.id.split("--fn-")[-1]
            problems.warning(f"footnote {label!r} is defined but never referenced; it is left out",
                             checks.locate(path, text, f"[^{label}]:"))
    _mark_link_urls(root)
    return _Draft(number, path, text, slug, heading, root, local_ids,
                  tuple(note for note in notes if note.backlink))


def _chapter_heading(path: Path, text: str, root: etree._Element, structure: Structure,
                     problems: Problems) -> etree._Element | None:
    """Take the chapter's title heading out of the body; lift the rest so the
    body's headings start at h2 (a file may hold a book-title line first, or
    several top-level headings)."""
    level = structure.chapter_level
    heading = next((h for h in root if h.tag == f"h{level}"), None)
    if heading is None:
        problems.error(f"no chapter heading; start the chapter with a line like `{'#' * level} Chapter "
                       "title`", Location(path, 1, 1))
        return None
    for above in [h for h in root if h.tag in [f"h{n}" for n in range(1, level)]]:
        problems.warning(f"the heading {' '.join(str(above.xpath('string()')).split())!r} is above the "
                         f"chapter level (chapter_level = {level}); it is left out",
                         checks.locate(path, text, str(above.xpath("string()"))[:40]))
        checks.remove_element(above)
    for call in heading.findall(".//sup[a]"):
        problems.error("a footnote in a chapter title cannot be placed; move it into the text",
                       checks.locate(path, text, "[^"))
        checks.remove_element(call)
    root.remove(heading)
    override = dict(structure.chapter_titles).get(path.name)
    if override:
        heading = etree.Element("h1")
        heading.text = override
    _lift_headings(root, level)
    return heading


def _lift_headings(root: etree._Element, chapter_level: int) -> None:
    """Sections sit one level below the chapter title (h2 in the book), whatever
    level starts a chapter in the manuscript; extra top-level headings become
    sections too."""
    headings = list(root.iter("h1", "h2", "h3", "h4", "h5", "h6"))
    levels = [int(h.tag[1]) - (chapter_level - 1) for h in headings]
    if not levels:
        return
    extra = max(0, 2 - min(levels))
    for heading, level in zip(headings, levels, strict=True):
        heading.tag = f"h{min(6, level + extra)}"


def _drop_empty_spans(root: etree._Element) -> None:
    """Pygments opens each block with an empty <span></span>; it carries nothing and
    trips some reading systems' location code (epub.js)."""
    for span in list(root.iter("span")):
        if not span.attrib and not len(span) and not span.text:
            checks.remove_element(span)


def _make_figures(root: etree._Element) -> None:
    """A paragraph holding nothing but an image is a figure; its title, the caption.
    An image aligned left or right in a figure floats the figure, caption and all."""
    for figure in root.iter("figure"):
        image = figure.find(".//img")
        classes = (image.get("class") or "").split() if image is not None else []
        for side in ("align-left", "align-right"):
            if image is not None and side in classes:
                image.set("class", " ".join(c for c in classes if c != side))
                if not image.get("class"):
                    del image.attrib["class"]
                figure.set("class", " ".join([*(figure.get("class") or "").split(), side]))
    for paragraph in list(root.iter("p")):
        children = list(paragraph)
        if (len(children) != 1 or children[0].tag != "img" or (paragraph.text or "").strip()
                or (children[0].tail or "").strip()):
            continue
        image = children[0]
        paragraph.tag = "figure"
        paragraph.text = image.tail = None
        caption = image.get("title")
        if caption:
            del image.attrib["title"]
            etree.SubElement(paragraph, "figcaption").text = caption


def _mark_section_breaks(root: etree._Element) -> None:
    for rule in root.iter("hr"):
        rule.set("class", " ".join([*(rule.get("class") or "").split(), "section-break"]))


def _mark_link_urls(root: etree._Element) -> None:
    """After each web link, a part where print may show its URL (as a footnote or
    after the text, book.toml's [print] link_urls); the EPUB keeps the link."""
    for link in list(root.iter("a")):
        href = link.get("href") or ""
        if re.match(r"^(https?|ftp|mailto):", href) and link.getparent() is not None:
            # A manuscript's URL may hold spaces, quotes or non-ASCII letters: percent-encode
            # what a URL cannot carry, so EPUB readers and checkers accept it.
            href = quote(href.strip(), safe=URL_SAFE)
            link.set("href", href)
            marker = etree.Element(_PART, kind="link-url", ref=href, anchor="")
            link.addnext(marker)
            marker.tail, link.tail = link.tail, None


def _read_text(path: Path, problems: Problems) -> str | None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        problems.error(f"cannot read the file: {exc.strerror}", Location(path))
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        problems.error(f"not UTF-8: byte {exc.start} is {data[exc.start]:#04x}; save the file as UTF-8",
                       Location(path, line, column))
        return None


def _warn_unlisted_chapters(meta: BookMeta, problems: Problems) -> None:
    listed = {path.resolve() for path in meta.chapter_files}
    for path in sorted((meta.root / "chapters").glob("*.md")):
        if path.resolve() not in listed:
            problems.warning("this chapter file is not listed in book.toml's chapters and is left "
                             "out; add it to the list or move it elsewhere", Location(path))


def _prefix_ids(root: etree._Element, chapter_slug: str) -> dict[str, str]:
    """Make ids unique across the book (the PDF is one document)."""
    renamed: dict[str, str] = {}
    for element in root.iter():
        original = element.get("id") if isinstance(element.tag, str) else None
        if original:
            renamed[original] = f"{chapter_slug}--{original}"
            element.set("id", renamed[original])
    return renamed


def _resolve_links(drafts: list[_Draft], problems: Problems) -> None:
    """Point `#anchor` and `chapter.md#anchor` links at book-wide ids.

    An anchor is looked up in its own chapter first, then in the others; a link
    to a chapter file goes to that chapter. The result is always `#id`: the PDF
    is one document, and the EPUB writer adds file names where needed."""
    by_file = {draft.path.name: draft for draft in drafts}
    for draft in drafts:
        for element in draft.root.iter("a"):
            href = element.get("href") or ""
            try:
                target = _link_target(href, draft, drafts, by_file)
            except ManuscriptError as exc:
                problems.items.extend(exc.diagnostics)
                continue
            if target is not None:
                element.set("href", f"#{target}")


def _link_target(
    href: str, draft: _Draft, drafts: list[_Draft], by_file: dict[str, _Draft]
) -> str | None:
    file_part, _, fragment = href.partition("#")
    if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", href) or not href:
        return None  # a web, mail or other URL: it stays as written
    if file_part and not file_part.endswith(".md"):
        raise ManuscriptError(
            f"link to {href!r}: only chapters (.md) and web addresses can be linked; a local file "
            "is not carried into the book", checks.locate(draft.path, draft.text, href))
    if file_part:
        target_draft = by_file.get(Path(file_part).name)
        if target_draft is None:
            raise ManuscriptError(
                f"link to {href!r}: no chapter file {file_part!r} in the book",
                checks.locate(draft.path, draft.text, href),
            )
        candidates = [target_draft]
    else:
        candidates = [draft] + [other for other in drafts if other is not draft]
    if not fragment:
        return candidates[0].slug
    for candidate in candidates:
        if fragment in candidate.local_ids:
            return candidate.local_ids[fragment]
    raise ManuscriptError(
        f"link to {href!r}: no heading or element has the id {fragment!r}",
        checks.locate(draft.path, draft.text, href),
    )


def _without_links(heading: etree._Element) -> etree._Element:
    """A copy of the heading fit to stand inside a link: no links, no ids."""
    copy = deepcopy(heading)
    etree.strip_tags(copy, "a")
    for element in copy.iter():
        if "id" in element.attrib:
            del element.attrib["id"]
    return copy


def _inner_xml(element: etree._Element) -> str:
    """The element's content as XML: its text, then its children with their tails."""
    return escape(element.text or "") + "".join(
        etree.tostring(child, method="xml", encoding="unicode") for child in element
    )


# Where the template must put something of its own into a chapter (a placeholder's
# table, a note call), the chapter markup carries this element, and the markup
# is split there into parts the template renders in order.
_PART = "builder-part"
_PART_PATTERN = re.compile(r'<builder-part kind="([a-z-]+)" ref="([^"]*)" anchor="([^"]*)"/>')


def _mark_part(element: etree._Element, kind: str, ref: str = "", anchor: str = "") -> None:
    """Replace *element* by a part marker, keeping the text that follows it."""
    marker = etree.Element(_PART, kind=kind, ref=ref, anchor=anchor)
    marker.tail = element.tail
    parent = element.getparent()
    assert parent is not None
    parent.replace(element, marker)


def _extract_notes(root: etree._Element, local_ids: dict[str, str]) -> tuple[Note, ...]:
    """Take Python-Markdown's footnotes out of the flow: the notes become data,
    each call a part marker, so the template places them per edition (pop-up
    notes in the EPUB, foot-of-page notes in print)."""
    container = root.find("div[@class='footnote']")
    if container is None:
        return ()
    calls: dict[str, str] = {}
    for sup in list(root.iter("sup")):
        link = sup.find("a[@class='footnote-ref']")
        if link is not None:
            fragment = (link.get("href") or "#")[1:]
            note_id = local_ids.get(fragment, fragment)
            calls.setdefault(note_id, sup.get("id") or "")
            _mark_part(sup, "noteref", note_id, sup.get("id") or "")
    notes = []
    for number, item in enumerate(container.iter("li"), start=1):
        for backlink in item.findall(".//a[@class='footnote-backref']"):
            checks.remove_element(backlink)
        paragraphs = [child for child in item if child.tag == "p"]
        note_id = item.get("id") or ""
        notes.append(Note(
            id=note_id,
            number=number,
            backlink=calls.get(note_id, ""),
            block_xhtml="".join(etree.tostring(c, encoding="unicode").strip() for c in item),
            inline_xhtml="<br/>".join(_inner_xml(p).strip() for p in paragraphs) or _inner_xml(item),
        ))
    checks.remove_element(container)
    return tuple(notes)


def _body_parts(root: etree._Element, path: Path, text: str, problems: Problems) -> list[BodyPart]:
    """Split the chapter at its part markers: markup, table, markup, note call…"""
    for element in list(root.iter("div")):
        name = element.get("data-placeholder")
        if name is None:
            continue
        if name not in KNOWN_PLACEHOLDERS:
            problems.error(
                f"unknown placeholder [[{name}]]; known: "
                + ", ".join(f"[[{known}]]" for known in sorted(KNOWN_PLACEHOLDERS)),
                checks.locate(path, text, f"[[{name}]]"),
            )
            checks.remove_element(element)
            continue
        _mark_part(element, name)
    pieces = _PART_PATTERN.split(_inner_xml(root).strip())
    parts = [BodyPart("markup", pieces[0])]
    for index in range(1, len(pieces), 4):
        kind, ref, anchor, markup = pieces[index : index + 4]
        parts += [BodyPart(kind, "", ref, anchor), BodyPart("markup", markup)]
    return [part for part in parts if part.kind != "markup" or part.xhtml.strip()]


def _check_unique_titles(chapters: tuple[Chapter, ...], problems: Problems) -> None:
    seen: dict[str, Chapter] = {}
    for chapter in chapters:
        key = slugify(chapter.title_text)
        if key in seen:
            problems.error(
                f"two chapters have the same title {chapter.title_text!r} "
                f"(also in {seen[key].source.name}); give each chapter its own title",
                Location(chapter.source, 1, 1),
            )
        seen[key] = chapter


def _load_toml(path: Path, problems: Problems) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    text = _read_text(path, problems)
    if text is None:
        return None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        problems.error(*toml_problem(path, text, exc))
        return None


def read_author_table(path: Path, problems: Problems) -> AuthorTable | None:
    """book/author.toml: caption, header = [label, value], [[rows]] label/value."""
    data = _load_toml(path, problems)
    if data is None:
        return None
    try:
        header = data.get("header", ["Detail", "Information"])
        rows = tuple(TableRow(str(row["label"]), str(row["value"])) for row in data["rows"])
        if len(header) != 2 or not rows:
            raise ValueError
        return AuthorTable(caption=str(data["caption"]), header=(header[0], header[1]), rows=rows)
    except (KeyError, TypeError, ValueError):
        problems.error("expected caption = \"…\", header = [\"Label\", \"Value\"] and at least one "
                       "[[rows]] table with label and value", Location(path))
        return None


def read_errata(path: Path, problems: Problems) -> tuple[Erratum, ...]:
    """book/errata.toml: [[fix]] chapter, original, corrected, reason."""
    data = _load_toml(path, problems)
    if data is None:
        return ()
    try:
        return tuple(
            Erratum(str(fix["chapter"]), str(fix["original"]), str(fix["corrected"]), str(fix["reason"]))
            for fix in data.get("fix", [])
        )
    except (KeyError, TypeError) as exc:
        problems.error(f"each [[fix]] needs chapter, original, corrected and reason (missing {exc})",
                       Location(path))
        return ()


def _titled_errata(
    errata: tuple[Erratum, ...], chapters: tuple[Chapter, ...], path: Path, problems: Problems
) -> tuple[Erratum, ...]:
    """Name each fix's chapter by its title, for the colophon."""
    titles = {chapter.source.name: chapter.title_text for chapter in chapters}
    for fix in errata:
        if fix.chapter not in titles:
            problems.error(f"a fix names chapter {fix.chapter!r}, which is not in the book; "
                           f"use one of: {', '.join(titles)}", Location(path))
    return tuple(replace(fix, chapter_title=titles[fix.chapter]) for fix in errata if fix.chapter in titles)


def read_styles(book_dir: Path, problems: Problems) -> tuple[tuple[str, str], ...]:
    """The book's base, EPUB and print sheets; the project's defaults for any it lacks."""
    return tuple((name, _read_text(style_path(book_dir, name), problems) or "") for name in STYLE_SHEETS)
