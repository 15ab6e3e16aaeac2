"""EPUBCheck kept warm between builds (pubpipe.publish.checkservice): the same verdict as a JVM of
the check's own, one service shared, and every way it can fail falling back to a JVM of its own."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

from pubpipe.model import Anthology
from pubpipe.publish import checkservice, epubcheck
from helpers import write_epub

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
pytest.importorskip("jpype")
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")


@pytest.fixture()
def state_home(tmp_path, monkeypatch):
    """A service folder of the test's own (and its service stopped after it)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.delenv(checkservice.ENV, raising=False)
    yield tmp_path / "state"
    checkservice.stop_service()


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """An EPUB with errors EPUBCheck reports (a chapter in the spine missing)."""
    anthology = Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))
    folder = tmp_path_factory.mktemp("epubs")
    built = write_epub(anthology, folder / "anthology.epub")
    out = folder / "broken.epub"
    with zipfile.ZipFile(built) as zin, zipfile.ZipFile(out, "w") as zout:
        for info in zin.infolist():
            if info.filename != "EPUB/stories/promise.xhtml":
                zout.writestr(info, zin.read(info))
    return out


@needs_java
def test_the_service_gives_the_verdict_of_a_jvm_of_its_own_and_is_shared(state_home, broken, tmp_path):
    """A stale record (its process gone) is replaced; the service's messages are a JVM of its own's,
    message for message; a second check (another build) uses the same service."""
    where = checkservice.folder()
    where.mkdir(parents=True)
    (where / checkservice.STATE).write_text(json.dumps({"pid": 2 ** 22 + 7, "socket": "/nonexistent"}))
    state = checkservice.warm()
    assert state and state["pid"] != 2 ** 22 + 7 and checkservice.ours(state["pid"])
    assert oct((where).stat().st_mode & 0o777) == "0o700"
    once = epubcheck._once(broken, False, 300, epubcheck.heap_mb(broken), tmp_path / "once.json")
    served = epubcheck.validate_epub(broken)
    assert served == once and any(m.severity == "ERROR" for m in served)
    assert checkservice.warm()["pid"] == state["pid"]
    log = (where / checkservice.LOG).read_text()
    assert "warm in" in log and log.count("checked ") == 1
    assert epubcheck.validate_epub(broken) == once
    assert (where / checkservice.LOG).read_text().count("checked ") == 2
    assert "EPUBCheck service running" in checkservice.status()
    assert checkservice.stop_service() and not checkservice.ours(state["pid"])
    assert checkservice.read_state(where) is None and checkservice.status().startswith("no EPUBCheck service")


