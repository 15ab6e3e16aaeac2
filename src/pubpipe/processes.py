"""Child processes of a build: the temporary Prefect server (`pubpipe.tempserver`) and the PDF
layout (`pubpipe.build.render_pdf`) — both must not outlive a build that is killed outright."""

import ctypes
import ctypes.util
import signal
import sys

from .errors import PubpipeError


def die_with_parent() -> None:
    """In a child: receive SIGTERM when the parent (strictly: the thread that started the child) dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere it does nothing."""
    if sys.platform != "linux":
        return
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def in_child(what: str, function, *args):
    """``function(*args)`` in a spawned child process (which, once started, gets SIGTERM if the build
    dies); its exceptions come back as they are. A child that dies (the kernel's out-of-memory killer) is a
    `PubpipeError` naming `what`."""
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from multiprocessing import get_context
    with ProcessPoolExecutor(1, mp_context=get_context("spawn"), initializer=die_with_parent) as pool:
        try:
            return pool.submit(function, *args).result()
        except BrokenProcessPool:
            raise PubpipeError(f"{what}'s process died before it finished (out of memory? see the "
                               "system log); nothing was published") from None
