"""Why story pages end short (issue 18): each short page of a reading edition and what moved to
the next page, read from WeasyPrint's own layout.

    .venv/bin/python benchmarks/layout_causes.py output/anthology.json [--css extra.css] [--pages]

Not a test. It lays out the book's story parts as `pubpipe.render.pdf.reading` does (the same HTML, styles and
fonts; `pubpipe.render.pdf.parts.parts`), then, for every story page that is not a story's last, measures
how far its last line stands above the bottom of the text area and names what opens the next page:

- **split paragraph** / **split list** / **split quote**…: a block that runs over the page break;
  the page is short by less than a line only because of the line grid (a heading or quote of
  another size above), or by widows/orphans (two lines kept together on either side);
- **whole <kind>**: the next page opens with a whole block that did not start here: a quote, list or
  set-apart block kept whole (``break-inside: avoid``), a paragraph moved whole (one line would have
  been left behind: orphans; or a story's last paragraph, kept with the one before), a heading kept
  with what follows it (``break-after: avoid``: the heading moves, and the page loses its lines).

``--css`` adds a stylesheet after book.css (to try a change without editing it); ``--pages`` lists
each short page. A page is *short* when its last line ends half a body line (7 pt) or more above
the most common bottom of the book's story pages, as `benchmarks/layout.py` counts them.
"""

import argparse
import collections
import json
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

BLOCK_KINDS = ("heading", "p", "quote", "list", "note", "setapart")


def _kind(element) -> str:
    cls = (element.get("class") or "").split()
    for kind in BLOCK_KINDS:
        if kind in cls:
            return kind
    return element.tag


def _blocks_of_page(page, parents: dict) -> list:
    """The story-body blocks (children of div.story-body) a page shows, in order, each once, and
    the page's deepest line bottom (points from the page's top)."""
    root = next(c for c in page._page_box.children if not hasattr(c, "at_keyword"))
    seen, order, bottom, opening = set(), [], 0.0, False
    for box in root.descendants():
        element = getattr(box, "element", None)
        if type(box).__name__ == "LineBox" or (type(box).__name__ == "BlockBox" and not box.children):
            bottom = max(bottom, box.position_y + box.margin_height()
                         - (box.margin_bottom or 0 if hasattr(box, "margin_bottom") else 0))
        if element is None:
            continue
        if "opening" in (element.get("class") or "").split():
            opening = True
        parent = parents.get(element)
        if parent is not None and "story-body" in (parent.get("class") or "").split() and element not in seen:
            seen.add(element)
            order.append(element)
    return order, bottom, opening


def measure(anthology, extra_css: str = "") -> dict:
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration
    from pubpipe.render.pdf import reading as pdf
    from pubpipe.render.pdf import parts as pdfbook
    from pubpipe.render.pdf import glyphs as pdfglyphs
    from pubpipe.render.templates import styles_dir
    base = styles_dir().resolve().as_uri() + "/"
    pages_out = []
    for part in pdfbook.parts(anthology):
        fonts, fetcher = FontConfiguration(), pdf.SafeFetcher()
        source, _ = pdfglyphs.substitute(pdf.book_html(part, None, stories=part.stories),
                                         pdfglyphs.unshowable(part))
        if extra_css:  # after book.css, as an author's style (render's stylesheets= are the user's)
            source = source.replace("</head>", f"<style>{extra_css}</style>\n</head>", 1)
        html = HTML(string=source, base_url=base, url_fetcher=fetcher)
        sheets = [CSS(string=pdf.font_faces_css(), base_url=base, url_fetcher=fetcher, font_config=fonts)]
        document = html.render(font_config=fonts, stylesheets=sheets)
        root = html.etree_element
        parents = {child: parent for parent in root.iter() for child in parent}
        for page in document.pages:
            blocks, bottom, opening = _blocks_of_page(page, parents)
            pages_out.append({"blocks": blocks, "bottom": bottom, "opening": opening})
    # A story's last page: the page before an opening, and the book's last.
    rows = []
    for i, page in enumerate(pages_out):
        last = i + 1 == len(pages_out) or pages_out[i + 1]["opening"]
        if last or not page["blocks"]:
            continue
        nxt = pages_out[i + 1]["blocks"]
        first = nxt[0] if nxt else None
        split = first is not None and first is page["blocks"][-1]
        before = page["blocks"][-1]
        if first is None:
            cause = "nothing"
        elif split:
            cause = "split " + _kind(first)
        elif _kind(before) == "heading":
            cause = "heading kept with next"  # unusual: the heading would have moved too
        else:
            cause = "whole " + _kind(first)
            if _kind(first) == "heading":
                cause = "whole heading (kept with next)"
        if page["opening"]:
            cause = "opening page, " + cause
        rows.append({"page": i, "bottom": page["bottom"] * 0.75, "cause": cause})  # CSS px to pt
    full = statistics.mode(round(r["bottom"]) for r in rows) if rows else 0
    for r in rows:
        r["short_pt"] = round(full - r["bottom"], 1)
    return {"pages": len(pages_out), "running": rows, "full": full}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("anthology")
    ap.add_argument("--css", help="a stylesheet to add after book.css")
    ap.add_argument("--pages", action="store_true", help="list each short page")
    args = ap.parse_args(argv)
    from pubpipe.model import Anthology
    anthology = Anthology.from_dict(json.loads(Path(args.anthology).read_text(encoding="utf-8")))
    extra = Path(args.css).read_text(encoding="utf-8") if args.css else ""
    m = measure(anthology, extra)
    line = 14.5  # the body's line, 10 pt type on 1.45
    short = [r for r in m["running"] if r["short_pt"] >= 7]
    causes = collections.Counter(r["cause"] for r in short)
    print(f"{args.anthology}: {m['pages']} story pages laid out, {len(m['running'])} running pages, "
          f"{len(short)} short (>= 7 pt above the most common bottom, {m['full']:.1f} pt)")
    for cause, n in causes.most_common():
        lost = [r["short_pt"] for r in short if r["cause"] == cause]
        print(f"  {n:4d}  {cause:32s} mean {sum(lost) / len(lost) / line:4.1f} lines short")
    if args.pages:
        for r in short:
            print(f"    part page {r['page'] + 1}: {r['short_pt']} pt short, {r['cause']}")


if __name__ == "__main__":
    main()
