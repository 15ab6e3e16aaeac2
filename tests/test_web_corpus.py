"""The web output of the independent corpus (tests/corpus/sources), compared with its anthology:
every story's page, snippet, snippets.json record and feed entry carries every word of it."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pubpipe import pipeline
from pubpipe.model import Anthology
from pubpipe.render.web.site import Download, dek, reading_minutes
from helpers import write_web

ROOT = Path(__file__).resolve().parents[1]
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def from_sources(folder: Path) -> Anthology:
    """The anthology of a sources folder, from the same stages the flow runs (no PDF or EPUB)."""
    return pipeline.recover(folder)


def flat(text: str) -> str:
    return " ".join(text.split())


def texts(story) -> list[str]:
    """Every piece of text a story's body must show."""
    out = []
    for block in story.blocks:
        if block.type == "setapart":  # its lines are broken with <br>: each line shows whole
            out += block.text.split("\n")
            continue
        out += list(block.items) if block.type == "list" else block.text.split("\n\n")
        out += [block.attribution] if block.attribution else []
    return [flat(t) for t in out if t.strip()]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    anthology = from_sources(ROOT / "tests" / "corpus" / "sources")
    web = tmp_path_factory.mktemp("corpus") / "web"
    write_web(anthology, web, [Download("pdf", "anthology.pdf", 1_700_000, 350), Download("epub", "anthology.epub", 160_000)])
    return anthology, web


def test_corpus_has_what_these_tests_need(corpus):
    anthology, _ = corpus
    languages = {s.language for s in anthology.stories}
    assert {"en", "ko"} <= languages and len(anthology.stories) >= 10
    assert any("<script>" in b.words() for s in anthology.stories for b in s.blocks)


def test_snippets_json_matches_the_anthology(corpus):
    anthology, web = corpus
    records = json.loads((web / "snippets.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [s.id for s in anthology.stories]
    for record, story in zip(records, anthology.stories):
        assert (record["title"], record["language"], record["dek"], record["reading_minutes"]) == \
            (story.title, story.language, dek(story), reading_minutes(story))
        assert record["html"] == (web / "snippets" / f"{story.id}.html").read_text(encoding="utf-8")
        shown = flat(BeautifulSoup(record["html"], "html.parser").get_text())
        assert flat(story.title) in shown
        missing = [t for t in texts(story) if t not in shown]
        assert not missing, (story.id, missing[:3])


def test_feed_matches_the_anthology(corpus):
    anthology, web = corpus
    root = ET.parse(web / "feed.xml").getroot()
    assert root.get(XML_LANG) == anthology.language
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == len(anthology.stories)
    for entry, story in zip(entries, anthology.stories):
        assert entry.findtext(f"{ATOM}title") == story.title
        assert entry.find(f"{ATOM}link").get("href") == f"stories/{story.id}.html"
        assert entry.get(XML_LANG) == (story.language if story.language != anthology.language else None)
        assert entry.findtext(f"{ATOM}author/{ATOM}name") == story.author  # its byline, or what its source says
        date = story.dateline.date if story.dateline and story.dateline.date else None
        assert entry.findtext(f"{ATOM}published") == (f"{date}T00:00:00Z" if date else None)
        shown = flat(BeautifulSoup(entry.findtext(f"{ATOM}content"), "html.parser").get_text())
        missing = [t for t in texts(story) if t not in shown]
        assert not missing, (story.id, missing[:3])


def test_story_pages_are_semantic(corpus):
    anthology, web = corpus
    for story in anthology.stories:
        page = BeautifulSoup((web / "stories" / f"{story.id}.html").read_text(encoding="utf-8"), "html.parser")
        article = page.find("article")
        assert (article.get("lang") or page.html["lang"]) == story.language
        levels = [int(h.name[1]) for h in article.find_all(["h1", "h2", "h3", "h4", "h5", "h6"])]
        assert levels[0] == 1 and all(b - a <= 1 for a, b in zip(levels, levels[1:])), (story.id, levels)
        kinds = [b.type for b in story.blocks]
        assert len(article.find_all("figure")) == kinds.count("quote") == len(article.find_all("blockquote"))
        assert len(article.find_all(["ul", "ol"])) == kinds.count("list")
        runs = sum(1 for i, k in enumerate(kinds) if k == "note" and (i == 0 or kinds[i - 1] != "note"))
        assert len(article.find_all("aside", role="note")) == runs  # notes in a row are one box
        assert len(levels) - 1 == kinds.count("heading")
        [data] = [json.loads(s.string) for s in page.find_all("script", type="application/ld+json")]
        assert data["@type"] == "Article" and data["headline"] == story.title
