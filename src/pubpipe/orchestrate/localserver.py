"""The local Prefect server `pubpipe build` keeps between builds (issue 19), like Gradle's daemon.

With no ``PREFECT_API_URL``, a build needs a Prefect API server. Starting one costs seconds (it
imports Prefect's whole server package and opens its database), so the first build of a session
starts one **in the background** on loopback, with the build's ``PREFECT_HOME`` (its database and
task cache), and later builds use it: only the first pays its start. It stops itself after
`IDLE_SECONDS` (``PUBPIPE_SERVER_IDLE``) with no build and no request; ``pubpipe server stop`` stops it
at once, ``pubpipe server status`` says whether one runs. ``PUBPIPE_SERVER=temporary`` keeps the
former behaviour: a server of the build's own that dies with it (`pubpipe.orchestrate.tempserver`).

Where it is: ``$PREFECT_HOME/pubpipe-server.json`` (pid, port, URL, Prefect's version; its log beside it,
``pubpipe-server.log``). Safe:

- **One at a time.** Builds decide under an exclusive lock (``pubpipe-server.lock``) whether to reuse
  the recorded server or start one, so two builds starting at once share one server.
- **Stale or broken servers are replaced.** A record whose process is gone, whose server does not
  answer ``/health``, or that another Prefect version started, is dropped (the process, when it is
  this module's, is stopped) and a new server is started.
- **A build in progress keeps it.** Each build holds a shared lock on ``pubpipe-server.users`` while
  it runs (the kernel releases it when the build ends, however it ends); the server only stops itself
  when it can take that lock exclusively, and it keeps it until it is gone, so a build that arrives
  as it stops finds it gone and starts another.
- **Ctrl-C of a build does not stop it**: it runs in a session of its own, out of the terminal's
  reach, and is not among the children an interrupted build kills (`pubpipe.orchestrate.processes.track`).

The server is Prefect's own API app (the command and environment Prefect's temporary server uses,
as in `pubpipe.orchestrate.tempserver`), run by uvicorn in ``python -m pubpipe.orchestrate.localserver``, which adds the
idle watch. Prefect has no public way to run its server with an idle timeout, hence this module.
"""

import fcntl
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from importlib.metadata import version
from pathlib import Path

from pubpipe import background
from pubpipe.errors import PubpipeError

IDLE_SECONDS = background.IDLE_SECONDS
"""How long the server waits with no build and no request before it stops itself (``PUBPIPE_SERVER_IDLE``)."""
STARTUP_SECONDS = 90
"""How long a build waits for a server it started to answer (a new PREFECT_HOME migrates its database first)."""
STATE, LOCK, USERS, LOG = "pubpipe-server.json", "pubpipe-server.lock", "pubpipe-server.users", "pubpipe-server.log"
MODULE = "pubpipe.orchestrate.localserver"
WATCH_SECONDS = 2.0


class ServerFailed(PubpipeError):
    """The local Prefect server did not start."""


def home() -> Path:
    """The PREFECT_HOME the server serves (Prefect's default: ~/.prefect)."""
    return Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()


idle_seconds = background.idle_seconds


def read_state(where: Path | None = None) -> dict | None:
    return background.read_record((where or home()) / STATE, {"pid", "url"})


