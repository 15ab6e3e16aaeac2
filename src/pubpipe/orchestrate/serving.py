"""`pubpipe serve`: the publish flow as a deployment on a running Prefect server.

One deployment carries both the nightly schedule (cron and timezone from anthology.toml) and
on-demand runs (the UI's Run button, ``prefect deployment run``); at most one run at a time.

It is Prefect's own Runner (what ``Flow.serve`` uses), started and stopped here: in Prefect 3.8.8
``Flow.serve`` exits 0 on Ctrl-C, and on SIGTERM its handler never awaits the runner's stop
("coroutine 'Runner.astop' was never awaited"), exits mid-loop with tracebacks and leaves the run
in progress alone. Here both signals stop the runner the way Prefect means to: the run in
progress is cancelled (its process gets Prefect's SIGTERM, the flow's staging folder is removed,
the output keeps the last complete build, the run ends Cancelled; `_end_runs`), and the
deployment's schedules are paused until serve runs again. The process a user starts only relays
the signals to the served one (`supervise`).
"""

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Optional

from pubpipe.errors import ConfigError, PubpipeError

# Exit code after a clean stop: 130 after Ctrl-C (the shell's convention for SIGINT); 0 after
# SIGTERM, the way service managers (systemd, docker stop) ask a service to stop.
EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 0}
DETACHED = "PUBPIPE_SERVE_DETACHED"  # set in the served process that `supervise` starts
STOP_WAIT_SECONDS = 45  # at most this long from a stop signal to exit (a normal stop takes seconds)


class Interrupted(BaseException):
    """A stop signal arrived before the runner was serving (while registering the deployment)."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@dataclass
class Stopped:
    """How `pubpipe serve` ended: the signal that stopped it and the runs it had in progress."""

    signum: int
    runs: list = field(default_factory=list)  # (run name, final state name, output folder)

    @property
    def exit_code(self) -> int:
        return EXIT_CODES.get(self.signum, 128 + self.signum)

    def message(self) -> str:
        how = "Ctrl-C" if self.signum == signal.SIGINT else signal.Signals(self.signum).name
        line = f"pubpipe serve stopped ({how})"
        for name, state, output in self.runs:
            line += f"; the run in progress, {name!r}, ended {state}: {output} holds the last complete build"
        return line


def supervise(sources: Path, output: Path, config: Optional[Path], name: str, force: bool = False,
              dask: Optional[str] = None) -> int:
    """Run `pubpipe serve` in a session of its own, relay SIGINT and SIGTERM to it, return its exit code.

    A terminal's Ctrl-C goes to every process of its foreground group: the run in progress and the
    processes it started (PDF layout, EPUBCheck) would each die mid-task, with tracebacks. In a
    session of their own only this small process gets it, and the served process stops the way it
    would on SIGTERM: it cancels the run through Prefect. The served process gets SIGTERM if this one
    dies (PR_SET_PDEATHSIG)."""
    import ctypes

    command = [sys.executable, "-m", "pubpipe.cli", "serve", "--sources", str(sources), "--output", str(output),
               "--name", name] + (["--config", str(config)] if config else []) + (["--force"] if force else []) \
        + (["--dask", dask] if dask is not None else [])
    libc = ctypes.CDLL(None, use_errno=True)  # loaded here: nothing but the prctl call after fork
    child = None
    pending = []

    def relay(signum, frame):
        if child is None:
            pending.append(signum)
        else:
            child.send_signal(signum)

    previous = {signum: signal.signal(signum, relay) for signum in EXIT_CODES
                if signal.getsignal(signum) is not signal.SIG_IGN}
    try:
        child = subprocess.Popen(command, env={**os.environ, DETACHED: "1"}, start_new_session=True,
                                 preexec_fn=lambda: libc.prctl(1, signal.SIGTERM))  # PR_SET_PDEATHSIG
        for signum in pending:
            child.send_signal(signum)
        code = child.wait()
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 128 - code if code < 0 else code


def deployment_parameters(sources: Path, output: Path, config: Optional[Path], force: bool = False,
                          dask: Optional[str] = None) -> dict:
    """The deployment's default parameters: absolute paths, so a run works from any directory;
    ``force``: every run builds, even an up-to-date output (`pubpipe serve --force`); ``dask``,
    when given, in place of anthology.toml's `dask` (`pubpipe serve --dask`)."""
    parameters = {"sources": str(Path(sources).resolve()), "output": str(Path(output).resolve()),
                  "config": str(Path(config).resolve()) if config else "", "force": force}
    if dask is not None:
        parameters["dask"] = dask
    return parameters


