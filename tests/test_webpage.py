"""Saved web pages (issue 16): trafilatura finds the article and its metadata, pubpipe maps them to
stories, numbers every line by the page's own elements and lists what the page shows and was left out.

The pages here are written for these tests (none is copied from a corpus); each names the shape of
real pages that pubpipe's own DOM walk got wrong.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.read import webpage
from pubpipe.config import Config, Limits
from pubpipe.errors import SourceError
from pubpipe.read.ingest import parse_source

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"

ARTICLE = [
    "The ferry from the mainland arrived an hour late on Tuesday, its deck crowded with families who had "
    "waited since dawn for the storm to pass over the strait.",
    "Harbour staff said the crossing had been cancelled twice in a week, the first time in twelve years "
    "that the winter timetable had broken down so early in the season.",
    "Islanders who work on the mainland have started sleeping in the town hall on weekday nights, and the "
    "council has asked the operator to add a second boat before the end of the month.",
    "The operator said a replacement vessel was being refitted in the north and would sail by February, "
    "though it gave no date and declined to say what the refit would cost.",
]
MENU = ["Home", "News", "Sport", "Weather", "Contact us"]


def menu() -> str:
    return "<nav><ul>" + "".join(f'<li><a href="/{m.lower()}">{m}</a></li>' for m in MENU) + "</ul></nav>"


def paragraphs(texts=ARTICLE) -> str:
    return "".join(f"<p>{t}</p>" for t in texts)


def build(tmp_path, pages: dict):
    """Ingest, clean and structure `pages` ({name: markup}) as a build does."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, markup in pages.items():
        (sources / name).write_text(markup, encoding="utf-8")
    ingested, anthology = pipeline.ingest_and_recover(sources, Config())
    assert not ingested.problems, ingested.problems
    return anthology


def story_text(story) -> str:
    return " ".join(b.words() for b in story.blocks)


def test_a_teaser_article_before_the_real_one_is_not_the_story(tmp_path):
    page = f"""<html><head><title>Storm delays island ferry</title></head><body>{menu()}
<aside><article class="teaser"><h3><a href="/other">Council votes on parking</a></h3>
<p>A short teaser for another story.</p></article></aside>
<main><article><h1>Storm delays island ferry</h1>{paragraphs()}</article></main></body></html>"""
    (story,) = build(tmp_path, {"ferry.html": page}).stories
    assert story.title == "Storm delays island ferry"
    assert all(p in story_text(story) for p in ARTICLE)
    assert "teaser" not in story_text(story)


def test_a_page_wrapped_in_one_form_keeps_its_article(tmp_path):
    page = f"""<html><head><title>Storm delays island ferry</title></head><body>
<form method="post" action="./ferry.aspx" id="aspnetForm"><input type="hidden" name="__VIEWSTATE" value="abc">
{menu()}<div id="content"><h1>Storm delays island ferry</h1>{paragraphs()}</div>
<div class="footer">© The Island Times</div></form></body></html>"""
    (story,) = build(tmp_path, {"ferry.html": page}).stories
    assert all(p in story_text(story) for p in ARTICLE)


def test_text_in_divs_with_br_is_kept_and_comments_are_not(tmp_path):
    body = "<br><br>".join(ARTICLE)
    comments = "".join(f'<div class="comment"><p class="author">Reader {n}</p><p>{t}</p></div>' for n, t in enumerate(
        ["I took that boat last winter and it was just as bad, nobody told us anything for hours.",
         "The council should have seen this coming years ago, the old ferry was always breaking down."]))
    page = f"""<html><head><title>Storm delays island ferry</title></head><body>{menu()}
<div class="post"><h1>Storm delays island ferry</h1><div class="post-body">{body}</div></div>
<div id="comments"><h3>2 comments</h3>{comments}</div></body></html>"""
    anthology = build(tmp_path, {"ferry.html": page})
    (story,) = anthology.stories
    assert [b.text for b in story.blocks if b.type == "paragraph"] == ARTICLE  # each <br><br> part a paragraph
    assert "nobody told us" not in story_text(story) and "old ferry" not in story_text(story)
    assert any("nobody told us" in r.text and r.rule == "trafilatura" for r in anthology.removed)


def test_a_minified_page_on_one_line_builds_and_removes_only_what_it_drops(tmp_path):
    script = "<script>var data = " + json.dumps({"k": "x" * 24000}) + ";</script>"
    related = '<h3>Related articles</h3><ul><li><a href="/a">Council votes on parking</a></li></ul>'
    page = (f"<html><head><title>Storm delays island ferry</title>{script}</head><body>{menu()}<article>"
            f"<h1>Storm delays island ferry</h1>{paragraphs()}{related}</article>"
            f"<footer><p>© The Island Times</p></footer></body></html>")
    assert "\n" not in page and len(page) > 20_000
    anthology = build(tmp_path, {"ferry.html": page})
    (story,) = anthology.stories
    assert story.title == "Storm delays island ferry" and all(p in story_text(story) for p in ARTICLE)
    assert story.source.first_line == story.source.last_line == 1
    removed = [r for r in anthology.removed if r.file == "ferry.html"]
    assert removed and all(r.line == 1 for r in removed)
    dropped = " ".join(r.text for r in removed)
    assert all(m in dropped for m in MENU)
    assert not any(p[:60] in dropped for p in ARTICLE)  # no entry claims the article's line was removed
    assert all(len(r.text) < 200 for r in removed)  # block by block, never the whole minified line


