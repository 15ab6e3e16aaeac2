"""Characters no available font can draw: found before layout, shown in the PDF as a placeholder.

A story never pays for one character. Before a part of the book is laid out, `unshowable` checks
every character of its text against the fonts' character maps: the packaged fonts' (fontTools
reads their cmaps) and every font fontconfig knows (``fc-list``'s charsets: fontconfig is what
Pango, and so WeasyPrint, falls back through). `substitute` then replaces each character no font
has, in the HTML handed to WeasyPrint, by a visible `placeholder` (a boxed question mark); the
EPUB and the web pages keep the real character (a reader's device has its own fonts), and the
build names each one in the report (`describe`, `stories_holding`; exit code 1).

Private-use characters (U+E000-U+F8FF and planes 15-16) count as unshowable too: they have no
agreed meaning, and the glyph a font happens to put there (Inter draws its own symbols) is not what
the source meant; in pasted web text they are icon-font residue. So do unassigned code points.
Default-ignorable characters (joiners, variation selectors, emoji tags) are never drawn on their
own and are never counted.

Should Pango still find no glyph for something (a font's cmap that promises more than it draws),
WeasyPrint draws the font's ``.notdef`` box and logs a warning naming the code point;
`watch_missing_glyphs` collects those warnings for the render in hand, so the report names those
characters too.
"""

import bisect
import logging
import os
import re
import shutil
import subprocess
import threading
import unicodedata
from contextlib import contextmanager
from functools import lru_cache
from html import escape
from pathlib import Path

from pubpipe.errors import PubpipeError
from pubpipe.model import Anthology

_NOTDEF = re.compile(r"^\.notdef glyph rendered .*\(U\+([0-9A-Fa-f]{4,6})\)\s*$")
"""WeasyPrint's warning (``draw/text.py``): '.notdef glyph rendered for Unicode string
unsupported by fonts: "x" (U+1234)'. Should a release word it differently, the test that watches
it in tests/test_pdf_glyphs.py fails, rather than books quietly printing boxes unreported."""

CODE = "pdf.missing-glyph"
"""The problem code of a story (or the book's title) holding characters the PDF shows as placeholders."""

FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts", "~/.local/share/fonts", "~/.fonts")
"""Where fonts get installed: a change under them (a font package installed) reads the fonts again."""

_IGNORABLE = ((0x00AD, 0x00AD), (0x034F, 0x034F), (0x061C, 0x061C), (0x115F, 0x1160), (0x17B4, 0x17B5),
              (0x180B, 0x180F), (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0x3164, 0x3164),
              (0xFE00, 0xFE0F), (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFF8), (0x1BCA0, 0x1BCA3),
              (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF))
"""Unicode's Default_Ignorable_Code_Point ranges (DerivedCoreProperties.txt, stable since 5.2;
Python's unicodedata does not expose the property): shaping hides them, no font needs them."""


class FontsUnknown(PubpipeError):
    """fontconfig's ``fc-list`` is missing or failed: no way to know what the fonts can show."""


def describe(char: str) -> str:
    """``U+10000 LINEAR B SYLLABLE B008 A`` (or a description for characters without a name)."""
    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    if name:
        return f"{code} {name}"
    kind = {"Co": "a private-use character: no agreed glyph", "Cn": "an unassigned code point",
            "Cs": "a lone surrogate"}.get(unicodedata.category(char), "a character without a name")
    return f"{code} ({kind})"


def where(story_ids) -> str:
    """``story 'x'``, ``stories 'x', 'y'`` or the title page, for messages."""
    if not story_ids:
        return "the book's title, subtitle or publisher"
    label = "story" if len(story_ids) == 1 else "stories"
    return f"{label} " + ", ".join(f"'{i}'" for i in story_ids)


def stories_holding(anthology: Anthology, chars) -> dict:
    """Character -> tuple of the ids of the stories whose text (any field) holds it (empty: only the
    book's own title, subtitle or publisher does)."""
    texts = {s.id: story_text(s) for s in anthology.stories}
    return {c: tuple(i for i, text in texts.items() if c in text) for c in chars}


def book_text(anthology: Anthology) -> str:
    """The book's own words the PDF prints: title, subtitle, publisher."""
    return "\n".join((anthology.title, anthology.subtitle or "", anthology.publisher or ""))


def story_text(story) -> str:
    """All the text of a story that the book prints (every field but its id and source)."""
    fields = story.to_dict()
    fields.pop("id"), fields.pop("source")
    return "\n".join(_strings(fields))


def _strings(value):
    """Every string inside a JSON-like value."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from _strings(item)


# ---------- What the fonts can show ----------

def _ranges(spec: str) -> list:
    """fontconfig's charset notation (``20-7e a0-17f 2026``, hexadecimal) as (first, last) pairs."""
    pairs = []
    for token in spec.split():
        first, _, last = token.partition("-")
        pairs.append((int(first, 16), int(last or first, 16)))
    return pairs


