"""A source's own contents list: found, so cleaning can drop it and structure can split at its titles."""

import re
from typing import Optional

HEADING = re.compile(r"^(?:table of )?contents?\s*[:.]?$|^c\s?o\s?n\s?t\s?e\s?n\s?t\s?s$", re.I)
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


def find_contents(lines: tuple) -> Optional[tuple]:
    """(index of the heading line, indexes of the entry lines, entry keys) of a contents list, else None.

    The list ends at a line that is not entry-like or at the first entry seen a second time (where
    the first story starts under its title)."""
    for i, line in enumerate(lines):
        if HEADING.match(line.text.strip()):
            break
    else:
        return None
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
        if not _entry_like(text) or not key or key in keys:
            break
        entries.append(j)
        keys.append(key)
    if len(entries) < 2:
        return None
    return i, tuple(entries), tuple(keys)
