"""What is inside the EPUB's stories: semantics readers and assistive technology rely on, and a
round trip through a reader nobody here wrote (pandoc) that must give back every story's text.

Runs on the fixture anthology plus one story that has every kind of block (a multi-paragraph
quote, a quote without attribution, lists, a note, subtitle, series, byline and dateline).
"""

import dataclasses
import json
import shutil
import subprocess
import unicodedata
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from helpers import write_epub
from pubpipe.publish.epubcheck import validate_epub
from pubpipe.model import Anthology, Block, Byline, Dateline, Series, SourceSpan, Story

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
NS = {"h": "http://www.w3.org/1999/xhtml"}
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"
# epub:type -> the DPUB-ARIA role it must carry (the table Ace's epub-type-has-matching-role uses).
MATCHING_ROLE = {"chapter": "doc-chapter", "toc": "doc-toc", "pullquote": "doc-pullquote",
                 "footnote": "doc-footnote", "endnote": "doc-endnote", "noteref": "doc-noteref",
                 "notice": "doc-notice", "epigraph": "doc-epigraph", "subtitle": "doc-subtitle",
                 "page-list": "doc-pagelist", "pagebreak": "doc-pagebreak", "tip": "doc-tip"}
TESTIMONY = Story(
    id="two-winters", title="Two Winters", subtitle="A testimony in three voices",
    series=Series("Voices", 2, "Voices: Part 2"), byline=Byline("Kim Ji-woo", "volunteer"),
    dateline=Dateline("Seoul", "2019-02-01", "Seoul (01.02.2019)"), language="en",
    source=SourceSpan("extra.txt", 1, 30),
    blocks=(Block("paragraph", "The first winter was the hardest, she says."),
            Block("heading", "Crossing the river"),
            Block("quote", "“We waited three nights by the water.\n\nOn the fourth, the ice held.”",
                  attribution="Min-ji, who crossed in 2009"),
            Block("quote", "Nobody speaks of the second winter."),
            Block("list", ordered=True, items=("Find a broker.", "Pay half before.", "Pay half after.")),
            Block("note", "Editor’s note: names have been changed."),
            Block("paragraph", "She now teaches in Seoul & writes <letters> home.")))


@pytest.fixture(scope="module")
def anthology() -> Anthology:
    base = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    return dataclasses.replace(base, stories=(*base.stories, TESTIMONY))


@pytest.fixture(scope="module")
def built(anthology, tmp_path_factory) -> Path:
    return write_epub(anthology, tmp_path_factory.mktemp("epub-content") / "content.epub")


@pytest.fixture(scope="module")
def stories(built) -> dict:
    """Story id -> parsed XHTML document."""
    with zipfile.ZipFile(built) as z:
        return {Path(n).stem: etree.fromstring(z.read(n)) for n in z.namelist()
                if n.startswith("EPUB/stories/")}


def flat(text: str) -> str:
    """Text as compared: NFC, whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def story_texts(story: Story) -> list:
    """Every piece of text a reader must get back from a story, in reading order."""
    texts = [story.title, story.subtitle, story.series and story.series.name,
             story.byline and story.byline.name, story.byline and story.byline.role,
             story.dateline and story.dateline.source]
    for block in story.blocks:
        texts += block.text.split("\n\n") if block.type == "quote" else [block.text]
        texts += [*block.items, block.attribution]
    return [flat(t) for t in texts if t and t.strip()]


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")
def test_every_block_kind_passes_epubcheck(built):
    messages = validate_epub(built, usage=True)
    assert [str(m) for m in messages if m.severity in ("FATAL", "ERROR", "WARNING")] == []


def test_quotes_are_blockquotes_with_their_attribution(stories):
    figures = stories["two-winters"].findall(".//h:figure", NS)
    assert [f.get("class") for f in figures] == ["quote", "quote"]
    first = figures[0].find("h:blockquote", NS)
    assert [p.text for p in first.findall("h:p", NS)] == ["“We waited three nights by the water.",
                                                          "On the fourth, the ice held.”"]
    assert figures[0].findtext("h:figcaption", namespaces=NS) == "— Min-ji, who crossed in 2009"
    assert figures[1].find("h:figcaption", NS) is None


def test_quotes_are_not_pull_quotes(stories):
    """The quotes are testimony found nowhere else in the story: no pull-quote semantics,
    which tell readers and assistive technology the text is a copy they may skip."""
    for doc in stories.values():
        for el in doc.iter():
            assert "pullquote" not in (el.get(EPUB_TYPE) or "")
            assert "doc-pullquote" not in (el.get("role") or "")


def test_notes_are_notes_shown_in_the_flow(stories):
    notes = stories["two-winters"].findall(".//h:aside", NS)
    assert [(n.get("role"), "".join(n.itertext())) for n in notes] == [
        ("note", "Editor’s note: names have been changed.")]
    # Not footnote/endnote: reading systems hide those from the flow as pop-ups.
    assert not {"footnote", "endnote", "rearnote"} & set((notes[0].get(EPUB_TYPE) or "").split())


def test_notes_and_attributions_carry_z3998_types(stories):
    doc = stories["two-winters"]
    assert doc.find(".//h:aside", NS).get(EPUB_TYPE) == "z3998:editorial-note"
    assert doc.find(".//h:figcaption", NS).get(EPUB_TYPE) == "z3998:attribution"


def test_every_epub_type_has_its_matching_role(built):
    with zipfile.ZipFile(built) as z:
        docs = {n: etree.fromstring(z.read(n)) for n in z.namelist() if n.endswith(".xhtml")}
    for name, doc in docs.items():
        for el in doc.iter():
            if el.xpath("ancestor::*[contains(@*[local-name()='type'], 'landmarks')]"):
                continue  # Ace skips the landmarks nav too: its links name targets
            for kind in (el.get(EPUB_TYPE) or "").split():
                if kind in MATCHING_ROLE:
                    assert el.get("role") == MATCHING_ROLE[kind], (name, etree.tostring(el)[:120])


def test_multi_paragraph_quote_text_is_not_lost(stories):
    text = flat(" ".join(stories["two-winters"].find(".//h:blockquote", NS).itertext()))
    assert text == "“We waited three nights by the water. On the fourth, the ice held.”"


@pytest.mark.skipif(shutil.which("pandoc") is None, reason="needs pandoc (./setup.sh --test)")
def test_pandoc_gives_back_every_story_text_in_order(anthology, built):
    done = subprocess.run(["pandoc", "-f", "epub", "-t", "plain", "--wrap=none", str(built)],
                          capture_output=True, text=True, check=True, timeout=120)
    text, cursor = flat(done.stdout), 0
    for story in anthology.stories:
        for piece in story_texts(story):
            found = text.find(piece, cursor)
            assert found >= 0, f"{story.id}: pandoc lost or reordered {piece[:80]!r}"
            cursor = found + len(piece)
    assert "She now teaches in Seoul & writes <letters> home." in text
