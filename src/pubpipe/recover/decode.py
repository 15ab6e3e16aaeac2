"""Decoding: from the line model's label probabilities to what an article publishes.

The model gives every line the probability of each label; the likeliest label of each line on its
own is a poor reader of an article's top. A headline is the title-like line that *opens* an
article — article text follows it, and usually a byline or a date within a line or two — while a
teaser's or a "Related" block's title is as title-like but leads into more furniture. A byline
sits under the headline. And a short run of lines the model is unsure of between lines it is sure
are the article's (a one-line paragraph, a sentence split by a link in a scraper's dump) is the
article's too. So, per article (segment.py says where each starts):

- its **title** is the line maximising P(title) × (article text in the lines after it) ×
  (a byline or dateline likely just under it), not the likeliest title line alone — and when
  another line of the page *echoes* a line (`echoed`: the page's `<title>` on top of a scraper's
  dump, "Headline | Site"; a comments header quoting it, "6 thoughts on “Headline”"; a link's URL
  slug), the best of the echoed lines: a page names its own headline elsewhere, not a teaser's;
- its **byline** is the likeliest byline among the few lines under that title that read as one
  (`detect.labelled_byline`: a name, not a breadcrumb or a date), else a sure one a few lines above
  it (a page showing the byline over a repeat of its headline);
- its **kept lines** are those whose body probability reaches the threshold, plus the lines of a
  short gap between two kept lines both confidently article text, down to a lower threshold.

The settings were chosen by cross-validation over pages by site (training/evaluate.py --cache:
the held-out probabilities of each fold, decoded without retraining) and checked on the other
corpus (`modern`); see benchmarks/RESULTS.md, "Text sources (issue 16)". Plain numpy, one
function of `detect` and one pattern of `features` (`BY`): nothing here is learned, so nothing here
needs retraining.
"""
from __future__ import annotations

import re

from dataclasses import dataclass, replace
from typing import Callable, Optional

import numpy as np

from .features import BY

RESIDUE, TITLE, BYLINE, DATELINE = 0, 1, 2, 3


