"""Language of a story (langdetect, seeded so the answer never changes) and of the anthology."""

import json
import os
import re
from collections import Counter
from functools import lru_cache
from itertools import chain
from types import SimpleNamespace

from langdetect import DetectorFactory, LangDetectException, detector_factory
from langdetect.lang_detect_exception import ErrorCode
from langdetect.detector import Detector
from langdetect.utils.ngram import NGram

DetectorFactory.seed = 0
MIN_LETTERS = 40
ALIASES = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}


# Why not simply langdetect.detect_langs: the library is kept (its profiles, its Detector, its
# seeded random trials); only three of its inner loops are rewritten below, because called as it
# is, langdetect took 3.4 s of CPU of the 110 realweb copy pages' structure stage (a quarter of the
# build's time on web pages), 2.1 s with this subclass (of which 1 s is loading its profiles once),
# benchmarks/RESULTS.md "Text sources (issue 16)". The results are langdetect's to the last bit:
# tests/test_language.py compares the probabilities with the library's own, and the rewrite is
# tied to langdetect 1.0.9 (pinned in pyproject.toml).
class _Detector(Detector):
    """langdetect 1.0.9's Detector (pinned in pyproject.toml) with its three per-character and
    per-trial loops written without a method call per character or per language: the same n-grams
    in the same order, the same float operations in the same order, so the same probabilities to
    the last bit (tests/test_language.py compares them with langdetect's own). About 3x faster;
    langdetect was a quarter of the build's structure time on web pages (benchmarks/RESULTS.md)."""

    class _Normal(dict):
        """str.translate's table: code point -> NGram.normalize of the character (a pure function of it)."""

        def __missing__(self, code):
            self[code] = NGram.normalize(chr(code))
            return self[code]

    _normal = _Normal()
    _spaces = re.compile(" +")

    def append(self, text):
        # Detector.append: its character loop drops a space after a space, as this does
        text = NGram.normalize_vi(self.MAIL_RE.sub(" ", self.URL_RE.sub(" ", text)))
        self.text += self._spaces.sub(" ", text[:self.max_text_length])

    _latin = re.compile("[A-z]")  # 'A' <= ch <= 'z', as langdetect's test (with [ \\ ] ^ _ `)
    _non_latin = re.compile("[\u0300-\U0010ffff]")

    def cleaning_text(self):
        # Detector.cleaning_text, its two loops per character as regular expressions. Its test for a
        # character that is not Latin, ch >= U+0300 and unicode_block(ch) != 'Latin Extended
        # Additional', compares the block's number (langdetect 1.0.9's unicode_block returns one)
        # with a name: it is always true, so the test is ch >= U+0300 alone.
        if len(self._latin.findall(self.text)) * 2 < len(self._non_latin.findall(self.text)):
            self.text = self._latin.sub("", self.text)

    def _extract_ngrams(self):
        # NGram.add_char's buffer after character i is the last (up to) three characters of the
        # normalised text since the last space; the capital-word flag is "this character and the one
        # before are upper case". So the n-grams Detector._extract_ngrams keeps depend on each word
        # (with the space after it) alone: they are read off each word once, in the text's order.
        known = self.word_lang_prob_map
        # a _Profiles map is filled as n-grams are met: one not in it yet may be in the profiles.
        # Its `words` keeps each word's n-grams for the next text (a word's n-grams depend on the
        # word and on which n-grams the profiles hold, nothing else): a build's stories share most
        # of their words, and reading them off character by character was most of detection's time.
        fill, seen = (known.fill, known.words) if isinstance(known, _Profiles) else (_never, {})
        if len(seen) > _Profiles.MAX_WORDS:
            seen.clear()
        text = self.text.translate(self._normal).split(" ")
        # each word with the space after it (the last has none); the words are looked up once each,
        # then their n-grams chained in the text's order (from this text's own `words`: `seen` is
        # shared, a list goes into it only once complete)
        keys = [word + " " for word in text[:-1] if word] + [word for word in text[-1:] if word]
        words = {}
        for key in dict.fromkeys(keys):
            found = seen.get(key)
            if found is not None:
                words[key] = found
                continue
            found = words[key] = []
            t = "  " + key
            for a, b, c in zip(t, t[1:], t[2:]):
                if c == " ":
                    pass
                elif c.isupper() and b.isupper():
                    continue
                elif c in known or fill(c):
                    found.append(c)
                if b + c in known or fill(b + c):
                    found.append(b + c)
                if b != " " and (a + b + c in known or fill(a + b + c)):
                    found.append(a + b + c)
            seen[key] = found
        return list(chain.from_iterable(map(words.__getitem__, keys)))

    def _update_lang_prob(self, prob, word, alpha):
        # `word` comes from _extract_ngrams: a known n-gram, already in a _Profiles map
        if word is None or word not in self.word_lang_prob_map:
            return False
        weight = alpha / self.BASE_FREQ
        prob[:] = [p * (weight + q) for p, q in zip(prob, self.word_lang_prob_map[word])]
        return True

    def decided(self):
        """(language, True) when langdetect's likeliest language for the text has a probability of
        at least 0.5, else (its likeliest language or None, False): what detect_language asks of
        get_probabilities()[0], from langdetect's own trials (Detector._detect_block, the same
        seeded draws in the same order), stopped once the answer cannot change.

        A language's probability is the mean of the trials' (7); each trial's sum to 1. After the
        fourth trial of a plain English page its share is already over 0.5, and the three trials
        left can only add to it (floats added, never subtracted): it is the answer whatever they
        give. Likewise no language can reach 0.5 once the trials left could not lift the likeliest
        one there. MARGIN keeps both checks clear of rounding; a NaN stops nothing."""
        self.cleaning_text()
        ngrams = self._extract_ngrams()
        if not ngrams:
            raise LangDetectException(ErrorCode.CantDetectError, "No features in text.")
        self.langprob = [0.0] * len(self.langlist)
        self.random.seed(self.seed)
        for t in range(self.n_trial):
            prob = self._init_probability()
            alpha = self.alpha + self.random.gauss(0.0, 1.0) * self.ALPHA_WIDTH
            i = 0
            while True:
                self._update_lang_prob(prob, self.random.choice(ngrams), alpha)
                if i % 5 == 0:
                    if self._normalize_prob(prob) > self.CONV_THRESHOLD or i >= self.ITERATION_LIMIT:
                        break
                i += 1
            for j in range(len(self.langprob)):
                self.langprob[j] += prob[j] / self.n_trial
            left = self.n_trial - 1 - t
            if left and all(p == p for p in self.langprob):
                top = max(self.langprob)
                if top > 0.5 + self.MARGIN:
                    return self.langlist[self.langprob.index(top)], True
                if top + left / self.n_trial < 0.5 - self.MARGIN:
                    return None, False
        best = self._sort_probability(self.langprob)[0]
        return best.lang, best.prob >= 0.5

    MARGIN = 1e-9

    def _normalize_prob(self, prob):
        sump = sum(prob)
        prob[:] = [p / sump for p in prob]
        maxp = 0.0
        for p in prob:  # not max(): the same answer as langdetect's loop even with a NaN
            if maxp < p:
                maxp = p
        return maxp


