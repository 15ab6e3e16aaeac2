"""Temporary work folders a build removes however it ends.

A step that hands files to another process by path (the PDF's parts to the assembling layout
process, the EPUB to EPUBCheck and its report back) makes them in a `work_folder`: removed when the step ends or fails, and, should the build
be stopped (Ctrl-C, SIGTERM: `pubpipe.orchestrate.interrupts` exits at once, without unwinding the
steps), by `remove_work_folders` there. A stage's helper, not orchestration's: every stage may use it.
"""

import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path

_WORK: set = set()
"""Work folders (`work_folder`) still open: what an interrupted build must remove."""


@contextmanager
def work_folder(what: str):
    """A fresh temporary folder (``pubpipe-<what>-…``) for the files of one step; removed when the
    step ends, fails, or the build is stopped (`remove_work_folders`)."""
    folder = Path(tempfile.mkdtemp(prefix=f"pubpipe-{what}-"))
    _WORK.add(folder)
    try:
        yield folder
    finally:
        _WORK.discard(folder)
        shutil.rmtree(folder, ignore_errors=True)


def remove_work_folders() -> None:
    """Remove every `work_folder` still open: for an interrupted build (pubpipe.orchestrate.interrupts)."""
    for folder in list(_WORK):
        shutil.rmtree(folder, ignore_errors=True)
