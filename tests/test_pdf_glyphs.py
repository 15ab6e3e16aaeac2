"""A character never costs a story: emoji and symbols have fonts, and a character no installed font
can draw is a visible placeholder in the PDF only, named in the report (exit code 1), while the
story stays in every output and the EPUB and web pages keep the real character."""

import dataclasses
import json
import logging
import shutil
import subprocess
import threading
import zipfile
from pathlib import Path

import pikepdf
import pytest

from helpers import write_as
from pubpipe.render.pdf import reading as pdf
from pubpipe.render.pdf import glyphs as pdfglyphs
from pubpipe.model import Anthology, Block
from pubpipe.render.pdf.glyphs import describe, stories_holding, substitute, unshowable, unshowable_in, watch_missing_glyphs, where

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
REALWEB = ROOT.parent / "shared" / "corpus" / "realweb" / "copy"
RAINBOW, EYE = "\U0001F308", "\U0001F441"  # emoji presentation by default, and text presentation
PRIVATE, PRIVATE_2 = "\ue000", "\ue001"  # Inter has a glyph at U+E000, but it is Inter's own symbol
CYPRO = "\U00012F90"     # CYPRO-MINOAN SIGN CM001 (Unicode 14): no Debian font this project installs has it
UNASSIGNED = "\u0378"
needs_poppler = pytest.mark.skipif(not shutil.which("pdftotext"), reason="needs poppler-utils")


def anthology_with(story_id: str, text: str) -> Anthology:
    """The fixture with one paragraph of ``text`` added to story ``story_id``."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    stories = tuple(dataclasses.replace(s, blocks=s.blocks + (Block(type="paragraph", text=text),))
                    if s.id == story_id else s for s in anthology.stories)
    return dataclasses.replace(anthology, stories=stories)


def figures(path: Path) -> list:
    """The /Alt of every Figure of a tagged PDF's structure tree, in order."""
    found = []

    def walk(element):
        if isinstance(element, pikepdf.Array):
            for kid in element:
                walk(kid)
        elif isinstance(element, pikepdf.Dictionary) and "/S" in element:
            if element.S == "/Figure":
                found.append(str(element.get("/Alt", "")))
            walk(element.get("/K", pikepdf.Array()))
    with pikepdf.open(path) as book:
        walk(book.Root.StructTreeRoot.K)
    return found


