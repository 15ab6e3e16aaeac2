"""How many pages the front matter will take, worked out before it is laid out (issue 19).

The contents print every story's page number, which depends on the front matter's own length, so
`pubpipe.render.pdf.parts.front_matter` lays the front matter out with the numbers a *guess* of its
length gives, and again if the guess was wrong. A fixed guess (a dozen entries a page) was wrong on
every book measured — the entries are one to three lines and a byline each — so the front matter was
laid out twice, after all the parts, on the build's critical path.

Here the contents are set as book.css sets them, line by line: each title broken into lines at its
spaces by its width in Literata at 10.5 pt (Pillow's FreeType + HarfBuzz (raqm) advances, kerned,
as WeasyPrint measures them) short of the page number's column, the byline below in Inter 7.5 pt, the
entries stacked on A5 pages without being split (``break-inside: avoid``). It is a model, not
WeasyPrint's layout: a title whose last line is within a few points of full may break otherwise.
A guess that is wrong costs only the second layout it always cost; a guess off by one that lands the
stories on the same pages (an even front matter one page longer is padded to the same recto)
counts as right (`pubpipe.render.pdf.parts.front_matter`). The constants below are book.css's:
change them with it (tests/test_frontguess.py compares the guess with WeasyPrint's layout).
(No library estimates a CSS layout's length short of laying it out.)
"""

import unicodedata
from functools import lru_cache

import fontpkg_inter
import fontpkg_literata
from fontTools.ttLib import TTFont
from PIL import ImageFont

from pubpipe.model import Anthology
from pubpipe.render import labels

MM = 72 / 25.4
"""Points per millimetre."""
BODY = (210 - 20 - 21.1) * MM
"""The height of an A5 page's text area (book.css ``@page``)."""
WIDTH = (148 - 20 - 16) * MM
"""Its width."""
CONTENTS_HEAD = 18 * MM + 8 + 12 * MM
"""The contents' first page: its padding, the "Contents" title (8 pt/1) and its margin."""
TITLE_SIZE, TITLE_LINE = 10.5, 10.5 * 1.45
"""A contents title: Literata 10.5 pt, on the root's line height (1.45)."""
TITLE_WIDTH = WIDTH - 2.3 * 10
"""The width a title wraps to, on every line of it: the entry's own, short of the page number's
column (``.toc-entry a``'s right padding, 2.3 em of 10 pt: three tabular old-style figures of
10.5 pt Literata, 18.4 pt, and a space)."""
TITLE_TAIL = 0.35 * TITLE_SIZE
"""The space after a title's last word, before the dots (``.toc-title``'s right padding)."""
META_SIZE, META_LINE, META_GAP = 7.5, 7.5 * 1.4, 0.6 * MM
"""The byline under a title: Inter 7.5 pt on 1.4, 0.6 mm below it."""
ENTRY_GAP, BACK_GAP = 4.5 * MM, (7 - 4.5) * MM
"""Below every entry; what the colophon's entry adds above it (``.toc-back``'s 7 mm margin
collapses with the 4.5 mm below the entry before it)."""
LEADING_PAGES = 3
"""Cover, imprint, title page: the contents open on page 4."""


@lru_cache(maxsize=4)
def _font(package, name: str):
    """(Pillow font at 1000 units, the characters it has), at the font's default location: WeasyPrint
    70 lays text out with the default instance's advances (measured: Literata at 10.5 pt sets as at
    its default optical size, 12), whatever instance it then embeds."""
    path = package.ROOT / "files" / name
    font = ImageFont.truetype(str(path), 1000)
    with TTFont(path, lazy=True) as ttf:
        return font, frozenset(ttf.getBestCmap())


def _width(text: str, font, size: float) -> float:
    """``text``'s width in points at ``size``: what the font has, by its advances; CJK (wide)
    characters it lacks one em each (Noto CJK), others half an em (a fallback font's guess)."""
    pil, has = font
    own = "".join(c for c in text if ord(c) in has)
    others = sum(1.0 if unicodedata.east_asian_width(c) in "WF" else 0.5 for c in text if ord(c) not in has)
    return (pil.getlength(own) / 1000 + others) * size


