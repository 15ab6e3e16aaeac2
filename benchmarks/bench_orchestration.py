"""Orchestration overhead: `pubpipe build` (the Prefect flow on the embedded default) against the
same stages called as plain functions, cold and with an unchanged rebuild.

    .venv/bin/python benchmarks/bench_orchestration.py [--sources sources] [--runs 3]

Appends a section to benchmarks/RESULTS.md. Not a test: CI does not time anything.
"""

import argparse
import datetime
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BIN = Path(sys.executable).parent
sys.path.insert(0, str(HERE))
from results import append, machine  # noqa: E402 (after the path is set)


def plain(sources: Path, output: Path) -> float:
    """`pubpipe.pipeline.build` with its default runner: the stages as plain functions, in one process
    (no Prefect; the renderers side by side on threads, as the flow runs them)."""
    code = f"""
import time
t = time.perf_counter()
from pubpipe import pipeline
pipeline.build({str(sources)!r}, {str(output)!r}, force=True)
print(time.perf_counter() - t)
"""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True)
    return time.perf_counter() - started


def flow(sources: Path, output: Path, env: dict) -> float:
    started = time.perf_counter()
    subprocess.run([str(BIN / "pubpipe"), "build", "--sources", str(sources), "--output", str(output)],
                   check=True, capture_output=True, env=env)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sources", default=str(ROOT / "sources"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sources = Path(args.sources).resolve()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "PREFECT_HOME": str(Path(tmp) / "home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
        env.pop("PREFECT_API_URL", None)
        plain_times = [plain(sources, Path(tmp) / f"plain{i}") for i in range(args.runs)]
        cold = []
        for i in range(args.runs):
            shutil.rmtree(Path(tmp) / "home", ignore_errors=True)
            cold.append(flow(sources, Path(tmp) / f"cold{i}", env))
        warm = [flow(sources, Path(tmp) / "warm", env) for _ in range(args.runs)]
        missed = []
        for i in range(args.runs):  # the task cache emptied, the Prefect database kept
            shutil.rmtree(Path(tmp) / "home" / "storage", ignore_errors=True)
            missed.append(flow(sources, Path(tmp) / f"missed{i}", env))
        server_only = []
        for _ in range(args.runs):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-c", "from prefect import flow\nflow(lambda: None)()"], env=env, check=True,
                           capture_output=True)
            server_only.append(time.perf_counter() - started)
    med = statistics.median
    rows = [("stages as plain functions (sequential)", med(plain_times)),
            ("`pubpipe build`, fresh PREFECT_HOME (cold cache, migrations)", med(cold)),
            ("`pubpipe build`, empty task cache, existing PREFECT_HOME", med(missed)),
            ("`pubpipe build`, unchanged rebuild (cache hits)", med(warm)),
            ("an empty Prefect flow on Prefect's own temporary server (start and stop)", med(server_only))]
    lines = [f"\n## Orchestration overhead — {datetime.date.today()}",
             f"{machine()} · Python {platform.python_version()} · "
             f"sources: {sources.name} · median of {args.runs}", "", "| run | seconds |", "| --- | --- |"]
    lines += [f"| {name} | {seconds:.1f} |" for name, seconds in rows]
    append("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
