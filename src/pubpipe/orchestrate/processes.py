"""Child processes of a build: the temporary Prefect server (`pubpipe.orchestrate.tempserver`), the PDF
layout (`pubpipe.render.pdf.reading`'s parts, front matter and folio sheet, `in_layout`), the steps after
it that need no WeasyPrint (the assembly, `pubpipe.render.pdf.imposition`: `in_fresh`), the process
that recovers the stories (`in_recovery`) and its helper that recovers half of the sources'
(`on_both_cores`) — none may outlive a build that is killed outright."""

import atexit
import ctypes
import ctypes.util
import gc
import os
import signal
import sys
import threading
import warnings
from pathlib import Path

from pubpipe import dates
from pubpipe.orchestrate import framestack
from pubpipe.errors import PubpipeError


def _libc():
    """The C library (Linux: glibc's prctl, mallopt, malloc_trim)."""
    return ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)


def die_with_parent() -> None:
    """In a child: receive SIGTERM when the parent (strictly: the thread that started the child) dies.

    Linux only (prctl PR_SET_PDEATHSIG); elsewhere it does nothing."""
    if sys.platform != "linux":
        return
    _libc().prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def exit_with_parent(parent: int = 0, interval: float = 0.5) -> None:
    """In a pool worker: exit as soon as the process that started it is gone; leave Ctrl-C to it.

    The terminal sends Ctrl-C's SIGINT to every process of the build; a worker would print its own
    KeyboardInterrupt traceback. The build stops its workers itself (`kill_children`).

    Not PR_SET_PDEATHSIG: a pool spawns its workers from whichever thread submits first (a Prefect
    task thread), and the kernel signals when that *thread* ends, not the process. A daemon thread
    watches the parent's pid instead; it runs between the worker's bytecodes, even mid-layout.

    `parent`: the pid of the process that made the pool, passed in, never read here: a worker that
    is still starting (its imports take seconds on a busy machine) when the build is stopped finds
    itself already adopted by init, and must leave too. A layout process forked from the pool's fork
    server (`_executor`'s ``preload``) has that server for its parent, not the build: it leaves when
    either is gone (the server ends when the build does)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = parent or os.getppid()
    first = os.getppid()

    def watch():
        import time
        while os.getppid() == first and _alive(parent):
            time.sleep(interval)
        os._exit(1)
    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _alive(pid: int) -> bool:
    """Whether the process ``pid`` still runs: not gone, nor a zombie (a build that has exited, whose
    parent has not yet waited for it: the parent may be waiting for the end of the build's output,
    which the layout processes hold open until they leave)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: the kernel says whether it exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            pass
        return True
    return stat[stat.rindex(b")") + 2:][:1] != b"Z"


MALLOC = (("MALLOC_ARENA_MAX", -8, 2), ("MALLOC_MMAP_THRESHOLD_", -3, 128 * 1024),
          ("MALLOC_TRIM_THRESHOLD_", -1, 128 * 1024))
"""glibc malloc settings of a pubpipe process and the processes it starts (`tune_malloc`): the
environment variable, its ``mallopt`` parameter (M_ARENA_MAX, M_MMAP_THRESHOLD, M_TRIM_THRESHOLD),
the value."""


def tune_malloc() -> list:
    """Set glibc's malloc, in this process and every process it starts (the variables are read by
    glibc as a process starts: the Prefect server, the layout and recovery processes, EPUBCheck's
    JVM), to give memory back: at most two arenas, and blocks of 128 KB or more mapped apart and
    returned when freed, the heap's free top returned above 128 KB. The names of the settings set
    here (one the user set is left as it is; elsewhere than glibc — musl, macOS — nothing is set).

    glibc gives each thread that allocates an arena of its own, up to eight per core, and keeps what
    is freed in it; it also raises its mapping threshold after each large block freed, up to 32 MB,
    so that the big buffers of a build (a PDF's bytes, a pickled result) end up in those arenas and
    stay there. The build process runs its steps on Prefect's task threads. Measured at 1,000
    stories (benchmarks/RESULTS.md, issue 19): the arenas capped, the build process 450 -> 316 MB
    during the parts' layout; the thresholds fixed as well, 297-308 MB; no time lost (the
    benchmark book's layout in one process 17.2-18.0 s of CPU either way)."""
    if sys.platform != "linux":
        return []
    try:
        mallopt = _libc().mallopt
    except (OSError, AttributeError):  # no glibc
        return []
    done = []
    for name, parameter, value in MALLOC:
        if name in os.environ:
            continue
        os.environ[name] = str(value)
        mallopt(parameter, value)  # for this process, from now on
        done.append(name)
    return done


