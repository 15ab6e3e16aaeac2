"""From cleaned sources to the Anthology: stories typed, typeset, identified and ordered."""

import re
from bisect import bisect_right
from dataclasses import replace
from functools import partial

from slugify import slugify

from ..config import Config, DEFAULT_TITLE
from .credits import credits_for
from .language import detect_language, language_profiles, main_language
from ..orchestrate.processes import on_both_cores
from .. import inline
from .clean import kept_text, rule_named
from ..model import WARNING, Anthology, Block, Byline, Decision, Series, SourceSpan, Story, dropped, problem, words_in
from .structure import Draft, build_blocks, split_file
from ..typography import typeset


def _typeset_block(block: Block) -> Block:
    """Typography, and the emphasis marks of the text (`_x_`, `*x*`, a page's <em>) off the words into spans."""
    text, emphasis = inline.typeset(*inline.parse(block.text))
    items = [inline.typeset(*inline.parse(i)) for i in block.items]
    return replace(block, text=text, emphasis=emphasis, items=tuple(i for i, _ in items),
                   item_emphasis=tuple(e for _, e in items) if any(e for _, e in items) else (),
                   attribution=typeset(inline.plain(block.attribution)) if block.attribution else None)


def _plain(text):
    """A title, subtitle or name: typeset plain text, its emphasis marks taken off."""
    return typeset(inline.plain(text)) if text else text


def slug(text: str, limit: int = 60) -> str:
    """Lowercase ASCII slug cut at a word boundary (python-slugify's own word_boundary skips words)."""
    full = slugify(text, replacements=[["’", ""], ["'", ""]])
    if len(full) <= limit:
        return full
    cut = full[:limit + 1]
    return cut[:cut.rfind("-")] if "-" in cut else full[:limit]


def unique_id(title: str, taken: set, fallback: str) -> str:
    """A lowercase ASCII slug of `title`, unique among `taken` (``-2``, ``-3``… on a clash)."""
    base = slug(title) or slug(fallback) or "story"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    taken.add(candidate)
    return candidate


def _story(draft: Draft, blocks: tuple, story_id: str, title: str, typeset_blocks: tuple = None,
           language: str = None) -> Story:
    """The story of `draft`; `typeset_blocks`, `language`: `_typeset_story`'s, when computed already."""
    if typeset_blocks is None:
        typeset_blocks, language = _typeset_story(blocks)
    series = draft.series
    return Story(
        id=story_id, title=_plain(title), blocks=typeset_blocks,
        source=SourceSpan(draft.file, draft.first, draft.last), language=language,
        subtitle=_plain(draft.subtitle) if draft.subtitle else None,
        series=Series(_plain(series.name), series.part, _plain(draft.series_label or "")) if series else None,
        byline=Byline(inline.plain(draft.byline.name), _plain(draft.byline.role) if draft.byline.role else None) if draft.byline else None,
        dateline=draft.dateline,
    )


def _typeset_story(blocks: tuple) -> tuple:
    """(the blocks typeset, the language of their words): the costly part of a story (language
    detection, typography), independent of its title and id."""
    return tuple(_typeset_block(b) for b in blocks), detect_language(" ".join(b.words() for b in blocks))


def _with_author(story: Story, credit) -> Story:
    """The story with its author: its byline's name, else what its source says (`Credit.author`)."""
    author = story.byline.name if story.byline else credit.author
    return replace(story, author=author) if author else story


def _fallback_title(draft: Draft, blocks: tuple) -> str:
    first = inline.plain(next((b.words() for b in blocks if b.words()), ""))
    words = first.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "") if words else draft.file


def _title_page(src, draft: Draft) -> list:
    """A title with nothing under it before a file's first story: a book's title page, removed as front matter."""
    numbers = set(range(draft.first, draft.last + 1))
    return [dropped(src.file, l.number, l.text.strip(), "front-matter") for l in src.lines
            if l.number in numbers and l.text.strip()]


REVIEW_PER_STORY = 5
"""How many of a story's least certain decisions report.md lists: few enough to check in a minute."""


