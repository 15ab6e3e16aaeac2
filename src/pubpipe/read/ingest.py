"""Ingest: read every source file, decode it, repair encoding damage, reject what can't be used.

The result keeps the source's own line numbers so that every later message and every removed
line can point at the line a person would find in their editor.
"""

import html
import os
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import ftfy

from pubpipe.read import charsets
from pubpipe.config import Limits
from pubpipe.errors import SourceError
from pubpipe.inline import MARKS
from pubpipe.read.lines import INVISIBLE, META_TAGS, Line  # noqa: F401 (META_TAGS: re-exported)
from pubpipe.model import dropped
from pubpipe.read.files import inside, list_sources, refuse_format, source_format  # noqa: F401 (list_sources: re-exported)

MARKS_SPLIT = re.compile(f"({MARKS.pattern})")

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}

# ZWJ and ZWNJ shape Arabic, Indic and emoji text; they are noise only next to Latin, digits or spaces.
STRAY_JOINER = re.compile(r"(?<=[\sA-Za-z0-9])[\u200c\u200d]|[\u200c\u200d](?=[\sA-Za-z0-9]|$)|^[\u200c\u200d]", re.M)
ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
BREAK_TAG = re.compile(r"\s*<(?:br\s*/?|/?p(?:\s[^<>]*)?)>\s*", re.I)


@dataclass(frozen=True)
class RawSource:
    """A decoded source file, ready for cleaning."""

    file: str
    """File name relative to the sources folder."""
    lines: tuple
    """Its lines, as a tuple of Line."""
    encoding: str
    """The encoding it was decoded from."""
    repairs: tuple = ()
    """What ingest changed, in words, for the report."""
    kind: str = "text"
    """"text" or "html"."""
    removed: tuple = ()
    """For a saved page: what the page shows that its reader left out (menus, share buttons,
    comments…), as dropped-line Diagnostics, one per block of the page's text."""
    url: Optional[str] = None
    """For a saved page: its own address, as the page states it (`pubpipe.read.webpage.Page.url`)."""
    site: Optional[str] = None
    """For a saved page: the name of the site it comes from (`pubpipe.read.webpage.Page.site`)."""
    spans: tuple = ()
    """For a saved page trafilatura read: per line, the blocks of the page's text it came from
    (`pubpipe.read.webpage.Page.spans`)."""
    page_text: tuple = ()
    """For a saved page trafilatura read: the page's whole text, a block a line
    (`pubpipe.read.webpage.Page.text`), and the block of each of those lines (`page_blocks`)."""
    page_blocks: tuple = ()
    other: Optional["RawSource"] = None
    """For a saved page: trafilatura's other reading of it (`pubpipe.read.webpage.Page.other`), for
    `pubpipe.recover.pages` to choose from; None once chosen."""


def _too_large(name: str, size: int, limits: Limits) -> SourceError:
    return SourceError(name, f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
                       "(raise limits.max_file_bytes in anthology.toml)", "source.too-large")


def decode(name: str, data: bytes, limits: Limits = Limits()) -> tuple[str, str, list]:
    """Bytes to text: (text, encoding, repairs). UTF-8 (with or without a byte order mark), UTF-16
    and UTF-32 with one, UTF-16 without one, else a legacy code page (`pubpipe.read.charsets`).
    Raises SourceError for empty or binary data."""
    if len(data) > limits.max_file_bytes:
        raise _too_large(name, len(data), limits)
    if not data.strip():
        raise SourceError(name, "file is empty or holds only whitespace", "source.empty")
    repairs: list[str] = []
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text, encoding = data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
            repairs.append("UTF-8 byte order mark removed")
        elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            text, encoding = data.decode("utf-32"), "utf-32"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text, encoding = data.decode("utf-16"), "utf-16"
        elif b"\x00" in data[:8192]:
            encoding = charsets.utf16_without_bom(data)
            if encoding is None:
                raise SourceError(name, "file looks binary (it holds NUL bytes), not text", "source.binary")
            text = data.decode(encoding)
            repairs.append(f"decoded as {charsets.label(encoding)} (it has no byte order mark)")
        else:
            try:
                text, encoding = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                encoding = charsets.legacy(data)
                if encoding is None:
                    raise SourceError(name, "file is not text in any encoding pubpipe knows", "source.binary")
                text = data.decode(encoding, errors="replace")
                repairs.append(f"decoded as {charsets.label(encoding)} (not UTF-8)")
    except UnicodeDecodeError as exc:  # a byte order mark followed by something else
        raise SourceError(name, f"file starts like {charsets.label(exc.encoding)} text but is not; save it again as UTF-8",
                          "source.binary") from exc
    if _control_ratio(text) > 0.01:
        raise SourceError(name, "file looks binary (it holds many control characters), not text", "source.binary")
    return text, encoding, repairs


CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")
"""C0 controls but line ends, tabs and page breaks (\\t \\n \\v \\f \\r are 09-0D), and DEL; not C1
controls (U+0080–U+009F), which are typical of mojibake, which ftfy repairs."""


def _control_ratio(text: str) -> float:
    sample = text[:65536]
    # counted by the regular expression, not a Python test per character (a web page's 20,000)
    return len(CONTROL.findall(sample)) / max(1, len(sample))


FTFY = dict(uncurl_quotes=False, fix_line_breaks=True, normalization="NFC", fix_latin_ligatures=False,
            fix_character_width=False, remove_control_chars=True)
PLAIN_SEGMENT = re.compile(r"[\t\x20-\x25\x27-\x7e]*\n?")
"""A line of printable ASCII (tabs allowed, no "&"): nothing for ftfy to fix with FTFY's settings.
Mojibake, C1 controls, surrogates, odd line breaks and ligatures all need a character beyond
ASCII; HTML entities need "&"; terminal escapes and control characters are not in it; NFC leaves
ASCII as it is."""


def fix_text(text: str) -> str:
    """ftfy.fix_text(text, **FTFY), the text cut into segments as ftfy 6's fix_text cuts it (at each
    line end, at most max_decode_length long; HTML entities no longer unescaped once a segment holds
    a "<"), a PLAIN_SEGMENT passed as it is instead of through every fixer. Most lines of a web
    page's text are plain ASCII, and ftfy's fixers on them were most of ingest's time on web pages
    (benchmarks/RESULTS.md, "Text sources (issue 16)"); tests/test_ingest.py compares the result
    with ftfy.fix_text's."""
    config = ftfy.TextFixerConfig(explain=False, **FTFY)
    out = []
    pos = 0
    while pos < len(text):
        textbreak = text.find("\n", pos) + 1
        if textbreak == 0:
            textbreak = len(text)
        if textbreak - pos > config.max_decode_length:
            textbreak = pos + config.max_decode_length
        segment = text[pos:textbreak]
        if config.unescape_html == "auto" and "<" in segment:
            config = config._replace(unescape_html=False)
        out.append(segment if PLAIN_SEGMENT.fullmatch(segment) else ftfy.fix_and_explain(segment, config)[0])
        pos = textbreak
    return "".join(out)


def normalise(text: str, repairs: list) -> str:
    """Repair mojibake (ftfy, keeping curly quotes), unify line endings, NFC, drop invisible characters."""
    fixed = fix_text(text)
    if fixed != unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")):
        repairs.append("encoding damage (mojibake) repaired with ftfy")
    if INVISIBLE.search(fixed) or STRAY_JOINER.search(fixed):
        repairs.append("zero-width and bidi control characters removed")
        fixed = STRAY_JOINER.sub("", INVISIBLE.sub("", fixed))
    return fixed


def text_lines(text: str, repairs: list) -> tuple:
    """Split text into numbered Lines; decode entities and turn <br>/<p> into line breaks."""
    out = []
    decoded = broken = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw
        if "&" in line and ENTITY.search(line):
            line = ENTITY.sub(lambda m: html.unescape(m.group(0)), line).replace("\u00a0", " ")
            line = INVISIBLE.sub("", line)  # an entity of pubpipe.inline's marks forges no emphasis
            decoded = True
        if "<" in line and BREAK_TAG.search(line):
            parts = BREAK_TAG.split(line)
            broken = True
            out.extend(Line(number, part) for part in parts)
            continue
        out.append(Line(number, line))
    if decoded:
        repairs.append("HTML entities decoded")
    if broken:
        repairs.append("<br> and <p> tags turned into line breaks")
    return tuple(out)


