"""Run a command and measure it: wall time, the peak RSS of its largest process, the peak RSS summed
over its whole process tree (sampled), and the machine's load while it ran.

Used by bench_build.py. Linux only (/proc, os.wait4).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Measured:
    """What one command cost."""

    seconds: float
    returncode: int
    max_process_mb: float
    """ru_maxrss from wait4: the largest single process of the tree (the kernel keeps the max over
    the child and every descendant it waited for)."""
    tree_peak_mb: float
    """Peak of the RSS summed over the child and all its descendants, sampled every `interval`."""
    parts_peak_mb: dict = field(default_factory=dict)
    """Peak RSS per kind of process (main, prefect-server, java, weasyprint, pandoc…), sampled."""
    stdout: str = ""
    stderr: str = ""
    tree_peak_pss_mb: float = 0.0
    """With ``pss``: peak of the PSS summed over the tree (each page shared by n processes counted
    1/n in each: the physical memory the tree holds; the RSS sum counts a page shared by a forked
    child, or a shared library, once per process)."""


def _children_map() -> dict:
    kids: dict = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(b")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, IndexError, ValueError):
        return 0


def _pss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as f:
            for line in f:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _kind(pid: int) -> str:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return "?"
    if ("uvicorn" in cmd and "prefect" in cmd) or "pubpipe.orchestrate.localserver" in cmd:
        return "prefect-server"
    if "pubpipe.publish.checkservice" in cmd:  # EPUBCheck's JVM, hosted by the service kept between builds
        return "java"
    if "spawn_main" in cmd:  # a multiprocessing child: pubpipe lays the PDF out in one
        return "pdf-render"
    for name in ("java", "weasyprint", "pandoc"):
        if name in cmd.split(" ", 1)[0] or f"/{name} " in cmd or f"bin/{name}" in cmd:
            return name
    return "main"


WARM = "pubpipe.orchestrate.warmserver"


def _warm_builds(kids: dict) -> list:
    """The builds forked from a warm build process (`pubpipe.orchestrate.warm`): the command hands its
    build to one, and the build runs there, not under the command."""
    def warm(pid: int) -> bool:
        try:
            return WARM.encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False
    return [child for pid, children in kids.items() if warm(pid) for child in children if warm(child)]


def _tree(root: int) -> list:
    """``root`` and its descendants, and the builds a warm build process forked meanwhile and theirs."""
    kids = _children_map()
    out, todo = [], [root, *_warm_builds(kids)]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(kids.get(pid, ()))
    return out


def run(cmd: list, env: dict | None = None, cwd: str | None = None, interval: float = 0.2,
        timeout: float | None = None, series: list | None = None, pss: bool = False) -> Measured:
    """Run `cmd` to completion and measure it (see Measured). ``series``: if given, every sample is
    appended to it as (seconds since the start, {kind: MB}) (benchmarks/peak_memory.py); ``pss``:
    the tree's PSS sampled too (slower: /proc/PID/smaps_rollup walks the process's mappings)."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    peak = {"tree": 0, "pss": 0}
    parts: dict = {}
    kinds: dict = {}
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            total, now = 0, {}
            for pid in _tree(proc.pid):
                rss = _rss(pid)
                if pid not in kinds:
                    kinds[pid] = _kind(pid)
                total += rss
                now[kinds[pid]] = now.get(kinds[pid], 0) + rss
            peak["tree"] = max(peak["tree"], total)
            if pss:
                peak["pss"] = max(peak["pss"], sum(_pss(pid) for pid in _tree(proc.pid)))
            if series is not None:
                series.append((time.perf_counter() - started, {k: v / 2**20 for k, v in now.items()}))
            for k, v in now.items():
                parts[k] = max(parts.get(k, 0), v)
            done.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out: list = []
    err: list = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.append(s.read()), daemon=True)
               for s, b in ((proc.stdout, out), (proc.stderr, err))]
    for r in readers:
        r.start()
    deadline = None if timeout is None else started + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if deadline and time.perf_counter() > deadline:
            proc.kill()
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    sampler.join()
    for r in readers:
        r.join()
    mb = 1024 * 1024
    return Measured(seconds, proc.returncode, usage.ru_maxrss / 1024, peak["tree"] / mb,
                    {k: v / mb for k, v in sorted(parts.items())},
                    b"".join(out).decode(errors="replace"), b"".join(err).decode(errors="replace"),
                    peak["pss"] / mb)


def busy_cores(seconds: float = 1.0) -> float:
    """How many cores were busy (all processes) over `seconds`, from /proc/stat."""
    def read():
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields), idle
    t1, i1 = read()
    time.sleep(seconds)
    t2, i2 = read()
    return (os.cpu_count() or 1) * (1 - (i2 - i1) / max(1, t2 - t1))


def wait_until_quiet(limit: float = 0.3, patience: float = 600, say=print) -> float:
    """Wait (at most `patience` seconds) until other work uses under `limit` cores; returns the last reading."""
    started = time.monotonic()
    load = busy_cores()
    warned = False
    while load > limit and time.monotonic() - started < patience:
        if not warned:
            say(f"  (machine busy: {load:.1f} cores in use by other processes; waiting)")
            warned = True
        time.sleep(4)
        load = busy_cores()
    return load


KEPT = ("pubpipe.orchestrate.localserver", "pubpipe.publish.checkservice", WARM, "['pubpipe.render.pdf.engine']")
"""What `kept_cpu` counts, by a piece of the command line: the local server, the EPUBCheck service, the
warm build process (with the builds it forked and waited for), and the layout processes' fork server
it started (with the layout processes of those builds, which it waits for: its command line names
the module it imported, `pubpipe.orchestrate.processes.LAYOUT_MODULE`)."""


def subreaper() -> None:
    """Make this process the child subreaper of what it runs (Linux): a build leaves with os._exit,
    without waiting for its layout processes (they exit within a second of it); reparented here,
    they are waited for by `reap_children`, so that their CPU is in os.times() as before."""
    import ctypes
    ctypes.CDLL(None, use_errno=True).prctl(36, 1)  # PR_SET_CHILD_SUBREAPER


def reap_children(zombies_only: bool = False, timeout: float = 10.0) -> None:
    """Wait for this process's children other than the processes pubpipe keeps between builds
    (``zombies_only``: reap only those that have already exited, kept ones included)."""
    deadline = time.monotonic() + timeout
    while True:
        waiting = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != os.getpid():
                    continue
                kept = any(k.encode() in (entry / "cmdline").read_bytes() for k in KEPT)
            except (OSError, IndexError, ValueError):
                continue
            if fields[0] == "Z" or not (zombies_only or kept):
                waiting.append(int(entry.name))
        for pid in waiting:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if zombies_only or not waiting or time.monotonic() > deadline:
            return
        time.sleep(0.05)


def kept_cpu() -> dict:
    """CPU seconds so far of each process pubpipe keeps between builds (by pid), with that of its
    children it has waited for (a warm build process's: the builds it forked)."""
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmd = (entry / "cmdline").read_bytes()
            if any(k.encode() in cmd for k in KEPT):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                out[int(entry.name)] = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return out
