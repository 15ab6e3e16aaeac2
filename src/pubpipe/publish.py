"""Publish: build into a staging folder beside the output, then swap it in whole.

Readers never see a half-written output: the previous folder stays as it was until the new one
is complete and validated, and a lock keeps two builds from writing the same output.
"""

import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildLocked


def _sibling(output: Path, tag: str) -> Path:
    output = Path(output).resolve()
    return output.parent / f".{output.name}.{tag}"


@contextmanager
def build_lock(output: Path):
    """Hold an exclusive lock for `output`; raise BuildLocked at once if another build holds it."""
    path = _sibling(output, "lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildLocked(f"another pubpipe build is writing {output} (lock {path}); "
                              "wait for it to finish") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield path
    finally:
        handle.close()


def new_staging(output: Path) -> Path:
    """A fresh, empty staging folder beside `output` (left over ones from killed builds are removed)."""
    staging = _sibling(output, "staging")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def discard(staging: Path) -> None:
    """Remove a staging folder that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


def swap_in(staging: Path, output: Path) -> Path:
    """Replace `output` by `staging` with renames, so a reader sees the old folder or the new one."""
    output = Path(output).resolve()
    old = _sibling(output, "previous")
    if old.exists():
        shutil.rmtree(old)
    if output.exists():
        os.rename(output, old)
    try:
        os.rename(staging, output)
    except OSError:
        if old.exists() and not output.exists():
            os.rename(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return output
