"""The reading edition (pubpipe.render.pdf.reading) and the print edition (pubpipe.render.pdf.imposition), checked with poppler."""

import dataclasses
import io
import os
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter
from weasyprint import HTML
from weasyprint.urls import FatalURLFetchingError

from helpers import write_as
from pubpipe.render.pdf import reading as pdf
from pubpipe.render.pdf import fetcher as fetcher_module
from pubpipe.render.pdf import parts as pdfbook
from pubpipe.render.templates import styles_dir
from pubpipe.render.pdf.imposition import imposition_order, impose, padded_pages, reading_page, saddle_order, signatures
from pubpipe.model import Anthology, Block

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z
HOSTILE = ('<img src="file:///etc/passwd">', '<link rel="attachment" href="file:///etc/hostname">')

LAYOUT = pdf.Layout(part_words=(250, 700), sheet_piece=4)
"""Parts this short make the fixture's book two parts, one of two stories: every test of the book
below checks the assembly too (test_the_book_is_assembled_from_parts says so); the folio sheet in
pieces of four pages: the folios of the fixture come from several pieces."""
HERE = dataclasses.replace(LAYOUT, here=True)
"""The same, laid out in this process (where a patch reaches it)."""

pytestmark = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


def run(*args) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def page_text(path, number, *crop) -> str:
    """pdftotext -layout of one page (optionally a -x -y -W -H crop, in points)."""
    extra = [f"-{k}" for k in "xyWH"] if crop else []
    extra = [str(v) for pair in zip(extra, crop) for v in pair]
    return run("pdftotext", "-layout", "-f", str(number), "-l", str(number), *extra, str(path), "-")


def flat(text: str) -> str:
    return " ".join(text.split())


