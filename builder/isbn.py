"""ISBNs: as book.toml writes them -> checked, and hyphenated by the ISBN Agency's ranges.

In: an ISBN-13 or ISBN-10 as written ("978-0-306-40615-7", "0306406152", spaces or
hyphens anywhere). Out: its digits, whether its check digit holds, and its hyphenated form
(prefix, registration group, registrant, publication, check digit), split where the
International ISBN Agency's ranges say (builder/isbn-ranges.txt, with its source and date).
Pure: the ranges file ships with the package and is read once.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

RANGES_FILE = Path(__file__).parent / "isbn-ranges.txt"


def compact(isbn: str) -> str:
    """The ISBN's digits (and an ISBN-10's X), without hyphens or spaces."""
    return isbn.replace("-", "").replace(" ", "").upper()


def is_valid(isbn: str) -> bool:
    """Whether *isbn* is an ISBN-13 (978 or 979) or ISBN-10 whose check digit holds."""
    digits = compact(isbn)
    if len(digits) == 13 and digits.isdigit() and digits[:3] in ("978", "979"):
        total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(digits))
        return total % 10 == 0
    if len(digits) == 10 and digits[:9].isdigit() and (digits[9].isdigit() or digits[9] == "X"):
        values = [int(d) for d in digits[:9]] + [10 if digits[9] == "X" else int(digits[9])]
        return sum((10 - i) * v for i, v in enumerate(values)) % 11 == 0
    return False


def hyphenated(isbn: str) -> str | None:
    """*isbn* (valid) with its hyphens where the ranges put them: "978-0-306-40615-7", an
    ISBN-10 "0-306-40615-2"; None where its group or registrant is in no range assigned yet."""
    digits = compact(isbn)
    thirteen = digits if len(digits) == 13 else "978" + digits[:9]
    ranges = _ranges()
    prefix, rest = thirteen[:3], thirteen[3:12]
    group = _in_ranges(rest, ranges.get(prefix, ()))
    if group is None:
        return None
    registrant = _in_ranges(rest[len(group):], ranges.get(f"{prefix}-{group}", ()))
    if registrant is None:
        return None
    publication = rest[len(group) + len(registrant):]
    parts = [group, registrant, publication, digits[-1]]
    return "-".join([prefix, *parts] if len(digits) == 13 else parts)


def _in_ranges(digits: str, ranges: tuple[tuple[str, str], ...]) -> str | None:
    """The start of *digits* that falls in one of *ranges* (each range's bounds are as long as
    the part it gives), or None."""
    for low, high in ranges:
        head = digits[:len(low)]
        if len(head) == len(low) and low <= head <= high:
            return head
    return None


@cache
def _ranges() -> dict[str, tuple[tuple[str, str], ...]]:
    """The ranges file: "978" -> the groups' ranges, "978-0" -> group 0's registrants' ranges."""
    ranges: dict[str, tuple[tuple[str, str], ...]] = {}
    for line in RANGES_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, spans = line.partition(":")
            ranges[key.strip()] = tuple((low, high) for low, _, high in
                                        (span.partition("-") for span in spans.split()))
    return ranges