@needs_java
def test_an_idle_service_stops_itself(state_home, monkeypatch):
    monkeypatch.setenv(checkservice.IDLE_ENV, "1")
    state = checkservice.warm()
    deadline = time.monotonic() + 120  # its JVM's start and warm-up, then a second idle
    while checkservice.ours(state["pid"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not checkservice.ours(state["pid"])
    where = checkservice.folder()
    assert checkservice.read_state(where) is None and not (where / checkservice.SOCKET).exists()


def _fake_service(where: Path, behaviour: str) -> subprocess.Popen:
    """A process that passes for the service (its command line names the module) and, on the
    service's socket, either closes each connection unanswered or never answers."""
    path = checkservice._socket_path(where)
    code = f"""
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.bind({str(path)!r}); s.listen(4)
print("listening", flush=True)
kept = []
while True:
    c, _ = s.accept()
    c.recv(65536)
    if {behaviour!r} == "close":
        c.close()
    else:
        kept.append(c)
"""
    process = subprocess.Popen([sys.executable, "-c", code, checkservice.MODULE], stdout=subprocess.PIPE, text=True)
    assert process.stdout.readline().strip() == "listening"
    (where / checkservice.STATE).write_text(json.dumps({"pid": process.pid, "socket": str(path), "started": time.time()}))
    return process


@needs_java
def test_a_service_that_fails_the_check_falls_back_to_a_jvm_of_its_own(state_home, broken, tmp_path):
    where = checkservice.folder()
    where.mkdir(parents=True)
    fake = _fake_service(where, "close")
    try:
        with pytest.raises(checkservice.Unavailable):
            checkservice.check(broken, tmp_path / "r.json", False, 30)
        messages = epubcheck.validate_epub(broken)  # (the service failed: a JVM of its own)
        assert any(m.severity == "ERROR" for m in messages)
    finally:
        fake.kill()
        fake.wait()
        (where / checkservice.STATE).unlink(missing_ok=True)


def test_a_check_past_its_time_limit_stops_the_service(state_home, tmp_path):
    if not checkservice.usable():
        pytest.skip("no service here")
    where = checkservice.folder()
    where.mkdir(parents=True)
    fake = _fake_service(where, "hang")
    try:
        started = time.monotonic()
        with pytest.raises(checkservice.TimedOut):
            checkservice.check(tmp_path / "a.epub", tmp_path / "r.json", False, 1.0)
        assert time.monotonic() - started < 15
        assert fake.wait(10) == -signal.SIGTERM
        assert checkservice.read_state(where) is None
    finally:
        if fake.poll() is None:
            fake.kill()


def test_checks_run_in_a_jvm_of_their_own_when_asked_or_too_big(state_home, monkeypatch, tmp_path):
    monkeypatch.setenv(checkservice.ENV, "once")
    assert checkservice.warm() is None and not checkservice.usable()
    assert "PUBPIPE_EPUBCHECK=once" in checkservice.status()
    assert not (state_home / "pubpipe" / "epubcheck").exists()
    with pytest.raises(checkservice.Unavailable):
        checkservice.check(tmp_path / "a.epub", tmp_path / "r.json", False, 10)
    # A book whose heap would not fit the service's goes to a JVM of its own (epubcheck._run).
    assert checkservice.fits(checkservice.HEAP_MB) and not checkservice.fits(checkservice.HEAP_MB + 1)
    assert not checkservice.fits(None)
    big = tmp_path / "big.epub"
    big.write_bytes(b"x" * int((checkservice.HEAP_MB / epubcheck.HEAP_PER_EPUB_MB + 1) * 1e6))
    assert not checkservice.fits(epubcheck.heap_mb(big)) and not checkservice.takes(big, epubcheck.heap_mb(big))
    # A long book's EPUB too (its build starts no service: no JVM stays beside its assembly).
    long = tmp_path / "long.epub"
    long.write_bytes(b"x" * int(checkservice.MAX_EPUB_MB * 1e6 + 1))
    short = tmp_path / "short.epub"
    short.write_bytes(b"x" * 300_000)
    assert checkservice.fits(epubcheck.heap_mb(long)) and not checkservice.takes(long, epubcheck.heap_mb(long))
    assert checkservice.takes(short, epubcheck.heap_mb(short))


def test_pubpipe_build_guesses_a_long_book_from_its_files(tmp_path):
    """`processes.may_be_long`: the sources' bytes, at `CHARS_PER_PAGE`, against `FRESH_FROM_PAGES`."""
    from pubpipe.orchestrate import processes
    (tmp_path / "a.txt").write_text("x" * 1000)
    assert not processes.may_be_long(tmp_path)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.html").write_bytes(b"y" * processes.FRESH_FROM_PAGES * processes.CHARS_PER_PAGE)
    assert processes.may_be_long(tmp_path)


def test_no_service_where_its_folder_cannot_be_made(tmp_path, monkeypatch):
    """A build on a machine whose state folder cannot be made checks as before (a JVM of its own)."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("XDG_STATE_HOME", str(blocked))
    monkeypatch.delenv(checkservice.ENV, raising=False)
    assert checkservice.warm() is None
    with pytest.raises(checkservice.Unavailable):
        checkservice.check(tmp_path / "a.epub", tmp_path / "r.json", False, 10)
