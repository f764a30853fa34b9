"""Each chapter's text made ready: decoded, its directives carried out, its headings right.

In: a listed source file and the Plan (its source folder, flavour, variables).
Out: the chapter's Markdown as text with `\\n` line ends (a file not in UTF-8 is
read as Windows-1252), without YAML front matter (its title becomes the heading
where the file has none; its `role:`, and GitBook's `description:`, which then
stands under the heading, are kept in the Plan), GitBook's empty
heading anchors or control characters, the other tools' directives expanded
(builder.importing.directives). Then, over the whole Plan: files left empty
dropped, a heading that repeats the book's title at the top of most files left
out, each chapter opening with one level-1 heading (its own, promoted, or one
made from the best title known), no two chapters with the same title. What is
left out or retitled is noted in the Plan. Also the helpers the other stages
read Markdown with: the lines outside fenced code, a file's first heading, a
readable title from a file name.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import yaml

from builder.bookfolder import BookFolder
from builder.checks import CONTROL_CHARACTERS
from builder.config import slugify
from builder.errors import BuilderError, Location
from builder.importing.directives import expand
from builder.importing.plan import ATX, LIST_ITEM, Entry, Plan, gitbook_anchor, read
from builder.manuscript.links import web_anchor
from builder.model import ROLE_SPELLINGS, ROLES

# A fence's opening (CommonMark: a backtick fence's info string holds no backtick, so
# ```code``` on one line is inline code, not a fence).
_FENCE = re.compile(r"^ {0,3}(`{3,}(?=[^`]*$)|~{3,})")
# One inside a container (a list item, a ??? block): superfences reads it at any indentation.
_INDENTED_FENCE = re.compile(r"^([ \t]{4,})(`{3,}(?=[^`]*$)|~{3,})")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")


def decode(data: bytes) -> tuple[str, bool]:
    """The text with `\\n` line ends, and whether it was UTF-8 (else read as Windows-1252)."""
    try:
        text, utf8 = data.decode("utf-8-sig"), True
    except UnicodeDecodeError:
        text, utf8 = data.decode("cp1252", errors="replace"), False
    return text.replace("\r\n", "\n").replace("\r", "\n"), utf8


def read_markdown(path: Path, plan: Plan) -> str:
    text, utf8 = decode(read(path, plan.source))
    if not utf8:
        plan.notes.append(f"{plan.where(path)}: not UTF-8; read as Windows-1252 and saved as UTF-8: "
                          "check its accented letters")
    rest, first_line = _without_front_matter(text, path, plan)
    expanded = expand(rest, path, BookFolder.at(plan.within), plan.flavour, plan.variables, first_line)
    plan.notes += expanded.notes
    source_text, text = text, _without_heading_anchors(expanded.text)
    if CONTROL_CHARACTERS.search(text):
        lines = sorted({source_text.count("\n", 0, found.start()) + 1
                        for found in CONTROL_CHARACTERS.finditer(source_text)})
        where = f"{plan.where(path)}:{lines[0]}" if lines else plan.where(path)  # else from an include
        shown = f" (line{'s' * (len(lines) > 1)} {', '.join(map(str, lines[:10]))})" if lines else ""
        plan.notes.append(f"{where}: control characters (a book cannot hold them) left out{shown}")
        text = CONTROL_CHARACTERS.sub("", text)
    return text.rstrip("\n") + "\n"


def _without_heading_anchors(text: str) -> str:
    """GitBook writes `## Title <a href="#title" id="title"></a>`: the builder gives each heading
    its id, and the import maps GitBook's slug of the title to it, so an anchor that is that slug
    would only repeat it. One that is not (GitBook keeps a heading's first anchor when its title
    changes, and links use it) becomes the heading's own id, `{#id}`, once in the file."""
    kept: set[str] = set()

    def heading(line: str) -> str:
        ids = [found[1] for found in map(_ANCHOR_ID.search, _EMPTY_ANCHOR.findall(line)) if found]
        line = _EMPTY_ANCHOR.sub("", line).rstrip()
        title = ATX.match(line)
        words = title[2] or "" if title else ""
        slugs = (web_anchor(words), gitbook_anchor(words))
        own = next((i for i in ids if i not in kept and i not in slugs), "")
        if own and _ATTRIBUTE_ID.fullmatch(own) and not line.endswith("}"):
            kept.add(own)
            return f"{line} {{#{own}}}"
        return line

    return "\n".join(heading(line) if not code and ATX.match(line) else line
                     for line, code in marked_lines(text))


