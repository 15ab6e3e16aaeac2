"""Which encoding a source that is not UTF-8 is in: UTF-16 without a byte order mark, a CJK
multi-byte code page on strong evidence, else Windows-1252 unless its reading is implausible and
another Windows code page reads as one language's alphabet.

Why not only charset-normalizer (still the last resort, and the judge between equally plausible
readings): on short texts it ranks undeclared Windows-1252 — the web's default for Western text
(WHATWG Encoding Standard) — as cp852 or cp1250 ("won’t" read as "won ľ"), ranks a short EUC-JP or
GB18030 text as cp949, and says nothing about how sure it is. The evidence here is stated and
tested (tests/fixtures/encodings/): each reading is judged by the letters it yields.

Known limits, by design (strong evidence only): a Windows-1250 text whose only letters that differ
are one or two (a single Slovene "č"), or whose Windows-1252 reading still fits one language
(Hungarian with "ő" but no "ű" reads as Portuguese "õ"), stays Windows-1252; the report says
"decoded as Windows-1252 (not UTF-8)" so staff can save such a file as UTF-8.
"""

import re
import unicodedata
from typing import Optional

import charset_normalizer
from charset_normalizer.constant import FREQUENCIES

# The non-ASCII letters (lower case) of the languages each Windows code page was made for.
# A reading is plausible when its letters fit one language's alphabet.
ALPHABETS = {
    "cp1252": {
        "French": "àâæçéèêëîïôœùûüÿ", "German": "äöüß", "Spanish": "áéíñóúüªº", "Portuguese": "àáâãçéêíóôõúªº",
        "Italian": "àèéìíîòóùúªº", "Catalan": "àçèéíïòóúüªº", "Galician": "áéíñóúüªº", "Dutch": "áäéèëïóöüú",
        "Danish": "æøåé", "Norwegian": "æøåéèóòâô", "Swedish": "åäöé", "Finnish": "äöå", "Icelandic": "áðéíóúýþæö",
        "Estonian": "äöõüšž", "Irish": "áéíóú", "Scottish Gaelic": "àèìòù", "Afrikaans": "áéèêëíîïóôöúûü",
        "Albanian": "çë", "Basque": "ñü",
    },
    "cp1250": {
        "Czech": "áčďéěíňóřšťúůýž", "Slovak": "áäčďéíĺľňóôŕšťúýž", "Polish": "ąćęłńóśźż", "Hungarian": "áéíóöőúüű",
        "Slovene": "čšž", "Croatian": "čćđšž", "Romanian": "ăâîşţ", "Albanian": "çë", "German": "äöüß",
    },
    "cp1254": {"Turkish": "çğıİöşüâîû"},
    "cp1257": {"Lithuanian": "ąčęėįšųūž", "Latvian": "āčēģīķļņšūž", "Estonian": "äöõüšž"},
}
# Code pages of one script: a reading is plausible when its letters are all in that script.
SCRIPTS = {"cp1251": "CYRILLIC", "cp1253": "GREEK"}
SINGLE_BYTE = ("cp1252", "cp1250", "cp1251", "cp1253", "cp1254", "cp1257")
LABELS = {"cp1252": "Windows-1252", "cp1250": "Windows-1250", "cp1251": "Windows-1251", "cp1253": "Windows-1253",
          "cp1254": "Windows-1254", "cp1257": "Windows-1257", "cp932": "Shift_JIS", "euc_jp": "EUC-JP",
          "cp949": "EUC-KR", "gb18030": "GB18030", "big5": "Big5", "utf-8": "UTF-8", "utf-16-le": "UTF-16 LE",
          "utf-16-be": "UTF-16 BE", "utf-32-le": "UTF-32 LE", "utf-32-be": "UTF-32 BE"}

EVIDENCE = 2
"""The Windows-1252 reading is left only when it has at least this many implausible letters."""
# Non-letters that do not belong between two letters of a word: ¹ ³ ¿ ¯ £ … (the Windows-1252
# reading of Polish ą ł ż Ż Ł). Apostrophes, hyphens and the Catalan middle dot do.
WORD_PUNCTUATION = "’‘'·‐‑–—-"
WORD = re.compile(r"[^\W\d_]+")
STUCK = re.compile(r"(?<=[^\W\d_])[^\x00-\x7f\s%s](?=[^\W\d_])" % re.escape(WORD_PUNCTUATION))

# CJK multi-byte code pages, in the order they are preferred when several readings are plausible.
CJK = (("cp932", "ja"), ("euc_jp", "ja"), ("cp949", "ko"), ("gb18030", "zh"), ("big5", "zh"))
COMMON_HAN = set("".join(FREQUENCIES["Chinese"]))
COMMON_HANGUL = set("".join(FREQUENCIES["Korean"]))


def label(encoding: str) -> str:
    """The name people know an encoding by (Windows-1252 for cp1252)."""
    return LABELS.get(encoding, encoding)


def utf16_without_bom(data: bytes) -> Optional[str]:
    """"utf-16-le" or "utf-16-be" when the bytes are UTF-16 without a byte order mark, else None.

    Text in UTF-16 has its NUL bytes on one side of each pair (the high byte of ASCII characters
    and spaces); a binary file has them on both. Only a strict decoding counts."""
    pairs = len(data) // 2
    if pairs < 2 or len(data) % 2:
        return None
    even, odd = data[0::2].count(0) / pairs, data[1::2].count(0) / pairs
    encoding = "utf-16-le" if odd >= 0.1 and even * 8 <= odd else "utf-16-be" if even >= 0.1 and odd * 8 <= even else None
    if encoding is None:
        return None
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return None
    return encoding


