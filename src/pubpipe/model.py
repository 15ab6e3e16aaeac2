"""The small, frozen model every stage passes along.

`anthology.json` is the serialisation of `Anthology` (schema ``pubpipe/anthology@1``);
renderers read only these objects, never the sources.
"""

import re
from dataclasses import dataclass, asdict
from typing import Any, Optional

from . import inline

SCHEMA = "pubpipe/anthology@1"
BLOCK_TYPES = ("paragraph", "heading", "quote", "list", "note", "setapart")


@dataclass(frozen=True)
class Block:
    """One unit of a story's body, in reading order."""

    type: str
    """One of BLOCK_TYPES: paragraph, heading, quote, list, note or setapart (lines set apart from
    the prose: a notice, a letter's heading, a sign, verse; its lines joined by newlines, never a
    heading, never in the contents)."""
    text: str = ""
    """Plain Unicode text after cleaning (empty for a list); a quote's paragraphs are separated by a
    blank line, a set-apart block's lines by a newline."""
    attribution: Optional[str] = None
    """For a quote: who said it (``Miso, escaped North Korea in 2010``), without the dash."""
    ordered: Optional[bool] = None
    """For a list: True for ``1.``-style numbering, False for bullets."""
    items: tuple = ()
    """For a list: the items' texts, in order."""
    line: Optional[int] = None
    """1-based source line this block starts on (for messages and the report)."""
    emphasis: tuple = ()
    """Inline emphasis in `text`: (start, end, kind) spans over it, kind "em" (italics) or "strong"
    (bold); anthology.json carries them as an `html` field beside `text` (pubpipe.inline)."""
    item_emphasis: tuple = ()
    """For a list: each item's emphasis spans, as `emphasis` (empty when no item has any)."""

    def __post_init__(self) -> None:
        if self.type not in BLOCK_TYPES:
            raise ValueError(f"unknown block type {self.type!r}")

    def to_dict(self) -> dict:
        out: dict[str, Any] = {"type": self.type}
        if self.type == "list":
            out["ordered"] = bool(self.ordered)
            out["items"] = list(self.items)
            if any(self.item_emphasis):
                out["items_html"] = [inline.to_html(i, e) for i, e in zip(self.items, self.item_emphasis)]
        else:
            out["text"] = self.text
            if self.emphasis:
                out["html"] = inline.to_html(self.text, self.emphasis)
        if self.type == "quote":
            out["attribution"] = self.attribution
        if self.line is not None:
            out["line"] = self.line
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "Block":
        text, items = data.get("text", ""), tuple(data.get("items") or ())
        try:
            emphasis = inline.from_html(data["html"], text) if data.get("html") else ()
            items_html = data.get("items_html") or ()
            if items_html and len(items_html) != len(items):
                raise ValueError("its items_html does not have one entry per item")
            item_emphasis = tuple(inline.from_html(h, i) for h, i in zip(items_html, items))
        except ValueError as exc:
            raise ValueError(f"the {data.get('type')} block of line {data.get('line')}: {exc}") from None
        return cls(type=data["type"], text=text, attribution=data.get("attribution"),
                   ordered=data.get("ordered"), items=items, line=data.get("line"),
                   emphasis=emphasis, item_emphasis=item_emphasis)

    def words(self) -> str:
        """All text this block carries, for word counts and searches."""
        return " ".join([self.text, *self.items, self.attribution or ""]).strip()


def words_in(blocks) -> int:
    """The words the blocks carry (`Block.words`): a story's word count."""
    return sum(len(b.words().split()) for b in blocks)


@dataclass(frozen=True)
class Byline:
    """Who wrote the story."""

    name: str
    """The author's name in normal case (``Sokeel Park``, never ``SOKEEL PARK``)."""
    role: Optional[str] = None
    """The author's role, when the byline gives one."""


@dataclass(frozen=True)
class Dateline:
    """Where and when the story was first published, as its opening dateline says."""

    source: str
    """The place or publication named before the date (``New Focus``, ``Seoul``)."""
    date: Optional[str] = None
    """ISO 8601 date (``2016-11-03``), or None when the dateline gives none."""
    text: Optional[str] = None
    """The dateline as the source wrote it (``New Focus (03.11.2016)``), so no word of it is lost."""


