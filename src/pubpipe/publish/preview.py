"""``pubpipe preview``: serve a built ``web/`` folder on this machine for a look before publishing.

A standard-library HTTP server bound to 127.0.0.1 (never reachable from another machine). It
serves the files of ``<output>/web`` (the downloads are copied into ``web/downloads/``) and, for
web folders made before that (whose links said ``../<slug>.pdf``, which a browser asks for as
``/<slug>.pdf``), the PDF and EPUB files beside ``web/``.
Nothing else of the output folder is served, there are no folder listings, and every response
says ``Cache-Control: no-store`` so a rebuild shows at the next reload.
"""

import errno
import mimetypes
import sys
import webbrowser
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from pubpipe.errors import PubpipeError

HOST = "127.0.0.1"
DEFAULT_PORT = 8000
DOWNLOAD_SUFFIXES = (".pdf", ".epub")
TYPES = {".epub": "application/epub+zip", ".pdf": "application/pdf", ".xml": "application/atom+xml",
         ".json": "application/json", ".css": "text/css", ".png": "image/png", ".html": "text/html"}


class PreviewError(PubpipeError):
    """The preview cannot start: no web folder, or the port is taken."""


def web_folder(folder: Path) -> Path:
    """The ``web/`` folder to serve: ``folder/web`` for an output folder, or ``folder`` itself."""
    folder = Path(folder)
    for candidate in (folder / "web", folder):
        if (candidate / "index.html").is_file():
            return candidate.resolve()
    raise PreviewError(f"no web/index.html in {folder}: run `pubpipe build` first (or pass --output)")


class PreviewHandler(SimpleHTTPRequestHandler):
    """Serves ``web/`` and the downloads beside it; no listings, no caching, quiet log."""

    extensions_map = {**SimpleHTTPRequestHandler.extensions_map, **TYPES}

    def translate_path(self, path: str) -> str:
        """A request path to a file: inside ``web/``, or a PDF/EPUB right beside it."""
        web = Path(self.directory)
        name = unquote(urlsplit(path).path)
        inside = super().translate_path(path)
        if Path(inside).exists() or "/" in name.strip("/"):
            return inside
        beside = web.parent / name.strip("/")
        if beside.suffix.lower() in DOWNLOAD_SUFFIXES and beside.is_file() and beside.parent == web.parent:
            return str(beside)
        return inside

    def list_directory(self, path):
        """No folder listings: a folder without index.html is simply not found."""
        self.send_error(404, "No index.html here")
        return None

    def guess_type(self, path) -> str:
        kind = TYPES.get(Path(path).suffix.lower()) or mimetypes.guess_type(str(path))[0]
        kind = kind or "application/octet-stream"
        return kind + ("; charset=utf-8" if kind.startswith("text/") or kind.endswith(("json", "xml")) else "")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def log_request(self, code="-", size="-") -> None:
        """Log only what went wrong (4xx and 5xx, but not the favicon browsers ask for), on stderr."""
        if str(code).isdigit() and int(code) >= 400 and self.path != "/favicon.ico":
            super().log_request(code, size)

    def log_error(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        """send_error's own line would repeat log_request's."""

    def log_message(self, format: str, *args) -> None:  # noqa: A002 (the base class's name)
        sys.stderr.write(f"preview: {format % args}\n")


def make_server(folder: Path, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server for ``folder`` (an output folder or its ``web/``) on 127.0.0.1:``port``, not yet
    serving. ``port=0`` picks a free port (see ``server.server_address``)."""
    handler = partial(PreviewHandler, directory=str(web_folder(folder)))
    try:
        server = ThreadingHTTPServer((HOST, port), handler)
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise PreviewError(f"port {port} is in use; try another one with --port") from exc
        raise PreviewError(f"cannot listen on {HOST}:{port}: {exc.strerror or exc}") from exc
    server.daemon_threads = True
    return server


def url_of(server: ThreadingHTTPServer) -> str:
    """The address of the readers' page of a running preview."""
    host, port = server.server_address[:2]
    return f"http://{host}:{port}/index.html"


def serve_folder(folder: Path = Path("output"), port: int = DEFAULT_PORT, open_browser: bool = True) -> None:
    """Serve ``folder`` (an output folder, or its ``web/``) on http://127.0.0.1:``port``/ until
    Ctrl+C; print the address, and open it in the default browser if ``open_browser``.
    Raises PreviewError (a PubpipeError) when there is no built web folder or the port is taken."""
    server = make_server(folder, port)
    url = url_of(server)
    print(f"Previewing {web_folder(folder)} at {url}", flush=True)
    print("Only this computer can see it. Press Ctrl+C to stop.", flush=True)
    if open_browser:
        webbrowser.open(url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("Preview stopped.", flush=True)
    finally:
        server.server_close()


__all__ = ["serve_folder", "make_server", "url_of", "web_folder", "PreviewError", "HOST", "DEFAULT_PORT"]
