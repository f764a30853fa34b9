"""When Python's cyclic garbage collector runs during a build.

In: nothing but the build's own stages. Out: ``few_full_collections()``, a
context manager (and decorator) for the length of a build.

Why: CPython runs a *full* collection every so often as objects survive, and a
full collection walks every live object. A laid-out book is hundreds of
thousands of live boxes, so each one costs more than the last: the long
benchmark book had nine of them, about 0.5 s of a 9 s build. Inside a build the
automatic full collections are off; young garbage is still collected as usual
(generations 0 and 1). The one large lot of old garbage a build makes, the
layout's context with every computed style, is freed by reference counting
instead: builder.weasyprint_adapter breaks the reference cycle that held it. Outside a build
the interpreter's own thresholds are restored.
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
