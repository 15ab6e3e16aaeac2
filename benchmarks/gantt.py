"""A build's timeline (`pubpipe.orchestrate.timeline`'s spans) as a Markdown table and a text Gantt chart.

    .venv/bin/python benchmarks/gantt.py TIMELINE.jsonl [--t0 UNIX_TIME]

bench_build.py records a timeline for its cold builds (``PUBPIPE_TIMELINE``) and keeps the spans
in its result JSON; `tables` is what goes into RESULTS.md. Processes are named by role: ``main``
(the `pubpipe build` process: the CLI, the flow and its task threads), ``layout 1``, ``layout 2``…
(the PDF's layout processes, in order of their first span). The EPUBCheck JVM and Prefect's
server are not instrumented: a task waiting on the JVM shows as a span of ``main`` with little CPU.
"""

import argparse
import json
from pathlib import Path

WIDTH = 64
"""Columns of the Gantt chart's time axis."""


def load(path) -> list:
    return [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]


def roles(spans: list) -> dict:
    """pid -> ``main`` or ``layout N`` (layout processes numbered by their first span)."""
    named, layouts = {}, 0
    for s in sorted(spans, key=lambda s: s["start"]):
        if s["pid"] in named:
            continue
        if s["what"].startswith("layout"):
            layouts += 1
            named[s["pid"]] = f"layout {layouts}"
        else:
            named[s["pid"]] = "main"
    return named


def _merge(spans: list) -> list:
    """Spans of one name run many times (the web's story batches) shown as one row per name and
    process: first start, last end, runs, summed duration and CPU."""
    rows: dict = {}
    for s in spans:
        key = (s["what"], s["role"])
        row = rows.get(key)
        if row is None:
            rows[key] = {**s, "runs": 1, "busy": s["end"] - s["start"]}
        else:
            row["start"], row["end"] = min(row["start"], s["start"]), max(row["end"], s["end"])
            row["runs"] += 1
            row["busy"] += s["end"] - s["start"]
            row["cpu"] += s["cpu"]
    return sorted(rows.values(), key=lambda r: (r["start"], r["end"]))


def tables(spans: list, t0: float, end: float, title: str = "") -> str:
    """The timeline as a Markdown table (start, end, duration, CPU, process) and a text Gantt chart
    (one row per step; ``#`` while it runs, ``.`` between the first and last run of a repeated step)."""
    if not spans:
        return ""
    role = roles(spans)
    for s in spans:
        s["role"] = role[s["pid"]]
    rows = _merge(spans)
    total = max(end, max(s["end"] for s in spans)) - t0
    lines = [f"{title}" if title else "", "",
             "| step | process | start s | end s | wall s | CPU s (its thread) | runs |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for r in rows:
        wall = r["busy"]
        lines.append(f"| {r['what']} | {r['role']} | {r['start'] - t0:.2f} | {r['end'] - t0:.2f} | {wall:.2f} "
                     f"| {r['cpu']:.2f} | {r['runs']} |")
    lines.append(f"| **command** (exit) | | 0.00 | {total:.2f} | {total:.2f} | | |")
    scale = WIDTH / total if total > 0 else 1
    label = max(len(f"{r['what'][:38]} [{r['role']}]") for r in rows)
    chart = [f"{'':{label}} |0s{'':{WIDTH - 2 - len(f'{total:.1f}s')}}{total:.1f}s|"]
    for r in rows:
        cells = [" "] * WIDTH
        mine = [s for s in spans if s["what"] == r["what"] and s["role"] == r["role"]]
        first, last = int((r["start"] - t0) * scale), min(WIDTH - 1, int((r["end"] - t0) * scale))
        for i in range(first, last + 1):
            cells[i] = "."
        for s in mine:
            for i in range(int((s["start"] - t0) * scale), min(WIDTH - 1, int((s["end"] - t0) * scale)) + 1):
                cells[i] = "#"
        chart.append(f"{r['what'][:38] + ' [' + r['role'] + ']':{label}} |{''.join(cells)}|")
    lines += ["", "```", *chart, "```"]
    busy = {}
    for s in spans:
        if s["role"].startswith("layout") and s["what"].startswith("layout:"):
            busy[s["role"]] = busy.get(s["role"], 0.0) + s["end"] - s["start"]
    if busy:
        lines += ["", "Layout processes busy (s of wall time laying out): "
                  + ", ".join(f"{k} {v:.1f}" for k, v in sorted(busy.items())) + "."]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("timeline")
    parser.add_argument("--t0", type=float, default=0.0, help="the command's start (default: the first span's)")
    args = parser.parse_args()
    spans = load(args.timeline)
    t0 = args.t0 or min(s["start"] for s in spans)
    print(tables(spans, t0, max(s["end"] for s in spans)))


if __name__ == "__main__":
    main()
