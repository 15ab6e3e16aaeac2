"""Two loops in WeasyPrint 70's page layout that grow with pages × document, made linear; a font
description made once per font rather than once per line; no throwaway Pango layout for the text of
a justified line.

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

And, found profiling the 100-story benchmark's pieces (benchmarks/RESULTS.md, stop 37): every text
box and every try at a line (``weasyprint.text.line_break.Layout.setup``) builds a new Pango font
description from the box's style — six Pango calls and the family list joined and encoded — about
2 % of the layout's CPU, while a booklet uses a dozen distinct fonts. `get_font_description` keeps
the description made for each distinct combination of the properties WeasyPrint's function reads
(family, style, stretch, weight, size in Pango units, small caps, variation settings). Pango only
reads it: ``pango_layout_set_font_description`` copies it, ``pango_context_get_metrics`` reads it.

And a justified line (``weasyprint.layout.inline.add_word_spacing``) made a whole Pango layout for
each of its text boxes — a Pango context, a font description, the layout, its attributes and
text — only to drop it at once (``deactivate``: WeasyPrint keeps the text and the spacing, and makes
the layout again when it draws the line); `justified_layout` makes the dropped layout's remains
without it, when the remains are only that (no text decoration, whose metrics the drop keeps; no
line break or lone spaced space, which ``set_text`` rewrites): the pieces' layout 3 % less CPU.

The four replacements compute exactly what the originals compute (the test suite renders a book
with and without them and compares the PDFs byte for byte). They are installed only over the
WeasyPrint release they were written against (`KNOWN_VERSION`) and only over the functions as
released; any other WeasyPrint is left as it is, slower on long books but correct.
"""

from operator import attrgetter

import weasyprint
import weasyprint.layout
import weasyprint.layout.inline
import weasyprint.layout.page
import weasyprint.text.line_break
from weasyprint.text.ffi import TO_UNITS
from weasyprint.text.line_break import Layout as _PangoLayout

KNOWN_VERSION = "70.0"
_original_styles = weasyprint.layout.page.set_page_type_computed_styles
_original_fixed = weasyprint.layout.layout_fixed_boxes
_fixed_boxes = attrgetter("fixed_boxes")
_PSEUDO_TYPES = "_pubpipe_page_pseudo_types"
_original_description = weasyprint.text.line_break.get_font_description
_original_create_layout = weasyprint.layout.inline.create_layout
_descriptions: dict = {}
DESCRIPTIONS_KEPT = 512
"""At most this many font descriptions kept (a booklet uses a dozen); past it they are forgotten at once."""


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


def get_font_description(style):
    """WeasyPrint's ``get_font_description(style)``, made once for each distinct font (see the module's
    docstring); the Pango description returned is shared, to be read only, as WeasyPrint uses it."""
    try:
        key = (tuple(style['font_family']), style['font_style'], style['font_stretch'],
               style['font_weight'], int(style['font_size'] * TO_UNITS), style['font_variant_caps'],
               style['font_variation_settings'])
        description = _descriptions.get(key)
    except TypeError:  # a value that cannot be a key: made afresh, as WeasyPrint does
        return _original_description(style)
    if description is None:
        description = _original_description(style)
        if len(_descriptions) >= DESCRIPTIONS_KEPT:
            _descriptions.clear()
        _descriptions[key] = description
    return description


def justified_layout(text, style, context, max_width, justification_spacing):
    """``weasyprint.text.line_break.create_layout`` as ``add_word_spacing`` (its only caller in
    ``weasyprint.layout.inline``) uses it: the layout is deactivated at once, and what is left of it
    is the text, the spacing, the width and the direction WeasyPrint set up (and the metrics of a
    decoration: None without one). Those are made here without Pango; anything else goes to
    WeasyPrint's function."""
    if '\n' in text or style['text_decoration_line'] != 'none' or (text == ' ' and style['word_spacing']):
        return _original_create_layout(text, style, context, max_width, justification_spacing)
    layout = _PangoLayout.__new__(_PangoLayout)
    layout.justification_spacing = justification_spacing
    layout.max_width = max_width
    layout.first_line_direction = 0
    layout.text = text
    layout.ascent = layout.underline_position = layout.strikethrough_position = None
    layout.layout = layout.language = layout.style = None  # (what deactivate() deletes)
    return layout


def install() -> bool:
    """Put the replacements in place (idempotent); False, changing nothing, on another WeasyPrint."""
    page_module, layout_module = weasyprint.layout.page, weasyprint.layout
    line_break, inline = weasyprint.text.line_break, weasyprint.layout.inline
    if (page_module.set_page_type_computed_styles is set_page_type_computed_styles
            and layout_module.layout_fixed_boxes is layout_fixed_boxes
            and line_break.get_font_description is get_font_description
            and inline.create_layout is justified_layout):
        return True
    if (weasyprint.__version__ != KNOWN_VERSION
            or page_module.set_page_type_computed_styles is not _original_styles
            or layout_module.layout_fixed_boxes is not _original_fixed
            or line_break.get_font_description is not _original_description
            or inline.create_layout is not _original_create_layout):
        return False
    page_module.set_page_type_computed_styles = set_page_type_computed_styles
    layout_module.layout_fixed_boxes = layout_fixed_boxes
    line_break.get_font_description = get_font_description
    inline.create_layout = justified_layout
    return True


def uninstall() -> None:
    """Put WeasyPrint's own functions back (for tests and benchmarks that compare)."""
    weasyprint.layout.page.set_page_type_computed_styles = _original_styles
    weasyprint.layout.layout_fixed_boxes = _original_fixed
    weasyprint.text.line_break.get_font_description = _original_description
    weasyprint.layout.inline.create_layout = _original_create_layout
    _descriptions.clear()
