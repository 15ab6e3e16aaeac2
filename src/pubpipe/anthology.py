"""From cleaned sources to the Anthology: stories typed, typeset, identified and ordered."""

from dataclasses import replace

from slugify import slugify

from .config import Config, DEFAULT_TITLE
from .language import detect_language, main_language
from .model import Anthology, Block, Byline, Removed, Series, SourceSpan, Story
from .structure import Draft, build_blocks, split_file
from .typography import typeset


def _typeset_block(block: Block) -> Block:
    return replace(block, text=typeset(block.text), items=tuple(typeset(i) for i in block.items),
                   attribution=typeset(block.attribution) if block.attribution else None)


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


def _story(draft: Draft, blocks: tuple, story_id: str, title: str) -> Story:
    text = " ".join(b.words() for b in blocks)
    series = draft.series
    return Story(
        id=story_id, title=typeset(title), blocks=tuple(_typeset_block(b) for b in blocks),
        source=SourceSpan(draft.file, draft.first, draft.last), language=detect_language(text),
        subtitle=typeset(draft.subtitle) if draft.subtitle else None,
        series=Series(typeset(series.name), series.part, typeset(draft.series_label or "")) if series else None,
        byline=Byline(draft.byline.name, typeset(draft.byline.role) if draft.byline.role else None) if draft.byline else None,
        dateline=draft.dateline,
    )


def _fallback_title(draft: Draft, blocks: tuple) -> str:
    first = next((b.words() for b in blocks if b.words()), "")
    words = first.split()
    return " ".join(words[:8]) + ("…" if len(words) > 8 else "") if words else draft.file


def _title_page(src, draft: Draft) -> list:
    """A title with nothing under it before a file's first story: a book's title page, removed as front matter."""
    numbers = set(range(draft.first, draft.last + 1))
    return [Removed(src.file, l.number, l.text.strip(), "front-matter") for l in src.lines
            if l.number in numbers and l.text.strip()]


def _select(key: str, story: Story) -> bool:
    return key == story.id or key.casefold() == story.title.casefold()


def build_anthology(cleaned: list, config: Config, removed: tuple = (), warnings: list = None,
                    sources: tuple = ()) -> Anthology:
    """Every cleaned source to stories, then config applied: titles, exclusions, order."""
    warnings = list(warnings or [])
    stories: list[Story] = []
    taken: set = set()
    extra_removed: list = []
    for src in cleaned:
        drafts, front = split_file(src, config.split_before)
        extra_removed += front
        built = [(draft, build_blocks(draft)) for draft in drafts]
        while len(built) > 1 and not built[0][1]:
            extra_removed += _title_page(src, built.pop(0)[0])
        for draft, blocks in built:
            if not blocks:
                warnings.append(f"[structure.empty-story] {src.file}:{draft.first}: "
                                f"{draft.title!r} has no body; kept as a title only" if draft.title else "")
            title = draft.title
            if not title:
                title = _fallback_title(draft, blocks)
                warnings.append(f"[structure.no-title] {src.file}:{draft.first}: no title line; using {title!r}")
            story_id = unique_id(title, taken, src.file)
            title = config.titles.get(story_id, title)
            stories.append(_story(draft, blocks, story_id, title))
    stories = [s for s in stories if not any(_select(k, s) for k in config.exclude)]
    first = [s for k in config.order for s in stories if _select(k, s)]
    stories = first + [s for s in stories if s not in first]
    language = config.language or main_language(stories)
    title = config.title or (stories[0].title if len(stories) == 1 else DEFAULT_TITLE)
    return Anthology(title=title, subtitle=config.subtitle, publisher=config.publisher,
                     slug=slug(title) or "anthology",
                     language=language, stories=tuple(stories), removed=tuple(sorted((*removed, *extra_removed), key=lambda r: (r.file, r.line))),
                     warnings=tuple(w for w in warnings if w), sources=tuple(sources))
