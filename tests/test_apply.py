"""pubpipe.recover.apply: the splitter's false starts undone (`one_article_each`), the tagged source (`_tagged`)."""
from pubpipe.recover.apply import EMPTY_ARTICLE, PAGE_BREAK, REPEATED_HEADLINE, TEASER_WORDS, one_article_each
from pubpipe.recover.linemodel import Article, Decision

KEPT = Decision("paragraph", 0.9, 0.9, "paragraph", True)
DROPPED = Decision("residue", 0.9, 0.1, "paragraph", False)
TITLE = Decision("title", 0.8, 0.9, "title", True)
DATE = Decision("dateline", 0.8, 0.9, "dateline", True)


def test_a_headline_shown_twice_is_one_article():
    """A page shows its headline over its photo gallery, then over its text."""
    lines = ["New car sales plunge", "Published Monday", "Photo 1 of 9", "New  car sales plunge", "Text.", "More."]
    decisions = [TITLE, DATE, DROPPED, TITLE, KEPT, KEPT]
    articles = [Article(0, 2, 0, None), Article(3, 5, 3, None)]
    d, a, why = one_article_each(decisions, articles, lines)
    assert a == [Article(0, 5, 0, None)] and why == {3: REPEATED_HEADLINE} and not d[3].keep
    assert decisions[3].keep  # the caller's list is left as it was


def test_a_headline_with_nothing_under_it_before_another_article_is_no_article():
    """A ticker's title, then the page's own headline and text: the ticker starts no story, even when
    the model would not keep its line (the story would start there all the same)."""
    lines = ["Breaking: a ticker’s title…", "Menu", "The headline", "By A. Writer", "Text.", "More."]
    for ticker in (TITLE, Decision("title", 0.5, 0.3, "title", False)):
        decisions = [ticker, DROPPED, TITLE, Decision("byline", 0.9, 0.9, "byline", True), KEPT, KEPT]
        articles = [Article(0, 1, 0, None), Article(2, 5, 2, 3)]
        d, a, why = one_article_each(decisions, articles, lines)
        assert a == [Article(2, 5, 2, 3)] and why == {0: EMPTY_ARTICLE} and not d[0].keep
    # the last article of a text, or one with an article's text under its headline, stands
    text = " ".join(["word"] * TEASER_WORDS)
    decisions = [TITLE, KEPT] + [DROPPED] * PAGE_BREAK + [TITLE, DROPPED]
    articles = [Article(0, PAGE_BREAK + 1, 0, None), Article(PAGE_BREAK + 2, PAGE_BREAK + 3, PAGE_BREAK + 2, None)]
    lines = ["A", text] + ["menu"] * PAGE_BREAK + ["B", "menu"]
    assert one_article_each(decisions, articles, lines) == (decisions, articles, {})
    # text under the headline that the cleaning rules dropped is no text
    assert one_article_each(decisions, articles, lines, alive={0, PAGE_BREAK + 2})[2] == {0: EMPTY_ARTICLE}


def test_a_headline_with_a_few_lines_under_it_before_another_article_is_a_teaser():
    """A "Related" block after a page's article: a teaser's title and its blurb (under TEASER_WORDS
    words kept), then the next page's menus and article. The teaser starts no story: it joins the
    story before, its lines as the model read them (nothing dropped)."""
    blurb = " ".join(["word"] * (TEASER_WORDS - 1))
    n = PAGE_BREAK  # "Related": a page break's worth of lines after the article
    lines = ["Page one", "Text. " * 120] + ["menu"] * n + ["A teaser's title", blurb] + ["menu"] * 40 + ["Page two", "Text. " * 120]
    decisions = [TITLE, KEPT] + [DROPPED] * n + [TITLE, KEPT] + [DROPPED] * 40 + [TITLE, KEPT]
    articles = [Article(0, n + 1, 0, None), Article(n + 2, n + 43, n + 2, None), Article(n + 44, n + 45, n + 44, None)]
    d, a, why = one_article_each(decisions, articles, lines)
    assert a == [Article(0, n + 43, 0, None), Article(n + 44, n + 45, n + 44, None)]
    assert why == {} and d == decisions
    # a whole article's words under it: an article of its own
    lines[n + 3] = blurb + " more"
    assert one_article_each(decisions, articles, lines)[1] == articles
    # a text's first article, however short, stands: there is no article before it to join, and a
    # page's headline and first lines are not dropped as a teaser's
    first = one_article_each(decisions[n + 2:], [Article(0, 41, 0, None), Article(42, 43, 42, None)],
                             [lines[n + 2], blurb] + lines[n + 4:])
    assert first == (decisions[n + 2:], [Article(0, 41, 0, None), Article(42, 43, 42, None)], {})


