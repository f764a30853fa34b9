"""The URL fetcher: the only door through which WeasyPrint reads anything.

In: a URL WeasyPrint wants (a stylesheet, an image, a font).
Out: its bytes, when the URL is a file inside the book folder or the builder's
own package, or one of the in-memory resources the build made (the styles, the
cover); otherwise a refusal that stops the build with a clear message. Nothing
is fetched from the network, and every file is read through the book folder's
one door (builder.bookfolder: no path out of the book, no FIFO, a size limit).
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from builder.bookfolder import MAX_IMAGE_BYTES, MAX_TEXT_BYTES, BookFolder, Refused

MAX_DATA_URL_BYTES = 1_000_000
# The URL WeasyPrint is given for the book folder. WeasyPrint names each image
# in the PDF by a hash of its URL, so the folder's real URL would make the PDF
# depend on where the book lies; this one is the same in every checkout.
BOOK_URL = "file:///book/"
_BOOK_URL_FOLDER = Path(urlsplit(BOOK_URL).path)


class RefusedURL(FatalURLFetchingError):  # type: ignore[misc]
    """WeasyPrint asked for something outside the book: the build stops."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"refused to read {url!r}: {reason}")
        self.url = url
        self.reason = reason


class BookFetcher(URLFetcher):  # type: ignore[misc]
    """Serves files from allowed folders and from memory; refuses the rest."""

    def __init__(self, book_root: Path, resources: dict[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols={"file", "data"})
        self.folder = BookFolder.at(book_root, with_package=True)
        self.book_root = self.folder.root
        # Keyed by path relative to the book root, e.g. "styles/base.css".
        self.resources = dict(resources or {})
        self.last_stylesheet: str | None = None  # for naming the file in CSS messages

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            if len(url) > MAX_DATA_URL_BYTES:
                raise RefusedURL(url[:60] + "…", f"data URL larger than {MAX_DATA_URL_BYTES} bytes")
            return super().fetch(url, headers)
        if scheme != "file":
            raise RefusedURL(url, "the builder reads no network resource; put the file in the book folder")
        path = self.real_path(Path(unquote(urlsplit(url).path)))
        relative = self._relative_to_book(path)
        if path.suffix == ".css":
            self.last_stylesheet = relative
        if relative is not None and relative in self.resources:
            return self._response(url, path, self.resources[relative])
        limit = MAX_TEXT_BYTES if path.suffix.lower() in (".css", ".svg") else MAX_IMAGE_BYTES
        try:
            body = self.folder.read_bytes(path, limit)
        except Refused as exc:
            raise RefusedURL(url, f"{path}: {exc}") from exc
        return self._response(url, path, body)

    def real_path(self, path: Path) -> Path:
        """A path in BOOK_URL's folder, as the same path in the book folder."""
        try:
            return self.book_root / path.relative_to(_BOOK_URL_FOLDER)
        except ValueError:
            return path

    def real_url(self, text: str) -> str:
        """*text* (a message) with BOOK_URL written as the book folder's own URL."""
        return text.replace(BOOK_URL, self.book_root.as_uri() + "/")

    def _relative_to_book(self, path: Path) -> str | None:
        absolute = Path(*path.parts)
        try:
            return absolute.relative_to(self.book_root).as_posix()
        except ValueError:
            return None

    @staticmethod
    def _response(url: str, path: Path, body: bytes) -> URLFetcherResponse:
        media_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(url, body, {"Content-Type": media_type})
