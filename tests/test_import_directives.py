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


# --- GitBook / HonKit ------------------------------------------------------------------------------


@pytest.mark.parametrize(("style", "kind"), [
    ("info", "NOTE"), ("success", "TIP"), ("warning", "WARNING"), ("danger", "CAUTION"), ("tip", "TIP"),
])
def test_a_hint_becomes_a_github_alert(tmp_path: Path, style: str, kind: str) -> None:
    text = (f'Before\n{{% hint style="{style}" %}}\n**Bold** start\n\nsecond paragraph\n'
            "{% endhint %}\nAfter\n")
    result = _expand(tmp_path, text, "gitbook")
    assert result.text == f"Before\n\n> [!{kind}]\n> **Bold** start\n>\n> second paragraph\n\nAfter\n"
    assert result.notes == ()


def test_a_hint_on_one_line_and_one_of_no_style_are_notes(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{% hint style='info' %}Inline hint{% endhint %}\n\n{% hint %}\nplain\n"
                               "{% endhint %}\n", "gitbook")
    assert result.text == "> [!NOTE]\n> Inline hint\n\n> [!NOTE]\n> plain\n"


def test_a_fence_in_a_hint_is_quoted_apart_and_renders_as_code(tmp_path: Path) -> None:
    text = '{% hint style="warning" %}\nRun:\n```bash\necho {% not a tag %}\n```\nThen look.\n{% endhint %}\n'
    result = _expand(tmp_path, text, "gitbook")
    assert result.text == ("> [!WARNING]\n> Run:\n>\n> ```bash\n> echo {% not a tag %}\n> ```\n>\n"
                           "> Then look.\n")
    html = _html(result.text)
    assert '<div class="admonition warning">' in html
    assert "<p>Then look.</p>" in html and "echo" in html


def test_a_hint_of_an_unknown_style_is_a_note(tmp_path: Path) -> None:
    result = _expand(tmp_path, '{% hint style="purple" %}\nx\n{% endhint %}\n', "gitbook")
    assert result.text == "> [!NOTE]\n> x\n"
    assert result.notes == ("""src/ch.md:1: {% hint style="purple" %}: the style 'purple' is not """
                            "GitBook's; shown as a note",)