def test_a_headline_with_no_page_break_above_it_goes_on_the_article_before():
    """A list article ("the best gadgets of the year"): the splitter starts an article at one of its
    items. With fewer than PAGE_BREAK lines of furniture since the article's headline (no page's
    footer and next page's menus), it is the same page's: one article, the item's headline a heading."""
    item = "Text of the item. " * 30
    lines = ["Best gadgets", item, "Photo credit", "A phone for $999", item, "See it now", "A watch for $195", item]
    decisions = [TITLE, KEPT, DROPPED, TITLE, KEPT, DROPPED, TITLE, KEPT]
    articles = [Article(0, 2, 0, None), Article(3, 5, 3, None), Article(6, 7, 6, None)]
    assert one_article_each(decisions, articles, lines) == (decisions, [Article(0, 7, 0, None)], {})
    # the next page's menus between: two articles
    lines = lines[:3] + ["menu"] * PAGE_BREAK + lines[3:5]
    decisions = decisions[:3] + [DROPPED] * PAGE_BREAK + decisions[3:5]
    articles = [Article(0, PAGE_BREAK + 2, 0, None), Article(PAGE_BREAK + 3, PAGE_BREAK + 4, PAGE_BREAK + 3, None)]
    assert one_article_each(decisions, articles, lines)[1] == articles


def test_a_short_first_article_takes_a_next_headline_the_model_reads_as_no_title():
    """A page's headline with a short dek under it, then a line the model reads as a heading (a
    link, "Also: see …") where the splitter started an article, no page break between: one article.
    Under a short first article, a next headline the model reads as a title stays an article of its
    own (a ticker's title over the page's headline)."""
    heading = Decision("heading", 0.6, 0.7, "heading", True)
    text = "Text of the article. " * 30
    lines = ["Best gadgets of the year", "A short dek.", "Also: see our other coverage", text]
    articles = [Article(0, 1, 0, None), Article(2, 3, 2, None)]
    assert one_article_each([TITLE, KEPT, heading, KEPT], articles, lines)[1] == [Article(0, 3, 0, None)]
    assert one_article_each([TITLE, KEPT, TITLE, KEPT], articles, lines)[1] == articles



def test_a_headline_with_only_its_byline_or_date_under_it_opens_the_article_after():
    """The splitter cut a page's text under its byline: one article, under the page's headline."""
    lines = ["The headline", "By A. Writer", "Share", "A subheading", "Text.", "More."]
    byline = Decision("byline", 0.9, 0.9, "byline", True)
    for decisions, found in (([TITLE, byline, DROPPED, TITLE, KEPT, KEPT], 1), ([TITLE, DATE, DROPPED, TITLE, KEPT, KEPT], None)):
        articles = [Article(0, 2, 0, found), Article(3, 5, 3, None)]
        assert one_article_each(decisions, articles, lines) == (decisions, [Article(0, 5, 0, found)], {})


def test_a_byline_read_above_its_headline_is_set_under_it():
    """decode.byline_row takes a byline from above the headline (a page showing it over a repeat of
    the headline): the tagged source puts it under the headline, where structure reads a byline."""
    from pubpipe.recover.clean import CleanSource
    from pubpipe.read.lines import Line
    from pubpipe.recover.apply import _tagged

    lines = ["Ryan Reed", "Share", "The headline", "Text of the article.", "More of it."]
    byline = Decision("byline", 0.9, 0.9, "byline", True)
    src = CleanSource("page.txt", tuple(Line(n + 1, t) for n, t in enumerate(lines)), ())
    tagged = _tagged(src, lines, [byline, DROPPED, TITLE, KEPT, KEPT], [Article(0, 4, 2, 0)], 0.4)
    assert [(l.number, l.tag) for l in tagged.lines] == [(3, "title"), (1, "byline"), (4, "p"), (5, "p")]


