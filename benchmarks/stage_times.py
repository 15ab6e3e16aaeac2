"""Time each stage of a build as plain functions, in one process, sequentially (no Prefect).

    .venv/bin/python benchmarks/stage_times.py SOURCES OUTPUT [--profile PREFIX]

`pubpipe.pipeline.build` (what the flow runs) with a runner that runs its steps one after another,
each timed with perf_counter (the PDF's parts still side by side, in the layout processes); prints one JSON line: seconds per stage, pages, the process's peak RSS and that of its
children (the EPUBCheck JVM, the PDF's layout processes), and the process's peak RSS after each stage. With ``--profile PREFIX`` the stages run under pyinstrument (a dev
tool: ``.venv/bin/pip install pyinstrument``) and PREFIX.txt / PREFIX.html are written; the times of
a profiled run are not reported as benchmark figures.
"""

import argparse
import json
import resource
import sys
import time
from pathlib import Path

started_process = time.perf_counter()


LABELS = {
    "load_settings": "settings", "refuse_unsafe_output": "output folder safe to replace?",
    "snapshot": "read sources", "build_key": "build key", "write_anthology": "write anthology.json",
    "pdf.render": "render PDF", "epub.render": "render EPUB", "impose.render": "impose print PDF",
    "check_rendered_epub": "EPUBCheck", "write": "write", "web.render": "render web",
    "note_placeholders": "name characters no font can show", "changed_since": "sources edited meanwhile?",
    "report_and_validate": "report and validate", "write_manifest": "record what was published",
    "swap_in": "publish",
}
"""Step (its name, or module.name for the renderers' entry points) -> the label reported."""


class Timed:
    """A runner (`pubpipe.orchestrate.runner`) that runs the pipeline's steps one after another in this
    process, each timed (``lap(label)`` when it ends); the steps a renderer calls itself (the
    PDF's parts, the web's batches) run as `Local` runs them, side by side, inside their
    renderer's time."""

    def __init__(self, lap):
        from pubpipe.orchestrate.runner import Local
        self.lap, self.inner, self.depth = lap, Local(), 0

    def _timed(self, step, *args, **options):
        from pubpipe.orchestrate.runner import resolve
        name = step.__name__ if step.__name__ != "render" else f"{step.__module__.rsplit('.', 1)[-1]}.render"
        self.depth += 1
        try:
            return step(*[resolve(a) for a in args], **options)
        finally:
            self.depth -= 1
            self.lap(LABELS.get(name, name))

    def call(self, step, *args):
        return self.inner.call(step, *args) if self.depth else self._timed(step, *args)

    def submit(self, step, *args):
        from pubpipe.orchestrate.runner import done
        return self.inner.submit(step, *args) if self.depth else done(self._timed(step, *args))

    def map(self, step, calls, cluster=""):
        return [self.submit(step, *args) for args in calls]

    def spawn(self, compose, *args, **options):
        from pubpipe.orchestrate.runner import done
        return done(self._timed(compose, *args, **options))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("sources")
    parser.add_argument("output")
    parser.add_argument("--profile", default="")
    args = parser.parse_args()
    profiler = None
    if args.profile:
        from pyinstrument import Profiler
        profiler = Profiler(interval=0.002)
        profiler.start()
    times: dict = {}
    mark = time.perf_counter()

    peaks: dict = {}

    def lap(name: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        times[name] = times.get(name, 0.0) + now - mark
        peaks[name] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # the peak so far, MB
        mark = now

    from pubpipe import pipeline
    lap("import pubpipe")
    result = pipeline.build(args.sources, args.output, force=True, run=Timed(lap))
    if profiler is not None:
        profiler.stop()
        with open(args.profile + ".txt", "w", encoding="utf-8") as out:
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
        with open(args.profile + ".html", "w", encoding="utf-8") as out:
            out.write(profiler.output_html())
    total = time.perf_counter() - started_process
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    anthology = json.loads((Path(args.output) / "anthology.json").read_text(encoding="utf-8"))
    pdf, printed = (result.outputs[f"{anthology['slug']}{end}"] for end in (".pdf", "-print.pdf"))
    print(json.dumps({"stages": times, "total": total, "pages": pdf["pages"], "stories": len(anthology["stories"]),
                      "print_sheets": printed["pages"] // 2, "self_mb": me, "children_mb": kids,
                      "peak_mb_after": peaks}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
