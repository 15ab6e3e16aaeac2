"""Render, validate and publish steps the flow calls, as plain functions.

Renderers return a `Rendered` (file name, bytes, facts) instead of writing into the staging
folder, so their results can be cached on content while writing files never is.
"""

import dataclasses
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ValidationFailed
from .model import Anthology
from .report import write_report
from .stages import BuildResult, Ingested, Problem
from .validate import Findings, check_output


@dataclass(frozen=True)
class Rendered:
    """One rendered output file, not yet written."""

    name: str
    """File name inside the output folder."""
    data: bytes
    """Its bytes."""
    info: Any = None
    """What the renderer reported (PdfInfo, ImposeInfo…), or None."""


def _render_to_bytes(render, name: str, *args) -> Rendered:
    with tempfile.TemporaryDirectory(prefix="pubpipe-render-") as tmp:
        path = Path(tmp) / name
        info = render(*args, path)
        return Rendered(name, path.read_bytes(), info if not isinstance(info, Path) else None)


PDF_IN_CHILD = True
"""Lay the PDF out in child processes (`pubpipe.processes.in_pool`); tests that watch the layout
functions of `pubpipe.pdf` being called switch it off."""


def _in_layout(function, *args):
    """``function(*args)`` in the layout processes (or here, with PDF_IN_CHILD off).

    WeasyPrint's layout is pure Python and holds a document in memory until it is written: in
    child processes the parts are laid out in parallel, neither competes for the interpreter lock
    with the flow's other tasks (EPUB, story pages) nor leaves the layout's memory in the
    long-lived build process."""
    from .processes import in_pool
    return in_pool("the PDF renderer", function, *args) if PDF_IN_CHILD else function(*args)


def pdf_parts(anthology: Anthology) -> list:
    """The book's stories in parts (`pubpipe.pdfbook.parts`), each laid out — and cached — alone."""
    from .pdfbook import parts
    return parts(anthology)


def unshowable(anthology: Anthology) -> tuple:
    """The characters of a part (or the book) no installed font has (`pubpipe.pdfglyphs.unshowable`),
    found here, before layout, from the fonts' cmaps. The flow passes them to each layout task as an
    argument: the cached layout is keyed on them, so a font installed since lays the part out again."""
    from .pdfglyphs import unshowable as find
    return find(anthology)


def render_pdf_part(part: Anthology, missing=None):
    """One part of the reading edition laid out (`pubpipe.pdf.LaidOut`), its characters of
    ``missing`` (default: `unshowable`) shown as placeholders and named in its ``replaced``."""
    from .pdf import render_stories
    return _in_layout(render_stories, part, unshowable(part) if missing is None else tuple(missing))


def contents_of(anthology: Anthology) -> Anthology:
    """What the front matter shows: the book and its stories' titles, series and bylines, without
    their text (so the front matter's cache key holds only that)."""
    return dataclasses.replace(anthology, stories=tuple(dataclasses.replace(s, blocks=()) for s in anthology.stories))


def render_pdf_front(contents: Anthology, story_pages: dict, missing=None):
    """The front matter (cover, title page, imprint, contents showing ``story_pages``) laid out,
    in a layout process: a `pubpipe.pdf.LaidOut` (``missing`` as in `render_pdf_part`)."""
    from .pdf import render_front
    return _in_layout(render_front, contents, story_pages,
                      unshowable(contents) if missing is None else tuple(missing))


def render_pdf_sheet(language: str, pages: int) -> list:
    """The folio sheet of a book of ``pages`` pages (`pubpipe.pdf.render_folio_sheet`), its pieces
    (`pubpipe.pdfbook.sheet_pieces`) laid out side by side in the layout processes."""
    from .pdf import render_folio_sheet
    from .pdfbook import sheet_pieces
    book = Anthology(title="", stories=(), language=language)
    return _map_in_layout(lambda piece: _in_layout(render_folio_sheet, book, piece[1], piece[0]), sheet_pieces(pages))


def _map_in_layout(call, items) -> list:
    """``[call(item) for item in items]``, the calls side by side (each waits on a layout process)."""
    from concurrent.futures import ThreadPoolExecutor
    items = list(items)
    with ThreadPoolExecutor(max(1, min(len(items), 16))) as threads:
        return list(threads.map(call, items))


