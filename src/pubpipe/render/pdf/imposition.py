"""The print edition: the A5 reading edition imposed 2-up on landscape A4, in saddle-stitch order.

Up to `BOOKLET_SHEETS` sheets (64 pages) it is one booklet: print duplex, flipping on the short
edge, fold the stack in half and staple. A longer book does not fold flat and a stapler does not
go through it, so it is imposed as several signatures (sections) of at most `SIGNATURE_SHEETS`
sheets each, as books are printed: each signature folds on its own, and the folded signatures,
stacked in order, are sewn through their folds or glued at the spine (perfect binding).

The reading edition is padded with blank pages to a multiple of 4. Its last page is its back
cover (`pubpipe.render.pdf.parts`), so the blanks go before it and it stays the outside back cover; a PDF
without one (`impose` with ``back_cover=False``) is padded at the end, with at least one blank, so
that a story's last page never ends up on the outside of the booklet. Padding pages print nothing at all: blank
versos are what a reader expects in a book; an "intentionally blank" mark belongs to contracts
and manuals, and on a booklet it reads as a printing fault.

Each source page becomes a Form XObject drawn with one ``cm`` + ``Do`` per slot (no content stream is
rewritten). The PDF is read and written with pikepdf (qpdf, C++): pypdf, which this used before, held
the whole book as Python objects, 406 MB for the 3,400 pages of 1,000 stories (issue 19's memory).
"""

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

import pikepdf
from pikepdf import Dictionary, Name

from pubpipe.orchestrate.processes import fresh_processes, in_fresh
from pubpipe.render import Rendered

A4_LANDSCAPE = (841.8898, 595.2756)
"""Sheet size in PDF points (297 x 210 mm)."""
BOOKLET_SHEETS = 16
"""The most sheets folded and stapled as one booklet (64 A5 pages): a thicker stack of A4 80 g/m²
does not fold flat, its inner pages creep out at the fore-edge, and office staplers stop at ~20
sheets folded."""
SIGNATURE_SHEETS = 8
"""Beyond a booklet, the most sheets in one signature (32 pages, a usual section of a sewn book);
the signatures are made as even as the sheet count allows."""


@dataclass(frozen=True)
class ImposeInfo:
    """What the imposition did."""

    pages_in: int
    """Pages in the reading edition."""
    pages_padded: int
    """Pages after padding with blanks to a multiple of 4 (see `padded_pages`)."""
    sheets: int
    """Sheets of paper (each printed on both sides: two PDF pages per sheet)."""
    signatures: tuple = ()
    """Sheets in each signature, in order (one entry: a single saddle-stitched booklet)."""


