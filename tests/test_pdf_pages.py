"""The reading edition's pages as a reader sees them (issue 18): story pages on one baseline grid,
so full facing pages end level; a long book's colophon at its back, before the back cover; no
source file's name shown as a credit."""

import collections
import dataclasses
import json
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pypdf import PdfReader

from helpers import write_as
from pubpipe.render import labels
from pubpipe.render.pdf import reading as pdf
from pubpipe.render.pdf import parts as pdfbook
from pubpipe.model import Anthology, Block, Credit, Dateline

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
EPOCH = "1700000000"
GRID = 14.5
"""The body's line in points (book.css ``--grid``)."""
NS = "{http://www.w3.org/1999/xhtml}"

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


def _lines(path: Path) -> list:
    """Per page: [(yMin, yMax, text)] of every line pdftotext finds."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], check=True, capture_output=True).stdout
    pages = []
    for page in ET.fromstring(xml).iter(NS + "page"):
        pages.append([(float(ln.get("yMin")), float(ln.get("yMax")),
                       " ".join(w.text or "" for w in ln.iter(NS + "word"))) for ln in page.iter(NS + "line")])
    return pages


def _page_text(path: Path, number: int) -> str:
    return subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), "-layout", str(path), "-"],
                          check=True, capture_output=True, text=True).stdout


def _render(anthology: Anthology, path: Path, monkeypatch, level: bool = True):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    return write_as(pdf.render(anthology, layout=pdf.Layout(level=level, here=True)), path)


def _long_book() -> Anthology:
    """Eight short English stories from eight files (more than the imprint page holds), two of them
    with what a saved page states of itself, one file with no credit at all."""
    base = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    story = base.stories[0]
    stories, credits = [], []
    for n in range(8):
        blocks = story.blocks[:6] + (Block(type="paragraph", text=f"The end of story {n}."),)
        source = dataclasses.replace(story.source, file=f"{n:03d}_page.html")
        stories.append(dataclasses.replace(story, id=f"story-{n}", title=f"Story number {n}", blocks=blocks,
                                           source=source))
        if n < 2:
            credits.append(Credit(source.file, url=f"https://news.example.org/{n}/article", publisher="Example News"))
    return dataclasses.replace(base, stories=tuple(stories), credits=tuple(credits))


def test_full_story_pages_end_on_one_line_of_the_grid(tmp_path, monkeypatch):
    """Every line of body text, on every story page (openings too), stands on the same grid of 14.5 pt
    lines, whatever came above it on the page (a heading, a quote, a list, a note): so two full pages
    end at the same depth. Before, a heading or quote moved the lines after it off the grid (spreads
    that ended 3 to 12 pt apart)."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    english = dataclasses.replace(anthology, stories=tuple(s for s in anthology.stories if s.language == "en"))
    assert {b.type for s in english.stories for b in s.blocks} >= {"heading", "quote", "list"}
    info = _render(english, tmp_path / "book.pdf", monkeypatch)
    pages = _lines(tmp_path / "book.pdf")
    first = min(info.story_pages.values())
    residues = []
    for page in pages[first - 1:]:
        for y0, y1, text in page:
            if abs(y1 - y0 - GRID) < 0.6 and 50 < y1 < 540:  # a line of body text (10 pt type)
                residues.append(y1 % GRID)
    assert len(residues) > 60
    main = collections.Counter(round(r) for r in residues).most_common(1)[0][0]
    on_grid = [r for r in residues if min(abs(r - main), GRID - abs(r - main)) < 0.8]
    assert len(on_grid) / len(residues) > 0.95, sorted(residues)


