"""Static instances of the variable fonts, made once per font version and kept (issue 19).

Literata and Inter are variable fonts (weight and optical-size axes). A PDF embeds static fonts, so
WeasyPrint 70 (``weasyprint.pdf.fonts.Font.clean``), for every font, style and size a document uses,
first subsets the variable font to the glyphs used, then makes a static instance of that subset
with fontTools' instancer (pure Python: about 0.1 s each, six or more per part of the book, the
front matter and the folio sheet: ~0.7 s of every part, in every build).

Here the order is turned round: the static instance of the *whole* font at that location (its
layout tables GSUB and GPOS left out: WeasyPrint's subsetter drops them from the PDF anyway) is
made once and kept — in this process, and on disk in the user's cache folder
(``$XDG_CACHE_HOME/pubpipe/font-instances``, by default ``~/.cache``), named by a digest of the
font file, the location (clamped to the font's axes, as the instancer clamps it) and the fontTools
version — and each document subsets that instance with HarfBuzz (C, retaining the glyph ids, which
an instance keeps). Making one takes 0.6–0.9 s CPU (once per font version and location, about a
dozen for the book); using one a few milliseconds. A file is written to a temporary name and renamed,
so two builds at once each see a whole instance or none; a cache that cannot be written costs only
the time. The instance's ``head.modified`` is stamped as WeasyPrint stamps its own (fontTools'
``timestampNow``: SOURCE_DATE_EPOCH when set), so a PDF's bytes do not depend on when the instance
was cached.

Installed (`install`) only over the WeasyPrint release it was written against and only over
``Font.clean`` as released; fonts that are not variable, or have colour or bitmap glyphs, go
through WeasyPrint's own ``clean``. (No library keeps static instances: fontTools makes them,
WeasyPrint makes them per document.)
"""

import hashlib
import io
import os
import tempfile
import threading
from pathlib import Path

import fontTools
import weasyprint
from fontTools.misc.timeTools import timestampNow
from fontTools.ttLib import TTFont
from fontTools.varLib.instancer import instantiateVariableFont
from weasyprint.pdf import fonts as weasyprint_fonts
from weasyprint.text.ffi import ffi, harfbuzz

from pubpipe.cache import user_cache

KNOWN_VERSION = "70.0"
FORMAT = 1
"""Raise when what is kept changes shape (the tables left out…): old files are then never read."""
DROPPED = ("GSUB", "GPOS")
"""Tables left out of the kept instance (WeasyPrint's HarfBuzz and fontTools subsets drop them too)."""
_original_clean = weasyprint_fonts.Font.clean
_MEMORY: dict = {}
_MAKING: dict = {}
_LOCK = threading.Lock()
_HB_DECLARED: list = []


def cache_folder() -> Path:
    return user_cache() / "font-instances"


def fill_variations(font, axes: dict) -> None:
    """The location WeasyPrint 70 gives the instance (``Font.clean``, as released): the font's own
    weight and size for the weight and optical-size axes, its style for slant and italic."""
    variations = font.variations
    if "wght" in axes and "wght" not in variations:
        variations["wght"] = font.weight
    if "opsz" in axes and "opsz" not in variations:
        variations["opsz"] = font.font_size
    if "slnt" in axes and "slnt" not in variations:
        slnt = 0
        if font.style == 1:
            slnt = axes["slnt"].minValue if axes["slnt"].maxValue == 0 else axes["slnt"].maxValue
        variations["slnt"] = slnt
    if "ital" in axes and "ital" not in variations:
        variations["ital"] = int(font.style == 2)


def location(variations: dict, axes: dict) -> tuple:
    """``variations`` on the font's axes, each clamped to the axis's range (what the instancer does
    with a value outside it), sorted: the key of an instance. Other names are not axes of this font."""
    return tuple(sorted((tag, float(min(max(value, axes[tag].minValue), axes[tag].maxValue)))
                        for tag, value in variations.items() if tag in axes))


def key(data: bytes, index: int, where: tuple) -> str:
    spec = f"{FORMAT}|{index}|{where}|{fontTools.version}|{','.join(DROPPED)}"
    return hashlib.sha256(hashlib.sha256(data).digest() + spec.encode()).hexdigest()[:32]


def make_instance(data: bytes, index: int, where: tuple) -> bytes:
    """The static instance of the font ``data`` (face ``index``) at ``where``, without `DROPPED`."""
    font = TTFont(io.BytesIO(data), fontNumber=index)
    for tag in DROPPED:
        if tag in font:
            del font[tag]
    static = instantiateVariableFont(font, dict(where), static=True)
    static.recalcTimestamp = False  # the same bytes whenever it is made; `stamped` dates each use
    out = io.BytesIO()
    static.save(out)
    return out.getvalue()


