"""From labelled lines to articles: where each article of a file starts, and its title.

A page copied from a browser is one article amid the page's furniture (menus before, footers
after); several pages pasted into one file are several articles, with furniture between them.
Every gap between two runs of article text is a candidate boundary. A small learned model (the
line model's third part) says whether a new article starts there, from what the gap looks like:
its length, how likely a title line sits at its end, how much article text lies on either side,
and whether the text after it is about the same things as the text before (content words in
common, as TextTiling compares blocks). The new article starts at the likeliest title line
around the gap's end.
"""
from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

import numpy as np

from .features import PUNCT, _content
from .stopwords import best_stoplist

RESIDUE, TITLE, BYLINE, DATELINE = 0, 1, 2, 3
META = (TITLE, BYLINE, DATELINE)
GAP_NAMES = ("gap_lines", "gap_words", "similarity", "title_max", "title_end", "residue_mean",
             "words_before", "words_after", "body_before", "body_after", "rel_pos", "lines_before", "lines_after")
CONTEXT_LINES = 15


@dataclass(frozen=True)
class Settings:
    """Decoding settings."""

    threshold: float = 0.4
    """A line is article text when the model's probability that it is not residue is at least this."""
    boundary: float = 0.5
    """Probability of a new article the boundary model must give a gap to split there."""
    min_words: int = 30
    """Words of body an article needs before another may start."""


def is_body(probs: np.ndarray, threshold: float) -> np.ndarray:
    """Lines that are article text (body or title) rather than furniture."""
    return (1.0 - probs[:, RESIDUE]) >= threshold


def _cosine(a: Counter, b: Counter) -> float:
    num = sum(v * b[k] for k, v in a.items() if k in b)
    den = math.sqrt(sum(v * v for v in a.values())) * math.sqrt(sum(v * v for v in b.values()))
    return num / den if den else 0.0


def gaps(texts: list, probs: np.ndarray, threshold: float = 0.5) -> tuple:
    """Candidate boundaries of a file's non-blank lines (`texts`, with their first-stage label
    probabilities): (list of (a, b), feature matrix), where a is the last article row before the
    gap and b the first after it."""
    n = len(texts)
    body = is_body(probs, threshold) & ~np.isin(probs.argmax(axis=1), META)
    rows = np.flatnonzero(body)
    if len(rows) < 2:
        return [], np.zeros((0, len(GAP_NAMES)), dtype=np.float32)
    words = np.array([len(t.split()) for t in texts], dtype=np.float64)
    _, stoplist = best_stoplist([PUNCT.sub("", w.lower()) for r in rows for w in texts[r].split()])
    bags = [Counter(_content(texts[r], stoplist)) for r in rows]
    body_words = np.cumsum(words[rows])
    total = body_words[-1]
    cands, feats = [], []
    for k in range(len(rows) - 1):
        a, b = int(rows[k]), int(rows[k + 1])
        if b - a < 2:
            continue
        before, after = Counter(), Counter()
        for bag in bags[max(0, k - CONTEXT_LINES + 1):k + 1]:
            before.update(bag)
        for bag in bags[k + 1:k + 1 + CONTEXT_LINES]:
            after.update(bag)
        hi = min(n, b + 4)
        title = probs[a + 1:hi, TITLE]
        wb = float(body_words[k])
        cands.append((a, b))
        feats.append([math.log1p(b - a - 1), math.log1p(words[a + 1:b].sum()), _cosine(before, after),
                      float(title.max()), float(probs[b - 1, TITLE]), float(probs[a + 1:b, RESIDUE].mean()),
                      math.log1p(sum(words[rows[j]] for j in range(max(0, k - CONTEXT_LINES + 1), k + 1))),
                      math.log1p(sum(words[rows[j]] for j in range(k + 1, min(len(rows), k + 1 + CONTEXT_LINES)))),
                      math.log1p(wb), math.log1p(total - wb), a / max(1, n - 1), math.log1p(a), math.log1p(n - b)])
    return cands, np.array(feats, dtype=np.float32).reshape(-1, len(GAP_NAMES))


def start_row(probs: np.ndarray, a: int, b: int) -> int:
    """Where the article after the gap (a, b) starts: its likeliest title line, from just after a
    to a few lines into the text after the gap."""
    hi = min(len(probs), b + 4)
    return max(range(a + 1, hi), key=lambda q: (probs[q, TITLE], -q))


def starts(texts: list, probs: np.ndarray, first: np.ndarray, boundary, settings: Settings = Settings()) -> list:
    """Row indexes where articles start (the first is always 0). `probs`: final label
    probabilities; `first`: first-stage ones (what the boundary model was trained on);
    `boundary`: a booster giving the probability that a gap separates two articles (None: never)."""
    out = [0]
    if boundary is None or len(texts) < 3:
        return out
    cands, x = gaps(texts, first)
    if not cands:
        return out
    p = boundary.predict(x, num_threads=1)
    body = is_body(probs, settings.threshold)
    words = np.where(body, [len(t.split()) for t in texts], 0)
    cum = np.concatenate([[0], np.cumsum(words)])
    for (a, b), pb in zip(cands, p):
        if pb < settings.boundary:
            continue
        row = start_row(probs, a, b)
        if row > out[-1] and cum[row] - cum[out[-1]] >= settings.min_words:
            out.append(row)
    return out


def title_row(probs: np.ndarray) -> int:
    """The row of the likeliest title line (-1 when there are no rows)."""
    return int(np.argmax(probs[:, TITLE])) if len(probs) else -1
