"""The text a saved page shows, block by block, with the source line of each: where an extracted
piece of text came from, and what the page shows that no piece used.

A page's text is read in document order into blocks (a run of text between block elements such as
``<p>``, ``<li>``, ``<div>``, ``<br>``); pieces are found in it without spaces (`squeeze`), so the
spacing an extractor put between inline elements does not matter. Used by `pubpipe.read.webpage`.
"""

import re
import unicodedata
from bisect import bisect_right
from dataclasses import dataclass
from typing import Optional

from pubpipe.read.lines import INVISIBLE

# Not text a reader sees on the page: never listed as left out.
UNSEEN = {"head", "script", "style", "noscript", "template", "title", "meta", "link", "svg", "math", "iframe",
          "object", "embed", "canvas", "video", "audio", "picture", "source", "img"}
# Elements that start a new block of text (a boundary for what is listed as left out).
BLOCK_TAGS = {"address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl", "dt",
              "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
              "hr", "li", "main", "nav", "ol", "p", "pre", "section", "summary", "table", "tbody", "thead",
              "tfoot", "tr", "td", "th", "ul", "br", "button", "option", "select", "label", "caption", "menu",
              "center", "textarea", "input"}
BOLD = {"b", "strong"}
ITALIC = {"i", "em"}
HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
CHUNK = 24
"""Characters (without spaces) of an extracted piece looked for at a time when it is not found whole."""


SPACE = re.compile(r"\s|" + INVISIBLE.pattern)


def squeeze(text: str) -> str:
    """Text without spaces or invisible characters, NFC: how a piece is found in the page whatever
    spacing the extractor put between inline elements."""
    return SPACE.sub("", unicodedata.normalize("NFC", text))


@dataclass
class TextBlock:
    """A run of the page's text between block boundaries (an element such as <p>, <li>, <div>, <br>)."""

    line: int
    """Source line of the element its first text belongs to."""
    tag: str
    """The innermost block element around it (p, li, h2, div…)."""
    text: str
    """Its text as the page has it (NFC)."""
    bold: bool = False
    """All of it is inside <b> or <strong>."""


