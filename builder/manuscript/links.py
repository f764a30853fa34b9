"""Links: ids made unique book-wide, and links between chapters pointed at them.

In: the drafts of every chapter. Out: each element id prefixed with its
chapter's slug, and every `#anchor` or `chapter.md#anchor` link rewritten to
`#book-wide-id` (the PDF is one document; the EPUB writer adds file names);
a link to nothing, or to a local file, is an error with its line.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from lxml import etree

from builder import checks
from builder.errors import ManuscriptError, Problems

if TYPE_CHECKING:
    from builder.manuscript.chapter import ChapterDraft


def prefix_ids(root: etree._Element, chapter_slug: str) -> dict[str, str]:
    """Make ids unique across the book (the PDF is one document)."""
    renamed: dict[str, str] = {}
    for element in root.iter():
        original = element.get("id") if isinstance(element.tag, str) else None
        if original:
            renamed[original] = f"{chapter_slug}--{original}"
            element.set("id", renamed[original])
    return renamed


def resolve_links(drafts: list[ChapterDraft], problems: Problems) -> None:
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
    href: str, draft: ChapterDraft, drafts: list[ChapterDraft], by_file: dict[str, ChapterDraft]
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
