"""Facing pages level, no two-line final pages (issue 18): a second layout pass, story by story.

Every block of a story takes whole lines of the baseline grid (book.css), so full pages end on the
same line; what still leaves a page short is a paragraph that would leave its last line alone at
the top of the next page (a widow), a heading kept with its first lines, a quote kept whole. Where
such a page faces a full one the spread is uneven; where a story's last lines are few they stand
alone on its last page. WeasyPrint lays out a page to the depth its ``@page`` rules give and has no
vertical justification, so the fix is the typesetter's: **run the spread a line short** — the
longer page of an uneven spread is given the depth of the shorter (``@page :nth(N)`` with a deeper
bottom margin), or, for a story whose last page holds two lines or fewer, the spread before it is
run a line short so that lines come over.

A story always opens on a new page, and both hands of the book have the same measure, so a story's
line and page breaks depend only on its own text and on the depth of its own pages: a change is
tried by laying the story out again from the first page it shortens, in the part's own layout
(`pubpipe.render.pdf.relayout`; over another WeasyPrint, the story alone, its first page on the
hand it has in the part, in a document of its own), and kept when it makes the story better
(`_score`: fewer final pages of two lines or fewer, then fewer uneven spreads, then no page more,
then fewer short pages); its pages then replace the story's pages of the first pass
(``Document.copy``). Only stories with a problem are laid out again, a few times each (`TRIALS`).
A story whose page count changes moves every later story by as many pages; each is laid out again
at its new place (by `relayout`; its hand, folio and running head follow) and judged there.

What no second layout levels — a heading kept with its lines, a quote kept whole, a page of
headings — the short page takes at its breaks (`fill`, the compositor's vertical justification,
done on the laid-out page): whole lines above its headings where that is the difference (every
line stays on the grid; this is tried first, as it lays out nothing), else space shared by its
spaced breaks (above a heading, around a quote, note or list; two lines each at most) and a little
at its plain paragraph breaks (a quarter line each at most). A page that cannot take it so, such
as a page of a few long paragraphs a line short, is left as it is.

(The folios are drawn afterwards from the folio sheet, not from these pages, so a deeper bottom
margin moves no folio.)
"""

import dataclasses
import logging
import time

log = logging.getLogger(__name__)

UNEVEN_PX = 2 * 4 / 3
"""Facing pages whose last lines differ by more than this (2 pt, as benchmarks/layout.py counts)
are uneven."""
SHORT_PX = 7 * 4 / 3
"""A running page whose last line stands this much (7 pt, half a line) above the most common depth
is short (as benchmarks/layout.py counts)."""
MAX_LINES_SHORT = 1.3
"""Only a spread whose pages differ by a line at most (in lines of the story's grid, with some
slack for the Korean grid) is levelled: a full page run several lines short to face a page a
heading or quote left short would look emptier than an uneven spread."""
FINAL_MIN_LINES = 4
"""A story's last page (other than its opening) with fewer lines than this gets lines pulled over
(a page of two or three lines of text looks like one left by mistake)."""
TRIALS = 10
"""Layouts of one story at most, all problems together."""
GIVE_UP = 3
"""Layouts of one story that made it no better, in a row, after which it is left as it is (on the
realweb copy: 65 layouts instead of 81 for 30 of the 32 improvements, see benchmarks/RESULTS.md)."""


SPACED = ("heading", "note", "quote", "list", "setapart", "figure")
"""Blocks of a story (their class in the story's HTML) set off by space above and below: where the
extra space of a filled page goes first (`fill`)."""
FILL_SPACED_LINES = 2.0
"""Most space `fill` adds at one spaced break (above a heading, around a note, quote or list), in
lines: with the line the break has already, three lines, as a section break; more would read as a
page left unfinished (the realweb copy book: 10 uneven spreads left with one line, 7 with two)."""
FILL_PLAIN_LINES = 0.25
"""Most space `fill` adds between two plain paragraphs, in lines: a quarter of a line (3.6 pt of
body text) is not read as a break in the text."""


@dataclasses.dataclass
class Shape:
    """A story's pages as laid out: each page's deepest line bottom (CSS px from the page's top,
    None for a page with no line), its number of lines, and where its text area ends."""

    bottoms: list
    lines: list
    limits: list