def test_above_its_headline_a_first_showing_of_it_and_a_byline_not_taken_are_dropped():
    """A page shows its headline, "By" and the name over a repeat of the headline: the article is the
    repeat with its byline; the first showing and the "By" alone make no story of their own."""
    from pubpipe.recover.clean import CleanSource
    from pubpipe.read.lines import Line
    from pubpipe.recover.apply import _tagged

    lines = ["The headline", "By", "Ryan Reed", "The  headline", "Text of the article.", "More of it."]
    byline = Decision("byline", 0.9, 0.9, "byline", True)
    src = CleanSource("page.txt", tuple(Line(n + 1, t) for n, t in enumerate(lines)), ())
    by_alone = Decision("byline", 0.7, 0.8, "byline", True)
    decisions = [KEPT, by_alone, byline, TITLE, KEPT, KEPT]
    tagged = _tagged(src, lines, decisions, [Article(0, 5, 3, 2)], 0.4)
    assert [(l.number, l.tag) for l in tagged.lines] == [(4, "title"), (3, "byline"), (5, "p"), (6, "p")]
    assert [(r.line, r.message) for r in tagged.removed] == [(1, "The headline"), (2, "By")]
    assert tagged.removed[0].code.endswith(REPEATED_HEADLINE)
    # the "By" goes as the model's: with its confidence that the line is a byline (not its body
    # probability: every drop of the model carries the probability of the label that made it go)
    assert tagged.removed[1].code.endswith("model") and tagged.removed[1].confidence == 0.7


class _Reader:
    """Stands in for the line model in `read_again`: reads a text (a page of its own) as an article
    at each line that says "Headline" (the first from the text's start), every line but "Menu"
    kept; remembers what it read."""

    def __init__(self):
        self.read = []

    def read_all(self, texts, repeated=(None, 0)):
        out = []
        for lines in texts:
            self.read.append(lines)
            titles = [i for i, t in enumerate(lines) if t.startswith("Headline")]
            decisions = [None if not t.strip() else TITLE if i in titles else DROPPED if t == "Menu" else KEPT
                         for i, t in enumerate(lines)]
            starts = [0] + titles[1:]
            out.append((decisions, [Article(a, b - 1, t, None)
                                    for a, b, t in zip(starts, starts[1:] + [len(lines)], titles or [None])]))
        return out


def _pasted(menus: int, second: str, words: int) -> tuple:
    """A file as the whole-file reading saw it: two articles found; the second page's headline
    (`second`), after `menus` lines of furniture, read as furniture too, and its text (`words`
    words) as more of the first article."""
    from pubpipe.recover.apply import read_again

    text = " ".join(["word"] * words)
    lines = (["Headline one", "First page text. " * 20, "The end of it."] + ["Menu"] * menus
             + [second, text, "Menu", "Headline three", "Third page text. " * 20])
    late = len(lines) - 2
    decisions = [TITLE, KEPT, KEPT] + [DROPPED] * (menus + 1) + [KEPT, DROPPED, TITLE, KEPT]
    articles = [Article(0, late - 1, 0, None), Article(late, late + 1, late, None)]
    reader = _Reader()
    return lines, reader, read_again(reader, lines, (None, 0), decisions, articles)


def test_after_a_long_run_of_furniture_a_pasted_files_text_is_read_again_as_a_page_of_its_own():
    """Three pages pasted into one file: the whole-file reading finds the first and the third, and
    reads the second page's headline (after the first's footer and its own menus) as furniture and
    its text as the first article's. Read again from the run of furniture on, it is an article:
    the first ends at the run."""
    lines, reader, (decisions, articles) = _pasted(29, "Headline two", 120)
    assert reader.read[0] == lines[3:]  # from the run's first line to the end of the file
    assert [(a.first, a.last, a.title) for a in articles] == [(0, 2, 0), (3, 34, 32), (35, 36, 35)]
    assert decisions[32] == TITLE and decisions[33].keep and not decisions[3].keep
    # the fresh reading is itself read again (here: nothing more to find), then stands for the rest
    assert all(d is None or d.keep or lines[i] == "Menu" for i, d in enumerate(decisions))


