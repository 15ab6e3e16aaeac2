"""Property tests: random text through ingest → clean → structure raises nothing undocumented,
loses no word except lines listed as removed, and cleaning twice changes nothing."""

import string

from hypothesis import HealthCheck, given, settings, strategies as st

from pubpipe.recover.anthology import build_anthology
from pubpipe.recover.clean import Context, clean_all, clean_source
from pubpipe.config import Config
from pubpipe.errors import SourceError
from pubpipe.read.ingest import RawSource, decode, normalise, text_lines

from helpers import lost_words

WORD = st.text(alphabet=string.ascii_letters + "éü가나다", min_size=1, max_size=9)
PIECES = st.sampled_from(["", "- ", "1. ", "By ", "– ", "“", "”", "--", "* * *", "Share", "Tags: ", ":", ".",
                          "?", " | Part 2", "(03.11.2016) – –", "CONTENTS", "Powered By", "\t", "  "])
LINE = st.lists(st.one_of(WORD, PIECES), max_size=14).map(" ".join)
TEXT = st.lists(LINE, min_size=1, max_size=30).map("\n".join)


def pipeline(text: str):
    repairs: list = []
    lines = text_lines(normalise(text, repairs), repairs)
    src = RawSource("random.txt", lines, "utf-8")
    cleaned = clean_all([src])
    anthology = build_anthology(cleaned, Config(), tuple(r for c in cleaned for r in c.removed))
    return lines, anthology


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(TEXT)
def test_random_text_keeps_every_word(text):
    lines, anthology = pipeline(text)
    by_number = {}
    for line in lines:
        by_number.setdefault(line.number, []).append(line.text)
    numbered = [" ".join(by_number.get(n, [])) for n in range(1, max(by_number, default=0) + 1)]
    # Hyphen-split words may be joined when unwrapping; everything else must survive.
    lost = lost_words({"random.txt": numbered}, anthology)
    assert not lost, lost


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_cleaning_twice_changes_nothing(text):
    src = RawSource("random.txt", text_lines(normalise(text, []), []), "utf-8")
    once = clean_source(src, Context())
    twice = clean_source(RawSource("random.txt", once.lines, "utf-8"), Context())
    assert twice.lines == once.lines and twice.removed == ()


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_decode_or_raise_a_source_error(data):
    try:
        text, encoding, repairs = decode("x.bin", data)
    except SourceError as exc:
        assert exc.file == "x.bin" and exc.code.startswith("source.")
    else:
        assert isinstance(text, str) and encoding
