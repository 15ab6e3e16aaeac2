"""Shared fixtures. Prefect gets a PREFECT_HOME of its own before anything imports it.

The suite runs on two pytest-xdist workers (pyproject's addopts). Each worker gets a PREFECT_HOME of
its own under the session's (its builds' temporary servers, database and result cache apart from the
other worker's), and every home starts from one database migrated once per run (`migrated_home`):
migrating a new one costs 20-30 s. Each module's tests run on one worker (`--dist loadfile`), so a
module-scoped fixture (a build, a server) is still made once. (`--dist loadgroup` cannot group by
fixture with pytest 9.2: xdist 3.8 renames test ids through an attribute pytest 9.2 no longer reads.)"""

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="pubpipe-prefect-home-"))
SESSION_HOME = Path(os.environ["PREFECT_HOME"])
if os.environ.get("PYTEST_XDIST_WORKER"):  # set by xdist before it loads this file in a worker
    os.environ["PREFECT_HOME"] = str(SESSION_HOME / os.environ["PYTEST_XDIST_WORKER"])
# Builds in tests use the local server kept between builds (pubpipe.orchestrate.localserver), as
# staff's do: one per PREFECT_HOME, so a worker's builds share one and only the first pays its start
# (a temporary server per build cost each build about twice its CPU: the suite spent half its time
# starting servers). `stop_local_servers` stops the worker's at the end of the session; one that a
# test started under a PREFECT_HOME of its own stops itself after PUBPIPE_SERVER_IDLE seconds idle.
# Tests of the temporary server set PUBPIPE_SERVER=temporary themselves.
os.environ.setdefault("PUBPIPE_SERVER_IDLE", "60")
# No warm build process for the suite's builds (each test's environment is another key, so each
# build would start one for nothing); tests/test_warm.py switches it on for its own.
os.environ.setdefault("PUBPIPE_WARM", "0")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")

import pytest  # noqa: E402

DATABASE = "prefect.db"  # Prefect's SQLite database under PREFECT_HOME (its default connection URL)


def migrated_home(home: Path) -> Path:
    """`home` as a PREFECT_HOME whose database is already migrated to Prefect's current schema.

    The first caller of the run (either worker) migrates a template with Prefect's own command;
    the others wait on the lock and copy it. A copy is what a migration makes, without the wait."""
    home = Path(home)
    home.mkdir(parents=True, exist_ok=True)
    if (home / DATABASE).exists():
        return home
    template = SESSION_HOME / "migrated-template"
    with open(SESSION_HOME / "migrated-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (template / DATABASE).is_file():
            template.mkdir(exist_ok=True)
            env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_API_DATABASE_CONNECTION_URL",
                                                                    "PREFECT_SERVER_DATABASE_CONNECTION_URL")}
            env["PREFECT_HOME"] = str(template)
            done = subprocess.run([str(Path(sys.executable).parent / "prefect"), "server", "database", "upgrade", "-y"],
                                  env=env, capture_output=True, text=True, timeout=600)
            assert done.returncode == 0 and (template / DATABASE).is_file(), done.stdout[-2000:] + done.stderr[-2000:]
    shutil.copyfile(template / DATABASE, home / DATABASE)
    return home


@pytest.fixture(scope="session", autouse=True)
def stop_local_servers():
    """At the end of the session, the local server of this worker's PREFECT_HOME is stopped (when a
    build started one), so nothing of the suite runs on after it."""
    yield
    if os.environ.get("PUBPIPE_SERVER", "local") in ("", "local"):
        from pubpipe.orchestrate import localserver
        localserver.stop(force=True)


@pytest.fixture(scope="session")
def migrated():
    """`migrated_home`, for tests that give a Prefect server a PREFECT_HOME of its own."""
    return migrated_home


@pytest.fixture(scope="session")
def session_prefect_home():
    """The session's (this worker's) PREFECT_HOME, migrated before the first build uses it: modules
    whose builds or servers use it (in processes of their own) ask for it."""
    return migrated_home(Path(os.environ["PREFECT_HOME"]))


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect server for every flow test of the session.

    Prefect's harness puts its database in a new `mkdtemp()` folder; it gets one holding a migrated
    database (`migrated_home`) instead of migrating its own (Prefect has no setting for the folder)."""
    from unittest import mock

    from prefect.testing import utilities
    folder = migrated_home(tmp_path_factory.mktemp("harness"))
    (folder / DATABASE).rename(folder / "prefect-test.db")  # the name the harness gives its database
    with mock.patch.object(utilities, "mkdtemp", lambda: str(folder)), \
            utilities.prefect_test_harness(server_startup_timeout=120):
        yield


BUILDS = {"session_prefect_home", "prefect_harness", "migrated"}
"""Fixtures of the tests that build through Prefect (in this process or a command of its own)."""


def pytest_collection_modifyitems(config, items):
    """The modules whose tests build through Prefect first, each kept whole: they are the longest
    (one to four minutes each), and under `--dist loadfile --no-loadscope-reorder` a long module
    sent last would leave one worker idle while the other finishes it."""
    builds = {item.module.__name__ for item in items if BUILDS & set(item.fixturenames)}
    items.sort(key=lambda item: item.module.__name__ not in builds)  # stable: order within each kept


def pytest_addoption(parser):
    parser.addoption("--save-golden", action="store_true", default=False,
                     help="write the outputs of tests/test_golden.py into tests/golden/ (review and commit them)")