class Coverage:
    """The code points some font has a glyph for: a union of ranges, looked up by bisection (the CJK
    fonts alone map 65,000 code points; a set of them all would cost more than the lookups)."""

    def __init__(self, pairs):
        merged = []
        for first, last in sorted(pairs):
            if merged and first <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], last)
            else:
                merged.append([first, last])
        self._firsts = [first for first, _ in merged]
        self._lasts = [last for _, last in merged]

    def __contains__(self, code: int) -> bool:
        at = bisect.bisect_right(self._firsts, code) - 1
        return at >= 0 and code <= self._lasts[at]


def _packaged_ranges() -> list:
    """The cmaps of the packaged fonts pubpipe.render.pdf.reading declares with @font-face (not known to fontconfig):
    every font of their packages (not pubpipe.render.pdf.reading.FONT_FACES: that would import WeasyPrint into the
    flow's process, which only needs to know the characters)."""
    import fontpkg_inter
    import fontpkg_literata
    from fontTools.ttLib import TTFont
    pairs = []
    for package in (fontpkg_literata, fontpkg_inter):
        for path in sorted((package.ROOT / "files").glob("*.ttf")):
            with TTFont(path, lazy=True) as font:
                pairs += [(code, code) for code in font.getBestCmap()]
    return pairs


def _system_ranges() -> list:
    """The charsets of every font fontconfig knows (what Pango falls back through)."""
    fc_list = shutil.which("fc-list")
    if not fc_list:
        raise FontsUnknown("fc-list not found: pubpipe needs fontconfig's tools to know which characters "
                           "the installed fonts can show; run ./setup.sh (it installs Debian's fontconfig)")
    done = subprocess.run([fc_list, "--format", "%{charset}\n"], capture_output=True, text=True)
    if done.returncode != 0:
        raise FontsUnknown(f"fc-list failed ({done.stderr.strip() or done.returncode}): cannot tell which "
                           "characters the installed fonts can show; check the fontconfig set-up (fc-list)")
    return [pair for line in done.stdout.splitlines() for pair in _ranges(line)]


def _fonts_state() -> tuple:
    """What changes when fonts are installed or removed: the font folders' modification times."""
    state = []
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        for path, _, _ in os.walk(root):
            state.append((path, os.stat(path).st_mtime_ns))
    return tuple(state)


@lru_cache(maxsize=2)
def _coverage(state: tuple) -> Coverage:
    return Coverage(_packaged_ranges() + _system_ranges())


def coverage() -> Coverage:
    """The code points the book's fonts can draw (read again after fonts were installed or removed)."""
    return _coverage(_fonts_state())


def _ignorable(code: int) -> bool:
    return any(first <= code <= last for first, last in _IGNORABLE)


def unshowable_in(text: str) -> tuple:
    """The characters of ``text`` the PDF cannot show, sorted: private-use and unassigned ones, and
    those no font has (controls and default-ignorables aside)."""
    covered, found = coverage(), []
    for char in set(text):
        code = ord(char)
        category = unicodedata.category(char)
        if category == "Cc" or _ignorable(code):
            continue
        if category in ("Co", "Cn", "Cs") or code not in covered:
            found.append(char)
    return tuple(sorted(found))


def unshowable(anthology: Anthology) -> tuple:
    """The characters of a book (or part: title, subtitle, publisher and every story's printed text)
    that the PDF shows as placeholders, sorted."""
    return unshowable_in("\n".join([book_text(anthology)] + [story_text(s) for s in anthology.stories]))


# ---------- The placeholder ----------

PLACEHOLDER_CLASS = "missing-glyph"
INK, PAPER = "#8a2e1f", "#f6ecd9"
"""The placeholder's colours: book.css's --accent on a light tile, seen on the white pages and the dark
cover alike (WeasyPrint draws inline SVG with its own attributes only: no CSS, no currentColor)."""
RUNNING_MARK = "\ufffd"
"""What stands for an unshowable character in a running head (CSS string-set carries text only)."""


def placeholder(char: str) -> str:
    """A boxed question mark, as inline SVG (styled by book.css ``.missing-glyph``), in place of a
    character no font has. WeasyPrint tags it as a Figure whose /Alt is the SVG's <title>: the real
    character, so assistive technology still gets it. (WeasyPrint 70 writes no /ActualText for
    text, pdf/tags.py; an inline figure with /Alt is the one way it offers to carry the character.)
    Drawn with paths, not text: it needs no font."""
    return (f'<svg class="{PLACEHOLDER_CLASS}" viewBox="0 0 14 18" role="img">'
            f"<title>{escape(char)}</title>"
            f'<g stroke="{INK}" stroke-width="1.3" stroke-linecap="round">'
            f'<rect x="0.75" y="1.25" width="12.5" height="15.5" rx="1.8" fill="{PAPER}"/>'
            '<path d="M4.6 6.6C4.6 4.9 5.7 4 7 4 8.4 4 9.4 4.9 9.4 6.1 9.4 8 7 8.1 7 10.4" fill="none"/></g>'
            f'<circle cx="7" cy="13.3" r="0.95" fill="{INK}"/></svg>')


