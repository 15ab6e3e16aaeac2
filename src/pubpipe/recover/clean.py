"""Clean: drop web residue and licence boilerplate, normalise whitespace — never a word of the story.

Cleaning is an ordered registry of small named rules (as markdown-it-py's core rules). A line
rule gets one line's text and returns it (changed or not) or ``DROP``; a file rule gets all lines
of a file and returns the numbers of the lines it drops. Registry order is run order. Every dropped
line becomes a Diagnostic (``model.dropped``) naming its rule. When unsure, a rule keeps the line.
"""

import re
from collections import Counter
from dataclasses import dataclass, replace
from typing import Callable, Optional

from .contents import HEADING as HEADING_LINE, find_contents
from pubpipe.read.ingest import META_TAGS, Line, RawSource
from ..inline import MARKS
from ..model import Decision, Diagnostic, dropped

DROP = object()
MAX_RESIDUE_WORDS = 16


@dataclass(frozen=True)
class Context:
    """What rules may know beyond the line: the file, lines repeated across sources, extra patterns."""

    file: str = ""
    repeated: frozenset = frozenset()
    extra: tuple = ()
    keep: frozenset = frozenset()
    """Lines staff said to keep (`keep` in anthology.toml), as `kept_text` gives them: never dropped."""


def kept_text(text: str) -> str:
    """A line as `keep` compares it: runs of spaces (tabs, no-break spaces) as one, none at either end;
    case and punctuation as they are (a page's emphasis marks, pubpipe.inline, do not count)."""
    return SPACES.sub(" ", MARKS.sub("", text)).strip()


@dataclass(frozen=True)
class CleanSource:
    """A source after cleaning: its surviving lines and what was dropped."""

    file: str
    lines: tuple
    removed: tuple
    kind: str = "text"
    marks: tuple = ()
    """A Mark for each dropped line that tells structure something (a story ends, an afterword, a contents entry)."""
    kept: tuple = ()
    """A Decision ("kept") for each line a rule would have dropped but `keep` kept."""
    by_model: bool = False
    """A text source the learned line model read as a web page's text (`pubpipe.recover.apply`):
    its tags are the model's, and structure drops a fragment of a story beside its article
    (`pubpipe.recover.anthology.FRAGMENT_WORDS`)."""
    reading: Optional[object] = None
    """For a saved page whose reading recovery changed (`pubpipe.recover.pages`: trafilatura's other
    reading chosen, or furniture at the article's edges dropped): that reading, a RawSource, in
    place of ingest's: its lines are what was cleaned, its `removed` what the page shows that it
    left out, its `repairs` say what was chosen."""


@dataclass(frozen=True)
class Rule:
    """A registry entry: a named rule, and what a line it drops tells structure recovery."""

    name: str
    """The name `removed` and report.md give for the lines it drops."""
    fn: Callable
    """Line rule: (text, Context) -> text or DROP; file rule: (lines, Context) -> line numbers to drop."""
    ends_story: bool = False
    """A line it drops ends a story: a title-like line after it starts the next one (structure.py)."""
    afterword: bool = False
    """A line it drops ("Continue reading…", a call to action) marks what follows as an afterword."""
    contents: bool = False
    """The lines it drops are the source's own contents list: structure splits at those titles."""
    confidence: float = 0.9
    """How sure the rule is that a line it drops is not the story's (a fixed figure per rule, until a
    learned model gives one per line); report.md lists the least sure drops for staff to check."""


@dataclass(frozen=True)
class Mark:
    """What a dropped line tells structure recovery (see Rule): typed, so structure never reads rule names."""

    line: int
    """The dropped line's number."""
    text: str
    """The dropped line's text."""
    ends_story: bool = False
    afterword: bool = False
    contents: bool = False


LINE_RULES: list = []
FILE_RULES: list = []


def line_rule(name: str, **effects) -> Callable:
    """Register a line rule under `name` (registration order is run order); `effects`: Rule's fields."""
    def register(fn):
        LINE_RULES.append(Rule(name, fn, **effects))
        return fn
    return register


def file_rule(name: str, **effects) -> Callable:
    """Register a file rule under `name`; `effects`: Rule's fields."""
    def register(fn):
        FILE_RULES.append(Rule(name, fn, **effects))
        return fn
    return register


