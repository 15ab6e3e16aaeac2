"""The cover of the EPUB (and, scaled, of the web pages): drawn with Pillow in the booklet's fonts.

Title and subtitle are set in Literata, the publisher in Inter (the fontpkg variable fonts the
PDF booklet embeds); text those fonts cannot show (Korean, other CJK) falls back to Noto CJK.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from .model import Anthology

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


def cover_png(anthology: Anthology) -> bytes:
    """A 1600x2560 PNG cover: title and subtitle in Literata, the author (or editor) and the
    publisher, when there are any, in Inter."""
    width, height = COVER_SIZE
    image = Image.new("RGB", COVER_SIZE, (28, 42, 58))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 36), fill=(196, 154, 84))
    y = 560
    for size in (170, 150, 130, 110, 96):
        font = _font("serif", size, anthology.title)
        lines = _wrap(draw, anthology.title, font, width - 280)
        if len(lines) <= 4:
            break
    y = _draw_lines(draw, lines, font, y, (248, 244, 234))
    y += 80
    draw.rectangle((width // 2 - 120, y, width // 2 + 120, y + 8), fill=(196, 154, 84))
    if anthology.subtitle:
        font = _font("italic", 84, anthology.subtitle)
        y = _draw_lines(draw, _wrap(draw, anthology.subtitle, font, width - 320), font, y + 110,
                        (222, 214, 196))
    credit = cover_credit(anthology)
    if credit:
        font = _font("sans", 72, credit)
        _draw_lines(draw, _wrap(draw, credit, font, width - 320), font, max(y + 120, height - 620), (248, 244, 234))
    if anthology.publisher:
        font = _font("sans", 60, anthology.publisher)
        _draw_lines(draw, _wrap(draw, anthology.publisher, font, width - 320), font, height - 300, (196, 154, 84))
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


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


def _draw_lines(draw, lines: list, font, y: int, fill) -> int:
    """Draw centred lines from ``y`` down; return the y under the last one."""
    step = int(font.size * 1.22)
    for line in lines:
        draw.text((COVER_SIZE[0] // 2, y), line, font=font, fill=fill, anchor="ma")
        y += step
    return y


def _font(kind: str, size: int, text: str) -> ImageFont.FreeTypeFont:
    """Literata (serif, italic) or Inter (sans) at ``size``; Noto CJK when they lack a glyph."""
    import fontpkg_inter
    import fontpkg_literata
    path, axes = {
        "serif": (fontpkg_literata.ROOT / "files" / "Literata[opsz,wght].ttf", [72, 650]),
        "italic": (fontpkg_literata.ROOT / "files" / "Literata-Italic[opsz,wght].ttf", [48, 400]),
        "sans": (fontpkg_inter.ROOT / "files" / "Inter[opsz,wght].ttf", [32, 600]),
    }[kind]
    if all(ord(c) in _cmap(str(path)) for c in text if not c.isspace()):
        font = ImageFont.truetype(str(path), size)
        font.set_variation_by_axes(axes)
        return font
    style = "Sans" if kind == "sans" else "Serif"
    cjk = Path(f"/usr/share/fonts/opentype/noto/Noto{style}CJK-Bold.ttc")
    return ImageFont.truetype(str(cjk if cjk.exists() else path), size)


@lru_cache(maxsize=8)
def _cmap(path: str) -> frozenset:
    from fontTools.ttLib import TTFont
    return frozenset(TTFont(path, lazy=True).getBestCmap())
