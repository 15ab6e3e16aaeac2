"""Pieces of the folio sheet, laid out once per style and font version and kept (issue 19).

The folio sheet (`pubpipe.render.pdf.parts`) is one empty page per page of the book, each with only
the folio book.css gives it: page 201 of every book in a language is the same page. Laying it out
cost WeasyPrint ~4–5 ms a page (350 pages: 1.4 s of CPU, on the critical path after the last part:
the front matter waited for it). Like the fonts' static instances (`fontcache`), a piece is now laid
out once and kept in the user's cache folder (``$XDG_CACHE_HOME/pubpipe/folio-sheets``, by default
``~/.cache``), named by a digest of what its bytes depend on: pubpipe's code, styles and fonts
(`pubpipe.cache.code_version`), the system's fonts, WeasyPrint's version, SOURCE_DATE_EPOCH, the
book's language and the piece's first page and length.

So that a piece can be used by books of different lengths, its length is rounded up to `ROUND`
pages (the assembly draws folios from the sheet's first pages and ignores the rest). A file is
written to a temporary name and renamed, so two builds at once each see a whole piece or none; a
kept file that is not a PDF of as many pages is laid out again and replaced; a cache that cannot be
written costs only the time.
"""

import hashlib
import os
import tempfile
from io import BytesIO
from pathlib import Path

from pikepdf import Pdf, PdfError

from pubpipe import dates
from pubpipe.cache import code_version, system_fonts
from pubpipe.cache import user_cache, weasyprint_version

FORMAT = 1
"""Raise when what is kept changes shape: old files are then never read."""
ROUND = 50
"""A piece's length is rounded up to a multiple of this (within the piece's size): the last piece of
a book of 350 pages is kept as 150 pages, of 330 as 150 too."""


def cache_folder() -> Path:
    return user_cache() / "folio-sheets"


def rounded(pieces: list, size: int) -> list:
    """``pieces`` ((first page, pages), `pubpipe.render.pdf.parts.sheet_pieces` with pieces of
    ``size``) with each length rounded up to `ROUND` pages, at most ``size`` (an even ``size``: every
    piece still opens on a recto)."""
    return [(first, min(size, -(-count // ROUND) * ROUND)) for first, count in pieces]


def key(language: str, first: int, pages: int) -> str:
    # SOURCE_DATE_EPOCH too: the fonts' static instances embedded in a piece are stamped with it
    # (`fontcache`), and a reproducible book must not depend on when its pieces were kept.
    spec = (f"{FORMAT}|{code_version()}|{system_fonts()}|{weasyprint_version()}|{dates.epoch_text()}|{language}|"
            f"{first}|{pages}")
    return hashlib.sha256(spec.encode()).hexdigest()[:32]


def _whole(data: bytes, pages: int) -> bool:
    """Whether ``data`` is a PDF of ``pages`` pages."""
    try:
        with Pdf.open(BytesIO(data)) as pdf:
            return len(pdf.pages) == pages
    except (PdfError, ValueError):
        return False


def kept(language: str, first: int, pages: int) -> bytes | None:
    """The kept piece of ``pages`` pages numbered from ``first``, if one is kept whole."""
    try:
        data = (cache_folder() / f"{key(language, first, pages)}.pdf").read_bytes()
    except OSError:
        return None
    return data if _whole(data, pages) else None


def keep(language: str, first: int, pages: int, data: bytes) -> None:
    """Keep ``data`` as the piece of ``pages`` pages from ``first`` (nothing if it cannot be written)."""
    folder = cache_folder()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".piece-", suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, folder / f"{key(language, first, pages)}.pdf")
    except OSError:
        try:
            os.unlink(temporary)
        except OSError:
            pass


def piece(language: str, first: int, pages: int, lay_out) -> bytes:
    """The piece of ``pages`` pages from ``first``: kept, else ``lay_out(first, pages)`` and kept."""
    data = kept(language, first, pages)
    if data is None:
        data = lay_out(first, pages)
        keep(language, first, pages, data)
    return data
