"""A story of a laid-out part laid out again from one of its pages, in the part's own layout (issue 19).

`pubpipe.render.pdf.level` tries shorter pages on a story with an uneven spread or a last page of
two lines, and each try used to lay the whole story out again, alone, in a document of its own: on
a book of long chapters that doubled the PDF's layout time (the benchmark book: 25 tries, 9 of the
part layouts' 22 s of CPU), though a try changes nothing before the first page it shortens.

WeasyPrint itself lays out again from any page: its layout keeps, for every page, the state the
page starts from (``LayoutContext.page_maker``: where in the box tree it resumes, the hand, the
counters and named-page groups), and ``remake_page`` lays out one page from that state (it is how
WeasyPrint repaginates when a page-based counter changes). `Part` keeps the part's layout context and
box tree (`render`, WeasyPrint's ``Document._render`` keeping both) and lays a story out again from
the first page a try shortens, page by page, until the story ends (the layout resumes where its next
story begins, or at the end of the part); a shortened page is the same page type with a deeper
bottom margin (what ``@page :nth(N) { margin-bottom }`` gave the story alone). The pages before it
are the story's as they are. Margin boxes (running heads), backgrounds and the page's links and
anchors are made only for the pages a story keeps (`Part.finish`), as WeasyPrint's
``layout_document`` makes them after pagination.

A story whose place in the part moved (a story before it kept a different number of pages) is laid
out again at its new place, so that its pages take the hand, page number and running head they now
have.

A try lays out again lines the first layout broke: the same text, in the same style, at the same
width (both hands have the same measure). Breaking a line is WeasyPrint's costliest step (Pango
shapes the paragraph's text to find its first line, line by line), so while a part is kept, the
lines it breaks are remembered (`_remembered_split`: WeasyPrint's ``split_first_line``, by its
arguments) and a try takes them from there: on the benchmark book, 16 % less CPU for its story
pages, the same bytes (benchmarks/RESULTS.md).

This reads WeasyPrint's internals, so it is used only over the release it was written against
(`KNOWN_VERSION`); over any other, `pubpipe.render.pdf.reading` lays each try out alone, as before
(slower, the same pages: the tests lay out the same stories both ways and compare them).
"""

import copy
import threading

import weasyprint
import weasyprint.layout.inline
from weasyprint import DEFAULT_OPTIONS
from weasyprint.css.counters import CounterStyle
from weasyprint.css.properties import Dimension
from weasyprint.document import Document, DocumentMetadata, Page
from weasyprint.formatting_structure.build import build_formatting_structure
from weasyprint.html import get_html_metadata
from weasyprint.layout import layout_document
from weasyprint.layout.background import layout_backgrounds
from weasyprint.layout.page import make_margin_boxes, remake_page

KNOWN_VERSION = "70.0"
_TOP = (10 ** 9, None, (10 ** 9,) * 3)
"""A cascade weight above any stylesheet's (WeasyPrint's (precedence, layer, specificity))."""
_split_first_line = weasyprint.layout.inline.split_first_line
_lines = threading.local()
"""This thread's remembered lines (``memo``: a dict, while a part is kept; else None) and how many
characters of text they hold (``held``)."""
MEMO_CHARS = 8_000_000
"""Text the remembered lines of one part may hold at most (each holds its paragraph's rest: a part's
lines hold a few hundred thousand characters; a paragraph of 100,000 characters, many times more)."""


def _remembered_split(text, style, context, max_width, justification_spacing, is_line_start=True,
                      minimum=False):
    """WeasyPrint's ``split_first_line`` (the first line of ``text`` in ``style`` at ``max_width``),
    the same result again for the same arguments while a part is kept. The Pango layout it returns
    is WeasyPrint's deactivated one (its text and metrics; drawing makes it again from the box's
    style): each caller gets a copy of its own, as each gets a new one from WeasyPrint."""
    memo = getattr(_lines, "memo", None)
    if memo is None:
        return _split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    key = (text, id(style), max_width, justification_spacing, is_line_start, minimum)
    kept = memo.get(key)
    if kept is not None and kept[0] is style:  # (the style itself: an id may be a freed style's)
        layout, *rest = kept[1]
        return (copy.copy(layout), *rest)
    found = _split_first_line(text, style, context, max_width, justification_spacing, is_line_start, minimum)
    if _lines.held + len(text) <= MEMO_CHARS:
        _lines.held += len(text)
        memo[key] = (style, (copy.copy(found[0]), *found[1:]))
    return found


def _remember_lines(on: bool) -> None:
    """Start (a new, empty memo) or stop remembering this thread's lines (`_remembered_split`)."""
    if weasyprint.layout.inline.split_first_line is _split_first_line:
        weasyprint.layout.inline.split_first_line = _remembered_split
    _lines.memo, _lines.held = ({} if on else None), 0


