"""Structure: cleaned lines to stories — titles, series, bylines, datelines and typed blocks.

`split_file` walks a file's paragraph units and starts a new story at a title-like line that
follows an end-of-story signal (a bottom byline, dropped residue, a wide gap), carries a series
label, or is followed by a byline or dateline. `build_blocks` then types each unit of a story.
"""

from dataclasses import dataclass, field
from typing import Optional

from . import detect
from .clean import CleanSource
from .contents import HEADING, entry_key
from .ingest import META_TAGS
from .model import Block, Byline, Dateline, Removed, Series
from .paragraphs import Unit, units as paragraph_units

# Residue that ends a story: a title-like line after it starts the next one. ("Read more" and
# navigation links are not here: newsletters put them between the items of one story.)
END_RULES = {"separator", "web-residue", "copyright-footer", "related-links", "related-block", "comments",
             "email-footer", "call-to-action", "share-buttons", "tags-and-categories", "press-release", "link-bar"}
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

    title_last: int = 0

    @property
    def last(self) -> int:
        return max(self.units[-1].last if self.units else self.first, self.title_last)


def _titleish(text: str) -> bool:
    if detect.section_number(text) or detect.top_byline(text) or detect.dateline(text):
        return False
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
    draft = Draft(src.file, u.first, title_last=u.last)
    words = u.text.split()
    if detect.top_byline(u.text) or detect.dateline(u.text) or len(words) > MAX_TITLE_WORDS \
            or detect.list_item(u.text):
        draft.units.append(u)
        return draft
    text = u.text.strip()
    found = detect.series_title(text)
    if found:
        text, draft.series, draft.series_label = found
    draft.title = text.rstrip(".").strip()
    return draft


def _contents_keys(src: CleanSource) -> list:
    """Entry keys of the contents list that cleaning dropped from this file, in order."""
    return [k for r in src.removed if r.rule == "source-contents" and not HEADING.match(r.text)
            and (k := entry_key(r.text))]


def _front_matter(src: CleanSource, units: list) -> list:
    """Short leftovers before a contents-listed file's first story: removed as front matter."""
    return [Removed(src.file, n, line.text.strip(), "front-matter") for u in units
            for n, line in ((l.number, l) for l in src.lines if u.first <= l.number <= u.last and l.text.strip())]


