"""How well a reading edition's pages are filled (issue 18): pages, blank pages, short pages,
uneven spreads, short final pages and loose justified lines of a built PDF.

    .venv/bin/python benchmarks/layout.py output/love-money-and-freedom.pdf [more.pdf …]

Not a test: it reads the PDF as a reader sees it, with poppler's ``pdftotext -bbox-layout`` (every
line and word with its box) and the bookmarks (pypdf: a top-level bookmark other than *Contents*
opens a story). What it counts, per book:

- **blank**: pages with no text at all (neither body nor running head nor folio);
- **short**: story pages, other than a story's last, whose last body line stands half a line or
  more above the depth most such pages reach;
- **uneven spreads**: facing pages (verso, recto), neither blank nor a story's last page, whose
  last lines end at different depths;
- **final ≤ 2 lines**: a story's last page holding two body lines or fewer (a story that fits
  on its opening page is not counted);
- **loose lines**: justified body lines (full measure, at least four words, at the body's size)
  whose mean word space is over 4 pt (about 1.65 times Literata's 2.4 pt space at 10 pt), and the
  widest mean space seen.
"""

import statistics
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from pypdf import PdfReader

NS = "{http://www.w3.org/1999/xhtml}"
BODY_TOP, BODY_BOTTOM = 50.0, 545.0
"""The text area of an A5 page (top margin 20 mm, bottom 22 mm), in points from the top: the
running head lies above it, the folio below."""
LOOSE_PT = 4.0
NOT_STORIES = ("contents", "sources and credits")
"""Top-level bookmarks that open no story: the contents and the colophon."""


def story_openings(pdf: Path, others: bool = False) -> list:
    """0-based pages where stories open: the top-level bookmarks, but the contents' and colophon's
    (``others``: those instead, where the front or back matter begins)."""
    reader = PdfReader(str(pdf))
    pages = []
    for item in reader.outline:
        if isinstance(item, list) or (item.title.strip().lower() in NOT_STORIES) != others:
            continue
        pages.append(reader.get_destination_page_number(item))
    return sorted(set(pages))


def page_lines(pdf: Path) -> list:
    """Per page: a list of lines, each (yMin, yMax, xMin, xMax, [(xMin, xMax), … per word])."""
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], check=True,
                         capture_output=True).stdout
    root = ET.fromstring(xml)
    pages = []
    for page in root.iter(NS + "page"):
        lines = []
        for line in page.iter(NS + "line"):
            words = [(float(w.get("xMin")), float(w.get("xMax"))) for w in line.iter(NS + "word")]
            lines.append((float(line.get("yMin")), float(line.get("yMax")), float(line.get("xMin")),
                          float(line.get("xMax")), words))
        pages.append(lines)
    return pages


def measure(pdf: Path) -> dict:
    pages = page_lines(pdf)
    openings = story_openings(pdf)
    body = [[ln for ln in lines if ln[0] >= BODY_TOP and ln[1] <= BODY_BOTTOM] for lines in pages]
    blank = [i for i, lines in enumerate(pages) if not lines]
    last_pages, story_pages = set(), set()
    matter = story_openings(pdf, others=True)  # a colophon after the last story ends it
    # So does the back cover: a last page with no folio (below the text area).
    book_end = len(pages) - (1 if pages and not any(ln[0] > BODY_BOTTOM for ln in pages[-1]) else 0)
    for n, first in enumerate(openings):
        end = min([p for p in openings[n + 1:] + matter if p > first] or [book_end])
        filled = [i for i in range(first, end) if body[i]]
        story_pages.update(filled)
        if filled:
            last_pages.add(filled[-1])
    bottoms = {i: max(ln[1] for ln in body[i]) for i in story_pages}
    running = [i for i in story_pages if i not in last_pages]
    full = statistics.mode(round(bottoms[i]) for i in running) if running else 0
    short = [i for i in running if bottoms[i] < full - 7]
    uneven = [i for i in range(1, len(pages) - 1, 2)  # 0-based odd index: a verso (even page number)
              if i in running and i + 1 in running and abs(bottoms[i] - bottoms[i + 1]) > 2]
    final_short = [i for i in last_pages if i not in openings and len(body[i]) <= 2]
    # Loose lines: full-measure lines of body text (the body's line height) with 4+ words.
    heights = [round(ln[1] - ln[0], 1) for i in story_pages for ln in body[i]]
    body_height = statistics.mode(heights) if heights else 0
    widths = [ln[3] - ln[2] for i in story_pages for ln in body[i] if abs(ln[1] - ln[0] - body_height) < 0.3]
    measure_pt = max(widths) if widths else 0
    gaps = []
    for i in story_pages:
        for ln in body[i]:
            words = ln[4]
            if abs(ln[1] - ln[0] - body_height) >= 0.3 or len(words) < 4:
                continue
            if ln[3] - ln[2] < measure_pt - 1.5:  # not justified to the full measure
                continue
            inked = sum(x1 - x0 for x0, x1 in words)
            gaps.append((ln[3] - ln[2] - inked) / (len(words) - 1))
    loose = [g for g in gaps if g > LOOSE_PT]
    return {
        "pdf": str(pdf), "pages": len(pages), "blank": len(blank), "stories": len(openings),
        "short": len(short), "uneven_spreads": len(uneven), "final_le_2_lines": len(final_short),
        "justified_lines": len(gaps), "loose_lines": len(loose),
        "widest_space_pt": round(max(gaps), 1) if gaps else 0,
        "blank_pages": [i + 1 for i in blank], "short_pages": [i + 1 for i in short],
        "final_short_pages": [i + 1 for i in sorted(final_short)],
    }


def main(argv: list) -> None:
    print("| PDF | pages | blank | stories | short pages | uneven spreads | final page ≤ 2 lines "
          "| loose lines (> 4 pt spaces) / justified | widest space |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in argv:
        m = measure(Path(name))
        print(f"| {Path(name).name} | {m['pages']} | {m['blank']} | {m['stories']} | {m['short']} | "
              f"{m['uneven_spreads']} | {m['final_le_2_lines']} | {m['loose_lines']} / {m['justified_lines']} | "
              f"{m['widest_space_pt']} pt |")
        print(f"<!-- {name}: blank {m['blank_pages']}, short {m['short_pages']}, "
              f"final short {m['final_short_pages']} -->", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])
