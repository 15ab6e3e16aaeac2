"""The reading edition: an A5 PDF booklet rendered with WeasyPrint.

The HTML comes from ``styles/book.html.j2`` (autoescape on: source text is always text),
the look from ``styles/book.css``; fonts are the fontpkg Literata and Inter variable fonts,
Korean and other CJK text falls back to the system's Noto CJK fonts, symbols to Noto Sans Symbols
and emoji to Noto Color Emoji (see book.css). A character no installed font can draw is shown as a
placeholder, a boxed question mark (`pubpipe.render.pdf.glyphs`), and named in `LaidOut.replaced`.
The PDF is tagged (PDF/UA-1, `pubpipe.render.pdf.tags`), has a bookmark per story and heading, and is
byte-identical from build to build when SOURCE_DATE_EPOCH is set. Two layout loops of WeasyPrint
that grow with the square of the page count are replaced by linear ones (`pubpipe.render.pdf.layoutspeed`); the
static instances of the variable fonts are made once and kept (`pubpipe.render.pdf.fontcache`).

`render` is the reading edition's entry point (see `pubpipe.render`). The book is laid out in
parts — runs of stories (`render_stories`), the front matter (`render_front`) and the folio sheet
(`render_folio_sheet`), each in a layout process (`lay_out_part`, `lay_out_front`, `lay_out_sheet`)
— that `pubpipe.render.pdf.parts` places and assembles (`bind`); `render` calls these steps through a
runner (`pubpipe.orchestrate.runner`): here by default, as cached Prefect tasks in the publish flow.

WeasyPrint would happily read any ``file://`` URL and attach local files named by
``<link rel=attachment>``; every load goes through `pubpipe.render.pdf.fetcher.SafeFetcher`, which
only opens files under the styles folder and the two font folders.
"""

import dataclasses
import functools
import gc
import threading
import time
import unicodedata
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field

import fontpkg_inter
import fontpkg_literata

from pubpipe.config import NO_OUTPUT
from pubpipe.errors import FetchRefused, PubpipeError  # noqa: F401 (FetchRefused: what a refused load raises)
from pubpipe import dates
from pubpipe.render.pdf import frontguess
from pubpipe.render.pdf import keptsheet
from pubpipe.render import labels
from pubpipe.render.pdf import level as pdflevel
from pubpipe.render.pdf import parts as pdfbook
from pubpipe.orchestrate import progress
from pubpipe.render.templates import render_template, styles_dir
from pubpipe.model import Anthology
from pubpipe.render.pdf import glyphs as pdfglyphs
from pubpipe.render.pdf.parts import STORY_ANCHOR, STORY_LINK, PdfInfo  # noqa: F401 (PdfInfo: the info `render` returns)
from pubpipe.orchestrate.processes import (LAYOUT_THRESHOLDS, fresh_processes, give_back_memory, in_fresh, in_layout,
                                          in_layout_soon, layout_processes, retire_layout_processes)
from pubpipe.render import Rendered
from pubpipe.orchestrate.runner import Later, Local, done

TEMPLATE = "book.html.j2"
BACK_TITLES = 8
"""The back cover lists the first this many stories' titles (and how many more there are)."""
COLOPHON_IN_FRONT = 6
"""The colophon's sources and credits stay on the imprint page inside the front cover while they
list at most this many stories (the sample's five fit on it); a longer list is the book's back
matter, before the back cover, and the imprint keeps the book's facts and says where it is."""
ENGLISH_HYPHENATION = "en-US"
"""The variant an English story is hyphenated in (its ``lang`` in the PDF) when the anthology's
``language`` names none: langdetect says only "en", and WeasyPrint (pyphen) hyphenates plain
"en" with British patterns ("relat-ives", "know-ledge"). ``language = "en-GB"`` in anthology.toml
gives British hyphenation."""
RUNNING_TITLE_MAX = 56
"""Longest running head, in characters: one line of 6.8 pt letter-spaced capitals on A5."""
FONT_FACES = (
    # (family, fontpkg module, file name, font-style)
    ("Literata", fontpkg_literata, "Literata[opsz,wght].ttf", "normal"),
    ("Literata", fontpkg_literata, "Literata-Italic[opsz,wght].ttf", "italic"),
    ("Inter", fontpkg_inter, "Inter[opsz,wght].ttf", "normal"),
    ("Inter", fontpkg_inter, "Inter-Italic[opsz,wght].ttf", "italic"),
)


@dataclass(frozen=True)
class Layout:
    """How the reading edition is laid out and where, beyond what anthology.toml says: `render`'s
    ``layout``, passed on to each of its steps. The defaults are every build's; tests and benchmarks
    pass others (short parts, so that a small book is assembled from several; no levelling; the
    layout in their own process)."""

    part_words: tuple = pdfbook.PART_WORDS
    """Where the book is cut into parts (`pubpipe.render.pdf.parts.parts`)."""
    piece_words: tuple = pdfbook.PIECE_WORDS
    """Where a part is cut into the pieces it is laid out in (`pubpipe.render.pdf.parts.pieces`)."""
    sheet_piece: int = pdfbook.SHEET_PIECE
    """Pages of the folio sheet laid out as one document (`pubpipe.render.pdf.parts.sheet_pieces`)."""
    level: bool = True
    """Level the spreads of story parts and pull lines onto two-line last pages (`pubpipe.render.pdf.level`)."""
    here: bool = field(default=False, metadata=NO_OUTPUT)
    """Lay out (and impose) in this process, one layout at a time, instead of in the layout
    processes (`pubpipe.orchestrate.processes.in_layout`): for a test that patches or watches the
    layout functions (the layout processes see no patch), or a benchmark that measures this
    process. Shapes no output, so no cache key holds it."""