def give_back_memory() -> bool:
    """Collect garbage and hand the free memory of this process's malloc heaps back to the system
    (glibc's ``malloc_trim``; elsewhere only the collection): for the long-lived build process after
    a stage that made and dropped much (the recovery's results, the parts' layout). True if trimmed."""
    gc.collect()
    if sys.platform != "linux":
        return False
    try:
        trim = _libc().malloc_trim
    except (OSError, AttributeError):
        return False
    return bool(trim(0))


QUIET_TRACKER = "ignore::UserWarning:multiprocessing.resource_tracker"
_POOL: list = []
_POOL_LOCK = threading.Lock()
_ENDING: list = []
"""Pools on their way out (`retire_layout_processes`, `in_fresh`'s one-use pools): `kill_children` kills
their workers too."""
LAYOUT_ENV = "PUBPIPE_LAYOUT_PROCESSES"


def layout_processes() -> int:
    """How many layout processes a build keeps: ``PUBPIPE_LAYOUT_PROCESSES`` if set, else one per CPU
    core. (Issue 19 tried one per core but one, leaving a core to the flow, EPUBCheck's JVM and
    Prefect's server: the timelines in benchmarks/RESULTS.md show that core idle for most of the
    layout — the other work is a quarter of the PDF's and done early — so the parts are laid out on
    every core, and the rest of the build shares them while it runs.)"""
    value = os.environ.get(LAYOUT_ENV, "").strip()
    if value:
        try:
            if int(value) >= 1:
                return int(value)
        except ValueError:
            pass
        raise PubpipeError(f"{LAYOUT_ENV}={value!r}: give a number of layout processes (1 or more), or unset it "
                           "(default: one per CPU core)")
    return os.cpu_count() or 2


def _pool(preload: str = ""):
    """The layout processes (started if there are none; forked from a server that imported
    ``preload``, if given: `_executor`)."""
    with _POOL_LOCK:
        if not _POOL:
            workers = layout_processes()
            _POOL.append(_executor(workers, preload))
        return _POOL[0]


def _executor(workers: int, preload: str = ""):
    """A pool of ``workers`` spawned processes that exit with this one (`exit_with_parent`); call
    with `_POOL_LOCK` held.

    With ``preload`` (a module), the processes are forked from a server that imported it
    (multiprocessing's fork server: started at once, single-threaded, it forks each process on
    request): the layout processes `warm_up` starts import WeasyPrint once a build, not once each —
    about 0.7 s of CPU (WeasyPrint's C declarations parsed, fontTools, pikepdf) that a build's start
    spent twice, beside the recovery of its stories, the critical path then (issue 19). The server
    holds its imports until the build ends (~70 MB resident, ~30 MB proportional: the layout processes
    share its pages). A build forked from the warm build process finds one started and its imports
    done (`start_fork_server`, `inherit_from_warm`): the ~0.6 s of CPU of WeasyPrint's import, which
    fell beside the build's recovery of its stories, is paid once a session (the forked builds
    through a running server at 100 stories and on the book, five rounds alternated: 10.65 -> 10.28 s
    and 11.16 -> 10.79 s median; benchmarks/RESULTS.md, stop 42). A book that may be long does not
    use it (its
    layout processes start after its recovery, spawned: issue 19's memory at 1,000 stories)."""
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context
    # multiprocessing's resource tracker (a process the pool starts) cleans up after a build
    # stopped with Ctrl-C, and then warns on stderr about "leaked semaphore objects"; it takes
    # its warning filters from sys.warnoptions when it starts.
    if QUIET_TRACKER not in sys.warnoptions:
        sys.warnoptions.append(QUIET_TRACKER)
    if _STOPPING.is_set():  # an interrupted build starts no new process
        raise PubpipeError("the build is stopping")
    if not _AT_EXIT:
        _AT_EXIT.append(True)
        atexit.register(_shut_down)
    context = get_context("forkserver" if preload else "spawn")
    if preload:
        context.set_forkserver_preload([preload])
    return ProcessPoolExecutor(workers, mp_context=context, initializer=_worker_start,
                               initargs=(os.getpid(), dict(os.environ) if preload else None))


def _worker_start(parent: int, environ: dict | None) -> None:
    """A pool worker's start: `exit_with_parent`; ``environ``, if given, made its environment — a
    worker forked from a fork server the warm build process started (`start_fork_server`) has that
    process's, which may differ from the build's in what the warm process's key leaves out
    (`pubpipe.orchestrate.warm.VOLATILE`: the timeline's file, the shell's PWD…)."""
    if environ is not None and environ != os.environ:
        os.environ.clear()
        os.environ.update(environ)
    exit_with_parent(parent)


