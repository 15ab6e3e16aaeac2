"""Credits: what each source says about itself — title, author, editor, dates, publisher, rights.

Cleaning drops an e-text's licence header and a book's title page as not being the story (and
lists every line in ``removed``); the facts in them are recovered here from those very lines, so
nothing the source says about itself is lost: an e-text header's ``Title:``, ``Author:``,
``Editor:``, ``Translator:``, ``Release date:`` and number, its licence (summarised, with the
licence's address), a title page's "By …" line, its imprint's publisher and year. anthology.toml's
``[credits]`` adds a line per source (or replaces the rights the source states). A story's own
dateline and byline stay the story's (`pubpipe.model.Story`); the colophon shows them beside this.

Only what a source states is recorded; a field nothing states stays None.
"""

import re
from typing import Optional

from .. import dates
from ..model import Credit, Story
from ..typography import typeset

FIELD = re.compile(r"^(?P<key>title|author|authors|editor|editors|translator|translators|release date|"
                   r"posting date|first posted|original publication|language)\s*:\s*(?P<value>.*)$", re.I)
"""A field of an e-text's header (``Title: The Adventures of Sherlock Holmes``)."""
ETEXT_NUMBER = re.compile(r"\[\s*e-?book\s*#\s*(?P<number>\d+)\s*\]", re.I)
ETEXT_HEAD = re.compile(r"^(?:\W*)the project gutenberg e-?book\b", re.I)
"""An e-text's first line: what says its header (and licence) is one e-text collection's."""
ETEXT_LICENCE_URL = "https://www.gutenberg.org/policy/license.html"
ETEXT_RIGHTS = ("Free for anyone to use, copy and share at no cost under the terms of the Project Gutenberg "
                "License; outside the United States, check the laws of your country")
"""The licence paragraph of a Project Gutenberg header, in one sentence (the collection's own words)."""
NOT_AN_AUTHOR = re.compile(r"^(?:various(?: hands| authors)?|unknown|anonymous|n/?a|none|editor|ed\.?)$", re.I)
"""``Author: Various`` (and the like) names no one: an anthology of many authors."""
BY_LINE = re.compile(r"^by\s+(?P<name>\S.{0,80})$", re.I)
EDITED_BY = re.compile(r"^(?:collected\s+and\s+)?(?:edited|compiled|selected|collected)(?:\s+and\s+\w+)?\s+by\s+"
                       r"(?P<name>\S.{0,80})$", re.I)
YEAR = re.compile(r"^(?:1[5-9]|20)\d\d\.?$")
IMPRINT = re.compile(r"(?:&|\bsons\b|\bpress\b|\bcompany\b|\bco\.|\bpublish|\bbooks\b|\bltd\b|\binc\b|\bbrothers\b)", re.I)
"""Words of a publisher's name on a title page's imprint (``J. M. DENT & SONS``, ``… PRESS``)."""


SMALL_WORDS = {"a", "an", "and", "as", "at", "but", "by", "for", "in", "of", "on", "or", "the", "to", "with"}


def normal_case(text: str) -> str:
    """``EDITH HARROW PENHALLOW`` -> ``Edith Harrow Penhallow``, ``SALT AND SLATE`` -> ``Salt and
    Slate``; mixed case is kept as it is."""
    if not text.isupper():
        return text
    words = []
    for i, w in enumerate(text.split()):
        if re.fullmatch(r"[IVX]+|[A-Z]\.(?:[A-Z]\.)*", w):
            words.append(w)
        elif i and w.lower() in SMALL_WORDS:
            words.append(w.lower())
        else:
            words.append(w.capitalize())
    return " ".join(words)


def _author(name: Optional[str]) -> Optional[str]:
    name = " ".join((name or "").split()).strip(" .,;")
    return normal_case(name) if name and not NOT_AN_AUTHOR.match(name) else None


def header_fields(lines: list) -> dict:
    """The fields of an e-text header, from its (dropped) lines in order: ``title`` (and a second
    line of it as ``subtitle``), ``author``, ``editor``, ``translator``, ``released``, ``number``.
    A field's value may go on over the lines right after it (indented in the file)."""
    found: dict = {}
    key, last = None, None
    for r in lines:
        m = FIELD.match(r.text)
        if m:
            key, last = m["key"].lower().rstrip("s"), r.line
            found.setdefault(key, []).append(m["value"].strip())
            continue
        if key and r.line == last + 1 and r.text and key in ("title", "author", "editor", "translator"):
            found[key].append(r.text.strip())  # a continuation line
            last = r.line
            continue
        key = None
    out: dict = {}
    title = [t for t in found.get("title", []) if t]
    if title:
        out["title"], rest = _title_and_subtitle(title)
        if rest:
            out["subtitle"] = rest
    for name in ("author", "editor", "translator"):
        value = _author(" ".join(found.get(name, [])))
        if value:
            out[name] = value
    for key in ("release date", "posting date", "first posted"):
        for value in found.get(key, []):
            day = dates.iso_from_text(value)
            if day and "released" not in out:
                out["released"] = day
            number = ETEXT_NUMBER.search(value)
            if number:
                out.setdefault("number", number["number"])
    return out