def _never(gram) -> bool:
    return False


class _Profiles(dict):
    """langdetect's n-gram -> probability-per-language map (DetectorFactory.word_lang_prob_map),
    each entry made as langdetect's DetectorFactory.add_profile makes it (the same list, the same
    division), but only for the n-grams a build's texts hold, when first met (`fill`).

    langdetect builds the map for all 87,600 n-grams of its 55 profiles when it loads them: 0.35 s
    of CPU once a process, against 0.1 s for reading the profiles, and more than the detection of
    the 118 stories of 110 web pages takes after it (benchmarks/RESULTS.md, "Text sources (issue
    16)"). tests/test_language.py compares entries and results with langdetect's own."""

    def __init__(self, profiles: list, langsize: int):
        super().__init__()
        self.profiles = profiles
        """(index, freq, n_words) of each profile, as DetectorFactory.load_profile numbers them."""
        self.langsize = langsize
        self.unknown = set()
        self.words: dict = {}
        """word (with the space after it) -> its n-grams that a profile holds, in _Detector._extract_ngrams's order."""

    MAX_WORDS = 200_000
    """`words` is emptied when it holds more (a long-running process: memory stays bounded)."""

    def fill(self, gram) -> bool:
        """Make `gram`'s entry if a profile holds it; False when none does."""
        if gram in self.unknown:
            return False
        entry = None
        length = len(gram)
        for index, freq, n_words in self.profiles:
            if gram in freq:
                if entry is None:
                    entry = [0.0] * self.langsize
                if 1 <= length <= 3:
                    entry[index] = 1.0 * freq[gram] / n_words[length - 1]
        if entry is None:
            self.unknown.add(gram)
            return False
        self[gram] = entry
        return True