def page_shape(page) -> tuple:
    """(deepest line bottom or None, number of lines, bottom of the text area) of a laid-out page,
    from WeasyPrint's page box (the margin boxes left out)."""
    box = page._page_box
    ys, bottom = set(), None
    for child in box.children:
        if getattr(child, "at_keyword", None):
            continue
        for line in child.descendants():
            if type(line).__name__ != "LineBox" or not line.children:
                continue
            end = line.position_y + line.height
            bottom = end if bottom is None else max(bottom, end)
            ys.add(round(line.position_y, 1))
    return bottom, len(ys), box.content_box_y() + box.height


def shape_of(pages) -> Shape:
    rows = [page_shape(page) for page in pages]
    return Shape([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])


def _score(shape: Shape, verso_first: bool, full: float, pages_before: int) -> tuple:
    """What makes a story's pages worse, most important first: a last page (not its opening) of
    two lines or fewer; uneven spreads; more pages than the first layout; short pages."""
    n = len(shape.bottoms)
    final = int(n > 1 and shape.lines[-1] < FINAL_MIN_LINES)
    return (final, len(_uneven(shape, verso_first)), max(0, n - pages_before),
            sum(1 for b in shape.bottoms[:-1] if b is None or b < full - SHORT_PX))


def _uneven(shape: Shape, verso_first: bool) -> list:
    """(verso, recto) page indexes of the story's uneven spreads (both pages running: not its last)."""
    first = 0 if verso_first else 1  # the index of the story's first verso
    out = []
    for v in range(first, len(shape.bottoms) - 2, 2):
        a, b = shape.bottoms[v], shape.bottoms[v + 1]
        if a is not None and b is not None and abs(a - b) > UNEVEN_PX:
            out.append((v, v + 1))
    return out


def _candidates(shape: Shape, verso_first: bool, caps: dict, grid: float) -> list:
    """Depth limits to try next (each a new ``caps``: page index -> deepest bottom allowed), for
    the story's first problem: its last page, else its first uneven spread a line out."""
    n = len(shape.bottoms)
    out = []
    if n > 1 and shape.lines[-1] < FINAL_MIN_LINES:
        need = FINAL_MIN_LINES - shape.lines[-1]
        # The page or spread before the last page run a line short (or as many as are needed):
        # its last lines come over. (A verso facing the last page is alone in its spread.)
        last = n - 1
        before_is_verso = ((last - 1) % 2 == 0) == verso_first
        spread = (last - 1,) if before_is_verso else (last - 2, last - 1)
        for lines in sorted({1, need}):
            new = dict(caps)
            for p in spread:
                if p >= 0 and shape.bottoms[p] is not None:
                    new[p] = min(new.get(p, shape.limits[p]), shape.bottoms[p] - lines * grid + 1)
            if new != caps and new not in out:
                out.append(new)
        return out
    for v, r in _uneven(shape, verso_first):
        a, b = shape.bottoms[v], shape.bottoms[r]
        if abs(a - b) > MAX_LINES_SHORT * grid:
            continue
        low = min(a, b)
        # Both pages to the shorter one's depth (the spread a line short); or only the longer.
        both = {**caps, v: min(caps.get(v, shape.limits[v]), low + 1), r: min(caps.get(r, shape.limits[r]), low + 1)}
        longer = v if a > b else r
        one = {**caps, longer: min(caps.get(longer, shape.limits[longer]), low + 1)}
        # Or the spread before it a line short (both its pages, if level): one line comes over,
        # and the page breaks of this spread move by a line.
        before = dict(caps)
        for p in (v - 2, v - 1):
            if p >= 0 and shape.bottoms[p] is not None:
                before[p] = min(before.get(p, shape.limits[p]), shape.bottoms[p] - grid + 1)
        out += [c for c in (one, both, before) if c != caps and c not in out]
    return out


def _story_body(page):
    """The box of the story's body (``div.story-body``) on a laid-out page, or None: its children are
    the story's blocks on this page, in order."""
    stack = [page._page_box]
    while stack:
        box = stack.pop()
        if getattr(box, "at_keyword", None):
            continue
        element = getattr(box, "element", None)
        if element is not None and "story-body" in (element.get("class") or "").split():
            return box
        stack.extend(getattr(box, "children", ()))
    return None


def _kind(box) -> str:
    element = getattr(box, "element", None)
    classes = (element.get("class") or "").split() if element is not None else ()
    return next((c for c in classes if c in SPACED), "plain")