def hostile_anthology() -> Anthology:
    """The fixture, with source text that looks like markup fetching local files."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    first = anthology.stories[0]
    blocks = first.blocks + tuple(Block(type="paragraph", text=t) for t in HOSTILE)
    stories = (dataclasses.replace(first, blocks=blocks),) + anthology.stories[1:]
    return dataclasses.replace(anthology, stories=stories)


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """One render of the fixture (plus hostile text) and its imposition, with fetches recorded."""
    out = tmp_path_factory.mktemp("pdf")
    fetchers = []

    class RecordingFetcher(pdf.SafeFetcher):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            fetchers.append(self)

    anthology = hostile_anthology()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        mp.setattr(fetcher_module, "SafeFetcher", RecordingFetcher)  # (what the layout takes it from)
        info = write_as(pdf.render(anthology, layout=HERE), out / "book.pdf")  # the recording fetcher lays out here
    printed = impose(out / "book.pdf", out / "print.pdf", back_cover=info.back_cover)
    requested = [url for f in fetchers for url in f.requested]
    return dict(dir=out, path=out / "book.pdf", info=info, anthology=anthology,
                print_path=out / "print.pdf", printed=printed, requested=requested)


def test_page_size_metadata_and_fonts(book):
    info = run("pdfinfo", str(book["path"]))
    assert re.search(r"Page size:\s+419\.5\d* x 595\.2\d* pts", info)
    assert re.search(r"^Title:\s+Stories of Courage$", info, re.M)
    assert re.search(r"^Author:\s+Jane Doe$", info, re.M)  # the stories' author, never the publisher or the tool
    assert re.search(rf"^Pages:\s+{book['info'].pages}$", info, re.M)
    assert PdfReader(book["path"]).trailer["/Root"]["/Lang"] == "en"
    rows = run("pdffonts", str(book["path"])).splitlines()[2:]
    assert rows, "no fonts"
    for row in rows:
        assert row.split()[-5] == "yes", f"font not embedded: {row}"
    names = " ".join(rows)
    assert "Literata" in names and "Inter" in names and "CJK" in names


def test_contents_numbers_are_the_opening_pages(book):
    info, path = book["info"], book["path"]
    stories = book["anthology"].stories
    assert list(info.story_pages) == [s.id for s in stories]
    contents = next(n for n in range(1, info.pages + 1) if "CONTENTS" in page_text(path, n))
    listed = {}
    text = page_text(path, contents)
    assert "..." not in text  # the dots are drawn, not text a screen reader would read out
    for line in text.splitlines():
        if m := re.match(r"\s*(\S.*?)\s{2,}(\d+)\s*$", line):
            listed[m[1]] = int(m[2])
    assert listed == {s.title: info.story_pages[s.id] for s in stories}
    # Stories run on: each opens on the page after the one before ends (a part on a recto).
    openings = sorted(info.story_pages.values())
    assert openings[0] % 2 == 1, "the first story opens on a left-hand page"
    for story in stories:
        opening = info.story_pages[story.id]
        # The title (case-sensitive: running heads are in capitals) first appears there.
        first = next(n for n in range(contents + 1, info.pages + 1) if story.title in page_text(path, n))
        assert first == opening


def test_running_heads_and_folios(book):
    info, path = book["info"], book["path"]
    opening = info.story_pages["promise"]
    assert not re.search(r"^\s*\d+\s*$", page_text(path, opening), re.M), "folio on an opening page"
    left = page_text(path, opening + 1)
    # Running heads are letter-spaced: pdftotext splits their letters.
    assert "STORIESOFCOURAGE" in "".join(left.split()) and re.search(rf"^\s*{opening + 1}\s*$", left, re.M)
    right = page_text(path, opening + 2)
    assert "APROMISETOHISFATHER" in "".join(right.split()) and re.search(rf"^\s*{opening + 2}\s*$", right, re.M)
    for cover_or_title in (1, 3):
        assert not re.search(r"^\s*\d+\s*$", page_text(path, cover_or_title), re.M)


def test_hangul_is_set_and_extractable(book):
    text = page_text(book["path"], book["info"].story_pages["korean"])
    assert "평양의 봄" in text
    assert "북한 주민들은 외부 세계에 대한 정보를" in flat(text)


def test_source_text_is_text_and_fetches_nothing(book):
    text = flat(run("pdftotext", "-layout", str(book["path"]), "-"))
    assert "The end <script>alert(1)</script> & done." in text
    for hostile in HOSTILE:
        assert hostile in text
    reader = PdfReader(book["path"])
    assert "/Names" not in reader.trailer["/Root"] or \
        "/EmbeddedFiles" not in reader.trailer["/Root"]["/Names"]
    for page in reader.pages:
        xobjects = page["/Resources"].get("/XObject", {})
        assert not any(x.get_object().get("/Subtype") == "/Image" for x in xobjects.values())
    roots = pdf.allowed_roots()
    assert book["requested"], "the stylesheet and fonts should have been fetched"
    for url in book["requested"]:
        assert url.startswith("file:") and any(str(r) in url for r in roots), url


def test_fetcher_refuses_everything_but_styles_and_fonts():
    fetcher = pdf.SafeFetcher()
    css = (styles_dir() / "book.css").resolve()
    assert fetcher.fetch(css.as_uri()).read() == css.read_bytes()
    for url in ("file:///etc/passwd", "file:///etc/hostname", "https://example.com/x.css",
                "data:text/css,p{}", css.as_uri() + "/../../../../../../etc/passwd",
                (styles_dir() / ".." / ".." / ".." / "etc" / "passwd").as_uri()):
        with pytest.raises(pdf.FetchRefused):
            fetcher.fetch(url)


@pytest.mark.parametrize("markup", HOSTILE)
def test_markup_reaching_weasyprint_is_refused(markup, tmp_path):
    # Should markup ever get past autoescape, the fetcher still stops the render.
    html = HTML(string=f"<p>x</p>{markup}", base_url=styles_dir().as_uri() + "/",
                url_fetcher=pdf.SafeFetcher())
    with pytest.raises(FatalURLFetchingError):
        html.write_pdf(tmp_path / "x.pdf")


def test_reproducible_under_source_date_epoch(book, monkeypatch, tmp_path):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    again = write_as(pdf.render(book["anthology"], layout=LAYOUT), tmp_path / "again.pdf")  # in the layout processes
    assert again == book["info"]
    assert (tmp_path / "again.pdf").read_bytes() == book["path"].read_bytes()
    assert re.search(r"^CreationDate:\s+2023-11-14T22:13:20", run("pdfinfo", "-isodates", str(book["path"])), re.M)


def test_linear_layout_loops_change_no_byte(book, monkeypatch, tmp_path):
    """pubpipe.render.pdf.layoutspeed's replacements lay the book out exactly as WeasyPrint's own loops do."""
    from pubpipe.render.pdf import layoutspeed
    assert layoutspeed.install()  # the pinned WeasyPrint: the book fixture was rendered with them
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(layoutspeed, "install", layoutspeed.uninstall)
    import weasyprint.layout
    try:
        write_as(pdf.render(book["anthology"], layout=HERE), tmp_path / "plain.pdf")  # the patch reaches only this process
        assert weasyprint.layout.layout_fixed_boxes is layoutspeed._original_fixed
    finally:
        monkeypatch.undo()
        layoutspeed.install()
    assert (tmp_path / "plain.pdf").read_bytes() == book["path"].read_bytes()


def test_linear_layout_loops_with_fixed_boxes(tmp_path):
    """A document that has position: fixed boxes and margin boxes on named and blank pages."""
    from pubpipe.render.pdf import layoutspeed
    html = ("<style>@page { size: A6; @top-center { content: 'head ' counter(page) } }"
            "@page :blank { @bottom-left { content: 'blank' } } @page wide { @right-middle { content: 'w' } }"
            ".fix { position: fixed; top: 0; left: 0 } section { page: wide; break-before: right }</style>"
            "<div class=fix>on every page</div>" + "<p>line of text</p>" * 60 + "<section>named</section>" * 3)
    outputs = []
    for setup in (layoutspeed.uninstall, layoutspeed.install):
        setup()
        outputs.append(HTML(string=html).write_pdf())
    assert outputs[0] == outputs[1]
    assert len(PdfReader(io.BytesIO(outputs[1])).pages) >= 4


@pytest.mark.parametrize("kept", [512, 2])
def test_font_descriptions_kept_change_no_byte(kept, monkeypatch):
    """Fonts that differ in each property WeasyPrint's description reads (family, style, stretch,
    weight, size, small caps, variation settings) are each laid out as WeasyPrint lays them out, with
    the descriptions kept (and with a cache so small it is forgotten over and over)."""
    from pubpipe.render.pdf import layoutspeed
    monkeypatch.setattr(layoutspeed, "DESCRIPTIONS_KEPT", kept)
    spans = ["<span style='font-family: serif'>serif</span>", "<span style='font-family: monospace'>mono</span>",
             "<i>italic</i>", "<span style='font-stretch: condensed'>condensed</span>", "<b>bold</b>",
             "<span style='font-weight: 300'>light</span>", "<span style='font-size: 9.01pt'>a hair larger</span>",
             "<span style='font-variant: small-caps'>Small Caps</span>",
             "<span style='font-variation-settings: \"wght\" 650'>varied</span>", "<u>underlined</u>"]
    html = ("<style>@page { size: A6 } p { font: 9pt sans-serif; hyphens: auto }</style>"
            + "".join(f"<p lang=en>{' and '.join(spans[i:] + spans[:i])} words to fill a line or two</p>"
                      for i in range(len(spans))) * 3)
    outputs = []
    try:
        for setup in (layoutspeed.uninstall, layoutspeed.install):
            setup()
            outputs.append(HTML(string=html).write_pdf())
        assert 0 < len(layoutspeed._descriptions) <= kept
    finally:
        layoutspeed.install()
    assert outputs[0] == outputs[1]


JUSTIFIED = ("<style>@page { size: A6 } p { text-align: justify; font: 9pt serif; hyphens: auto }"
             ".ws { word-spacing: 2pt } .ls { letter-spacing: 0.5pt } .pre { white-space: pre-line }</style>"
             + "<p lang=en>A plain justified paragraph, long enough to run over several lines of an A6 page, "
               "with <i>italic words</i>, <b>bold ones</b>, <u>an underlined phrase that runs on</u>, "
               "<s>struck words</s> and <span style='text-decoration: overline'>an overline</span>.</p>"
             + "<p class=ws lang=en>Word spacing set, <span class=ws> </span> a lone spaced space, and more words "
               "to fill the lines of the paragraph out to the measure.</p>"
             + "<p class=ls lang=en>Letter spacing set on words that fill a justified line or two of the page.</p>"
             + "<p class=pre lang=en>Lines kept as written\nwith a break in the middle of the paragraph and more "
               "words after it, so that it is justified too.</p>"
             + "<p dir=rtl lang=ar>نص عربي مضبوط على الجانبين يمتد على أكثر من سطر واحد في الصفحة ليختبر الاتجاه</p>") * 4


def test_justified_lines_without_a_throwaway_layout_change_no_byte():
    """pubpipe.render.pdf.layoutspeed.justified_layout leaves of a justified line's text boxes what
    WeasyPrint's deactivated layout leaves (every attribute, for every box of a document with
    decorations, spacing, breaks kept and right-to-left text), and the PDF is the same byte for byte."""
    from pubpipe.render.pdf import layoutspeed
    import weasyprint.layout.inline as inline
    calls = []

    def spy(*args, **kwargs):
        calls.append((args, kwargs))
        return layoutspeed._original_create_layout(*args, **kwargs)
    outputs = []
    try:
        layoutspeed.uninstall()
        inline.create_layout = spy
        outputs.append(HTML(string=JUSTIFIED).write_pdf())
        layoutspeed.uninstall()
        assert len(calls) > 40
        shells = 0
        for args, kwargs in calls:
            theirs = layoutspeed._original_create_layout(*args, **kwargs)
            ours = layoutspeed.justified_layout(*args, **kwargs)
            shells += ours.layout is None
            theirs.deactivate()
            ours.deactivate()
            assert vars(ours) == vars(theirs), args[0]
        assert 0 < shells < len(calls)  # both ways taken
        layoutspeed.install()
        outputs.append(HTML(string=JUSTIFIED).write_pdf())
    finally:
        layoutspeed.uninstall()  # (the spy too, should the render have failed: install() refuses a stranger)
        layoutspeed.install()
    assert outputs[0] == outputs[1]


DRAWN = (JUSTIFIED
         + "<style>.big { font-size: 14pt } .mono { font-family: monospace } .caps { font-variant: small-caps }</style>"
         + "<p lang=en>Kerned pairs: AVATAR, Wave, Type, LTA, off-fit. <span class=big>Larger AV To</span> "
           "<span class=mono>mono AV</span> <span class=caps>Small Caps Ta</span> and ligatures: office, ffl.</p>"
         + "<p lang=fr>Accents composed: e\u0301te\u0301, a\u0300 la\u0302, n\u0303o; precomposed: été, à.</p>"
         + "<p lang=vi>Marks the font stacks and raises: e\u0323\u0302\u0301, a\u0302\u0301\u0323.</p>"
         + "<p lang=ar>بِسْمِ ٱللَّٰهِ في سطر عربي</p>"
         + "<p lang=en>A character no font has: \ue000 between words, then more words.</p>"
         + "<p lang=en style='text-overflow: ellipsis; overflow: hidden; white-space: nowrap; width: 3cm'>"
           "A line cut short with an ellipsis at its end</p>") * 3


def test_lines_drawn_from_kept_fragments_change_no_byte():
    """pubpipe.render.pdf.layoutspeed.draw_first_line writes each line's TJ string, the fonts' widths
    and ToUnicode maps as WeasyPrint's function does: a document with justified and spaced lines,
    kerning, ligatures, several fonts and sizes, right-to-left text, marks raised by the font (composed
    accents), a character no font has and an ellipsis (the last three left to WeasyPrint) is the same
    PDF byte for byte, and both ways are taken."""
    from pubpipe.render.pdf import layoutspeed
    import weasyprint.draw.text as text
    taken = {"ours": 0, "left": 0, "unusual": 0}
    real, runs = layoutspeed._original_draw_first_line, layoutspeed._runs

    def theirs(*args):
        taken["left"] += 1
        return real(*args)

    def counted(*args):
        try:
            found = runs(*args)
        except layoutspeed._Unusual:
            taken["unusual"] += 1
            raise
        taken["ours"] += 1
        return found
    outputs = []
    try:
        layoutspeed.uninstall()
        outputs.append(HTML(string=DRAWN).write_pdf())
        text.draw_first_line = layoutspeed.draw_first_line
        layoutspeed._original_draw_first_line, layoutspeed._runs = theirs, counted
        outputs.append(HTML(string=DRAWN).write_pdf())
    finally:
        layoutspeed._original_draw_first_line, layoutspeed._runs = real, runs
        layoutspeed.uninstall()
        layoutspeed.install()
    # raised marks (3 paragraphs' lines), a character no font has (3), each leave a line to WeasyPrint;
    # so do the ellipsis' lines, before any glyph is looked at
    assert taken["ours"] > 50 and taken["unusual"] >= 9 and taken["left"] > taken["unusual"], taken
    assert outputs[0] == outputs[1]


def test_the_front_matter_is_laid_out_while_the_back_matter_still_is(monkeypatch):
    """reading.bind given the back matter as a runner.Later (as `render` gives it: it may still be in
    a layout process as the last piece ends) lays the front matter out without waiting for it, and
    binds the same book, byte for byte, as with the back matter given at once."""
    import threading
    from concurrent.futures import Future
    from pubpipe.orchestrate.runner import Later, Local
    from pubpipe.render.pdf import glyphs as pdfglyphs
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    anthology = hostile_anthology()
    contents = pdf.contents_of(anthology)
    laid_out = [laid for part in pdfbook.parts(anthology, HERE.part_words)
                for laid in pdf._lay_out_pieces(Local(), [(piece, pdfglyphs.unshowable(piece))
                                                          for piece in pdfbook.pieces(part, HERE.piece_words)], False, HERE)]
    back = pdf.render_back(contents, pdfglyphs.unshowable(contents))
    fronted, pending = threading.Event(), Future()

    def front(*args):
        fronted.set()
        return pdf.lay_out_front(*args)

    def give_back():
        pending.set_result(back) if fronted.wait(10) else pending.set_exception(AssertionError("waited"))
    threading.Thread(target=give_back).start()
    later = pdf.bind(anthology, laid_out, Later(pending), HERE, front=front)
    at_once = pdf.bind(anthology, laid_out, back, HERE)
    assert later.data == at_once.data and later.info == at_once.info


def test_a_later_input_is_left_out_of_a_steps_cache_key():
    """runner.Later in a step's parameters: the step's cache key is its other inputs' (the later one
    must be a function of them), and the same whatever the Later holds."""
    from types import SimpleNamespace
    from pubpipe.cache import content_key
    from pubpipe.orchestrate.runner import Later, done
    step = SimpleNamespace(task=SimpleNamespace(name="step"))
    one = content_key(step, {"a": (1, 2), "later": Later(done("x"))})
    assert one == content_key(step, {"a": (1, 2), "later": Later(done("y"))})
    assert one != content_key(step, {"a": (1, 3), "later": Later(done("x"))})


def test_saddle_order():
    assert saddle_order(8) == [(8, 1), (2, 7), (6, 3), (4, 5)]
    assert sorted(p for pair in saddle_order(16) for p in pair) == list(range(1, 17))
    with pytest.raises(ValueError):
        saddle_order(6)


def test_print_edition(book):
    printed, path = book["printed"], book["print_path"]
    pages_in = book["info"].pages
    assert printed.pages_in == pages_in
    # Blanks before the back cover (the reading edition's last page); never a whole sheet of them.
    assert book["info"].back_cover
    assert printed.pages_padded % 4 == 0 and pages_in <= printed.pages_padded < pages_in + 4
    assert printed.sheets == printed.pages_padded // 4
    sizes = re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)",
                       run("pdfinfo", "-f", "1", "-l", "999", str(path)))
    assert len(sizes) == printed.pages_padded // 2 and len(sizes) % 2 == 0
    assert all(float(w) > float(h) for w, h in sizes)
    assert all(abs(float(w) - 841.89) < 0.1 and abs(float(h) - 595.28) < 0.1 for w, h in sizes)


def test_print_edition_halves_hold_the_right_pages(book):
    path, source = book["print_path"], book["path"]
    half = 841.89 / 2
    padded, pages = book["printed"].pages_padded, book["info"].pages
    for number, pair in enumerate(saddle_order(padded), start=1):
        for slot, booklet_page in enumerate(pair):
            got = page_text(path, number, int(slot * half), 0, int(half), 596).split()
            page = reading_page(booklet_page, pages, padded, True)
            want = page_text(source, page).split() if page else []
            assert got == want, f"print page {number}, slot {slot}: expected reading page {page}"


def test_padding_goes_before_the_back_cover():
    """Without a back cover of its own, a PDF gets a blank one; with one, the blanks go before it."""
    assert [padded_pages(n) for n in (1, 3, 4, 5, 7, 8, 25, 28)] == [4, 4, 8, 8, 8, 12, 28, 32]
    assert [padded_pages(n, True) for n in (2, 4, 6, 8, 22, 28)] == [4, 4, 8, 8, 24, 28]
    assert [reading_page(n, 22, 24, True) for n in (1, 21, 22, 23, 24)] == [1, 21, None, None, 22]
    assert [reading_page(n, 22, 24, False) for n in (1, 22, 23, 24)] == [1, 22, None, None]


def test_print_edition_back_cover_is_the_books_and_front_is_the_cover(book):
    """Before: the back cover was a white page (a padding blank)."""
    path, printed = book["print_path"], book["printed"]
    half = 841.89 / 2
    assert saddle_order(printed.pages_padded)[0] == (printed.pages_padded, 1)
    back = page_text(path, 1, 0, 0, int(half), 596)
    front = page_text(path, 1, int(half), 0, int(half), 596)
    assert "Stories of Courage" in back and "3 stories" in flat(back).lower()
    assert "Stories of Courage" in front
    assert PdfReader(path).trailer["/Root"]["/Lang"] == "en"
    assert re.search(r"^Title:\s+Stories of Courage$", run("pdfinfo", str(path)), re.M)


def test_impose_300_pages(book, tmp_path):
    """A long book imposes whole (its speed is measured in benchmarks/bench_pdf.py, not here)."""
    reader = PdfReader(book["path"])
    writer = PdfWriter()
    while len(writer.pages) < 300:
        for page in reader.pages:
            writer.add_page(page)
    big = tmp_path / "big.pdf"
    writer.write(big)
    info = impose(big, tmp_path / "big-print.pdf")
    assert info.pages_padded % 4 == 0 and info.sheets == info.pages_padded // 4
    assert len(PdfReader(tmp_path / "big-print.pdf").pages) == info.sheets * 2
    # 75-odd sheets do not fold and staple as one booklet: the fewest signatures of at most 8 sheets
    assert len(info.signatures) == -(-info.sheets // 8) and sum(info.signatures) == info.sheets
    assert max(info.signatures) <= 8 and max(info.signatures) - min(info.signatures) <= 1


def test_a_long_book_is_imposed_in_signatures_a_short_one_as_one_booklet():
    """Before: a 334-page book was one saddle-stitched booklet of 84 sheets."""
    assert signatures(64) == [(1, 64)] and imposition_order(64) == saddle_order(64)
    assert signatures(68) == [(1, 24), (25, 24), (49, 20)]  # 17 sheets: 6, 6 and 5
    order = imposition_order(336)  # the 334-page book, padded
    assert sorted(p for pair in order for p in pair) == list(range(1, 337))
    first, pages = 0, 0
    for start, count in signatures(336):  # each signature: its own outer sheet, pages in order when folded
        assert count % 4 == 0 and count <= 32
        sheet = order[(start - 1) // 2]
        assert sheet == (start + count - 1, start)
        pages += count
    assert pages == 336 and len(signatures(336)) == 11


def test_the_report_says_how_to_bind_signatures():
    from pubpipe.publish.report import render_report
    from pubpipe.model import Anthology
    printing = {"print_name": "book-print.pdf", "sheets": 84, "pages": 336, "blanks": 2,
                "signatures": (8,) * 7 + (7,) * 4}
    text = render_report(Anthology(title="T", stories=()), {}, printing=printing)
    assert "11 signatures" in text and "8, 8, 8, 8, 8, 8, 8, 7, 7, 7 and 7" in text
    assert "staple on the fold" not in text and "perfect" in text
    one = render_report(Anthology(title="T", stories=()), {}, printing={**printing, "sheets": 7, "signatures": (7,)})
    assert "staple on the fold" in one and "signatures" not in one


def test_tagged_pdf_ua_with_metadata(book):
    info = run("pdfinfo", str(book["path"]))
    assert re.search(r"^Tagged:\s+yes$", info, re.M)
    assert re.search(r"^Metadata Stream:\s+yes$", info, re.M)
    assert re.search(r"^PDF version:\s+1\.7$", info, re.M)
    reader = PdfReader(book["path"])
    root = reader.trailer["/Root"]
    assert root["/MarkInfo"]["/Marked"] and root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert "/StructTreeRoot" in root
    xmp = reader.xmp_metadata
    assert xmp.dc_title == {"x-default": "Stories of Courage"} and xmp.dc_creator == ["Jane Doe"]
    assert b"pdfuaid:part" in root["/Metadata"].get_object().get_data()


def _outline(reader, items, depth=0):
    """[(depth, title, 1-based page)] of a pypdf outline, in order."""
    rows = []
    for item in items:
        if isinstance(item, list):
            rows += _outline(reader, item, depth + 1)
        else:
            rows.append((depth, item.title, reader.get_destination_page_number(item) + 1))
    return rows


def test_bookmarks_for_contents_every_story_and_heading(book):
    info, path = book["info"], book["path"]
    reader = PdfReader(path)
    rows = _outline(reader, reader.outline)
    contents = next(n for n in range(1, info.pages + 1) if "CONTENTS" in page_text(path, n))
    colophon = next(n for n in range(1, info.pages + 1) if "SOURCES AND CREDITS" in page_text(path, n))
    want = [(0, "Sources and credits", colophon), (0, "Contents", contents)]
    for story in book["anthology"].stories:
        want.append((0, story.title, info.story_pages[story.id]))
        want += [(1, heading.text, None) for heading in story.headings()]
    assert [(d, t) for d, t, _ in rows] == [(d, t) for d, t, _ in want]
    for (depth, title, page), (_, _, expected) in zip(rows, want):
        if expected is not None:
            assert page == expected, title
        else:  # a heading: its bookmark opens the page that shows it
            assert title in flat(page_text(path, page)), title


def test_running_title_is_one_line_and_never_cut_mid_phrase():
    """Before: a long title was cut at the last word that fitted, with an ellipsis ("…MOTHERS MUST
    SELL THEIR BODIES TO RETURN…" as a running head)."""
    assert pdf.running_title("The Clinic That Comes to Town: Eye Care on the Roads") == \
        "The Clinic That Comes to Town"
    assert pdf.running_title("Note: a title") == "Note: a title"  # too short a main title to cut
    assert pdf.running_title("Love Prevails—Three North Korean Love Stories") == "Love Prevails"
    assert pdf.running_title("Why did she go? The long road home", limit=20) == "Why did she go?"
    long = "Harbour & District Food Bank fixes donation form after volunteer’s warning"
    assert pdf.running_title(long, limit=46, fallback="Stories of Courage") == "Stories of Courage"
    assert pdf.running_title(long, limit=46) == ""
    assert pdf.running_title("  A   Promise  ") == "A Promise"
    korean = "여든에 처음 쓴 편지 섬마을 할머니들의 한글 교실 이야기 그리고 더 많은 이야기"
    assert pdf.running_title(korean, limit=40, fallback="Book") == "Book"


def test_a_long_titles_running_head_is_the_books(book):
    """A story whose title has no short form that fits is headed with the book's title."""
    anthology = book["anthology"]
    first = anthology.stories[0]
    long = first.title + " and what the mothers who sold everything to come home told us about it all"
    html = pdf.book_html(dataclasses.replace(anthology, stories=(dataclasses.replace(first, title=long),)), None,
                         stories=(dataclasses.replace(first, title=long),))
    assert f'data-running="{anthology.title}"' in html and "…" not in re.findall(r'data-running="([^"]*)"', html)[-1]


def test_authors_are_the_books_author_or_else_the_stories_never_the_publisher(book):
    anthology = book["anthology"]
    assert pdf.book_authors(anthology) == ["Jane Doe"]  # the fixture's publisher is no author
    unpublished = dataclasses.replace(anthology, publisher=None)
    assert pdf.book_authors(unpublished) == ["Jane Doe"]
    assert '<meta name="author" content="Jane Doe">' in pdf.book_html(unpublished, None)
    assert pdf.book_authors(dataclasses.replace(anthology, author="Ann Author")) == ["Ann Author"]
    assert pdf.book_authors(dataclasses.replace(anthology, editor="Ed Editor")) == ["Ed Editor"]


def test_fonts_are_the_project_fonts_and_hangul_stays_upright(book):
    rows = run("pdffonts", str(book["path"])).splitlines()[2:]
    names = [row.split()[0].split("+", 1)[-1] for row in rows]
    assert all(n.startswith(("Literata", "Inter", "Noto-Serif-CJK", "Noto-Sans-CJK")) for n in names), names
    assert not [n for n in names if "CJK" in n and "Oblique" in n], "a slanted Hangul font was synthesised"


def test_reproducible_in_another_process(book, tmp_path):
    # Hash randomisation or a clock must not reach the bytes: render again in a new interpreter.
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
              "from test_pdf import hostile_anthology, HERE; from pubpipe.render.pdf import reading as pdf; "
              "from helpers import write_as; write_as(pdf.render(hostile_anthology(), layout=HERE), Path(sys.argv[2]))")
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", script, str(Path(__file__).parent), str(tmp_path / "b.pdf")],
                   check=True, env=env, timeout=300)
    assert (tmp_path / "b.pdf").read_bytes() == book["path"].read_bytes()


