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


def strip_punct(word: str) -> str:
    """PUNCT.sub("", word): `word` without the non-word characters at its ends. A word that starts
    and ends with a word character (re's \\w is str.isalnum() or "_", checked for every code point)
    is returned as it is without the regular expression: most words are (features._words does the
    same for every word of a build's lines)."""
    if word and (word[0].isalnum() or word[0] == "_") and (word[-1].isalnum() or word[-1] == "_"):
        return word
    return PUNCT.sub("", word)


@lru_cache(maxsize=1)
def _lists() -> tuple:
    """(language names, their word sets, every listed word, {word: indexes of the languages listing
    it}: filled as words are looked up) from jusText."""
    spec = importlib.util.find_spec("justext")
    if spec is None or not spec.submodule_search_locations:
        return (), (), frozenset(), {}
    folder = os.path.join(list(spec.submodule_search_locations)[0], "stoplists")
    names = sorted(f[:-4] for f in os.listdir(folder) if f.endswith(".txt"))
    sets = []
    for name in names:
        with open(os.path.join(folder, name + ".txt"), encoding="utf-8") as f:
            lowered = [word.strip().lower() for word in f.read().split("\n")]
        sets.append(frozenset(w for w in lowered + [strip_punct(w) for w in lowered] if w))
    # the word -> languages index is built for the words a build's texts hold, not for all ~200,000
    # listed words up front: that took 0.8 s of CPU once a process, more than all lookups of a build
    return tuple(names), tuple(sets), frozenset().union(*sets), {}


def best_stoplist(words: list) -> tuple:
    """(language name, stoplist) of the language whose list covers most of `words` (lower-cased,
    punctuation stripped); ("", empty set) when none covers 5 % of them."""
    names, sets, listed, index = _lists()
    if not names or not words:
        return NONE
    counts = [0] * len(names)
    for w, n in Counter(words).items():
        if w not in listed:
            continue
        found = index.get(w)
        if found is None:
            found = index[w] = tuple(k for k, s in enumerate(sets) if w in s)
        for k in found:
            counts[k] += n
    best = max(range(len(names)), key=lambda k: (counts[k], -k))
    if counts[best] < 0.05 * len(words):
        return NONE
    return names[best], sets[best]