def static_instance(data: bytes, index: int, where: tuple) -> bytes:
    """`make_instance`, from this process's memory, else the cache folder, else made (and kept)."""
    name = key(data, index, where)
    with _LOCK:
        found = _MEMORY.get(name)
    if found is not None:
        return found
    with _LOCK:
        making = _MAKING.setdefault(name, threading.Lock())
    with making:  # threads of one process asking for the same instance make it once
        with _LOCK:
            found = _MEMORY.get(name)
        if found is not None:
            return found
        path = cache_folder() / f"{name}.ttf"
        try:
            found = path.read_bytes()
        except OSError:
            found = None
        if not found or found[:4] not in (b"\x00\x01\x00\x00", b"true", b"OTTO"):  # absent, or not a font
            found = make_instance(data, index, where)
            _keep(path, found)
        with _LOCK:
            _MEMORY[name] = found
        return found


def _keep(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all (a temporary file renamed over it)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as handle:
            handle.write(data)
        os.replace(handle.name, path)
    except OSError:
        try:
            os.unlink(handle.name)
        except (OSError, UnboundLocalError):
            pass


def _declare_harfbuzz() -> None:
    """Two HarfBuzz functions WeasyPrint's bindings do not declare: a face from bytes."""
    with _LOCK:
        if not _HB_DECLARED:
            ffi.cdef("""
                typedef enum { HB_MEMORY_MODE_DUPLICATE, HB_MEMORY_MODE_READONLY, HB_MEMORY_MODE_WRITABLE,
                               HB_MEMORY_MODE_READONLY_MAY_MAKE_WRITABLE } hb_memory_mode_t;
                typedef void (*hb_destroy_func_t) (void *user_data);
                hb_blob_t * hb_blob_create (const char *data, unsigned int length, hb_memory_mode_t mode,
                                            void *user_data, hb_destroy_func_t destroy);
                hb_face_t * hb_face_create (hb_blob_t *blob, unsigned int index);
            """)
            _HB_DECLARED.append(True)


def hb_face(data: bytes):
    """A HarfBuzz face of the font ``data`` (HarfBuzz keeps its own copy of the bytes)."""
    _declare_harfbuzz()
    blob = harfbuzz.hb_blob_create(data, len(data), harfbuzz.HB_MEMORY_MODE_DUPLICATE, ffi.NULL, ffi.NULL)
    try:
        return ffi.gc(harfbuzz.hb_face_create(blob, 0), harfbuzz.hb_face_destroy)
    finally:
        harfbuzz.hb_blob_destroy(blob)


def stamped(data: bytes) -> bytes:
    """``data`` with ``head.modified`` set as WeasyPrint's save of an instance sets it (only the
    ``head`` table is compiled again; the others are copied as they are)."""
    font = TTFont(io.BytesIO(data), lazy=True, recalcBBoxes=False, recalcTimestamp=False)
    font["head"].modified = timestampNow()
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def clean(self, to_unicode, hinting):
    """WeasyPrint's ``Font.clean`` for a variable font, from a kept static instance (module doc)."""
    if "fvar" not in self.tables or self.png or self.svg or self.colr or self.bitmap:
        return _original_clean(self, to_unicode, hinting)
    axes = {axis.axisTag: axis for axis in TTFont(io.BytesIO(self.file_content), fontNumber=self.index,
                                                  lazy=True)["fvar"].axes}
    fill_variations(self, axes)
    try:
        static = static_instance(self.file_content, self.index, location(self.variations, axes))
    except Exception:  # WeasyPrint's own path then says what failed (it warns and keeps the variable font)
        return _original_clean(self, to_unicode, hinting)
    self.file_content, self.index = static, 0
    if to_unicode:
        self.hb_face = hb_face(static)
        self.subset(to_unicode, hinting)
    self.file_content = stamped(self.file_content)


def install() -> bool:
    """Put `clean` in place (idempotent); False, changing nothing, on another WeasyPrint."""
    font = weasyprint_fonts.Font
    if font.clean is clean:
        return True
    if weasyprint.__version__ != KNOWN_VERSION or font.clean is not _original_clean:
        return False
    font.clean = clean
    return True


def uninstall() -> None:
    """Put WeasyPrint's own ``Font.clean`` back (for tests and benchmarks that compare)."""
    weasyprint_fonts.Font.clean = _original_clean
