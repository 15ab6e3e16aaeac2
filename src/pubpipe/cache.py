"""Cache keys on content, never on a path's string: what incremental rebuilds are keyed on.

A task's key is a digest of what its result depends on: the bytes of the sources and of
anthology.toml for the parsing stages; the model (or rendered bytes) for the later ones; and for
every stage the code version — pubpipe's own source, its templates and styles, and the fonts.
The inputs are digested through one canonical serialisation (`canonical`: JSON of the frozen
dataclasses), so a key never depends on how an object was made or pickled.
"""

import hashlib
import json
import os
from dataclasses import fields, is_dataclass
from functools import lru_cache
from pathlib import Path

from . import __version__, dates
from pubpipe.render.templates import styles_dir
from .config import NO_OUTPUT, Config, shaping
from pubpipe.render.pdf.glyphs import FONT_DIRS
from pubpipe.orchestrate.runner import Later


def _hash_files(paths, h) -> None:
    for path in sorted(paths):
        h.update(str(path.name).encode() + b"\0")
        h.update(path.read_bytes())


@lru_cache(maxsize=1)
def code_version() -> str:
    """Digest of pubpipe's code, templates, styles and fonts: any change invalidates every cache entry."""
    h = hashlib.sha256(__version__.encode())
    package = Path(__file__).resolve().parent
    _hash_files(package.rglob("*.py"), h)
    _hash_files((p for p in styles_dir().rglob("*") if p.is_file() and "__pycache__" not in p.parts), h)
    for module in ("fontpkg_literata", "fontpkg_inter"):
        root = Path(__import__(module).ROOT)
        for font in sorted(root.rglob("*.ttf")):
            h.update(f"{font.name}:{font.stat().st_size}".encode())
    return h.hexdigest()[:16]


def user_cache() -> Path:
    """pubpipe's folder in the user's cache folder (``$XDG_CACHE_HOME``, by default ``~/.cache``)."""
    return Path(os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "pubpipe"


@lru_cache(maxsize=1)
def weasyprint_version() -> str:
    """The installed WeasyPrint's version (``weasyprint.__version__``), read from its package metadata:
    the build process, which lays nothing out, does not import WeasyPrint (~0.5 s of CPU)."""
    from importlib.metadata import version
    return version("weasyprint")


@lru_cache(maxsize=1)
def system_fonts() -> str:
    """Digest of the fonts installed on the system: a new font can change which font draws a
    character, so it is part of every rendering's cache key (and of the build key)."""
    h = hashlib.sha256()
    for folder in FONT_DIRS:
        root = Path(folder).expanduser()
        if root.is_dir():
            for font in sorted(root.rglob("*")):
                if font.is_file():
                    h.update(f"{font}:{font.stat().st_size}\n".encode())
    return h.hexdigest()[:16]


FORMAT = 1
"""The version of `canonical`'s serialisation: raise it whenever what `canonical` writes changes
shape, so that no key made the old way can equal one made the new way."""


def canonical(value) -> bytes:
    """The canonical serialisation of a step's input: JSON with sorted keys, each frozen dataclass
    as its class name and its fields (a field whose metadata is `config.NO_OUTPUT`, such as where a
    file lies, left out), tuples and lists as arrays, bytes as their SHA-256. The same content
    always gives the same bytes, fresh or loaded from the task cache."""
    text = json.dumps([FORMAT, value], default=_plain, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return text.encode()


def _plain(value):
    """`canonical`'s form of what JSON has no form for; anything else is refused, never guessed."""
    if is_dataclass(value) and not isinstance(value, type):
        plain = {f.name: getattr(value, f.name) for f in fields(value)
                 if f.metadata.get("shapes") != NO_OUTPUT["shapes"]}
        plain["__class__"] = type(value).__qualname__
        return plain
    if isinstance(value, (bytes, bytearray)):
        return {"sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    if isinstance(value, Later):  # (a function of the step's other inputs: left out)
        return {"__class__": "Later"}
    raise TypeError(f"no canonical form for a {type(value).__qualname__} (pubpipe.cache.canonical)")


def digest(value) -> str:
    """A stable digest of a stage's input: its `canonical` serialisation (bytes as they are);
    for settings, only those that shape the stories."""
    if isinstance(value, Config):
        value = shaping(value, of="stories")  # not where anthology.toml lies, nor scheduling, links or Dask
    data = bytes(value) if isinstance(value, (bytes, bytearray)) else canonical(value)
    return hashlib.sha256(data).hexdigest()


def content_key(context, parameters: dict) -> str:
    """Cache key of a stage from its inputs' content and the code version. A cached step takes no
    folder or path (`canonical` refuses one: where a file lies is a field declared
    `config.NO_OUTPUT`, left out of its dataclass's form)."""
    parts = [digest(v) for _, v in sorted(parameters.items())]
    parts.append(dates.epoch_text())
    return f"{context.task.name}-{code_version()}-{system_fonts()}-{hashlib.sha256(''.join(parts).encode()).hexdigest()}"
