"""The line model on saved pages: which of trafilatura's two readings of a page to publish, and the
page furniture it still took at the edges of the article.

trafilatura reads each saved page twice (`pubpipe.read.webpage.read_page`): with `favor_recall`
(the reading that loses least of an article on most pages) and with its balanced settings. Neither
is better on every page: `favor_recall` takes a photo gallery's captions and buttons along with the
article on one page, and the balanced reading takes a whole news digest on another. The line model
(`pubpipe.recover.linemodel`, trained on pages' text a block a line, as a scraper dump has it)
reads the page's whole text, and

- `choose` keeps the reading whose lines the model reads as more of an article: the sum over its
  lines of words × (body probability − CHOICE_MIDDLE), the words it expects right less those it
  expects wrong (ties: the `favor_recall` reading);
- `edges` then drops, at the start and at the end of the article only, the lines the model is
  sure are furniture (body probability under EDGE: "Comments", "Partner news", a "Follow us"
  line, a copyright line). Each is in `removed` with rule "model" and the model's confidence; a
  line inside the article is never dropped here (trafilatura found the article; the model only
  trims what it took around it).

Measured held out by site (benchmarks/RESULTS.md, "Saved pages: the line model chooses trafilatura's
reading and trims its edges"): realweb F1 0.958 -> 0.963 (trafilatura alone 0.962), modern 0.936 ->
0.944 (trafilatura alone 0.936).
Only the two readings' metadata lines (headline, byline, dateline) are left out of the sums.
"""

from dataclasses import replace

from .clean import kept_text
from ..model import dropped
from ..read.lines import META_TAGS
from .apply import RULE
CHOICE_MIDDLE = 0.5
"""A line counts words × (body probability − this): what the model expects to be article text
counts for a reading, what it expects to be furniture against it."""
EDGE = 0.05
"""At the article's edges, a line the model gives a body probability under this is dropped
(realweb held out: 0.05 and 0.1 score alike, 0.2 loses article text; the lower keeps more)."""


def _bare(src):
    """`src` without what only the choice needs (the page's text, the other reading)."""
    return replace(src, other=None, page_text=(), page_blocks=(), spans=())


def page_bodies(model, texts: list) -> list:
    """Per text (a page's text, a block a line): the model's body probability of each line (None for
    a blank one). The lines' features are computed on both cores (`processes.on_both_cores`, as the
    cleaning's are); LightGBM predicts in this process (a forked child must not use OpenMP once its
    parent has), every page's lines in one call a stage (`apply.label_probabilities`)."""
    from ..orchestrate.processes import on_both_cores
    from . import features as F
    from .apply import label_probabilities
    from .stopwords import _lists as stoplists  # read once a process (cached): before the fork
    feats = on_both_cores("reading the saved pages", F.features, texts, [len(t) for t in texts], prepare=stoplists)
    _, probs = label_probabilities(model, [x for _, x in feats])
    out = []
    for text, (idx, _), p in zip(texts, feats, probs):
        bodies = [None] * len(text)
        for i, residue in zip(idx, p[:, 0] if len(idx) else []):
            bodies[i] = 1.0 - float(residue)
        out.append(bodies)
    return out


def body_of_blocks(src, bodies: list) -> dict:
    """Block index -> the model's body probability of that block of the page's text."""
    return {block: (b if b is not None else 1.0) for block, b in zip(src.page_blocks, bodies) if block is not None}


def line_bodies(src, bodies: dict) -> list:
    """Per line of `src`: the body probability of the page's blocks it came from (the likeliest of
    them); 1.0 for text found only in parts; None for a metadata line."""
    out = []
    for line, span in zip(src.lines, src.spans or [None] * len(src.lines)):
        if line.tag in META_TAGS:
            out.append(None)
        elif span is None:
            out.append(1.0)
        else:
            out.append(max(bodies.get(k, 1.0) for k in range(span[0], span[1] + 1)))
    return out


def worth(src, bodies: list) -> float:
    """Words the model expects to be the article less those it expects not to be."""
    return sum(len(line.text.split()) * (p - CHOICE_MIDDLE) for line, p in zip(src.lines, bodies) if p is not None)


def edges(src, bodies: list, keep: frozenset = frozenset()):
    """`src` without the lines at the start and end of its article the model is sure are furniture
    (none that staff said to keep: `keep`, lines as `kept_text` gives them)."""
    sure = [i for i, p in enumerate(bodies) if p is not None and p >= EDGE]
    if not sure:  # the model reads nothing as article: trafilatura's reading stands whole
        return src
    first, last = sure[0], sure[-1]
    gone = [i for i, p in enumerate(bodies) if p is not None and p < EDGE and (i < first or i > last)
            and kept_text(src.lines[i].text) not in keep]
    if not gone:
        return src
    removed = tuple(dropped(src.file, src.lines[i].number, src.lines[i].text, RULE, round(1.0 - bodies[i], 3))
                    for i in gone)
    drop = set(gone)
    return replace(src, lines=tuple(l for i, l in enumerate(src.lines) if i not in drop),
                   removed=src.removed + removed)


def choose(sources: list, model, keep=(), bodies=page_bodies) -> list:
    """Each saved page's reading the model prefers, trimmed at its edges, without what only the
    choice needed (`_bare`); every other source as it is. `keep`: lines staff said to keep
    (anthology.toml), never dropped here. `bodies(model, texts)`: the body probabilities of every
    line of every page's text (`page_bodies`; tests give a stand-in)."""
    keep = frozenset(kept_text(k) for k in keep)
    pages = [s for s in sources if s.page_text]
    read = dict(zip((s.file for s in pages), bodies(model, [list(s.page_text) for s in pages]))) if model and pages else {}
    out = []
    for src in sources:
        if src.file not in read:
            out.append(_bare(src) if src.page_text or src.other is not None else src)
            continue
        blocks = body_of_blocks(src, read[src.file])
        chosen, chosen_bodies = src, line_bodies(src, blocks)
        if src.other is not None:
            other_bodies = line_bodies(src.other, blocks)
            if worth(src.other, other_bodies) > worth(src, chosen_bodies):
                note = "trafilatura's balanced reading kept: the line model reads more of it as the article"
                chosen = replace(src.other, repairs=src.other.repairs + (note,))
                chosen_bodies = other_bodies
        out.append(_bare(edges(chosen, chosen_bodies, keep)))
    return out


def changed(chosen, ingested) -> bool:
    """Is `chosen` (from `choose`) another reading of the page than ingest's?"""
    return (chosen.lines, chosen.removed, chosen.repairs) != (ingested.lines, ingested.removed, ingested.repairs)
