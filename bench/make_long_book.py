"""Write a long, deterministic book folder for the benchmark.

In: an output folder, and optionally a seed, a chapter count and a words-per-chapter
target. Out: a book folder the builder accepts (``book/book.toml`` with title,
authors and language; ``chapters/NN-slug.md``), no ``styles/`` (the builder falls
back to the project's own). Same arguments, same bytes: the text comes from a
seeded ``random.Random`` and nothing is read from the network or the clock.

The chapters mix what a real non-fiction book has: English-like prose with smart
punctuation (quotes, ``---`` dashes, ``...``), emphasis, second- and third-level
headings, bullet and numbered lists, pipe tables and ``[^n]`` footnotes. With the
defaults (40 chapters of about 2,100 words) the print PDF is about 300 pages at
6 x 9 in.

``--kind technical`` writes the technical book instead: the same kind of prose
(with technical words and inline code), plus 300 fenced code blocks (Python, Bash,
TOML, JSON and some without a language; some lines long enough to wrap) and 50
figures, drawn with Pillow into ``chapters/images/`` (diagrams and charts 400 to
1,600 px wide as PNG, every tenth a photograph-like JPEG) and written
``![alt](images/fig-NN.png "Figure NN: caption")``. With the defaults (48
chapters of about 1,900 words) the print PDF is about 500 pages at 6 x 9 in. Its
bytes depend only on the seed (and on Pillow's version, for the pictures).

Run: ``python bench/make_long_book.py OUT_DIR [--kind long|technical] [--seed N] [--chapters N]
[--words N] [--code-blocks N] [--figures N]``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import random
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

DEFAULT_SEED = 20251015
DEFAULT_CHAPTERS = 40
DEFAULT_WORDS = 2100

def _split(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


# Common English words with a rough frequency rank: earlier = more frequent.
_FUNCTION_WORDS = _split(
    "the of and to a in that it was he for on is with as his they at be this from had not but "
    "by her she or were their which we all an when there been one would so if what who them "
    "out up into could more no its about then than only my over our after before through"
)
_CONTENT_WORDS = _split(
    "time people year way day man thing woman life child world school state family student "
    "group country problem hand part place case week company system program question work "
    "government number night point home water room mother area money story fact month lot "
    "right study book eye job word business issue side kind head house service friend father "
    "power hour game line end member law car city community name president team minute idea "
    "kid body information back parent face others level office door health person art war "
    "history party result change morning reason research girl guy moment air teacher force "
    "education foot boy age policy music market sense nation plan college interest death "
    "experience effect class control care field development role effort rate heart drug show "
    "leader light voice wife police mind price report decision son view relationship town "
    "road arm difference value building action model season society tax director position "
    "player record paper space ground form event official matter center couple site project "
    "activity star table need court American oil situation cost industry figure street image "
    "phone data picture practice piece land product doctor wall patient worker news test "
    "movie north love support technology step baby computer type attention film Republican "
    "tree source organization hair window evidence population site summer memory neighbour "
    "village harbour letter evening winter garden kitchen silence journey manuscript "
    "archive chapter witness promise distance weather shadow corridor interview testimony "
    "photograph newspaper generation conversation neighbourhood responsibility independence "
    "understanding circumstances extraordinary nevertheless characteristically "
    "correspondence disappointment recommendation administration investigation "
    "go make know take see come think look want give use find tell ask seem feel try leave "
    "call keep hold bring begin write provide sit stand lose pay meet include continue set "
    "learn lead understand watch follow stop create speak read spend grow open walk win "
    "offer remember consider appear buy wait serve die send expect build stay fall cut reach "
    "remain suggest raise pass sell require decide return explain hope develop carry break "
    "receive agree wonder describe remember recognise whisper hesitate disappear "
    "good new first last long great little own other old right big high different small "
    "large next early young important few public bad same able late hard major better "
    "economic strong possible whole free military true federal international full special "
    "easy clear recent certain personal open red difficult available likely short single "
    "medical current wrong private past foreign fine common poor natural significant similar "
    "hot dead central happy serious ready simple left physical general environmental "
    "financial blue democratic dark various entire close legal religious cold final main "
    "green nice huge popular traditional cultural quiet careful sudden familiar remarkable "
    "very often still also just never always sometimes perhaps already almost quickly "
    "slowly together away again later soon finally probably certainly rather quite"
)
_NAMES = _split(
    "Tamara Samuel Leah Isaac Miriam Daniel Esther Jacob Ruth Elena Rafael Carmen Mateo Lucia "
    "Andrés Sofía Harriet Ambrose Wilhelmina Bartholomew"
)
_PLACES = _split(
    "Mexico City|Polanco|the Roma district|Veracruz|Cuernavaca|Tel Aviv|Haifa|Buenos Aires|"
    "New York|the old synagogue|the border crossing|the harbour at Veracruz",
    "|",
)
_OPENERS = (
    "In those years", "By the spring of that year", "Years later", "At first", "For a while",
    "Even so", "On the morning of the hearing", "Looking back", "In the letters that survive",
    "According to the court records", "As the family remembers it", "Much later",
)
_TABLE_HEADERS = (
    ("Year", "Event", "Place", "Source"),
    ("Name", "Role", "First appearance"),
    ("Episode", "Title", "Length", "Rating", "Notes"),
    ("Document", "Date", "Pages", "Archive"),
)


class _Writer:
    """Produces the Markdown; every choice goes through one seeded generator."""

    content_words: tuple[str, ...] = _CONTENT_WORDS

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.function_weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(_FUNCTION_WORDS))]
        self.content_weights = [1.0 / (rank + 4) ** 0.5 for rank in range(len(self.content_words))]

    def word(self) -> str:
        if self.rng.random() < 0.45:
            return self.rng.choices(_FUNCTION_WORDS, self.function_weights)[0]
        if self.rng.random() < 0.03:
            return self.rng.choice(_NAMES)
        if self.rng.random() < 0.01:
            return self.rng.choice(_PLACES)
        return self.rng.choices(self.content_words, self.content_weights)[0]

    def words(self, count: int) -> list[str]:
        return [self.word() for _ in range(count)]

    def sentence(self) -> str:
        words = self.words(self.rng.randint(6, 28))
        for _ in range(self.rng.choice((0, 0, 1, 1, 2))):
            place = self.rng.randrange(2, max(3, len(words) - 1))
            words[place - 1] += ","
        if self.rng.random() < 0.12 and len(words) > 8:
            start = self.rng.randrange(1, len(words) - 3)
            words[start] = "*" + words[start]
            words[start + 1] += "*"
        if self.rng.random() < 0.08 and len(words) > 10:
            words.insert(self.rng.randrange(3, len(words) - 2), "---")
        if self.rng.random() < 0.25:
            opener = self.rng.choice(_OPENERS).split()
            opener[-1] += ","
            words = [*opener, words[0].lower() if words[0] not in _NAMES else words[0], *words[1:]]
        text = " ".join(words).replace(" ---", "---").replace("--- ", "---")
        text = text[0].upper() + text[1:]
        ending = self.rng.choices((".", "?", "...", "!"), (90, 5, 3, 2))[0]
        text = text.rstrip(",") + ending
        if self.rng.random() < 0.1:
            text = f'"{text}" {self.rng.choice(_NAMES)} {self.rng.choice(("said", "wrote", "asked"))}.'
        return text

    def paragraph(self, footnotes: list[str]) -> str:
        sentences = [self.sentence() for _ in range(self.rng.randint(3, 9))]
        if self.rng.random() < 0.22:
            footnotes.append(" ".join(self.sentence() for _ in range(self.rng.randint(1, 3))))
            at = self.rng.randrange(len(sentences))
            sentences[at] += f"[^{len(footnotes)}]"
        return " ".join(sentences)

    def bullet_list(self) -> str:
        numbered = self.rng.random() < 0.35
        items = []
        for number in range(1, self.rng.randint(3, 7) + 1):
            marker = f"{number}." if numbered else "-"
            text = " ".join(self.words(self.rng.randint(3, 16)))
            items.append(f"{marker} {text[0].upper()}{text[1:]}.")
        return "\n".join(items)

    def table(self) -> str:
        header = self.rng.choice(_TABLE_HEADERS)
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        for _ in range(self.rng.randint(4, 10)):
            cells = [str(self.rng.randint(1950, 2025))]
            cells += [" ".join(self.words(self.rng.randint(1, 4))).capitalize() for _ in header[1:]]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines)

    def heading(self, level: int) -> str:
        text = " ".join(self.words(self.rng.randint(2, 6)))
        return "#" * level + " " + text.title()

    def prose(self, words_target: int, footnotes: list[str]) -> list[str]:
        """Blocks of prose, headings, lists, tables and quotes, about *words_target* words."""
        blocks: list[str] = []
        written = 0
        has_h2 = False
        while written < words_target:
            roll = self.rng.random()
            if roll < 0.06 and written > 200:
                # A third-level heading only under a second-level one: no skipped levels.
                level = 3 if has_h2 and self.rng.random() < 0.3 else 2
                has_h2 = True
                block = self.heading(level)
            elif roll < 0.11:
                block = self.bullet_list()
            elif roll < 0.14:
                block = self.table()
            elif roll < 0.16:
                block = "> " + self.paragraph(footnotes)
            else:
                block = self.paragraph(footnotes)
            blocks.append(block)
            written += len(block.split())
        return blocks

    def title(self) -> str:
        return " ".join(self.words(self.rng.randint(2, 6))).title()

    def chapter(self, number: int, words_target: int) -> tuple[str, str]:
        title = self.title()
        footnotes: list[str] = []
        blocks = [f"# {title}", *self.prose(words_target, footnotes)]
        return _chapter_file(number, title, blocks, footnotes)


def _chapter_file(number: int, title: str, blocks: list[str], footnotes: list[str]) -> tuple[str, str]:
    blocks = [*blocks, *(f"[^{n}]: {text}" for n, text in enumerate(footnotes, start=1))]
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"{number:02d}-{slug}.md", "\n\n".join(blocks) + "\n"


# --- the technical book: code blocks and figures as well ------------------------------------------

TECHNICAL_CHAPTERS = 48
TECHNICAL_WORDS = 1900
TECHNICAL_CODE_BLOCKS = 300
TECHNICAL_FIGURES = 50
TECHNICAL_JPEG_EVERY = 10  # figures 10, 20, ...: photographs, as JPEG

_TECH_WORDS = _split(
    "configuration parser cache module function request response server client build release "
    "version package dependency interface pipeline layout renderer template stylesheet schema "
    "manifest archive checksum buffer stream thread process queue worker index record token "
    "compiler interpreter runtime library framework endpoint payload header timeout retry "
    "deployment container registry repository commit branch merge test fixture benchmark "
    "profile metric latency throughput memory allocation encoding font glyph page margin"
)
_IDENTIFIER_PARTS = _split(
    "book page chapter cache config path build out dist font style layout render epub pdf meta "
    "title author index toc note figure image table item entry node tree root text line count "
    "size width height offset limit seed name slug key value data bytes stream queue worker"
)
_COMMANDS = _split(
    "python -m builder build|python -m builder check|make book|make test|git status|git log --oneline|"
    "pip install -e .|pdfinfo dist/book.pdf|unzip -l dist/book.epub|ls -l dist|du -sh dist|"
    "pandoc --version|weasyprint --info|epubcheck dist/book.epub",
    "|",
)
_LANGUAGES = ("python", "bash", "toml", "json", "")
_LANGUAGE_WEIGHTS = (35, 20, 15, 15, 15)
_FIGURE_KINDS = ("flow", "bars", "lines")


class _TechnicalWriter(_Writer):
    """The long book's prose with technical words, inline code, code blocks and figures."""

    content_words = _CONTENT_WORDS + _TECH_WORDS

    def word(self) -> str:
        if self.rng.random() < 0.012:
            return f"`{self.identifier()}`"
        return super().word()

    def identifier(self, parts: int = 0) -> str:
        return "_".join(self.rng.choice(_IDENTIFIER_PARTS) for _ in range(parts or self.rng.randint(1, 3)))

    def string(self, low: int, high: int) -> str:
        return " ".join(self.words(self.rng.randint(low, high))).replace("`", "").replace('"', "")

    # One generator per language; each returns the lines, some long enough to wrap.
    def python_code(self) -> list[str]:
        name, args = self.identifier(2), [self.identifier() for _ in range(self.rng.randint(1, 4))]
        lines = [f"def {name}({', '.join(args)}):", f'    """{self.string(4, 10).capitalize()}."""']
        for _ in range(self.rng.randint(2, 14)):
            roll = self.rng.random()
            target, source = self.identifier(), self.rng.choice(args)
            if roll < 0.15:
                lines.append(f"    # {self.string(4, 12)}")
            elif roll < 0.3:
                lines.append(f"    for {target} in {source}:")
                lines.append(f"        {self.identifier()} += len({target})")
            elif roll < 0.42:
                keywords = ", ".join(f"{self.identifier()}={self.identifier()}"
                                     for _ in range(self.rng.randint(4, 9)))
                lines.append(f"    {target} = {self.identifier(2)}({source}, {keywords})")
            elif roll < 0.5:
                lines.append(f'    {target} = "{self.string(10, 24)}"')
            else:
                lines.append(f"    {target} = {source}.{self.identifier()}({self.rng.randint(0, 4096)})")
        lines.append(f"    return {self.identifier()}")
        if self.rng.random() < 0.3:
            lines = ["from pathlib import Path", f"import {self.identifier(1)}", "", *lines]
        return lines

    def bash_code(self) -> list[str]:
        lines = []
        for _ in range(self.rng.randint(1, 8)):
            command = self.rng.choice(_COMMANDS)
            roll = self.rng.random()
            if roll < 0.2:
                lines.append(f"# {self.string(3, 10)}")
            elif roll < 0.35:
                flags = " ".join(f"--{self.identifier(2).replace('_', '-')} {self.identifier()}"
                                 for _ in range(self.rng.randint(3, 8)))
                lines.append(f"$ {command} {flags} | grep -v {self.identifier()} | sort | uniq -c")
            elif roll < 0.45:
                lines.append(f"$ export {self.identifier(2).upper()}={self.identifier()}")
            else:
                lines.append(f"$ {command}")
                lines += [f"{self.identifier()}: {self.rng.randint(1, 999)} {self.string(1, 5)}"
                          for _ in range(self.rng.randint(0, 3))]
        return lines

    def toml_code(self) -> list[str]:
        lines = []
        for _ in range(self.rng.randint(1, 4)):
            lines.append(f"[{self.identifier()}]")
            for _ in range(self.rng.randint(1, 5)):
                roll = self.rng.random()
                key = self.identifier()
                if roll < 0.3:
                    lines.append(f'{key} = "{self.string(1, 6)}"')
                elif roll < 0.5:
                    lines.append(f"{key} = {self.rng.randint(0, 10000)}")
                elif roll < 0.7:
                    lines.append(f"{key} = {self.rng.choice(('true', 'false'))}")
                else:
                    items = ", ".join(f'"{self.identifier()}"' for _ in range(self.rng.randint(2, 14)))
                    lines.append(f"{key} = [{items}]")
            lines.append("")
        return lines[:-1]

    def json_code(self) -> list[str]:
        def value(depth: int) -> object:
            roll = self.rng.random()
            if depth < 2 and roll < 0.3:
                return {self.identifier(): value(depth + 1) for _ in range(self.rng.randint(1, 4))}
            if roll < 0.4:
                return [self.rng.randint(0, 500) for _ in range(self.rng.randint(1, 6))]
            if roll < 0.6:
                return self.rng.randint(0, 100000)
            if roll < 0.7:
                return self.rng.random() < 0.5
            return self.string(1, 18)

        document = {self.identifier(): value(0) for _ in range(self.rng.randint(2, 6))}
        return json.dumps(document, indent=2).splitlines()

    def plain_code(self) -> list[str]:
        lines = []
        for _ in range(self.rng.randint(3, 16)):
            level = self.rng.choice(("INFO", "INFO", "INFO", "WARNING", "DEBUG"))
            path = f"chapters/{self.rng.randint(1, 48):02d}-{self.identifier(2).replace('_', '-')}.md"
            lines.append(f"{level:<7} {path}:{self.rng.randint(1, 400)}: {self.string(3, 22)}")
        return lines

    def code_block(self) -> str:
        language = self.rng.choices(_LANGUAGES, _LANGUAGE_WEIGHTS)[0]
        lines = {"python": self.python_code, "bash": self.bash_code, "toml": self.toml_code,
                 "json": self.json_code, "": self.plain_code}[language]()
        return "\n".join([f"```{language}", *lines, "```"])

    def figure(self, number: int, images: Path) -> str:
        """Draw figure *number* into *images*; return the Markdown that shows it."""
        jpeg = number % TECHNICAL_JPEG_EVERY == 0
        kind = "photo" if jpeg else self.rng.choice(_FIGURE_KINDS)
        width = self.rng.randrange(400, 1601, 8)
        height = int(width * self.rng.uniform(0.35, 0.75)) // 2 * 2
        name = f"fig-{number:02d}.{'jpg' if jpeg else 'png'}"
        labels = [self.identifier(1) for _ in range(self.rng.randint(3, 6))]
        alt = _draw_figure(kind, labels, width, height, self.rng, images / name)
        caption = f"Figure {number:02d}: {self.string(3, 12).capitalize()}"
        return f'![{alt}](images/{name} "{caption}")'

    def technical_chapter(self, number: int, words_target: int, codes: int, figures: Sequence[int],
                          images: Path) -> tuple[str, str]:
        title = self.title()
        footnotes: list[str] = []
        blocks = self.prose(words_target, footnotes)
        kinds = ["code"] * codes + ["figure"] * len(figures)
        self.rng.shuffle(kinds)
        numbers = iter(figures)  # figures keep their numbering order
        extras = [self.code_block() if kind == "code" else self.figure(next(numbers), images)
                  for kind in kinds]
        # The chapter opens with prose.
        places = sorted(self.rng.randrange(1, len(blocks) + 1) for _ in extras)
        for offset, (place, extra) in enumerate(zip(places, extras, strict=True)):
            blocks.insert(place + offset, extra)
        return _chapter_file(number, title, [f"# {title}", *blocks], footnotes)


