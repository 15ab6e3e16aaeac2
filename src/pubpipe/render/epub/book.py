"""The EPUB anthology: EPUB 3 (with an EPUB 2 NCX), accessible, reproducible.

Every XHTML document, the navigation document and the NCX come from ``styles/epub-*.j2``
(the story bodies from the shared ``story.html.j2`` macro); ebooklib writes the package
document and the container. The archive is then rewritten reproducibly: ``mimetype``
first and stored, entries sorted, fixed timestamps and permissions, and ``dcterms:modified``
(which EPUB requires) taken from ``SOURCE_DATE_EPOCH``, else the time of the build
(`pubpipe.dates.stamp`). The cover image is drawn by
``epub_cover``; ``epubcheck`` and ``ace`` validate the result.
"""

from __future__ import annotations

import datetime as dt
import io
import time
import uuid
import zipfile

from ebooklib import epub
from lxml import etree

from pubpipe.render.epub.cover import COVER_SIZE, cover_png, publisher_name  # noqa: F401 (re-exported)
from pubpipe import dates
from pubpipe.render.templates import render_template, styles_dir
from pubpipe.model import Anthology, Story
from pubpipe.render import Rendered

FOLDER = "EPUB"
COLOPHON = "colophon.xhtml"
"""The colophon: the book's facts and where every story comes from (styles/colophon.html.j2)."""
XHTML = "application/xhtml+xml"
ID_NAMESPACE = uuid.UUID("5f0c7d52-93a4-4cde-9a57-0b1f4c1b5e21")
A11Y_SUMMARY = ("This publication is text only, apart from a cover image that has a text description. "
                "It has a table of contents, headings and a logical reading order; language changes "
                "are marked.")
A11Y_METADATA = (
    ("schema:accessMode", "textual"), ("schema:accessMode", "visual"),
    ("schema:accessModeSufficient", "textual"),
    ("schema:accessibilityFeature", "structuralNavigation"),
    ("schema:accessibilityFeature", "tableOfContents"),
    ("schema:accessibilityFeature", "readingOrder"),
    ("schema:accessibilityFeature", "alternativeText"),
    ("schema:accessibilityFeature", "displayTransformability"),
    ("schema:accessibilityHazard", "none"),
    ("schema:accessibilitySummary", A11Y_SUMMARY),
    ("dcterms:conformsTo", "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"),
)
"""Accessibility metadata (EPUB Accessibility 1.1); ``a11y:certifiedBy`` is added per book."""


def render(anthology: Anthology) -> Rendered:
    """The EPUB 3 of ``anthology``, ``<slug>.epub`` (the EPUB renderer's entry point, see
    `pubpipe.render`). The same anthology (and the same ``SOURCE_DATE_EPOCH``) always gives the
    same bytes."""
    if not anthology.stories:
        raise ValueError("an anthology without stories cannot become an EPUB")
    epoch = source_date_epoch()
    book = _book(anthology)
    for item, linear in _items(anthology):
        book.add_item(item)
        if linear is not None:
            book.spine.append((item, "yes" if linear else "no"))
    book.guide = [{"type": "cover", "title": "Cover", "href": "cover.xhtml"},
                  {"type": "toc", "title": "Contents", "href": "contents.xhtml"},
                  {"type": "text", "title": "Start", "href": _story_href(anthology.stories[0])}]
    raw = io.BytesIO()
    mtime = dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)
    epub.write_epub(raw, book, {"mtime": mtime, "raise_exceptions": True, "epub3_landmark": False})
    return Rendered({f"{anthology.slug}.epub": _rezip(raw, epoch, anthology.language)})


def source_date_epoch() -> int:
    """The build time in seconds since 1970: ``SOURCE_DATE_EPOCH`` if set, else now (`pubpipe.dates.stamp`):
    EPUB requires a ``dcterms:modified``, and only an honest one is stamped."""
    return int(dates.stamp().timestamp())


def book_identifier(anthology: Anthology) -> str:
    """A ``urn:uuid:`` that stays the same across builds of the same title and story ids."""
    key = "\n".join([anthology.title, *(s.id for s in anthology.stories)])
    return f"urn:uuid:{uuid.uuid5(ID_NAMESPACE, key)}"


def _book(anthology: Anthology) -> epub.EpubBook:
    """The book with its package metadata (Dublin Core and accessibility)."""
    book = epub.EpubBook()
    book.set_identifier(book_identifier(anthology))
    book.set_title(anthology.title)
    book.set_language(anthology.language)
    for lang in sorted({_lang(s, anthology) for s in anthology.stories} - {anthology.language}):
        book.set_language(lang)
    book.language = anthology.language
    for n, name in enumerate(creators(anthology), 1):
        book.add_author(name, role="aut", uid=f"creator{n}")
    if anthology.editor:
        book.add_metadata("DC", "contributor", anthology.editor, {"id": "editor"})
        book.add_metadata(None, "meta", "edt", {"refines": "#editor", "property": "role", "scheme": "marc:relators"})
    if anthology.publisher:
        book.add_metadata("DC", "publisher", anthology.publisher)
    if anthology.rights:
        book.add_metadata("DC", "rights", anthology.rights)
    if anthology.subtitle:
        book.add_metadata("DC", "description", anthology.subtitle)
    book.add_metadata(None, "meta", "", {"name": "cover", "content": "cover-img"})  # EPUB 2 readers
    for prop, value in [*A11Y_METADATA, ("a11y:certifiedBy", publisher_name(anthology))]:
        book.add_metadata(None, "meta", value, {"property": prop})
    return book


