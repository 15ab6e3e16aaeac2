"""The cover of the web output: the EPUB's cover, scaled for the readers' page and og:image.

``pubpipe.render.epub.book.cover_png`` draws the cover once for every target; the web writes it, scaled to
COVER_WIDTH pixels wide, as ``web/cover.png``.
"""

import io
from functools import lru_cache

from pubpipe.model import Anthology

COVER_WIDTH = 640
"""Width in pixels of ``web/cover.png`` (enough for a 240 px wide cover on a 2x screen)."""


def cover_image(anthology: Anthology) -> bytes:
    """The EPUB's cover (``pubpipe.render.epub.book.cover_png``) scaled to COVER_WIDTH pixels wide, as PNG."""
    return _cover(anthology.title, anthology.subtitle, anthology.publisher, anthology.language,
                  anthology.author, anthology.editor)


@lru_cache(maxsize=4)
def _cover(title: str, subtitle: str | None, publisher: str | None, language: str,
           author: str | None = None, editor: str | None = None) -> bytes:
    from PIL import Image

    from pubpipe.render.epub.book import cover_png
    facts = Anthology(title=title, stories=(), subtitle=subtitle, publisher=publisher, language=language,
                      author=author, editor=editor)
    image = Image.open(io.BytesIO(cover_png(facts)))
    height = round(image.height * COVER_WIDTH / image.width)
    out = io.BytesIO()
    image.convert("RGB").resize((COVER_WIDTH, height), Image.LANCZOS).save(out, "PNG", optimize=True)
    return out.getvalue()


def cover_facts(anthology: Anthology, png: bytes) -> dict:
    """What the templates need to show ``cover.png``: its size and a text alternative."""
    from PIL import Image
    width, height = Image.open(io.BytesIO(png)).size
    alt = f"Cover of {anthology.title}" + (f": {anthology.subtitle}" if anthology.subtitle else "")
    credit = anthology.author or (f"edited by {anthology.editor}" if anthology.editor else "")
    alt += f", {'by ' + credit if anthology.author else credit}" if credit else ""
    return {"src": "cover.png", "width": width, "height": height, "alt": alt}


__all__ = ["COVER_WIDTH", "cover_image", "cover_facts"]
