"""`book-builder serve`: a live preview of a book on a local web page.

In: a book folder, a host (127.0.0.1 unless asked) and a port. Out: a page
that shows the book as a reader sees it (the EPUB's own XHTML documents, a page
at a time, with the nav) and as it prints (page images of one chapter laid out
alone), rebuilt on every save and reloaded in the browser by itself, with a
build's problems listed as file:line. Made of:

- ``snapshot``: the book folder -> the reader edition in memory, or its problems
  (the build's own stages: config, manuscript, style checks, render, the EPUB's
  finishing of each document);
- ``printview``: one chapter of a Book -> its print pages as PNG images;
- ``watch``: a thread that turns changes in the book folder into rebuilds;
- ``page``: the preview page's markup and script;
- ``server``: the HTTP server on the standard library's ThreadingHTTPServer,
  which answers only from the snapshot in memory (nothing else is served);
  ``serve()`` there is what the command runs.
"""
