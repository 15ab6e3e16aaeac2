"""The warm build process (pubpipe.orchestrate.warm, issue 19): started as a build ends, a later build
with the same environment and code is forked from it — the same outputs, messages and exit codes on
the command's own terminal, Ctrl-C passed on, a killed command's build stopped — and anything else
runs as before."""

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pubpipe.orchestrate import warm

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[1]


def _env(home: Path, **more) -> dict:
    # (not PYTEST_CURRENT_TEST: pytest changes it from test to test, and another environment is
    # another warm process)
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PYTEST_CURRENT_TEST")}
    env.update({"PREFECT_HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "PUBPIPE_WARM": "1",
                "SOURCE_DATE_EPOCH": "1700000000", "PUBPIPE_SERVER_IDLE": "600", **more})
    return env


def cli(home: Path, *args, **more):
    return subprocess.run([str(BIN / "pubpipe"), *args], env=_env(home, **more), capture_output=True, text=True,
                          timeout=240, cwd=str(home))


def _records(home: Path) -> list:
    return sorted((home / "state" / "pubpipe" / "warm").glob("*.json"))


def _wait_ready(home: Path, timeout: float = 60.0) -> int:
    """The pid of the warm process recorded in ``home``'s state folder, once its socket answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        records = _records(home)
        if records:
            record = json.loads(records[0].read_text())
            if warm._answers(Path(record["socket"])):
                return record["pid"]
        time.sleep(0.2)
    raise AssertionError(f"no warm process answered for {home}")


def _logs(home: Path) -> list:
    return sorted((home / "state" / "pubpipe" / "logs").glob("build-*.log"), key=lambda p: p.stat().st_mtime)


def _forked(log: Path) -> bool:
    return "build forked from the warm build process" in log.read_text(encoding="utf-8", errors="replace")


def _digest(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "report.md"}


@pytest.fixture(scope="module")
def home(tmp_path_factory, migrated):
    folder = migrated(tmp_path_factory.mktemp("warm-home"))
    (folder / "sources").mkdir()
    for source in (ROOT / "sources").iterdir():
        if source.is_file():
            (folder / "sources" / source.name).write_bytes(source.read_bytes())
    yield folder
    cli(folder, "server", "stop", "--force")


def test_the_next_build_is_forked_from_it_and_publishes_the_same(home):
    first = cli(home, "build", "--output", "out1")
    assert first.returncode == 0, first.stderr[-2000:]
    assert not _forked(_logs(home)[-1])  # the first build of a session runs in its own process...
    pid = _wait_ready(home)  # ...and starts the warm process as it ends
    assert psutil.Process(pid).cmdline()[-2] == "pubpipe.orchestrate.warmserver"

    second = cli(home, "build", "--output", "out2")
    assert second.returncode == 0, second.stderr[-2000:]
    assert _forked(_logs(home)[-1])
    assert "Published into" in second.stdout and "out2" in second.stdout  # on the command's own stdout
    assert "pubpipe [" in second.stderr  # its progress on the command's own stderr
    assert _digest(home / "out1") == _digest(home / "out2")  # the same files, byte for byte
    assert psutil.pid_exists(pid)  # it forks builds; it does not run them

    status = cli(home, "server", "status")
    assert f"warm build process running (pid {pid}" in status.stdout


def _fork_servers(pid: int) -> list:
    """The layout processes' fork servers the warm process ``pid`` started (`processes.start_fork_server`)."""
    from pubpipe.orchestrate import processes
    return [child for child in psutil.Process(pid).children()
            if "multiprocessing.forkserver" in " ".join(child.cmdline()) and processes.LAYOUT_MODULE in " ".join(child.cmdline())]


def _build_watching(home: Path, output: str, server, **more) -> tuple:
    """(the finished command, the pids of ``server``'s children seen while it ran): a cold build
    (the task cache removed), forked from the warm process."""
    subprocess.run(["rm", "-rf", str(home / "storage")], check=True)
    command = subprocess.Popen([str(BIN / "pubpipe"), "build", "--output", output], env=_env(home, **more),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=str(home))
    seen = set()
    while command.poll() is None:
        try:
            seen |= {child.pid for child in server.children()}
        except psutil.Error:
            pass
        time.sleep(0.05)
    command.stdout_text, command.stderr_text = command.communicate()
    return command, seen


