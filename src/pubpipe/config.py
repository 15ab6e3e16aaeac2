"""anthology.toml: optional settings for a build. Every key has a sensible default."""

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

from .errors import ConfigError

DEFAULT_TITLE = "Anthology"
NO_OUTPUT = {"shapes": "nothing"}
"""Field metadata: the setting shapes no output (where a file lies, when and how a build runs)."""
WEB_ONLY = {"shapes": "web"}
"""Field metadata: the setting shapes the rendered web pages, not the stories parsed from the sources."""
PDF_ONLY = {"shapes": "pdf"}
"""Field metadata: the setting shapes the PDF's layout, not the stories parsed from the sources."""
STORY_OPENINGS = ("next-page", "recto")
"""``stories_open``: each story on the page after the one before ends, or always on a right-hand page."""


@dataclass(frozen=True)
class Limits:
    """Bounds on what a source may be, so a bad file costs time and memory only up to here."""

    max_file_bytes: int = 8 * 1024 * 1024
    """A source larger than this is refused."""
    max_line_chars: int = 20_000
    """A text source with a longer line is refused (a binary blob); for a saved page, the text found
    in it (its markup, minified on one line or not, is not counted)."""
    epubcheck_seconds: int = field(default=0, metadata=NO_OUTPUT)
    """EPUBCheck's time limit; 0: one that grows with the book (`pubpipe.publish.epubcheck.time_limit`).
    Shapes no output."""


@dataclass(frozen=True)
class Config:
    """What anthology.toml may set; all optional."""

    title: Optional[str] = None
    """The anthology's title; default: the first story's title when there is one story, else DEFAULT_TITLE."""
    subtitle: Optional[str] = None
    """Subtitle for the cover and title page."""
    publisher: Optional[str] = None
    """Publisher (the EPUB's dc:publisher); never named as the author."""
    author: Optional[str] = None
    """The book's author (PDF, EPUB dc:creator, cover); default: a one-book source's own author."""
    editor: Optional[str] = None
    """Who edited or compiled the anthology (EPUB dc:contributor with role edt; cover and title page)."""
    rights: Optional[str] = None
    """The anthology's rights statement for the colophon (``© 2024 Example Org. CC BY 4.0``)."""
    credits: dict = field(default_factory=dict)
    """Per source file name (or story id): a credit and rights line for the colophon and web source
    line, said where the source does not (or instead of what it says)."""
    language: Optional[str] = None
    """Force the anthology's language (BCP 47); default: from its stories."""
    order: tuple = ()
    """Story ids (or titles) to put first, in this order; the rest follow in source order."""
    exclude: tuple = ()
    """Story ids (or titles) to leave out."""
    titles: dict = field(default_factory=dict)
    """Title overrides: story id -> new title."""
    residue: tuple = ()
    """Extra residue patterns (regular expressions, matched case-insensitively against a whole line)."""
    split_before: tuple = ()
    """Force a new story to start at a line with exactly this text."""
    keep: tuple = ()
    """Lines never to drop, whatever rule (or model) would: a source line whose text equals one of
    these (runs of spaces as one, none at either end; case and punctuation exactly) is kept."""
    schedule: str = field(default="0 2 * * *", metadata=NO_OUTPUT)
    """Cron schedule of the nightly deployment."""
    timezone: str = field(default="UTC", metadata=NO_OUTPUT)
    """Timezone of the schedule."""
    dask: str = field(default="", metadata=NO_OUTPUT)
    """Fan per-story rendering out to Dask: "local" (a LocalCluster on this machine) or a scheduler
    address such as tcp://10.0.0.5:8786; "" renders on the flow's own threads. `pubpipe build --dask`
    (or PUBPIPE_DASK in the environment of `pubpipe build` or `pubpipe serve`) overrides it."""
    stories_open: str = field(default="next-page", metadata=PDF_ONLY)
    """Where a story opens in the PDF: "next-page" (the page after the story before ends: no blank
    pages) or "recto" (always a right-hand page, after a blank left-hand one where needed)."""
    base_url: str = field(default="", metadata=WEB_ONLY)
    """Public http(s) address of the published ``web/`` folder; makes feed, JSON-LD and snippet links absolute."""
    limits: Limits = field(default_factory=Limits)
    """Size limits for sources."""
    path: Optional[str] = field(default=None, metadata=NO_OUTPUT)
    """The file this came from, or None for the defaults."""


def shaping(value, of: str = "outputs"):
    """`value` (a Config, or its Limits) with every setting that shapes nothing in `of` set to its
    default: of="outputs" keeps all that changes a published file; of="stories" also drops what
    shapes only the web pages. Cache and build keys are made from this, so a change to the schedule
    or to where anthology.toml lies rebuilds nothing."""
    from dataclasses import MISSING, fields, is_dataclass, replace
    ignored = {"nothing"} | ({"web", "pdf"} if of == "stories" else set())
    changes = {}
    for f in fields(value):
        current = getattr(value, f.name)
        if f.metadata.get("shapes") in ignored:
            changes[f.name] = f.default if f.default is not MISSING else f.default_factory()
        elif is_dataclass(current):
            changes[f.name] = shaping(current, of)
    return replace(value, **changes)