def pattern_rule(name: str, doc: str, *patterns: re.Pattern, max_words=None, not_ending: tuple = (), **effects) -> None:
    """Register a line rule that drops a line matching one of `patterns` (at most `max_words` words,
    not ending in one of `not_ending`): most residue rules are only this, so they are a table below."""
    pattern = patterns[0] if len(patterns) == 1 else re.compile("|".join(f"(?:{p.pattern})" for p in patterns), re.I)

    def fn(text: str, ctx: "Context"):
        # the match first: it fails at once on most lines, where splitting a long line does not
        if text and pattern.match(text) and (max_words is None or len(text.split()) <= max_words) \
                and not text.endswith(not_ending):
            return DROP
        return text
    fn.__name__, fn.__doc__ = name.replace("-", "_"), doc
    fn.pattern = pattern  # for _plan: a pattern rule keeps a line or drops it, never changes it
    LINE_RULES.append(Rule(name, fn, **effects))


_FLAGS = ((re.I, "i"), (re.M, "m"), (re.S, "s"), (re.X, "x"))


def _any_of(patterns: list):
    """One regular expression that matches (with `match`) where one of `patterns` does, each with
    its own flags; None when they cannot be joined safely (a back-reference, a group name used
    twice, a flag that cannot be scoped)."""
    parts = []
    for p in patterns:
        if p.flags & (re.A | re.L) or re.search(r"\\[1-9]|\(\?P=", p.pattern):
            return None
        parts.append("(?%s:%s)" % ("".join(c for f, c in _FLAGS if p.flags & f) or "-i", p.pattern))
    try:
        return re.compile("|".join(parts))
    except re.error:
        return None


_PLANS: dict = {}


def _plan(rules: tuple) -> tuple:
    """`rules` (LINE_RULES) as _one_pass runs them: (rule, prefilter, index after its run) per rule.
    A run of consecutive pattern rules gets, on its first rule, one regular expression matching
    where any of theirs does: a line it does not match is dropped by none of them (they never
    change a line) and skips the run. Most lines of a web page match none of the fourteen pattern
    rules; trying them one call each was about a third of cleaning's time (benchmarks/RESULTS.md,
    "Text sources (issue 16)"). Why not a library: this is re's own alternation, only grouped."""
    key = tuple(id(r.fn) for r in rules)
    if key not in _PLANS:
        plan, k = [], 0
        while k < len(rules):
            end = k
            while end < len(rules) and getattr(rules[end].fn, "pattern", None) is not None:
                end += 1
            joined = _any_of([r.fn.pattern for r in rules[k:end]]) if end - k >= 2 else None
            if joined is None:
                plan.append((rules[k], None, k + 1))
                k += 1
                continue
            plan += [(rules[k], joined, end)] + [(r, None, j + 1) for j, r in enumerate(rules[k + 1:end], k + 1)]
            k = end
        _PLANS[key] = tuple(plan)
    return _PLANS[key]


def rule_named(name: str):
    """The registry entry called `name`, or None (a rule of another stage: front-matter of structure…)."""
    return next((r for r in FILE_RULES + LINE_RULES if r.name == name), None)


SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _whole(*patterns: str) -> re.Pattern:
    return re.compile(r"^(?:%s)$" % "|".join(patterns), re.I)


def _short(text: str) -> bool:
    return len(text.split()) <= MAX_RESIDUE_WORDS


# ---- file rules -----------------------------------------------------------------------------

ETEXT_START = re.compile(r"^\*{3}\s*START OF (?:THE|THIS) PROJECT GUTENBERG", re.I)
ETEXT_END = re.compile(r"^\*{3}\s*END OF (?:THE|THIS) PROJECT GUTENBERG|^End of (?:the )?Project Gutenberg", re.I)


@file_rule("etext-licence", confidence=0.99)
def etext_licence(lines: tuple, ctx: Context) -> set:
    """An e-text collection's licence header (up to its START marker) and footer (from its END marker)."""
    numbers = [line.number for line in lines]
    start = next((i for i, line in enumerate(lines) if ETEXT_START.search(line.text)), None)
    end = next((i for i, line in enumerate(lines) if ETEXT_END.search(line.text)), None)
    dropped: set = set()
    if start is not None:
        dropped.update(range(0, start + 1))
        dropped.update(_etext_credit(lines, start + 1))
    if end is not None and (start is None or end > start):
        dropped.update(range(end, len(lines)))
    return {numbers[i] for i in dropped if lines[i].text.strip()}


