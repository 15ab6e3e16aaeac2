"""Structure recovery on the sample sources and on small made-up cases."""

import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.config import Config
from pubpipe.recover.detect import bottom_byline, dateline, heading_like, series_title, top_byline
from pubpipe.model import Byline
from pubpipe.typography import typeset

from helpers import lost_words

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "eval"


@pytest.fixture(scope="module")
def anthology():
    config = Config()
    return pipeline.recover(ROOT / "sources", config)


def by_title(anthology, start):
    return next(s for s in anthology.stories if s.title.startswith(start))


def test_stories_split_at_titles_after_end_signals(anthology):
    files = Counter(s.source.file for s in anthology.stories)
    assert sorted(files.values()) == [1, 2, 2]
    ids = [s.id for s in anthology.stories]
    assert len(set(ids)) == len(ids) and all(re.fullmatch(r"[a-z0-9-]+", i) for i in ids)


def test_bottom_byline_ends_a_story(anthology):
    first = anthology.stories[0]
    assert first.byline.name == first.byline.name.title() and first.byline.role
    assert not any("--" in b.text for b in first.blocks)


def test_quotes_take_their_dash_attribution(anthology):
    quotes = [b for s in anthology.stories for b in s.blocks if b.type == "quote"]
    assert len(quotes) == 3 and all(q.attribution and not q.attribution.startswith(("–", "-")) for q in quotes)
    assert not any(b.text.startswith("–") for s in anthology.stories for b in s.blocks)


def test_lists_headings_dateline_series(anthology):
    lists = [b for s in anthology.stories for b in s.blocks if b.type == "list"]
    assert len(lists) == 1 and len(lists[0].items) == 3 and not lists[0].ordered
    assert not any(i.startswith("-") for i in lists[0].items)
    dated = [s for s in anthology.stories if s.dateline]
    assert len(dated) == 1 and dated[0].dateline.date == "2016-11-03"
    assert not dated[0].blocks[0].text.startswith(dated[0].dateline.source)
    serial = [s for s in anthology.stories if s.series]
    assert len(serial) == 1 and serial[0].series.part == 1 and "|" not in serial[0].title
    assert sum(len(s.headings()) for s in anthology.stories) == 9


def test_residue_is_listed_not_lost(anthology):
    assert {r.rule for r in anthology.removed} == {"web-residue", "continue-reading", "call-to-action"}
    text = json.dumps([s.to_dict() for s in anthology.stories])
    for r in anthology.removed:
        assert r.text not in text


def test_no_body_word_lost(anthology):
    """Every word of every source line, less the removed lines, is somewhere in the anthology."""
    lines = {p.name: p.read_text(encoding="utf-8").splitlines() for p in sorted((ROOT / "sources").glob("*.txt"))}
    assert lost_words(lines, anthology) == {}


