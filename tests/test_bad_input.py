"""Bad input across every output: markup pasted into a source is words in the web pages, the EPUB
and the PDF; nothing in it runs, nothing it points at is fetched or attached; and a build killed
midway leaves the previous output as it was."""

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from pypdf import PdfReader

from helpers import previous_output
from pubpipe import pipeline, render
from pubpipe.publish import summary
from pubpipe.render.epub import book as ebook
from pubpipe.render.pdf import imposition as impose
from pubpipe.render.pdf import reading as reading_edition
from pubpipe.render.web import site as web

ROOT = Path(__file__).resolve().parents[1]
SECRET = "correct-horse-battery-staple-7f3a"  # the content of a local file a source points at
pytestmark = pytest.mark.usefixtures("session_prefect_home")  # its builds use the session's PREFECT_HOME (conftest.py)


class Recorder(BaseHTTPRequestHandler):
    """An 'internal' web server: every request it gets is a failure of the test."""

    requests: list = []

    def do_GET(self):  # noqa: N802 (the base class's name)
        Recorder.requests.append(self.path)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(SECRET.encode())

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def internal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def hostile_lines(internal: str, secret_file: Path) -> list:
    return [
        'Our web team found this in a draft: <script>alert("run")</script> and it must stay words.',
        f'An image <img src="{internal}/pixel.png" onerror="alert(2)"> pointed at an internal address.',
        f'A link <a href="javascript:alert(3)">click me</a> and <link rel="attachment" href="file://{secret_file}"> too.',
        f'A style <style>@import url("{internal}/style.css");</style> and <iframe src="{internal}/frame"></iframe> here.',
    ]


@pytest.fixture(scope="module")
def built(internal, tmp_path_factory):
    """A .txt source full of markup and an .html page with hostile elements, through every renderer."""
    tmp = tmp_path_factory.mktemp("hostile")
    secret_file = tmp / "secret.txt"
    secret_file.write_text(SECRET, encoding="utf-8")
    lines = hostile_lines(internal, secret_file)
    sources = tmp / "sources"
    sources.mkdir()
    story = ["The Night the Scripts Ran", "", "By Jane Doe", ""]
    for line in lines:
        story += [line, ""]
    story.append("The rest of the story is ordinary text about the team and its work, long enough to read.")
    (sources / "pasted.txt").write_text("\n".join(story) + "\n", encoding="utf-8")
    (sources / "page.html").write_text(f"""<!doctype html><html><head><title>Page</title>
<link rel="stylesheet" href="{internal}/page.css"><link rel="attachment" href="file://{secret_file}">
<script src="{internal}/app.js"></script></head><body onload="alert(4)"><article>
<h1>The Harbour Report</h1><p>The harbour opened at dawn and the boats went out.</p>
<p><img src="{internal}/photo.jpg" alt="boats"> Fishermen said the catch was good this year.</p>
<p><a href="javascript:alert(5)">The mayor</a> said the <a href="{internal}/x">harbour</a> would stay open.</p>
</article></body></html>""", encoding="utf-8")
    anthology = pipeline.recover(sources)
    pdf, epub = reading_edition.render(anthology), ebook.render(anthology)
    out = tmp / "out"
    render.write(web.render(anthology, [pdf, epub]), out)
    return dict(anthology=anthology, pdf=pdf, epub=epub, web=out / "web", lines=lines, secret_file=secret_file)


def visible(markup: str) -> str:
    return " ".join(BeautifulSoup(markup, "html.parser").get_text(" ").split())


def inert(markup: str, where: str) -> None:
    """Nothing in the document can run or load anything from outside."""
    soup = BeautifulSoup(markup, "html.parser")
    for tag in soup.find_all(True):
        assert not any(a.lower().startswith("on") for a in tag.attrs), f"{where}: event handler on <{tag.name}>"
        for attr in ("href", "src", "srcset", "action", "data", "poster"):
            value = str(tag.get(attr, "")).strip().lower()
            assert not value.startswith(("javascript:", "file:", "data:text")), f"{where}: {attr}={value!r}"
            assert "127.0.0.1" not in value, f"{where}: <{tag.name} {attr}> points at the internal address"
    assert not soup.find_all(["iframe", "object", "embed", "style"]), where
    assert not soup.find_all("link", rel="attachment"), where
    assert all(s.get("type") == "application/ld+json" for s in soup.find_all("script")), where


def words(line: str) -> str:
    """The words of a hostile line as typography may set them (curly quotes)."""
    return " ".join(line.replace('"', "").split())


def test_the_markup_is_the_story_s_text(built):
    story = next(s for s in built["anthology"].stories if s.title == "The Night the Scripts Ran")
    text = " ".join(b.text for b in story.blocks).replace("\u201c", "").replace("\u201d", "")
    for line in built["lines"]:
        assert words(line) in text


def test_web_pages_show_it_as_text_and_run_nothing(built):
    web = built["web"]
    page = next(p for p in (web / "stories").glob("*.html") if "scripts-ran" in p.name)
    snippet = web / "snippets" / page.name
    for path in (page, snippet, web / "index.html"):
        inert(path.read_text(encoding="utf-8"), path.name)
    shown = visible(page.read_text(encoding="utf-8")).replace("\u201c", "").replace("\u201d", "")
    for line in built["lines"]:
        assert words(line) in shown
    for path in sorted((web / "stories").glob("*.html")) + sorted((web / "snippets").glob("*.html")):
        inert(path.read_text(encoding="utf-8"), path.name)


