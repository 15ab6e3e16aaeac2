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

Each source page becomes a Form XObject drawn with one ``cm`` + ``Do`` per slot, which is about twenty times faster than pypdf's
``merge_transformed_page`` (that one rewrites every content stream it merges).
"""

from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (ArrayObject, DecodedStreamObject, DictionaryObject, FloatObject,
                           NameObject, StreamObject)

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


def page_xobject(writer: PdfWriter, page) -> StreamObject:
    """A Form XObject drawing ``page`` (its contents and resources copied into ``writer``)."""
    contents = page.get("/Contents")
    if contents is not None and not isinstance(contents.get_object(), ArrayObject):
        # One content stream (WeasyPrint's case): clone it as it is, still compressed.
        form = contents.get_object().clone(writer)
    else:
        parts = contents.get_object() if contents is not None else []
        form = DecodedStreamObject()
        form.set_data(b"\n".join(part.get_object().get_data() for part in parts))
        form = form.flate_encode()
    box = page.mediabox
    form.update({
        NameObject("/Type"): NameObject("/XObject"),
        NameObject("/Subtype"): NameObject("/Form"),
        NameObject("/BBox"): ArrayObject(FloatObject(v) for v in (box.left, box.bottom,
                                                                  box.right, box.top)),
    })
    for key in ("/Resources", "/Group"):
        if key in page:
            form[NameObject(key)] = page[key].clone(writer)
    return form


def placement(page, slot: int, sheet=A4_LANDSCAPE) -> bytes:
    """``q a 0 0 d e f cm`` putting ``page`` centred and scaled to fit in half ``slot`` (0 left, 1 right)."""
    half = sheet[0] / 2
    width, height = float(page.mediabox.width), float(page.mediabox.height)
    scale = min(half / width, sheet[1] / height)
    x = slot * half + (half - width * scale) / 2 - float(page.mediabox.left) * scale
    y = (sheet[1] - height * scale) / 2 - float(page.mediabox.bottom) * scale
    return f"q {scale:.6f} 0 0 {scale:.6f} {x:.4f} {y:.4f} cm /P{slot} Do Q\n".encode()


def copy_document_facts(reader: PdfReader, writer: PdfWriter) -> None:
    """Title, author, dates and language of the reading edition, for the print edition too."""
    if reader.metadata:
        writer.add_metadata({k: v for k, v in reader.metadata.items() if k != "/Producer"})
    catalog = reader.trailer["/Root"]
    if "/Lang" in catalog:
        writer.root_object[NameObject("/Lang")] = catalog["/Lang"].clone(writer)
    writer.create_viewer_preferences().display_doctitle = True


def render(reading: Rendered, layout=None) -> Rendered:
    """The print edition, ``<slug>-print.pdf``, of the reading edition ``reading`` (the print
    edition's entry point, see `pubpipe.render`), in a process of its own, ended after it
    (`pubpipe.orchestrate.processes.in_fresh`; here with ``layout.here``, ``layout`` a
    `pubpipe.render.pdf.reading.Layout`): pypdf parses the whole book into Python objects, memory
    and interpreter time neither the long-lived build process nor a layout process (which holds
    what WeasyPrint left it) should add them to (issue 19's memory). This module imports no
    WeasyPrint, so that process does not either. A book shorter than
    `pubpipe.orchestrate.processes.FRESH_FROM_PAGES` is imposed in a layout process, already warm."""
    pages = getattr(reading.info, "pages", 0) or 0
    return in_fresh("the print edition", _render, reading, here=bool(layout is not None and layout.here),
                    warm=not fresh_processes(pages))


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
    reader = PdfReader(reading_pdf)
    count = len(reader.pages)
    padded = padded_pages(count, back_cover)
    writer = PdfWriter()
    forms = {}

    def form_for(number: int):
        if number not in forms:
            page = reader.pages[number - 1]
            forms[number] = (page, writer._add_object(page_xobject(writer, page)))
        return forms[number]

    for pair in imposition_order(padded):
        sheet = writer.add_blank_page(*A4_LANDSCAPE)
        content, xobjects = b"", DictionaryObject()
        for slot, number in enumerate(pair):
            number = reading_page(number, count, padded, back_cover)
            if number is None:
                continue  # a padding page: that half prints nothing
            page, ref = form_for(number)
            xobjects[NameObject(f"/P{slot}")] = ref
            content += placement(page, slot)
        stream = DecodedStreamObject()
        stream.set_data(content)
        sheet[NameObject("/Contents")] = writer._add_object(stream.flate_encode())
        sheet[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): xobjects})
    copy_document_facts(reader, writer)
    if hasattr(out_path, "write"):
        writer.write(out_path)
    else:
        out_path = Path(out_path)
        out_path.parent.mkdir(parents=True, exist_ok=True)
        with open(out_path, "wb") as handle:
            writer.write(handle)
    return ImposeInfo(pages_in=count, pages_padded=padded, sheets=padded // 4,
                      signatures=tuple(pages // 4 for _, pages in signatures(padded)))