def test_page_reference_cache_returns_what_pydyf_would():
    import pydyf
    from pubpipe.render.pdf import tags as pdftags
    assert pdftags.speed_up_page_references() and pdftags.speed_up_page_references()
    document = pydyf.PDF()
    assert document.page_references == ()
    for count in (1, 2, 5):
        while len(document.pages["Kids"]) < 3 * count:
            document.add_page(pydyf.Dictionary({"Type": "/Page"}))
        assert document.page_references == pdftags._original.fget(document)
        assert len(document.page_references) == count


def test_print_edition_is_reproducible(book, tmp_path):
    impose(book["path"], tmp_path / "again-print.pdf", back_cover=True)
    assert (tmp_path / "again-print.pdf").read_bytes() == book["print_path"].read_bytes()


def _drawn(path: Path, prefix: Path) -> list:
    """Each page of the PDF ``path`` drawn (pdftoppm, 30 dpi), as PNG bytes."""
    run("pdftoppm", "-png", "-r", "30", str(path), str(prefix))
    return [p.read_bytes() for p in sorted(prefix.parent.glob(prefix.name + "-*.png"))]


def test_the_print_edition_made_beside_the_assembly_is_the_book_imposed(book, monkeypatch, tmp_path):
    """Laid out in the layout processes, a short book's print edition is imposed from its parts
    while the reading edition is assembled from them (issue 19): its pages are drawn exactly as those
    of the assembled book imposed, with the same document facts; laid out here, none is made beside."""
    from pubpipe.render.pdf import imposition
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    rendered = pdf.render(book["anthology"], layout=LAYOUT)
    assert rendered.data == book["path"].read_bytes()  # the reading edition as ever
    made = imposition.made_beside(rendered)
    assert made is not None and made.name == f"{book['anthology'].slug}-print.pdf"
    assert imposition.render(rendered, LAYOUT) is made  # not imposed again
    assert made.info == book["printed"]
    (tmp_path / "beside.pdf").write_bytes(made.data)
    beside = _drawn(tmp_path / "beside.pdf", tmp_path / "beside")
    assert len(beside) == book["printed"].pages_padded // 2
    assert beside == _drawn(book["print_path"], tmp_path / "after")

    def facts(path):
        return [line for line in run("pdfinfo", "-isodates", str(path)).splitlines() if not line.startswith("File size")]
    assert facts(tmp_path / "beside.pdf") == facts(book["print_path"])
    assert imposition.made_beside(pdf.render(book["anthology"], layout=HERE)) is None  # imposed after, as a step


