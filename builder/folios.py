"""The folio rule: a page's number -> the label printed on it.

In: the page count and the number of the page the first chapter starts on.
Out: each page's label, lower-case roman before the first chapter and arabic
from 1 on it: the rule print.css's page counters follow, so the EPUB's page
list names pages as the printed book does.
"""

from __future__ import annotations

_NUMERALS = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
             (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


def folio_labels(page_count: int, first_body_page: int) -> list[str]:
    return [roman(n) if n < first_body_page else str(n - first_body_page + 1)
            for n in range(1, page_count + 1)]


def roman(number: int) -> str:
    out = []
    for value, letters in _NUMERALS:
        count, number = divmod(number, value)
        out.append(letters * count)
    return "".join(out)