def creators(anthology: Anthology) -> list:
    """The book's ``dc:creator``s: its author, else every story's author (bylines, or what their
    sources say) once each; none when no source names one (never the publisher or the tool)."""
    if anthology.author:
        return [anthology.author]
    return list(dict.fromkeys(s.author for s in anthology.stories if s.author))


def _items(anthology: Anthology) -> list:
    """Every file of the publication as (item, linear): linear None keeps it out of the spine."""
    lang = anthology.language
    entries = _entries(anthology)
    cover_alt = ", ".join(filter(None, [f"Cover: {anthology.title}", anthology.subtitle,
                                        anthology.author or (anthology.editor and f"edited by {anthology.editor}"),
                                        anthology.publisher]))
    doc = _document
    items = [
        (_item("css", "epub.css", "text/css", (styles_dir() / "epub.css").read_bytes()), None),
        (_item("cover-img", "images/cover.png", "image/png", cover_png(anthology), ["cover-image"]), None),
        (doc("cover", "cover.xhtml", "epub-cover.xhtml.j2", lang=lang, title="Cover",
             image="images/cover.png", alt=cover_alt), True),
        (doc("titlepage", "titlepage.xhtml", "epub-titlepage.xhtml.j2", lang=lang,
             title=anthology.title, anthology=anthology), True),
        (doc("contents", "contents.xhtml", "epub-contents.xhtml.j2", lang=lang, title="Contents",
             entries=entries, anthology=anthology), True),
        (doc("nav", "nav.xhtml", "epub-nav.xhtml.j2", lang=lang, title="Contents", entries=entries,
             landmarks=_landmarks(anthology), properties=["nav"]), None),
    ]
    for entry in entries:
        story = entry["story"]
        items.append((doc(f"story-{story.id}", entry["href"], "epub-story.xhtml.j2", lang=entry["lang"],
                          title=story.title, story=story, anthology=anthology, css="../epub.css"), True))
    items.append((doc("colophon", COLOPHON, "epub-colophon.xhtml.j2", lang=lang, title="Sources and credits",
                      anthology=anthology, cjk=False), True))
    depth = 2 if any(e["headings"] for e in entries) else 1
    ncx = render_template("epub-toc.ncx.j2", uid=book_identifier(anthology), title=anthology.title, lang=lang,
                 depth=depth, entries=entries)
    items.append((_item("ncx", "toc.ncx", "application/x-dtbncx+xml", ncx.encode("utf-8")), None))
    return items


def _item(uid: str, name: str, media_type: str, content: bytes, properties=()) -> epub.EpubItem:
    """An ebooklib item written as it is (ebooklib re-parses its own EpubHtml)."""
    item = epub.EpubItem(uid=uid, file_name=name, media_type=media_type, content=content)
    item.properties = list(properties)
    return item


def _document(uid: str, name: str, template: str, *, properties=(), css="epub.css", **context):
    """An XHTML content document rendered from one of the ``epub-*.xhtml.j2`` templates."""
    text = render_template(template, css=css, **context)
    return _item(uid, name, XHTML, text.encode("utf-8"), properties)


def _lang(story: Story, anthology: Anthology) -> str:
    """The story's language, or the anthology's when the story's is undetermined."""
    return story.language if story.language not in ("", "und") else anthology.language


def _story_href(story: Story) -> str:
    return f"stories/{story.id}.xhtml"


def _entries(anthology: Anthology) -> list:
    """Stories with their hrefs, languages and headings, numbered in NCX play order."""
    entries, order = [], 0
    for story in anthology.stories:
        order += 1
        href = _story_href(story)
        headings = []
        for index, block in enumerate(story.blocks, start=1):
            if block.type == "heading" and block.text.strip():
                order += 1
                # The same id story.html.j2 gives the heading (prefix "", loop.index).
                headings.append({"href": f"{href}#{story.id}-h{index}", "text": block.text,
                                 "order": order})
        entries.append({"story": story, "href": href, "lang": _lang(story, anthology),
                        "headings": headings, "order": order - len(headings)})
    return entries


def _landmarks(anthology: Anthology) -> list:
    return [{"type": "cover", "href": "cover.xhtml", "title": "Cover"},
            {"type": "titlepage", "href": "titlepage.xhtml", "title": "Title page"},
            {"type": "toc", "href": "contents.xhtml", "title": "Contents"},
            {"type": "bodymatter", "href": _story_href(anthology.stories[0]), "title": "Start of content"},
            {"type": "backmatter", "href": COLOPHON, "title": "Sources and credits"}]


def _rezip(raw: io.BytesIO, epoch: int, lang: str) -> bytes:
    """ebooklib's archive rewritten reproducibly, the package document patched on the way."""
    stamp = max(time.gmtime(epoch)[:6], (1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(raw) as zin:
        data = {name: zin.read(name) for name in zin.namelist()}
    opf = f"{FOLDER}/content.opf"
    data[opf] = _patch_opf(data[opf], lang)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zout:
        for name in ["mimetype", *sorted(n for n in data if n != "mimetype")]:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.create_system = 3  # Unix, whatever builds it
            info.external_attr = 0o100644 << 16
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            zout.writestr(info, data[name], compresslevel=9)
    return out.getvalue()


def _patch_opf(opf: bytes, lang: str) -> bytes:
    """Add ``xml:lang`` to ``<package>`` (ebooklib leaves it off)."""
    root = etree.fromstring(opf)
    root.set("{http://www.w3.org/XML/1998/namespace}lang", lang)
    return etree.tostring(root, encoding="utf-8", xml_declaration=True, pretty_print=True)