def lines(text: str, font, size: float, width: float, tail: float = 0.0) -> int:
    """How many lines ``text`` takes broken at its spaces to ``width`` points, ``tail`` points more
    after its last word; a word longer than a line takes lines of its own."""
    words = text.split()
    if not words:
        return 1
    space = _width(" ", font, size)
    count, used = 1, 0.0
    for index, word in enumerate(words):
        need = _width(word, font, size) + (tail if index == len(words) - 1 else 0.0)
        if used and used + space + need > width:
            count, used = count + 1, 0.0
        used = need if not used else used + space + need
        while used > width and need > width:  # an unbreakable run: on as many lines as it needs
            count, used, need = count + 1, used - width, need - width
    return count


def entry_heights(anthology: Anthology, colophon: bool) -> list:
    """The height in points of each contents entry (margin below included), in order."""
    return list(_heights(tuple((story.title, labels.contents_meta(story, anthology)) for story in anthology.stories),
                         colophon))


@lru_cache(maxsize=4)
def _heights(entries: tuple, colophon: bool) -> tuple:
    """`entry_heights` of the (title, byline) of each entry: kept, since the build asks twice for the
    same contents — the front matter's length (`front_pages`) while the parts are laid out, then where
    to `split` it, after the last part, on the critical path (Pillow measures ~1,000 words at 100
    stories in ~85 ms)."""
    title_font = _font(fontpkg_literata, "Literata[opsz,wght].ttf")
    meta_font = _font(fontpkg_inter, "Inter[opsz,wght].ttf")
    heights = []
    for title, meta in entries:
        height = lines(title, title_font, TITLE_SIZE, TITLE_WIDTH, TITLE_TAIL) * TITLE_LINE
        if meta:
            height += META_GAP + lines(meta, meta_font, META_SIZE, WIDTH) * META_LINE
        heights.append(height + ENTRY_GAP)
    if colophon:
        heights.append(BACK_GAP + lines("Sources and credits", title_font, TITLE_SIZE, TITLE_WIDTH, TITLE_TAIL) * TITLE_LINE
                       + ENTRY_GAP)
    return tuple(heights)


def contents_pages(heights: list) -> int:
    """Pages the entries fill, none split across two, the first page below the contents' title."""
    return len(page_openings(heights))


def page_openings(heights: list) -> list:
    """The index of the entry that opens each page of the contents (`contents_pages`' breaks)."""
    openings, room, empty = [0], BODY - CONTENTS_HEAD, True
    for index, height in enumerate(heights):
        if height - ENTRY_GAP > room and not empty:  # the margin below may run past the page's end
            openings.append(index)
            room = BODY
        room, empty = room - height, False
    return openings


LEADING_COST, DOCUMENT_COST = 22, 13
"""What laying out the cover, imprint and title page costs, and a document's start, in contents
entries' worth (WeasyPrint 70 on this machine, the 100-story book's contents split at each of its
pages: ~0.11 s and ~0.06 s, an entry ~4.9 ms)."""
SPLIT_FROM = 3
"""Contents of this many pages or more are laid out in two documents side by side (`split`)."""


def split(anthology: Anthology, colophon: bool) -> tuple | None:
    """(story, contents pages before it): the contents entry at which the front matter of
    ``anthology`` is best laid out as two documents side by side, its first pages and the rest of
    the contents (`pubpipe.render.pdf.reading.lay_out_front`): the opening of a page, as the model
    breaks the contents, where the two take about as long; None for contents shorter than
    `SPLIT_FROM` pages. (Where the model breaks a page otherwise than WeasyPrint, the first
    document says so, and the front matter is laid out whole.)"""
    stories = len(anthology.stories)
    openings = page_openings(entry_heights(anthology, colophon))
    candidates = [(at, page) for page, at in enumerate(openings) if 0 < at < stories]  # (a story's entry)
    if len(openings) < SPLIT_FROM or not candidates:
        return None
    entries = stories + bool(colophon)
    return min(candidates, key=lambda c: max(LEADING_COST + c[0] + 1, DOCUMENT_COST + entries - c[0]))


def front_pages(anthology: Anthology, colophon: bool) -> int:
    """The guess: pages of the front matter of ``anthology`` (its contents, `contents_of`), whose
    colophon is at the back (``colophon``: the contents list it too)."""
    return LEADING_PAGES + contents_pages(entry_heights(anthology, colophon))