ETEXT_CREDIT = re.compile(r"^(?:produced|prepared|transcribed|digiti[sz]ed|e-?text (?:prepared|produced)) by\b", re.I)


def _etext_credit(lines: tuple, start: int) -> set:
    """The 'Produced by …' paragraph just after an e-text's START marker (indexes)."""
    i = start
    while i < len(lines) and i < start + 12 and not lines[i].text.strip():
        i += 1
    if i >= len(lines) or not ETEXT_CREDIT.match(lines[i].text.strip()):
        return set()
    found = set()
    while i < len(lines) and lines[i].text.strip():
        found.add(i)
        i += 1
    return found


def _centered(text: str) -> bool:
    return text.startswith(" " * 8) and len(text.strip()) <= 60


def _centered_title_page(lines: tuple) -> set:
    """A block of centred short lines opening a file (a book's title page and dedication)."""
    found: list = []
    for line in lines:
        if not line.text.strip():
            continue
        if HEADING_LINE.match(line.text.strip()) or not _centered(line.text):
            break
        found.append(line.number)
    rest = any(l.text.strip() and l.number > max(found, default=0) for l in lines)
    return set(found) if len(found) >= 2 and rest else set()


TRANSCRIBER = re.compile(r"^\[?\s*transcriber[’']?s? notes?\b", re.I)


@file_rule("transcriber-note", confidence=0.95)
def transcriber_note(lines: tuple, ctx: Context) -> set:
    """An e-text transcriber's note: its heading line and what follows up to a gap of two blank lines."""
    dropped: set = set()
    i = 0
    while i < len(lines):
        if not TRANSCRIBER.match(lines[i].text.strip()):
            i += 1
            continue
        blanks = 0
        while i < len(lines) and blanks < 2:
            blanks = blanks + 1 if not lines[i].text.strip() else 0
            if lines[i].text.strip():
                dropped.add(lines[i].number)
            i += 1
    return dropped


def _centered_colophon(lines: tuple) -> set:
    """A block of centred short lines closing a file (a printer's imprint, 'THE END' ornaments)."""
    found: list = []
    for line in reversed(lines):
        if not line.text.strip():
            continue
        if not _centered(line.text) or line.text.strip().upper() == "THE END":
            break
        found.append(line.number)
    return set(found) if found and len(found) < len([l for l in lines if l.text.strip()]) else set()


@file_rule("back-matter", confidence=0.8)
def back_matter(lines: tuple, ctx: Context) -> set:
    """Centred imprint lines at the very end of a file, after the last story."""
    return _centered_colophon(lines)


@file_rule("front-matter", confidence=0.8)
def front_matter(lines: tuple, ctx: Context) -> set:
    """Before a contents list: the book's own title page (short lines only: title, author, credits)."""
    found = find_contents(lines)
    if not found:
        return _centered_title_page(lines)
    before = [line for line in lines[:found[0][0]] if line.text.strip()]
    if not before or any(len(line.text.split()) > 16 for line in before):
        return set()
    return {line.number for line in before}


@file_rule("source-contents", contents=True, confidence=0.9)
def source_contents(lines: tuple, ctx: Context) -> set:
    """The source's own contents list (its heading and entries); structure splits at those titles."""
    return {lines[i].number for heading, entries, _ in find_contents(lines) for i in (heading, *entries)}


RELATED_HEADERS = (r"related(?: (?:posts?|articles?|stories|content|reading|links))?:?", r"you (?:may|might) also (?:like|enjoy)\W*",
                   r"(?:more|recommended|popular|trending|latest) (?:from|stories|articles|posts|news|reads)\b.{0,40}",
                   r"관련 ?기사|많이 본 뉴스|추천 ?기사")
"""Headers of a block of links to other articles (the related-block and related-links rules)."""
CARD_HEADER = _whole(r"(?:media|press|for media|editorial) (?:contacts?|enquiries|inquiries)\s*:?", r"for (?:more|further) information,? (?:please )?contact:?",
                     r"contacts?:", *RELATED_HEADERS, r"(?:previous|next|older|newer)(?: (?:post|article|story|entry))?:?")
CARD_LINE = re.compile(r"^(?:[\w.+-]+@[\w-]+(?:\.[\w-]+)+|(?:tel\.?:?|phone:?|mobile:?)?\s*\+?[\d ()./-]{7,}|in [“\"].{1,40}[”\"]|\w+ \d{1,2}, \d{4}|\d{1,2} \w+ \d{4}|\d{4}[-./]\d{1,2}[-./]\d{1,2}\.?)$", re.I)


