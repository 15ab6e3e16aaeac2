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


def _echo_page(echo_line: str, where: int = 0):
    """A made-up page: a teaser likelier a title than the headline (prose follows both), and a line
    `echo_line` at row `where` (0: on top, as a scraper's dump opens with the page's <title>)."""
    texts = ["Menu", "Garden Tools For Every Spring", "Tools we like.", "More tools.", "Even more.",
             "Cats Learn To Open Doors", "By Ann Example", "Cats can open doors.", "They learn it fast.",
             "Owners are surprised.", "Share this"]
    probs = rows(FURNITURE, {"title": 0.9}, PROSE, PROSE, PROSE,
                 {"title": 0.1}, {"byline": 0.8}, PROSE, PROSE, PROSE, FURNITURE)
    texts.insert(where, echo_line)
    probs = np.insert(probs, where, rows(FURNITURE)[0], axis=0)
    return probs, texts


@pytest.mark.parametrize("line, where", [
    ("Cats Learn To Open Doors – The Daily Example", 0),    # the <title> on top, with the site
    ("Cats learn to open doors", 0),                         # the <title> alone
    ("The Daily Example | Cats Learn To Open Doors", 0),
    ("Home / Pets / Cats Learn To Open Doors", 1),           # a breadcrumb's last item
    ("12 thoughts on “Cats Learn To Open Doors”", 11),      # a comments header
    ("https://example.org/pets/cats-learn-to-open-doors-123", 11),  # a link's URL
])
def test_a_line_the_page_echoes_is_its_headline(line, where):
    probs, texts = _echo_page(line, where)
    headline = texts.index("Cats Learn To Open Doors")
    assert decode.title_row(probs, decode.DEFAULT, texts) == headline
    assert decode.read_article(probs, texts).title == headline
    # without the echo (or without the lines' texts) the teaser wins, as before
    teaser = texts.index("Garden Tools For Every Spring")
    assert decode.title_row(probs) == teaser
    assert decode.title_row(probs, decode.Settings(echo=False), texts) == teaser
    assert decode.title_row(probs, decode.LEGACY, texts) == teaser


@pytest.mark.parametrize("line, where", [
    ("Cats Learn To Open Doors – Matte Black", 11),   # the row, a separator and more: a shop's item
    ("Cats Learn To Open Doors", 11),                  # a repeat alone (a teaser repeats as often)
    ("Home » Cats Learn To Open Doors »", 11),         # guillemets as separators are no quotes
    ("Star of “Cats Learn To Open Doors” leaves the show", 11),  # quoted mid-line: a show's name
    ("Big Star Is Eliminated From “Cats Learn To Open Doors”", 11),  # a teaser quoting it at its end
    ("Cats Learn To Open Doors Today", 0),             # on top but more words without a separator
])
def test_what_is_no_echo(line, where):
    probs, texts = _echo_page(line, where)
    assert not decode.echoed(texts, probs)[texts.index("Cats Learn To Open Doors")]
    assert decode.title_row(probs, decode.DEFAULT, texts) == texts.index("Garden Tools For Every Spring")


def test_an_echo_needs_words_title_probability_and_a_less_title_like_echo():
    probs, texts = _echo_page("Cats Learn – The Daily Example", 0)
    texts[texts.index("Cats Learn To Open Doors")] = "Cats Learn"     # two words: echoed by chance
    assert not decode.echoed(texts, probs).any()
    probs, texts = _echo_page("12 thoughts on “Cats Learn To Open Doors”", 11)
    probs[5, K["title"]], probs[5, K["residue"]] = 0.005, 0.995     # under echo_min (0.01)
    assert not decode.echoed(texts, probs)[5]
    assert decode.echoed(texts, probs, decode.Settings(echo_min=0.001))[5]
    # the <title> on top needs only echo_first_min
    probs, texts = _echo_page("Cats Learn To Open Doors – The Daily Example", 0)
    probs[6, K["title"]], probs[6, K["residue"]] = 0.005, 0.995
    assert decode.echoed(texts, probs)[6] and decode.title_row(probs, decode.DEFAULT, texts) == 6
    # a line likelier a title than the row does not echo it ("Headline – Report" over "Headline")
    probs, texts = _echo_page("Cats Learn To Open Doors – The Daily Example", 11)
    probs[11, K["title"]], probs[11, K["residue"]] = 0.5, 0.5
    assert not decode.echoed(texts, probs)[6]