def read_bytes(path: Path, name: str, limits: Limits = Limits(), root: Path = None) -> bytes:
    """A source's bytes, refusing (before reading) a PDF, an image or a document pubpipe cannot read,
    and a file over the size limit: memory stays bounded. With `root`, the file is opened only where
    its links lead inside `root` (a link swapped in after `scan_sources` looked is not followed out)."""
    refuse_format(name)
    try:
        if root is not None:
            real = os.path.realpath(path)
            if not inside(Path(real), Path(os.path.realpath(root))):
                raise SourceError(name, "is a link to a file outside the sources folder; not read (copy the file "
                                  "into the sources folder if it belongs in the anthology)", "source.outside")
            path = real
        handle = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_file_bytes:
                raise _too_large(name, size, limits)
            return handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}", "source.unreadable") from exc


def _check_lines(name: str, text: str, limits: Limits) -> None:
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > limits.max_line_chars:  # before the repairs, whose time grows with a line's length
        raise SourceError(name, f"a line is {longest:,} characters long, over the limit of "
                          f"{limits.max_line_chars:,} (raise limits.max_line_chars in anthology.toml)",
                          "source.line-too-long")


def parse_source(name: str, data: bytes, limits: Limits = Limits()) -> RawSource:
    """Decode and repair one source's bytes into numbered lines. Raises SourceError naming the problem."""
    kind = source_format(name, data)
    if kind == "docx":
        return _parse_docx(name, data, limits)
    if kind == "mail":
        return _parse_mail(name, data, limits)
    text, encoding, repairs = decode(name, data, limits)
    if kind == "html":
        return _parse_page(name, text, encoding, repairs, limits)
    _check_lines(name, text, limits)
    if kind == "markdown":
        from pubpipe.read.markdownfile import looks_like_markdown
        if looks_like_markdown(text):
            return _parse_markdown(name, text, encoding, repairs)
    text = normalise(text, repairs)
    lines = text_lines(text, repairs)
    if not any(line.text.strip() for line in lines):
        raise SourceError(name, "file holds no text after decoding", "source.empty")
    return RawSource(name, lines, encoding, tuple(repairs))


def _parse_page(name: str, markup: str, encoding: str, repairs: list, limits: Limits) -> RawSource:
    """A saved page (`pubpipe.read.webpage`): the article and metadata trafilatura finds, pubpipe's own
    reader only when it finds nothing. `max_line_chars` bounds the text found, never the page's
    markup (a minified page is one long line); repairs are made to that text, not to the markup."""
    from pubpipe.read.webpage import read_page
    page = read_page(markup)
    source = _page_source(name, page, encoding, repairs, limits)
    other = None
    if page.other is not None:
        try:
            other = _page_source(name, page.other, encoding, repairs, limits)
        except SourceError:  # the other reading is only an alternative: the first one stands
            pass
    return replace(source, page_text=page.text, page_blocks=page.text_blocks, other=other)


def _page_source(name: str, page, encoding: str, repairs: list, limits: Limits) -> RawSource:
    """One reading of a saved page (`pubpipe.read.webpage.Page`) as a RawSource."""
    longest = max((len(line.text) for line in page.lines), default=0)
    if longest > limits.max_line_chars:
        raise SourceError(name, f"a paragraph of the page's text is {longest:,} characters long, over the limit "
                          f"of {limits.max_line_chars:,} (raise limits.max_line_chars in anthology.toml)",
                          "source.line-too-long")
    notes: list = []
    lines, spans = [], []
    for line, span in zip(page.lines, page.spans or [None] * len(page.lines)):
        # the reader's emphasis marks (pubpipe.inline) are kept: each piece between them is normalised
        text = " ".join("".join(p if MARKS.fullmatch(p) else normalise(p, notes)
                                for p in MARKS_SPLIT.split(line.text)).split())
        if text:
            lines.append(Line(line.number, text, line.tag))
            spans.append(span)
    if not any(line.tag not in META_TAGS for line in lines):
        raise SourceError(name, "the page holds no article text: neither trafilatura nor pubpipe's own reader "
                          "found one (save the article's own page, not a home page or a list of articles)",
                          "source.empty")
    how = ("read as an HTML page: article and metadata found by trafilatura" if page.reader == "trafilatura" else
           "read as an HTML page by pubpipe's own reader (trafilatura found no article in it)")
    repairs = repairs + list(dict.fromkeys(notes)) + [how]
    removed = tuple(dropped(name, number, text, page.reader) for number, text in page.left_out)
    return RawSource(name, tuple(lines), encoding, tuple(repairs), "html", removed, page.url, page.site,
                     tuple(spans) if page.spans else ())


