"""Saved web pages: the article and its metadata found by trafilatura, as tagged, numbered lines.

trafilatura (with htmldate for the date) finds the page's main content and its metadata; its XML
(``output_format="xml"`` with formatting) is mapped to the lines structure recovery reads, each
tagged as ``pubpipe.ingest.Line.tag`` says: the headline from the page's metadata as ``title`` (not
the ``<title>`` line with its " – Site" suffix), the author as ``byline``, the site and date as
``dateline`` (``"SITE, YYYY-MM-DD"``), then ``heading``, ``p``, ``ul``/``ol`` items, ``quote`` and
``cite``. Only when trafilatura finds nothing does pubpipe's own reader (`pubpipe.htmlsource`) read
the page.

Line numbers are those of the page's elements: each extracted piece of text is found again in the
text the page shows (`PageText`), so a line is the source line of the element the text came from,
and on a minified page many lines share one number. What the page shows and the extraction left
out (menus, share buttons, related links, comments) is listed block by block, each block only with
the words that were left out of it, never as "the whole line".
"""

import re
import unicodedata
from dataclasses import dataclass
from typing import Optional

from lxml import etree

from .ingest import INVISIBLE, Line

# trafilatura's options, chosen by measurement over the realweb and modern pages (benchmarks/RESULTS.md,
# "Saved pages (issue 16)"): readers' comments are never the article.
EXTRACT_OPTIONS = {"output_format": "xml", "include_formatting": True, "with_metadata": True,
                   "include_comments": False, "include_tables": True, "include_images": False,
                   "include_links": False}
# Not text a reader sees on the page: never listed as left out.
UNSEEN = {"head", "script", "style", "noscript", "template", "title", "meta", "link", "svg", "math", "iframe",
          "object", "embed", "canvas", "video", "audio", "picture", "source", "img"}
# Elements that start a new block of text (a boundary for what is listed as left out).
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
              "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
              "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead",
              "tfoot", "tr", "td", "th", "ul", "br", "button", "option", "select", "label", "caption", "menu",
              "center", "textarea", "input"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
SUBHEAD_MAX_WORDS = 12
CELL_SEPARATOR = " – "
CHUNK = 24
"""Characters (without spaces) of an extracted piece looked for at a time when it is not found whole."""


@dataclass(frozen=True)
class Page:
    """A saved page read: its tagged lines, what the page shows that was left out, and who read it."""

    lines: tuple
    """Tagged Lines (pubpipe.ingest.Line), in reading order."""
    left_out: tuple
    """(line, text) of each block of the page's text the reader left out (the words left out of it)."""
    reader: str
    """"trafilatura", or "html-reader" when pubpipe's own reader read the page."""


def _squeeze_char(ch: str) -> bool:
    return not ch.isspace() and not INVISIBLE.match(ch)


def squeeze(text: str) -> str:
    """Text without spaces or invisible characters, NFC: how a piece is found in the page whatever
    spacing the extractor put between inline elements."""
    return "".join(ch for ch in unicodedata.normalize("NFC", text) if _squeeze_char(ch))


