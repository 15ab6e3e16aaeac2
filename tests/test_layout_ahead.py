"""`pubpipe build` lays a changed piece of the book out ahead of the flow (issue 19): once the stories
are recovered ahead (pubpipe.recover.steps.ahead), the pieces the flow's task cache does not hold —
the first of each part, a few at most — go to the layout processes, and the flow's pieces take
those layouts (pubpipe.render.pdf.reading.lay_out_ahead / lay_out_part)."""
import dataclasses
import shutil
from pathlib import Path

import pytest

from pubpipe import pipeline
from pubpipe.read import intake
from pubpipe.recover import steps
from pubpipe.render.pdf import glyphs
from pubpipe.render.pdf import parts as pdfbook
from pubpipe.render.pdf import reading as pdf

ROOT = Path(__file__).resolve().parents[1]
LAYOUT = pdf.Layout(part_words=(500, 1400), piece_words=(1, 1), sheet_piece=4)
"""The samples in parts of several pieces (a story each)."""


@pytest.fixture(scope="module")
def book():
    return pipeline.recover(ROOT / "sources")


@pytest.fixture
def processes(monkeypatch):
    """As many layout processes as the test says (pieces are laid out ahead only when no more of
    them are to be laid out than there are layout processes)."""
    def given(n):
        monkeypatch.setattr(pdf, "layout_processes", lambda: n)
    given(99)
    return given


def _counting(monkeypatch):
    calls = []
    real = pdf.in_layout

    def counted(function, *args, **options):
        calls.append(function.__name__)
        return real(function, *args, **options)
    monkeypatch.setattr(pdf, "in_layout", counted)
    return calls


def _firsts(book):
    return [pdfbook.pieces(part, LAYOUT.piece_words)[0] for part in pdfbook.parts(book, LAYOUT.part_words)]


def test_the_pieces_laid_out_ahead_are_the_flows(book, monkeypatch, processes):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    firsts = _firsts(book)
    assert len(firsts) >= 2 and all(len(pdfbook.pieces(p, LAYOUT.piece_words)) > 1
                                    for p in pdfbook.parts(book, LAYOUT.part_words)[:-1])
    assert pdf.lay_out_ahead(book, False, LAYOUT) == len(firsts)  # nothing cached: each part's first
    calls = _counting(monkeypatch)
    taken = [pdf.lay_out_part(piece, glyphs.unshowable(piece), False, LAYOUT) for piece in firsts]
    assert calls == [] and not pdf._AHEAD
    laid = [pdf.lay_out_part(piece, glyphs.unshowable(piece), False, LAYOUT) for piece in firsts]
    assert calls == ["render_stories"] * len(firsts)
    assert [t.data for t in taken] == [n.data for n in laid] and [t.starts for t in taken] == [n.starts for n in laid]


def test_a_piece_after_cached_ones_is_laid_out_ahead_on_its_hand(book, monkeypatch, processes):
    """The first piece of each part cached (its pages known): the second is started, on a verso where
    the first has an odd number of pages; another piece asked for is laid out as ever."""
    part = pdfbook.parts(book, LAYOUT.part_words)[0]
    first, second = pdfbook.pieces(part, LAYOUT.piece_words)[:2]
    for pages in (3, 4):
        started = pdf.lay_out_ahead(book, False, LAYOUT,
                                    cached=lambda piece, missing, runs_on, verso: pages if piece == first else None)
        assert started == len(_firsts(book))  # the other parts' first pieces, and this second one
        key = pdf._ahead_key(second, tuple(glyphs.unshowable(second)), False, LAYOUT, True, pages % 2 == 1)
        assert key in pdf._AHEAD
        pdf.drop_ahead()
    calls = _counting(monkeypatch)
    pdf.lay_out_ahead(book, False, LAYOUT, cached=lambda *_: None)
    pdf.lay_out_part(second, glyphs.unshowable(second), False, LAYOUT, True, False)  # not started ahead
    assert calls == ["render_stories"]
    pdf.drop_ahead()
    assert not pdf._AHEAD


def test_more_pieces_than_layout_processes_are_not_laid_out_ahead(book, processes):
    """A cold build (the first piece of every part to lay out, more than the processes): nothing
    ahead; after a story changed (as many as the processes or fewer): those."""
    firsts = _firsts(book)
    processes(len(firsts) - 1)
    assert pdf.lay_out_ahead(book, False, LAYOUT) == 0 and not pdf._AHEAD
    one_cached = pdf.lay_out_ahead(book, False, LAYOUT,
                                   cached=lambda piece, missing, runs_on, verso: 2 if piece != firsts[0] else None)
    assert one_cached == 1 and len(pdf._AHEAD) == 1
    pdf.drop_ahead()
    assert not pdf._AHEAD and pdf.lay_out_ahead(book, False, dataclasses.replace(LAYOUT, here=True)) == 0


