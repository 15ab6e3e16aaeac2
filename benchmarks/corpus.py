"""A deterministic corpus of N stories in the style of pubpipe's sources, for the benchmarks.

    .venv/bin/python benchmarks/corpus.py --stories 100 --out /tmp/corpus100     # sources/ and markdown/
    .venv/bin/python benchmarks/corpus.py --book --out /tmp/book                 # the ~300-page book

Each story is generated once and written twice, with the same words:

- ``sources/NNNN_<slug>.txt``: the raw text pubpipe reads, as staff paste it: a bare title line,
  "By Jane Doe" bylines, datelines ("Seoul (15.02.2019) – – …"), headings, quotes followed by a dash
  attribution line ("—Name, role"), ``- `` and ``1. `` list lines, web residue ("HTML Snippets
  Powered By :", share buttons, "Continue reading…"), one paragraph per line or hard-wrapped at 72
  columns, some files with CRLF line ends and some in cp1252. Most files hold one story; every
  ninth holds two (the second announced by residue and a byline, as scraped pages are).
- ``markdown/NNNN_<slug>.md``: the clean Markdown a user would feed pandoc instead (no residue:
  a pandoc user cleans by hand), one file per story, in the same order.

Every 25th story (and the book's chapters) is very long. The same seed gives the same bytes on any
machine and Python ≥ 3.11 (``random.Random`` with a fixed seed; no hash-ordered iteration).
``change_one_story`` edits one word of one paragraph of one source, for the "one story changed"
rebuild. Not a test: nothing here is imported by pubpipe or its tests.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

NOUNS = """family village market river school mother father sister brother child teacher farmer doctor
worker city border country government winter summer harvest rain road train station letter story
house garden kitchen field forest mountain bridge hospital office factory report meeting friend
neighbour group community village year month week morning evening night money food water rice
bread seed store shop street door window radio phone message journey freedom future memory
hope plan problem answer question reason change record book page song picture camp shelter
volunteer student nurse driver coast island harbour boat bus clinic church library court law
price wage job team project programme charity donor network council police soldier guard
refugee family photograph newspaper reporter editor interview voice language word name""".split()
ADJECTIVES = """small large old new young long short early late hard quiet busy poor rich local
national northern southern cold warm dark bright simple difficult careful strong weak first last
next whole common private public open closed safe dangerous hungry tired happy proud honest
familiar different ordinary important serious recent modest steady slow quick""".split()
VERBS = """carried found kept opened closed built sold bought wrote read watched followed helped
asked answered remembered explained described shared crossed reached left joined started finished
changed planned paid borrowed repaid returned collected counted moved lost saved learned taught
visited organised repaired recorded checked""".split()
ADVERBS = """slowly quickly quietly carefully later again often rarely always never still already
together alone nearly finally""".split()
PLACES = ["Seoul", "Geneva", "Nairobi", "Lagos", "Lima", "Manila", "Dhaka", "Hanoi", "Quito", "Accra",
          "Kampala", "Bogotá", "Yangon", "Tbilisi", "Amman", "Beirut", "Kathmandu", "Lusaka"]
FIRST = ["Jane", "Halima", "Tomás", "Priya", "Joseph", "Ruth", "Min-ji", "Ana", "Kwame", "Sofia",
         "Daniel", "Amara", "Lucas", "Grace", "Omar", "Elena", "Samuel", "Leila", "Peter", "Mariam"]
LAST = ["Doe", "Musa", "Reyes", "Raman", "Adeyemi", "Kim", "Park", "Silva", "Mensah", "Novak",
        "Okafor", "Haddad", "Costa", "Lee", "Nguyen", "Hassan", "Moreau", "Tanaka", "Ortiz", "Banda"]
ROLES = ["treasurer of the seed bank", "field coordinator", "night-shift nurse", "volunteer",
         "head teacher", "bus driver", "programme officer", "researcher", "community organiser",
         "former refugee", "local councillor", "market trader"]
RESIDUE_END = ["HTML Snippets Powered By :", "Share: Facebook | Twitter | Email", "Continue reading…",
               "Tags: community, stories", "Share this:"]


@dataclass
class Story:
    """One story: what both the raw source and the Markdown are written from."""

    index: int
    title: str
    byline: str | None
    place: str | None
    date: str | None
    blocks: list = field(default_factory=list)  # ("p", text) ("h", text) ("quote", text, who) ("ul"|"ol", items)

    @property
    def slug(self) -> str:
        return re.sub(r"[^a-z0-9]+", "-", self.title.lower()).strip("-")[:40]

    def words(self) -> int:
        n = len(self.title.split()) + len((self.byline or "").split())
        for block in self.blocks:
            parts = block[1] if block[0] in ("ul", "ol") else block[1:]
            n += sum(len(p.split()) for p in parts)
        return n


def plural(noun: str) -> str:
    irregular = {"child": "children", "woman": "women", "man": "men"}
    if noun in irregular:
        return irregular[noun]
    if noun.endswith("y") and noun[-2] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + ("es" if noun.endswith(("s", "sh", "ch", "x")) else "s")


class Words:
    """Plausible English sentences from a small vocabulary, deterministic for a seed."""

    def __init__(self, rng: random.Random):
        self.rng = rng

    def np(self) -> str:
        r = self.rng
        det = r.choice(["the", "a", "their", "our", "every", "one", "that", "the"])
        adj = r.choice(ADJECTIVES) + " " if r.random() < 0.45 else ""
        noun = r.choice(NOUNS)
        if det == "a" and (adj or noun)[0] in "aeiou":
            det = "an"
        return f"{det} {adj}{noun}"

    def sentence(self) -> str:
        r = self.rng
        shape = r.randrange(6)
        if shape == 0:
            s = f"{self.np()} {r.choice(VERBS)} {self.np()} in {self.np()}"
        elif shape == 1:
            s = f"{self.np()} {r.choice(ADVERBS)} {r.choice(VERBS)} {self.np()} and {self.np()}"
        elif shape == 2:
            s = f"in {r.randint(1990, 2023)}, {self.np()} {r.choice(VERBS)} {self.np()} for {r.randint(2, 400)} {plural(r.choice(NOUNS))}"
        elif shape == 3:
            s = f"when {self.np()} {r.choice(VERBS)} {self.np()}, {self.np()} {r.choice(VERBS)} {self.np()} {r.choice(ADVERBS)}"
        elif shape == 4:
            s = f"{self.np()} {r.choice(VERBS)} {self.np()} because {self.np()} was {r.choice(ADJECTIVES)}"
        else:
            s = f"nobody {r.choice(VERBS)} {self.np()} until {self.np()} {r.choice(VERBS)} {self.np()} near {self.np()}"
        end = "?" if r.random() < 0.04 else "."
        return s[0].upper() + s[1:] + end

    def paragraph(self, lo: int = 3, hi: int = 7) -> str:
        return " ".join(self.sentence() for _ in range(self.rng.randint(lo, hi)))

    def title(self, lo: int = 3, hi: int = 7) -> str:
        r = self.rng
        words = [r.choice(ADJECTIVES + NOUNS) for _ in range(r.randint(lo, hi))]
        small = {"of", "and", "the", "in", "a"}
        out = []
        for i, w in enumerate(words):
            out.append(w.capitalize())
            if i < len(words) - 1 and r.random() < 0.3:
                out.append(r.choice(sorted(small)))
        return " ".join(out)

    def name(self) -> str:
        return f"{self.rng.choice(FIRST)} {self.rng.choice(LAST)}"


def make_story(index: int, rng: random.Random, long: bool = False, book: bool = False) -> Story:
    """One story; `long` makes it ten times longer; `book` makes a long-form chapter (no web flavour)."""
    w = Words(rng)
    title = f"{w.title()} {index + 1}"  # numbered: titles stay unique however many stories
    byline = f"{w.name()}" if rng.random() < 0.6 else None
    place = date = None
    if not book and rng.random() < 0.35:
        place = rng.choice(PLACES)
        date = f"{rng.randint(1, 28):02d}.{rng.randint(1, 12):02d}.{rng.randint(2012, 2023)}"
    story = Story(index, title, byline, place, date)
    paragraphs = rng.randint(70, 90) if long or book else rng.randint(6, 14)
    for i in range(paragraphs):
        roll = rng.random()
        if i > 1 and roll < 0.07:
            story.blocks.append(("h", w.title(2, 5)))
        elif i > 0 and roll < 0.14:
            quote = " ".join(w.sentence() for _ in range(rng.randint(1, 3)))
            story.blocks.append(("quote", f"“{quote}”", f"{w.name()}, {rng.choice(ROLES)}"))
        elif i > 0 and roll < 0.19:
            kind = rng.choice(["ul", "ol"])
            story.blocks.append(("p", w.sentence()[:-1] + ":"))
            story.blocks.append((kind, [w.sentence() for _ in range(rng.randint(3, 5))]))
        else:
            story.blocks.append(("p", w.paragraph()))
    return story


def stories(n: int, seed: int = 9) -> list:
    """N stories; every 25th one (the 13th, 38th, …) is very long."""
    rng = random.Random(seed)
    return [make_story(i, rng, long=(i % 25 == 12)) for i in range(n)]


def book(chapters: int = 17, seed: int = 300) -> list:
    """The ~300-page book: long-form chapters, hard-wrapped like an e-text."""
    rng = random.Random(seed)
    return [make_story(i, rng, book=True) for i in range(chapters)]


# ---- the raw source a pubpipe user has --------------------------------------------------------

def _wrap(text: str, wrapped: bool) -> list:
    return textwrap.wrap(text, 72, break_on_hyphens=False) if wrapped else [text]


def source_lines(story: Story, rng: random.Random, wrapped: bool) -> list:
    """The story as raw lines: title, residue, byline, dateline, blocks; blank lines between paragraphs."""
    lines = [story.title, ""]
    if rng.random() < 0.3:
        lines += ["Share: Facebook | Twitter | Email", ""]
    if story.byline:
        lines += [f"By {story.byline}", ""]
    blocks = list(story.blocks)
    if story.place:
        kind, text = blocks[0][0], blocks[0][1]
        if kind == "p":
            blocks[0] = ("p", f"{story.place} ({story.date}) – – {text}")
    for block in blocks:
        kind = block[0]
        if kind == "p":
            lines += _wrap(block[1], wrapped)
        elif kind == "h":
            lines += ["", block[1]]
        elif kind == "quote":
            lines += _wrap(block[1], wrapped) + [rng.choice(["—", "— ", "- "]) + block[2]]
        elif kind == "ul":
            lines += [f"- {item}" for item in block[1]]
        elif kind == "ol":
            lines += [f"{i}. {item}" for i, item in enumerate(block[1], 1)]
        lines.append("")
    if rng.random() < 0.25:
        lines += ["Continue reading…", ""]
    lines += [rng.choice(RESIDUE_END[:2]), ""]
    return lines


def write_sources(all_stories: list, folder: Path, seed: int = 1, book_style: bool = False) -> list:
    """Write the raw source files; returns their names."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    names, i = [], 0
    while i < len(all_stories):
        story = all_stories[i]
        wrapped = book_style or rng.random() < 0.3
        lines = source_lines(story, rng, wrapped)
        take = 1
        if not book_style and i % 9 == 4 and i + 1 < len(all_stories) and all_stories[i + 1].byline:
            lines += source_lines(all_stories[i + 1], rng, wrapped)
            take = 2
        crlf = rng.random() < 0.2
        encoding = "cp1252" if rng.random() < 0.1 else "utf-8"
        text = ("\r\n" if crlf else "\n").join(lines)
        name = f"{i:04d}_{story.slug}.txt"
        (folder / name).write_bytes(text.encode(encoding))
        names.append(name)
        i += take
    return names


