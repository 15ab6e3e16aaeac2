"""The reading edition in parts: stories laid out a run at a time, then assembled into one book.

WeasyPrint lays a document out whole and keeps every page in memory until it is written, so one
document per book made a 1,000-story PDF take 2.3 GB and more time per page the longer the book
(and a changed word re-laid every page). Stories run on (each opens on the next page), but each
part opens on a recto, so where a part lands never changes its own layout: the book is laid out
in **parts** (`parts`: runs of stories, cut where the
stories' own ids say, so a changed story changes only its own part), each its own WeasyPrint
document, laid out in parallel (`pubpipe.render.pdf.reading.render`); then `book_from_parts`:

1. lays out the front matter (cover, title page, imprint, contents) with the stories' page numbers,
   which are known once the parts' page counts are (again if its own length changed them); a long
   contents goes on in a document of its own, laid out beside the first (`LaidOut.continued`,
   `pubpipe.render.pdf.reading.lay_out_front`), which the assembly places after it;
2. lays out the *folio sheet*: one empty page per page of the book, each carrying only the folio
   book.css gives that page (parts are laid out without folios: none knows where it lands);
3. `assemble`s one PDF with pikepdf (qpdf): the pages in order, with a blank verso after a part
   that ends on a recto, and the back cover last, on a verso; each part's structure tree under one Document element, its parent-tree
   keys shifted past the previous parts'; the bookmarks; the named destinations; the contents'
   links (laid out as ``pubpipe:story/<id>`` URIs) turned into links to the stories' pages; and
   each folio drawn from the sheet as a Form XObject, inside pagination-artifact marked content.

Each part embeds subsets of the fonts it uses (one WeasyPrint document already embeds a subset per
font, style and size): at 100 stories in 8 parts the file grows from 1.20 to 1.56 MB.
(No library assembles tagged PDFs: pikepdf and pypdf copy pages but not structure trees, so the
merge of the trees is done here, on pikepdf's objects.)
"""

import dataclasses
import hashlib
from concurrent.futures import wait
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from pikepdf import Array, Dictionary, Name, ObjectStreamMode, OutlineItem, Pdf, Stream, String

from pubpipe.errors import PubpipeError
from pubpipe.model import Anthology
from pubpipe.workfolders import work_folder

STORY_ANCHOR = "story-"
"""Prefix of a story's element id in the book (keeps story slugs clear of our own ids)."""
COLOPHON = "#colophon"
"""The colophon's key among the page numbers the front matter is laid out with, when the colophon
is the book's back matter (no story id has a ``#``): the imprint and the contents give its page."""
STORY_LINK = "pubpipe:story/"
"""The contents' links point here + a story's id: the story is in another part, so the link
cannot be resolved when the front matter is laid out; `assemble` turns these into links to pages."""


@dataclass(frozen=True)
class PdfInfo:
    """What the reading edition turned out to be."""

    pages: int
    """Number of pages in the PDF."""
    story_pages: dict
    """Story id -> 1-based page number where the story starts (read from the layout)."""
    placeholders: tuple = ()
    """The characters no installed font could draw, shown as placeholders (sorted)."""
    back_cover: bool = False
    """The last page is the back cover (the print edition pads before it, not after)."""
    print_edition: object = dataclasses.field(default=None, repr=False, compare=False)
    """The print edition (a `pubpipe.render.Rendered`, `pubpipe.render.pdf.imposition.render`'s),
    when it was imposed beside the assembly (`book_from_parts`' ``impose``), else None."""