def test_the_line_limit_applies_to_the_text_not_the_markup(tmp_path):
    huge = f"<html><body><style>{'.a{color:red}' * 3000}</style><h1>Storm delays island ferry</h1>{paragraphs()}</body></html>"
    source = parse_source("ferry.html", huge.encode(), Limits(max_line_chars=20_000))
    assert any(line.text == ARTICLE[0] for line in source.lines)
    with pytest.raises(SourceError, match=r"ferry.html: a paragraph of the page's text is \d+ characters long"):
        parse_source("ferry.html", huge.encode(), Limits(max_line_chars=100))


def test_headline_author_and_date_from_the_page_metadata(tmp_path):
    page = f"""<html><head><title>Storm delays island ferry – The Island Times</title>
<meta property="og:title" content="Storm delays island ferry">
<meta property="og:site_name" content="The Island Times">
<meta name="author" content="Morag Campbell">
<meta property="article:published_time" content="2021-03-04T10:00:00+00:00">
</head><body>{menu()}<article>{paragraphs()}</article></body></html>"""
    anthology = build(tmp_path, {"ferry.html": page})
    (story,) = anthology.stories
    assert story.title == "Storm delays island ferry"  # not the <title> line with its " – Site" suffix
    assert story.byline.name == "Morag Campbell"
    assert (story.dateline.source, story.dateline.date) == ("The Island Times", "2021-03-04")
    assert [b.text for b in story.blocks] == ARTICLE  # the metadata is not story text


def test_a_site_suffix_comes_off_the_title_and_the_headline_is_not_repeated(tmp_path):
    page = f"""<html><head><title>Storm delays island ferry | The Island Times</title>
<meta property="og:site_name" content="The Island Times"></head><body>{menu()}
<article><h1>Storm delays island ferry</h1>{paragraphs()}</article></body></html>"""
    (story,) = build(tmp_path, {"ferry.html": page}).stories
    assert story.title == "Storm delays island ferry"
    assert "Storm delays" not in story_text(story)


def test_structure_of_the_article_survives(tmp_path):
    page = f"""<html><head><title>Five things about the ferry</title></head><body>{menu()}<article>
<h1>Five things about the ferry</h1>{paragraphs(ARTICLE[:2])}<h2>1. What the operator said</h2>{paragraphs(ARTICLE[2:])}
<p><strong>What happens next</strong></p><ul><li>A second boat by the end of the month</li><li>A refit in the north</li></ul>
<blockquote><p>We have never seen a winter like it.</p><footer>— Ewan Ross, harbour master</footer></blockquote>
<table><tr><th>Day</th><th>Sailings</th></tr><tr><td>Monday</td><td>0</td></tr></table></article></body></html>"""
    (story,) = build(tmp_path, {"ferry.html": page}).stories
    kinds = [(b.type, b.text or list(b.items)) for b in story.blocks]
    assert ("heading", "1. What the operator said") in kinds  # a numbered heading is no list item
    assert ("heading", "What happens next") in kinds  # a bold paragraph of its own: a subheading
    assert ("list", ["A second boat by the end of the month", "A refit in the north"]) in kinds
    quote = next(b for b in story.blocks if b.type == "quote")
    assert (quote.text, quote.attribution) == ("We have never seen a winter like it.", "Ewan Ross, harbour master")
    assert any("Monday" in b.text for b in story.blocks)


def test_lines_are_those_of_the_elements_the_text_came_from():
    lines = ["<html><head><title>Storm delays island ferry</title></head><body>", menu(), "<article>",
             "<h1>Storm delays island ferry</h1>"] + [f"<p>{t}</p>" for t in ARTICLE] + ["</article></body></html>"]
    source = parse_source("ferry.html", "\n".join(lines).encode())
    number = {line.text: line.number for line in source.lines}
    for text in ARTICLE:
        assert number[text] == lines.index(f"<p>{text}</p>") + 1
    assert number["Storm delays island ferry"] == 4
    assert {r.line for r in source.removed} == {2} and [r.text for r in source.removed] == MENU
    assert "trafilatura" in source.repairs[-1]