# ---- the Markdown a pandoc user writes -----------------------------------------------------------

def markdown(story: Story) -> str:
    """The same story as clean Markdown (same words, no residue)."""
    out = [f"# {story.title}", ""]
    if story.byline:
        out += [f"*By {story.byline}*", ""]
    blocks = list(story.blocks)
    if story.place and blocks[0][0] == "p":
        blocks[0] = ("p", f"{story.place} ({story.date}) – – {blocks[0][1]}")
    for block in blocks:
        kind = block[0]
        if kind == "p":
            out += [block[1], ""]
        elif kind == "h":
            out += [f"## {block[1]}", ""]
        elif kind == "quote":
            out += [f"> {block[1]}", ">", f"> —{block[2]}", ""]
        elif kind == "ul":
            out += [f"- {item}" for item in block[1]] + [""]
        elif kind == "ol":
            out += [f"{i}. {item}" for i, item in enumerate(block[1], 1)] + [""]
    return "\n".join(out) + "\n"


def write_markdown(all_stories: list, folder: Path) -> list:
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    for story in all_stories:
        name = f"{story.index:04d}_{story.slug}.md"
        (folder / name).write_text(markdown(story), encoding="utf-8")
        names.append(name)
    return names


TITLE = "Benchmark Anthology"


def generate(out: Path, n: int | None = None, is_book: bool = False, seed: int = 9) -> dict:
    """Write ``out/sources`` (+ anthology.toml), ``out/markdown``; return a summary."""
    out = Path(out)
    all_stories = book(seed=seed + 291) if is_book else stories(n or 10, seed)
    names = write_sources(all_stories, out / "sources", seed=seed, book_style=is_book)
    write_markdown(all_stories, out / "markdown")
    (out / "sources" / "anthology.toml").write_text(f'title = "{TITLE}"\npublisher = "pubpipe benchmarks"\n',
                                                    encoding="utf-8")
    summary = {"stories": len(all_stories), "files": len(names),
               "words": sum(s.words() for s in all_stories),
               "bytes": sum((out / "sources" / f).stat().st_size for f in names)}
    (out / "corpus.json").write_text(json.dumps(summary) + "\n", encoding="utf-8")
    return summary


