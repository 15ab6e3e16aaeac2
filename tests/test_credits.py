"""What the sources say about themselves, carried into every output; no date shown that no one stated
(issue 18). The e-text fixture (tests/fixtures/etext/) carries a real Project Gutenberg header and
footer around a title page and two stories."""
import dataclasses
import json
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from lxml import etree

from pubpipe import dates
from pubpipe.render import labels as labels
from pubpipe.render.pdf import reading as pdf
from pubpipe.config import Config, load_config
from pubpipe.errors import ConfigError
from pubpipe.model import Anthology
from pubpipe.pipeline import recover

from helpers import write_epub, write_web

FIXTURES = Path(__file__).parent / "fixtures"
ETEXT = FIXTURES / "etext"
CORPUS2_ETEXT = Path(__file__).parent / "corpus2" / "sources" / "205_old_etext.txt"
NS = {"opf": "http://www.idpf.org/2007/opf", "dc": "http://purl.org/dc/elements/1.1/",
      "h": "http://www.w3.org/1999/xhtml"}
FALSE_DATES = re.compile(r"1970-01-01|1 January 1970|2000-01-01|1 January 2000|January 1, 1970")


@pytest.fixture(scope="module")
def book() -> Anthology:
    return recover(ETEXT, Config())


@pytest.fixture(scope="module")
def rendered(book, tmp_path_factory):
    """The e-text book's EPUB (unpacked) and web folder, without SOURCE_DATE_EPOCH."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        out = tmp_path_factory.mktemp("etext")
        epub = write_epub(book, out / "book.epub")
        with zipfile.ZipFile(epub) as z:
            z.extractall(out / "epub")
        write_web(book, out / "web")
    return out


def test_a_one_book_source_gives_the_book_its_title_subtitle_and_author(book):
    assert book.title == "The Lamplighter’s Almanac" and book.slug == "the-lamplighters-almanac"
    assert book.subtitle == "Two Tales of the River Towns"
    assert book.author == "Margaret Ellery Vane" and book.editor is None and book.publisher is None
    assert [s.author for s in book.stories] == ["Margaret Ellery Vane"] * 2


def test_the_header_and_title_page_facts_are_recovered_not_lost(book):
    (credit,) = book.credits
    assert credit.file == "lamplighter.txt"
    assert credit.released == "2008-06-01" and credit.collection == "Project Gutenberg eBook #25713"
    assert credit.url == "https://www.gutenberg.org/ebooks/25713"
    assert credit.published == "1887" and credit.publisher == "Hollis, Warde and Company"
    assert "Project Gutenberg License" in credit.rights and credit.rights_url.startswith("https://www.gutenberg.org/")
    data = book.to_dict()  # all of it in anthology.json, and read back the same
    assert data["author"] == "Margaret Ellery Vane" and data["credits"][0]["url"] == credit.url
    assert data["stories"][0]["author"] == "Margaret Ellery Vane"
    assert Anthology.from_dict(json.loads(json.dumps(data))) == book


def test_an_anthology_by_various_hands_names_its_editor_and_each_story_its_author(tmp_path):
    shutil.copy(CORPUS2_ETEXT, tmp_path / CORPUS2_ETEXT.name)
    book = recover(tmp_path, Config())
    assert book.title == "Stories of the Fen Country"
    assert book.author is None and book.editor == "Harriet Wyndham Lowe"  # "Author: Various" names no one
    by = {s.title: s.author for s in book.stories}
    assert by["The Eel-Catcher’s Wager"] == "Ambrose Fell"  # the story's own byline
    assert book.credits[0].published == "1894"


def test_many_sources_keep_the_default_title_and_each_story_its_authors(tmp_path):
    shutil.copy(ETEXT / "lamplighter.txt", tmp_path)
    shutil.copy(FIXTURES.parent.parent / "sources" / sorted(p.name for p in (FIXTURES.parent.parent / "sources").iterdir())[0],
                tmp_path)
    book = recover(tmp_path, Config())
    assert book.title == "Anthology" and book.author is None
    assert {s.author for s in book.stories if s.source.file == "lamplighter.txt"} == {"Margaret Ellery Vane"}
    assert len(book.credits) == 2


def test_anthology_toml_overrides_title_author_editor_publisher_and_credits(tmp_path):
    toml = tmp_path / "anthology.toml"
    toml.write_text('title = "River Tales"\nauthor = "M. E. Vane"\neditor = "Ann Editor"\npublisher = "Example Press"\n'
                    'rights = "© 2026 Example Press"\n[credits]\n"lamplighter.txt" = "Reprinted with permission."\n')
    book = recover(ETEXT, load_config(toml))
    assert (book.title, book.author, book.editor, book.publisher, book.rights) == \
        ("River Tales", "M. E. Vane", "Ann Editor", "Example Press", "© 2026 Example Press")
    assert book.subtitle is None  # the source's subtitle belongs to the source's title
    assert book.credits[0].rights == "Reprinted with permission." and book.credits[0].rights_url is None
    toml.write_text('[credits]\n"a.txt" = 3\n')
    with pytest.raises(ConfigError, match=r"anthology.toml: 'credits' must be a table"):
        load_config(toml)


def test_the_epub_names_title_author_and_never_the_tool(rendered, book):
    opf = etree.parse(str(rendered / "epub/EPUB/content.opf")).getroot()
    assert opf.findtext("opf:metadata/dc:title", namespaces=NS) == book.title
    assert [e.text for e in opf.iterfind("opf:metadata/dc:creator", NS)] == ["Margaret Ellery Vane"]
    assert opf.find("opf:metadata/dc:publisher", NS) is None  # none configured: not "pubpipe"
    assert "pubpipe" not in [e.text for e in opf.iterfind("opf:metadata/dc:*", NS)]
    title_page = (rendered / "epub/EPUB/titlepage.xhtml").read_text()
    assert "Margaret Ellery Vane" in title_page


def test_the_epub_colophon_lists_every_story_with_its_source_and_rights(rendered, book):
    colophon = etree.parse(str(rendered / "epub/EPUB/colophon.xhtml")).getroot()
    text = " ".join("".join(colophon.itertext()).split())
    assert "Sources and credits" in text
    for story in book.stories:
        assert story.title in text
    assert "https://www.gutenberg.org/ebooks/25713" in text and "Project Gutenberg License" in text
    assert "Hollis, Warde and Company, 1887" in text and "released 1 June 2008" in text
    spine = [i.get("idref") for i in etree.parse(str(rendered / "epub/EPUB/content.opf")).getroot()
             .iterfind("opf:spine/opf:itemref", NS)]
    assert spine[-1] == "colophon"


def test_each_web_story_has_its_author_and_a_source_line(rendered, book):
    for story in book.stories:
        page = BeautifulSoup((rendered / "web/stories" / f"{story.id}.html").read_text(), "html.parser")
        ld = json.loads(page.find("script", type="application/ld+json").string)
        assert ld["author"] == {"@type": "Person", "name": "Margaret Ellery Vane"}
        assert ld["isBasedOn"] == "https://www.gutenberg.org/ebooks/25713"
        assert "dateModified" not in ld
        assert " ".join(page.find(class_="byline").get_text().split()) == "By Margaret Ellery Vane"
        source = page.find(class_="source")
        assert source is not None and "Project Gutenberg eBook #25713" in source.get_text()
    index = BeautifulSoup((rendered / "web/index.html").read_text(), "html.parser")
    assert index.find(class_="masthead-author").get_text() == "By Margaret Ellery Vane"
    feed = etree.parse(str(rendered / "web/feed.xml")).getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    assert feed.findtext(f"{atom}author/{atom}name") == "Margaret Ellery Vane"
    assert [e.findtext(f"{atom}author/{atom}name") for e in feed.iterfind(f"{atom}entry")] == ["Margaret Ellery Vane"] * 2


def test_the_pdf_front_matter_names_the_author_and_every_storys_source(book):
    html = BeautifulSoup(pdf.book_html(book, "2026-01-01T00:00:00Z", front=True,
                                       toc_pages={s.id: 1 for s in book.stories}), "html.parser")
    assert html.find("meta", attrs={"name": "author"})["content"] == "Margaret Ellery Vane"
    assert html.find(class_="book-author").get_text() == "Margaret Ellery Vane"
    assert html.find(class_="cover-author").get_text() == "Margaret Ellery Vane"
    colophon = html.find(class_="colophon")
    assert colophon.find(class_="colophon-title").get_text() == "Sources and credits"
    listed = [li.find(class_="credit-story").get_text() for li in colophon.select(".credit-stories li")]
    assert listed == [s.title for s in book.stories]
    assert "https://www.gutenberg.org/ebooks/25713" in colophon.get_text()
    assert pdf.book_authors(book) == ["Margaret Ellery Vane"]
    assert pdf.book_authors(dataclasses.replace(book, author=None, publisher="Org", stories=())) == []


def test_no_false_date_anywhere_without_source_date_epoch(monkeypatch, tmp_path):
    """The samples, built without SOURCE_DATE_EPOCH: no 1970 or 2000 placeholder, no story's date
    (2016) stamped as the book's; the dates a format requires are the build's own."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    book = recover(FIXTURES.parent.parent / "sources", Config())
    write_web(book, tmp_path / "web")
    write_epub(book, tmp_path / "book.epub")
    with zipfile.ZipFile(tmp_path / "book.epub") as z:
        z.extractall(tmp_path / "epub")
    today = dates.now().date().isoformat()
    for path in tmp_path.rglob("*"):
        if path.suffix in (".html", ".xhtml", ".xml", ".json", ".opf", ".ncx"):
            text = path.read_text(encoding="utf-8")
            assert not FALSE_DATES.search(text), path
            assert "dateModified" not in text and "Updated" not in text, path
    opf = (tmp_path / "epub/EPUB/content.opf").read_text()
    assert re.search(rf'dcterms:modified">{today}T', opf)
    records = json.loads((tmp_path / "web/snippets.json").read_text())
    assert {r["updated"] for r in records} == {today}
    dated = {s.id: s.dateline.date for s in book.stories if s.dateline and s.dateline.date}
    assert dated and {r["id"]: r["published"] for r in records if r["published"]} == dated