@dataclass(frozen=True)
class Series:
    """The series a story is part of (``Title | Joseph's Story: Part 1``)."""

    name: str
    """The series name."""
    part: Optional[int] = None
    """The part number, when given."""
    label: Optional[str] = None
    """The series label as the title line wrote it (``Joseph’s Story: Part 1``)."""


@dataclass(frozen=True)
class SourceSpan:
    """Where a story came from."""

    file: str
    """The source file's name, relative to the sources folder."""
    first_line: int
    """1-based first line of the story in that file."""
    last_line: int
    """1-based last line of the story in that file."""


DROPPED, WARNING, ERROR = "dropped", "warning", "error"
"""The severities of a Diagnostic, from least to most serious (see `Diagnostic.severity`)."""


@dataclass(frozen=True)
class Diagnostic:
    """Something the build left out or found wrong, and where: a source line it dropped, a source
    it could not use (or a story it could not show whole), a warning. One kind for all three, so
    report.md lists each once, under its severity; anthology.json keeps its contract shapes
    (`removed` entries and `warnings` lines, made from these by `Anthology.to_dict`).
    Made by `dropped` and `problem`."""

    code: str
    """A stable code: for a dropped line the rule that dropped it (``web-residue``; ``model``: the
    learned line model, pubpipe.recover); else a dotted code (``source.empty``,
    ``structure.no-title``, ``pdf.missing-glyph``)."""
    file: str
    """The source file's name, relative to the sources folder (or the anthology.toml)."""
    line: Optional[int]
    """1-based line number in that file; None when it concerns the whole file."""
    message: str
    """For a dropped line, the line as it was (after decoding); else what happened and what to do."""
    severity: str = ERROR
    """DROPPED: a line left out of the stories (listed, never a fault); WARNING: a finding that
    leaves the exit code alone (an editor backup skipped, a story without a title line); ERROR:
    a source (or story) that should have been published was not, or not whole: the build exits 1."""
    confidence: Optional[float] = None
    """For a line dropped by a learned model, its probability that the line is not the article's
    (0-1); None for a rule."""

    @property
    def rule(self) -> str:
        """For a dropped line: the rule that dropped it (its code)."""
        return self.code

    @property
    def text(self) -> str:
        """For a dropped line: the line's text (its message)."""
        return self.message

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def __str__(self) -> str:
        """``[code] file: message`` (``file:line`` where it has a line): a line of anthology.json's
        ``warnings`` and of report.md's."""
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"[{self.code}] {where}: {self.message}"


def dropped(file: str, line: int, text: str, rule: str, confidence: Optional[float] = None) -> Diagnostic:
    """The Diagnostic of a source line the build dropped: ``rule`` names what dropped it (a learned
    model: ``"model"`` with its ``confidence``)."""
    return Diagnostic(rule, file, line, text, DROPPED, confidence)


def problem(file: str, reason: str, code: str, severity: str = ERROR, line: Optional[int] = None) -> Diagnostic:
    """The Diagnostic of a source (or story) the build could not use whole, or a warning about one."""
    return Diagnostic(code, file, line, reason, severity)


@dataclass(frozen=True)
class Decision:
    """A decision of cleaning or structure recovery and how sure it was: report.md lists, per story,
    the least sure ones for a person to check."""

    file: str
    """The source file's name."""
    line: int
    """1-based line number in that file."""
    text: str
    """The line's text."""
    what: str
    """What was decided: "dropped", "kept" (a rule would have dropped it; `keep` kept it),
    "heading", "story start"."""
    rule: str
    """The rule (or signal, or model) that decided."""
    confidence: float
    """How sure it was, 0–1: a learned model's probability, or a rule's fixed figure."""
    story: str = ""
    """The id of the story it concerns (a dropped line: the story it lay in or after)."""


