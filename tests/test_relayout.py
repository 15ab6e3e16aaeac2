"""Levelling lays a story out again from the first page it shortens, in the part's own layout
(`pubpipe.render.pdf.relayout`, issue 19): the pages it gets are those the story laid out alone
gets (the way levelling worked before, and still works over another WeasyPrint), and a story that
an earlier one moved takes the hand and running head of its new place."""

import dataclasses
import json
import random
from pathlib import Path

import pytest

from pubpipe.model import Anthology, Block
from pubpipe.render.pdf import level as pdflevel
from pubpipe.render.pdf import reading as pdf
from pubpipe.render.pdf import fontcache, layoutspeed, relayout

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"

pytestmark = pytest.mark.skipif(not relayout.usable(), reason="written against WeasyPrint " + relayout.KNOWN_VERSION)


def _part(stories: int = 3, seed: int = 7) -> Anthology:
    """English stories of a few pages each: paragraphs of one to eight lines, headings, quotes and
    lists here and there (so that widows, headings kept with their lines and quotes kept whole leave
    pages short, and levelling has spreads to try)."""
    base = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    story = next(s for s in base.stories if s.language == "en")
    rng = random.Random(seed)
    words = ("the river market school letter harvest morning bridge station village garden report "
             "season neighbour journey shelter winter border").split()
    out = []
    for n in range(stories):
        blocks = []
        for k in range(rng.randint(70, 110)):
            text = " ".join(rng.choice(words) for _ in range(rng.choice((6, 12, 30, 60, 90)))).capitalize() + "."
            kind = rng.random()
            if kind < 0.06:
                blocks.append(Block(type="heading", text=f"Part {k} of story {n}"))
            elif kind < 0.1:
                blocks.append(Block(type="quote", text=text))
            blocks.append(Block(type="paragraph", text=text))
        out.append(dataclasses.replace(story, id=f"story-{n}", title=f"Story number {n}", blocks=tuple(blocks)))
    return dataclasses.replace(base, stories=tuple(out), credits=())


def _lines(pages) -> list:
    """Per page: (top, text) of each line of the story's text, margin boxes left out."""
    out = []
    for page in pages:
        rows = []
        for child in page._page_box.children:
            if getattr(child, "at_keyword", None):
                continue
            for line in child.descendants():
                if type(line).__name__ == "LineBox" and line.children:
                    text = "".join(getattr(box, "text", "") for box in line.descendants())
                    rows.append((round(line.position_y, 2), text))
        out.append(rows)
    return out


def _margin(page, where: str = "@top-center") -> list:
    """The text of a finished page's margin box ``where`` (the running head; "@bottom-center": the folio)."""
    return ["".join(getattr(b, "text", "") for b in child.descendants())
            for child in page._page_box.children if getattr(child, "at_keyword", None) == where]


