"""Peak memory of the whole process tree of one cold ``pubpipe build`` at N stories (issue 19: < 1 GB
at 1,000 stories), on the embedded default (the local Prefect server the build starts is its child,
so it is in the tree while the build runs).

    nice -n 5 .venv/bin/python benchmarks/peak_memory.py --stories 1000 --out /tmp/pubpipe-mem

The tree's RSS (the build, its layout processes, the Prefect server, EPUBCheck's JVM) is sampled
every 0.2 s (benchmarks/measure.py); prints the peak (and the peak of the tree's PSS, which counts
a page shared by several processes — a forked helper's, a shared library's — once in all, not once
in each), the peak per kind of process, what was running
at the moment of the peak, and the CPU seconds of the tree; writes the samples to OUT/series.json.
Not a test: nothing here is timed by CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import corpus  # noqa: E402
import measure  # noqa: E402

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--out", required=True, help="work folder (its sources are kept between runs)")
    parser.add_argument("--interval", type=float, default=0.2)
    args = parser.parse_args()
    out = Path(args.out)
    if not (out / "sources").is_dir():
        print(json.dumps(corpus.generate(out, args.stories)), flush=True)
    home = out / "home"
    shutil.rmtree(home, ignore_errors=True)
    shutil.rmtree(out / "output", ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", SOURCE_DATE_EPOCH="1700000000",
               PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    # No EPUBCheck service left warm by another build: this build starts its own (in its tree).
    subprocess.run([str(BIN / "pubpipe"), "server", "stop", "--force"], env=env, capture_output=True)
    series: list = []
    load = os.getloadavg()
    measure.subreaper()
    cpu0, kept0 = os.times(), measure.kept_cpu()
    m = measure.run([str(BIN / "pubpipe"), "build", "--sources", str(out / "sources"), "--output",
                     str(out / "output")], env=env, interval=args.interval, series=series, pss=True)
    measure.reap_children()
    cpu1, kept1 = os.times(), measure.kept_cpu()
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    cpu += sum(c - kept0.get(pid, 0.0) for pid, c in kept1.items())  # the local server, the EPUBCheck service
    subprocess.run([str(BIN / "pubpipe"), "server", "stop", "--force"], env=env, capture_output=True)
    at, kinds = max(series, key=lambda s: sum(s[1].values())) if series else (0, {})
    result = {"stories": args.stories, "exit": m.returncode, "wall_s": round(m.seconds, 1), "cpu_s": round(cpu, 1),
              "load_before": load, "load_after": os.getloadavg(), "tree_peak_mb": round(m.tree_peak_mb),
              "tree_peak_pss_mb": round(m.tree_peak_pss_mb),
              "largest_process_mb": round(m.max_process_mb), "peak_per_kind_mb": {k: round(v) for k, v in m.parts_peak_mb.items()},
              "at_peak": {"seconds": round(at, 1), "mb": {k: round(v) for k, v in kinds.items()}}}
    (out / "series.json").write_text(json.dumps({"result": result, "series": series}) + "\n", encoding="utf-8")
    print(json.dumps(result), flush=True)
    if m.returncode not in (0, 1):
        print(m.stderr[-3000:], file=sys.stderr)


if __name__ == "__main__":
    main()
