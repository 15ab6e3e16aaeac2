"""The line model on saved pages (pubpipe.recover.pages): which of trafilatura's two readings is
published, and the furniture dropped at the article's edges."""

import gzip
import json
from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.config import Config
from pubpipe.read.ingest import RawSource, parse_source
from pubpipe.read.lines import Line
from pubpipe.recover import pages

REALWEB = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "realweb"

ARTICLE = ["The ferry from the mainland arrived an hour late on Tuesday, its deck crowded with families.",
           "Harbour staff said the crossing had been cancelled twice in a week, the first time in years.",
           "Islanders who work on the mainland have started sleeping in the town hall on weekday nights."]


class Model:
    """A stand-in line model: a line's body probability is `bodies[text]` (0.9 for any other)."""

    def __init__(self, bodies: dict):
        self.bodies = bodies
        self.read = []

    def __call__(self, model, texts: list) -> list:  # pages.choose's `bodies`
        assert model is self
        self.read.append(texts)
        return [[None if not t else self.bodies.get(t, 0.9) for t in lines] for lines in texts]


def choose(sources, model, keep=()):
    return pages.choose(sources, model, keep, bodies=model)


def page_source(body: list, other: list = None, title: str = "Storm delays island ferry", removed=()) -> RawSource:
    """A saved page as ingest gives one: its page text a block a line (blank lines between), the
    article's lines with the blocks they came from, and trafilatura's other reading."""
    blocks = [title] + [t for t in dict.fromkeys(body + (other or []))]
    text, where = [], []
    for k, b in enumerate(blocks):
        text += [b, ""]
        where += [k, None]

    def reading(lines):
        return (Line(1, title, "title"), Line(1, "The Island Times, 2019-11-20", "dateline"),
                *(Line(2 + blocks.index(t), t, "p") for t in lines)), \
            (None, None, *((blocks.index(t), blocks.index(t)) for t in lines))

    lines, spans = reading(body)
    alt = None
    if other is not None:
        o_lines, o_spans = reading(other)
        alt = RawSource("ferry.html", o_lines, "utf-8", ("read as an HTML page",), "html", (), spans=o_spans)
    return RawSource("ferry.html", lines, "utf-8", ("read as an HTML page",), "html", tuple(removed),
                     spans=spans, page_text=tuple(text), page_blocks=tuple(where), other=alt)


def texts(src) -> list:
    return [l.text for l in src.lines if l.tag == "p"]


def test_sure_furniture_at_the_articles_edges_is_dropped_and_listed():
    src = page_source(["Share this story", *ARTICLE[:2], "Advertisement", ARTICLE[2], "Sign up", "Comments"])
    model = Model({"Share this story": 0.01, "Advertisement": 0.01, "Comments": 0.02, "Sign up": 0.3})
    (out,) = choose([src], model)
    # "Advertisement" is inside the article: never dropped here; "Sign up" is not sure enough (0.3),
    # and the article's end is the last line the model does not rule out
    assert texts(out) == [*ARTICLE[:2], "Advertisement", ARTICLE[2], "Sign up"]
    assert [(r.rule, r.text, r.confidence) for r in out.removed] == [("model", "Share this story", 0.99),
                                                                      ("model", "Comments", 0.98)]
    assert [l.tag for l in out.lines[:2]] == ["title", "dateline"]  # metadata lines are not the model's
    assert out.page_text == () and out.other is None and out.spans == ()  # what only the choice needed: gone
    assert pages.changed(out, src)


def test_a_line_staff_said_to_keep_stays():
    src = page_source([*ARTICLE, "Comments"])
    (out,) = choose([src], Model({"Comments": 0.01}), keep=["  Comments "])
    assert texts(out) == [*ARTICLE, "Comments"] and out.removed == ()