def _move_backgrounds(box, dy: float) -> None:
    """Move the backgrounds of ``box`` and its descendants down by ``dy`` (WeasyPrint places them,
    absolutely, once after layout; ``Box.translate`` does not move them)."""
    def down(area):
        return area if not isinstance(area, (tuple, list)) else type(area)((area[0], area[1] + dy, *area[2:]))
    for b in box.descendants():
        background = getattr(b, "background", None)
        if background is None:
            continue
        b.background = background._replace(layers=[
            layer._replace(painting_area=down(layer.painting_area), positioning_area=down(layer.positioning_area),
                           clipped_boxes=[down(c) for c in layer.clipped_boxes])
            for layer in background.layers])


def _fill_plan(kids: list, need: float, grid: float, whole: bool) -> dict | None:
    """Extra space (px) before block index -> amount, adding up to ``need``, or None if the limits
    do not allow it. Whole lines at spaced breaks first (every line stays on the grid); unless
    ``whole``, then as much as the spaced breaks take, the rest shared by the plain ones."""
    spaced, plain = [], []
    for k in range(1, len(kids)):
        above, below = _kind(kids[k - 1]), _kind(kids[k])
        if above == "heading":
            continue  # a heading stays with what it heads
        (spaced if above in SPACED or below in SPACED else plain).append(k)
    lines = round(need / grid)
    if lines >= 1 and abs(need - lines * grid) < 1.5 and lines <= len(spaced) * FILL_SPACED_LINES:
        # A line at each of ``lines`` spaced breaks spread down the page (two at some, if fewer).
        plan = {}
        for j in range(lines):
            k = spaced[int((j + 0.5) * len(spaced) / lines)]
            plan[k] = plan.get(k, 0.0) + need / lines
        return plan
    if whole:
        return None
    plan, left = {}, need
    for group, most in ((spaced, FILL_SPACED_LINES * grid), (plain, FILL_PLAIN_LINES * grid)):
        if not group or left <= 0.5:
            continue
        each = min(most, left / len(group))
        plan.update({k: plan.get(k, 0) + each for k in group})
        left -= each * len(group)
    return plan if left <= 0.5 else None


def fill(page, depth: float, grid: float, whole: bool = False):
    """``page`` with its story's blocks moved apart so that its last line ends at ``depth`` (CSS px
    from the page's top, the facing page's depth), as a new WeasyPrint page; None when the page's
    breaks cannot take the space (`_fill_plan`; ``whole``: only whole lines at spaced breaks, so
    that every line stays on the story's grid).

    This is the compositor's vertical justification, done on the laid-out page (nothing is laid out
    again): WeasyPrint has no vertical justification, and a second layout of the story (`level`'s
    trials) cannot always run a spread short (a heading kept with its lines, a note kept whole).
    The moved boxes keep their lines; their backgrounds are placed again (WeasyPrint places them
    once, after layout) and the page's links and anchors gathered again (a new ``Page``)."""
    body = _story_body(page)
    bottom = page_shape(page)[0]
    if body is None or bottom is None or depth - bottom <= 0.5:
        return None
    kids = list(body.children)
    plan = _fill_plan(kids, depth - bottom, grid, whole)
    if not plan:
        return None
    shift = 0.0
    for k, kid in enumerate(kids):
        shift += plan.get(k, 0.0)
        if shift:
            kid.translate(0, shift)
            _move_backgrounds(kid, shift)
    body.height += shift
    return type(page)(page._page_box)


def _filled(pages: list, verso_first: bool, grid: float, whole: bool, shape: Shape | None = None) -> tuple:
    """(a story's pages with the short page of each uneven spread `fill`-ed, how many were)."""
    shape = shape or shape_of(pages)
    uneven = _uneven(shape, verso_first)
    if not uneven:
        return pages, 0
    out, done = list(pages), 0
    for v, r in uneven:
        a, b = shape.bottoms[v], shape.bottoms[r]
        short = v if a < b else r
        new = fill(out[short], max(a, b), grid, whole)
        if new is not None:
            out[short], done = new, done + 1
    return out, done