class PageText:
    """The text a reader sees on a page, block by block, with each block's source line.

    `place` finds an extracted piece of text in it (marking it used) and says which line it came
    from; `left_out` lists the blocks, or the parts of blocks, no piece used."""

    def __init__(self, root) -> None:
        self.emphasis: list = []
        """Per character of `flat`: the kinds of emphasis ("em", "strong") the page sets it in."""
        self.blocks: list = self._walk(root, self.emphasis)
        flats = [squeeze(b.text) for b in self.blocks]
        self.starts = [0]
        for flat in flats:
            self.starts.append(self.starts[-1] + len(flat))
        self.flat = "".join(flats)
        self.used = bytearray(len(self.flat))

    @staticmethod
    def _walk(root, emphasis: list) -> list:
        """The blocks of text under `root` in reading order (no recursion: pages nest deep); the
        emphasis of each character of their squeezed text is added to `emphasis`."""
        blocks: list = []
        tags: list = []
        parts: list = []  # (text, line, in bold) of the block being read
        kinds: list = []  # the emphasis of each part
        bold = italic = 0

        def cut():
            text = unicodedata.normalize("NFC", "".join(t for t, _, _ in parts))
            if text.strip():
                seen = [b for t, _, b in parts if t.strip()]
                blocks.append(TextBlock(next(n for t, n, _ in parts if t.strip()) or 1, tags[-1] if tags else "",
                                        text, all(seen)))
                flags = [k for (t, _, _), k in zip(parts, kinds) for _ in squeeze(t)]
                length = len(squeeze(text))
                emphasis.extend(flags if len(flags) == length else [frozenset()] * length)
            parts.clear()
            kinds.clear()

        def add(text, line):
            parts.append((text, line, bold > 0))
            kinds.append(frozenset(k for k, n in (("strong", bold), ("em", italic)) if n))

        stack = [("open", root)]
        while stack:
            what, el = stack.pop()
            if what == "tail":
                add(el.tail, el.sourceline)
                continue
            tag = el.tag.lower() if isinstance(el.tag, str) else ""
            if what == "close":
                if tag in BOLD:
                    bold -= 1
                if tag in ITALIC:
                    italic -= 1
                if tag in BLOCK_TAGS:
                    cut()
                    tags.pop()
                continue
            if el.tail:
                stack.append(("tail", el))
            if not tag or tag in UNSEEN:
                continue
            if tag in BLOCK_TAGS:
                cut()
                tags.append(tag)
            bold += tag in BOLD
            italic += tag in ITALIC
            stack.append(("close", el))
            if el.text:
                add(el.text, el.sourceline)
            stack.extend(("open", child) for child in reversed(el))
        cut()
        return blocks

    def fresh(self) -> "PageText":
        """The same page's text with nothing placed in it yet: a second reading of the page marks its
        own pieces (`place`) and lists its own left-out blocks."""
        other = PageText.__new__(PageText)
        other.__dict__.update(self.__dict__)
        other.used = bytearray(len(self.flat))
        return other

    def as_lines(self) -> tuple:
        """(lines, blocks): the page's text as a scraper dump has it (one block a line, a blank line
        after each: the form `pubpipe.recover`'s line model was trained on), and the index in
        `blocks` of each of those lines (None for the blank ones)."""
        lines, where = [], []
        for k, block in enumerate(self.blocks):
            text = " ".join(block.text.split())
            if text:
                lines += [text, ""]
                where += [k, None]
        return lines, where

    def blocks_of(self, start: int, end: int) -> tuple:
        """(first, last) index of the blocks [start, end) of the flat text runs over."""
        return self.block_at(start), self.block_at(max(start, end - 1))

    def block_at(self, offset: int) -> int:
        """Index of the block holding `offset` of the flat text."""
        return max(0, min(len(self.blocks) - 1, bisect_right(self.starts, offset) - 1))

    def line_at(self, offset: int) -> int:
        return self.blocks[self.block_at(offset)].line if self.blocks else 1

    def tag_at(self, offset: int) -> str:
        return self.blocks[self.block_at(offset)].tag if self.blocks else ""

    def whole_block(self, start: int, end: int) -> Optional[TextBlock]:
        """The block that [start, end) of the flat text is exactly, or None."""
        k = self.block_at(start)
        return self.blocks[k] if self.blocks and self.starts[k] == start and self.starts[k + 1] == end else None

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
        """(line, start, end) of `text` in the page, looked for at or after `lo` before `hi`, then
        anywhere after `lo`, then anywhere; in parts of CHUNK characters when not found whole
        (start None then); (None, None, lo) when not found at all. Marks what it found as used."""
        piece = squeeze(text)
        if not piece or not self.blocks:
            return None, None, lo
        for a, b in ((lo, hi), (lo, None), (0, None)):
            i = self.flat.find(piece, a, len(self.flat) if b is None else max(a, b))
            if i >= 0:
                self.mark(i, len(piece))
                return self.line_at(i), i, i + len(piece)
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
        return line, None, end

    def left_out(self) -> list:
        """(line, text) of each block with words no placed piece used: only the words left out."""
        out = []
        for k, block in enumerate(self.blocks):
            start, end = self.starts[k], self.starts[k + 1]
            used = self.used[start:end]
            if 0 not in used:
                continue
            if 1 not in used:
                if re.search(r"\w", block.text):
                    out.append((block.line, " ".join(block.text.split())))
                continue
            at, runs, run = start, [], []
            for ch in block.text:
                if SPACE.match(ch):
                    if run:
                        run.append(" ")
                    continue
                if self.used[at]:
                    if run:
                        runs.append("".join(run))
                        run = []
                else:
                    run.append(ch)
                at += 1
            runs.append("".join(run))
            kept = [" ".join(r.split()) for r in runs if re.search(r"\w", r)]
            if kept:
                out.append((block.line, " … ".join(kept)))
        return out


def anchors(text: PageText, texts: list) -> list:
    """(index, offset) of the `texts` found exactly once in the page and long enough to be sure, in
    page order: a short piece ("Share", a one-word heading) is looked for between them, not wherever
    it first appears."""
    out = []
    for k, body in enumerate(texts):
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