def test_its_fork_server_forks_the_layout_processes_with_the_builds_environment(home, tmp_path):
    pid = _wait_ready(home)
    servers = _fork_servers(pid)
    assert len(servers) == 1  # started with the warm process, its imports done before any build
    spans = tmp_path / "spans.jsonl"  # (the timeline's file: not in the key, so the warm process has none)
    command, seen = _build_watching(home, "out-fs", servers[0], PUBPIPE_TIMELINE=str(spans))
    assert command.returncode == 0, command.stderr_text[-2000:]
    assert _forked(_logs(home)[-1])
    assert len(seen) >= 2  # the build's layout processes were the server's children
    laid = [json.loads(line) for line in spans.read_text().splitlines()]
    # the layout processes had the build's environment, not the server's: they wrote the build's timeline
    laying_out = {span["pid"] for span in laid if span["what"] == "layout: render_stories"}
    assert laying_out and laying_out <= seen
    assert _digest(home / "out1") == _digest(home / "out-fs")
    assert servers[0].is_running() and _fork_servers(pid) == servers  # kept for the next build


def test_a_build_whose_fork_server_is_gone_starts_its_own(home):
    pid = _wait_ready(home)
    for server in _fork_servers(pid):
        server.kill()
        deadline = time.monotonic() + 10
        while server.is_running() and server.status() != psutil.STATUS_ZOMBIE and time.monotonic() < deadline:
            time.sleep(0.05)
    command, _ = _build_watching(home, "out-own", psutil.Process(pid))
    assert command.returncode == 0, command.stderr_text[-2000:]
    assert _forked(_logs(home)[-1])
    assert _digest(home / "out1") == _digest(home / "out-own")


def test_a_bad_command_fails_as_it_would_here(home):
    _wait_ready(home)
    done = cli(home, "build", "--sources", "nowhere", "--output", "out3")
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == ["pubpipe: nothing published: sources folder nowhere does not exist; "
                                                "pass --sources the folder that holds the articles"]
    here = cli(home, "build", "--sources", "nowhere", "--output", "out3", PUBPIPE_WARM="0")
    # PUBPIPE_WARM=0 is another environment (another key): compare what the user sees only
    assert (here.returncode, here.stderr) == (done.returncode, done.stderr)


def test_another_environment_or_switched_off_runs_here(home, tmp_path):
    _wait_ready(home)
    assert warm.key(_env(home, LANG="C.UTF-8", TZ="Europe/Paris")) != warm.key(_env(home))
    assert not warm.wanted(["pubpipe", "build"], _env(home, PUBPIPE_WARM="0"))
    assert not warm.wanted(["pubpipe", "build"], _env(home, PUBPIPE_SERVER="temporary"))
    assert not warm.wanted(["pubpipe", "build"], _env(home, **{warm.HERE: "1"}))
    assert not warm.wanted(["pubpipe", "check"], _env(home))
    # the shell's bookkeeping and the timeline's file are no import's: the same process takes the build
    assert warm.key(_env(home, OLDPWD="/elsewhere", PUBPIPE_TIMELINE="/tmp/t.jsonl")) == warm.key(_env(home))
    # a module's change is another key (the stamp of its folder changes)
    (tmp_path / "m.py").write_text("x = 1\n")
    stamps = []
    for text in ("x = 1\n", "x = 22\n"):
        (tmp_path / "m.py").write_text(text)
        h = hashlib.sha256()
        warm._stamp(tmp_path, h)
        stamps.append(h.hexdigest())
    assert stamps[0] != stamps[1]


