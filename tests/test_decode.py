"""pubpipe.recover.decode: an article's headline, byline and kept lines from its lines' label probabilities."""
import numpy as np
import pytest

from pubpipe.recover import decode
from pubpipe.recover.linemodel import LABELS

K = {name: k for k, name in enumerate(LABELS)}


def rows(*labelled):
    """Probability rows: each a dict label -> probability, the rest to residue."""
    out = np.zeros((len(labelled), len(LABELS)))
    for r, probs in enumerate(labelled):
        for name, p in probs.items():
            out[r, K[name]] = p
        out[r, K["residue"]] = 1.0 - sum(probs.values())
    return out


FURNITURE = {}
PROSE = {"paragraph": 0.95}


def test_the_headline_is_the_title_line_that_opens_the_article():
    """A teaser's title in the menus is likelier a title on its own than the headline, but furniture
    follows it; article text and a byline follow the headline."""
    probs = rows(FURNITURE, {"title": 0.8}, FURNITURE, FURNITURE, FURNITURE,
                 {"title": 0.6}, {"byline": 0.7}, PROSE, PROSE, PROSE, PROSE)
    assert int(np.argmax(probs[:, K["title"]])) == 1
    assert decode.title_row(probs) == 5
    assert decode.title_row(probs, decode.LEGACY) == 1


def test_a_byline_under_the_headline_decides_between_two_openings():
    probs = rows({"title": 0.5}, PROSE, PROSE, PROSE, PROSE, PROSE, PROSE,
                 {"title": 0.45}, {"dateline": 0.9}, PROSE, PROSE, PROSE, PROSE, PROSE)
    assert decode.title_row(probs) == 7
    assert decode.title_row(probs, decode.Settings(meta_floor=100.0)) == 0


def test_no_line_after_any_title_candidate_falls_back_to_the_likeliest():
    # the last line has nothing after it: the line before it is the headline, though less likely a title
    assert decode.title_row(rows({"title": 0.2}, {"title": 0.3})) == 0
    assert decode.title_row(rows({"title": 0.2}, {"title": 0.3}), decode.LEGACY) == 1
    assert decode.title_row(rows({"title": 0.9})) == 0
    assert decode.title_row(np.zeros((0, len(LABELS)))) == -1


def test_the_byline_is_the_likeliest_one_under_the_headline_that_reads_as_one():
    probs = rows({"title": 0.9}, {"byline": 0.3}, {"byline": 0.6}, PROSE, {"byline": 0.9})
    texts = ["Headline", "Jane Doe", "Home > News", "Text.", "By John Roe"]
    # "Home > News" is likelier a byline but reads as a breadcrumb; the line beyond the window is not
    # looked at while one within it is the byline
    assert decode.byline_row(probs, texts, 0) == 1
    assert decode.byline_row(probs, texts, 0, decode.Settings(byline_min=0.4, byline_far=0)) is None
    # none within the window: a sure one further down (a photo and its credit between) is taken
    assert decode.byline_row(probs, texts, 0, decode.Settings(byline_min=0.4)) == 4
    assert decode.byline_row(probs, texts, 0, decode.Settings(byline_min=0.4, byline_far_min=0.95)) is None
    assert decode.byline_row(probs, texts, 0, decode.Settings(byline_min=0.4, byline_far=3)) is None
    assert decode.byline_row(probs, texts, 0, decode.Settings(byline_window=4)) == 4
    assert decode.byline_row(probs, texts, 0, decode.LEGACY) is None
    found = decode.read_article(probs, texts)
    assert (found.title, found.byline) == (0, 1)