@pytest.mark.skipif(not (SHARED / "score.py").exists(), reason="shared/eval not beside the checkout")
def test_score_on_samples(anthology, tmp_path):
    path = tmp_path / "anthology.json"
    path.write_text(json.dumps(anthology.to_dict(), ensure_ascii=False))
    run = subprocess.run([sys.executable, str(SHARED / "score.py"), str(SHARED / "gold" / "seeds.json"), str(path),
                          str(ROOT / "sources"), "--min", "0.98"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize("text, expected", [
    ("By Jane Doe", ("Jane Doe", None)),
    ("By JANE DOE, Staff Writer", ("Jane Doe", "Staff Writer")),
    ("By Michael HiltzikBusiness Columnist", ("Michael Hiltzik", "Business Columnist")),  # glued by a page's copy
    ("By Sandee LaMotte", ("Sandee LaMotte", None)),  # a capital inside a name is no glued role
    ("By the river we sat down and wept.", None),
])
def test_top_byline(text, expected):
    found = top_byline(text)
    assert (found and (found.name, found.role)) == expected or (found is None and expected is None)


def test_bottom_byline_and_attribution_shapes():
    assert bottom_byline("--JOHN SMITH - field reporter").name == "John Smith"
    assert bottom_byline("— Ana María López, editor").role == "editor"
    assert bottom_byline("- and then they left the room quietly without a word to anyone there") is None


@pytest.mark.parametrize("text, iso, source", [
    ("Seoul (15.02.2019) – – The text", "2019-02-15", "Seoul"),
    ("SEOUL, March 3, 2019 — The text", "2019-03-03", "SEOUL"),
    ("Geneva (2020-05-01) - The text", "2020-05-01", "Geneva"),
])
def test_dateline(text, iso, source):
    found, rest = dateline(text)
    assert (found.date, found.source, rest) == (iso, source, "The text")


def test_series_and_heading_shapes():
    assert series_title("The Crossing | Min’s Story: Part 3")[1].part == 3
    assert series_title("The Crossing: Part Two")[1].part == 2
    assert series_title("Nothing serial here") is None
    assert heading_like("A Ripple Effect") and heading_like("So, how do they do it?")
    assert not heading_like("This is a sentence.") and not heading_like("- a list item")


@pytest.mark.skipif(not (SHARED / "score.py").exists(), reason="shared/eval not beside the checkout")
@pytest.mark.parametrize("corpus", ["corpus", "corpus2"])
def test_score_on_the_independent_corpora(tmp_path, corpus):
    """Corpora written without reading the heuristics (tests/corpus*/README.md), scored by the same scorer."""
    config = Config()
    CORPUS = Path(__file__).parent / corpus
    anthology = pipeline.recover(CORPUS / "sources", config)
    path = tmp_path / "anthology.json"
    path.write_text(json.dumps(anthology.to_dict(), ensure_ascii=False))
    run = subprocess.run([sys.executable, str(SHARED / "score.py"), str(CORPUS / "gold.json"), str(path),
                          str(CORPUS / "sources"), "--min", "0.95"], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout


@pytest.mark.parametrize("raw, set_", [
    ('She said "yes" and left.', "She said “yes” and left."),
    ("It's the '90s, 'he' said.", "It’s the ’90s, ‘he’ said."),
    ('An <img src="x.png" alt=\'a\'> stays markup-shaped.', "An <img src=“x.png” alt=‘a’> stays markup-shaped."),
    ("Pages 3 - 5 and a - b.", "Pages 3 – 5 and a – b."),
])
def test_typeset_quotes_and_dashes(raw, set_):
    assert typeset(raw) == set_


@pytest.mark.parametrize("line, name, role", [
    ("Michael HiltzikBusiness Columnist", "Michael Hiltzik", "Business Columnist"),  # two elements, glued by a copy
    ("By Mike Wall 2019-11-18T20:51:19Z Science & Astronomy", "Mike Wall", None),
    ("By Chris Pokorny@DawgsByNature Nov 18, 2019, 11:47am EST", "Chris Pokorny", None),
    ("Posted by Michael David Smith on November 19, 2019, 6:21 AM EST", "Michael David Smith", None),
    ("Meg Kinnard and Errin Haines, Associated Press", "Meg Kinnard and Errin Haines", "Associated Press"),
    ("By Jane Doe, Reuters", "Jane Doe", "Reuters"),
])
def test_a_line_the_model_calls_a_byline_gives_the_name(line, name, role):
    from pubpipe.recover.detect import labelled_byline
    assert labelled_byline(line) == Byline(name, role)


@pytest.mark.parametrize("line", ["Author:", "By", "Written by", "BLOG > Nutrition > Meal Plans",
                                  "Share this article", "Updated November 19, 2019"])
def test_what_no_byline_is_stays_out_of_the_byline(line):
    """Before, a line the model labelled byline was the byline whatever it said: a breadcrumb, or
    the label "Author:" above the name."""
    from pubpipe.recover.detect import labelled_byline
    assert labelled_byline(line) is None
