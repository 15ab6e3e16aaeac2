"""The learned line model (pubpipe.recover): features, the shipped model's behaviour on a page
written for this test, and that training/train.py rebuilds the shipped file byte for byte."""
import gzip
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from pubpipe.recover import features as F
from pubpipe.recover import linemodel
from pubpipe.recover.stopwords import best_stoplist

REPO = Path(__file__).resolve().parents[1]

# A saved page as a browser copy gives it: menus, the article, share buttons, a footer. Written for
# this test (no real page's words): what matters is its shape.
MENU = ["Home", "World", "Business", "Science", "Culture", "Sport", "Opinion", "Travel", "Weather", "Podcasts",
        "Newsletters", "Subscribe", "Sign in"]
ARTICLE = [
    "Harbour town opens its first night library for shift workers",
    "By Mara Lindqvist",
    "12 March 2024",
    "",
    "The reading room above the old ferry office now stays open until two in the morning, and on its first "
    "week more than three hundred people came through the door after their shifts at the port.",
    "",
    "Volunteers from the dock workers' union staff the desk in turns. They lend books, print forms and keep "
    "the kettle warm for the crews who finish late and cannot use the library during the day.",
    "",
    "Why it matters",
    "",
    "For years the only building with its lights on at night was the petrol station on the ring road, said "
    "one of the organisers, who has worked the night shift at the container terminal for eleven years.",
    "",
    "The council has promised to fund the heating and the lights for a year, and the union will ask the port "
    "authority to pay for new shelves if the number of visitors keeps growing through the winter.",
]
FOOTER = ["Share", "Facebook", "Twitter", "Email", "Most read", "About us", "Contact", "Privacy policy",
          "Terms of use", "© 2024 Harbour Courier. All rights reserved."]
PAGE = MENU + [""] + ARTICLE + [""] + FOOTER
OTHER = [
    "Ferry timetable changes after the storm season ends",
    "By Jon Berg",
    "14 March 2024",
    "",
    "From next month the morning boat to the islands will leave half an hour earlier, the ferry company "
    "said on Tuesday, so that pupils from the outer islands reach the school before the first lesson.",
    "",
    "The evening crossing keeps its old time. Passengers with bicycles are asked to board first because "
    "the new boat has less room on the car deck than the one it replaces this spring.",
    "",
    "Islanders had asked for the change for years, and the parents' association collected more than four "
    "hundred signatures last autumn after a winter in which the first lesson was missed almost every week.",
    "",
    "The company will publish the full timetable on the harbour notice board and at the ticket office, "
    "and the old paper timetables will be taken back and recycled at the library.",
]


def test_features_one_row_per_non_blank_line_and_finite():
    idx, x = F.features(PAGE)
    assert idx == [i for i, line in enumerate(PAGE) if line.strip()]
    assert x.shape == (len(idx), len(F.NAMES))
    assert np.isfinite(x).all()
    assert F.features([])[1].shape == (0, len(F.NAMES))
    assert F.features(["", "  "])[0] == []


def test_stoplist_is_the_texts_language():
    english = best_stoplist("the reading room above the old ferry office now stays open until two".split())
    korean = best_stoplist("그는 이 마을에서 가장 오래된 도서관을 다시 열었다 그리고 많은 사람들이 찾아왔다".split())
    assert english[0] == "English" and "the" in english[1]
    assert korean[0] == "Korean"
    assert best_stoplist(["xqzv", "brrt"]) == ("", frozenset())


def test_features_see_prose_and_furniture():
    idx, x = F.features(PAGE)
    col = {name: k for k, name in enumerate(F.NAMES)}
    row = {i: r for r, i in enumerate(idx)}
    prose = row[PAGE.index(ARTICLE[4])]
    menu = row[PAGE.index("Science")]  # ("Home" is on the English stoplist)
    assert x[prose, col["prose"]] == 1 and x[menu, col["prose"]] == 0
    assert x[prose, col["stop_density"]] > 0.3 > x[menu, col["stop_density"]]
    title = row[PAGE.index(ARTICLE[0])]
    # the headline shares its words with the article under it; a menu item does not
    assert x[title, col["overlap_next"]] > 0.3 and x[row[PAGE.index("Most read")], col["overlap_next"]] == 0