def test_epub_shows_it_as_text_and_runs_nothing(built):
    with zipfile.ZipFile(io.BytesIO(built["epub"].data)) as book:
        documents = {n: book.read(n).decode("utf-8") for n in book.namelist() if n.endswith(".xhtml")}
        names = book.namelist()
    for name, markup in documents.items():
        inert(markup, name)
    shown = " ".join(visible(m) for m in documents.values()).replace("\u201c", "").replace("\u201d", "")
    for line in built["lines"]:
        assert words(line) in shown
    assert not any("secret" in n or n.endswith((".js", ".jpg", ".png")) and "cover" not in n for n in names)


def test_pdf_shows_it_as_text_and_attaches_nothing(built, tmp_path):
    path = tmp_path / "book.pdf"
    path.write_bytes(built["pdf"].data)
    shown = " ".join(subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                    check=True).stdout.split())
    shown = shown.replace("\u201c", "").replace("\u201d", "")
    assert '<script>alert(run)</script>' in shown
    joined = shown.replace("- ", "").replace("\u2010 ", "")  # a word hyphenated at a line end
    assert "onerror=alert(2)" in joined and "javascript:alert(3)" in joined
    reader = PdfReader(path)
    assert "/EmbeddedFiles" not in str(reader.trailer["/Root"].get("/Names", {}))
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            assert annot.get_object().get("/Subtype") != "/FileAttachment"


def test_nothing_was_fetched_and_no_secret_leaked(built):
    assert Recorder.requests == []
    outputs = [built["pdf"].data, built["epub"].data]
    outputs += [p.read_bytes() for p in built["web"].rglob("*") if p.is_file()]
    for data in outputs:
        assert SECRET.encode() not in data
    with zipfile.ZipFile(io.BytesIO(built["epub"].data)) as book:
        assert all(SECRET.encode() not in book.read(n) for n in book.namelist())


def test_html_page_keeps_its_article_without_its_code(built):
    harbour = next(s for s in built["anthology"].stories if s.title == "The Harbour Report")
    text = " ".join(b.text for b in harbour.blocks)
    assert "Fishermen said the catch was good this year." in text
    assert "The mayor said the harbour would stay open." in text
    assert "alert" not in text and "app.js" not in text


@pytest.mark.skipif(sys.platform != "linux", reason="SIGKILL and renameat2 semantics")
def test_a_build_killed_midway_leaves_the_previous_output(tmp_path):
    """`pubpipe build` killed (SIGKILL) while it renders: output/ is byte for byte the previous one,
    no lock is left held, and the next build publishes."""
    import shutil
    shutil.copytree(ROOT / "sources", tmp_path / "sources")
    output = tmp_path / "output"
    before = previous_output(output, {"anthology.json": '{"previous": true}', "report.md": "previous report"})
    env = dict(os.environ)  # the session's PREFECT_HOME (its database is made once)
    env.pop("PREFECT_API_URL", None)
    cli = [sys.executable, "-m", "pubpipe.cli", "build", "--sources", str(tmp_path / "sources"),
           "--output", str(output)]
    process = subprocess.Popen(cli, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               start_new_session=True)
    staging = tmp_path / ".output.staging"
    deadline = time.monotonic() + 180
    while not any(staging.glob("*")) and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)  # wait until the build has begun writing into its staging folder
    assert process.poll() is None, "the build ended before it could be killed"
    os.killpg(process.pid, signal.SIGKILL)  # the CLI, its Prefect server and any child
    process.wait(30)
    assert {p.name: p.read_bytes() for p in output.iterdir()} == before
    again = subprocess.run(cli, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert json.loads((output / "anthology.json").read_text(encoding="utf-8"))["stories"]
    assert not staging.exists()


def test_titles_that_climb_out_write_nothing_outside(tmp_path):
    """A book title and story titles made of `../` and slashes become plain slugs: every file a
    build writes lands inside its staging folder."""
    from pubpipe.config import Config
    from pubpipe.publish.swap import staging
    sources = tmp_path / "work" / "sources"
    sources.mkdir(parents=True)
    (sources / "a.txt").write_text("../../../etc/cron.d/evil\n\nA story whose title climbs out of the folder.\n\n"
                                   "* * *\n\n/absolute/path\n\nAnother story with a rooted title.\n", encoding="utf-8")
    config = Config(title="../../../../tmp/evil-book")
    anthology = pipeline.recover(sources, config)
    assert anthology.slug and "/" not in anthology.slug and ".." not in anthology.slug
    before = {p for p in tmp_path.rglob("*")}
    with staging(tmp_path / "work" / "output") as folder:
        pdf, epub = reading_edition.render(anthology), ebook.render(anthology)
        for rendered in (pdf, epub, impose.render(pdf), web.render(anthology, [pdf, epub])):
            render.write(rendered, folder)
        summary.write_anthology(anthology, folder)
        written = {p for p in tmp_path.rglob("*") if p.is_file()} - before
        assert written and all(folder in p.parents for p in written), sorted(map(str, written))
        assert len(list((folder / "web" / "stories").glob("*.html"))) == len(anthology.stories) == 2