def _review(stories: list, decisions: list, removed: tuple) -> tuple:
    """Per story, its REVIEW_PER_STORY least certain decisions (its start, headings, dropped lines
    with the dropping rule's confidence), and every line `keep` kept. A dropped line belongs to the
    story it lay in or after (the file's first story for lines before it)."""
    by_file: dict = {}
    for story in stories:
        by_file.setdefault(story.source.file, []).append(story)
    found = list(decisions)
    named: dict = {}
    for r in removed:
        if r.confidence is not None:  # the line model's drop (issue 16): its own confidence, per line
            found.append(Decision(r.file, r.line, r.text, "dropped", r.rule, r.confidence))
            continue
        if r.rule not in named:
            named[r.rule] = rule_named(r.rule)
        rule = named[r.rule]  # rules of the saved-page reader have no confidence: not listed
        if rule is not None:
            found.append(Decision(r.file, r.line, r.text, "dropped", r.rule, rule.confidence))
    starts = {}
    for file, here in by_file.items():
        here.sort(key=lambda s: s.source.first_line)
        starts[file] = [s.source.first_line for s in here]
    per_story: dict = {}
    for d in found:
        here = by_file.get(d.file)
        if not here:
            continue
        story = here[max(0, bisect_right(starts[d.file], d.line) - 1)]
        per_story.setdefault(story.id, []).append(d)
    out = []
    for story in stories:
        mine = sorted(per_story.get(story.id, ()), key=lambda d: (d.confidence, d.line))
        # only the decisions listed are given their story (a web page has thousands of dropped lines)
        out += [replace(d, story=story.id) for d in [d for d in mine if d.confidence < 1.0][:REVIEW_PER_STORY]
                + [d for d in mine if d.what == "kept"]]
    return tuple(out)


def _kept_lines(src, draft: Draft, keep: frozenset) -> bool:
    """Does a line of the draft match anthology.toml's `keep` (then it is never removed as a title page)?"""
    return bool(keep) and any(kept_text(l.text) in keep for l in src.lines if draft.first <= l.number <= draft.last)


FRAGMENT_WORDS = 10
"""In a text the line model read as a web page's text (`CleanSource.by_model`), a story of fewer
words than this (its blocks', the title aside) beside a story of ARTICLE_WORDS or more is page
furniture kept around a headline-like line ("05 Oct" over "Posted by Vortex"), not an article: its
lines are dropped (rule FRAGMENT). Held out by site (benchmarks/RESULTS.md, "Fragments of stories"):
realweb pasted files 0.910 -> 0.914, and one story a page more often on every set; our own sources
are never read so, and keep their short stories."""
ARTICLE_WORDS = 50
FRAGMENT = "model-fragment"


EXCERPTS = 3
"""In a text the line model read, a story with at least this many paragraphs cut off with an
ellipsis, two thirds of its paragraphs of EXCERPT_WORDS words or more, beside an article that is
none, is a list of other articles' excerpts ("Deals", "More from us": each a headline and the first
two lines of its article, cut at a fixed length "…"), not an article: its lines are dropped (rule
EXCERPT). Held out by site (benchmarks/RESULTS.md, "A list of excerpts beside the article"):
realweb pasted files, a page's "Deals" block after its article read as a story of its own."""
EXCERPT_WORDS = 10
EXCERPT = "model-excerpts"
_CUT_OFF = re.compile(r"(?:\.\.\.|…)[\W]*$")


def _excerpts(blocks) -> bool:
    """Are the blocks a list of excerpts (see EXCERPTS)?"""
    long = [b for b in blocks if b.type == "paragraph" and len(b.text.split()) >= EXCERPT_WORDS]
    cut = sum(1 for b in long if _CUT_OFF.search(b.text))
    return cut >= EXCERPTS and 3 * cut >= 2 * len(long)


def _fragments(src, built: list, keep: frozenset) -> tuple:
    """(built without the fragments of stories and the lists of excerpts of a text the model read,
    the lines dropped with them)."""
    if not src.by_model or len(built) < 2:
        return built, []
    lists = [_excerpts(blocks) for _, blocks in built]
    articles = [words_in(blocks) for (_, blocks), listed in zip(built, lists) if not listed]
    if not articles or max(articles) < ARTICLE_WORDS:
        return built, []
    kept, removed = [], []
    for (draft, blocks), listed in zip(built, lists):
        rule = FRAGMENT if words_in(blocks) < FRAGMENT_WORDS else EXCERPT if listed else None
        if rule and not _kept_lines(src, draft, keep):
            removed += [dropped(src.file, l.number, l.text, rule, 0.8)
                        for l in src.lines if draft.first <= l.number <= draft.last and l.text.strip()]
        else:
            kept.append((draft, blocks))
    return kept, removed


NEXT_HEADLINE = "next-headline"
"""The rule of `_next_headlines`' drops."""


def _words_of(text: str) -> str:
    """A line's words, casefolded, its punctuation and separators ("›", "|") left out."""
    return " ".join(re.findall(r"\w+", text.casefold()))