def test_a_byline_above_a_repeat_of_the_headline_is_its_byline():
    # a page shows the headline, "By", the name, then the headline again over the article: the
    # decoder takes the repeat (text follows it), and its byline from above when none is under it
    probs = rows({"title": 0.2}, {"byline": 0.9}, {"byline": 0.8}, FURNITURE, {"title": 0.9}, PROSE, PROSE, PROSE)
    texts = ["Headline", "By", "Ryan Reed", "Share", "Headline", "Text.", "Text.", "Text."]
    assert decode.read_article(probs, texts) == decode.Reading(4, 2)  # "By" alone reads as no byline
    assert decode.byline_row(probs, texts, 4, decode.Settings(byline_above=1)) is None
    assert decode.byline_row(probs, texts, 4, decode.Settings(byline_far_min=0.95)) is None
    assert decode.byline_row(probs, texts, 4, decode.LEGACY) is None


def test_short_gaps_between_sure_article_lines_are_kept():
    unsure = {"paragraph": 0.3}
    probs = rows(PROSE, unsure, PROSE, unsure, unsure, unsure, PROSE, {"paragraph": 0.5}, unsure, FURNITURE)
    keep = decode.kept(probs, 0.4)
    assert keep.tolist() == [True, True, True, False, False, False, True, True, False, False]
    # the gap of three is kept when gaps of three are allowed; a line under gap_threshold never
    assert decode.kept(probs, 0.4, decode.Settings(gap_lines=3)).tolist()[3:6] == [True, True, True]
    assert decode.kept(probs, 0.4, decode.Settings(gap_threshold=0.35)).tolist()[1] is False
    # next to a line that is article text but not sure of it (0.5 < gap_sure): not a gap
    assert decode.kept(probs, 0.4).tolist()[8] is False
    assert decode.kept(probs, 0.4, decode.LEGACY).tolist() == (1.0 - probs[:, 0] >= 0.4).tolist()


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_short_articles_decode(n):
    probs = rows(*([{"title": 0.5}] + [PROSE] * (n - 1)))
    found = decode.read_article(probs, ["Title"] + ["Some text."] * (n - 1))
    assert found.title == 0


def test_a_list_most_of_whose_items_are_kept_is_kept_whole_and_set_alike():
    """Twenty teams, one a line: the model dropped four of them and took some for paragraphs."""
    from pubpipe.recover.linemodel import Decision

    lines = ["Qualified teams", "England (Group A): 10th appearance", "", "Czech Republic (Group A): Seventh",
             "Ukraine (Group B): Third", "Spain (Group F): 11th", "Sweden (Group F): Seventh", "Roger Gonzalez"]
    d = [Decision("residue", 0.6, 0.4, "heading", False), Decision("item", 0.7, 0.9, "item", True), None,
         Decision("residue", 0.67, 0.33, "item", False), Decision("paragraph", 0.6, 0.8, "paragraph", True),
         Decision("item", 0.8, 0.9, "item", True), Decision("residue", 0.95, 0.05, "item", False),
         Decision("byline", 0.9, 0.95, "byline", True)]
    out = decode.keep_runs(d, lines)
    assert [x.keep if x else None for x in out] == [False, True, None, True, True, True, True, True]
    assert [x.kept_as for x in out if x and x.keep] == ["item", "item", "item", "item", "item", "byline"]
    assert decode.keep_runs(d, lines, decode.Settings(run_floor=0.2))[6].keep is False
    # a run most of whose lines are dropped (a menu of sections, a "Related" list) stays dropped
    menu = [Decision("residue", 0.9, 0.1, "item", False)] * 4 + [Decision("paragraph", 0.6, 0.6, "paragraph", True)]
    titles = [f"Story {n}: a teaser" for n in range(5)]
    assert decode.keep_runs(menu, titles) == menu
    # lines without a mark, or long ones, make no run; nor do runs shorter than run_lines
    assert decode.runs(["Home", "News", "Local", "Weather"], 4, 100) == []
    assert decode.runs(["a (b)"] * 3, 4, 100) == []
    assert decode.runs(["x" * 101 + " (b)"] * 5, 4, 100) == []
    assert decode.keep_runs(d, lines, decode.Settings(run_lines=0)) == d
