#!/usr/bin/env python3
"""Sanity checks for corpus2 itself (not for pubpipe): every source has the bytes it is meant to
have, every string gold.json expects is really in the decoded source (once, in order, inside the
right story), and the generated e-text is what make_etext.py produces.

    python3 tests/corpus2/check_corpus.py

Standard library only. Prints every failure; exits 1 if there is any.
"""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "sources"
WANT = ["200_press_release.txt", "201_three_stories.txt", "202_latin1_wrapped.txt", "203_korean_cp949.txt",
        "204_saved_page.html", "205_old_etext.txt", "206_newsletter.txt"]

# the same folding as shared/eval/score.py
FOLD = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
    "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200a": " ", "\u00ad": "",
})


def norm(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "").translate(FOLD)
    text = text.replace("\u2026", "...").replace("_", "")
    return re.sub(r"\s+", " ", text).strip().casefold()


class _Text(HTMLParser):
    """Visible text of a page: no head, script or style; block elements end a line."""
    BLOCK = {"p", "h1", "h2", "h3", "li", "div", "header", "footer", "figcaption", "blockquote", "ul", "ol",
             "section", "aside", "article", "nav", "form", "label", "button", "span"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip -= 1
        elif tag in self.BLOCK:
            self.out.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.out.append(data)


def html_text(raw: str) -> str:
    p = _Text()
    p.feed(raw)
    return "".join(p.out)


def decode(name: str, raw: bytes) -> str:
    if name.startswith("202_"):
        return raw.decode("latin-1")
    if name.startswith("203_"):
        return raw.decode("cp949")
    if name.startswith("205_"):
        return raw.decode("ascii")
    return raw.decode("utf-8")


def main() -> int:
    fails: list[str] = []
    fail = fails.append
    names = sorted(p.name for p in SRC.iterdir() if p.is_file())
    if names != WANT:
        fail(f"sources are {names}, expected {WANT}")
        return report(fails, 0)
    raw = {n: (SRC / n).read_bytes() for n in WANT}
    text = {n: decode(n, b) for n, b in raw.items()}
    lines = {n: t.splitlines() for n, t in text.items()}

    # ------------------------------------------------------------------ 1. bytes and shapes
    for n in WANT:
        b = raw[n]
        if b.startswith(b"\xef\xbb\xbf"):
            fail(f"{n}: has a BOM")
        if n.startswith("206_"):
            if b.count(b"\r\n") != b.count(b"\n") or b.count(b"\r\n") < 20:
                fail(f"{n}: not CRLF throughout")
        elif b"\r" in b:
            fail(f"{n}: has CR; it must be LF")
        if n[:3] in ("202", "203"):
            try:
                b.decode("utf-8")
                fail(f"{n}: decodes as UTF-8; it must not")
            except UnicodeDecodeError:
                pass

    t, L = text["200_press_release.txt"], lines["200_press_release.txt"]
    if L[0] != "FOR IMMEDIATE RELEASE" or L[-1] != "###" or not L[2].startswith("LONDON, 4 May 2022 \u2014 "):
        fail("200: expected FOR IMMEDIATE RELEASE / title / 'LONDON, 4 May 2022 \u2014' ... ###")
    if [x[:2] for x in L if re.match(r"\d\) ", x)] != ["1)", "2)", "3)", "4)"] or "Media contact:" not in L:
        fail("200: the 1)-4) notes or the Media contact block are missing")

    L = lines["201_three_stories.txt"]
    if any(not x.strip() for x in L):
        fail("201: has a blank line; stories and paragraphs must be separated by nothing")
    for s in ("\u2014 Ruth Adeyemi, field coordinator", "By Tom\u00e1s Ibarra", "Letters from the Night Shelter (Part 3)",
              "- Halima Musa, treasurer of the Kware seed bank", "Isn\u2019t that what a bus is for?"):
        if s not in L:
            fail(f"201: line {s!r} missing")
    i = L.index("By Tom\u00e1s Ibarra") if "By Tom\u00e1s Ibarra" in L else 0
    if not L[i + 1].endswith("(Part 3)"):
        fail("201: the Part 3 title must follow 'By Tom\u00e1s Ibarra' directly")

    b, L = raw["202_latin1_wrapped.txt"], lines["202_latin1_wrapped.txt"]
    if any(0x80 <= c <= 0x9F for c in b):
        fail("202: has C1 bytes (cp1252, not ISO-8859-1)")
    for c in "\u00e3\u00e7\u00e1\u00fa\u00ed\u00f3":
        if c.encode("latin-1") not in b:
            fail(f"202: no ISO-8859-1 byte for {c!r}")
    if max(map(len, L)) > 72:
        fail("202: a line is longer than 72 characters")
    if sum(x.startswith("* ") for x in L) != 4 or not any(
            L[k].startswith("* ") and L[k + 1] and not L[k + 1].startswith(("* ", " ")) for k in range(len(L) - 1)):
        fail("202: expected four '* ' items, one continuing flush left")
    q = [k for k, x in enumerate(L) if x.startswith('"When I built') or x.startswith('"After that')]
    if len(q) != 2 or L[q[1] - 2].endswith('"') or not L[q[1] + 2].endswith('speak."'):
        fail("202: the two-paragraph quotation (no closing mark after the first paragraph) is wrong")

    t = text["203_korean_cp949.txt"]
    if sum("\uac00" <= c <= "\ud7a3" for c in t) < 700 or t.count("\u25a0") != 2 or "\u24d2" not in t:
        fail("203: expected mostly Hangul, two \u25a0 subheadings and \u24d2")
    try:
        raw["203_korean_cp949.txt"].decode("euc-kr")
    except UnicodeDecodeError:
        fail("203: not plain EUC-KR (uses CP949-only syllables)")

    h = text["204_saved_page.html"]
    for s in ("<!DOCTYPE html>", "<script>", "<style>", 'application/ld+json', "cookie-banner", "<nav", "<article",
              "<h1", 'class="byline">By ', "<h2>", "<em>", "<blockquote", "<cite>", "<footer>", "<ul>", "<ol>",
              'class="related"', "<form", "&copy;"):
        if s not in h:
            fail(f"204: {s!r} missing")
    art = h[h.index("<article"):h.index("</article>")]
    if art.count("<h2>") != 3:
        fail("204: expected three <h2> in the article")

    b, L = raw["205_old_etext.txt"], lines["205_old_etext.txt"]
    if not 140_000 <= len(b) <= 170_000:
        fail(f"205: {len(b)} bytes, expected about 150 KB")
    for s in ("The Project Gutenberg EBook of ", "*** START OF THIS PROJECT GUTENBERG EBOOK",
              "*** END OF THIS PROJECT GUTENBERG EBOOK", "End of the Project Gutenberg EBook of ", "Produced by ",
              "CHAPTER I.", "CHAPTER VI.", "*       *       *       *       *", "    Oh, the water came by"):
        if s not in text["205_old_etext.txt"]:
            fail(f"205: {s!r} missing")
    if "CONTENTS" in text["205_old_etext.txt"] or "START OF THE PROJECT" in text["205_old_etext.txt"]:
        fail("205: must have no CONTENTS and the old 'THIS PROJECT' markers only")
    regen = subprocess.run([sys.executable, str(HERE / "make_etext.py"), "--blocks"], capture_output=True, text=True)
    if regen.returncode:
        fail(f"205: make_etext.py --blocks failed: {regen.stderr[-300:]}")

    L = lines["206_newsletter.txt"]
    if L[0] != "View this email in your browser" or sum(x == "Read more \u2192" for x in L) != 3 \
            or "Unsubscribe | Update preferences" not in L:
        fail("206: newsletter shape wrong")

    # ------------------------------------------------------------------ 2. gold strings in the sources
    gold = json.loads((HERE / "gold.json").read_text(encoding="utf-8"))
    readable = {n: (html_text(t) if n.endswith(".html") else t) for n, t in text.items()}
    flat = {n: norm(t) for n, t in readable.items()}

    def present(n: str, s: str, what: str) -> None:
        if norm(s) not in flat[n]:
            fail(f"{n}: {what} not in source: {s[:70]!r}")

    last_pos: dict[str, int] = {}
    prev_end: dict[str, int] = {}
    for g in gold["stories"]:
        n = g["file"]
        if n not in flat:
            fail(f"gold names a file that is not a source: {n}")
            continue
        present(n, g["title"], "title")
        for key in ("first_words", "last_words"):
            c = flat[n].count(norm(g[key]))
            if c != 1:
                fail(f"{n}: {key} occurs {c} times, expected once: {g[key][:60]!r}")
        a, z = flat[n].find(norm(g["first_words"])), flat[n].find(norm(g["last_words"]))
        if not last_pos.get(n, -1) < a < z:
            fail(f"{n}: {g['title']!r}: first_words/last_words out of order")
        last_pos[n] = z
        span = flat[n][prev_end.get(n, 0):z + len(norm(g["last_words"]))]
        prev_end[n] = z + len(norm(g["last_words"]))
        for x in g["headings"]:
            if norm(x) not in span:
                fail(f"{n}: heading not inside its story: {x!r}")
        for x in g["list_items"] + [q["starts"] for q in g["quotes"]]:
            if norm(x) not in span:
                fail(f"{n}: list item / quote not inside its story: {x[:60]!r}")
        for q in g["quotes"]:
            present(n, q["attribution"], "attribution")
        for x in g.get("quotes_ok", []) + g.get("notes_ok", []):
            present(n, x, "quotes_ok/notes_ok")
        if g.get("byline"):
            present(n, g["byline"]["name"], "byline")
        if g.get("dateline") and g["dateline"]["source"]:
            present(n, g["dateline"]["source"], "dateline source")
        if g.get("series"):
            present(n, g["series"]["name"], "series")
        if g["file"].startswith("205_"):
            if g.get("paragraphs", 0) < 20:
                fail(f"{n}: {g['title']!r}: paragraphs count missing")

    everything = " ".join(list(flat.values()) + [norm(t) for t in text.values()])
    for r in gold["removed"] + gold["optional"]:
        if norm(r) not in everything:
            fail(f"removed/optional string in no source: {r!r}")
    for r in gold["never_in_text"]:
        if r not in ("\ufffd", "\ufeff") and norm(r) not in everything:
            fail(f"never_in_text string in no source: {r!r}")

    # a removed string may only occur, inside the stories' region, on lines that are residue themselves
    dropped = [norm(x) for x in gold["removed"] + gold["optional"]]
    for n in WANT:
        ls = text[n].splitlines()
        first, last = gold.get("preserve_lines", {}).get(n, [1, len(ls)])
        for k, line in enumerate(ls[first - 1:last], first):
            nl = norm(html.unescape(re.sub(r"<[^>]+>", "", line))) if n.endswith(".html") else norm(line)
            for r in gold["removed"]:
                if norm(r) in nl and not any(x.startswith(d) for d in dropped for x in (nl, norm(line))):
                    fail(f"{n}:{k}: removed string {r!r} occurs in a story line: {line.strip()[:60]!r}")

    # ------------------------------------------------------------------ 3. preserve_lines frame the stories
    for n, (first, last) in gold.get("preserve_lines", {}).items():
        ls = (SRC / n).read_text(encoding="utf-8", errors="replace").splitlines()
        mine = [g for g in gold["stories"] if g["file"] == n]
        head = norm(html.unescape(re.sub(r"<[^>]+>", "", ls[first - 1])))
        tail = norm(html.unescape(re.sub(r"<[^>]+>", "", ls[last - 1])))
        if head != norm(mine[0]["title"]):
            fail(f"{n}: preserve_lines start at {ls[first - 1].strip()[:60]!r}, not at the first title")
        if norm(mine[-1]["last_words"]) not in tail:
            fail(f"{n}: preserve_lines end at {ls[last - 1].strip()[:60]!r}, not at the last story's end")
        if n.startswith("205_"):
            if not any("START OF THIS PROJECT GUTENBERG" in x for x in ls[:first]) or \
                    not any("END OF THIS PROJECT GUTENBERG" in x for x in ls[last:]):
                fail(f"{n}: preserve_lines are not inside the START/END markers")
            if max(len(x) for x in ls[first - 1:last]) > 70:
                fail(f"{n}: a story line is longer than 70 characters")

    return report(fails, len(gold["stories"]))


def report(fails: list[str], stories: int) -> int:
    for f in fails:
        print("FAIL", f)
    print(f"{stories} gold stories, {len(WANT)} sources: {'ok' if not fails else f'{len(fails)} failures'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
