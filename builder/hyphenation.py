"""The hyphenation patterns of the book's language, read beside WeasyPrint's import.

In: the book's language tag. Out: ``read_patterns()`` gives Pyphen's parsed
patterns for it (or None for a language Pyphen has no dictionary for), and
``use_patterns()`` hands them to Pyphen's own cache in this process.

Why: WeasyPrint hyphenates with Pyphen, which parses a language's patterns
the first time a layout needs them: 50 ms for English, on the critical path of
every PDF. The drafting child parses them while the parent imports WeasyPrint;
the parent unpickles them (4 ms) into the cache Pyphen looks in, keyed by the
same dictionary file, so the hyphenation, and the PDF, are exactly the same.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

Patterns = tuple[Path, Any]  # (Pyphen's dictionary file, its parsed HyphDict)


def read_patterns(language: str) -> Patterns | None:
    import pyphen

    name = pyphen.language_fallback(language)
    if name is None:
        return None
    path = pyphen.LANGUAGES[name]
    return path, pyphen.HyphDict(path)


def use_patterns(patterns: Patterns | None) -> None:
    import pyphen

    if patterns is not None:
        path, parsed = patterns
        pyphen.hdcache.setdefault(path, parsed)