def _start(home: Path, output: str):
    log_count = len(_logs(home))
    client = subprocess.Popen([str(BIN / "pubpipe"), "build", "--force", "--output", output], env=_env(home),
                              cwd=str(home), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        logs = _logs(home)
        if len(logs) > log_count and _forked(logs[-1]) and "stage name=rendering" in logs[-1].read_text():
            return client, int(logs[-1].stem.rsplit("-", 1)[1])
        time.sleep(0.05)
    client.kill()
    out, err = client.communicate()
    raise AssertionError(f"the build was not forked from the warm process: {err[-3000:]}")


def _gone(pid: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("how", ["ctrl-c", "killed"])
def test_a_stopped_command_stops_its_build_and_leaves_the_output(home, how):
    _wait_ready(home)
    output = home / "out1"
    before = _digest(output)
    # the task cache emptied: the build lays the PDF out again, long enough to be stopped midway
    for folder in (home / "storage",):
        subprocess.run(["rm", "-rf", str(folder)], check=True)
    client, build = _start(home, "out1")
    if how == "ctrl-c":
        client.send_signal(signal.SIGINT)  # what the terminal sends the command
        out, err = client.communicate(timeout=60)
        assert client.returncode == 130, err[-2000:]
        assert "stopped (Ctrl-C); nothing published" in err
    else:
        client.kill()
        client.communicate(timeout=60)
    assert _gone(build), f"build {build} still runs"
    assert _digest(output) == before  # nothing published, nothing lost
    assert not list(home.glob(".out1*")) or all(p.name.endswith(".lock") for p in home.glob(".out1*"))


def test_server_stop_stops_it_and_lets_a_build_forked_from_it_finish(home):
    pid = _wait_ready(home)
    subprocess.run(["rm", "-rf", str(home / "storage")], check=True)
    client, build = _start(home, "out1")
    done = cli(home, "server", "stop")  # (the local Prefect server it refuses to stop: a build uses it)
    assert f"stopped the warm build process (pid {pid})" in done.stdout
    assert done.returncode == 1 and "a build is using the local Prefect server" in done.stderr
    assert not _records(home) and "no warm build process" in cli(home, "server", "status").stdout
    out, err = client.communicate(timeout=120)  # the build went on to its end, its exit code the command's
    assert client.returncode == 0, err[-2000:]
    assert "Published into" in out
    assert _gone(pid) and _gone(build)
    cli(home, "server", "stop")


def test_the_fonts_coverage_is_read_once_by_the_warm_process(tmp_path, migrated):
    """The warm process reads what the fonts can show (fc-list) once, for every build it forks."""
    folder = migrated(tmp_path / "fonts-home")
    (folder / "sources").mkdir()
    source = next(p for p in sorted((ROOT / "sources").iterdir()) if p.is_file())
    (folder / "sources" / source.name).write_bytes(source.read_bytes())
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    calls = tmp_path / "fc-list-calls"
    real = subprocess.run(["sh", "-c", "command -v fc-list"], capture_output=True, text=True).stdout.strip()
    (bin_ / "fc-list").write_text(f'#!/bin/sh\necho "$PPID" >> {calls}\nexec {real} "$@"\n')
    (bin_ / "fc-list").chmod(0o755)
    path = f"{bin_}{os.pathsep}{os.environ['PATH']}"
    try:
        first = cli(folder, "build", "--output", "out1", PATH=path)
        assert first.returncode == 0, first.stderr[-2000:]
        pid = _wait_ready(folder)
        for output in ("out2", "out3"):
            done = cli(folder, "build", "--output", output, PATH=path)
            assert done.returncode == 0, done.stderr[-2000:]
            assert _forked(_logs(folder)[-1])
        callers = [int(line) for line in calls.read_text().split()]
        # the first build's own process, then the warm process: neither forked build ran fc-list
        assert len(callers) == 2 and callers[1] == pid, (callers, pid)
    finally:
        cli(folder, "server", "stop", "--force", PATH=path)


def test_what_a_build_imports_on_its_way_is_there_to_import_and_starts_no_thread():
    """Each module of warm.ON_THE_WAY exists in the pinned environment (a rename in a library would
    otherwise silently undo the warm import), and importing them — LightGBM among them, whose OpenMP
    threads a forked child must not inherit — starts no thread in the warm process."""
    code = ("import importlib, os\n"
            "from pubpipe.orchestrate import warm\n"
            "for m in warm.IMPORTS: importlib.import_module(m)\n"
            "before = len(os.listdir('/proc/self/task'))\n"
            "for m in warm.ON_THE_WAY: importlib.import_module(m)\n"
            "for m, f in warm.PREPARED: getattr(importlib.import_module(m), f)()\n"
            "print(before, len(os.listdir('/proc/self/task')))\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = map(int, done.stdout.split()[-2:])
    assert after == before, (before, after)
