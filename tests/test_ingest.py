"""Ingest: whatever encoding and line endings people have, decoded and repaired, or refused by name."""

import pytest

from pubpipe.config import Limits
from pubpipe.errors import SourceError
from pubpipe.read.ingest import read_source

TEXT = "Title line\n\nIt’s a “quoted” story — with dashes.\n"


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def lines(src):
    return [l.text for l in src.lines]


def test_utf8_with_bom_and_crlf(tmp_path):
    src = read_source(write(tmp_path, "a.txt", b"\xef\xbb\xbf" + TEXT.replace("\n", "\r\n").encode()), tmp_path)
    assert lines(src)[:3] == ["Title line", "", "It’s a “quoted” story — with dashes."]
    assert src.encoding == "utf-8-sig" and any("byte order mark" in r for r in src.repairs)


def test_windows_1252(tmp_path):
    src = read_source(write(tmp_path, "b.txt", TEXT.encode("cp1252")), tmp_path)
    assert lines(src)[2] == "It’s a “quoted” story — with dashes."
    assert any("not UTF-8" in r for r in src.repairs)


def test_mojibake_repaired_and_curly_quotes_kept(tmp_path):
    import ftfy.bad_codecs  # noqa: F401  registers the sloppy codecs that real mojibake came from
    broken = TEXT.encode("utf-8").decode("sloppy-windows-1252").encode("utf-8")
    src = read_source(write(tmp_path, "c.txt", broken), tmp_path)
    assert lines(src)[2] == "It’s a “quoted” story — with dashes."
    assert any("mojibake" in r for r in src.repairs)


def test_invisible_characters_removed_and_nfc(tmp_path):
    src = read_source(write(tmp_path, "d.txt", "Cafe\u0301\u200b au \u202elait\u202c\n".encode()), tmp_path)
    assert lines(src)[0] == "Café au lait"


def test_entities_and_breaks_keep_line_numbers(tmp_path):
    src = read_source(write(tmp_path, "e.txt", b"One&nbsp;two &amp; three<br>four\nAT&T stays\n"), tmp_path)
    assert [(l.number, l.text) for l in src.lines][:3] == [(1, "One two & three"), (1, "four"), (2, "AT&T stays")]


def test_other_markup_stays_literal(tmp_path):
    src = read_source(write(tmp_path, "f.txt", b"<script>alert(1)</script> text\n"), tmp_path)
    assert lines(src)[0] == "<script>alert(1)</script> text"


@pytest.mark.parametrize("data, code", [
    (b"", "source.empty"),
    (b"  \n\t\n  ", "source.empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "source.image"),  # an image named .txt
    (b"\x00\x01\x02\x03" + bytes(range(256)) * 4, "source.binary"),
])
def test_bad_files_are_refused_by_name(tmp_path, data, code):
    with pytest.raises(SourceError) as info:
        read_source(write(tmp_path, "bad.txt", data), tmp_path)
    assert info.value.code == code and "bad.txt" in str(info.value)


def test_limits(tmp_path):
    with pytest.raises(SourceError, match="over the limit"):
        read_source(write(tmp_path, "big.txt", b"word " * 100), tmp_path, Limits(max_file_bytes=100))
    with pytest.raises(SourceError, match="line is"):
        read_source(write(tmp_path, "long.txt", b"x" * 300 + b"\n"), tmp_path, Limits(max_line_chars=200))


# An article long enough to be one: trafilatura (pubpipe.read.webpage) reads a page whose main text is
# under 250 characters as a whole-page dump. Saved pages are tested further in test_webpage.py.
P1 = "The harbour opened at dawn and the first boats came in with the tide, their holds full of the night catch."
P2 = "Traders waited on the quay with their carts, and by seven the market was loud with bargaining and gulls."
P3 = "By noon the boats were washed down and the nets hung to dry along the sea wall, ready for the evening."


def test_html_page_keeps_article_drops_chrome(tmp_path):
    page = f"""<html><head><title>T</title><script>evil()</script><style>p{{}}</style></head><body>
<nav><a href="/">Home</a> | <a href="/about">About</a></nav>
<article><h1>The Headline</h1><p>{P1}</p><h2>A Section</h2>
<ul><li>One</li><li>Two</li></ul><p>{P2}</p><blockquote><p>Words said.</p></blockquote></article>
<footer>Copyright</footer><form><input></form></body></html>""".encode()
    src = read_source(write(tmp_path, "page.html", page), tmp_path)
    tagged = [(l.text, l.tag) for l in src.lines if l.text]
    assert tagged == [("The Headline", "title"), (P1, "p"), ("A Section", "heading"),
                      ("One", "ul"), ("Two", "ul"), (P2, "p"), ("Words said.", "quote")]
    assert src.kind == "html"
    assert [(r.line, r.text) for r in src.removed] == [(2, "Home | About"), (5, "Copyright")]


def test_html_article_header_and_quote_footer_are_kept(tmp_path):
    page = f"""<html><body><header class="site"><a href="/">Logo</a></header><article>
<header><h1>Title</h1><p class="byline">By <a href="/a">Ann Lee</a></p></header>
<p>{P1}</p><p>{P2}</p><blockquote><p>Said it.</p><footer>\u2014 Bo Chen, farmer</footer></blockquote><p>{P3}</p>
<div class="share-buttons"><a>Share on Facebook</a></div></article><footer>Site footer</footer></body></html>""".encode()
    src = read_source(write(tmp_path, "p.htm", page), tmp_path)
    assert [(l.text, l.tag) for l in src.lines] == [("Title", "title"), ("Ann Lee", "byline"), (P1, "p"), (P2, "p"),
                                                    ("Said it.", "quote"), ("Bo Chen, farmer", "cite"), (P3, "p")]


def _ftfy_cases():
    from pathlib import Path
    here = Path(__file__).resolve().parent
    files = sorted(p for p in (here / "corpus").rglob("*") if p.suffix in (".txt", ".md", ".html") and p.is_file())[:25]
    odd = ["a &amp; b\n<p>x &amp; y</p>\nthen &amp; z\n",  # entities, then none unescaped after a "<"
           "caf\u00c3\u00a9 \u00e2\u20ac\u0153quoted\u00e2\u20ac\u009d\nplain line\n",  # mojibake amid plain lines
           "tab\there\r\nCR\rline\u2028sep\n", "esc \x1b[31mred\x1b[0m\n", "ctl \x00\x07\x7f del\n",
           "x" * 1_100_000 + "\n&amp;",  # a segment longer than ftfy's max_decode_length
           "", "\n\n", "\ufb01 ligature \uff2c\n", "no newline at end", "e\u0301 not NFC\n"]
    return odd + [p.read_text(encoding="utf-8", errors="replace") for p in files]


@pytest.mark.parametrize("text", _ftfy_cases())
def test_fix_text_is_ftfys(text):
    """ingest.fix_text passes plain ASCII lines through without ftfy's fixers: the same text as
    ftfy.fix_text gives (with pubpipe's settings) in every case."""
    import ftfy

    from pubpipe.read import ingest
    assert ingest.fix_text(text) == ftfy.fix_text(text, **ingest.FTFY)