def test_the_reading_the_model_reads_as_more_of_an_article_is_kept():
    gallery = ["Image 1 of 8", "Back to Gallery", "Caption", "Close"]
    src = page_source([*gallery, *ARTICLE], other=ARTICLE, removed=["left out by the recall reading"])
    model = Model({t: 0.02 for t in gallery})
    (out,) = choose([src], model)
    assert texts(out) == ARTICLE
    assert out.repairs[-1] == "trafilatura's balanced reading kept: the line model reads more of it as the article"
    assert out.removed == ()  # the other reading's own list of what it left out
    assert len(model.read) == 1 and len(model.read[0]) == 1  # every page's text read in one call


def test_the_favor_recall_reading_stays_when_the_other_loses_article_text():
    src = page_source([*ARTICLE, "The council will meet again on Friday to decide on a second boat."], other=ARTICLE)
    (out,) = choose([src], Model({}))
    assert texts(out)[-1].startswith("The council will meet") and not pages.changed(out, src)


def test_without_a_model_or_a_page_text_sources_are_as_read():
    src = page_source([*ARTICLE, "Comments"], other=ARTICLE)
    (out,) = pages.choose([src], None)
    assert out.lines == src.lines and out.other is None and not pages.changed(out, src)
    plain = RawSource("notes.txt", (Line(1, "A note"),), "utf-8")
    assert choose([plain], Model({})) == [plain]


def test_a_saved_page_carries_its_text_and_where_each_line_came_from():
    body = "".join(f"<p>{t}</p>" for t in ARTICLE)
    page = (f"<html><head><title>Storm delays island ferry</title></head><body><nav><ul><li>Home</li><li>News</li>"
            f"</ul></nav><article><h1>Storm delays island ferry</h1>{body}</article></body></html>")
    src = parse_source("ferry.html", page.encode())
    assert src.page_text[:4] == ("Home", "", "News", "") and len(src.page_blocks) == len(src.page_text)
    assert len(src.spans) == len(src.lines)
    for line, span in zip(src.lines, src.spans):
        if line.tag == "p":  # the block the line came from is the line's text
            assert src.page_text[src.page_blocks.index(span[0])] == line.text


@pytest.mark.skipif(not (REALWEB / "html").is_dir(), reason="needs ../shared/corpus/realweb")
def test_a_photo_gallery_trafilatura_took_with_the_article_is_not_published(tmp_path):
    """A real page (realweb): trafilatura's favor_recall reading takes a photo gallery's captions and
    buttons before the article; its balanced reading takes the article alone. The shipped model
    (which saw this page's text in training: this is a check of the wiring, not of the model)
    chooses the balanced one."""
    gold = {p["id"][:8]: p for p in json.loads((REALWEB / "gold.json").read_text(encoding="utf-8"))["pages"]}["db6b0816"]
    sources = tmp_path / "sources"
    sources.mkdir()
    (sources / "esper.html").write_bytes(gzip.decompress((REALWEB / "html" / f"{gold['id']}.html.gz").read_bytes()))
    ingested, anthology = pipeline.ingest_and_recover(sources, Config())
    (raw,) = ingested.sources
    assert any("Back to Gallery" == l.text for l in raw.lines)  # ingest's (favor_recall) reading has it
    (story,) = anthology.stories
    published = " ".join(b.words() for b in story.blocks)
    assert "Back to Gallery" not in published and "1of/8" not in published
    assert published.count("Esper on Wednesday accused China") == 1
    assert any(r.text == "Back to Gallery" for r in anthology.removed)
    (facts,) = anthology.sources
    assert "balanced reading kept" in facts["repairs"][-1]


# ---------------------------------------------------------------- fragments of stories (pubpipe.recover.anthology)

def _tagged_text(by_model: bool):
    from pubpipe.recover.clean import CleanSource
    prose = " ".join(ARTICLE)
    lines = [("Storm delays island ferry", "title"), (prose, "p"), (prose, "p"),
             ("05 Oct", "title"), ("Leave a comment below", "p")]
    return CleanSource("page.txt", tuple(Line(n + 1, t, tag) for n, (t, tag) in enumerate(lines)), (),
                       by_model=by_model)


