"""Other tools' template directives -> plain Markdown (builder/importing/directives.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import pytest

from builder.bookfolder import BookFolder
from builder.importing import directives
from builder.importing.directives import Expanded, Flavour, expand
from builder.manuscript import new_markdown
from tests.helpers import write_file


def _expand(tmp_path: Path, text: str, flavour: Flavour = "mdbook", files: Mapping[str, str] | None = None,
            chapter: str = "src/ch.md", variables: Mapping[str, str] | None = None) -> Expanded:
    """*text* as the file *chapter* of a book in tmp_path/book that also holds *files*."""
    root = tmp_path / "book"
    for name, content in (files or {}).items():
        write_file(root / name, content)
    path = write_file(root / chapter, text)
    return expand(text, path, BookFolder.at(root), flavour, variables)


def _html(markdown: str) -> str:
    return new_markdown().convert(markdown)


LINES = "one\ntwo\nthree\nfour\n"


# --- mdBook: includes ------------------------------------------------------------------------------


def test_an_include_puts_the_file_in_place_inside_a_fence(tmp_path: Path) -> None:
    result = _expand(tmp_path, "Before\n\n```rust\n{{#include code.rs}}\n```\n",
                     files={"src/code.rs": "fn main() {}\n"})
    assert result.text == "Before\n\n```rust\nfn main() {}\n```\n"
    assert result.notes == ()


def test_an_include_is_relative_to_the_including_file(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#include ../shared/a.md}}\n", chapter="src/part/ch.md",
                     files={"src/shared/a.md": "{{#include b.md}}\n", "src/shared/b.md": "from b\n"})
    assert result.text == "from b\n"


@pytest.mark.parametrize(("spec", "expected"), [
    (":2", "two"), ("::2", "one\ntwo"), (":3:", "three\nfour"), (":2:3", "two\nthree"), (":0", "one"),
    ("", "one\ntwo\nthree\nfour"),
])
def test_line_ranges_are_mdbooks_one_based_inclusive_ranges(tmp_path: Path, spec: str, expected: str) -> None:
    result = _expand(tmp_path, f"{{{{#include lines.txt{spec}}}}}\n", files={"src/lines.txt": LINES})
    assert result.text == expected + "\n"


def test_a_range_past_the_end_includes_nothing_and_says_so(tmp_path: Path) -> None:
    result = _expand(tmp_path, "x\n{{#include lines.txt:9:12}}\n", files={"src/lines.txt": LINES})
    assert result.text == "x\n\n"
    assert result.notes == ("src/ch.md:2: {{#include lines.txt:9:12}}: the file has only 4 lines; "
                            "nothing included",)


ANCHORED = """\
// ANCHOR: all
use std::io;
// ANCHOR: main
fn main() {
    // ANCHOR: inner
    run();
    // ANCHOR_END: inner
}
// ANCHOR_END: main
// ANCHOR_END: all
"""


def test_an_anchor_includes_its_lines_without_any_anchor_lines(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#include code.rs:main}}\n", files={"src/code.rs": ANCHORED})
    assert result.text == "fn main() {\n    run();\n}\n"


def test_a_whole_file_include_keeps_anchor_lines_as_mdbook_does(tmp_path: Path) -> None:
    # mdBook (take_lines) strips anchor lines only from anchored includes
    result = _expand(tmp_path, "{{#include code.rs:2:4}}\n", files={"src/code.rs": ANCHORED})
    assert result.text == "use std::io;\n// ANCHOR: main\nfn main() {\n"


def test_an_unknown_anchor_includes_nothing_and_says_so(tmp_path: Path) -> None:
    result = _expand(tmp_path, "a\n\n{{#include code.rs:nope}}\n", files={"src/code.rs": ANCHORED})
    assert result.text == "a\n\n\n"
    assert result.notes == ("src/ch.md:3: {{#include code.rs:nope}}: no line in the file holds "
                            "'ANCHOR: nope'; nothing included",)


def test_rustdoc_include_keeps_only_the_lines_it_shows(tmp_path: Path) -> None:
    ranged = _expand(tmp_path, "{{#rustdoc_include code.rs:4:6}}\n", files={"src/code.rs": ANCHORED})
    anchored = _expand(tmp_path, "{{#rustdoc_include code.rs:inner}}\n")
    assert ranged.text == "fn main() {\n    // ANCHOR: inner\n    run();\n"
    assert anchored.text == "    run();\n"


def test_rustdoc_include_takes_every_section_of_an_anchor(tmp_path: Path) -> None:
    code = "// ANCHOR: a\nfirst\n// ANCHOR_END: a\nhidden\n// ANCHOR: a\nsecond\n// ANCHOR_END: a\n"
    result = _expand(tmp_path, "{{#rustdoc_include c.rs:a}}\n", files={"src/c.rs": code})
    assert result.text == "first\nsecond\n"


def test_playground_fences_the_file_as_rust_with_its_attributes(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#playground ex.rs editable no_run}}\n", files={"src/ex.rs": "fn main() {}"})
    assert result.text == "```rust,editable,no_run\nfn main() {}\n```\n"


def test_a_playground_file_holding_a_fence_gets_a_longer_fence(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#playground ex.rs}}\n", files={"src/ex.rs": "/// ```\n/// x\n/// ```\n"})
    assert result.text.splitlines()[0] == "```rust"  # the doc comment's fence is not at a line start
    result = _expand(tmp_path, "{{#playground ex.rs}}\n", files={"src/ex.rs": "```\nx\n```\n"})
    assert result.text == "````rust\n```\nx\n```\n````\n"


def test_title_goes_and_an_escaped_directive_loses_its_backslash(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#title The Page}}\n# Heading\n\n```hbs\n\\{{#include file.rs}}\n```\n")
    assert result.text == "\n# Heading\n\n```hbs\n{{#include file.rs}}\n```\n"
    assert result.notes == ()


def test_each_line_of_an_include_repeats_what_stands_before_it(tmp_path: Path) -> None:
    # mdBook after 0.5.4: quotes, list indents and a hiding `# ` hold for the whole include
    text = "> ```rust\n> {{#include code.rs}}\n> ```\n\n```rust\n# {{#include code.rs}}\nshown();\n```\n"
    result = _expand(tmp_path, text, files={"src/code.rs": "a();\nb();\n"})
    assert result.text == "> ```rust\n> a();\n> b();\n> ```\n\n```rust\nshown();\n```\n"


def test_includes_nest_at_most_ten_deep(tmp_path: Path) -> None:
    files = {"src/loop.md": "again\n{{#include loop.md}}\n"}
    result = _expand(tmp_path, "{{#include loop.md}}\n", files=files)
    assert result.text == "again\n" * 10
    assert result.notes == ("src/loop.md:2: {{#include loop.md}} is nested 10 includes deep (a file that "
                            "includes itself?); left out there, as mdBook does",)


def test_includes_that_multiply_stop_at_the_size_limit(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(directives, "MAX_INCLUDED_BYTES", 10_000)
    twice = "x" * 100 + "\n{{#include twice.md}}\n{{#include twice.md}}\n"
    result = _expand(tmp_path, "{{#include twice.md}}\n", files={"src/twice.md": twice})
    reads = -(-10_000 // len(twice))  # files are read until they add up past the limit (1,023 without)
    assert result.text.count("x" * 100) == reads
    assert any("grown past 10,000 bytes of included text" in note for note in result.notes)


# --- mdBook: what cannot be included ---------------------------------------------------------------


def test_a_missing_file_is_noted_with_its_place_and_kept_visible(tmp_path: Path) -> None:
    result = _expand(tmp_path, "# T\n\n{{#include gone.rs}}\n")
    assert result.notes == ("src/ch.md:3: {{#include gone.rs}} is not expanded (src/gone.rs: cannot read "
                            "the file: No such file or directory); kept as written",)
    # escaped, or attr_list would read the braces ending the paragraph as its attributes
    assert result.text == "# T\n\n\\{\\{#include gone.rs\\}\\}\n"
    assert "<p>{{#include gone.rs}}</p>" in _html(result.text)


def test_a_directive_kept_inside_code_is_kept_exactly(tmp_path: Path) -> None:
    result = _expand(tmp_path, "```rust\n{{#include gone.rs}}\n```\n\nSee `{{#include gone.rs}}`.\n")
    assert result.text == "```rust\n{{#include gone.rs}}\n```\n\nSee `{{#include gone.rs}}`.\n"
    assert len(result.notes) == 2


def test_an_include_out_of_the_book_gives_a_note_and_no_content(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#include ../../../../../../../../etc/passwd}}\n")
    assert "root:" not in result.text
    assert len(result.notes) == 1
    assert result.notes[0].startswith("src/ch.md:1: {{#include ../../../../../../../../etc/passwd}} is not "
                                      "expanded")
    assert "outside the book folder" in result.notes[0]


def test_a_symlink_out_of_the_book_gives_a_note_and_no_content(tmp_path: Path) -> None:
    write_file(tmp_path / "secret.txt", "the secret\n")
    (tmp_path / "book" / "src").mkdir(parents=True)
    os.symlink(tmp_path / "secret.txt", tmp_path / "book" / "src" / "link.txt")
    result = _expand(tmp_path, "```\n{{#include link.txt}}\n```\n")
    assert "the secret" not in result.text
    assert len(result.notes) == 1
    assert "src/link.txt" in result.notes[0]
    assert "outside the book folder" in result.notes[0]


def test_an_unknown_directive_is_kept_and_noted(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{{#katex x^2}}\n")
    assert result.text == "\\{\\{#katex x^2\\}\\}\n"
    assert result.notes == ("src/ch.md:1: {{#katex x^2}} is not an mdBook directive this import knows; "
                            "kept as written",)


# --- mdBook: Rust code blocks ----------------------------------------------------------------------

HIDDEN = """\
# #![allow(unused)]
# fn main() {
#
##[derive] is shown as #[derive]
#[derive(Debug)]
#![no_std]
    # indented hidden
