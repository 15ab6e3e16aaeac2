"""processes.on_both_cores: the per-source work of recovering the stories, half of it in a forked
helper — the same results as one after the other, and no helper left behind."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import psutil
import pytest

from pubpipe.errors import PubpipeError
from pubpipe.orchestrate import processes

REPO = Path(__file__).resolve().parent.parent
REALWEB = REPO.parent / "shared" / "corpus" / "realweb"


@pytest.fixture
def always_fork(monkeypatch):
    """Fork a helper whatever the size of the work (the build does from HELPER_MIN_LINES on)."""
    monkeypatch.setattr(processes, "HELPER_MIN_LINES", 0)
    monkeypatch.delenv(processes.HELPER_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)


def _pid_and_square(x):
    return os.getpid(), x * x


def test_results_in_order_half_of_them_from_a_helper(always_fork):
    out = processes.on_both_cores("squares", _pid_and_square, list(range(40)), [1 + x % 7 for x in range(40)])
    assert [x for _, x in out] == [x * x for x in range(40)]
    pids = {p for p, _ in out}
    assert os.getpid() in pids and len(pids) == 2  # this process did half, a helper the other half
    helper = (pids - {os.getpid()}).pop()
    assert not psutil.pid_exists(helper)  # and it is gone (reaped)


def test_small_work_one_core_or_told_so_is_done_here(monkeypatch):
    monkeypatch.delenv(processes.HELPER_ENV, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    small = processes.on_both_cores("squares", _pid_and_square, list(range(10)), [processes.HELPER_MIN_LINES // 20] * 10)
    assert {p for p, _ in small} == {os.getpid()}
    monkeypatch.setattr(processes, "HELPER_MIN_LINES", 0)
    for cores, env in ((1, None), (2, "1")):
        monkeypatch.setattr(os, "cpu_count", lambda: cores)
        if env:
            monkeypatch.setenv(processes.HELPER_ENV, env)
        assert {p for p, _ in processes.on_both_cores("squares", _pid_and_square, [1, 2, 3], [1, 1, 1])} == {os.getpid()}
    monkeypatch.setenv(processes.HELPER_ENV, "many")
    with pytest.raises(PubpipeError, match=processes.HELPER_ENV):
        processes.on_both_cores("squares", _pid_and_square, [1, 2, 3], [1, 1, 1])


def _fails_on_seven(x):
    if x == 7:
        raise ValueError(f"no sevens: {x}")
    return x


def _children() -> set:
    """This process's children (a test session's layout processes or Prefect server among them)."""
    return {p.pid for p in psutil.Process().children()}


def test_an_exception_in_the_helper_is_raised_as_it_would_be_here(always_fork):
    before = _children()
    for items in (list(range(8)), [7] + list(range(8, 20))):  # 7 on either side
        with pytest.raises(ValueError, match="no sevens: 7"):
            processes.on_both_cores("sevens", _fails_on_seven, items, [1] * len(items))
    assert _children() <= before


def test_a_helper_that_dies_is_a_one_line_error(always_fork):
    parent, before = os.getpid(), _children()

    def dies(x):
        if os.getpid() != parent:
            os._exit(9)
        return x

    with pytest.raises(PubpipeError, match=r"^recovering the stories: a helper process died before it finished "
                                           r"\(out of memory\? see the system log\); nothing was published$"):
        processes.on_both_cores("recovering the stories", dies, list(range(10)), [1] * 10)
    assert _children() <= before


def test_from_a_task_thread_while_another_thread_holds_a_lock(always_fork):
    """Prefect runs the build's tasks in threads: the helper is forked from one while others run."""
    held, release = threading.Lock(), threading.Event()

    def holder():
        with held:
            release.wait(10)

    other = threading.Thread(target=holder)
    other.start()
    got = []
    worker = threading.Thread(target=lambda: got.append(
        processes.on_both_cores("squares", _pid_and_square, list(range(20)), [1] * 20)))
    worker.start()
    worker.join(30)
    release.set()
    other.join()
    assert [x for _, x in got[0]] == [x * x for x in range(20)]


def _stages(folder: Path) -> dict:
    """anthology.json's content for `folder` through the build's stages (ingest, clean, structure)."""
    from pubpipe.recover import steps
    from pubpipe.read import intake
    config = intake.load_settings(str(folder), None)
    ingested = intake.ingest(intake.snapshot(str(folder), config), config)
    cleaned = steps.clean(ingested, config)
    return steps.structure(cleaned, ingested, config).to_dict()


