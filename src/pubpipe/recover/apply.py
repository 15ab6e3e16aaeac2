"""The line model in the build: what it says about a text source, as cleaning's and structure's terms.

`recover(raw, cleaned)` runs after the cleaning registry (`recovery.clean` calls it). For each text
source it reads every line of the file as decoded (the model was trained on whole pages, furniture
and all) and, when the file looks like a web page's text (browser copy, scraper dump, several pages
pasted one after another: page furniture around the prose, see `web_dump`; or a short page whose
headline the model reads under a few lines of furniture at its top, see `headline_below_top`), it

- puts back the headline (and byline) of an article when a named cleaning rule dropped it and it
  opens the article (`_restored`, `_opens`);
- drops the lines the model calls page furniture (those `decode.kept` does not keep), each a
  `model.dropped` Diagnostic with rule "model" and the model's confidence (a line a cleaning rule dropped keeps that rule's name: the named rules are
  high-precision overrides);
- tags every line it keeps with what the model says it is, in the tags a saved page's reader gives
  (`ingest.Line.tag`): "title" at each article's headline (structure starts a story there),
  "byline" (the line `decode` found under the headline, and other lines the model calls a byline),
  "heading", "p", "quote"/"cite", "ul", "caption", "dateline". Structure already reads a
  saved page's lines by these tags, so a pasted page becomes one story titled by its headline with
  its byline in the story's byline field;
- drops a line read as a byline whose name the page also writes in lower case, word for word
  (`_common_phrase`: "Table of Contents", "Recent Posts", "Share": a label, no person);
- drops an article's comments: from a line under its headline that quotes it whole ("34 responses
  to “Headline”") to the article's end (`comments_dropped`);
- in the few lines just above a headline (a page showing its byline and date over a repeat of the
  headline): sets the byline `decode` took there, and a date, under the headline, and drops a first
  showing of the headline and a line read as a byline but not taken.

Other text sources (our own samples: articles with a little residue that the rules catch) are left
to the rules, untouched.
"""
from __future__ import annotations

import re
from dataclasses import replace
from typing import Optional

import numpy as np

from . import detect
from .clean import CleanSource, kept_text
from ..model import dropped
from . import decode
from . import features as F
from .linemodel import LineModel, shipped

RULE = "model"
MIN_FURNITURE = 0.25
"""A text source is a web page's text when at least this share of its non-blank lines are furniture
(by the model) and the furniture holds at least MIN_FURNITURE_LINES lines. A page's text carries
dozens of lines of menus, links and footers (realweb's copies: 30 or more on nine pages in ten); an
article pasted with a few lines of residue (our corpora: 14 at most) is left to the named rules,
which are written for it."""
MIN_FURNITURE_LINES = 20
TAGS = {"heading": "heading", "paragraph": "p", "quote": "quote", "attribution": "cite", "item": "ul",
        "caption": "caption", "byline": "byline", "title": "heading"}


def web_dump(decisions: list, threshold: float) -> bool:
    """Does the model see a web page's furniture around the text (menus, share buttons, footers)?"""
    seen = [d for d in decisions if d is not None]
    furniture = sum(1 for d in seen if d.body < threshold)
    return furniture >= MIN_FURNITURE_LINES and furniture >= MIN_FURNITURE * len(seen)


def _dateline(text: str) -> Optional[str]:
    """A dateline line as a saved page's reader gives one ("SITE, YYYY-MM-DD"), when it parses."""
    found = detect.dateline(text)
    if not found or found[1] or not found[0].date:
        return None
    return f"{found[0].source}, {found[0].date}"


STAFF_RULES = frozenset({"config-residue"})
"""Cleaning rules that drop what staff said to drop (anthology.toml): never overridden by the model."""


def _restored(src: CleanSource, raw: dict, wanted: set) -> CleanSource:
    """`src` with the lines of `wanted` (0-based indexes: the headlines and bylines the model read)
    that a named cleaning rule dropped put back, their drops and marks gone. The rules are
    high-precision overrides for furniture, but a headline the decoding chose (it opens the article,
    article text follows it) is the page's own: a "Related" rule that drops it (the headline repeated
    in a "related stories" list, a lone line before the menus) costs the story its title (issue 16:
    2 of 110 realweb copies through the build). Lines staff said to drop stay dropped."""
    alive = {l.number - 1 for l in src.lines if l.text.strip()}
    back = {}
    for r in src.removed:
        i = (r.line or 0) - 1
        if i in wanted and i not in alive and r.code not in STAFF_RULES and i + 1 in raw and raw[i + 1].text.strip():
            back[i + 1] = raw[i + 1]
    if not back:
        return src
    lines = sorted(list(src.lines) + [replace(l, text=" ".join(l.text.split())) for l in back.values()],
                   key=lambda l: l.number)
    return replace(src, lines=tuple(lines), removed=tuple(r for r in src.removed if r.line not in back),
                   marks=tuple(m for m in src.marks if m.line not in back))