class PageText:
    """The text a reader sees on a page, block by block, with each block's source line.

    `place` finds an extracted piece of text in it (marking it used) and says which line it came
    from; `left_out` lists the blocks, or the parts of blocks, no piece used."""

    def __init__(self, root) -> None:
        self.blocks: list = []  # [line, tag of the enclosing block element, text]
        pieces: list = []
        self._walk(root, pieces)
        texts, starts, offset = [], [], 0
        for block in self.blocks:
            block[2] = unicodedata.normalize("NFC", block[2])
            flat = squeeze(block[2])
            starts.append(offset)
            texts.append(flat)
            offset += len(flat)
        self.flat = "".join(texts)
        self.starts = starts
        self.used = bytearray(len(self.flat))

    def _walk(self, root, pieces) -> None:
        """Collect the blocks of text under `root` in reading order (no recursion: pages nest deep)."""
        current: list = []  # [line, tag, [texts]]
        tags: list = []

        def add(text, line):
            nonlocal current
            if not text:
                return
            if not current:
                current = [line or 1, tags[-1] if tags else "", []]
            current[2].append(text)

        def cut():
            nonlocal current
            if current and "".join(current[2]).strip():
                self.blocks.append([current[0], current[1], "".join(current[2])])
            current = []

        stack = [("open", root)]
        while stack:
            what, el = stack.pop()
            if what == "tail":
                add(el.tail, el.sourceline)
                continue
            tag = el.tag if isinstance(el.tag, str) else ""
            block = tag.lower() in BLOCK_TAGS
            if what == "close":
                if block:
                    cut()
                    tags.pop()
                continue
            if el.tail:
                stack.append(("tail", el))
            if not tag or tag.lower() in UNSEEN:
                continue
            if block:
                cut()
                tags.append(tag.lower())
                stack.append(("close", el))
            add(el.text, el.sourceline)
            stack.extend(("open", child) for child in reversed(el))
        cut()

    def _block_at(self, offset: int) -> int:
        from bisect import bisect_right
        return max(0, bisect_right(self.starts, offset) - 1)

    def line_at(self, offset: int) -> int:
        return self.blocks[self._block_at(offset)][0] if self.blocks else 1

    def tag_at(self, offset: int) -> str:
        return self.blocks[self._block_at(offset)][1] if self.blocks else ""

    def occurrences(self, piece: str, limit: int = 2) -> list:
        found, start = [], 0
        while len(found) < limit:
            i = self.flat.find(piece, start)
            if i < 0:
                break
            found.append(i)
            start = i + 1
        return found

    def mark(self, start: int, length: int) -> None:
        self.used[start:start + length] = b"\x01" * length

    def place(self, text: str, lo: int = 0, hi: Optional[int] = None) -> tuple:
        """(line, end offset) of `text` found at or after `lo` (before `hi` first, then anywhere after
        `lo`, then anywhere); found in parts of CHUNK characters when not whole; (None, lo) when
        not found at all. Marks what it found as used."""
        piece = squeeze(text)
        if not piece:
            return None, lo
        for a, b in ((lo, hi), (lo, None), (0, None)):
            i = self.flat.find(piece, a, len(self.flat) if b is None else max(a, b))
            if i >= 0:
                self.mark(i, len(piece))
                return self.line_at(i), i + len(piece)
        line, end = None, lo
        for k in range(0, len(piece), CHUNK):
            part = piece[k:k + CHUNK]
            if len(part) < 8 and k:
                break
            i = self.flat.find(part, end)
            if i < 0:
                continue
            self.mark(i, len(part))
            line = self.line_at(i) if line is None else line
            end = i + len(part)
        return line, end

    def left_out(self) -> list:
        """(line, text) of each block with words no placed piece used: only the words left out."""
        out = []
        for (line, _, text), start in zip(self.blocks, self.starts):
            k, runs, run = start, [], []
            for ch in text:
                if not _squeeze_char(ch):
                    if run:
                        run.append(" ")
                    continue
                if self.used[k]:
                    if run:
                        runs.append("".join(run).strip())
                        run = []
                else:
                    run.append(ch)
                k += 1
            if run:
                runs.append("".join(run).strip())
            kept = [r for r in runs if re.search(r"\w", r)]
            if kept:
                out.append((line, " … ".join(" ".join(r.split()) for r in kept)))
        return out


# ---- trafilatura's XML to (tag, text) blocks ----------------------------------------------------

def _text(el) -> str:
    """An element's text with inline markup flattened; <lb/> as a line break."""
    for lb in el.iter("lb"):
        lb.text = "\n"
    return "".join(el.itertext())


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _paragraph_lines(el, tag: str) -> list:
    """A paragraph's lines: one per part between <lb/>s (a <br> in the page)."""
    parts = [_one_line(p) for p in _text(el).split("\n")]
    parts = [p for p in parts if p]
    if tag == "p" and len(parts) == 1 and _bold_only(el) and len(parts[0].split()) <= SUBHEAD_MAX_WORDS \
            and not parts[0].endswith((".", ",", ";", ":")):
        return [("heading", parts[0])]  # a paragraph that is all bold, short and unpunctuated: a subheading
    return [(tag, p) for p in parts]