@pytest.mark.parametrize("folder", [REPO / "sources", REPO / "tests" / "corpus" / "sources",
                                    REALWEB / "copy", REALWEB / "concat"], ids=lambda p: p.parent.name + "/" + p.name)
def test_the_stages_give_the_same_anthology_on_both_cores_as_on_one(folder, tmp_path, monkeypatch):
    if not folder.is_dir():
        pytest.skip(f"{folder} not beside the checkout")
    # enough pages to split, quick enough for CI: up to 24 files (8 of the pasted ones, three pages
    # each), none over 100 KB (tests/corpus's 600 KB collection alone took 13 s of the test's 42)
    files = [p for p in sorted(folder.iterdir()) if p.is_file() and p.stat().st_size <= 100_000]
    files = files[:8 if folder.name == "concat" else 24]
    for p in files:
        (tmp_path / p.name).write_bytes(p.read_bytes())
    monkeypatch.setattr(processes, "HELPER_MIN_LINES", 0)
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    forks = []
    real_fork = os.fork

    def counted():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counted)
    monkeypatch.setenv(processes.HELPER_ENV, "2")
    both = _stages(tmp_path)
    assert forks  # the helper did its share (len(files) >= 2)
    forked = len(forks)
    monkeypatch.setenv(processes.HELPER_ENV, "1")
    one = _stages(tmp_path)
    assert len(forks) == forked  # one after the other, in this process
    assert json.dumps(both, sort_keys=True) == json.dumps(one, sort_keys=True)


@pytest.mark.skipif(not (REALWEB / "copy").is_dir(), reason="../shared/corpus/realweb not beside the checkout")
def test_the_reading_on_both_cores_is_the_line_models(always_fork):
    """recover.apply.read_all (the build's, on both cores) reads each text as LineModel.read_all does."""
    from pubpipe.recover import apply
    from pubpipe.recover import features as F

    model = apply.shipped()
    if model is None:
        pytest.skip("no shipped line model")
    texts = [p.read_text(encoding="utf-8").split("\n") for p in sorted((REALWEB / "copy").glob("*.txt"))[:16]]
    repeated = F.repeated_across(texts)
    feats = [F.features(t, repeated) for t in texts]
    both = apply.read_all(model, texts, feats)
    assert both == model.read_all(texts, repeated)
    assert sum(len([d for d in decisions if d is not None]) for decisions, _ in both) > 1000


SLOW = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {src!r})
    from pubpipe.orchestrate import processes
    processes.HELPER_MIN_LINES = 0
    os.cpu_count = lambda: 2
    def slow(x):
        if os.getpid() != PARENT:
            print("helper", os.getpid(), flush=True)
        time.sleep(60)
    PARENT = os.getpid()
    {run}