@dataclass(frozen=True)
class Settings:
    """How an article is read from its lines' probabilities."""

    after: int = 3
    """Lines after a title candidate whose mean article probability says article text follows."""
    meta_window: int = 3
    """Lines after a title candidate where a byline or dateline is looked for."""
    candidates: float = 0.3
    """Title candidates: lines whose title probability is at least this share of the likeliest's
    (0.5 before the echoes: a promotion's "Subscribe to …" with nothing after it, likeliest a
    title, kept the headline out at 0.5; held out, line level, with the echoes and paths 0.3 gains
    1 title on realweb copy, modern copy and modern scrape each, none lost — alone it would lose 3
    that the echoes win back; 0.2 gains 5 and loses 1)."""
    meta_floor: float = 0.5
    """Weight of a title candidate with no byline or dateline under it (1 + this with a sure one):
    the lower, the more a byline or date under a line counts for it being the headline."""
    byline_window: int = 3
    """Lines under the chosen title where its byline is looked for."""
    byline_min: float = 0.1
    """Least byline probability of a line taken as the byline."""
    byline_far: int = 8
    """When none of the `byline_window` lines under the title is its byline: lines under it where a
    surer one (`byline_far_min`) is looked for (a photo, its caption and credit, a "Share" row, a
    dek or a section name between the headline and the byline)."""
    byline_far_min: float = 0.5
    """Least byline probability of a line taken as the byline further down than `byline_window`."""
    byline_above: int = 8
    """When no line under the title is its byline: lines above it where one as sure as
    `byline_far_min` is looked for (a page that shows the byline over a repeat of its headline;
    chosen on the held-out probabilities, training/evaluate.py --cache: bylines found 65 -> 68 of
    realweb copy's 82, modern copy 71 -> 72, scrape 60 -> 61, none lost, none taken on a page
    without one; 4 lines found 66, 12 the same as 8)."""
    gap_threshold: float = 0.2
    """Least body probability of a line kept in a short gap between sure article lines."""
    gap_lines: int = 2
    """Longest such gap, in lines."""
    gap_sure: float = 0.7
    """Body probability both lines around a gap need."""
    block_lines: int = 3
    """Fewest lines of a block read as one (0: blocks are not looked for): lines that follow each
    other with no blank line between, a blank line (or the text's edge) on each side — in a browser
    copy, where a blank line parts paragraphs, a list's or a table's lines (a product's features,
    a player table). When at least `block_share` of a block below the text's first headline is
    kept, its lines of body probability at least `block_floor` are too. Held out by site
    (training/evaluate.py --cache, training/losses.py; benchmarks/RESULTS.md, "Lists read as one"):
    realweb copy recall +0.0016 at no cost of precision, 3 of 110 pages better."""
    block_share: float = 0.5
    block_floor: float = 0.2
    """(0.1: the same recall, precision 0.0003 less; the lines between 0.1 and 0.2 are prices, "Buy Now".)"""
    block_max: int = 20
    """Most lines of such a block: a text with few blank lines (a scraper's dump) is a few long blocks,
    not lists (realweb scrape F1 0.9040 -> 0.9039 with 40, 0.9042 with 20 or 10)."""
    follow_mean: float = 0.2
    """A run (`runs`) mostly dropped is kept still when its mean body probability reaches this and it
    follows sure article text (`follow_sure`), right after it or under a heading of at most
    `follow_heading` words: a list the article ends with (twenty qualified teams under "Qualified
    teams"), which the model, surer of prose than of a list's short lines, drops line by line
    (1.0: off; held out, 0.15-0.2 and follow_sure 0.7-0.9 the same: one realweb copy page's
    recall 0.80 -> 1.00, nothing else changed on realweb copy)."""
    follow_sure: float = 0.9
    follow_heading: int = 4
    run_lines: int = 4
    """Shortest run of parallel lines (`runs`) read as one: when most of its lines are kept, all
    of them are (0: runs are not looked for)."""
    run_share: float = 0.3
    """Share of a run's lines that must be kept for the rest to be kept too (0.5 before: a tour's
    thirty dates, a third of them kept, came out as a few dates between paragraphs; held out by
    site, realweb copy recall +0.0022, precision +0.0003, nothing else changed; 0.2 the same)."""
    run_floor: float = 0.0
    """Least body probability of a line kept because its run is."""
    run_chars: int = 100
    """Longest line (characters) taken as one of a run of parallel lines."""
    echo: bool = True
    """Prefer an echoed line (`echoed`) as the headline."""
    echo_weight: float = 1000.0
    """How much more an echoed line's score counts: it is the headline unless it has next to no
    article text after it (a site's name on top of a browser copy, repeated in its footer)."""
    echo_words: int = 3
    """Fewest words of a line taken as echoed (shorter lines are echoed by chance: a name, a section)."""
    echo_first_min: float = 0.001
    """Least title probability of a line the article's first line echoes (a scraper's dump opens
    with the page's `<title>`: the model reads that line as furniture, and its headline too when
    the page's furniture is around it)."""
    echo_min: float = 0.01
    """Least title probability of a line another line echoes (with a separator, in quotes, as a slug)."""
    paths: bool = True
    """A line shaped as a path (`path_like`: a breadcrumb) is no headline, unless echoed."""
    sentence_weight: float = 0.5
    """How much a title candidate ending with a full stop counts (`sentence_like`: a dek, a photo's
    caption, a quoted claim; a headline ends with none): held out by site, line level, realweb copy
    titles 97 -> 99/110, scrape, modern copy and modern scrape unchanged, no page lost (0.3: realweb
    100, but modern copy and scrape one each lost; 1.0: off). Chosen looking at realweb copy's
    misses: modern's unchanged figures are the check that it is no realweb habit."""