def test_an_echoed_line_with_nothing_after_it_is_not_the_headline():
    # a site's name on top of a browser copy, repeated in its footer: echoed, but no article follows it
    probs, texts = _echo_page("Example Garden Weekly Magazine", 0)
    texts[-1] = "Example Garden Weekly Magazine"
    probs[-1, K["title"]], probs[-1, K["residue"]] = 0.05, 0.95
    assert decode.echoed(texts, probs)[-1]
    assert decode.title_row(probs, decode.DEFAULT, texts) == texts.index("Garden Tools For Every Spring")


def test_a_breadcrumb_is_no_headline():
    assert decode.path_like("Blog > Weight Loss > Weight Loss Tips")
    assert decode.path_like("HOME / Home Renovations / Loans")
    assert not decode.path_like("Dare to Play 3 / October pack")           # one separator
    assert not decode.path_like("Movers in NYC 2025 | Top 19 Companies | Supermove")  # a <title>'s bars
    probs = rows(FURNITURE, {"title": 0.7}, {"title": 0.9}, {"byline": 0.8}, PROSE, PROSE, PROSE)
    texts = ["Menu", "Cats Learn To Open Doors", "Home > Pets > Cats", "By Ann Example", "Text.", "Text.", "Text."]
    assert decode.title_row(probs) == 2
    assert decode.title_row(probs, decode.DEFAULT, texts) == 1
    assert decode.title_row(probs, decode.Settings(paths=False), texts) == 2


def test_a_line_ending_with_a_full_stop_counts_less_as_the_headline():
    """A dek or a quoted claim under or over the headline, as title-like by the model and with as
    much under it, ends with a full stop; the headline does not."""
    assert decode.sentence_like("Practical Horseman's top picks for events, competitions and fun.")
    assert decode.sentence_like("“$53 million a week is coming across the border in drugs.”")
    for line in ("What is the value of drugs that come to the U.S. border?", "Plague cases found in the U.S.",
                 "The best deals…", "More to come...", "Seeking a bigger role for a big rocket"):
        assert not decode.sentence_like(line), line
    probs = rows(FURNITURE, {"title": 0.5}, {"title": 0.6}, {"byline": 0.5}, PROSE, PROSE, PROSE)
    texts = ["Menu", "4 Things to Do in October", "Our top picks for the month's events and fun.", "By Ann Example",
             "Text.", "Text.", "Text."]
    assert decode.title_row(probs) == 2
    assert decode.title_row(probs, decode.DEFAULT, texts) == 1
    assert decode.title_row(probs, decode.Settings(sentence_weight=1.0), texts) == 2


def test_a_promotion_likeliest_a_title_does_not_bar_the_headline():
    """"Subscribe to …" in a side box, likeliest a title with nothing after it: the headline, at a
    third of its title probability but with the article under it, is still a candidate."""
    probs = rows(FURNITURE, {"title": 0.4}, FURNITURE, FURNITURE, FURNITURE,
                 {"title": 0.15}, {"byline": 0.8}, PROSE, PROSE, PROSE)
    assert decode.title_row(probs) == 5
    assert decode.title_row(probs, decode.Settings(candidates=0.5)) == 1


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


def test_a_byline_that_says_so_comes_before_a_likelier_label():
    """Under the headline, a share button's label or a photo's credit the model holds likelier a
    byline than the line that says "By …": the line that says so is the byline."""
    probs = rows({"title": 0.9}, {"byline": 0.8}, {"byline": 0.6}, PROSE, PROSE, PROSE)
    texts = ["Headline", "Share Follow", "By Jane Example", "Text.", "Text.", "Text."]
    assert decode.byline_row(probs, texts, 0) == 2
    assert decode.byline_row(probs, ["Headline", "Share Follow", "Jane Example", "Text.", "Text.", "Text."], 0) == 1


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
    assert decode.keep_runs(d, lines, decode.Settings(run_lines=0, block_lines=0)) == d