def level(pages: list, stories: list, relay, grid_of, recto: bool = False, verso: bool = False) -> tuple:
    """The pages of a story part with its spreads levelled: (pages, story ids laid out again or filled).

    ``pages``: the part as laid out (each story opens on a new page; the part's first page is a
    recto, unless ``verso``); ``stories``: per story, its id and the index of its first page in ``pages``, in order;
    ``relay``: lays a story out again (`pubpipe.render.pdf.relayout.Part`, or a story laid out
    alone, `pubpipe.render.pdf.reading`), story by story in order: ``relay.begin(index, start,
    first, end, own)``: story ``index``, whose first layout ``own`` is ``pages[first:end]``, now
    starts at page index ``start``: its pages there; ``relay.trial(caps, own)``: its pages with each
    page index of ``caps`` no deeper than its value (CSS px from the page's top), or None;
    ``relay.finish(kept)``: the pages kept, finished. ``grid_of(story_index)``: the story's line
    (px). ``recto``: every story opens on a recto (a page count that changes would move the blank
    pages: such a change is not kept). ``verso``: the part's first page is a verso (a piece that runs
    on from one that ends on a recto: `pubpipe.render.pdf.parts.pieces`)."""
    starts = [start for _, start in stories] + [len(pages)]
    shapes = [shape_of(pages[starts[i]:starts[i + 1]]) for i in range(len(stories))]
    running = [b for s in shapes for b in s.bottoms[:-1] if b is not None]
    if not running:
        return pages, []
    full = max(set(round(b) for b in running), key=[round(b) for b in running].count)
    out, changed, at = [], [], 0
    spent, laid, filled = 0.0, 0, 0
    for i, (story, start) in enumerate(stories):
        if recto:
            while at < start:  # the blank page before a recto opening
                out.append(pages[at])
                at += 1
        own = pages[starts[i]:starts[i + 1]]
        blank_tail = []
        if recto:
            while len(own) > 1 and own[-1]._page_box.page_type.blank:
                blank_tail.insert(0, own.pop())
        verso_first = (len(out) + verso) % 2 == 1  # page index 1 of a part is page 2: a verso
        placed = relay.begin(i, len(out), starts[i], starts[i] + len(own), own)
        shape = shape_of(placed) if recto or placed is not own else shapes[i]
        own = first_layout = placed
        n = len(own)
        # Whole lines above headings first: no layout, and every line stays on the grid.
        own, done = _filled(own, verso_first, grid_of(i), whole=True, shape=shape)
        if done:
            shape, filled = shape_of(own), filled + done
        best, best_pages, caps = _score(shape, verso_first, full, n), own, {}
        if best[:2] != (0, 0):
            log.debug("story %s: %s, bottoms %s, lines %s", story, best,
                      [None if b is None else round(b) for b in shape.bottoms], shape.lines)
        trials, failed, skipped = 0, 0, set()
        while trials < TRIALS and failed < GIVE_UP and best[:2] != (0, 0):
            options = _candidates(shape, verso_first, caps, grid_of(i))
            options = [o for o in options if repr(sorted(o.items())) not in skipped]
            if not options:
                break
            found = None
            for option in options:
                if trials >= TRIALS or failed >= GIVE_UP:
                    break
                trials += 1
                skipped.add(repr(sorted(option.items())))
                clock = time.process_time()
                tried = relay.trial(option, own)
                spent, laid = spent + time.process_time() - clock, laid + 1
                if tried is None or (recto and len(tried) != n):
                    continue
                tried_shape = shape_of(tried)
                score = _score(tried_shape, verso_first, full, n)
                log.debug("story %s (verso first %s): %s -> %s, caps %s, bottoms %s", story, verso_first, best, score,
                          option, [None if b is None else round(b) for b in tried_shape.bottoms])
                if score < best:
                    found = (score, tried, tried_shape, option)
                    failed = 0
                    break
                failed += 1
            if found is None:
                break
            best, best_pages, shape, caps = found
        best_pages = relay.finish(best_pages)
        # What a second layout could not level: the short page's breaks take the difference.
        best_pages, done = _filled(best_pages, verso_first, grid_of(i), whole=False, shape=shape)
        filled += done
        if best_pages is not first_layout:
            changed.append(story)
        out += best_pages + blank_tail
        at = starts[i + 1]
    log.info("levelled %d of %d stories: %d stories' layouts tried, %.1f s CPU; %d pages filled", len(changed),
             len(stories), laid, spent, filled)
    return out, changed
