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
from pubpipe.orchestrate import processes
from pubpipe.model import Anthology, Block, Credit

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


def _render(anthology: Anthology, path: Path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(processes, "PDF_IN_CHILD", False)
    return write_as(pdf.render(anthology), path)


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
    assert "page.html" not in labels.source_line(story, None)