@dataclass(frozen=True)
class Credit:
    """Where a source file's stories come from and on what terms, as the source (or anthology.toml's
    ``[credits]``) says: what the colophon, a web story's source line and the metadata show. Every
    field but ``file`` is None when nothing says it: nothing is made up."""

    file: str
    """The source file's name, relative to the sources folder."""
    title: Optional[str] = None
    """The source's own title (an e-text's ``Title:`` line, a title page's first line)."""
    subtitle: Optional[str] = None
    """The source's own subtitle (the second line of an e-text's ``Title:``)."""
    author: Optional[str] = None
    """The source's author (``Author:``, a title page's "By …" line); never "Various"."""
    editor: Optional[str] = None
    """Who edited or collected it (``Editor:``, "Edited by …")."""
    translator: Optional[str] = None
    """Who translated it (``Translator:``)."""
    published: Optional[str] = None
    """When the original appeared: an ISO date, or a year (``1898``) as the title page gives it."""
    publisher: Optional[str] = None
    """Who published the original (a title page's imprint, a saved page's site)."""
    released: Optional[str] = None
    """When this copy was released (an e-text's ``Release date:``), ISO 8601."""
    collection: Optional[str] = None
    """The collection this copy comes from and its number there (``Project Gutenberg eBook #1661``)."""
    url: Optional[str] = None
    """Where this copy can be found (the e-text's page, a saved page's address)."""
    rights: Optional[str] = None
    """Its rights, in a sentence (a licence summarised, or anthology.toml's ``[credits]`` line)."""
    rights_url: Optional[str] = None
    """Where the licence can be read in full."""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Story:
    """One article: a chapter of the booklet, a document of the EPUB, a page on the web."""

    id: str
    """Unique lowercase ASCII slug; also the file name of its web page and snippet."""
    title: str
    """The story's title, cleaned."""
    blocks: tuple
    """The body as a tuple of Block, in reading order."""
    source: SourceSpan
    """Which file and lines it came from."""
    language: str = "und"
    """BCP 47 language tag (``en``, ``ko``), ``und`` when too short to tell."""
    subtitle: Optional[str] = None
    """A subtitle, when the title line carried one."""
    series: Optional[Series] = None
    """The series it belongs to, if any."""
    byline: Optional[Byline] = None
    """Its author, if given."""
    dateline: Optional[Dateline] = None
    """Its dateline, if given."""
    author: Optional[str] = None
    """Who wrote it: its byline's name, else its source's author (`Credit.author`); None when no
    source says. The metadata (``dc:creator``, JSON-LD, the feed) name this, never the tool."""

    def headings(self) -> list:
        return [b for b in self.blocks if b.type == "heading"]

    def word_count(self) -> int:
        return words_in(self.blocks)

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "subtitle": self.subtitle,
            "series": asdict(self.series) if self.series else None,
            "language": self.language,
            "byline": asdict(self.byline) if self.byline else None,
            "dateline": asdict(self.dateline) if self.dateline else None,
            "author": self.author,
            "source": asdict(self.source),
            "blocks": [b.to_dict() for b in self.blocks],
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Story":
        def opt(kind, value):
            return kind(**value) if value else None
        return cls(id=data["id"], title=data["title"], subtitle=data.get("subtitle"),
                   series=opt(Series, data.get("series")), language=data.get("language", "und"),
                   byline=opt(Byline, data.get("byline")), dateline=opt(Dateline, data.get("dateline")),
                   author=data.get("author") or ((data.get("byline") or {}).get("name")),  # older files: the byline's
                   source=SourceSpan(**data["source"]),
                   blocks=tuple(Block.from_dict(b) for b in data.get("blocks") or ()))


