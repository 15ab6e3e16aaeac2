"""pubpipe.render.pdf.parts: where the book is cut into parts, and where the parts land."""

import dataclasses
import threading

from hypothesis import given, settings, strategies as st

from pubpipe.render.pdf import parts as pdfbook
from pubpipe.model import Anthology, Block, SourceSpan, Story
from pubpipe.render.pdf.reading import LaidOut


def story(i: int, words: int) -> Story:
    return Story(id=f"story-{i}", title=f"Story {i}", language="en", source=SourceSpan(file="a.txt", first_line=i, last_line=i),
                 blocks=(Block(type="paragraph", text=" ".join(["word"] * words)),))


def book(sizes) -> Anthology:
    return Anthology(title="A Book", stories=tuple(story(i, n) for i, n in enumerate(sizes)))


def ids(parts) -> list:
    return [[s.id for s in p.stories] for p in parts]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=50, max_value=5000), min_size=1, max_size=60))
def test_parts_keep_every_story_in_order_within_bounds(sizes):
    anthology = book(sizes)
    parts = pdfbook.parts(anthology)
    assert [s for p in parts for s in p.stories] == list(anthology.stories)
    low, high = pdfbook.PART_WORDS
    for part in parts:
        assert part.title == anthology.title
        words = [s.word_count() for s in part.stories]
        assert sum(words[:-1]) < high, "a part went on past the upper bound"
    for part in parts[:-1]:
        assert sum(s.word_count() for s in part.stories) >= low


def test_a_changed_story_changes_few_parts():
    """The cuts follow the stories' ids: a story made longer or shorter changes its own part and
    seldom more (the cuts after it fall where they fell), so the other parts' cached layouts serve."""
    import random
    rng = random.Random(5)
    sizes = [rng.randint(300, 3000) for _ in range(200)]
    bounds = (6_000, 18_000)
    before = ids(pdfbook.parts(book(sizes), bounds))
    changed_parts = []
    for at in range(0, 200, 7):
        changed = list(sizes)
        changed[at] = rng.choice((300, 3000))
        after = ids(pdfbook.parts(book(changed), bounds))
        changed_parts.append(sum(p not in before for p in after))
    assert len(before) > 20 and max(changed_parts) <= 3 and sum(changed_parts) / len(changed_parts) <= 1.5, changed_parts


def test_plan_opens_every_part_on_a_recto():
    parts = [LaidOut(b"", (False,) * n, {f"s{i}": 1}) for i, n in enumerate((3, 4, 1))]
    placed = pdfbook.plan(7, parts)  # front matter of 7 pages: a blank verso, then page 9
    assert placed.firsts == (1, 9, 13, 17)
    assert placed.story_pages == {"s0": 9, "s1": 13, "s2": 17}
    assert placed.pages == 17
    assert all(first % 2 == 1 for first in placed.firsts)


def test_a_piece_runs_on_from_the_one_before():
    """A part's pieces after its first open on the page after the one before ends, on either hand;
    the next part on a recto again."""
    parts = [LaidOut(b"", (False,) * 3, {"s0": 1}), LaidOut(b"", (False,) * 4, {"s1": 1}, runs_on=True),
             LaidOut(b"", (False,) * 1, {"s2": 1}, runs_on=True), LaidOut(b"", (False,) * 2, {"s3": 1})]
    placed = pdfbook.plan(7, parts)
    assert placed.firsts == (1, 9, 12, 16, 17) and placed.pages == 18
    assert placed.story_pages == {"s0": 9, "s1": 12, "s2": 16, "s3": 17}


