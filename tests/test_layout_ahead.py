"""`pubpipe build` lays the book's parts out ahead of the flow (issue 19): the stories recovered ahead
(pubpipe.recover.steps.ahead) go to the layout processes as soon as they are there, and the flow's
parts take those layouts (pubpipe.render.pdf.reading.lay_out_ahead / lay_out_part)."""
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
LAYOUT = pdf.Layout(part_words=(250, 700), sheet_piece=4)


@pytest.fixture(scope="module")
def book():
    return pipeline.recover(ROOT / "sources")


def _counting(monkeypatch):
    calls = []
    real = pdf.in_layout

    def counted(function, *args, **options):
        calls.append(function.__name__)
        return real(function, *args, **options)
    monkeypatch.setattr(pdf, "in_layout", counted)
    return calls


def test_the_parts_laid_out_ahead_are_the_flows(book, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    parts = pdfbook.parts(book, LAYOUT.part_words)
    assert len(parts) >= 2
    assert pdf.lay_out_ahead(book, False, LAYOUT) == len(parts)
    calls = _counting(monkeypatch)
    taken = [pdf.lay_out_part(part, glyphs.unshowable(part), False, LAYOUT) for part in parts]
    assert calls == [] and not pdf._AHEAD
    # The same bytes as a layout asked for then.
    laid = [pdf.lay_out_part(part, glyphs.unshowable(part), False, LAYOUT) for part in parts]
    assert calls == ["render_stories"] * len(parts)
    assert [t.data for t in taken] == [n.data for n in laid] and [t.starts for t in taken] == [n.starts for n in laid]


def test_another_book_drops_what_was_laid_out_ahead(book, monkeypatch):
    """A source edited between the recovery ahead and the flow: the flow's first part is not among those
    laid out ahead; those still waiting are cancelled, and every part is laid out as asked."""
    parts = pdfbook.parts(book, LAYOUT.part_words)
    pdf.lay_out_ahead(book, False, LAYOUT)
    calls = _counting(monkeypatch)
    edited = dataclasses.replace(parts[0], title=parts[0].title + " (edited)")
    pdf.lay_out_part(edited, glyphs.unshowable(edited), False, LAYOUT)
    assert calls == ["render_stories"] and not pdf._AHEAD
    # A recto book is another book too.
    pdf.lay_out_ahead(book, False, LAYOUT)
    pdf.lay_out_part(parts[0], glyphs.unshowable(parts[0]), True, LAYOUT)
    assert calls == ["render_stories"] * 2 and not pdf._AHEAD
    pdf.drop_ahead()


def test_cached_parts_are_not_laid_out_ahead_and_bind_forgets_the_rest(book, monkeypatch):
    parts = pdfbook.parts(book, LAYOUT.part_words)
    first = parts[0]
    assert pdf.lay_out_ahead(book, False, LAYOUT, skip=lambda part, missing: part != first) == 1
    assert len(pdf._AHEAD) == 1
    pdf.drop_ahead()
    assert not pdf._AHEAD
    assert pdf.lay_out_ahead(book, False, dataclasses.replace(LAYOUT, here=True)) == 0


def test_the_recovery_ahead_gives_what_the_flow_lays_out(tmp_path):
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    anthology, recto = steps.ahead(str(tmp_path / "sources"), None)
    settings = intake.load_settings(str(tmp_path / "sources"), None)
    assert anthology == pipeline.recover(tmp_path / "sources") and recto == (settings.stories_open == "recto")
    assert steps.ahead(str(tmp_path / "missing"), None) is None


@pytest.mark.usefixtures("session_prefect_home")
def test_the_flows_cache_key_of_a_part_is_known_ahead(prefect_harness, tmp_path, monkeypatch):
    """flows/publish.py's check of the task cache: after a build, every part of its book is found
    there (not laid out ahead again: one story changed lays out only its part), an edited part not."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    from pubpipe_flows.publish import _cached_part, publish
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    assert publish(sources=str(tmp_path / "sources"), output=str(tmp_path / "out"), config="").exit_code == 0
    anthology, recto = steps.ahead(str(tmp_path / "sources"), None)
    cached = _cached_part(recto, pdf.Layout())
    parts = pdfbook.parts(anthology, pdf.Layout().part_words)
    assert parts and all(cached(part, tuple(glyphs.unshowable(part))) for part in parts)
    edited = dataclasses.replace(parts[0], title="Another title")
    assert not cached(edited, tuple(glyphs.unshowable(edited)))
    assert not _cached_part(not recto, pdf.Layout())(parts[0], tuple(glyphs.unshowable(parts[0])))