PART_WORDS = (16_000, 48_000)
"""The parts' bounds in words (the default of `pubpipe.render.pdf.reading.Layout.part_words`): a part closes after a story once it holds the first number of words and the story's id says so
(one id in `CUT_EVERY`), and always once it holds the second: about 90–280 pages. Shorter parts
re-lay less when a story changes and hold less memory; longer ones repeat the fonts' static
instances (about 0.7 s of work a part) and subsets less often."""
CUT_EVERY = 3
PIECE_WORDS = (8_000, 20_000)
"""The pieces' bounds in words (the default of `pubpipe.render.pdf.reading.Layout.piece_words`): a
part is laid out in pieces, each a document of its own that runs on from the one before (its first
page on the hand the pages before it leave: `pieces`), one after the other, each cached on its own
stories and hand. A piece closes after a story once it holds the first number of words and the
story's id says so (one id in `PIECE_CUT_EVERY`, another byte of the digest than the parts'), and
always once it holds the second: about 30-90 pages. A changed story lays out its piece again (and the
pieces after it in its part only should its piece's page count change parity), not its part: the
parts are what the two cores share, the pieces what a change costs (issue 19: one story changed
laid out a whole part, 4-5 s, on one core). Each piece costs a document's start and its own
subsets of the fonts (~30 KB in the PDF: 1.78 MB in 10 pieces, 1.62 MB in 5 parts at 100 stories)."""
PIECE_CUT_EVERY = 2
FRONT_PAGES, CONTENTS_PER_PAGE = 4, 12
"""A rough first guess at the front matter's length when no better one is given (the reading
edition gives `pubpipe.render.pdf.frontguess`'s): when right, the front matter is laid out once,
else again with the page numbers its real length gives."""
SHEET_PIECE = 200
"""Pages of the folio sheet laid out as one document (the default of
`pubpipe.render.pdf.reading.Layout.sheet_piece`; even, so that every piece opens on a recto): pieces
are laid out side by side (one empty page costs WeasyPrint about 5 ms; 3,800 of them in one document,
17 s). 2,400 pages in pieces of 400 took a process from 73 to 273 MB, in pieces of 200 to 99 MB, for
the same CPU (11.4 and 12.8 s, within the noise; issue 19's memory)."""
FOLIO = "/pubpipeFolio"
"""Resource name of a page's folio Form XObject."""


def _cut_after(story) -> bool:
    """The content-defined rule: a part may close after this story (a third of story ids say so).
    Keyed on the id, not the position, so an edit, insertion or removal usually moves only the
    cuts of its own part (tests/test_pdfbook.py), and the other parts — and their cached layouts —
    stay as they were."""
    return hashlib.sha256(story.id.encode()).digest()[0] % CUT_EVERY == 0


def _piece_cut_after(story) -> bool:
    """`_cut_after` for pieces: another byte of the id's digest, one id in `PIECE_CUT_EVERY`."""
    return hashlib.sha256(story.id.encode()).digest()[1] % PIECE_CUT_EVERY == 0


def parts(anthology: Anthology, bounds: tuple = PART_WORDS, cut=_cut_after) -> list:
    """The book's stories in runs, each as an Anthology (the book's title, publisher and language,
    with only that run's stories): what each part's layout — and its cache key — depends on.
    ``bounds``: (low, high) in words, as `PART_WORDS`; ``cut``: the content-defined rule."""
    low, high = bounds
    runs, run, words = [], [], 0
    for story in anthology.stories:
        run.append(story)
        words += story.word_count()
        if words >= high or (words >= low and cut(story)):
            runs.append(run)
            run, words = [], 0
    if run:
        runs.append(run)
    return [laid_out_facts(anthology, stories=tuple(r)) for r in runs]


def laid_out_facts(anthology: Anthology, **changes) -> Anthology:
    """``anthology`` (with ``changes``) without what only the report reads (per-source facts, what was
    removed, warnings, the review): what a layout's cache key should hold, so that a line added to
    one story's source (a source's line count is among those facts) leaves the other parts and the
    front matter cached."""
    return dataclasses.replace(anthology, sources=(), removed=(), warnings=(), review=(), **changes)


def opening(n: int, pages_before: int, recto: bool) -> tuple:
    """(runs_on, verso) of the ``n``-th piece of a part (`pieces`, from 0) after ``pages_before`` pages
    of the part: the first opens the part; the others run on, on a verso after an odd count, unless
    every story opens on a recto (``recto``: each piece then opens a page of its own, as a part)."""
    runs_on = n > 0 and not recto
    return runs_on, runs_on and pages_before % 2 == 1


def pieces(part: Anthology, bounds: tuple = PIECE_WORDS) -> list:
    """A part (`parts`) cut into the pieces it is laid out in (`PIECE_WORDS`), each an Anthology as a
    part is: the first opens the part on a recto, each other runs on from the one before."""
    return parts(part, bounds, _piece_cut_after)


@dataclasses.dataclass(frozen=True)
class Plan:
    """Where the parts land: the book's page numbers of each part's first page, and of each story."""

    firsts: tuple
    """1-based book page of each part's first page (the front matter is page 1)."""
    story_pages: dict
    """Story id -> the book page where it opens."""
    pages: int
    """Pages in the book."""