OPENING_WORDS = 30
"""A headline a cleaning rule dropped is put back only when the model keeps fewer words than this
above it in its article (the splitter's `min_words`): a headline the decoding found further down
(the same words in a "Related" list after the article) would start the story there and cut the
article's text above it off (realweb concat: F1 0.920 -> 0.915 with every such headline put back)."""


def _kept_words(lines: list, decisions: list, rows, text_only: bool = False) -> int:
    """Words of the lines of `rows` the model keeps (`text_only`: read as article text, not as a
    byline, a dateline or furniture kept in a run)."""
    return sum(len(lines[i].split()) for i in rows if decisions[i] is not None and decisions[i].keep
               and not (text_only and decisions[i].label in ("residue", "byline", "dateline")))


def _opens(article, decisions: list, lines: list) -> bool:
    """Does `article`'s headline open it: fewer than OPENING_WORDS words kept above it in the article?"""
    return _kept_words(lines, decisions, range(article.first, article.title)) < OPENING_WORDS


AGAIN_AFTER = 30
"""`read_again` reads a text again after a run of at least this many lines of furniture (non-blank lines
the model does not keep) inside an article, after some of its text. Pasted pages: one page's footer
and the next one's menus run 30 lines and more (realweb concat: GAP 25-50 all split 28-30 of 37
files right, 15 only 24; benchmarks/RESULTS.md, "Reading again after a long run of furniture")."""
AGAIN_WORDS = 100
"""Words the article read there must keep under its headline to be one (60-150: the same, but for one file)."""
ABOVE_WORDS = 30
"""Words of text the article must keep above a run above its headline for that run to be read again
(the text above: another page's, its headline missed). Fewer than AGAIN_WORDS: a page whose text
the model reads mostly as furniture keeps a few sentences above the next page's footer and menus
(realweb concat held out: 100 left such a page's 80 words in the next page's story, publishing
nothing of its own; 20-40 all split it off, 50-100 not; benchmarks/RESULTS.md, "A short page
above the next page's menus")."""


def _said(text: str) -> str:
    """A headline as two showings of it are compared: its words, casefolded."""
    return " ".join(text.split()).casefold()


def read_again(model, lines: list, repeated: tuple, decisions: list, articles: list, depth: int = 0) -> tuple:
    """(decisions, articles) of a text the model reads as several articles (pasted pages), with each
    long run of furniture inside an article looked at again: the text from there on read by the
    model as a page of its own. Read with the whole file, a later page's article often looks like
    the end of a page (prose after a long footer: related links, comments), its headline no title,
    its text furniture. When the fresh reading opens an article there (a headline, AGAIN_WORDS words
    kept under it, not the current article's headline shown again), the article before ends at the
    run and the fresh reading stands for the rest of the text (itself read again the same way).

    The runs looked at: a run followed by more of the article's text; a run that ends the article
    (a page the whole-file reading took wholly for furniture, after the last article's text or
    before the next article: the fresh reading must open its article before the next one starts);
    and a run above the article's headline with ABOVE_WORDS words of text above it (another page's
    text, its headline missed, that the splitter put above this article's headline): then the text
    above the run is read again as a page of its own too, for its headline. In every case the run
    up to the fresh headline holds at least AGAIN_AFTER lines (a page's footer and the next one's
    menus): a headline close under the article's last text is a related
    block's, a cookie notice's, a list's next item (benchmarks/RESULTS.md, "Pasted files split
    into their pages").

    Single pages (one article) are left as read: their related blocks after a footer read as
    articles just as well (modern copy: 8 pages split in two; benchmarks/RESULTS.md)."""
    from .linemodel import Article

    decisions = list(decisions)
    for k, a in enumerate(articles):
        seen, run = False, []
        for i in list(range(a.first, a.last + 1)) + [None]:  # None: the article's end closes its last run
            d = decisions[i] if i is not None else None
            if i is not None and d is None:
                continue
            if i is not None and not d.keep:
                run.append(i)
                continue
            if seen and len(run) >= AGAIN_AFTER and depth < 8:
                above = a.title is not None and run[0] < a.title
                if above and _kept_words(lines, decisions, range(a.first, run[0]), text_only=True) < ABOVE_WORDS:
                    seen, run = True, []
                    continue
                start = run[0]
                rest = lines[start:]
                fresh, found = model.read_all([rest], repeated)[0]
                opened = next((x for x in found if x.title is not None), None)
                if opened is not None and (above or a.title is None or _said(rest[opened.title]) != _said(lines[a.title])) \
                        and sum(1 for j in range(start, start + opened.title + 1) if decisions[j] is not None) >= AGAIN_AFTER \
                        and (i is not None or k + 1 == len(articles) or start + opened.title < articles[k + 1].first) \
                        and _kept_words(rest, fresh, range(opened.first, opened.last + 1), text_only=True) >= AGAIN_WORDS:
                    fresh, found = read_again(model, rest, repeated, fresh, found, depth + 1)
                    decisions[start:] = fresh

                    def moved(j, by=start):
                        return None if j is None else j + by
                    head = Article(a.first, start - 1, a.title, a.byline)
                    if above:  # the text above the run, a page of its own: its headline, its lines
                        part, heads = model.read_all([lines[a.first:start]], repeated)[0]
                        decisions[a.first:start] = part
                        titled = next((x for x in heads if x.title is not None), None)
                        head = Article(a.first, start - 1, moved(titled.title, a.first) if titled else None,
                                       moved(titled.byline, a.first) if titled else None)
                    return decisions, articles[:k] + [head] + [
                        Article(x.first + start, x.last + start, moved(x.title), moved(x.byline)) for x in found]
            seen, run = True, []
    return decisions, articles


