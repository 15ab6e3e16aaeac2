"""Structure: cleaned lines to stories — titles, series, bylines, datelines and typed blocks.

`split_file` walks a file's paragraph units and starts a new story at a title-like line that
follows an end-of-story signal (a bottom byline, dropped residue, a wide gap), carries a series
label, or is followed by a byline or dateline. `build_blocks` then types each unit of a story.
"""

from dataclasses import dataclass, field
from typing import Optional

from . import detect
from .clean import CleanSource
from .model import Block, Byline, Dateline, Series
from .paragraphs import Unit, units as paragraph_units

END_RULES = {"web-residue", "continue-reading", "call-to-action", "share-buttons", "navigation", "tags-and-categories"}
AFTERWORD_RULES = {"continue-reading", "call-to-action"}
MAX_TITLE_WORDS = 40


@dataclass
class Draft:
    """A story while it is being recovered (mutable; becomes a frozen Story at the end)."""

    file: str
    first: int
    title: Optional[str] = None
    units: list = field(default_factory=list)
    afterword_from: Optional[int] = None
    byline: Optional[Byline] = None
    series: Optional[Series] = None
    series_label: Optional[str] = None
    subtitle: Optional[str] = None
    dateline: Optional[Dateline] = None

    @property
    def last(self) -> int:
        return self.units[-1].last if self.units else self.first


def _titleish(text: str) -> bool:
    return detect.heading_like(text, max_words=20) or detect.series_title(text) is not None


def _residue_between(src: CleanSource, after: int, before: int) -> set:
    return {r.rule for r in src.removed if after < r.line < before}


def _bottom_byline(units: list, i: int) -> Optional[Byline]:
    """A dash line ending a story (not a quote's attribution): `--JANE DOE - role`."""
    u = units[i]
    if i == 0 or detect.quote_like(units[i - 1].text):
        return None
    nxt = units[i + 1] if i + 1 < len(units) else None
    if nxt is not None and not _titleish(nxt.text):
        return None
    return detect.bottom_byline(u.text)


def _new_draft(src: CleanSource, u: Unit) -> Draft:
    draft = Draft(src.file, u.first)
    words = u.text.split()
    if detect.top_byline(u.text) or detect.dateline(u.text) or len(words) > MAX_TITLE_WORDS \
            or detect.list_item(u.text):
        draft.units.append(u)
        return draft
    text = u.text.strip()
    found = detect.series_title(text)
    if found:
        text, draft.series, draft.series_label = found
    elif len(words) > 12 and ": " in text:
        text, draft.subtitle = (part.strip() for part in text.split(": ", 1))
    draft.title = text.rstrip(".").strip()
    return draft


def split_file(src: CleanSource, split_before: tuple = ()) -> list:
    """Split one cleaned source into story drafts."""
    units = paragraph_units(src.lines)
    gaps = sorted(u.gap for u in units[1:]) or [0]
    typical_gap = gaps[len(gaps) // 2]
    drafts: list[Draft] = []
    ended, previous_last = False, 0
    for i, u in enumerate(units):
        residue = _residue_between(src, previous_last, u.first)
        previous_last = u.last
        signal = ended or bool(residue & END_RULES) or u.gap >= max(2, typical_gap + 2)
        nxt = units[i + 1] if i + 1 < len(units) else None
        opens = nxt is not None and (detect.top_byline(nxt.text) or detect.dateline(nxt.text)) is not None
        ended = False
        if not drafts or u.text.strip() in split_before or (
                _titleish(u.text) and (signal or opens or detect.series_title(u.text))):
            drafts.append(_new_draft(src, u))
            continue
        draft = drafts[-1]
        byline = _bottom_byline(units, i) if draft.byline is None else None
        if byline:
            draft.byline, ended = byline, True
            draft.units.append(Unit("", u.first, u.last))  # keeps the story's line span
            continue
        if residue & AFTERWORD_RULES and draft.afterword_from is None:
            draft.afterword_from = len(draft.units)
        draft.units.append(u)
    return drafts


def _strip_quotes(text: str) -> str:
    if len(text) > 2 and text[0] in "“\"" and text[-1] in "”\"" and text.count("“") + text.count('"') <= 2 \
            and text.count("”") <= 1:
        return text[1:-1].strip()
    return text


def _attribution_follows(units: list, j: int) -> bool:
    """The unit after j is a dash line naming who said unit j (not the first item of a list)."""
    text, nxt = units[j].text, units[j + 1].text
    if not detect.dash_line(nxt) or not (detect.quote_like(text) or len(text.split()) <= 60):
        return False
    if detect.list_item(nxt):
        after = units[j + 2].text if j + 2 < len(units) else ""
        return detect.quote_like(text) and not detect.list_item(after)
    return True


def build_blocks(draft: Draft) -> tuple:
    """Type each unit of a draft: heading, paragraph, quote (with attribution), list or note.

    Takes a top byline and a dateline off the story's opening units into the draft."""
    units = [u for u in draft.units if u.text]
    blocks: list[Block] = []
    j = 0
    while j < len(units):
        u, text = units[j], units[j].text
        afterword = draft.afterword_from is not None and draft.units.index(u) >= draft.afterword_from
        opening = not any(b.type in ("paragraph", "quote", "list") for b in blocks)
        if opening and draft.byline is None and detect.top_byline(text):
            draft.byline = detect.top_byline(text)
            j += 1
            continue
        if opening and draft.dateline is None and detect.dateline(text):
            draft.dateline, text = detect.dateline(text)
            if not text:
                j += 1
                continue
        item = detect.list_item(text)
        nxt = units[j + 1].text if j + 1 < len(units) else None
        if item:
            items, ordered = [], item[0]
            while j < len(units) and (found := detect.list_item(units[j].text)) and found[0] == ordered:
                items.append(found[1])
                j += 1
            blocks.append(Block("list", ordered=ordered, items=tuple(items), line=u.first))
            continue
        if nxt is not None and _attribution_follows(units, j):
            blocks.append(Block("quote", _strip_quotes(text), attribution=detect.dash_line(nxt), line=u.first))
            j += 2
            continue
        if detect.heading_like(text) and nxt is not None and not afterword:
            kind = "heading"
        elif afterword or detect.is_note(text):
            kind = "note"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, text, line=u.first))
        j += 1
    return tuple(blocks)