def test_a_fragment_beside_the_article_of_a_text_the_model_read_is_dropped():
    from pubpipe.recover.anthology import FRAGMENT, build_anthology
    anthology = build_anthology([_tagged_text(True)], Config())
    assert [s.title for s in anthology.stories] == ["Storm delays island ferry"]
    assert [(r.line, r.text, r.rule) for r in anthology.removed] == [(4, "05 Oct", FRAGMENT),
                                                                      (5, "Leave a comment below", FRAGMENT)]


def test_a_short_story_is_kept_where_the_model_did_not_read_the_text_or_staff_keep_it():
    from pubpipe.recover.anthology import build_anthology
    assert len(build_anthology([_tagged_text(False)], Config()).stories) == 2
    assert len(build_anthology([_tagged_text(True)], Config(keep=["Leave a comment below"])).stories) == 2


def test_a_list_of_excerpts_beside_the_article_of_a_text_the_model_read_is_dropped():
    """A page's "Deals" block after its article, read as a story of its own: headlines, each over
    its article's first lines cut off with an ellipsis. Dropped (rule EXCERPT) beside an article;
    kept where the model did not read the text, where staff keep a line of it, where a few of an
    article's paragraphs trail off, and where every story of the text is such a list."""
    from pubpipe.recover.anthology import EXCERPT, build_anthology
    from pubpipe.recover.clean import CleanSource

    prose = " ".join(ARTICLE)
    teaser = "Shoppers can now pick up the newest tablet at a discount before the holiday sales start and the…"
    article = [("Storm delays island ferry", "title"), (prose, "p"), (prose, "p")]
    deals = [("Tablet discounted already", "title"), (teaser, "p"), ("Laptops for less", "h2"), (teaser, "p"),
             ("Headphones on sale", "h2"), (teaser.replace("…", "..."), "p")]

    def text(lines, by_model=True):
        return CleanSource("page.txt", tuple(Line(n + 1, t, tag) for n, (t, tag) in enumerate(lines)), (),
                           by_model=by_model)

    anthology = build_anthology([text(article + deals)], Config())
    assert [s.title for s in anthology.stories] == ["Storm delays island ferry"]
    assert [(r.line, r.rule) for r in anthology.removed] == [(n, EXCERPT) for n in range(4, 10)]
    assert len(build_anthology([text(article + deals, by_model=False)], Config()).stories) == 2
    assert len(build_anthology([text(article + deals)], Config(keep=["Laptops for less"])).stories) == 2
    trailing = deals[:4] + [(prose, "p"), (prose, "p"), (prose, "p")]  # two of five paragraphs trail off
    assert len(build_anthology([text(article + trailing)], Config()).stories) == 2
    assert len(build_anthology([text(deals + deals)], Config()).stories) == 2


def test_the_next_pages_breadcrumb_at_a_storys_end_is_dropped():
    """Pasted pages: the second page's breadcrumb, ending with its headline, read as the first
    story's last heading: the second article's words in the first story. Dropped (rule
    NEXT_HEADLINE); a heading that only shares words with the next headline stays, as does one staff keep."""
    from pubpipe.recover.anthology import NEXT_HEADLINE, build_anthology
    from pubpipe.recover.clean import CleanSource

    prose = " ".join(ARTICLE)
    breadcrumb = "Home › News › Ferry company names a new captain"

    def text(last_heading, keep=()):
        lines = [("Storm delays island ferry", "title"), (prose, "p"), (last_heading, "heading"),
                 ("Ferry company names a new captain", "title"), (prose, "p")]
        src = CleanSource("pasted.txt", tuple(Line(n + 1, t, tag) for n, (t, tag) in enumerate(lines)), (),
                          by_model=True)
        return build_anthology([src], Config(keep=list(keep)))

    anthology = text(breadcrumb)
    assert [(r.line, r.rule) for r in anthology.removed] == [(3, NEXT_HEADLINE)]
    assert [b.type for b in anthology.stories[0].blocks] == ["paragraph"]
    assert not text("Why the company names a new captain now").removed
    assert not text(breadcrumb, keep=[breadcrumb]).removed
