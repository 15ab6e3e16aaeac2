"""The publish flow: `pubpipe.pipeline.build` with each of its steps a Prefect task.

What this file adds to the pipeline is orchestration only: which steps are cached on content
(pubpipe.cache: parsing and rendering; writing files never is), which are retried (transient
I/O), their names and progress hooks, and a runner (`Tasks`) that hands each step to its task.
Big arguments (sources, models, pages) go in as ``opaque(...)``: Prefect still resolves them and
records which task made them, but does not walk every block of every story looking for futures
(at 100 stories that walk cost seconds per build, most of an unchanged `--force` rebuild). (No
``from __future__ import annotations``: it breaks the pydantic parameters of served deployments.)
"""

import errno
import inspect
import threading
from concurrent.futures import Future
from types import SimpleNamespace
from pathlib import Path
from typing import Optional

from prefect import flow, runtime, task
from prefect.cache_policies import NO_CACHE
from prefect.futures import PrefectFuture
from prefect.utilities.annotations import opaque

from pubpipe import pipeline, render
from pubpipe.recover import steps
from pubpipe.read import intake
from pubpipe.publish.result import BuildResult
from pubpipe.orchestrate import artifacts, framestack, heartbeat
from pubpipe.render.epub import book as epub
from pubpipe.render.pdf import imposition as impose
from pubpipe.publish import manifest
from pubpipe.render.pdf import reading as pdf
from pubpipe.orchestrate import progress
from pubpipe.publish import summary
from pubpipe.publish import swap
from pubpipe.orchestrate import timeline
from pubpipe.publish import validate
from pubpipe.render.web import site as web
from pubpipe.cache import content_key
from pubpipe.errors import PubpipeError
from pubpipe.orchestrate.runner import done, in_thread

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
    """A task hook that emits a progress event (pubpipe.orchestrate.progress) when the task's state changes."""
    return lambda task, run, state: progress.emit(event, **data)


def _part_done(task, run, state) -> None:
    laid_out = state.result()
    progress.emit("pdf-part", pages=getattr(laid_out, "pages", 0))


def _kind(**options):
    """A kind of task: ``kind(fn, name=…)`` makes ``fn`` a task with ``options``, its runs recorded on
    the build's timeline (`pubpipe.orchestrate.timeline`: only when a benchmark asks for one)."""
    return lambda fn, name, **more: task(timeline.traced(framestack.roomy(fn), name), name=name, **options, **more)


cached = _kind(cache_key_fn=content_key, persist_result=True)
step = _kind(cache_policy=NO_CACHE)
io = _kind(cache_policy=NO_CACHE, retries=2, retry_delay_seconds=1, retry_condition_fn=_io_error)

pdf_front = cached(pdf.lay_out_front, name="PDF: front matter")
pdf_sheet = cached(pdf.lay_out_sheet, name="PDF: folio sheet")


def _bind_pdf(anthology, laid_out, back, layout, guess=None):
    """pdf.bind with the front matter and the folio sheet as cached tasks of their own."""
    return pdf.bind(anthology, laid_out, back, layout, guess, front=pdf_front, sheet=pdf_sheet)


TASKS = {
    intake.load_settings: step(intake.load_settings, name="settings"),
    swap.refuse_unsafe_output: step(swap.refuse_unsafe_output, name="output folder safe to replace?"),
    intake.snapshot: io(intake.snapshot, name="read sources"),
    manifest.build_key: step(manifest.build_key, name="build key"),
    manifest.already_published: step(manifest.already_published, name="already published?"),
    intake.ingest: cached(intake.ingest, name="ingest"),
    steps.clean: cached(steps.clean, name="clean"),
    steps.structure: cached(steps.structure, name="structure"),
    pdf.lay_out_part: cached(pdf.lay_out_part, name="PDF: lay out part", on_completion=[_part_done]),
    pdf.lay_out_back: cached(pdf.lay_out_back, name="PDF: back matter"),
    pdf.bind: cached(_bind_pdf, name="render PDF"),
    summary.note_placeholders: step(summary.note_placeholders, name="name characters no font can show"),
    impose.render: cached(impose.render, name="impose print PDF"),
    epub.render: cached(epub.render, name="render EPUB"),
    validate.check_rendered_epub: cached(validate.check_rendered_epub, name="EPUBCheck",
                                         on_running=[_says("validator", name="EPUBCheck", state="running")],
                                         on_completion=[_says("validator", name="EPUBCheck", state="done")]),
    web.site_of: cached(web.site_of, name="web: site"),
    web.render_batch: cached(web.render_batch, name="web: story pages"),
    web.assemble: step(web.assemble, name="web: assemble"),
    render.write: io(render.write, name="write"),
    summary.write_anthology: io(summary.write_anthology, name="write anthology.json"),
    intake.changed_since: step(intake.changed_since, name="sources edited meanwhile?"),
    summary.report_and_validate: step(summary.report_and_validate, name="report and validate"),
    manifest.write_manifest: io(manifest.write_manifest, name="record what was published"),
    swap.swap_in: io(swap.swap_in, name="publish"),
}
"""Each step of pubpipe.pipeline (and of the renderers it calls) -> its task."""
leave_artifacts = step(artifacts.publish_artifacts, name="artifacts")