DEFAULT = Settings()
LEGACY = Settings(after=0, meta_window=0, candidates=1.0, byline_window=0, byline_far=0, byline_above=0, gap_lines=0,
                  run_lines=0, echo=False, paths=False, sentence_weight=1.0)
"""The decoding before this module (for comparison): the likeliest title line, no byline sought
under it, no gap kept."""


@dataclass(frozen=True)
class Reading:
    """What an article publishes, as rows of the probabilities given (None: none found)."""

    title: Optional[int]
    byline: Optional[int]


_WORD = re.compile(r"\w+")
_SEPARATOR_AFTER = re.compile(r"\s+[-|–—:»·/~]+\s+")
_SEPARATOR_BEFORE = re.compile(r"\s+[-|–—:»·/~]+\s+$")
_QUOTES = "\"'“”„‟«»‘’‚‹›"
"""Quotation marks: a row quoted whole has one right before it and one right after it, no space
between ("“Headline”"; a breadcrumb's "» Section »" is no quote)."""


def _words(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold()))


def echoed(texts: list, probs: np.ndarray, settings: Settings = DEFAULT) -> np.ndarray:
    """Rows another row echoes, the way a page names its own headline elsewhere, whatever its words:

    - the first row (a scraper's dump opens with the page's `<title>`) is the row, word for word,
      or the row and a separator and more ("Headline – Site", "Site | Headline");
    - another row ends with a separator and the row (a breadcrumb's last item, "Home / Guides /
      Headline"; "Site | Headline"). Not a row followed by a separator and more: a shop's list
      names an item, then "Item – Matte Black";
    - another row ends quoting the row whole, in fewer words before it than the row's ("6 thoughts
      on “Headline”", "34 responses to …"; not a teaser quoting a show's name, in its middle or at
      its end: "Star eliminated from 'Show Name'");
    - another row holds the row's words joined by hyphens (a link's URL slug).

    Only rows of at least `echo_words` words, of title probability at least `echo_first_min` (the
    first row's echo) or `echo_min` (the others), echoed by a row the model holds less likely a
    title than the row itself (a headline "Costs & Prices – Report" does not make its own first
    words a headline). A repeat of the row alone, word for word, is no echo: a teaser shown in two
    lists repeats as often as a headline. Chosen on the held-out probabilities
    (training/evaluate.py --cache): line-level titles realweb copy 92 -> 95/110, scrape 94 -> 105,
    modern copy 163 -> 165/198, scrape 163 -> 181/200, none lost; see benchmarks/RESULTS.md, "The
    headline as title"."""
    n = len(texts)
    out = np.zeros(n, dtype=bool)
    if not settings.echo or n < 2:
        return out
    words = [_words(t) for t in texts]
    low = [" ".join(t.split()).casefold() for t in texts]
    every = "\n".join(f" {w} " for w in words)
    for r in range(n):
        w = words[r]
        count = w.count(" ") + 1 if w else 0
        if count < settings.echo_words or probs[r, TITLE] < settings.echo_first_min or every.count(f" {w} ") < 2:
            continue
        line = low[r]
        for q in range(n):
            if q == r or f" {w} " not in f" {words[q]} " or probs[q, TITLE] >= probs[r, TITLE]:
                continue
            at = low[q].find(line)
            before, after = (low[q][:at], low[q][at + len(line):]) if at >= 0 else ("", "")
            framed = at >= 0 and (not before.strip() and _SEPARATOR_AFTER.match(after) is not None
                                  or not after.strip() and _SEPARATOR_BEFORE.search(before) is not None)
            if q == 0 and (words[q] == w or framed):
                out[r] = True
                break
            if probs[r, TITLE] < settings.echo_min or words[q] == w:
                continue
            quoted = at > 0 and _quoting(before, after, count)
            if framed and not after.strip() or quoted or "-".join(w.split()) in low[q]:
                out[r] = True
                break
    return out


