"""The words every output shows around a story — its series, byline, dateline, source line — written
one way for the PDF, the EPUB and the web (``styles/labels.html.j2`` renders these with markup).

The renderers used to write each label their own way ("Part 1" after a comma or a middle dot, a
byline with "By" or without, a dateline joined by "·" or ","): a reader moving from the booklet to
the web saw three forms of one fact.
"""

import dataclasses
from dataclasses import dataclass
from typing import Optional

from pubpipe import dates
from pubpipe.model import Anthology, Credit, Story

BY = "By"
PART = "Part"


def series(story: Story) -> str:
    """``Joseph’s Story, Part 1`` (or the series name alone); empty without a series."""
    if not story.series:
        return ""
    return story.series.name + (f", {PART} {story.series.part}" if story.series.part else "")


@dataclass(frozen=True)
class Byline:
    """A story's byline as shown: ``By {name}, {role}``."""

    name: str
    role: Optional[str] = None

    @property
    def text(self) -> str:
        return f"{BY} {self.name}" + (f", {self.role}" if self.role else "")


def byline(story: Story, anthology: Optional[Anthology] = None) -> Optional[Byline]:
    """The byline to show: the story's own, else its author (from its source) unless that is the
    book's author already on the cover and title page; None when there is none to show."""
    if story.byline:
        return Byline(story.byline.name, story.byline.role)
    if story.author and (anthology is None or story.author != anthology.author):
        return Byline(story.author)
    return None


def contents_meta(story: Story, anthology: Optional[Anthology] = None) -> str:
    """A contents entry's second line (PDF and EPUB): ``Joseph’s Story, Part 1 · Sokeel Park``."""
    line = byline(story, anthology)
    return " · ".join(p for p in (series(story), line.name if line else "") if p)


@dataclass(frozen=True)
class Dateline:
    """A story's dateline as shown: ``{source}, {date_text}``, the date machine-readable as ``iso``."""

    source: str
    date_text: str
    iso: Optional[str]
    """``YYYY-MM-DD`` for a ``<time datetime>``, when the dateline's date is a full date."""

    @property
    def text(self) -> str:
        return ", ".join(p for p in (self.source, self.date_text) if p)


def dateline(story: Story) -> Optional[Dateline]:
    """The story's dateline as shown (``New Focus, 3 November 2016``); None without one."""
    if not story.dateline:
        return None
    day = dates.parse_iso(story.dateline.date)
    return Dateline(story.dateline.source or "", dates.date_text(story.dateline.date),
                    day.isoformat() if day else None)


def credit_parts(credit: Optional[Credit], title: str = "", shown: str = "") -> list:
    """What a source says of itself, as short phrases (none when it says nothing): its own title and
    author (unless the title is ``title``, the story's or the book's), editor, translator, the
    original's publisher and date (not a publisher already ``shown``: a saved page's site, named by
    the story's dateline), the collection it was copied from with its release date."""
    parts: list = []
    if credit is None:
        return parts
    if credit.title and credit.title != title:
        parts.append(f"from {credit.title}" + (f" by {credit.author}" if credit.author else ""))
    elif credit.author:
        parts.append(f"by {credit.author}")
    if credit.editor:
        parts.append(f"edited by {credit.editor}")
    if credit.translator:
        parts.append(f"translated by {credit.translator}")
    if credit.publisher and credit.publisher != shown:
        parts.append(f"first published by {credit.publisher}" +
                     (f", {dates.date_text(credit.published)}" if credit.published else ""))
    elif credit.published and credit.publisher != shown:
        parts.append(f"first published in {dates.date_text(credit.published)}")
    if credit.collection:
        parts.append(credit.collection + (f", released {dates.date_text(credit.released)}" if credit.released else ""))
    return parts


def sentence(parts: list) -> str:
    """Phrases as one sentence: ``From X by Y; first published by Z, 1898.``"""
    text = "; ".join(p for p in parts if p)
    return f"{text[0].upper()}{text[1:]}." if text else ""


@dataclass(frozen=True)
class CreditGroup:
    """One source in the colophon: what it says of itself, its rights, and the stories taken from it."""

    text: str
    """`credit_parts` as a sentence; empty when the source says nothing of itself (a file's name
    is no credit: readers are never shown one)."""
    url: Optional[str]
    rights: Optional[str]
    rights_url: Optional[str]
    stories: tuple
    """(title, byline text, dateline text) of each story from the source, in book order; none for
    a book made of one source whose stories have no byline or dateline of their own (a novel's
    chapters: the list would be the contents again)."""


def colophon(anthology: Anthology) -> list:
    """The colophon's entries (PDF and EPUB alike): a `CreditGroup` per source file, in book order."""
    groups = []
    known = {c.file: c for c in anthology.credits}
    for file in dict.fromkeys(s.source.file for s in anthology.stories):  # every story, credited or not
        credit = known.get(file) or Credit(file)
        mine = [s for s in anthology.stories if s.source.file == file]
        text = sentence(credit_parts(credit, anthology.title))
        rows = []
        for story in mine:
            line, when = byline(story, anthology), dateline(story)
            rows.append((story.title, line.text if line else "", when.text if when else ""))
        groups.append(CreditGroup(text, credit.url, credit.rights, credit.rights_url, tuple(rows)))
    if len(groups) == 1 and len(groups[0].stories) > 1 and not any(by or when for _, by, when in groups[0].stories):
        groups[0] = dataclasses.replace(groups[0], stories=())
    return groups


def source_parts(story: Story, credit: Optional[Credit]) -> list:
    """Where a story comes from, as short phrases for a colophon entry or a web source line: its
    dateline, the source's own title and author when they differ from the story's, the original's
    publisher and date, the collection it was copied from (with its release date) — each only as
    the sources (or anthology.toml's ``[credits]``) say; none when nothing does (a file's name is
    no credit). A dateline without a site is only a date: the byline line shows it, and a date
    alone is no source ("Source: 20 November 2026.")."""
    parts = []
    line = dateline(story)
    if line and line.source:
        parts.append(line.text)
    parts += credit_parts(credit, story.title, line.source if line else "")
    return parts


def source_line(story: Story, credit: Optional[Credit]) -> str:
    """`source_parts` as one sentence: ``New Focus, 3 November 2016.``"""
    return sentence(source_parts(story, credit))


__all__ = ["series", "byline", "contents_meta", "dateline", "credit_parts", "sentence", "colophon", "source_parts", "source_line",
           "Byline", "Dateline", "CreditGroup"]