TRICKY_WORDS = ["«Home»", "don't", "_id_", "'", "…", "x²", "²", "İstanbul", "ΟΔΟΣ.", "cafe\u0301", "\u0301a", "12,",
                "—", "(c)", "e-mail:", "日本語。", "Ⅻ", "a_", "__", "!!", "'quoted'"]


def test_words_are_stripped_as_the_pattern_strips_them():
    """The fast path of stopwords.strip_punct and features._words (a word that starts and ends with a
    word character is left as it is) gives what the pattern gives, on words at the edges of \\w."""
    from pubpipe.recover.stopwords import PUNCT, strip_punct

    for w in TRICKY_WORDS + [w.lower() for w in TRICKY_WORDS] + [""]:
        assert strip_punct(w) == PUNCT.sub("", w), w
    line = " ".join(TRICKY_WORDS)
    assert F._words(line) == [PUNCT.sub("", w.lower()) for w in line.split()]


def test_best_stoplist_counts_every_listed_word_of_the_text():
    """best_stoplist picks the list holding most of the text's words (ties: the first by name),
    whatever order its word index was filled in."""
    from collections import Counter

    from pubpipe.recover.stopwords import _lists

    names, sets = _lists()[:2]
    if not names:
        pytest.skip("jusText's stoplists are not installed")
    texts = [" ".join(ARTICLE).lower().split(), "de la que el en y a los se del las un por con no una su para".split(),
             "der die und in den von zu das mit sich des auf für ist im dem nicht ein die eine".split(),
             "the der la".split(), ["of"] * 3 + ["und"] * 3]
    for words in texts:
        seen = Counter(words)
        counts = [sum(n for w, n in seen.items() if w in s) for s in sets]
        best = max(range(len(names)), key=lambda k: (counts[k], -k))
        assert best_stoplist(words)[0] == names[best], words


shipped = linemodel.shipped()
needs_model = pytest.mark.skipif(shipped is None, reason="no shipped line model (run training/train.py)")


@needs_model
def test_shipped_model_keeps_the_article_and_drops_the_furniture():
    decisions, articles = shipped.read(PAGE)
    body = [PAGE[i] for i, d in enumerate(decisions) if d and d.label in linemodel.BODY]
    for paragraph in [ARTICLE[4], ARTICLE[6], ARTICLE[10], ARTICLE[12]]:
        assert paragraph in body
    for line in MENU[:6] + FOOTER:
        assert decisions[PAGE.index(line)].label == "residue", line
    assert len(articles) == 1
    assert PAGE[articles[0].title] == ARTICLE[0]
    assert all(0 <= d.confidence <= 1 for d in decisions if d)


@needs_model
@pytest.mark.xfail(strict=True, reason="known miss: two short pages of one site, pasted, stay one article (realweb's "
                   "concat files, longer pages of different sites, split right on 27-29 of 37)")
def test_shipped_model_splits_two_pasted_pages():
    pasted = PAGE + [""] + MENU + [""] + OTHER + [""] + FOOTER
    _, articles = shipped.read(pasted)
    assert len(articles) == 2
    assert pasted[articles[1].title] == OTHER[0]
    assert articles[1].first > PAGE.index(ARTICLE[-1])


@needs_model
def test_reading_texts_together_gives_each_what_it_gets_alone():
    """read_all predicts the lines of all texts in one call per booster: each text's decisions and
    articles are those it gets read on its own (texts with no line, too few lines for the start
    model, a page, two pages pasted)."""
    texts = [PAGE, [], ["", "  "], ["Only two lines here", "and this"], PAGE + [""] + MENU + [""] + OTHER + [""] + FOOTER,
             OTHER, PAGE]
    repeated = F.repeated_across(texts)
    together = shipped.read_all(texts, repeated)
    assert len(together) == len(texts)
    for lines, got in zip(texts, together):
        assert got == shipped.read_all([lines], repeated)[0]
    assert together[0] == shipped.read(PAGE, repeated) and together[0][1]