@dataclass(frozen=True)
class Anthology:
    """The whole publication: what every renderer reads."""

    title: str
    """The anthology's title (cover, metadata, file names)."""
    stories: tuple
    """The stories, as a tuple of Story, in publication order."""
    language: str = "en"
    """The anthology's main language, from its stories or the config."""
    subtitle: Optional[str] = None
    """Subtitle for the cover and title page."""
    publisher: Optional[str] = None
    """Publisher for the cover and metadata (anthology.toml's ``publisher``); never the tool."""
    author: Optional[str] = None
    """The book's author: anthology.toml's ``author``, else, for a book made of one source that names
    its author (an e-text's ``Author:``), that author; None for an anthology of many authors."""
    editor: Optional[str] = None
    """Who edited or compiled the anthology (anthology.toml's ``editor``, else a one-book source's
    ``Editor:``)."""
    rights: Optional[str] = None
    """The anthology's own rights statement (anthology.toml's ``rights``), for the colophon."""
    credits: tuple = ()
    """Where the stories come from: a Credit per source file with a published story, in order."""
    slug: str = "anthology"
    """ASCII slug of the title: the stem of the PDF and EPUB file names."""
    removed: tuple = ()
    """Every dropped source line, as a tuple of Diagnostic (severity DROPPED)."""
    warnings: tuple = ()
    """What the build found in the sources, as a tuple of Diagnostic: the sources it skipped
    and the warnings of structure recovery."""
    sources: tuple = ()
    """Per-source facts for the report: dicts with file, encoding, repairs, lines."""
    review: tuple = ()
    """For each story the least certain decisions (Decision), and the lines `keep` kept: what report.md
    asks a person to check."""

    def to_dict(self) -> dict:
        return {
            "schema": SCHEMA,
            "title": self.title,
            "subtitle": self.subtitle,
            "publisher": self.publisher,
            "author": self.author,
            "editor": self.editor,
            "rights": self.rights,
            "slug": self.slug,
            "language": self.language,
            "stories": [s.to_dict() for s in self.stories],
            "removed": [_removed_entry(r) for r in self.removed],
            "warnings": [str(w) for w in self.warnings],
            "sources": [dict(s) for s in self.sources],
            "review": [asdict(d) for d in self.review],
            "credits": [c.to_dict() for c in self.credits],
        }

    def credit(self, story: "Story") -> Optional[Credit]:
        """The Credit of the file ``story`` came from, if the anthology has one."""
        return next((c for c in self.credits if c.file == story.source.file), None)

    @classmethod
    def from_dict(cls, data: dict) -> "Anthology":
        if data.get("schema") != SCHEMA:
            raise ValueError(f"not a {SCHEMA} document (schema is {data.get('schema')!r})")
        return cls(title=data["title"], subtitle=data.get("subtitle"), publisher=data.get("publisher"),
                   author=data.get("author"), editor=data.get("editor"), rights=data.get("rights"),
                   credits=tuple(Credit(**c) for c in data.get("credits") or ()),
                   slug=data.get("slug", "anthology"), language=data.get("language", "en"),
                   stories=tuple(Story.from_dict(s) for s in data["stories"]),
                   removed=tuple(dropped(**r) for r in data.get("removed") or ()),
                   warnings=tuple(_warning_of(w) for w in data.get("warnings") or ()),
                   sources=tuple(data.get("sources") or ()),
                   review=tuple(Decision(**d) for d in data.get("review") or ()))


def _removed_entry(line: Diagnostic) -> dict:
    """anthology.json's ``removed`` entry (the contract's shape): `confidence` only where a model decided."""
    entry = {"file": line.file, "line": line.line, "text": line.message, "rule": line.code}
    if line.confidence is not None:
        entry["confidence"] = line.confidence
    return entry


_WARNING_LINE = re.compile(r"\[(?P<code>[^\]]+)\] (?P<file>.*?)(?::(?P<line>\d+))?: (?P<message>.*)", re.S)


def _warning_of(text: str) -> Diagnostic:
    """The Diagnostic of an anthology.json ``warnings`` line (as `Diagnostic.__str__` writes it; its
    severity is not written, so "warning"); a line of another shape is kept whole as the message."""
    match = _WARNING_LINE.fullmatch(text)
    if not match:
        return Diagnostic("warning", "", None, text, WARNING)
    line = match["line"]
    return Diagnostic(match["code"], match["file"], int(line) if line else None, match["message"], WARNING)
