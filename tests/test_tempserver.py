"""The build's own temporary Prefect server: started before Prefect is imported, answers, and
never outlives the build (stopped at exit, and killed with a build that is killed outright)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request

import pytest

from pubpipe.orchestrate.tempserver import temporary_server

pytestmark = pytest.mark.usefixtures("session_prefect_home")  # its builds use the session's PREFECT_HOME (conftest.py)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(")")[-1].split()[0] != "Z"


def test_serves_the_prefect_api_and_stops(tmp_path, monkeypatch):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    with temporary_server() as server:
        assert os.environ["PREFECT_API_URL"] == server.api_url
        server.wait_ready()
        with urllib.request.urlopen(f"{server.api_url}/admin/version", timeout=10) as response:
            assert json.loads(response.read())
        pid = server.process.pid
    assert "PREFECT_API_URL" not in os.environ and not _alive(pid)


def test_a_server_the_user_runs_is_used_as_it_is(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:4200/api")
    with temporary_server() as server:
        assert server is None and os.environ["PREFECT_API_URL"] == "http://127.0.0.1:4200/api"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_dies_with_a_killed_build(tmp_path):
    code = ("import os, sys, time; from pubpipe.orchestrate.tempserver import temporary_server\n"
            "with temporary_server() as s:\n    print(s.process.pid, flush=True); time.sleep(600)\n")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    build = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                             env=env)
    child = int(build.stdout.readline())
    assert _alive(child)
    build.send_signal(signal.SIGKILL)
    build.wait(10)
    deadline = time.monotonic() + 15
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(child), "the server outlived the build"
