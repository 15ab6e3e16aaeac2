"""`pubpipe build` as staff use it: nothing a user has is lost, failures are one or two lines and an
exit code, Ctrl-C stops a build at once, progress shows, and the full detail lands in a log file.

Each test runs the real command line in a process of its own."""

import errno
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from helpers import previous_output
from pubpipe.orchestrate import localserver

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "pubpipe.cli"]
pytestmark = pytest.mark.usefixtures("session_prefect_home")  # its builds use the session's PREFECT_HOME (conftest.py)


def _env(tmp_path: Path, **extra) -> dict:
    # PREFECT_HOME: the session's (tests/conftest.py), whose database is made once: a new one costs
    # every build 20 s of migrations.
    # PUBPIPE_EPUBCHECK=once: each test's state folder is its own, so an EPUBCheck service would be
    # started for every test and left running (tests that want one ask for it).
    env = dict(os.environ, XDG_STATE_HOME=str(tmp_path / "state"), COLUMNS="400", PUBPIPE_EPUBCHECK="once")
    env.pop("PREFECT_API_URL", None)
    return {**env, **extra}


def _tree(folder: Path) -> dict:
    """Every path under `folder` (hidden ones too) and each file's bytes."""
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else None) for p in sorted(folder.rglob("*"))}


def _project(tmp_path: Path) -> Path:
    """A project folder as staff have one: sources, anthology.toml and their own notes."""
    project = tmp_path / "project"
    shutil.copytree(ROOT / "sources", project / "sources")
    (project / "anthology.toml").write_text('title = "Staff Test"\n', encoding="utf-8")
    (project / "notes.txt").write_text("my notes", encoding="utf-8")
    return project


def _desktop(project: Path) -> Path:
    desktop = project.parent / "Desktop"
    (desktop / "contracts").mkdir(parents=True)
    (desktop / "budget.xlsx").write_bytes(b"PK\x03\x04 a spreadsheet")
    (desktop / "contracts" / "lease.pdf").write_bytes(b"%PDF-1.7 a contract")
    return desktop


UNSAFE = {
    # --sources, --output (relative to the project folder, where the command runs), what the line says
    "a file": ("sources", "notes.txt", "is a file, not a folder"),
    "the sources folder": ("sources", "sources", "is the sources folder"),
    "the project folder": ("sources", ".", "holds the sources folder"),
    "the folder above": ("sources", "..", "holds the sources folder"),
    "inside the sources": ("sources", "sources/out", "is inside the sources folder"),
    "someone's folder": ("sources", "../Desktop", "holds files pubpipe did not make (budget.xlsx, contracts)"),
    "the current directory": ("../sources", ".", "holds the current directory"),
}


