"""Inline emphasis: spans of a block's plain text set in italics (``em``) or bold (``strong``).

It comes from two places, and leaves the text's words as they were (only the marks come off):

- plain text's own convention, ``_x_`` and ``*x*`` (``__x__``, ``**x**``: strong), read by
  markdown-it-py with nothing but its emphasis rule: CommonMark's delimiter rules decide what is a
  mark, so a lone ``_``, ``snake_case`` or a ``* `` bullet is not one; on top, no mark inside a word
  (``2*3*4``, not only ``snake_case``), and URLs and e-mail addresses are masked first
  (``http://x.org/_a_`` keeps its underscores);
- HTML sources (a page's or a Word document's ``<em>``/``<i>``, ``<strong>``/``<b>``): their readers
  put MARKS around the text, Unicode noncharacters, which are for a program's internal use and which
  ingest removes from every source (`pubpipe.read.lines.INVISIBLE`), so no source can forge them.

`parse(text)` gives ``(plain, spans)``, spans ``(start, end, kind)`` over plain; `to_html` gives
escaped text with ``<em>``/``<strong>`` (the only markup renderers get from a source), `from_html`
reads that back and accepts nothing else; `typeset` is typography that keeps the spans.
"""

import re
from functools import lru_cache
from html import escape as escape_html
from html.parser import HTMLParser

EM_OPEN, EM_CLOSE, STRONG_OPEN, STRONG_CLOSE = "\ufdd0", "\ufdd1", "\ufdd2", "\ufdd3"
MARKS = re.compile("[\ufdd0-\ufdd3]")
KINDS = ("strong", "em")
"""Emphasis kinds, outermost first (how to_html nests them)."""

