"""Paragraph units: a cleaned file's lines grouped into the units structure recovery classifies.

Two conventions, detected per file: one paragraph per line, and hard-wrapped paragraphs between
blank lines (unwrapped; a hyphen at a line end is dropped only where a word was split).
"""

import re
import statistics
from functools import lru_cache
from dataclasses import dataclass
from typing import Optional

MARKER = re.compile(r"^\s*(?:[-*•▪◦‣●]|\d{1,3}[.)]|[IVXLC]{1,6}\.)\s+\S")
DASH_START = re.compile(r"^\s*(?:-{2}|[–—―])\s*\S")
SPLIT_WORD = re.compile(r"([A-Za-zÀ-ÿ]+)-$")


@dataclass(frozen=True)
class Unit:
    """A paragraph-sized piece of a source: one line, or an unwrapped run of lines."""

    text: str
    """The unit's text, lines joined with single spaces."""
    first: int
    """1-based source line where it starts."""
    last: int
    """1-based source line where it ends."""
    gap: int = 0
    """Blank lines (or dropped lines) before it."""
    lines: int = 1
    """How many source lines it was made from."""
    wrapped: bool = False
    """True when the file's paragraphs are hard-wrapped (a stricter idea of a heading applies)."""
    tag: str = ""
    """What an HTML source marked this unit as (see ingest.Line.tag); empty for text."""
    follows_end: bool = False
    """Cleaning dropped, just before this unit, a line that ends a story (clean.Rule.ends_story)."""
    opens_afterword: bool = False
    """Cleaning dropped, just before this unit, a line after which comes an afterword (clean.Rule.afterword)."""
    label: str = ""
    """What a learned line model says the unit's first line is (residue, title, byline, dateline,
    heading, paragraph, quote, attribution, item, caption); empty without a model."""
    confidence: Optional[float] = None
    """The model's probability of `label` (0–1); None without a model."""
    article_start: Optional[float] = None
    """The model's probability that a new article starts at this unit; None without a model."""
    set_off: bool = False
    """A short line indented well beyond the file's paragraphs (`set_off`): a centred or indented line
    of a notice, a sign, a letter or verse; in a hard-wrapped file it is never joined to its neighbours."""


SET_OFF_INDENT = 4
"""Columns of indentation beyond the file's usual that set a line apart from the prose."""
SET_OFF_WORDS = 12
"""At most this many words in a set-apart line (a longer indented line is an indented paragraph)."""