def _bold_only(el) -> bool:
    """The paragraph's whole text is inside one bold <hi>."""
    kids = [k for k in el if k.tag != "lb"]
    return len(kids) == 1 and kids[0].tag == "hi" and kids[0].get("rend", "") == "#b" \
        and not (el.text or "").strip() and not (kids[0].tail or "").strip()


def _list_lines(el) -> list:
    kind = "ol" if el.get("rend", "") == "ol" else "ul"
    out = []
    for item in el.iter("item"):
        nested = [n for n in item if n.tag == "list"]
        for n in nested:
            item.remove(n)  # its own items follow, from iter()
            item.append(etree.Element("lb"))
        text = _one_line(_text(item))
        if text:
            out.append((kind, text))
    return out


def _quote_lines(el) -> list:
    paras = [p for p in el if p.tag in ("p", "head")]
    texts = [t for p in paras for _, t in _paragraph_lines(p, "quote")] if paras else \
        [_one_line(t) for t in _text(el).split("\n") if t.strip()]
    out = [("quote", t) for t in texts if t]
    if len(out) > 1 and re.match(r"^\s*(?:[–—―]|-{1,2})\s*\S", out[-1][1]) and len(out[-1][1].split()) <= 16:
        out[-1] = ("cite", re.sub(r"^\s*(?:[–—―]|-{1,2})\s*", "", out[-1][1]))
    return out


def _table_lines(el) -> list:
    out = []
    for row in el.iter("row"):
        cells = [c for c in row if c.tag == "cell"]
        if any(len(c) and any(k.tag in ("p", "list", "head", "quote", "table") for k in c) for c in cells):
            for cell in cells:
                out += _container_lines(cell)
            continue
        texts = [_one_line(_text(c)) for c in cells]
        line = CELL_SEPARATOR.join(t for t in texts if t)
        if line:
            out.append(("p", line))
    return out


def _container_lines(el) -> list:
    """(tag, text) of the blocks of a container (the <main> of trafilatura's XML, a cell, a div)."""
    out, loose = [], []

    def flush():
        text = _one_line("".join(loose))
        if text:
            out.append(("p", text))
        loose.clear()

    loose.append(el.text or "")
    for child in el:
        tag = child.tag
        if tag in ("hi", "ref", "del", "lb", "span"):
            loose.append("\n" if tag == "lb" else _text(child))
        else:
            flush()
            if tag == "head":
                text = _one_line(_text(child))
                if text:
                    out.append(("heading", text))
            elif tag == "p" or tag == "code":
                out += _paragraph_lines(child, "p")
            elif tag == "list":
                out += _list_lines(child)
            elif tag == "quote":
                out += _quote_lines(child)
            elif tag == "table":
                out += _table_lines(child)
            elif tag != "graphic":
                out += _container_lines(child)
        loose.append(child.tail or "")
    flush()
    return out


# ---- the page --------------------------------------------------------------------------------