def test_a_failed_assembly_waits_for_the_imposition_beside_it():
    """The print edition imposed beside writes into the assembly's work folder: an assembly that
    fails leaves the folder only once the imposition has ended, and its own error is the one raised."""
    import threading
    import time
    ended = threading.Event()
    front = pdf.LaidOut(b"%PDF", (True,), {})
    story = pdf.LaidOut(b"%PDF", (True, True), {"s": 1})

    def imposing(function, *args):
        time.sleep(0.5)
        ended.set()

    def failing(function, *args):
        raise RuntimeError("the assembly failed")
    anthology = Anthology(title="T", stories=(dataclasses.replace(hostile_anthology().stories[0], id="s"),))
    with pytest.raises(RuntimeError, match="the assembly failed"):
        pdfbook.book_from_parts(anthology, [story], lambda a, pages: front, lambda pages: [b"%PDF"],
                                run=failing, guess=1, impose=imposing)
    assert ended.is_set()


def test_check_refuses_an_untagged_pdf_without_bookmarks(book, tmp_path):
    from pubpipe.publish.validate import Findings, check_pdf
    found = Findings()
    check_pdf(book["path"], found)
    assert not found.errors and f"{book['path'].name}: tagged PDF" in found.passed
    writer = PdfWriter()
    writer.add_blank_page(width=419.53, height=595.28)
    writer.write(tmp_path / "plain.pdf")
    found = Findings()
    check_pdf(tmp_path / "plain.pdf", found)
    assert found.errors == ["plain.pdf: not a tagged PDF (no /MarkInfo or structure tree)", "plain.pdf: no bookmarks"]
    quick = Findings()  # the build's check of its staging folder: pdfinfo, no bookmark check
    assert check_pdf(tmp_path / "plain.pdf", quick, thorough=False) == 1
    assert quick.errors == ["plain.pdf: not a tagged PDF (no /MarkInfo or structure tree)"]
    quick = Findings()
    assert check_pdf(book["path"], quick, thorough=False) == book["info"].pages and not quick.errors
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 not really")
    for thorough in (True, False):
        broken = Findings()
        assert check_pdf(tmp_path / "broken.pdf", broken, thorough=thorough) == 0
        assert broken.errors[0].startswith("broken.pdf: not a readable PDF")


