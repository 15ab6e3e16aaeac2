"""The temporary Prefect server of one `pubpipe build`, started before this process imports Prefect.

With no ``PREFECT_API_URL``, Prefect's embedded default starts a temporary API server when the
flow starts: it imports its whole server package into this process (about 2.5 s), then launches
the same package in a child process and waits for it to boot (4-5 s more). Here the child is
launched first, with the very command and environment Prefect uses (its
``SubprocessASGIServer``), so it boots on the other core while this process imports the flow;
the build then points Prefect at it through ``PREFECT_API_URL``. Same server, same database
under ``PREFECT_HOME``, about 4 s less per build (figures in README). Prefect has no public API to
start its temporary server early, hence this module.

The child dies with its parent: on a normal exit (terminate, then kill), and, through Linux's
``PR_SET_PDEATHSIG``, when the build is killed outright.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from importlib.util import find_spec
from pathlib import Path

from pubpipe.orchestrate import logfile as logfile
from pubpipe.errors import PubpipeError
from pubpipe.orchestrate.processes import die_with_parent, track, untrack

STARTUP_SECONDS = 90
"""How long to wait for the server to answer (a fresh PREFECT_HOME migrates its database first)."""
PORT_TAKEN = 3  # uvicorn's exit code when the port is already bound: try another port


class ServerFailed(PubpipeError):
    """The temporary Prefect server did not start."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _launch(port: int) -> subprocess.Popen:
    spec = find_spec("prefect")
    app_dir = Path(next(iter(spec.submodule_search_locations))).parent
    env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
    env.pop("PREFECT_API_URL", None)
    command = [sys.executable, "-m", "uvicorn", "--app-dir", str(app_dir), "--factory",
               "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(port),
               "--log-level", "error", "--lifespan", "on"]
    # A session of its own: Ctrl-C in the terminal must not kill the server under the build (which
    # would then retry it for a minute); the build stops it (pubpipe.orchestrate.interrupts). Its output goes to
    # the build's log file when there is one.
    log = logfile.stream()
    return track(subprocess.Popen(command, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                                  start_new_session=True,
                                  preexec_fn=die_with_parent if sys.platform == "linux" else None))


class TemporaryServer:
    """A Prefect API server in a child process, on a free loopback port."""

    def __init__(self):
        self.port = _free_port()
        self.process = _launch(self.port)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        """Block until the server answers /health; relaunch on another port if that one was taken."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            code = self.process.poll()
            if code == PORT_TAKEN:
                untrack(self.process)
                self.port = _free_port()
                self.process = _launch(self.port)
                os.environ["PREFECT_API_URL"] = os.environ["PUBPIPE_TEMPORARY_SERVER"] = self.api_url
            elif code is not None:
                raise ServerFailed(f"the temporary Prefect server exited with code {code} before it was "
                                   f"ready (PREFECT_HOME={os.environ.get('PREFECT_HOME', '~/.prefect')}); its "
                                   "messages are in the log")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise ServerFailed(f"the temporary Prefect server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        untrack(self.process)
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def temporary_server():
    """Start a temporary Prefect server now and point PREFECT_API_URL at it for the block.

    Yields the TemporaryServer (call ``wait_ready()`` before the first flow run), or None when
    PREFECT_API_URL already names a server, which is then used as it is."""
    if os.environ.get("PREFECT_API_URL"):
        yield None
        return
    server = TemporaryServer()
    os.environ["PREFECT_API_URL"] = os.environ["PUBPIPE_TEMPORARY_SERVER"] = server.api_url
    try:
        yield server
    finally:
        os.environ.pop("PREFECT_API_URL", None)
        os.environ.pop("PUBPIPE_TEMPORARY_SERVER", None)
        server.stop()
