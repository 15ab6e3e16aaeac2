"""Cache keys on content, never on a path's string: what incremental rebuilds are keyed on.

A task's key is a digest of what its result depends on: the bytes of the sources and of
anthology.toml for the parsing stages; the model (or rendered bytes) for the later ones; and for
every stage the code version — pubpipe's own source, its templates and styles, and the fonts.
"""

import hashlib
import json
import os
import pickle
from functools import lru_cache
from pathlib import Path

from . import __version__
from .html import styles_dir
from .config import Config, shaping
from .pdfglyphs import FONT_DIRS


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


def digest(value) -> str:
    """A stable digest of a stage's input: bytes as they are, the model through its JSON, else its pickle."""
    if hasattr(value, "content_digest"):
        return value.content_digest()
    if isinstance(value, Config):
        value = shaping(value, of="stories")  # not where anthology.toml lies, nor scheduling, links or Dask
    if isinstance(value, (bytes, bytearray)):
        data = bytes(value)
    elif hasattr(value, "to_dict"):
        data = json.dumps(value.to_dict(), sort_keys=True, ensure_ascii=False).encode()
    else:
        data = pickle.dumps(value, protocol=4)
    return hashlib.sha256(data).hexdigest()


def content_key(context, parameters: dict) -> str:
    """Cache key of a stage from its inputs' content (paths and folders excluded) and the code version."""
    parts = [digest(v) for k, v in sorted(parameters.items()) if k not in ("staging", "folder", "sources", "output")]
    parts.append(os.environ.get("SOURCE_DATE_EPOCH", ""))  # dates in the outputs come from it
    return f"{context.task.name}-{code_version()}-{system_fonts()}-{hashlib.sha256(''.join(parts).encode()).hexdigest()}"