def test_collection_thresholds_are_restored_after_a_render(tmp_path):
    import gc
    before = gc.get_threshold()
    with pytest.raises(RuntimeError):
        with pdf.fewer_collections():
            assert gc.get_threshold()[0] == 100_000
            raise RuntimeError("a failed render")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_the_book_is_assembled_from_parts(book):
    parts = pdfbook.parts(book["anthology"], LAYOUT.part_words)
    assert len(parts) >= 2 and any(len(p.stories) > 1 for p in parts)
    assert [s for p in parts for s in p.stories] == list(book["anthology"].stories)


def test_contents_link_to_the_openings(book):
    info, path = book["info"], book["path"]
    reader = PdfReader(path)
    contents = next(n for n in range(1, info.pages + 1) if "CONTENTS" in page_text(path, n))
    targets = []
    for annot in reader.pages[contents - 1].get("/Annots", ()):
        annot = annot.get_object()
        assert "/A" not in annot, "a contents link left pointing at a URI"
        targets.append(reader.get_page_number(annot["/Dest"][0].get_object()) + 1)
    openings = [info.story_pages[s.id] for s in book["anthology"].stories]
    # WeasyPrint makes a link per line box of an entry: each entry's links go to its story.
    assert sorted(set(targets)) == sorted(set(openings)) and targets == sorted(targets)


