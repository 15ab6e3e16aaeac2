"""The local Prefect server kept between builds (pubpipe.orchestrate.localserver, issue 19): started once, reused,
shared by builds at once, replaced when stale, stopped when idle or asked, out of Ctrl-C's reach."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from pubpipe.orchestrate import localserver

BIN = Path(sys.executable).parent
ACQUIRE = ("import sys, time; from pubpipe.orchestrate import localserver; s = localserver.acquire(); s.wait_ready(); "
           "print(s.url, flush=True); time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 0)")


def _env(home: Path, **more) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    # (Its own state folder: `pubpipe server stop` stops the EPUBCheck service recorded there too,
    # not the one the rest of the suite's builds share.)
    env.update(PREFECT_HOME=str(home), XDG_STATE_HOME=str(home / "state"), **more)
    return env


def acquire(home: Path, **more) -> str:
    """The URL of the server a (short-lived) build process acquires."""
    done = subprocess.run([sys.executable, "-c", ACQUIRE], env=_env(home, **more), capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip()


def cli(home: Path, *args, **more):
    return subprocess.run([str(BIN / "pubpipe"), *args], env=_env(home, **more), capture_output=True, text=True,
                          timeout=180)


def state(home: Path) -> dict:
    return json.loads((home / localserver.STATE).read_text())


@pytest.fixture(scope="module")
def home(tmp_path_factory, migrated):
    """A PREFECT_HOME whose local server the module's tests share; stopped at the end."""
    folder = migrated(tmp_path_factory.mktemp("local-server-home"))
    yield folder
    cli(folder, "server", "stop", "--force")


def test_started_once_then_reused_by_the_next_build(home):
    first = acquire(home)
    pid = state(home)["pid"]
    assert first.startswith("http://127.0.0.1:") and localserver.healthy(first)
    assert acquire(home) == first and state(home)["pid"] == pid  # the second build starts nothing
    assert psutil.pid_exists(pid)  # it outlived both builds


FLOW = """
import asyncio
from prefect import flow, task, get_client

@task
def one(x):
    return x + 1

@flow
def two():
    return one(1) + one.with_options(name="other")(2)

state = two(return_state=True)

async def runs():  # (recorded from the events as they arrive: wait a little for them)
    async with get_client() as client:
        for _ in range(100):
            found = [r for r in await client.read_task_runs() if r.flow_run_id == state.state_details.flow_run_id]
            if len(found) >= 2 and all(r.state_type.value == "COMPLETED" for r in found):
                break
            await asyncio.sleep(0.2)
        return found
print(sorted(r.name.split("-")[0] for r in asyncio.run(runs())))
"""