def split_file(src: CleanSource, split_before: tuple = ()) -> tuple:
    """Split one cleaned source into story drafts; also returns front matter it removed."""
    units = paragraph_units(src.lines)
    keys = _contents_keys(src)
    gaps = sorted(u.gap for u in units[1:]) or [0]
    typical_gap = gaps[len(gaps) // 2]
    drafts: list[Draft] = []
    before_first: list[Unit] = []
    ended, previous_last = False, 0
    for i, u in enumerate(units):
        residue = _residue_between(src, previous_last, u.first)
        previous_last = u.last
        signal = ended or bool(residue & END_RULES) or u.gap >= max(2, typical_gap + 2)
        nxt = units[i + 1] if i + 1 < len(units) else None
        opens = nxt is not None and bool(drafts) and any(x.text for x in drafts[-1].units) \
            and (detect.top_byline(nxt.text) or detect.dateline(nxt.text)) is not None
        ended = False
        if u.tag:
            starts = u.tag == "title" or not drafts
        elif keys:
            starts = entry_key(u.text) in keys and len(u.text.split()) <= 20
        else:
            starts = not drafts or (_titleish(u.text) and (signal or opens or detect.series_title(u.text)))
        if starts or u.text.strip() in split_before:
            drafts.append(_new_draft(src, u))
            continue
        if not drafts:
            before_first.append(u)
            continue
        draft = drafts[-1]
        byline = _bottom_byline(units, i) if draft.byline is None and not u.tag else None
        if byline:
            draft.byline, ended = byline, True
            draft.units.append(Unit("", u.first, u.last))  # keeps the story's line span
            continue
        # issue 16: a page's lines carry what they are (a saved page's markup, the line model's
        # labels): a call to action dropped amid a page's menus does not make the article an afterword
        if residue & AFTERWORD_RULES and draft.afterword_from is None and not u.tag:
            draft.afterword_from = len(draft.units)
        draft.units.append(u)
    removed: list = []
    if before_first:
        if sum(len(u.text.split()) for u in before_first) < 60:
            removed = _front_matter(src, before_first)
        else:
            front = _new_draft(src, before_first[0])
            front.units += before_first[1:]
            drafts.insert(0, front)
    return drafts, removed


def _strip_quotes(text: str, single: bool = True) -> str:
    """Quote marks around a whole quotation come off (the blockquote shows it is one); inner ones stay.
    single=False: a paragraph of a multi-paragraph quotation (opening mark, closing mark only at the end)."""
    opens, closes = text.count("“") + text.count('"'), text.count("”")
    if single and len(text) > 2 and text[0] in "“\"" and text[-1] in "”\"" and opens <= 2 and closes <= 1:
        return text[1:-1].strip()
    if not single and text[:1] in "“\"":
        text = text[1:]
        return text[:-1].strip() if text.endswith(("”", '"')) and opens <= 2 and closes <= 1 else text.strip()
    return text


def _quote_run(units: list, j: int) -> int:
    """Length of a multi-paragraph quotation starting at j (each paragraph opens with a quote mark,
    only the last closes) that a dash attribution follows; 0 if there is none."""
    k = j
    while k < len(units) and k < j + 8 and units[k].text[:1] in "“\"":
        text = units[k].text
        if text.endswith(("”", '"')):
            break
        if "”" in text:
            return 0
        k += 1
    else:
        return 0
    if k == j or k + 1 >= len(units) or not detect.dash_line(units[k + 1].text) or detect.list_item(units[k + 1].text):
        return 0
    return k - j + 1


def _attribution_follows(units: list, j: int) -> bool:
    """The unit after j is a dash line naming who said unit j (not the first item of a list)."""
    text, nxt = units[j].text, units[j + 1].text
    if not detect.dash_line(nxt) or not (detect.quote_like(text) or len(text.split()) <= 60):
        return False
    if detect.list_item(nxt):
        after = units[j + 2].text if j + 2 < len(units) else ""
        return detect.quote_like(text) and not detect.list_item(after)
    return True


def _tagged_block(draft: Draft, units: list, j: int, blocks: list) -> int:
    """Type a unit an HTML page already marked up; returns the index of the next unit."""
    u = units[j]
    if u.tag in ("ul", "ol"):
        items = []
        while j < len(units) and units[j].tag == u.tag:
            items.append(units[j].text)
            j += 1
        blocks.append(Block("list", ordered=u.tag == "ol", items=tuple(items), line=u.first))
        return j
    if u.tag == "quote":
        texts = []
        while j < len(units) and units[j].tag == "quote":
            texts.append(_strip_quotes(units[j].text))
            j += 1
        who = units[j].text if j < len(units) and units[j].tag == "cite" else None
        blocks.append(Block("quote", "\n\n".join(texts), attribution=who, line=u.first))
        return j + (1 if who else 0)
    if u.tag == "byline" and draft.byline is None:
        draft.byline = detect.top_byline(u.text) or detect.Byline(detect.normal_case(u.text.strip()), None)
        return j + 1
    if u.tag == "dateline":  # a saved page's site and date (pubpipe.webpage): "SITE, YYYY-MM-DD"
        source, _, date = u.text.rpartition(", ")
        draft.dateline = draft.dateline or Dateline(source, date or None)
        return j + 1
    kind = {"heading": "heading", "caption": "note", "title": "heading"}.get(u.tag, "paragraph")
    blocks.append(Block(kind, u.text, line=u.first))
    return j + 1


def _heading(u: Unit, text: str) -> bool:
    """A heading; in hard-wrapped files (fiction, e-texts) only capitals, section numbers or set-apart lines."""
    if detect.section_number(text):
        return True
    if u.tag or text.startswith("[") or not detect.heading_like(text):
        return False
    if text.rstrip().endswith("?") and u.gap == 0 and not u.wrapped:
        return False  # a question run on between paragraphs is a rhetorical one, not a heading
    # In hard-wrapped prose a short question or exclamation is usually dialogue, not a heading.
    return not u.wrapped or text.isupper() or u.gap >= 2 or not text.rstrip().endswith(("?", "!"))


def build_blocks(draft: Draft) -> tuple:
    """Type each unit of a draft: heading, paragraph, quote (with attribution), list or note.

    Takes a top byline and a dateline off the story's opening units into the draft."""
    afterword_from = len(draft.units) if draft.afterword_from is None else draft.afterword_from
    after = {id(u) for u in draft.units[afterword_from:]}
    units = [u for u in draft.units if u.text]
    blocks: list[Block] = []
    j = 0
    while j < len(units):
        u, text = units[j], units[j].text
        if u.tag in META_TAGS:  # a saved page's metadata: never guessed at as text
            j = _tagged_block(draft, units, j, blocks)
            continue
        if id(u) in after and _heading(u, text) and j + 1 < len(units):
            after = set()  # a heading after a "read more" link opens the next item: the afterword is over
        afterword = id(u) in after
        opening = not any(b.type in ("paragraph", "quote", "list") for b in blocks)
        nxt = units[j + 1].text if j + 1 < len(units) else None
        if opening and j == 0 and draft.subtitle is None and draft.title and detect.heading_like(text) \
                and not detect.dateline(text) and not detect.top_byline(text) \
                and nxt is not None and (detect.top_byline(nxt) or detect.dateline(nxt)):
            draft.subtitle = text
            j += 1
            continue
        if draft.byline is None and (opening or nxt is None) and detect.top_byline(text):
            draft.byline = detect.top_byline(text)
            j += 1
            if draft.byline.role is None and j < len(units) - 1 and detect.byline_role(units[j].text):
                draft.byline = Byline(draft.byline.name, units[j].text.strip())
                j += 1
            continue
        if draft.dateline is None and not opening and j < 4 and detect.date_line(text):
            draft.dateline = detect.date_line(text)[0]  # a line that only says when: never story text
            j += 1
            continue
        if opening and draft.dateline is None and detect.dateline(text):
            draft.byline = draft.byline or detect.korean_byline(text)
            draft.dateline, text = detect.dateline(text)
            if not text:
                j += 1
                continue
        item = detect.list_item(text) if not u.tag else None  # a page says what its lists are: "1. A heading" stays one
        if item:
            items, ordered = [], item[0]
            while j < len(units) and (found := detect.list_item(units[j].text)) and found[0] == ordered:
                items.append(found[1])
                j += 1
            blocks.append(Block("list", ordered=ordered, items=tuple(items), line=u.first))
            continue
        if u.tag and u.tag != "p":
            j = _tagged_block(draft, units, j, blocks)
            continue
        run = _quote_run(units, j)
        if run:
            texts = [_strip_quotes(units[k].text, single=False) for k in range(j, j + run)]
            blocks.append(Block("quote", "\n\n".join(texts), attribution=detect.dash_line(units[j + run].text), line=u.first))
            j += run + 1
            continue
        if nxt is not None and _attribution_follows(units, j):
            blocks.append(Block("quote", _strip_quotes(text), attribution=detect.dash_line(nxt), line=u.first))
            j += 2
            continue
        if _heading(u, text) and nxt is not None and not afterword:
            kind = "heading"
        elif afterword or detect.is_note(text):
            kind = "note"
        else:
            kind = "paragraph"
        blocks.append(Block(kind, text, line=u.first))
        j += 1
    return tuple(blocks)
