"""Stopword lists of ~100 languages (jusText's), and the list that fits a text best.

jusText's lists are read straight from its package folder: importing `justext` itself pulls in
lxml's html cleaner, which the line model does not need.
"""
from __future__ import annotations

import importlib.util
import os
import re
from functools import lru_cache

from collections import Counter

PUNCT = re.compile(r"^\W+|\W+$")
NONE = ("", frozenset())


@lru_cache(maxsize=1)
def _lists() -> tuple:
    """(language names, their word sets, {word: indexes of the languages listing it}) from jusText."""
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        return (), (), {}
    folder = os.path.join(list(spec.submodule_search_locations)[0], "stoplists")
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".txt"))
    sets, index = [], {}
    for k, name in enumerate(names):
        with open(os.path.join(folder, name + ".txt"), encoding="utf-8") as f:
            words = {w for word in f.read().split("\n") for w in (word.strip().lower(), PUNCT.sub("", word.strip().lower())) if w}
        sets.append(frozenset(words))
        for w in words:
            index[w] = index.get(w, ()) + (k,)
    return tuple(names), tuple(sets), index


def best_stoplist(words: list) -> tuple:
    """(language name, stoplist) of the language whose list covers most of `words` (lower-cased,
    punctuation stripped); ("", empty set) when none covers 5 % of them."""
    names, sets, index = _lists()
    if not names or not words:
        return NONE
    counts = [0] * len(names)
    for w, n in Counter(words).items():
        for k in index.get(w, ()):
            counts[k] += n
    best = max(range(len(names)), key=lambda k: (counts[k], -k))
    if counts[best] < 0.05 * len(words):
        return NONE
    return names[best], sets[best]
