"""Structure: cleaned lines to stories — titles, series, bylines, datelines and typed blocks.

Two registries over one typed stream of paragraph units (`paragraphs.Unit`, with what cleaning
said about the lines it dropped before each, and a learned model's label when there is one):

- **story starts** (`split_file`): an ordered list of signals, each a small named function with a
  fixed confidence. A *decisive* signal (a forced split, a saved page's markup, the source's own
  contents list, the first unit, the model) settles whether a story starts at a unit, or has no say;
  without one, a title-like line starts a story when some *evidence* signal holds (the story before
  ended at a bottom byline or at residue that ends a story, a wide gap, a byline or dateline next,
  a series label).
- **blocks** (`build_blocks`): an ordered list of block rules; each looks at the unit at
  `state.j` (its text as `state.text`, which every rule sees and a rule may shorten, as the dateline
  rule does) and either takes one or more units, adding blocks or story metadata, or declines.

Every story start and every heading is recorded as a `Decision` with its rule and confidence, for
report.md's list of what a person should check.
"""

from dataclasses import dataclass, field, replace
from typing import Callable, Optional

from . import detect
from .clean import CleanSource, kept_text
from .contents import HEADING, entry_key
from pubpipe.read.ingest import META_TAGS
from ..model import Block, Byline, Dateline, Decision, Series, dropped
from .paragraphs import Unit, units as paragraph_units

MAX_TITLE_WORDS = 40
MODEL_THRESHOLD = 0.5
"""A model's label or article start counts from this probability on."""


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
    decisions: list = field(default_factory=list)
    """Decisions taken on this story (its start, its headings), with their rule and confidence."""
    removed: list = field(default_factory=list)
    """Lines the block rules dropped: a call to action closing the story's afterword."""

    title_last: int = 0

    @property
    def last(self) -> int:
        return max(self.units[-1].last if self.units else self.first, self.title_last)


def _titleish(text: str) -> bool:
    if detect.section_number(text) or detect.top_byline(text) or detect.dateline(text):
        return False
    return detect.heading_like(text, max_words=20) or detect.series_title(text) is not None


def typed_units(src: CleanSource, guesses: Optional[dict] = None) -> list:
    """The file's paragraph units, each with what cleaning said about the lines it dropped just
    before it (`follows_end`, `opens_afterword`) and, given a model's `guesses` (first line number
    -> (label, confidence, article_start)), the model's label for it."""
    out, previous_last = [], 0
    for u in paragraph_units(src.lines):
        marks = [m for m in src.marks if previous_last < m.line < u.first]
        previous_last = u.last
        if any(m.ends_story or m.afterword for m in marks):
            u = replace(u, follows_end=any(m.ends_story for m in marks), opens_afterword=any(m.afterword for m in marks))
        if guesses and u.first in guesses:
            label, confidence, start = guesses[u.first]
            u = replace(u, label=label, confidence=confidence, article_start=start)
        out.append(u)
    return out


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
    return [k for m in src.marks if m.contents and not HEADING.match(m.text) and (k := entry_key(m.text))]


def _kept(src: CleanSource, u: Unit, keep: frozenset) -> bool:
    """Does a line of unit u match anthology.toml's `keep`?"""
    return bool(keep) and any(kept_text(l.text) in keep for l in src.lines if u.first <= l.number <= u.last)


def _front_matter(src: CleanSource, units: list) -> list:
    """Short leftovers before a contents-listed file's first story: removed as front matter."""
    return [dropped(src.file, n, line.text.strip(), "front-matter") for u in units
            for n, line in ((l.number, l) for l in src.lines if u.first <= l.number <= u.last and l.text.strip())]


# ---- story starts ---------------------------------------------------------------------------

@dataclass
class Walk:
    """What the story-start signals see while split_file walks a file's units."""

    units: list
    split_before: tuple
    keys: list
    """Entry keys of the file's own contents list (cleaning dropped it), in order."""
    typical_gap: int
    drafts: list = field(default_factory=list)
    ended: bool = False
    """The unit before this one was a bottom byline: the story before has ended."""