def test_a_story_laid_out_again_from_a_page_gets_the_pages_it_gets_alone(monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    anthology = _part(6)
    tried = []
    original = pdf._levelled

    def compared(document, kept, anthology, part, *rest):
        assert kept is not None
        alone = pdf._Alone(document, anthology, part, *rest)
        begin, trial = kept.begin, kept.trial

        def both_begin(index, start, first, end, pages):
            alone.begin(index, start, first, end, pages)
            return begin(index, start, first, end, pages)

        def both_trial(caps, pages):
            ours, theirs = trial(caps, pages), alone.trial(caps, pages)
            first = min(caps)
            # The same lines, at the same depths, on the same pages, from the first capped page on.
            assert _lines(ours[first:]) == _lines(theirs[first:]), caps
            # Before it, the story's pages as they were (not laid out again).
            assert all(a is b for a, b in zip(ours[:first], pages[:first]))
            tried.append(caps)
            return ours

        kept.begin, kept.trial = both_begin, both_trial
        return original(document, kept, anthology, part, *rest)

    monkeypatch.setattr(pdf, "_levelled", compared)
    laid = pdf.render_stories(anthology)
    assert len(tried) >= 3  # the premise: levelling had spreads to try
    assert laid.pages > 6


def test_a_story_moved_by_an_earlier_one_takes_the_hand_and_head_of_its_new_place(monkeypatch):
    """The first story kept a page more (one of its pages made much shorter): the second, now a page
    later, is laid out again there; every page is on its hand (margins, running head) and has its
    number, as a layout of the whole part with that page shortened gives it."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    anthology = _part(2, seed=3)
    one, two = anthology.stories

    def documents():
        part = dict(stories=anthology.stories, recto=False)
        source, _ = pdf.pdfglyphs.substitute(pdf.book_html(anthology, pdf.created_date(), **part), ())
        html = pdf.HTML(string=source, base_url=pdf.styles_dir().resolve().as_uri() + "/",
                        url_fetcher=pdf.SafeFetcher())
        fonts = pdf.FontConfiguration()
        faces = pdf.CSS(string=pdf.font_faces_css(), base_url=pdf.styles_dir().resolve().as_uri() + "/",
                        url_fetcher=pdf.SafeFetcher(), font_config=fonts)
        return relayout.render(html, fonts, [faces])

    layoutspeed.install()
    fontcache.install()
    document, part = documents()
    pages = document.pages
    second = next(i for i, p in enumerate(pages) if "story-story-1" in " ".join(p.anchors))
    first_pages = pages[:second]
    assert len(first_pages) >= 3
    # Page 2 of the first story run ten lines short: its text moves on by a page or less.
    cap = pdflevel.page_shape(pages[1])[0] - 10 * 14.5 * 4 / 3
    part.begin(0, 0, 0, second, first_pages)
    tried = part.trial({1: cap}, first_pages)
    assert tried is not None
    kept = part.finish(tried)
    shift = len(kept) - len(first_pages)
    assert shift == 1, (len(kept), len(first_pages))
    moved = part.begin(1, len(kept), second, len(pages), pages[second:])
    moved = part.finish(moved)
    part.close()
    book = kept + moved
    for index, page in enumerate(book):
        assert page._page_box.page_type.side == ("right" if index % 2 == 0 else "left"), index
        if index not in (0, len(kept)):  # opening pages carry no running head
            assert _margin(page, "@bottom-center") == [str(index + 1)], index
            head = " ".join(_margin(page)).lower()
            expected = (anthology.title if index % 2 else two.title if index > len(kept) else one.title)
            assert head == pdf.running_title(expected).lower() or head == expected.lower(), (index, head)
    # The moved story's lines are those it had (its breaks depend on its own text alone).
    assert [r for p in _lines(moved) for r in p] == [r for p in _lines(pages[second:]) for r in p]


def test_over_another_weasyprint_each_try_lays_the_story_out_alone(monkeypatch):
    """Where `relayout` cannot be used, levelling lays each try out alone, as it did before: the
    part is levelled all the same, its stories opening on the pages the part's own layout gives."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    anthology = _part(6)
    alone = []
    trial = pdf._Alone.trial
    monkeypatch.setattr(pdf._Alone, "trial", lambda self, caps, pages: alone.append(caps) or trial(self, caps, pages))
    monkeypatch.setattr(relayout, "usable", lambda: False)
    before = pdf.render_stories(anthology)
    assert len(alone) >= 3
    monkeypatch.setattr(relayout, "usable", lambda: True)
    alone.clear()
    after = pdf.render_stories(anthology)
    assert alone == []
    assert before.starts == after.starts and before.pages == after.pages


def test_a_try_takes_the_lines_the_first_layout_broke_and_the_pages_are_the_same(monkeypatch):
    """While a part is kept, the lines it breaks are remembered (`relayout._remembered_split`), so a
    try that lays a story out again breaks few lines anew; the PDF is the same, byte for byte, as
    one whose tries break every line again; and once the part is done nothing is remembered."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    anthology = _part(6)
    import weasyprint.text.line_break as line_break
    broken = []  # the lines WeasyPrint broke (a Pango layout made for each)
    through = line_break.create_layout
    monkeypatch.setattr(line_break, "create_layout", lambda *a: broken.append(a[0]) or through(*a))
    tries = []
    trial = relayout.Part.trial
    monkeypatch.setattr(relayout.Part, "trial", lambda self, caps, pages: tries.append(caps) or trial(self, caps, pages))
    remembered = pdf.render_stories(anthology)
    with_memo = len(broken)
    assert relayout._lines.memo is None
    assert len(tries) >= 3  # the premise: levelling had spreads to try
    monkeypatch.setattr(relayout, "MEMO_CHARS", 0)
    broken.clear()
    tries.clear()
    again = pdf.render_stories(anthology)
    assert len(tries) >= 3
    # The tries broke their lines anew: many more lines broken.
    assert len(broken) > with_memo * 1.2, (len(broken), with_memo)
    assert remembered.data == again.data
    assert remembered.starts == again.starts
