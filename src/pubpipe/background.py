"""What the processes kept between builds share (the local Prefect server, `pubpipe.orchestrate.localserver`;
the EPUBCheck service, `pubpipe.publish.checkservice`): how long they wait idle before they stop
themselves, and the file lock under which each is started, found and stopped. (Here, not in either:
publishing may not import orchestration, tests/test_imports.py.)"""

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path

from pubpipe.errors import PubpipeError

IDLE_ENV, IDLE_SECONDS = "PUBPIPE_SERVER_IDLE", 30 * 60
"""How long a kept process waits with no build and no request before it stops itself (seconds)."""


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