TEASER_WORDS = 100
"""Words of text an article must keep under its headline (up to the next headline) to stand as an
article when another follows it in the same text (AGAIN_WORDS, as `read_again` asks of an article
it finds); with fewer, the headline is a teaser's or a section's and joins the article before
(realweb concat held out: a "Related" teaser with 18 and one with about 70 words kept under it
split two files; the pages' own articles keep 154 words or more; 150 lost a file)."""
PAGE_BREAK = 8
"""Fewest lines of furniture in a row (non-blank lines not kept) between two headlines for the
second to open another page's article: a page's footer and the next page's menus (realweb concat
held out: 11 lines at the fewest between two pages' headlines; a list article cut at an item: 3).
5 to 11 split the same files (realweb concat 32/37, modern pasted 44/64), 14 loses one."""


def _furniture_run(decisions: list, first: int, last: int, alive: Optional[set] = None) -> int:
    """The longest run of furniture (non-blank lines not kept, by the model or, `alive`, the rules)
    strictly between the lines `first` and `last`."""
    longest = run = 0
    for i in range(first + 1, last):
        d = decisions[i]
        if d is None:
            continue
        if d.keep and (alive is None or i in alive):
            run = 0
        else:
            run += 1
            longest = max(longest, run)
    return longest


REPEATED_HEADLINE, EMPTY_ARTICLE = "repeated-headline", "headline-alone"
"""The rules of `one_article_each`'s drops (in `removed`, beside the model's)."""
ABOVE_HEADLINE = "above-headline"
"""The rule of `_tagged`'s drop of the few lines the model keeps above a text's first headline."""


