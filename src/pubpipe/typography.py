"""Typography without changing words: curly quotes, en and em dashes, ellipsis.

Idempotent: typesetting typeset text changes nothing. Hand-written because smartypants-style
libraries work on HTML and would need a round trip through markup for plain text.
"""

import re

RULES = [
    (re.compile(r"(?<=\w)\.\.\.|\.\.\.(?=\s|$)|(?<=\s)\.\.\.|^\.\.\."), "…"),
    (re.compile(r"(?<=\w)\s*---\s*(?=\w)"), "—"),
    (re.compile(r"(?<=\w)--(?=\w)"), "—"),
    (re.compile(r"(?<=\s)--(?=\s)"), "—"),
    (re.compile(r"(?<=\w|[”’)])\s+-\s+(?=[\w“‘(])"), " – "),
    (re.compile(r"(?<=\d)-(?=\d{1,4}\b)(?=[\d]+(?:\s|$|[.,;]))(?<=\b\d{4}-)"), "–"),
    # apostrophes inside words and in decades ('90s), then opening and closing single quotes
    (re.compile(r"(?<=\w)'(?=\w)"), "’"),
    (re.compile(r"'(?=\d0s\b)"), "’"),
    (re.compile(r"(?:(?<=^)|(?<=[\s(\[{“—–=-]))'"), "‘"),
    (re.compile(r"'"), "’"),
    (re.compile(r'(?:(?<=^)|(?<=[\s(\[{‘—–=-]))"'), "“"),
    (re.compile(r'"'), "”"),
]
NEEDS = ("...", "---", "--", "--", "-", "-", "'", "'", "'", "'", '"', '"')
"""A string each rule of RULES (same order) can only match a text holding: most lines have no quote,
dash or "...", and a rule's expression (look-behinds, scanned at every position) costs more than
`in`; a text without it is left to the next rule unchanged, as the expression would leave it."""
assert len(NEEDS) == len(RULES)


def typeset(text: str) -> str:
    """Curly quotes, dashes and ellipses for plain text; words are left exactly as they were."""
    if not text:
        return text
    for (pattern, repl), needed in zip(RULES, NEEDS):
        if needed in text:
            text = pattern.sub(repl, text)
    return text
