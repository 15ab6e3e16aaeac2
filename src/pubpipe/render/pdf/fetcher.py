"""The URL fetcher of the reading edition's layout (`pubpipe.render.pdf.reading`): WeasyPrint reads
the project's styles and fonts and nothing else.

WeasyPrint would happily read any ``file://`` URL and attach local files named by
``<link rel=attachment>``; every load goes through `SafeFetcher`, which only opens files under the
styles folder and the two font folders.

Apart from `pubpipe.render.pdf.reading` because it subclasses WeasyPrint's fetcher: the build process
imports reading (the flow's steps) but not WeasyPrint; the layout processes import this when they
lay out."""

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import fontpkg_inter
import fontpkg_literata
from weasyprint.urls import URLFetcher, URLFetcherResponse

from pubpipe.errors import FetchRefused
from pubpipe.render.templates import styles_dir


def allowed_roots() -> tuple:
    """The folders WeasyPrint may read from: the styles and the two font packages."""
    return (styles_dir().resolve(), (fontpkg_literata.ROOT / "files").resolve(),
            (fontpkg_inter.ROOT / "files").resolve())


class SafeFetcher(URLFetcher):
    """A URL fetcher that opens only local files under `allowed_roots` and refuses the rest.

    Refusals raise `FetchRefused`; with ``fail_on_errors`` WeasyPrint turns that into a
    fatal error instead of a warning, so a render never silently skips a resource.
    Every URL asked for is recorded in ``requested`` (for tests and reports).
    """

    def __init__(self, roots=None, **kwargs):
        kwargs.setdefault("fail_on_errors", True)
        super().__init__(allowed_protocols=("file",), allow_redirects=False, **kwargs)
        self.roots = tuple(Path(r).resolve() for r in (roots or allowed_roots()))
        self.requested: list = []

    def fetch(self, url, headers=None):
        """Return the file behind a ``file:`` URL under an allowed root, or raise FetchRefused."""
        self.requested.append(url)
        path = self.local_path(url)
        mime, _ = mimetypes.guess_type(path.name)
        # Read the checked path ourselves rather than handing the URL back to urllib,
        # so what is opened is exactly what was checked.
        return URLFetcherResponse(path.as_uri(), path.read_bytes(),
                                  {"Content-Type": mime or "application/octet-stream"})

    def local_path(self, url: str) -> Path:
        """The resolved file a URL names, if it is an existing file under an allowed root."""
        parts = urlsplit(url)
        if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
            raise FetchRefused(f"refused to fetch {url!r}: only the project's own files are loaded")
        path = Path(url2pathname(unquote(parts.path)))
        try:
            path = path.resolve(strict=True)  # follows symlinks and '..' before the check
        except OSError as error:
            raise FetchRefused(f"refused to fetch {url!r}: {error.strerror}") from None
        if not path.is_file() or not any(path.is_relative_to(root) for root in self.roots):
            raise FetchRefused(f"refused to fetch {url!r}: not under the styles or font folders")
        return path