def start_fork_server(preload: str) -> None:
    """Start now, in this process, multiprocessing's fork server for the layout processes, importing
    ``preload`` (`_executor`'s): for the warm build process (`pubpipe.orchestrate.warm.serve`), so
    that each build forked from it finds the server started, its imports done (WeasyPrint's: ~0.6 s
    of CPU a build paid beside its stories' recovery, its start's critical path; issue 19). The
    server is a process of its own (started, not forked: no thread of this one's is in it); it ends
    once every process holding its "alive" pipe has — this one, the builds forked from it and their
    layout processes. Does nothing where there is no fork server (not Linux)."""
    from multiprocessing import forkserver, get_context
    if sys.platform != "linux":
        return
    get_context("forkserver").set_forkserver_preload([preload])
    forkserver.ensure_running()
    _FORK_SERVER[:] = [preload]


_FORK_SERVER: list = []
"""The module the fork server `start_fork_server` started imports (a forked build inherits it)."""


def inherit_from_warm() -> None:
    """In a build just forked from the warm build process: the multiprocessing state it inherited
    from that process made this build's.

    - The resource tracker the warm process started with its fork server is forgotten: this build's
      pools start their own, as a build always did. multiprocessing's tracker removes what a process
      left (the pools' semaphores, when a build ends with ``os._exit`` or is killed) once every
      process holding it has ended; shared with the warm process, that would be only when it stops.
    - The fork server (`start_fork_server`) is adopted: multiprocessing's own check of a running
      server (``ForkServer.ensure_running``) waits on its pid, which only the process that started it
      may do, so the server's object is given a check of its own. A server that is gone, or that
      imported another module than the pool asks for, is forgotten when a pool starts: the build
      starts its own (multiprocessing's check), as it did before."""
    from multiprocessing import forkserver, resource_tracker
    tracker = resource_tracker._resource_tracker
    if tracker._fd is not None:
        try:
            os.close(tracker._fd)
        except OSError:
            pass
        tracker._fd = tracker._pid = None
    server = forkserver._forkserver
    pid = server._forkserver_pid
    if pid is None:
        return
    started = type(server).ensure_running

    def forget() -> None:
        # (the "alive" pipe's end is the warm process's too: closed here, it stays open there)
        if server._forkserver_alive_fd is not None:
            try:
                os.close(server._forkserver_alive_fd)
            except OSError:
                pass
        server._forkserver_address = server._forkserver_alive_fd = server._forkserver_pid = None

    def ensure_running() -> None:
        with server._lock:
            if server._forkserver_pid == pid:
                if server._preload_modules == _FORK_SERVER and _alive(pid):
                    resource_tracker.ensure_running()
                    return
                forget()
        started(server)
    server.ensure_running = ensure_running


_AT_EXIT: list = []


def _shut_down() -> None:
    """Stop the workers while the interpreter is whole (left to the executor's own hook at exit,
    its callbacks run after module teardown and print an ignored AttributeError)."""
    for pool in [*_POOL, *_RECOVERY, *_ENDING]:
        pool.shutdown(wait=True, cancel_futures=True)


def in_pool(what: str, function, *args):
    """``function(*args)`` in one of a few spawned processes kept for the life of this one
    (`layout_processes`: one per core, the PDF's parts laid out side by side, each worker paying for
    its imports once); they
    exit if this process dies (`exit_with_parent`). Exceptions come back as they are; a worker that dies (the
    kernel's out-of-memory killer) is a `PubpipeError` naming `what`, and the next call starts
    afresh."""
    from concurrent.futures.process import BrokenProcessPool
    pool = _pool()
    try:
        try:
            future = pool.submit(function, *args)
        except RuntimeError:  # retired (`retire_layout_processes`) since _pool() returned it: a new one
            pool = _pool()
            future = pool.submit(function, *args)
        return future.result()
    except BrokenProcessPool:
        with _POOL_LOCK:
            if _POOL and _POOL[0] is pool:
                _POOL.clear()
        pool.shutdown(wait=False, cancel_futures=True)
        raise PubpipeError(f"{what}'s process died before it finished (out of memory? see the "
                           "system log); nothing was published") from None


def retire_layout_processes() -> None:
    """End the layout processes (the next layout starts new ones): for a build whose layouts are
    done. WeasyPrint leaves a process holding more memory after each layout (a 1,000-story book:
    ~200 MB per process after its parts; its front matter alone takes a fresh one to ~280 MB:
    benchmarks/RESULTS.md, issue 19's memory), which the rest of the build does not need. Work
    already given to them (another build's, in a long-lived process) is finished first."""
    _retire(_POOL)


def retire_layout_processes_soon() -> None:
    """`retire_layout_processes` without waiting here for the work they have (a warm-up's imports):
    the next layout starts new ones at once; these end on a thread of their own once that work is done."""
    _retire(_POOL, wait=False)