def _draw_figure(kind: str, labels: list[str], width: int, height: int, rng: random.Random,
                 path: Path) -> str:
    """A simple diagram, chart or 'photograph', drawn with Pillow; return its alt text."""
    from PIL import Image, ImageDraw, ImageFont

    scale = width / 800
    font = ImageFont.load_default(size=max(12, int(22 * scale)))
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    ink, line = (40, 40, 40), max(1, int(3 * scale))
    if kind == "flow":
        count = len(labels)
        box_w, box_h = width / (count * 1.5), height / 4
        centres = []
        for i, label in enumerate(labels):
            x = width * (i + 0.5) / count
            y = height * (0.3 if i % 2 else 0.6)
            centres.append((x, y))
            draw.rounded_rectangle((x - box_w / 2, y - box_h / 2, x + box_w / 2, y + box_h / 2),
                                   radius=int(10 * scale), outline=ink, width=line,
                                   fill=(225, 235, 245) if i % 2 else (245, 235, 220))
            draw.text((x, y), label, fill=ink, font=font, anchor="mm")
        for (x1, y1), (x2, y2) in itertools.pairwise(centres):
            draw.line((x1 + box_w / 2, y1, x2 - box_w / 2, y2), fill=ink, width=line)
            draw.regular_polygon((x2 - box_w / 2 - 6 * scale, y2, 6 * scale), 3, rotation=-90, fill=ink)
        alt = f"Flow diagram: {' to '.join(labels)}"
    elif kind == "bars":
        values = [rng.randint(5, 100) for _ in labels]
        base, top, left = height * 0.85, height * 0.08, width * 0.08
        step = (width - left * 1.5) / len(values)
        draw.line((left, top, left, base, width - left / 2, base), fill=ink, width=line)
        for i, (label, value) in enumerate(zip(labels, values, strict=True)):
            x = left + step * (i + 0.2)
            draw.rectangle((x, base - (base - top) * value / 100, x + step * 0.6, base),
                           fill=(70 + 25 * i, 110, 160 - 15 * i))
            draw.text((x + step * 0.3, base + 4 * scale), label, fill=ink, font=font, anchor="ma")
        pairs = ", ".join(f"{label} {value}" for label, value in zip(labels, values, strict=True))
        alt = f"Bar chart of {len(values)} values: {pairs}"
    elif kind == "lines":
        left, base, top, right = width * 0.08, height * 0.9, height * 0.05, width * 0.97
        draw.line((left, top, left, base, right, base), fill=ink, width=line)
        for series in range(len(labels[:3])):
            level = rng.uniform(0.2, 0.8)
            points = []
            for step in range(21):
                level = min(0.95, max(0.05, level + rng.uniform(-0.08, 0.08)))
                points.append((left + (right - left) * step / 20, base - (base - top) * level))
            draw.line(points, fill=((200, 60, 60), (60, 140, 60), (60, 60, 200))[series], width=line)
            draw.text(points[-1], labels[series], fill=ink, font=font, anchor="rb")
        alt = f"Line chart comparing {', '.join(labels[:3])} over twenty steps"
    else:  # a 'photograph': a smooth gradient with soft shapes, which JPEG suits
        gradient = Image.linear_gradient("L").resize((width, height))
        image = Image.merge("RGB", (gradient, gradient.transpose(Image.Transpose.FLIP_LEFT_RIGHT),
                                    Image.new("L", (width, height), rng.randint(80, 200))))
        draw = ImageDraw.Draw(image)
        for _ in range(12):
            x, y, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.05, 0.2) * width
            draw.ellipse((x - r, y - r, x + r, y + r), fill=(rng.randint(0, 255), rng.randint(0, 255),
                                                               rng.randint(0, 255)))
        alt = f"A photograph-like picture of soft coloured circles on a gradient, for {labels[0]}"
    if path.suffix == ".jpg":
        image.save(path, "JPEG", quality=85)
    else:
        image.save(path, "PNG")
    return alt