def one_article_each(decisions: list, articles: list, lines: list, alive: Optional[set] = None) -> tuple:
    """(decisions, articles, {line: rule} of the lines dropped here) with five false starts the
    splitter makes on a page's text undone:

    - an article whose headline is the one before it, word for word: a page shows its headline
      twice (above a photo gallery, then over the text), and the text under the second is the
      first's — one article, the second headline dropped as a repeat;
    - an article that keeps nothing under its headline but its byline or date, with another after
      it in the same text: the splitter cut a page's article under its byline — one article, under
      the first headline (the second stays as a heading);
    - an article that keeps nothing at all under its headline, with another after it in the same
      text: a ticker's or teaser's title, not an article — its headline dropped (even one the model
      itself would not keep: the story would start there), its lines above the headline joined to
      the article before;
    - an article that keeps fewer than TEASER_WORDS words of text under its headline, with another
      after it: a "Related" teaser, a page's short last section — it joins the article before,
      nothing dropped (a text's first article stands);
    - an article whose headline follows the one before with fewer than PAGE_BREAK lines of
      furniture in a row between (no page's footer and next page's menus): a list article's item,
      a section — one article, under the first headline (the second stays as a heading). Under a
      short first article (a headline and its dek) only when the model reads the second headline
      as no title (a link, "Also: see …"): a ticker's title over a page's headline stays apart.

    `alive`: the lines the cleaning rules left (default: all); a line they dropped is not kept.
    """
    from .linemodel import Article

    def said(i: Optional[int]) -> str:
        return _said(lines[i]) if i is not None else ""

    out, why, decisions = [], {}, list(decisions)
    for a in articles:
        if out and a.title is not None and said(a.title) == said(out[-1].title):
            before = out[-1]
            out[-1] = Article(before.first, a.last, before.title, before.byline if before.byline is not None else a.byline)
            decisions[a.title] = replace(decisions[a.title], keep=False)
            why[a.title] = REPEATED_HEADLINE
            continue
        out.append(a)
    kept, n = [], 0
    while n < len(out):
        a = out[n]
        n += 1
        if a.title is None or n == len(out):
            kept.append(a)
            continue
        # a story runs from its headline to the next one (what is kept above a headline goes to
        # the story before, whatever article the splitter gave it to)
        after = out[n]
        end = after.title if after.title is not None else after.first
        under = [i for i in range(a.title + 1, end) if decisions[i] is not None and decisions[i].keep
                 and (alive is None or i in alive)]
        text = [i for i in under if i != a.byline and decisions[i].kept_as not in ("byline", "dateline")]
        # (a text's first article with text under its headline stands, however short: with no
        # article before it to join, a teaser rule would drop a page's headline and first lines)
        words = sum(len(lines[i].split()) for i in text)
        if words >= TEASER_WORDS or text and not kept:
            # (a short first article takes no article after it: a ticker's title over the page's
            # headline would title the page's story)
            if after.title is not None and (words >= TEASER_WORDS or decisions[after.title].kept_as != "title") \
                    and _furniture_run(decisions, a.title, after.title, alive) < PAGE_BREAK:
                # no page's footer and next page's menus between the two headlines: one page's text,
                # the second headline one of its own (a list's item, a section): one article
                out[n] = Article(a.first, after.last, a.title, a.byline if a.byline is not None else after.byline)
                continue
            kept.append(a)
        elif not text and (under or a.byline is not None):
            # a headline with its byline or date, then the splitter cut: one article, this headline's
            # (the next headline stays, as a heading)
            out[n] = Article(a.first, after.last, a.title, a.byline if a.byline is not None else after.byline)
        elif text and kept:
            # fewer than TEASER_WORDS words under it: a teaser's or a section's headline (a "Related"
            # block after the article, a page's last short section), no article of its own: it joins
            # the one before, its lines kept as the model read them (the headline a heading)
            kept[-1] = Article(kept[-1].first, a.last, kept[-1].title, kept[-1].byline)
        else:
            for i in range(a.title, end):
                if decisions[i] is not None and (decisions[i].keep and (alive is None or i in alive) or i == a.title):
                    decisions[i] = replace(decisions[i], keep=False)
                    why[i] = EMPTY_ARTICLE
            if kept:  # its lines above the headline stay where they were: the end of the story before
                kept[-1] = Article(kept[-1].first, a.last, kept[-1].title, kept[-1].byline)
            # (the first article's are left out of any: the next one opens where it did, and so its
            # headline, should a cleaning rule have dropped it, is still put back as opening it)
    return decisions, kept, why


COMMENTS = "comments"
"""The rule of `comments_dropped`'s drops (in `removed`, beside the model's)."""


def quoted_headlines(decisions: list, articles: list, lines: list) -> list:
    """`articles` with each article whose headline is a comments section's header quoting a line
    above it whole ("10 thoughts on “Headline”", `decode.quotes_whole`) read as that line's: the
    quoted line is the page's headline and the article starts there (the article before ends above
    it; when the line is already an article's headline, the header and what follows are that
    article's comments and join it; the articles the splitter found between the two join it too).
    The model takes such a header for a headline now and then (a title-like line, prose under it)
    while the page's own headline, in a pasted file's later page, went unread (realweb concat held
    out: a page's article ran into the one before it; benchmarks/RESULTS.md, "A comments header
    read as a headline")."""
    from .linemodel import Article

    out = list(articles)
    k = 0
    while k < len(out):
        a = out[k]
        if a.title is None:
            k += 1
            continue
        quoted = next((i for i in range(a.title - 1, -1, -1) if decisions[i] is not None
                       and decode.quotes_whole(lines[a.title], lines[i])), None)
        owner = None if quoted is None else next((j for j in range(k + 1) if out[j].first <= quoted <= out[j].last), None)
        if owner is None:
            k += 1
            continue
        if owner == k:  # in the article above the header: the article's headline
            out[k] = Article(a.first, a.last, quoted, None)
            k += 1
            continue
        before = out[owner]
        if before.title == quoted:  # the header under its own headline: the article's comments
            out[owner:k + 1] = [Article(before.first, a.last, before.title, before.byline)]
            k = owner + 1
            continue
        if before.title is not None and before.title > quoted:  # above the owner's headline: not its article
            k += 1
            continue
        out[owner:k + 1] = [Article(before.first, quoted - 1, before.title, before.byline),
                            Article(quoted, a.last, quoted, None)]
        k = owner + 2
    return out


