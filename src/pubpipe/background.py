"""What the processes kept between builds share (the local Prefect server, `pubpipe.orchestrate.localserver`;
the EPUBCheck service, `pubpipe.publish.checkservice`): how long they wait idle before they stop
themselves, the file lock under which each is started, found and stopped, its record (a JSON file
naming its pid), and how a process is known as one of them and stopped. (Here, not in either:
publishing may not import orchestration, tests/test_imports.py.)"""

import fcntl
import json
import os
import signal
import time
from contextlib import contextmanager
from pathlib import Path

from pubpipe.errors import PubpipeError

WARM_CHILD = "PUBPIPE_WARM_CHILD"
"""Set in the environment of a build forked from the warm build process (`pubpipe.orchestrate.warm`)."""
IDLE_ENV, IDLE_SECONDS = "PUBPIPE_SERVER_IDLE", 30 * 60
"""How long a kept process waits with no build and no request before it stops itself (seconds)."""


def state_folder() -> Path:
    """pubpipe's folder in the user's state folder (``$XDG_STATE_HOME``, by default
    ``~/.local/state``): the logs, the EPUBCheck service's folders, the warm build process's records."""
    return Path(os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")) / "pubpipe"


def idle_seconds() -> float:
    """`IDLE_SECONDS`, or ``PUBPIPE_SERVER_IDLE`` if set; a value that is not a number is an error."""
    value = os.environ.get(IDLE_ENV, "")
    try:
        return float(value) if value else IDLE_SECONDS
    except ValueError:
        raise PubpipeError(f"{IDLE_ENV}={value!r} is not a number of seconds; unset it or give one "
                           f"(default {IDLE_SECONDS})") from None


@contextmanager
def locked(path: Path, mode: int = fcntl.LOCK_EX):
    """Hold ``fcntl.flock(mode)`` on the file ``path`` (made, with its folder, if missing)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, mode)
        yield handle


def read_record(path: Path, keys: set) -> dict | None:
    """The JSON object in the file ``path`` if it has every one of ``keys``, else None (missing,
    half-written, another format)."""
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        return record if isinstance(record, dict) and keys <= record.keys() else None
    except (OSError, ValueError):
        return None


def runs(pid: int, module: str) -> bool:
    """Whether process ``pid`` runs ``module`` (``python -m module``): never signal someone else's
    process, whatever pid a stale record names."""
    for _ in range(100):
        try:
            with open(f"/proc/{int(pid)}/cmdline", "rb") as handle:
                line = handle.read()
            if line:
                return module.encode() in line
            # Empty: a zombie, or a process a moment after its exec (the kernel sets the new
            # command line after the exec is past the point where the parent's Popen returns).
            with open(f"/proc/{int(pid)}/stat", "rb") as handle:
                if handle.read().rsplit(b")", 1)[-1].split()[0] in (b"Z", b"X"):
                    return False
        except (OSError, ValueError, IndexError):
            return False
        time.sleep(0.005)
    return False


def stop(pid: int, module: str, timeout: float) -> bool:
    """Stop process ``pid`` if it `runs` ``module``: SIGTERM, then SIGKILL after ``timeout`` seconds
    (and up to 5 s more for it to go). True if it was one."""
    if not runs(pid, module):
        return False
    try:
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while runs(pid, module) and time.monotonic() < deadline:
                time.sleep(0.05)
            if not runs(pid, module):
                break
    except ProcessLookupError:
        pass
    return True
