"""One chapter, read and converted: its text -> a ChapterDraft -> a Chapter.

In: a chapter file. Out: a ChapterSource (its text, cleaned of characters that
break readers, its YAML front matter read for its role and blanked out), then a
ChapterDraft (converted by Python-Markdown, parsed by lxml, checked, edited, ids
made unique) from DraftInputs, everything drafting reads but the image files
(the draft names those), then, once links are resolved book-wide, a frozen
Chapter of well-formed XHTML parts.
"""

from __future__ import annotations

import re
from copy import deepcopy
from dataclasses import dataclass, replace
from pathlib import Path

from lxml import etree
from markdown.util import HTML_PLACEHOLDER_RE

from builder import checks, legacy
from builder.config import checked_role, slugify, unique_slug
from builder.errors import Location, Problems
from builder.glyphs import report_undrawable
from builder.images import collect_images
from builder.manuscript.convert import without_set_asides
from builder.manuscript.files import read_text
from builder.manuscript.links import add_heading_anchors, prefix_ids
from builder.manuscript.math import typeset_math
from builder.manuscript.parts import NoteDraft, body_parts, extract_notes, inner_xml, without_links
from builder.manuscript.snippets import with_snippets
from builder.manuscript.tree import (
    chapter_heading,
    drop_comments,
    drop_empty_spans,
    empty_header_cells_as_data,
    html_fragment,
    make_figures,
    mark_link_urls,
    mark_section_breaks,
    mark_tasks,
    valid_web_links,
)
from builder.model import (
    ROLES,
    BookImage,
    Chapter,
    Section,
    Structure,
)
from builder.speed.cache import MarkdownCache


@dataclass
class ChapterDraft:
    """A chapter between parsing and serialising: links are resolved book-wide
    before any chapter is frozen into markup."""

    number: int
    path: Path
    text: str
    slug: str
    heading: etree._Element
    root: etree._Element
    local_ids: dict[str, str]  # the author's id -> the book-wide id
    notes: tuple[NoteDraft, ...]
    role: str = "chapter"
    letter: str = ""  # an appendix's: "A", "B" …; its captions are numbered "Figure A.1"
    images: tuple[BookImage, ...] = ()  # the images it shows, in the order it first shows them
    files: tuple[Path, ...] = ()  # where its images were looked for (there or not)

    def copy(self) -> ChapterDraft:
        """A copy with trees of its own, for the book-wide stages to edit (links, citations, index)."""
        return replace(self, heading=deepcopy(self.heading), root=deepcopy(self.root),
                       local_ids=dict(self.local_ids),
                       notes=tuple(replace(note, item=deepcopy(note.item)) for note in self.notes))

    def finish(self, problems: Problems) -> Chapter:
        mark_link_urls(self.root)
        for element in [self.heading, *(note.item for note in self.notes)]:
            valid_web_links(element)
        chapter = Chapter(
            number=self.number,
            source=self.path,
            slug=self.slug,
            title_html=inner_xml(self.heading),
            title_toc_html=inner_xml(without_links(self.heading)),
            title_text=" ".join(str(self.heading.xpath("string()")).split()),
            body=tuple(body_parts(self.root, self.path, self.text, problems)),
            notes=tuple(note.freeze() for note in self.notes),
            role=self.role,
            label=f"Appendix {self.letter}" if self.letter else "",
            sections=tuple(
                Section(int(h.tag[1]), h.get("id") or "", " ".join(str(h.xpath("string()")).split()))
                for h in self.root.iter("h2", "h3") if h.get("id")
            ),
        )
        _check_well_formed(chapter, problems)
        return chapter


def _check_well_formed(chapter: Chapter, problems: Problems) -> None:
    """Each piece of markup as XML, now: a piece the EPUB could not hold fails here,
    before any layout, not after it."""
    body = "".join(part.xhtml for part in chapter.body if part.kind == "markup")  # split at parts
    pieces = [chapter.title_html, body, *(note.block_xhtml for note in chapter.notes)]
    for piece in pieces:
        try:
            etree.fromstring(f'<div xmlns="http://www.w3.org/1999/xhtml">{piece}</div>')
        except etree.XMLSyntaxError as exc:
            problems.error(f"this chapter's markup is not well-formed XHTML ({exc.msg}); "
                           "check its raw HTML", Location(chapter.source))
            return


@dataclass(frozen=True)
class ChapterSource:
    """A chapter's text, read and cleaned, with what was found doing it."""

    number: int
    path: Path
    text: str | None  # None: nothing to convert (unreadable or empty)
    problems: Problems
    role: str | None = None  # its front matter's `role:`, checked (builder.model.ROLES)
    role_line: int = 1


def chapter_source(number: int, path: Path, book_root: Path) -> ChapterSource:
    problems = Problems()
    text = read_text(path, problems, book_root)
    role, role_line = None, 1
    if text is not None:
        text, role, role_line = read_front_matter(path, text, problems)
    if text is not None and not text.strip():
        problems.error("the chapter is empty; write a `# Title` and some text, or remove it "
                       "from book.toml", Location(path))
        text = None
    if text is not None:
        text = with_snippets(path, text, book_root, problems)
        text = checks.clean_characters(path, text, problems)
        report_undrawable(path, text, problems)
        if not checks.check_bounds(path, text, problems):
            text = None  # nothing to convert: it would exhaust the converter or the layout
    return ChapterSource(number, path, text, problems, role, role_line)