def test_pieces_keep_every_story_in_order_and_a_changed_story_changes_few():
    """A part's pieces: every story once, in order, within their bounds; their cuts follow the
    stories' ids (another byte of the digest than the parts'), so a story made longer or shorter
    moves the cuts of its own piece and seldom more (more only where it moves its part's cuts)."""
    import random
    rng = random.Random(7)
    sizes = [rng.randint(300, 3000) for _ in range(200)]

    def pieces(anthology):
        return [piece for part in pdfbook.parts(anthology) for piece in pdfbook.pieces(part)]
    before = ids(pieces(book(sizes)))
    low, high = pdfbook.PIECE_WORDS
    for part in pdfbook.parts(book(sizes)):
        cut = pdfbook.pieces(part)
        assert [s for p in cut for s in p.stories] == list(part.stories)
        for piece in cut[:-1]:
            words = [s.word_count() for s in piece.stories]
            assert sum(words) >= low and sum(words[:-1]) < high
    changed_pieces = []
    for at in range(0, 200, 7):
        changed = list(sizes)
        changed[at] = rng.choice((300, 3000))
        after = ids(pieces(book(changed)))
        changed_pieces.append(sum(p not in before for p in after))
    assert len(before) > 30 and sorted(changed_pieces)[len(changed_pieces) // 2] == 0, changed_pieces
    assert sum(changed_pieces) / len(changed_pieces) <= 1.5, changed_pieces


def test_the_book_names_every_parts_placeholders():
    """Each part (and the front matter) names the characters it showed as placeholders; the book's
    PdfInfo names them all, once."""
    anthology = book([10, 10])
    parts = [LaidOut(b"", (False,) * 3, {"story-0": 1}, ("\ue001",)),
             LaidOut(b"", (False,) * 2, {"story-1": 1}, ("\ue000", "\ue001"))]
    front = LaidOut(b"", (False,) * 5, {}, ("\ue002",))
    _, info = pdfbook.book_from_parts(anthology, parts, lambda _, pages: front, lambda pages: [],
                                        run=lambda step, docs, placed, sheet, out: out.write_bytes(b"%PDF"))
    assert info.placeholders == ("\ue000", "\ue001", "\ue002")
    assert info.story_pages == {"story-0": 7, "story-1": 11}

def test_plan_puts_the_back_cover_last_on_a_verso():
    """The back cover is the book's last page, a verso: straight after stories that end on a
    recto, after one blank recto when they end on a verso."""
    parts = [LaidOut(b"", (False,) * n, {f"s{i}": 1}) for i, n in enumerate((3, 4, 1))]
    assert pdfbook.plan(7, parts, 1).firsts == (1, 9, 13, 17, 18) and pdfbook.plan(7, parts, 1).pages == 18
    parts[-1] = LaidOut(b"", (False,) * 2, {"s2": 1})
    assert pdfbook.plan(7, parts, 1).firsts == (1, 9, 13, 17, 20) and pdfbook.plan(7, parts, 1).pages == 20


def test_plan_puts_a_colophon_after_the_last_story_and_the_back_cover_on_the_next_verso():
    """A long book's colophon follows the last story on the next page, recto or verso; the back
    cover comes after it, on a verso (a blank recto between them when the colophon ends on a verso)."""
    parts = [LaidOut(b"", (False,) * n, {f"s{i}": 1}) for i, n in enumerate((3, 4, 1))]  # stories end on 17
    placed = pdfbook.plan(7, parts, back_pages=1, colophon_pages=2)
    assert placed.firsts == (1, 9, 13, 17, 18, 20) and placed.pages == 20  # colophon 18-19, cover 20
    placed = pdfbook.plan(7, parts, back_pages=1, colophon_pages=3)
    assert placed.firsts == (1, 9, 13, 17, 18, 22) and placed.pages == 22  # colophon 18-20, blank 21, cover 22


def test_the_front_matter_is_told_the_colophons_page():
    """With the colophon at the back, the front matter is laid out knowing its page (the imprint and
    the contents print it): the page after the last story's."""
    anthology = book([10, 10])
    parts = [LaidOut(b"", (False,) * 3, {"story-0": 1}), LaidOut(b"", (False,) * 2, {"story-1": 1})]
    seen = []

    def front(_, pages):
        seen.append(dict(pages))
        return LaidOut(b"", (False,) * 5, {})
    pdfbook.front_matter(anthology, parts, front, colophon=True)
    assert seen[-1] == {"story-0": 7, "story-1": 11, pdfbook.COLOPHON: 13}
    seen.clear()
    pdfbook.front_matter(anthology, parts, front)
    assert pdfbook.COLOPHON not in seen[-1]


def test_the_parts_reach_the_assembly_as_files_removed_afterwards():
    """The assembling process gets each part and piece of the folio sheet as a file (read as pikepdf
    needs it, not every part's bytes at once) and writes the book to a file; the work folder is gone
    once the book is read back, also when the assembly fails."""
    anthology = book([10, 10])
    parts = [LaidOut(b"part 0", (False,) * 3, {"story-0": 1}), LaidOut(b"part 1", (True,) * 2, {"story-1": 1})]
    front = LaidOut(b"front", (False,) * 5, {})
    seen = {}

    def run(step, docs, placed, sheet, out):
        assert step is pdfbook.assemble
        seen.update(docs=[(d.data, d.data.read_bytes(), d.folios) for d in docs],
                    sheet=[(p, p.read_bytes()) for p in sheet], folder=out.parent)
        out.write_bytes(b"%PDF book")

    data, _ = pdfbook.book_from_parts(anthology, parts, lambda _, pages: front, lambda pages: [b"sheet"], run=run)
    assert data == b"%PDF book"
    assert [(raw, folios) for _, raw, folios in seen["docs"]] == [
        (b"front", (False,) * 5), (b"part 0", (False,) * 3), (b"part 1", (True,) * 2)]
    assert [raw for _, raw in seen["sheet"]] == [b"sheet"]
    assert not seen["folder"].exists()

    def failing(step, docs, placed, sheet, out):
        seen["folder"] = out.parent
        raise RuntimeError("the assembly failed")
    try:
        pdfbook.book_from_parts(anthology, parts, lambda _, pages: front, lambda pages: [b"sheet"], run=failing)
    except RuntimeError:
        pass
    else:
        raise AssertionError("the failure was swallowed")
    assert not seen["folder"].exists()


def test_an_interrupted_build_removes_its_work_folders():
    """Ctrl-C's handler exits at once (no `finally` runs): it removes the open work folders itself."""
    from pubpipe import workfolders
    with workfolders.work_folder("test") as folder:
        (folder / "part.pdf").write_bytes(b"x")
        workfolders.remove_work_folders()
        assert not folder.exists()


def test_the_folio_sheet_is_laid_out_beside_the_front_matter_when_the_length_is_guessed():
    """book_from_parts' ``sheet_guess``: the sheet of the length the guessed front matter gives is
    laid out while the front matter is, and used when the front matter comes out that long; a wrong
    guess lays the sheet out again at the book's real length (the early one is not used)."""
    anthology = book([10, 10])
    parts = [LaidOut(b"", (False,) * 3, {"story-0": 1}), LaidOut(b"", (False,) * 2, {"story-1": 1})]
    assemble = lambda step, docs, placed, sheet, out: out.write_bytes(b"%PDF")  # noqa: E731
    for front_pages, guess in ((5, 5), (5, 7)):
        front = LaidOut(b"", (False,) * front_pages, {})
        asked, both = [], threading.Event()

        def front_matter(_, pages):
            asked.append(("front", both.wait(3)))  # the sheet asked for before the front matter is done
            return front

        def sheet(pages):
            asked.append(("sheet", pages))
            both.set()
            return []

        real = pdfbook.plan(front_pages, parts).pages
        guessed = pdfbook.plan(guess, parts).pages
        _, info = pdfbook.book_from_parts(anthology, parts, front_matter, sheet, run=assemble, guess=guess,
                                          sheet_guess=guessed)
        assert [a for a in asked if a[0] == "front"][0] == ("front", True) and info.pages == real
        sheets = [a for a in asked if a[0] == "sheet"]
        assert sheets == ([("sheet", real)] if guessed == real else [("sheet", guessed), ("sheet", real)]), asked


def test_the_back_matter_is_laid_out_once_fewer_parts_are_left_than_layout_processes(monkeypatch):
    """reading._back_when_free: with three parts' runs of pieces and two layout processes, the back
    matter (which needs no part) is asked for only once two of the runs have ended, in the time a
    process would wait for the last one; with the layout in this process, once every run has."""
    from concurrent.futures import Future

    from pubpipe.render.pdf import reading

    class Runner:
        def __init__(self):
            self.called = threading.Event()

        def call(self, step, *args):
            assert step is reading.lay_out_back
            self.called.set()
            return "back"

    monkeypatch.setenv("PUBPIPE_LAYOUT_PROCESSES", "2")
    contents = book([10])
    for layout, ends_before in ((reading.Layout(), 2), (reading.Layout(here=True), 3)):
        runner, runs = Runner(), [Future() for _ in range(3)]
        result = []
        waiting = threading.Thread(target=lambda: result.append(reading._back_when_free(runner, runs, contents, layout)))
        waiting.start()
        for n, run in enumerate(runs, start=1):
            assert not runner.called.wait(0.2), f"asked for with {n - 1} of 3 runs ended ({layout})"
            run.set_result([])
            if n == ends_before:
                break
        waiting.join(5)
        assert runner.called.is_set() and result == ["back"]
    # a runner that waits for what it is handed (benchmarks/stage_times.py's) gives the runs' results
    runner = Runner()
    assert reading._back_when_free(runner, [[], [], []], contents, reading.Layout()) == "back"


def test_the_renderers_wait_for_the_first_pieces_under_way_not_longer(monkeypatch):
    """reading._wait_under_way returns once as many pieces more are under way as it is told (counted
    from the parts' threads), at once when a part's run has ended (a failure, or pieces the cache held),
    and after LEAD_SECONDS when none comes."""
    import time
    from concurrent.futures import Future

    from pubpipe.render.pdf import reading

    def counted_later(n, delay):
        def count():
            time.sleep(delay)
            for _ in range(n):
                reading._piece_under_way()
        threading.Thread(target=count).start()

    monkeypatch.setattr(reading, "LEAD_SECONDS", 5)
    with reading._UNDER_WAY:
        mark = reading._under_way[0]
    counted_later(1, 0.1)
    counted_later(1, 0.4)
    start = time.monotonic()
    reading._wait_under_way(mark, 2, [Future(), Future()])
    assert 0.35 < time.monotonic() - start < 4
    ended = Future()
    ended.set_result([])
    start = time.monotonic()
    reading._wait_under_way(mark + 2, 2, [Future(), ended])
    reading._wait_under_way(mark + 2, 2, [[], []])  # (a runner that hands over results)
    assert time.monotonic() - start < 2  # (not the 5 s a wait for pieces would take)
    monkeypatch.setattr(reading, "LEAD_SECONDS", 0.3)
    start = time.monotonic()
    reading._wait_under_way(mark + 2, 2, [Future(), Future()])
    assert 0.25 < time.monotonic() - start < 3
