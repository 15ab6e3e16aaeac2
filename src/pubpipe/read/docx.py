"""Word documents (.docx) read as sources: mammoth turns the document into semantic HTML, which
goes into the saved-page path (`pubpipe.read.dom`), so the structure Word already holds — title,
headings, lists, quotes — is kept instead of guessed.

- Word's *Title* style is the story's title (each Title paragraph starts a story, as an ``<h1>``
  does in a saved page); without one, a *Heading 1* that opens the document is. Other headings
  are headings.
- *Quote*, *Intense Quote* (and LibreOffice's *Quotations*, Word's *Block Text*) are quotes; a
  short paragraph that starts with a dash right after a quote is its attribution.
- Lists keep their items, numbered or not. Images, comments and linked files are left out.
- Each Word paragraph is one line of the HTML, so a "line" of a Word source (in `removed`, in the
  report) is its paragraph's number, counting non-empty paragraphs.
"""

import io
import re
import zipfile

import mammoth
from bs4 import BeautifulSoup

from pubpipe.config import Limits
from pubpipe.errors import SourceError
from pubpipe.read.dom import mark_attributions

STYLE_MAP = """
p[style-name='Title'] => h1.title:fresh
p[style-name='Subtitle'] => p:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
p[style-name='Quotations'] => blockquote > p:fresh
p[style-name='Block Text'] => blockquote > p:fresh
"""
UNPACKED_FACTOR = 20
"""A Word document may unpack to at most this many times `max_file_bytes` (text compresses about
ten times; more is a damaged or hostile file)."""
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A line break before each block's start tag, except a list's first item and a quote's first paragraph,
# which start on their list's or quote's line: one line per Word paragraph.
BLOCK_START = re.compile(r"(?<!<blockquote>)(?<!<ul>)(?<!<ol>)(?=<(?:p|h[1-6]|li|footer|blockquote|ul|ol|table)[\s>])")
UNREADABLE = ("cannot be read as a Word document ({}); open it in Word or LibreOffice and save it again "
              "as .docx, or copy its text into a .txt file")


def _unreadable(name: str, why: str) -> SourceError:
    return SourceError(name, UNREADABLE.format(why), "source.docx-unreadable")


def _check_package(name: str, data: bytes, limits: Limits) -> None:
    """Refuse, by name, what is not a .docx mammoth can read, before mammoth unpacks it."""
    if data.startswith(OLE2):
        raise SourceError(name, "is password-protected, or an old Word document (.doc) named .docx; open it in "
                          "Word, remove the password if it has one, and save it as .docx, or copy its text into "
                          "a .txt file", "source.docx-unreadable")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise _unreadable(name, "it is damaged or is not a Word file") from None
    if not any(part.filename == "word/document.xml" for part in parts):
        raise _unreadable(name, "it is a zip file without a Word document in it")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > UNPACKED_FACTOR * limits.max_file_bytes:
        raise SourceError(name, f"unpacks to {unpacked:,} bytes, over {UNPACKED_FACTOR} times the limit of "
                          f"{limits.max_file_bytes:,} (raise limits.max_file_bytes in anthology.toml if the "
                          "document is genuine)", "source.too-large")


def _titles(soup: BeautifulSoup) -> None:
    """Only titles stay ``<h1>``: Title-styled paragraphs, or else a Heading 1 opening the document."""
    titled = soup.find_all("h1", class_="title")
    first = soup.find(True)
    for h1 in soup.find_all("h1"):
        if h1 not in titled and (titled or h1 is not first):
            h1.name = "h2"
        h1.attrs.pop("class", None)


def docx_html(name: str, data: bytes, limits: Limits = Limits()) -> tuple:
    """(HTML, notes): the document as HTML with one paragraph per line, and what was left out, in
    words, for the report. Raises SourceError naming the file and what to do."""
    _check_package(name, data, limits)
    images = []

    def leave_out(image) -> dict:
        images.append(image)
        return {}

    try:
        result = mammoth.convert_to_html(io.BytesIO(data), style_map=STYLE_MAP, include_embedded_style_map=False,
                                         external_file_access=False, convert_image=mammoth.images.img_element(leave_out))
    except Exception as exc:  # noqa: BLE001 — mammoth and the XML parser raise many kinds on a damaged file
        raise _unreadable(name, f"it is damaged: {type(exc).__name__}") from exc
    soup = BeautifulSoup(result.value, "html.parser")
    _titles(soup)
    mark_attributions(soup)
    for image in soup.find_all("img"):
        image.decompose()
    notes = ["read as a Word document (a line is a paragraph)"]
    if images:
        notes.append(f"{len(images)} image(s) left out")
    return BLOCK_START.sub("\n", str(soup)).lstrip("\n"), notes