def test_one_label_text_per_element_in_pdf_epub_and_web(tmp_path):
    """Series, byline and dateline read the same in the three outputs."""
    book = Anthology.from_dict(json.loads((FIXTURES / "anthology.json").read_text(encoding="utf-8")))
    write_web(book, tmp_path / "web")
    write_epub(book, tmp_path / "book.epub")
    html = BeautifulSoup(pdf.book_html(book, None, stories=book.stories), "html.parser")
    with zipfile.ZipFile(tmp_path / "book.epub") as z:
        chapters = {s.id: BeautifulSoup(z.read(f"EPUB/stories/{s.id}.xhtml"), "html.parser") for s in book.stories}
    seen = 0
    for story in book.stories:
        page = BeautifulSoup((tmp_path / "web/stories" / f"{story.id}.html").read_text(), "html.parser")
        article = html.find(id=f"{pdf.STORY_ANCHOR}{story.id}")
        text = lambda node: " ".join(node.get_text().split()) if node else ""
        if story.series:
            want = labels.series(story)
            assert want == "Joseph’s Story, Part 1"
            assert text(article.find(class_="series")) == text(chapters[story.id].find(class_="series")) == \
                text(page.find(class_="kicker")) == want
            seen += 1
        if story.byline:
            by = labels.byline(story, book).text
            assert by == "By Jane Doe, director of research"
            assert text(article.find(class_="byline")) == text(chapters[story.id].find(class_="byline")) == by
            assert text(page.find(class_="byline")).startswith(by + " · ")
            seen += 1
        if story.dateline:
            when = labels.dateline(story).text
            assert when == "New Focus, 3 November 2016"
            assert text(article.find(class_="dateline")) == text(chapters[story.id].find(class_="dateline")) == when
            assert text(page.find(class_="byline")).endswith(" · " + when)
            seen += 1
    assert seen == 3
