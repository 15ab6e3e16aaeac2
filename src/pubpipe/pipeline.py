"""The build, top to bottom: sources in, every output of the contract published.

`build` is the whole of it, in the order it happens; `recover` is its first half (the model from
the sources) for tests and benchmarks. Each step is a plain function of pubpipe called through a
runner (`pubpipe.orchestrate.runner`): `Local` calls them in this process; the Prefect flow
(flows/publish.py) passes one that runs each step as its task, cached, retried and shown in the
Prefect UI — the flow adds nothing else.
"""

import threading
from dataclasses import replace
from typing import Optional

from pubpipe import render
from pubpipe.recover import steps
from pubpipe.read import intake
from pubpipe.render.epub import book as epub
from pubpipe.render.pdf import imposition as impose
from pubpipe.publish import checkservice
from pubpipe.publish import manifest
from pubpipe.render.pdf import reading as pdf
from pubpipe.orchestrate import processes
from pubpipe.orchestrate import progress
from pubpipe.publish import summary
from pubpipe.publish import swap
from pubpipe.publish import validate
from pubpipe.render.web import site as web
from .config import Config
from .model import Anthology
from pubpipe.render.pdf.glyphs import CODE as MISSING_GLYPH
from pubpipe.orchestrate.runner import Local, resolve
from pubpipe.publish.result import BuildResult


def build(sources, output, config: Optional[str] = None, *, force: bool = False, dask: Optional[str] = None,
          layout: Optional[pdf.Layout] = None, run=None) -> BuildResult:
    """Build the anthology of the folder ``sources`` into the folder ``output`` (replaced whole, and
    only once everything validated), with ``config`` (anthology.toml; default: the one beside the
    sources). Unless ``force``, an output that already holds what this build would publish is left
    alone and its build's result returned. ``dask``: the Dask cluster of the story pages, in place
    of the config's (`Config.dask`; "": none). ``layout``: how and where the PDF is laid out
    (`pubpipe.render.pdf.reading.Layout`; default: as every build). ``run``: the runner of the
    steps (default: `Local`)."""
    run = run or Local()
    layout = layout or pdf.Layout()
    sources, output = str(sources), str(output)
    settings = run.call(intake.load_settings, sources, config)
    if dask is not None:
        settings = replace(settings, dask=dask.strip())
    run.call(swap.refuse_unsafe_output, output, sources, settings.path)
    with swap.build_lock(output):
        progress.emit("stage", name="reading sources")
        snapshot = run.call(intake.snapshot, sources, settings)
        key = run.call(manifest.build_key, snapshot, settings, layout)
        done = None if force else run.call(manifest.already_published, output, key)
        if done is not None:  # the output already holds exactly what this build would publish
            return done
        cooled = []

        def cool_down(ingested):
            """A book of `processes.FRESH_FROM_PAGES` pages or more: its layout processes retired
            while the stories are recovered (the recovery process and its helper hold the most
            then; issue 19's memory) and warmed again after. A shorter one: the EPUBCheck service
            started, or found warm (a long book's EPUB is checked in a JVM of its own, which ends
            with the check: `checkservice.takes`)."""
            if _long(ingested):
                processes.retire_layout_processes_soon()
                cooled.append(True)
            else:
                checkservice.warm()
                processes.warm_up(processes.LAYOUT_MODULE)  # (not started yet if the sources' bytes looked long)
        if not layout.here:  # the layout processes start on the other core while the stories are recovered
            # (started already by `pubpipe build`: a run of a deployment starts them here), unless
            # the sources' bytes say the book may be long: its recovery holds the most memory. The
            # recovery process's memory goes when the stories are recovered (issue 19).
            processes.start_helpers(layout=not processes.may_be_long(sources))
        try:
            ingested, anthology = _recover(run, snapshot, settings, None if layout.here else cool_down)
        finally:
            processes.retire_recovery_process()
        if cooled:  # (spawned: a fork server would hold its imports beside the parts of a long book)
            processes.warm_up(processes.LAYOUT_MODULE, fork_server=False)
            processes.give_back_memory()
        with swap.staging(output) as folder:
            progress.emit("stage", name="rendering")
            started = threading.Event()  # (set once the PDF's first pieces are in the layout processes)
            reading = run.spawn(pdf.render, anthology, run, recto=settings.stories_open == "recto", layout=layout,
                                started=started)
            # The other renderers start once it is set: the PDF's layout is the critical path, and they
            # shared this process's interpreter with the handing-over of its first pieces (pdf._wait_under_way).
            while not started.wait(0.05) and not reading.done():  # (a runner that ran it already, or never will)
                pass
            book = run.submit(epub.render, anthology)
            checked = run.submit(validate.check_rendered_epub, book, settings.limits.epubcheck_seconds)
            # Imposed once the reading edition is laid out, on a thread of its own: a task submitted
            # here would wait for the PDF first (Prefect resolves a task's inputs as it is submitted),
            # and the web pages below, which need neither, would start only after it.
            printed = run.spawn(_impose, run, reading, layout)
            site = run.spawn(web.render, anthology, [reading, printed, book], base_url=settings.base_url,
                             dask=settings.dask, run=run)
            described = run.submit(summary.write_anthology, anthology, folder)
            ingested = run.call(summary.note_placeholders, anthology, ingested, reading, settings.path)
            summary.say_problems(tuple(p for p in ingested.problems if p.code == MISSING_GLYPH))
            progress.emit("pdf", pages=reading.result().info.pages)
            # each written as soon as it is made (a submit waits for a future argument: the web
            # pages, which wait for the print edition's size, last)
            written = [run.submit(render.write, rendered, folder) for rendered in (reading, book, printed, site)]
            written.append(described)
            meanwhile = run.call(intake.changed_since, snapshot)
            _all_then_first_failure((*written, checked))
            progress.emit("stage", name="validating")
            outputs = run.call(summary.report_and_validate, folder, anthology, ingested, reading, printed, checked,
                               meanwhile, settings.base_url)
            result = summary.result(output, outputs, ingested, meanwhile)
            run.call(manifest.write_manifest, folder, key, result)
            progress.emit("stage", name="publishing")
            run.call(swap.swap_in, folder, output)
    return result


