"""Publish: build into a staging folder beside the output, then swap it in whole.

Readers never see a half-written output: the previous folder stays as it was until the new one
is complete and validated, and a lock keeps two builds from writing the same output.
"""

import ctypes
import ctypes.util
import fcntl
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

from .errors import BuildLocked

_HELD: dict = {}  # lock path -> open handle, for locks this process holds (the CLI takes it before the flow)
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _sibling(output: Path, tag: str) -> Path:
    output = Path(output).resolve()
    return output.parent / f".{output.name}.{tag}"


@contextmanager
def build_lock(output: Path):
    """Hold an exclusive lock for `output`; raise BuildLocked at once if another build holds it.

    Re-entrant within one process, so the CLI can take it before the flow starts and the flow
    (which must lock too, when a deployment runs it) takes it again without blocking."""
    path = _sibling(output, "lock")
    if str(path) in _HELD:
        yield path
        return
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
        _HELD[str(path)] = handle
        yield path
    finally:
        _HELD.pop(str(path), None)
        handle.close()


def new_staging(output: Path) -> Path:
    """A fresh, empty staging folder beside `output` (one left over by a killed build is removed)."""
    staging = _sibling(output, "staging")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def discard(staging: Path) -> None:
    """Remove a staging folder that will not be published."""
    shutil.rmtree(staging, ignore_errors=True)


@contextmanager
def staging(output: Path):
    """A fresh staging folder beside `output`, removed afterwards unless it was swapped in."""
    folder = new_staging(output)
    try:
        yield folder
    finally:
        discard(folder)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one atomic step (Linux renameat2 RENAME_EXCHANGE); False where unsupported.

    ctypes because Python's os module has no renameat2."""
    libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is None:
        return False
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: the filesystem or kernel cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def swap_in(staging: Path, output: Path) -> Path:
    """Replace `output` by `staging` atomically: a reader sees the old folder or the new one, never neither."""
    output = Path(output).resolve()
    if not output.exists():
        os.rename(staging, output)
        return output
    if _exchange(Path(staging), output):
        shutil.rmtree(staging, ignore_errors=True)  # now holds the previous output
        return output
    old = _sibling(output, "previous")
    shutil.rmtree(old, ignore_errors=True)
    os.rename(output, old)
    try:
        os.rename(staging, output)
    except OSError:
        os.rename(old, output)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return output
