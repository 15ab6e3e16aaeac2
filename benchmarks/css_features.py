"""Which of book.css's features cost the layout (issue 19): one part of the book laid out by WeasyPrint
with each feature switched off in turn (a stylesheet of overrides added after book.css), CPU time of
the layout (``HTML.render``) and of the PDF's writing (``write_pdf``, tagged) per page; and the same
stories as the pandoc route's plain HTML (``pandoc -s``, A5 pages) laid out by the same WeasyPrint.

    nice -n 5 .venv/bin/python benchmarks/css_features.py --sources DIR [--stories 25] [--runs 2]

One process, the variants alternated run by run (the machine is shared: CPU seconds, not wall).
Not a test: nothing here is timed by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time

os.environ.setdefault("SOURCE_DATE_EPOCH", "1700000000")

FEATURES = {
    "book.css as it is": "",
    "no hyphenation": ".story, .story * { hyphens: manual !important; }",
    "no running heads": "@page story:left { @top-center { content: none !important; } } "
                        "body, .opening { string-set: none !important; }",
    "no folio margin box (parts)": "@page story, contents, colophon, folio { @bottom-center { content: none !important; } }",
    "no kerning, no ligatures": "html, html * { font-kerning: none !important; font-variant-ligatures: none !important; }",
    "no widows/orphans control": ".story, .story * { widows: 1 !important; orphans: 1 !important; } "
                                 ".story-body > :last-child { break-before: auto !important; }",
    "ragged right (no justification)": ".story { text-align: left !important; }",
    "no flex opening sink": ".opening { display: block !important; min-height: 0 !important; }",
}
"""Each feature and the overrides that switch it off (book.css has no page floats, no line-grid
snapping — its grid is a line height and margins in whole lines — and the part has no contents: the
leaders are measured on the front matter, below)."""
FRONT = {"contents as it is": "", "contents without dots": ".toc-entry a { background: none !important; }"}
"""(The dots were leader() until 2026-12-03, 44 % of the front matter's CPU; now one background strip.)"""


def cpu() -> float:
    return time.process_time()


def lay_out(anthology, extra: str, **part) -> tuple:
    """(layout s, write s, pages) of one part with ``extra`` CSS after book.css."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from pubpipe.render.pdf import fontcache, glyphs, layoutspeed, reading
    from pubpipe.render.pdf.tags import VARIANT, speed_up_page_references
    from pubpipe.render.templates import styles_dir
    speed_up_page_references()
    layoutspeed.install()
    fontcache.install()
    fetcher, fonts = reading.SafeFetcher(), FontConfiguration()
    base = styles_dir().resolve().as_uri() + "/"
    source, _ = glyphs.substitute(reading.book_html(anthology, "2023-11-14T22:13:20Z", **part), ())
    with reading.fewer_collections():
        t0 = cpu()
        html = HTML(string=source, base_url=base, url_fetcher=fetcher)
        sheets = [CSS(string=reading.font_faces_css() + extra, base_url=base, url_fetcher=fetcher, font_config=fonts)]
        document = html.render(font_config=fonts, stylesheets=sheets)
        t1 = cpu()
        document.write_pdf(pdf_variant=VARIANT)
        t2 = cpu()
    return t1 - t0, t2 - t1, len(document.pages)


def pandoc_route(markdown: list, work: str) -> tuple:
    """(layout s, write s, pages): the stories as pandoc's standalone HTML, laid out by WeasyPrint."""
    from weasyprint import CSS, HTML
    html_path = os.path.join(work, "pandoc.html")
    subprocess.run(["pandoc", "-s", "--metadata", "title=Anthology", "-o", html_path, *markdown], check=True)
    t0 = cpu()
    document = HTML(filename=html_path).render(stylesheets=[CSS(string="@page { size: A5; margin: 18mm 15mm 20mm; }")])
    t1 = cpu()
    document.write_pdf()
    t2 = cpu()
    return t1 - t0, t2 - t1, len(document.pages)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sources", required=True, help="a benchmarks/corpus.py corpus folder (sources/ and markdown/)")
    parser.add_argument("--stories", type=int, default=25)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--work", default="/tmp/pubpipe-css-features")
    parser.add_argument("--only", default="", help="comma-separated variant names (default: all, the front matter and pandoc too)")
    args = parser.parse_args()
    from pubpipe import pipeline
    from pubpipe.render.pdf import frontguess, reading  # noqa: F401 (imported before timing)
    anthology = pipeline.recover(os.path.join(args.sources, "sources"))
    part = type(anthology)(**{**anthology.__dict__, "stories": anthology.stories[:args.stories]})
    contents = reading.contents_of(anthology)
    pages = {s.id: 100 + i for i, s in enumerate(anthology.stories)} | {"#colophon": 400}
    markdown = sorted(os.path.join(args.sources, "markdown", f) for f in os.listdir(os.path.join(args.sources, "markdown")))
    os.makedirs(args.work, exist_ok=True)
    lay_out(part, "", stories=part.stories)  # warm: font instances, imports
    rows: dict = {}
    chosen = [n for n in FEATURES if not args.only or n in args.only.split(",")]
    for run in range(args.runs):
        names = chosen if run % 2 == 0 else list(reversed(chosen))
        for name in names:
            rows.setdefault(name, []).append(lay_out(part, FEATURES[name], stories=part.stories))
            print(name, rows[name][-1], flush=True)
        if args.only:
            continue
        rows.setdefault("pandoc route's HTML (same stories)", []).append(
            pandoc_route(markdown[:args.stories], args.work))
        print("pandoc", rows["pandoc route's HTML (same stories)"][-1], flush=True)
        for name, extra in FRONT.items():
            rows.setdefault(name, []).append(lay_out(contents, extra, front=True, toc_pages=pages))
            print(name, rows[name][-1], flush=True)
    out = {"load": os.getloadavg(), "stories": args.stories, "rows": {}}
    print(f"load average {os.getloadavg()}; {args.stories} stories; best of {args.runs} runs, CPU s")
    print("| variant | pages | layout ms/page | write ms/page | total ms/page |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, runs in rows.items():
        layout, write, n = min(runs, key=lambda r: r[0] + r[1])
        out["rows"][name] = {"pages": n, "layout_s": layout, "write_s": write, "runs": runs}
        print(f"| {name} | {n} | {1000 * layout / n:.1f} | {1000 * write / n:.1f} | {1000 * (layout + write) / n:.1f} |")
    with open(os.path.join(args.work, "css_features.json"), "w", encoding="utf-8") as f:
        json.dump(out, f)
    shutil.rmtree(os.path.join(args.work, "pandoc.html"), ignore_errors=True)


if __name__ == "__main__":
    main()