def assemble_pdf(anthology: Anthology, laid_out: list, front=render_pdf_front, sheet=render_pdf_sheet):
    """The A5 reading edition, `<slug>.pdf`, from its laid-out parts (in book order): the front
    matter laid out (``front``) until its length and the contents' page numbers agree, the folio
    sheet (``sheet``), and the parts assembled (`pubpipe.pdfbook.finish`), in layout processes. The
    flow passes cached tasks as ``front`` and ``sheet``: a changed story that moves no page number
    lays out neither again. Characters no installed font has are placeholders in the PDF, named in
    the PdfInfo's ``placeholders`` (see `note_placeholders`)."""
    from .pdfbook import finish
    contents = contents_of(anthology)
    missing = unshowable(contents)
    data, info = finish(anthology, laid_out, lambda _, pages: front(contents, pages, missing),
                        lambda pages: sheet(anthology.language, pages), run=_in_layout)
    return Rendered(f"{anthology.slug}.pdf", data, info)


def render_pdf(anthology: Anthology) -> Rendered:
    """The A5 reading edition, `<slug>.pdf`: its parts laid out side by side, then assembled (the flow
    runs the same steps as cached tasks)."""
    return assemble_pdf(anthology, _map_in_layout(render_pdf_part, pdf_parts(anthology)))


def note_placeholders(anthology: Anthology, ingested: Ingested, pdf: Rendered, config_path=None) -> Ingested:
    """``ingested`` with a problem for each story (on its source file) and for the book's title,
    subtitle or publisher (on ``config_path``, the anthology.toml) holding characters the PDF showed
    as placeholders (`pubpipe.pdfglyphs.problems`): the story is published everywhere, the build ends
    with exit code 1."""
    from .pdfglyphs import CODE, problems
    config = Path(config_path).name if config_path else "anthology.toml"
    found = [Problem(file, reason, CODE) for file, reason in problems(anthology, pdf.info.placeholders, config)]
    if not found:
        return ingested
    return dataclasses.replace(ingested, problems=tuple(sorted([*ingested.problems, *found], key=lambda p: p.file)))


def impose_pdf(reading: Rendered) -> Rendered:
    """The saddle-stitch print edition, `<slug>-print.pdf`, from the reading edition's bytes; in a
    layout process: pypdf parses the whole book into Python objects, memory and interpreter time
    the long-lived build process is better without."""
    return _in_layout(_impose, reading)


def _impose(reading: Rendered) -> Rendered:
    from .impose import impose
    with tempfile.TemporaryDirectory(prefix="pubpipe-impose-") as tmp:
        source, target = Path(tmp) / reading.name, Path(tmp) / reading.name.replace(".pdf", "-print.pdf")
        source.write_bytes(reading.data)
        info = impose(source, target)
        return Rendered(target.name, target.read_bytes(), info)


def render_epub(anthology: Anthology) -> Rendered:
    """The EPUB 3, `<slug>.epub`."""
    from .epub import render_epub as render
    return _render_to_bytes(render, f"{anthology.slug}.epub", anthology)


def validate_epub(epub: Rendered, seconds: int = 0) -> str:
    """EPUBCheck the EPUB; raise ValidationFailed on any fatal, error or warning, or when it runs
    past ``seconds`` (0: a limit that grows with the book, `pubpipe.epubcheck.time_limit`)."""
    from .validate import check_epub
    found = Findings()
    with tempfile.TemporaryDirectory(prefix="pubpipe-epubcheck-") as tmp:
        path = Path(tmp) / epub.name
        path.write_bytes(epub.data)
        check_epub(path, found, timeout=seconds)
    if found.errors:
        raise ValidationFailed("; ".join(found.errors))
    return found.passed[0]


def write(rendered: Rendered, staging: Path) -> Path:
    """Write a rendered file into the staging folder (never skipped by a cache hit)."""
    path = Path(staging) / rendered.name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.data)
    return path


def web_site(anthology: Anthology, base_url: str = "") -> tuple:
    """(Site, cover PNG): what every web page shares (see `pubpipe.web.Site`)."""
    from .web import site_of
    return site_of(anthology, base_url)


WEB_TASKS = 20
"""At most this many web-page tasks: up to 20 stories, a task per story (a changed story re-renders
only its own page); beyond, the stories are shared out evenly, so that a large collection is not
thousands of task runs (each costs more in orchestration than the milliseconds of its page)."""
WEB_BATCH = 0
"""A fixed number of stories per task instead (0: from WEB_TASKS)."""