CHARS_PER_PAGE = processes.CHARS_PER_PAGE


def _long(ingested) -> bool:
    """Whether the sources read (``ingested``) may make a book of `processes.FRESH_FROM_PAGES` pages
    or more (a guess, `CHARS_PER_PAGE`: wrong, it costs a second or two, never a wrong output)."""
    chars = sum(len(line.text) for source in ingested.sources for line in source.lines)
    return processes.fresh_processes(chars // CHARS_PER_PAGE)


def _impose(run, reading, layout):
    """The print edition (`impose.render`) of the reading edition ``reading`` (a future): the one
    made beside its assembly, if it was (`impose.made_beside`: no step of its own then), else imposed now."""
    made = impose.made_beside(resolve(reading))  # (a runner may hand it over resolved)
    return made if made is not None else run.call(impose.render, reading, layout)


def _all_then_first_failure(pending) -> None:
    """Wait for every one of ``pending``, then raise the first failure among them (a full disk…), not
    a step skipped because of it: a writer still at work when the staging folder is removed would
    make it anew (seen under two test workers)."""
    failure = None
    for step in pending:
        try:
            step.result()
        except Exception as exc:  # kept until every writer has ended
            failure = failure or exc
    if failure is not None:
        raise failure


def recover(sources, config: Optional[Config] = None, run=None) -> Anthology:
    """The anthology of the folder ``sources`` (snapshot, ingest, clean, structure), with
    ``config`` (default: anthology.toml beside the sources, if there is one); raises
    NothingToPublish when no source holds a story. Nothing is written."""
    return ingest_and_recover(sources, config, run)[1]


def ingest_and_recover(sources, config: Optional[Config] = None, run=None) -> tuple:
    """(what ingest read, the anthology) of the folder ``sources``: `recover`'s anthology with
    ingest's result beside it (its problems, each source as read), for tests that check both."""
    run = run or Local()
    settings = config if config is not None else run.call(intake.load_settings, str(sources), None)
    return _recover(run, run.call(intake.snapshot, str(sources), settings), settings)


def _recover(run, snapshot, settings: Config, read=None) -> tuple:
    """(what ingest read, the anthology) from the sources' snapshot: the stages before rendering;
    ``read(ingested)`` called once the sources are read, before the stories are recovered."""
    ingested = run.call(intake.ingest, snapshot, settings)
    if read is not None:
        read(ingested)
    progress.emit("sources", files=len(ingested.sources), problems=len(ingested.problems))
    summary.say_problems(ingested.problems)
    progress.emit("stage", name="recovering stories")
    cleaned = run.call(steps.clean, ingested, settings)
    anthology = run.call(steps.structure, cleaned, ingested, settings)
    progress.emit("stories", count=len(anthology.stories))
    return ingested, anthology

