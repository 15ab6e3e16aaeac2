"""Accessibility checks of an EPUB with DAISY Ace (``@daisy/ace`` from npm, run on Debian's chromium).

Ace checks every content document with axe-core and the package's accessibility metadata.
A violation of impact ``serious`` or ``critical`` makes an EPUB fail (:data:`BLOCKING`);
``moderate`` and ``minor`` ones are reported but let it pass.

Command line (what CI and DEVELOPERS.md run on a built EPUB)::

    python -m pubpipe.publish.ace output/<slug>.epub [--report DIR]

exits 0 when Ace finds nothing serious or critical, 1 when it does, 2 when Ace cannot run.
Ace is found at ``$PUBPIPE_ACE``, ``./node_modules/.bin/ace-puppeteer`` or beside this
project's ``package.json``; the browser at ``$PUPPETEER_EXECUTABLE_PATH`` or ``/usr/bin/chromium``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

BLOCKING = ("critical", "serious")
"""Impacts that make an EPUB fail the accessibility check."""
PROJECT_ROOT = Path(__file__).resolve().parents[3]
"""The checkout this module runs from (where ``package.json`` and ``node_modules`` are)."""
CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium, which ``setup.sh --test`` installs."""


class AceUnavailable(FileNotFoundError):
    """DAISY Ace or the browser it drives is not installed."""


class AceFailed(ValueError):
    """Ace found serious or critical violations."""

    def __init__(self, path: Path, violations: list):
        self.path = Path(path)
        self.violations = list(violations)
        lines = "\n".join(f"  {v}" for v in self.violations)
        super().__init__(f"{self.path.name}: DAISY Ace found {len(self.violations)} serious or "
                         f"critical violation(s):\n{lines}")


@dataclass(frozen=True)
class AceViolation:
    """One failed Ace (axe-core) rule in one document."""

    impact: str
    """critical, serious, moderate or minor."""
    rule: str
    """The rule's id (``image-alt``, ``color-contrast``, ``metadata-accessmode``)."""
    document: str
    """The content document (or package document) it was found in, as Ace names it."""
    message: str
    """What is wrong, in Ace's words (first line)."""
    html: str = ""
    """The offending markup, when Ace gives it."""

    def __str__(self) -> str:
        where = f" {self.html[:160]}" if self.html else ""
        return f"{self.impact} {self.rule} in {self.document}: {self.message}{where}"


@dataclass(frozen=True)
class AceReport:
    """What Ace reported about one EPUB."""

    outcome: str
    """Ace's overall outcome: ``pass`` or ``fail`` (fail on a violation of any impact)."""
    violations: tuple
    """Every violation, as AceViolation, in report order."""
    version: str = ""
    """The Ace version that checked it."""

    @property
    def blocking(self) -> list:
        """The serious and critical violations: the ones that fail the EPUB."""
        return [v for v in self.violations if v.impact in BLOCKING]


def find_ace() -> Path | None:
    """The ``ace-puppeteer`` executable, or None when it is not installed."""
    candidates = [os.environ.get("PUBPIPE_ACE", ""),
                  Path.cwd() / "node_modules" / ".bin" / "ace-puppeteer",
                  PROJECT_ROOT / "node_modules" / ".bin" / "ace-puppeteer",
                  shutil.which("ace-puppeteer") or ""]
    return next((Path(c) for c in candidates if c and Path(c).is_file()), None)