_MARKUP = re.compile(r"(<[^>]*>)")
_RUNNING = re.compile(r'(data-running=")([^"]*)(")')


def substitute(html: str, chars) -> tuple:
    """(``html``, the characters replaced): ``html`` (a book part, pubpipe.render.pdf.reading.book_html) with each of
    ``chars`` in the body replaced: in text by its `placeholder`, in running-head attributes by
    `RUNNING_MARK`. The head (title, author metadata) keeps the real characters: they are not drawn,
    and they become the PDF's document information.

    A split on tags rather than an HTML parser and serialiser: the HTML is our own template's output
    with autoescape on, so no text or attribute holds a bare ``<`` or ``>``, and round-tripping it
    through a parser would change bytes that the PDF's reproducibility depends on."""
    start = html.find("<body")
    head, body = html[:start], html[start:]
    chars = set(chars) & set(body)
    if not chars:
        return html, ()
    pattern = re.compile("[" + "".join(re.escape(c) for c in sorted(chars)) + "]")
    pieces = _MARKUP.split(body)
    for i, piece in enumerate(pieces):
        if i % 2 == 0:  # text between tags
            pieces[i] = pattern.sub(lambda m: placeholder(m[0]), piece)
        elif "data-running" in piece:
            pieces[i] = _RUNNING.sub(lambda m: m[1] + pattern.sub(RUNNING_MARK, m[2]) + m[3], piece)
    return head + "".join(pieces), tuple(sorted(chars))


# ---------- WeasyPrint's own verdict, after layout ----------

class _Collector(logging.Handler):
    """Records the code points of WeasyPrint's .notdef warnings logged by one thread."""

    def __init__(self, thread: int):
        super().__init__(logging.WARNING)
        self.thread = thread
        self.codepoints: set = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.thread != self.thread:
            return  # another render running at the same time in this process
        match = _NOTDEF.match(record.getMessage())
        if match:
            self.codepoints.add(int(match[1], 16))


@contextmanager
def watch_missing_glyphs():
    """Yield a set that fills with the characters WeasyPrint drew as .notdef in this thread."""
    logger = logging.getLogger("weasyprint")
    collector = _Collector(threading.get_ident())
    found: set = set()
    level = logger.level
    if not logger.isEnabledFor(logging.WARNING):
        logger.setLevel(logging.WARNING)  # someone silenced WeasyPrint: we still need its verdict
    logger.addHandler(collector)
    try:
        yield found
    finally:
        logger.removeHandler(collector)
        logger.setLevel(level)
        found.update(chr(c) for c in collector.codepoints)


# ---------- The report ----------

def problems(anthology: Anthology, chars, config_file: str = "anthology.toml") -> list:
    """(file, reason) per story holding any of ``chars`` (the characters the PDF showed as
    placeholders), and one for the book's title, subtitle or publisher, each naming every character
    by code point and Unicode name."""
    chars = sorted(set(chars))
    if not chars:
        return []
    found, texts = [], [story_text(s) for s in anthology.stories]
    # A character of the title that a story holds too is named with that story (a book's default
    # title is its story's); the rest can only come from anthology.toml.
    book = [c for c in chars if c in book_text(anthology) and not any(c in text for text in texts)]
    if book:
        found.append((config_file, f"the book's title, subtitle or publisher holds {_names(book)}, which no "
                      "installed font can show: the PDF shows a placeholder (a boxed '?') instead; "
                      f"{_advice(book, 'change it in anthology.toml')}"))
    for story, text in zip(anthology.stories, texts):
        held = [c for c in chars if c in text]
        if held:
            found.append((story.source.file, f"story '{story.title}' holds {_names(held)}, which no installed "
                          "font can show: the PDF shows a placeholder (a boxed '?') instead, the EPUB and web "
                          f"pages the character; {_advice(held, 'remove it from the source')}"))
    return found


def _names(chars) -> str:
    return ", ".join(describe(c) for c in chars)


def _advice(chars, edit: str) -> str:
    """What to do: a font can help a character with a meaning, not a private-use or unassigned one."""
    if all(unicodedata.category(c) in ("Co", "Cn", "Cs") for c in chars):
        return f"{edit} (a character with no agreed meaning, often a web page's icon font: no font can help)"
    return f"install a font that has it (e.g. Debian fonts-noto-extra) and build again, or {edit}"
