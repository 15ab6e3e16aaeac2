"""Where a build's time and memory go, at N stories and on a ~300-page book, side by side with the
pandoc route a user would script instead.

    .venv/bin/python benchmarks/bench_build.py [--sizes 10,100,book] [--runs 1] [--profile DIR]
    .venv/bin/python benchmarks/bench_build.py --sizes 1000            # long: see README.md
    .venv/bin/python benchmarks/bench_build.py --report results/*.json # tables from saved results

For each size (``10``, ``100``, ``1000`` stories, or ``book``) it generates the corpus
(benchmarks/corpus.py: the raw sources pubpipe reads and the same stories as Markdown), then:

1. **stages as plain functions**: benchmarks/stage_times.py, one fresh process, pubpipe.pipeline.build's steps in
   its order, each timed in-process (no Prefect);
2. **`pubpipe build`**, the command users run, on Prefect's embedded default (a temporary server):
   *cold* (task cache cleared, empty output; the PREFECT_HOME database exists already, its
   migrations are timed apart), *unchanged* (the same command again) and *one story changed* (one
   word of one paragraph of one source edited); wall time, peak RSS of the largest process and of the
   whole process tree (the Prefect server and the EPUBCheck JVM are separate processes), and the
   flow's task run durations read back through the Prefect API (benchmarks/prefect_runs.py);
3. **the pandoc route**: the same stories as Markdown to EPUB, standalone HTML, and PDF through
   WeasyPrint (``--pdf-engine=weasyprint``, A5 pages like pubpipe's), each timed, and the sum.

Each figure is the median of ``--runs``. Benchmarks run one at a time: the runner waits until the
machine is quiet before each measured command (``--patience``) and notes the load it saw. Results go
to ``--results`` (one JSON per size) and, unless ``--no-append``, a dated section is appended to
benchmarks/RESULTS.md. ``--profile DIR`` adds one pyinstrument run of the plain stages per size
(DIR/<size>.txt and .html; its times are not reported). Not a test: CI does not time anything.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from results import append, machine  # noqa: E402 (after the path is set)

import corpus  # noqa: E402
import gantt  # noqa: E402
import measure  # noqa: E402

PY = sys.executable
BIN = Path(PY).parent
REALWEB = ROOT.parent / "shared" / "corpus" / "realweb" / "copy"
"""``--sizes realweb``: the 110 pages copied from browsers (issue 19's "book": no Project Gutenberg
text is on this machine), as they are, and as Markdown for the pandoc route."""
A5_CSS = "@page { size: A5; margin: 18mm 15mm 20mm; }\n"
STAGES = ["import pubpipe", "settings", "read sources", "build key", "ingest", "clean", "structure", "render PDF",
          "render EPUB", "EPUBCheck", "render web", "impose print PDF", "write", "write anthology.json",
          "sources edited meanwhile?", "report and validate", "record what was published", "publish"]
"""The labels of benchmarks/stage_times.py, in the order pubpipe.pipeline.build runs them."""
SCENARIOS = ("cold", "unchanged", "forced", "changed", "second cold", "server cold", "server changed")
"""In the order they run: unchanged is answered from output/.pubpipe-build.json without Prefect;
forced is the same unchanged sources with --force (the flow, its tasks hitting the cache); *second
cold* is a cold build again (task cache and output removed) in the same session: since issue 19 the
local Prefect server the first build started is still running (`pubpipe.orchestrate.localserver`); the
*server* runs go through a `prefect server start` that was already running (PREFECT_API_URL set),
as staff's deployments and scheduled rebuilds do: no temporary server to boot."""


def say(*args) -> None:
    print(*args, flush=True)


CODE: dict = {"path": "", "label": "working tree"}


