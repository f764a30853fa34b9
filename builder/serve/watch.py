"""The preview's watcher: changes in a book folder -> calls with the paths that changed.

In: the book folder, a callback and a stop event. Out: a daemon thread that
calls the callback with each batch of changed files (watchfiles: inotify where
there is one, else polling), until the event is set. The builder's own
writes are not changes of the book: the cache (.cache/), dist/, and what
watchfiles leaves out by default (.git, editors' swap and backup files).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from watchfiles import DefaultFilter, watch

STEP_MS = 30  # a batch is handed on once the folder has been quiet this long


def book_filter(root: Path) -> DefaultFilter:
    return DefaultFilter(ignore_paths=(root / ".cache", root / "dist"))


def watch_book(root: Path, on_change: Callable[[set[Path]], Any], stop: threading.Event) -> threading.Thread:
    """Start watching *root* (resolved) in a daemon thread."""
    root = root.resolve()

    def run() -> None:
        for changes in watch(root, watch_filter=book_filter(root), step=STEP_MS, stop_event=stop,
                             rust_timeout=500, yield_on_timeout=False, raise_interrupt=False):
            on_change({Path(path) for _, path in changes})

    thread = threading.Thread(target=run, name="book-builder-watch", daemon=True)
    thread.start()
    return thread