@pytest.mark.parametrize("case", sorted(UNSAFE))
def test_an_unsafe_output_is_refused_and_nothing_is_touched(tmp_path, case):
    sources, output, says = UNSAFE[case]
    project = _project(tmp_path)
    _desktop(project)
    cwd = project
    if case == "the current directory":  # run from a folder of drafts beside the sources
        cwd = project / "drafts"
        cwd.mkdir()
        (cwd / "draft.txt").write_text("a draft", encoding="utf-8")
    before = _tree(tmp_path)
    run = subprocess.run(CLI + ["build", "--sources", sources, "--output", output], cwd=cwd, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert 1 <= len(lines) <= 2 and says in lines[0] and "Traceback" not in run.stderr, run.stderr
    after = {k: v for k, v in _tree(tmp_path).items() if not k.startswith(("state", "prefect-home"))}
    assert after == before


def test_an_output_with_a_file_added_since_the_build_is_refused(tmp_path):
    """A folder pubpipe made, to which someone added a file of their own: replacing it would lose it."""
    project = _project(tmp_path)
    previous_output(project / "output", {"anthology.json": "{}", "report.md": "previous report"})
    (project / "output" / "my-edits.docx").write_bytes(b"PK\x03\x04 staff notes")
    before = _tree(project)
    run = subprocess.run(CLI + ["build"], cwd=project, env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "holds files pubpipe did not make (my-edits.docx)" in run.stderr, run.stderr
    assert _tree(project) == before


def test_the_build_lock_is_removed_when_the_build_ends(tmp_path):
    from pubpipe.publish.swap import build_lock
    take = [sys.executable, "-c", "import sys\nfrom pubpipe.publish.swap import build_lock\nwith build_lock(sys.argv[1]): pass",
            str(tmp_path / "output")]
    with build_lock(tmp_path / "output") as lock:
        assert lock.exists()
        other = subprocess.run(take, capture_output=True, text=True, timeout=60)
        assert other.returncode == 1 and "another pubpipe build is writing" in other.stderr
    assert list(tmp_path.iterdir()) == []
    assert subprocess.run(take, timeout=60).returncode == 0 and list(tmp_path.iterdir()) == []


def test_empty_sources_and_a_server_that_is_down_are_one_line_each(tmp_path):
    (tmp_path / "sources").mkdir()
    run = subprocess.run(CLI + ["build", "--sources", str(tmp_path / "sources"), "--output", str(tmp_path / "out")],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") <= 2 and "holds no files" in run.stderr, run.stderr
    # the folder named as cp or ls take one: the same check of the same folder
    run = subprocess.run(CLI + ["build", str(tmp_path / "sources"), "--output", str(tmp_path / "out")],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and f"sources folder {tmp_path / 'sources'} holds no files" in run.stderr, run.stderr
    run = subprocess.run(CLI + ["build", str(tmp_path / "sources"), "--sources", str(tmp_path / "other")],
                         env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") <= 2 and "two sources folders given" in run.stderr, run.stderr
    # check and preview take their output folder so too
    run = subprocess.run(CLI + ["check", str(tmp_path / "nothere")], env=_env(tmp_path), capture_output=True, text=True,
                         timeout=60)
    assert run.returncode == 2 and f"{tmp_path / 'nothere'} is not a folder" in run.stderr, run.stderr
    run = subprocess.run(CLI + ["preview", "out", "--output", "other", "--no-open"], env=_env(tmp_path),
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 2 and "two output folders given (out and --output other)" in run.stderr, run.stderr
    project = _project(tmp_path)
    with __import__("socket").socket() as closed:
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}/api"
    run = subprocess.run(CLI + ["build"], cwd=project, env=_env(tmp_path, PREFECT_API_URL=url),
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and run.stderr.count("\n") <= 2, run.stderr
    assert f"the Prefect server at {url} (PREFECT_API_URL) does not answer" in run.stderr
    assert not (project / "output").exists() and not list(project.glob(".output*"))


def test_a_prefect_setting_prefect_refuses_is_named_with_what_to_do(tmp_path):
    """A Prefect setting out of its bounds (heartbeats at least every 30 s): the build names the
    setting, what is wrong and where to fix it, and publishes nothing (Prefect's own import prints
    its validation error above it, which pubpipe cannot stop)."""
    project = _project(tmp_path)
    run = subprocess.run(CLI + ["build"], cwd=project, env=_env(tmp_path, PREFECT_FLOWS_HEARTBEAT_FREQUENCY="10"),
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 2, run.stderr
    assert "Prefect's setting PREFECT_FLOWS_HEARTBEAT_FREQUENCY='10' is refused: Input should be greater than or " \
           "equal to 30; fix it or unset it" in run.stderr, run.stderr
    assert "unexpected error" not in run.stderr
    assert not (project / "output").exists()


def test_only_prefects_settings_errors_are_named_as_settings():
    import pydantic
    from prefect.settings.models.flows import FlowsSettings

    from pubpipe.cli import _bad_prefect_setting
    with pytest.raises(pydantic.ValidationError) as refused:
        FlowsSettings(heartbeat_frequency=10)
    assert _bad_prefect_setting(refused.value).startswith("Prefect's setting PREFECT_FLOWS_HEARTBEAT_FREQUENCY=10 is refused")

    class Other(pydantic.BaseModel):
        n: int
    with pytest.raises(pydantic.ValidationError) as other:
        Other(n="x")
    assert _bad_prefect_setting(other.value) is None and _bad_prefect_setting(ValueError("x")) is None


def _wait_for_staging(project: Path, process, seconds: float = 240) -> None:
    """Until the build renders into its staging folder (made as the rendering starts: its files come
    only at the end, a window a loaded machine's polling can miss)."""
    staging = project / ".output.staging"
    deadline = time.monotonic() + seconds
    while not staging.exists() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.05)
    assert process.poll() is None, "the build ended before it could be interrupted"


@pytest.mark.skipif(sys.platform != "linux", reason="process groups and signals as on Linux")
@pytest.mark.parametrize("signum, code, says", [(signal.SIGINT, 130, "stopped (Ctrl-C)"),
                                                (signal.SIGTERM, 143, "stopped (SIGTERM)")])
def test_an_interrupted_build_stops_at_once_and_leaves_everything_as_it_was(tmp_path, signum, code, says):
    """Ctrl-C reaches every process of the terminal's foreground group: the build, its Prefect
    server, its layout processes and EPUBCheck's JVM. Within 5 s: exit 130, one line, no staging
    folder, no lock, no process left behind, the previous output exactly as it was."""
    project = _project(tmp_path)
    before = previous_output(project / "output", {"anthology.json": '{"previous": true}'})
    env = _env(tmp_path, PUBPIPE_EPUBCHECK="service")
    process = subprocess.Popen(CLI + ["build"], cwd=project, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    _wait_for_staging(project, process)
    children = psutil.Process(process.pid).children(recursive=True)
    started = time.monotonic()
    os.killpg(process.pid, signum)
    _, stderr = process.communicate(timeout=30)
    assert time.monotonic() - started < 5
    assert process.returncode == code, stderr
    assert says in stderr.strip().splitlines()[-1] and "Traceback" not in stderr and "Warning" not in stderr, stderr
    assert {p.name: p.read_bytes() for p in (project / "output").iterdir()} == before
    assert not list(project.glob(".output.*")), list(project.glob(".output.*"))
    time.sleep(1)
    # The local Prefect server and the EPUBCheck service, kept between builds, are meant to outlive
    # it (in sessions of their own, out of Ctrl-C's reach: the next build uses them); nothing else may.
    kept = {state["pid"] for state in (localserver.read_state(Path(os.environ["PREFECT_HOME"])), _service(env))
            if state}
    left = [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    assert not [c for c in left if c.pid not in kept], left
    subprocess.run(CLI + ["server", "stop", "--force"], env=env, capture_output=True, timeout=60)


def _service(env: dict):
    """The EPUBCheck service's record under ``env``'s state folder, or None."""
    code = "import json; from pubpipe.publish import checkservice as c; print(json.dumps(c.read_state(c.folder())))"
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    return __import__("json").loads(run.stdout)


@pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")
def test_builds_share_the_epubcheck_service_and_server_stop_stops_it(tmp_path):
    """The first build starts the EPUBCheck service and leaves it running; the next build's new EPUB
    is checked by it (its log says so); `pubpipe server status` names it and `pubpipe server stop`
    stops it."""
    project = _project(tmp_path)
    env = _env(tmp_path, PUBPIPE_EPUBCHECK="service")
    first = subprocess.run(CLI + ["build"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    state = _service(env)
    assert state and psutil.pid_exists(state["pid"])
    folder = Path(subprocess.run([sys.executable, "-c", "from pubpipe.publish import checkservice as c; print(c.folder())"],
                                 env=env, capture_output=True, text=True).stdout.strip())
    checked = (folder / "service.log").read_text().count("checked ")  # (0: the first build's EPUB was in the task cache)
    (project / "sources" / "extra.txt").write_text("A Late Addition\n\nA short story added later, with a "
                                                   "paragraph or two of its own.\n", encoding="utf-8")
    again = subprocess.run(CLI + ["build"], cwd=project, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    assert _service(env)["pid"] == state["pid"]
    assert (folder / "service.log").read_text().count("checked ") == checked + 1
    status = subprocess.run(CLI + ["server", "status"], env=env, capture_output=True, text=True, timeout=60)
    assert f"EPUBCheck service running (pid {state['pid']}" in status.stdout, status.stdout
    stop = subprocess.run(CLI + ["server", "stop"], env=env, capture_output=True, text=True, timeout=60)
    assert f"stopped the EPUBCheck service (pid {state['pid']})" in stop.stdout, stop.stdout + stop.stderr
    assert not psutil.pid_exists(state["pid"]) or psutil.Process(state["pid"]).status() == psutil.STATUS_ZOMBIE
    assert _service(env) is None


def test_failures_past_the_start_are_one_line_with_a_log(tmp_path):
    """EPUBCheck past its time limit (set very low, as a busy machine would make it): nothing
    published, exit 2, two lines naming the setting and the log file, which holds the detail."""
    project = _project(tmp_path)
    (project / "anthology.toml").write_text('title = "Staff Test"\n[limits]\nepubcheck_seconds = 1\n', encoding="utf-8")
    run = subprocess.run(CLI + ["build"], cwd=project, env=_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert run.returncode == 2, run.stderr
    problem = [line for line in run.stderr.splitlines() if line.startswith("pubpipe: nothing published")]
    assert len(problem) == 1 and "EPUBCheck did not finish within 1 s" in problem[0], run.stderr
    assert "epubcheck_seconds" in problem[0] and "Traceback" not in run.stderr
    log = Path(run.stderr.split("details in ")[1].strip().rstrip("."))
    assert log.parent == tmp_path / "state" / "pubpipe" / "logs" and "Traceback" in log.read_text(encoding="utf-8")
    assert not (project / "output").exists() and not list(project.glob(".output*"))


def _tmpfs(where: Path, options: str) -> bool:
    where.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True).returncode == 0


@pytest.fixture
def small_disk(tmp_path):
    disk = tmp_path / "disk"
    if not _tmpfs(disk, "size=300k"):
        pytest.skip("needs root to mount a small tmpfs")
    yield disk
    subprocess.run(["umount", "-l", str(disk)])


def test_a_full_disk_is_named_and_publishes_nothing(tmp_path, small_disk):
    project = _project(tmp_path)
    run = subprocess.run(CLI + ["build", "--output", str(small_disk / "output")], cwd=project, env=_env(tmp_path),
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 2, run.stderr
    assert "the disk is full" in run.stderr and run.stderr.count("\n") <= 2 + run.stderr.count("pubpipe ["), run.stderr
    assert "Traceback" not in run.stderr and "AttributeError" not in run.stderr
    assert list(small_disk.iterdir()) == []


def test_a_read_only_place_is_named_and_publishes_nothing(tmp_path):
    read_only = tmp_path / "ro"
    if not _tmpfs(read_only, "ro,size=64k"):
        pytest.skip("needs root to mount a read-only tmpfs")
    try:
        project = _project(tmp_path)
        run = subprocess.run(CLI + ["build", "--output", str(read_only / "output")], cwd=project,
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
        assert run.returncode == 2 and "read-only file system" in run.stderr and run.stderr.count("\n") <= 2, run.stderr
    finally:
        subprocess.run(["umount", "-l", str(read_only)])


def test_io_retries_only_what_may_pass(monkeypatch):
    """A full disk or a refused permission is not retried (each retry cost seconds and hid the cause)."""
    from pubpipe_flows.publish import _io_error

    class State:
        def __init__(self, exc):
            self.exc = exc

        def result(self):
            raise self.exc
    assert _io_error(None, None, State(OSError(errno.EAGAIN, "busy")))
    assert not _io_error(None, None, State(OSError(errno.ENOSPC, "No space left on device")))
    assert not _io_error(None, None, State(PermissionError(errno.EACCES, "Permission denied")))


def test_epubcheck_time_limit_grows_with_the_book(tmp_path):
    import zipfile
    from pubpipe.publish.epubcheck import time_limit
    small, big = tmp_path / "small.epub", tmp_path / "big.epub"
    for path, chapters in ((small, 3), (big, 900)):
        with zipfile.ZipFile(path, "w") as book:
            for n in range(chapters):
                book.writestr(f"EPUB/c{n}.xhtml", "<html/>" + "x" * 2000)
    assert time_limit(small) == 300 and time_limit(big) > time_limit(small) + 600


def test_epubcheck_heap_is_capped_by_the_books_size_and_lifted_if_too_small(tmp_path, monkeypatch):
    """EPUBCheck's JVM gets a heap cap (-Xmx) that grows with the EPUB, never below the floor; when
    Java says the cap was too small, EPUBCheck runs once more without it."""
    from pubpipe.publish import epubcheck
    small, big = tmp_path / "small.epub", tmp_path / "big.epub"
    small.write_bytes(b"x" * 1000)
    big.write_bytes(b"x" * 10_000_000)
    assert epubcheck.heap_mb(small) == epubcheck.HEAP_FLOOR_MB
    assert epubcheck.heap_mb(big) == 10 * epubcheck.HEAP_PER_EPUB_MB > epubcheck.HEAP_FLOOR_MB
    command = epubcheck._java(epubcheck.heap_mb(big))
    assert f"-Xmx{10 * epubcheck.HEAP_PER_EPUB_MB}m" in command and "-XX:+ExitOnOutOfMemoryError" in command
    assert not any(option.startswith("-Xmx") for option in epubcheck._java(None))
    heaps = []

    def run(path, usage, timeout, heap):
        heaps.append(heap)
        if heap is not None:
            raise epubcheck._HeapTooSmall()
        return []
    monkeypatch.setattr(epubcheck, "_run", run)
    assert epubcheck.validate_epub(small, timeout=60) == []
    assert heaps == [epubcheck.HEAP_FLOOR_MB, None]
    monkeypatch.setattr(epubcheck, "_run", lambda *args: (_ for _ in ()).throw(epubcheck._HeapTooSmall()))
    with pytest.raises(RuntimeError, match="small.epub: EPUBCheck ran out of memory"):
        epubcheck.validate_epub(small, timeout=60)


def test_epubcheck_works_in_folders_a_stopped_build_removes(monkeypatch):
    """The EPUB copy EPUBCheck reads and the report it writes are in work folders
    (`pubpipe.workfolders`): Ctrl-C's handler exits at once, no `finally` runs, and it removes them
    itself (before, every stopped build left both in /tmp)."""
    from pubpipe import workfolders
    from pubpipe.publish import epubcheck, validate
    from pubpipe.render import Rendered
    seen = []

    def check(path, found, timeout=0):
        seen.append((path.read_bytes(), path.parent in workfolders._WORK))
        workfolders.remove_work_folders()  # as interrupts.stop does
        assert not path.exists()
        found.check(True, "a.epub: passed", "")
    monkeypatch.setattr(validate, "check_epub", check)
    assert validate.check_rendered_epub(Rendered({"a.epub": b"PK epub"})) == "a.epub: passed"
    assert seen == [(b"PK epub", True)]

    class Jvm:  # EPUBCheck as far as _run sees it: it writes its report and exits 0
        returncode = 0

        def __init__(self, cmd, **kwargs):
            self.report = Path(cmd[cmd.index("--json") + 1])

        def communicate(self, timeout=None):
            self.report.write_text('{"messages": []}', encoding="utf-8")
            folders.append((self.report.parent, self.report.parent in workfolders._WORK))
            return "", ""
    folders = []
    monkeypatch.setattr(epubcheck.subprocess, "Popen", Jvm)
    assert epubcheck._run(Path("a.epub"), False, 60, None) == []
    [(folder, registered)] = folders
    assert registered and not folder.exists()


def test_progress_on_a_terminal_plain_lines_otherwise_and_quiet(tmp_path):
    """On a terminal a live display (it redraws: carriage returns and cursor moves) that is gone at
    the end; piped, a plain line per step; with --quiet, neither."""
    import pty
    project = _project(tmp_path)
    main, child = pty.openpty()
    process = subprocess.Popen(CLI + ["build"], cwd=project, env=_env(tmp_path, TERM="xterm"), stdin=child,
                               stdout=child, stderr=child, close_fds=True)
    os.close(child)
    seen = b""
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    process.wait(60)
    os.close(main)
    shown = seen.decode("utf-8", "replace")
    assert process.returncode == 0, shown[-2000:]
    # The display is drawn 8 times a second and once more as it stops (then erased): the facts so far
    # and the last step are in that frame; an earlier step (rendering) only if a redraw fell in it,
    # which a loaded machine's cached build can miss.
    assert "\x1b[" in shown and "stories: 5" in shown and "publishing" in shown and "Published into" in shown
    (project / "sources" / "extra.txt").write_text("A new story\n\nWith a paragraph of its own, for a rebuild.\n")
    (project / "sources" / "scan.pdf").write_bytes(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    piped = subprocess.run(CLI + ["build"], cwd=project, env=_env(tmp_path), capture_output=True, text=True, timeout=600)
    assert piped.returncode == 1 and "\x1b[" not in piped.stderr, piped.stderr
    assert piped.stderr.count("scan.pdf") == 1, piped.stderr  # said once, as the build found it
    steps = [line for line in piped.stderr.splitlines() if line.startswith("pubpipe [")]
    assert any("stories: 6" in s for s in steps) and any("EPUBCheck: passed" in s for s in steps), piped.stderr
    assert any("PDF: part 1 of 1 laid out" in s for s in steps)
    quiet = subprocess.run(CLI + ["build", "--quiet"], cwd=project, env=_env(tmp_path), capture_output=True,
                           text=True, timeout=600)
    assert quiet.returncode == 1 and quiet.stdout == "", quiet.stdout + quiet.stderr
    assert quiet.stderr.splitlines()[0].startswith("1 problem(s) with sources") and "scan.pdf: is a PDF" in quiet.stderr
    assert len(quiet.stderr.splitlines()) == 2, quiet.stderr


def test_version():
    run = subprocess.run(CLI + ["--version"], capture_output=True, text=True, timeout=60)
    from importlib.metadata import version
    assert run.returncode == 0 and run.stdout.startswith(f"pubpipe {version('pubpipe')} (Prefect ")