def _retire(pools: list, wait: bool = True) -> None:
    """Shut down the pool kept in ``pools`` (`_POOL` or `_RECOVERY`), if any, once its work is done
    (unless ``wait``, on a thread of its own); meanwhile it is among `_ENDING`, where
    `kill_children` finds it."""
    with _POOL_LOCK:
        if not pools:
            return
        pool = pools.pop()
        _ENDING.append(pool)

    def shut_down():
        try:
            pool.shutdown(wait=True)
        finally:
            with _POOL_LOCK:
                _ENDING.remove(pool)
    if wait:
        shut_down()
    else:
        threading.Thread(target=shut_down, name="retire-processes", daemon=True).start()


FRESH_FROM_PAGES = 1000
"""A book of this many pages or more has its steps after the parts' layout (front matter, folio
sheet, assembly, imposition) done in processes started for them (`retire_layout_processes`,
`in_fresh`), so that what WeasyPrint and pypdf leave a process is given back (issue 19's memory:
at 1,000 stories, 3,400 pages, the tree's peak fell from 2.1 to 1.3 GB). A shorter book's steps use
the layout processes already warm: each fresh process costs a spawn and its imports (0.7–1.0 s, three
of them on the critical path of a 350-page book, about a tenth of its cold build) to give back
memory it does not need (benchmarks/RESULTS.md)."""


CHARS_PER_PAGE = 1_250
"""Characters of source text to a page of the reading edition, at fewest (measured: 100 generated
stories 1,240, 1,000 of them 1,242, the benchmark book 1,493, the realweb copy pages 1,992): what
`pubpipe.pipeline._long` guesses a book's length from before its stories are recovered."""


def may_be_long(sources) -> bool:
    """Whether the files of the folder ``sources`` may make a book of `FRESH_FROM_PAGES` pages or
    more, by their bytes (more than their text: markup, encodings): `pubpipe build`'s guess before
    it reads them, for what it starts early."""
    total = 0
    for path in Path(sources).rglob("*"):
        try:
            if path.is_file():
                total += path.stat().st_size
        except OSError:
            continue
        if total // CHARS_PER_PAGE >= FRESH_FROM_PAGES:
            return True
    return False


def fresh_processes(pages: int) -> bool:
    """Whether the steps after the layout of a book of ``pages`` pages run in fresh processes
    (`FRESH_FROM_PAGES`)."""
    return pages >= FRESH_FROM_PAGES


def in_fresh(what: str, function, *args, here: bool = False, warm: bool = False):
    """``function(*args)`` in a process started for this call alone and ended after it (or, with
    ``here``, in this process), under this build's SOURCE_DATE_EPOCH as `in_layout`: for the steps
    after the layout that need pikepdf or pypdf but no WeasyPrint (the assembly, the imposition),
    so that their memory — a whole book's PDF objects — is given back as soon as they end, and is
    not added to a layout process's (issue 19). The spawn and imports cost about a second of CPU.
    Errors as `in_pool`'s; it exits if this process dies, and `kill_children` kills it. With ``warm``,
    in a layout process instead (`in_pool`: no spawn, for a book that is not `fresh_processes`)."""
    if here:
        with _HERE:
            return function(*args)
    if warm:
        return in_pool(what, _dated, os.environ.get(EPOCH), function, *args)
    from concurrent.futures.process import BrokenProcessPool
    with _POOL_LOCK:
        pool = _executor(1)
        _ENDING.append(pool)
    try:
        return pool.submit(_dated, os.environ.get(EPOCH), function, *args).result()
    except BrokenProcessPool:
        raise PubpipeError(f"{what}'s process died before it finished (out of memory? see the "
                           "system log); nothing was published") from None
    finally:
        pool.shutdown(wait=True)
        with _POOL_LOCK:
            _ENDING.remove(pool)


LAYOUT_MODULE, RECOVERY_MODULE = "pubpipe.render.pdf.engine", "pubpipe.recover.steps"
"""What the layout processes and the recovery process import as they start (named, not imported:
both import this module)."""


def start_helpers(layout: bool = True) -> None:
    """Start the build's helper processes now — the recovery process and (with ``layout``) the layout
    processes, each importing its module (`start_recovery_process`, `warm_up`) — without waiting:
    `pubpipe build` calls it as soon as it knows it builds, before it imports Prefect and the flow
    (about 2 s on one core; the helpers' imports take the other), and `pubpipe.pipeline.build` again
    (a no-op then; the start, for a run of a deployment). A book that `may_be_long` starts no layout
    process before its stories are recovered: the recovery (ahead of the flow, in `pubpipe build`)
    then holds the most memory of the build, and two warm layout processes beside it took the
    1,000-story tree to 1,091 MB (benchmarks/RESULTS.md, section 10)."""
    from pubpipe import background
    if not (layout and os.environ.get(background.WARM_CHILD)):
        # (a build forked from the warm process recovers its stories in its flow, at once: it has the
        # recovery imported and Prefect too. Measured, alternated: a thread recovering them ahead
        # of the flow was no faster, cold or with one story changed. A long book's recovery keeps
        # a process of its own, for its memory.)
        start_recovery_process(RECOVERY_MODULE)
    if layout:
        warm_up(LAYOUT_MODULE)