def quotes_whole(text: str, row: str, least: int = DEFAULT.echo_words) -> bool:
    """Does `text` end quoting `row` (of `least` words or more) whole, after fewer words than the
    row's — a comments section's header naming the article ("34 responses to “Headline”", "6
    thoughts on “Headline”"), as `echoed` reads one (not a teaser quoting a show's name)?"""
    low, line = " ".join(text.split()).casefold(), " ".join(row.split()).casefold()
    count = len(_WORD.findall(line))
    at = low.find(line) if count >= least else -1
    return at > 0 and _quoting(low[:at], low[at + len(line):], count)


def _quoting(before: str, after: str, count: int) -> bool:
    """Is a row of `count` words quoted whole where a line holds it with `before` (not empty) and
    `after` around it: a quotation mark on each side, no word after it, fewer words before it than
    the row's own (`echoed` and `quotes_whole`)."""
    return before[-1] in _QUOTES and after[:1] != "" and after[0] in _QUOTES and _WORD.search(after) is None \
        and len(_WORD.findall(before)) < count


_PATH = re.compile(r"\s([>/»›])\s.*\s\1\s")


def path_like(text: str) -> bool:
    """Is the line a path of three parts or more, one separator between them ("Blog > Weight Loss >
    Tips", "HOME / Renovations / Loans")? A breadcrumb is set like a headline, over it or under it,
    and the model takes one for it now and then (realweb copy, modern copy: 1 page each held out);
    no page headline of realweb's or modern's is shaped so ("Headline | Site | Section" is a
    `<title>`, and "|" is no path separator here)."""
    return _PATH.search(" ".join(text.split())) is not None


_FULL_STOP = re.compile(r"(?<!\.)\.[\"'”’»)\]]*$")


_INITIALS = re.compile(r"(?:^|\s)(?:[^\W\d_]\.)+[\"'”’»)\]]*$")


def sentence_like(text: str) -> bool:
    """Does the line end with a full stop (after it only closing quotes or brackets; not an ellipsis
    "...", not initials "U.S.")? A dek, a caption, a quoted claim does; a headline does not."""
    t = text.strip()
    return _FULL_STOP.search(t) is not None and _INITIALS.search(t) is None


def title_row(probs: np.ndarray, settings: Settings = DEFAULT, texts: Optional[list] = None) -> int:
    """Row of an article's headline among its rows' probabilities (-1 when there are no rows): the
    line maximising P(title) x mean article probability of the next `after` lines x (meta_floor +
    the likeliest byline or dateline among the next `meta_window` lines); with `texts` (the rows'
    lines), a row another row echoes (`echoed`) counts `echo_weight` times as much, whatever its
    title probability, a path (`path_like`, a breadcrumb) not at all, and a line ending with a full
    stop (`sentence_like`: a dek, a caption) `sentence_weight` as much."""
    n = len(probs)
    if not n:
        return -1
    title = probs[:, TITLE]
    article = 1.0 - probs[:, RESIDUE]
    meta = probs[:, BYLINE] + probs[:, DATELINE]
    cum = np.concatenate([[0.0], np.cumsum(article)])
    ar = np.arange(n)
    hi = np.minimum(n, ar + 1 + settings.after)
    count = hi - (ar + 1)
    after = np.where(count > 0, (cum[hi] - cum[np.minimum(n, ar + 1)]) / np.maximum(1, count), 0.0)
    near = np.zeros(n)
    for k in range(1, min(settings.meta_window, n - 1) + 1):
        near[:n - k] = np.maximum(near[:n - k], meta[k:])
    score = title * after * (settings.meta_floor + np.minimum(1.0, near))
    if texts is not None and settings.sentence_weight != 1.0:
        score *= np.array([settings.sentence_weight if sentence_like(t) else 1.0 for t in texts])
    echo = echoed(texts, probs, settings) if texts is not None else np.zeros(n, dtype=bool)
    if texts is not None and settings.paths:
        path = np.array([path_like(t) for t in texts], dtype=bool) & ~echo
        title = np.where(path, 0.0, title)
        score[path] = 0.0
    score[(title < settings.candidates * title.max()) & ~echo] = 0.0
    score[echo] *= settings.echo_weight
    best = int(np.argmax(score))
    # nothing after any candidate (a one-line "article"): the likeliest title line
    return best if score[best] > 0 else int(np.argmax(title))