@lru_cache(maxsize=1)
def _factory():
    """What a Detector reads of langdetect's DetectorFactory (its profiles, languages, seed), the
    profiles read as DetectorFactory.load_profile reads them (the same files in the same order),
    the map filled lazily (_Profiles). langdetect's own factory if the profiles read otherwise."""
    folder = detector_factory.PROFILES_DIRECTORY
    try:
        names = os.listdir(folder)
        langlist, profiles = [], []
        for name in names:
            path = os.path.join(folder, name)
            if name.startswith(".") or not os.path.isfile(path):
                continue
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            if data["name"] in langlist:
                raise ValueError(data["name"])
            profiles.append((len(langlist), dict(data["freq"]), list(data["n_words"])))
            langlist.append(data["name"])
        if len(langlist) < 2:
            raise ValueError(folder)
    except (OSError, ValueError, KeyError, TypeError):
        detector_factory.init_factory()
        return detector_factory._factory
    return SimpleNamespace(word_lang_prob_map=_Profiles(profiles, len(names)), langlist=langlist,
                           seed=DetectorFactory.seed)


def language_profiles() -> None:
    """Read langdetect's profiles now (once a process)."""
    _factory()


def _detector(text: str) -> _Detector:
    """A _Detector holding `text` (langdetect.detect_langs's first steps)."""
    factory = _factory()
    if not factory.langlist:
        detector_factory.init_factory()
        detector_factory._factory._create_detector()  # langdetect's own error
    detector = _Detector(factory)
    detector.append(text)
    return detector


def detect_langs(text: str) -> list:
    """langdetect.detect_langs(text), through _Detector."""
    return _detector(text).get_probabilities()


def _letters(text: str, least: int, chunk: int = 2000) -> bool:
    """Does `text` hold at least `least` letters (str.isalpha)? Counted a chunk at a time, stopping
    once there are enough: a story's whole text was counted for a yes/no on 40 letters."""
    found = 0
    for start in range(0, len(text), chunk):
        found += sum(map(str.isalpha, text[start:start + chunk]))
        if found >= least:
            return True
    return False


def detect_language(text: str) -> str:
    """BCP 47 tag of `text`, or ``und`` when it is too short or has no letters to tell."""
    if not _letters(text, MIN_LETTERS):
        return "und"
    try:
        lang, sure = _detector(text[:20000]).decided()
    except LangDetectException:
        return "und"
    if not sure:
        return "und"
    return ALIASES.get(lang, lang)


def main_language(stories, default: str = "en") -> str:
    """The language most of the anthology's words are in."""
    words: Counter = Counter()
    for story in stories:
        if story.language != "und":
            words[story.language] += story.word_count()
    return words.most_common(1)[0][0] if words else default