def _spread(total: int, parts: int) -> list[int]:
    """*total* split into *parts* counts that differ by at most one."""
    return [(index + 1) * total // parts - index * total // parts for index in range(parts)]


BOOK_TOML = """\
# A generated book for the benchmark (bench/make_long_book.py{flag}, seed {seed}).
title = "{title}"
subtitle = "{subtitle}"
authors = ["Bench Marker"]
language = "en"
date = 2025-10-15
rights = "{rights}"

[print]
trim = "6x9"
"""


def make_long_book(out: Path, seed: int = DEFAULT_SEED, chapters: int = DEFAULT_CHAPTERS,
                   words: int = DEFAULT_WORDS) -> Path:
    """Write the book folder at *out* (replacing what is there) and return it."""
    if out.exists():
        shutil.rmtree(out)
    (out / "book").mkdir(parents=True)
    (out / "chapters").mkdir()
    (out / "book" / "book.toml").write_text(BOOK_TOML.format(
        flag="", seed=seed, title="The Long Benchmark", subtitle="Forty Chapters of Generated Prose",
        rights="Generated text; no rights reserved."), encoding="utf-8")
    writer = _Writer(seed)
    for number in range(1, chapters + 1):
        name, text = writer.chapter(number, words)
        (out / "chapters" / name).write_text(text, encoding="utf-8")
    return out


def make_technical_book(out: Path, seed: int = DEFAULT_SEED, chapters: int = TECHNICAL_CHAPTERS,
                        words: int = TECHNICAL_WORDS, code_blocks: int = TECHNICAL_CODE_BLOCKS,
                        figures: int = TECHNICAL_FIGURES) -> Path:
    """Write the technical book at *out* (replacing what is there) and return it: the
    chapters, with *code_blocks* fenced code blocks and *figures* figures spread evenly
    over them, and the figures' files in ``chapters/images/``."""
    if out.exists():
        shutil.rmtree(out)
    (out / "book").mkdir(parents=True)
    images = out / "chapters" / "images"
    images.mkdir(parents=True)
    (out / "book" / "book.toml").write_text(BOOK_TOML.format(
        flag=" --kind technical", seed=seed, title="The Technical Benchmark",
        subtitle="Code, Figures and Prose, Generated",
        rights="Generated text and pictures; no rights reserved."), encoding="utf-8")
    writer = _TechnicalWriter(seed)
    first_figure = 1
    for number, (codes, count) in enumerate(zip(_spread(code_blocks, chapters), _spread(figures, chapters),
                                                strict=True), start=1):
        numbers = range(first_figure, first_figure + count)
        first_figure += count
        name, text = writer.technical_chapter(number, words, codes, numbers, images)
        (out / "chapters" / name).write_text(text, encoding="utf-8")
    return out


KINDS = ("long", "technical")


def make_book(kind: str, out: Path, seed: int = DEFAULT_SEED) -> Path:
    """The generated book of *kind* ("long" or "technical") with its default size."""
    if kind == "technical":
        return make_technical_book(out, seed)
    if kind == "long":
        return make_long_book(out, seed)
    raise ValueError(f"no generated book of kind {kind!r}; known: {', '.join(KINDS)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the book folder to write")
    parser.add_argument("--kind", choices=KINDS, default="long",
                        help="long: prose only (default); technical: with code blocks and figures")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chapters", type=int, default=None,
                        help=f"default {DEFAULT_CHAPTERS} (long), {TECHNICAL_CHAPTERS} (technical)")
    parser.add_argument("--words", type=int, default=None,
                        help=f"words of prose per chapter, about: default {DEFAULT_WORDS} (long), "
                             f"{TECHNICAL_WORDS} (technical)")
    parser.add_argument("--code-blocks", type=int, default=TECHNICAL_CODE_BLOCKS, help="technical only")
    parser.add_argument("--figures", type=int, default=TECHNICAL_FIGURES, help="technical only")
    args = parser.parse_args()
    if args.kind == "technical":
        print(make_technical_book(args.out, args.seed, args.chapters or TECHNICAL_CHAPTERS,
                                  args.words or TECHNICAL_WORDS, args.code_blocks, args.figures))
    else:
        print(make_long_book(args.out, args.seed, args.chapters or DEFAULT_CHAPTERS,
                             args.words or DEFAULT_WORDS))


if __name__ == "__main__":
    main()