_EMPTY_ANCHOR = re.compile(r"\s*<a\b[^>]*>\s*</a>", re.IGNORECASE)
_ANCHOR_ID = re.compile(r"""\s(?:id|name)\s*=\s*["']?([^"'\s>]+)""", re.IGNORECASE)
_ATTRIBUTE_ID = re.compile(r"\w[\w.:+-]*")  # read whole by attr_list after {#
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


def _without_front_matter(text: str, path: Path, plan: Plan) -> tuple[str, int]:
    """YAML front matter (Jekyll, Hugo, MkDocs, Leanpub) is not text: its title becomes the
    chapter's heading where the file has none; GitBook's description, which GitBook shows under
    the page's title, is kept in the Plan (with_heading puts it there); the rest is left out.
    Also the file's line the text returned starts at (the notes name the file's own lines)."""
    found = _FRONT_MATTER.match(text)
    if not found:
        return text, 1
    try:
        data = yaml.safe_load(found.group(1) or "")
    except yaml.YAMLError:
        return text, 1  # a rule and a setext heading, not front matter
    if not isinstance(data, dict):
        return text, 1
    rest, first_line = text[found.end():], 1 + text[:found.end()].count("\n")
    role = str(data.get("role", "")).strip().lower()
    role = ROLE_SPELLINGS.get(role, role)
    if role in ROLES and role != "chapter":
        plan.roles[path] = role
    title = data.get("title")
    if isinstance(title, str) and title.strip() and not first_heading(rest.split("\n")):
        rest, first_line = f"# {title.strip()}\n\n{rest}", first_line - 2
    description = data.get("description")
    if plan.flavour == "gitbook" and isinstance(description, str) and description.strip():
        plan.leads[path] = " ".join(description.split())
    left_out = [str(key) for key in data if not (key == "description" and path in plan.leads)]
    if left_out:
        plan.notes.append(f"{plan.where(path)}: its front matter ({', '.join(left_out)}) is left out")
    return rest, first_line


def with_heading(text: str, entry: Entry, plan: Plan) -> str:
    """The text opening with a level-1 heading: its own (a lower one is promoted, the headings
    under it with it), or one made from the best title known; GitBook's description under it."""
    headed = _headed(text, entry, plan)
    lead = plan.leads.get(entry.path)
    if not lead:
        return headed
    lines = headed.split("\n")
    setext = len(lines) > 1 and bool(_SETEXT.match(lines[1])) and not ATX.match(lines[0])
    heading, rest = lines[:2 if setext else 1], "\n".join(lines[2 if setext else 1:]).lstrip("\n")
    return "\n".join([*heading, "", lead, "", rest])


def _headed(text: str, entry: Entry, plan: Plan) -> str:
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    level, own_title = _heading_at(lines, first)
    if level == 1:
        return "\n".join(lines[first:])
    if level and own_title:
        setext = first + 1 < len(lines) and bool(_SETEXT.match(lines[first + 1])) and \
            not ATX.match(lines[first])
        rest = _lifted("\n".join(lines[first + (2 if setext else 1):]), level - 1)
        return f"# {own_title}\n{rest}"
    title = entry.title or first_heading(lines) or readable(entry.path.stem)
    return "\n".join([f"# {title}", "", *lines[first:]])


def _lifted(text: str, by: int) -> str:
    """ATX headings outside code raised *by* levels (none above level 2)."""
    out = []
    for line, code in marked_lines(text):
        heading = None if code else ATX.match(line)
        if heading:
            line = line.replace(heading.group(1), "#" * max(2, len(heading.group(1)) - by), 1)
        out.append(line)
    return "\n".join(out)


def _heading_at(lines: list[str], index: int) -> tuple[int, str]:
    """(level, text) of the heading on line *index*, or (0, "")."""
    line = lines[index] if index < len(lines) else ""
    atx = ATX.match(line)
    if atx:
        return len(atx.group(1)), (atx.group(2) or "").strip()
    underline = lines[index + 1] if index + 1 < len(lines) else ""
    setext = _SETEXT.match(underline)
    if line.strip() and setext and not LIST_ITEM.match(line):
        return (1 if setext.group(1)[0] == "=" else 2), line.strip()
    return 0, ""