_WEASYPRINT_NAMES = {"HTML": "weasyprint", "CSS": "weasyprint", "FontConfiguration": "weasyprint.text.fonts",
                    "SafeFetcher": "pubpipe.render.pdf.fetcher", "allowed_roots": "pubpipe.render.pdf.fetcher"}


def __getattr__(name: str):
    """WeasyPrint's ``HTML``, ``CSS`` and ``FontConfiguration`` and `pubpipe.render.pdf.fetcher`'s
    ``SafeFetcher`` and ``allowed_roots``, imported when first asked for: the build process imports
    this module (the flow's steps) but lays nothing out, and WeasyPrint's import (~0.5 s of CPU) was
    on its start's critical path (issue 19); the layout processes import it as they start
    (`pubpipe.render.pdf.engine`)."""
    if name in _WEASYPRINT_NAMES:
        import importlib
        return getattr(importlib.import_module(_WEASYPRINT_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def font_faces_css() -> str:
    """@font-face rules for the packaged fonts (their paths are known only at run time)."""
    rules = []
    for family, package, name, style in FONT_FACES:
        uri = (package.ROOT / "files" / name).resolve().as_uri()
        rules.append(f'@font-face {{ font-family: "{family}"; src: url("{uri}"); '
                     f"font-style: {style}; }}")
    return "\n".join(rules) + "\n"


_PHRASE_ENDS = (": ", " — ", "—", " – ", " - ", " | ", "? ", "! ")
"""Where a title's main phrase may end: a colon, an em dash (spaced or not), a spaced en dash or
hyphen, a bar, a question or exclamation mark."""


def running_title(title: str, limit: int = RUNNING_TITLE_MAX, fallback: str = "") -> str:
    """A title as a running head, a short title on one line (``limit`` Latin-capital widths): its
    main phrase, what comes before the first colon, spaced dash, bar, question or exclamation mark
    (``The Clinic That Comes to Town: Eye Care on the Roads`` -> ``The Clinic That Comes to Town``),
    when that fits and says enough (12 characters or more: "Update" says too little); else the whole
    title if it fits; else ``fallback`` (the book's running head). Never a title cut mid-phrase.
    (CSS ``text-overflow`` would cut mid-word, and WeasyPrint has no ``string-set`` trimming.)"""
    title = " ".join(title.split())
    for end in _PHRASE_ENDS:
        if end not in title:
            continue
        main = title.split(end, 1)[0].rstrip() + end.strip().strip(":—–-|")
        if len(main) >= 12 and text_width(main) <= limit:
            return main
    return title if text_width(title) <= limit else fallback


def typeset_language(language: str, book_language: str = "") -> str:
    """The ``lang`` a text is set in: its language, with the book's region when the book's language
    (``language`` in anthology.toml) names one for it (``en-GB``), else for English `ENGLISH_HYPHENATION`:
    pyphen picks its hyphenation patterns by this tag."""
    base = (language or "").split("-")[0].lower()
    if not base or "-" in language:
        return language
    if book_language.split("-")[0].lower() == base and "-" in book_language:
        return book_language
    return ENGLISH_HYPHENATION if base == "en" else language


def text_width(text: str) -> int:
    """Width in Latin-capital units: CJK (East Asian wide/full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def book_authors(anthology: Anthology) -> list:
    """The PDF's authors: the book's author, else its editor, else the stories' authors (each name
    once; bylines, or what their sources say), else none. Never the publisher, nor the tool."""
    if anthology.author or anthology.editor:
        return [anthology.author or anthology.editor]
    return list(dict.fromkeys(s.author for s in anthology.stories if s.author))


def colophon_at_back(anthology: Anthology) -> bool:
    """Are the colophon's sources and credits the book's back matter (more than `COLOPHON_IN_FRONT`
    stories listed), rather than on the imprint page inside the front cover?"""
    return sum(len(group.stories) for group in labels.colophon(anthology)) > COLOPHON_IN_FRONT


def book_html(anthology: Anthology, created: str | None, *, front: bool = False, back: bool = False, stories=(),
              toc_pages=None, folio_pages: int = 0, folio_first: int = 1, recto: bool = False,
              colophon: bool = False, toc_first: int = 0, toc_upto: int | None = None) -> str:
    """One part of the book as an HTML document: the front matter (cover, imprint, title page and
    contents, with the stories' page numbers ``toc_pages``, and the colophon's under
    `pdfbook.COLOPHON` when it is at the back), the back cover, the colophon at the back of the book
    (``colophon``, `colophon_at_back`; ``colophon_part`` in the template), the given ``stories``, or the folio sheet of ``folio_pages``
    pages from page ``folio_first`` (see styles/book.html.j2); ``recto``: every story opens on a
    right-hand page (anthology.toml's ``stories_open = "recto"``). ``toc_first``, ``toc_upto``: the
    front matter's contents entries from story ``toc_first`` up to ``toc_upto`` (the colophon's only
    when it runs to the end); from an entry past the first, only the rest of the contents
    (`lay_out_front`)."""
    cjk = any(s.language.split("-")[0] in ("ko", "ja", "zh") for s in anthology.stories)
    return render_template(TEMPLATE, anthology=anthology, created=created, anchor=STORY_ANCHOR, cjk=cjk,
                  authors=book_authors(anthology), running_title=running_title, front=front, back=back,
                  colophon_part=colophon, colophon_back=bool(anthology.stories) and colophon_at_back(anthology),
                  colophon_key=pdfbook.COLOPHON,
                  back_titles=BACK_TITLES, typeset_language=typeset_language,
                  stories=stories, toc_pages=toc_pages or {}, folio_pages=folio_pages,
                  folio_first=int(folio_first), link=STORY_LINK, recto=recto, toc_first=toc_first,
                  toc_upto=toc_upto)


@dataclass(frozen=True)
class LaidOut:
    """One part of the book (front matter, a run of stories, or the folio sheet) laid out by
    WeasyPrint and written as a PDF of its own; `pubpipe.render.pdf.parts` assembles the parts."""

    data: bytes
    """The part's PDF (tagged, PDF/UA-1)."""
    folios: tuple
    """Per page: True where book.css puts a folio. The part is written without them (no part
    knows where it lands in the book); `pubpipe.render.pdf.parts` draws them from the folio sheet."""
    starts: dict
    """Story id -> 1-based page of the part where the story opens."""
    replaced: tuple = ()
    """The characters of this part no installed font can draw, shown as placeholders (sorted)."""
    back: "LaidOut | None" = None
    """With the front matter: the back cover, the book's last page (pubpipe.render.pdf.parts places it)."""
    colophon: "LaidOut | None" = None
    """With the front matter of a book whose colophon is at the back (`colophon_at_back`): the
    colophon, placed after the last story (pubpipe.render.pdf.parts)."""
    runs_on: bool = False
    """A piece of a part after its first (`pubpipe.render.pdf.parts.pieces`): it opens on the page
    after the one before ends, not on a recto."""
    continued: "LaidOut | None" = None
    """With the front matter: the rest of its contents, laid out as a document of its own beside
    the first pages (`lay_out_front`); its pages follow this document's (``folios`` are this
    document's own; `pages` counts both)."""

    @property
    def pages(self) -> int:
        return len(self.folios) + (self.continued.pages if self.continued is not None else 0)


def created_date() -> str:
    """The document date: SOURCE_DATE_EPOCH, else the time of the build (UTC): `pubpipe.dates.stamp`."""
    return dates.w3c(dates.stamp())


def render_stories(anthology: Anthology, missing=None, recto: bool = False, level: bool = True,
                   runs_on: bool = False, verso: bool = False) -> LaidOut:
    """Lay out every story of ``anthology`` (a run of the book's stories, with the book's title,
    publisher and language) as one part, opening on a recto, each story on the next page (``recto``:
    on a right-hand page). ``missing``: the characters to show as
    placeholders (default: `pubpipe.render.pdf.glyphs.unshowable` of these stories, worked out here);
    ``level``: its spreads levelled (`Layout.level`). ``runs_on``: a piece that runs on from the one
    before (`pubpipe.render.pdf.parts.pieces`), its first page a verso if ``verso``."""
    laid = lay_out(anthology, missing=missing, level=level, stories=anthology.stories, recto=recto,
                   verso=runs_on and verso)
    return dataclasses.replace(laid, runs_on=True) if runs_on else laid


def render_front(anthology: Anthology, toc_pages: dict, missing=None) -> LaidOut:
    """Lay out the front matter: cover, imprint, title page and the contents, whose entries show
    ``toc_pages`` (story id -> page in the book) and link to `STORY_LINK` + the story's id; in a
    book whose colophon is at the back (`colophon_at_back`), ``toc_pages`` gives its page under
    `pdfbook.COLOPHON`; ``missing`` as in `render_stories`. (The back matter, which shows no page
    number, is `render_back`'s.)"""
    return lay_out(anthology, missing=missing, front=True, toc_pages=toc_pages)


def render_front_to(anthology: Anthology, toc_pages: dict, missing, upto: int) -> "LaidOut | None":
    """The front matter's pages before the contents entry of story ``upto`` (`render_front`'s, as it
    lays them out whole), or None if that entry does not open a page of it.

    The entries up to ``upto``'s, that one included, are laid out: the pages before the last are
    those of the whole front matter, and are written, if that entry is the only one on the last
    (the rest of the contents then opens a page with it, `render_front_rest`); else the contents
    break elsewhere than `pubpipe.render.pdf.frontguess` said, and `lay_out_front` lays the front
    matter out whole."""
    story = anthology.stories[upto].id

    def before_the_last(document):
        entries = [[target[len(STORY_LINK):] for _, target, *_ in page.links if str(target).startswith(STORY_LINK)]
                   for page in document.pages]
        if len(entries) < 2 or set(entries[-1]) != {story} or story in entries[-2]:
            return None
        return document.pages[:-1]
    return lay_out(anthology, missing=missing, keep=before_the_last, front=True, toc_pages=toc_pages,
                   toc_upto=upto + 1)


def render_front_rest(anthology: Anthology, toc_pages: dict, missing, first: int, verso: bool) -> LaidOut:
    """The rest of the front matter's contents, from the entry of story ``first`` on (with the
    colophon's), a document of its own opening at the top of a page (a verso if ``verso``): the
    pages of the whole front matter from the one that entry opens (`render_front_to`)."""
    return lay_out(anthology, missing=missing, front=True, toc_pages=toc_pages, toc_first=first, verso=verso)


def render_back(anthology: Anthology, missing=None) -> LaidOut:
    """Lay out the back matter: the back cover (its ``back``) and, in a book whose colophon is at
    the back (`colophon_at_back`), the colophon (its ``colophon``), each a document of its own;
    ``missing`` as in `render_stories`. They show no page number, so they are laid out beside the
    stories, once (`render`), not with the front matter after them."""
    back = lay_out(anthology, missing=missing, back=True)
    colophon = lay_out(anthology, missing=missing, colophon=True) if colophon_at_back(anthology) else None
    replaced = set(back.replaced) | set(colophon.replaced if colophon else ())
    return LaidOut(b"", (), {}, tuple(sorted(replaced)), back=back, colophon=colophon)


def render_folio_sheet(anthology: Anthology, pages: int, first: int = 1) -> bytes:
    """(A piece of) the folio sheet: ``pages`` empty pages, each with only the folio book.css gives a
    page, numbered from ``first`` (odd: a document opens on a recto)."""
    if first % 2 == 0:
        raise ValueError(f"a folio sheet opens on a recto: its first page number must be odd, not {first}")
    return lay_out(dataclasses.replace(anthology, stories=()), missing=(), folio_pages=pages,
                   folio_first=first, strip_folios=False).data


def lay_out(anthology: Anthology, strip_folios: bool = True, missing=None, level: bool = True, keep=None,
            **part) -> LaidOut | None:
    """Lay out and write one part of the book (`book_html`'s keyword arguments ``part``; a part of
    stories with its spreads levelled, if ``level``).

    Only the project's styles and fonts are read (`SafeFetcher`; anything else raises
    FetchRefused). With SOURCE_DATE_EPOCH set the bytes are the same from build to build (the
    document dates come from it, and fontTools stamps the static font instances WeasyPrint makes
    of the variable fonts with it too). The characters of ``missing`` (default: those of
    ``anthology`` no installed font has, `pubpipe.render.pdf.glyphs.unshowable`) are shown as placeholders.
    ``keep``: a function of the laid-out WeasyPrint document giving the pages to write (None: the
    layout is not wanted, and None is returned); default: every page.
    """
    from weasyprint.text.fonts import FontConfiguration
    from weasyprint.urls import FatalURLFetchingError

    from pubpipe.render.pdf import fontcache, layoutspeed
    from pubpipe.render.pdf.fetcher import SafeFetcher
    from pubpipe.render.pdf.tags import speed_up_page_references
    speed_up_page_references()
    layoutspeed.install()
    fontcache.install()
    fetcher = SafeFetcher()
    fonts = FontConfiguration()
    base = styles_dir().resolve().as_uri() + "/"
    missing = pdfglyphs.unshowable(anthology) if missing is None else tuple(missing)
    try:
        with fewer_collections():
            return _lay_out(anthology, part, strip_folios, fetcher, fonts, base, missing, level, keep)
    except FatalURLFetchingError as error:  # a BaseException: make it an ordinary error
        raise FetchRefused(str(error.__cause__ or error)) from error


def take_folio(page) -> bool:
    """Remove the folio (the bottom-centre margin box) from a laid-out page; True if it had one.

    Reads WeasyPrint's page box (``Page._page_box``, stable across the releases pyproject allows):
    whether a page has a folio is book.css's decision, taken where the layout applied it."""
    box = getattr(page, "_page_box", None)
    if box is None:
        raise PubpipeError("this WeasyPrint keeps no page box on its pages: pubpipe.render.pdf.reading.take_folio "
                           "needs updating for it")
    folio = [child for child in box.children if getattr(child, "at_keyword", None) == "@bottom-center"]
    if folio:
        box.children = [child for child in box.children if child not in folio]
    return bool(folio)


def _lay_out(anthology: Anthology, part: dict, strip_folios: bool, fetcher, fonts, base: str, missing,
             level: bool, keep=None) -> LaidOut | None:
    """lay_out's work, under fewer_collections."""
    from weasyprint import CSS, HTML

    from pubpipe.render.pdf import relayout
    from pubpipe.render.pdf.tags import VARIANT
    # The placeholders go into the HTML itself: found before layout from the fonts' cmaps, so
    # WeasyPrint never meets a character it cannot draw.
    part = dict(part)
    verso = part.pop("verso", False)
    source, replaced = pdfglyphs.substitute(book_html(anthology, created_date(), **part), missing)
    if verso:  # the document's first page a left-hand one (as `_Alone` lays a story out on a verso)
        source = _styled(source, [VERSO_FIRST])
    html = HTML(string=source, base_url=base, url_fetcher=fetcher)
    faces = CSS(string=font_faces_css(), base_url=base, url_fetcher=fetcher, font_config=fonts)
    levelled = level and part.get("stories")
    if levelled and relayout.usable():
        # The layout kept, so that levelling lays stories out again from the page it changes.
        document, kept = relayout.render(html, fonts, [faces])
    else:
        document, kept = html.render(font_config=fonts, stylesheets=[faces]), None
    if levelled:
        document = _levelled(document, kept, anthology, part, fetcher, fonts, faces, base, missing, verso)
    if keep is not None:  # only some pages written (render_front_to), or none
        pages = keep(document)
        if pages is None:
            return None
        document = document.copy(pages)
    folios = tuple(take_folio(page) if strip_folios else False for page in document.pages)
    starts = {}
    for number, page in enumerate(document.pages, start=1):
        for anchor in page.anchors:
            if anchor.startswith(STORY_ANCHOR):
                starts.setdefault(anchor[len(STORY_ANCHOR):], number)
    # Glyphs are looked up while pages are drawn: should Pango still find none for a character the
    # cmaps promised (WeasyPrint then draws the font's .notdef box), the write names it too.
    with pdfglyphs.watch_missing_glyphs() as notdef:
        data = document.write_pdf(pdf_variant=VARIANT)
    return LaidOut(data, folios, starts, tuple(sorted(set(replaced) | notdef)))


VERSO_FIRST = "html { break-before: left; }"
"""The rule that opens a document on a left-hand page (a piece that runs on from a recto, a story
laid out alone on a verso)."""


def _styled(source: str, rules: list) -> str:
    """The book HTML ``source`` with ``rules`` (CSS, one a line) in a style element of its own, last in its head."""
    return source.replace("</head>", "<style>" + "\n".join(rules) + "</style>\n</head>", 1)


def _levelled(document, kept, anthology: Anthology, part: dict, fetcher, fonts, faces, base: str, missing,
              verso: bool = False):
    """The story part ``document`` with its uneven spreads and two-line last pages mended
    (`pubpipe.render.pdf.level`): each story with such a page laid out again with the pages it
    needs shorter given a deeper bottom margin, from the first of them on, in the part's own layout
    (``kept``, a `pubpipe.render.pdf.relayout.Part`), or, without it, the story alone (`_Alone`); its
    pages replace the first layout's."""
    stories = list(part["stories"])
    starts = {}
    for index, page in enumerate(document.pages):
        for anchor in page.anchors:
            if anchor.startswith(STORY_ANCHOR):
                starts.setdefault(anchor[len(STORY_ANCHOR):], index)
    placed = [(story.id, starts[story.id]) for story in stories if story.id in starts]
    try:
        if len(placed) != len(stories):
            return document
        # Each story's line, as the first layout measured it: book.css alone says it.
        lines = {i: story_line(document.pages[start], story) for i, (story, start) in enumerate(placed)}
        relay = kept or _Alone(document, anthology, part, fetcher, fonts, faces, base, missing, verso)
        pages, changed = pdflevel.level(document.pages, placed, relay, lines.__getitem__,
                                        recto=part.get("recto", False), verso=verso)
    finally:
        if kept is not None:
            kept.close()
    return document.copy(pages) if changed else document


class _Alone:
    """A story of a part laid out again alone, in a document of its own, its first page on its hand
    in the part (`pubpipe.render.pdf.level`'s ``relay``, where `pubpipe.render.pdf.relayout` cannot
    be used: another WeasyPrint release). A story always opens on a new page and both hands have the
    same measure, so its line and page breaks are those it has in the part."""

    def __init__(self, document, anthology, part, fetcher, fonts, faces, base, missing, verso: bool = False):
        self.anthology, self.part, self.fetcher, self.fonts, self.faces = anthology, part, fetcher, fonts, faces
        self.base, self.missing, self.verso = base, missing, verso
        self.height = document.pages[0].height
        self.story, self.verso_first = None, False

    def begin(self, index: int, start: int, first: int, end: int, pages: list) -> list:
        self.story, self.verso_first = self.part["stories"][index], (start + self.verso) % 2 == 1
        return pages

    def trial(self, caps: dict, pages: list) -> list:
        from weasyprint import HTML
        one = dict(self.part, stories=(self.story,))
        css = [VERSO_FIRST] if self.verso_first else []
        css += [f"@page :nth({p + 1}) {{ margin-bottom: {self.height - cap:.3f}px; }}"
                for p, cap in sorted(caps.items())]
        source, _ = pdfglyphs.substitute(book_html(self.anthology, created_date(), **one), self.missing)
        html = HTML(string=_styled(source, css), base_url=self.base, url_fetcher=self.fetcher)
        return html.render(font_config=self.fonts, stylesheets=[self.faces]).pages

    def finish(self, pages: list) -> list:
        return pages


def story_line(page, story_id: str) -> float:
    """The line of a story's baseline grid (book.css: the story's ``line-height``, its ``--grid``),
    in CSS px, as WeasyPrint laid out ``page``, the page where the story opens."""
    anchor = STORY_ANCHOR + story_id
    for box in page._page_box.descendants():
        element = getattr(box, "element", None)
        if element is not None and element.get("id") == anchor:
            line = box.style["line_height"]
            if getattr(line, "unit", None) == "px":
                return line.value
            break
    raise PubpipeError(f"no line height in px for story {story_id!r} on its first page: book.css must set a story's "
                       "line-height to its grid (--grid), which pubpipe.render.pdf.level levels pages by")


def render(anthology: Anthology, run=None, recto: bool = False, layout: Layout = Layout(),
           started: threading.Event | None = None) -> Rendered:
    """The A5 reading edition of ``anthology``, ``<slug>.pdf`` (tagged, PDF/UA-1), with its
    `PdfInfo`: its stories laid out in parts (`pubpipe.render.pdf.parts.parts`) side by side, each
    in pieces one after the other (`_lay_out_pieces`), then bound into one book (`bind`). ``run``:
    the runner of these steps (`pubpipe.orchestrate.runner`; default: here); ``layout``: how and
    where they lay the book out (`Layout`).

    Deterministic under SOURCE_DATE_EPOCH. Raises FetchRefused if anything asks for a resource
    outside styles and fonts. Characters no installed font has are shown as placeholders and named
    in the `PdfInfo`'s ``placeholders``. Stories run on, each on the page after the one before ends;
    with ``recto``, each opens on a right-hand page.

    ``started``, if given, is set once the first pieces are under way (`_wait_under_way`), or as
    `render` ends, whichever is first: the build starts its other renderers then (`pubpipe.pipeline`)."""
    try:
        return _render(anthology, run or Local(), recto, layout, started)
    finally:
        if started is not None:
            started.set()


def _render(anthology: Anthology, run, recto: bool, layout: Layout, started: threading.Event | None) -> Rendered:
    parts = [pdfbook.pieces(part, layout.piece_words) for part in pdfbook.parts(anthology, layout.part_words)]
    progress.emit("pdf-parts", count=sum(len(pieces) for pieces in parts))
    # The characters no font has, per piece, here: the fonts' coverage is read once, not by each part's thread at once.
    parts = [[(piece, pdfglyphs.unshowable(piece)) for piece in pieces] for pieces in parts]
    with _UNDER_WAY:
        mark = _under_way[0]
    laid = [run.spawn(_lay_out_pieces, run, pieces, recto, layout) for pieces in parts]
    if started is not None:
        _wait_under_way(mark, min(len(parts), 1 if layout.here else layout_processes()), laid)
        started.set()
    contents = contents_of(anthology)
    # (taken by `bind` when it needs it: the front matter need not wait for it)
    back = Later(run.spawn(_back_when_free, run, laid, contents, layout))
    # the front matter's length guessed while the parts are laid out, not after them (0.1 s at 100 stories)
    guess = run.spawn(front_guess, contents)
    return run.call(bind, anthology, [piece for part in laid for piece in part.result()], back, layout, guess)


_UNDER_WAY = threading.Condition()
_under_way = [0]
"""Pieces handed to a layout process, or found laid out (the flow's task cache), by this process so far."""
LEAD_SECONDS = 0.5
"""How long `render` waits at most for its first pieces to be under way before it sets ``started``."""


def _piece_under_way() -> None:
    with _UNDER_WAY:
        _under_way[0] += 1
        _UNDER_WAY.notify_all()


def _wait_under_way(mark: int, count: int, laid: list) -> None:
    """Wait until ``count`` pieces more than ``mark`` are under way (`_piece_under_way`), a part's run
    of pieces (``laid``: futures, or results) has ended, or `LEAD_SECONDS` have passed.

    What for: the build's other renderers (the EPUB, the web pages, EPUBCheck's request) start once
    the PDF's first pieces are in the layout processes, not beside the steps that hand them over.
    Started together, they shared this process's interpreter with the handing-over (Prefect's task
    runs, the pieces' cache keys and pickling), and the layout processes — the critical path — began
    0.1-0.15 s later (a forked build at 100 stories: its first piece at 1.68 s, 1.56 s waiting; issue
    19, benchmarks/RESULTS.md, stop 44). Concurrent builds in one process count each other's pieces:
    they then wait less, never more."""
    deadline = time.monotonic() + LEAD_SECONDS
    with _UNDER_WAY:
        while _under_way[0] - mark < count:
            left = deadline - time.monotonic()
            if left <= 0 or any(not isinstance(part, Future) or part.done() for part in laid):
                return
            _UNDER_WAY.wait(min(left, 0.05))


def _back_when_free(run, laid: list, contents: Anthology, layout: Layout):
    """The back matter (`lay_out_back`, a step of ``run``), laid out once fewer of the parts' runs of
    pieces (``laid``: their futures, or their results from a runner that waited for them) are left
    than there are layout processes: in the time a process would otherwise wait for the last parts
    to end, not before a piece another part's run is ready to hand it. It shows no page number, so
    it needs no part; the front matter needs every part.

    Before, it was handed to the pool as the parts started and taken by the first process to come
    free between two pieces, so that process's run ended later by its length, and the other waited
    for it (the per-process ends of a forked build's timeline 0.4–0.75 s apart; issue 19,
    benchmarks/RESULTS.md)."""
    pending = {part for part in laid if isinstance(part, Future)}  # (a runner may hand them over resolved)
    slots = 1 if layout.here else layout_processes()
    while len(pending) >= slots:
        _, pending = wait(pending, return_when=FIRST_COMPLETED)
    return run.call(lay_out_back, contents, pdfglyphs.unshowable(contents), layout)


def front_guess(contents: Anthology) -> int:
    """The front matter's length `bind` lays it out with first (`pubpipe.render.pdf.frontguess`)."""
    return frontguess.front_pages(contents, colophon_at_back(contents))


def _lay_out_pieces(run, pieces: list, recto: bool, layout: Layout) -> list:
    """The pieces of one part (`pubpipe.render.pdf.parts.pieces`) laid out one after the other
    (`lay_out_part`, a step of ``run``), each opening on the hand the ones before leave it (with
    ``recto``, every piece opens on a recto, as every story does). The parts' pieces are laid out
    side by side, so the cores are shared as the parts were; a piece whose stories and hand are
    those of the last build is not laid out again (the flow's task cache)."""
    out, pages = [], 0
    for n, (piece, missing) in enumerate(pieces):
        laid = run.call(lay_out_part, piece, missing, recto, layout, *pdfbook.opening(n, pages, recto))
        if n == 0:  # (one the cache held was never handed to a layout process)
            _piece_under_way()
        pages += laid.pages
        out.append(laid)
    return out


def lay_out_part(part: Anthology, missing: tuple, recto: bool = False, layout: Layout = Layout(),
                 runs_on: bool = False, verso: bool = False) -> LaidOut:
    """One part of the book (`pubpipe.render.pdf.parts.parts`), or a piece of one
    (`pubpipe.render.pdf.parts.pieces`: ``runs_on`` from the piece before, its first page a verso if
    ``verso``), laid out in a layout process (`Layout.here`:
    here), its characters of ``missing`` — found before layout, from the fonts' cmaps (`pubpipe.render.pdf.glyphs.unshowable`)
    — shown as placeholders and named in its ``replaced``. (The flow caches the layout on the part
    and ``missing``: a font installed since lays the part out again.) A layout of the same piece
    started ahead of the flow (`lay_out_ahead`) is taken instead; should it have failed, it is laid
    out here as ever."""
    missing = tuple(missing)
    _piece_under_way()  # (handed over in a moment, or under way since before the flow)
    if not layout.here and _AHEAD:
        started = _take_ahead(_ahead_key(part, missing, recto, layout, runs_on, verso))
        if started is not None:
            try:
                return started.result()
            except Exception:  # (a process that died, a layout that failed: met again below, and said)
                pass
    return in_layout(render_stories, part, missing, recto, layout.level, runs_on, verso, here=layout.here)


_AHEAD: dict = {}
"""Layouts `lay_out_ahead` started in the layout processes, by `_ahead_key` (each taken once)."""
_AHEAD_LOCK = threading.Lock()


def _ahead_key(part: Anthology, missing: tuple, recto: bool, layout: Layout, runs_on: bool, verso: bool) -> str:
    from pubpipe import cache
    return "|".join([dates.epoch_text(), cache.digest(part), cache.digest(tuple(missing)), str(recto),
                     cache.digest(layout), str(runs_on), str(verso)])


def lay_out_ahead(anthology: Anthology, recto: bool, layout: Layout = Layout(), cached=None) -> int:
    """Start laying out, in the layout processes now, the pieces of ``anthology`` that `render` will
    ask for (`lay_out_part` then takes each): `pubpipe build` calls it with the stories recovered
    ahead of the flow (`pubpipe.recover.steps.ahead`), so that the layout starts while the flow is
    still at its first steps (issue 19). ``cached(piece, missing, runs_on, verso)``: the number of
    pages of a piece whose layout the flow will find in its task cache, else None. In each part, the
    first piece not cached is started (the hand of those after it waits for its length); pieces
    `lay_out_part` never takes are dropped (`drop_ahead`).

    Only a build with no more such pieces than there are layout processes (a story or two changed
    since the last build) starts them: there a piece is the build's critical path. A cold build's
    start is CPU-bound (the interpreter, Prefect's import, the recovery), and its parts laid out
    ahead only took the CPU from the flow's first steps (16 builds alternated: 15.03 s with, 14.79 s
    without; again on 2026-12-05, the first two pieces only, with WeasyPrint out of the build
    process: 14.41 s both ways; benchmarks/RESULTS.md). Returns how many were started."""
    if layout.here:
        return 0
    todo = []
    for part in pdfbook.parts(anthology, layout.part_words):
        pages = 0
        for n, piece in enumerate(pdfbook.pieces(part, layout.piece_words)):
            runs_on, verso = pdfbook.opening(n, pages, recto)
            missing = tuple(pdfglyphs.unshowable(piece))
            laid = cached(piece, missing, runs_on, verso) if cached is not None else None
            if laid is None:
                todo.append((piece, missing, runs_on, verso))
                break
            pages += laid
        if len(todo) > layout_processes():
            return 0
    started = 0
    for piece, missing, runs_on, verso in todo:
        future = in_layout_soon(render_stories, piece, missing, recto, layout.level, runs_on, verso)
        if future is None:
            break
        with _AHEAD_LOCK:
            _AHEAD[_ahead_key(piece, missing, recto, layout, runs_on, verso)] = future
        started += 1
    return started


def _take_ahead(key: str):
    """The layout started ahead under ``key`` (`_ahead_key`), if there is one (taken: it is not found again)."""
    with _AHEAD_LOCK:
        return _AHEAD.pop(key, None) if _AHEAD else None


def drop_ahead() -> None:
    """Forget the layouts started ahead that no piece took (a source edited between the recovery
    ahead and the flow); those still waiting for a layout process are cancelled (one already laid
    out finishes, and is not used)."""
    with _AHEAD_LOCK:
        left = list(_AHEAD.values())
        _AHEAD.clear()
    for future in left:
        future.cancel()


def contents_of(anthology: Anthology) -> Anthology:
    """What the front matter shows: the book and its stories' titles, series and bylines, without
    their text, nor what only the report reads (per-source facts, what was removed, the review): so
    the front matter's cache key holds only that."""
    return pdfbook.laid_out_facts(anthology, stories=tuple(dataclasses.replace(s, blocks=()) for s in anthology.stories))


def lay_out_front(contents: Anthology, story_pages: dict, missing: tuple, layout: Layout = Layout(),
                  split: bool = False) -> LaidOut:
    """The front matter (`render_front`: cover, imprint, title page, the contents showing
    ``story_pages``) laid out in a layout process (``missing`` and ``layout`` as in `lay_out_part`).

    With ``split``, contents of `frontguess.SPLIT_FROM` pages or more are laid out in two documents
    side by side, in two layout processes: the pages before the entry `frontguess.split` picks
    (`render_front_to`) and the rest (`render_front_rest`, the first's ``continued``). They are the
    pages of the front matter laid out whole — WeasyPrint tags each page's entries as a list of
    their own either way — and take about half as long: the front matter needs every story's page
    number, so it is laid out after the last piece, on one core while the other waited (0.58 s at
    100 stories; issue 19). Should the contents break elsewhere than the model says, the front
    matter is laid out whole after all."""
    missing = tuple(missing)
    cut = frontguess.split(contents, colophon_at_back(contents)) if split and not layout.here else None
    if cut is None:
        return in_layout(render_front, contents, story_pages, missing, here=layout.here)
    at, before = cut
    verso = (frontguess.LEADING_PAGES + before) % 2 == 1  # (the rest opens on page LEADING_PAGES + before + 1)
    with ThreadPoolExecutor(1) as threads:  # (waits on a layout process, as this thread does)
        rest = threads.submit(in_layout, render_front_rest, contents, story_pages, missing, at, verso)
        first = in_layout(render_front_to, contents, story_pages, missing, at)
        rest = rest.result()
    if first is None or first.pages != frontguess.LEADING_PAGES + before:
        return in_layout(render_front, contents, story_pages, missing)
    return dataclasses.replace(first, continued=rest, replaced=tuple(sorted(set(first.replaced) | set(rest.replaced))))


def lay_out_back(contents: Anthology, missing: tuple, layout: Layout = Layout()) -> LaidOut:
    """The back matter (`render_back`: the back cover and a long book's colophon) laid out in a
    layout process (``missing`` and ``layout`` as in `lay_out_part`)."""
    return in_layout(render_back, contents, tuple(missing), here=layout.here)


def lay_out_sheet(language: str, pages: int, layout: Layout = Layout()) -> list:
    """The folio sheet of a book of ``pages`` pages (`render_folio_sheet`), its pieces
    (`pubpipe.render.pdf.parts.sheet_pieces`, their lengths rounded up: `keptsheet.rounded`; the
    assembly uses the sheet's first ``pages`` pages) each taken from the user's cache
    (`pubpipe.render.pdf.keptsheet`), else laid out side by side in the layout processes and kept."""
    book = Anthology(title="", stories=(), language=language)
    pieces = keptsheet.rounded(pdfbook.sheet_pieces(pages, layout.sheet_piece), layout.sheet_piece)

    def lay_out_piece(first, count):
        return in_layout(render_folio_sheet, book, count, first, here=layout.here)
    with ThreadPoolExecutor(max(1, min(len(pieces), 16))) as threads:  # each waits on a layout process
        return list(threads.map(lambda piece: keptsheet.piece(language, *piece, lay_out_piece), pieces))


def bind(anthology: Anthology, laid_out: list, back: LaidOut | Later | None = None, layout: Layout = Layout(),
         guess: int | None = None, front=lay_out_front, sheet=lay_out_sheet) -> Rendered:
    """The reading edition bound from its laid-out parts (in book order) and its back matter
    (``back``, `lay_out_back`; laid out here if not given; a `Later` is waited for only once the
    front matter is laid out: it may still be in a layout process as the last piece ends, and the
    front matter needs no part of it): the front matter laid out (``front``)
    with the length `pubpipe.render.pdf.frontguess` guesses (``guess``, `front_guess`: guessed here if not given), again should its length move the page
    numbers, the folio sheet (``sheet``), and the parts assembled
    (`pubpipe.render.pdf.parts.book_from_parts`), in layout processes (``layout`` as `render` takes
    it). The flow passes cached tasks as ``front`` and ``sheet``: a changed story that moves no page
    number lays out neither again."""
    drop_ahead()  # every part is laid out: a layout started ahead that none took is not this book's
    contents = contents_of(anthology)
    missing = pdfglyphs.unshowable(contents)
    colophon = colophon_at_back(contents)
    if not isinstance(back, Later):  # (one way to take it below: given, or laid out here now)
        back = Later(done(back if back is not None else lay_out_back(contents, missing, layout)))
    fresh = fresh_processes(sum(part.pages for part in laid_out))
    if not layout.here and fresh:
        give_back_memory()  # this process's too, before the assembly's
        # The parts are laid out: the processes that did it hold what WeasyPrint left them (at 1,000
        # stories ~200 MB each, and the front matter and the folio sheet added 150 more to one);
        # the front matter and the sheet start from fresh ones (a WeasyPrint import, ~1.5 s, on the
        # path). Issue 19's memory, benchmarks/RESULTS.md. (A shorter book keeps them: its steps
        # need little memory and would pay each spawn on the path: `processes.FRESH_FROM_PAGES`.)
        retire_layout_processes()

    def front_with_back(_, pages):
        # (in two documents side by side, but in a long book: `fresh` processes would each import
        # WeasyPrint on the path, and hold their memory beside the other's)
        laid = front(contents, pages, missing, layout, not fresh)
        ended = back.result()
        return dataclasses.replace(laid, back=ended.back, colophon=ended.colophon,
                                   replaced=tuple(sorted(set(laid.replaced) | set(ended.replaced))))
    guess = guess if guess is not None else front_guess(contents)

    def sheet_guess() -> int:  # (beside the front matter: the back matter's length, once it is laid out)
        ended = back.result()
        return pdfbook.plan(guess, laid_out, ended.back.pages if ended.back is not None else 0,
                            ended.colophon.pages if ended.colophon is not None else 0).pages
    data, info = pdfbook.book_from_parts(anthology, laid_out, front_with_back,
                                         lambda pages: sheet(anthology.language, pages, layout),
                                         run=functools.partial(_assemble_apart, here=layout.here, fresh=fresh),
                                         colophon=colophon, guess=guess,
                                         # beside the front matter in a short book (one piece, ~1 s);
                                         # a long book's sheet would hold a second process's memory
                                         # beside the front matter's, and a wrong guess wastes it all
                                         sheet_guess=None if fresh else sheet_guess,
                                         # the print edition beside the assembly, in the other warm
                                         # layout process; a long book's after it, in a fresh process
                                         # (two books' objects at once would double the tail's memory)
                                         impose=None if fresh or layout.here else _impose_beside)
    return Rendered({f"{anthology.slug}.pdf": data}, info)


def _impose_beside(function, *args):
    """The print edition made from the parts (``function(*args)``, `pubpipe.render.pdf.parts.impose_parts`)
    in a layout process, while the other assembles the reading edition."""
    return in_fresh("the print edition", function, *args, warm=True)


def _assemble_apart(function, *args, here: bool = False, fresh: bool = True):
    """The assembly (``function(*args)``, `pubpipe.render.pdf.parts.assemble`), called once the book's
    layouts are done (front matter, folio sheet: `bind` retired the processes of the parts): the
    layout processes are retired again — each holds what WeasyPrint left it — and the assembly, which needs
    pikepdf alone, runs in a fresh process whose memory goes when it ends (issue 19's memory,
    benchmarks/RESULTS.md). With ``here``, both in this process, as every layout; unless ``fresh``
    (a book shorter than `processes.FRESH_FROM_PAGES`), in a layout process as it is."""
    if not here and fresh:
        retire_layout_processes()
    return in_fresh("the PDF's assembly", function, *args, here=here, warm=not fresh)


_GC_LOCK = threading.Lock()
_GC_USERS = [0, None]  # renders in progress, and the thresholds to restore after the last one


@contextmanager
def fewer_collections():
    """Collect cyclic garbage less often while a book is laid out.

    Layout makes millions of objects; with the default thresholds, Python scans them all in
    repeated full collections, a cost that grows with the book (1,152 pages: 24.9 s with the
    defaults, 22.9 s with this, the peak memory 6 % higher). The objects that exist beforehand are
    frozen out of the scans (gc.freeze) and the youngest generation is collected every 100,000
    allocations instead of 700; cycles are still collected, and everything is restored after."""
    with _GC_LOCK:
        if _GC_USERS[0] == 0:
            _GC_USERS[1] = gc.get_threshold()
            gc.freeze()
            gc.set_threshold(*LAYOUT_THRESHOLDS)
        _GC_USERS[0] += 1
    try:
        yield
    finally:
        with _GC_LOCK:
            _GC_USERS[0] -= 1
            if _GC_USERS[0] == 0:
                gc.set_threshold(*_GC_USERS[1])
                gc.unfreeze()