def test_a_short_run_a_short_article_or_the_same_headline_again_is_no_new_article():
    for menus, second, words in ((28, "Headline two", 120), (29, "Headline two", 80), (29, "Headline  ONE", 120)):
        lines, _, (decisions, articles) = _pasted(menus, second, words)
        assert [(a.first, a.title) for a in articles] == [(0, 0), (len(lines) - 2, len(lines) - 2)], (menus, second, words)
        assert decisions[len(lines) - 5] == DROPPED  # the whole-file reading stands


def test_a_few_lines_kept_above_the_first_headline_are_furniture_not_a_story():
    """A newsletter box the model keeps over the page's headline: dropped (in `removed`), so the page
    is one story; a date there still goes under the headline; 30 words or more above it stay (the
    headline may be a wrong one, the text above it the article's); staff's `keep` wins."""
    from pubpipe.recover.clean import CleanSource
    from pubpipe.read.lines import Line
    from pubpipe.recover.apply import ABOVE_HEADLINE, _tagged

    lines = ["Get our news in your inbox", "Sign up now.", "November 18, 2019", "The headline",
             "Text of the article.", "More of it."]
    src = CleanSource("page.txt", tuple(Line(n + 1, t) for n, t in enumerate(lines)), ())
    decisions = [KEPT, KEPT, DATE, TITLE, KEPT, KEPT]
    tagged = _tagged(src, lines, decisions, [Article(0, 5, 3, None)], 0.4)
    assert [(l.number, l.tag) for l in tagged.lines] == [(4, "title"), (3, "dateline"), (5, "p"), (6, "p")]
    assert [(r.line, r.code.endswith(ABOVE_HEADLINE)) for r in tagged.removed] == [(1, True), (2, True)]
    kept = _tagged(src, lines, decisions, [Article(0, 5, 3, None)], 0.4, keep=frozenset({"Sign up now."}))
    assert [l.number for l in kept.lines if l.tag == "p"] == [2, 5, 6]
    long = ["A paragraph of the article that the decoding left above a wrong headline, " * 3] + lines[1:]
    src = CleanSource("page.txt", tuple(Line(n + 1, t) for n, t in enumerate(long)), ())
    tagged = _tagged(src, long, decisions, [Article(0, 5, 3, None)], 0.4)
    assert [l.number for l in tagged.lines if l.tag == "p"] == [1, 2, 5, 6] and not tagged.removed


def test_the_comments_under_a_header_quoting_the_headline_are_no_article_text():
    """WordPress's "34 responses to “Headline”": the readers' comments under it read as prose and
    the model keeps them (one realweb page: 969 of its 1,167 published shingles were comments)."""
    from pubpipe.recover.apply import COMMENTS, comments_dropped

    lines = ["Anthony Lynn: “We needed to win this game”", "The coach said so after the loss.",
             "34 responses to “Anthony Lynn: “We needed to win this game””", "November 19, 2019 at 6:34 am",
             "It’s a good thing we have no fans left.", "Next story: a teaser", "Its text."]
    decisions = [TITLE, KEPT, KEPT, DROPPED, KEPT, TITLE, KEPT]
    articles = [Article(0, 4, 0, None), Article(5, 6, 5, None)]
    d, why = comments_dropped(decisions, articles, lines)
    assert [x.keep for x in d] == [True, True, False, False, False, True, True]
    assert why == {2: COMMENTS, 4: COMMENTS}
    # a line quoting the headline with words after it, or naming a short one, is no comments header
    for header in ("Read “Anthony Lynn: “We needed to win this game”” and more", "34 responses to “Lynn”"):
        assert comments_dropped(decisions, articles, lines[:2] + [header] + lines[3:])[1] == {}
    assert comments_dropped(decisions, articles, ["Lynn"] + lines[1:2] + ["3 responses to “Lynn”"] + lines[3:])[1] == {}


