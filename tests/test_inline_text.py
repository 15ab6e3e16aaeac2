"""Issue 18's text structure: emphasis (plain text's `_x_`/`*x*`, a page's or a Word document's
<em>/<strong>) and lines set apart from the prose (a notice, verse), from the source into the model,
anthology.json and every output; the words themselves unchanged, no markup a source could inject."""

import dataclasses
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from pubpipe import inline, pipeline
from pubpipe.publish import epubcheck as epubcheck
from pubpipe.render.pdf import reading as pdf
from pubpipe.model import Anthology, Block

from helpers import lost_words, write_as, write_epub, write_web

ETEXT = Path(__file__).parent / "fixtures" / "league" / "league.txt"


@pytest.fixture(scope="module")
def etext(tmp_path_factory):
    """An e-text as Project Gutenberg has them: `_emphasis_`, and a notice of centred lines."""
    folder = tmp_path_factory.mktemp("sources")
    shutil.copy(ETEXT, folder)
    return pipeline.recover(folder)


@pytest.mark.parametrize("given, plain, html", [
    ("she was always _the_ woman", "she was always the woman", "she was always <em>the</em> woman"),
    ("in the _Daily Telegraph_.", "in the Daily Telegraph.", "in the <em>Daily Telegraph</em>."),
    ("*most* and **very** and ***both***", "most and very and both",
     "<em>most</em> and <strong>very</strong> and <strong><em>both</em></strong>"),
    ("(_sic_), “_never_”", "(sic), “never”", "(<em>sic</em>), “<em>never</em>”"),
    ("_<b>_ & more", "<b> & more", "<em>&lt;b&gt;</em> &amp; more"),
    # not emphasis: the marks stay where they are
    ("a snake_case_name and a_b", "a snake_case_name and a_b", "a snake_case_name and a_b"),
    ("* a bullet at the start", "* a bullet at the start", "* a bullet at the start"),
    ("2*3 and 4*5*6", "2*3 and 4*5*6", "2*3 and 4*5*6"),
    ("a lone _ here and _there", "a lone _ here and _there", "a lone _ here and _there"),
    ("see http://example.org/_x_/ or www.example.org/*y*", "see http://example.org/_x_/ or www.example.org/*y*",
     "see http://example.org/_x_/ or www.example.org/*y*"),
    ("write to _me_you@example.org_", "write to _me_you@example.org_", "write to _me_you@example.org_"),
    ("the __init__ method", "the __init__ method", "the __init__ method"),
])
def test_emphasis_marks_come_off_the_words(given, plain, html):
    text, spans = inline.parse(given)
    assert text == plain
    assert inline.to_html(text, spans) == html


def test_typography_keeps_the_emphasis_where_it_was():
    text, spans = inline.typeset(*inline.parse('He said "_never..._" -- twice.'))
    assert inline.to_html(text, spans) == "He said “<em>never…</em>” — twice."


def test_anthology_json_keeps_text_plain_and_adds_the_emphasis_as_html(etext):
    data = json.loads(json.dumps(etext.to_dict()))
    paragraphs = [b for s in data["stories"] for b in s["blocks"] if b["type"] == "paragraph"]
    assert paragraphs[0]["text"].startswith("To my friend the doctor she was always the woman. I had read of her in the Morning")
    assert "<em>the</em> woman" in paragraphs[0]["html"] and "<em>Morning Chronicle</em>" in paragraphs[0]["html"]
    assert not any("_" in b["text"].replace("my_old_friend", "") for b in paragraphs)
    assert all("html" not in b for b in paragraphs if "_" not in b["text"] and "<em>" not in b.get("html", "<em>"))
    assert Anthology.from_dict(data).stories == etext.stories  # read back exactly
    lines = {"league.txt": ETEXT.read_text(encoding="utf-8").splitlines()}
    assert lost_words(lines, etext) == {}  # the words are the source's, only the marks came off


@pytest.mark.parametrize("html", ["<script>x</script> b", "<em onclick='x'>a</em> b", "<em>a</em> c", "<em>a b",
                                  "<a href='x'>a</a> b"])
