"""The steps of the build before rendering, as plain functions: the settings, a snapshot of the
sources, ingest, clean and structure — the model recovered from the sources (`pubpipe.pipeline.recover`)
— and anthology.json written; the records they pass (`Snapshot`, `Ingested`, `BuildResult`).

Each step takes and returns plain values (paths, the model, small result records), so it can be
called and tested without Prefect (the flow runs each as its task).
"""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .anthology import build_anthology
from .clean import clean_all
from .config import NO_OUTPUT, Config, default_config_path, load_config
from .errors import NothingToPublish, SourceError
from .ingest import parse_source, read_bytes
from .sourcefiles import duplicates, list_sources, scan_sources
from .model import Anthology, problem


@dataclass(frozen=True)
class Ingested:
    """What ingest read: decoded sources, and the ones it had to skip."""

    sources: tuple
    problems: tuple = ()
    """A Diagnostic (`model.problem`) for each source skipped: errors, and warnings for files not
    meant to be published (an editor backup, a duplicate)."""


@dataclass
class BuildResult:
    """What a build did, for the CLI and the report."""

    exit_code: int
    output: str
    outputs: dict = field(default_factory=dict)
    problems: tuple = ()
    """The errors (Diagnostics of severity "error": what makes the exit code 1)."""
    message: str = ""
    edited: tuple = ()
    warnings: tuple = ()
    """The sources' Diagnostics of severity "warning": files skipped on purpose (backups, duplicates)."""


def load_settings(sources: str, config: Optional[str]) -> Config:
    """The build's Config: `config` if given (it must exist), else anthology.toml beside the sources."""
    if config:
        if not Path(config).is_file():
            from .errors import ConfigError
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
    bytes equal another source's are left out with a warning (see `pubpipe.ingest.scan_sources`)."""
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
    for name, data in snap.files:
        try:
            read.append(parse_source(name, data, config.limits))
        except SourceError as exc:
            problems.append(problem(exc.file, exc.reason, exc.code))
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


def clean(ingested: Ingested, config: Config) -> list:
    """Run the cleaning registry over every source, then the learned line model over text sources
    that are a web page's text (pubpipe.recover.apply: it drops furniture and tags what it keeps)."""
    from .recover.apply import recover  # issue 16: the line model (loads LightGBM only here)
    cleaned = clean_all(list(ingested.sources), config.residue, config.keep)
    return recover(list(ingested.sources), cleaned, keep=config.keep)


def structure(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    """Recover the stories; raise NothingToPublish when there are none."""
    # what ingest left out of saved pages (pubpipe.webpage), then what cleaning dropped
    removed = tuple(r for s in ingested.sources for r in s.removed) + tuple(r for c in cleaned for r in c.removed)
    facts = tuple({"file": s.file, "encoding": s.encoding, "repairs": list(s.repairs), "kind": s.kind,
                   "lines": max((l.number for l in s.lines), default=0),
                   **{k: v for k, v in (("url", s.url), ("site", s.site)) if v}}  # a saved page's origin
                  for s in ingested.sources)
    anthology = build_anthology(cleaned, config, removed, list(ingested.problems), facts)
    if not anthology.stories:
        reasons = "; ".join(f"{p.file}: {p.message}" for p in ingested.problems) or "no source files"
        raise NothingToPublish(f"no publishable story in the sources ({reasons})")
    return anthology


def write_anthology(anthology: Anthology, folder: Path) -> Path:
    """Write anthology.json (schema pubpipe/anthology@1) into `folder`."""
    path = Path(folder) / "anthology.json"
    path.write_text(json.dumps(anthology.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def say_problems(problems: tuple) -> None:
    """Name each bad source and the reason as the build finds them (warnings as warnings): as a
    progress event (`pubpipe build` shows it on the terminal) and in the flow run's log (the
    Prefect UI)."""
    from . import progress
    logger = _run_logger()
    for p in problems:
        verb = ("skipped " if p.code.startswith("source.") else "") if p.is_error else "warning: "
        line = f"{verb}{p.file}: {p.message} [{p.code}]"
        progress.emit("problem", text=line, error=p.is_error)
        if logger is not None:
            logger.info(line)


def _run_logger():
    """The Prefect flow run's logger, or None outside a flow run (Prefect not even imported)."""
    context = sys.modules.get("prefect.context")
    if context is None or context.FlowRunContext.get() is None:
        return None
    from prefect.logging import get_run_logger
    return get_run_logger()
