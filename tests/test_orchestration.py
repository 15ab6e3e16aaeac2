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
import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """`prefect server start` on a free loopback port with a PREFECT_HOME of its own."""
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_LOGGING_LEVEL": "WARNING"}
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


def test_two_builds_at_once_the_second_says_so(tmp_path):
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
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
