"""The reading steps of the build, as plain functions: the settings, a snapshot of the sources
folder (every file's bytes, read once) and ingest (each decoded, or a problem); the records they pass
(`Snapshot`, `Ingested`). The flow runs each as its task."""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from pubpipe.config import NO_OUTPUT, Config, default_config_path, load_config
from pubpipe.errors import SourceError
from pubpipe.model import Diagnostic, problem
from pubpipe.orchestrate.processes import on_both_cores
from pubpipe.read.files import duplicates, list_sources, scan_sources
from pubpipe.read.ingest import parse_source, read_bytes


@dataclass(frozen=True)
class Ingested:
    """What ingest read: decoded sources, and the ones it had to skip."""

    sources: tuple
    problems: tuple = ()
    """A Diagnostic (`model.problem`) for each source skipped: errors, and warnings for files not
    meant to be published (an editor backup, a duplicate)."""


def load_settings(sources: str, config: Optional[str]) -> Config:
    """The build's Config: `config` if given (it must exist), else anthology.toml beside the sources."""
    if config:
        if not Path(config).is_file():
            from pubpipe.errors import ConfigError
            raise ConfigError(f"{config}: config file not found")
        return load_config(Path(config))
    return load_config(default_config_path(Path(sources)))


@dataclass(frozen=True)
class Snapshot:
    """Every source's bytes, read once at the start: the build works on this, whatever happens on disk."""

    root: str = field(metadata=NO_OUTPUT)
    """The sources folder (not part of a cache key: never the folder's path)."""
    files: tuple
    """(name, bytes) of each readable source, sorted by name."""
    problems: tuple = ()
    """Diagnostics of the sources that could not be read at all."""


def snapshot(sources: str, config: Config) -> Snapshot:
    """Read the bytes of every source file (over-size ones, PDFs and images refused before reading;
    nothing read through a link that leads outside the folder). Editor backups and files whose
    bytes equal another source's are left out with a warning (see `pubpipe.read.files.scan_sources`)."""
    root = Path(sources)
    paths, skipped = scan_sources(root)
    problems = list(skipped)
    files, links = [], set()
    for path in paths:
        name = str(path.relative_to(root))
        if path.is_symlink():
            links.add(name)
        try:
            files.append((name, read_bytes(path, name, config.limits, root)))
        except SourceError as exc:
            problems.append(problem(exc.file, exc.reason, exc.code))
    copies = duplicates(files, frozenset(links))
    problems += copies
    left_out = {s.file for s in copies}
    return Snapshot(str(root), tuple(f for f in files if f[0] not in left_out),
                    tuple(sorted(problems, key=lambda p: p.file)))


def ingest(snap: Snapshot, config: Config) -> Ingested:
    """Decode every source of the snapshot; a bad file becomes a problem Diagnostic, never a crash."""
    read, problems = [], list(snap.problems)

    def one(file: tuple):
        try:
            return parse_source(file[0], file[1], config.limits)
        except SourceError as exc:  # as a plain value: it comes back pickled from the other core
            return problem(exc.file, exc.reason, exc.code)

    # each file decoded on its own: on both cores when there are many (the same results; about a
    # line's bytes a line, for the cut-off of processes.on_both_cores)
    for done in on_both_cores("reading the sources", one, list(snap.files), [len(d) // 40 for _, d in snap.files]):
        (problems if isinstance(done, Diagnostic) else read).append(done)
    return Ingested(tuple(read), tuple(sorted(problems, key=lambda p: p.file)))


def changed_since(snap: Snapshot) -> list:
    """Sources edited, added or removed on disk since the snapshot was taken."""
    root = Path(snap.root)
    now = {str(p.relative_to(root)): p for p in list_sources(root)} if root.is_dir() else {}
    then = dict(snap.files)
    changed = [name for name, data in then.items() if name in now and _read_quietly(now[name]) != data]
    return sorted(changed + [n for n in now if n not in then and n not in {p.file for p in snap.problems}]
                  + [n for n in then if n not in now])


def _read_quietly(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""