def freeze_code(rev: str, overlay: list, workdir: Path) -> None:
    """Run pubpipe from a snapshot of `rev` (plus `overlay` files from the working tree), not the live
    working tree: edits made by others while a benchmark runs would change both what is timed and
    the cache keys (the code version). The snapshot goes first on PYTHONPATH, ahead of the editable install."""
    snap = workdir / f"code-{rev}"
    shutil.rmtree(snap, ignore_errors=True)
    raw = snap / "raw"
    raw.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src/pubpipe", "flows", "styles"],
                             check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(raw)], input=archive, check=True)
    for name in overlay:
        target = raw / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    lib = snap / "lib"
    lib.mkdir()
    (raw / "src/pubpipe").rename(lib / "pubpipe")
    (raw / "styles").rename(lib / "pubpipe/styles")
    (raw / "flows").rename(lib / "pubpipe_flows")
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", rev], capture_output=True, text=True).stdout.strip()
    CODE.update(path=str(lib), label=f"{rev} ({sha})" + (f" + working-tree {', '.join(overlay)}" if overlay else ""))


def env_for(home: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false",
               SOURCE_DATE_EPOCH="1700000000", PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}")
    if CODE["path"]:
        env["PYTHONPATH"] = CODE["path"]
    return env


LOADS: list = []


def measured(cmd: list, env: dict, args, what: str, cwd: str | None = None, timeline: bool = False) -> dict:
    """Run and measure ``cmd``; with ``timeline``, the build records its steps' spans
    (`pubpipe.orchestrate.timeline`), kept in the result as ``timeline`` (``t0``: the command's start)."""
    load = measure.wait_until_quiet(args.quiet, args.patience, say)
    LOADS.append(load)
    spans_file = None
    if timeline:
        spans_file = Path(tempfile.mkstemp(prefix="pubpipe-timeline-", suffix=".jsonl")[1])
        env = {**env, "PUBPIPE_TIMELINE": str(spans_file)}
    measure.reap_children(zombies_only=True)  # (a kept process stopped since: its CPU is not this command's)
    t0, cpu0, kept0 = time.time(), os.times(), measure.kept_cpu()
    m = measure.run(cmd, env=env, cwd=cwd)
    measure.reap_children()
    t1, cpu1, kept1 = time.time(), os.times(), measure.kept_cpu()
    if m.returncode not in (0, 1):
        raise RuntimeError(f"{what} failed (exit {m.returncode}):\n{m.stderr[-3000:]}")
    # CPU of the command's whole process tree (children that were waited for), and what the
    # processes kept between builds (the local Prefect server, the EPUBCheck service) spent meanwhile:
    # nobody waits for them, so the first sum misses them.
    cpu = (cpu1.children_user - cpu0.children_user) + (cpu1.children_system - cpu0.children_system)
    cpu += sum(c - kept0.get(pid, 0.0) for pid, c in kept1.items())
    say(f"  {what}: {m.seconds:.1f} s (CPU {cpu:.1f} s), tree peak {m.tree_peak_mb:.0f} MB, "
        f"largest process {m.max_process_mb:.0f} MB")
    result = {"seconds": m.seconds, "cpu": cpu, "tree_mb": m.tree_peak_mb, "process_mb": m.max_process_mb,
              "parts_mb": m.parts_peak_mb, "load_before": load, "up_to_date": "is up to date" in m.stdout,
              "stdout": m.stdout[-2000:]}
    if spans_file is not None:
        result["timeline"] = {"t0": t0, "end": t1, "spans": gantt.load(spans_file)}
        spans_file.unlink()
    return result