def _d(body: float, keep: bool = None, label: str = "paragraph"):
    from pubpipe.recover.linemodel import Decision

    keep = body >= 0.4 if keep is None else keep
    return Decision(label if keep else "residue", max(body, 1 - body), body, label, keep)


def test_a_tour_list_a_third_of_whose_dates_are_kept_is_kept_whole():
    """Thirty dates of a tour, one a line: the model kept a third of them (run_share 0.5 left the
    rest out, the article lost a quarter of its words)."""
    lines = [f"June {n} – City {n}, ST @ Amphitheatre {n}" for n in range(1, 11)]
    d = [_d(0.5, label="item") if n % 3 == 0 else _d(0.3, label="item") for n in range(10)]
    assert sum(x.keep for x in d) == 4
    out = decode.keep_runs(d, lines)
    assert all(x.keep for x in out)
    assert not any(x.keep for x in decode.keep_runs(d, lines, decode.Settings(run_share=0.5))[1:3])


def test_a_list_the_article_ends_with_is_kept_under_its_heading():
    """Twenty qualified teams under "Qualified teams" after the last paragraph: each line read as
    furniture (body 0.1-0.3), none kept; a list that follows sure article text is the article's."""
    lines = ["And earlier in the week, Turkey drew Iceland 0-0 in Istanbul to book its spot.", "",
             "Qualified teams"] + [f"Team {n} (Group {n}): {n}th appearance" for n in range(6)] + ["", "Related stories"]
    bodies = [0.25, 0.21, 0.14, 0.26, 0.1, 0.3]
    d = [_d(0.97), None, _d(0.25, label="heading")] + [_d(b, label="item") for b in bodies] + [None, _d(0.05)]
    out = decode.keep_runs(d, lines)
    assert [x.keep for x in out[2:9]] == [True] * 7
    assert out[2].kept_as == "heading" and out[-1].keep is False
    # off, or after text the model is not sure of, or a list the model reads as furniture: dropped
    assert not any(x.keep for x in decode.keep_runs(d, lines, decode.Settings(follow_mean=1.0))[2:9])
    unsure = [_d(0.6)] + d[1:]
    assert not any(x.keep for x in decode.keep_runs(unsure, lines)[2:9])
    menu = d[:3] + [_d(0.05, label="item")] * 6 + d[9:]
    assert not any(x.keep for x in decode.keep_runs(menu, lines)[2:9])


def test_a_block_of_lines_with_no_blank_line_between_is_read_as_one():
    """A browser copy parts paragraphs with a blank line, not a list's items: a product's features,
    most of them kept, the others dropped at 0.24-0.38, come out whole."""
    lines = ["Headline", "", "Intro paragraph of the article, long enough.", "",
             "Apple iPad Pro (11-inch)", "11-inch Liquid Retina display", "A12X Bionic chip",
             "Face ID for secure authentication", "12MP back camera", "Up to 10 hours of battery life", "",
             "$674.00", "Buy Now", "Available from Amazon", ""]
    d = [_d(0.9, label="title"), None, _d(0.95), None,
         _d(0.75), _d(0.49), _d(0.31), _d(0.24), _d(0.12), _d(0.55), None,
         _d(0.25), _d(0.41), _d(0.1), None]
    out = decode.keep_runs(d, lines, below=0)
    assert [x.keep for x in out[4:10]] == [True, True, True, True, False, True]  # 0.12: under block_floor
    assert [x.keep for x in out[11:14]] == [False, True, False]  # a block mostly dropped stays so
    # off; or above the first headline (the page's top: its furniture, not a list of the article)
    assert [x.keep for x in decode.keep_runs(d, lines, decode.Settings(block_lines=0), below=0)[4:10]] == \
        [True, True, False, False, False, True]
    assert [x.keep for x in decode.keep_runs(d, lines, below=12)[4:10]] == [True, True, False, False, False, True]
    # a text with few blank lines (a scraper's dump) is long blocks, not lists
    long = lines[:4] + lines[4:10] * 4 + lines[10:]
    dl = d[:4] + d[4:10] * 4 + d[10:]
    assert sum(x.keep for x in decode.keep_runs(dl, long, below=0)[4:28]) == sum(x.keep for x in dl[4:28])
