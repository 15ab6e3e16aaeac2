"""pubpipe.render.pdf.frontguess: the front matter's length, guessed before layout, against WeasyPrint's."""

import random

import pytest

from pubpipe.model import Anthology, Block, Byline, SourceSpan, Story
from pubpipe.render.pdf import frontguess, parts as pdfbook, reading

WORDS = ("harbour winter the of a bright question council market in difficult and river station "
         "programme ordinary northern reason tired village picture language").split()


def anthology(n: int, seed: int) -> Anthology:
    """``n`` stories with titles of 1–18 words (some over two lines), half with a byline, a few in
    Korean, one long unbroken word: the kinds of entry the contents hold."""
    rng = random.Random(seed)
    stories = []
    for i in range(n):
        title = " ".join(rng.choice(WORDS) for _ in range(rng.choice((1, 3, 6, 9, 12, 18)))).capitalize()
        language = "en"
        if i % 17 == 5:
            title, language = "서울의 작은 도서관에서 열린 시민 토론회 " * rng.choice((1, 2)), "ko"
        if i == 7:
            title = "Antidisestablishmentarianism" * 3
        byline = Byline(name=f"{rng.choice(WORDS).title()} {rng.choice(WORDS).title()}") if rng.random() < 0.5 else None
        stories.append(Story(id=f"s{i}", title=title.strip(), language=language, byline=byline,
                             source=SourceSpan(file=f"{i}.txt", first_line=1, last_line=2),
                             blocks=(Block(type="paragraph", text="Text."),)))
    return Anthology(title="A Book", stories=tuple(stories))


def laid_out_front_pages(book: Anthology) -> int:
    colophon = reading.colophon_at_back(book)
    pages = {s.id: 100 + i for i, s in enumerate(book.stories)} | ({pdfbook.COLOPHON: 240} if colophon else {})
    return reading.lay_out(book, missing=(), front=True, toc_pages=pages).pages


@pytest.mark.parametrize("n, seed", [(3, 1), (9, 32), (40, 2), (90, 3)])
def test_the_guess_is_the_length_weasyprint_lays_out(n, seed):
    """On books of a few to ninety stories of every kind of entry, the guess is the front matter's
    length (9 stories, seed 32: the colophon's entry just fits on the contents' first page, by the
    margins' collapse; the benchmark books too: 10 stories, 4 pages; 100 stories, 11 pages; the
    realweb copy book, 15; measured)."""
    book = anthology(n, seed)
    assert frontguess.front_pages(book, reading.colophon_at_back(book)) == laid_out_front_pages(book)


def test_a_right_guess_lays_the_front_matter_out_once_and_a_wrong_one_twice():
    book = Anthology(title="A Book", stories=tuple(Story(id=f"s{i}", title="T", blocks=(), source=SourceSpan(file="a", first_line=1, last_line=1))
                                                   for i in range(3)))
    parts = [reading.LaidOut(b"", (False,) * 3, {f"s{i}": 1}) for i in range(3)]
    calls = []

    def front(_, pages):
        calls.append(pages)
        return reading.LaidOut(b"", (False,) * 6, {})
    pdfbook.front_matter(book, parts, front, guess=6)
    assert len(calls) == 1
    calls.clear()
    pdfbook.front_matter(book, parts, front, guess=5)  # 5 and 6 both put the first part on page 7
    assert len(calls) == 1
    calls.clear()
    _, placed = pdfbook.front_matter(book, parts, front, guess=9)
    assert len(calls) == 2 and placed.story_pages["s0"] == 7
