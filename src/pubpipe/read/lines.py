"""A source's lines as every reader (text, saved page, Word file) hands them to cleaning.

Its own module so the readers (`pubpipe.read.ingest`, `pubpipe.read.dom`, `pubpipe.read.webpage`,
`pubpipe.read.pagetext`) share it without importing each other in a circle.
"""

import re
from dataclasses import dataclass

# Invisible characters that only get in the way of text: zero-width space, word joiner,
# byte order mark, soft hyphen and the bidi embedding/override/isolate controls; and the noncharacters
# U+FDD0–U+FDEF, for a program's internal use (pubpipe.inline marks a page's emphasis with them).
INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c\ufdd0-\ufdef]")
META_TAGS = ("title", "byline", "dateline")
"""Line tags of a page's metadata, not of its text: cleaning leaves these lines alone."""


@dataclass(frozen=True)
class Line:
    """One line of a source after decoding, with the 1-based line number it had in the file."""

    number: int
    """Line number in the source file (1-based)."""
    text: str
    """The line's text, without its line ending."""
    tag: str = ""
    """For lines read from an HTML page, what the page marked them as (title, heading, p, ul, ol,
    quote, cite, byline, caption); empty for text sources. A saved page's metadata comes as
    `META_TAGS` lines (`pubpipe.read.webpage`): its headline (title), author (byline) and site and date
    (dateline, ``"SITE, YYYY-MM-DD"``)."""
    indent: int = 0
    """Columns of white space the line began with in the source (cleaning takes them off the text
    and records them here: a centred or indented line is set apart from the prose)."""


def one_line(value) -> str:
    """A metadata value (a header, a front-matter field: a string or not, or None) as one line of
    single spaces; "" for None."""
    return " ".join(str(value).split()) if value is not None else ""
