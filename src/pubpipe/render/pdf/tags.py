"""Tagged PDF for the reading edition: WeasyPrint's ``pdf/ua-1`` variant, kept fast on long books.

WeasyPrint builds the structure tree (one StructElem per block, line and text run) in
``weasyprint.pdf.tags``, and every element asks ``pydyf.PDF.page_references`` for its page.
In pydyf 0.13 that property rebuilds a tuple of *every* page's reference on each call, so
tagging costs pages × elements: on the 350-page corpus book it was a quarter of the PDF write.
`speed_up_page_references` swaps the property for one that rebuilds the tuple only when a page
has been added since the last call. It returns exactly what the original returns, so the patch
cannot change a byte of the output; it is installed once, process-wide, and only over the
property it knows (a pydyf that changed it is left alone).
"""

import pydyf

VARIANT = "pdf/ua-1"
"""WeasyPrint's PDF/UA-1 variant: PDF 1.7, tagged (``pdfinfo`` says ``Tagged: yes``), XMP metadata."""

_CACHE = "_pubpipe_page_references"
_original = pydyf.PDF.__dict__.get("page_references")


def _page_references(self) -> tuple:
    """pydyf's page_references, recomputed only when the page list has grown."""
    kids = self.pages["Kids"]
    cached = self.__dict__.get(_CACHE)
    if cached is None or cached[0] is not kids or cached[1] != len(kids):
        cached = (kids, len(kids), _original.fget(self))
        self.__dict__[_CACHE] = cached
    return cached[2]


def speed_up_page_references() -> bool:
    """Install the cached ``page_references`` on pydyf.PDF (idempotent); False if not applicable."""
    current = pydyf.PDF.__dict__.get("page_references")
    if isinstance(current, property) and current.fget is _page_references:
        return True
    if not isinstance(_original, property) or current is not _original:
        return False  # a pydyf we do not know: leave it as it is
    pydyf.PDF.page_references = property(_page_references, doc=_original.__doc__)
    return True