def test_one_structure_tree_over_every_part(book):
    """Every page's marked content and every link is reachable in the one structure tree: the parent
    tree has each page's and each annotation's key, its elements sit on that page, and every
    element's parents lead up to the book's single Document element."""
    reader = PdfReader(book["path"])
    root = reader.trailer["/Root"]["/StructTreeRoot"]
    [document] = root["/K"]
    document = document.get_object()
    assert document["/S"] == "/Document" and len(document["/K"]) > len(book["anthology"].stories)
    nums = root["/ParentTree"]["/Nums"]
    tree = {int(nums[i]): nums[i + 1].get_object() for i in range(0, len(nums), 2)}
    assert int(root["/ParentTreeNextKey"]) == max(tree) + 1
    keys = []
    for page in reader.pages:
        if "/StructParents" not in page:
            assert not page.get_contents() or b"BDC" not in page.get_contents().get_data()
            continue
        key = int(page["/StructParents"])
        keys.append(key)
        for element in tree[key]:
            element = element.get_object()
            if "/Pg" in element:
                assert element.raw_get("/Pg").idnum == page.indirect_reference.idnum
            while element.get("/S") != "/Document":
                element = element["/P"].get_object()
            assert element is document
        for annot in page.get("/Annots", ()):
            keys.append(int(annot.get_object()["/StructParent"]))
            element = tree[keys[-1]]  # WeasyPrint's /Link, or a /Span for a link's second line box
            while element.get("/S") != "/Document":
                element = element["/P"].get_object()
            assert element is document
    assert len(keys) == len(set(keys)) and set(keys) == set(tree)