def byline_row(probs: np.ndarray, texts: list, title: int, settings: Settings = DEFAULT,
               reads: Optional[Callable] = None) -> Optional[int]:
    """Row of the byline under the title row `title`: the likeliest byline of the next
    `byline_window` lines with at least `byline_min`, else of the next `byline_far` lines with at
    least `byline_far_min`, else of the `byline_above` lines above it with at least
    `byline_far_min`, that reads as one (`reads`: text -> a byline or None), a line saying "By …"
    before any other in its window (`_by_key`); None when none.
    (The wider look was chosen on the held-out probabilities, training/evaluate.py --cache: bylines
    taken right 225 -> 239 of the 4 sets' pages, none worse, as many taken on pages without one.)"""
    if reads is None:
        from .detect import labelled_byline as reads
    below = title + 1
    for rows, least in ((range(below, min(len(probs), below + settings.byline_window)), settings.byline_min),
                        (range(below, min(len(probs), below + max(settings.byline_window, settings.byline_far))),
                         settings.byline_far_min),
                        (range(max(0, title - settings.byline_above), title), settings.byline_far_min)):
        best = None
        for r in rows:
            p = probs[r, BYLINE]
            if p >= least and (best is None or _by_key(texts[r], p) > _by_key(texts[best], probs[best, BYLINE])) \
                    and reads(texts[r]) is not None:
                best = r
        if best is not None:
            return best
    return None


def _by_key(text: str, p: float) -> tuple:
    """How a byline candidate ranks in its window: one that says so ("By …", "Posted by …",
    `features.BY`) before one that does not (a photo's credit, a share button's label), then by
    its byline probability (held out: one page's byline a share label before, a name now, nothing
    else changed; benchmarks/RESULTS.md, "A byline that says so")."""
    return (BY.match(text.strip()) is not None, p)


def kept(probs: np.ndarray, threshold: float, settings: Settings = DEFAULT) -> np.ndarray:
    """Rows published as article text: body probability (not residue) at least `threshold`, or at
    least `gap_threshold` in a gap of at most `gap_lines` lines between two rows of body
    probability at least `gap_sure`."""
    body = 1.0 - probs[:, RESIDUE]
    keep = body >= threshold
    sure = np.flatnonzero(body >= settings.gap_sure)
    for a, b in zip(sure[:-1], sure[1:]):
        if 1 < b - a <= settings.gap_lines + 1:
            gap = slice(a + 1, b)
            keep[gap] |= body[gap] >= settings.gap_threshold
    return keep


