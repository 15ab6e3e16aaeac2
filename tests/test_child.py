"""processes.in_child: the process the PDF is laid out in."""

import operator
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pubpipe import processes
from pubpipe.errors import PubpipeError


def test_result_and_exceptions_come_back():
    assert processes.in_child("adder", operator.add, 2, 3) == 5
    with pytest.raises(ValueError, match="invalid literal"):
        processes.in_child("parser", int, "twelve")


def test_a_child_that_dies_is_a_clear_error():
    with pytest.raises(PubpipeError, match=r"the test renderer's process died before it finished \(out of memory"):
        processes.in_child("the test renderer", os._exit, 3)


def _spawned_children(pid: int) -> list:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat[stat.rindex(b")") + 2:].split()[1]) == pid and b"spawn_main" in cmd:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for whoever adopted it to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:].split()[0] != b"Z"


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux's")
def test_the_child_dies_with_the_build(tmp_path):
    """A build killed outright (SIGKILL: no cleanup runs) does not leave its renderer running."""
    ready = tmp_path / "ready"
    # The child's work: a shell that says it started (so the child's initializer has run) and waits.
    work = ["sh", "-c", f"echo $$ > {ready}.tmp && mv {ready}.tmp {ready} && exec sleep 120"]
    parent = subprocess.Popen([sys.executable, "-c",
                               f"from pubpipe import processes\nimport subprocess\nprocesses.in_child('sleeper', subprocess.call, {work!r})"])
    try:
        deadline = time.monotonic() + 60
        while not ready.exists():
            assert time.monotonic() < deadline and parent.poll() is None, "the child never started its work"
            time.sleep(0.1)
        children = _spawned_children(parent.pid)
        assert children
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 15
        while any(_alive(pid) for pid in children):
            assert time.monotonic() < deadline, f"renderer {children} outlived the killed build"
            time.sleep(0.1)
    finally:
        if parent.poll() is None:
            parent.kill()
        if ready.exists():
            try:
                os.kill(int(ready.read_text()), signal.SIGKILL)
            except (ProcessLookupError, ValueError):
                pass