_WARMED: list = []
"""The layout pool `warm_up` last warmed (a pool is warmed once)."""


def warm_up(layout: str, fork_server: bool = True) -> None:
    """Start the layout processes now and have each import the layout module `layout` (WeasyPrint,
    1–1.5 s; named, not imported here: the renderer imports this module), without
    waiting: called as a build starts recovering its stories (one core busy), so the first part's
    layout does not wait for them. Does nothing while a build stops, or for a pool already warmed.
    ``fork_server``: the processes forked from a server that imported `layout` (`_executor`'s
    ``preload``), unless they are started already; else each spawned, importing it. On a thread
    of its own: a process's start waits for the fork server's imports (~0.5 s), which the build's
    own steps do not."""
    if _STOPPING.is_set():
        return
    threading.Thread(target=_warm_up, args=(layout, fork_server), name="warm-up-layout", daemon=True).start()


def _warm_up(layout: str, fork_server: bool) -> None:
    try:
        pool = _pool(layout if fork_server else "")
        with _POOL_LOCK:
            if _WARMED and _WARMED[0] is pool:
                return
            _WARMED[:] = [pool]
        for _ in range(layout_processes()):
            pool.submit(_import_layout, layout)
    except Exception:  # a warm-up that fails costs only the time: the first layout says what is wrong
        pass


def _import_layout(layout: str) -> None:
    import importlib
    import time
    from pubpipe.orchestrate import timeline
    with timeline.span("layout process: import the layout"):
        importlib.import_module(layout)  # WeasyPrint and the fonts' cache with it
    time.sleep(0.2)  # held a moment, so that each warm-up call lands on a process of its own


# ---- the stories recovered in a process of their own -----------------------------------------------

_RECOVERY: list = []
"""The pool of the one process that recovers a build's stories, from `start_recovery_process` to
`retire_recovery_process`."""


def start_recovery_process(module: str) -> None:
    """Start the process that will recover this build's stories (`in_recovery`), and have it import
    ``module`` and call its ``prepare()`` (the line model read, LightGBM loaded) without waiting:
    called as a build starts, beside the layout processes' start. Its memory — the sources' lines,
    the model's features of every line, at 1,000 stories ~200 MB that the build process would hold
    to its end — goes when it is retired (issue 19's memory, benchmarks/RESULTS.md). Does nothing
    while a build stops or while one is started."""
    if _STOPPING.is_set():
        return
    try:
        with _POOL_LOCK:
            if _RECOVERY:
                return
            pool = _executor(1)
            _RECOVERY.append(pool)
        pool.submit(_prepare_recovery, module)
    except Exception:  # the stories are then recovered in this process: it costs only memory
        pass


def recover_ahead(*args):
    """Have the recovery process (if one is started) recover the stories ahead of the flow
    (`RECOVERY_MODULE`'s ``ahead(*args)``), without waiting: the flow's recovery steps then find
    their results there. Returns the future of what ``ahead`` returns, or None (no recovery
    process)."""
    if _STOPPING.is_set():
        return None
    with _POOL_LOCK:
        pool = _RECOVERY[0] if _RECOVERY else None
    if pool is None:
        return None
    try:
        return pool.submit(_dated, os.environ.get(EPOCH), _ahead, *args, kind="recovery")
    except Exception:  # (retired meanwhile: the flow recovers the stories itself)
        return None


def _ahead(*args):
    import importlib
    return importlib.import_module(RECOVERY_MODULE).ahead(*args)


def _prepare_recovery(module: str) -> None:
    import importlib
    from pubpipe.orchestrate import timeline
    with timeline.span("recovery process: import the recovery"):
        importlib.import_module(module).prepare()


def in_recovery(what: str, function, *args):
    """``function(*args)`` in the build's recovery process if one is started (`start_recovery_process`),
    else here (as tests, the training and a layout ``here`` call the recovery steps). Errors as
    `in_pool`'s: exceptions come back as they are; a process that dies is a `PubpipeError` naming
    ``what``."""
    from concurrent.futures.process import BrokenProcessPool
    with _POOL_LOCK:
        pool = _RECOVERY[0] if _RECOVERY else None
    if pool is None:
        return function(*args)
    try:
        future = pool.submit(_dated, os.environ.get(EPOCH), function, *args, kind="recovery")
    except RuntimeError:  # retired meanwhile (another build in this process recovered its stories first)
        return function(*args)
    try:
        return future.result()
    except BrokenProcessPool:
        raise PubpipeError(f"{what}: the process recovering the stories died before it finished (out of memory? "
                           "see the system log); nothing was published") from None


