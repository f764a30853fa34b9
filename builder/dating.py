"""The time stamped into the outputs: never the clock, so builds repeat.

In: the book's metadata and the environment. Out: SOURCE_DATE_EPOCH if it is
set, else the time of the last git commit that touched the book's folders,
else the date in book.toml. The git history is read by dulwich, a pure-Python
reader: no git program runs, so nothing in the book's own `.git/config` (hooks,
fsmonitor, pagers, signature programs, credential helpers) is executed, and a
partial clone's missing objects are not fetched (the date falls back instead).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

from builder.model import BookMeta

BOOK_PATHS = ("book", "chapters", "styles")  # what a commit must touch to date the book


def build_time(meta: BookMeta) -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC)
    committed = last_commit_time(meta.root, BOOK_PATHS)
    if committed is not None:
        return committed
    return dt.datetime.combine(meta.date, dt.time(), dt.UTC)


def last_commit_time(folder: Path, paths: Sequence[str]) -> dt.datetime | None:
    """When the newest commit touching *paths* (relative to *folder*) was made;
    None outside a repository, or where the history cannot be read as it is."""
    start = folder.resolve()
    if not any((above / ".git").exists() for above in (start, *start.parents)):
        return None  # what Repo.discover would find, without importing dulwich (13 ms)
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        with Repo.discover(str(folder)) as repo:
            prefix = folder.resolve().relative_to(Path(repo.path).resolve())
            wanted = [(prefix / path).as_posix().encode() for path in paths]
            for entry in repo.get_walker(paths=wanted, max_entries=1):
                return dt.datetime.fromtimestamp(entry.commit.commit_time, dt.UTC)
    except NotGitRepository:
        return None
    except Exception:  # a broken, shallow or partial history: date the book another way
        return None
    return None
