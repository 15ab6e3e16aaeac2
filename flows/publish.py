"""The publish flow: sources in, every output of the contract out. It reads as the list of stages.

Each task calls one plain function of the pubpipe library; no logic lives here. Big arguments
(sources, models, pages) go in as ``opaque(...)``: Prefect still resolves them and records which
task made them, but does not walk every block of every story looking for futures (at 100 stories
that walk cost seconds per build, most of an unchanged `--force` rebuild). Parsing and
rendering are cached on content (pubpipe.cache): an unchanged rebuild skips them, while writing
files never is. (No ``from __future__ import annotations``: it breaks the pydantic parameters of
served deployments.)
"""

import errno

from prefect import flow, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import wait
from prefect.utilities.annotations import opaque

from pubpipe import artifacts, build, manifest, progress, publish as publishing, stages
from pubpipe.cache import content_key
from pubpipe.pdfglyphs import CODE as MISSING_GLYPH

TRANSIENT = {errno.EAGAIN, errno.EINTR, errno.EBUSY, errno.ETIMEDOUT, errno.ESTALE, errno.EIO}


def _io_error(task, task_run, state) -> bool:
    """Retry only transient I/O failures: never bad input, a full disk or a refused permission."""
    try:
        state.result()
    except OSError as exc:
        return exc.errno in TRANSIENT
    except Exception:
        return False
    return False


def _says(event: str, **data):
    """A task hook that emits a progress event (pubpipe.progress) when the task's state changes."""
    return lambda task, run, state: progress.emit(event, **data)


def _part_done(task, run, state) -> None:
    laid_out = state.result()
    progress.emit("pdf-part", pages=getattr(laid_out, "pages", 0))


cached = task(cache_key_fn=content_key, persist_result=True)
step = task(cache_policy=NO_CACHE)
io = task(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, retry_condition_fn=_io_error)

settings = step(stages.load_settings, name="settings")
snapshot = io(stages.snapshot, name="read sources")
ingest = cached(stages.ingest, name="ingest")
clean = cached(stages.clean, name="clean")
structure = cached(stages.structure, name="structure")
pdf_part = cached(build.render_pdf_part, name="PDF: lay out part", on_completion=[_part_done])
pdf_front = cached(build.render_pdf_front, name="PDF: front matter")
pdf_sheet = cached(build.render_pdf_sheet, name="PDF: folio sheet")


def _assemble_pdf(anthology, laid_out):
    """build.assemble_pdf with the front matter and the folio sheet as cached tasks of their own."""
    return build.assemble_pdf(anthology, laid_out, pdf_front, pdf_sheet)


render_pdf = cached(_assemble_pdf, name="render PDF")
note_placeholders = step(build.note_placeholders, name="name characters no font can show")
impose_pdf = cached(build.impose_pdf, name="impose print PDF")
render_epub = cached(build.render_epub, name="render EPUB")
epubcheck = cached(build.validate_epub, name="EPUBCheck", on_running=[_says("validator", name="EPUBCheck", state="running")],
                   on_completion=[_says("validator", name="EPUBCheck", state="done")])
write = io(build.write, name="write")
write_anthology = io(stages.write_anthology, name="write anthology.json")
web_site = cached(build.web_site, name="web: site")
web_batch = cached(build.web_batch, name="web: story pages")
write_web = io(build.write_web, name="web: write")
finish = step(build.finish, name="report and validate")
edited = step(stages.changed_since, name="sources edited meanwhile?")
swap_in = io(publishing.swap_in, name="publish")
refuse_unsafe_output = step(publishing.refuse_unsafe_output, name="output folder safe to replace?")
build_key = step(manifest.build_key, name="build key")
up_to_date = step(manifest.up_to_date, name="already published?")
record = io(manifest.write_manifest, name="record what was published")
leave_artifacts = step(artifacts.publish_artifacts, name="artifacts")


