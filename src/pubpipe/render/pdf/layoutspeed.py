"""Two loops in WeasyPrint 70's page layout that grow with pages × document, made linear; a font
description made once per font rather than once per line; no throwaway Pango layout for the text of
a justified line; a line's glyphs drawn from pieces of PDF text worked out once.

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

And drawing a line (``weasyprint.draw.text.draw_first_line``, when the PDF is written) formatted
each glyph's part of the ``TJ`` operand — its code, the offset before it, the kerning after it —
from Pango's glyph structs, one cffi attribute at a time: 14 % of a piece's CPU, Pango's own part
with it. `draw_first_line` reads a run's glyphs from the structs' memory at once and looks each
part up, by font, size, glyph, advance and offset (found in stop 44's profile of the 100-story
pieces; benchmarks/RESULTS.md).

The five replacements compute exactly what the originals compute (the test suite renders a book
with and without them and compares the PDFs byte for byte). They are installed only over the
WeasyPrint release they were written against (`KNOWN_VERSION`) and only over the functions as
released; any other WeasyPrint is left as it is, slower on long books but correct.
"""

import struct
from operator import attrgetter

import weasyprint
import weasyprint.draw.text
import weasyprint.layout
import weasyprint.layout.inline
import weasyprint.layout.page
import weasyprint.text.line_break
from weasyprint.text.ffi import FROM_UNITS, TO_UNITS, ffi, pango
from weasyprint.text.line_break import Layout as _PangoLayout

KNOWN_VERSION = "70.0"
_original_styles = weasyprint.layout.page.set_page_type_computed_styles
_original_fixed = weasyprint.layout.layout_fixed_boxes
_fixed_boxes = attrgetter("fixed_boxes")
_PSEUDO_TYPES = "_pubpipe_page_pseudo_types"
_original_description = weasyprint.text.line_break.get_font_description
_original_create_layout = weasyprint.layout.inline.create_layout
_original_draw_first_line = weasyprint.draw.text.draw_first_line
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


_GLYPH = struct.Struct("=Iiii4x")
"""A PangoGlyphInfo as it lies in memory: the glyph, its geometry (width, x and y offset) and its
attributes (a bit field in a guint, skipped); WeasyPrint's cffi declarations say 20 bytes."""
_GLYPH_UNUSUAL = pango.PANGO_GLYPH_EMPTY
"""Glyph ids from this up (PANGO_GLYPH_EMPTY, and those with PANGO_GLYPH_UNKNOWN_FLAG: no font has
the character) are drawn by WeasyPrint's own function."""
_FRAGMENTS = "_pubpipe_fragments"


class _Unusual(Exception):
    """A line `draw_first_line` leaves to WeasyPrint's function (found before anything is drawn)."""


def draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix):
    """``weasyprint.draw.text.draw_first_line``: a text box's line drawn into the page's stream with
    the same operators and operands, but each glyph's part of the ``TJ`` string (its code, the offset
    before it, the kerning after it) worked out once per font, size, glyph, advance and offset, then
    looked up. WeasyPrint formats each from Pango's glyph structs, one cffi attribute at a time, for
    every glyph of every line: a line's glyphs are read here from the structs' memory at once
    (`_GLYPH`). The pieces' CPU at 100 stories: 12.1 -> 11.5 s (benchmarks/RESULTS.md, stop 44).
    Left to WeasyPrint's function: lines with an ellipsis, a glyph no font has, an empty glyph, a
    glyph the font raises or lowers (stacked marks, Arabic vowels), or a font with colour glyphs
    (emoji: SVG, PNG or COLR), and Pango releases before 1.48.2 (`pango_version`)."""
    if (text_overflow == 'ellipsis' or block_ellipsis != 'none' or pango.pango_version() < 14802
            or not textbox.text.strip() or textbox.style['font_size'] < 1e-6):
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    pango.pango_layout_set_single_paragraph_mode(textbox.pango_layout.layout, True)
    first_line, _ = textbox.pango_layout.get_first_line()
    try:
        runs = _runs(stream, textbox, first_line)
    except _Unusual:  # (nothing drawn yet; what was noted of the fonts is what WeasyPrint notes)
        return _original_draw_first_line(stream, textbox, text_overflow, block_ellipsis, matrix)
    stream.set_text_matrix(*matrix.values)
    string = ''
    previous_pango_font = None
    for pango_font, font, font_size, fragments in runs:
        if pango_font != previous_pango_font:
            previous_pango_font = pango_font
            if string:
                stream.show_text(string)
            string = ''
            stream.set_font_size(font.hash, 1 if font.bitmap else font_size)
        run = '<' + ''.join(fragments)
        string += run[:-1] if run[-1] == '<' else run + '>'
    stream.show_text(string)
    return []