def test_our_own_reader_reads_a_page_trafilatura_finds_nothing_in(monkeypatch):
    monkeypatch.setattr(webpage, "_extract", lambda tree, options=None: None)
    page = f"<html><body>{menu()}<article><h1>Storm delays island ferry</h1>{paragraphs()}</article></body></html>"
    source = parse_source("ferry.html", page.encode())
    assert [line.text for line in source.lines] == ["Storm delays island ferry", *ARTICLE]
    assert "pubpipe's own reader" in source.repairs[-1]
    assert [r.text for r in source.removed] == MENU and {r.rule for r in source.removed} == {"html-reader"}


def test_a_page_without_an_article_is_named_with_what_to_do():
    page = "<html><head><title>Loading…</title><script>location.href='/app'</script></head><body></body></html>"
    with pytest.raises(SourceError, match=r"^empty.html: the page holds no article text: .*\(save the article's own page"):
        parse_source("empty.html", page.encode())


REALWEB = SHARED / "corpus" / "realweb"


@pytest.mark.skipif(not (REALWEB / "gold.json").exists() or not (SHARED / "eval" / "realweb_score.py").exists(),
                    reason="shared/corpus/realweb not beside the checkout")
def test_realweb_html_form_scores_with_trafilatura(tmp_path):
    """A fixed third of the realweb pages (every third by id; the whole set is benchmarks/saved_pages.py's):
    pubpipe's html form against trafilatura alone on the same pages, with the benchmark's metric."""
    import gzip
    import trafilatura
    sys.path.insert(0, str(SHARED / "eval"))
    import realweb_score
    gold = json.loads((REALWEB / "gold.json").read_text(encoding="utf-8"))
    pages = sorted(gold["pages"], key=lambda p: p["id"])[::3]
    sources = tmp_path / "html"
    sources.mkdir()
    alone = []
    for p in pages:
        name = realweb_score.page_file(p, "html")
        markup = gzip.decompress((REALWEB / "html" / (name + ".gz")).read_bytes())
        (sources / name).write_bytes(markup)
        text = trafilatura.extract(markup.decode("utf-8", errors="replace")) or ""
        alone.append({"title": "", "source": {"file": name},
                      "blocks": [{"type": "paragraph", "text": t} for t in text.split("\n") if t.strip()]})
    ingested, anthology = pipeline.ingest_and_recover(sources, Config())
    assert not ingested.problems  # no page refused (55 of the 110 have a line over 20,000 characters)
    ours = anthology.to_dict()
    mine = realweb_score.score_pages(pages, ours, "html")["summary"]
    theirs = realweb_score.score_pages(pages, {"stories": alone}, "html")["summary"]
    blanked = realweb_score.score_pages(pages, {"stories": [{**s, "title": ""} for s in ours["stories"]]},
                                        "html")["summary"]
    assert mine["one_story"] >= 0.95 * len(pages) and mine["title"] >= 0.9 * len(pages)
    assert blanked["F1"] >= theirs["F1"]  # the article text: at least trafilatura's own
    assert mine["F1"] >= theirs["F1"] - 0.01  # with the headline, which the gold body does not hold


def test_the_page_says_where_it_comes_from_and_every_output_credits_it(tmp_path):
    """Issue 18: a saved page's own address (its canonical link or og:url) and site name are its
    credit, in anthology.json and the colophon; a link that is no web address is not."""
    from pubpipe.render import labels
    from pubpipe.model import Anthology
    head = """<meta property="og:title" content="Storm delays island ferry">
<meta property="og:site_name" content="The Island Times">"""
    good = f"""<html><head><title>Storm delays island ferry</title>{head}
<link rel="canonical" href="https://islandtimes.example/news/2021/ferry-delays">
<meta property="article:published_time" content="2021-03-04T10:00:00+00:00">
</head><body>{menu()}<article>{paragraphs()}</article></body></html>"""
    bad = good.replace("https://islandtimes.example/news/2021/ferry-delays", "javascript:alert(1)") \
        .replace("Storm delays island ferry", "Ferry timetable broken")
    anthology = build(tmp_path, {"ferry.html": good, "other.html": bad})
    first, second = anthology.credits
    assert (first.file, first.url, first.publisher) == ("ferry.html", "https://islandtimes.example/news/2021/ferry-delays",
                                                        "The Island Times")
    assert second.url is None and second.publisher == "The Island Times"
    data = json.loads(json.dumps(anthology.to_dict()))
    assert data["credits"][0]["url"] == first.url and Anthology.from_dict(data) == anthology
    groups = labels.colophon(anthology)
    assert groups[0].url == first.url and "ferry.html" not in groups[0].text + groups[1].text
    # the story's dateline names the site already: its source line does not say it twice
    story = next(s for s in anthology.stories if s.source.file == "ferry.html")
    assert labels.source_line(story, first) == "The Island Times, 4 March 2021."
    assert webpage.page_url("/news/ferry") is None and webpage.page_url("ftp://x.example/a") is None
