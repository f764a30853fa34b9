"""Anchors, and the links and images rewritten for the book folder.

In: the chapters' texts and new names in the Plan. Out: each chapter's Anchors
(the ids the builder will give it, and the heading anchors mdBook, GitHub or GitBook
gave, mapped to them); then each text with its links and image paths rewritten outside
code: inline links and images, reference definitions, HTML <a> and <img> tags. A
link to an imported file goes to its new name and anchor; one to a file not
imported goes to the web copy (the Plan's base URL) or becomes its text, as do
the links that used a reference definition that had to go. An image in the
source folder is recorded in the Plan, to be copied under chapters/; one on the
web becomes a link to it; one without alt text gets a stand-in. Last, the
Markdown files that were not imported are listed. What is unlinked, left out or
stood in for is noted in the Plan, at its line in the chapter as written
(`chapters/03-x.md:12 (from src/x.md): …`).
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
from collections.abc import Callable
from html import escape as html_escape
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urljoin, urlsplit

from lxml import html as lxml_html

from builder.importing.order import markdown_files
from builder.importing.plan import (
    BY_FILE_NAMES,
    LINK_TEXT,
    MARKDOWN_SUFFIXES,
    Anchors,
    Plan,
    gitbook_anchor,
    inside,
    with_role,
)
from builder.importing.text import marked_lines, readable
from builder.manuscript.links import web_anchor

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".svg")
_INLINE_CODE = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)", re.DOTALL)
_INLINE_LINK = re.compile(
    r"(!?)" + LINK_TEXT + r"\(\s*(<[^>\n]*>|[^\s()]*(?:\([^\s()]*\)[^\s()]*)*)"
    r"(\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*\)"
)
_REFERENCE = re.compile(r"^( {0,3}\[(?!\^)[^\]\n]+\]:[ \t]*)(<[^>\n]*>|\S+)", re.MULTILINE)
_HTML_TAG = re.compile(r"<(img|a)\b[^>]*>", re.IGNORECASE)
_HTML_URL = re.compile(r"(\s(?:src|href)\s*=\s*)(\"[^\"]*\"|'[^']*'|[^\s\"'>]+)", re.IGNORECASE)
_HTML_ALT = re.compile(r"\salt\s*=\s*(\"\s*[^\"\s][^\"]*\"|'\s*[^'\s][^']*'|[^\s\"'>]+)", re.IGNORECASE)


def anchors(text: str) -> Anchors:
    """The ids the builder will give this chapter's elements, and the heading anchors other
    tools (mdBook and GitHub, then GitBook) would have given, mapped to them ("" for the title:
    the chapter's start)."""
    from builder.manuscript import new_markdown  # the builder's own Markdown: the same ids

    root = lxml_html.fragment_fromstring(new_markdown().convert(text), create_parent="div")
    ids = frozenset(str(e.get("id")) for e in root.iter() if isinstance(e.tag, str) and e.get("id"))
    aliases: dict[str, str] = {}
    for slug in (web_anchor, gitbook_anchor):
        counts: dict[str, int] = {}
        for number, heading in enumerate(root.iter("h1", "h2", "h3", "h4", "h5", "h6")):
            base = slug(heading.text_content())
            alias = f"{base}-{counts[base]}" if base in counts else base
            counts[base] = counts.get(base, 0) + 1
            target = "" if number == 0 and heading.tag == "h1" else str(heading.get("id") or "")
            if (target or number == 0) and alias not in ids:
                aliases.setdefault(alias, target)
    return Anchors(ids, aliases)



# --- links and images ----------------------------------------------------------------------------


def rewrite(text: str, chapter: Path, plan: Plan) -> str:
    """Links and image paths rewritten for the book folder, outside code; then the links
    that used a reference definition which had to go become their text (anywhere in the file).
    The notes name the line of the chapter as written (and the source file it came from)."""
    dead: set[str] = set()
    runs = [(code, "\n".join(line for line, _ in run))
            for code, run in itertools.groupby(marked_lines(text), key=lambda marked: marked[1])]
    place = _Place(f"chapters/{plan.names[chapter]}", plan.where(chapter),
                   1 + with_role("", plan.roles.get(chapter, "")).count("\n"))
    rewritten = []
    for code, run in runs:
        rewritten.append((code, run if code else _rewrite_prose(run, chapter, plan, dead, place)))
        place = place.after(run)
    runs = rewritten
    if dead:
        runs = [(code, run if code else _outside_code(run, lambda t, m: _sub(
            _REFERENCE_LINK, lambda found: _unlinked_reference(found, dead), t, m)[0])) for code, run in runs]
    return "\n".join(run for _, run in runs)


@dataclasses.dataclass(frozen=True)
class _Place:
    """Where a run of the chapter's text starts, for the notes."""

    written: str  # the chapter's file in the book folder
    source: str  # the source file it was made from
    line: int  # the written file's line the run starts on

    def after(self, run: str) -> _Place:
        """The place of the run that follows *run*."""
        return dataclasses.replace(self, line=self.line + run.count("\n") + 1)

    def of(self, found: _Found) -> str:
        """"chapters/03-x.md:12 (from src/x.md)": where *found* is, for a note."""
        return f"{self.written}:{self.line + found.lines_before()} (from {self.source})"


def _rewrite_prose(text: str, chapter: Path, plan: Plan, dead: set[str], place: _Place) -> str:
    """Links rewritten outside inline code; a link whose text holds code is still a link."""
    return _outside_code(text, lambda t, m: _rewrite_urls(t, m, chapter, plan, dead, place))


def _outside_code(text: str, rewrite: Callable[[str, str], str]) -> str:
    """*rewrite* given the text and the same text with inline code blanked, to match in."""
    return rewrite(text, _INLINE_CODE.sub(lambda code: "\0" * len(code.group(0)), text))


class _Found:
    """A match made in the masked text, its groups read from the text itself."""

    def __init__(self, match: re.Match[str], text: str) -> None:
        self._match, self._text = match, text

    def group(self, number: int = 0) -> str | None:
        start, end = self._match.span(number)
        return None if start < 0 else self._text[start:end]

    def lines_before(self) -> int:
        return self._text.count("\n", 0, self._match.start())


def _sub(pattern: re.Pattern[str], replace: Callable[[_Found], str], text: str,
         masked: str) -> tuple[str, str]:
    """pattern.sub over *text*, matching in *masked* (the same length, code blanked)."""
    out, out_masked, last = [], [], 0
    for match in pattern.finditer(masked):
        new = replace(_Found(match, text))
        out += [text[last:match.start()], new]
        out_masked += [masked[last:match.start()], "\0" * len(new)]
        last = match.end()
    return "".join(out) + text[last:], "".join(out_masked) + masked[last:]


def _rewrite_urls(text: str, masked: str, chapter: Path, plan: Plan, dead: set[str], place: _Place) -> str:
    def inline(match: _Found) -> str:
        bang, label, raw = match.group(1) or "", match.group(2) or "", match.group(3) or ""
        title, at = match.group(4) or "", place.of(match)
        url = _MARKDOWN_ESCAPE.sub(r"\1", raw[1:-1] if raw.startswith("<") else raw)
        if bang:
            if not label.strip():
                label = _stand_in_alt(url)
                plan.notes.append(f"{at}: the image {url!r} has no alt text; it is now "
                                  f"{label!r}: describe what it shows")
            new = _image_url(url, chapter, plan, at)
            if new is None:
                return f"[{label}]({url})" if _is_web(url) else ""
            return f"![{label}]({new}{title})"
        new = _link_url(url, chapter, plan, at)
        return label if new is None else f"[{label}]({new}{title})"

    def reference(match: _Found) -> str:
        raw, start, at = match.group(2) or "", match.group(1) or "", place.of(match)
        url = raw[1:-1] if raw.startswith("<") else raw
        if PurePosixPath(urlsplit(url).path).suffix.lower() in IMAGE_SUFFIXES:
            return start + (_image_url(url, chapter, plan, at) or url)
        new = _link_url(url, chapter, plan, at)
        if new is None:  # the definition goes; its links become their text, below
            dead.add(_reference_key(start.strip()[1:start.strip().rindex("]")]))
            return ""
        return start + new

    def html(match: _Found) -> str:
        tag, name, at = match.group(0) or "", (match.group(1) or "").lower(), place.of(match)
        source_url = _HTML_URL.search(tag)
        src = source_url.group(2).strip("\"'") if source_url else ""
        if name == "img" and src and _image_url(src, chapter, plan, at) is None:
            alt = _HTML_ALT.search(tag)
            text = html_escape(alt.group(1).strip("\"'")) if alt else "Image"
            return f'<a href="{html_escape(src)}">{text}</a>' if _is_web(src) else ""
        if name == "img" and not _HTML_ALT.search(tag):
            stand_in = _stand_in_alt(src)
            tag = re.sub(r"\salt\s*=\s*(\"\s*\"|'\s*')", "", tag)
            tag = re.sub(r"^<img\b", f'<img alt="{html_escape(stand_in)}"', tag, flags=re.IGNORECASE)
            plan.notes.append(f"{at}: an <img> has no alt text; it is now {stand_in!r}: "
                              "describe what it shows")

        def attribute(value: re.Match[str]) -> str:
            raw = value.group(2)
            quote_mark = raw[0] if raw[0] in "\"'" else '"'
            url = raw.strip("\"'")
            if name == "a":  # an <a> that goes nowhere the book has loses its href: its text stays
                new = _link_url(url, chapter, plan, at)
                return "" if new is None else f"{value.group(1)}{quote_mark}{new}{quote_mark}"
            new = _image_url(url, chapter, plan, at) or url
            return f"{value.group(1)}{quote_mark}{new}{quote_mark}"

        return _HTML_URL.sub(attribute, tag)

    for pattern, replace in ((_INLINE_LINK, inline), (_REFERENCE, reference), (_HTML_TAG, html)):
        text, masked = _sub(pattern, replace, text, masked)
    return text


# [text][ref], [text][] and [ref]: links to a reference definition.
_REFERENCE_LINK = re.compile(r"(?<![!\]\\])" + LINK_TEXT + r"(?:\[([^\]\n]*)\])?(?![(:\[])")


_MARKDOWN_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


def _stand_in_alt(url: str) -> str:
    """Alt text for an image that has none: what its file name says, until the author writes better."""
    return "Image: " + (readable(PurePosixPath(unquote(urlsplit(url).path)).stem) or "untitled")


def _reference_key(label: str) -> str:
    return " ".join(label.split()).casefold()


def _unlinked_reference(match: _Found, dead: set[str]) -> str:
    text, ref = match.group(1) or "", match.group(2)
    return text if _reference_key(ref or text) in dead else match.group(0) or ""


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not (parts.scheme or parts.netloc or url.startswith("//"))


def _link_url(url: str, chapter: Path, plan: Plan, at: str,
              unlinked: str = "is now plain text") -> str | None:
    """The link's new URL; None when it points nowhere the book has (the text stays, unlinked).
    *at*: where the link is, for the notes."""
    if not _is_local(url) or not url:
        return url
    parts = urlsplit(url)
    if parts.path.rstrip("/") == _GITBOOK_BROKEN:
        plan.notes.append(f"{at}: GitBook marks this link as broken ({url!r}: the page it went to was moved "
                          f"or deleted); the link {unlinked}: link it to the right chapter")
        return None
    fragment = unquote(parts.fragment).removeprefix("user-content-")
    target = _linked_chapter(parts.path, chapter, plan) if parts.path else chapter
    if target is None:
        return _web_copy(url, chapter, plan, at, unlinked)
    name = "" if target == chapter and not parts.path else plan.names[target]
    if not fragment:
        return name or url
    anchor = _fragment(fragment, target, plan)
    if anchor is None and not name:  # Leanpub's and the builder's `#id` reach the whole book
        elsewhere = [(other, a) for other in plan.anchors if (a := _fragment(fragment, other, plan))]
        if elsewhere:
            return f"{plan.names[elsewhere[0][0]]}#{elsewhere[0][1]}"
    if anchor is None and not name:
        plan.notes.append(f"{at}: the link to '#{fragment}' finds no heading with that "
                          f"anchor; the link {unlinked}")
        return None
    if anchor is None:
        plan.notes.append(f"{at}: the link to {url!r}: {plan.names[target]} has no heading with the anchor "
                          f"'#{fragment}'; the link now goes to the chapter's start")
    return f"{name}#{anchor}" if anchor else name or plan.names[target]


def _linked_chapter(path: str, chapter: Path, plan: Plan) -> Path | None:
    """The imported chapter a link's path names: the file, mdBook's .html for it, a folder's
    README.md or index.md."""
    path = unquote(path)
    path = path.rstrip("/") if path.rstrip("/").lower().endswith((*MARKDOWN_SUFFIXES, ".html")) else path
    target = Path(os.path.normpath(_local(path, chapter, plan)))
    tries = [target, target.with_suffix(".md")] if target.suffix.lower() in (".html", ".htm") else [target]
    if path.endswith("/") or not target.suffix:
        tries += [target / "README.md", target / "index.md"]
    if target.name.lower() in ("index.html", "index.htm"):  # mdBook publishes README.md as index.html
        tries.append(target.parent / "README.md")
    found = [t for t in tries if inside(t, plan.source) and t.resolve() in plan.names]
    return found[0].resolve() if found else None


def _local(path: str, chapter: Path, plan: Plan) -> Path:
    """The file a link's or image's path names: from the chapter's folder, or from the book's
    root for a path that starts with / (GitBook's and mdBook's root is their SUMMARY.md's folder)."""
    return plan.root / path.lstrip("/") if path.startswith("/") else chapter.parent / path


# GitBook's link to a page it lost (moved or deleted) points here.
_GITBOOK_BROKEN = "broken-reference"


def _web_copy(url: str, chapter: Path, plan: Plan, at: str, unlinked: str) -> str | None:
    """A link to a file the book does not hold: to its web copy (the base URL), else unlinked."""
    if plan.base_url:
        page = chapter.relative_to(plan.root) if chapter.is_relative_to(plan.root) else Path(chapter.name)
        address = urljoin(urljoin(plan.base_url, page.with_suffix(".html").as_posix()), url)
        file_part, mark, fragment = address.partition("#")
        if file_part.endswith(".md"):
            file_part = file_part[:-3] + ".html"
        return file_part + mark + fragment
    why = "is outside the source folder" if not inside(_local(unquote(urlsplit(url).path), chapter, plan),
                                                          plan.source) else "goes to no imported chapter"
    plan.notes.append(f"{at}: the link to {url!r} {why}; the link {unlinked} "
                      "(give --base-url to link to the book's web copy)")
    return None


def _fragment(fragment: str, target: Path, plan: Plan) -> str | None:
    """The builder's id for an anchor in *target*; "" for its title (the chapter's start);
    None when it has no such anchor."""
    anchors = plan.anchors[target]
    if fragment in anchors.ids:
        return fragment
    return anchors.aliases.get(fragment)


def _image_url(url: str, chapter: Path, plan: Plan, at: str) -> str | None:
    """The image's path under chapters/ (the file is copied there); None when the book cannot
    hold it (on the web, outside the source, missing), with the reason in the report."""
    parts = urlsplit(url)
    if _is_web(url):
        plan.notes.append(f"{at}: the image {url!r} is on the web (the builder fetches "
                          "nothing): it is now a link; download it into the book to show it")
        return None
    if not parts.path:
        return url
    target = _local(unquote(parts.path), chapter, plan)
    if not inside(target, plan.source) or not target.resolve().is_file():
        why = "is outside the source folder" if not inside(target, plan.source) else "does not exist"
        plan.notes.append(f"{at}: the image {url!r} {why}; left out")
        return None
    target = target.resolve()
    base = plan.root if target.is_relative_to(plan.root) else plan.source
    relative = target.relative_to(base).as_posix()
    if plan.images.setdefault(relative, target) != target:
        relative = "more/" + target.relative_to(plan.source).as_posix()
        plan.images[relative] = target
    return quote(relative)


def _is_web(url: str) -> bool:
    return urlsplit(url).scheme in ("http", "https", "ftp") or url.startswith("//")


# --- the orphans ---------------------------------------------------------------------------------


def report_orphans(plan: Plan) -> None:
    order_file = plan.root / plan.order_source
    why = ("a project file, not a chapter" if plan.order_source == BY_FILE_NAMES
           else f"not in {plan.order_source}")
    for path in markdown_files(plan.source):
        if path.resolve() not in plan.names and path.resolve() != order_file.resolve():
            plan.notes.append(f"{plan.where(path)}: {why}, left out")
