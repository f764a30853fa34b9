"""Style checks: the book's style sheets -> problems with file, line and column.

In: the Book's style sheets (the book's own or the project's defaults). Out:
Diagnostics in a Problems collector. WeasyPrint's own CSS messages ("Ignored
`colr: red` at 3:5, unknown property") are caught per sheet, so each names its
file; an @font-face whose src points at a missing file is an error (WeasyPrint
would silently fall back to another face).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tinycss2

from builder.bookfolder import BookFolder
from builder.errors import Location, Problems
from builder.layout_messages import css_diagnostic, weasyprint_messages
from builder.model import Book
from builder.stylesheets import edition_sheets, style_path


def check_styles(book: Book, problems: Problems, with_weasyprint: bool = True) -> None:
    """Syntax and font files always; WeasyPrint's own reading of each sheet when
    *with_weasyprint* (a build skips it: the layout reports the same messages)."""
    # The sheets WeasyPrint reads (the EPUB's are for e-readers, checked for syntax only).
    print_sheets = edition_sheets("print", [name for name, _ in book.styles])
    for name, css in book.styles:
        path = style_path(book.meta.root, name)
        rules = tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True)
        _check_syntax(path, rules, problems)
        _check_font_faces(path, rules, book.meta.root, problems)
        if with_weasyprint and name in print_sheets:
            _check_with_weasyprint(path, css, book.meta.root, problems)


def _check_syntax(path: Path, rules: list[Any], problems: Problems) -> None:
    for rule in rules:
        if rule.type == "error":
            problems.error(f"CSS syntax error: {rule.message}", Location(path, rule.source_line,
                                                                          rule.source_column))


def _check_font_faces(path: Path, rules: list[Any], book_root: Path, problems: Problems) -> None:
    for rule in rules:
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        for declaration in tinycss2.parse_blocks_contents(rule.content, skip_comments=True,
                                                          skip_whitespace=True):
            if declaration.type != "declaration" or declaration.lower_name != "src":
                continue
            for token in declaration.value:
                url = _url_of(token)
                if url is None or re.match(r"^[a-z]+:", url):
                    continue
                if not BookFolder.at(book_root).is_file(path.parent / url):
                    problems.error(f"@font-face src url({url}) points at no file in the book; put "
                                   "the font file there or fix the path",
                                   Location(path, token.source_line, token.source_column))


def _url_of(token: object) -> str | None:
    if getattr(token, "type", None) == "url":
        return str(getattr(token, "value", ""))
    if getattr(token, "type", None) == "function" and getattr(token, "lower_name", "") == "url":
        strings = [a for a in getattr(token, "arguments", []) if getattr(a, "type", "") == "string"]
        return str(strings[0].value) if strings else None
    return None


def _check_with_weasyprint(path: Path, css: str, book_root: Path, problems: Problems) -> None:
    from builder.speed.library_lookup import import_weasyprint

    import_weasyprint()
    from weasyprint import CSS

    from builder.fetch import BookFetcher, RefusedURL

    with weasyprint_messages() as collected:
        try:
            CSS(string=css, base_url=path.resolve().as_uri(), url_fetcher=BookFetcher(book_root))
        except RefusedURL as exc:
            problems.error(str(exc.args[0]), Location(path))
        except Exception as exc:  # WeasyPrint raises on a few unrecoverable sheets
            problems.error(f"the style sheet cannot be read: {exc}", Location(path))
    records = collected.records
    syntax_reported = any(d.level == "error" and d.path == path for d in problems.items)
    for record in records:
        message = record.getMessage()
        if syntax_reported and message.startswith("Error:"):
            continue  # tinycss2 has named this syntax error already
        problems.items.append(css_diagnostic(path, message))
