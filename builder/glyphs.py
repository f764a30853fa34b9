"""Characters the print edition cannot draw: a chapter's text -> a warning per character.

In: a chapter's path and text (as read, after the control characters are out). Out:
a warning, at the line and column of its first use in the file, for each character
that no font installed on this machine has: WeasyPrint draws it as an empty box in the
PDF, while the EPUB leaves it to the reader's fonts (an emoji a GitHub README shows
is the common case). The fonts are fontconfig's, read once per process with
`fc-list` (the program WeasyPrint's font library comes with); where it cannot be run,
nothing is reported.

A font the book brings itself with @font-face is not fontconfig's, so a character only
it has is reported too (the message says "installed").
"""

from __future__ import annotations

import bisect
import shutil
import subprocess
import unicodedata
from functools import cache
from pathlib import Path

from builder.checks import line_and_column
from builder.errors import Location, Problems

MAX_WARNINGS = 10  # a file's first characters that cannot be drawn; the rest in one line


def report_undrawable(path: Path, text: str, problems: Problems) -> None:
    coverage = installed_coverage()
    if coverage is None:
        return
    starts, ends = coverage
    # The text's distinct characters (a set made in C: this runs for every chapter on every
    # preview rebuild), then each missing one's first place, in the order they appear.
    missing = sorted((text.index(character), character) for character in set(text)
                     if not character.isascii() and not _needs_no_glyph(character)
                     and not _covered(ord(character), starts, ends))
    for offset, character in missing[:MAX_WARNINGS]:
        problems.warning(
            f"no font installed on this machine has {character!r} (U+{ord(character):04X} "
            f"{unicodedata.name(character, 'unnamed').lower()}, {text.count(character)} in this file): "
            "the PDF prints an empty box in its place (the EPUB leaves it to the reader's fonts); "
            "install a font that has it, or write it out in words",
            Location(path, *line_and_column(text, offset)))
    if len(missing) > MAX_WARNINGS:
        problems.warning(f"{len(missing) - MAX_WARNINGS} more characters no installed font has",
                         Location(path))


def _covered(code: int, starts: list[int], ends: list[int]) -> bool:
    index = bisect.bisect_right(starts, code) - 1
    return index >= 0 and code <= ends[index]


def _needs_no_glyph(character: str) -> bool:
    """Format characters (zero-width joiner, soft hyphen …) and variation selectors draw nothing."""
    return unicodedata.category(character) in {"Cf", "Cc", "Zl", "Zp"} or 0xFE00 <= ord(character) <= 0xFE0F


@cache
def installed_coverage() -> tuple[list[int], list[int]] | None:
    """The code points fontconfig's fonts cover, as sorted, merged ranges (starts, ends)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listed = subprocess.run([fc_list, "--format", "%{charset}\n"], capture_output=True, text=True,
                                timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    ranges = sorted(_ranges(listed))
    if not ranges:
        return None
    starts, ends = [ranges[0][0]], [ranges[0][1]]
    for start, end in ranges[1:]:
        if start <= ends[-1] + 1:
            ends[-1] = max(ends[-1], end)
        else:
            starts.append(start)
            ends.append(end)
    return starts, ends


def _ranges(listed: str) -> list[tuple[int, int]]:
    """fc-list's charsets ("20-7e a0-1a9 …", hexadecimal) as (start, end) pairs."""
    pairs = []
    for item in listed.split():
        first, _, last = item.partition("-")
        try:
            pairs.append((int(first, 16), int(last or first, 16)))
        except ValueError:
            continue
    return pairs