def test_html_read_back_is_only_the_text_with_emphasis(html):
    with pytest.raises(ValueError, match="^the paragraph block of line 4: its html"):
        Block.from_dict({"type": "paragraph", "text": "a b", "html": html, "line": 4})


def test_a_notice_of_centred_lines_is_one_set_apart_block_not_headings(etext):
    [story] = etext.stories
    assert [h.text for h in story.headings()] == ["I. THE CHESS CLUB", "II. THE SECOND PAPER"]
    notice, verse = [b for b in story.blocks if b.type == "setapart"]
    assert notice.text.split("\n\n") == ["THE CHESS CLUB", "IS", "DISSOLVED.", "March 3, 1890."]
    assert verse.text.split("\n") == ["The club is shut, the board is bare,", "The kings are in the box;",
                                      "And nobody will find us there", "Behind the iron locks."]
    assert story.blocks[-1].text == "Then he went out, and that was the last we saw of him that year."


def test_every_output_shows_the_emphasis_and_sets_the_notice_apart(etext, tmp_path):
    [story] = etext.stories
    with zipfile.ZipFile(write_epub(etext, tmp_path / "book.epub")) as z:
        chapter = z.read(f"EPUB/stories/{story.id}.xhtml").decode()
        nav = z.read("EPUB/nav.xhtml").decode() + z.read("EPUB/contents.xhtml").decode()
    write_web(etext, tmp_path / "web")
    page = (tmp_path / "web" / "stories" / f"{story.id}.html").read_text(encoding="utf-8")
    snippet = (tmp_path / "web" / "snippets" / f"{story.id}.html").read_text(encoding="utf-8")
    for html, klass, br in ((chapter, "setapart", "<br/>"), (page, "setapart", "<br>"), (snippet, "pp-setapart", "<br>")):
        assert "always <em>the</em> woman" in html and "<em>Morning Chronicle</em>" in html
        assert "_the_" not in html and "_Morning" not in html
        assert f'<div class="{klass}"><p>THE CHESS CLUB</p><p>IS</p><p>DISSOLVED.</p><p>March 3, 1890.</p></div>' in html
    assert "DISSOLVED" not in nav and "II. THE SECOND PAPER" in nav
    assert ("<p>The club is shut, the board is bare,<br/>The kings are in the box;<br/>"
            "And nobody will find us there<br/>Behind the iron locks.</p>") in chapter
    assert epubcheck.validate_epub(tmp_path / "book.epub") == []

    write_as(pdf.render(etext), tmp_path / "book.pdf")
    text = " ".join(subprocess.run(["pdftotext", str(tmp_path / "book.pdf"), "-"], capture_output=True,
                                   text=True, check=True).stdout.split())
    assert "always the woman" in text and "_the_" not in text and "DISSOLVED." in text
    fonts = subprocess.run(["pdffonts", str(tmp_path / "book.pdf")], capture_output=True, text=True, check=True).stdout
    assert "Italic" in fonts

    def titles(outline):
        for entry in outline:
            yield from titles(entry) if isinstance(entry, list) else [entry.title]
    bookmarks = list(titles(PdfReader(tmp_path / "book.pdf").outline))
    assert "II. THE SECOND PAPER" in bookmarks and not any(t in bookmarks for t in ("IS", "DISSOLVED.", "THE CHESS CLUB"))


def test_markup_in_emphasis_or_a_set_apart_block_stays_text(etext, tmp_path):
    text, spans = inline.parse("_<script>alert(1)</script>_ and *<img src=x onerror=alert(1)>*")
    assert spans
    story = dataclasses.replace(etext.stories[0], blocks=(
        Block("paragraph", text, emphasis=spans), Block("setapart", "<b onclick=x>sign</b>\n<i>post</i>")))
    write_web(dataclasses.replace(etext, stories=(story,)), tmp_path / "web")
    page = (tmp_path / "web" / "stories" / f"{story.id}.html").read_text(encoding="utf-8")
    assert "<em>&lt;script&gt;alert(1)&lt;/script&gt;</em>" in page
    assert "<script>alert" not in page and "<img" not in page and "<b " not in page and "<i>" not in page
    assert "&lt;b onclick=x&gt;sign&lt;/b&gt;<br>&lt;i&gt;post&lt;/i&gt;" in page