def keep_runs(decisions: list, lines: list, settings: Settings = DEFAULT, below: int = -1) -> list:
    """`decisions` (a line model's Decision per line, None for blank lines) with every line of a run
    of parallel lines (`runs`, blank lines aside) kept when at least `run_share` of the run is and
    the line's body probability reaches `run_floor`, and set alike (items, or paragraphs, as most of
    them are): the items of one list are one thing, though the model, reading each line with its
    neighbours, keeps some and drops others (a list of twenty teams lost four of them, and came out
    as three lists between paragraphs). A run mostly dropped that follows sure article text, under a
    short heading or none, is kept too when the model's mean body probability of it reaches
    `follow_mean` (a list the article ends with). Before runs, a block of lines with no blank line
    between (`block_lines`: a list or a table in a browser copy) most of which is kept is kept
    whole, down to `block_floor`; only blocks under `below` (the row of the text's first headline:
    above it, lines kept make a story before the article, and the page's top is its furniture)."""
    out = list(decisions)
    if settings.block_lines:
        out = _keep_blocks(out, lines, settings, below)
    if not settings.run_lines:
        return out
    decisions = out
    rows = [i for i, d in enumerate(decisions) if d is not None]
    out = list(decisions)
    for a, b in runs([lines[i] for i in rows], settings.run_lines, settings.run_chars):
        members = [decisions[i] for i in rows[a:b]]
        if sum(d.keep for d in members) < settings.run_share * len(members):
            # a list the article ends with (under its one-line heading, if any): the model, less
            # sure of a list than of prose, drops most of it
            head = a - 1 if a > 0 and len(lines[rows[a - 1]].split()) <= settings.follow_heading else a
            if not (settings.follow_mean < 1.0 and head > 0 and rows[a - 1] > below
                    and decisions[rows[head - 1]].keep and decisions[rows[head - 1]].body >= settings.follow_sure
                    and sum(d.body for d in members) >= settings.follow_mean * len(members)):
                continue
            if head < a:
                out[rows[head]] = replace(decisions[rows[head]], keep=True, kept_as="heading")
        kept = [d for d in members if d.keep or d.body >= settings.run_floor]
        # and set alike: list items all, or paragraphs all, as most of them are
        listed = sum(d.kept_as == "item" for d in kept)
        alike = "item" if 2 * listed > len(kept) else "paragraph"
        for i, d in zip(rows[a:b], members):
            if d.keep or d.body >= settings.run_floor:
                out[i] = replace(d, keep=True, kept_as=alike if d.kept_as in ("item", "paragraph") else d.kept_as)
    return out


def _keep_blocks(decisions: list, lines: list, settings: Settings, below: int = -1) -> list:
    """`decisions` with the blocks of `keep_runs` kept (lines kept here keep the model's label but
    residue: a list's item, a table's row read as a paragraph)."""
    out = list(decisions)
    n = len(decisions)
    i = 0
    while i < n:
        if decisions[i] is None or not lines[i].strip():
            i += 1
            continue
        j = i
        while j < n and decisions[j] is not None and lines[j].strip():
            j += 1
        members = list(range(i, j))
        bounded = (i == 0 or not lines[i - 1].strip()) and (j == n or not lines[j].strip())
        if bounded and i > below and settings.block_lines <= len(members) <= settings.block_max \
                and sum(decisions[k].keep for k in members) >= settings.block_share * len(members):
            for k in members:
                d = decisions[k]
                if not d.keep and d.body >= settings.block_floor:
                    out[k] = replace(d, keep=True)
        i = j
    return out


_MARK = re.compile(r"[^\w\s]")


def shape(text: str, chars: int) -> Optional[str]:
    """What lines of one list share, whatever their words: the first mark (not a letter, digit or
    space) of a short line, and whether it ends a sentence; None for a long line or one without a
    mark ("England (Group A): 10th appearance" and "Czech Republic (Group A): Seventh appearance"
    share "(", as the dates of a tour list share their dash; a menu's bare words share none)."""
    text = text.strip()
    if not text or len(text) > chars:
        return None
    mark = _MARK.search(text)
    if mark is None or mark.start() == 0 and len(text) == 1:
        return None
    return mark.group() + ("." if text[-1] in ".!?" else "")


def runs(texts: list, least: int, chars: int) -> list:
    """(first, end) row ranges of at least `least` consecutive lines of the same `shape`."""
    out, start = [], 0
    shapes = [shape(t, chars) for t in texts]
    for r in range(1, len(shapes) + 1):
        if r == len(shapes) or shapes[r] != shapes[start] or shapes[r] is None:
            if shapes[start] is not None and r - start >= least:
                out.append((start, r))
            start = r
    return out


def read_article(probs: np.ndarray, texts: list, settings: Settings = DEFAULT,
                 reads: Optional[Callable] = None) -> Reading:
    """An article's title and byline rows (rows of `probs`, the article's lines)."""
    if not len(probs):
        return Reading(None, None)
    t = title_row(probs, settings, texts)
    if probs[t, TITLE] <= 0:
        return Reading(None, None)
    return Reading(t, byline_row(probs, texts, t, settings, reads))
