"""Safety of the web output: hostile source text stays text everywhere, and the nh3 allow-list
removes whatever HTML might be let through (even by a template bug)."""

import dataclasses
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markupsafe import Markup

from pubpipe.render.templates import environment
from pubpipe.model import Anthology, Block, Byline, Dateline, Series, SourceSpan, Story
from pubpipe.render.web.site import Download
from helpers import write_web
from pubpipe.render.web.sanitize import clean_fragment

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
ATOM = "{http://www.w3.org/2005/Atom}"
DOWNLOADS = [Download("pdf", "evil.pdf", 1000, 2), Download("epub", "evil.epub", 1000)]
HOSTILE = [
    "<script>alert('x')</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">click me</a>',
    '<img src="https://tracker.example.com/pixel.png">',
    '<iframe src="https://example.com/"></iframe>',
    '<style>body { display: none }</style>',
    '"><svg onload=alert(1)>',
    "<b onclick=\"alert(1)\">bold</b> & <!-- comment -->",
]
BANNED_TAGS = ("iframe", "frame", "svg", "math", "style", "object", "embed", "form", "input", "base", "audio", "video", "b")


def hostile_anthology() -> Anthology:
    """One story whose every field carries markup, as a source might."""
    h = HOSTILE
    blocks = (Block("paragraph", h[0] + " in a paragraph."), Block("heading", h[1]),
              Block("quote", h[2], attribution=h[3]), Block("list", ordered=False, items=(h[4], h[5])),
              Block("note", h[6]), Block("paragraph", h[7]))
    story = Story(id="hostile", title=h[6] + " title", blocks=blocks, source=SourceSpan("evil.txt", 1, 9),
                  language="en", subtitle=h[3], series=Series(h[1], 2), byline=Byline(h[7], role=h[0]),
                  dateline=Dateline(h[2], "2020-01-02"))
    return Anthology(title="Evil " + h[0], stories=(story,), subtitle=h[1], publisher=h[2], slug="evil")


def documents(web: Path) -> dict:
    """Every HTML document of a web folder, including the HTML inside snippets.json and the feed."""
    docs = {str(p.relative_to(web)): p.read_text(encoding="utf-8") for p in sorted(web.rglob("*.html"))}
    for record in json.loads((web / "snippets.json").read_text(encoding="utf-8")):
        docs[f"snippets.json:{record['id']}"] = record["html"]
    for entry in ET.parse(web / "feed.xml").getroot().iter(f"{ATOM}entry"):
        docs[f"feed.xml:{entry.findtext(f'{ATOM}id')}"] = entry.find(f"{ATOM}content").text
    return docs


def assert_inert(name: str, html: str) -> None:
    """No element that runs or loads anything, no handler, no javascript: link."""
    soup = BeautifulSoup(html, "html.parser")
    for tag in BANNED_TAGS:
        assert soup.find(tag) is None, (name, tag)
    assert all(s.get("type") == "application/ld+json" for s in soup.find_all("script")), name
    assert [i["src"] for i in soup.find_all("img")] in ([], ["cover.png"]), name  # only our cover, on the index
    for element in soup.find_all(True):
        for attr, value in element.attrs.items():
            assert not attr.lower().startswith("on"), (name, element.name, attr)
            if attr in ("href", "src", "action"):
                assert not str(value).strip().lower().startswith(("javascript:", "data:", "vbscript:")), (name, value)
            if attr == "src" or (element.name == "link" and attr == "href"):
                assert ":" not in str(value) and not str(value).startswith("//"), (name, value)  # loads only our files


@pytest.fixture(scope="module")
def hostile_web(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("hostile") / "web"
    write_web(hostile_anthology(), out, DOWNLOADS)
    return out


def test_hostile_source_is_inert_everywhere(hostile_web):
    docs = documents(hostile_web)
    assert len(docs) == 5 and {"index.html", "stories/hostile.html", "snippets/hostile.html"} <= set(docs)
    for name, html in docs.items():
        assert_inert(name, html)


@pytest.mark.parametrize("name", ["stories/hostile.html", "snippets/hostile.html"])
def test_hostile_source_is_shown_as_text(hostile_web, name):
    text = " ".join(BeautifulSoup((hostile_web / name).read_text(encoding="utf-8"), "html.parser").get_text().split())
    for snippet in HOSTILE:
        assert " ".join(snippet.split()) in text, snippet


def test_hostile_text_in_feed_and_json_stays_text(hostile_web):
    story = hostile_anthology().stories[0]
    [record] = json.loads((hostile_web / "snippets.json").read_text(encoding="utf-8"))
    assert record["title"] == story.title
    root = ET.parse(hostile_web / "feed.xml").getroot()
    assert root.findtext(f"{ATOM}entry/{ATOM}title") == story.title
    content = BeautifulSoup(root.findtext(f"{ATOM}entry/{ATOM}content"), "html.parser").get_text()
    assert HOSTILE[0] in content and HOSTILE[1] in content


def test_clean_fragment_removes_what_could_run_or_load():
    dirty = ('<p class="p" onclick="x()">a<script>alert(1)</script><img src="https://x.example/p.png" onerror="y()">'
             '<a href="javascript:alert(1)">j</a><a href="https://ok.example/">ok</a><a href="../s.html">rel</a>'
             '<style>p{}</style><iframe src="https://x.example/"></iframe><span style="color:red">s</span></p>')
    clean = clean_fragment(dirty)
    assert isinstance(clean, Markup)
    soup = BeautifulSoup(clean, "html.parser")
    assert [a.get("href") for a in soup.find_all("a")] == [None, "https://ok.example/", "../s.html"]
    assert not soup.find_all(["script", "img", "style", "iframe"]) and "alert" not in clean
    assert soup.p.attrs == {"class": ["p"]} and soup.span.attrs == {}
    assert soup.get_text() == "ajokrels"


@pytest.mark.parametrize("anthology", [hostile_anthology(), Anthology.from_dict(json.loads(FIXTURE.read_text()))],
                         ids=["hostile", "fixture"])
def test_clean_fragment_changes_nothing_of_our_own_markup(anthology):
    macro = environment().get_template("story.html.j2").module.story_body
    for story in anthology.stories:
        for prefix, level in (("", 2), ("pp-", 3)):
            raw = str(macro(story, target="web", heading_level=level, prefix=prefix))
            same = BeautifulSoup(raw, "html.parser").decode() == BeautifulSoup(clean_fragment(raw), "html.parser").decode()
            assert same, (story.id, prefix)


def test_markup_let_through_by_a_template_bug_is_still_sanitised(tmp_path):
    """A value that reaches a template as Markup (not escaped by autoescape) is cleaned by nh3."""
    anthology = hostile_anthology()
    leak = Markup('<img src="https://tracker.example.com/p.png" onerror="alert(1)"><script>alert(2)</script>leaked')
    story = dataclasses.replace(anthology.stories[0], blocks=(Block("paragraph", leak),))
    write_web(dataclasses.replace(anthology, stories=(story,)), tmp_path, DOWNLOADS)
    docs = documents(tmp_path)
    for name in ("stories/hostile.html", "snippets/hostile.html", "snippets.json:hostile", "feed.xml:urn:pubpipe:evil:hostile"):
        assert "leaked" in docs[name] and "alert(2)" not in BeautifulSoup(docs[name], "html.parser").get_text(), name
        assert_inert(name, docs[name])