def _card_like(text: str) -> bool:
    words = text.split()
    return bool(CARD_LINE.match(text)) or 0 < len(words) <= 14 and not text.endswith((".", ",", ";", ":"))


@file_rule("related-block", ends_story=True, confidence=0.85)
def related_block(lines: tuple, ctx: Context) -> set:
    """A 'Related' / 'Next Post' / 관련기사 block: its header and the headline, date and category lines under it."""
    dropped: set = set()
    i = 0
    while i < len(lines):
        if not CARD_HEADER.match(SPACES.sub(" ", lines[i].text).strip()):
            i += 1
            continue
        dropped.add(lines[i].number)
        i += 1
        blanks = 0
        while i < len(lines):
            text = SPACES.sub(" ", lines[i].text).strip()
            if not text:
                blanks += 1
                if blanks > 1:
                    break
            elif CARD_HEADER.match(text) or _card_like(text):
                dropped.add(lines[i].number)
                blanks = 0
            else:
                break
            i += 1
    return dropped


# ---- line rules -----------------------------------------------------------------------------

@line_rule("whitespace")
def whitespace(text: str, ctx: Context):
    """Tabs and odd spaces to one space; no space at either end."""
    return SPACES.sub(" ", text).strip()


SEPARATOR = re.compile(r"^(?:[*\-_=~#•·+]\s*){3,}$")
POWERED = _whole(r".{0,40}\bpowered by\b.{0,40}")
SHARE_WORD = (r"(?:share|share this(?: (?:article|story|post|page))?|share on \w+|tweet|tweet this|pin it|pin|email|"
              r"e-mail|print|facebook|twitter|x|linkedin|whatsapp|reddit|telegram|pinterest|tumblr|copy link|"
              r"messenger|flipboard|pocket|like this|like|print this(?: page| article| story)?|save|bookmark|loading\.*|공유하기|공유|페이스북|트위터|카카오톡|카카오스토리|"
              r"url ?복사|스크랩|인쇄|좋아요|기사제보|보내기|기사 ?추천|추천|카카오톡 ?공유)(?:\s*\d{1,6})?")
SHARE = re.compile(r"^(?:%s)(?:\s*[|:,/·•\-–]?\s*(?:%s))*\s*[:…]?$" % (SHARE_WORD, SHARE_WORD), re.I)
CLICK_SHARE = re.compile(r"^(?:click to (?:share|print|email)|share on) .{0,40}\(opens in new window\)$|^.{0,40}\(opens in new window\)$", re.I)
TAGS = re.compile(r"^(?:tags?|tagged(?: with| as)?|categor(?:y|ies)|filed (?:under|in)|posted (?:in|under)|topics?|labels?)\s*[:\-–]\s*\S.*$|^posted (?:on|in|under) [^.!?]{0,60}$", re.I)
CONTINUE = _whole(r"(?:continue|keep) reading\b.*", r"read (?:more|the (?:full|rest|whole)|on)\b.{0,60}",
                  r"(?:click|tap) here\b.{0,60}", r"(?:\[\s*)?(?:…|\.\.\.)?\s*(?:read more|more)\s*(?:»|›|→|>>|\])?")
CALL = _whole(
    r"(?:sign up|subscribe|join)\b.{0,80}\b(?:newsletter|mailing list|updates|inbox|e-?mails?)\b.{0,40}",
    r"(?:subscribe|sign up)(?: now| today| here)?[.!]?",
    r"(?:get|receive) (?:our|the) (?:latest|newsletter|weekly)\b.{0,60}",
    r"(?:please )?(?:donate|make a (?:gift|donation)|give today|support (?:us|our work))\b.{0,60}",
    r"(?:like|follow) us on\b.{0,60}",
    r"(?:enter your e-?mail|your e-?mail address).{0,40}", r"e-?mail(?: address)?\s*\*?:?", r"(?:first |last )?name\s*\*?:?",
)
NAV = _whole(r"(?:←|→|<<)\s*.{0,100}", r"(?:catch up|previously|also in this series|in this series|more in this series)\s*:.{0,100}",
             r".{0,30}\bpart \w+(?:\s*[·|,/]\s*part \w+)+", r"(?:read|continue to|go to|see) (?:part|chapter|episode) \w+\b.{0,100}",
             r"(?:previous|next|older|newer)(?: (?:post|article|story|entry|page|posts|entries))?:?",
             r"(?:«|‹|<<|←)?\s*(?:previous|next|older|newer|prev)\s+(?:post|article|story|entry|page|posts|entries)\b.{0,80}",
             r"[^.!?«‹]{0,80}\s(?:»|›|>>|→)", r"(?:back to top|skip to (?:main )?content|return to (?:top|home))\W*",
             r"(?:home|menu|search|log ?in|sign in)(?:\s*[|/·•]\s*\w+(?: \w+)?){1,8}")
