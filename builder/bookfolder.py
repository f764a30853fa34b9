"""The one door for every read of a book folder.

In: a folder (the book, or the source of an import) and a path in it. Out: the
file's bytes or text, or a Refused naming why not: the path, once every symlink
in it is resolved, leads outside the folder (and the builder's own package, for
the house style); it is not a regular file (a FIFO, a device, a socket, a
folder); or it is larger than the limit for its kind. A FIFO is opened without
blocking, so it cannot hang a build. Every stage that reads a book file
(config, manuscript, images, styles, the URL fetcher, the cache) reads it here.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
MAX_TEXT_BYTES = 8_000_000  # a chapter, book.toml, a style sheet: a long novel is about 1 MB
MAX_IMAGE_BYTES = 20_000_000  # reading systems choke on larger images (and fonts are read so too)


class Refused(Exception):
    """A read the book folder's door does not allow; the message says why."""


class TooLarge(Refused):
    """A file over the limit for its kind."""


@dataclass(frozen=True)
class BookFolder:
    root: Path
    with_package: bool = False  # the house style may be read too

    @staticmethod
    def at(root: Path, with_package: bool = False) -> BookFolder:
        return BookFolder(root.resolve(), with_package)

    def locate(self, path: Path) -> Path:
        """*path* (absolute, or relative to the working folder, as the callers build it
        from the book folder's path) with every symlink resolved, if that is still
        inside the folder."""
        absolute = path.absolute()
        resolved = absolute.resolve()
        roots = (self.root, PACKAGE_DIR) if self.with_package else (self.root,)
        if not any(resolved.is_relative_to(root) for root in roots):
            shown = f"{path} (which leads to {resolved})" if resolved != absolute else str(path)
            raise Refused(f"{shown} is outside the book folder {self.root}; only files inside it are read")
        return resolved

    def is_file(self, path: Path) -> bool:
        """Whether *path* is a regular file inside the folder (no error either way)."""
        try:
            return stat.S_ISREG(os.stat(self.locate(path)).st_mode)
        except (Refused, OSError):
            return False

    def read_bytes(self, path: Path, limit: int = MAX_TEXT_BYTES, follow_links: bool = True) -> bytes:
        """The file's bytes; with *follow_links* False, a symlink at *path* itself is refused
        (the cache's entries: the builder wrote them as plain files)."""
        resolved = self.locate(path)
        if not follow_links and path.is_symlink():
            raise Refused("a symlink where the builder keeps a plain file; it is not followed")
        try:
            handle = os.open(resolved, os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError as exc:
            raise Refused(f"cannot read the file: {exc.strerror}") from exc
        try:
            info = os.fstat(handle)
            if not stat.S_ISREG(info.st_mode):
                raise Refused("not a regular file (a FIFO, a device, a socket or a folder); "
                              "only ordinary files are read")
            if info.st_size > limit:
                raise TooLarge(f"the file is {info.st_size:,} bytes; the limit is {limit:,}")
            os.set_blocking(handle, True)
            with os.fdopen(handle, "rb", closefd=False) as stream:
                data = stream.read(limit + 1)
        finally:
            os.close(handle)
        if len(data) > limit:
            raise TooLarge(f"the file grew past the limit of {limit:,} bytes while it was read")
        return data

    def glob(self, pattern: str) -> Iterator[Path]:
        """The regular files inside the folder that *pattern* matches, sorted."""
        for path in sorted(self.root.glob(pattern)):
            if self.is_file(path):
                yield path