def render_all(anthology, config_):
    """Submit every renderer of `anthology` (the PDF's parts and their assembly, the EPUB and its
    EPUBCheck, the story pages in batches): they run concurrently, on the flow's threads (the PDF's
    layouts in processes); the story pages on a Dask cluster if configured. Each PDF part is cached
    on its own stories and the characters of them no installed font has (shown as placeholders): a
    changed story, or a font installed for it, lays out only its own part again."""
    progress.emit("stage", name="rendering")
    parts = [pdf_part.submit(opaque(part), build.unshowable(part)) for part in build.pdf_parts(anthology)]
    progress.emit("pdf-parts", count=len(parts))
    pdf, epub = render_pdf.submit(opaque(anthology), parts), render_epub.submit(opaque(anthology))
    checked = epubcheck.submit(epub, config_.limits.epubcheck_seconds)
    site, cover = web_site(opaque(anthology), config_.base_url)
    pages = story_pages(site, build.web_batches(site, anthology), config_.dask)
    return pdf, epub, checked, site, cover, pages


def story_pages(site, batches: list, dask: str) -> list:
    """Each story's page and snippet, one cached task per batch of stories: futures on the flow's
    own threads, or, with `dask` ("local" for a LocalCluster here, else a scheduler address), the
    pages themselves, fanned out to the Dask cluster with prefect-dask's DaskTaskRunner."""
    if not dask:
        return [web_batch.submit(opaque(site), opaque(batch)) for batch in batches]
    from prefect_dask import DaskTaskRunner
    runner = DaskTaskRunner() if dask == "local" else DaskTaskRunner(address=dask)
    with runner:
        # Plain values here: prefect-dask hands annotations to its workers still wrapped.
        futures = [runner.submit(web_batch, {"site": site, "batch": batch}) for batch in batches]
        return [future.result() for future in futures]


@flow(name="pubpipe-publish", log_prints=True)
def publish(sources: str = "sources", output: str = "output", config: str = "") -> stages.BuildResult:
    """Build the anthology of `sources` into `output`, using `config` (anthology.toml) if given."""
    progress.emit("flow-run", id=runtime.flow_run.id)
    config_ = settings(sources, config or None)
    refuse_unsafe_output(output, sources, config_.path)
    with publishing.build_lock(output):
        progress.emit("stage", name="reading sources")
        snap = snapshot(sources, config_)
        key = build_key(opaque(snap), config_)
        done = up_to_date(output, key)
        if done is not None:  # the output already holds exactly what this build would publish
            leave_artifacts(output, done.outputs)
            return done
        ingested = ingest(opaque(snap), config_)
        progress.emit("sources", files=len(ingested.sources), problems=len(ingested.problems))
        stages.say_problems(ingested.problems)
        progress.emit("stage", name="recovering stories")
        cleaned = clean(opaque(ingested), config_)
        anthology = structure(opaque(cleaned), opaque(ingested), config_)
        progress.emit("stories", count=len(anthology.stories))
        with publishing.staging(output) as folder:
            pdf, epub, checked, site, cover, pages = render_all(anthology, config_)
            ingested = note_placeholders(opaque(anthology), opaque(ingested), pdf, config_.path)
            stages.say_problems(tuple(p for p in ingested.problems if p.code == MISSING_GLYPH))
            progress.emit("pdf", pages=pdf.result().info.pages)
            printed = impose_pdf.submit(pdf)
            written = [write_anthology.submit(opaque(anthology), folder)] + [write.submit(f, folder) for f in (pdf, epub, printed)]
            web = write_web.submit(opaque(anthology), opaque(site), cover, [opaque(p) for p in pages], folder, pdf, epub)
            meanwhile = edited(opaque(snap))
            # Every writer ends before the first failure (a full disk…) is raised: one still
            # writing would make the staging folder anew after it is removed.
            wait([web, *written, checked])
            for done in (web, *written, checked):  # the first failure itself, not a skipped step
                done.result()
            progress.emit("stage", name="validating")
            outputs = finish(folder, opaque(anthology), opaque(ingested), pdf.result(), printed.result(), checked.result(),
                             meanwhile)
            result = build.result(output, outputs, ingested, meanwhile)
            record(folder, key, result)
            progress.emit("stage", name="publishing")
            swap_in(folder, output)
        leave_artifacts(output, outputs)
    return result
