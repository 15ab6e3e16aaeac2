"""Characters no available font can draw: the reading edition fails rather than print empty boxes.

When no font (the packaged ones, then every font fontconfig knows) has a glyph for a character,
Pango hands WeasyPrint an "unknown glyph" and WeasyPrint draws the font's ``.notdef`` box and
logs a warning naming the code point. `watch_missing_glyphs` collects those warnings for the
render in hand. It reads WeasyPrint's own verdict rather than working out coverage again with
fontTools or ``fc-list``: only the layout engine knows which font each run of text got (its
fallback order, the fonts added by ``@font-face``), and no extra tool is needed.
Private-use characters (U+E000-U+F8FF and planes 15-16) count as missing too: they have no
agreed meaning, and the glyph a font happens to put there (Inter draws its own symbols) is not
what the source meant; in pasted web text they are icon-font residue.
`MissingGlyphs` then names each character by its Unicode name and the stories that hold it.
"""

import logging
import re
import threading
import unicodedata
from contextlib import contextmanager

from pubpipe.errors import PubpipeError
from pubpipe.model import Anthology

_NOTDEF = re.compile(r"^\.notdef glyph rendered .*\(U\+([0-9A-Fa-f]{4,6})\)\s*$")
"""WeasyPrint's warning (``draw/text.py``): '.notdef glyph rendered for Unicode string
unsupported by fonts: "x" (U+1234)'. Should a release word it differently, the Linear B test in
tests/test_pdf_glyphs.py fails, rather than books quietly printing boxes."""


class MissingGlyphs(PubpipeError):
    """Some characters of the book have no glyph in any available font; the PDF is not written.

    ``missing`` maps each character to the ids of the stories that hold it (empty when it is
    in the book's own title, subtitle or publisher). The message names every character by
    code point and Unicode name, and where it is.
    """

    def __init__(self, missing: dict):
        self.missing = dict(missing)
        parts = [f"{describe(char)} in {where(ids)}" for char, ids in sorted(self.missing.items())]
        them = "them" if len(parts) > 1 else "it"
        super().__init__(f"the PDF cannot show {'; '.join(parts)}: no available font has a glyph "
                         f"for {them}. Install a font that covers {them} (for example a Debian "
                         f"fonts-noto-* package) or remove {them} from the sources")

    def __reduce__(self):
        # Prefect may pickle a task's exception; rebuild it from `missing`, not from the message.
        return (type(self), (self.missing,))


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


def private_use(anthology: Anthology) -> set:
    """The private-use characters anywhere in the book's text (they are never shown)."""
    strings = [anthology.title, anthology.subtitle or "", anthology.publisher or ""]
    strings += [story_text(story) for story in anthology.stories]
    return {c for c in set("".join(strings)) if unicodedata.category(c) == "Co"}


def stories_holding(anthology: Anthology, chars) -> dict:
    """Character -> tuple of the ids of the stories whose text (any field) holds it."""
    texts = {s.id: story_text(s) for s in anthology.stories}
    return {c: tuple(i for i, text in texts.items() if c in text) for c in chars}


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


def check_missing(anthology: Anthology, drawn_as_notdef) -> None:
    """Raise MissingGlyphs naming the characters drawn as .notdef and any private-use ones."""
    chars = set(drawn_as_notdef) | private_use(anthology)
    if chars:
        raise MissingGlyphs(stories_holding(anthology, sorted(chars)))