def comments_dropped(decisions: list, articles: list, lines: list) -> tuple:
    """(decisions, {line: rule}) with an article's comments dropped: from a line under its headline
    that quotes the headline whole, as a comments section's header does ("34 responses to
    “Headline”", "6 thoughts on “Headline”"), to the article's end. The readers' comments read as
    prose, and the model keeps them (realweb copy held out: 3 pages, 1,845 of their published 4-grams
    comments', none of the gold's); the header names the article, whatever its words."""
    decisions, why = list(decisions), {}
    for a in articles:
        if a.title is None:
            continue
        header = next((i for i in range(a.title + 1, a.last + 1)
                       if decisions[i] is not None and decode.quotes_whole(lines[i], lines[a.title])), None)
        if header is None:
            continue
        for i in range(header, a.last + 1):
            if decisions[i] is not None and decisions[i].keep:
                decisions[i] = replace(decisions[i], keep=False)
                why[i] = COMMENTS
    return decisions, why


_WORD = re.compile(r"[^\W\d_]+")
_EDGES = "\"'“”‘’«»()[]{}.,;:!?…-–—*"
"""Marks a word is stripped of before `_lower_words` counts it."""


def _lower_words(lines: list) -> dict:
    """{word: how many times the text writes it in lower case, as a word of its own} of a text's
    lines (not inside an address, a handle or a file name: "jane.doe@site.com", "@janedoe",
    "/author/jane-doe" write a name in lower case)."""
    out: dict = {}
    for line in lines:
        for token in line.split():
            w = token.strip(_EDGES)
            if w.isalpha() and w.islower():
                out[w] = out.get(w, 0) + 1
    return out


def _common_phrase(text: str, lower: dict) -> bool:
    """Is a line read as a byline made of the text's own common words: every word of the name
    `detect.labelled_byline` reads in it written in lower case elsewhere in the text? A person's or a
    newsroom's name is written capitalised wherever it appears; a label, a button or a section
    name ("Table of Contents", "Recent Posts", "Share", "Posted on") is made of words the page
    writes in lower case too. (Its own line is not counted: a line in lower case is no byline.)"""
    found = detect.labelled_byline(text)
    if found is None:  # no byline to read there (a label alone, a sentence): left as the model read it
        return False
    words = [w.lower() for w in _WORD.findall(found.name)]
    own = _lower_words([text])  # counted as the page's are, then taken off them
    return bool(words) and all(lower.get(w, 0) > own.get(w, 0) for w in words)


