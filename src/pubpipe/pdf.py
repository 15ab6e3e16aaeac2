"""The reading edition: an A5 PDF booklet rendered with WeasyPrint.

The HTML comes from ``styles/book.html.j2`` (autoescape on: source text is always text),
the look from ``styles/book.css``; fonts are the fontpkg Literata and Inter variable fonts,
Korean and other CJK text falls back to the system's Noto CJK fonts.

WeasyPrint would happily read any ``file://`` URL and attach local files named by
``<link rel=attachment>``; every load goes through `SafeFetcher`, which only opens files
under the styles folder and the two font folders.
"""

import mimetypes
import os
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import fontpkg_inter
import fontpkg_literata
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

from pubpipe.errors import PubpipeError
from pubpipe.html import render, styles_dir
from pubpipe.model import Anthology, Story

TEMPLATE = "book.html.j2"
STORY_ANCHOR = "story-"
"""Prefix of a story's element id in the book (keeps story slugs clear of our own ids)."""
FONT_FACES = (
    # (family, fontpkg module, file name, font-style)
    ("Literata", fontpkg_literata, "Literata[opsz,wght].ttf", "normal"),
    ("Literata", fontpkg_literata, "Literata-Italic[opsz,wght].ttf", "italic"),
    ("Inter", fontpkg_inter, "Inter[opsz,wght].ttf", "normal"),
    ("Inter", fontpkg_inter, "Inter-Italic[opsz,wght].ttf", "italic"),
)


class FetchRefused(PubpipeError):
    """WeasyPrint asked for a resource outside the project's styles and fonts."""


@dataclass(frozen=True)
class PdfInfo:
    """What the reading edition turned out to be."""

    pages: int
    """Number of pages in the PDF."""
    story_pages: dict
    """Story id -> 1-based page number where the story starts (read from the layout)."""


def allowed_roots() -> tuple:
    """The folders WeasyPrint may read from: the styles and the two font packages."""
    return (styles_dir().resolve(), (fontpkg_literata.ROOT / "files").resolve(),
            (fontpkg_inter.ROOT / "files").resolve())


class SafeFetcher(URLFetcher):
    """A URL fetcher that opens only local files under `allowed_roots` and refuses the rest.

    Refusals raise `FetchRefused`; with ``fail_on_errors`` WeasyPrint turns that into a
    fatal error instead of a warning, so a render never silently skips a resource.
    Every URL asked for is recorded in ``requested`` (for tests and reports).
    """

    def __init__(self, roots=None, **kwargs):
        kwargs.setdefault("fail_on_errors", True)
        super().__init__(allowed_protocols=("file",), allow_redirects=False, **kwargs)
        self.roots = tuple(Path(r).resolve() for r in (roots or allowed_roots()))
        self.requested: list = []

    def fetch(self, url, headers=None):
        """Return the file behind a ``file:`` URL under an allowed root, or raise FetchRefused."""
        self.requested.append(url)
        path = self.local_path(url)
        mime, _ = mimetypes.guess_type(path.name)
        # Read the checked path ourselves rather than handing the URL back to urllib,
        # so what is opened is exactly what was checked.
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  {"Content-Type": mime or "application/octet-stream"})

    def local_path(self, url: str) -> Path:
        """The resolved file a URL names, if it is an existing file under an allowed root."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to fetch {url!r}: only the project's own files are loaded")
        path = Path(url2pathname(unquote(parts.path)))
        try:
            path = path.resolve(strict=True)  # follows symlinks and '..' before the check
        except OSError as error:
            raise FetchRefused(f"refused to fetch {url!r}: {error.strerror}") from None
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            raise FetchRefused(f"refused to fetch {url!r}: not under the styles or font folders")
        return path


def font_faces_css() -> str:
    """@font-face rules for the packaged fonts (their paths are known only at run time)."""
    rules = []
    for family, package, name, style in FONT_FACES:
        uri = (package.ROOT / "files" / name).resolve().as_uri()
        rules.append(f'@font-face {{ font-family: "{family}"; src: url("{uri}"); '
                     f"font-style: {style}; }}")
    return "\n".join(rules) + "\n"


def build_date() -> str | None:
    """SOURCE_DATE_EPOCH as a W3C date-time, or None to let the build time stand."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not epoch:
        return None
    try:
        moment = datetime.fromtimestamp(int(epoch), tz=timezone.utc)
    except (ValueError, OverflowError):
        raise PubpipeError(f"SOURCE_DATE_EPOCH must be seconds since 1970, not {epoch!r}") from None
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def series_label(story: Story) -> str:
    """``Joseph’s Story, Part 1`` (or just the series name), empty without a series."""
    if not story.series:
        return ""
    return story.series.name + (f", Part {story.series.part}" if story.series.part else "")


def dateline_label(story: Story) -> str:
    """``New Focus · 3 November 2016`` from the dateline, empty without one."""
    if not story.dateline:
        return ""
    when = story.dateline.date
    if when:
        try:
            day = date.fromisoformat(when)
            # %B is locale-dependent, but Python never calls setlocale: it is English here.
            when = f"{day.day} {day:%B %Y}"
        except ValueError:
            pass
    return " · ".join(p for p in (story.dateline.source, when) if p)


def book_html(anthology: Anthology, created: str | None) -> str:
    """The whole book as one HTML document (cover, title page, contents, stories)."""
    return render(TEMPLATE, anthology=anthology, created=created, anchor=STORY_ANCHOR,
                  series_label=series_label, dateline_label=dateline_label)


def story_start_pages(document, anthology: Anthology) -> dict:
    """Story id -> 1-based page holding the story's anchor, read from the laid-out pages."""
    where = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            where.setdefault(anchor, number)
    missing = [s.id for s in anthology.stories if STORY_ANCHOR + s.id not in where]
    if missing:
        raise PubpipeError(f"stories missing from the rendered book: {', '.join(missing)}")
    return {s.id: where[STORY_ANCHOR + s.id] for s in anthology.stories}


def render_pdf(anthology: Anthology, out_path: Path) -> PdfInfo:
    """Render the A5 reading edition of ``anthology`` to ``out_path``.

    Deterministic: with SOURCE_DATE_EPOCH set, two builds are byte-identical.
    Raises FetchRefused if anything asks for a resource outside styles and fonts.
    """
    fetcher = SafeFetcher()
    fonts = FontConfiguration()
    created = build_date() or datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = styles_dir().resolve().as_uri() + "/"
    try:
        html = HTML(string=book_html(anthology, created), base_url=base, url_fetcher=fetcher)
        faces = CSS(string=font_faces_css(), base_url=base, url_fetcher=fetcher, font_config=fonts)
        document = html.render(font_config=fonts, stylesheets=[faces])
        story_pages = story_start_pages(document, anthology)
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        document.write_pdf(out_path)
    except FatalURLFetchingError as error:  # a BaseException: make it an ordinary error
        raise FetchRefused(str(error.__cause__ or error)) from error
    return PdfInfo(pages=len(document.pages), story_pages=story_pages)