def test_a_page_read_wholly_as_furniture_at_an_articles_end_is_read_again():
    """A pasted file whose second page the whole-file reading took wholly for furniture (its
    headline, its text, its footer), between the first page's article and the third's: the run of
    furniture that ends the first article is read again, and the second page's article found."""
    from pubpipe.recover.apply import read_again

    text = " ".join(["word"] * 120)
    lines = (["Headline one", text, "The end of it."] + ["Menu"] * 29 + ["Headline two", text] + ["Menu"] * 5
             + ["Headline three", text])
    third = len(lines) - 2
    decisions = [TITLE, KEPT, KEPT] + [DROPPED] * (29 + 2 + 5) + [TITLE, KEPT]
    articles = [Article(0, third - 1, 0, None), Article(third, third + 1, third, None)]
    reader = _Reader()
    decisions, found = read_again(reader, lines, (None, 0), decisions, articles)
    assert reader.read[0] == lines[3:]
    assert [(a.first, a.title) for a in found] == [(0, 0), (3, 32), (third, third)]
    assert decisions[32] == TITLE and decisions[33].keep
    # a fresh reading that opens no article before the next one's start changes nothing
    lines[32] = "Not a headline"
    reader = _Reader()
    assert read_again(reader, lines, (None, 0), [TITLE, KEPT, KEPT] + [DROPPED] * 36 + [TITLE, KEPT], articles)[1] == articles


def test_text_above_an_articles_headline_across_a_long_run_is_another_pages():
    """The splitter put a page's text (its headline read as furniture) above the next page's
    headline, a long run of furniture between: the article ends at the run, and the text above it
    is read again as a page of its own, for its headline."""
    from pubpipe.recover.apply import read_again

    text = " ".join(["word"] * 120)
    lines = ["Headline one", text] + ["Menu"] * 30 + ["Headline two", text] + ["Menu"] * 30 + ["Headline three", text]
    two, three = 32, 64
    decisions = [TITLE, KEPT] + [DROPPED] * 30 + [DROPPED, KEPT] + [DROPPED] * 30 + [TITLE, KEPT]
    # whole-file reading: page one, then one article from page two's text to page three's headline
    articles = [Article(0, 31, 0, None), Article(two, three + 1, three, None)]
    reader = _Reader()
    decisions, found = read_again(reader, lines, (None, 0), decisions, articles)
    assert [(a.first, a.last, a.title) for a in found] == [(0, 31, 0), (two, two + 1, two), (two + 2, three + 1, three)]
    assert decisions[two] == TITLE  # read again on its own, page two's headline is one
    # with less than an article's text above the run, the article stands as read
    lines[two + 1] = "A caption."
    reader = _Reader()
    assert read_again(reader, lines, (None, 0), [TITLE, KEPT] + [DROPPED] * 31 + [KEPT] + [DROPPED] * 30 + [TITLE, KEPT],
                      articles)[1] == articles


