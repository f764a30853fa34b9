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

Run: ``python bench/make_long_book.py OUT_DIR [--seed N] [--chapters N] [--words N]``.
"""

from __future__ import annotations

import argparse
import random
import re
import shutil
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

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.function_weights = [1.0 / (rank + 1) ** 0.6 for rank in range(len(_FUNCTION_WORDS))]
        self.content_weights = [1.0 / (rank + 4) ** 0.5 for rank in range(len(_CONTENT_WORDS))]

    def word(self) -> str:
        if self.rng.random() < 0.45:
            return self.rng.choices(_FUNCTION_WORDS, self.function_weights)[0]
        if self.rng.random() < 0.03:
            return self.rng.choice(_NAMES)
        if self.rng.random() < 0.01:
            return self.rng.choice(_PLACES)
        return self.rng.choices(_CONTENT_WORDS, self.content_weights)[0]

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

    def chapter(self, number: int, words_target: int) -> tuple[str, str]:
        title = " ".join(self.words(self.rng.randint(2, 6))).title()
        blocks = [f"# {title}"]
        footnotes: list[str] = []
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
        blocks += [f"[^{n}]: {text}" for n, text in enumerate(footnotes, start=1)]
        slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
        return f"{number:02d}-{slug}.md", "\n\n".join(blocks) + "\n"


BOOK_TOML = """\
# A generated book for the benchmark (bench/make_long_book.py, seed {seed}).
title = "The Long Benchmark"
subtitle = "Forty Chapters of Generated Prose"
authors = ["Bench Marker"]
language = "en"
date = 2025-10-15
rights = "Generated text; no rights reserved."

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
    (out / "book" / "book.toml").write_text(BOOK_TOML.format(seed=seed), encoding="utf-8")
    writer = _Writer(seed)
    for number in range(1, chapters + 1):
        name, text = writer.chapter(number, words)
        (out / "chapters" / name).write_text(text, encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the book folder to write")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chapters", type=int, default=DEFAULT_CHAPTERS)
    parser.add_argument("--words", type=int, default=DEFAULT_WORDS, help="words per chapter, about")
    args = parser.parse_args()
    print(make_long_book(args.out, args.seed, args.chapters, args.words))


if __name__ == "__main__":
    main()
