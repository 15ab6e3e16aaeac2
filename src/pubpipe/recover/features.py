"""Shallow features of each line of a text, in the boilerpipe / jusText tradition.

Only the text is looked at: words, characters, stopword density for the text's language (jusText's
lists), sentence-end punctuation, capitals, digits, generic menu and link tokens (separators such
as "|", "»", "›"; never a word of a particular page or site), position in the file, repetition
within the file and across the sources of a build, blank-line context, where the text's prose is
(distance from the nearest prose line, share of the prose before and after), and the same for the
neighbouring lines (±1, ±2). `features(lines)` gives a matrix with one row per non-blank line.
"""
from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter

import numpy as np

from .stopwords import PUNCT, best_stoplist

TOKEN = re.compile(r"\w+")
SENT_END = re.compile(r"[.!?…。！？](?:[\"'”’»)\]]+)?$")
SENT_END_CHARS, CLOSERS = ".!?…。！？", "\"'”’»)]"
"""SENT_END's two classes: _base tests a stripped line with str methods instead of SENT_END.search,
which tries every sentence mark of a paragraph: the line, its closers stripped off its end, ends
with one of SENT_END_CHARS (the classes share no character)."""
INNER_SENT = re.compile(r"[.!?][\"'”’)]?\s+[\"'“‘(]?[A-Z]")
BULLET = re.compile(r"^(?:[•·▪►▸◦‣●■□➤✓✔*]|-\s|\d{1,3}[.)]\s)")
DASH = re.compile(r"^(?:--|[—–―])")
QUOTE_START = re.compile(r"^[\"“‘«„']")
QUOTE_END = re.compile(r"[\"”’»]$")
QUOTE_END_CHARS = ("\"", "”", "’", "»")
"""QUOTE_END's class: for a stripped line (no line end for $ to skip), QUOTE_END.search is endswith."""
SEPARATORS = re.compile(r"(?:^|\s)[|»›>/·•«‹<]+(?=\s|$)|\|")
URLISH = re.compile(r"https?://|www\.|\S@\S+\.\w|\.com\b|\.org\b")
COPYRIGHT = re.compile(r"©|ⓒ|\(c\)", re.I)
MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?"
DATE = re.compile(r"\b%s,? \d{1,2}\b|\b\d{1,2}(?:st|nd|rd|th)?,? %s|\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b|\b\d{1,2}:\d\d\b"
                  r"|\d{4}\s*년|\d{1,2}\s*월\s*\d{1,2}\s*일|\d{4}年|\d{1,2}月\d{1,2}日" % (MONTH, MONTH), re.I)
YEAR = re.compile(r"\b(?:19|20)\d\d\b")
BY = re.compile(r"^(?:by|written by|posted by|words by|story by|reporting by|von|par|por|di|door|av|af)\s+\S", re.I)
ONLY_SYMBOLS = re.compile(r"^[\W\d_]+$")
NOT_LETTER = re.compile(r"[\W\d_]+")
"""Not a letter: a line's letters ([^\\W\\d_]) are counted as what is left without these, twice as
fast as listing them (the same count)."""
DIGIT = re.compile(r"\d")
PUNCT_CHAR = re.compile(r"[^\w\s]")

BASE = ("words", "chars", "tokens", "stop_density", "stops", "end_sentence", "end_colon", "end_comma",
        "end_alnum", "start_upper", "start_lower", "start_digit", "start_bullet", "start_dash", "start_quote",
        "end_quote", "titlecase", "upper", "cased", "digits", "punct", "separators", "urlish", "copyright",
        "date", "year", "by", "word_len", "sentences", "commas", "symbols_only", "repeat_file", "repeat_sources",
        "blank_before", "blank_after", "prose")
CONTEXT = ("rel_pos", "char_pos", "prose_before", "prose_after", "since_prose", "to_prose", "short_run",
           "window_words", "window_prose", "first_line", "last_line", "to_first_prose", "from_last_prose",
           "overlap_next", "overlap_prev", "overlap_doc", "content_words")
