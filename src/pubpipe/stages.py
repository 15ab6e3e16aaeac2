"""The build's stages as plain functions: what each task of the Prefect flow calls.

Each stage takes and returns plain values (paths, the model, small result records), so it can be
called and tested without Prefect.
"""

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .anthology import build_anthology
from .clean import clean_all
from .config import Config, default_config_path, load_config
from .errors import NothingToPublish, SourceError
from .ingest import list_sources, read_source
from .model import Anthology


@dataclass(frozen=True)
class Problem:
    """A source that could not be used, and why."""

    file: str
    reason: str
    code: str


@dataclass(frozen=True)
class Ingested:
    """What ingest read: decoded sources, and the ones it had to skip."""

    sources: tuple
    problems: tuple = ()


@dataclass
class BuildResult:
    """What a build did, for the CLI and the report."""

    exit_code: int
    output: str
    outputs: dict = field(default_factory=dict)
    problems: tuple = ()
    message: str = ""


def load_settings(sources: str, config: Optional[str]) -> Config:
    """The build's Config: `config` if given (it must exist), else anthology.toml beside the sources."""
    if config:
        if not Path(config).is_file():
            from .errors import ConfigError
            raise ConfigError(f"{config}: config file not found")
        return load_config(Path(config))
    return load_config(default_config_path(Path(sources)))


def ingest(sources: str, config: Config) -> Ingested:
    """Read and decode every source; a bad file becomes a Problem, never a crash."""
    root = Path(sources)
    read, problems = [], []
    for path in list_sources(root):
        try:
            read.append(read_source(path, root, config.limits))
        except SourceError as exc:
            problems.append(Problem(exc.file, exc.reason, exc.code))
    return Ingested(tuple(read), tuple(problems))


def clean(ingested: Ingested, config: Config) -> list:
    """Run the cleaning registry over every source."""
    return clean_all(list(ingested.sources), config.residue)


def structure(cleaned: list, ingested: Ingested, config: Config) -> Anthology:
    """Recover the stories; raise NothingToPublish when there are none."""
    removed = tuple(r for c in cleaned for r in c.removed)
    facts = tuple({"file": s.file, "encoding": s.encoding, "repairs": list(s.repairs), "kind": s.kind,
                   "lines": max((l.number for l in s.lines), default=0)} for s in ingested.sources)
    warnings = [f"[{p.code}] {p.file}: {p.reason}" for p in ingested.problems]
    anthology = build_anthology(cleaned, config, removed, warnings, facts)
    if not anthology.stories:
        reasons = "; ".join(f"{p.file}: {p.reason}" for p in ingested.problems) or "no source files"
        raise NothingToPublish(f"no publishable story in the sources ({reasons})")
    return anthology


def write_anthology(anthology: Anthology, folder: Path) -> Path:
    """Write anthology.json (schema pubpipe/anthology@1) into `folder`."""
    path = Path(folder) / "anthology.json"
    path.write_text(json.dumps(anthology.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def say_problems(problems: tuple) -> None:
    """Name each bad source and the reason on stderr."""
    for p in problems:
        print(f"pubpipe: skipped {p.file}: {p.reason} [{p.code}]", file=sys.stderr)