def test_folios_come_from_the_sheet_as_artifacts(book):
    """The folio of a page is drawn from the folio sheet, inside pagination-artifact marked content
    (so screen readers skip it, as they skip the running heads)."""
    info, path = book["info"], book["path"]
    reader = PdfReader(path)
    page = reader.pages[info.story_pages["promise"]]  # the page after an opening: it has a folio
    assert pdfbook.FOLIO in page["/Resources"]["/XObject"]
    last = page["/Contents"][-1].get_object().get_data()
    assert b"/Artifact <</Type /Pagination /Subtype /Footer>> BDC" in last and pdfbook.FOLIO.encode() + b" Do" in last
    contents = next(n for n in range(1, info.pages + 1) if "CONTENTS" in page_text(path, n))
    assert re.search(rf"^\s*{contents}\s*$", page_text(path, contents), re.M), "no folio on the contents"


def test_a_piece_of_the_folio_sheet_starts_at_its_page(tmp_path):
    sheet = pdf.render_folio_sheet(Anthology(title="", stories=()), 3, 401)
    (tmp_path / "sheet.pdf").write_bytes(sheet)
    assert [page_text(tmp_path / "sheet.pdf", n).strip() for n in (1, 2, 3)] == ["401", "402", "403"]
    assert pdfbook.sheet_pieces(801, LAYOUT.sheet_piece) == [(1, 4), (5, 4)] + [(n, 4) for n in range(9, 801, 4)] + [(801, 1)]
    assert pdfbook.sheet_pieces(801) == [(1, 200), (201, 200), (401, 200), (601, 200), (801, 1)]
    with pytest.raises(ValueError, match="must be even"):
        pdfbook.sheet_pieces(801, 5)
    with pytest.raises(ValueError, match="must be odd"):
        pdf.render_folio_sheet(Anthology(title="", stories=()), 3, 402)


