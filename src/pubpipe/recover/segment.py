"""From labelled lines to articles: where each article of a file starts, and its title.

A page copied from a browser is one article amid the page's furniture (menus before, footers
after); several pages pasted into one file are several articles, with furniture between them.
A small learned model (the line model's third part) says, for each line that could start an
article, whether one starts there. It sees the line's features and first-stage label
probabilities, and what lies around it: how much article text before and after, how long the
furniture just before it runs, and whether the text after it is about the same things as the
text before (content words in common, as TextTiling compares blocks). Articles start at lines it
is sure enough of, once the article before has some body; an "article" with too little body is
furniture and joins the next one.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .features import _content, _words
from .stopwords import best_stoplist

RESIDUE, TITLE, BYLINE, DATELINE = 0, 1, 2, 3
META = (TITLE, BYLINE, DATELINE)
START_NAMES = ("title_local_max", "title_rank", "since_body", "body_words_before", "body_words_after",
               "near_before", "near_after", "similarity", "body_total_before", "body_total_after",
               "residue_before", "residue_after")
CONTEXT_ROWS = 30
CONTEXT_BODY = 15


@dataclass(frozen=True)
class Settings:
    """Decoding settings."""

    threshold: float = 0.4
    """A line is article text when the model's probability that it is not residue is at least this."""
    start: float = 0.5
    """Probability of an article start the start model must give a line to split there."""
    min_words: int = 60
    """Words of body an article needs; a shorter one is furniture and joins the next."""


def is_body(probs: np.ndarray, threshold: float) -> np.ndarray:
    """Lines that are article text (body or title) rather than furniture."""
    return (1.0 - probs[:, RESIDUE]) >= threshold


def _cosine(a: Counter, b: Counter) -> float:
    num = sum(v * b[k] for k, v in a.items() if k in b)
    den = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return num / den if den else 0.0


def candidates(texts: list, first: np.ndarray, x: np.ndarray) -> tuple:
    """Lines that could start an article (some title probability, or the first line of article
    text after furniture) and their features: (rows, matrix of line features, first-stage
    probabilities and START_NAMES)."""
    n = len(texts)
    body = is_body(first, 0.5) & ~np.isin(first.argmax(axis=1), META)
    title = first[:, TITLE]
    prev_body = np.concatenate([[False], body[:-1]])
    rows = np.flatnonzero((title >= 0.01) | (body & ~prev_body))
    if not len(rows):
        return rows, np.zeros((0, x.shape[1] + first.shape[1] + len(START_NAMES)), dtype=np.float32)
    words = np.array([len(t.split()) for t in texts], dtype=np.float64)
    bw = np.where(body, words, 0.0)
    cum = np.concatenate([[0.0], np.cumsum(bw)])
    res = np.concatenate([[0.0], np.cumsum(~body)])
    _, stoplist = best_stoplist([w for r in np.flatnonzero(body) for w in _words(texts[r])])
    body_rows = np.flatnonzero(body)
    bags = {int(r): Counter(_content(texts[r], stoplist)) for r in body_rows}
    order = np.argsort(-title, kind="stable")
    rank = np.empty(n)
    rank[order] = np.arange(n)
    last_body = -1
    since = np.zeros(n)
    for r in range(n):
        since[r] = r - last_body - 1 if last_body >= 0 else r + 50
        if body[r]:
            last_body = r
    feats = []
    for r in rows:
        lo, hi = max(0, r - 3), min(n, r + 4)
        k = np.searchsorted(body_rows, r)
        before, after = Counter(), Counter()
        for q in body_rows[max(0, k - CONTEXT_BODY):k]:
            before.update(bags[int(q)])
        for q in body_rows[k:k + CONTEXT_BODY]:
            after.update(bags[int(q)])
        a, b = max(0, r - CONTEXT_ROWS), min(n, r + CONTEXT_ROWS)
        feats.append([float(title[r] >= title[lo:hi].max()), math.log1p(rank[r]), math.log1p(since[r]),
                      math.log1p(cum[r] - cum[a]), math.log1p(cum[b] - cum[r]),
                      math.log1p(cum[r] - cum[max(0, r - 5)]), math.log1p(cum[min(n, r + 6)] - cum[r]),
                      _cosine(before, after), math.log1p(cum[r]), math.log1p(cum[n] - cum[r]),
                      (res[r] - res[a]) / max(1, r - a), (res[b] - res[r]) / max(1, b - r)])
    return rows, np.hstack([x[rows], first[rows], np.array(feats)]).astype(np.float32)


def start_probabilities(texts: list, first: np.ndarray, x: np.ndarray, model) -> tuple:
    """(candidate rows, probability that an article starts at each) from the start model."""
    if model is None or len(texts) < 3:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    rows, feats = candidates(texts, first, x)
    return rows, (model.predict(feats, num_threads=1) if len(rows) else np.zeros(0))


def choose(texts: list, probs: np.ndarray, rows: np.ndarray, p: np.ndarray, settings: Settings = Settings()) -> list:
    """Row indexes where articles start (the first is always 0), from the start probabilities of
    the candidate rows and the final label probabilities of every row."""
    n = len(texts)
    body = is_body(probs, settings.threshold) & ~np.isin(probs.argmax(axis=1), META)
    words = np.where(body, [len(t.split()) for t in texts], 0)
    cum = np.concatenate([[0], np.cumsum(words)])
    cands = sorted(zip(rows.tolist(), p.tolist()))
    chosen = [0]
    for k, (r, pr) in enumerate(cands):
        if pr < settings.start or r <= chosen[-1]:
            continue
        # the likeliest start among the candidates close by
        near = [c for c in cands[k:k + 6] if c[0] < r + 5]
        best = max(near, key=lambda c: (c[1], -c[0]))[0]
        if best > chosen[-1]:
            chosen.append(best)
    # an article with too little body is furniture: it joins the next one
    out = [0]
    for a, b in zip(chosen[1:], chosen[2:] + [n]):
        if cum[a] - cum[out[-1]] < settings.min_words:
            if len(out) > 1:
                out[-1] = a
        elif cum[b] - cum[a] >= settings.min_words:
            out.append(a)
    return out


def starts(texts: list, probs: np.ndarray, first: np.ndarray, x: np.ndarray, model, settings: Settings = Settings()) -> list:
    """Row indexes where articles start (the first is always 0). `probs`: final label
    probabilities; `first`: first-stage ones; `x`: the line features; `model`: a booster giving
    the probability that an article starts at a candidate line (None: one article)."""
    rows, p = start_probabilities(texts, first, x, model)
    return choose(texts, probs, rows, p, settings)


def title_row(probs: np.ndarray) -> int:
    """The row of the likeliest title line (-1 when there are no rows)."""
    return int(np.argmax(probs[:, TITLE])) if len(probs) else -1