def _runs(stream, textbox, first_line) -> list:
    """(Pango font, PDF font, size, each glyph's part of the TJ string) of each run of the line, the
    fonts added to the stream as WeasyPrint adds them; raises `_Unusual` for a line to leave to it."""
    runs = []
    previous_pango_font = font = font_size = None
    run = first_line.runs[0]
    while run != ffi.NULL:
        glyph_item = run.data
        run = run.next
        glyph_string = glyph_item.glyphs
        pango_font = glyph_item.item.analysis.font
        if pango_font != previous_pango_font:
            previous_pango_font = pango_font
            font, font_size = stream.add_font(pango_font)
            if font.svg or font.png or font.colr:
                raise _Unusual
        count = glyph_string.num_glyphs
        glyphs = _GLYPH.iter_unpack(ffi.buffer(glyph_string.glyphs, count * _GLYPH.size)) if count > 0 else ()
        known = font.__dict__.setdefault(_FRAGMENTS, {}).setdefault(font_size, {})
        fragments = []
        for i, glyph in enumerate(glyphs):
            fragment = known.get(glyph)
            if fragment is None:
                fragment = known[glyph] = _fragment(stream, textbox, glyph_item, pango_font, font, font_size, i, glyph)
            fragments.append(fragment)
        runs.append((pango_font, font, font_size, fragments))
    return runs


def _fragment(stream, textbox, glyph_item, pango_font, font, font_size, i, glyph) -> str:
    """One glyph's part of the TJ string, as WeasyPrint's loop writes it (its code, the offset before
    it, the kerning after it), the font's ToUnicode entry and width noted as it notes them."""
    glyph_id, width, x_offset, y_offset = glyph
    if glyph_id >= _GLYPH_UNUSUAL or y_offset:
        raise _Unusual
    if glyph_id not in font.to_unicode:
        glyph_string = glyph_item.glyphs
        clusters, count = glyph_string.log_clusters, glyph_string.num_glyphs
        offset = glyph_item.item.offset
        t1 = clusters[i]
        if glyph_item.item.analysis.level % 2:  # rtl
            t2 = glyph_item.item.length if i == 0 else clusters[i-1]
        else:
            t2 = glyph_item.item.length if i == count-1 else clusters[i+1]
        utf8_text = textbox.pango_layout.text.encode()
        font.to_unicode[glyph_id] = utf8_text[offset+t1:offset+t2].decode()
    offset = x_offset / font_size
    fragment = f'>{-offset}<' if offset else ''
    fragment += f'{glyph_id:02x}' if font.bitmap else f'{glyph_id:04x}'
    if glyph_id in font.widths:
        logical_width = font.widths[glyph_id]
    else:
        pango.pango_font_get_glyph_extents(pango_font, glyph_id, stream.ink_rect, stream.logical_rect)
        logical_width = font.widths[glyph_id] = round(stream.logical_rect.width * 1000 * FROM_UNITS / font_size)
    kerning = logical_width + offset - width * 1000 * FROM_UNITS / font_size
    if kerning:
        fragment += f'>{int(kerning)}<'
    return fragment


def install() -> bool:
    """Put the replacements in place (idempotent); False, changing nothing, on another WeasyPrint."""
    page_module, layout_module = weasyprint.layout.page, weasyprint.layout
    line_break, inline = weasyprint.text.line_break, weasyprint.layout.inline
    if (page_module.set_page_type_computed_styles is set_page_type_computed_styles
            and layout_module.layout_fixed_boxes is layout_fixed_boxes
            and line_break.get_font_description is get_font_description
            and inline.create_layout is justified_layout
            and weasyprint.draw.text.draw_first_line is draw_first_line):
        return True
    if (weasyprint.__version__ != KNOWN_VERSION
            or page_module.set_page_type_computed_styles is not _original_styles
            or layout_module.layout_fixed_boxes is not _original_fixed
            or line_break.get_font_description is not _original_description
            or inline.create_layout is not _original_create_layout
            or weasyprint.draw.text.draw_first_line is not _original_draw_first_line
            or _GLYPH.size != ffi.sizeof("PangoGlyphInfo")):
        return False
    page_module.set_page_type_computed_styles = set_page_type_computed_styles
    layout_module.layout_fixed_boxes = layout_fixed_boxes
    line_break.get_font_description = get_font_description
    inline.create_layout = justified_layout
    weasyprint.draw.text.draw_first_line = draw_first_line
    return True


def uninstall() -> None:
    """Put WeasyPrint's own functions back (for tests and benchmarks that compare)."""
    weasyprint.layout.page.set_page_type_computed_styles = _original_styles
    weasyprint.layout.layout_fixed_boxes = _original_fixed
    weasyprint.text.line_break.get_font_description = _original_description
    weasyprint.layout.inline.create_layout = _original_create_layout
    weasyprint.draw.text.draw_first_line = _original_draw_first_line
    _descriptions.clear()