def median_of(runs: list) -> dict:
    """The run with the median time (its memory figures come with it); the spread is kept."""
    ordered = sorted(runs, key=lambda r: r["seconds"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all_seconds"] = [r["seconds"] for r in runs]
    return chosen


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader
    return len(PdfReader(str(path)).pages)


def run_plain(work: Path, args) -> dict:
    runs = []
    for i in range(args.runs):
        out = work / f"plain{i}"
        r = measured([PY, str(HERE / "stage_times.py"), str(work / "sources"), str(out)],
                     env_for(work / "home-plain"), args, "stages as plain functions")
        r.update(json.loads(r.pop("stdout").strip().splitlines()[-1]))
        runs.append(r)
        shutil.rmtree(out, ignore_errors=True)
    result = median_of(runs)
    result["stages_median"] = {s: statistics.median(r["stages"].get(s, 0.0) for r in runs) for s in STAGES}
    return result


def run_profile(work: Path, label: str, args) -> None:
    folder = Path(args.profile).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    measure.wait_until_quiet(args.quiet, args.patience, say)
    subprocess.run([PY, str(HERE / "stage_times.py"), str(work / "sources"), str(work / "profiled"),
                    "--profile", str(folder / label)], check=True, capture_output=True, env=env_for(work / "home-plain"))
    say(f"  profile: {folder / label}.txt and .html")


def run_pubpipe(work: Path, args) -> dict:
    home, output = work / "home", work / "output"
    env = env_for(home)
    empty_flow = [PY, "-c", "from prefect import flow\nflow(name='warm-up')(lambda: None)()"]
    # The first flow run on a fresh PREFECT_HOME creates and migrates its database: timed apart.
    first = measured(empty_flow, env, args, "empty flow, fresh PREFECT_HOME (database created)")
    again = measured(empty_flow, env, args, "empty flow (temporary server start and stop)")
    build = [str(BIN / "pubpipe"), "build", "--sources", str(work / "sources"), "--output", str(output)]
    results: dict = {s: [] for s in SCENARIOS}
    changed_files = []
    for i in range(args.runs):
        shutil.rmtree(home / "storage", ignore_errors=True)  # the task cache (PREFECT_LOCAL_STORAGE_PATH)
        shutil.rmtree(output, ignore_errors=True)
        results["cold"].append(measured(build, env, args, "pubpipe build, cold", timeline=True))
        results["unchanged"].append(measured(build, env, args, "pubpipe build, unchanged rebuild"))
        results["forced"].append(measured([*build, "--force"], env, args, "pubpipe build --force, unchanged (cache hits)"))
        changed_files.append(corpus.change_one_story(work / "sources"))
        results["changed"].append(measured(build, env, args, f"pubpipe build, one story changed ({changed_files[-1]})"))
        shutil.rmtree(home / "storage", ignore_errors=True)
        shutil.rmtree(output, ignore_errors=True)
        results["second cold"].append(measured(build, env, args, "pubpipe build, cold, second build of the session",
                                               timeline=True))
        # The next run (and the next size) starts from no local server again.
        subprocess.run([str(BIN / "pubpipe"), "server", "stop", "--force"], env=env, capture_output=True)
    if not args.no_server:
        with running_server(env) as api:
            served = {**env, "PREFECT_API_URL": api}
            for i in range(args.runs):
                shutil.rmtree(home / "storage", ignore_errors=True)
                shutil.rmtree(output, ignore_errors=True)
                results["server cold"].append(measured(build, served, args, "pubpipe build, cold, running server",
                                                      timeline=True))
                changed_files.append(corpus.change_one_story(work / "sources"))
                results["server changed"].append(measured(
                    build, served, args, f"pubpipe build, one story changed, running server ({changed_files[-1]})"))
    # In the order they ran; a build that found its output up to date ran no flow (no Prefect at all).
    ran = [results[s][i] for i in range(args.runs) for s in SCENARIOS[:5] if results[s]]
    ran += [results[s][i] for i in range(len(results["server cold"])) for s in SCENARIOS[5:]]
    flowed = [run for run in ran if not run.get("up_to_date")]
    # Read through a temporary server that may take long to boot on a busy machine (its default
    # limit is 20 s); a failure costs the task table, never the run's other figures.
    found = subprocess.run([PY, str(HERE / "prefect_runs.py"), "--last", str(len(flowed))],
                           env={**env, "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "300"},
                           capture_output=True, text=True)
    if found.returncode != 0:
        say(f"  (the task runs could not be read back: {found.stderr.strip().splitlines()[-1:]})")
    flow_runs = json.loads(found.stdout.strip().splitlines()[-1]) if flowed and found.returncode == 0 else []
    for run, flow_run in zip(flowed, flow_runs):
        run["flow_run"] = flow_run
    out = {"empty_flow_fresh_home": first["seconds"], "empty_flow": again["seconds"]}
    for s in SCENARIOS:
        if not results[s]:
            continue
        for run in results[s]:
            run.pop("stdout", None)
        out[s] = median_of(results[s])
    return out


def run_pandoc(work: Path, args) -> dict:
    md = sorted(str(p) for p in (work / "markdown").glob("*.md"))
    css = work / "a5.css"
    css.write_text(A5_CSS, encoding="utf-8")
    meta = ["--metadata", f"title={corpus.TITLE}", "--toc"]
    steps = {
        "EPUB": ["pandoc", *meta, "-o", str(work / "pandoc.epub"), *md],
        "HTML": ["pandoc", "-s", *meta, "-o", str(work / "pandoc.html"), *md],
        "PDF": ["pandoc", *meta, "--pdf-engine=weasyprint", "--css", str(css), "-o", str(work / "pandoc.pdf"), *md],
    }
    env = env_for(work / "home-plain")
    runs = []
    for _ in range(args.runs):
        run = {name: measured(cmd, env, args, f"pandoc route: {name}", cwd=str(work)) for name, cmd in steps.items()}
        for r in run.values():
            r.pop("stdout", None)
        runs.append({"seconds": sum(r["seconds"] for r in run.values()), "steps": run,
                     "tree_mb": max(r["tree_mb"] for r in run.values())})
    result = median_of(runs)
    result["pages"] = pdf_pages(work / "pandoc.pdf")
    return result


def bench_size(label: str, args) -> dict:
    say(f"\n== {label} ==")
    work = Path(args.workdir) / label
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    if label == "realweb":
        summary = corpus.from_folder(REALWEB, work)
    else:
        summary = corpus.generate(work, None if label == "book" else int(label), is_book=label == "book")
    say(f"  corpus: {summary}")
    result = {"label": label, "corpus": summary}
    if not args.no_plain:
        result["plain"] = run_plain(work, args)
    if args.profile:
        run_profile(work, label, args)
    if not args.no_pandoc:
        result["pandoc"] = run_pandoc(work, args)
    if not args.no_flow:
        result["pubpipe"] = run_pubpipe(work, args)
    result["max_load"] = max(LOADS, default=0)
    LOADS.clear()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return result


# ---- the report -------------------------------------------------------------------------------

def versions() -> str:
    def first_line(cmd):
        try:
            done = subprocess.run(cmd, capture_output=True, text=True)
            return (done.stdout or done.stderr).strip().splitlines()[0]
        except (OSError, IndexError):
            return "?"
    rev = first_line(["git", "-C", str(ROOT), "describe", "--always", "--dirty"])
    libs = " · ".join(f"{n} {version(n)}" for n in ("prefect", "weasyprint", "pypdf", "ebooklib", "epubcheck"))
    return (f"pubpipe {version('pubpipe')} ({rev}) · Python {platform.python_version()} · {libs} · "
            f"{first_line(['pandoc', '--version'])} · {first_line(['java', '-version'])}")


def fmt(x, digits=1) -> str:
    return "–" if x is None else f"{x:.{digits}f}"


def task_cell(t: dict) -> str:
    """``1.23``, ``0.05 c`` (a cache hit), ``74.6 ×8`` (eight runs summed), ``17.4 ×8, 7 c``."""
    cell = fmt(t["seconds"], 2)
    runs, cached = t.get("runs", 1), t.get("cached", 0)
    if runs > 1:
        cell += f" ×{runs}" + (f", {cached} c" if cached else "")
    elif cached:
        cell += " c"
    return cell


@contextlib.contextmanager
def running_server(env: dict):
    """`prefect server start` on a free loopback port for the duration (its boot is not timed); yields its API URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port),
                               "--no-ui", "--analytics-off"], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(api + "/health", timeout=2):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("prefect server start did not come up") from None
                time.sleep(0.3)
        say(f"  prefect server start running at {api}")
        yield api
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)


def report(results: list, runs: int) -> str:
    code = sorted({r.get("code", "working tree") for r in results})
    lines = [f"\n## Builds: pubpipe and the pandoc route — {datetime.date.today()}",
             f"{machine()} · {versions()} · code: {'; '.join(code)} · median of {runs} run(s) · SOURCE_DATE_EPOCH set",
             "", "Corpora from `benchmarks/corpus.py` (same words for both routes).", "",
             "| corpus | stories | words | pages: pubpipe / pandoc | cold `pubpipe build` s | unchanged rebuild s (× cold) "
             "| unchanged, `--force` s (× cold) | one story changed s (× cold) | pandoc route s: EPUB + HTML + PDF | cold ÷ pandoc "
             "| second cold build of a session s (÷ pandoc) | CPU s: cold / second cold / running server cold / pandoc | plain stages s "
             "| peak MB cold: tree / largest process | running server: cold s (÷ pandoc) | running server: one story changed s (× its cold) |",
             "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for r in results:
        c, p, pd, pl = r["corpus"], r.get("pubpipe"), r.get("pandoc"), r.get("plain")
        cold = p and p["cold"]["seconds"]
        row = [r["label"], str(c["stories"]), f"{c['words']:,}",
               f"{pl['pages'] if pl else '–'} / {pd['pages'] if pd else '–'}"]
        if p:
            row += [fmt(cold)] + [f"{fmt(p[s]['seconds'])} ({p[s]['seconds'] / cold:.2f}×)" if s in p else "–"
                                  for s in SCENARIOS[1:4]]
        else:
            row += ["–"] * 4
        if pd:
            s = pd["steps"]
            row += [f"{fmt(pd['seconds'])}: {fmt(s['EPUB']['seconds'])} + {fmt(s['HTML']['seconds'])} + {fmt(s['PDF']['seconds'])}",
                    f"{cold / pd['seconds']:.1f}×" if p else "–"]
        else:
            row += ["–", "–"]
        second = (p or {}).get("second cold")
        row.append(f"{fmt(second['seconds'])}" + (f" ({second['seconds'] / pd['seconds']:.1f}×)" if pd else "")
                   if second else "–")
        cpus = [fmt((p or {}).get(k, {}).get("cpu")) for k in ("cold", "second cold", "server cold")]
        cpus.append(fmt(sum(x["cpu"] for x in pd["steps"].values()) if pd and all("cpu" in x for x in pd["steps"].values())
                        else None))
        row.append(" / ".join(cpus))
        row.append(fmt(pl["seconds"]) if pl else "–")
        row.append(f"{p['cold']['tree_mb']:.0f} / {p['cold']['process_mb']:.0f}" if p else "–")
        sc, sch = (p or {}).get("server cold"), (p or {}).get("server changed")
        row.append(f"{fmt(sc['seconds'])}" + (f" ({sc['seconds'] / pd['seconds']:.1f}×)" if pd else "") if sc else "–")
        row.append(f"{fmt(sch['seconds'])} ({sch['seconds'] / sc['seconds']:.2f}×)" if sc and sch else "–")
        lines.append("| " + " | ".join(row) + " |")
    plain = [r for r in results if r.get("plain")]
    if plain:
        lines += ["", "Stages as plain functions (benchmarks/stage_times.py: one process, sequential, no Prefect), seconds:",
                  "", "| stage | " + " | ".join(r["label"] for r in plain) + " |", "| --- |" + " --- |" * len(plain)]
        for stage in STAGES:
            lines.append(f"| {stage} | " + " | ".join(fmt(r["plain"]["stages_median"].get(stage), 2) for r in plain) + " |")
        lines.append("| **process total** (interpreter start included) | "
                     + " | ".join(f"**{fmt(r['plain']['seconds'])}**" for r in plain) + " |")
        lines.append("| peak RSS MB: process / EPUBCheck JVM | "
                     + " | ".join(f"{r['plain']['self_mb']:.0f} / {r['plain']['children_mb']:.0f}" for r in plain) + " |")
    flows = [r for r in results if r.get("pubpipe")]
    if flows:
        lines += ["", "`pubpipe build` task runs as Prefect recorded them (seconds; *c* = cache hit, the time is the "
                  "result's load; *×n*: n runs, their times summed, *k c* of which were cache hits — the PDF's parts "
                  "wait for a free layout process, so their sum exceeds their wall time; render PDF and EPUB, impose "
                  "and EPUBCheck run concurrently), and the command's wall time:", "",
                  "| task | " + " | ".join(f"{r['label']} {s}" for r in flows for s in SCENARIOS) + " |",
                  "| --- |" + " --- |" * (len(SCENARIOS) * len(flows))]
        names = []
        for r in flows:
            for s in SCENARIOS:
                for n in r["pubpipe"].get(s, {}).get("flow_run", {}).get("tasks", {}):
                    if n not in names:
                        names.append(n)
        for n in names:
            cells = []
            for r in flows:
                for s in SCENARIOS:
                    t = r["pubpipe"].get(s, {}).get("flow_run", {}).get("tasks", {}).get(n)
                    cells.append("–" if not t else task_cell(t))
            lines.append(f"| {n} | " + " | ".join(cells) + " |")
        lines.append("| **flow run** | " + " | ".join(fmt(r["pubpipe"].get(s, {}).get("flow_run", {}).get("seconds"), 1)
                                                      for r in flows for s in SCENARIOS) + " |")
        lines.append("| **`pubpipe build` wall time** | " + " | ".join(f"**{fmt(r['pubpipe'].get(s, {}).get('seconds'))}**"
                                                                       for r in flows for s in SCENARIOS) + " |")
        lines.append("| peak MB: main / PDF child / Prefect server / JVM | " + " | ".join(
            "{:.0f} / {:.0f} / {:.0f} / {:.0f}".format(*(r["pubpipe"].get(s, {}).get("parts_mb", {}).get(k, 0)
                                                   for k in ("main", "pdf-render", "prefect-server", "java")))
            for r in flows for s in SCENARIOS) + " |")
        fixed = flows[0]["pubpipe"]
        lines += ["", f"Fixed costs: an empty Prefect flow takes {fixed['empty_flow']:.1f} s (the temporary server's start "
                  f"and stop), {fixed['empty_flow_fresh_home']:.1f} s on a fresh PREFECT_HOME (database created)."]
    for r in flows:
        for s in ("cold", "second cold", "server cold"):
            run = r["pubpipe"].get(s, {})
            t = run.get("timeline")
            if t and t["spans"]:
                lines.append(gantt.tables(t["spans"], t["t0"], t["end"],
                                          f"\nTimeline of `pubpipe build`, {r['label']}, {s} ({run['seconds']:.1f} s wall, "
                                          f"{run.get('cpu', 0):.1f} s CPU of its process tree; time from the command's start):"))
    loads = [r.get("max_load", 0) for r in results]
    if any(loads):
        lines.append(f"Other load before each measured command: at most {max(loads):.2f} cores busy.")
    return "\n".join(lines) + "\n"


def main() -> None:
    measure.subreaper()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,100,book", help="comma-separated: numbers of stories, or book")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workdir", default=str(Path(tempfile.gettempdir()) / "pubpipe-bench"))
    parser.add_argument("--results", default="", help="folder for one JSON per size (default: WORKDIR/results)")
    parser.add_argument("--profile", default="", help="folder for pyinstrument profiles of the plain stages")
    parser.add_argument("--keep", action="store_true", help="keep the generated corpora and outputs")
    parser.add_argument("--no-plain", action="store_true")
    parser.add_argument("--no-pandoc", action="store_true")
    parser.add_argument("--no-flow", action="store_true")
    parser.add_argument("--no-server", action="store_true", help="skip the builds through a running prefect server")
    parser.add_argument("--no-append", action="store_true", help="do not append to benchmarks/RESULTS.md")
    parser.add_argument("--quiet", type=float, default=0.35, help="wait until other processes use fewer cores than this")
    parser.add_argument("--patience", type=float, default=300, help="seconds to wait for a quiet machine at most")
    parser.add_argument("--code", default="", help="benchmark this git revision (e.g. HEAD) instead of the working tree")
    parser.add_argument("--overlay", default="", help="with --code: comma-separated files taken from the working tree")
    parser.add_argument("--report", nargs="*", help="only print (and append) the tables of saved result JSON files")
    args = parser.parse_args()
    if args.report:
        results = [json.loads(Path(p).read_text()) for p in args.report]
    else:
        if args.code:
            freeze_code(args.code, [f for f in args.overlay.split(",") if f], Path(args.workdir))
        results_dir = Path(args.results or Path(args.workdir) / "results")
        results_dir.mkdir(parents=True, exist_ok=True)
        results = []
        for label in args.sizes.split(","):
            result = bench_size(label.strip(), args)
            result["code"] = CODE["label"]
            (results_dir / f"{label.strip()}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
            results.append(result)
    text = report(results, args.runs)
    if args.no_append:
        say(text)
    else:
        append(text)


if __name__ == "__main__":
    main()
