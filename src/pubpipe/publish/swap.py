"""Publishing an output folder whole: a lock per output, a staging folder beside it that the build
writes into, and the atomic exchange of the two.

Readers never see a half-written output: the previous folder stays as it was until the new one
is complete and validated, and a lock keeps two builds from writing the same output.
"""

import ctypes
import ctypes.util
import errno
import fcntl
import os
import shutil
import threading
from contextlib import contextmanager
from pathlib import Path

from pubpipe.errors import BuildLocked, UnsafeOutput, UnwritableOutput

MANIFEST = ".pubpipe-build.json"
"""The record every published output carries (pubpipe.publish.manifest): the mark of a folder pubpipe made."""

_HELD: dict = {}  # lock path -> open handle, for locks this process holds (the CLI takes it before the flow)
RENAME_EXCHANGE = 2
AT_FDCWD = -100


def _sibling(output: Path, tag: str) -> Path:
    output = Path(output).resolve()
    return output.parent / f".{output.name}.{tag}"


def refuse_unsafe_output(output: Path, sources: Path, config=None, cwd=None) -> None:
    """Raise UnsafeOutput unless `output` is a folder pubpipe may replace whole: missing, empty, or
    made by pubpipe (it carries MANIFEST and nothing that record does not list).

    Checked before anything is written (the CLI, and the flow for deployment runs): a build swaps
    its output folder whole, so pointed at a folder of someone's files it would delete them."""
    given = str(output)
    out = Path(output).resolve()
    src = Path(sources).resolve()
    here = Path(cwd or os.getcwd()).resolve()
    what = f"the output folder {given}"
    if out.exists() and not out.is_dir():
        raise UnsafeOutput(f"{what} is a file, not a folder; pass --output a folder for pubpipe's "
                           "files (a new one, or one an earlier build made)")
    if out == src:
        raise UnsafeOutput(f"{what} is the sources folder; pass --output another folder (e.g. output/)")
    if out in src.parents:
        raise UnsafeOutput(f"{what} holds the sources folder {sources}; pass --output a folder of its own "
                           "(e.g. output/ beside the sources)")
    if src in out.parents:
        raise UnsafeOutput(f"{what} is inside the sources folder {sources}, so its files would be read as "
                           "sources; pass --output a folder outside it")
    if out == here or out in here.parents:
        raise UnsafeOutput(f"{what} holds the current directory; pass --output a folder of its own "
                           "(e.g. output/)")
    if config and Path(config).resolve().is_relative_to(out):
        raise UnsafeOutput(f"{what} holds the settings file {config}; pass --output a folder of its own")
    if not out.is_dir():
        return
    foreign = _foreign_files(out)
    if foreign:
        shown = ", ".join(foreign[:3]) + (f" and {len(foreign) - 3} more" if len(foreign) > 3 else "")
        raise UnsafeOutput(f"{what} holds files pubpipe did not make ({shown}); a build replaces the folder "
                           "whole, so pass --output a new or empty folder, or move those files out")


def _foreign_files(folder: Path) -> list:
    """Names in `folder` that its build record does not list (its top-level entries, when it has no
    record: a folder of someone's files may be large, so it is not walked)."""
    import json
    try:
        recorded = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))["files"]
        if not isinstance(recorded, dict):
            raise ValueError
    except (OSError, ValueError, KeyError, TypeError):
        return sorted(os.listdir(folder))
    names = [p.relative_to(folder).as_posix() for p in sorted(folder.rglob("*"))
             if not p.is_dir() or not any(p.iterdir())]
    return [n for n in names if n != MANIFEST and n not in recorded]


def unwritable(exc: OSError, where: Path):
    """The UnwritableOutput for an OSError that says the output's folder cannot be written, else None."""
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "it is on a read-only file system" if exc.errno == errno.EROFS else "permission denied"
        return UnwritableOutput(f"cannot write {exc.filename or where}: {reason}; pass --output a folder "
                                "where you may write (pubpipe also writes beside it)")
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return UnwritableOutput(f"the disk is full (no space left writing {exc.filename or where}); free "
                                "some space and build again")
    return None


@contextmanager
def build_lock(output: Path):
    """Hold an exclusive lock for `output`; raise BuildLocked at once if another build holds it.

    Re-entrant within one process, so the CLI can take it before the flow starts and the flow
    (which must lock too, when a deployment runs it) takes it again without blocking."""
    path = _sibling(output, "lock")
    if str(path) in _HELD:
        yield path
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = _locked(path, output)
    except OSError as exc:
        raise (unwritable(exc, path) or exc) from None
    _HELD[str(path)] = handle
    try:
        yield path
    finally:
        release(path)


def _locked(path: Path, output: Path):
    """An open handle on the lock file at `path`, exclusively locked. The file is removed when the
    lock is released, so a lock is taken on whatever file the path names *after* locking it: a
    build that opened the file just before the previous one removed it tries again."""
    while True:
        handle = open(path, "a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise BuildLocked(f"another pubpipe build is writing {output} (lock {path}); "
                              "wait for it to finish") from None
        try:
            if os.stat(path).st_ino == os.fstat(handle.fileno()).st_ino:
                break
        except FileNotFoundError:
            pass
        handle.close()
    handle.seek(0)
    handle.truncate()
    handle.write(f"{os.getpid()}\n")
    handle.flush()
    return handle


def release(path) -> None:
    """Remove and unlock the lock file at `path` if this process holds it (also from a signal handler)."""
    handle = _HELD.pop(str(path), None)
    if handle is None:
        return
    try:
        os.unlink(path)  # while still locked: nobody can lock this file and then find it gone
    except OSError:
        pass
    handle.close()


def release_all() -> None:
    """Release every lock this process holds (an interrupted build)."""
    for path in list(_HELD):
        release(path)


def staging_path(output: Path) -> Path:
    """Where the build of `output` stages its files."""
    return _sibling(output, "staging")


def new_staging(output: Path) -> Path:
    """A fresh, empty staging folder beside `output` (one left over by a killed build is removed)."""
    staging = staging_path(output)
    try:
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
    except OSError as exc:
        raise (unwritable(exc, staging) or exc) from None
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


SWAPPING = threading.Event()
"""Set while `swap_in` moves folders: an interrupt waits for it (pubpipe.orchestrate.interrupts)."""


def swap_in(staging: Path, output: Path) -> Path:
    """Replace `output` by `staging` atomically: a reader sees the old folder or the new one, never neither."""
    SWAPPING.set()
    try:
        return _swap_in(staging, output)
    finally:
        SWAPPING.clear()


def _swap_in(staging: Path, output: Path) -> Path:
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