def legacy(data: bytes) -> Optional[str]:
    """The encoding of bytes that are not UTF-8 (a Python codec name), or None when none fits."""
    sample = _sample(data)
    return _cjk(data, sample) or _single_byte(data, sample) or _last_resort(data)


NON_ASCII_LINE = re.compile(rb"[^\n]*[\x80-\xff][^\n]*")
SAMPLE_BYTES = 256 * 1024


def _sample(data: bytes) -> bytes:
    """The lines holding bytes over 127, up to SAMPLE_BYTES: only they can tell encodings apart
    (no byte of a line break is part of a multi-byte character in the code pages tried here)."""
    lines, size = [], 0
    for match in NON_ASCII_LINE.finditer(data):
        lines.append(match.group())
        size += len(lines[-1]) + 1
        if size >= SAMPLE_BYTES:
            break
    return b"\n".join(lines)


def _valid(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _is_cjk(ch: str) -> bool:
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL",
                            "HALFWIDTH KATAKANA", "HALFWIDTH HANGUL"))


def _plausible_cjk(language: str, cjk: list) -> bool:
    """Whether CJK letters read like `language`: Japanese has kana (and no half-width kana, which
    is what Korean or Chinese bytes become in Shift_JIS); Korean is Hangul syllables, some of them
    among its most frequent; Chinese is Han characters, some of them among its most frequent."""
    names = [unicodedata.name(ch, "") for ch in cjk]
    share = lambda test: sum(1 for n in names if test(n)) / len(names)  # noqa: E731
    if language == "ja":
        return share(lambda n: n.startswith(("HIRAGANA", "KATAKANA"))) >= 0.2 and share(lambda n: n.startswith("HALFWIDTH")) < 0.05
    if language == "ko":
        syllables = [ch for ch, n in zip(cjk, names) if n.startswith("HANGUL SYLLABLE")]
        return len(syllables) >= 0.8 * len(cjk) and sum(ch in COMMON_HANGUL for ch in syllables) >= 0.1 * len(syllables)
    return share(lambda n: n.startswith("CJK")) >= 0.95 and sum(ch in COMMON_HAN for ch in cjk) >= 0.1 * len(cjk)


def _cjk(data: bytes, sample: bytes) -> Optional[str]:
    """A CJK code page, on strong evidence: its strict decoding yields mostly CJK letters, and they
    read like the code page's language. (Korean EUC-KR bytes are also valid Windows-1252, and
    Western text with accents is often valid GB18030; neither passes.)"""
    for encoding, language in CJK:
        if not _valid(data, encoding):
            continue
        text = sample.decode(encoding, errors="replace")
        letters = [ch for ch in text if ch.isalpha()]
        cjk = [ch for ch in letters if _is_cjk(ch)]
        if len(cjk) >= 2 and len(cjk) >= 0.5 * len(letters) and _plausible_cjk(language, cjk):
            return encoding
    return None


def implausibility(text: str, encoding: str) -> int:
    """How many letters of this reading no single language of the code page uses, plus twice the
    symbols stuck between letters. 0 reads as one language; the Windows-1252 reading of Czech
    (ø, ì, ù beside š, ž, ý) or Polish (¿, ³, ¹ inside words) scores high."""
    letters: dict = {}
    mixed = 0
    for word in WORD.findall(text):
        foreign = [ch for ch in word if ord(ch) > 127 and ch.isalpha()]  # not ½: \w takes numbers too
        for ch in foreign:
            lower = ch.lower() if len(ch.lower()) == 1 else ch
            letters[lower] = letters.get(lower, 0) + 1
        if encoding in SCRIPTS and foreign and any(ch.isascii() for ch in word):
            mixed += len(foreign)  # a Latin word with a Cyrillic or Greek letter inside
    symbols = sum(1 for m in STUCK.finditer(text) if not m.group().isalpha())
    if encoding in SCRIPTS:
        script = SCRIPTS[encoding]
        uncovered = sum(n for ch, n in letters.items() if not unicodedata.name(ch, "").startswith(script)) + mixed
    else:
        uncovered = min(sum(n for ch, n in letters.items() if ch not in alphabet)
                        for alphabet in ALPHABETS[encoding].values())
    return uncovered + 2 * symbols


def _non_ascii_letters(text: str) -> int:
    return sum(1 for ch in text if ord(ch) > 127 and ch.isalpha())


def _single_byte(data: bytes, sample: bytes) -> Optional[str]:
    """Windows-1252 when it decodes and its reading is plausible; another Windows code page only
    when its reading fits one language (all but a tenth of its letters) and Windows-1252's clearly
    does not; Windows-1252 again when nothing else fits."""
    readings = {e: sample.decode(e) for e in SINGLE_BYTE if _valid(data, e)}
    scores = {encoding: implausibility(text, encoding) for encoding, text in readings.items()}
    western = scores.get("cp1252")
    if western is not None and western < EVIDENCE:
        return "cp1252"
    fits = [e for e in readings if e != "cp1252" and _non_ascii_letters(readings[e]) >= EVIDENCE
            and scores[e] <= _non_ascii_letters(readings[e]) // 10
            and (western is None or western >= 2 * scores[e] + EVIDENCE)]
    if len(fits) > 1:  # e.g. Greek bytes are Cyrillic letters in Windows-1251: let the frequencies judge
        best = min(scores[e] for e in fits)
        fits = [e for e in fits if scores[e] == best]
        judged = charset_normalizer.from_bytes(data, cp_isolation=fits).best() if len(fits) > 1 else None
        return judged.encoding if judged is not None and judged.encoding in fits else fits[0]
    if fits:
        return fits[0]
    return "cp1252" if western is not None else None


def _last_resort(data: bytes) -> Optional[str]:
    best = charset_normalizer.from_bytes(data).best()
    return best.encoding if best is not None else None