def usable() -> bool:
    """Whether this WeasyPrint is the release `Part` was written against."""
    return weasyprint.__version__ == KNOWN_VERSION


def render(html, font_config, stylesheets):
    """(``html.render(font_config=..., stylesheets=...)``'s Document, the layout kept as a `Part`);
    WeasyPrint's ``Document._render`` without its PDF-variant defaults, which only ``write_pdf``
    uses here."""
    options = dict(DEFAULT_OPTIONS, stylesheets=stylesheets)
    counter_style, color_profiles = CounterStyle(), {}
    _remember_lines(True)
    try:
        return _render(html, font_config, options, counter_style, color_profiles)
    except BaseException:
        _remember_lines(False)
        raise


def _render(html, font_config, options, counter_style, color_profiles):
    """`render`'s layout, its lines remembered (until the `Part` is closed)."""
    context = Document._build_layout_context(html, font_config, counter_style, color_profiles, options)
    root_box = build_formatting_structure(
        html.etree_element, context.style_for, context.get_image_from_uri, html.base_url,
        context.target_collector, counter_style, context.footnotes)
    boxes = list(layout_document(html, root_box, context))
    document = Document([Page(box) for box in boxes], DocumentMetadata(**get_html_metadata(html)),
                        html.url_fetcher, font_config, color_profiles, options["output_intent"])
    document._html = html
    # Pages with ``position: fixed`` boxes take them from every other page (WeasyPrint's
    # layout_fixed_boxes); `Part` does not lay those out again: such a part is levelled as before.
    if not boxes or any(box.fixed_boxes for box in boxes):
        _remember_lines(False)
        return document, None
    return document, Part(html, context, root_box, document.pages[0].height)


class Laid:
    """A page laid out again, not yet finished: its page box (as `level.page_shape` reads it) and
    its index in the part."""

    __slots__ = ("_page_box", "index")

    def __init__(self, box, index: int):
        self._page_box, self.index = box, index


class Tried(list):
    """A story's pages from `Part.trial`: those before the first capped page as they were, then
    `Laid` pages; ``entries``: the state each of its pages starts from, and the state after it."""

    entries: list = []


def _fresh(entry: tuple) -> tuple:
    """A page_maker entry with a remake state of its own (WeasyPrint's make_page writes to it)."""
    resume_at, next_page, right_page, page_state, _ = entry
    return resume_at, next_page, right_page, page_state, {
        "content_changed": False, "pages_wanted": False, "anchors": [], "content_lookups": []}