def test_a_long_books_colophon_is_at_its_back_and_the_imprint_says_where(tmp_path, monkeypatch):
    book = _long_book()
    assert pdf.colophon_at_back(book)
    info = _render(book, tmp_path / "book.pdf", monkeypatch)
    path = tmp_path / "book.pdf"
    assert info.back_cover and info.pages % 2 == 0
    imprint = " ".join(_page_text(path, 2).split())
    found = re.search(r"Sources and credits, page (\d+)", imprint)
    assert found, imprint
    page = int(found[1])
    assert "SOURCES AND CREDITS" not in imprint and "Story number" not in imprint
    last_story = max(info.story_pages.values())
    assert last_story < page < info.pages
    colophon = " ".join(" ".join(_page_text(path, n).split()) for n in range(page, info.pages))
    assert colophon.startswith("SOURCES AND CREDITS")
    for story in book.stories:
        assert story.title in colophon
    assert "https://news.example.org/0/article" in colophon and "Example News" in colophon
    assert "Source file" not in colophon and ".html" not in colophon.replace("/article", "")
    # The contents lists it last, with its page; its bookmark comes after the stories'.
    contents = " ".join(_page_text(path, 4).split())
    assert re.search(rf"Sources and credits\W*{page}\b", contents), contents
    reader = PdfReader(str(path))
    tops = [(item.title, reader.get_destination_page_number(item) + 1) for item in reader.outline
            if not isinstance(item, list)]
    assert tops[-1] == ("Sources and credits", page)
    # Its folio is printed; the back cover is the last page, with nothing between but a blank recto.
    assert re.search(rf"^\s*{page}\s*$", _page_text(path, page), re.M)
    between = [n for n in range(page + 1, info.pages) if "SOURCES" not in _page_text(path, n)
               and _page_text(path, n).strip() and not any(s.title in _page_text(path, n) for s in book.stories)]
    assert between == []


def test_a_short_books_colophon_stays_inside_the_front_cover():
    book = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    assert not pdf.colophon_at_back(book)
    html = pdf.book_html(book, None, front=True, toc_pages={s.id: 5 for s in book.stories})
    assert 'class="imprint colophon"' in html and "Sources and credits, page" not in html


def test_no_file_name_is_shown_to_readers_as_a_source():
    """A source that says nothing of itself is credited with nothing, not its file's name; a saved
    page is credited with its site and address."""
    book = _long_book()
    groups = labels.colophon(book)
    assert [g.text for g in groups[:2]] == ["First published by Example News."] * 2
    assert [g.url for g in groups[:2]] == ["https://news.example.org/0/article", "https://news.example.org/1/article"]
    assert all(g.text == "" and g.url is None for g in groups[2:])
    story = book.stories[5]
    assert labels.source_line(story, None) == "" or story.dateline
    # a date alone is no source: the byline line shows it
    dated = dataclasses.replace(story, dateline=Dateline("", "2026-11-20"))
    assert labels.dateline(dated).text == "20 November 2026"
    assert labels.source_line(dated, None) == ""
    assert labels.source_line(dataclasses.replace(dated, dateline=Dateline("Example News", "2026-11-20")),
                              None) == "Example News, 20 November 2026."
    assert "page.html" not in labels.source_line(story, None)


def _story_pages(path: Path, info) -> list:
    """Per page of the book's one story, from its opening to its last: the bottoms (yMax, pt) of
    its lines of body text, as pdftotext reads them."""
    pages = _lines(path)
    first = min(info.story_pages.values()) - 1
    out = []
    for page in pages[first:len(pages) - (1 if info.back_cover else 0)]:
        body = [y1 for y0, y1, _ in page if abs(y1 - y0 - GRID) < 0.6 and 50 < y1 < 545]
        if not body:
            break
        out.append(body)
    return out


def _line_of(path: Path, info, words: str) -> tuple:
    """(story page index, line number on it, from 1) of the body line that holds ``words``."""
    pages = _lines(path)
    first = min(info.story_pages.values()) - 1
    for index, page in enumerate(pages[first:]):
        body = [text for y0, y1, text in page if abs(y1 - y0 - GRID) < 0.6 and 50 < y1 < 545]
        for number, text in enumerate(body, start=1):
            if words in text:
                return index, number
    raise AssertionError(f"{words!r} not found")


def _spreads(bottoms: list, opens_on_recto: bool) -> list:
    """(verso, recto) bottoms of the story's spreads whose pages are both running (not its last)."""
    first = 1 if opens_on_recto else 0
    return [(bottoms[v], bottoms[v + 1]) for v in range(first, len(bottoms) - 2, 2)]