RELATED = _whole(*RELATED_HEADERS, r"(?:read|see) also:?.{0,80}", r"advertisement|sponsored(?: content)?|ad")
COMMENTS = _whole(r"(?:leave|post|add|write) a (?:comment|reply)\W*", r"comments are (?:closed|off|disabled)\.?", r"\d+ (?:comments?|responses?|replies)",
                  r"(?:no )?comments?(?: \(\d+\))?:?", r"print friendly.{0,30}", r"댓글.{0,20}")
COOKIE_NOTICE = r"(?:we use cookies|this (?:site|website) uses cookies)"
"""What a cookie banner opens with (`COPYRIGHT`'s short ones, `COOKIES` however long)."""
COPYRIGHT = _whole(r"(?:©|ⓒ|\(c\)|copyright\b).{0,160}", r".{0,120}\ball rights reserved\.?",
                   r".{0,80}(?:무단\s*전재|재배포\s*금지|저작권자).{0,80}",
                   COOKIE_NOTICE + r".{0,160}")
COOKIES = _whole(COOKIE_NOTICE + r"\b.*")
"""A cookie notice: a paragraph opening with what every such banner says, however long it runs on
(a consent plugin's runs 100 words; `COPYRIGHT`'s 30-word rule missed it on realweb's pasted files)."""
BREADCRUMB = re.compile(r"^(?:home|홈|main|start)\s*(?:»|›|>|/|\|)\s*\S.{0,150}$", re.I)
EMAIL_FOOTER = _whole(r"view (?:this (?:e-?mail|newsletter|message) )?(?:in|on) (?:your|a|the) (?:browser|web).{0,20}",
                      r"(?:you (?:are|were) receiving|you received) this (?:e-?mail|newsletter|message)\b.{0,200}",
                      r"(?:unsubscribe|update (?:your )?(?:preferences|subscription)|manage (?:your )?(?:preferences|subscription))"
                      r"(?:\s*[|·•]\s*(?:unsubscribe|update (?:your )?(?:preferences|subscription)|manage (?:your )?(?:preferences|subscription)|view in browser|forward to a friend))*\.?",
                      r"(?:forward (?:this )?to a friend|add us to your address book)\W*")
PRESS = _whole(r"for immediate release\W*", r"embargoed?(?: until| till)?\b.{0,60}", r"-\s*(?:ends|30)\s*-|ends\.?|end of (?:press )?release\W*",
               r"press release\W*", r"news release\W*")
LINK_BAR = re.compile(r"^[^.!?]{1,60}(?:\s+[·|•]\s+[^.!?·|•]{1,60}){2,}$")
SENTENCE_END = (".", "?", "!", "”", '"')

