"""pubpipe.recover.language's langdetect detector gives langdetect's own probabilities, to the last bit."""
from pathlib import Path

import langdetect
import pytest

from pubpipe.recover import language

HERE = Path(__file__).resolve().parent
TEXTS = ["The committee met on Tuesday and agreed the new budget for the coming year, after a long debate.",
         "NASA and the ESA said THE LAUNCH is ON for Friday; U.S.A. officials agree. See https://example.org or mail a@b.cz",
         "Der Ausschuss hat am Dienstag den neuen Haushalt beschlossen.  Zwei  Leerzeichen   hier.",
         "Le comité s'est réuni mardi — « une décision » importante… ÉTÉ ÇA",
         "위원회는 화요일에 회의를 열고 내년 예산을 승인했다. 그리고 더 많은 내용이 있다.",
         "Ủy ban đã họp vào thứ Ba và thông qua ngân sách mới cho năm tới.",
         "委員会は火曜日に会合を開き、カタカナ、来年度の予算を承認した。",
         "委员会周二开会，批准了明年的新预算。",
         "Comitetul s-a întrunit marți și a aprobat bugetul; ș ț Ș Ț.",
         " leading space and a trailing one ", "A", "1234 5678"]


def _texts():
    out = list(TEXTS)
    for path in sorted(HERE.glob("corpus*/**/*.txt"))[:40]:
        text = path.read_text(encoding="utf-8", errors="replace")
        out += [text[:20000], text[:200]]
    return out


@pytest.mark.parametrize("text", _texts())
def test_detect_langs_is_langdetects_to_the_last_bit(text):
    def probs(fn):
        try:
            return [(l.lang, l.prob) for l in fn(text)]
        except langdetect.LangDetectException as e:
            return ("error", str(e))

    assert probs(language.detect_langs) == probs(langdetect.detect_langs)


def test_profiles_map_entries_are_langdetects():
    """The lazily filled map (language._Profiles) holds, for every n-gram a text meets, langdetect's
    own entry (the same list of floats), and knows the n-grams no profile holds."""
    from langdetect import detector_factory

    detector_factory.init_factory()
    theirs = detector_factory._factory
    ours = language._factory()
    assert ours.langlist == theirs.langlist and ours.seed == theirs.seed == 0
    for text in _texts()[:30]:
        try:
            language.detect_langs(text)
        except langdetect.LangDetectException:  # no n-gram at all: as langdetect says
            pass
    filled = dict(ours.word_lang_prob_map)
    assert len(filled) > 500
    assert all(theirs.word_lang_prob_map[g] == entry for g, entry in filled.items())
    assert ours.word_lang_prob_map.unknown and not any(g in theirs.word_lang_prob_map for g in ours.word_lang_prob_map.unknown)
    for gram in ["the", " a", "xq", "\u3042", "Zz", " "]:  # a few straight from the profiles, or not
        assert (gram in theirs.word_lang_prob_map) == (gram in ours.word_lang_prob_map or ours.word_lang_prob_map.fill(gram))
        assert ours.word_lang_prob_map.get(gram) == theirs.word_lang_prob_map.get(gram)


def _langdetects_answer(text: str) -> str:
    """detect_language as it was: langdetect's probabilities in full (seven trials), then the likeliest."""
    if sum(ch.isalpha() for ch in text) < language.MIN_LETTERS:
        return "und"
    try:
        best = language.detect_langs(text[:20000])[0]
    except langdetect.LangDetectException:
        return "und"
    return "und" if best.prob < 0.5 else language.ALIASES.get(best.lang, best.lang)


MIXED = [
    "The committee met on Tuesday. Der Ausschuss hat am Dienstag den neuen Haushalt beschlossen. Le comité s'est réuni.",
    "Ok so yes no maybe it is what it is, si, ja, oui, da, hai, ne, non, nein, the end of it all here now",
    "Der Hund und the dog und die Katze and the cat sind im Garten in the garden mit dem Ball with the ball",
    "Un dos tres cuatro one two three four uno due tre quattro eins zwei drei vier un deux trois quatre",
]


@pytest.mark.parametrize("text", _texts() + MIXED + [t * 3 for t in TEXTS])
def test_detect_language_stopping_early_gives_langdetects_answer(text):
    """detect_language stops langdetect's trials once their answer is sure (_Detector.decided):
    the same language, and the same "und", as all seven trials give."""
    assert language.detect_language(text) == _langdetects_answer(text)
