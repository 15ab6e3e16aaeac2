"""A build's timeline, for benchmarks: which step ran in which process and thread, from when to when.

With ``PUBPIPE_TIMELINE`` naming a file, every `span` appends one JSON line to it when it ends:
``{"what", "pid", "thread", "start", "end", "cpu"}`` (start and end: Unix time, comparable across the
build's processes; cpu: the thread's CPU seconds in the span — low for a step that mostly waits on
another process, the layout's or the EPUBCheck JVM's). Lines are appended with one ``write`` on a
file opened ``O_APPEND``, so the layout processes and the flow's threads may write at once. Unset,
`span` costs one environment lookup. benchmarks/bench_build.py reads the file back
(`benchmarks/timeline.py`: a table and a text Gantt chart in RESULTS.md).
"""

import functools
import json
import os
import threading
import time
from contextlib import contextmanager

ENV = "PUBPIPE_TIMELINE"


@contextmanager
def span(what: str):
    """Record the block as one span named ``what`` (when ``PUBPIPE_TIMELINE`` is set)."""
    path = os.environ.get(ENV)
    if not path:
        yield
        return
    start, cpu = time.time(), time.thread_time()
    try:
        yield
    finally:
        record(path, what, start, time.time(), time.thread_time() - cpu)


def record(path: str, what: str, start: float, end: float, cpu: float = 0.0) -> None:
    """Append one span to the timeline file ``path``; a timeline that cannot be written is skipped
    (it is a benchmark's instrument, never a reason for a build to fail)."""
    line = json.dumps({"what": what, "pid": os.getpid(), "thread": threading.current_thread().name,
                       "start": start, "end": end, "cpu": round(cpu, 4)}) + "\n"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)
    except OSError:
        pass


def traced(function, what: str):
    """``function`` recording a `span` named ``what`` each time it runs (signature kept: Prefect
    reads the task's parameters from it)."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        with span(what):
            return function(*args, **kwargs)
    return run