# What is masked before emphasis is read: URLs (with or without a scheme), e-mail addresses.
MASKED = re.compile(r"(?:https?://|ftp://|www\.)[^\s<>\"“”]+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)


@lru_cache(maxsize=1)
def _parser():
    from markdown_it import MarkdownIt
    # "zero": no rule at all but plain text; escapes, entities, code spans, links and HTML stay text.
    return MarkdownIt("zero").enable("emphasis")


def plain(text: str) -> str:
    """The text without its emphasis marks (titles, attributions, bylines: plain text only)."""
    return parse(text)[0] if text else text


def _html_marks(text: str) -> tuple:
    """(text without MARKS, per-character set of kinds) from the MARKS an HTML reader put in."""
    chars, flags, open_ = [], [], {"em": 0, "strong": 0}
    for ch in text:
        if ch in (EM_OPEN, STRONG_OPEN):
            open_["em" if ch == EM_OPEN else "strong"] += 1
        elif ch in (EM_CLOSE, STRONG_CLOSE):
            kind = "em" if ch == EM_CLOSE else "strong"
            open_[kind] = max(0, open_[kind] - 1)
        else:
            chars.append(ch)
            flags.append(frozenset(k for k, n in open_.items() if n))
    return "".join(chars), flags


def _delimiter_pairs(text: str) -> list:
    """(open_start, open_end, close_start, close_end, kind) of each emphasis markdown-it finds."""
    masked = MASKED.sub(lambda m: "x" * len(m.group(0)), text)
    tokens = _parser().parseInline(masked)
    children = tokens[0].children if tokens and tokens[0].children else []
    pos, stack, pairs = 0, [], []
    for tok in children:
        if tok.type in ("em_open", "strong_open"):
            stack.append((pos, pos + len(tok.markup), tok.markup))
            pos += len(tok.markup)
        elif tok.type in ("em_close", "strong_close"):
            if not stack:
                return []
            start, end, markup = stack.pop()
            pairs.append((start, end, pos, pos + len(tok.markup), "em" if tok.type == "em_close" else "strong"))
            pos += len(tok.markup)
        elif tok.type == "text":
            if masked[pos:pos + len(tok.content)] != tok.content:
                return []  # markdown-it changed the text (it should not): no emphasis rather than a wrong one
            pos += len(tok.content)
        else:
            return []
    if pos != len(masked) or stack:
        return []
    return pairs


def _inside_word(text: str, start: int, end: int) -> bool:
    """A mark glued to a letter or digit outside it (``2*3*4``, ``a_b_c``): not emphasis."""
    return (start > 0 and text[start - 1].isalnum()) or (end < len(text) and text[end].isalnum())


def _dunder(text: str, o_start: int, o_end: int, c_start: int) -> bool:
    """``__init__``: a programming name, not bold."""
    return text[o_start:o_end] == "__" and re.fullmatch(r"[a-z0-9_]+", text[o_end:c_start]) is not None


def parse(text: str) -> tuple:
    """(plain text, spans) of a text that may carry emphasis marks of either kind."""
    if not text:
        return text, ()
    if "_" not in text and "*" not in text and not MARKS.search(text):
        # no mark of either kind (most blocks): what the steps below give, without a flag per character
        return text, ()
    base, flags = _html_marks(text) if MARKS.search(text) else (text, [frozenset()] * len(text))
    if "_" in base or "*" in base:
        drop: set = set()
        for o_start, o_end, c_start, c_end, kind in _delimiter_pairs(base):
            if _inside_word(base, o_start, c_end) or _dunder(base, o_start, o_end, c_start):
                continue
            drop.update(range(o_start, o_end))
            drop.update(range(c_start, c_end))
            for i in range(o_end, c_start):
                flags[i] = flags[i] | {kind}
        if drop:
            keep = [i for i in range(len(base)) if i not in drop]
            base, flags = "".join(base[i] for i in keep), [flags[i] for i in keep]
    return base, _spans(base, flags)


def _spans(text: str, flags: list) -> tuple:
    """Maximal runs of each kind, without the white space at their ends."""
    if not any(flags):  # no character in any kind (a "_" or "*" that is no mark): no run to look for
        return ()
    out = []
    for kind in KINDS:
        i = 0
        while i < len(flags):
            if kind not in flags[i]:
                i += 1
                continue
            j = i
            while j < len(flags) and kind in flags[j]:
                j += 1
            start, end = i, j
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            if start < end:
                out.append((start, end, kind))
            i = j
    return tuple(sorted(out))


def _flags(length: int, spans: tuple) -> list:
    flags = [frozenset()] * length
    for start, end, kind in spans:
        for i in range(start, min(end, length)):
            flags[i] = flags[i] | {kind}
    return flags


def typeset(text: str, spans: tuple = ()) -> tuple:
    """`pubpipe.typography.typeset` of a text with spans: (typeset text, its spans). Each rule's
    replacement takes the kinds all the characters it replaces had (``_x..._`` -> ``x…`` in italics)."""
    from .typography import RULES, typeset as plain_typeset
    if not spans:
        return plain_typeset(text), ()
    flags = _flags(len(text), spans)
    for pattern, repl in RULES:
        chars, new_flags, pos = [], [], 0
        for m in pattern.finditer(text):
            chars.append(text[pos:m.start()])
            new_flags += flags[pos:m.start()]
            span = flags[m.start():m.end()]
            shared = frozenset.intersection(*span) if span else frozenset()
            chars.append(repl)
            new_flags += [shared] * len(repl)
            pos = m.end()
        chars.append(text[pos:])
        new_flags += flags[pos:]
        text, flags = "".join(chars), new_flags
    return text, _spans(text, flags)


def to_html(text: str, spans: tuple = (), escape=lambda t: escape_html(t, quote=False)) -> str:
    """The text escaped (by `escape`), with <strong> and <em> around its spans (strong outside em
    where both): the only markup that comes from a source."""
    if not spans:
        return str(escape(text))
    flags, out, i = _flags(len(text), spans), [], 0
    while i < len(text):
        j = i
        while j < len(text) and flags[j] == flags[i]:
            j += 1
        kinds = [k for k in KINDS if k in flags[i]]
        out += [f"<{k}>" for k in kinds] + [str(escape(text[i:j]))] + [f"</{k}>" for k in reversed(kinds)]
        i = j
    return "".join(out)


def paragraphs(text: str, spans: tuple = (), sep: str = "\n\n") -> list:
    """(paragraph, its spans) for each paragraph of a text whose paragraphs are split by `sep` (a
    blank line in a quotation of several paragraphs, a newline between a set-apart block's lines)."""
    out, start = [], 0
    for para in text.split(sep):
        end = start + len(para)
        out.append((para, tuple((max(s, start) - start, min(e, end) - start, k) for s, e, k in spans
                                if s < end and e > start)))
        start = end + len(sep)
    return out


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chars: list = []
        self.flags: list = []
        self.open: list = []

    def handle_starttag(self, tag, attrs):
        if tag not in KINDS or attrs:
            raise ValueError(f"its html holds <{tag}>, which is not emphasis (only <em> and <strong>, "
                             "without attributes)")
        self.open.append(tag)

    def handle_endtag(self, tag):
        if not self.open or self.open[-1] != tag:
            raise ValueError(f"its html's </{tag}> closes nothing open")
        self.open.pop()

    def handle_data(self, data):
        self.chars += data
        self.flags += [frozenset(self.open)] * len(data)


def from_html(markup: str, text: str) -> tuple:
    """The spans of `to_html`'s markup, which must be `text` with <em>/<strong> and nothing else."""
    reader = _Reader()
    reader.feed(markup)
    reader.close()
    if reader.open or "".join(reader.chars) != text:
        raise ValueError("its html is not its text with <em>/<strong> around parts of it (rebuild "
                         "rather than edit anthology.json by hand)")
    return _spans(text, reader.flags)