def _strings(data: dict, key: str, where: str) -> tuple:
    value = data.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: '{key}' must be a list of strings")
    return tuple(value)


def _keep(data: dict, where: str) -> tuple:
    """``keep``: lines as report.md shows them, one string each."""
    value = data.get("keep", [])
    if isinstance(value, str):
        value = [value]
    hint = "list the lines to keep as report.md shows them, like keep = [\"Read more about our work\"]"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: 'keep' must be a list of strings; {hint}")
    for line in value:
        if not line.strip():
            raise ConfigError(f"{where}: 'keep' has an empty string, which matches no line; remove it or {hint}")
        if "\n" in line or "\r" in line:
            raise ConfigError(f"{where}: 'keep' entry {line[:40]!r} spans more than one line; give each line "
                              "as its own string")
    return tuple(value)


def _string(data: dict, key: str, where: str) -> Optional[str]:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise ConfigError(f"{where}: '{key}' must be a string")
    return value


def is_base_url(value: str) -> bool:
    """An absolute http(s) address with nothing that could break out of an HTML attribute (the one
    rule for ``base_url``, here and in pubpipe.render.web.site)."""
    from urllib.parse import urlsplit
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not any(c in value for c in "\"'<> \t\n")


def _base_url(data: dict, where: str) -> str:
    """``base_url``, checked here so a typo fails before any rendering."""
    value = _string(data, "base_url", where) or ""
    if value and not is_base_url(value):
        raise ConfigError(f"{where}: 'base_url' must be an absolute http(s) address like "
                          f"https://example.org/anthology/web/, not {value!r}")
    return value


def _stories_open(data: dict, where: str) -> str:
    value = _string(data, "stories_open", where) or STORY_OPENINGS[0]
    if value not in STORY_OPENINGS:
        raise ConfigError(f"{where}: 'stories_open' must be \"next-page\" (each story on the page after the one "
                          f"before) or \"recto\" (each on a right-hand page), not {value!r}")
    return value


def load_config(path: Optional[Path]) -> Config:
    """Read anthology.toml at `path`; no path or no file gives the defaults."""
    if path is None or not Path(path).exists():
        return Config()
    where = str(path)
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: not valid TOML: {exc}") from exc
    known = {"title", "subtitle", "publisher", "author", "editor", "rights", "credits", "language", "order", "exclude", "titles",
             "residue", "split_before", "keep", "schedule", "timezone", "base_url", "dask", "limits", "stories_open"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(unknown)}; known keys: {', '.join(sorted(known))}")
    titles = data.get("titles", {})
    if not isinstance(titles, dict) or not all(isinstance(v, str) for v in titles.values()):
        raise ConfigError(f"{where}: 'titles' must be a table of story id = \"New title\"")
    credits = data.get("credits", {})
    if not isinstance(credits, dict) or not all(isinstance(v, str) and v.strip() for v in credits.values()):
        raise ConfigError(f"{where}: 'credits' must be a table of \"source file name\" (or story id) = "
                          "\"where it comes from and its rights\", e.g. [credits] \"essay.txt\" = "
                          "\"First published by Example Org, 2019. CC BY 4.0\"")
    residue = _strings(data, "residue", where)
    for pattern in residue:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where}: residue pattern {pattern!r} is not a valid regular expression: {exc}") from exc
    limits = data.get("limits", {})
    if not isinstance(limits, dict) or not all(isinstance(v, int) and v > 0 for v in limits.values()) \
            or set(limits) - {"max_file_bytes", "max_line_chars", "epubcheck_seconds"}:
        raise ConfigError(f"{where}: 'limits' takes positive integers max_file_bytes, max_line_chars "
                          "and epubcheck_seconds")
    return Config(
        title=_string(data, "title", where), subtitle=_string(data, "subtitle", where),
        publisher=_string(data, "publisher", where), language=_string(data, "language", where),
        author=_string(data, "author", where), editor=_string(data, "editor", where),
        rights=_string(data, "rights", where), credits={k: v.strip() for k, v in credits.items()},
        order=_strings(data, "order", where), exclude=_strings(data, "exclude", where),
        titles=dict(titles), residue=residue, split_before=_strings(data, "split_before", where),
        keep=_keep(data, where),
        schedule=_string(data, "schedule", where) or Config.schedule,
        timezone=_string(data, "timezone", where) or Config.timezone,
        base_url=_base_url(data, where), dask=_string(data, "dask", where) or "",
        stories_open=_stories_open(data, where),
        limits=Limits(**limits), path=where,
    )


def default_config_path(sources: Path) -> Path:
    """anthology.toml beside the sources folder, else inside it."""
    beside = Path(sources).resolve().parent / "anthology.toml"
    return beside if beside.exists() else Path(sources) / "anthology.toml"
