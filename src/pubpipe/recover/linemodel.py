"""The learned line model: label each line of a text source with what it is.

Labels (issue 16): residue, title, byline, dateline, heading, paragraph, quote, attribution, item
(list item), caption. Two stages of gradient-boosted trees (LightGBM): the first sees each line's
shallow features and its neighbours' (features.py); the second also sees the first stage's label
probabilities of the lines around it (±1..3, windows of ±5, ±10, ±25 lines, what comes before
and after), which is how the sequence is read (stacking, "auto-context"). A third, small model
says where a new article starts (segment.py). The model is one gzip JSON file in the package
(`linemodel.json.gz`), rebuilt byte for byte by training/train.py from training/data.
"""
from __future__ import annotations

import gzip
import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Optional

import numpy as np

from . import decode
from . import features as F
from . import segment

LABELS = ("residue", "title", "byline", "dateline", "heading", "paragraph", "quote", "attribution", "item", "caption")
BODY = frozenset({"heading", "paragraph", "quote", "attribution", "item", "caption"})
MODEL_FILE = Path(__file__).with_name("linemodel.json.gz")
THREADS = max(1, min(4, os.cpu_count() or 1))
"""LightGBM's threads for predictions: each row is predicted on its own, summed over the trees in
the same order whatever the thread, so the probabilities are the same to the last bit on one thread
or several (tests/test_linemodel.py); on this 2-core machine the predictions of 110 pages take half
the wall time (benchmarks/RESULTS.md, "Text sources (issue 16)"). Capped at 4: a build's text
sources are a few thousand lines per stage, too few to keep more threads busy."""
WINDOWS = (5, 10, 25)
SHIFTS = (-3, -2, -1, 1, 2, 3)


@dataclass(frozen=True)
class Decision:
    """What the model says a line is."""

    label: str
    """One of LABELS."""
    confidence: float
    """The model's probability of that label (0–1)."""
    body: float
    """Probability that the line belongs to the article (title or any body label)."""
    kept_as: str = "paragraph"
    """The likeliest label other than residue: what the line is if it is kept."""
    keep: bool = True
    """Published as article text (decode.kept: body at least the threshold, or in a short gap
    between sure article lines)."""


def context_features(probs: np.ndarray) -> np.ndarray:
    """Stage-two features from stage-one probabilities (n lines x labels): the neighbours' labels,
    mean label probabilities over windows around the line, the share of article-like lines before
    and after it, and where the likeliest title lines are."""
    n, k = probs.shape
    parts = []
    for s in SHIFTS:
        shifted = np.zeros((n, k))
        lo, hi = max(0, -s), min(n, n - s)
        if hi > lo:
            shifted[lo:hi] = probs[lo + s:hi + s]
        parts.append(shifted)
    cum = np.vstack([np.zeros((1, k)), np.cumsum(probs, axis=0)])
    ar = np.arange(n)
    for w in WINDOWS:
        lo, hi = np.maximum(0, ar - w), np.minimum(n, ar + w + 1)
        parts.append((cum[hi] - cum[lo]) / (hi - lo)[:, None])
    body = 1.0 - probs[:, 0]
    total = max(1e-9, body.sum())
    before = (np.cumsum(body) - body) / total
    parts.append(np.stack([before, 1.0 - before - body / total], axis=1))
    title = probs[:, 1]
    best = int(np.argmax(title)) if n else 0
    running = np.maximum.accumulate(title)
    seen_before = np.concatenate([[0.0], running[:-1]])
    after = np.maximum.accumulate(title[::-1])[::-1]
    seen_after = np.concatenate([after[1:], [0.0]])
    parts.append(np.stack([np.sign(ar - best) * np.log1p(np.abs(ar - best)), seen_before, seen_after,
                           title / max(1e-9, title.max())], axis=1))
    return np.hstack(parts).astype(np.float32)


@dataclass(frozen=True)
class Article:
    """One article found in a text: its lines (indexes into the text's lines) and its title line."""

    first: int
    """Index of its first line (a line of furniture before the title may belong to it)."""
    last: int
    """Index of its last line."""
    title: Optional[int]
    """Index of its title line (None when the model saw none)."""
    byline: Optional[int] = None
    """Index of its byline line, under the title (None when there is none)."""


