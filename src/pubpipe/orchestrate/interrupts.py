"""Ctrl-C and SIGTERM during `pubpipe build`: stop within seconds, publish nothing, leave the output.

A build's work runs on Prefect's threads and in child processes, and Python delivers a signal to
the main thread only. Unwinding Prefect's engine from there makes it report the crash to its API
(the temporary server may be gone: it retries for a minute), wait for every task thread, and print
each one's traceback. So the handler does the few things that matter itself and leaves at once:
it kills the build's children (layout processes, EPUBCheck's JVM, the temporary server), removes
the staging folder and the lock, tells a Prefect server the user runs that the run was cancelled,
says so in one line and exits with 128 + the signal's number (130 for Ctrl-C). The one step it
lets finish is the swap of a complete, validated output into place (milliseconds): a reader sees
the old output or the new one, never neither.
"""

import os
import shutil
import signal
import sys
import threading

from pubpipe.orchestrate import logfile
from pubpipe.orchestrate import processes
from pubpipe.orchestrate import progress
from pubpipe.publish import swap
from pubpipe import workfolders

_state: dict = {"output": None, "say": None, "pending": None, "flow_run": None, "stopping": False}
_lock = threading.Lock()
NAMES = {signal.SIGINT: "Ctrl-C", signal.SIGTERM: "SIGTERM"}


def install(output, say) -> None:
    """Handle SIGINT and SIGTERM for the build of `output` from now on; `say(line)` prints a line."""
    _state.update(output=output, say=say, pending=None, flow_run=None, stopping=False)
    progress.listen(_remember_run)
    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)


def _remember_run(event: str, data: dict) -> None:
    if event == "flow-run":
        _state["flow_run"] = data.get("id")
        # Prefect's flow engine puts its own SIGTERM handler in place for the run (it raises into
        # the engine, which then reports a crash to the API: seconds). This build is stopped by
        # the handler above; Prefect puts ours back when the run ends.
        if threading.current_thread() is threading.main_thread() and not _state["stopping"]:
            signal.signal(signal.SIGTERM, _handler)


def _handler(signum, frame) -> None:
    if swap.SWAPPING.is_set():  # a validated output is being swapped in: let it finish
        _state["pending"] = signum
        threading.Thread(target=_after_swap, daemon=True).start()
        return
    stop(signum)


def _after_swap() -> None:
    while swap.SWAPPING.is_set():
        threading.Event().wait(0.01)
    stop(_state["pending"], published=True)


def stop(signum: int, published: bool = False) -> None:
    """Stop the build now (see the module's docstring); never returns."""
    with _lock:
        if _state["stopping"]:
            return
        _state["stopping"] = True
    if threading.current_thread() is threading.main_thread():
        # A handler that does nothing, not SIG_IGN: an ignored signal stays ignored in a process
        # started meanwhile (a layout process a task thread is spawning), which a second Ctrl-C
        # or SIGTERM to the group would then not stop.
        signal.signal(signal.SIGINT, _ignore)
        signal.signal(signal.SIGTERM, _ignore)
    output = _state["output"]
    processes.kill_children()
    workfolders.remove_work_folders()
    staging = swap.staging_path(output) if output is not None and swap._HELD else None
    if staging is not None:
        _remove_staging(staging)
    _cancel_run()
    progress.hush()  # (the line below the last on the terminal: a task thread's step may end meanwhile)
    say = _state["say"] or (lambda line: print(line, file=sys.stderr))
    what = NAMES.get(signum, f"signal {signum}")
    if published:
        say(f"pubpipe: stopped ({what}) just after publishing {output}: it holds the new build")
    else:
        say(f"pubpipe: stopped ({what}); nothing published" + (f", {output}/ is as it was" if output else ""))
    logfile.flush()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    if staging is not None:  # once more, last: a task thread may have written into it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    swap.release_all()
    os._exit(128 + signum)


def _ignore(signum, frame) -> None:
    pass


def _remove_staging(staging) -> None:
    """Remove the staging folder while the flow's threads may still be writing into it: moved
    aside at once, then removed, then removed again for a moment in case a thread that was
    mid-write made its folder anew (the next build would remove it too, but a user should not
    find one)."""
    import time
    aside = staging.with_name(f"{staging.name}.stopped-{os.getpid()}")
    try:
        os.rename(staging, aside)
        shutil.rmtree(aside, ignore_errors=True)
    except OSError:
        pass
    deadline = time.monotonic() + 0.3
    while time.monotonic() < deadline:
        shutil.rmtree(staging, ignore_errors=True)
        time.sleep(0.03)
    shutil.rmtree(staging, ignore_errors=True)


def _cancel_run() -> None:
    """Mark the flow run cancelled on a Prefect server the user runs (the temporary one is gone with
    the build); best effort, at most a second or two."""
    run, url = _state["flow_run"], os.environ.get("PREFECT_API_URL")
    if not run or not url or os.environ.get("PUBPIPE_TEMPORARY_SERVER") == url:
        return
    try:
        import httpx
        httpx.post(f"{url.rstrip('/')}/flow_runs/{run}/set_state", timeout=2, json={
            "state": {"type": "CANCELLED", "name": "Cancelled", "message": "stopped from the terminal"},
            "force": True})
    except Exception:
        pass