# The pattern rules, in run order: name, what it drops, its patterns, and (see pattern_rule and Rule)
# a word limit, endings that keep a line, and what a drop tells structure.
for _name, _doc, _patterns, _options in (
    ("separator", "Rules and scene breaks ('* * *', '-----'): structure, not words; they can end a story.",
     (SEPARATOR,), dict(ends_story=True, confidence=0.99)),
    ("web-residue", "Widget and platform credits: 'HTML Snippets Powered By :', 'Powered by WordPress'.",
     (POWERED,), dict(max_words=MAX_RESIDUE_WORDS, not_ending=SENTENCE_END, ends_story=True, confidence=0.95)),
    ("share-buttons", "Lines made only of share-button labels ('Share: Facebook | Twitter | Email').",
     (SHARE, CLICK_SHARE), dict(ends_story=True, confidence=0.95)),
    ("tags-and-categories", "'Tags: a, b', 'Categories: …', 'Posted in …', 'Filed under …'.",
     (TAGS,), dict(max_words=MAX_RESIDUE_WORDS, ends_story=True)),
    ("continue-reading", "'Continue reading part 2…', 'Read more »', 'Click here to …'.",
     (CONTINUE,), dict(max_words=MAX_RESIDUE_WORDS, afterword=True)),
    ("call-to-action", "Newsletter, subscribe, donate and follow prompts.",
     (CALL,), dict(max_words=MAX_RESIDUE_WORDS, ends_story=True, afterword=True, confidence=0.85)),
    ("navigation", "Site navigation: 'Previous Post', 'Next article »', 'Back to top', menus.",
     (NAV,), dict(max_words=MAX_RESIDUE_WORDS, confidence=0.85)),
    ("related-links", "'Related', 'You may also like', 'Read also: …', 'Advertisement'.",
     (RELATED,), dict(max_words=MAX_RESIDUE_WORDS, ends_story=True, confidence=0.85)),
    ("comments", "Comment-section and print-widget labels.",
     (COMMENTS,), dict(max_words=MAX_RESIDUE_WORDS, ends_story=True, confidence=0.85)),
    ("copyright-footer", "Site footers: '© 2020 Org. All rights reserved.', Korean 무단 전재 및 재배포 금지, cookie banners.",
     (COPYRIGHT,), dict(max_words=30, ends_story=True)),
    ("cookie-notice", "Cookie banners however long: 'This website uses cookies to improve your experience …'.",
     (COOKIES,), dict(max_words=150, ends_story=True)),
    ("breadcrumbs", "'Home » Blog » Title' trails.", (BREADCRUMB,), dict(max_words=MAX_RESIDUE_WORDS)),
    ("email-footer", "Newsletter e-mail chrome: 'View this email in your browser', 'Unsubscribe | Update preferences'.",
     (EMAIL_FOOTER,), dict(max_words=40, ends_story=True)),
    ("press-release", "Press-release boilerplate: 'FOR IMMEDIATE RELEASE', 'Embargoed until …', '-ENDS-'.",
     (PRESS,), dict(ends_story=True)),
    ("link-bar", "A footer or menu line of short items between separators: 'Org · 2 Lane · Town · Country'.",
     (LINK_BAR,), dict(max_words=MAX_RESIDUE_WORDS, not_ending=("?", "!"), ends_story=True, confidence=0.7)),
):
    pattern_rule(_name, _doc, *_patterns, **_options)


@line_rule("repeated-line", confidence=0.75)
def repeated_line(text: str, ctx: Context):
    """Short lines that appear in many sources: a site's boilerplate, not any one story."""
    return DROP if text and text.casefold() in ctx.repeated else text


@line_rule("config-residue", confidence=1.0)
def config_residue(text: str, ctx: Context):
    """Extra residue patterns from anthology.toml."""
    return DROP if text and any(p.fullmatch(text) for p in ctx.extra) else text


# ---- running the registry -------------------------------------------------------------------

def repeated_lines(sources: list, min_sources: int = 3, share: float = 0.5) -> frozenset:
    """Short non-blank lines found in at least `min_sources` sources and in `share` of all of them."""
    if len(sources) < min_sources:
        return frozenset()
    seen: Counter = Counter()
    for src in sources:
        seen.update({whitespace(MARKS.sub("", l.text), Context()).casefold() for l in src.lines
                     if l.text.strip() and len(l.text.split()) <= 12})
    need = max(min_sources, int(len(sources) * share + 0.999))
    return frozenset(t for t, n in seen.items() if n >= need)


def _drop(file: str, line: Line, rule: Rule, removed: list, marks: list) -> None:
    text = MARKS.sub("", line.text).strip()
    removed.append(dropped(file, line.number, text, rule.name))
    if rule.ends_story or rule.afterword or rule.contents:
        marks.append(Mark(line.number, text, rule.ends_story, rule.afterword, rule.contents))