def test_runs_without_the_event_persister_and_triggers_and_still_records_task_runs(home):
    """The local server leaves out the services nothing of a build reads (`localserver.QUIET_SERVICES`)
    and records task runs in batches (`localserver.RECORDER_BATCHES`): its process runs so, and a flow
    run through it still has its task runs recorded."""
    url = acquire(home)
    environ = psutil.Process(state(home)["pid"]).environ()
    for name in localserver.QUIET_SERVICES:
        assert environ.get(f"PREFECT_SERVER_SERVICES_{name}_ENABLED") == "false", name
    for name, value in localserver.RECORDER_BATCHES.items():  # task runs recorded in batches
        assert environ.get(name) == value, name
    done = subprocess.run([sys.executable, "-c", FLOW], env=_env(home, PREFECT_API_URL=url), capture_output=True,
                          text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "['one', 'other']"


def test_out_of_the_terminals_reach_and_not_a_child_a_stopped_build_kills(home):
    acquire(home)
    pid = state(home)["pid"]
    assert os.getsid(pid) == pid != os.getsid(0)  # a session of its own: Ctrl-C's SIGINT never reaches it
    from pubpipe.orchestrate import processes
    assert all(p.pid != pid for p in processes._CHILDREN)


def test_builds_at_once_share_one_server(home):
    cli(home, "server", "stop", "--force")
    both = [subprocess.Popen([sys.executable, "-c", ACQUIRE], env=_env(home), stdout=subprocess.PIPE, text=True)
            for _ in range(2)]
    urls = [p.communicate(timeout=180)[0].strip() for p in both]
    assert urls[0] == urls[1] and localserver.healthy(urls[0])


def test_status_and_stop(home):
    url = acquire(home)
    assert url in cli(home, "server", "status").stdout
    user = subprocess.Popen([sys.executable, "-c", ACQUIRE, "60"], env=_env(home), stdout=subprocess.PIPE, text=True)
    try:
        assert user.stdout.readline().strip() == url
        assert "a build is using it" in cli(home, "server", "status").stdout
        refused = cli(home, "server", "stop")
        assert refused.returncode == 1 and "a build is using" in refused.stderr and localserver.healthy(url)
    finally:
        user.kill()
        user.wait()
    stopped = cli(home, "server", "stop")
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    assert not localserver.healthy(url) and not (home / localserver.STATE).exists()
    assert "no local Prefect server" in cli(home, "server", "status").stdout


def test_a_stale_or_broken_record_is_replaced_and_no_other_process_is_stopped(home):
    cli(home, "server", "stop", "--force")
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        (home / localserver.STATE).write_text(json.dumps({"pid": bystander.pid, "port": 9, "url": "http://127.0.0.1:9/api",
                                                          "prefect": "3.8.8", "started": 0}))
        url = acquire(home)
        assert url != "http://127.0.0.1:9/api" and localserver.healthy(url)
        assert bystander.poll() is None  # not a server of ours: left alone
    finally:
        bystander.kill()
        bystander.wait()
    (home / localserver.STATE).write_text("{ not json")
    assert localserver.healthy(acquire(home))


def test_stops_itself_when_idle_but_never_under_a_build(tmp_path, migrated):
    home = migrated(tmp_path / "idle-home")
    user = subprocess.Popen([sys.executable, "-c", ACQUIRE, "12"], env=_env(home, PUBPIPE_SERVER_IDLE="2"),
                            stdout=subprocess.PIPE, text=True)
    try:
        url = user.stdout.readline().strip()
        pid = state(home)["pid"]
        time.sleep(8)  # idle time passes while the build runs
        assert localserver.healthy(url)
        user.wait(30)  # the build ends
        deadline = time.monotonic() + 30
        while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE \
                and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not localserver.healthy(url) and not (home / localserver.STATE).exists()
    finally:
        user.kill()
        cli(home, "server", "stop", "--force")


def test_a_wrong_idle_setting_is_named(monkeypatch):
    monkeypatch.setenv("PUBPIPE_SERVER_IDLE", "soon")
    with pytest.raises(localserver.PubpipeError, match="PUBPIPE_SERVER_IDLE"):
        localserver.idle_seconds()


def test_a_prefect_server_started_in_the_project_folder_records_task_runs_as_the_local_one():
    """pyproject.toml's ``[tool.prefect…]`` gives `prefect server start`, run in the project's folder as
    the README says, the local server's batches (`localserver.RECORDER_BATCHES`)."""
    root = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_SERVER_SERVICES_")}
    read = ("from prefect.settings import get_current_settings; r = get_current_settings().server.services"
            ".task_run_recorder; print(r.batch_size, r.flush_interval)")
    done = subprocess.run([sys.executable, "-c", read], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    batch, flush = done.stdout.split()
    assert (int(batch), float(flush)) == (int(localserver.RECORDER_BATCHES["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE"]),
                                          float(localserver.RECORDER_BATCHES["PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL"]))
    elsewhere = subprocess.run([sys.executable, "-c", read], cwd=root.parent, env=env, capture_output=True, text=True,
                               timeout=120)
    assert elsewhere.stdout.split()[0] == "1"  # (Prefect's default, outside the project's folder)
