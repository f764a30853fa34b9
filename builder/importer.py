"""Import: a folder of Markdown from elsewhere -> a book folder.

In: a source folder of Markdown files written for another tool: an mdBook
(`SUMMARY.md`, at the top or in `src/`, and `book.toml`), a folder with a
`toc.md` or a `README.md` that is mostly a list of links, or just numbered
files. Out: a new book folder the builder can build:

    DEST/book/book.toml          title, authors, language (from mdBook's book.toml,
                                 README.md's first heading or the folder name), chapters
    DEST/chapters/NN-<slug>.md   one file per chapter, in the source's order, each
                                 opening with `# Title`, links rewritten to the new names
    DEST/chapters/<rel path>     the images the chapters show, at the path they are
                                 written with under the chapter folder

and an ImportReport saying where the order came from and every thing that could
not be mapped (draft entries, orphan files, missing images, links to files that
were not imported) and why. Nothing outside the source folder is read but the
book.toml and README.md beside an mdBook's `src` or Leanpub's `manuscript` folder
(links and images that climb out of it are reported, not followed) and nothing outside
the destination is written; everything is read and planned before the first
file is written.

The stages, in builder/importing/: `order` (which files, in which order, their new
names), `text` (each chapter's text made ready), `directives` (other tools' template
directives), `dialect` (what GitHub and GitBook render that Python-Markdown reads
otherwise: Markdown inside <details>, a list under a paragraph, emoji shortcodes),
`links` (anchors, links and images rewritten), `metadata` (the book's metadata and
book.toml), all filling in one `plan.Plan`; this module runs them and writes the files.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from builder.bookfolder import MAX_IMAGE_BYTES
from builder.errors import BuilderError, Location
from builder.importing.dialect import to_builder
from builder.importing.links import anchors, report_orphans, rewrite
from builder.importing.metadata import book_toml, chapter_list, flattened, flavour, gitbook_json, metadata
from builder.importing.order import check_destination, checked_source, name_chapters, order
from builder.importing.plan import BY_FILE_NAMES, ImportReport, Plan, inside, read, with_role
from builder.importing.text import (
    drop_empty,
    drop_repeated_book_title,
    read_markdown,
    unique_titles,
    with_heading,
)

__all__ = ["ImportReport", "import_book"]


def import_book(source: Path, destination: Path, base_url: str = "",
                within: Path | None = None) -> ImportReport:
    """Make a book folder at *destination* from the Markdown folder *source*; links to files
    it does not import go to *base_url* (where the source is published) when given; included
    files (mdBook's {{#include}}, GitBook's {% include %}) are read from inside *within* (a
    folder holding the source, e.g. its repository), by default from inside the source."""
    source = checked_source(source)
    within = within.resolve() if within else source
    if not source.is_relative_to(within):
        raise BuilderError(f"{within} does not hold the source folder {source}", Location(within))
    check_destination(destination)
    plan = order(source)
    if not plan.entries and plan.order_source == BY_FILE_NAMES:
        raise BuilderError(f"no chapter to import: {source} holds only project files (README, LICENSE …)",
                           Location(source))
    if not plan.entries:
        raise BuilderError(f"no chapter could be imported: {plan.order_source} names no Markdown file "
                           "that exists in the folder", Location(plan.root / plan.order_source))
    meta = metadata(source, plan, base_url)
    plan.base_url = meta.pop("base_url", "")
    plan.flavour, plan.within = flavour(source, plan), within
    plan.variables = flattened(gitbook_json(source).get("variables", {}))
    for entry in plan.entries:
        plan.texts[entry.path] = to_builder(read_markdown(entry.path, plan), plan.flavour)
    drop_empty(plan)
    name_chapters(plan)
    drop_repeated_book_title(plan, meta["title"])
    for entry in plan.entries:
        plan.texts[entry.path] = with_heading(plan.texts[entry.path], entry, plan)
    unique_titles(plan)
    for entry in plan.entries:
        plan.anchors[entry.path] = anchors(plan.texts[entry.path])
    for entry in plan.entries:
        plan.texts[entry.path] = rewrite(plan.texts[entry.path], entry.path, plan)
    report_orphans(plan)
    toml_text = book_toml(meta, chapter_list(plan))
    written = _write(destination, plan, toml_text)
    return ImportReport(destination, written, plan.order_source, tuple(plan.notes))


# --- writing -------------------------------------------------------------------------------------


def _write(destination: Path, plan: Plan, book_toml: str) -> tuple[Path, ...]:
    chapters_dir = destination / "chapters"
    _write_file(destination, destination / "book" / "book.toml", book_toml.encode("utf-8"))
    written = []
    for entry in plan.entries:
        path = chapters_dir / plan.names[entry.path]
        text = with_role(plan.texts[entry.path], plan.roles.get(entry.path, ""))
        _write_file(destination, path, text.encode("utf-8"))
        written.append(path)
    for relative, image in sorted(plan.images.items()):
        _write_file(destination, chapters_dir / PurePosixPath(relative),
                    read(image, plan.source, MAX_IMAGE_BYTES))
    return tuple(written)


def _write_file(destination: Path, path: Path, data: bytes) -> None:
    if not inside(path, destination):
        raise BuilderError(f"{path} would be outside {destination}; nothing more is written", Location(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