def retire_recovery_process() -> None:
    """End the recovery process (its memory given back): once the stories are recovered. Work already
    given to it (another build's, in a long-lived process) is finished first."""
    _retire(_RECOVERY)


_STOPPING = threading.Event()
"""Set by `kill_children`: no layout process is started any more."""


def in_layout_soon(function, *args):
    """``function(*args)`` submitted to the layout processes (as `in_layout` calls it) without
    waiting: its future (`concurrent.futures`: cancel it to drop it while it waits), or None if no
    layout process can take it now (a build that stops, a pool that broke)."""
    if _STOPPING.is_set():
        return None
    try:
        return _pool().submit(_dated, os.environ.get(EPOCH), function, *args)
    except Exception:
        return None


def in_layout(function, *args, here: bool = False):
    """``function(*args)`` in the layout processes (`in_pool`), or, with ``here``, in this process
    (`pubpipe.render.pdf.reading.Layout.here`).

    WeasyPrint's layout is pure Python and holds a document in memory until it is written: in
    child processes the parts are laid out in parallel, neither competes for the interpreter lock
    with the build's other work (EPUB, story pages) nor leaves the layout's memory in the
    long-lived build process. Here, layouts run one at a time: WeasyPrint keeps per-process
    caches (the fonts' static instances) that a part laid out beside another must not share."""
    if not here:
        return in_pool("the PDF renderer", _dated, os.environ.get(EPOCH), function, *args)
    with _HERE:  # one at a time, in order of asking, as the pool's workers do each
        return framestack.call(function, *args)


_HERE = threading.Lock()
EPOCH = dates.ENV


def _dated(epoch, function, *args, kind: str = "layout"):
    """``function(*args)`` in a layout process (or the recovery process: ``kind``) under the caller's
    SOURCE_DATE_EPOCH (``epoch``; None: unset): the process lives on from build to build (and a test
    session's builds set it or not), while the dates it stamps must be this one's."""
    if epoch is None:
        os.environ.pop(EPOCH, None)
    else:
        os.environ[EPOCH] = epoch
    from pubpipe.orchestrate import timeline
    if not _STARTED_NOTED and os.environ.get(timeline.ENV):  # this process's spawn and imports, once
        import psutil
        _STARTED_NOTED.append(True)
        timeline.record(os.environ[timeline.ENV], f"{kind} process: start and imports",
                        psutil.Process().create_time(), __import__("time").time())
    if kind == "layout":
        _collect_now()  # (the last layout's garbage, if its collection has not run yet)
    with timeline.span(f"{kind}: {getattr(function, '__name__', 'step').lstrip('_')}"):
        try:
            return framestack.call(function, *args)
        finally:
            if kind == "layout":
                if _resident_mb() > LAYOUT_TRIM_MB:
                    give_back_memory()
                else:
                    _collect_soon()


LAYOUT_THRESHOLDS = (100_000, 50, 100)
"""The garbage collector's thresholds while a book is laid out (`pubpipe.render.pdf.reading.fewer_collections`
sets them), and in a layout process between layouts too. With Python's (700, 10, 10) restored as
a layout ended, its young garbage (~54,000 objects after the front matter of 100 stories) was
collected then, 54 ms before its result went back, on the critical path after the last piece and
after the front matter; now it is collected just after (`_collect_soon`)."""
COLLECT_AFTER = 0.02
"""Seconds after a layout returns its result that its young garbage is collected (its result is
pickled and sent meanwhile); a layout that starts sooner collects it first (`_collect_now`)."""
_COLLECTION: list = []
_COLLECTION_LOCK = threading.Lock()


def _collect_soon() -> None:
    """Collect the young generation `COLLECT_AFTER` s from now, on a thread, with the layout processes'
    thresholds (`LAYOUT_THRESHOLDS`) set so that nothing collects it before."""
    if gc.get_threshold() != LAYOUT_THRESHOLDS:
        gc.set_threshold(*LAYOUT_THRESHOLDS)
    timer = threading.Timer(COLLECT_AFTER, _collect_now)
    timer.daemon = True
    with _COLLECTION_LOCK:
        _COLLECTION[:] = [timer]
    timer.start()


