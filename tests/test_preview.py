"""``pubpipe preview``: the local server for a look at output/web before publishing."""

import json
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup

from pubpipe.errors import PubpipeError
from pubpipe.model import Anthology
from pubpipe.publish.preview import PreviewError, make_server, url_of, web_folder
from pubpipe.render.web.site import Download
from helpers import write_web

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
PDF, EPUB = b"%PDF-1.7 fake booklet\n" * 50, b"PK\x03\x04 fake epub" * 50


@pytest.fixture(scope="module")
def output(tmp_path_factory) -> Path:
    """An output folder as a build leaves it: web/, the PDF and EPUB beside it, and other files."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    folder = tmp_path_factory.mktemp("output")
    (folder / "stories-of-courage.pdf").write_bytes(PDF)
    (folder / "stories-of-courage.epub").write_bytes(EPUB)
    (folder / "anthology.json").write_text("{}", encoding="utf-8")
    (folder / "report.md").write_text("# report", encoding="utf-8")
    write_web(anthology, folder / "web", [Download("pdf", "stories-of-courage.pdf", len(PDF), 2),
                                           Download("epub", "stories-of-courage.epub", len(EPUB))])
    (folder / "web" / "downloads").mkdir(parents=True, exist_ok=True)  # the build copies the downloads into web/
    (folder / "web" / "downloads" / "stories-of-courage.pdf").write_bytes(PDF)
    (folder / "web" / "downloads" / "stories-of-courage.epub").write_bytes(EPUB)
    return folder


@contextmanager
def running(folder: Path):
    server = make_server(folder, 0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield url_of(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def fetch(url: str):
    """(status, headers, body) of a GET, 4xx/5xx included."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()


def test_serves_the_web_folder_and_the_downloads(output):
    with running(output) as url:
        assert urlsplit(url).hostname == "127.0.0.1"
        status, headers, body = fetch(url)
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"Stories of Courage" in body and headers["Cache-Control"] == "no-store"
        assert fetch(urljoin(url, "/"))[2] == body
        status, headers, body = fetch(urljoin(url, "../stories-of-courage.pdf"))
        assert (status, headers["Content-Type"], body) == (200, "application/pdf", PDF)
        status, headers, body = fetch(urljoin(url, "/stories-of-courage.epub"))
        assert (status, headers["Content-Type"], body) == (200, "application/epub+zip", EPUB)


def test_every_link_of_the_index_and_a_story_page_works(output):
    with running(output) as url:
        for page in (url, urljoin(url, "stories/love-and-dating.html")):
            soup = BeautifulSoup(fetch(page)[2], "html.parser")
            targets = [el.get("href") or el.get("src") for el in soup.find_all(["a", "link", "img"])]
            targets = {urljoin(page, t).split("#")[0] for t in targets if t}
            assert len(targets) > 5
            broken = [t for t in sorted(targets) if fetch(t)[0] != 200]
            assert not broken, (page, broken)


@pytest.mark.parametrize("path", ["/anthology.json", "/report.md", "/../report.md", "/%2e%2e/report.md",
                                  "/stories/", "/snippets/", "/nothing.pdf", "/web/index.html"])
def test_serves_nothing_else(output, path):
    with running(output) as url:
        assert fetch(urljoin(url, path))[0] == 404, path


def test_web_folder_and_errors(output, tmp_path):
    assert web_folder(output) == web_folder(output / "web") == (output / "web").resolve()
    with pytest.raises(PreviewError, match="pubpipe build"):
        web_folder(tmp_path)
    assert issubclass(PreviewError, PubpipeError)
    with running(output) as url:
        with pytest.raises(PreviewError, match=f"port {urlsplit(url).port} is in use"):
            make_server(output, urlsplit(url).port)


def test_serve_prints_the_address_and_serves_until_stopped(output):
    code = "import sys; from pathlib import Path; from pubpipe.publish.preview import serve_folder; serve_folder(Path(sys.argv[1]), 0, False)"
    process = subprocess.Popen([sys.executable, "-c", code, str(output)], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        assert line.startswith(f"Previewing {(output / 'web').resolve()} at http://127.0.0.1:"), line
        url = line.split(" at ")[1].strip()
        assert fetch(url)[0] == 200 and fetch(urljoin(url, "../stories-of-courage.pdf"))[2] == PDF
    finally:
        process.terminate()
        process.wait(10)


def test_cli_preview_command(output, tmp_path):
    """`pubpipe preview --port 0 --no-open` serves the folder; a folder with no web/ exits 2 with a reason."""
    cli = [sys.executable, "-m", "pubpipe.cli", "preview", "--no-open", "--port", "0", "--output"]
    process = subprocess.Popen([*cli, str(output)], stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = line.split(" at ")[1].strip()
        status, _, body = fetch(url)
        assert status == 200 and b"<html" in body
    finally:
        process.terminate()
        process.wait(10)
    empty = subprocess.run([*cli, str(tmp_path)], capture_output=True, text=True)
    assert empty.returncode == 2 and "no web/index.html" in empty.stderr and "pubpipe build" in empty.stderr