def _next_headlines(src, built: list, keep: frozenset) -> tuple:
    """(built, the lines dropped): in a text the model read, a story's last block, a heading that
    ends with the next story's headline word for word (of three words or more), is the next page's
    breadcrumb ("Home News Business News <headline>") left at the end of the page before: the next
    article's words in the story before it (realweb concat held out: one page of 110). Dropped
    (rule NEXT_HEADLINE), unless staff keep it."""
    if not src.by_model or len(built) < 2:
        return built, []
    out, removed = [], []
    for (draft, blocks), (after, _) in zip(built, built[1:] + [(None, None)]):
        last = blocks[-1] if blocks else None
        headline = _words_of(after.title) if after is not None and after.title else ""
        if last is not None and last.type == "heading" and len(headline.split()) >= 3 \
                and (" " + _words_of(last.text)).endswith(" " + headline) and kept_text(last.text) not in keep:
            removed.append(dropped(src.file, last.line, last.text, NEXT_HEADLINE, 0.9))
            blocks = blocks[:-1]
        out.append((draft, blocks))
    return out, removed


def _source_parts(src, split_before: tuple, keep: frozenset) -> tuple:
    """(lines removed, [(draft, blocks)], [`_typeset_story` of each]) of one cleaned source: its
    stories but for their titles and ids (which depend on the sources before it)."""
    drafts, front = split_file(src, split_before, keep=keep)
    removed = list(front)
    built = [(draft, build_blocks(draft)) for draft in drafts]
    removed += [r for draft in drafts for r in draft.removed]
    while len(built) > 1 and not built[0][1] and not _kept_lines(src, built[0][0], keep):
        removed += _title_page(src, built.pop(0)[0])
    built, fragments = _fragments(src, built, keep)
    removed += fragments
    built, echoes = _next_headlines(src, built, keep)
    removed += echoes
    return removed, built, [_typeset_story(blocks) for _, blocks in built]


def _select(key: str, story: Story) -> bool:
    return key == story.id or key.casefold() == story.title.casefold()


def build_anthology(cleaned: list, config: Config, removed: tuple = (), warnings: list = None,
                    sources: tuple = ()) -> Anthology:
    """Every cleaned source to stories, then config applied: titles, exclusions, order."""
    warnings = list(warnings or [])
    stories: list[Story] = []
    taken: set = set()
    extra_removed: list = []
    decisions: list = []
    keep = frozenset(kept_text(k) for k in config.keep)
    # each source's drafts, blocks and typeset stories on both cores: no source's depends on another's
    # (langdetect's profiles read before the fork, once)
    parts = on_both_cores("recovering the stories", partial(_source_parts, split_before=config.split_before, keep=keep),
                          list(cleaned), [len(src.lines) for src in cleaned], prepare=language_profiles)
    for src, (removed_here, built, typeset_stories) in zip(cleaned, parts):
        extra_removed += removed_here
        decisions += src.kept
        for (draft, blocks), (typeset_blocks, story_language) in zip(built, typeset_stories):
            if not blocks and draft.title:
                warnings.append(problem(src.file, f"{draft.title!r} has no body; kept as a title only",
                                        "structure.empty-story", WARNING, draft.first))
            title = inline.plain(draft.title) if draft.title else draft.title
            if not title:
                title = _fallback_title(draft, blocks)
                warnings.append(problem(src.file, f"no title line; using {title!r}", "structure.no-title", WARNING,
                                        draft.first))
            story_id = unique_id(title, taken, src.file)
            title = config.titles.get(story_id, title)
            stories.append(_story(draft, blocks, story_id, title, typeset_blocks, story_language))
            decisions += draft.decisions
    removed = tuple(sorted((*removed, *extra_removed), key=lambda r: (r.file, r.line)))
    review = _review(stories, decisions, removed)
    stories = [s for s in stories if not any(_select(k, s) for k in config.exclude)]
    published = {s.id for s in stories}
    review = tuple(d for d in review if d.story in published)
    first = [s for k in config.order for s in stories if _select(k, s)]
    stories = first + [s for s in stories if s not in first]
    language = config.language or main_language(stories)
    credits = credits_for(stories, removed, config.credits, sources)
    book = credits[0] if len(credits) == 1 else None  # a book made of one source: its own title and author
    stories = [_with_author(s, next(c for c in credits if c.file == s.source.file)) for s in stories]
    title = config.title or (book.title if book else None) or (stories[0].title if len(stories) == 1 else DEFAULT_TITLE)
    subtitle = config.subtitle or (book.subtitle if book and not config.title else None)
    return Anthology(title=title, subtitle=subtitle, publisher=config.publisher,
                     author=config.author or (book.author if book else None),
                     editor=config.editor or (book.editor if book else None), rights=config.rights,
                     credits=credits, slug=slug(title) or "anthology",
                     language=language, stories=tuple(stories), removed=removed,
                     warnings=tuple(warnings), sources=tuple(sources), review=review)