def text_of(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout


def test_what_no_font_can_show_is_found_before_layout():
    """From the fonts' cmaps: emoji (with joiners, skin tones, variation selectors, flags), symbols,
    Korean and Devanagari have fonts after ./setup.sh; private-use, unassigned and Cypro-Minoan do not."""
    shown = "Rainbow 🌈 eye 👁 👁️ 👍🏽 👨‍👩‍👧 🇰🇷 1️⃣ ✓ ★ ☎ → € ½ Ελληνικά кириллица 한국어 中文 हिन्दी ไทย\u00ad"
    assert unshowable_in(shown) == ()
    assert unshowable_in(f"a {PRIVATE} b {CYPRO} c {UNASSIGNED} {RAINBOW}") == (UNASSIGNED, PRIVATE, CYPRO)
    book = dataclasses.replace(anthology_with("promise", f"x {CYPRO}"), publisher="Org " + PRIVATE)
    assert unshowable(book) == (PRIVATE, CYPRO)
    moved = tuple(dataclasses.replace(s, source=dataclasses.replace(s.source, file=PRIVATE_2 + ".txt"))
                  for s in book.stories)
    assert PRIVATE_2 not in unshowable(dataclasses.replace(book, stories=moved))  # file names are not printed


def test_the_placeholder_replaces_the_character_in_the_body_only():
    html = (f'<html><head><title>Book {PRIVATE}</title><meta name="author" content="{PRIVATE}"></head>'
            f'<body data-running="Book {PRIVATE}"><h1 data-running="T {PRIVATE}">T {PRIVATE}</h1>'
            f'<p>a &amp; {PRIVATE}{PRIVATE} b {RAINBOW}</p></body></html>')
    out, replaced = substitute(html, [PRIVATE, CYPRO])
    assert replaced == (PRIVATE,)  # CYPRO is not in the body: not named
    head, body = out.split("<body", 1)
    assert head == html.split("<body", 1)[0]  # the PDF's title and author keep the character
    assert f'data-running="Book \ufffd"' in body and 'data-running="T \ufffd"' in body
    assert body.count(f'<svg class="missing-glyph"') == 3 and body.count(f"<title>{PRIVATE}</title>") == 3
    assert PRIVATE not in body.replace(f"<title>{PRIVATE}</title>", "") and RAINBOW in body
    assert substitute(html, []) == (html, ())


@needs_poppler
def test_a_character_without_a_glyph_is_a_placeholder_in_the_pdf(tmp_path):
    """The PDF is written with every story; the placeholder is a tagged Figure whose /Alt is the real
    character, and the characters are named with the stories that hold them."""
    anthology = anthology_with("promise", f"The tablet reads {CYPRO} and {UNASSIGNED}, the icon {PRIVATE}.")
    anthology = dataclasses.replace(anthology, subtitle="Voices " + PRIVATE_2, stories=tuple(
        dataclasses.replace(s, title=s.title + " " + PRIVATE) if s.id == "korean" else s for s in anthology.stories))
    out = tmp_path / "book.pdf"
    info = write_as(pdf.render(anthology), out)
    assert info.placeholders == (UNASSIGNED, PRIVATE, PRIVATE_2, CYPRO)
    assert set(info.story_pages) == {s.id for s in anthology.stories}
    alts = figures(out)
    assert {CYPRO, UNASSIGNED, PRIVATE, PRIVATE_2} <= set(alts)
    assert alts.count(PRIVATE_2) == 4  # cover, title page, imprint, back cover
    assert alts.count(PRIVATE) == 5    # the contents, the colophon, the back cover, the korean story's title, the promise story's text
    text = text_of(out)
    assert "The tablet reads" in text and "the icon" in text
    assert not {CYPRO, UNASSIGNED, PRIVATE, PRIVATE_2} & set(text)  # nothing drawn as an empty box
    named = dict((file, reason) for file, reason in pdfglyphs.problems(anthology, info.placeholders))
    promise = next(s for s in anthology.stories if s.id == "promise")
    assert "U+12F90 CYPRO-MINOAN SIGN CM001" in named[promise.source.file]
    assert "U+0378 (an unassigned code point)" in named[promise.source.file]
    assert "U+E001 (a private-use character: no agreed glyph)" in named["anthology.toml"]
    assert f"story '{promise.title}'" in named[promise.source.file]


@needs_poppler
def test_emoji_and_symbols_are_drawn(tmp_path):
    anthology = anthology_with("promise", f"Under the {RAINBOW} an {EYE} watched, 12 times in 2019 ✓ ★ ☎.")
    out = tmp_path / "book.pdf"
    info = write_as(pdf.render(anthology), out)
    assert info.placeholders == () and figures(out) == []
    text = text_of(out)
    assert f"Under the {RAINBOW} an {EYE} watched, 12 times in 2019 ✓ ★ ☎." in " ".join(text.split())
    fonts = subprocess.run(["pdffonts", str(out)], check=True, capture_output=True, text=True).stdout
    assert "Noto-Color-Emoji" in fonts  # the rainbow is the colour emoji font's, not a .notdef box


def test_scripts_the_fonts_cover_render(tmp_path):
    # Greek and Cyrillic (Literata), Hangul and Han (Noto CJK), symbols a book uses.
    anthology = anthology_with("promise", "Ελληνικά, кириллица, 한국어, 中文, № 5 — “quoted” … €12 ½ ©")
    info = write_as(pdf.render(anthology), tmp_path / "book.pdf")
    assert info.pages > 0 and info.placeholders == ()
    if shutil.which("pdffonts"):  # and by the project's fonts, not whatever else the machine has
        rows = subprocess.run(["pdffonts", str(tmp_path / "book.pdf")], check=True, capture_output=True,
                              text=True).stdout.splitlines()[2:]
        names = [row.split()[0].split("+", 1)[-1] for row in rows]
        assert all(n.startswith(("Literata", "Inter", "Noto-S")) for n in names), names


def test_descriptions_and_places():
    assert describe(CYPRO) == "U+12F90 CYPRO-MINOAN SIGN CM001"
    assert describe(UNASSIGNED) == "U+0378 (an unassigned code point)"
    assert describe("\U000F0001").startswith("U+F0001 (a private-use character")
    assert where(()) == "the book's title, subtitle or publisher"
    assert where(("a",)) == "story 'a'" and where(("a", "b")) == "stories 'a', 'b'"
    assert stories_holding(anthology_with("korean", "x" + CYPRO), [CYPRO]) == {CYPRO: ("korean",)}


def test_the_watch_hears_only_its_own_thread():
    logger = logging.getLogger("weasyprint")
    notdef = '.notdef glyph rendered for Unicode string unsupported by fonts: "%s" (U+%04X)'
    with watch_missing_glyphs() as found:
        other = threading.Thread(target=logger.warning, args=(notdef, "\u0379", 0x379))
        other.start()
        other.join()
        logger.warning(notdef, UNASSIGNED, ord(UNASSIGNED))
        logger.warning("some other warning (U+0041)")
    assert found == {UNASSIGNED}


def test_the_watch_works_when_weasyprint_is_silenced():
    logger = logging.getLogger("weasyprint")
    before = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with watch_missing_glyphs() as found:
            logger.warning('.notdef glyph rendered for Unicode string unsupported by fonts: "x" (U+10000)')
        assert found == {"\U00010000"} and logger.level == logging.ERROR
    finally:
        logger.setLevel(before)


@needs_poppler
def test_a_story_with_emoji_and_a_character_no_font_has_is_in_every_output(prefect_harness, tmp_path):
    """The story with 🌈, 👁 and a private-use character is published everywhere; the PDF draws the
    emoji and a placeholder for the other, named with its file in the report and on the result (exit
    code 1); so does the book's subtitle (from anthology.toml), where nothing used to be published."""
    from pubpipe_flows.publish import publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    first = sorted((tmp_path / "sources").iterdir())[0]
    line = f"Under the {RAINBOW} the {EYE} of the icon {PRIVATE} saw everything."
    first.write_text(first.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")
    (tmp_path / "anthology.toml").write_text(f'title = "Tablets"\nsubtitle = "Signs {PRIVATE_2}"\n', encoding="utf-8")
    out = tmp_path / "out"
    result = publish(sources=str(tmp_path / "sources"), output=str(out), config=str(tmp_path / "anthology.toml"))
    assert result.exit_code == 1
    named = {p.file: p for p in result.problems}
    assert set(named) == {first.name, "anthology.toml"}
    assert all(p.code == "pdf.missing-glyph" for p in result.problems)
    assert "U+E000 (a private-use character: no agreed glyph)" in named[first.name].message
    assert "U+E001" in named["anthology.toml"].message and "subtitle" in named["anthology.toml"].message
    assert RAINBOW not in named[first.name].message  # the emoji are drawn: no problem

    built = json.loads((out / "anthology.json").read_text(encoding="utf-8"))
    [story] = [s for s in built["stories"] if line in json.dumps(s, ensure_ascii=False)]
    assert built["subtitle"] == f"Signs {PRIVATE_2}"
    with zipfile.ZipFile(next(out.glob("*.epub"))) as epub:
        pages = "".join(epub.read(n).decode() for n in epub.namelist() if n.endswith(".xhtml"))
    assert line in pages and f"Signs {PRIVATE_2}" in pages
    assert line in (out / "web" / "stories" / f"{story['id']}.html").read_text(encoding="utf-8")

    book = next(out.glob("*[!t].pdf"))
    text = " ".join(text_of(book).split())
    assert f"Under the {RAINBOW} the {EYE} of the icon" in text and story["title"] in text
    assert PRIVATE not in text and PRIVATE_2 not in text
    assert {PRIVATE, PRIVATE_2} <= set(figures(book))
    report = (out / "report.md").read_text(encoding="utf-8")
    assert "## Characters the PDF cannot show" in report and first.name in report
    assert "U+E000" in report and "U+E001" in report and "Sources skipped" not in report


@pytest.mark.skipif(not REALWEB.is_dir(), reason="shared/corpus/realweb not beside the checkout")
def test_realweb_pages_keep_their_articles(tmp_path):
    """The ten realweb pages whose stories the build used to leave out for one character (emoji,
    Devanagari, Bengali, Telugu and Thai in language menus, icon-font characters) keep every story in
    the PDF; only private-use icons become placeholders, each named with its page."""
    from pubpipe import pipeline
    from pubpipe.publish import summary
    pages = ("5211188428849a31", "5f9c5ed5d64dfe68", "65408257dbe4b41f", "8cad00dc22de45ba", "9eef8162bbb67b0b",
             "abd9d6291b6bfae0", "b0cf2bbf0192315e", "c582d3b772578e8f", "d48aeb9cf2f2ff15", "ec7fc408c5ce66c2")
    sources = tmp_path / "sources"
    sources.mkdir()
    for page in pages:
        [path] = REALWEB.glob(page + "*.txt")
        shutil.copy(path, sources / path.name)
    ingested, anthology = pipeline.ingest_and_recover(sources)
    rendered = pdf.render(anthology)
    assert set(rendered.info.story_pages) == {s.id for s in anthology.stories}
    assert {s.source.file[:16] for s in anthology.stories} == set(pages)
    assert all(ch >= "\ue000" and ch <= "\uf8ff" for ch in rendered.info.placeholders), rendered.info.placeholders
    # Which pages still hold an icon character depends on what recovery keeps (the line model drops
    # most icon menus); each one that does is named with its page, and none other.
    private = {s.source.file[:16] for s in anthology.stories
               if any("\ue000" <= ch <= "\uf8ff" for ch in pdfglyphs.story_text(s))}
    assert private == {s.source.file[:16] for s in anthology.stories
                       if set(pdfglyphs.story_text(s)) & set(rendered.info.placeholders)}
    noted = summary.note_placeholders(anthology, ingested, rendered)
    assert {p.file[:16] for p in noted.problems if p.code == pdfglyphs.CODE} == private


def test_without_fontconfig_the_build_says_what_to_install(monkeypatch):
    """No fc-list, no way to know what the fonts show: one line saying what to do, not a traceback."""
    monkeypatch.setattr(pdfglyphs.shutil, "which", lambda name: None)
    monkeypatch.setattr(pdfglyphs, "_fonts_state", lambda: ("no fontconfig",))
    with pytest.raises(pdfglyphs.FontsUnknown, match=r"^fc-list not found: .*run \./setup\.sh"):
        unshowable_in("text")