def test_facing_pages_end_level_and_a_last_page_holds_four_lines(tmp_path, monkeypatch):
    """A page left a line short by a widow (a paragraph's last line kept off the top of the next
    page) faced a full page: the spread is now run a line short, both pages level. A story that
    ended in two one-line paragraphs at the top of a page (realweb copy: "Published … / Terms of
    Service …" alone on page 95) now has lines brought over: its last page holds four lines or more.
    The book is built from one-line paragraphs (every page full, breaks anywhere) and one paragraph
    of several lines placed, by measuring a first build, to start on a page's second-to-last line."""
    base = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    story = next(s for s in base.stories if s.language == "en")
    long_words = ("The long paragraph starts here and runs on over several lines of the page, with "
                  "nothing in it to stop a break, so that where it falls is decided by the widow rule "
                  "alone, as in the pages of a real book set on a grid of whole lines; it ends here.")

    def book(before: int, after: int) -> Anthology:
        blocks = tuple(Block(type="paragraph", text=f"Line {n} of the story.") for n in range(before))
        blocks += (Block(type="paragraph", text=long_words),)
        blocks += tuple(Block(type="paragraph", text=f"Closing line {n}.") for n in range(after))
        one = dataclasses.replace(story, id="grid-story", blocks=blocks)
        return dataclasses.replace(base, stories=(one,), credits=())

    def build(name: str, anthology: Anthology, level: bool):
        return _render(anthology, tmp_path / name, monkeypatch, level)

    # How many lines the long paragraph takes (alone on an opening page), where it lands, then
    # moved so that all but its last line fit on a full page of 33: the last would be a widow.
    info = build("p.pdf", book(0, 0), False)
    start = _line_of(tmp_path / "p.pdf", info, "The long paragraph starts")
    end = _line_of(tmp_path / "p.pdf", info, "it ends here.")
    assert start[0] == end[0] and end[1] - start[1] >= 2
    target = 33 - (end[1] - start[1]) + 1
    before, after = 50, 40
    info = build("a.pdf", book(before, after), False)
    index, line = _line_of(tmp_path / "a.pdf", info, "The long paragraph starts")
    assert index >= 1  # not on the opening page
    before += (target - line) % 33
    info = build("b.pdf", book(before, after), False)
    assert _line_of(tmp_path / "b.pdf", info, "The long paragraph starts")[1] in (target, target - 1)
    # The story's last page then holds two lines.
    last = len(_story_pages(tmp_path / "b.pdf", info)[-1])
    after += 2 - last if last >= 2 else 2 - last + 33
    anthology = book(before, after)

    info = build("before.pdf", anthology, False)
    pages = _story_pages(tmp_path / "before.pdf", info)
    on_recto = min(info.story_pages.values()) % 2 == 1
    assert len(pages[-1]) == 2  # the premise: two lines alone on the last page
    assert any(abs(max(v) - max(r)) > 2 for v, r in _spreads(pages, on_recto))  # and an uneven spread

    info = build("after.pdf", anthology, True)
    pages = _story_pages(tmp_path / "after.pdf", info)
    on_recto = min(info.story_pages.values()) % 2 == 1
    assert len(pages[-1]) >= 4, [len(p) for p in pages]
    uneven = [(max(v), max(r)) for v, r in _spreads(pages, on_recto) if abs(max(v) - max(r)) > 2]
    assert uneven == [], [round(max(p), 1) for p in pages]
    # No page lost its grid, and no text was lost: every paragraph is still there, once.
    text = subprocess.run(["pdftotext", str(tmp_path / "after.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    for n in range(before):
        assert text.count(f"Line {n} of the story.") == 1
    assert text.count(f"Closing line {after - 1}.") == 1
    residues = [(y - pages[0][0]) % GRID for page in pages for y in page]
    assert all(min(r, GRID - r) < 0.8 for r in residues), residues


def test_a_page_a_heading_left_short_takes_whole_lines_above_its_own_heading(tmp_path, monkeypatch):
    """A heading is kept with its first lines: one that would stand on a page's last line goes over,
    and its page ends two lines short, facing a full page. The short page now takes the two lines
    above the heading it holds (the compositor's vertical justification, `level.fill`, on the laid-out
    page): the spread ends level, every line is still on the grid, nothing is laid out again."""
    base = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    story = next(s for s in base.stories if s.language == "en")

    def book(before: int, between: int) -> Anthology:
        blocks = tuple(Block(type="paragraph", text=f"Line {n} of the story.") for n in range(before))
        blocks += (Block(type="heading", text="The middle heading"),)
        blocks += tuple(Block(type="paragraph", text=f"Middle line {n}.") for n in range(between))
        blocks += (Block(type="heading", text="The heading at the foot"),)
        blocks += tuple(Block(type="paragraph", text=f"Closing line {n}.") for n in range(60))
        one = dataclasses.replace(story, id="heads-story", blocks=blocks)
        return dataclasses.replace(base, stories=(one,), credits=())

    def build(name: str, anthology: Anthology, level: bool):
        return _render(anthology, tmp_path / name, monkeypatch, level)

    def heading_at(name: str, info, words: str) -> tuple:
        """(story page index, line of the grid from the page's first body line, from 1) of a heading
        (set in Inter: pdftotext's line box is not a body line's)."""
        pages = _lines(tmp_path / name)
        first = min(info.story_pages.values()) - 1
        for index, page in enumerate(pages[first:]):
            top = min(y1 for y0, y1, _ in page if abs(y1 - y0 - GRID) < 0.6 and 50 < y1 < 545)
            for y0, y1, text in page:
                if words in text:
                    return index, round((y1 - top) / GRID) + 1
        raise AssertionError(f"{words!r} not found")

    # The opening page and the next page of 33 lines; the middle heading on the next page's 10th line.
    before, between = 40, 10
    info = build("a.pdf", book(before, between), False)
    index, line = heading_at("a.pdf", info, "The middle heading")
    assert index >= 1
    before += (10 - line) % 33
    info = build("b.pdf", book(before, between), False)
    index, line = heading_at("b.pdf", info, "The middle heading")
    assert line == 10
    # The foot heading's line would be the page's last (its margin the line before it).
    between += 33 - (line + between + 2)
    anthology = book(before, between)
    info = build("before.pdf", anthology, False)
    pages = _story_pages(tmp_path / "before.pdf", info)
    assert heading_at("before.pdf", info, "The heading at the foot")[0] == index + 1
    on_recto = min(info.story_pages.values()) % 2 == 1
    short = [(v, r) for v, r in _spreads(pages, on_recto) if abs(max(v) - max(r)) > 2]
    assert len(short) == 1 and round(abs(max(short[0][0]) - max(short[0][1])) / GRID) == 2  # the premise

    info = build("after.pdf", anthology, True)
    pages = _story_pages(tmp_path / "after.pdf", info)
    assert [(max(v), max(r)) for v, r in _spreads(pages, on_recto) if abs(max(v) - max(r)) > 2] == []
    assert len(pages[index]) == len(_story_pages(tmp_path / "before.pdf", info)[index])  # no line came over
    assert heading_at("after.pdf", info, "The middle heading") == (index, 12)  # two lines lower
    assert _line_of(tmp_path / "after.pdf", info, "Middle line 0.")[0] == index
    residues = [(y - pages[0][0]) % GRID for page in pages for y in page]
    assert all(min(r, GRID - r) < 0.8 for r in residues), residues
    text = subprocess.run(["pdftotext", str(tmp_path / "after.pdf"), "-"], check=True, capture_output=True,
                          text=True).stdout
    for n in range(before):
        assert text.count(f"Line {n} of the story.") == 1
    assert text.count("Closing line 59.") == 1


class _Kid:
    """A block of a laid-out page as `level._fill_plan` reads it: its element's class."""

    def __init__(self, kind: str):
        self.element = {"class": kind}


def test_fill_plans_space_where_a_reader_expects_a_break():
    from pubpipe.render.pdf import level

    grid = 19.33
    plain = [_Kid("p") for _ in range(4)]
    # Four paragraphs: three breaks of a quarter line at most cannot take a line.
    assert level._fill_plan(plain, grid, grid, whole=False) is None
    assert level._fill_plan(plain, grid / 2, grid, whole=False) == {k: grid / 6 for k in (1, 2, 3)}
    # Whole lines go above headings, never between a heading and what it heads.
    kids = [_Kid("p"), _Kid("heading"), _Kid("p"), _Kid("p"), _Kid("heading"), _Kid("heading"), _Kid("p")]
    assert level._fill_plan(kids, 2 * grid, grid, whole=True) == {1: grid, 4: grid}
    assert level._fill_plan(kids, 3 * grid, grid, whole=True) == {1: grid, 4: 2 * grid}
    assert level._fill_plan(kids, 5 * grid, grid, whole=True) is None
    # Space that is no whole number of lines: the spaced breaks first, then the plain ones.
    plan = level._fill_plan(kids, 4.2 * grid, grid, whole=False)
    assert plan[1] == plan[4] == 2 * grid and abs(plan[3] - 0.2 * grid) < 1e-9 and set(plan) == {1, 3, 4}
    assert level._fill_plan(kids, 4.2 * grid, grid, whole=True) is None
    assert level._fill_plan(kids, 4.5 * grid, grid, whole=False) is None  # a plain break takes a quarter line