def test_a_short_pages_few_sentences_above_the_next_pages_menus_are_a_page_of_their_own():
    """A page the model reads mostly as furniture keeps a few sentences (ABOVE_WORDS words, fewer
    than an article's AGAIN_WORDS) above its footer and the next page's menus: they are split off
    as a page of their own, not left in the next page's story; a caption's words are not."""
    from pubpipe.recover.apply import ABOVE_WORDS, AGAIN_WORDS, read_again

    text = " ".join(["word"] * 120)
    for words, split in ((ABOVE_WORDS, True), ((ABOVE_WORDS + AGAIN_WORDS) // 2, True), (ABOVE_WORDS - 1, False)):
        lines = ["A line of page one", " ".join(["word"] * words)] + ["Menu"] * 30 + ["Headline two", text]
        decisions = [DROPPED, KEPT] + [DROPPED] * 30 + [TITLE, KEPT]
        articles = [Article(0, 33, 32, None)]
        found = read_again(_Reader(), lines, (None, 0), decisions, articles)[1]
        assert [(a.first, a.last) for a in found] == ([(0, 1), (2, 33)] if split else [(0, 33)]), words


def test_a_headline_close_under_the_articles_text_is_no_page_of_its_own():
    """After an article, a related story's title and blurb (or a cookie notice), then a footer and
    the next page's menus: read again from the run, the fresh reading opens an article right under
    the article's text — no page's footer and menus before it — and it is not taken."""
    from pubpipe.recover.apply import read_again

    text = " ".join(["word"] * 120)
    lines = ["Headline one", text, "Headline related", text] + ["Menu"] * 30 + ["More of page one."]
    decisions = [TITLE, KEPT, DROPPED, DROPPED] + [DROPPED] * 30 + [KEPT]
    articles = [Article(0, len(lines) - 1, 0, None), Article(len(lines), len(lines), None, None)]
    reader = _Reader()
    assert read_again(reader, lines + [""], (None, 0), decisions + [None], articles) == (decisions + [None], articles)
    assert reader.read  # it was read again, and left as it was


def test_a_comments_header_read_as_a_headline_gives_the_line_it_quotes_the_article():
    """The model titled an article with its comments section's header ("10 thoughts on
    “Headline”"): the line it quotes whole, above it, is the page's headline. In the header's own
    article the headline moves there; in the article before, that article ends above it and the
    quoted line opens one reaching to the header's article's end; the article before's own
    headline quoted, the header is its comments and joins it (comments_dropped drops them)."""
    from pubpipe.recover.apply import quoted_headlines

    head = "Business Focus: Why Some Triumph Online"
    header = "10 thoughts on “Business Focus: Why Some Triumph Online”"
    lines = ["Other page's headline", "Its text.", head, "Its text.", "More.", header, "A comment."]
    decisions = [TITLE, KEPT, KEPT, KEPT, KEPT, TITLE, KEPT]
    # the quoted line in the header's own article: the headline moves to it
    assert quoted_headlines(decisions, [Article(0, 1, 0, None), Article(2, 6, 5, None)], lines) == \
        [Article(0, 1, 0, None), Article(2, 6, 2, None)]
    # in the article before (the splitter did not cut at it): the article before ends above it
    assert quoted_headlines(decisions, [Article(0, 4, 0, 1), Article(5, 6, 5, None)], lines) == \
        [Article(0, 1, 0, 1), Article(2, 6, 2, None)]
    # the article before's own headline: the header and what follows are its comments
    assert quoted_headlines(decisions, [Article(0, 4, 2, None), Article(5, 6, 5, None)], lines) == \
        [Article(0, 6, 2, None)]
    # a header quoting nothing above it, or a headline quoting a line in words around it, changes nothing
    for other in ("10 thoughts on “Another Headline Entirely Here”", "Read “Business Focus: Why Some Triumph Online” now"):
        articles = [Article(0, 4, 0, None), Article(5, 6, 5, None)]
        assert quoted_headlines(decisions, articles, lines[:5] + [other, lines[6]]) == articles


def test_a_byline_made_of_the_pages_common_words_is_no_byline():
    """A line read as a byline whose every word the page also writes in lower case is a label, a
    button or a section's name, not a person or a newsroom; a name written in lower case only inside
    an address or a handle is still a name."""
    from pubpipe.recover.apply import _common_phrase, _lower_words

    lines = ["Our recent posts on customer care, and the table of contents below: share them.",
             "Write to jane.doe@example.com or @janedoe; see /author/jane-doe.", "Share this with your friends."]
    # (the line read as a byline is one of the page's lines: its own words are not counted)
    for label in ("Recent Posts", "Customer Care", "Table of Contents", "Share"):
        assert _common_phrase(label, _lower_words(lines + [label])), label
    for name in ("Jane Doe", "By Jane Doe", "Associated Press", "Recent Doe"):
        assert not _common_phrase(name, _lower_words(lines + [name])), name
    # a line no byline is read in (a label alone, a sentence) is left as the model read it
    assert not _common_phrase("Share this with your friends.", _lower_words(lines))
    # its own line does not count: "customer care" written only in the line itself is no common word
    assert not _common_phrase("Customer Care", _lower_words(["Customer Care", "Nothing else here."]))
