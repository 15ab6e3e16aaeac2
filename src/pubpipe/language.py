"""Language of a story (langdetect, seeded so the answer never changes) and of the anthology."""

from collections import Counter

from langdetect import DetectorFactory, LangDetectException, detect_langs

DetectorFactory.seed = 0
MIN_LETTERS = 40
ALIASES = {"zh-cn": "zh-Hans", "zh-tw": "zh-Hant"}


def detect_language(text: str) -> str:
    """BCP 47 tag of `text`, or ``und`` when it is too short or has no letters to tell."""
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return "und"
    try:
        best = detect_langs(text[:20000])[0]
    except LangDetectException:
        return "und"
    if best.prob < 0.5:
        return "und"
    return ALIASES.get(best.lang, best.lang)


def main_language(stories, default: str = "en") -> str:
    """The language most of the anthology's words are in."""
    words: Counter = Counter()
    for story in stories:
        if story.language != "und":
            words[story.language] += story.word_count()
    return words.most_common(1)[0][0] if words else default
