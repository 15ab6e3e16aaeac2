"""The cover of the EPUB (and, scaled, of the web pages): the PDF booklet's cover (styles/book.css)
drawn with Pillow in the same fonts, colours and places, so the three look like one book.

The title is set in Inter bold, the subtitle in Literata italic, the publisher in Inter (the
fontpkg variable fonts the PDF booklet embeds); text those fonts cannot show (Korean, other CJK)
falls back to Noto CJK.
"""

from __future__ import annotations

import io
import threading
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from pubpipe.model import Anthology

COVER_SIZE = (1600, 2560)
"""Width and height of the cover in pixels (the 1:1.6 most stores ask for)."""
DEFAULT_PUBLISHER = "pubpipe"
"""Who certifies the EPUB's accessibility (``a11y:certifiedBy``) when ``anthology.toml`` names no
publisher: the tool that made it. Never shown as the book's author or publisher."""


def publisher_name(anthology: Anthology) -> str:
    """The anthology's publisher, or DEFAULT_PUBLISHER (for ``a11y:certifiedBy`` only)."""
    return anthology.publisher or DEFAULT_PUBLISHER


def cover_credit(anthology: Anthology) -> str:
    """Who the cover names under the title: the author, else "Edited by" the editor; else nothing."""
    return anthology.author or (f"Edited by {anthology.editor}" if anthology.editor else "")


MM = COVER_SIZE[0] / 148
"""Pixels per millimetre of the A5 cover (148 mm wide) the PDF booklet opens with."""
PT = MM * 25.4 / 72 * 1.25
"""Pixels per point of type: the PDF cover's sizes, a quarter larger (a cover is often seen small)."""
INK, RULE, SUBTITLE, BACKGROUND = (244, 239, 230), (217, 164, 65), (228, 220, 205), (31, 43, 61)
"""The PDF cover's colours (styles/book.css: #f4efe6, #d9a441, #e4dccd, --cover #1f2b3d)."""


_DRAWN: dict = {}
"""Covers drawn in this process, by what they show (`_shown`): the EPUB and the web pages of a build
each ask for the same cover, from two tasks at once (drawing and compressing 1600x2560 pixels: a
quarter of a second of CPU, while the book is laid out)."""
_DRAWING = threading.Lock()


def _shown(anthology: Anthology) -> tuple:
    """All the cover shows of ``anthology`` (`_draw` reads nothing else of it)."""
    return anthology.title, anthology.subtitle, anthology.author, anthology.editor, anthology.publisher


def cover_png(anthology: Anthology) -> bytes:
    """A 1600x2560 PNG cover in the PDF booklet's design (`_draw`), drawn once in a process for what
    it shows; a second caller meanwhile waits for the first's."""
    key = _shown(anthology)
    with _DRAWING:
        png = _DRAWN.get(key)
        if png is None:
            png = _draw(anthology)
            if len(_DRAWN) >= 4:
                _DRAWN.clear()
            _DRAWN[key] = png
    return png


def _draw(anthology: Anthology) -> bytes:
    """The cover (`cover_png`): the dark ground, a gold rule over the title set left in Inter bold,
    the subtitle in Literata italic, the author (or editor) in Inter, the publisher (when there is
    one: never the tool) in spaced gold capitals at the foot (styles/book.css, ``.cover``)."""
    width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, BACKGROUND)
    draw = ImageDraw.Draw(image)
    left, measure = round(18 * MM), round((148 - 36) * MM * 0.85)
    y = round(height * 52 / 210)
    draw.rectangle((left, y, left + measure, y + max(2, round(1.2 * PT))), fill=RULE)
    y += round(7 * MM)
    for size in (30, 26, 22, 19, 16):
        font = _font("title", round(size * PT), anthology.title)
        lines = _wrap(draw, anthology.title, font, measure)
        if len(lines) <= 4:
            break
    y = _draw_lines(draw, lines, font, left, y, INK, 1.08)
    if anthology.subtitle:
        font = _font("italic", round(14 * PT), anthology.subtitle)
        y = _draw_lines(draw, _wrap(draw, anthology.subtitle, font, round((148 - 36) * MM)), font, left,
                        y + round(6 * MM), SUBTITLE, 1.3)
    credit = cover_credit(anthology)
    if credit:  # styles/book.css .cover-author: Inter 600 11pt, 10 mm below
        font = _font("sans", round(11 * PT), credit)
        y = _draw_lines(draw, _wrap(draw, credit, font, round((148 - 36) * MM)), font, left,
                        y + round(10 * MM), (244, 239, 228), 1.3)
    if anthology.publisher:
        publisher = anthology.publisher.upper()
        font = _font("sans", round(8 * PT), publisher)
        _draw_spaced(draw, publisher, font, left, height - round(18 * MM) - font.size, RULE, 0.22)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


def _draw_spaced(draw, text: str, font, x: int, y: int, fill, tracking: float) -> None:
    """One line with letter-spacing (``tracking`` em after each character), as CSS sets it."""
    for char in text:
        draw.text((x, y), char, font=font, fill=fill)
        x += draw.textlength(char, font=font) + tracking * font.size


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> list:
    """Greedy line breaking at spaces (or between characters for words too wide)."""
    lines, line = [], ""
    for word in text.split():
        pieces = [word] if draw.textlength(word, font=font) <= width else list(word)
        for piece in pieces:
            glue = " " if line and piece is word else ""
            if line and draw.textlength(line + glue + piece, font=font) > width:
                lines.append(line)
                line = piece
            else:
                line += glue + piece
    return lines + [line] if line else lines


def _draw_lines(draw, lines: list, font, x: int, y: int, fill, leading: float = 1.22) -> int:
    """Draw lines set left at ``x`` from ``y`` down; return the y under the last one."""
    step = int(font.size * leading)
    for line in lines:
        draw.text((x, y), line, font=font, fill=fill)
        y += step
    return y


def _font(kind: str, size: int, text: str) -> ImageFont.FreeTypeFont:
    """Literata (serif, italic) or Inter (sans, bold title) at ``size``; Noto CJK when they lack a glyph."""
    import fontpkg_inter
    import fontpkg_literata
    path, axes = {
        "serif": (fontpkg_literata.ROOT / "files" / "Literata[opsz,wght].ttf", [72, 650]),
        "title": (fontpkg_inter.ROOT / "files" / "Inter[opsz,wght].ttf", [32, 700]),
        "italic": (fontpkg_literata.ROOT / "files" / "Literata-Italic[opsz,wght].ttf", [48, 400]),
        "sans": (fontpkg_inter.ROOT / "files" / "Inter[opsz,wght].ttf", [32, 600]),
    }[kind]
    if all(ord(c) in _cmap(str(path)) for c in text if not c.isspace()):
        font = ImageFont.truetype(str(path), size)
        font.set_variation_by_axes(axes)
        return font
    style = "Sans" if kind in ("sans", "title") else "Serif"
    cjk = Path(f"/usr/share/fonts/opentype/noto/Noto{style}CJK-Bold.ttc")
    return ImageFont.truetype(str(cjk if cjk.exists() else path), size)


@lru_cache(maxsize=8)
def _cmap(path: str) -> frozenset:
    from fontTools.ttLib import TTFont
    return frozenset(TTFont(path, lazy=True).getBestCmap())
