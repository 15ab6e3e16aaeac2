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


def laid_out_title_lines(book: Anthology) -> list:
    """Lines of each contents title as WeasyPrint sets them (the front matter as `reading.lay_out`
    lays it out): the fragments of each entry's ``.toc-title`` span, one a line."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from pubpipe.render.pdf import glyphs

    pages = {s.id: 100 + i for i, s in enumerate(book.stories)} | {pdfbook.COLOPHON: 240}
    source, _ = glyphs.substitute(reading.book_html(book, None, front=True, toc_pages=pages), glyphs.unshowable(book))
    fetcher, fonts = reading.SafeFetcher(), FontConfiguration()
    base = reading.styles_dir().resolve().as_uri() + "/"
    faces = CSS(string=reading.font_faces_css(), base_url=base, url_fetcher=fetcher, font_config=fonts)
    document = HTML(string=source, base_url=base, url_fetcher=fetcher).render(font_config=fonts, stylesheets=[faces])
    counts: dict = {}

    def walk(box):
        if "toc-title" in ((getattr(box, "element", None) is not None and box.element.get("class")) or "") \
                and box.element_tag == "span":
            counts[box.element] = counts.get(box.element, 0) + 1
            return
        for child in getattr(box, "children", ()):
            walk(child)
    for page in document.pages:
        walk(page._page_box)
    return list(counts.values())[:len(book.stories)]  # (the colophon's entry last)


def test_each_titles_lines_are_the_lines_weasyprint_sets_it_on():
    """Entry by entry, the guess's lines of a title are WeasyPrint's (the page count alone hides a
    wrong width: lines gained and lost even out). Titles of 1–18 words wrap at the width short of the
    page number's column; with the text area's full width instead, 11 of these 90 differ (measured)."""
    book = anthology(90, 3)
    font = frontguess._font(frontguess.fontpkg_literata, "Literata[opsz,wght].ttf")
    guessed = [frontguess.lines(s.title, font, frontguess.TITLE_SIZE, frontguess.TITLE_WIDTH, frontguess.TITLE_TAIL)
               for s in book.stories]
    laid = laid_out_title_lines(book)
    assert len(laid) == len(guessed) and sum(laid) > len(laid)  # (titles over two lines and more among them)
    wrong = [(s.title, g, w) for s, g, w in zip(book.stories, guessed, laid) if g != w]
    assert len(wrong) <= 1, wrong  # a last line within a few points of full may break otherwise
