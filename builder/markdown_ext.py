"""Our Python-Markdown extension: block placeholders such as `[[author-table]]`.

In: a Markdown block that is exactly `[[name]]` on its own.
Out: an empty `<div data-placeholder="name"/>` in the tree, which the
manuscript stage turns into a body part the template fills (the author table
is rendered by the shared template from book/author.toml, not by Markdown).
The extension only wires up; the processor does the work.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree

from markdown import Markdown
from markdown.blockparser import BlockParser
from markdown.blockprocessors import BlockProcessor
from markdown.extensions import Extension

PLACEHOLDER = re.compile(r"^\[\[([a-z][a-z0-9-]*)\]\]$")
# Above the paragraph processor (10) so the line is never read as text.
PLACEHOLDER_PRIORITY = 95


class PlaceholderProcessor(BlockProcessor):
    def test(self, parent: etree.Element, block: str) -> bool:
        return bool(PLACEHOLDER.match(block.strip()))

    def run(self, parent: etree.Element, blocks: list[str]) -> bool:
        match = PLACEHOLDER.match(blocks.pop(0).strip())
        assert match is not None  # test() accepted the block
        element = etree.SubElement(parent, "div")
        element.set("data-placeholder", match[1])
        return True


class PlaceholderExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        parser: BlockParser = md.parser
        parser.blockprocessors.register(
            PlaceholderProcessor(parser), "builder-placeholder", PLACEHOLDER_PRIORITY
        )