def _parse_markdown(name: str, text: str, encoding: str, repairs: list) -> RawSource:
    """A Markdown file through the saved-page path (`pubpipe.read.markdownfile`): its own
    structure, on its own line numbers."""
    from pubpipe.read.markdownfile import markdown_lines
    lines = markdown_lines(normalise(text, repairs))
    if not any(line.text.strip() and line.tag not in META_TAGS for line in lines):
        raise SourceError(name, "the Markdown file holds no text; check that it is the right file", "source.empty")
    return RawSource(name, lines, encoding, tuple(repairs + ["read as Markdown (its headings, lists, quotes and emphasis kept)"]), "html")


def _parse_mail(name: str, data: bytes, limits: Limits) -> RawSource:
    """An e-mail message (`pubpipe.read.mailfile`): an HTML body through the saved-page path, a
    plain one as its paragraphs; the subject titles it when the body has no title, the date is its
    dateline."""
    from pubpipe.read.dom import html_lines
    from pubpipe.read.mailfile import read_mail
    if len(data) > limits.max_file_bytes:
        raise _too_large(name, len(data), limits)
    mail = read_mail(name, data)
    notes = ["read as an e-mail message"] + ([f"{mail['attachments']} attachment(s) left out"] if mail["attachments"] else [])
    removed, url, site = (), None, None
    if mail["html"] is not None:
        page = _parse_page(name, mail["html"], mail["charset"], [], limits)
        lines, notes, removed, url, site = list(page.lines), notes + list(page.repairs), page.removed, page.url, page.site
    else:
        _check_lines(name, mail["text"], limits)
        lines = list(html_lines(normalise(mail["text"], notes)))
    if not any(line.tag not in META_TAGS for line in lines):
        raise SourceError(name, "the e-mail message holds no text; check that it is the right file", "source.empty")
    first = lines[0].number
    head = []
    if mail["subject"] and not any(line.tag == "title" for line in lines):
        head.append(Line(first, mail["subject"], "title"))
    if mail["date"] and not any(line.tag == "dateline" for line in lines):
        head.append(Line(first, mail["date"], "dateline"))
    if head and lines[0].tag == "title":
        lines = lines[:1] + head + lines[1:]
    else:
        lines = head + lines
    return RawSource(name, tuple(lines), mail["charset"], tuple(notes), "html", removed, url, site)


def _parse_docx(name: str, data: bytes, limits: Limits) -> RawSource:
    """A Word document through the saved-page path: mammoth's HTML (`pubpipe.read.docx`), one
    line per paragraph, read by `pubpipe.read.dom`."""
    from pubpipe.read.docx import docx_html
    from pubpipe.read.dom import html_lines
    if len(data) > limits.max_file_bytes:
        raise _too_large(name, len(data), limits)
    markup, repairs = docx_html(name, data, limits)
    _check_lines(name, markup, limits)
    lines = html_lines(normalise(markup, repairs))
    if not any(line.text.strip() for line in lines):
        raise SourceError(name, "the Word document holds no text; check that it is the right file", "source.empty")
    return RawSource(name, lines, "docx", tuple(repairs), "html")


def read_source(path: Path, root: Path, limits: Limits = Limits()) -> RawSource:
    """Read and decode one source file. Raises SourceError naming the file and the problem."""
    name = str(Path(path).relative_to(root)) if root else Path(path).name
    return parse_source(name, read_bytes(path, name, limits), limits)