def _tagged(src: CleanSource, lines: list, decisions: list, articles: list, threshold: float,
            keep: frozenset = frozenset(), raw: dict = None, why: Optional[dict] = None) -> CleanSource:
    """The cleaned source with the model's drops and tags (see the module's docstring); `raw`: the
    ingested lines by number (a headline or byline a cleaning rule dropped is put back from them);
    `why`: the rule of a line dropped by a rule of this module, not by the model's own reading."""
    why = why or {}
    if raw:
        opening = [a for a in articles if a.title is not None and _opens(a, decisions, lines)]
        src = _restored(src, raw, {a.title for a in opening} | {a.byline for a in opening if a.byline is not None})
    alive = {l.number - 1 for l in src.lines if l.text.strip()}
    titles, bylines = set(), {a.byline for a in articles if a.byline is not None and a.byline in alive}
    lower = _lower_words(lines)
    # (kept lines only: a line dropped anyway keeps the rule that drops it in `removed`)
    common = {i for i, d in enumerate(decisions) if d is not None and (i in bylines or d.keep and d.kept_as == "byline")
              and _common_phrase(lines[i], lower)}
    bylines -= common
    for a in articles:
        if a.title is not None and a.title in alive:
            titles.add(a.title)
            continue
        # no headline seen (or cleaning dropped it): the article starts at its first line kept
        for i in range(a.first, a.last + 1):
            d = decisions[i]
            if i in alive and d is not None and d.keep and d.kept_as not in ("byline", "dateline"):
                titles.add(i)
                break
    # above an article's headline: the headline shown a first time, and a line read as a byline that
    # decode did not take (a "By" alone, a credit) are no text of the article
    # (the few lines just above it, as decode.byline_row looks: further up is another page's, in a pasted file)
    headline = {a.title: kept_text(lines[a.title]) for a in articles if a.title is not None and a.title in titles}
    rows = [i for i, d in enumerate(decisions) if d is not None]
    where = {i: r for r, i in enumerate(rows)}
    above = {i: a.title for a in articles if a.title in headline
             for i in rows[max(where[a.title] - decode.DEFAULT.byline_above, 0):where[a.title]] if i >= a.first}
    # above the text's first headline: fewer than OPENING_WORDS words the model keeps (a newsletter
    # box, a teaser, a section's name; not a byline or a date, which go under the headline) are the
    # page's furniture, not a story of their own before the article (structure starts a story at a
    # tagged page's first line). Held out: see benchmarks/RESULTS.md, "The headline as title".
    first = articles[0].title if articles and articles[0].title in headline else None
    front = [i for i in range(first or 0) if i in alive and decisions[i] is not None and decisions[i].keep
             and i not in bylines and decisions[i].kept_as not in ("byline", "dateline")]
    if _kept_words(lines, decisions, front) >= OPENING_WORDS:  # (front: kept lines only)
        front = []
    front = set(front)
    kept, removed = [], list(src.removed)
    previous = ""
    for line in src.lines:
        i = line.number - 1
        d = decisions[i] if 0 <= i < len(decisions) else None
        if not line.text.strip() or d is None:
            kept.append(line)
            continue
        text = line.text
        if i in above and d.keep and i not in bylines and kept_text(text) not in keep and (
                kept_text(text) == headline[above[i]] or d.kept_as == "byline"):
            # the model's confidence in what it read the line as (a byline, or furniture kept in a
            # run): as for its other drops, the probability of the label that makes it go
            rule = REPEATED_HEADLINE if kept_text(text) == headline[above[i]] else RULE
            removed.append(dropped(src.file, line.number, lines[i].strip(), rule,
                                   0.9 if rule != RULE else round(d.confidence, 3)))
            continue
        if i in front and kept_text(text) not in keep:
            removed.append(dropped(src.file, line.number, lines[i].strip(), ABOVE_HEADLINE, 0.6))
            continue
        if i in titles:
            tag = "title"
        elif i in bylines:
            tag = "byline"
        elif i in common and kept_text(text) not in keep:
            # read as a byline, but its words are the page's own common words: a label, a button,
            # a section ("Table of Contents", "Recent Posts", "Share"), no person or newsroom
            removed.append(dropped(src.file, line.number, lines[i].strip(), RULE, round(d.confidence, 3)))
            continue
        elif not d.keep and kept_text(text) not in keep:
            rule, sure = (why[i], 0.9) if i in why else (RULE, round(1.0 - d.body, 3))
            removed.append(dropped(src.file, line.number, lines[i].strip(), rule, sure))
            continue
        elif d.kept_as == "dateline" and _dateline(text):
            tag, text = "dateline", _dateline(text)
        else:
            tag = TAGS.get(d.kept_as, "p")
            if tag == "cite" and previous != "quote":
                tag = "p"
            item = detect.list_item(text) if tag == "ul" else None
            if item:  # the marker is the list's, not the item's text (a saved page's items have none)
                tag, text = ("ol" if item[0] else "ul"), item[1]
        kept.append(replace(line, text=text, tag=tag))
        previous = tag
    # the byline decode read above its headline, and a date there (a page that shows them over a
    # repeat of the headline), go under the headline, where structure reads a story's byline and date
    moved = [l for l in kept if above.get(l.number - 1) is not None
             and (l.tag == "dateline" or l.tag == "byline" and l.number - 1 in bylines)]
    for line in reversed(moved):
        at = next((k for k, l in enumerate(kept) if l.number - 1 == above[line.number - 1] and l.tag == "title"), None)
        if at is not None:
            kept.remove(line)
            kept.insert(at, line)  # (the title is one place earlier once the line is out from above it)
    return replace(src, lines=tuple(kept), removed=tuple(sorted(removed, key=lambda r: r.line)), by_model=True)


