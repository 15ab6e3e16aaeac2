"""processes.in_pool: the processes the PDF is laid out in."""

import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pubpipe.orchestrate import processes
from pubpipe.errors import PubpipeError


def test_result_and_exceptions_come_back():
    assert processes.in_pool("adder", operator.add, 2, 3) == 5
    with pytest.raises(ValueError, match="invalid literal"):
        processes.in_pool("parser", int, "twelve")


def test_a_child_that_dies_is_a_clear_error_and_the_next_call_works():
    with pytest.raises(PubpipeError, match=r"the test renderer's process died before it finished \(out of memory"):
        processes.in_pool("the test renderer", os._exit, 3)
    assert processes.in_pool("adder", operator.add, 4, 5) == 9


def test_one_layout_process_per_core_unless_told(monkeypatch):
    """PUBPIPE_LAYOUT_PROCESSES chooses (issue 19's timelines: every core lays out)."""
    monkeypatch.delenv(processes.LAYOUT_ENV, raising=False)
    for cores, workers in ((1, 1), (2, 2), (4, 4), (None, 2)):
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        assert processes.layout_processes() == workers
    monkeypatch.setenv(processes.LAYOUT_ENV, "2")
    assert processes.layout_processes() == 2
    for wrong in ("0", "two"):
        monkeypatch.setenv(processes.LAYOUT_ENV, wrong)
        with pytest.raises(PubpipeError, match=processes.LAYOUT_ENV):
            processes.layout_processes()


def test_the_pool_lays_out_side_by_side(monkeypatch):
    """With two workers (set explicitly): two calls overlap in time."""
    from concurrent.futures import ThreadPoolExecutor
    import time as clock
    monkeypatch.setenv(processes.LAYOUT_ENV, "2")
    for pool in processes._POOL:
        pool.shutdown()
    processes._POOL.clear()
    with ThreadPoolExecutor(2) as threads:
        spans = list(threads.map(lambda _: processes.in_pool("sleeper", _timed_sleep, 1.0), range(2)))
    (a0, a1), (b0, b1) = spans
    assert a0 < b1 and b0 < a1, f"the two calls ran one after the other: {spans}"
    assert clock.time() >= max(a1, b1)


def _timed_sleep(seconds: float) -> tuple:
    start = time.time()
    time.sleep(seconds)
    return start, time.time()