def healthy(url: str, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def ours(pid: int) -> bool:
    """Whether process ``pid`` is a server this module started (never stop someone else's process)."""
    return background.runs(pid, MODULE)


def _stop_process(pid: int, timeout: float = 10.0) -> None:
    background.stop(pid, MODULE, timeout)


class LocalServer:
    """The server a build uses: `acquire` it (reused or started), then `wait_ready`."""

    def __init__(self, url: str, process=None):
        self.url, self.process = url, process

    @property
    def api_url(self) -> str:
        return self.url

    def wait_ready(self, timeout: float = STARTUP_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if healthy(self.url, timeout=2):
                return
            if self.process is not None and self.process.poll() is not None:
                raise ServerFailed(f"the local Prefect server exited with code {self.process.returncode} before it was "
                                   f"ready; its messages are in {home() / LOG}")
            time.sleep(0.05)
        raise ServerFailed(f"the local Prefect server did not answer within {timeout:.0f} s; its messages are in "
                           f"{home() / LOG}; `pubpipe server stop` and build again")


_USER: list = []
"""This process's shared lock on the users file (held until the process ends)."""


def acquire() -> LocalServer:
    """The local server for this build: the recorded one if it answers, else a new one (launched,
    not yet ready: call ``wait_ready``). This process counts as a user of it until it ends."""
    where = home()
    if not _USER:  # first: a server that is stopping holds the users lock until it is gone
        handle = open(_prepared(where) / USERS, "a")
        fcntl.flock(handle, fcntl.LOCK_SH)
        _USER.append(handle)
    with background.locked(where / LOCK, fcntl.LOCK_EX):
        state = read_state(where)
        if state and state.get("prefect") == version("prefect") and _answers(state):
            return LocalServer(state["url"])
        if state:  # gone, broken, or another Prefect's: replaced
            _stop_process(int(state["pid"]))
            (where / STATE).unlink(missing_ok=True)
        return _start(where)


def _answers(state: dict) -> bool:
    """Whether the recorded server answers — after it finishes starting, when another build
    started it a moment ago (that build's own wait is not ours to cut short)."""
    if healthy(state["url"]):
        return True
    pid = int(state["pid"])
    left = float(state.get("started", 0)) + STARTUP_SECONDS - time.time()
    if left <= 0 or not ours(pid):
        return False
    deadline = time.monotonic() + left
    while time.monotonic() < deadline and ours(pid):
        if healthy(state["url"]):
            return True
        time.sleep(0.1)
    return False


QUIET_SERVICES = ("EVENT_PERSISTER", "TRIGGERS")
"""Prefect server services the local server runs without (``PREFECT_SERVER_SERVICES_<name>_ENABLED``
set in the environment of the build that starts it runs them after all). A build sends ~900 events
(each task run's states); the event persister wrote each to the database and the triggers service
matched each against automations. The local server serves builds only (no UI, no schedules: those
are `prefect server start`'s, README), and nothing reads its events; the task runs are recorded
from the same events by another service (task_run_recorder), as before. Measured: 100 stories, a
second cold build of a session, 4 rounds alternated: 14.39 -> 13.88 s median, the server's CPU
~1.9 -> ~1.4 s a build (benchmarks/RESULTS.md)."""


RECORDER_BATCHES = {"PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_BATCH_SIZE": "200",
                    "PREFECT_SERVER_SERVICES_TASK_RUN_RECORDER_FLUSH_INTERVAL": "1"}
"""How the local server records task runs (unless the environment of the build that starts it says
otherwise): in batches, flushed each second, not each event in a transaction of its own as Prefect's
default (a batch of 1) does. Every write compiled its SQL statement anew (a bulk upsert SQLAlchemy does
not cache): about 25 ms of the server's CPU a task run, ~1.0 s of a 100-story build's 1.6 s, all of it
taken from the layout on a two-core machine. Task runs show in the server up to a second later; nothing
of a build reads them (the task cache is the result store's). pyproject.toml sets the same for a
`prefect server start` run in the project's folder (README). Measured: benchmarks/RESULTS.md, stop 40."""


def _prepared(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    return where


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(where: Path) -> LocalServer:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(where), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="0",
               PREFECT__SERVER_EPHEMERAL="1", PREFECT__SERVER_FINAL="1")
    for name in QUIET_SERVICES:  # (unless the user asks for them)
        env.setdefault(f"PREFECT_SERVER_SERVICES_{name}_ENABLED", "false")
    for name, value in RECORDER_BATCHES.items():
        env.setdefault(name, value)
    env.pop("PUBPIPE_TIMELINE", None)
    with open(where / LOG, "ab") as log:
        # A session of its own: neither the terminal's Ctrl-C nor the build's end reaches it.
        process = subprocess.Popen([sys.executable, "-m", MODULE, "--port", str(port), "--idle", str(idle_seconds())],
                                   env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                   cwd=str(where))
    url = f"http://127.0.0.1:{port}/api"
    state = {"pid": process.pid, "port": port, "url": url, "prefect": version("prefect"), "started": time.time()}
    tmp = where / f".{STATE}.{os.getpid()}"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, where / STATE)
    return LocalServer(url, process)


def status() -> str:
    """One line: whether a local server runs for this PREFECT_HOME, where, and what it is doing."""
    where, state = home(), read_state()
    if not state:
        return f"no local Prefect server for {where}"
    if not healthy(state["url"]):
        return f"the local Prefect server recorded for {where} (pid {state['pid']}) does not answer; the next build replaces it"
    busy = _in_use(where)
    return (f"local Prefect server running at {state['url']} (pid {state['pid']}, PREFECT_HOME {where}); "
            + ("a build is using it" if busy else f"it stops itself after {idle_seconds() / 60:.0f} min with no build"))


def _in_use(where: Path) -> bool:
    with open(_prepared(where) / USERS, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
        return False


def stop(force: bool = False) -> str:
    """Stop the local server of this PREFECT_HOME; refused while a build uses it unless ``force``."""
    where = home()
    with background.locked(where / LOCK, fcntl.LOCK_EX):
        state = read_state(where)
        if not state:
            return f"no local Prefect server for {where}"
        if not force and _in_use(where):
            raise PubpipeError(f"a build is using the local Prefect server at {state['url']}; wait for it to end, "
                               "or `pubpipe server stop --force` (that build then fails)")
        _stop_process(int(state["pid"]))
        (where / STATE).unlink(missing_ok=True)
        return f"stopped the local Prefect server at {state['url']} (pid {state['pid']})"


# ---- the server process ---------------------------------------------------------------------

class _Activity:
    """An ASGI wrapper noting when the server last answered a request."""

    def __init__(self, app):
        self.app, self.last = app, time.monotonic()

    async def __call__(self, scope, receive, send):
        if scope.get("type") == "http":
            self.last = time.monotonic()
        return await self.app(scope, receive, send)


def run_api(port: int, idle: float) -> None:
    """Run Prefect's API on loopback ``port`` until idle for ``idle`` seconds (or SIGTERM)."""
    import uvicorn
    from prefect.server.api.server import create_app
    app = _Activity(create_app())
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on"))
    users = open(home() / USERS, "a")

    def watch():
        seen = time.monotonic()
        while not server.should_exit:
            time.sleep(WATCH_SECONDS)
            try:
                fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                seen = time.monotonic()  # a build is running
                continue
            if time.monotonic() - max(seen, app.last) >= idle:
                state = read_state()
                if state and state.get("pid") == os.getpid():
                    (home() / STATE).unlink(missing_ok=True)
                server.should_exit = True  # the lock is kept until this process is gone
                return
            fcntl.flock(users, fcntl.LOCK_UN)
    threading.Thread(target=watch, name="idle-watch", daemon=True).start()
    server.run()
    state = read_state()
    if state and state.get("pid") == os.getpid():
        (home() / STATE).unlink(missing_ok=True)


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    args = parser.parse_args()
    from pubpipe.orchestrate import framestack
    framestack.call(run_api, args.port, args.idle)  # the event loop's calls given room


if __name__ == "__main__":
    main()