def web_batches(site, anthology: Anthology, size: int = 0) -> list:
    """The stories' page inputs, (story, previous, next) each, in `StoryBatch`es of `size`
    stories (default: WEB_BATCH, else as many as WEB_TASKS allows), in order: `web_batch`'s inputs."""
    from .web import StoryBatch, neighbour
    stories = anthology.stories
    size = size or WEB_BATCH or max(1, -(-len(stories) // WEB_TASKS))
    items = [(story, neighbour(site, stories[i - 1] if i else None),
              neighbour(site, stories[i + 1] if i + 1 < len(stories) else None)) for i, story in enumerate(stories)]
    return [StoryBatch(tuple(items[i:i + size])) for i in range(0, len(items), size)]


def web_batch(site, batch) -> list:
    """The web page and snippet (`StoryWeb`) of each story of a `StoryBatch`: cached per batch."""
    from .web import story_web
    return [story_web(site, story, prev, next_) for story, prev, next_ in batch.items]


def _downloads(pdf: Rendered, epub: Rendered) -> list:
    from .web import Download
    return [Download("pdf", pdf.name, len(pdf.data), pdf.info.pages),
            Download("epub", epub.name, len(epub.data), None)]


def write_web(anthology: Anthology, site, cover: bytes, batches: list, staging: Path, pdf: Rendered,
              epub: Rendered) -> list:
    """Write the web folder from the rendered batches of story pages, with the downloads' real sizes."""
    from .web import write_web as write_all
    pieces = [piece for batch in batches for piece in batch]
    return write_all(anthology, site, cover, pieces, Path(staging) / "web", _downloads(pdf, epub))


def render_web(anthology: Anthology, staging: Path, pdf: Rendered, epub: Rendered, base_url: str = "") -> list:
    """The web folder in one call (the flow runs the same steps as separate tasks)."""
    site, cover = web_site(anthology, base_url)
    batches = [web_batch(site, batch) for batch in web_batches(site, anthology)]
    return write_web(anthology, site, cover, batches, staging, pdf, epub)


def outputs_table(staging: Path, anthology: Anthology, pdf: Rendered, printed: Rendered) -> dict:
    """File name -> size and page count, for the report, the CLI and the Prefect artifact."""
    staging = Path(staging)
    pages = {pdf.name: pdf.info.pages, printed.name: printed.info.pages_padded // 2}
    names = ["anthology.json", pdf.name, printed.name, f"{anthology.slug}.epub",
             "web/index.html", "web/snippets.json", "web/feed.xml", "report.md"]
    return {n: {"size": (staging / n).stat().st_size, "pages": pages.get(n)} for n in names if (staging / n).exists()}


def finish(staging: Path, anthology: Anthology, ingested, pdf: Rendered, printed: Rendered, epub_check: str,
           edited: list = ()) -> dict:
    """Write the report, validate the whole staging folder; raise ValidationFailed if anything is wrong.

    `edited`: sources changed on disk while the build ran (it used the bytes read at its start)."""
    info = printed.info
    printing = {"print_name": printed.name, "sheets": info.pages_padded // 4,
                "pages": info.pages_padded, "blanks": info.pages_padded - info.pages_in,
                "signatures": info.signatures}
    report = dict(problems=ingested.problems, printing=printing, edited=tuple(edited))
    write_report(staging, anthology, outputs_table(staging, anthology, pdf, printed), validation=(epub_check,), **report)
    found = check_output(Path(staging), run_epubcheck=False)
    if found.errors:
        raise ValidationFailed("output failed validation: " + "; ".join(found.errors))
    write_report(staging, anthology, outputs_table(staging, anthology, pdf, printed),
                 validation=(epub_check, *found.passed), **report)
    return outputs_table(staging, anthology, pdf, printed)


def result(output: Path, outputs: dict, ingested, edited: list = ()) -> BuildResult:
    """The build's result: exit code 1 when some sources had problems (errors), else 0; files
    skipped with a warning (editor backups, duplicates) are listed apart and leave the code alone."""
    errors = tuple(p for p in ingested.problems if p.is_error)
    warnings = tuple(p for p in ingested.problems if not p.is_error)
    return BuildResult(1 if errors else 0, str(output), outputs, errors, edited=tuple(edited), warnings=warnings)