def plan(front_pages: int, laid_out: list, back_pages: int = 0, colophon_pages: int = 0) -> Plan:
    """Place the front matter, the story parts, the colophon (``colophon_pages``, if any: on the
    page after the last story's) and the back cover (``back_pages``, if any): every part opens on a
    recto (odd) page, after a blank verso when the one before ends on a recto (a piece that
    ``runs_on`` from the one before opens on the next page); the back cover is
    last, on a verso (even), after a blank recto when what comes before ends on a verso."""
    firsts, story_pages = [1], {}
    page = front_pages + 1
    for part in laid_out:
        if not getattr(part, "runs_on", False):  # (a piece after a part's first runs on)
            page += page % 2 == 0  # the blank verso before a recto opening
        firsts.append(page)
        story_pages.update({story: page + at - 1 for story, at in part.starts.items()})
        page += part.pages
    if colophon_pages:
        firsts.append(page)
        page += colophon_pages
    if back_pages:
        page += page % 2  # the blank recto before a verso
        firsts.append(page)
        page += back_pages
    return Plan(tuple(firsts), story_pages, page - 1)


def front_matter(anthology: Anthology, laid_out: list, render_front, colophon: bool = False,
                 guess: int | None = None) -> tuple:
    """(front matter, Plan): the front matter laid out (``render_front(anthology, toc_pages)``) until
    its length and the contents' page numbers agree (the numbers depend on its length, which depends
    a little on the numbers), and where everything lands. ``colophon``: the colophon is at the back,
    on the page after the last story's, which ``toc_pages`` gives under `COLOPHON`. ``guess``: the
    front matter's length to lay it out with first (`pubpipe.render.pdf.frontguess`; default: a dozen
    entries a page): when right, it is laid out once. A length that places every story where the
    guess did (one page longer or shorter, on the same side of the blank verso before the first part)
    is as good as right."""
    front, front_pages = None, guess or FRONT_PAGES + -(-len(anthology.stories) // CONTENTS_PER_PAGE)
    for _ in range(4):
        placed = plan(front_pages, laid_out)
        pages = {**placed.story_pages, COLOPHON: placed.pages + 1} if colophon else placed.story_pages
        front = render_front(anthology, pages)
        if front.pages == front_pages or plan(front.pages, laid_out) == placed:
            break
        front_pages = front.pages
    else:
        raise PubpipeError("the contents' length and page numbers do not settle (each layout of the "
                           "front matter changes the other): please report this book")
    placed = plan(front.pages, laid_out)
    missing = [s.id for s in anthology.stories if s.id not in placed.story_pages]
    if missing:
        raise PubpipeError(f"stories missing from the rendered book: {', '.join(missing)}")
    return front, placed


def sheet_pieces(pages: int, piece: int = SHEET_PIECE) -> list:
    """(first page, pages) of each piece of ``piece`` pages (`SHEET_PIECE`) of the folio sheet of a
    book of ``pages`` pages: every piece opens on a recto."""
    if piece < 2 or piece % 2:
        raise ValueError(f"a piece of the folio sheet opens on a recto: its length must be even, not {piece}")
    return [(first, min(piece, pages - first + 1)) for first in range(1, pages + 1, piece)]


def book_from_parts(anthology: Anthology, laid_out: list, render_front, render_sheet, run=None,
                    colophon: bool = False, guess: int | None = None, sheet_guess: int | None = None,
                    impose=None) -> tuple:
    """(PDF bytes, PdfInfo) of the book from its story parts, laid out in book order (each a
    `LaidOut`): the front matter (`front_matter`; ``colophon``: with the colophon at the back, as
    its ``colophon``), the folio sheet (``render_sheet(pages)``: its pieces, `sheet_pieces`) and
    ``run(assemble, …)`` (default: here); ``guess``: the front matter's length, as `front_matter`
    takes it. The PdfInfo names every character some part showed as a placeholder.

    ``sheet_guess``: the book's length if the front matter comes out ``guess`` pages long (or a
    function giving it, called beside the front matter): the folio sheet of that length is laid out
    meanwhile (on the other layout process; it needs only the length), and used when the guess is
    right — else laid out again at the real length.

    ``impose``: a runner like ``run``: the print edition is made with it from the same parts
    (`impose_parts`), beside the assembly, and given as the PdfInfo's ``print_edition``."""
    from pubpipe.orchestrate.runner import in_thread
    early = in_thread(_guessed_sheet, render_sheet, sheet_guess) if sheet_guess else None
    front, placed = front_matter(anthology, laid_out, render_front, colophon, guess)
    back = [front.back] if getattr(front, "back", None) is not None else []
    after = [front.colophon] if getattr(front, "colophon", None) is not None else []
    placed = plan(front.pages, laid_out, sum(b.pages for b in back), sum(c.pages for c in after))
    guessed = early.result() if early is not None else None
    sheet = guessed[1] if guessed is not None and placed.pages == guessed[0] else render_sheet(placed.pages)
    # The contents' link to the colophon resolves like a story's (to its first page).
    linked = dataclasses.replace(placed, story_pages={**placed.story_pages, COLOPHON: placed.firsts[-1 - len(back)]}) \
        if after else placed
    # The parts go to the assembling process as files, and the book comes back as one: pikepdf
    # reads a part opened by path as it needs it (from bytes, every part's PDF sat in the process's
    # memory, and again in the pickled call), and nothing is pickled back. Issue 19's memory.
    # The front matter's contents may go on in a document of their own (`LaidOut.continued`).
    fronts = [front] if getattr(front, "continued", None) is None else [dataclasses.replace(front, continued=None), front.continued]
    docs = [*fronts, *laid_out, *after, *back]
    if len(fronts) > 1:
        placed, linked = (dataclasses.replace(p, firsts=(1, 1 + fronts[0].pages, *p.firsts[1:])) for p in (placed, linked))
    with work_folder("assembly") as folder:
        staged = [dataclasses.replace(doc, data=_staged(folder / f"part-{n:03}.pdf", doc.data)) for n, doc in enumerate(docs)]
        pieces = [_staged(folder / f"sheet-{n:03}.pdf", piece) for n, piece in enumerate(sheet)]
        del sheet
        out, printed = folder / "book.pdf", folder / "print.pdf"
        beside = in_thread(impose, impose_parts, staged, placed, pieces, printed, bool(back)) if impose else None
        try:
            (run or _call)(assemble, staged, linked, pieces, out)
        finally:
            if beside is not None:
                wait([beside])  # (it writes into the folder removed below)
        data = out.read_bytes()
        print_edition = None
        if beside is not None:
            from pubpipe.render import Rendered
            print_edition = Rendered({f"{anthology.slug}-print.pdf": _read_after(beside, printed)}, beside.result())
    replaced = tuple(sorted({c for part in [front, *laid_out] for c in part.replaced}))
    return data, PdfInfo(pages=placed.pages, story_pages=placed.story_pages, placeholders=replaced,
                         back_cover=bool(back), print_edition=print_edition)


def _guessed_sheet(render_sheet, guess) -> tuple:
    """(length, the folio sheet of that length) for ``guess``, a length or a function giving it."""
    pages = guess() if callable(guess) else guess
    return pages, render_sheet(pages)


def _read_after(future, path: Path) -> bytes:
    """The bytes of ``path`` once ``future`` (the step writing it) is done (its error, if it failed)."""
    future.result()
    return path.read_bytes()


def _call(function, *args):
    return function(*args)


def _staged(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _open(data) -> Pdf:
    """A part's PDF: from its file (read as needed), or from bytes."""
    return Pdf.open(data) if isinstance(data, (str, Path)) else Pdf.open(BytesIO(data))


def _flat_tree(node, key: str) -> list:
    """The [key, value, key, value…] of a PDF number or name tree (``key``: /Nums or /Names)."""
    items = list(node.get(key, ()))
    for kid in node.get("/Kids", ()):
        items += _flat_tree(kid, key)
    return items


def _outline(items, pages: dict) -> list:
    """A part's bookmarks, as new OutlineItems pointing at the book's copies of its pages."""
    rows = []
    for item in items:
        dest = item.destination
        new = OutlineItem(item.title)
        if isinstance(dest, Array) and len(dest) and dest[0].objgen in pages:
            new.destination = Array([pages[dest[0].objgen], *list(dest)[1:]])
        new.children.extend(_outline(item.children, pages))
        rows.append(new)
    return rows


def assemble(docs: list, placed: Plan, sheet: list, out: Path | None = None) -> bytes | None:
    """One tagged PDF from the laid-out parts (the front matter first; each a `LaidOut`, its ``data``
    bytes or a file's path), placed as ``placed`` says, with the
    folios drawn from the folio ``sheet``, a list of PDFs (bytes or paths; `sheet_pieces`: page n of
    the sheet is page n of the book; pages past the book's last are not used); written to ``out`` if given (then None is returned), else
    returned.

    With pikepdf (qpdf): it copies the objects between PDFs a hundred times faster than pypdf
    parses them in Python, and writes compressed object streams, as WeasyPrint does (pypdf writes
    every structure element as a plain object: twice the file)."""
    book = Pdf.new()
    document = book.make_indirect(Dictionary(Type=Name.StructElem, S=Name.Document))
    tree = book.make_indirect(Dictionary(Type=Name.StructTreeRoot, K=Array([document])))
    document.P = tree
    # Python lists, made Arrays once at the end: pikepdf's Array.extend copies the array each time.
    kids, nums, named, outline, folios = [], [], {}, [], []
    next_key, size = 0, None
    for doc, first in zip(docs, placed.firsts):
        part = _open(doc.data)
        _streams_in_memory(part)  # so that the part can be closed once copied (below)
        if size is None:
            size = part.pages[0].mediabox
        while len(book.pages) < first - 1:
            book.add_blank_page(page_size=(float(size[2]), float(size[3])))
            folios.append(False)
        offset = next_key
        part_tree = part.Root.get("/StructTreeRoot")  # None: an untagged PDF (benchmarks/bench_pdf.py)
        tops = _as_list(part_tree.K) if part_tree is not None else []  # WeasyPrint: one Document
        for element in tops:
            for kid in element.K:
                del kid.P  # else the copy would drag in the part's whole tree
        orphans = _orphans(part_tree.ParentTree, {top.objgen for top in tops}) if tops else []
        for orphan in orphans:
            del orphan.P
        # Pages first: qpdf maps every later reference to a page (links, bookmarks, /Pg of the
        # structure elements) to the page's copy.
        pages = {}
        for page in part.pages:
            book.pages.append(page)
            new = book.pages[-1]
            pages[page.obj.objgen] = new.obj
            if "/StructParents" in page.obj:
                new.obj.StructParents = int(page.obj.StructParents) + offset
            for annot in new.obj.get("/Annots", ()):
                if "/StructParent" in annot:
                    annot.StructParent = int(annot.StructParent) + offset
        folios += doc.folios
        for element in tops:
            for kid in element.K:
                copied = book.copy_foreign(kid)
                copied.P = document
                kids.append(copied)
        # Whole trees in one copy each (qpdf maps the references to what is already copied).
        for orphan in orphans:
            book.copy_foreign(orphan).P = document
        pairs = _flat_tree(_copy(book, part, part_tree.ParentTree), "/Nums") if tops else []
        for i in range(0, len(pairs), 2):
            key = int(pairs[i]) + offset
            nums.extend([key, pairs[i + 1]])
            next_key = max(next_key, key + 1)
        if "/Names" in part.Root and "/Dests" in part.Root.Names:
            pairs = _flat_tree(_copy(book, part, part.Root.Names.Dests), "/Names")
            for i in range(0, len(pairs), 2):
                named[str(pairs[i])] = pairs[i + 1]
        with part.open_outline() as part_outline:
            outline += _outline(part_outline.root, pages)
        if doc is docs[0]:
            _copy_document_facts(part, book)
        # A copy refers to its source only for stream data qpdf has not read yet: with that read
        # (`_streams_in_memory`: the compressed bytes, a part's file size), the part's parsed objects
        # are freed here, not held to the end (at 1,000 stories they were most of the assembly's memory).
        del tops, orphans, part_tree
        part.close()
        del part
    if kids:
        document.K = Array(kids)
        tree.ParentTree = book.make_indirect(Dictionary(Nums=Array(nums)))
        tree.ParentTreeNextKey = next_key
        book.Root.StructTreeRoot = tree
    if named:
        names = []
        for name in sorted(named):
            names += [String(name), named[name]]
        book.Root.Names = Dictionary(Dests=Dictionary(Names=Array(names)))
    with book.open_outline() as book_outline:
        book_outline.root.extend(outline)
    _link_contents(book, named, placed.story_pages, STORY_LINK, STORY_ANCHOR)
    pieces = [_open(piece) for piece in sheet]  # open until the book is written: copied lazily
    _stamp_folios(book, [page for piece in pieces for page in piece.pages], folios)
    target = out if out is not None else BytesIO()
    book.save(target, object_stream_mode=ObjectStreamMode.generate, deterministic_id=True,
              min_version="1.7")
    book.close()
    for source in pieces:  # their memory now, not when the garbage collector gets to them
        source.close()
    return None if out is not None else target.getvalue()


def _streams_in_memory(pdf: Pdf) -> None:
    """Give every stream of ``pdf`` its own (still encoded) data in memory: qpdf copies such a stream's
    data with it, where it would otherwise read it from ``pdf`` when the book is written (``pdf`` then
    has to stay open, with all its parsed objects, until then). The stream's filters are kept as
    they are; the bytes written are the same."""
    for obj in pdf.objects:
        if isinstance(obj, Stream) and obj.get("/Type") not in (Name.ObjStm, Name.XRef):
            obj.write(obj.read_raw_bytes(), filter=obj.get("/Filter"), decode_parms=obj.get("/DecodeParms"),
                      type_check=False)


def _orphans(parent_tree, tops: set) -> list:
    """Elements whose parent is a Document element but which are not among its kids: WeasyPrint
    70 gives the running heads' text such a /NonStruct parent. Found from the marked content up."""
    seen, listed, found = set(), set(), []
    pairs = _flat_tree(parent_tree, "/Nums")
    for value in pairs[1::2]:
        for element in _as_list(value):
            while element.objgen not in seen and "/P" in element:
                seen.add(element.objgen)
                parent = element.P
                if parent.objgen in tops:
                    if element.objgen not in listed and not _listed(parent, element):
                        found.append(element)
                        listed.add(element.objgen)
                    break
                element = parent
    return found


def _listed(parent, element) -> bool:
    return any(kid.objgen == element.objgen for kid in _as_list(parent.K) if isinstance(kid, Dictionary))


def _as_list(value) -> list:
    return list(value) if isinstance(value, Array) else [value]


def _copy(book: Pdf, source: Pdf, value):
    """An object of ``source``, with everything it refers to, copied into ``book`` in one call
    (qpdf copies only indirect objects: a direct one is made indirect in its source first)."""
    if isinstance(value, Stream) or value.is_indirect:
        return book.copy_foreign(value)
    return book.copy_foreign(source.make_indirect(value))


def _copy_document_facts(front: Pdf, book: Pdf) -> None:
    """The front matter's document information, language, XMP metadata (PDF/UA identification)
    and viewer preferences, for the whole book."""
    book.trailer.Info = book.copy_foreign(front.trailer.Info)
    for key in ("/Lang", "/MarkInfo", "/ViewerPreferences", "/Metadata"):
        if key in front.Root:
            value = front.Root[key]
            book.Root[key] = _copy(book, front, value) if isinstance(value, (Array, Dictionary, Stream)) else value


def _link_contents(book: Pdf, named: dict, story_pages: dict, link: str, anchor: str) -> None:
    """Turn the contents' ``pubpipe:story/<id>`` URI links into links to the stories' openings."""
    for page in book.pages:
        for annot in page.obj.get("/Annots", ()):
            action = annot.get("/A")
            uri = str(action.get("/URI", "")) if action is not None else ""
            if not uri.startswith(link):
                continue
            story = uri[len(link):]
            if story not in story_pages:
                raise PubpipeError(f"the contents link to story '{story}', which is not in the book")
            dest = named.get(anchor + story)
            if dest is None:
                dest = Array([book.pages[story_pages[story] - 1].obj, Name.Fit])
            del annot.A
            annot.Dest = dest


def _stamp_folios(book: Pdf, sheet: list, folios: list) -> None:
    """Draw page n of the folio sheet on every page n of the book that has a folio: a Form XObject,
    drawn after the page's own content (wrapped in q/Q: WeasyPrint's content leaves its flipped
    coordinates in place), as a pagination artifact. (The sheet may run on past the book's last
    page: its pieces are kept whole, `pubpipe.render.pdf.keptsheet`.)"""
    if len(sheet) < len(folios):
        raise PubpipeError(f"the folio sheet has {len(sheet)} pages for a book of {len(folios)}")
    opening = book.make_stream(_FOLIO_OPENING)
    closing = book.make_stream(_FOLIO_CLOSING)
    for number, (page, folio) in enumerate(zip(book.pages, folios)):
        if not folio:
            continue
        page.obj.Resources = _with_folio(Dictionary(page.obj.get("/Resources", Dictionary())),
                                         book.copy_foreign(sheet[number].as_form_xobject()))
        contents = page.obj.Contents
        own = list(contents) if isinstance(contents, Array) else [contents]
        page.obj.Contents = Array([opening, *own, closing])


def _with_folio(resources: Dictionary, folio) -> Dictionary:
    """``resources`` (a page's, as a direct dictionary) with the folio's Form XObject among its XObjects, as `FOLIO`."""
    xobjects = Dictionary(resources.get("/XObject", Dictionary()))
    xobjects[FOLIO] = folio
    resources.XObject = xobjects
    return resources


_FOLIO_OPENING = b"q\n"
_FOLIO_CLOSING = b"Q\n/Artifact <</Type /Pagination /Subtype /Footer>> BDC\nq " + FOLIO.encode() + b" Do Q\nEMC\n"
"""What `_stamp_folios` puts before and after a page's own content."""


def impose_parts(docs: list, placed: Plan, sheet: list, out: Path, back_cover: bool) -> "ImposeInfo":
    """The print edition (`pubpipe.render.pdf.imposition.impose`, written to ``out``) of the book
    `assemble` makes of the same ``docs``, ``placed`` and folio ``sheet``, made from them, not from
    the book: each page of a part with its folio drawn as `assemble` draws it (`_folio_form`), a
    blank page where it adds one, the front matter's document facts (which `assemble` gives the
    book). So the print edition is imposed beside the assembly, on the other core, instead of after
    it (issue 19: the imposition was 0.3 s of the build's tail, one step at a time on one core).
    Its pages are drawn as those of the book imposed (tests/test_pdf.py compares them drawn); the
    print edition holds no structure tree, link or bookmark either way (`impose` draws pages)."""
    from pubpipe.render.pdf.imposition import imposed, page_form
    opened = [_open(doc.data) for doc in docs]  # open until the print edition is written: copied lazily
    sheets = [_open(piece) for piece in sheet]
    blank = Pdf.new()
    try:
        sheet_pages = [page for piece in sheets for page in piece.pages]
        size = opened[0].pages[0].mediabox
        book = []  # per page of the book: (its page, whether it has a folio)
        for doc, part, first in zip(docs, opened, placed.firsts):
            while len(book) < first - 1:
                book.append((blank.add_blank_page(page_size=(float(size[2]), float(size[3]))), False))
            book += zip(part.pages, doc.folios)
        if len(sheet_pages) < len(book):
            raise PubpipeError(f"the folio sheet has {len(sheet_pages)} pages for a book of {len(book)}")

        def form_of(printed: Pdf, number: int) -> tuple:
            page, folio = book[number - 1]
            return _folio_form(printed, page, sheet_pages[number - 1]) if folio else page_form(printed, page)
        return imposed(len(book), form_of, opened[0], out, back_cover)
    finally:
        for pdf in [*opened, *sheets, blank]:
            pdf.close()


def _folio_form(printed: Pdf, page, sheet_page) -> tuple:
    """`pubpipe.render.pdf.imposition.page_form` of ``page`` with the folio of ``sheet_page``
    stamped as `_stamp_folios` stamps it: the same content, joined into one stream as `page_xobject`
    joins a page's, and the same resources (the folio's Form XObject copied once for the print edition)."""
    from pubpipe.render.pdf.imposition import _copied
    box = tuple(float(v) for v in page.mediabox)
    contents = page.obj.get("/Contents")
    own = list(contents) if isinstance(contents, Array) else [contents] if contents is not None else []
    joined = b"\n".join([_FOLIO_OPENING, *(part.read_bytes() for part in own), _FOLIO_CLOSING])
    form = printed.make_indirect(Stream(printed, joined))
    form.Type, form.Subtype, form.BBox = Name.XObject, Name.Form, Array(box)
    resources = Dictionary({key: _copied(printed, value) for key, value in page.obj.get("/Resources", Dictionary()).items()})
    form.Resources = _with_folio(resources, printed.copy_foreign(sheet_page.as_form_xobject()))
    if "/Group" in page.obj:
        form.Group = _copied(printed, page.obj.Group)
    return box, form
