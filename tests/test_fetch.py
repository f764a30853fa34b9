"""Nothing outside the book is read, nothing is fetched: every refusal proven,
with a local HTTP server that records whether it was ever contacted."""

from __future__ import annotations

import base64
import io
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

from builder.cli import main
from builder.fetch import MAX_DATA_URL_BYTES, BookFetcher, RefusedURL
from tests.conftest import FIXTURES


class _Recorder(BaseHTTPRequestHandler):
    contacted: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        self.contacted.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "text/css")
        self.end_headers()
        self.wfile.write(b"body { color: red }")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    _Recorder.contacted = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", _Recorder.contacted
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    shutil.copytree(FIXTURES / "small-book", root)
    return root


def test_the_server_really_answers(server: tuple[str, list[str]]) -> None:
    """The recorder records: a direct request shows up (so silence below means something)."""
    import urllib.request

    url, contacted = server
    with urllib.request.urlopen(f"{url}/probe") as response:
        assert response.status == 200
    assert contacted == ["/probe"]


@pytest.mark.parametrize("scheme", ["http", "https", "ftp"])
def test_network_urls_are_refused(book: Path, server: tuple[str, list[str]], scheme: str) -> None:
    url, contacted = server
    with pytest.raises(RefusedURL, match="reads no network resource"):
        BookFetcher(book).fetch(url.replace("http", scheme, 1) + "/style.css")
    assert contacted == []


def test_a_stylesheet_importing_from_the_network_fails_the_build(
    book: Path, server: tuple[str, list[str]]
) -> None:
    url, contacted = server
    (book / "styles").mkdir()
    (book / "styles" / "print.css").write_text(f'@import url("{url}/evil.css");\np {{ color: black }}\n')
    err = io.StringIO()
    assert main(["build", "--quiet", str(book)], err) == 1
    assert "refused to read" in err.getvalue() and "reads no network resource" in err.getvalue()
    assert "Traceback" not in err.getvalue()
    assert contacted == []
    assert not (book / "dist").exists()


def test_an_image_from_the_network_is_refused(book: Path, server: tuple[str, list[str]]) -> None:
    url, contacted = server
    (book / "chapters" / "02-second.md").write_text(
        f"# Second\n\n## The End {{#the-end}}\n\n![Logo]({url}/logo.png)\n")
    err = io.StringIO()
    assert main(["build", "--quiet", str(book)], err) == 1
    assert "fetches nothing from the network" in err.getvalue()
    assert contacted == []


@pytest.mark.parametrize("path", ["/etc/passwd", "../../../../../../etc/passwd"])
def test_files_outside_the_book_are_refused(book: Path, path: str) -> None:
    target = (book / path).resolve() if not path.startswith("/") else Path(path)
    with pytest.raises(RefusedURL, match="outside the book folder"):
        BookFetcher(book).fetch(target.as_uri() if path.startswith("/") else (book / path).as_uri())


def test_a_symlink_leaving_the_book_is_refused(book: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.css"
    secret.write_text("p { color: red }")
    (book / "styles").mkdir()
    (book / "styles" / "linked.css").symlink_to(secret)
    with pytest.raises(RefusedURL, match="outside the book folder"):
        BookFetcher(book).fetch((book / "styles" / "linked.css").as_uri())


def test_a_relative_path_climbing_out_in_css_fails_the_build(book: Path) -> None:
    (book / "styles").mkdir()
    (book / "styles" / "print.css").write_text('@import url("../../../../../../etc/passwd");\n')
    err = io.StringIO()
    assert main(["build", "--quiet", str(book)], err) == 1
    assert "outside the book folder" in err.getvalue()


def test_files_inside_the_book_are_served(book: Path) -> None:
    (book / "styles").mkdir()
    (book / "styles" / "extra.css").write_text("p { margin: 0 }")
    response = BookFetcher(book).fetch((book / "styles" / "extra.css").as_uri())
    assert response.read() == b"p { margin: 0 }"


def test_data_urls_over_the_bound_are_refused(book: Path) -> None:
    small = "data:text/css;base64," + base64.b64encode(b"p{}").decode()
    assert BookFetcher(book).fetch(small).read() == b"p{}"
    big = "data:text/plain;base64," + "A" * (MAX_DATA_URL_BYTES + 1)
    with pytest.raises(RefusedURL, match="data URL larger than"):
        BookFetcher(book).fetch(big)