MIN_ARTICLE_WORDS = 150
"""`headline_below_top` reads a text only when the model keeps at least this many words under the
headline (realweb's short pages: 229 or more; the structure cases' snippets: 131 words at most, whole)."""
HEAD_LINES = 8
"""`headline_below_top` reads a headline only among a text source's first lines (realweb's short pages: their
headline is within their first 5 kept lines); deeper in, the rules' reading of the top stands (a
book's front matter, a collection's contents)."""


def _sentence(text: str) -> bool:
    """A line shaped as a sentence, not a headline: SENTENCE_WORDS words or more, ending with a
    sentence's mark or a closing parenthesis (a photo's caption and its credit). Wider than
    `decode.sentence_like` (a full stop only), which weighs every title candidate: a question is a
    headline often enough, but not one of twelve words over another headline."""
    t = text.strip()
    return len(t.split()) >= SENTENCE_WORDS and t[-1:] in ".!?)…"


SENTENCE_WORDS = 12


def headline_below_top(src: CleanSource, decisions: list, articles: list) -> bool:
    """Is this text, which `web_dump` leaves to the rules (too little furniture: a short page, an
    article pasted with a few lines around it), one whose headline the model reads under other
    lines at its top (a menu's last items, a photo caption, a "Welcome to …" banner, a section
    name)? Then the rules would title its story with the line on top, or start a second story at
    its dateline, and it is read as a web page's text instead (`_tagged`). Only the first article's
    headline among the first HEAD_LINES lines the rules kept, likeliest a title by the model, with
    nothing but furniture (by the model) above it, or a sentence (`_sentence`: a photo's caption
    and its credit): our corpora open with their headline and stay the rules' (realweb's short
    pages: 8 of 110 copies under the gate, 7 of them so; benchmarks/RESULTS.md, "Text sources
    (issue 16)", "A caption over a short page's headline")."""
    first = articles[0] if articles else None
    if first is None or first.title is None or decisions[first.title] is None \
            or decisions[first.title].kept_as != "title":
        return False
    alive = [l.number - 1 for l in src.lines if l.text.strip()]
    if not alive or alive[0] == first.title or first.title not in alive[:HEAD_LINES]:
        return False
    # only furniture above it (by the model): a title-like line on top that the model keeps (a
    # headline over a subtitle it took for the headline, a caption) stays the rules' to read
    # (or a sentence the model keeps: a photo's caption and its credit over the headline)
    text = {l.number - 1: l.text for l in src.lines}
    if not all(decisions[i] is not None and (not decisions[i].keep or _sentence(text[i]))
               for i in alive[:alive.index(first.title)]):
        return False
    # and an article under it: on a few lines (a snippet, a test's case) the model is no judge of
    # what is furniture (it was trained on whole pages)
    words = sum(len(l.text.split()) for l in src.lines if first.title < l.number - 1 < len(decisions)
                and decisions[l.number - 1] is not None and decisions[l.number - 1].keep)
    return words >= MIN_ARTICLE_WORDS


def label_probabilities(model: LineModel, xs: list) -> tuple:
    """(the first stage's, the last stage's) label probabilities of each of the feature matrices
    `xs`, every text's rows in one LightGBM call a stage, in this process: the steps of
    `LineModel.read_all` (linemodel.py is one of the model file's digested inputs: not changed
    for this)."""
    from .linemodel import _predict, context_features

    labels = len(model.labels)
    first = probs = _predict(model.stages[0], xs, labels)
    if len(model.stages) > 1:
        probs = _predict(model.stages[1], [np.hstack([x, context_features(f)]) if len(x) else x
                                           for x, f in zip(xs, first)], labels)
    return first, probs


def read_all(model: LineModel, texts: list, feats: list) -> list:
    """``model.read_all(texts, repeated)`` from the texts' features `feats` (``features.features(lines,
    repeated)`` of each, computed already), with each text's article-start candidates and its
    decisions computed on both cores (`processes.on_both_cores`); LightGBM's predictions stay in
    this process (a forked child must not use OpenMP once its parent has). The steps of
    `LineModel.read_all`, in the same order on the same values (tests/test_both_cores.py compares
    the two): written here, not there, because linemodel.py is one of the model file's inputs
    (training/train.py's digests) and the orchestration is not."""
    from ..orchestrate.processes import on_both_cores
    from . import segment
    from .linemodel import _predict, decide

    first, probs = label_probabilities(model, [x for _, x in feats])
    weights = [len(idx) for idx, _ in feats]

    def candidates(k: int) -> tuple:  # the start model's candidates, as segment.start_probabilities finds them
        idx, x = feats[k]
        if model.start is None or len(idx) < 3:
            return np.zeros(0, dtype=np.int64), None
        return segment.candidates([texts[k][i] for i in idx], first[k], x)

    found = on_both_cores("reading the sources", candidates, list(range(len(texts))), weights)
    start = iter(_predict(model.start, [c for _, c in found if c is not None], 0) if model.start is not None else [])
    starts = [next(start) if c is not None else np.zeros(0) for _, c in found]

    def decided(k: int) -> tuple:
        return decide(texts[k], feats[k][0], probs[k], found[k][0], starts[k], model.settings, model.labels)

    return on_both_cores("reading the sources", decided, list(range(len(texts))), weights)