_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
MAX_FRONT_MATTER = 4096  # a role and a few keys; more is not front matter the builder reads


def read_front_matter(path: Path, text: str, problems: Problems) -> tuple[str, str | None, int]:
    """A chapter's YAML front matter (`---` lines around `role: dedication`): the text with
    its lines left blank (so that every later line keeps its number), the role, and the
    role's line. Text that opens with `---` but holds no YAML mapping is a rule, left as it is."""
    found = _FRONT_MATTER.match(text)
    if not found or found.end() > MAX_FRONT_MATTER:
        return text, None, 1
    import yaml  # here: most chapters have no front matter, and it costs 15 ms to import

    try:
        data = yaml.safe_load(found.group(1) or "")
    except yaml.YAMLError:
        return text, None, 1
    if not isinstance(data, dict):
        return text, None, 1
    blank = "\n" * found.group(0).count("\n")
    rest = blank + text[found.end():]
    lines = found.group(0).split("\n")
    line_of = {str(key): next((number for number, line in enumerate(lines, start=1)
                               if line.startswith(f"{key}:")), 1) for key in data}
    for key in data:
        if key != "role":
            problems.warning(f"front matter {key!r} is not read (the builder reads `role:` only)",
                             Location(path, line_of[str(key)], 1))
    role = data.get("role")
    if role is None:
        return rest, None, 1
    if not isinstance(role, str):
        problems.error(f"`role` must be a word, one of: {', '.join(ROLES)}",
                       Location(path, line_of["role"], 1))
        return rest, None, 1
    checked, why = checked_role(role)
    if checked is None:
        problems.error(why, Location(path, line_of["role"], 1))
    return rest, checked, line_of["role"]


def chapter_slugs(paths: tuple[Path, ...]) -> dict[Path, str]:
    """Each chapter's slug, from its file name; from its folder too where names repeat (mdBook's
    `part/README.md`), numbered where even that does not tell them apart."""
    slugs: dict[Path, str] = {}
    stems = [path.stem for path in paths]
    for path in paths:
        name = path.stem if stems.count(path.stem) == 1 else f"{path.parent.name}-{path.stem}"
        slugs[path] = unique_slug("ch-" + slugify(name), set(slugs.values()))
    return slugs


@dataclass(frozen=True)
class DraftInputs:
    """Everything drafting a chapter reads, but the image files it names (the draft lists those)."""

    number: int
    path: Path
    text: str  # read and cleaned, its includes put in
    slug: str
    structure: Structure  # the book.toml settings drafting reads
    book_root: Path
    converter: str  # the builder's and Python-Markdown's versions and settings (MarkdownCache.salt)


def draft_chapter(conversions: MarkdownCache, inputs: DraftInputs, problems: Problems,
                  images: dict[Path, BookImage]) -> ChapterDraft | None:
    """The chapter converted and checked; its images are added to *images* (the book's, by file)."""
    number, path, text, slug = inputs.number, inputs.path, inputs.text, inputs.slug
    try:
        html, raw_blocks = conversions.convert(text)
        html = without_set_asides(path, text, html, problems)
    except RecursionError:  # what check_bounds did not see nests deeper than the converter goes
        problems.error("the chapter nests too deeply to convert; flatten its lists, quotes or blocks",
                       Location(path, 1, 1))
        return None
    if checks.nesting_depth(html) > checks.MAX_NESTING:
        problems.error(f"the chapter's blocks nest more than {checks.MAX_NESTING} deep; flatten its "
                       "lists, quotes or blocks", Location(path, 1, 1))
        return None
    root = html_fragment(html)
    mark_tasks(root)
    drop_comments(root)
    # A raw block holds a mark where Python-Markdown set aside a piece inside it (a fence, put
    # back in the HTML): the piece is not the block's markup, the mark no character XML allows.
    checks.report_repaired_html(path, text, [HTML_PLACEHOLDER_RE.sub("", b) for b in raw_blocks], problems)
    checks.remove_unsafe_markup(path, text, root, problems)
    legacy.modernise(path, text, root, problems)
    typeset_math(path, text, root, problems)
    heading = chapter_heading(path, text, root, inputs.structure, problems)
    if heading is None:  # said; a stand-in title lets the chapter's other problems be told too
        heading = etree.Element("h1")
        heading.text = path.stem
    checks.check_duplicate_ids(path, text, root, problems)
    checks.check_footnotes(path, text, root, problems)
    files = collect_images(path, text, root, inputs.book_root, problems, images)
    by_href = {image.href: image for image in images.values()}
    shown = {src: by_href[src] for image in root.iter("img") if (src := image.get("src", "")) in by_href}
    drop_empty_spans(root)
    make_figures(root, {image.href: (image.media_type, image.width, image.height)
                        for image in images.values()})
    empty_header_cells_as_data(root)
    mark_section_breaks(root)
    local_ids = prefix_ids(root, slug)
    add_heading_anchors(local_ids, heading, root, slug)
    notes = extract_notes(root, local_ids)
    for note in notes:
        if not note.backlink:
            label = note.id.split("--fn-")[-1]
            problems.warning(f"footnote {label!r} is defined but never referenced; it is left out",
                             checks.locate(path, text, f"[^{label}]:"))
    return ChapterDraft(number, path, text, slug, heading, root, local_ids,
                        tuple(note for note in notes if note.backlink),
                        images=tuple(shown.values()), files=tuple(dict.fromkeys(files)))


def check_unique_titles(chapters: tuple[Chapter, ...], problems: Problems) -> None:
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
