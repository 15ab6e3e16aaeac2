"""Milliseconds per page of the A5 reading edition (pubpipe.render.pdf.reading), and the print imposition.

    .venv/bin/python benchmarks/bench_pdf.py [--sources DIR ...] [--runs 3] [--modes shipped,uncached,untagged]

Each run is a fresh interpreter, as in a build: sources are read and structured (not timed), then
`pubpipe.render.pdf.reading.render` is timed, in one process (HTML, layout, fonts, PDF), then `pubpipe.render.pdf.imposition.render`.
``--sources`` also takes an ``anthology.json``. Modes: ``shipped`` is what builds do (tagged PDF/UA-1 with the page-reference cache of
pubpipe.render.pdf.tags); ``uncached`` is PDF/UA-1 without that cache (pydyf as released); ``untagged``
is a plain PDF. Defaults: the sample sources and the 600 KB corpus (tests/corpus/sources).
Appends a section to benchmarks/RESULTS.md. Not a test: CI does not time anything.
"""

import argparse
import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results import append, machine  # noqa: E402 (after the path is set)
MODES = {
    "shipped": "",
    # (reading takes both from pubpipe.render.pdf.tags as it lays out: patched there)
    "uncached": "from pubpipe.render.pdf import tags; tags.speed_up_page_references = lambda: False",
    "untagged": "from pubpipe.render.pdf import tags; tags.VARIANT = None",
}
WORKER = """
import json, sys, time
from pathlib import Path
from pubpipe import pipeline
from pubpipe.render.pdf import imposition as impose, reading as pdf
from pubpipe.model import Anthology
from pubpipe.render import write
sources, out = sys.argv[1], Path(sys.argv[2])
if sources.endswith(".json"):  # an anthology.json from an earlier build
    anthology = Anthology.from_dict(json.loads(Path(sources).read_text(encoding="utf-8")))
else:
    anthology = pipeline.recover(sources)
here = pdf.Layout(here=True)  # one layout in this process: the modes' patches reach it
{setup}
started = time.perf_counter()
reading = pdf.render(anthology, layout=here)
write(reading, out)
rendered = time.perf_counter()
write(impose.render(reading, here), out)
print(json.dumps({{"pages": reading.info.pages, "render": rendered - started,
                  "impose": time.perf_counter() - rendered}}))
"""


def one_run(sources: Path, mode: str) -> dict:
    """Render and impose ``sources`` once in a fresh interpreter; seconds and pages."""
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
        done = subprocess.run([sys.executable, "-c", WORKER.format(setup=MODES[mode]), str(sources), tmp],
                              check=True, capture_output=True, text=True, env=env)
    return json.loads(done.stdout.strip().splitlines()[-1])


def versions() -> str:
    """Python and the libraries that decide the render time."""
    from weasyprint.text.ffi import pango
    names = ("weasyprint", "pydyf", "fonttools", "pypdf")
    parts = [f"Python {platform.python_version()}"] + [f"{n} {version(n)}" for n in names]
    major, rest = divmod(pango.pango_version(), 10000)  # 15012 -> 1.50.12
    return " · ".join(parts + [f"Pango {major}.{rest // 100}.{rest % 100}"])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", action="append",
                        help="sources folder or anthology.json (repeatable); "
                             "default: sources/ and tests/corpus/sources/")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    folders = [Path(s).resolve() for s in (args.sources or [ROOT / "sources", ROOT / "tests/corpus/sources"])]
    rows = []
    for folder in folders:
        for mode in args.modes.split(","):
            runs = [one_run(folder, mode) for _ in range(args.runs)]
            pages = runs[0]["pages"]
            render = statistics.median(r["render"] for r in runs)
            imposing = statistics.median(r["impose"] for r in runs)
            rows.append(f"| {folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder} | {mode} "
                        f"| {pages} | {render:.2f} | {1000 * render / pages:.1f} | {imposing:.2f} |")
            print(rows[-1], flush=True)
    lines = [f"\n## PDF reading edition: ms per page — {datetime.date.today()}",
             f"{machine()} · {versions()} · median of {args.runs} fresh processes", "",
             "| sources | mode | pages | render s | ms/page | impose s |",
             "| --- | --- | --- | --- | --- | --- |", *rows]
    append("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