def check_server() -> str:
    """The API URL of a Prefect server that answers; else PubpipeError saying to start one."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        raise PubpipeError("no Prefect server to serve on: start one with `prefect server start` and set "
                           "PREFECT_API_URL (e.g. `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`)")
    with get_client(sync_client=True) as client:
        problem = client.api_healthcheck()
    if problem is not None:
        response = getattr(problem, "response", None)
        why = f"it answered HTTP {response.status_code}" if response is not None else (str(problem) or type(problem).__name__)
        raise PubpipeError(f"cannot reach the Prefect server at PREFECT_API_URL={url} ({why}): start it with "
                           "`prefect server start`, or set PREFECT_API_URL to a server that is running")
    return url


def serve_deployment(sources: Path, output: Path, config: Optional[Path], name: str = "pubpipe",
                     ready: Callable[[str], None] = print, force: bool = False, dask: Optional[str] = None) -> Stopped:
    """Register the deployment `pubpipe-publish/<name>` and serve it until SIGINT or SIGTERM.

    `ready` is called with a line saying what is served once the deployment is registered;
    ``force`` and ``dask``: the deployment's defaults of the flow's (`deployment_parameters`)."""

    def interrupted(signum, frame):
        raise Interrupted(signum)

    # Until the runner serves (checks, imports, registering the deployment), SIGTERM stops like Ctrl-C.
    previous = signal.signal(signal.SIGTERM, interrupted)
    try:
        return _register_and_run(sources, output, config, name, ready, force, dask)
    except KeyboardInterrupt:
        return Stopped(signal.SIGINT)
    except Interrupted as stop:
        return Stopped(stop.signum)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _register_and_run(sources: Path, output: Path, config: Optional[Path], name: str,
                      ready: Callable[[str], None], force: bool, dask: Optional[str]) -> Stopped:
    from prefect.client.schemas.schedules import CronSchedule

    from pubpipe.read.intake import load_settings

    settings = load_settings(str(sources), str(config) if config else None)
    try:
        schedule = CronSchedule(cron=settings.schedule, timezone=settings.timezone)
    except ValueError as exc:
        raise ConfigError(f"{settings.path or 'anthology.toml'}: schedule {settings.schedule!r} / timezone "
                          f"{settings.timezone!r}: {exc}") from exc
    url = check_server()

    from prefect.runner import Runner
    from prefect.settings import PREFECT_UI_URL

    from pubpipe_flows.publish import publish

    # A run ended by _end_runs leaves its semaphores to the resource tracker that the runs share with
    # serve; it removes them when serve exits and would say so in a warning after serve's last line.
    warnings = [w for w in os.environ.get("PYTHONWARNINGS", "").split(",") if w]
    os.environ["PYTHONWARNINGS"] = ",".join(warnings + ["ignore::UserWarning:multiprocessing.resource_tracker"])
    runner = Runner(name=name, limit=None)  # as Flow.serve; the deployment's limit allows one run at a time
    deployment_id = runner.add_flow(
        publish,
        name=name,
        schedules=[schedule],
        concurrency_limit=1,
        parameters=deployment_parameters(sources, output, config, force, dask),
        description="Build the anthology of the sources folder and publish it (PDF, EPUB, web).",
        tags=["pubpipe"],
    )
    where = f"{PREFECT_UI_URL.value()}/deployments/deployment/{deployment_id}" if PREFECT_UI_URL.value() else url
    ready(f"Serving pubpipe-publish/{name} (schedule {settings.schedule!r}, {settings.timezone}; {where}); "
          "Ctrl-C stops")
    try:
        return asyncio.run(_serve_until_stopped(runner, deployment_id, url))
    finally:
        if _deadlines:  # the loop is closed; the caller says the last line; the rest of the exit is bounded too
            code = _deadlines[0].args[1]
            _deadline(None, code, 15)


async def _serve_until_stopped(runner, deployment_id, url: str) -> Stopped:
    """Run `runner` until SIGINT or SIGTERM; then stop it, cancelling the run in progress.

    Whatever Prefect does meanwhile (a server that stops answering can leave its runner's teardown
    waiting forever), serve ends: `_deadline` forces the exit, and so does a second signal."""
    loop = asyncio.get_running_loop()
    first = loop.create_future()
    stopped = Stopped(0)
    _served.update(url=url, deployment=deployment_id)

    def on_signal(signum):
        if not first.done():
            first.set_result(signum)
        else:  # a second Ctrl-C: do not wait for the cancellation
            _force_exit(stopped.message(), stopped.exit_code)

    logging.getLogger("prefect.runner").setLevel(logging.WARNING)  # not "Pausing all deployments…": serve says what it did
    serving = asyncio.create_task(runner.start())
    # runner.start() installs Prefect's SIGTERM handler before its first await (see the module's
    # docstring); let it, then replace it with ours. SIGINT left ignored (`pubpipe serve &` in a
    # script) stays ignored.
    await asyncio.sleep(0)
    for signum in EXIT_CODES:
        if signal.getsignal(signum) is not signal.SIG_IGN:
            loop.add_signal_handler(signum, on_signal, signum)
    await asyncio.wait({serving, first}, return_when=asyncio.FIRST_COMPLETED)
    if not first.done():  # the runner ended by itself, as Prefect's runner does when its API keeps failing
        first.cancel()
        why = serving.exception() if not serving.cancelled() else None
        line = (f"the Prefect runner stopped ({_summary(why)}): is the Prefect server at {url} well? "
                "See its log, then start pubpipe serve again")
        _deadline(f"pubpipe: {line}", 2)
        raise PubpipeError(line)
    stopped.signum = first.result()
    _deadline(stopped.message(), stopped.exit_code)
    running = await _bounded(_runs_in_progress(deployment_id), [])
    if runner.started:
        stopping = asyncio.create_task(runner.astop())  # cancels the runs in progress, then the loops
        ending = asyncio.create_task(_end_runs(stopping, running))
        await asyncio.wait({stopping}, timeout=STOP_WAIT_SECONDS)
        await asyncio.wait({serving, ending}, timeout=STOP_WAIT_SECONDS)
    else:
        serving.cancel()
        stopping = ending = serving
    for task in {stopping, ending, serving}:
        if task.done() and not task.cancelled():
            task.exception()  # retrieved: a failure while stopping is not worth a traceback
        else:
            task.cancel()
    stopped.runs = await _bounded(_final_states(running), [])
    return stopped


def _summary(exc) -> str:
    """The innermost messages of `exc` (Prefect's runner fails with exception groups), on one line."""
    if exc is None:
        return "no error"
    leaves = list(exc.exceptions) if isinstance(exc, BaseExceptionGroup) else [exc]
    while any(isinstance(e, BaseExceptionGroup) for e in leaves):
        leaves = [x for e in leaves for x in (e.exceptions if isinstance(e, BaseExceptionGroup) else [e])]
    # Prefect's HTTP errors: "Server error '500 …' for url '…' - Response: {…} - For more information…"
    return "; ".join(sorted({(str(e) or type(e).__name__).splitlines()[0].split(" - ")[0][:200] for e in leaves}))


async def _bounded(coroutine, default, seconds: float = 10):
    """`coroutine`'s result, or `default` after `seconds` (Prefect's client retries a server that is gone)."""
    try:
        return await asyncio.wait_for(coroutine, seconds)
    except Exception:
        return default


_deadlines: list = []  # the pending timer of `_deadline`


def _deadline(line: Optional[str], code: int, seconds: float = STOP_WAIT_SECONDS) -> None:
    """From now on, serve exits within `seconds` (saying `line`), even if Prefect's teardown hangs."""
    import threading

    for timer in _deadlines:
        timer.cancel()
    timer = threading.Timer(seconds, _force_exit, (line, code))
    timer.daemon = True
    timer.start()
    _deadlines[:] = [timer]


_served: dict = {}  # "url" and "deployment" of what serve serves, for `_force_exit`


def _force_exit(line: Optional[str], code: int) -> None:
    """Kill the runs' processes, then (best effort, a few seconds at most) mark their runs Cancelled,
    pause the deployment and remove their staging folders and locks; say `line` and exit now."""
    _kill(_run_processes())
    try:
        _abandon(**_served)
    except Exception:
        pass
    if line:
        print(line, file=sys.stderr, flush=True)
    os._exit(code)


def _abandon(url: str, deployment) -> None:
    """What Prefect's runner would have done on a clean stop, straight through the REST API (its
    client retries a server that is gone for a minute)."""
    import httpx

    from pubpipe.publish.swap import build_lock, discard, staging_path

    with httpx.Client(base_url=url.rstrip("/") + "/", timeout=2) as api:
        runs = api.post("flow_runs/filter", json={"flow_runs": {
            "deployment_id": {"any_": [str(deployment)]},
            "state": {"type": {"any_": ["PENDING", "RUNNING", "CANCELLING"]}}}}).json()
        for run in runs:
            # Not forced: the server's rules then also free the deployment's concurrency slot.
            api.post(f"flow_runs/{run['id']}/set_state", json={"state": {
                "type": "CANCELLED", "name": "Cancelled", "message": "pubpipe serve was stopped"}})
            output = (run.get("parameters") or {}).get("output")
            if output:
                try:
                    with build_lock(Path(output)):
                        discard(staging_path(Path(output)))
                except (PubpipeError, OSError):
                    pass
        api.post(f"deployments/{deployment}/pause_deployment")


def _run_processes() -> list:
    """The runner's flow-run processes (multiprocessing's spawn children), not its resource tracker."""
    import psutil

    runs = []
    for child in psutil.Process().children():
        try:
            if "--multiprocessing-fork" in child.cmdline():
                runs.append(child)
        except psutil.Error:
            pass
    return runs


def _kill(runs: list) -> list:
    """SIGKILL each of `runs` and every process it started; the processes killed."""
    import psutil

    tree = []
    for run in runs:
        try:
            tree += [run, *run.children(recursive=True)]
        except psutil.Error:
            pass
    for process in tree:
        try:
            process.kill()
        except psutil.Error:
            pass
    return tree


async def _end_runs(stopping: asyncio.Task, running: list, settle: float = 2.0, grace: float = 8.0) -> None:
    """End the processes of the runs being cancelled, and what they started, once they have unwound;
    then make sure no staging folder or lock of theirs is left.

    Prefect's cancellation SIGTERMs a run's process: its flow unwinds at once (the staging folder is
    removed, the lock released), but the process cannot exit while a task thread still waits on a
    PDF layout process or on EPUBCheck's Java, up to minutes for a long book; Prefect would kill it
    after 30 s. Here, once its staging folder is gone (or after `grace` seconds), the run's process
    and every process it started are killed; Prefect then records the run as Cancelled. SIGKILL,
    not SIGTERM: a helper that merely failed would log its task's traceback on the way out."""
    import psutil

    from pubpipe.publish.swap import build_lock, discard, staging_path

    outputs = [Path(run.parameters["output"]) for run in running if (run.parameters or {}).get("output")]
    runs = _run_processes()
    if runs:
        started = time.monotonic()
        await asyncio.sleep(settle)  # Prefect's cancel intent and SIGTERM reach the run first
        while (time.monotonic() - started < grace and not stopping.done() and any(r.is_running() for r in runs)
               and any(staging_path(output).exists() for output in outputs)):
            await asyncio.sleep(0.2)
        await asyncio.to_thread(psutil.wait_procs, _kill(runs), timeout=5)
    for output in outputs:  # a run killed mid-write: its staging folder and lock file go too
        try:
            with build_lock(output):
                discard(staging_path(output))
        except (PubpipeError, OSError):
            pass  # another build holds the output now (its staging is its own), or it cannot be written


async def _runs_in_progress(deployment_id) -> list:
    """The deployment's flow runs that are pending, running or being cancelled ([] if the API fails)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterState,
                                                FlowRunFilterStateType)
    from prefect.client.schemas.objects import StateType

    states = [StateType.PENDING, StateType.RUNNING, StateType.CANCELLING]
    try:
        async with get_client() as client:
            return await client.read_flow_runs(flow_run_filter=FlowRunFilter(
                deployment_id=FlowRunFilterDeploymentId(any_=[deployment_id]),
                state=FlowRunFilterState(type=FlowRunFilterStateType(any_=states))))
    except Exception:
        return []


async def _final_states(runs: list) -> list:
    """(name, state name now, output folder) of each of `runs`."""
    from prefect.client.orchestration import get_client

    found = []
    try:
        async with get_client() as client:
            for run in runs:
                now = await client.read_flow_run(run.id)
                found.append((run.name, now.state.name if now.state else "unknown",
                              (run.parameters or {}).get("output", "the output folder")))
    except Exception:
        pass
    return found
