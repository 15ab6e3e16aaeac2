"""Time each stage of a build as plain functions, in one process, sequentially (no Prefect).

    .venv/bin/python benchmarks/stage_times.py SOURCES OUTPUT [--profile PREFIX]

The same calls the flow's tasks make (flows/publish.py), in its order, each timed with
perf_counter; prints one JSON line: seconds per stage, pages, the process's peak RSS and that of its
children (the EPUBCheck JVM, the PDF's layout processes), and the process's peak RSS after each stage. With ``--profile PREFIX`` the stages run under pyinstrument (a dev
tool: ``.venv/bin/pip install pyinstrument``) and PREFIX.txt / PREFIX.html are written; the times of
a profiled run are not reported as benchmark figures.
"""

import argparse
import json
import resource
import sys
import time

started_process = time.perf_counter()


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

    from pubpipe import build, stages
    from pubpipe.publish import staging, swap_in
    lap("import pubpipe")
    config = stages.load_settings(args.sources, None)
    lap("settings")
    snap = stages.snapshot(args.sources, config)
    lap("read sources")
    ingested = stages.ingest(snap, config)
    lap("ingest")
    cleaned = stages.clean(ingested, config)
    lap("clean")
    anthology = stages.structure(cleaned, ingested, config)
    lap("structure")
    with staging(args.output) as folder:
        stages.write_anthology(anthology, folder)
        lap("write anthology.json")
        pdf = build.render_pdf(anthology)
        lap("render PDF")
        epub = build.render_epub(anthology)
        lap("render EPUB")
        printed = build.impose_pdf(pdf)
        lap("impose print PDF")
        checked = build.validate_epub(epub)
        lap("EPUBCheck")
        for rendered in (pdf, epub, printed):
            build.write(rendered, folder)
        lap("write")
        build.render_web(anthology, folder, pdf, epub)
        lap("render web")
        meanwhile = stages.changed_since(snap)
        lap("sources edited meanwhile?")
        build.finish(folder, anthology, ingested, pdf, printed, checked, meanwhile)
        lap("report and validate")
        swap_in(folder, args.output)
        lap("publish")
    if profiler is not None:
        profiler.stop()
        with open(args.profile + ".txt", "w", encoding="utf-8") as out:
            out.write(profiler.output_text(unicode=True, color=False, show_all=False))
        with open(args.profile + ".html", "w", encoding="utf-8") as out:
            out.write(profiler.output_html())
    total = time.perf_counter() - started_process
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({"stages": times, "total": total, "pages": pdf.info.pages, "stories": len(anthology.stories),
                      "print_sheets": printed.info.pages_padded // 4, "self_mb": me, "children_mb": kids,
                      "peak_mb_after": peaks}))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