def _base_indent(lines: tuple) -> int:
    """The indentation of most of a file's lines (0, or a paragraph indent some e-texts use)."""
    indents = sorted(getattr(l, "indent", 0) for l in lines if l.text.strip())
    return indents[len(indents) // 2] if indents else 0


def set_off(line, base: int) -> bool:
    """Is the line indented well beyond the file's lines (by SET_OFF_INDENT columns) and short?"""
    return getattr(line, "indent", 0) >= base + SET_OFF_INDENT and len(line.text.split()) <= SET_OFF_WORDS


def is_wrapped(runs: list) -> bool:
    """True when a file's paragraphs are hard-wrapped: multi-line runs of lines of similar, moderate length."""
    lines = [line for run in runs for line in run]
    if len(lines) < 6:
        return False
    multi = sum(len(run) for run in runs if len(run) >= 2)
    lengths = sorted(len(line.text) for line in lines)
    p90 = lengths[int(len(lengths) * 0.9) - 1]
    median = statistics.median(lengths)
    return multi >= 0.5 * len(lines) and p90 <= 100 and median >= 30


def _runs(lines: tuple) -> list:
    """Runs of consecutive non-blank lines, each with the count of blank lines before it."""
    runs, current, gaps, gap, previous = [], [], [], 0, None
    for line in lines:
        skipped = 0 if previous is None else line.number - previous - 1
        previous = line.number
        if not line.text.strip():
            if current:
                runs.append(current)
                current = []
            gap += 1
            continue
        if skipped > 0 and current:
            runs.append(current)
            current = []
        if not current:
            gaps.append(gap + skipped)
            gap = 0
        current.append(line)
    if current:
        runs.append(current)
    return list(zip(gaps, runs))


SUFFIX = re.compile(r"^[a-z]{0,3}(?:tions?|sions?|ings?|ed|ly|ments?|ness|ity|ities|ous|ance|ence|ful|less|able|ible"
                    r"|ive|ies|ied|ers?|est|al|ure|ures|ated|ating|ism|ist|ists)$")


@lru_cache(maxsize=1)
def _lexicon() -> frozenset:
    """English headwords (the english-words package), loaded on the first hyphen at a line end."""
    from english_words import get_english_words_set
    return frozenset(get_english_words_set(["web2", "gcide"], lower=True))


def _known(word: str, vocabulary: set) -> bool:
    if word in vocabulary or word in _lexicon():
        return True
    # The lexicon lists headwords: try the word without a common inflection (foundations -> foundation).
    stems = [word[:-len(end)] for end in ("s", "es", "ed", "ing", "ly") if word.endswith(end) and len(word) > len(end) + 2]
    return any(stem in _lexicon() or stem + "e" in _lexicon() for stem in stems)


def _split_word(first: str, second: str, vocabulary: set) -> bool:
    """Was `first-` + `second` one word split at a line end (`agri-`/`cultural`), not a compound
    (`well-`/`known`)? Yes when the joined word is a known word; else only for a bare suffix."""
    joined = (first + second).lower()
    if _known(joined, vocabulary):
        return True
    if second.lower() in vocabulary or second.lower() in _lexicon():
        return False
    return bool(SUFFIX.match(second.lower()))


def _join(texts: list, vocabulary: set) -> str:
    out = texts[0]
    for text in texts[1:]:
        m = SPLIT_WORD.search(out)
        if m and text[:1].islower():
            second = re.match(r"[\w’']*", text).group(0)
            out = out[:-1] + text if _split_word(m.group(1), second, vocabulary) else out + text
            continue
        out += " " + text
    return out


def _whole_words(runs: list) -> set:
    """Lowercased words seen whole: not the fragments either side of a line-end hyphen."""
    words: set = set()
    for _, run in runs:
        after_hyphen = False
        for line in run:
            found = re.findall(r"[A-Za-zÀ-ÿ]+(?:-[A-Za-zÀ-ÿ]+)*-?", line.text)
            if after_hyphen and found:
                found = found[1:]
            after_hyphen = line.text.endswith("-")
            if after_hyphen and found:
                found = found[:-1]
            words.update(w.lower() for w in found if not w.endswith("-") and "-" not in w)
    return words


def units(lines: tuple) -> list:
    """Group a file's cleaned lines into Units, unwrapping hard-wrapped paragraphs."""
    if any(line.tag for line in lines):
        return [Unit(l.text, l.number, l.number, tag=l.tag) for l in lines if l.text.strip()]
    runs = _runs(lines)
    wrapped = is_wrapped([run for _, run in runs])
    base = _base_indent(lines)
    if not wrapped:
        out = []
        for gap, run in runs:
            out += [Unit(line.text, line.number, line.number, gap if i == 0 else 0, set_off=set_off(line, base))
                    for i, line in enumerate(run)]
        return out
    vocabulary = _whole_words(runs)
    # Without blank lines between paragraphs, a short line ending a sentence ends its paragraph.
    run_lengths = sorted(len(run) for _, run in runs)
    no_blank_lines = run_lengths[len(run_lengths) // 2] > 12
    out = []
    for gap, run in runs:
        group: list = []
        for line in run:
            if set_off(line, base):  # a line of a notice or a poem: a unit of its own
                if group:
                    out.append(_unit(group, gap, vocabulary))
                    gap = 0
                    group = []
                out.append(Unit(line.text, line.number, line.number, gap, 1, True, set_off=True))
                gap = 0
                continue
            short_end = no_blank_lines and group and len(group[-1].text) < 0.5 * max(60, len(line.text)) \
                and _ends_sentence(group[-1].text)
            attribution = DASH_START.match(line.text) and _ends_sentence(group[-1].text) if group else False
            if group and (MARKER.match(line.text) or attribution or short_end):
                out.append(_unit(group, gap, vocabulary))
                gap = 0
                group = []
            group.append(line)
        if group:
            out.append(_unit(group, gap, vocabulary))
    return out


def _ends_sentence(text: str) -> bool:
    return text.rstrip().endswith((".", "!", "?", "”", '"', ":", "’"))


def _unit(group: list, gap: int, vocabulary: set) -> Unit:
    return Unit(_join([l.text for l in group], vocabulary), group[0].number, group[-1].number, gap, len(group), True)