class LineModel:
    """The two LightGBM stages, the boundary model and what they were trained with."""

    def __init__(self, spec: dict):
        import lightgbm as lgb

        self.spec = spec
        self.labels = tuple(spec["labels"])
        if tuple(spec["features"]) != F.NAMES:
            raise ValueError("the line model was trained with other features than this pubpipe computes")
        self.stages = [lgb.Booster(model_str=s) for s in spec["stages"]]
        self.start = lgb.Booster(model_str=spec["start"]) if spec.get("start") else None
        self.settings = segment.Settings(**spec.get("settings", {}))

    @classmethod
    def from_file(cls, path: Path = MODEL_FILE) -> "LineModel":
        return cls(read_spec(path))

    def probabilities(self, lines: list, repeated: tuple = (None, 0)) -> tuple:
        """(indexes of the non-blank lines, their label probabilities (rows in LABELS order),
        the first stage's, their features)."""
        idx, x = F.features(lines, repeated)
        if not idx:
            empty = np.zeros((0, len(self.labels)))
            return idx, empty, empty, x
        probs = first = self.stages[0].predict(x, num_threads=THREADS)
        if len(self.stages) > 1:
            probs = self.stages[1].predict(np.hstack([x, context_features(first)]), num_threads=THREADS)
        return idx, probs, first, x

    def read(self, lines: list, repeated: tuple = (None, 0)) -> tuple:
        """(a Decision for every line (None for blank lines), the articles of the text).

        `repeated`: features.repeated_across() of every source of the build (lines found in many
        sources are a site's furniture)."""
        return self.read_all([lines], repeated)[0]

    def read_all(self, texts: list, repeated: tuple = (None, 0)) -> list:
        """read() of each of `texts` (lists of lines), the lines of all of them predicted by each
        booster in one call: LightGBM predicts every row on its own (the same probabilities as a
        call per text), but a call has its cost, and a build of a hundred pages made 330 of them."""
        feats = [F.features(lines, repeated) for lines in texts]
        xs = [x for _, x in feats]
        first = _predict(self.stages[0], xs, len(self.labels))
        probs = first
        if len(self.stages) > 1:
            probs = _predict(self.stages[1], [np.hstack([x, context_features(f)]) if len(x) else x
                                              for x, f in zip(xs, first)], len(self.labels))
        # the start model's candidates of each text, as segment.start_probabilities finds them
        found = []
        for lines, (idx, x), f in zip(texts, feats, first):
            if self.start is None or len(idx) < 3:
                found.append((np.zeros(0, dtype=np.int64), None))
            else:
                found.append(segment.candidates([lines[i] for i in idx], f, x))
        start = _predict(self.start, [c[1] for c in found if c[1] is not None], 0) if self.start is not None else []
        start = iter(start)
        return [decide(lines, idx, p, rows, next(start) if c is not None else np.zeros(0), self.settings, self.labels)
                for lines, (idx, x), p, (rows, c) in zip(texts, feats, probs, found)]

    def label(self, lines: list, repeated: tuple = (None, 0)) -> list:
        """A Decision for every line (None for blank lines)."""
        return self.read(lines, repeated)[0]


def decide(lines: list, idx: list, p: np.ndarray, rows: np.ndarray, start: np.ndarray,
           settings: segment.Settings, labels: tuple = LABELS, reading: decode.Settings = decode.DEFAULT) -> tuple:
    """(a Decision for every line, the articles) of a text from its probabilities: `idx` its
    non-blank lines, `p` their label probabilities, `rows`/`start` the start model's candidate rows
    and probabilities (training/evaluate.py decodes held-out probabilities with it, as the build does)."""
    decisions: list = [None] * len(lines)
    if not idx:
        return decisions, []
    keep = decode.kept(p, settings.threshold, reading)
    # each row's likeliest label (and the likeliest but residue), its probability and the body's,
    # for all rows at once (argmax along rows gives each row's np.argmax; the same floats): two
    # argmax calls and two conversions a line were most of this function's time on a page
    best = p.argmax(axis=1)
    confidence = p[np.arange(len(idx)), best].tolist()
    body = (1.0 - p[:, 0]).tolist()
    kept_as = (1 + p[:, 1:].argmax(axis=1)).tolist()
    for row, (i, k, b) in enumerate(zip(idx, best.tolist(), kept_as)):
        decisions[i] = Decision(labels[k], confidence[row], body[row], labels[b], bool(keep[row]))
    row_texts = [lines[i] for i in idx]
    cuts = segment.choose(row_texts, p, rows, start, settings)
    articles = []
    for a, b in zip(cuts, cuts[1:] + [len(idx)]):
        found = decode.read_article(p[a:b], row_texts[a:b], reading)
        articles.append(Article(idx[a], idx[b - 1], None if found.title is None else idx[a + found.title],
                                None if found.byline is None else idx[a + found.byline]))
    return decisions, articles


def _predict(booster, matrices: list, classes: int) -> list:
    """booster.predict of each of `matrices`, in one call for all their rows (`classes`: columns of
    a prediction, 0 for one probability a row)."""
    rows = [len(m) for m in matrices]
    if not sum(rows):
        return [np.zeros((0, classes) if classes else 0) for _ in matrices]
    predicted = booster.predict(np.vstack([m for m in matrices if len(m)]), num_threads=THREADS)
    return np.split(predicted, np.cumsum(rows)[:-1])


def read_spec(path: Path = MODEL_FILE) -> dict:
    """The model file's contents (its JSON: labels, features, the stages as LightGBM model strings),
    read once a process while the file stays as it is, and shared: read-only. The warm build process
    reads it (`pubpipe.orchestrate.warm.PREPARED`), so every build forked from it finds it (40 ms of
    CPU on the recovery's path); the boosters are made in the build (making one starts OpenMP's
    threads, which a process that forks must not have)."""
    path = Path(path)
    stat = path.stat()
    return _spec(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=2)
def _spec(path: str, mtime_ns: int, size: int) -> dict:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return json.load(f)


@lru_cache(maxsize=1)
def shipped() -> Optional[LineModel]:
    """The model shipped in the package (None when the file is missing)."""
    return LineModel.from_file() if MODEL_FILE.exists() else None