@dataclass(frozen=True)
class Signal:
    """A story-start signal: `fn(walk, i)` says something about unit i."""

    name: str
    fn: Callable
    confidence: float
    """How sure a start (or, for a decisive signal, a no-start) it gives is: a fixed figure."""
    decisive: bool = False
    """True: fn returns True (a story starts), False (none does) or None (no say), and the first
    signal with a say decides. False: fn is evidence; a title-like unit with any evidence starts a story."""


SIGNALS: list = []


def signal(name: str, confidence: float, decisive: bool = False) -> Callable:
    """Register a story-start signal (registration order is the order they are asked in)."""
    def register(fn):
        SIGNALS.append(Signal(name, fn, confidence, decisive))
        return fn
    return register


@signal("split-before", 1.0, decisive=True)
def split_before(walk: Walk, i: int) -> Optional[bool]:
    """anthology.toml's `split_before`: a story starts at a line with exactly this text."""
    return True if walk.units[i].text.strip() in walk.split_before else None


@signal("page-markup", 0.95, decisive=True)
def page_markup(walk: Walk, i: int) -> Optional[bool]:
    """A saved page says where its article starts: at its headline (or its first block)."""
    u = walk.units[i]
    return (u.tag == "title" or not walk.drafts) if u.tag else None


@signal("contents-entry", 0.9, decisive=True)
def contents_entry(walk: Walk, i: int) -> Optional[bool]:
    """A file with its own contents list: stories start at the titles it lists, nowhere else."""
    u = walk.units[i]
    return (entry_key(u.text) in walk.keys and len(u.text.split()) <= 20) if walk.keys else None


@signal("first-line", 0.8, decisive=True)
def first_line(walk: Walk, i: int) -> Optional[bool]:
    """The first unit of a file opens its first story."""
    return True if not walk.drafts else None


@signal("model", 0.0, decisive=True)  # its confidence is the model's own (see story_start)
def model_start(walk: Walk, i: int) -> Optional[bool]:
    """A learned model's article start, when one labelled this unit (its probability is the confidence)."""
    p = walk.units[i].article_start
    return None if p is None else p >= MODEL_THRESHOLD


@signal("after-bottom-byline", 0.9)
def after_bottom_byline(walk: Walk, i: int) -> bool:
    """The story before ended with a bottom byline (`--JANE DOE - role`)."""
    return walk.ended


@signal("after-end-residue", 0.85)
def after_end_residue(walk: Walk, i: int) -> bool:
    """Cleaning dropped just before it a line that ends a story (a rule line, a footer, share buttons)."""
    return walk.units[i].follows_end


@signal("wide-gap", 0.6)
def wide_gap(walk: Walk, i: int) -> bool:
    """More blank lines before it than between the file's paragraphs (at least two more)."""
    return walk.units[i].gap >= max(2, walk.typical_gap + 2)


@signal("byline-or-dateline-next", 0.75)
def byline_or_dateline_next(walk: Walk, i: int) -> bool:
    """A byline or dateline follows it, and the story before has a body."""
    nxt = walk.units[i + 1] if i + 1 < len(walk.units) else None
    return nxt is not None and bool(walk.drafts) and any(x.text for x in walk.drafts[-1].units) \
        and (detect.top_byline(nxt.text) or detect.dateline(nxt.text)) is not None


@signal("series-label", 0.8)
def series_label(walk: Walk, i: int) -> bool:
    """It carries a series label (`Title | Joseph's Story: Part 1`)."""
    return detect.series_title(walk.units[i].text) is not None


def story_start(walk: Walk, i: int) -> tuple:
    """(does a story start at unit i, the signal that said so or None, its confidence)."""
    for s in SIGNALS:
        if s.decisive and (verdict := s.fn(walk, i)) is not None:
            p = walk.units[i].article_start if s.name == "model" else None
            return verdict, s.name, s.confidence if p is None else max(p, 1 - p)
    if not _titleish(walk.units[i].text):
        return False, None, 0.0
    evidence = [s for s in SIGNALS if not s.decisive and s.fn(walk, i)]
    if evidence:
        best = max(evidence, key=lambda s: s.confidence)
        return True, best.name, best.confidence
    return False, None, 0.0