""")


def _as_a_terminal_starts_it() -> None:
    """A child's Ctrl-C as a shell in a terminal leaves it: SIGINT not ignored. (A suite started as a
    background job by a shell without job control inherits SIGINT ignored, and so would every
    Python child: no KeyboardInterrupt at all.)"""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _children_of(pid: int) -> list:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def test_ctrl_c_leaves_no_helper_and_no_traceback_from_it(tmp_path):
    run = textwrap.dedent("""
        try:
            processes.on_both_cores("slow", slow, [1, 2], [1, 1])
        except KeyboardInterrupt:
            print("interrupted", flush=True)
    """)
    script = tmp_path / "slow.py"
    script.write_text(SLOW.format(src=str(REPO / "src"), run=run), encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             start_new_session=True, preexec_fn=_as_a_terminal_starts_it)
    helper = int(child.stdout.readline().split()[1])
    os.killpg(child.pid, signal.SIGINT)  # the terminal's Ctrl-C: the whole process group
    out, err = child.communicate(timeout=30)
    assert "interrupted" in out and err == ""
    assert not psutil.pid_exists(helper) or psutil.Process(helper).status() == psutil.STATUS_ZOMBIE


def test_ctrl_c_pressed_as_the_helper_is_forked_stops_the_helper(tmp_path):
    """Ctrl-C while the build forks (its signals blocked, so the interrupt waits): raised once they
    are unblocked, it stops the helper before it leaves on_both_cores, which then has no child."""
    run = textwrap.dedent("""
        import signal, psutil
        real_fork = os.fork
        def fork():
            pid = real_fork()
            if pid:
                os.kill(os.getpid(), signal.SIGINT)  # pending: the parent blocks it around the fork
            return pid
        os.fork = fork
        try:
            processes.on_both_cores("slow", slow, [1, 2], [1, 1])
        except KeyboardInterrupt:
            print("interrupted", len(psutil.Process().children()), flush=True)
    """)
    script = tmp_path / "slow.py"
    script.write_text(SLOW.format(src=str(REPO / "src"), run=run), encoding="utf-8")
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60,
                         preexec_fn=_as_a_terminal_starts_it).stdout
    assert "interrupted 0" in out, out


def test_the_helper_dies_with_the_build(tmp_path):
    script = tmp_path / "slow.py"
    script.write_text(SLOW.format(src=str(REPO / "src"), run='processes.on_both_cores("slow", slow, [1, 2], [1, 1])'),
                      encoding="utf-8")
    child = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    helper = int(child.stdout.readline().split()[1])
    child.kill()
    child.wait(10)
    deadline = time.monotonic() + 10
    while psutil.pid_exists(helper) and psutil.Process(helper).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "the helper outlived the build"
        time.sleep(0.05)


def test_an_interrupted_build_forks_no_helper(monkeypatch, always_fork):
    monkeypatch.setattr(processes._STOPPING, "is_set", lambda: True)
    assert {p for p, _ in processes.on_both_cores("squares", _pid_and_square, [1, 2, 3], [1, 1, 1])} == {os.getpid()}


def test_a_builds_stories_are_recovered_in_a_process_of_their_own_that_ends_with_them(tmp_path):
    """processes.in_recovery: the recovery steps run in the build's recovery process once one is
    started (its memory, at 1,000 stories ~200 MB, goes when it is retired), with the same anthology
    as here; errors come back as they are; after `retire_recovery_process` nothing is left and the
    steps run here again."""
    from pubpipe.recover import steps
    for p in sorted((REPO / "sources").iterdir())[:3]:
        (tmp_path / p.name).write_bytes(p.read_bytes())
    here = _stages(tmp_path)
    assert processes.in_recovery("test", os.getpid) == os.getpid()
    before = {c.pid for c in psutil.Process().children(recursive=True)}
    processes.start_recovery_process(steps.__name__)
    try:
        apart = processes.in_recovery("test", os.getpid)
        assert apart != os.getpid() and apart in {c.pid for c in psutil.Process().children(recursive=True)}
        assert json.dumps(_stages(tmp_path), sort_keys=True) == json.dumps(here, sort_keys=True)
        with pytest.raises(ValueError, match="not a number"):
            processes.in_recovery("test", int, "not a number")
    finally:
        processes.retire_recovery_process()
    assert not psutil.pid_exists(apart) or psutil.Process(apart).status() == psutil.STATUS_ZOMBIE
    assert processes.in_recovery("test", os.getpid) == os.getpid()
    assert {c.pid for c in psutil.Process().children(recursive=True)} - before <= {
        c.pid for c in psutil.Process().children(recursive=True) if "resource_tracker" in " ".join(c.cmdline())}


def test_the_steps_after_a_short_books_layout_use_the_warm_layout_processes():
    """processes.in_fresh: a process started for the call (a long book's assembly and imposition,
    whose memory goes with it), or, with ``warm`` (a book shorter than FRESH_FROM_PAGES), one of the
    layout processes already running (no spawn and imports on the build's critical path)."""
    assert processes.fresh_processes(processes.FRESH_FROM_PAGES)
    assert not processes.fresh_processes(processes.FRESH_FROM_PAGES - 1)
    try:
        fresh = [processes.in_fresh("test", os.getpid) for _ in range(2)]
        assert len(set(fresh)) == 2 and os.getpid() not in fresh  # a new process each time
        warm = {processes.in_fresh("test", os.getpid, warm=True) for _ in range(4)}
        pool = {p.pid for p in processes._pool()._processes.values()}
        assert warm <= pool and not warm & set(fresh)
    finally:
        processes.retire_layout_processes()