def from_folder(folder: Path, out: Path) -> dict:
    """A corpus of real text files (``folder``'s .txt, e.g. ../shared/corpus/realweb/copy) as they
    are in ``out/sources`` (+ anthology.toml), and as Markdown in ``out/markdown`` for the pandoc
    route: the first line a heading, every other non-empty line a paragraph (the same words)."""
    out = Path(out)
    files = sorted(Path(folder).glob("*.txt"))
    if not files:
        raise SystemExit(f"{folder}: no .txt files (the realweb corpus is in ../shared/corpus/realweb/copy)")
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "markdown").mkdir(parents=True, exist_ok=True)
    words = 0
    for number, path in enumerate(files):
        data = path.read_bytes()
        (out / "sources" / path.name).write_bytes(data)
        lines = [line.strip() for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
        words += sum(len(line.split()) for line in lines)
        text = "\n\n".join([f"# {lines[0]}", *lines[1:]]) if lines else ""
        (out / "markdown" / f"{number:04d}.md").write_text(text + "\n", encoding="utf-8")
    (out / "sources" / "anthology.toml").write_text(f'title = "{TITLE}"\npublisher = "pubpipe benchmarks"\n',
                                                    encoding="utf-8")
    summary = {"stories": len(files), "files": len(files), "words": words,
               "bytes": sum(p.stat().st_size for p in files)}
    (out / "corpus.json").write_text(json.dumps(summary) + "\n", encoding="utf-8")
    return summary


def change_one_story(sources: Path) -> str:
    """Edit one word in one paragraph of the middle source file (bytes, so its encoding and line ends stay)."""
    files = sorted(p for p in Path(sources).iterdir() if p.suffix == ".txt")
    path = files[len(files) // 2]
    lines = path.read_bytes().split(b"\n")
    for i, line in enumerate(lines[1:], 1):
        at = line.find(b" the ")
        if len(line) > 60 and at >= 0:
            lines[i] = line[:at] + b" this " + line[at + 5:]
            path.write_bytes(b"\n".join(lines))
            return path.name
    raise ValueError(f"{path}: no word to change")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=10)
    parser.add_argument("--book", action="store_true", help="the ~300-page book instead of N stories")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    print(json.dumps(generate(Path(args.out), args.stories, args.book, args.seed)))


if __name__ == "__main__":
    main()