def text_lines(raw: list) -> dict:
    """{file: its lines as decoded, by line number (a blank line where the source has none)} of
    the text sources among `raw` (the ingested sources): what the model reads."""
    texts = {}
    for src in raw:
        if src.kind == "text" and src.lines:
            lines = [""] * max(l.number for l in src.lines)
            for l in src.lines:
                lines[l.number - 1] = l.text
            texts[src.file] = lines
    return texts


def recover(raw: list, cleaned: list, model: Optional[LineModel] = None, keep=(), features: Optional[dict] = None,
            repeated: Optional[tuple] = None) -> list:
    """The cleaned sources, web-page text sources read by the line model (see the module docstring).
    `raw`: the ingested sources, in the same order as `cleaned`; `model`: the shipped one if None;
    `keep`: lines staff said to keep (anthology.toml's `keep`): never dropped by the model;
    `features`, `repeated`: {file: features.features() of its text_lines()} and
    features.repeated_across() of them all, when computed already (the build computes the features
    beside the cleaning, on both cores: `pubpipe.recover.steps.clean`)."""
    keep = frozenset(kept_text(k) for k in keep)
    model = model if model is not None else shipped()
    if model is None:
        return list(cleaned)
    texts = text_lines(raw)
    if not texts:
        return list(cleaned)
    numbered = {src.file: {l.number: l for l in src.lines} for src in raw if src.file in texts}
    repeated = repeated if repeated is not None else F.repeated_across(list(texts.values()))
    threshold = model.settings.threshold
    read = [src for src in cleaned if src.file in texts]
    read_texts = [texts[src.file] for src in read]
    if features is None:  # (training/evaluate.py's stand-in model reads texts only)
        found = model.read_all(read_texts, repeated)
    else:  # each text's candidates and decisions on both cores (its features were computed so too)
        found = read_all(model, read_texts, [features[src.file] for src in read])
    # a text read as several articles is read again after a long run of furniture, in this process:
    # reading again predicts (LightGBM), which a forked helper must not do
    if getattr(model, "reads_again", True):
        found = [read_again(model, lines, repeated, decisions, articles) if len(articles) > 1 else (decisions, articles)
                 for lines, (decisions, articles) in zip(read_texts, found)]

    def finish(k: int) -> Optional[CleanSource]:
        """The model's reading of the k-th text source; None when it is left to the rules."""
        src, lines = read[k], read_texts[k]
        decisions, articles = found[k]
        # the gate (web_dump) reads the furniture the model sees, before runs and blocks keep some of it
        furniture = web_dump(decisions, threshold)
        # (training/evaluate.py's stand-in model carries the decoding it is scored with)
        first = next((a.title for a in articles if a.title is not None), len(lines))
        decisions = decode.keep_runs(decisions, lines, getattr(model, "reading", decode.DEFAULT), first)
        articles = quoted_headlines(decisions, articles, lines)
        decisions, articles, why = one_article_each(decisions, articles, lines,
                                                    {l.number - 1 for l in src.lines if l.text.strip()})
        decisions, after = comments_dropped(decisions, articles, lines)
        why.update(after)
        by_model = furniture or headline_below_top(src, decisions, articles)
        return _tagged(src, lines, decisions, articles, threshold, keep, numbered[src.file], why) if by_model else None

    if features is None:
        done = [finish(k) for k in range(len(read))]
    else:  # each text's decoding and tagging on both cores
        from ..orchestrate.processes import on_both_cores
        done = on_both_cores("reading the sources", finish, list(range(len(read))), [len(l) for l in read_texts])
    done = iter(done)
    out = []
    for src in cleaned:
        if src.file in texts:
            tagged = next(done)
            out.append(tagged if tagged is not None else src)
        else:
            out.append(src)
    return out
