"""The log file of one `pubpipe build`: where the full detail goes while the terminal gets one line.

Prefect writes its run logs, and the tracebacks of whatever failed, to the console; a member of
staff needs the one line that says what went wrong and what to do, and a support person needs the
rest. So the command line sends every log record (Prefect's, the temporary server's output, Python
warnings, the traceback of an unexpected error) to a file of its own under
``$XDG_STATE_HOME/pubpipe/logs`` (``~/.local/state/pubpipe/logs``), prints that file's path when
something fails, and keeps the newest ``KEEP`` logs.
"""

import logging
import os
import tempfile
import time
from pathlib import Path

from pubpipe import background

KEEP = 20
"""How many log files to keep; older ones are removed when a new one starts."""
QUIET = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
         "PREFECT_SERVER_LOGGING_LEVEL": "WARNING", "DASK_LOGGING__DISTRIBUTED": "warning"}
"""What `pubpipe build` sets in its environment before Prefect is imported, unless the user did
(`quiet_defaults`): Prefect's console at warnings, its server without analytics, no Dask cluster chatter."""


def quiet_defaults() -> None:
    """`QUIET` in the environment, where the user has not set its variables. Before Prefect is imported
    (its settings are read then): by `pubpipe build`, and by the warm build process it forks from."""
    for name, value in QUIET.items():
        os.environ.setdefault(name, value)

_open: dict = {}


def log_dir() -> Path:
    """``$XDG_STATE_HOME/pubpipe/logs`` (default ``~/.local/state/pubpipe/logs``)."""
    return background.state_folder() / "logs"


def _make(command: str) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for folder in (log_dir(), Path(tempfile.gettempdir()) / f"pubpipe-logs-{os.getuid()}"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{command}-{stamp}-{os.getpid()}.log"
            path.touch()
            _prune(folder)
            return path
        except OSError:
            continue
    raise OSError("no folder to write a log file in")


def _prune(folder: Path) -> None:
    logs = sorted(folder.glob("*.log"), key=lambda p: p.stat().st_mtime)
    for old in logs[:-KEEP]:
        try:
            old.unlink()
        except OSError:
            pass


def start(command: str) -> Path:
    """Open this run's log file and send every log record of this process to it; its path."""
    path = _make(command)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    logging.getLogger("pubpipe").setLevel(logging.INFO)
    logging.captureWarnings(True)
    _open.update(path=path, handler=handler, stream=open(path, "a", buffering=1, encoding="utf-8"))
    return path


def path():
    """This run's log file, or None when none was started."""
    return _open.get("path")


def stream():
    """A file object appending to the log (for a child process's output), or None."""
    return _open.get("stream")


def quiet_console() -> None:
    """Take Prefect's console handlers off every logger (after Prefect configured its logging on
    import): the log file gets their records instead (root's handler, through propagation)."""
    from prefect.logging.handlers import PrefectConsoleHandler
    handler = _open.get("handler")
    loggers = [logging.getLogger()] + [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]
    for logger in loggers:
        for h in list(getattr(logger, "handlers", [])):
            if isinstance(h, PrefectConsoleHandler) or (type(h).__name__ == "_SafeStreamHandler"):
                logger.removeHandler(h)
                if handler is not None and not logger.propagate and logger is not logging.getLogger():
                    logger.addHandler(handler)


def exception(message: str) -> None:
    """Write `message` and the traceback being handled to the log."""
    logging.getLogger("pubpipe").exception(message)


def flush() -> None:
    """Flush the log (before the process leaves with os._exit)."""
    for item in (_open.get("handler"), _open.get("stream")):
        try:
            if item is not None:
                item.flush()
        except (OSError, ValueError):
            pass
