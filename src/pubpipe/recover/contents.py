"""A source's own contents list: found, so cleaning can drop it and structure can split at its titles."""

import re

HEADING = re.compile(r"^(?:table of )?contents\s*[:.]?$|^c\s?o\s?n\s?t\s?e\s?n\s?t\s?s$", re.I)
NUMBERING = re.compile(r"^(?:(?:chapter|part|book|story|no\.?)\s+)?(?:[IVXLC]{1,7}|\d{1,3})\s*[.):—–-]\s+|^(?:[IVXLC]{1,7}|\d{1,3})\s+(?=[A-Z])", re.I)
PAGE = re.compile(r"(?:\s*\.{2,}\s*|\s+)(?:\d{1,4}|[ivxlc]{1,6})$", re.I)
MAX_ENTRY_WORDS = 14


def entry_key(text: str) -> str:
    """A contents entry or title reduced for comparison: no numbering, page number, case or punctuation."""
    text = PAGE.sub("", NUMBERING.sub("", text.strip()))
    return " ".join(re.findall(r"\w+", text.casefold()))


def _entry_like(text: str) -> bool:
    words = text.split()
    return 0 < len(words) <= MAX_ENTRY_WORDS and not text.rstrip().endswith((",", ";")) \
        and not (text.rstrip().endswith(".") and len(words) > 8)


def _entries_after(lines: tuple, i: int) -> tuple:
    """Indexes and keys of the entries under the contents heading at i."""
    entries, keys, blanks = [], [], 0
    for j in range(i + 1, len(lines)):
        text = lines[j].text.strip()
        if not text:
            blanks += 1
            if blanks > 3 and entries:
                break
            continue
        blanks = 0
        key = entry_key(text)
        if HEADING.match(text):
            break
        if not key and _entry_like(text):
            continue  # a rule or ornament between entries
        if not _entry_like(text) or key in keys:
            break
        entries.append(j)
        keys.append(key)
    return entries, keys


def find_contents(lines: tuple) -> list:
    """Every contents list of a file: (index of its heading line, indexes of its entry lines, entry keys).

    A list ends at a line that is not entry-like, at another contents heading, or at the first entry
    seen a second time (where the first story starts under its title). Fewer than two entries is no list."""
    found = []
    for i, line in enumerate(lines):
        if HEADING.match(line.text.strip()):
            entries, keys = _entries_after(lines, i)
            if len(entries) >= 2:
                found.append((i, tuple(entries), tuple(keys)))
    return found