def _one_pass(file: str, lines: list, ctx: Context, settled: frozenset = frozenset()) -> tuple:
    """(lines kept, their drops, marks, lines staff kept) after every file rule, then every line rule.
    `settled`: ids of lines (of `lines`) that an earlier pass ran through the line rules and left as
    they were; the line rules are not run on them again (see clean_source)."""
    removed: list[Diagnostic] = []
    marks: list[Mark] = []
    kept_by_staff: list[Decision] = []

    def keeps(line: Line, rule: Rule) -> bool:
        if ctx.keep and kept_text(line.text) in ctx.keep:
            kept_by_staff.append(Decision(file, line.number, line.text.strip(), "kept", rule.name, 1.0))
            return True
        return False

    for rule in FILE_RULES:
        # File rules name lines by number. On a saved page many lines share one (a minified page is
        # one line): they see the lines numbered in order, so a drop takes only the lines it names.
        view = lines if len({l.number for l in lines}) == len(lines) else \
            [replace(l, number=i) for i, l in enumerate(lines, 1)]
        drop = rule.fn(tuple(view), ctx)
        if drop:
            gone = {id(l) for l, v in zip(lines, view) if v.number in drop and l.tag not in META_TAGS
                    and not keeps(l, rule)}
            for l in lines:
                if id(l) in gone and l.text.strip():
                    _drop(file, l, rule, removed, marks)
            lines = [l for l in lines if id(l) not in gone]
    out: list[Line] = []
    plan = _plan(tuple(LINE_RULES))
    for line in lines:
        if line.tag in META_TAGS or id(line) in settled:  # (META_TAGS: a saved page's headline,
            out.append(line)                                  # author, date: metadata, not page text)
            continue
        text = line.text
        # A page's emphasis marks (pubpipe.inline) stay in its line, but the rules judge its words:
        # a line of a page is already one line of single spaces, which is all they would change.
        marked = MARKS.search(text) is not None
        k = 0
        while k < len(plan):
            rule, prefilter, after = plan[k]
            judged = MARKS.sub("", text) if marked else text
            if prefilter is not None and not prefilter.match(judged):
                k = after  # none of this run of pattern rules drops the line
                continue
            k += 1
            result = rule.fn(judged, ctx)
            if result is DROP:
                if keeps(line, rule):
                    continue
                _drop(file, line, rule, removed, marks)
                break
            text = text if marked else result
        else:
            indent = line.indent or _indent(line.text)
            out.append(line if text == line.text and indent == line.indent else replace(line, text=text, indent=indent))
    return out, removed, marks, kept_by_staff


def _indent(text: str) -> int:
    """Columns of white space a line begins with (a tab to the next multiple of 8)."""
    wide = text.expandtabs()
    return len(wide) - len(wide.lstrip()) if text[:1].isspace() and text.strip() else 0


def clean_source(src: RawSource, ctx: Context = Context()) -> CleanSource:
    """Run every rule of the registry over one source, in order, until nothing more changes.

    Repeating to a fixed point makes cleaning idempotent: a drop can reveal a shape (say, a
    contents list whose last entry was a tag line) that an earlier rule would have caught."""
    ctx = replace(ctx, file=src.file)
    removed: list[Diagnostic] = []
    marks: list[Mark] = []
    kept: dict = {}
    lines = list(src.lines)
    # A line rule is a function of the line's text (and the shared context) alone: a line the line
    # rules left as it was in one pass (the same object out as in) gets the same answer from them in
    # the next, which only the file rules can change. So only the lines they changed (a line's
    # spaces normalised) go through them again. The passes after the first ran every rule on every
    # line of a page again for nothing: a third of cleaning's time on realweb's 110 copies.
    settled: frozenset = frozenset()
    for _ in range(8):
        out, dropped, marked, kept_now = _one_pass(src.file, lines, ctx, settled)
        removed += dropped
        marks += marked
        for k in kept_now:
            kept.setdefault(k.line, k)  # the first rule that would have dropped it
        if out == lines:
            break
        before = {id(l) for l in lines}
        settled = frozenset(id(l) for l in out if id(l) in before)
        lines = out
    return CleanSource(src.file, tuple(lines), tuple(sorted(removed, key=lambda r: r.line)), src.kind,
                       tuple(sorted(marks, key=lambda m: m.line)), tuple(sorted(kept.values(), key=lambda k: k.line)))


def shared_context(sources: list, extra_patterns: tuple = (), keep: tuple = ()) -> Context:
    """The context every source is cleaned with: lines repeated across sources, extra patterns,
    and the lines staff said to keep."""
    return Context(repeated=repeated_lines(sources),
                   extra=tuple(re.compile(p, re.I) for p in extra_patterns),
                   keep=frozenset(kept_text(k) for k in keep))


def clean_all(sources: list, extra_patterns: tuple = (), keep: tuple = ()) -> list:
    """Clean every source with a shared context (`shared_context`)."""
    ctx = shared_context(sources, extra_patterns, keep)
    return [clean_source(src, ctx) for src in sources]