def find_browser() -> Path | None:
    """The chromium Ace drives, or None when there is none."""
    named = os.environ.get("PUPPETEER_EXECUTABLE_PATH", "")
    for candidate in (named, str(CHROMIUM), shutil.which("chromium") or ""):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def run_ace(path: Path, *, report_dir: Path | None = None, ace: Path | None = None,
            browser: Path | None = None, timeout: float = 300) -> AceReport:
    """Check the EPUB at ``path`` with Ace and return its report.

    ``report_dir`` keeps Ace's report (``report.json``, ``report.html``); by default it is
    discarded. Raises AceUnavailable when Ace or chromium is missing, RuntimeError when Ace
    fails to produce a report.
    """
    path = Path(path).resolve()
    if not path.is_file():
        raise FileNotFoundError(path)
    ace, browser = ace or find_ace(), browser or find_browser()
    if ace is None:
        raise AceUnavailable("DAISY Ace is not installed (run `npm ci --ignore-scripts`, "
                             "or ./setup.sh --test)")
    if browser is None:
        raise AceUnavailable("DAISY Ace needs chromium (apt-get install chromium, "
                             "or set PUPPETEER_EXECUTABLE_PATH)")
    with tempfile.TemporaryDirectory(prefix="pubpipe-ace-") as tmp:
        out = Path(report_dir) if report_dir else Path(tmp) / "report"
        cmd = [str(ace), "--silent", "--force", "--outdir", str(out),
               "--tempdir", str(Path(tmp) / "work"), "--lang", "en", str(path)]
        env = {**os.environ, "PUPPETEER_EXECUTABLE_PATH": str(browser)}
        report = out / "report.json"
        # twice at most: on a loaded machine Ace's headless browser can fail to start in its own
        # time limit, and Ace exits with no report (a failure of the tool, not of the book)
        for _ in range(2):
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env)
            if report.is_file():
                break
        if not report.is_file():
            raise RuntimeError(f"DAISY Ace wrote no report (exit {done.returncode}): "
                               f"{(done.stderr or done.stdout).strip()[-2000:]}")
        return parse_report(json.loads(report.read_text(encoding="utf-8")))


def parse_report(data: dict) -> AceReport:
    """An AceReport from Ace's ``report.json``."""
    violations = []
    for document in data.get("assertions", []):
        where = (document.get("earl:testSubject") or {}).get("url", "")
        for item in document.get("assertions", []):
            result, test = item.get("earl:result") or {}, item.get("earl:test") or {}
            if result.get("earl:outcome") != "fail":
                continue
            message = (result.get("dct:description") or test.get("dct:description") or "").strip()
            violations.append(AceViolation(impact=test.get("earl:impact", ""), rule=test.get("dct:title", ""),
                                           document=where, message=message.splitlines()[0] if message else "",
                                           html=" ".join((result.get("html") or "").split())))
    release = ((data.get("earl:assertedBy") or {}).get("doap:release") or {}).get("doap:revision", "")
    outcome = (data.get("earl:result") or {}).get("earl:outcome", "")
    return AceReport(outcome=outcome, violations=tuple(violations), version=release)


def assert_accessible(path: Path, **options) -> AceReport:
    """Run Ace; raise AceFailed listing every serious and critical violation, else return the report."""
    report = run_ace(path, **options)
    if report.blocking:
        raise AceFailed(Path(path), report.blocking)
    return report


def main(argv: list | None = None) -> int:
    """``python -m pubpipe.publish.ace BOOK.epub [--report DIR]``: 0 passed, 1 violations, 2 Ace could not run."""
    parser = argparse.ArgumentParser(prog="python -m pubpipe.publish.ace", description=__doc__.split("\n")[0])
    parser.add_argument("epub", type=Path, help="the EPUB to check")
    parser.add_argument("--report", type=Path, help="folder to keep Ace's report.json and report.html in")
    args = parser.parse_args(argv)
    try:
        report = run_ace(args.epub, report_dir=args.report)
    except (OSError, RuntimeError, subprocess.TimeoutExpired) as exc:
        print(f"ace: {args.epub}: cannot check: {exc}", file=sys.stderr)
        return 2
    for violation in report.violations:
        stream = sys.stderr if violation.impact in BLOCKING else sys.stdout
        print(f"ace: {violation}", file=stream)
    counts = f"{len(report.blocking)} serious or critical, {len(report.violations)} in all"
    verdict = "FAILED" if report.blocking else "passed"
    print(f"ace: {args.epub.name}: DAISY Ace {report.version} {verdict} ({counts})")
    return 1 if report.blocking else 0


if __name__ == "__main__":
    sys.exit(main())