def split_file(src: CleanSource, split_before: tuple = (), guesses: Optional[dict] = None,
               keep: frozenset = frozenset()) -> tuple:
    """Split one cleaned source into story drafts; also returns front matter it removed.

    `guesses`: a learned model's label per line (see typed_units), used where present; `keep`:
    lines staff said to keep (clean.kept_text of anthology.toml's `keep`): never front matter."""
    units = typed_units(src, guesses)
    gaps = sorted(u.gap for u in units[1:]) or [0]
    walk = Walk(units, tuple(split_before), _contents_keys(src), gaps[len(gaps) // 2])
    drafts = walk.drafts
    before_first: list[Unit] = []
    for i, u in enumerate(units):
        starts, name, confidence = story_start(walk, i)
        walk.ended = False
        if starts:
            drafts.append(_new_draft(src, u))
            drafts[-1].decisions.append(Decision(src.file, u.first, u.text.strip(), "story start", name, confidence))
            continue
        if not drafts:
            before_first.append(u)
            continue
        draft = drafts[-1]
        byline = _bottom_byline(units, i) if draft.byline is None and not u.tag else None
        if byline:
            draft.byline, walk.ended = byline, True
            draft.units.append(Unit("", u.first, u.last))  # keeps the story's line span
            continue
        # issue 16: a page's lines carry what they are (a saved page's markup, the line model's
        # labels): a call to action dropped amid a page's menus does not make the article an afterword
        if u.opens_afterword and draft.afterword_from is None and not u.tag:
            draft.afterword_from = len(draft.units)
        draft.units.append(u)
    removed: list = []
    if before_first:
        if sum(len(u.text.split()) for u in before_first) < 60:
            kept = [u for u in before_first if _kept(src, u, keep)]
            removed = _front_matter(src, [u for u in before_first if u not in kept])
            if kept:  # staff said to keep them: a story of their own (a title page, most likely)
                front = _new_draft(src, kept[0])
                front.units += kept[1:]
                front.decisions += [Decision(src.file, u.first, u.text.strip(), "kept", "front-matter", 1.0) for u in kept]
                drafts.insert(0, front)
        else:
            front = _new_draft(src, before_first[0])
            front.units += before_first[1:]
            front.decisions.append(Decision(src.file, front.first, before_first[0].text.strip(), "story start",
                                            "text-before-first-title", 0.6))
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
        byline = detect.labelled_byline(u.text)
        if byline is not None:  # else not a byline after all (a breadcrumb, a label): kept as text
            draft.byline = byline
            return j + 1
    if u.tag == "dateline":  # a saved page's site and date (pubpipe.read.webpage): "SITE, YYYY-MM-DD"
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


# ---- blocks ---------------------------------------------------------------------------------

@dataclass
class State:
    """What the block rules see and change while build_blocks walks a story's units."""

    draft: Draft
    units: list
    j: int = 0
    """Index of the unit the rules are looking at."""
    text: str = ""
    """That unit's text as the rules see it: a rule may shorten it (the dateline rule takes the
    dateline off the front) and decline, and every later rule sees what is left."""
    blocks: list = field(default_factory=list)
    after: set = field(default_factory=set)
    """ids of the units of the story's afterword (after a "read more" or a call to action)."""

    @property
    def unit(self) -> Unit:
        return self.units[self.j]

    @property
    def next_text(self) -> Optional[str]:
        return self.units[self.j + 1].text if self.j + 1 < len(self.units) else None

    opening: bool = True
    """No body block yet: the units a story opens with (subtitle, byline, dateline) come here
    (build_blocks sets it before each unit)."""

    @property
    def afterword(self) -> bool:
        return id(self.unit) in self.after

    def add(self, block: Block, units: int = 1) -> bool:
        """Add a block made of `units` units; the rule has taken them."""
        self.blocks.append(block)
        self.j += units
        return True

    def decide(self, what: str, rule: str, confidence: float) -> None:
        self.draft.decisions.append(Decision(self.draft.file, self.unit.first, self.text, what, rule, confidence))


BLOCK_RULES: list = []


def block_rule(name: str) -> Callable:
    """Register a block rule under `name` (registration order is the order they are tried in). A rule
    gets the State; it returns True when it took the unit at state.j (and moved state.j on), else False."""
    def register(fn):
        BLOCK_RULES.append((name, fn))
        return fn
    return register


@block_rule("page-metadata")
def page_metadata(st: State) -> bool:
    """A saved page's headline, author and date: metadata, never guessed at as text."""
    if st.unit.tag not in META_TAGS:
        return False
    st.j = _tagged_block(st.draft, st.units, st.j, st.blocks)
    return True


@block_rule("afterword-ends")
def afterword_ends(st: State) -> bool:
    """A heading after a "read more" link opens the next item: the afterword is over (takes nothing)."""
    if st.afterword and _heading(st.unit, st.text) and st.j + 1 < len(st.units):
        st.after = set()
    return False


@block_rule("call-to-action")
def closing_appeal(st: State) -> bool:
    """The story's last line, in its afterword, asking the reader to give or help: a call to action,
    dropped and listed in `removed` as cleaning drops "Donate now" (which it finds by its words alone;
    a longer appeal is one only where it closes an afterword)."""
    if not st.afterword or st.j != len(st.units) - 1 or not detect.appeal(st.text):
        return False
    st.draft.removed.append(dropped(st.draft.file, st.unit.first, st.text.strip(), "call-to-action"))
    st.j += 1
    return True


@block_rule("subtitle")
def subtitle(st: State) -> bool:
    """A heading-like line between the title and a byline or dateline."""
    draft, text, nxt = st.draft, st.text, st.next_text
    if st.opening and st.j == 0 and draft.subtitle is None and draft.title and detect.heading_like(text) \
            and not detect.dateline(text) and not detect.top_byline(text) \
            and nxt is not None and (detect.top_byline(nxt) or detect.dateline(nxt)):
        draft.subtitle = text
        st.j += 1
        return True
    return False


@block_rule("top-byline")
def top_byline(st: State) -> bool:
    """`By Jane Doe` opening the story (or closing it), and a role on the line after it."""
    draft = st.draft
    if draft.byline is None and (st.opening or st.next_text is None) and detect.top_byline(st.text):
        draft.byline = detect.top_byline(st.text)
        st.j += 1
        units, j = st.units, st.j
        if draft.byline.role is None and j < len(units) - 1 and detect.byline_role(units[j].text):
            draft.byline = Byline(draft.byline.name, units[j].text.strip())
            st.j += 1
        return True
    return False


@block_rule("date-line")
def date_line(st: State) -> bool:
    """A line near the top that only says when: the dateline, never story text."""
    if st.draft.dateline is None and not st.opening and st.j < 4 and detect.date_line(st.text):
        st.draft.dateline = detect.date_line(st.text)[0]
        st.j += 1
        return True
    return False


@block_rule("dateline")
def dateline(st: State) -> bool:
    """`Seoul (15.02.2019) – – The text`: the dateline comes off the opening paragraph; the rest of
    the text goes on to the other rules (as state.text)."""
    draft = st.draft
    if st.opening and draft.dateline is None and detect.dateline(st.text):
        draft.byline = draft.byline or detect.korean_byline(st.text)
        draft.dateline, st.text = detect.dateline(st.text)
        if not st.text:
            st.j += 1
            return True
    return False


@block_rule("list")
def list_items(st: State) -> bool:
    """A run of `- ` or `1. ` items of one kind (a page says what its lists are: "1. A heading" stays one)."""
    item = detect.list_item(st.text) if not st.unit.tag else None
    if not item:
        return False
    first, items, ordered = st.unit, [], item[0]
    while st.j < len(st.units) and (found := detect.list_item(st.units[st.j].text)) and found[0] == ordered:
        items.append(found[1])
        st.j += 1
    st.blocks.append(Block("list", ordered=ordered, items=tuple(items), line=first.first))
    return True


@block_rule("page-markup")
def page_markup_block(st: State) -> bool:
    """A unit a saved page marked up (a heading, list, quote, caption): typed as the page says."""
    if st.unit.tag and st.unit.tag != "p":
        st.j = _tagged_block(st.draft, st.units, st.j, st.blocks)
        return True
    return False


@block_rule("quotation")
def quotation(st: State) -> bool:
    """Paragraphs that each open with a quote mark, only the last closing, then a dash attribution."""
    run = _quote_run(st.units, st.j)
    if not run:
        return False
    j = st.j
    texts = [_strip_quotes(st.units[k].text, single=False) for k in range(j, j + run)]
    return st.add(Block("quote", "\n\n".join(texts), attribution=detect.dash_line(st.units[j + run].text),
                        line=st.unit.first), run + 1)


@block_rule("quote")
def quote(st: State) -> bool:
    """A quotation (or a short paragraph) with a dash line naming who said it after it."""
    if st.next_text is None or not _attribution_follows(st.units, st.j):
        return False
    return st.add(Block("quote", _strip_quotes(st.text), attribution=detect.dash_line(st.next_text),
                        line=st.unit.first), 2)


@block_rule("set-apart")
def set_apart(st: State) -> bool:
    """Lines set apart from the prose — a notice, a sign, a letter's heading, verse: short lines
    centred or indented well beyond the file's paragraphs (`Unit.set_off`), two or more in a row, are
    one block, never headings (so never in the contents). A blank line between them is kept."""
    units, j = st.units, st.j
    k = j
    while k < len(units) and units[k].set_off and not units[k].tag \
            and not detect.dash_line(units[k].text) and not detect.list_item(units[k].text):
        k += 1
    if k - j < 2:
        return False
    text = "".join(("" if n == 0 else "\n\n" if u.gap else "\n") + u.text.strip() for n, u in enumerate(units[j:k]))
    return st.add(Block("setapart", text, line=units[j].first), k - j)


MODEL_KINDS = {"heading": "heading", "paragraph": "paragraph", "caption": "note"}


@block_rule("model")
def model_label(st: State) -> bool:
    """A learned model's heading, paragraph or caption, when one labelled the unit surely enough."""
    u = st.unit
    kind = MODEL_KINDS.get(u.label)
    if kind is None or u.confidence is None or u.confidence < MODEL_THRESHOLD or st.afterword \
            or (kind == "heading" and st.next_text is None):
        return False
    if kind == "heading":
        st.decide("heading", "model", u.confidence)
    return st.add(Block(kind, st.text, line=u.first))


@block_rule("heading-paragraph-note")
def heading_paragraph_note(st: State) -> bool:
    """Whatever is left: a heading (a short title-like line with more after it), a note (an
    afterword, a credit line) or a paragraph."""
    u, text = st.unit, st.text
    if _heading(u, text) and st.next_text is not None and not st.afterword:
        kind = "heading"
        numbered = bool(detect.section_number(text))
        st.decide("heading", "section-number" if numbered else "heading-shape", 0.9 if numbered else 0.7)
    elif st.afterword or detect.is_note(text):
        kind = "note"
    else:
        kind = "paragraph"
    return st.add(Block(kind, text, line=u.first))


def build_blocks(draft: Draft) -> tuple:
    """Type each unit of a draft: heading, paragraph, quote (with attribution), list or note.

    Takes a top byline and a dateline off the story's opening units into the draft."""
    afterword_from = len(draft.units) if draft.afterword_from is None else draft.afterword_from
    units = [u for u in draft.units if u.text]
    st = State(draft, units, after={id(u) for u in draft.units[afterword_from:]})
    while st.j < len(units):
        st.text = units[st.j].text
        st.opening = st.opening and not any(b.type in ("paragraph", "quote", "list") for b in st.blocks)
        for _, rule in BLOCK_RULES:
            if rule(st):
                break
    return tuple(st.blocks)