@needs_model
def test_predictions_on_several_threads_are_those_of_one(monkeypatch):
    """LightGBM predicts each line on its own: on linemodel.THREADS threads the probabilities, to
    the last bit, and so the decisions are those of one thread."""
    texts = [PAGE * 40, PAGE + [""] + MENU + [""] + OTHER + [""] + FOOTER, OTHER]
    _, x = F.features(texts[0])
    first = shipped.stages[0].predict(x, num_threads=1)
    assert np.array_equal(shipped.stages[0].predict(x, num_threads=2), first)
    x2 = np.hstack([x, linemodel.context_features(first)])
    assert np.array_equal(shipped.stages[1].predict(x2, num_threads=2), shipped.stages[1].predict(x2, num_threads=1))
    monkeypatch.setattr(linemodel, "THREADS", 1)
    alone = shipped.read_all(texts)
    monkeypatch.setattr(linemodel, "THREADS", 2)
    assert shipped.read_all(texts) == alone


def _train():
    sys.path.insert(0, str(REPO / "training"))
    import train
    return train


@needs_model
def test_shipped_model_was_made_from_the_data_and_code_as_they_are():
    """The shipped file records the digests of what training/train.py made it from: a change to the
    labelled lines, the features or the training without retraining fails here (retrain: train.py)."""
    import gzip

    with gzip.open(linemodel.MODEL_FILE, "rt", encoding="utf-8") as f:
        recorded = json.load(f)["trained_from"]
    now = _train().digests()
    assert {k: v for k, v in now.items() if recorded.get(k) != v} == {}