class Part:
    """A laid-out part whose stories can be laid out again from any of their pages.

    Stories are taken in order: `begin` one at its page in the part as the pages before it now
    stand, `trial` page depths on it as often as needed, then `finish` it with the pages it keeps."""

    def __init__(self, html, context, root_box, height: float):
        self.html, self.context, self.root_box, self.height = html, context, root_box, height
        self.original = list(context.page_maker)
        self.master = list(context.page_maker)
        """The state each page of the part as it now stands starts from (index: the page's; one
        more than the pages: the state after the last). A story's region, from its `begin` to its
        `finish`, is ``master[start:start + len(base)]``."""
        self.caps: dict = {}
        self.start, self.end, self.base, self.pages = 0, None, [], 0
        self._add = context.style_for.add_page_declarations
        context.style_for.add_page_declarations = self._page_declarations

    def close(self) -> None:
        """WeasyPrint's own page cascade back, its lines forgotten (the layout is done)."""
        self.context.style_for.__dict__.pop("add_page_declarations", None)
        _remember_lines(False)

    def _page_declarations(self, page_type):
        """The page's cascade as the stylesheets give it (built again each time: the same page type
        may have been capped by an earlier try), the bottom margin of a capped page deeper."""
        cascaded = self.context.style_for._cascaded_styles
        cascaded.pop((page_type, None), None)
        self._add(page_type)
        cap = self.caps.get(page_type.index)
        if cap is not None:
            # To the thousandth of a px, as the ``@page :nth()`` rule of a story laid out alone
            # (pubpipe.render.pdf.reading) gives it.
            margin = float(f"{self.height - cap:.3f}")
            cascaded.setdefault((page_type, None), {})["margin_bottom"] = (Dimension(margin, "px"), _TOP)

    def begin(self, index: int, start: int, first: int, end: int, pages: list) -> list:
        """Story ``index``, whose first layout is ``pages`` (pages ``first`` to ``end`` - 1 of the part's
        first layout, any blank page after it left out) now starts at page index ``start``: its
        pages there, ``pages`` if it has not moved, else laid out again at its new place (its hand,
        page numbers and running heads follow)."""
        self.end = self.original[end][0] if end < len(self.original) else None
        self.start, self.pages = start, len(pages)
        region = self.master[start:start + len(pages) + 1]
        if start == first:
            self.base = region
            return pages
        self.base = [self.master[start]]
        laid = self._lay_out(start, {})
        if laid is None:
            raise RuntimeError(f"pubpipe.render.pdf.relayout: a story moved to page {start + 1} of its part "
                               "did not end where it did")
        self.master = self.master[:start] + laid.entries + self.master[start + len(pages) + 1:]
        self.base = laid.entries
        return self._finished(laid, [])

    def trial(self, caps: dict, pages: list) -> list | None:
        """The story's pages with each page ``caps`` names (index in the story -> deepest line
        bottom allowed, CSS px from the page's top) no deeper; ``pages``: its pages as `begin`
        gave them (filled or not), of which those before the first capped page are kept. None if
        the layout ran on past any sane length without reaching the story's end."""
        first = min(caps)
        laid = self._lay_out(self.start + first, caps)
        if laid is None:
            return None
        tried = Tried(pages[:first] + laid)
        tried.entries = laid.entries
        return tried

    def _lay_out(self, index: int, caps: dict) -> Tried | None:
        """`Laid` pages from page ``index`` of the part (in the story's base state for that page)
        until the story ends, ``entries`` the story's states from its first page; None past
        the limit."""
        context, start = self.context, self.start
        prefix = self.base[:index - start]
        context.page_maker = self.master[:start] + prefix + [_fresh(self.base[index - start])]
        context.rendered_notes = []
        self.caps = {start + k: v for k, v in caps.items()}
        limit = index + 4 * self.pages + 20
        laid = Tried()
        try:
            while True:
                box, resume_at = remake_page(index, context, self.root_box, self.html)
                laid.append(Laid(box, index))
                index += 1
                if resume_at is None or resume_at == self.end:
                    break
                if index > limit:
                    return None
        finally:
            self.caps = {}
            context.broken_out_of_flow.clear()
        laid.entries = context.page_maker[start:index + 1]
        return laid

    def finish(self, pages: list) -> list:
        """The story's pages as kept (`begin`'s, or a `trial`'s): pages laid out again finished as
        WeasyPrint's own are, and the part's state from them on updated."""
        if not isinstance(pages, Tried):
            return pages
        self.master = self.master[:self.start] + pages.entries + self.master[self.start + len(self.base):]
        kept = [page for page in pages if not isinstance(page, Laid)]
        return kept + self._finished([page for page in pages if isinstance(page, Laid)], kept)

    def _finished(self, laid: list, before: list) -> list:
        """WeasyPrint's ``layout_document`` after pagination, for ``laid`` (pages after ``before``
        of the same story): named strings and bookmark labels gathered, margin boxes laid out
        (their running heads read the strings), backgrounds placed; as `Page` objects."""
        context = self.context
        context.page_maker = self.master
        numbers = [page.index + 1 for page in laid]
        for store in context.string_set.values():
            for number in numbers:
                store.pop(number, None)
        # One bookmark per element: a heading broken over pages is marked on its first (as WeasyPrint).
        seen = {"": set(), "::before": set(), "::after": set()}

        def which(child):
            tag = child.element_tag
            return "::before" if tag.endswith("::before") else "::after" if tag.endswith("::after") else ""
        for page in before:
            for child in page._page_box.descendants():
                if child.bookmark_label:
                    seen[which(child)].add(child.element)
        for page in laid:
            counters = self.master[page.index + 1][3][1]
            for child in page._page_box.descendants():
                if child.bookmark_label:
                    if child.element in seen[which(child)]:
                        child.bookmark_label = ""
                    else:
                        seen[which(child)].add(child.element)
                if child.missing_link:
                    for (box, token), item in context.target_collector.counter_lookup_items.items():
                        if child.missing_link == box and token != "content":
                            if token == "bookmark-label" and not child.bookmark_label:
                                continue
                            item.parse_again(counters)
                            if token == "bookmark-label":
                                child.bookmark_label = box.bookmark_label
                if child.string_set and child.string_set != "none":
                    for name, text in child.string_set:
                        context.string_set[name][page.index + 1].append(text)
        out = []
        for page in laid:
            box = page._page_box
            root, footnote_area, note_area = box.children
            context.current_page = page.index + 1
            children = [root] + [area for area in (footnote_area, note_area) if area.children]
            children.extend(make_margin_boxes(context, box, self.master[page.index + 1][3]))
            box.children = tuple(children)
            layout_backgrounds(box, context.get_image_from_uri)
            out.append(Page(box))
        return out