def test_the_recovery_ahead_gives_what_the_flow_lays_out(tmp_path):
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    anthology, recto = steps.ahead(str(tmp_path / "sources"), None)
    settings = intake.load_settings(str(tmp_path / "sources"), None)
    assert anthology == pipeline.recover(tmp_path / "sources") and recto == (settings.stories_open == "recto")
    assert steps.ahead(str(tmp_path / "missing"), None) is None


@pytest.mark.usefixtures("session_prefect_home")
def test_the_flows_cache_key_of_a_piece_is_known_ahead(prefect_harness, tmp_path, monkeypatch):
    """flows/publish.py's reading of the task cache: after a build, every piece of its book is found
    there with its pages, each on the hand the pieces before it leave (so one story changed lays out
    ahead only its piece); an edited piece is not."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    from pubpipe_flows.publish import _cached_piece, publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    assert publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="",
                   layout=LAYOUT).exit_code == 0
    anthology, recto = steps.ahead(str(tmp_path / "sources"), None)
    cached = _cached_piece(recto, LAYOUT)
    found = 0
    for part in pdfbook.parts(anthology, LAYOUT.part_words):
        pages = 0
        for n, piece in enumerate(pdfbook.pieces(part, LAYOUT.piece_words)):
            runs_on = n > 0 and not recto
            got = cached(piece, tuple(glyphs.unshowable(piece)), runs_on, runs_on and pages % 2 == 1)
            assert got is not None and got >= 1
            pages += got
            found += 1
    assert found > 2
    edited = dataclasses.replace(_firsts(anthology)[0], title="Another title")
    assert cached(edited, tuple(glyphs.unshowable(edited)), False, False) is None
    assert _cached_piece(not recto, LAYOUT)(_firsts(anthology)[0], (), False, False) is None


@pytest.mark.usefixtures("session_prefect_home")
def test_pubpipe_build_lays_a_changed_piece_out_before_the_flow_asks(tmp_path):
    """End to end: after a word changed in one story, `pubpipe build` starts laying out its piece
    (the only one the task cache lacks) before the flow's task for it runs, and publishes the same
    PDF as a build that laid it out in the flow (the previous output, rebuilt with the word back)."""
    import json
    import os
    import subprocess
    import sys
    project = tmp_path / "project"
    shutil.copytree(ROOT / "sources", project / "sources")
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), PUBPIPE_EPUBCHECK="once",
               SOURCE_DATE_EPOCH="1700000000")
    env.pop("PREFECT_API_URL", None)
    spans = tmp_path / "timeline.jsonl"

    def build(timeline: bool = False):
        run = subprocess.run([sys.executable, "-m", "pubpipe.cli", "build", "--force"], cwd=project,
                             env={**env, "PUBPIPE_TIMELINE": str(spans)} if timeline else env,
                             capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stderr
        return next((project / "output").glob("*.pdf")).read_bytes()
    source = sorted((project / "sources").glob("*.txt"))[0]
    text = source.read_text(encoding="utf-8")
    word = next(w for w in (" the ", " a ", " and ") if w in text)
    source.write_text(text.replace(word, " one ", 1) + f"\nA line of {tmp_path.name}.\n", encoding="utf-8")
    first = build()
    source.write_text(text + f"\nA line of {tmp_path.name}.\n", encoding="utf-8")
    changed = build(timeline=True)
    recorded = [json.loads(line) for line in spans.read_text(encoding="utf-8").splitlines()]
    layouts = [s for s in recorded if s["what"] == "layout: render_stories"]
    tasks = [s for s in recorded if s["what"] == "PDF: lay out part"]
    assert len(layouts) == 1 and len(tasks) == 1, [s["what"] for s in recorded]
    assert layouts[0]["start"] < tasks[0]["start"]
    assert changed != first
    source.write_text(text.replace(word, " one ", 1) + f"\nA line of {tmp_path.name}.\n", encoding="utf-8")
    assert build() == first  # the word back: the first build's PDF again
    subprocess.run([sys.executable, "-m", "pubpipe.cli", "server", "stop", "--force"], env=env, capture_output=True,
                   timeout=60)