def test_an_unclosed_hint_ends_with_the_file_and_a_stray_end_goes(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{% endhint %}\ntext\n{% hint %}\ninside", "gitbook")
    assert result.text == "text\n\n> [!NOTE]\n> inside"
    assert result.notes == ("src/ch.md:1: {% endhint %} closes no {% hint %}; left out",
                            "src/ch.md:3: {% hint %} is never closed; it ends with the file")


def test_a_code_block_gives_its_title_and_line_numbers_to_its_fence(tmp_path: Path) -> None:
    text = ('{% code title="index.js" overflow="wrap" lineNumbers="true" %}\n\n```javascript\nrun();\n```\n\n'
            "{% endcode %}\n")
    result = _expand(tmp_path, text, "gitbook")
    assert result.text == '```javascript title="index.js" linenums="1"\nrun();\n```\n'
    html = _html(result.text)
    assert '<span class="filename">index.js</span>' in html and 'class="linenos"' in html


def test_a_code_block_without_a_fence_keeps_its_content(tmp_path: Path) -> None:
    result = _expand(tmp_path, '{% code title="x" %}\nno fence\n{% endcode %}\n', "gitbook")
    assert result.text == "no fence\n"
    assert result.notes == ("""src/ch.md:1: {% code title="x" %} holds no code fence; its title is """
                            "left out",)


def test_raw_keeps_its_content_literally(tmp_path: Path) -> None:
    text = ("{% raw %}\n{{ book.version }} and {% include 'x.md' %}\n{% endraw %}\n"
            "Line {% raw %}{{ a }}{% endraw %}.\n")
    result = _expand(tmp_path, text, "gitbook", variables={"version": "2"})
    assert result.text == ("\\{\\{ book.version \\}\\} and \\{% include 'x.md' %\\}\n\n"
                           "Line \\{\\{ a \\}\\}.\n")
    assert result.notes == ()
    assert "<p>{{ book.version }} and {% include" in _html(result.text)


def test_tabs_become_labelled_sections(tmp_path: Path) -> None:
    text = ('{% tabs %}\n{% tab title="Windows" %}\nRun setup.exe\n{% endtab %}\n\n{% tab title="Linux" %}\n'
            "Run ./setup\n{% endtab %}\n{% endtabs %}\n")
    result = _expand(tmp_path, text, "gitbook")
    assert result.text == "**Windows**\n\nRun setup.exe\n\n**Linux**\n\nRun ./setup\n"


def test_an_embed_becomes_a_link_and_a_content_ref_its_content(tmp_path: Path) -> None:
    text = ('{% embed url="https://example.com/v?a=1" %}\n\n{% content-ref url="b.md" %}\n[b.md](b.md)\n'
            "{% endcontent-ref %}\n")
    result = _expand(tmp_path, text, "gitbook")
    assert result.text == "<https://example.com/v?a=1>\n\n[b.md](b.md)\n"


def test_an_unknown_tag_goes_its_content_stays_and_it_is_noted(tmp_path: Path) -> None:
    result = _expand(tmp_path, "Para\n{% stepper %}\n{% step %}\nStep one\n{% endstep %}\n{% endstepper %}\n",
                     "gitbook")
    assert result.text == "Para\n\nStep one\n"
    assert result.notes == (
        "src/ch.md:2: the GitBook tag {% stepper %} is not one this import knows; the tag (and its "
        "{% endstepper %}, if any) is left out, what it holds is kept",
        "src/ch.md:3: the GitBook tag {% step %} is not one this import knows; the tag (and its "
        "{% endstep %}, if any) is left out, what it holds is kept")


def test_tags_in_code_are_left_alone_as_gitbook_escapes_code(tmp_path: Path) -> None:
    text = "Use `{% hint %}` here.\n\n```liquid\n{% raw %}\n{% hint %}\n{{ book.x }}\n```\n"
    result = _expand(tmp_path, text, "gitbook", variables={"x": "1"})
    assert result.text == text
    assert result.notes == ()


def test_an_include_is_expanded_and_templated_in_turn(tmp_path: Path) -> None:
    files = {"src/parts/a.md": 'Included\n{% include "b.md" %}\n', "src/parts/b.md": "Version {{ book.v }}\n",
             "top.md": "From the top\n"}
    result = _expand(tmp_path, '{% include "parts/a.md" %}\nSee: {% include "/top.md" %}\n', "gitbook",
                     files=files, variables={"v": "3"})
    assert result.text == "Included\nVersion 3\nSee: From the top\n"


def test_an_include_out_of_the_book_or_missing_is_noted_and_kept_visible(tmp_path: Path) -> None:
    write_file(tmp_path / "outside.md", "secret\n")
    result = _expand(tmp_path, "{% include '../../outside.md' %}\n{% include 'gone.md' %}\n"
                               '{% include "git+https://github.com/x/y.git/README.md" %}\n', "gitbook")
    assert "secret" not in result.text
    assert result.text == ("\\{% include '../../outside.md' %\\}\n\\{% include 'gone.md' %\\}\n"
                           '\\{% include "git+https://github.com/x/y.git/README.md" %\\}\n')
    assert [note.split(" is not expanded")[0] for note in result.notes] == [
        "src/ch.md:1: {% include '../../outside.md' %}", "src/ch.md:2: {% include 'gone.md' %}",
        'src/ch.md:3: {% include "git+https://github.com/x/y.git/README.md" %}']
    assert "outside the book folder" in result.notes[0]
    assert "src/gone.md: cannot read the file" in result.notes[1]


def test_gitbook_includes_nest_at_most_ten_deep(tmp_path: Path) -> None:
    result = _expand(tmp_path, '{% include "loop.md" %}\n', "gitbook",
                     files={"src/loop.md": 'again\n{% include "loop.md" %}\n'})
    assert result.text.split() == ["again"] * 10
    assert result.notes == ('src/loop.md:2: {% include "loop.md" %} is nested 10 includes deep (a file that '
                            "includes itself?); left out there",)


def test_variables_are_filled_in_or_noted(tmp_path: Path) -> None:
    text = "v{{ book.version }}, {{book.a.b}}, {{ book.none }}, {{ page.title }}\n"
    given = _expand(tmp_path, text, "gitbook", variables={"version": "1.2", "a.b": "AB"})
    assert given.text == "v1.2, AB, \\{\\{ book.none \\}\\}, \\{\\{ page.title \\}\\}\n"
    assert given.notes == ("src/ch.md:1: {{ book.none }} is kept as written: no such variable in book.json",
                           "src/ch.md:1: {{ page.title }} is kept as written: only {{ book.name }} "
                           "variables are filled in")
    none = _expand(tmp_path, "{{ book.version }}\n", "gitbook")
    assert none.notes == ("src/ch.md:1: {{ book.version }} is kept as written: no book.json variables "
                          "were given",)


def test_plain_keeps_unknown_tags_and_variables(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{% highlight ruby %}\nx\n{% endhighlight %}\n{{ site.name }}\n"
                               "{% hint %}\nknown\n{% endhint %}\n", "plain")
    assert result.text == ("\\{% highlight ruby %\\}\nx\n\\{% endhighlight %\\}\n\\{\\{ site.name \\}\\}\n\n"
                           "> [!NOTE]\n> known\n")
    assert len(result.notes) == 2 and "looks like a template tag" in result.notes[0]


# --- Leanpub ---------------------------------------------------------------------------------------


def test_a_code_include_fences_the_file_with_its_language_and_caption(tmp_path: Path) -> None:
    result = _expand(tmp_path, "Text\n<<[Hello, world](code/hello.rb)\nMore\n", "leanpub",
                     files={"src/code/hello.rb": "puts 'hello'\n"})
    assert result.text == "Text\n\n```ruby title=\"Hello, world\"\nputs 'hello'\n```\n\nMore\n"
    assert '<span class="filename">Hello, world</span>' in _html(result.text)


def test_a_code_include_is_found_at_the_top_of_the_manuscript_too(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{format: text}\n<<(code/x.py)\n", "leanpub", chapter="manuscript/ch/1.md",
                     files={"manuscript/code/x.py": "```\n"})
    # The book folder here is tmp_path/book: chapters in manuscript/ch/ find code/ at the top
    assert result.notes[0].startswith("manuscript/ch/1.md:2: <<(code/x.py) is not expanded")
    result = _expand(tmp_path, "{format: text}\n<<(code/y.py)\n", "leanpub", chapter="ch.md",
                     files={"code/y.py": "```\n"})
    assert result.text == "````text\n```\n````\n"


def test_a_missing_or_outside_code_include_is_noted_and_kept(tmp_path: Path) -> None:
    result = _expand(tmp_path, "<<(gone.rb)\n\n<<[x](../../../../../../../etc/passwd)\n", "leanpub")
    assert result.text == "<<(gone.rb)\n\n<<[x](../../../../../../../etc/passwd)\n"
    assert result.notes[0].startswith("src/ch.md:1: <<(gone.rb) is not expanded")
    assert result.notes[1].startswith("src/ch.md:3: <<[x](../../../../../../../etc/passwd) is not expanded")
    assert "outside the book folder" in result.notes[1]


def test_an_attribute_line_goes_into_the_fence_after_it(tmp_path: Path) -> None:
    text = ('{lang=python, title="Example", linenos=on}\n```\nprint(1)\n```\n\n'
            "{linenos=off}\n```ruby\nx\n```\n")
    result = _expand(tmp_path, text, "leanpub")
    assert result.text == '```python title="Example" linenums="1"\nprint(1)\n```\n\n```ruby\nx\n```\n'


def test_other_attribute_lines_go_with_a_note(tmp_path: Path) -> None:
    result = _expand(tmp_path, "{width: 60%}\n![A cat](cat.png)\n", "leanpub")
    assert result.text == "![A cat](cat.png)\n"
    assert result.notes == ("src/ch.md:1: the attribute line {width: 60%} is left out (the builder has "
                            "no use for it here)",)


@pytest.mark.parametrize(("letter", "head"), [
    ("W", "> [!WARNING]"), ("T", "> [!TIP]"), ("I", "> [!NOTE]"), ("E", "> [!CAUTION]"),
])
def test_warning_tip_information_and_error_asides_become_alerts(tmp_path: Path, letter: str,
                                                                head: str) -> None:
    aside = ["**Title**", "", "```ruby", "x = 1", "```", "after"]
    text = "Before\n\n" + "".join(f"{letter}> {line}".rstrip() + "\n" for line in aside) + "\nAfter\n"
    result = _expand(tmp_path, text, "leanpub")
    assert result.text == (f"Before\n\n{head}\n> **Title**\n>\n> ```ruby\n> x = 1\n> ```\n>\n> after\n"
                           "\nAfter\n")


@pytest.mark.parametrize(("letter", "head"), [
    ("A", '!!! aside ""'), ("B", '!!! blurb ""'), ("D", '!!! discussion "Discussion"'),
    ("Q", '!!! question "Question"'), ("X", '!!! exercise "Exercise"'),
])
def test_other_asides_become_boxes_labelled_as_leanpub_labels_them(tmp_path: Path, letter: str,
                                                                   head: str) -> None:
    result = _expand(tmp_path, f"{letter}> First\n{letter}>\n{letter}> Second\n", "leanpub")
    assert result.text == f"{head}\n    First\n\n    Second\n"


def test_asides_next_to_each_other_stay_apart(tmp_path: Path) -> None:
    result = _expand(tmp_path, "Q> Why?\nX> Do it.\nA> Aside\n", "leanpub")
    html = _html(result.text)
    assert html.count('<div class="admonition') == 3
    assert "<p>Why?</p>" in html and "<p>Do it.</p>" in html and "<p>Aside</p>" in html


def test_markua_blocks_become_boxes_and_quotes(tmp_path: Path) -> None:
    text = ("{aside}\nAn aside\n{/aside}\n\n{blurb, class: warning}\nCareful\n{/blurb}\n\n"
            "{blockquote}\nSaid\n{/blockquote}\n")
    result = _expand(tmp_path, text, "leanpub")
    assert result.text == '!!! aside ""\n    An aside\n\n> [!WARNING]\n> Careful\n\n> Said\n'


def test_matter_and_page_break_lines_go_and_paragraphs_stay_apart(tmp_path: Path) -> None:
    text = "{frontmatter}\n# Preface\n{sample: true}\nOne\n{pagebreak}\nTwo\n\n{mainmatter}\n\n{backmatter}\n"
    result = _expand(tmp_path, text, "leanpub")
    assert result.text == "# Preface\n\nOne\n\nTwo\n"
    assert _html(result.text).count("<p>") == 2


def test_leanpub_insert_markers_go_from_code(tmp_path: Path) -> None:
    text = "```\nold()\nleanpub-start-insert\nnew()\nleanpub-end-insert\n```\n"
    assert _expand(tmp_path, text, "leanpub").text == "```\nold()\nnew()\n```\n"


def test_leanpub_lines_inside_code_are_left_alone(tmp_path: Path) -> None:
    text = "```\nW> not an aside\n{pagebreak}\n<<(x.rb)\n```\n"
    assert _expand(tmp_path, text, "leanpub").text == text


def test_plain_leaves_asides_alone_but_takes_the_unambiguous_rest(tmp_path: Path) -> None:
    # Q> and A> may be a dialogue in any Markdown; <<(file) and {pagebreak} mean nothing else
    text = "Q> Who?\nA> Me.\n\n{pagebreak}\n\n{lang=c}\n```\nint x;\n```\n"
    result = _expand(tmp_path, text, "plain")
    assert result.text == "Q> Who?\nA> Me.\n\n```c\nint x;\n```\n"


# --- all flavours ----------------------------------------------------------------------------------


def test_every_line_of_author_text_is_kept_in_order(tmp_path: Path) -> None:
    text = ("# Title\n\nFirst paragraph\nwith two lines.\n\n{% hint style=\"info\" %}\nHint line one\n\n"
            "Hint line two\n{% endhint %}\n\nW> Aside line\n\n- list item\n  continued\n\n"
            "```rust\nlet a = 1;\n```\n\n{pagebreak}\n\nLast line.\n")
    result = _expand(tmp_path, text, "plain")
    author = ["# Title", "First paragraph", "with two lines.", "Hint line one", "Hint line two",
              "W> Aside line", "- list item", "  continued", "let a = 1;", "Last line."]
    positions = [result.text.find(line) for line in author]
    assert -1 not in positions and positions == sorted(positions)