def _collect_now() -> None:
    """The collection `_collect_soon` scheduled, now if it has not run (each runs once). Before a
    layout starts: `fewer_collections` freezes what exists, and garbage frozen would wait for a full
    collection."""
    with _COLLECTION_LOCK:
        if not _COLLECTION:
            return
        timer = _COLLECTION.pop()
    timer.cancel()
    gc.collect(0)


LAYOUT_TRIM_MB = 130
"""A layout process holding more than this (resident, MB) after a layout collects its garbage and
gives its free memory back (`give_back_memory`, 20-100 ms). The layouts of a short book leave a
process at 110-125 MB and pay nothing; over a long book's pieces a process grew by what each layout
left (13 pieces in one process: +37 MB, +15 MB collected and trimmed after each): at 1,000 stories
two of them from 180 to 235 MB each, the peak of the whole tree (issue 19's memory,
benchmarks/RESULTS.md)."""


def _resident_mb() -> float:
    """This process's resident memory in MB (Linux: /proc; elsewhere 0)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError, IndexError):
        return 0.0


_STARTED_NOTED: list = []


_CHILDREN: set = set()
"""Child processes (subprocess.Popen) a build must stop if it is interrupted."""


def track(process):
    """Remember `process` (a Popen) so `kill_children` stops it; returns it."""
    _CHILDREN.add(process)
    return process


def untrack(process) -> None:
    _CHILDREN.discard(process)


def kill_children() -> None:
    """Kill, at once, every child of this build: tracked processes and the layout processes. For an
    interrupted build (pubpipe.orchestrate.interrupts); safe to call from a signal handler."""
    _STOPPING.set()
    for process in list(_CHILDREN):
        try:
            process.kill()
        except OSError:
            pass
    _each_worker("kill")


def end_workers() -> None:
    """Stop the pools' worker processes now (SIGTERM), without waiting: for a build that has said
    what it published and leaves (`pubpipe.cli._leave`). They would leave by themselves within
    `exit_with_parent`'s half second; until then they hold the build's standard output and error,
    so that a command reading them (``pubpipe build | tee``, a script's ``capture_output``) waited
    that long after the build ended (0.35 s of a first build's 0.52 s from the flow's end to the
    end of its output, through a running server at 100 stories)."""
    _each_worker("terminate")


def _each_worker(how: str) -> None:
    """Send every pool's worker processes ``how`` (``kill``: SIGKILL, ``terminate``: SIGTERM), without
    waiting on them: ProcessPoolExecutor has no public way to stop its workers but waiting."""
    for pool in [*_POOL, *_RECOVERY, *_ENDING]:
        for worker in list(getattr(pool, "_processes", {}).values()):
            try:
                getattr(worker, how)()
            except (OSError, AttributeError):
                pass


# ---- per-source work on both cores ---------------------------------------------------------------

HELPER_MIN_LINES = 2000
"""`on_both_cores` forks a helper only when the items weigh at least this much (lines of the sources):
below it, the fork, the helper's copy-on-write faults and the pickling of half the results cost
about what half the work saves on a free core, and add to it on a busy machine. Measured on
realweb's copies (benchmarks/RESULTS.md, "Recovery on both cores"): the three stages' time in this
process drops from 0.14 to 0.13 s at 2 pages (300 lines), 0.42 to 0.33 s at 8 (1,100), 0.81 to 0.57 s at
12 (2,100), 1.58 to 1.09 s at 20 (4,100), while the helper's share costs 0.1-0.3 s of CPU more
in all than one process doing it all (which is what a machine without a free core pays)."""
HELPER_ENV = "PUBPIPE_RECOVERY_PROCESSES"
# Python 3.12+ warns at every fork of a process with threads (a build's are Prefect's): a lock
# another thread holds stays held in the child. The helper takes none: it runs pure computation
# (regular expressions, numpy, langdetect; never LightGBM's OpenMP threads), pickles its results
# into a pipe and leaves with os._exit, without flushing a stream or running an exit handler.
warnings.filterwarnings("ignore", message=r"This process \(pid=\d+\) is multi-threaded, use of fork\(\)",
                        category=DeprecationWarning)


class _Helper:
    """A forked helper of `on_both_cores`, as `track` and `kill_children` see a child process."""

    def __init__(self, pid: int):
        self.pid = pid
        self.reaped = False

    def kill(self) -> None:
        if not self.reaped:
            os.kill(self.pid, signal.SIGKILL)

    def reap(self) -> int:
        """Wait for the helper to end; its wait status."""
        if self.reaped:
            return 0
        while True:
            try:
                _, status = os.waitpid(self.pid, 0)
                break
            except ChildProcessError:
                status = 0
                break
            except InterruptedError:
                continue
        self.reaped = True
        return status


def _helpers_wanted() -> bool:
    """Fork a helper at all? Not on a single core, not without fork (Windows, macOS' default
    aside: os.fork is what is used, where there is one), not with ``PUBPIPE_RECOVERY_PROCESSES=1``."""
    value = os.environ.get(HELPER_ENV, "").strip()
    if value == "1":
        return False
    if value and value != "2":
        raise PubpipeError(f"{HELPER_ENV}={value!r}: give 1 (recover the stories in the build's process alone) "
                           "or 2, or unset it (default: 2 on a machine with two cores or more)")
    return hasattr(os, "fork") and sys.platform == "linux" and (os.cpu_count() or 1) >= 2


def _halves(weights: list) -> tuple:
    """(indexes for this process, indexes for the helper), each in order, of about equal weight."""
    loads, sides = [0, 0], ([], [])
    for i in sorted(range(len(weights)), key=lambda i: -weights[i]):
        side = 0 if loads[0] <= loads[1] else 1
        sides[side].append(i)
        loads[side] += weights[i]
    return sorted(sides[0]), sorted(sides[1])


def on_both_cores(what: str, function, items: list, weights: list, prepare=None) -> list:
    """``[function(item) for item in items]``, half of them (by `weights`: a source's lines) computed
    in a forked helper process while this process computes the other half: the per-source work of
    recovering the stories (cleaning, the line model's features, structure) is independent from
    source to source and pure Python, so one process uses one core of two.

    Forked, not spawned: the helper starts in milliseconds with everything this process has loaded
    (the line model, the stop lists, langdetect's profiles), where a spawned process would pay
    about a second of imports; it runs only `function` (pure computation: no thread, no lock of the
    build's is touched), sends its results back pickled and leaves with ``os._exit`` (no exit
    handler of the build's runs in it). Sequential, in this process, when the items weigh less than
    HELPER_MIN_LINES, on one core, or with ``PUBPIPE_RECOVERY_PROCESSES=1``: the results are the
    same either way (tests/test_both_cores.py compares them).

    The helper ignores Ctrl-C (the build stops it: `kill_children`, or the ``finally`` below on a
    KeyboardInterrupt), dies with the thread that forked it (`die_with_parent`), and never outlives
    this call. An exception in it is raised here as the sequential code raises it (its items are
    redone here); a helper that dies (the out-of-memory killer) is a one-line `PubpipeError`
    naming `what`. `prepare()`, if given, is called here before the fork: what both processes would
    load (a cache filled once a process) is loaded once."""
    if len(items) < 2 or sum(weights) < HELPER_MIN_LINES or _STOPPING.is_set() or not _helpers_wanted():
        return [function(item) for item in items]
    if prepare is not None:
        prepare()
    mine, theirs = _halves(weights)
    parent = os.getpid()
    read, write = os.pipe()
    # no signal handler of the build's may run in the helper before it has set its own
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    # the objects made so far out of the garbage collector's sight while the helper lives: a
    # collection writes to every object it looks at, and each page written is copied (fork's
    # copy-on-write), in this process and in the helper alike
    gc.freeze()
    try:
        pid = os.fork()
    except OSError:
        gc.unfreeze()
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        os.close(read)
        os.close(write)
        return [function(item) for item in items]
    if pid == 0:  # the helper
        try:
            gc.disable()  # it lives for one stage: reference counting frees what it makes
            os.close(read)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            die_with_parent()
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
            if os.getppid() != parent:
                os._exit(1)
            import pickle
            try:
                out = ("done", [function(items[i]) for i in theirs])
            except BaseException:  # redone by the parent, which raises it as the sequential code does
                out = ("failed", None)
            data = pickle.dumps(out, pickle.HIGHEST_PROTOCOL)
            view = memoryview(data)
            while view:
                view = view[os.write(write, view):]
            os.close(write)
            os._exit(0)
        finally:
            os._exit(1)
    os.close(write)
    helper = track(_Helper(pid))
    try:
        # Ctrl-C unblocked only here: one pressed since the fork (pending till now) raises inside
        # the try, and the finally below stops the helper
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        results = {i: function(items[i]) for i in mine}
        with os.fdopen(read, "rb") as pipe:
            read = None
            data = pipe.read()
        status = helper.reap()
        if not data or os.waitstatus_to_exitcode(status) != 0:
            raise PubpipeError(f"{what}: a helper process died before it finished (out of memory? see the "
                               "system log); nothing was published")
        import pickle
        how, theirs_done = pickle.loads(data)
        if how != "done":
            theirs_done = [function(items[i]) for i in theirs]
        results.update(zip(theirs, theirs_done))
        return [results[i] for i in range(len(items))]
    finally:
        if read is not None:
            os.close(read)
        if not helper.reaped:
            try:
                helper.kill()
            except OSError:
                pass
            helper.reap()
        untrack(helper)
        gc.unfreeze()