def saddle_order(pages: int) -> list:
    """Per PDF page of the print edition, the (left, right) 1-based reading pages it holds.

    ``pages`` must be a multiple of 4. Sheet i (from 0) has front [n-2i, 2i+1] and
    back [2i+2, n-2i-1]; for a short-edge duplex flip the back needs no rotation.
    """
    if pages % 4:
        raise ValueError(f"saddle stitching needs a multiple of 4 pages, not {pages}")
    order = []
    for i in range(pages // 4):
        order.append((pages - 2 * i, 2 * i + 1))
        order.append((2 * i + 2, pages - 2 * i - 1))
    return order


def signatures(padded: int) -> list:
    """The (first page, page count) of each signature of a book of ``padded`` pages (a multiple
    of 4): one up to `BOOKLET_SHEETS` sheets, else the fewest signatures of at most
    `SIGNATURE_SHEETS` sheets, their sizes differing by one sheet at most (the larger ones first)."""
    sheets = padded // 4
    if sheets <= BOOKLET_SHEETS:
        return [(1, padded)]
    count = -(-sheets // SIGNATURE_SHEETS)
    base, extra = divmod(sheets, count)
    out, first = [], 1
    for i in range(count):
        pages = (base + (i < extra)) * 4
        out.append((first, pages))
        first += pages
    return out


def imposition_order(padded: int) -> list:
    """Per PDF page of the print edition, the (left, right) reading pages it holds: each
    signature in saddle-stitch order, one after the other."""
    return [(first - 1 + left, first - 1 + right)
            for first, pages in signatures(padded) for left, right in saddle_order(pages)]


def padded_pages(pages: int, back_cover: bool = False) -> int:
    """The booklet's page count, a multiple of 4: ``pages`` and the blanks before its back cover, or
    without one (``back_cover`` False) ``pages`` and at least one blank, for the outside back cover."""
    return -(-(pages + (not back_cover)) // 4) * 4


def reading_page(number: int, pages: int, padded: int, back_cover: bool) -> int | None:
    """The reading edition's page at page ``number`` of the padded booklet, None for a blank."""
    if back_cover and number == padded:
        return pages
    if number > pages - back_cover:
        return None
    return number


def page_xobject(printed: pikepdf.Pdf, page: pikepdf.Dictionary, box: tuple) -> pikepdf.Stream:
    """A Form XObject in ``printed`` drawing the page ``page`` of another PDF (media box ``box``): its
    content stream copied as it is, still compressed, and its resources (fonts, images: each object once,
    however many pages use it; qpdf keeps the copies it made).

    Not pikepdf's ``Page.as_form_xobject``: its form reads the page's contents through a stream
    provider, which copying into another PDF decompresses and holds in memory (518 MB for the 3,334
    pages of 1,000 stories, against 378 with pypdf; this, 261)."""
    contents = page.get("/Contents")
    if isinstance(contents, pikepdf.Stream):  # one content stream (WeasyPrint's case): copied raw
        form = printed.copy_foreign(contents)
    else:
        parts = list(contents) if contents is not None else []
        form = printed.make_indirect(pikepdf.Stream(printed, b"\n".join(part.read_bytes() for part in parts)))
    form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, pikepdf.Array(box)
    for key in ("/Resources", "/Group"):
        if key in page:
            form[key] = _copied(printed, page[key])
    return form


def _copied(printed: pikepdf.Pdf, value):
    """``value`` (of another PDF) for ``printed``: indirect objects copied by qpdf (each once: qpdf
    keeps what it copied from a PDF), direct dictionaries and arrays rebuilt around them. (A direct
    resource dictionary made indirect in the reading edition and copied whole took 218 MB for one
    page of the contents of 1,000 stories, against 22 for the same resources held indirect.)"""
    if not isinstance(value, pikepdf.Object):  # a number, a bool: pikepdf gives them as Python values
        return value
    if value.is_indirect:
        return printed.copy_foreign(value)
    if isinstance(value, pikepdf.Dictionary):
        return Dictionary({key: _copied(printed, item) for key, item in value.items()})
    if isinstance(value, pikepdf.Array):
        return pikepdf.Array([_copied(printed, item) for item in value])
    return value


def placement(box, slot: int, sheet=A4_LANDSCAPE) -> bytes:
    """``q a 0 0 d e f cm`` putting a page of media box ``box`` (left, bottom, right, top) centred and
    scaled to fit in half ``slot`` (0 left, 1 right)."""
    left, bottom, right, top = box
    half = sheet[0] / 2
    width, height = right - left, top - bottom
    scale = min(half / width, sheet[1] / height)
    x = slot * half + (half - width * scale) / 2 - left * scale
    y = (sheet[1] - height * scale) / 2 - bottom * scale
    return f"q {scale:.6f} 0 0 {scale:.6f} {x:.4f} {y:.4f} cm /P{slot} Do Q\n".encode()


def copy_document_facts(reading: pikepdf.Pdf, printed: pikepdf.Pdf) -> None:
    """Title, author, dates and language of the reading edition, for the print edition too."""
    for key, value in reading.docinfo.items():
        if key != "/Producer":  # the reading edition's tool, not this one's
            printed.docinfo[key] = value
    if "/Lang" in reading.Root:
        printed.Root.Lang = reading.Root.Lang
    printed.Root.ViewerPreferences = Dictionary(DisplayDocTitle=True)


def render(reading: Rendered, layout=None) -> Rendered:
    """The print edition, ``<slug>-print.pdf``, of the reading edition ``reading`` (the print
    edition's entry point, see `pubpipe.render`), in a process of its own, ended after it
    (`pubpipe.orchestrate.processes.in_fresh`; here with ``layout.here``, ``layout`` a
    `pubpipe.render.pdf.reading.Layout`): what qpdf holds of the two books (the reading edition
    parsed, the print edition being written) is given back when that process ends, not left to the
    long-lived build process or a layout process (which holds what WeasyPrint left it; issue 19's
    memory). This module imports no WeasyPrint, so that process does not either. A book shorter than
    `pubpipe.orchestrate.processes.FRESH_FROM_PAGES` is imposed in a layout process, already warm."""
    made = made_beside(reading)
    if made is not None:
        return made
    pages = getattr(reading.info, "pages", 0) or 0
    return in_fresh("the print edition", _render, reading, here=bool(layout is not None and layout.here),
                    warm=not fresh_processes(pages))


def made_beside(reading: Rendered) -> Rendered | None:
    """The print edition made with the reading edition ``reading``, beside its assembly
    (`pubpipe.render.pdf.parts.impose_parts`: a book shorter than
    `pubpipe.orchestrate.processes.FRESH_FROM_PAGES`, laid out in the layout processes), else None."""
    return getattr(reading.info, "print_edition", None)


def _render(reading: Rendered) -> Rendered:
    out = BytesIO()
    info = impose(BytesIO(reading.data), out, back_cover=getattr(reading.info, "back_cover", False))
    return Rendered({reading.name.replace(".pdf", "-print.pdf"): out.getvalue()}, info)


def impose(reading_pdf, out_path, back_cover: bool = False) -> ImposeInfo:
    """Impose ``reading_pdf`` 2-up on landscape A4 into ``out_path`` (each a path or a
    binary file), in saddle-stitch order per signature (`signatures`: one for a booklet).

    Pads with blank pages (see `padded_pages`): before the last page when it is the book's back
    cover (``back_cover``), else at the end. Output: pages_padded / 2 landscape pages,
    front and back of each sheet in turn, for duplex printing flipped on the short edge.
    """
    with pikepdf.open(reading_pdf) as reading:
        pages = reading.pages
        return imposed(len(pages), lambda printed, number: page_form(printed, pages[number - 1]), reading,
                       out_path, back_cover)


def page_form(printed: pikepdf.Pdf, page: pikepdf.Page) -> tuple:
    """(media box, `page_xobject`) of ``page`` (a `pikepdf.Page` of another PDF) for ``printed``."""
    box = tuple(float(v) for v in page.mediabox)
    return box, page_xobject(printed, page.obj, box)


def imposed(count: int, form_of, facts: pikepdf.Pdf, out_path, back_cover: bool = False) -> ImposeInfo:
    """`impose`'s work on a book of ``count`` pages, page n (1-based) of which ``form_of(printed, n)``
    draws ((media box, Form XObject in ``printed``), as `page_form` gives them), the document facts
    from ``facts`` (`copy_document_facts`): `impose` draws the reading edition's pages,
    `pubpipe.render.pdf.parts.impose_parts` those of the parts it is assembled from."""
    with pikepdf.new() as printed:
        padded = padded_pages(count, back_cover)
        forms = {}

        def form_for(number: int):
            if number not in forms:
                forms[number] = form_of(printed, number)
            return forms[number]

        for pair in imposition_order(padded):
            content, xobjects = b"", Dictionary()
            for slot, number in enumerate(pair):
                number = reading_page(number, count, padded, back_cover)
                if number is None:
                    continue  # a padding page: that half prints nothing
                box, form = form_for(number)
                xobjects[Name(f"/P{slot}")] = form
                content += placement(box, slot)
            sheet = printed.add_blank_page(page_size=A4_LANDSCAPE)
            sheet.obj.Contents = printed.make_stream(content)
            sheet.obj.Resources = Dictionary(XObject=xobjects)
        copy_document_facts(facts, printed)
        if hasattr(out_path, "write"):
            _save(printed, out_path)
        else:
            out_path = Path(out_path)
            out_path.parent.mkdir(parents=True, exist_ok=True)
            with open(out_path, "wb") as handle:
                _save(printed, handle)
    return ImposeInfo(pages_in=count, pages_padded=padded, sheets=padded // 4,
                      signatures=tuple(pages // 4 for _, pages in signatures(padded)))


def _save(printed: pikepdf.Pdf, handle) -> None:
    """Compressed, object streams as qpdf makes them, the same bytes for the same book (no time or
    random file identifier)."""
    printed.save(handle, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.generate,
                 deterministic_id=True, fix_metadata_version=False)