DOC = ("doc_lines", "doc_blank_share", "doc_mean_words", "doc_lower_start", "doc_stoplist", "doc_prose_share")
NEIGHBOUR = ("words", "stop_density", "end_sentence", "titlecase", "start_lower", "blank_before", "prose",
             "separators", "date", "repeat_file", "overlap_next")
OFFSETS = (-2, -1, 1, 2)
NAMES = BASE + CONTEXT + DOC + tuple(f"{name}@{o:+d}" for o in OFFSETS for name in NEIGHBOUR) + ("missing@-1", "missing@+1")


def norm_line(text: str) -> str:
    """A line as repetition counts it: NFKC, case-folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def repeated_across(sources: list) -> tuple:
    """({normalised line: number of sources holding it}, number of sources) for `sources` (lists of lines)."""
    seen: Counter = Counter()
    for lines in sources:
        seen.update({norm_line(l) for l in lines if l.strip()})
    return seen, len(sources)


def _words(text: str) -> list:
    """The words of a line as stoplists count them: lower-cased, punctuation stripped at their ends
    (stopwords.strip_punct, written out here: this runs for every word of a build)."""
    return [w if (w[0].isalnum() or w[0] == "_") and (w[-1].isalnum() or w[-1] == "_") else PUNCT.sub("", w)
            for w in map(str.lower, text.split())]


def _line_counts(t: str) -> tuple:
    """(tokens, letters, upper-case characters, cased characters, digits, punctuation) of a
    stripped line, one line at a time: what _char_counts computes for a whole text at once."""
    low = t.lower()
    upper = sum(map(str.__ne__, t, low)) if len(low) == len(t) else 0
    up = t.upper()
    return (len(TOKEN.findall(t)), len(NOT_LETTER.sub("", t)), upper,
            upper + (sum(map(str.__ne__, t, up)) if len(up) == len(t) else 0),
            len(DIGIT.findall(t)), len(PUNCT_CHAR.findall(t)))


_WORD, _LETTER, _DIGIT, _PUNCT = 1, 2, 4, 8
_CLASSES: dict = {}
"""character -> which of TOKEN's, letters', DIGIT's and PUNCT_CHAR's character classes it is in,
as those regular expressions say (each is a class of single characters)."""


def _char_counts(texts: list) -> np.ndarray:
    """_line_counts of each of `texts` (stripped lines), as an (n, 6) array, computed over the
    whole text at once: the characters' classes looked up once per distinct character, the counts
    summed per line with numpy. A line's counts were a fifth of the features' time, a regular
    expression or a comparison per line each (benchmarks/RESULTS.md, "Text sources (issue 16)");
    tests/test_linemodel.py checks both ways give the same counts."""
    joined = "\n".join(texts)
    try:
        codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    except UnicodeError:
        return np.array([_line_counts(t) for t in texts], dtype=np.float64).reshape(len(texts), 6)
    distinct = sorted(set(joined))
    for c in distinct:
        if c not in _CLASSES:
            _CLASSES[c] = ((_WORD if TOKEN.match(c) else 0) | (0 if NOT_LETTER.match(c) else _LETTER)
                           | (_DIGIT if DIGIT.match(c) else 0) | (_PUNCT if PUNCT_CHAR.match(c) else 0))
    keys = np.array([ord(c) for c in distinct], dtype=np.uint32)
    classes = np.array([_CLASSES[c] for c in distinct], dtype=np.uint8)[np.searchsorted(keys, codes)]
    lengths = np.array([len(t) for t in texts], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths + 1)[:-1]])
    ends = starts + lengths

    def per_line(flags: np.ndarray) -> np.ndarray:
        total = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
        return total[ends] - total[starts]

    word = (classes & _WORD) != 0
    # a token (TOKEN: \w+) starts at a word character after a non-word one; lines are joined by
    # "\n", not a word character, so no token runs from one line into the next
    out = np.zeros((len(texts), 6))
    out[:, 0] = per_line(word & ~np.concatenate([[False], word[:-1]]))
    out[:, 1] = per_line((classes & _LETTER) != 0)
    out[:, 4] = per_line((classes & _DIGIT) != 0)
    out[:, 5] = per_line((classes & _PUNCT) != 0)
    # lower() and upper() never make a character shorter: when the whole text keeps its length,
    # every line keeps its own, and its characters line up with their lower (upper) case ones
    low, up = joined.lower(), joined.upper()
    if len(low) == len(joined) and len(up) == len(joined):
        lowered = np.frombuffer(low.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        raised = np.frombuffer(up.encode("utf-32-le", "surrogatepass"), dtype="<u4")
        out[:, 2] = per_line(codes != lowered)
        out[:, 3] = out[:, 2] + per_line(codes != raised)
    else:
        for k, t in enumerate(texts):
            out[k, 2:4] = _line_counts(t)[2:4]
    return out


def _base(text: str, stoplist: frozenset, lowered: list = None, counts: tuple = None) -> list:
    """The line's BASE features; `lowered`: _words(text) when the caller has them already;
    `counts`: its _line_counts (from _char_counts)."""
    t = text.strip()
    words = t.split()
    n = len(words)
    if lowered is None:
        lowered = _words(t)
    stops = sum(1 for w in lowered if w in stoplist)
    n_tokens, n_letters, upper, n_cased, digits, punct = counts if counts is not None else _line_counts(t)
    cased_words = [w for w in words if w[:1].isalpha() and (w[0].isupper() or w[0].islower())]
    title = sum(1 for w in cased_words if w[0].isupper())
    chars = len(t)
    first = t[:1]
    unclosed = t.rstrip(CLOSERS)
    return [math.log1p(n), math.log1p(chars), math.log1p(n_tokens), stops / n if n else 0.0, math.log1p(stops),
            float(bool(unclosed) and unclosed[-1] in SENT_END_CHARS), float(t.endswith(":")), float(t.endswith((",", ";"))),
            float(t[-1:].isalnum()), float(first.isupper()), float(first.islower()), float(first.isdigit()),
            float(bool(BULLET.match(t))), float(bool(DASH.match(t))), float(bool(QUOTE_START.match(t))),
            float(t.endswith(QUOTE_END_CHARS)), title / len(cased_words) if cased_words else 0.0,
            upper / n_cased if n_cased else 0.0, min(1.0, n_cased / n_letters) if n_letters else 0.0,
            digits / chars if chars else 0.0, punct / chars if chars else 0.0, float(len(SEPARATORS.findall(t))),
            # every pattern of DATE and YEAR holds a digit: a line without one is read no further
            float(bool(URLISH.search(t))), float(bool(COPYRIGHT.search(t))), float(bool(digits and DATE.search(t))),
            float(bool(digits and YEAR.search(t))), float(bool(BY.match(t))), chars / n if n else 0.0,
            float(len(INNER_SENT.findall(t))), float(t.count(",")), float(bool(ONLY_SYMBOLS.match(t))),
            0.0, 0.0, 0.0, 0.0, 0.0]  # repeat_file, repeat_sources, blank_before, blank_after, prose: set by features()


def _runs(mask: np.ndarray) -> np.ndarray:
    """For each position, the length of the run of True values it is in (0 where False)."""
    out = np.zeros(len(mask))
    i = 0
    while i < len(mask):
        if mask[i]:
            j = i
            while j < len(mask) and mask[j]:
                j += 1
            out[i:j] = j - i
            i = j
        else:
            i += 1
    return out


def _window_sum(values: np.ndarray, half: int) -> np.ndarray:
    """Sum of values[i - half : i + half + 1] for each i (cut at the ends)."""
    cum = np.concatenate([[0.0], np.cumsum(values)])
    ar = np.arange(len(values))
    return cum[np.minimum(len(values), ar + half + 1)] - cum[np.maximum(0, ar - half)]


def _since(flags: np.ndarray, reverse: bool = False) -> np.ndarray:
    """Lines since the last flagged line (or until the next one), capped at 50."""
    out = np.zeros(len(flags))
    last = None
    order = range(len(flags) - 1, -1, -1) if reverse else range(len(flags))
    for i in order:
        out[i] = 50.0 if last is None else min(50.0, abs(i - last))
        if flags[i]:
            last = i
    return out


def _content(text: str, stoplist: frozenset) -> set:
    return {t for t in TOKEN.findall(text.lower()) if (len(t) >= 3 or not t.isascii()) and not t.isdigit() and t not in stoplist}


def _overlaps(texts: list, prose: np.ndarray, stoplist: frozenset, window: int = 50) -> np.ndarray:
    """Per line: the share of its content words (not stopwords, not numbers) found in the prose
    lines of the next `window` lines, of the previous `window` lines, of the whole text (itself
    left out); and how many content words it has. A headline shares its words with the article
    under it; a menu item or a teaser for another article does not.

    Computed for all (line, word) pairs at once: a word of line i is in a prose line of the next
    `window` lines when the first prose line after i holding it is at most i + window away (the
    same for the lines before), and in another prose line of the text when there is one after or
    before i. The counts per line are then exact integers, divided as before: the same floats as
    sliding a Counter over the lines (tests/test_linemodel.py compares both), about four times
    faster; this was a quarter of the features' time."""
    n = len(texts)
    words = [_content(t, stoplist) for t in texts]
    out = np.zeros((n, 4))
    ids: dict = {}
    line_of = [i for i, found in enumerate(words) for _ in found]
    if not line_of:
        return out
    word_of = np.array([ids.setdefault(w, len(ids)) for found in words for w in found], dtype=np.int64)
    line_of = np.array(line_of, dtype=np.int64)
    # (word, line) of every pair as one sortable key; the prose lines' keys, sorted: each word's
    # prose lines in order
    key = word_of * (n + 1) + line_of
    prose_keys = np.sort(key[np.asarray(prose, dtype=bool)[line_of]])
    if len(prose_keys):
        after = np.searchsorted(prose_keys, key, side="right")  # the next prose pair (not i's own)
        nxt = prose_keys[np.minimum(after, len(prose_keys) - 1)]
        has_next = (after < len(prose_keys)) & (nxt // (n + 1) == word_of)
        before = np.searchsorted(prose_keys, key, side="left") - 1  # the previous one
        prv = prose_keys[np.maximum(before, 0)]
        has_prev = (before >= 0) & (prv // (n + 1) == word_of)
        sizes = np.bincount(line_of, minlength=n).astype(np.float64)
        shown = sizes > 0
        for col, found in ((0, has_next & (nxt % (n + 1) - line_of <= window)),
                           (1, has_prev & (line_of - prv % (n + 1) <= window)), (2, has_next | has_prev)):
            counts = np.bincount(line_of, weights=found.astype(np.float64), minlength=n)
            out[shown, col] = counts[shown] / sizes[shown]
    for i in range(n):
        if words[i]:
            out[i, 3] = math.log1p(len(words[i]))
    return out


def features(lines: list, repeated: tuple = (None, 0)) -> tuple:
    """(indexes of the non-blank lines, float32 matrix of their features in NAMES order).

    `repeated`: repeated_across() of all the sources of a build (the line counts once for its own
    source, which is not counted)."""
    idx = [i for i, l in enumerate(lines) if l.strip()]
    n = len(idx)
    if not n:
        return idx, np.zeros((0, len(NAMES)), dtype=np.float32)
    texts = [lines[i].strip() for i in idx]
    lowered = [_words(t) for t in texts]
    all_words = [w for words in lowered if len(words) >= 6 for w in words]
    _, stoplist = best_stoplist(all_words)
    counts = _char_counts(texts).astype(np.int64).tolist()
    base = np.array([_base(t, stoplist, words, c) for t, words, c in zip(texts, lowered, counts)], dtype=np.float64)
    col = {name: k for k, name in enumerate(BASE)}
    normed = [norm_line(t) for t in texts]
    counts = Counter(normed)
    seen, n_sources = repeated
    base[:, col["repeat_file"]] = [math.log(counts[t]) for t in normed]
    if seen and n_sources > 1:
        base[:, col["repeat_sources"]] = [max(0, seen.get(t, 1) - 1) / (n_sources - 1) for t in normed]
    blank_before = np.array([1.0 if i == 0 or not lines[i - 1].strip() else 0.0 for i in idx])
    blank_after = np.array([1.0 if i + 1 >= len(lines) or not lines[i + 1].strip() else 0.0 for i in idx])
    base[:, col["blank_before"]], base[:, col["blank_after"]] = blank_before, blank_after
    nwords = np.expm1(base[:, col["words"]])
    stop = base[:, col["stop_density"]]
    if stoplist:
        prose = (nwords >= 10) & (stop >= 0.2)
    else:
        prose = (nwords >= 10) & (base[:, col["end_sentence"]] > 0) | (base[:, col["chars"]] >= math.log1p(80))
    base[:, col["prose"]] = prose

    ctx = np.zeros((n, len(CONTEXT)))
    c = {name: k for k, name in enumerate(CONTEXT)}
    ctx[:, c["rel_pos"]] = np.arange(n) / max(1, n - 1)
    chars = np.array([len(t) for t in texts], dtype=np.float64)
    ctx[:, c["char_pos"]] = (np.cumsum(chars) - chars) / max(1.0, chars.sum())
    pw = np.where(prose, nwords, 0.0)
    total = max(1.0, pw.sum())
    ctx[:, c["prose_before"]] = (np.cumsum(pw) - pw) / total
    ctx[:, c["prose_after"]] = (pw.sum() - np.cumsum(pw)) / total
    ctx[:, c["since_prose"]] = np.log1p(_since(prose))
    ctx[:, c["to_prose"]] = np.log1p(_since(prose, reverse=True))
    ctx[:, c["short_run"]] = np.log1p(_runs(nwords <= 4))
    ctx[:, c["window_words"]] = np.log1p(_window_sum(nwords, 3))
    ctx[:, c["window_prose"]] = _window_sum(prose.astype(float), 5) / 11
    ctx[0, c["first_line"]] = 1.0
    ctx[-1, c["last_line"]] = 1.0
    where = np.flatnonzero(prose)
    first_prose, last_prose = (where[0], where[-1]) if len(where) else (n, -1)
    ar = np.arange(n)
    ctx[:, c["to_first_prose"]] = np.sign(first_prose - ar) * np.log1p(np.abs(first_prose - ar))
    ctx[:, c["from_last_prose"]] = np.sign(ar - last_prose) * np.log1p(np.abs(ar - last_prose))

    ov = _overlaps(texts, prose, stoplist)
    for k, name in enumerate(("overlap_next", "overlap_prev", "overlap_doc", "content_words")):
        ctx[:, c[name]] = ov[:, k]

    doc = np.array([math.log1p(len(lines)), 1 - n / max(1, len(lines)), float(nwords.mean()),
                    float(base[:, col["start_lower"]].mean()), float(bool(stoplist)), float(prose.mean())])
    parts = [base, ctx, np.tile(doc, (n, 1))]
    both = np.hstack([base, ctx])
    names = BASE + CONTEXT
    ncols = [names.index(name) for name in NEIGHBOUR]
    for o in OFFSETS:
        shifted = np.zeros((n, len(NEIGHBOUR)))
        lo, hi = max(0, -o), min(n, n - o)
        if hi > lo:
            shifted[lo:hi] = both[lo + o:hi + o][:, ncols]
        parts.append(shifted)
    missing = np.zeros((n, 2))
    missing[0, 0] = missing[-1, 1] = 1.0
    parts.append(missing)
    return idx, np.hstack(parts).astype(np.float32)