@needs_model
@pytest.mark.skipif(not os.environ.get("PUBPIPE_TRAIN_TEST"), reason="about 5 minutes of CPU: set PUBPIPE_TRAIN_TEST=1")
def test_training_rebuilds_the_shipped_model_byte_for_byte():
    blob = _train().build()
    assert hashlib.sha256(blob).hexdigest() == hashlib.sha256(linemodel.MODEL_FILE.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the model in the build

def _build(files: dict, tmp_path):
    """`files` (name -> text) through the build's stages up to the anthology (`pipeline.recover`)."""
    from pubpipe import pipeline
    from pubpipe.config import Config

    folder = tmp_path / "sources"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return pipeline.recover(folder, Config())


def _text(story) -> str:
    """A story's text as written in the sources (straight apostrophes: typography curls them)."""
    return " ".join(b.text or " ".join(b.items) for b in story.blocks).replace("’", "'")


@needs_model
def test_build_publishes_a_copied_page_as_one_story_titled_by_its_headline(tmp_path):
    anthology = _build({"page.txt": "\n".join(PAGE) + "\n"}, tmp_path)
    assert len(anthology.stories) == 1
    story = anthology.stories[0]
    assert story.title == ARTICLE[0]
    assert story.byline is not None and story.byline.name == "Mara Lindqvist"
    text = _text(story)
    for paragraph in [ARTICLE[4], ARTICLE[6], ARTICLE[10], ARTICLE[12]]:
        assert paragraph in text
    # every line left out is listed, with the model as its rule (or the cleaning rule that fired) and,
    # for the model, its confidence
    removed = {r.text: r for r in anthology.removed}
    for line in MENU[:6] + FOOTER:
        assert line in removed, line
        assert line not in text
    model_drops = [r for r in anthology.removed if r.rule == "model"]
    assert model_drops and all(0.5 <= r.confidence <= 1 for r in model_drops)
    assert all(r.confidence is None for r in anthology.removed if r.rule != "model")
    entry = next(r for r in anthology.to_dict()["removed"] if r["rule"] == "model")
    assert 0 < entry["confidence"] <= 1
    assert all("confidence" not in r for r in anthology.to_dict()["removed"] if r["rule"] != "model")


REALWEB = REPO.parent / "shared" / "corpus" / "realweb"


@needs_model
@pytest.mark.skipif(not (REALWEB / "concat").is_dir(), reason="../shared/corpus/realweb not beside the checkout")
def test_build_splits_pasted_pages_into_their_articles(tmp_path):
    """Three real pages' copies pasted into one file become three stories titled by their headlines.
    (The shipped model was trained on these pages: this checks the wiring; how well it does on pages it
    never saw is training/evaluate.py's measure.)"""
    gold = json.loads((REALWEB / "gold.json").read_text(encoding="utf-8"))
    entry = next(e for e in gold["concat"] if e["file"] == "concat-03.txt")
    headlines = {p["id"]: p["headline"] for p in gold["pages"]}
    anthology = _build({"concat-03.txt": (REALWEB / "concat" / "concat-03.txt").read_text(encoding="utf-8")}, tmp_path)
    assert len(anthology.stories) == 3
    for story, page in zip(anthology.stories, entry["pages"]):
        assert story.title.split()[:5] == headlines[page].split()[:5]


@needs_model
def test_our_own_samples_are_left_to_the_rules():
    """The samples in sources/ are articles with a little residue, not a web page's text: the model
    leaves them as cleaning made them."""
    from pubpipe.read import intake
    from pubpipe.config import Config
    from pubpipe.recover.clean import clean_all
    from pubpipe.recover import apply

    config = Config()
    ingested = intake.ingest(intake.snapshot(str(REPO / "sources"), config), config)
    cleaned = clean_all(list(ingested.sources))
    assert apply.recover(list(ingested.sources), cleaned) == cleaned


def test_report_shows_the_models_confidence():
    from pubpipe.model import dropped
    from pubpipe.publish.report import _removed_rows

    rows = _removed_rows((dropped("a.txt", 3, "Sign in", "model", 0.973), dropped("a.txt", 9, "Share", "share-buttons")))
    assert rows[0] == "| `a.txt` | 3 | model (0.97) | Sign in |"
    assert rows[1] == "| `a.txt` | 9 | share-buttons | Share |"


@needs_model
def test_lines_staff_keep_are_never_dropped_by_the_model():
    from pubpipe.recover.clean import clean_all
    from pubpipe.read.ingest import parse_source
    from pubpipe.recover import apply

    raw = [parse_source("page.txt", ("\n".join(PAGE) + "\n").encode("utf-8"))]
    cleaned = clean_all(raw)
    dropped = {r.text for r in apply.recover(raw, cleaned)[0].removed if r.rule == "model"}
    assert "Most read" in dropped
    again = apply.recover(raw, cleaned, keep=["Most  read "])[0]
    assert "Most read" not in {r.text for r in again.removed}
    assert "Most read" in [l.text for l in again.lines]


@needs_model
def test_a_call_to_action_amid_the_menus_does_not_make_the_article_an_afterword(tmp_path):
    """Cleaning's call-to-action rule marks what follows as an afterword (notes) in a pasted article;
    on a page the model reads, the article after a newsletter prompt stays paragraphs."""
    page = MENU + [""] + ARTICLE[:3] + ["Receive the latest local updates in your inbox"] + ARTICLE[3:] + [""] + FOOTER
    anthology = _build({"page.txt": "\n".join(page) + "\n"}, tmp_path)
    story = anthology.stories[0]
    assert story.title == ARTICLE[0]
    assert "call-to-action" in {r.rule for r in anthology.removed}
    assert [b.type for b in story.blocks if b.text and b.text.startswith("The reading room")] == ["paragraph"]


@needs_model
def test_the_models_least_sure_drops_are_listed_for_review(tmp_path):
    anthology = _build({"page.txt": "\n".join(PAGE) + "\n"}, tmp_path)
    dropped = [d for d in anthology.review if d.what == "dropped" and d.rule == "model"]
    assert dropped and all(d.confidence < 1.0 for d in dropped)
    least = min(r.confidence for r in anthology.removed if r.rule == "model")
    assert min(d.confidence for d in dropped) == least


@pytest.mark.parametrize("texts", [
    PAGE + OTHER,
    ["ΟΔΟΣ ΣΟΦΟΣ. 'Σ", "Σ", "İstanbul ŞEHİR", "straße ﬁne ŉ", "x\ud800y", "１２３ ٣٤ ² _a_b_ a_1", "한국어 문장입니다.",
     "«Quote» — (c) 2024 ©", "tab\there", "\u00a0nbsp"],  # case changes of other lengths, lone surrogates
    ["plain ascii only", "İ"],
])
def test_char_counts_of_a_whole_text_are_each_lines_own(texts):
    """features._char_counts (the whole text at once, numpy) gives each line's _line_counts (its
    regular expressions and case comparisons, one line at a time)."""
    texts = [t.strip() for t in texts if t.strip()]
    assert F._char_counts(texts).tolist() == [list(F._line_counts(t)) for t in texts]


def _overlaps_by_sliding(texts: list, prose, stoplist: frozenset, window: int = 50) -> np.ndarray:
    """features._overlaps as it was first written: a Counter of the prose lines' words slid over the
    text each way (the reference the vectorised one must equal, float for float)."""
    import math
    from collections import Counter
    n = len(texts)
    words = [F._content(t, stoplist) for t in texts]
    out = np.zeros((n, 4))
    total = Counter()
    for i in np.flatnonzero(prose):
        total.update(words[i])
    for direction, col in ((1, 0), (-1, 1)):
        seen = Counter()
        for i in (range(n - 1, -1, -1) if direction == 1 else range(n)):
            if words[i]:
                out[i, col] = sum(1 for w in words[i] if seen[w] > 0) / len(words[i])
            j = i + direction * window
            if prose[i]:
                seen.update(words[i])
            if 0 <= j < n and prose[j]:
                seen.subtract(words[j])
    for i in range(n):
        if words[i]:
            own = 1 if prose[i] else 0
            out[i, 2] = sum(1 for w in words[i] if total[w] - own > 0) / len(words[i])
            out[i, 3] = math.log1p(len(words[i]))
    return out


@pytest.mark.parametrize("window", [1, 2, 50])
def test_overlaps_are_those_of_a_sliding_counter(window):
    """features._overlaps (all line-word pairs at once, numpy) gives what sliding a Counter over the
    lines gives: words at the window's edge, in no prose line, in the line itself only, no words."""
    import random
    rng = random.Random(window)
    vocab = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "한국어", "the", "and", "2024"]
    texts = [" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 6))) or "x" for _ in range(140)]
    texts += PAGE + OTHER
    _, stoplist = best_stoplist([w for t in texts for w in F._words(t)])
    for prose in (np.array([rng.random() < 0.4 for _ in texts]), np.zeros(len(texts), dtype=bool),
                  np.ones(len(texts), dtype=bool)):
        assert F._overlaps(texts, prose, stoplist, window).tolist() == \
            _overlaps_by_sliding(texts, prose, stoplist, window).tolist()
    assert F._overlaps(["a b", "1 2"], np.array([True, True]), stoplist).tolist() == [[0.0] * 4] * 2


@pytest.mark.parametrize("line", ["Ends here.", "Ends here.\u201d", "Ends here?)]", "\u00bb", "No end", "Quote \u201d x",
                                  "\"", "Wow!'\"", "a\u3002", "\u2026", ")", "x.\u201d.", "end\u00bb"])
def test_sentence_and_quote_ends_are_the_patterns(line):
    """_base tests a line's end with str methods: what SENT_END.search and QUOTE_END.search say."""
    row = dict(zip(F.BASE, F._base(line, frozenset())))
    assert row["end_sentence"] == float(bool(F.SENT_END.search(line)))
    assert row["end_quote"] == float(bool(F.QUOTE_END.search(line)))


def test_decisions_are_each_rows_argmax():
    """linemodel.decide reads each row's likeliest label, its probability, the body's and the
    likeliest label but residue (all rows at once) as np.argmax of each row gives them (ties: the first)."""
    rng = np.random.default_rng(0)
    p = rng.random((40, len(linemodel.LABELS)))
    p[3] = 0.1  # a tie: the first label
    p[5, 1:] = 0.3
    p /= p.sum(axis=1, keepdims=True)
    idx = list(range(0, 80, 2))
    lines = ["a line of text"] * 80
    decisions, _ = linemodel.decide(lines, idx, p, np.zeros(0, dtype=np.int64), np.zeros(0), linemodel.segment.Settings())
    for row, i in enumerate(idx):
        k = int(np.argmax(p[row]))
        d = decisions[i]
        assert (d.label, d.confidence, d.body, d.kept_as) == (
            linemodel.LABELS[k], float(p[row, k]), float(1.0 - p[row, 0]), linemodel.LABELS[1 + int(np.argmax(p[row, 1:]))])
    assert all(decisions[i] is None for i in range(1, 80, 2))


def _decisions(n: int, title: int, byline: int = None) -> list:
    """Decisions as the model gives them for a text of n lines: `title` likeliest a title, `byline`
    a byline, the rest paragraphs, all kept."""
    out = []
    for i in range(n):
        kind = "title" if i == title else "byline" if i == byline else "paragraph"
        out.append(linemodel.Decision(kind, 0.9, 0.9, kind, True))
    return out


def _furniture_on_top(n: int, title: int) -> list:
    """_decisions with the lines above `title` furniture (not kept)."""
    out = _decisions(n, title)
    return [linemodel.Decision("residue", 0.9, 0.1, d.kept_as, False) if i < title else d for i, d in enumerate(out)]


def _source(lines: list, dropped_rules: dict = None):
    """(ingested source, cleaned source) of `lines`, the lines of `dropped_rules` (index -> rule) dropped."""
    from pubpipe.recover.clean import CleanSource
    from pubpipe.model import dropped
    from pubpipe.read.ingest import parse_source

    raw = parse_source("page.txt", ("\n".join(lines) + "\n").encode("utf-8"))
    dropped_rules = dropped_rules or {}
    kept = tuple(l for l in raw.lines if l.number - 1 not in dropped_rules)
    removed = tuple(dropped("page.txt", i + 1, lines[i], rule) for i, rule in sorted(dropped_rules.items()))
    return raw, CleanSource("page.txt", kept, removed)


def test_a_headline_a_cleaning_rule_dropped_is_put_back_as_the_title():
    """A "Related" rule that drops the page's headline (repeated in a related-stories list) does not
    cost the story its title when the model read that line as the headline; staff's own residue
    patterns are never overridden."""
    from pubpipe.recover import apply

    lines = ["Sign in", "Other news"] + [l for l in ARTICLE if l.strip()]
    t = 2
    raw, cleaned = _source(lines, {t: "related-block", 0: "related-block"})
    articles = [linemodel.Article(0, len(lines) - 1, t, t + 1)]
    out = apply._tagged(cleaned, lines, _decisions(len(lines), t, t + 1), articles, 0.4,
                        raw={l.number: l for l in raw.lines})
    tags = {l.number - 1: l.tag for l in out.lines}
    assert tags[t] == "title" and tags[t + 1] == "byline"
    assert [l.text for l in out.lines if l.number - 1 == t] == [ARTICLE[0]]
    assert t + 1 not in {r.line for r in out.removed}  # the headline's drop is gone...
    assert 1 in {r.line for r in out.removed}  # ...the other line the rule dropped stays dropped
    # the headline's words again further down (a "Related" list after the article's text): not put back
    later = [l for l in ARTICLE[4:] if l.strip()] + lines
    raw, cleaned = _source(later, {len(later) - len(lines) + t: "related-block"})
    t_later = len(later) - len(lines) + t
    out = apply._tagged(cleaned, later, _decisions(len(later), t_later), [linemodel.Article(0, len(later) - 1, t_later)],
                        0.4, raw={l.number: l for l in raw.lines})
    assert t_later not in {l.number - 1 for l in out.lines}
    raw, cleaned = _source(lines, {t: "config-residue"})
    out = apply._tagged(cleaned, lines, _decisions(len(lines), t, t + 1), articles, 0.4,
                        raw={l.number: l for l in raw.lines})
    assert t not in {l.number - 1 for l in out.lines} and t + 1 in {r.line for r in out.removed}


def test_a_short_page_with_its_headline_under_other_lines_is_read_by_the_model():
    """Under the web-page gate (little furniture), a text whose first article's headline the model
    reads below other lines at its top is read by the model; one opening with its headline, or whose
    headline is deep in the file, or whose top line is no title by the model, stays the rules'."""
    from pubpipe.recover import apply

    lines = ["World", "A photo of the harbour at dusk"] + [l for l in ARTICLE + OTHER[3:] if l.strip()]
    _, cleaned = _source(lines)
    assert sum(len(l.split()) for l in lines[3:]) >= apply.MIN_ARTICLE_WORDS
    # a snippet (too few words under the headline for the model to judge the lines above it)
    snippet = lines[:6]
    _, short = _source(snippet)
    assert not apply.headline_below_top(short, _furniture_on_top(len(snippet), 2), [linemodel.Article(0, len(snippet) - 1, 2)])
    assert apply.headline_below_top(cleaned, _furniture_on_top(len(lines), 2), [linemodel.Article(0, len(lines) - 1, 2)])
    assert not apply.headline_below_top(cleaned, _furniture_on_top(len(lines), 0), [linemodel.Article(0, len(lines) - 1, 0)])
    assert not apply.headline_below_top(cleaned, _furniture_on_top(len(lines), 2), [linemodel.Article(0, len(lines) - 1, None)])
    # a line above it the model keeps (a headline over the line it took for the headline, a caption)
    kept_above = _decisions(len(lines), 2)
    assert not apply.headline_below_top(cleaned, kept_above, [linemodel.Article(0, len(lines) - 1, 2)])
    heading = _furniture_on_top(len(lines), 2)
    heading[2] = linemodel.Decision("heading", 0.9, 0.9, "heading", True)
    assert not apply.headline_below_top(cleaned, heading, [linemodel.Article(0, len(lines) - 1, 2)])
    # a photo's caption the model keeps above the headline: a sentence, no headline (its credit in brackets)
    caption = lines[:1] + ["The harbour at dusk, seen from the old fish market on the north quay. (Photo: A. Person)"] + lines[2:]
    _, with_caption = _source(caption)
    kept_caption = _furniture_on_top(len(caption), 2)
    kept_caption[1] = linemodel.Decision("title", 0.9, 0.9, "title", True)
    assert apply.headline_below_top(with_caption, kept_caption, [linemodel.Article(0, len(caption) - 1, 2)])
    deep = ["A line of front matter"] * apply.HEAD_LINES + lines
    _, cleaned = _source(deep)
    t = apply.HEAD_LINES + 2
    assert not apply.headline_below_top(cleaned, _furniture_on_top(len(deep), t), [linemodel.Article(0, len(deep) - 1, t)])
    # the line on top dropped by a cleaning rule: the headline opens what the rules kept
    _, cleaned = _source(lines, {0: "related-block", 1: "related-block"})
    assert not apply.headline_below_top(cleaned, _furniture_on_top(len(lines), 2), [linemodel.Article(0, len(lines) - 1, 2)])


def test_the_model_file_is_read_once_while_it_stays_as_it_is(tmp_path):
    """`linemodel.read_spec` (what the warm build process reads for the builds it forks) gives the same
    contents again without reading the file, and reads a file that changed since."""
    import shutil
    copy = tmp_path / "linemodel.json.gz"
    shutil.copyfile(linemodel.MODEL_FILE, copy)
    first = linemodel.read_spec(copy)
    assert linemodel.read_spec(copy) is first
    assert first["labels"] == list(linemodel.LineModel(first).labels)
    with gzip.open(copy, "wt", encoding="utf-8") as f:
        json.dump({**first, "labels": ["changed"]}, f)
    stat = copy.stat()
    os.utime(copy, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))  # (a coarse clock: a later time)
    again = linemodel.read_spec(copy)
    assert again is not first and again["labels"] == ["changed"]