@pytest.mark.parametrize("recto", [False, True])
def test_a_book_laid_out_in_pieces_is_the_book_laid_out_whole(recto, monkeypatch):
    """Each story its own piece (`pubpipe.render.pdf.parts.pieces`), the pieces of a part running on
    from one another — on a verso where the one before ends on a recto — against the same part laid
    out as one document: the same pages, each with the same text where it was, the stories opening on
    the same pages (with ``recto``, each piece on a recto, as each story)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    anthology = hostile_anthology()
    short = dataclasses.replace(anthology.stories[0], blocks=(Block(type="paragraph", text="A story of one page."),))
    anthology = dataclasses.replace(anthology, stories=(short,) + anthology.stories[1:])
    whole = pdf.render(anthology, recto=recto, layout=pdf.Layout(part_words=(10**9, 10**9), piece_words=(10**9, 10**9)))
    pieces = pdf.render(anthology, recto=recto, layout=pdf.Layout(part_words=(10**9, 10**9), piece_words=(1, 1)))
    assert whole.info.pages == pieces.info.pages and whole.info.story_pages == pieces.info.story_pages
    if not recto:  # the second story opens on a verso: its piece was laid out from a left-hand page
        assert pieces.info.story_pages[anthology.stories[1].id] % 2 == 0
    texts = []
    for rendered in (whole, pieces):
        data = next(iter(rendered.files.values()))
        texts.append(subprocess.run(["pdftotext", "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout)
    assert texts[0] == texts[1]


def test_stories_run_on_unless_anthology_toml_asks_for_rectos(tmp_path):
    """Before (issue 18): every story opened on a right-hand page, a blank page before half of them.
    Now each opens on the page after the one before ends; ``stories_open = "recto"`` puts them back
    on right-hand pages."""
    from pubpipe.config import load_config
    from pubpipe.errors import ConfigError
    anthology = hostile_anthology()
    short = dataclasses.replace(anthology.stories[0], blocks=(Block(type="paragraph", text="A story of one page."),))
    part = dataclasses.replace(anthology, stories=(short, anthology.stories[1]))
    run_on = pdf.render_stories(part, missing=())
    first, second = run_on.starts[part.stories[0].id], run_on.starts[part.stories[1].id]
    assert (first, second) == (1, 2), "the first story ends on page 1: the second opens on page 2, a verso"
    recto = pdf.render_stories(part, missing=(), recto=True)
    assert recto.starts[part.stories[1].id] == second + 1 and recto.pages == run_on.pages + 1
    (tmp_path / "anthology.toml").write_text('stories_open = "recto"\n', encoding="utf-8")
    assert load_config(tmp_path / "anthology.toml").stories_open == "recto"
    (tmp_path / "anthology.toml").write_text('stories_open = "left"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="'stories_open' must be"):
        load_config(tmp_path / "anthology.toml")


def _long_contents_book() -> Anthology:
    """The fixture's stories told over as 45 short ones, their titles of one to three lines: a
    contents of five pages."""
    anthology = hostile_anthology()
    stories = []
    for n in range(45):
        model = anthology.stories[n % len(anthology.stories)]
        title = " ".join(["A story told over", *(["and over again, word by word"] * (n % 4))]) + f" {n}"
        stories.append(dataclasses.replace(model, id=f"{model.id}-{n}", title=title,
                                           blocks=(Block(type="paragraph", text=f"Story {n}, a page long."),)))
    return dataclasses.replace(anthology, stories=tuple(stories))


def test_a_long_contents_is_laid_out_in_two_documents_with_the_pages_it_has_whole(monkeypatch, tmp_path):
    """reading.lay_out_front with ``split``: contents of three pages or more laid out as the front
    matter's first pages and the rest, side by side in the two layout processes (issue 19), drawn
    exactly as the front matter laid out whole, page for page; a cut where the contents do not
    break (the model wrong) lays the front matter out whole."""
    from pubpipe.render.pdf import frontguess
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    contents = pdf.contents_of(_long_contents_book())
    numbers = {story.id: 10 + 2 * n for n, story in enumerate(contents.stories)}
    numbers[pdfbook.COLOPHON] = 120
    cut = frontguess.split(contents, pdf.colophon_at_back(contents))
    assert cut is not None and 0 < cut[0] < len(contents.stories)
    whole = pdf.lay_out_front(contents, numbers, ())
    split = pdf.lay_out_front(contents, numbers, (), pdf.Layout(), True)
    assert whole.continued is None and split.continued is not None
    assert split.pages == whole.pages and split.folios + split.continued.folios == whole.folios
    (tmp_path / "whole.pdf").write_bytes(whole.data)
    (tmp_path / "first.pdf").write_bytes(split.data)
    (tmp_path / "rest.pdf").write_bytes(split.continued.data)
    drawn = _drawn(tmp_path / "whole.pdf", tmp_path / "w")
    assert drawn == _drawn(tmp_path / "first.pdf", tmp_path / "f") + _drawn(tmp_path / "rest.pdf", tmp_path / "r")
    assert len(_drawn(tmp_path / "first.pdf", tmp_path / "g")) == frontguess.LEADING_PAGES + cut[1]
    # the model off by an entry: the first document says so, and the front matter is laid out whole
    monkeypatch.setattr(frontguess, "split", lambda anthology, colophon: (cut[0] + 1, cut[1]))
    fallen = pdf.lay_out_front(contents, numbers, (), pdf.Layout(), True)
    assert fallen.continued is None and fallen.data == whole.data


def test_a_book_whose_contents_are_split_is_the_book_laid_out_as_ever(monkeypatch, tmp_path):
    """The reading edition of a book whose contents `bind` lays out in two documents, against the
    same book with the front matter in one: the same pages drawn, the contents' links resolved to the
    stories' openings, one bookmark for the contents, as many lists in the structure tree."""
    from pikepdf import Array, Dictionary, Pdf
    from pubpipe.render.pdf import frontguess
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    anthology = _long_contents_book()
    asked = []
    real = frontguess.split
    monkeypatch.setattr(frontguess, "split", lambda *a: asked.append(real(*a)) or asked[-1])
    split = pdf.render(anthology, layout=LAYOUT)
    assert asked and asked[-1] is not None
    monkeypatch.setattr(frontguess, "SPLIT_FROM", 10**6)
    whole = pdf.render(anthology, layout=LAYOUT)
    assert split.info.pages == whole.info.pages and split.info.story_pages == whole.info.story_pages
    for name, rendered in (("split", split), ("whole", whole)):
        (tmp_path / f"{name}.pdf").write_bytes(rendered.data)
    assert _drawn(tmp_path / "split.pdf", tmp_path / "s") == _drawn(tmp_path / "whole.pdf", tmp_path / "w")

    def facts(path):
        with Pdf.open(path) as book:
            dests = [(annot.Dest[0].objgen, book.pages.index(book.get_object(annot.Dest[0].objgen)))
                     for page in book.pages for annot in page.obj.get("/Annots", ()) if "/Dest" in annot]
            uris = [annot for page in book.pages for annot in page.obj.get("/Annots", ()) if "/A" in annot
                    and str(annot.A.get("/URI", "")).startswith(pdfbook.STORY_LINK)]
            kinds, todo = {}, [book.Root.StructTreeRoot]
            while todo:
                element = todo.pop()
                kids = element.get("/K", ())
                for kid in (kids if isinstance(kids, Array) else [kids]):
                    if isinstance(kid, Dictionary) and "/S" in kid:
                        kinds[str(kid.S)] = kinds.get(str(kid.S), 0) + 1
                        todo.append(kid)
            with book.open_outline() as outline:
                titles = [item.title for item in outline.root]
            return sorted(page for _, page in dests), len(uris), titles, kinds
    assert facts(tmp_path / "split.pdf") == facts(tmp_path / "whole.pdf")
    pages, uris, titles, kinds = facts(tmp_path / "split.pdf")
    assert uris == 0 and len(pages) >= len(anthology.stories) and titles.count("Contents") == 1
    assert kinds["/LI"] >= len(anthology.stories) and kinds["/L"] >= 5  # (a list a contents page, as whole)
