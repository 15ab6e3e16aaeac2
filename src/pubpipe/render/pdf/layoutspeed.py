"""Two loops in WeasyPrint 70's page layout that grow with pages × document, made linear.

Profiling the reading edition of a 300-story collection (1,152 pages; benchmarks/RESULTS.md)
against a 100-story one (409 pages) showed the layout time per page rising, and two functions
whose own time grows with the square of the book:

- ``weasyprint.layout.page.set_page_type_computed_styles`` runs once per page and, to find the
  page's margin boxes, walks *every* cascaded style of the document (one per HTML element and
  one per page laid out so far) looking for keys ``(page_type, pseudo_type)``. The margin boxes
  a page can have are the pseudo-elements named by the stylesheets' ``@page`` rules, so
  `set_page_type_computed_styles` asks the cascade for those keys only.
- ``weasyprint.layout.layout_fixed_boxes`` is called twice per page with every *other* page
  and loops over them in Python to find ``position: fixed`` boxes. The book has none;
  `layout_fixed_boxes` first checks the pages' ``fixed_boxes`` lists in C (``map``/``any``)
  and only then runs WeasyPrint's loop.

Both replacements compute exactly what the originals compute (the test suite renders a book
with and without them and compares the PDFs byte for byte). They are installed only over the
WeasyPrint release they were written against (`KNOWN_VERSION`) and only over the functions as
released; any other WeasyPrint is left as it is, slower on long books but correct.
"""

from operator import attrgetter

import weasyprint
import weasyprint.layout
import weasyprint.layout.page

KNOWN_VERSION = "70.0"
_original_styles = weasyprint.layout.page.set_page_type_computed_styles
_original_fixed = weasyprint.layout.layout_fixed_boxes
_fixed_boxes = attrgetter("fixed_boxes")
_PSEUDO_TYPES = "_pubpipe_page_pseudo_types"


def page_pseudo_types(style_for) -> tuple:
    """The pseudo-elements (margin boxes…) named by any ``@page`` rule, in first-seen order.

    Computed once per document and kept on WeasyPrint's StyleFor object.
    """
    cached = style_for.__dict__.get(_PSEUDO_TYPES)
    if cached is None:
        seen = {}
        for sheet, _origin, _specificity in style_for._sheets:
            for _rule, selector_list, _declarations in sheet.page_rules:
                for _specificity, pseudo_type, _selector in selector_list:
                    if pseudo_type:
                        seen.setdefault(pseudo_type, None)
        cached = tuple(seen)
        style_for.__dict__[_PSEUDO_TYPES] = cached
    return cached


def set_page_type_computed_styles(page_type, html, style_for):
    """WeasyPrint's function of the same name, looking up only the page's own pseudo-elements."""
    style_for.add_page_declarations(page_type)
    # @page inherits from the root element, as in WeasyPrint.
    style_for.set_computed_styles(page_type, root=html.etree_element,
                                  parent=html.etree_element, base_url=html.base_url)
    cascaded = style_for.get_cascaded_styles()
    for pseudo_type in page_pseudo_types(style_for):
        if (page_type, pseudo_type) in cascaded:
            # The pseudo-element inherits from the page, as in WeasyPrint.
            style_for.set_computed_styles(page_type, pseudo_type=pseudo_type,
                                          root=html.etree_element, parent=page_type,
                                          base_url=html.base_url)


def layout_fixed_boxes(context, pages, containing_page):
    """WeasyPrint's function of the same name, skipping its Python loop when no page has fixed boxes."""
    if any(map(_fixed_boxes, pages)):
        yield from _original_fixed(context, pages, containing_page)


def install() -> bool:
    """Put both replacements in place (idempotent); False, changing nothing, on another WeasyPrint."""
    page_module, layout_module = weasyprint.layout.page, weasyprint.layout
    if (page_module.set_page_type_computed_styles is set_page_type_computed_styles
            and layout_module.layout_fixed_boxes is layout_fixed_boxes):
        return True
    if (weasyprint.__version__ != KNOWN_VERSION
            or page_module.set_page_type_computed_styles is not _original_styles
            or layout_module.layout_fixed_boxes is not _original_fixed):
        return False
    page_module.set_page_type_computed_styles = set_page_type_computed_styles
    layout_module.layout_fixed_boxes = layout_fixed_boxes
    return True


def uninstall() -> None:
    """Put WeasyPrint's own functions back (for tests and benchmarks that compare)."""
    weasyprint.layout.page.set_page_type_computed_styles = _original_styles
    weasyprint.layout.layout_fixed_boxes = _original_fixed