def first_heading(lines: list[str]) -> str:
    prose = prose_lines("\n".join(lines))
    return next((title for i in range(len(prose)) for level, title in [_heading_at(prose, i)]
                 if level and title), "")


def readable(stem: str) -> str:
    """`03-getting_started` -> `Getting started`."""
    words = re.sub(r"^\d+[\s._-]*", "", stem).replace("_", " ").replace("-", " ").split()
    text = " ".join(words) or stem
    return text[:1].upper() + text[1:]


def drop_empty(plan: Plan) -> None:
    """A listed file with no text once its directives are gone (Leanpub's `{frontmatter}`-only
    files) is no chapter."""
    for entry in [e for e in plan.entries if not plan.texts[e.path].strip()]:
        plan.entries.remove(entry)
        plan.notes.append(f"{plan.where(entry.path)}: nothing left to read once its directives are "
                          "carried out; not a chapter")
    if not plan.entries:
        raise BuilderError("no chapter could be imported: every listed file is empty", Location(plan.source))


def drop_repeated_book_title(plan: Plan, book_title: str) -> None:
    """A heading that repeats the book's title at the top of most files is the book's, not the
    chapters' (each would be a duplicate title): it is left out."""
    def opening(text: str) -> tuple[int, str]:
        lines = text.split("\n")
        first = next((i for i, line in enumerate(lines) if line.strip()), 0)
        return first, _heading_at(lines, first)[1]

    repeated = [e for e in plan.entries if slugify(opening(plan.texts[e.path])[1]) == slugify(book_title)]
    if len(repeated) < 2:
        return
    for entry in repeated:
        lines = plan.texts[entry.path].split("\n")
        first = opening(plan.texts[entry.path])[0]
        setext = first + 1 < len(lines) and _SETEXT.match(lines[first + 1]) and not ATX.match(lines[first])
        plan.texts[entry.path] = "\n".join(lines[first + (2 if setext else 1):]).lstrip("\n")
    plan.notes.append(f"{len(repeated)} files open with the book's title {book_title!r}; that heading is "
                      "left out of each chapter")


def unique_titles(plan: Plan) -> None:
    """Chapters with the same title are told apart (the builder wants each to differ): by their
    part's title where that differs, else by a number; the report says so."""
    seen: dict[str, int] = {}
    for entry in plan.entries:
        lines = plan.texts[entry.path].split("\n")
        title = _heading_at(lines, 0)[1]
        count = seen[slugify(title)] = seen.get(slugify(title), 0) + 1
        if count == 1:
            continue
        new = f"{title} ({entry.part})" if entry.part and slugify(f"{title} ({entry.part})") not in seen \
            else f"{title} ({count})"
        seen[slugify(new)] = 1
        setext = len(lines) > 1 and _SETEXT.match(lines[1]) and not ATX.match(lines[0])
        lines[:2 if setext else 1] = [f"# {new}"]
        plan.texts[entry.path] = "\n".join(lines)
        plan.notes.append(f"{plan.names[entry.path]}: another chapter is titled {title!r} too; this one is "
                          f"now {new!r}")


# --- lines outside code --------------------------------------------------------------------------


def prose_lines(text: str) -> list[str]:
    """The lines of *text* outside fenced code blocks."""
    return [line for line, code in marked_lines(text.replace("\r", "")) if not code]


def marked_lines(text: str) -> Iterator[tuple[str, bool]]:
    """Each line of *text*, and whether it is code (a fence's marks count as code). A fence
    indented 4 or more is one when a closing fence as indented follows, every line between
    blank or as indented (it is in a container); otherwise it is a line of indented code."""
    lines = text.split("\n")
    fence, indent = "", ""
    for index, line in enumerate(lines):
        if fence:
            closing = _FENCE.match(line[len(indent):]) if line.startswith(indent) else None
            if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
                fence, indent = "", ""
            yield line, True
            continue
        opening = _FENCE.match(line)
        if opening:
            fence = opening.group(1)
        elif (nested := _INDENTED_FENCE.match(line)) and _closed_within(lines, index, nested[1], nested[2]):
            fence, indent = nested[2], nested[1]
        yield line, bool(fence)


def _closed_within(lines: list[str], start: int, indent: str, fence: str) -> bool:
    for line in lines[start + 1:]:
        if line.strip() and not line.startswith(indent):
            return False
        closing = _FENCE.match(line[len(indent):])
        if closing and closing.group(1)[0] == fence[0] and len(closing.group(1)) >= len(fence):
            return True
    return False