def _spawned_children(pid: int) -> list:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid and (b"spawn_main" in cmd or b"forkserver" in cmd):
            found.append(int(entry.name))
            if b"forkserver" in cmd:  # the layout processes it forked
                found += _spawned_children(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whoever adopted it to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"


def _working_children(parent, ready) -> list:
    """The build's spawned children, once its child's work said it started (`ready` exists)."""
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert time.monotonic() < deadline and parent.poll() is None, "the child never started its work"
        time.sleep(0.1)
    children = _spawned_children(parent.pid)
    assert children
    return children


def _gone(children: list, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while any(_alive(pid) for pid in children):
        assert time.monotonic() < deadline, f"process {children} outlived {what}"
        time.sleep(0.1)


def _clean_up(parent, ready) -> None:
    """Whatever a failed test left running: the build, and its child's work."""
    if parent.poll() is None:
        parent.kill()
    if ready.exists():
        try:
            os.kill(int(ready.read_text()), signal.SIGKILL)
        except (ProcessLookupError, ValueError):
            pass


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
@pytest.mark.parametrize("runner", ["in_pool", "in_fresh", "forked"])
def test_the_child_dies_with_the_build(tmp_path, runner):
    """A build killed outright (SIGKILL: no cleanup runs) does not leave its renderer running: a
    layout process (`in_pool`; ``forked``: one of those `warm_up` forks from a fork server, and that
    server), or the process of its assembly or imposition (`in_fresh`)."""
    ready = tmp_path / "ready"
    # The child's work: a shell that says it started (so the child's initializer has run) and waits.
    work = ["sh", "-c", f"echo $$ > {ready}.tmp && mv {ready}.tmp {ready} && exec sleep 120"]
    first = "processes.warm_up('json')\n" if runner == "forked" else ""
    runner = "in_pool" if runner == "forked" else runner
    parent = subprocess.Popen([sys.executable, "-c",
                               f"from pubpipe.orchestrate import processes\nimport subprocess\n{first}"
                               f"processes.{runner}('sleeper', subprocess.call, {work!r})"])
    try:
        children = _working_children(parent, ready)
        if first:  # the server, and the layout process it forked
            assert sum(b"forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes() for pid in children) >= 2
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        _gone(children, 15, "the killed build")
    finally:
        _clean_up(parent, ready)


def test_processes_forked_from_the_fork_server_leave_with_a_build_not_yet_waited_for():
    """`pubpipe build` leaves with ``os._exit`` (no pool shut down): a caller that reads its output
    to the end before it waits for it (subprocess.run with capture_output, ``pubpipe build | tee``)
    gets that end once the build has exited. The layout processes forked from the fork server (and
    so the server, which lives while any of them holds its pipe) leave though the build, not yet
    waited for, is still a zombie; before, they took it for alive and held its output open for good."""
    code = ("import os\nfrom pubpipe.orchestrate import processes\nprocesses.warm_up('json')\n"
            "print(processes.in_pool('pid', os.getpid), flush=True)\nos._exit(0)")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0 and run.stdout.strip().isdigit(), run.stderr


def test_workers_outlive_the_thread_that_started_them():
    """Prefect runs tasks on threads that come and go: the layout processes one of them started
    must serve the next build (PR_SET_PDEATHSIG would kill them with their thread)."""
    import threading
    for pool in processes._POOL:
        pool.shutdown()
    processes._POOL.clear()
    started = []
    thread = threading.Thread(target=lambda: started.append(processes.in_pool("pid", os.getpid)))
    thread.start()
    thread.join()
    time.sleep(1.5)
    assert _alive(started[0])
    assert processes.in_pool("adder", operator.add, 1, 1) == 2


def test_a_worker_still_starting_when_the_build_died_leaves_too(tmp_path):
    """A layout process whose start-up (seconds of imports on a busy machine) outlasts the build
    that spawned it finds itself adopted by init; it must leave, not wait on its queue forever
    holding the terminal's pipes. Before, it took the pid of its parent *then* (init's) as the one
    to watch and lived on."""
    code = ("import os, time; from pubpipe.orchestrate import processes; "
            "processes.exit_with_parent(parent=os.getppid() + 10**6, interval=0.05); time.sleep(30)")
    started = time.monotonic()
    child = subprocess.run([sys.executable, "-c", code], timeout=20)
    assert child.returncode == 1 and time.monotonic() - started < 15


def test_an_interrupted_build_starts_no_new_layout_process(monkeypatch):
    monkeypatch.setattr(processes, "_POOL", [])
    monkeypatch.setattr(processes, "_STOPPING", __import__("threading").Event())
    processes.kill_children()
    with pytest.raises(PubpipeError):
        processes.in_pool("the PDF renderer", operator.add, 1, 2)


def test_layouts_stamp_the_source_date_epoch_of_the_build_that_asks(monkeypatch):
    """The layout processes outlive a build (and a test session's builds set SOURCE_DATE_EPOCH or
    not): each layout runs under the asking process's value, not the one the process started with."""
    for epoch in ("1700000000", "1600000000"):
        monkeypatch.setenv("SOURCE_DATE_EPOCH", epoch)
        assert processes.in_layout(os.getenv, "SOURCE_DATE_EPOCH") == epoch
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert processes.in_layout(os.getenv, "SOURCE_DATE_EPOCH") is None


def test_a_fresh_process_per_call_ended_after_it(monkeypatch):
    """in_fresh (the assembly, the imposition: issue 19's memory): each call in a process of its
    own, gone once the call returns; results, exceptions, a death and the caller's
    SOURCE_DATE_EPOCH as in_pool's."""
    first, second = processes.in_fresh("pid", os.getpid), processes.in_fresh("pid", os.getpid)
    assert first != second and os.getpid() not in (first, second)
    assert not _alive(first) and not _alive(second)
    assert first not in _spawned_children(os.getpid())
    with pytest.raises(ValueError, match="invalid literal"):
        processes.in_fresh("parser", int, "twelve")
    with pytest.raises(PubpipeError, match=r"the test step's process died before it finished"):
        processes.in_fresh("the test step", os._exit, 3)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1600000000")
    assert processes.in_fresh("epoch", os.getenv, "SOURCE_DATE_EPOCH") == "1600000000"
    assert processes.in_fresh("pid", os.getpid, here=True) == os.getpid()
    assert not processes._ENDING


def test_retired_layout_processes_end_and_the_next_layout_starts_new_ones():
    workers = {processes.in_pool("pid", os.getpid)}
    processes.retire_layout_processes()
    assert not processes._POOL and not processes._ENDING
    assert not any(_alive(pid) for pid in workers)
    again = processes.in_pool("pid", os.getpid)
    assert again not in workers and _alive(again)
    processes.retire_layout_processes()
    processes.retire_layout_processes()  # none to retire: nothing happens


def test_an_interrupted_build_starts_no_fresh_process(monkeypatch):
    monkeypatch.setattr(processes, "_POOL", [])
    monkeypatch.setattr(processes, "_ENDING", [])
    monkeypatch.setattr(processes, "_STOPPING", __import__("threading").Event())
    processes.kill_children()
    with pytest.raises(PubpipeError, match="stopping"):
        processes.in_fresh("the print edition", operator.add, 1, 2)
    assert not processes._ENDING


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and signals as on Linux")
def test_ctrl_c_during_a_fresh_process_leaves_none_behind(tmp_path):
    """Ctrl-C (SIGINT to the whole group) while the assembly or the imposition runs in its fresh
    process: the build's handler (interrupts.stop) kills it and exits 130."""
    ready = tmp_path / "ready"
    # (the work's sleep, which inherits the worker's ignored SIGINT, must not hold the test's pipes)
    work = ["sh", "-c", f"echo $$ > {ready}.tmp && mv {ready}.tmp {ready} && exec sleep 120 >/dev/null 2>&1"]
    code = ("from pubpipe.orchestrate import interrupts, processes\nimport subprocess\n"
            "interrupts.install(None, print)\n"
            f"processes.in_fresh('sleeper', subprocess.call, {work!r})")
    parent = subprocess.Popen([sys.executable, "-c", code], start_new_session=True, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        children = _working_children(parent, ready)
        os.killpg(parent.pid, signal.SIGINT)
        out, err = parent.communicate(timeout=30)
        assert parent.returncode == 130 and "stopped (Ctrl-C)" in out and "Traceback" not in err, (out, err)
        _gone(children, 5, "the stopped build")
    finally:
        _clean_up(parent, ready)


@pytest.mark.skipif(sys.platform != "linux", reason="glibc's malloc")
def test_the_command_tunes_malloc_for_itself_and_its_children_unless_the_user_did():
    """issue 19's memory: a build process's freed memory stayed in a dozen per-thread arenas and
    big blocks in the heap. `pubpipe` sets glibc's malloc for itself and passes it to every process
    it starts; a setting the user made is kept."""
    names = [name for name, _, _ in processes.MALLOC]
    code = ("import os, subprocess, sys\n"
            "from pubpipe import cli\n"
            "sys.argv = ['pubpipe', '--version']\n"
            "try:\n    cli.main()\nexcept SystemExit:\n    pass\n"
            f"names = {names!r}\n"
            "child = subprocess.run([sys.executable, '-c', 'import os; print(\" \".join(os.environ.get(n, \"-\") '"
            "f'for n in {names!r}))'], capture_output=True, text=True).stdout.strip()\n"
            "print(' '.join(os.environ.get(n, '-') for n in names), '|', child)\n")
    env = {k: v for k, v in os.environ.items() if k not in names}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    values = " ".join(str(value) for _, _, value in processes.MALLOC)
    assert out.splitlines()[-1] == f"{values} | {values}"
    out = subprocess.run([sys.executable, "-c", code], env={**env, "MALLOC_ARENA_MAX": "4"}, capture_output=True,
                         text=True, check=True).stdout
    mine = " ".join(["4"] + [str(value) for _, _, value in processes.MALLOC[1:]])
    assert out.splitlines()[-1] == f"{mine} | {mine}"


def test_layout_processes_retired_soon_make_way_for_new_ones_at_once():
    """A long book's layout processes are retired while its stories are recovered (issue 19's
    memory) without the build waiting for their warm-up: the next layout starts new ones at once,
    and the old ones end on their own."""
    assert processes.in_pool("adder", operator.add, 1, 2) == 3
    old = processes._POOL[0]
    processes.retire_layout_processes_soon()
    assert processes.in_pool("adder", operator.add, 2, 2) == 4
    assert processes._POOL and processes._POOL[0] is not old
    deadline = time.monotonic() + 30
    while old in processes._ENDING and time.monotonic() < deadline:
        time.sleep(0.05)
    assert old not in processes._ENDING


def test_a_layout_process_over_its_memory_mark_gives_memory_back(monkeypatch):
    """After each layout, a layout process holding more than LAYOUT_TRIM_MB collects its garbage and
    trims its heap (a long book's pieces left it growing); one under it, and the recovery process, do not."""
    given = []
    monkeypatch.setattr(processes, "give_back_memory", lambda: given.append(True))
    for resident, kind, expected in ((processes.LAYOUT_TRIM_MB + 1, "layout", 1), (processes.LAYOUT_TRIM_MB - 1, "layout", 0),
                                     (processes.LAYOUT_TRIM_MB + 1, "recovery", 0)):
        given.clear()
        monkeypatch.setattr(processes, "_resident_mb", lambda: resident)
        assert processes._dated(os.environ.get("SOURCE_DATE_EPOCH"), operator.add, 2, 3, kind=kind) == 5
        assert len(given) == expected, (resident, kind)
    with pytest.raises(ValueError):  # also after a layout that failed
        monkeypatch.setattr(processes, "_resident_mb", lambda: processes.LAYOUT_TRIM_MB + 1)
        processes._dated(os.environ.get("SOURCE_DATE_EPOCH"), int, "twelve")
    assert given == [True]
    assert 50 < processes._resident_mb() < 10_000


def _garbage() -> int:
    """A layout's leavings: cycles made under `fewer_collections`, as `lay_out` makes them."""
    import gc
    from pubpipe.render.pdf.reading import fewer_collections
    with fewer_collections():
        for _ in range(30_000):
            a, b = [], []
            a.append(b)
            b.append(a)
    return gc.get_stats()[0]["collections"]


def _gc_facts() -> tuple:
    import gc
    return gc.get_threshold(), gc.get_stats()[0]["collections"], gc.get_count()[0]


def test_a_layouts_garbage_is_collected_just_after_its_result_goes_back(monkeypatch):
    """A layout process collects a layout's garbage after the layout returned (`processes._collect_soon`),
    not as it ends (54 ms at the end of the front matter of 100 stories, on the critical path), and
    before the next layout starts (`processes._collect_now`)."""
    monkeypatch.setenv(processes.LAYOUT_ENV, "1")
    for pool in processes._POOL:
        pool.shutdown()
    processes._POOL.clear()
    at_return = processes.in_pool("garbage", processes._dated, None, _garbage)
    threshold, collections, young = processes.in_pool("facts", _gc_facts)  # (no layout: no _collect_now)
    assert threshold == processes.LAYOUT_THRESHOLDS
    time.sleep(processes.COLLECT_AFTER + 0.5)
    threshold, later, young = processes.in_pool("facts", _gc_facts)
    assert later == collections + 1 or later == at_return + 1, (at_return, collections, later)
    assert young < 1000  # the 60,000 lists are gone
    # a layout that starts before the collection ran collects first
    processes.in_pool("a collection put off for a minute", _collect_after, 60.0)
    processes.in_pool("garbage", processes._dated, None, _garbage)
    assert processes.in_pool("facts", _gc_facts)[2] > 30_000  # (not collected yet)
    assert processes.in_pool("facts", processes._dated, None, _gc_facts)[2] < 1000
    processes.in_pool("the collection's delay as it was", _collect_after, processes.COLLECT_AFTER)


def _collect_after(seconds: float) -> None:
    processes.COLLECT_AFTER = seconds
