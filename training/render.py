"""Render saved pages in headless Chromium and record which element each line of innerText came from.

    python training/render.py [--corpus realweb|modern|all] [--cache /tmp/pubpipe-render]

Each page is rendered as `copy/` was made (realweb README): Debian's Chromium through playwright,
JavaScript off, every request but the page itself aborted, viewport 1280x2000. Then every
non-blank text node of the body gets an invisible marker (private-use characters, after its
leading white space, so white-space collapsing is unchanged), and `document.body.innerText` is
read again: each line of the marked text names the text nodes it holds. The lines of the plain
and the marked text are aligned (a marker can make an otherwise empty, unrendered box show), and
each text node's ancestors (tag, class, itemprop, role, rel) are kept. One page per file in the
cache, gzip JSON: {"id", "text" (innerText as copy/ has it), "lines": [[node ids] per line],
"nodes": [[ancestor, ...] per node]}; a page already in the cache is not rendered again.

Deterministic: the same page gives the same record (no network, no scripts, fixed viewport).
"""
from __future__ import annotations

import argparse
import difflib
import gzip
import json
import re
import sys
import time
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2] / "shared"
if not SHARED.is_dir():
    SHARED = Path("/work/shared")
CORPORA = {"realweb": SHARED / "corpus" / "realweb", "modern": SHARED / "corpus" / "modern"}
CHROMIUM = "/usr/bin/chromium"

MARK_JS = r"""
() => {
  const before = document.body ? document.body.innerText : '';
  const nodes = [];
  if (!document.body) return {before, after: '', nodes};
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const texts = [];
  while (walker.nextNode()) texts.push(walker.currentNode);
  const enc = (n) => { let s = ''; do { s = String.fromCharCode(0xE010 + (n % 16)) + s; n = Math.floor(n / 16); } while (n > 0); return s; };
  for (const t of texts) {
    const d = t.data;
    const lead = d.match(/^\s*/)[0];
    if (lead.length === d.length) continue;
    const chain = [];
    for (let e = t.parentElement; e && e !== document.body; e = e.parentElement) {
      chain.push([e.tagName.toLowerCase(), (e.getAttribute('class') || '').slice(0, 120),
                  e.getAttribute('itemprop') || '', e.getAttribute('role') || '', e.getAttribute('rel') || '',
                  (e.getAttribute('id') || '').slice(0, 60)]);
    }
    t.data = lead + '\uE000' + enc(nodes.length) + '\uE001' + d.slice(lead.length);
    nodes.push(chain);
  }
  return {before, after: document.body.innerText, nodes};
}
"""
MARK = re.compile("\ue000([\ue010-\ue01f]+)\ue001")


def copy_text(inner: str) -> str:
    """innerText as copy/ keeps it: trailing spaces stripped, runs of 3+ blank lines made one."""
    text = "\n".join(line.rstrip() for line in inner.split("\n"))
    return re.sub(r"\n{4,}", "\n\n", text).strip("\n") + "\n"


def _decode(code: str) -> int:
    n = 0
    for ch in code:
        n = n * 16 + ord(ch) - 0xE010
    return n


def line_nodes(before: str, after: str) -> list:
    """For each line of copy_text(before): the text node ids its marked twin in `after` holds."""
    plain = copy_text(before).rstrip("\n").split("\n")
    marked = copy_text(after).rstrip("\n").split("\n")
    stripped = [MARK.sub("", line).rstrip() for line in marked]
    found: list = [[] for _ in plain]
    matcher = difflib.SequenceMatcher(None, plain, stripped, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        for k in range(size):
            found[a + k] = [_decode(m) for m in MARK.findall(marked[b + k])]
    return found


def render_all(corpus: str, cache: Path, only: set | None = None) -> None:
    from playwright.sync_api import sync_playwright

    root = CORPORA[corpus]
    pages = json.loads((root / "gold.json").read_text(encoding="utf-8"))["pages"]
    out = cache / corpus
    out.mkdir(parents=True, exist_ok=True)
    todo = [p for p in pages if not (out / f"{p['id']}.json.gz").exists() and (not only or p["id"] in only)]
    if not todo:
        return
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM)
        context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 2000})
        for n, page_info in enumerate(todo, 1):
            t0 = time.time()
            html = gzip.open(root / "html" / f"{page_info['id']}.html.gz").read()
            url = page_info.get("url") or "https://example.invalid/"
            page = context.new_page()

            def handler(route, request, page=page, url=url, html=html):
                if request.url == url and request.frame == page.main_frame and request.resource_type == "document":
                    route.fulfill(status=200, body=html, headers={"content-type": "text/html; charset=utf-8"})
                else:
                    route.abort()

            page.route("**/*", handler)
            try:
                page.goto(url, wait_until="load", timeout=60000)
                result = page.evaluate(MARK_JS)
            finally:
                page.close()
            record = {"id": page_info["id"], "text": copy_text(result["before"]),
                      "lines": line_nodes(result["before"], result["after"]), "nodes": result["nodes"]}
            with gzip.open(out / f"{page_info['id']}.json.gz", "wt", encoding="utf-8") as f:
                json.dump(record, f, ensure_ascii=False)
            print(f"{corpus} {n}/{len(todo)} {page_info['id'][:12]} {time.time() - t0:.1f}s", file=sys.stderr)
        browser.close()


def load(corpus: str, cache: Path, page_id: str) -> dict:
    with gzip.open(cache / corpus / f"{page_id}.json.gz", "rt", encoding="utf-8") as f:
        return json.load(f)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", choices=["realweb", "modern", "all"], default="all")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/pubpipe-render"))
    ap.add_argument("--only", nargs="*", help="page ids")
    args = ap.parse_args(argv)
    for corpus in (["realweb", "modern"] if args.corpus == "all" else [args.corpus]):
        render_all(corpus, args.cache, set(args.only or ()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
