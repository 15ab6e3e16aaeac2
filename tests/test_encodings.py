"""Legacy encodings: each short file of tests/fixtures/encodings/ decodes to exactly its expected
text (cases.json). Undeclared Western text is Windows-1252 (the web's default); other code pages
only on evidence: a CJK reading that is mostly CJK letters reading like its language, or a
Windows-1252 reading with letters no one language has (Czech ø ì, Polish ³ ¿) where another code
page reads as one language; UTF-16 without a byte order mark by where its NUL bytes are."""

import json
from pathlib import Path

import pytest

from pubpipe.errors import SourceError
from pubpipe.read.ingest import decode, parse_source

HERE = Path(__file__).parent / "fixtures" / "encodings"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["file"] for c in CASES])
def test_each_legacy_file_decodes_exactly(case):
    data = (HERE / case["file"]).read_bytes()
    bom = {"utf-16-le-bom": b"\xff\xfe", "utf-16-be-bom": b"\xfe\xff"}.get(case["write_as"], b"")
    assert data == bom + case["text"].encode(case["write_as"].removesuffix("-bom"))  # the fixture is what make.py wrote
    text, encoding, repairs = decode(case["file"], data)
    assert text == case["text"]
    assert encoding == case["encoding"]
    assert repairs == ([case["note"]] if case["note"] else [])  # the report's "decoded as X (not UTF-8)"


def test_the_issue_s_three_lines_keep_their_quotes_and_euro():
    source = parse_source("prices.txt", (HERE / "cp1252-quotes.txt").read_bytes())
    assert source.lines[0].text == "We won’t pay more than about €4 for it."
    assert "decoded as Windows-1252 (not UTF-8)" in source.repairs


@pytest.mark.parametrize("text", [
    "Grüße aus Zürich, café au lait, São Paulo and Ørsted — “all fine”.\n",
    "Les élèves ont déjà fini leur travail à l’école, dit-il. Ça coûte 12 €.\n",
    "¿Dónde está el niño? En el 2º piso, con su mamá y la señora Muñoz.\n",
    "Þetta er fyrsta skrefið, sagði ráðherrann á Akureyri.\n",
    "Make half of your plate vegetables – ½ of it – and ¼ grains.\n",
])
def test_western_text_stays_windows_1252(text):
    assert decode("a.txt", text.encode("cp1252"))[:2] == (text, "cp1252")


def test_a_broken_byte_order_mark_is_named_not_a_crash():
    with pytest.raises(SourceError, match="starts like UTF-16 LE text but is not; save it again as UTF-8") as info:
        decode("odd.txt", b"\xff\xfeA\x00\x00\xd8")
    assert info.value.code == "source.binary"
