"""The publish flow: sources in, every output of the contract out. It reads as the list of stages.

Each task calls one plain function of the pubpipe library; no logic lives here.
(No ``from __future__ import annotations``: it breaks the pydantic parameters of served deployments.)
"""

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from pubpipe import build, publish as publishing, stages

# Stages run once per build; incremental caching is configured per task in a later step.
stage = task(cache_policy=NO_CACHE)

load_settings = stage(stages.load_settings, name="settings")
ingest = stage(stages.ingest, name="ingest")
clean = stage(stages.clean, name="clean")
structure = stage(stages.structure, name="structure")
write_anthology = stage(stages.write_anthology, name="anthology.json")
render_pdf = stage(build.render_pdf, name="render PDF")
impose_pdf = stage(build.impose_pdf, name="impose print PDF")
render_epub = stage(build.render_epub, name="render EPUB")
validate_epub = stage(build.validate_epub, name="EPUBCheck")
render_web = stage(build.render_web, name="render web")
finish = stage(build.finish, name="report and validate")
swap_in = task(publishing.swap_in, name="publish", retries=2, retry_delay_seconds=1, cache_policy=NO_CACHE)


@flow(name="pubpipe-publish", log_prints=True)
def publish(sources: str = "sources", output: str = "output", config: str = "") -> stages.BuildResult:
    """Build the anthology of `sources` into `output`, using `config` (anthology.toml) if given."""
    settings = load_settings(sources, config or None)
    with publishing.build_lock(output):
        ingested = ingest(sources, settings)
        stages.say_problems(ingested.problems)
        anthology = structure(clean(ingested, settings), ingested, settings)
        staging = publishing.new_staging(output)
        try:
            write_anthology(anthology, staging)
            pdf = render_pdf.submit(anthology, staging)
            epub = render_epub.submit(anthology, staging)
            epub_check = validate_epub.submit(epub)
            printed = impose_pdf.submit(anthology, staging, wait_for=[pdf])
            web = render_web.submit(anthology, staging, pdf, epub)
            outputs = finish(staging, anthology, ingested, pdf.result(), printed.result(),
                             epub_check.result(), wait_for=[web])
            swap_in(staging, output)
        finally:
            publishing.discard(staging)
    return build.result(output, outputs, ingested)
