"""Room on the interpreter's frame stack, so that a deep call going back and forth does not map and
unmap memory on every call.

CPython 3.11 and later keep a thread's Python frames on a stack made of chunks (16 KB unless a frame
needs more). A call that does not fit in the current chunk maps a new one (``mmap``) and its return
unmaps it (``munmap``): a program whose call depth goes back and forth across a chunk's end pays two
system calls and fresh zeroed pages on each crossing — CPython issue gh-142183 ("Calls across stack
chunks perform badly"), fixed by caching one chunk only in 3.13/3.14 releases of 2026, not in 3.11
or 3.12. WeasyPrint's layout does exactly that: measured with strace and py-spy on the 100-story
benchmark's pieces (benchmarks/RESULTS.md, issue 19), 150,000 mmap/munmap pairs of 16 KB, 8-9 % of
the layout's CPU.

`call` runs a function from a frame that needs ROOM_SLOTS slots of the stack: CPython gives that
frame a chunk of its own, rounded up to 512 KB, and the ~250 KB left in it above the frame hold the
frames of everything the function calls (hundreds of levels), so the call's depth never reaches a
chunk's end. The frame's slots are never written (CPython initialises a frame's locals, not its
value stack), so only the pages the calls below use are touched. No C code, no interpreter setting:
the frame's size is the code object's declared stack size (``co_stacksize``), which only sizes the
frame. Not written to (the chunk is an allocation like any other), it costs one mmap per `call`.

Used where pubpipe's deep work starts: each task of the build's flow (`flows/publish.py`), each
step in a layout or recovery process (`pubpipe.orchestrate.processes`), the command's own process,
and the local Prefect server's event loop.
"""

import functools
import sys

ROOM_SLOTS = 32 * 1024
"""The value-stack slots (8 bytes each) of `call`'s frame: 256 KB and CPython's 8 KB of overhead
per chunk exceed 256 KB, so the chunk is 512 KB (the sizes double from 16 KB)."""


def _call(function, /, *args, **kwargs):
    return function(*args, **kwargs)


if sys.version_info >= (3, 11):  # frames on chunked stacks (before 3.11 each frame was a heap object)
    _call.__code__ = _call.__code__.replace(co_stacksize=ROOM_SLOTS)


def call(function, /, *args, **kwargs):
    """``function(*args, **kwargs)``, its frames and those of everything it calls kept in one
    chunk of the interpreter's frame stack (see the module's docstring)."""
    return _call(function, *args, **kwargs)


def roomy(function):
    """``function`` run through `call` (signature and name kept: Prefect reads a task's parameters
    from it)."""
    @functools.wraps(function)
    def run(*args, **kwargs):
        return _call(function, *args, **kwargs)
    return run
