"""The book's typefaces on the web: Literata and Inter, the fonts the PDF is set in, served from
``web/fonts/`` as WOFF2, so the pages look like the book and need no font service.

The fontpkg packages ship them as variable TrueType fonts (about 900 KB each). Each is subsetted
to Latin, Latin-1, Latin Extended, combining accents, Vietnamese and the general punctuation,
currency and arrows (`UNICODES`; site.css declares the same ``unicode-range``, so a browser falls
back to the system's fonts for anything else, such as Korean) with every OpenType feature and both
axes (weight and optical size) kept, then compressed as WOFF2 with fontTools (and brotli): about
250 KB for Literata, 190 KB for Inter (measured in benchmarks/RESULTS.md).

Converting is slow (fontTools' WOFF2 transform is pure Python: tens of seconds a font), and its
result depends only on the font files and fontTools, so it is done once and kept in the user's
cache folder (``$XDG_CACHE_HOME/pubpipe/web-fonts``, by default ``~/.cache``), named by a digest
of both: a build after the first copies the files. The bytes are the same on every run (fontTools
is told not to stamp the time).
"""

import hashlib
import io
import os
import tempfile
from pathlib import Path

import fontpkg_inter
import fontpkg_literata
import fontTools

FOLDER = "fonts"
"""The fonts' folder inside ``web/`` (site.css links ``fonts/<name>``)."""
WEB_FONTS = (
    # (file in web/fonts/, fontpkg module, the package's file)
    ("literata.woff2", fontpkg_literata, "Literata[opsz,wght].ttf"),
    ("literata-italic.woff2", fontpkg_literata, "Literata-Italic[opsz,wght].ttf"),
    ("inter.woff2", fontpkg_inter, "Inter[opsz,wght].ttf"),
)
"""The faces the web pages use (site.css: body and titles in Literata, upright and italic; labels,
bylines and buttons in Inter, upright only)."""
UNICODES = ((0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x1E00, 0x1EFF), (0x2000, 0x206F),
            (0x20A0, 0x20CF), (0x2122, 0x2122), (0x2190, 0x2193), (0x2212, 0x2212), (0xFFFD, 0xFFFD))
"""The characters kept (code point ranges, inclusive); site.css's ``unicode-range`` says the same."""


def cache_folder() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "pubpipe" / "web-fonts"


def _digest(source: Path) -> str:
    ranges = ",".join(f"{a:x}-{b:x}" for a, b in UNICODES)
    return hashlib.sha256(source.read_bytes() + f"|{fontTools.version}|{ranges}".encode()).hexdigest()[:20]


def convert(source: Path) -> bytes:
    """The font at ``source`` subsetted to `UNICODES` (all features, all axes kept) as WOFF2."""
    from fontTools import subset
    from fontTools.ttLib import TTFont
    options = subset.Options()
    options.flavor = "woff2"
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    font = TTFont(source, recalcTimestamp=False)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[c for first, last in UNICODES for c in range(first, last + 1)])
    subsetter.subset(font)
    font.flavor = "woff2"
    out = io.BytesIO()
    font.save(out)
    return out.getvalue()


def web_fonts() -> dict:
    """``fonts/<name>`` -> WOFF2 bytes of each of `WEB_FONTS`, from the cache folder when they are
    there (made and kept there otherwise; a cache that cannot be written only costs the time)."""
    files = {}
    for name, package, file in WEB_FONTS:
        source = package.ROOT / "files" / file
        cached = cache_folder() / f"{_digest(source)}-{name}"
        try:
            data = cached.read_bytes()
        except OSError:
            data = convert(source)
            try:
                cached.parent.mkdir(parents=True, exist_ok=True)
                with tempfile.NamedTemporaryFile(dir=cached.parent, delete=False) as handle:
                    handle.write(data)
                os.replace(handle.name, cached)  # whole or not at all, even with two builds at once
            except OSError:
                pass
        files[f"{FOLDER}/{name}"] = data
    return files
