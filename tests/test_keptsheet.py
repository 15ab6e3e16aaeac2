"""The folio sheet's pieces are laid out once per style and font version and kept in the user's
cache folder (pubpipe.render.pdf.keptsheet): a book of another length in the same language uses them."""
import dataclasses

import pytest

from pypdf import PdfReader

from pubpipe.render.pdf import keptsheet
from pubpipe.render.pdf import parts as pdfbook
from pubpipe.render.pdf import reading as pdf

HERE = pdf.Layout(here=True, sheet_piece=100)


@pytest.fixture(autouse=True)
def dated(monkeypatch):
    """The same bytes from layout to layout (the sheet's document date)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")


def _counting(monkeypatch):
    laid = []
    real = pdf.render_folio_sheet

    def counted(book, pages, first=1):
        laid.append((book.language, first, pages))
        return real(book, pages, first)
    monkeypatch.setattr(pdf, "render_folio_sheet", counted)
    return laid


def test_pieces_are_rounded_up_within_their_size():
    assert keptsheet.rounded(pdfbook.sheet_pieces(350, 200), 200) == [(1, 200), (201, 150)]
    assert keptsheet.rounded(pdfbook.sheet_pieces(22, 200), 200) == [(1, 50)]
    assert keptsheet.rounded(pdfbook.sheet_pieces(9, 4), 4) == [(1, 4), (5, 4), (9, 4)]
    assert keptsheet.rounded(pdfbook.sheet_pieces(151, 100), 100) == [(1, 100), (101, 100)]


def test_a_piece_is_laid_out_once_and_kept(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    laid = _counting(monkeypatch)
    first = pdf.lay_out_sheet("en", 130, HERE)
    assert sorted(laid) == [("en", 1, 100), ("en", 101, 50)]
    assert len(list((tmp_path / "cache" / "pubpipe" / "folio-sheets").glob("*.pdf"))) == 2
    # Another book, 142 pages: the same pieces, nothing laid out; another language lays out its own.
    again = pdf.lay_out_sheet("en", 142, HERE)
    assert again == first and sorted(laid) == [("en", 1, 100), ("en", 101, 50)]
    pdf.lay_out_sheet("de", 20, HERE)
    assert laid[-1] == ("de", 1, 50)
    (tmp_path / "piece.pdf").write_bytes(first[1])
    reader = PdfReader(tmp_path / "piece.pdf")
    assert len(reader.pages) == 50
    assert [reader.pages[n].extract_text().strip() for n in (0, 49)] == ["101", "150"]


def test_a_damaged_piece_is_laid_out_again(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    laid = _counting(monkeypatch)
    good = pdf.lay_out_sheet("en", 10, HERE)
    path = tmp_path / "cache" / "pubpipe" / "folio-sheets" / f"{keptsheet.key('en', 1, 50)}.pdf"
    path.write_bytes(good[0][: len(good[0]) // 2])  # cut short (a full disk, a killed build)
    assert pdf.lay_out_sheet("en", 10, HERE) == good and len(laid) == 2
    assert path.read_bytes() == good[0]
    # A kept piece of the wrong length (another pubpipe's) is not used either.
    path.write_bytes(pdf.render_folio_sheet(pdf.Anthology(title="", stories=()), 3))
    again = pdf.lay_out_sheet("en", 10, HERE)
    assert len(laid) == 4 and keptsheet.kept("en", 1, 50) == again[0]


def test_a_cache_that_cannot_be_written_costs_only_the_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocked))
    laid = _counting(monkeypatch)
    assert len(pdf.lay_out_sheet("en", 10, HERE)) == 1
    assert len(pdf.lay_out_sheet("en", 10, HERE)) == 1 and len(laid) == 2


def test_the_key_follows_the_code_and_the_piece(monkeypatch):
    one = keptsheet.key("en", 1, 50)
    assert one != keptsheet.key("en", 1, 100) != keptsheet.key("en", 51, 50) and one != keptsheet.key("ko", 1, 50)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")  # (the fonts in a piece are stamped with it)
    assert keptsheet.key("en", 1, 50) != one
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert keptsheet.key("en", 1, 50) == one
    monkeypatch.setattr(keptsheet, "code_version", lambda: "another")
    assert keptsheet.key("en", 1, 50) != one


def test_the_assembly_ignores_the_sheet_past_the_last_page(tmp_path, monkeypatch):
    """A book of 7 pages gets a folio sheet of 50 (one kept piece): every folio is its page's number."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    from pubpipe.model import Anthology, Block, SourceSpan, Story
    story = Story(id="s", title="A story", blocks=tuple(Block("paragraph", "Words of a story. " * 40) for _ in range(12)),
                  source=SourceSpan("s.txt", 1, 12))
    book = Anthology(title="Book", stories=(story,), language="en")
    rendered = pdf.render(book, layout=dataclasses.replace(HERE, sheet_piece=200))
    (tmp_path / "book.pdf").write_bytes(next(iter(rendered.files.values())))
    reader = PdfReader(tmp_path / "book.pdf")
    assert len(reader.pages) == rendered.info.pages < 50
    last = {n: (page.extract_text().split() or [""])[-1] for n, page in enumerate(reader.pages, start=1)}
    folios = {n: word for n, word in last.items() if word.isdigit()}
    assert folios and max(folios) > 4 and all(word == str(n) for n, word in folios.items()), last
