"""The web output as browsers and the Nu HTML Checker see it.

- vnu (npm ``vnu-jar``, on the machine's Java) reports no error and no warning on any page,
  snippet (wrapped in a minimal document) or stylesheet of four builds: the test fixture, the
  sample sources, the independent corpus (Korean, web residue, ``<script>`` as words) and a story
  whose every field is hostile markup.
- Headless Chromium (Debian's, driven by Playwright) renders the index and story pages at 390 and
  1280 px wide, light and dark: no horizontal overflow, no text under 12 px, WCAG AA contrast,
  nothing requested outside the web folder, no dialog. Screenshots are kept in
  ``$PUBPIPE_SCREENSHOTS`` (default: a pytest temporary folder) to look at.

Each part skips, saying why, when its tool is missing (``./setup.sh --test`` installs them).
"""

import json
import os
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from pubpipe.model import Anthology
from pubpipe.render.web.site import Download
from helpers import write_web
from test_web_corpus import from_sources
from test_web_safety import hostile_anthology

ROOT = Path(__file__).resolve().parents[1]
VNU = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
WIDTHS = (390, 1280)
MIN_FONT_PX = 12
SNIPPET_PAGE = ('<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>Snippet</title>\n'
                '<link rel="stylesheet" href="pubpipe-snippet.css">\n</head>\n<body>\n{html}</body>\n</html>\n')
AUDIT_JS = r"""(minFont) => {
  // Runs in the test's browser, not in the page: pubpipe's pages carry no script.
  const rgba = (c) => { const p = (c.match(/[\d.]+/g) || []).map(Number);
                        return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = ({r, g, b}) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                               return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const background = (el) => {
    for (; el; el = el.parentElement) { const c = rgba(getComputedStyle(el).backgroundColor); if (c.a >= 0.5) return c; }
    return rgba(getComputedStyle(document.documentElement).backgroundColor || "rgb(255,255,255)");
  };
  const tiny = [], contrast = [], walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement, text = node.textContent.trim();
    if (!text || !el.getClientRects().length || el.closest(".skip-link")) continue;
    const style = getComputedStyle(el), size = parseFloat(style.fontSize);
    if (size < minFont) tiny.push(`${size}px: ${text.slice(0, 40)}`);
    const fg = lum(rgba(style.color)), bg = lum(background(el));
    const ratio = (Math.max(fg, bg) + 0.05) / (Math.min(fg, bg) + 0.05);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) contrast.push(`${ratio.toFixed(2)}: ${text.slice(0, 40)}`);
  }
  const brokenImages = [...document.images].filter((i) => !i.complete || !i.naturalWidth).map((i) => i.src);
  return {scrollWidth: document.documentElement.scrollWidth, tiny, contrast, brokenImages};
}"""


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict:
    """name -> web folder, each with fake PDF and EPUB files beside it."""
    anthologies = {
        "fixture": Anthology.from_dict(json.loads((ROOT / "tests/fixtures/anthology.json").read_text("utf-8"))),
        "sample": from_sources(ROOT / "sources"),
        "corpus": from_sources(ROOT / "tests/corpus/sources"),
        "hostile": hostile_anthology(),
    }
    out = {}
    for name, anthology in anthologies.items():
        folder = tmp_path_factory.mktemp(name)
        for kind, data in (("pdf", b"%PDF-1.7\n"), ("epub", b"PK\x03\x04")):
            (folder / f"{anthology.slug}.{kind}").write_bytes(data * 1000)
        downloads = [Download("pdf", f"{anthology.slug}.pdf", 9000, 24), Download("epub", f"{anthology.slug}.epub", 4000)]
        write_web(anthology, folder / "web", downloads)
        out[name] = folder / "web"
    return out


def wrapped_snippets(web: Path, into: Path) -> list[Path]:
    """Each snippet inside a minimal HTML document, for the checker (a fragment is not a document)."""
    into.mkdir(parents=True, exist_ok=True)
    shutil.copy(web / "snippets" / "pubpipe-snippet.css", into)
    records = {r["id"]: r for r in json.loads((web / "snippets.json").read_text("utf-8"))}
    paths = []
    for snippet in sorted((web / "snippets").glob("*.html")):
        lang = records[snippet.stem]["language"] or "und"
        paths.append(into / snippet.name)
        paths[-1].write_text(SNIPPET_PAGE.format(lang=lang, html=snippet.read_text("utf-8")), "utf-8")
    return paths


def test_nu_html_checker_finds_nothing(builds, tmp_path):
    java = shutil.which("java")
    if not java or not VNU.is_file():
        pytest.skip(f"needs java and {VNU.relative_to(ROOT)} (./setup.sh --test installs them)")
    files = []
    for name, web in builds.items():
        files += [web / "index.html", *sorted((web / "stories").glob("*.html"))]
        files += wrapped_snippets(web, tmp_path / name)
    files += [builds["fixture"] / "site.css", builds["fixture"] / "snippets" / "pubpipe-snippet.css"]
    run = subprocess.run([java, "-jar", str(VNU), "--format", "json", "--also-check-css", *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    messages = json.loads(run.stderr or run.stdout)["messages"]
    problems = [f"{m['url'].split('/', 3)[-1]}:{m.get('lastLine')}: {m['type']} {m.get('subType', '')}: {m['message']}"
                for m in messages if m["type"] in ("error", "non-document-error") or m.get("subType") == "warning"]
    assert not problems, "\n".join(problems[:30])
    assert len(files) > 60


PAGES = [("sample", "index.html"), ("sample", "stories/love-and-dating-in-north-korea.html"),
         ("corpus", "index.html"), ("corpus", "stories/yeodeune-ceoeum-sseun-pyeonji-seommaeul-halmeonideulyi.html"),
         ("corpus", "stories/harbour-district-food-bank-fixes-donation-form-after.html"),
         ("fixture", "stories/love-and-dating.html"), ("hostile", "index.html"), ("hostile", "stories/hostile.html")]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).is_file():
        pytest.skip("needs Debian's chromium (./setup.sh --test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    folder = Path(os.environ.get("PUBPIPE_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", WIDTHS)
def test_pages_render_well_in_chromium(builds, browser, shots, width, scheme):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    page = context.new_page()
    seen, dialogs, failed = [], [], []
    page.on("request", lambda request: seen.append(request.url))
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    audit = AUDIT_JS
    try:
        for build, path in PAGES:
            target = builds[build] / path
            page.goto(target.as_uri(), wait_until="load")
            found = page.evaluate(audit, MIN_FONT_PX)
            where = f"{build}/{path} at {width}px ({scheme})"
            assert found["scrollWidth"] <= width, f"{where}: content {found['scrollWidth']} px wide overflows"
            assert not found["tiny"], f"{where}: text under {MIN_FONT_PX}px: {found['tiny'][:5]}"
            assert not found["contrast"], f"{where}: contrast under WCAG AA: {found['contrast'][:5]}"
            assert found["brokenImages"] == [], f"{where}: images that did not load: {found['brokenImages']}"
            shot = shots / f"{build}-{path.replace('/', '-')[:-5]}-{width}-{scheme}.png"
            page.screenshot(path=str(shot), full_page=True)
    finally:
        context.close()
    outside = [u for u in seen if not u.startswith("file://") or not any(
        Path(unquote(urlsplit(u).path)).is_relative_to(web) for web in builds.values())]
    assert not outside, f"requests outside the web folder: {outside[:5]}"
    assert not failed and not dialogs, (failed, dialogs)
