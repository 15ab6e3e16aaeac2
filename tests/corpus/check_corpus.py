#!/usr/bin/env python3
"""Sanity checks for the corpus itself (not for pubpipe): every source has the bytes it is meant
to have, and every string gold.json expects is really in the decoded source.

    python3 tests/corpus/check_corpus.py

Standard library only. Exits 1 on the first group of failures.
"""
from __future__ import annotations

import codecs
import html
import json
import re
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "sources"
FOLD = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
                      "\u00a0": " "})


def norm(t: str) -> str:  # the same folding score.py does, near enough
    t = unicodedata.normalize("NFKC", t).translate(FOLD).replace("\u2026", "...").replace("_", "")
    return re.sub(r"\s+", " ", t).strip().casefold()


def loose(t: str) -> str:  # for hard-wrapped text: ignore line-end hyphenation and punctuation
    return re.sub(r"[\W_]+", "", norm(t))


def _sloppy_encode(err):
    # the inverse of the double-encoding: chars cp1252 cannot encode but latin-1 can (U+0081 ...)
    chunk = err.object[err.start:err.end]
    if all(ord(c) < 256 for c in chunk):
        return bytes(ord(c) for c in chunk), err.end
    raise err


codecs.register_error("corpus-sloppy", _sloppy_encode)


def decode(name: str, raw: bytes) -> str:
    if name.startswith("100_"):
        return raw.decode("cp1252")
    if name.startswith("101_"):
        return raw.decode("utf-8").encode("cp1252", errors="corpus-sloppy").decode("utf-8")
    text = raw.decode("utf-8-sig")
    if name.startswith("104_"):
        text = html.unescape(text.replace("<br>", "\n"))
    return text


def main() -> int:
    fails: list[str] = []
    raw = {p.name: p.read_bytes() for p in sorted(SRC.glob("*.txt"))}
    want = ["100_cp1252.txt", "101_mojibake.txt", "102_bom_wrapped.txt", "103_korean.txt",
            "104_html_snippets.txt", "105_collection.txt", "106_blog.txt"]
    if sorted(raw) != want:
        fails.append(f"sources are {sorted(raw)}, expected {want}")

    # 1. bytes and encodings
    b = raw["100_cp1252.txt"]
    try:
        b.decode("utf-8")
        fails.append("100: decodes as UTF-8; it must be Windows-1252")
    except UnicodeDecodeError:
        pass
    for byte, what in ((b"\x92", "’"), (b"\x93", "“"), (b"\x97", "—"), (b"\xe9", "é"), (b"\x80", "€"), (b"\x96", "–")):
        if byte not in b:
            fails.append(f"100: no cp1252 {what} byte {byte!r}")
    if b.count(b"\r\n") != b.count(b"\n") or b.count(b"\r\n") < 10:
        fails.append("100: not CRLF throughout")
    m = raw["101_mojibake.txt"].decode("utf-8")
    for seq in ("â€™", "â€œ", "â€”", "Ã¡", "ÃŠ", "â€“ â€“"):
        if seq not in m:
            fails.append(f"101: mojibake sequence {seq!r} missing")
    fixed = decode("101_mojibake.txt", raw["101_mojibake.txt"])
    if "â€" in fixed or "’" not in fixed or "INÊS" not in fixed:
        fails.append("101: does not round-trip to clean UTF-8")
    if not raw["102_bom_wrapped.txt"].startswith(codecs.BOM_UTF8) or b"\r" in raw["102_bom_wrapped.txt"]:
        fails.append("102: must be UTF-8 with BOM, LF")
    lines102 = raw["102_bom_wrapped.txt"].decode("utf-8-sig").splitlines()
    if max(len(x) for x in lines102) > 75:
        fails.append("102: a line is longer than 75 characters")
    if not any(x.endswith("agri-") for x in lines102) or not any(x.endswith("well-") for x in lines102):
        fails.append("102: the two line-end hyphens are missing")
    k = raw["103_korean.txt"].decode("utf-8")
    if sum("\uac00" <= c <= "\ud7a3" for c in k) < 500:
        fails.append("103: not mostly Hangul")
    h = raw["104_html_snippets.txt"].decode("utf-8")
    for s in ("&nbsp;", "&amp;", "&#8217;", "<br>", "<script>alert('x')</script>", "HTML Snippets Powered By :"):
        if s not in h:
            fails.append(f"104: {s!r} missing")
    c = raw["105_collection.txt"]
    if not c.startswith(codecs.BOM_UTF8) or c.count(b"\r\n") != c.count(b"\n"):
        fails.append("105: must be UTF-8 with BOM and CRLF")
    if not 550_000 <= len(c) <= 700_000:
        fails.append(f"105: {len(c)} bytes, expected about 600 KB")

    # 2. gold strings are in the decoded sources
    gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
    texts = {n: decode(n, b) for n, b in raw.items()}
    ntexts = {n: norm(t) for n, t in texts.items()}
    ltexts = {n: loose(t) for n, t in texts.items()}

    def present(name: str, s: str, what: str) -> None:
        if norm(s) in ntexts[name]:
            return
        if loose(s) in ltexts[name]:  # only across a wrapped line
            return
        fails.append(f"{name}: {what} not in source: {s[:70]!r}")

    for g in gold["stories"]:
        n = g["file"]
        present(n, g["title"], "title")
        present(n, g["first_words"], "first_words")
        present(n, g["last_words"], "last_words")
        for x in g["headings"]:
            present(n, x, "heading")
        for q in g["quotes"]:
            present(n, q["starts"], "quote")
            present(n, q["attribution"], "attribution")
        for x in g.get("quotes_ok", []) + g.get("notes_ok", []) + g["list_items"]:
            present(n, x, "quotes_ok/notes_ok/list item")
        if g.get("byline"):
            present(n, g["byline"]["name"], "byline")
        if g.get("dateline"):
            present(n, g["dateline"]["source"], "dateline source")
        if g.get("series"):
            present(n, g["series"]["name"], "series")
    alltext = " ".join(ntexts.values())
    for r in gold["removed"] + gold["optional"]:
        if norm(r) not in alltext:
            fails.append(f"removed/optional string in no source: {r!r}")

    # 3. preserve_lines point at the first story title and the last story line
    for n, (first, last) in gold.get("preserve_lines", {}).items():
        lines = (SRC / n).read_text(encoding="utf-8", errors="replace").splitlines()
        titles = [g["title"] for g in gold["stories"] if g["file"] == n]
        if lines[first - 1].lstrip("\ufeff") != titles[0] or not lines[last - 1].strip():
            fails.append(f"{n}: preserve_lines {first}-{last} do not frame the stories")
        if not any("START OF THE PROJECT GUTENBERG" in x for x in lines[:first]) or \
                not any("END OF THE PROJECT GUTENBERG" in x for x in lines[last:]):
            fails.append(f"{n}: preserve_lines are not inside the START/END markers")

    for f in fails:
        print("FAIL", f)
    print(f"{len(gold['stories'])} gold stories, {len(raw)} sources: {'ok' if not fails else f'{len(fails)} failures'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
