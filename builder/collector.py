"""When Python's cyclic garbage collector runs during a build.

In: nothing but the build's own stages. Out: ``few_full_collections()``, a
context manager for the length of a build, and ``collect_old_garbage()``, one
full collection where a stage has just let go of a large structure.

Why: CPython runs a *full* collection every so often as objects survive, and a
full collection walks every live object. A laid-out book is hundreds of
thousands of live boxes, so each one costs more than the last: the long
benchmark book had nine of them, about 0.5 s of a 9 s build. Inside a build the
automatic full collections are off; young garbage is still collected as usual
(generations 0 and 1). Where the garbage really is old (the parsed HTML and the
style cascade, once WeasyPrint has laid the pages out) the build collects once
by hand, so the peak memory of a long book's build is lower than with the
default policy, not higher. Outside a build the interpreter's own thresholds are restored.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

# Python counts "collections of generation 1" before a full one; this many
# never come in a build.
_NO_AUTOMATIC_FULL_COLLECTION = 1_000_000


@contextmanager
def few_full_collections() -> Iterator[None]:
    young, middle, _ = saved = gc.get_threshold()
    gc.set_threshold(young, middle, _NO_AUTOMATIC_FULL_COLLECTION)
    try:
        yield
    finally:
        gc.set_threshold(*saved)


# Below this many pages the old garbage is a few megabytes, and collecting it
# costs more time (about 30 ms on the 23-page real book) than the memory is worth.
WORTH_COLLECTING_PAGES = 100


def collect_old_garbage(pages: int) -> int:
    """One full collection after a layout of *pages* pages, when the layout was
    long enough to be worth it; returns the number of objects freed."""
    return gc.collect() if pages >= WORTH_COLLECTING_PAGES else 0