def _title_and_subtitle(parts: list) -> tuple:
    """An e-text's ``Title:`` over several lines: a second line that starts a new phrase (capital
    first, after a first line not ending in a joining word) is its subtitle; else one title."""
    title, rest = parts[0], parts[1:]
    if not rest:
        return title, None
    joining = re.search(r"\b(?:of|and|or|the|a|an|in|on|to|for|with|from|at|by)$|[,:;-]$", title, re.I)
    if joining or not rest[0][:1].isupper():
        return " ".join(parts), None
    return title, " ".join(rest)


def title_page(lines: list) -> dict:
    """What a (dropped) title page states: its first line as the title, a "By …" line's author, an
    "Edited by …" line's editor, the imprint's publisher and year (a line that is only a year).
    Lines dropped before a story that name no author, editor or publisher are no book's title
    page (a web page's "November 18" or "Published 22 hours ago"): nothing is taken from them."""
    texts = [r.text.strip() for r in lines if r.text.strip()]
    out: dict = {}
    if texts and not BY_LINE.match(texts[0]):
        out["title"] = normal_case(texts[0])
    for i, text in enumerate(texts):
        edited = EDITED_BY.match(text)
        by = BY_LINE.match(text)
        if edited and "editor" not in out:
            out["editor"] = _author(edited["name"])
        elif by and "author" not in out and _author(by["name"]):
            out["author"] = _author(by["name"])
        elif YEAR.match(text) and "published" not in out:
            out["published"] = text.rstrip(".")
            imprint = [t for t in texts[max(0, i - 3):i] if IMPRINT.search(t)]
            if imprint:
                out["publisher"] = normal_case(imprint[-1])
    if not (out.get("author") or out.get("editor") or out.get("publisher")):
        return {}
    return {k: v for k, v in out.items() if v}


def credit_of(file: str, removed: list, stories: list, configured: Optional[str] = None,
              origin: Optional[dict] = None) -> Credit:
    """The Credit of one source file: its e-text header and title page (its ``removed`` lines), a
    saved page's own address and site name (``origin``: its ``url`` and ``site``, as ingest read
    them from the page's metadata), and anthology.toml's line for it
    (``configured``: it is the rights line, and replaces what the header's licence says)."""
    etext = [r for r in removed if r.rule == "etext-licence"]
    page = [r for r in removed if r.rule == "front-matter"]
    head = header_fields(etext) if etext else {}
    shown = title_page(page) if page else {}
    is_etext = bool(etext) and any(ETEXT_HEAD.match(r.text) or "project gutenberg" in r.text.lower() for r in etext)
    number = head.get("number")
    title, subtitle = head.get("title") or shown.get("title"), head.get("subtitle")
    fields = dict(
        title=typeset(title) if title else None, subtitle=typeset(subtitle) if subtitle else None,
        author=head.get("author") or shown.get("author"),
        editor=head.get("editor") or shown.get("editor"), translator=head.get("translator"),
        published=shown.get("published"), publisher=shown.get("publisher"), released=head.get("released"),
        collection=("Project Gutenberg" + (f" eBook #{number}" if number else "")) if is_etext else None,
        url=f"https://www.gutenberg.org/ebooks/{number}" if is_etext and number else None,
        rights=ETEXT_RIGHTS if is_etext else None, rights_url=ETEXT_LICENCE_URL if is_etext else None)
    origin = origin or {}
    if origin.get("url") and not fields["url"]:
        fields["url"] = origin["url"]
    if origin.get("site") and not fields["publisher"]:
        fields["publisher"] = origin["site"]
    if configured:
        fields.update(rights=configured, rights_url=None)
    return Credit(file, **fields)


def credits_for(stories: list, removed: tuple, configured: dict, sources: tuple = ()) -> tuple:
    """A Credit per source file of ``stories`` (in the stories' order). ``configured``: anthology.toml's
    ``[credits]``, keyed by a source file's name or one of its stories' ids; ``sources``: ingest's
    facts per file (a saved page's ``url`` and ``site`` among them)."""
    origins = {s["file"]: s for s in sources if isinstance(s, dict) and "file" in s}
    files = list(dict.fromkeys(s.source.file for s in stories))
    by_file: dict = {}
    for r in removed:
        by_file.setdefault(r.file, []).append(r)
    out = []
    for file in files:
        mine = [s for s in stories if s.source.file == file]
        line = configured.get(file) or next((configured[s.id] for s in mine if s.id in configured), None)
        out.append(credit_of(file, sorted(by_file.get(file, []), key=lambda r: r.line), mine, line,
                             origins.get(file)))
    return tuple(out)


def is_known(credit: Optional[Credit]) -> bool:
    """Does the credit say anything beyond the file's name?"""
    return credit is not None and any(v for k, v in credit.to_dict().items() if k != "file")


__all__ = ["Credit", "Story", "credits_for", "credit_of", "header_fields", "title_page", "is_known"]