def _input(value):
    """A task argument: a future of a ``spawn`` waited for; anything big made `opaque` (a list
    item by item, so that Prefect still resolves the futures in it)."""
    if isinstance(value, Future):
        value = value.result()
    if isinstance(value, list):
        return [_input(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool, bytes, Path, tuple)):
        return value
    return opaque(value)


class Tasks:
    """The runner (`pubpipe.orchestrate.runner`) of the publish flow: each step runs as its task in `TASKS`,
    submitted ones on the flow's task runner; batches given a ``cluster`` on that Dask cluster
    (prefect-dask's DaskTaskRunner: "local" for a LocalCluster here, else a scheduler address)."""

    def task(self, step_):
        try:
            return TASKS[step_]
        except KeyError:
            raise PubpipeError(f"flows/publish.py has no task for the step {step_.__module__}.{step_.__qualname__}: "
                               "add one to TASKS") from None

    def call(self, step_, *args):
        return self.task(step_)(*[_input(a) for a in args])

    def submit(self, step_, *args) -> PrefectFuture:
        return self.task(step_).submit(*[_input(a) for a in args])

    def map(self, step_, calls, cluster: str = "") -> list:
        if not cluster:
            return [self.submit(step_, *args) for args in calls]
        from prefect_dask import DaskTaskRunner
        runner = DaskTaskRunner() if cluster == "local" else DaskTaskRunner(address=cluster)
        signature = inspect.signature(step_)
        with runner:
            # Plain values here: prefect-dask hands annotations to its workers still wrapped.
            futures = [runner.submit(self.task(step_), dict(signature.bind(*args).arguments)) for args in calls]
            return [done(future.result()) for future in futures]

    def spawn(self, compose, *args, **options) -> Future:
        return in_thread(compose, *args, **options)


def lay_out_ahead(recovered: Optional[Future]) -> None:
    """Once the stories recovered ahead of the flow (``recovered``: the future of
    `pubpipe.recover.steps.ahead`, from `pubpipe build`) are there, start laying out the pieces of
    the book whose layout this flow will not find in its task cache (`pubpipe.render.pdf.reading.lay_out_ahead`:
    only when they are few, a story or two changed), on a thread of its own: the layout starts while
    the flow is at its first steps, not after them (issue 19). Nothing is started for a recovery that
    failed or found no story (the flow says why), nor where the task cache is not a local folder."""
    if recovered is not None:
        threading.Thread(target=_lay_out_ahead, args=(recovered,), name="layout-ahead", daemon=True).start()


def _lay_out_ahead(recovered: Future) -> None:
    try:
        got = recovered.result()
    except BaseException:  # (the flow meets it again)
        return
    if got is not None:
        anthology, recto = got
        cached = _cached_piece(recto, pdf.Layout())
        if cached is not None:
            pdf.lay_out_ahead(anthology, recto, pdf.Layout(), cached)


def _cached_piece(recto: bool, layout):
    """``cached(piece, missing, runs_on, verso)``: the pages of a piece whose layout the flow's task
    *PDF: lay out part* will find in its cache (a result under the task's cache key, `content_key` as
    the task computes it, in the local result storage, PREFECT_LOCAL_STORAGE_PATH), else None; None
    itself where the results are kept elsewhere (a storage block: nothing is known)."""
    from prefect.results import ResultRecord
    from prefect.settings import get_current_settings
    results = get_current_settings().results
    if results.default_storage_block is not None:
        return None
    folder = Path(results.local_storage_path).expanduser()
    named = SimpleNamespace(task=TASKS[pdf.lay_out_part])

    def cached(piece, missing, runs_on: bool, verso: bool):
        # The parameters as the task's run binds them (their names from the step's signature).
        bound = inspect.signature(pdf.lay_out_part).bind(piece, missing, recto, layout, runs_on, verso)
        key = content_key(named, dict(bound.arguments))
        try:
            return ResultRecord.deserialize((folder / key).read_bytes()).result.pages
        except Exception:  # none, or one the flow cannot read either: laid out again
            return None
    return cached


@flow(name="pubpipe-publish", log_prints=True)
def publish(sources: str = "sources", output: str = "output", config: str = "", force: bool = False,
            dask: Optional[str] = None, layout: Optional[pdf.Layout] = None) -> BuildResult:
    """Build the anthology of `sources` into `output`, using `config` (anthology.toml) if given;
    with `force` (``pubpipe build --force``) even when it is up to date; `dask`: the Dask cluster of
    the story pages, in place of anthology.toml's (see `pubpipe.config.Config.dask`); `layout`: how
    and where the PDF is laid out (`pubpipe.render.pdf.reading.Layout`; default: as every build)."""
    progress.emit("flow-run", id=runtime.flow_run.id)
    with heartbeat.beating():  # (only when `pubpipe build` turned Prefect's own off: pubpipe.orchestrate.heartbeat)
        result = pipeline.build(sources, output, config or None, force=force, dask=dask, layout=layout, run=Tasks())
        leave_artifacts(output, result.outputs)
    return result