def _names(author: str) -> str:
    """trafilatura's "A; B; C" as "A, B and C"."""
    names = [n.strip() for n in author.split(";") if n.strip()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _same(a: str, b: str) -> bool:
    return squeeze(a).casefold() == squeeze(b).casefold()


def _title_place(text: PageText, title: str, fallback: int) -> int:
    """The line of the headline: where the page shows it in a heading, else where it shows it at all,
    else the line of its <title>/<meta> (`fallback`)."""
    piece = squeeze(title)
    hits = text.occurrences(piece, limit=50) if piece else []
    best = next((i for i in hits if text.tag_at(i) in HEADINGS), hits[0] if hits else None)
    if best is None:
        return fallback
    text.mark(best, len(piece))
    return text.line_at(best)


def _meta_line(tree) -> int:
    found = tree.xpath("//head/title|//meta[@property='og:title']")
    return (found[0].sourceline or 1) if found else 1


def _byline_place(text: PageText, name: str) -> Optional[int]:
    """Where the page shows the author's name in a short block of its own ("By Jane Doe")."""
    piece = squeeze(name)
    for i in text.occurrences(piece, limit=20) if piece else []:
        block = text._block_at(i)
        if len(squeeze(text.blocks[block][2])) <= len(piece) + 20:
            text.mark(i, len(piece))
            return text.line_at(i)
    return None


def _extract(tree) -> Optional[etree._Element]:
    import trafilatura
    xml = trafilatura.extract(tree, **EXTRACT_OPTIONS)
    return etree.fromstring(xml.encode("utf-8")) if xml else None


def read_page(markup: str) -> Page:
    """The article of a saved page as tagged, numbered Lines, with what the page shows that was left out."""
    from trafilatura import load_html
    tree = load_html(markup)
    if tree is None:
        return _own_reader(markup)
    text = PageText(tree.find("body") if tree.find("body") is not None else tree)
    doc = _extract(tree)
    main = doc.find("main") if doc is not None else None
    blocks = _container_lines(main) if main is not None else []
    if not blocks:
        return _own_reader(markup, text)
    lines: list = []
    title = _one_line(doc.get("title") or "")
    if title and blocks[0][0] == "heading" and _same(blocks[0][1], title):
        blocks = blocks[1:]  # the headline, as the title
    if not title and blocks[0][0] == "heading":
        title, blocks = blocks[0][1], blocks[1:]
    title = title or _one_line(tree.findtext(".//head/title") or "")
    if title:
        lines.append(Line(_title_place(text, title, _meta_line(tree)), title, "title"))
    else:  # no headline anywhere: the first block opens the story (structure titles it), the metadata after it
        first, blocks = blocks[0], blocks[1:]
        line, _ = text.place(first[1])
        lines.append(Line(line or 1, first[1], first[0]))
    site, date = _one_line(doc.get("sitename") or ""), doc.get("date") or ""
    if date:
        lines.append(Line(lines[0].number if lines else 1, f"{site}, {date}" if site else date, "dateline"))
    author = _one_line(doc.get("author") or "")
    if author and not _same(author, site):
        name = _names(author)
        lines.append(Line(_byline_place(text, name) or (lines[0].number if lines else 1), name, "byline"))
    cursor = 0
    anchors = _anchors(text, blocks)
    for k, (tag, body) in enumerate(blocks):
        hi = next((a for j, a in anchors if j > k), None)
        line, cursor = text.place(body, cursor, hi)
        lines.append(Line(line or text.line_at(cursor), body, tag))
    return Page(tuple(lines), tuple(text.left_out()), "trafilatura")


def _anchors(text: PageText, blocks: list) -> list:
    """(index, offset) of the blocks found exactly once in the page and long enough to be sure: a short
    piece ("Share", a one-word heading) is looked for between them, not wherever it first appears."""
    out = []
    for k, (_, body) in enumerate(blocks):
        piece = squeeze(body)
        if len(piece) >= 40:
            hits = text.occurrences(piece)
            if len(hits) == 1:
                out.append((k, hits[0]))
    # keep them in page order: an anchor before an earlier one says the extractor reordered
    kept, last = [], -1
    for k, at in out:
        if at > last:
            kept.append((k, at))
            last = at
    return kept


def _own_reader(markup: str, text: Optional[PageText] = None) -> Page:
    """pubpipe's own reader (`pubpipe.htmlsource`), when trafilatura finds nothing."""
    from .htmlsource import html_lines
    lines = html_lines(markup)
    if text is not None:
        for line in lines:
            text.place(line.text)
    return Page(lines, tuple(text.left_out()) if text is not None else (), "html-reader")