def test_notes_in_a_row_are_one_box(etext, tmp_path):
    story = dataclasses.replace(etext.stories[0], blocks=(
        Block("paragraph", "The story."), Block("note", "One."), Block("note", "Two."), Block("note", "Three.")))
    write_web(dataclasses.replace(etext, stories=(story,)), tmp_path / "web")
    page = (tmp_path / "web" / "stories" / f"{story.id}.html").read_text(encoding="utf-8")
    assert page.count('role="note"') == 1
    assert " ".join(page.split()).count("<p>One.</p> <p>Two.</p> <p>Three.</p></aside>") == 1


def test_a_saved_pages_emphasis_inside_a_paragraph_is_kept(tmp_path):
    """pubpipe's own reader of a page (trafilatura found nothing): <em>/<i> and <strong>/<b> inside a
    block; a block set wholly in italics is the block's style, and the page cannot forge the marks."""
    from pubpipe.read.dom import html_lines
    lines = html_lines("<html><body><article><h1>T</h1><p>She read the <i>Morning Chronicle</i> and was "
                       "<b>very</b> calm &#xFDD0;here&#xFDD1;.</p><p><em>All of it italic.</em></p></article></body></html>")
    text, spans = inline.parse(lines[1].text)
    assert inline.to_html(text, spans) == "She read the <em>Morning Chronicle</em> and was <strong>very</strong> calm here."
    assert lines[2].text == "All of it italic."


def test_a_saved_pages_emphasis_found_by_trafilatura_is_kept():
    """A saved page read by trafilatura: the words the page sets in <em>/<strong> inside a paragraph
    are emphasis, found where the page shows them (no space lost after them); a paragraph the page
    sets wholly in italics keeps its words plain."""
    from pubpipe.read.webpage import read_page
    page = read_page(
        "<!doctype html><html><head><title>A Day at the Harbour – Example News</title></head><body>"
        "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>A Day at the Harbour</h1>"
        "<p>The boats went out before sunrise, as they had every morning for a hundred years, and the "
        "<em>Morning Chronicle</em> sent a reporter along to watch them go out past the harbour wall.</p>"
        "<p>By noon the fish were sold and the boats were <strong>back</strong>in the harbour, and the "
        "fishermen sat on the wall mending their nets and talking about the price of cod.</p>"
        "<p><i>This article first appeared in print in the weekend edition of the paper.</i></p>"
        "</article><footer>Copyright Example News</footer></body></html>")
    assert page.reader == "trafilatura"
    html = [inline.to_html(*inline.parse(line.text)) for line in page.lines if line.tag == "p"]
    assert "and the <em>Morning Chronicle</em> sent a reporter" in html[0]
    assert "the boats were <strong>back</strong>in the harbour" in html[1]
    assert html[2] == "This article first appeared in print in the weekend edition of the paper."


def test_a_saved_pages_emphasis_reaches_anthology_json(tmp_path):
    """Through ingest, cleaning and structure: the marks are not taken for invisible characters."""
    folder = tmp_path / "sources"
    folder.mkdir()
    (folder / "page.html").write_text(
        "<!doctype html><html><head><title>A Day at the Harbour</title></head><body><article>"
        "<h1>A Day at the Harbour</h1><p>The boats went out before sunrise, as they had every morning for a "
        "hundred years, and the <em>Morning Chronicle</em> sent a reporter to watch them go.</p>"
        "<p>By noon the fish were sold and the boats were <b>back</b> in the harbour, mending their nets.</p>"
        "</article></body></html>", encoding="utf-8")
    blocks = [b.to_dict() for b in pipeline.recover(folder).stories[0].blocks]
    assert [b.get("html") for b in blocks] == [
        "The boats went out before sunrise, as they had every morning for a hundred years, and the "
        "<em>Morning Chronicle</em> sent a reporter to watch them go.",
        "By noon the fish were sold and the boats were <strong>back</strong> in the harbour, mending their nets."]
    assert "\ufdd0" not in json.dumps(blocks) and "\\ufdd0" not in json.dumps(blocks)