#\tkept (a tab is not a space)
let x = 1;
# }
"""
SHOWN = ("#[derive] is shown as #[derive]\n#[derive(Debug)]\n#![no_std]\n#\tkept (a tab is not a space)\n"
         "let x = 1;\n")


@pytest.mark.parametrize(("info", "new_info"), [
    ("rust", "rust"), ("rust,ignore", "rust,ignore"), ("rust ignore", "rust,ignore"),
    ("rust,no_run", "rust,no_run"), ("rust\tshould_panic, edition2021", "rust,should_panic,edition2021"),
])
def test_hidden_lines_go_from_rust_code(tmp_path: Path, info: str, new_info: str) -> None:
    result = _expand(tmp_path, f"```{info}\n{HIDDEN}```\n")
    assert result.text == f"```{new_info}\n{SHOWN}```\n"


@pytest.mark.parametrize("info", ["", "python", "rusty", "text,rust"])
def test_other_code_keeps_its_hash_lines(tmp_path: Path, info: str) -> None:
    result = _expand(tmp_path, f"```{info}\n{HIDDEN}```\n")
    assert result.text == f"```{info}\n{HIDDEN}```\n"


def test_hidden_lines_go_inside_quotes_and_lists(tmp_path: Path) -> None:
    text = "> ```rust\n> # hidden\n> shown\n> ```\n\n- item\n\n  ```rust\n  # hidden\n  shown\n  ```\n"
    result = _expand(tmp_path, text)
    assert result.text == "> ```rust\n> shown\n> ```\n\n- item\n\n  ```rust\n  shown\n  ```\n"


def test_a_hidelines_prefix_hides_lines_of_any_language(tmp_path: Path) -> None:
    result = _expand(tmp_path, "```python,hidelines=!!!\n!!!hidden()\nshown()\n    !!!hidden()\n```\n")
    assert result.text == "```python\nshown()\n```\n"


def test_an_mdbook_info_string_renders_as_code(tmp_path: Path) -> None:
    result = _expand(tmp_path, "```rust ignore\nfn main() {}\n```\n")
    assert '<span class="k">fn</span>' in _html(result.text)


def test_the_last_line_ending_is_kept_or_not_as_it_was(tmp_path: Path) -> None:
    assert _expand(tmp_path, "text").text == "text"
    assert _expand(tmp_path, "text\n").text == "text\n"


def test_an_unknown_flavour_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown flavour 'sphinx'"):
        expand("x", tmp_path / "x.md", BookFolder.at(tmp_path), "sphinx")  # type: ignore[arg-type]
