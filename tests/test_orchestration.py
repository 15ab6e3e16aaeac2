"""Orchestration with a real Prefect server on loopback: `pubpipe serve`, a deployment run that
publishes, a process work pool from prefect.yaml; and two builds at once on one output."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, migrated):
    """`prefect server start` on a free loopback port with a PREFECT_HOME of its own."""
    home = migrated(tmp_path_factory.mktemp("prefect-home"))
    port = free_port()
    # The scheduler's main loop every 10 s instead of 60: a new deployment gets its runs from the
    # loop for recent deployments (every 5 s) unless a busy machine delays it past that loop's window.
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_LOGGING_LEVEL": "WARNING",
           "PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS": "10"}
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = env["PREFECT_API_URL"]
    for _ in range(120):
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail("Prefect server did not start: " + (home / "server.log").read_text()[-2000:])
    yield env
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


def prefect(env, *args, timeout=300):
    return subprocess.run([str(BIN / "prefect"), *args], env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def artifacts(env, flow_run_filter=None) -> list:
    response = httpx.post(f"{env['PREFECT_API_URL']}/artifacts/filter", json={}, timeout=10)
    return response.json()


def test_serve_then_deployment_run_publishes_with_artifacts(server, tmp_path):
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    (tmp_path / "anthology.toml").write_text('title = "Served"\nschedule = "30 3 * * *"\ntimezone = "Europe/London"\n')
    serve = subprocess.Popen([str(BIN / "pubpipe"), "serve", "--sources", str(sources), "--output", str(tmp_path / "out"),
                              "--name", "test"], env=server, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True, cwd=ROOT)
    try:
        for _ in range(120):
            found = prefect(server, "deployment", "inspect", "pubpipe-publish/test")
            if found.returncode == 0:
                break
            time.sleep(0.5)
        else:
            pytest.fail("deployment never registered")
        assert "30 3 * * *" in found.stdout and "Europe/London" in found.stdout and "'limit': 1" in found.stdout
        run = prefect(server, "deployment", "run", "pubpipe-publish/test", "--param", f"sources={sources}",
                      "--param", f"output={tmp_path / 'ondemand'}", "--watch")
        assert run.returncode == 0, run.stdout + run.stderr
        built = json.loads((tmp_path / "ondemand" / "anthology.json").read_text(encoding="utf-8"))
        assert built["title"] == "Served" and len(built["stories"]) == 5
        keys = {a.get("key") for a in artifacts(server)}
        assert {"pubpipe-report", "pubpipe-outputs"} <= keys
        bad = prefect(server, "deployment", "run", "pubpipe-publish/test", "--param", "sources=[1, 2]", "--watch")
        assert bad.returncode != 0  # the typed parameter is validated by Prefect
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        serve.wait(timeout=30)


def test_process_work_pool_from_prefect_yaml(server, tmp_path):
    env = {**server, "PUBPIPE_HOME": str(ROOT)}
    assert prefect(env, "work-pool", "create", "pubpipe", "--type", "process").returncode == 0
    deployed = prefect(env, "--no-prompt", "deploy", "--all")
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    out = tmp_path / "worker-out"
    run = prefect(env, "deployment", "run", "pubpipe-publish/nightly", "--param", f"sources={ROOT / 'sources'}",
                  "--param", f"output={out}")
    assert run.returncode == 0, run.stdout + run.stderr
    worker = prefect(env, "worker", "start", "--pool", "pubpipe", "--run-once", timeout=600)
    assert worker.returncode == 0, worker.stdout[-3000:] + worker.stderr[-3000:]
    assert (out / "anthology.json").is_file() and (out / "web" / "index.html").is_file()


def test_a_build_from_the_terminal_through_a_running_server_sends_one_heartbeat_of_its_own(server, tmp_path):
    """`pubpipe build` against a server the user runs: Prefect's heartbeats (whose thread the engine
    waits for at the flow's end) are off, and the flow's run sends its own (pubpipe.orchestrate.heartbeat):
    the same event, for the run and its flow, as often as the settings ask (here: once an hour, so once)."""
    env = {**server, "PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "3600", "XDG_STATE_HOME": str(tmp_path / "state")}
    try:
        built = subprocess.run([str(BIN / "pubpipe"), "build", "--sources", str(ROOT / "sources"), "--output",
                                str(tmp_path / "out"), "--quiet"], env=env, capture_output=True, text=True, timeout=600, cwd=ROOT)
    finally:  # (the warm build process and the EPUBCheck service it left for the next build)
        subprocess.run([str(BIN / "pubpipe"), "server", "stop", "--force"], env=env, capture_output=True, timeout=120, cwd=ROOT)
    assert built.returncode == 0, built.stderr[-3000:]
    runs = api(server, "POST", "/flow_runs/filter", {})
    run = next(r for r in runs if r["parameters"].get("output") == str(tmp_path / "out"))
    assert run["state_type"] == "COMPLETED"
    asked = {"filter": {"event": {"name": ["prefect.flow-run.heartbeat"]}, "resource": {"id": [f"prefect.flow-run.{run['id']}"]}}}
    for _ in range(30):  # (the server writes events a moment after they come)
        if api(server, "POST", "/events/filter", asked)["events"]:
            break
        time.sleep(1)
    time.sleep(3)  # (a second one, were Prefect's sent too, has come by now)
    beats = api(server, "POST", "/events/filter", asked)["events"]
    assert len(beats) == 1, beats  # one: not Prefect's beside it
    assert beats[0]["resource"]["prefect.resource.name"] == run["name"]
    assert {"role": "flow", "id": f"prefect.flow.{run['flow_id']}"} in [
        {"role": r["prefect.resource.role"], "id": r["prefect.resource.id"]} for r in beats[0]["related"]]


def test_through_a_users_server_the_flow_sends_the_heartbeats_prefect_would_have():
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
    from pubpipe import cli
    from pubpipe.orchestrate import heartbeat
    for asked, sent in ((45, [45]), (None, [])):
        with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: asked}):
            with cli._embedded(None):  # (None: a server the user runs)
                assert get_current_settings().flows.heartbeat_frequency is None  # Prefect's off
                assert heartbeat._EVERY == sent  # the flow's own, as often as asked
            assert get_current_settings().flows.heartbeat_frequency == asked and heartbeat._EVERY == []


def test_outside_a_flow_run_the_flow_sends_no_heartbeat():
    import threading
    from pubpipe.orchestrate import heartbeat
    heartbeat._EVERY[:] = [30]
    try:
        with heartbeat.beating():  # (no flow run: nothing to beat for, and no error)
            assert not any(thread.name == "flow-heartbeat" for thread in threading.enumerate())
    finally:
        heartbeat._EVERY.clear()


def test_two_builds_at_once_the_second_says_so(tmp_path, migrated):
    env = {**os.environ, "PREFECT_HOME": str(migrated(tmp_path / "home")), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    env.pop("PREFECT_API_URL", None)
    args = [str(BIN / "pubpipe"), "build", "--sources", str(ROOT / "sources"), "--output", str(tmp_path / "out")]
    first = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    lock = tmp_path / ".out.lock"
    for _ in range(100):
        if lock.exists() and lock.read_text().strip():
            break
        time.sleep(0.05)
    started = time.monotonic()
    second = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert second.returncode == 2 and "another pubpipe build" in second.stderr
    assert time.monotonic() - started < 10  # at once, not after a Prefect server start and a build
    assert first.wait(timeout=300) == 0, first.stderr.read()
    assert (tmp_path / "out" / "anthology.json").is_file()


def api(env, method: str, path: str, body=None):
    """A call to the server's REST API; retried on 503 (SQLite busy on a loaded machine), as Prefect's client does."""
    for attempt in range(6):
        response = httpx.request(method, f"{env['PREFECT_API_URL']}{path}", json=body, timeout=30)
        if response.status_code != 503:
            break
        time.sleep(1 + attempt)
    response.raise_for_status()
    return response.json()


def start_serve(env, tmp_path, name: str, toml: str):
    """`pubpipe serve` of a copy of the samples into tmp_path/out, as staff start it in a terminal
    (SIGINT not ignored, in a process group of its own as a shell's job); (process, deployment id)."""
    sources = tmp_path / "sources"
    shutil.copytree(ROOT / "sources", sources)
    (tmp_path / "anthology.toml").write_text(toml)
    env = {**env, "PREFECT_RUNNER_POLL_FREQUENCY": "2"}  # the runner looks for due runs every 2 s, not 10
    serve = subprocess.Popen([str(BIN / "pubpipe"), "serve", "--sources", str(sources), "--output", str(tmp_path / "out"),
                              "--name", name], env=env, stdout=open(tmp_path / "serve.out", "w"),
                             stderr=open(tmp_path / "serve.err", "w"), cwd=ROOT, start_new_session=True,
                             preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            return serve, api(env, "GET", f"/deployments/name/pubpipe-publish/{name}")["id"]
        except httpx.HTTPError:
            assert serve.poll() is None, (tmp_path / "serve.err").read_text()[-3000:]
            time.sleep(1)
    os.killpg(serve.pid, signal.SIGKILL)
    pytest.fail("deployment never registered: " + (tmp_path / "serve.err").read_text()[-3000:])


def runs_of(env, deployment_id) -> list:
    return api(env, "POST", "/flow_runs/filter", {"flow_runs": {"deployment_id": {"any_": [deployment_id]}}})


def scheduler_errors(env) -> str:
    log = (Path(env["PREFECT_HOME"]) / "server.log").read_text(errors="replace").splitlines()
    return "\n".join(line for line in log if "ERROR" in line or "Error:" in line)[-3000:]


def test_schedule_fires_a_run_created_by_the_scheduler_that_publishes(server, tmp_path):
    """An every-minute cron in anthology.toml: the server's scheduler creates the runs (not a run
    started here), one of them runs on `pubpipe serve` and publishes. With SQLAlchemy 2.1 the
    deployment still shows its schedule, but the scheduler fails every loop and creates none."""
    serve, deployment = start_serve(server, tmp_path, "every-minute",
                                    'title = "Every Minute"\nschedule = "* * * * *"\n')
    try:
        deadline = time.monotonic() + 90
        while not [r for r in runs_of(server, deployment) if r["auto_scheduled"]]:
            assert time.monotonic() < deadline, "the scheduler created no run in 90 s; its errors:\n" + scheduler_errors(server)
            time.sleep(2)
        deadline = time.monotonic() + 300  # the next minute's run, then the build on a busy machine
        while True:
            done = [r for r in runs_of(server, deployment) if r["auto_scheduled"] and r["state_type"] in
                    ("COMPLETED", "FAILED", "CRASHED", "CANCELLED")]
            if done:
                break
            assert time.monotonic() < deadline, "no scheduled run finished: " + (tmp_path / "serve.err").read_text()[-3000:]
            time.sleep(2)
        run = done[0]
        assert run["state_type"] == "COMPLETED", (run["state"], (tmp_path / "serve.err").read_text()[-3000:])
        assert run["created_by"]["type"] == "SCHEDULE" and run["expected_start_time"].endswith(":00Z")  # the cron's minute
        assert run["parameters"]["output"] == str(tmp_path / "out")
        built = json.loads((tmp_path / "out" / "anthology.json").read_text(encoding="utf-8"))
        assert built["title"] == "Every Minute" and len(built["stories"]) == 5
        pdf = [p for p in (tmp_path / "out").glob("*.pdf") if not p.name.endswith("-print.pdf")]
        assert len(pdf) == 1 and pdf[0].read_bytes()[:5] == b"%PDF-"
        assert "bulk DML" not in scheduler_errors(server)
    finally:
        serve.send_signal(signal.SIGTERM)
        code = serve.wait(timeout=120)
    err = (tmp_path / "serve.err").read_text()
    assert code == 0 and "Traceback" not in err, err[-3000:]
    assert err.splitlines()[-1].startswith("pubpipe serve stopped (SIGTERM)")


@pytest.mark.parametrize("signum, code, said", [(signal.SIGINT, 130, "Ctrl-C"), (signal.SIGTERM, 0, "SIGTERM")])
def test_serve_stops_cleanly_mid_run(server, tmp_path, signum, code, said):
    """Ctrl-C (to the terminal's whole process group, as a terminal sends it) and SIGTERM (to serve
    alone, as `kill` and service managers send it) while a run is building: serve says it stopped in
    one line with no traceback; the run is cancelled (its concurrency slot freed), nothing is
    published, no staging folder, lock or process is left."""
    serve, deployment = start_serve(server, tmp_path, f"stops-{signum}", 'title = "Stopped"\n')
    out = tmp_path / "out"
    try:
        run = api(server, "POST", f"/deployments/{deployment}/create_flow_run", {})
        staging = tmp_path / ".out.staging"
        deadline = time.monotonic() + 240
        while not staging.exists():  # the run is rendering
            assert time.monotonic() < deadline and serve.poll() is None, (tmp_path / "serve.err").read_text()[-3000:]
            time.sleep(0.1)
        processes = psutil.Process(serve.pid).children(recursive=True)  # served process, run, layout, EPUBCheck…
        if signum == signal.SIGINT:
            os.killpg(serve.pid, signum)
        else:
            serve.send_signal(signum)
        assert serve.wait(timeout=120) == code
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
    err = (tmp_path / "serve.err").read_text()
    assert "Traceback" not in err, err[-3000:]
    last = err.splitlines()[-1]
    assert last.startswith(f"pubpipe serve stopped ({said}); the run in progress, {run['name']!r}, ended Cancelled"), last
    assert api(server, "GET", f"/flow_runs/{run['id']}")["state_type"] == "CANCELLED"
    served = api(server, "GET", f"/deployments/{deployment}")
    assert served["paused"] and served["global_concurrency_limit"]["active_slots"] == 0  # the next serve can run
    assert not out.exists() and not staging.exists() and not (tmp_path / ".out.lock").exists()
    gone, alive = psutil.wait_procs(processes, timeout=10)
    assert not alive, [p.cmdline() for p in alive]


def test_serve_with_the_server_down_says_so(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api"}
    done = subprocess.run([str(BIN / "pubpipe"), "serve", "--sources", str(ROOT / "sources"), "--output",
                           str(tmp_path / "out")], env=env, capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 2, done.stderr[-3000:]
    assert done.stderr.strip().count("\n") == 0 and "cannot reach the Prefect server" in done.stderr
    assert "prefect server start" in done.stderr and env["PREFECT_API_URL"] in done.stderr


def test_constraints_pin_the_versions_the_tests_run_with():
    """constraints.txt (what ./setup.sh installs) names every package pubpipe[test] needs, down to the
    last dependency, at the version installed here: the Prefect server's SQLAlchemy, fastapi,
    pydantic… are the ones these tests ran with. After a dependency change: ./refresh-constraints.sh."""
    from importlib.metadata import distribution

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[canonicalize_name(name)] = version.strip()
    needed, todo, seen = {}, [("pubpipe", frozenset({"test"}))], set()
    while todo:
        name, extras = todo.pop()
        if (name, extras) in seen:
            continue
        seen.add((name, extras))
        dist = distribution(name)
        needed[canonicalize_name(name)] = dist.version
        for req in map(Requirement, dist.requires or []):
            if not req.marker or any(req.marker.evaluate({"extra": e}) for e in extras | {""}):
                todo.append((req.name, frozenset(req.extras)))
    needed.pop("pubpipe")
    wrong = {name: (version, pinned.get(name)) for name, version in needed.items() if pinned.get(name) != version}
    assert not wrong, f"installed vs constraints.txt: {wrong}; run ./refresh-constraints.sh (DEVELOPERS.md)"
    assert pinned["sqlalchemy"].startswith("2.0.")  # Prefect 3.8.8's scheduler creates no run with 2.1
