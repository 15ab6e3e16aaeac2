"""Saved web pages: the article and its metadata found by trafilatura, as tagged, numbered lines.

trafilatura (with htmldate for the date) finds the page's main content and its metadata; its XML
(``output_format="xml"``: head, list, quote, table) is mapped to the lines structure recovery reads,
each tagged as ``pubpipe.read.ingest.Line.tag`` says: the headline from the page's metadata as ``title`` (not
the ``<title>`` line with its " – Site" suffix), the author as ``byline``, the site and date as
``dateline`` (``"SITE, YYYY-MM-DD"``), then ``heading``, ``p``, ``ul``/``ol`` items, ``quote`` and
``cite``. Only when trafilatura finds nothing does pubpipe's own reader (`pubpipe.read.dom`) read
the page.

Line numbers are those of the page's elements: each extracted piece of text is found again in the
text the page shows (`pubpipe.read.pagetext`), so a line is the source line of the element the text came from,
and on a minified page many lines share one number. What the page shows and the extraction left
out (menus, share buttons, related links, comments) is listed block by block, each block only with
the words that were left out of it, never as "the whole line".
"""

import re
from dataclasses import dataclass, replace
from typing import Optional
from urllib.parse import urlsplit

from pubpipe.inline import EM_CLOSE, EM_OPEN, MARKS, STRONG_CLOSE, STRONG_OPEN
from pubpipe.read.lines import Line
from pubpipe.read.pagetext import HEADINGS, SPACE, PageText, anchors, squeeze

# trafilatura's options, chosen by measurement over the realweb and modern pages (benchmarks/RESULTS.md,
# "Saved pages (issue 16)"): readers' comments are never the article. Without formatting: with it,
# trafilatura 2.3's tree loses the space after a bold or italic word ("<hi>Expercom</hi>is"); the
# headings, lists, quotes and tables are kept either way, and bold subheadings are read from the
# page itself (`_subheading`). favor_recall: 0.001 better F1 on both sets (balanced and favor_precision
# lost more words of the article than they kept menus out). deduplicate: never (its cache spans pages).
# The balanced reading is made too, beside this one: the line model chooses per page (recover/pages.py).
EXTRACT_OPTIONS = {"output_format": "xml", "include_formatting": False, "with_metadata": True,
                   "include_comments": False, "include_tables": True, "include_images": False,
                   "include_links": False, "favor_recall": True,
                   # htmldate without its free-text search: on the modern pages it added 18 dates, 13
                   # of them a bare year or month read as its first day (a copyright line's "2025" as
                   # 1 January 2025); on realweb, none. A wrong dateline is worse than none.
                   "date_extraction_params": {"original_date": True, "extensive_search": False}}
DASH = re.compile(r"^\s*(?:[–—―]|-{1,2})\s*(?=\S)")
SUBHEAD_MAX_WORDS = 12
CELL_SEPARATOR = " – "
"""Between the cells of a table row, which becomes one paragraph (pubpipe's model has no tables)."""


@dataclass(frozen=True)
class Page:
    """A saved page read: its tagged lines, what the page shows that was left out, and who read it."""

    lines: tuple
    """Tagged Lines (pubpipe.read.ingest.Line), in reading order."""
    left_out: tuple
    """(line, text) of each block of the page's text the reader left out (the words left out of it)."""
    reader: str
    """"trafilatura", or "html-reader" when pubpipe's own reader read the page."""
    url: Optional[str] = None
    """The page's own address, as it states it (trafilatura's metadata: its canonical link,
    ``og:url``…): an absolute http(s) URL, else None."""
    site: Optional[str] = None
    """The name of the site it was saved from (its ``og:site_name``…, else its host), else None."""
    spans: tuple = ()
    """For a page trafilatura read: per line of `lines`, the (first, last) index of the blocks of
    `text` it was found in; None for the metadata lines and for text found only in parts."""
    text: tuple = ()
    """For a page trafilatura read: the page's whole text as a scraper dump has it
    (`PageText.as_lines`): what `pubpipe.recover.pages` gives the line model."""
    text_blocks: tuple = ()
    """The block index of each line of `text` (None for its blank lines)."""
    other: Optional["Page"] = None
    """The page read by trafilatura with its balanced settings (`favor_recall` off), when that
    reading's article differs from this one's: `pubpipe.recover.pages` keeps the one the line
    model reads as more of an article."""


def page_url(value: Optional[str]) -> Optional[str]:
    """A page's stated address if it is one a reader can follow: absolute http or https, with a
    host, on one line; else None (a relative or ``javascript:`` link is no source)."""
    text = (value or "").strip()
    if not text or any(c.isspace() for c in text) or len(text) > 2000:
        return None
    parts = urlsplit(text)
    return text if parts.scheme.lower() in ("http", "https") and parts.hostname else None


# ---- trafilatura's XML to (tag, text) blocks ----------------------------------------------------

def _text(el) -> str:
    """An element's text with inline markup flattened; <lb/> as a line break."""
    for lb in el.iter("lb"):
        lb.text = "\n"
    return "".join(el.itertext())


def _one_line(text: str) -> str:
    """One line of single spaces (without pubpipe.inline's marks, which no page may forge)."""
    return " ".join(MARKS.sub("", text).split())


def _paragraph_lines(el, tag: str) -> list:
    """A paragraph's lines: one per part between <lb/>s (a <br> in the page)."""
    parts = [_one_line(p) for p in _text(el).split("\n")]
    return [(tag, p) for p in parts if p]


def _list_lines(el) -> list:
    """A list's items, nested lists' items after their parent item (flattened, in reading order)."""
    kind = "ol" if el.get("rend", "") == "ol" else "ul"
    out = []
    for item in list(el.iter("item")):
        parts = [item.text or ""]
        for child in item:
            if child.tag != "list":  # a nested list's items come on their own
                parts.append(_text(child))
            parts.append(child.tail or "")
        text = _one_line("".join(parts))
        if text:
            out.append((kind, text))
    return out


def _quote_lines(el) -> list:
    """A blockquote's paragraphs as quote lines (a dash line ending it: its attribution); a list in it
    (a call-out box) stays a list."""
    out = [("quote", t) if tag in ("p", "heading") else (tag, t) for tag, t in _container_lines(el)]
    if len(out) > 1 and out[-2][0] == out[-1][0] == "quote" and DASH.match(out[-1][1]) \
            and len(out[-1][1].split()) <= 16:
        out[-1] = ("cite", DASH.sub("", out[-1][1]))
    return out


def _table_lines(el) -> list:
    out = []
    for row in el.iter("row"):
        cells = [c for c in row if c.tag == "cell"]
        if any(len(c) and any(k.tag in ("p", "list", "head", "quote", "table") for k in c) for c in cells):
            for cell in cells:
                out += _container_lines(cell)
            continue
        texts = [_one_line(_text(c)) for c in cells]
        line = CELL_SEPARATOR.join(t for t in texts if t)
        if line:
            out.append(("row", line))  # a paragraph, found in the page cell by cell
    return out


def _container_lines(el) -> list:
    """(tag, text) of the blocks of a container (the <main> of trafilatura's XML, a cell, a div)."""
    out, loose = [], []

    def flush():
        text = _one_line("".join(loose))
        if text:
            out.append(("p", text))
        loose.clear()

    loose.append(el.text or "")
    for child in el:
        tag = child.tag
        if tag in ("hi", "ref", "del", "lb", "span"):
            loose.append("\n" if tag == "lb" else _text(child))
        else:
            flush()
            if tag == "head":
                text = _one_line(_text(child))
                if text:
                    out.append(("heading", text))
            elif tag == "p" or tag == "code":
                out += _paragraph_lines(child, "p")
            elif tag == "list":
                out += _list_lines(child)
            elif tag == "quote":
                out += _quote_lines(child)
            elif tag == "table":
                out += _table_lines(child)
            elif tag != "graphic":
                out += _container_lines(child)
        loose.append(child.tail or "")
    flush()
    return out


# ---- the page --------------------------------------------------------------------------------

def _names(author: str) -> str:
    """trafilatura's "A; B; C" as "A, B and C"."""
    names = [n.strip() for n in author.split(";") if n.strip()]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _same(a: str, b: str) -> bool:
    return squeeze(a).casefold() == squeeze(b).casefold()


SITE_SEPARATOR = re.compile(r"\s+[|–—·:-]{1,2}\s+")
OPENING_BLOCKS = 3
"""How far into the article a heading that repeats the headline is looked for."""


def _without_site(title: str, site: str) -> str:
    """The title without the site's name before or after a separator ("Story | Site", "Site – Story")."""
    parts = SITE_SEPARATOR.split(title)
    if site and len(parts) > 1:
        if _same(parts[-1], site):
            return title[:title.rfind(parts[-1])].rstrip(" |–—·:-")
        if _same(parts[0], site):
            return title[len(parts[0]):].lstrip(" |–—·:-")
    return title


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"\w+", text.casefold())) + " "


def _headline(title: str, blocks: list) -> tuple:
    """(title, blocks): a heading among the article's first blocks that is the headline (it holds the
    metadata title, is one side of a separator in it, or most of it) is taken out of the body, and
    titles the story as the page shows it (the metadata title when the heading is all capitals).
    Without a title, an opening heading is the title."""
    for k, (tag, text) in enumerate(blocks[:OPENING_BLOCKS]):
        if title and _same(text, title):
            return title, blocks[:k] + blocks[k + 1:]
        if tag != "heading":
            continue
        if not title:
            return text, blocks[:k] + blocks[k + 1:]
        shown, meta = _words(text), _words(title)
        part = any(_same(p, text) for p in SITE_SEPARATOR.split(title))  # "Headline | decoration"
        if shown.strip() and (meta in shown or part or shown in meta and len(shown.split()) >= 0.6 * len(meta.split())):
            best = title if text.isupper() and not title.isupper() else text
            return best.rstrip(":").strip(), blocks[:k] + blocks[k + 1:]
    return title, blocks


def _title_place(text: PageText, title: str, fallback: int) -> int:
    """The line of the headline: where the page shows it in a heading, else where it shows it at all,
    else the line of its <title>/<meta> (`fallback`)."""
    piece = squeeze(title)
    hits = text.occurrences(piece, limit=50) if piece else []
    best = next((i for i in hits if text.tag_at(i) in HEADINGS), hits[0] if hits else None)
    if best is None:
        return fallback
    text.mark(best, len(piece))
    return text.line_at(best)


def _meta_line(tree) -> int:
    found = tree.xpath("//title") or tree.xpath("//meta[@property='og:title']")
    return (found[0].sourceline or 1) if found else 1


def _byline_place(text: PageText, name: str) -> Optional[int]:
    """Where the page shows the author's name in a short block of its own ("By Jane Doe")."""
    piece = squeeze(name)
    for i in text.occurrences(piece, limit=20) if piece else []:
        block = text.block_at(i)
        if text.starts[block + 1] - text.starts[block] <= len(piece) + 20:
            text.mark(i, len(piece))
            return text.line_at(i)
    return None


def _subheading(text: PageText, start: Optional[int], end: int, body: str) -> bool:
    """A paragraph that is a whole block of the page, all of it bold, short, starting with a letter or
    digit (not "[Source]" or "– name") and without closing punctuation: the subheading of a page
    whose editor made headings bold instead of <h2>."""
    block = text.whole_block(start, end) if start is not None else None
    return block is not None and block.bold and len(body.split()) <= SUBHEAD_MAX_WORDS \
        and body[:1].isalnum() and not body.endswith((".", ",", ";", ":"))


def _attributions(tree) -> set:
    """The attributions of the page's blockquotes (their <footer> or <cite>), squeezed and casefolded.
    trafilatura drops a <footer> wherever it is: a blockquote's becomes a <cite>, which it keeps."""
    found = set()
    for quote in tree.iter("blockquote"):
        for el in quote.iter("footer", "cite"):
            found.add(squeeze(DASH.sub("", el.text_content())).casefold())
            el.tag = "cite"
    return found - {""}


def _mark_attributions(blocks: list, cites: set) -> list:
    """The last line of a run of quote lines that is one of the page's attributions is a cite."""
    out = list(blocks)
    for k, (tag, body) in enumerate(out):
        last = k + 1 == len(out) or out[k + 1][0] != "quote"
        if tag == "quote" and last and k and out[k - 1][0] == "quote" \
                and squeeze(DASH.sub("", body)).casefold() in cites:
            out[k] = ("cite", DASH.sub("", body))
    return out


def _extract(tree, options: dict = EXTRACT_OPTIONS):
    """trafilatura's Document for the page, or None: its metadata, and as `body` the XML tree that
    `extract(..., output_format="xml")` would serialise (walked as it is: no string and parse back)."""
    from trafilatura import bare_extraction
    return bare_extraction(tree, **options)


def read_page(markup: str) -> Page:
    """The article of a saved page as tagged, numbered Lines, with what the page shows that was left
    out; with the page's text and trafilatura's balanced reading beside it (`Page.other`) for the
    line model to choose from (`pubpipe.recover.pages`)."""
    from trafilatura import load_html
    tree = load_html(markup)
    if tree is None:
        return _own_reader(markup)
    text = PageText(tree.find("body") if tree.find("body") is not None else tree)
    cites = _attributions(tree)
    page = _reading(tree, text, cites, EXTRACT_OPTIONS)
    if page is None:
        return _own_reader(markup, text)
    # trafilatura's extraction changes the tree it is given: the second reading gets its own
    other = _reading(load_html(markup), text.fresh(), cites, {**EXTRACT_OPTIONS, "favor_recall": False})
    if other is not None and [l.text for l in other.lines] == [l.text for l in page.lines]:
        other = None
    lines, blocks = text.as_lines()
    return replace(page, text=tuple(lines), text_blocks=tuple(blocks), other=other)


def _reading(tree, text: PageText, cites: set, options: dict) -> Optional[Page]:
    """The page as trafilatura reads it with `options` (None when it finds no article)."""
    doc = _extract(tree, options)
    blocks = _container_lines(doc.body) if doc is not None and doc.body is not None else []
    if not blocks:
        return None
    site = _one_line(doc.sitename or doc.hostname or "")  # the page's own name for its site, else its host
    title, blocks = _headline(_without_site(_one_line(doc.title or ""), site), blocks)
    title = title or _without_site(_one_line(tree.findtext(".//head/title") or ""), site)
    head = [Line(_title_place(text, title, _meta_line(tree)), title, "title")] if title else []
    body, spans = _body_lines(text, _mark_attributions(blocks, cites))
    head_spans = [None] * len(head)
    if not head:  # no headline anywhere: the first block opens the story (structure titles it)
        head, body, head_spans, spans = body[:1], body[1:], spans[:1], spans[1:]
    meta = _meta_lines(text, doc, site, head[0].number if head else 1)
    return Page(tuple(head + meta + body), tuple(text.left_out()), "trafilatura", page_url(doc.url), site or None,
                tuple(head_spans + [None] * len(meta) + spans))


def _meta_lines(text: PageText, doc, site: str, near: int) -> list:
    """The page's site and date (one `dateline` line) and author (`byline`), on the line where the
    page shows the author's name, else on the headline's (`near`)."""
    out = []
    if doc.date:
        out.append(Line(near, f"{site}, {doc.date}" if site else doc.date, "dateline"))
    author = _one_line(doc.author or "")
    if author and not _same(author, site):
        name = _names(author)
        out.append(Line(_byline_place(text, name) or near, name, "byline"))
    return out


def _body_lines(text: PageText, blocks: list) -> tuple:
    """(the article's blocks as Lines, each numbered by where the page shows it (see PageText.place);
    the (first, last) blocks of `text` each was found in, None when found only in parts)."""
    out, spans, cursor = [], [], 0
    sure = anchors(text, [body for _, body in blocks])
    for k, (tag, body) in enumerate(blocks):
        hi = next((a for j, a in sure if j > k), None)
        if tag == "row":  # a table row: its cells, one after the other
            found, first = [], None
            for cell in body.split(CELL_SEPARATOR):
                line, start, cursor = text.place(cell, cursor, hi)
                found.append(line)
                first = start if first is None else first
            line, tag = next((n for n in found if n is not None), None), "p"
            span = text.blocks_of(first, cursor) if first is not None else None
        else:
            line, start, cursor = text.place(body, cursor, hi)
            span = text.blocks_of(start, cursor) if start is not None else None
            if tag == "p" and _subheading(text, start, cursor, body):
                tag = "heading"
            elif tag in ("p", "quote", "ul", "ol") and start is not None:
                body = _with_emphasis(text, body, start, cursor)
        out.append(Line(line or text.line_at(cursor), body, tag))
        spans.append(span)
    return out, spans


def _with_emphasis(text: PageText, body: str, start: int, end: int) -> str:
    """The block's text with pubpipe.inline's marks around the words the page sets in <em>/<i> or
    <strong>/<b> (found where `PageText.place` found the text: trafilatura's own formatting output
    loses the space after an emphasised word). Emphasis over the block's whole text is its style,
    not a word's: left out, as pubpipe's own reader does."""
    flags = text.emphasis[start:end]
    if not any(flags):
        return body
    per, k = [], 0
    for ch in body:
        if SPACE.match(ch):
            per.append(None)
            continue
        if k >= len(flags):
            return body
        per.append(flags[k])
        k += 1
    if k != len(flags):
        return body
    seen = [f for f in per if f is not None]
    whole = frozenset.intersection(*seen) if seen else frozenset()
    for i, f in enumerate(per):  # a space is inside what both its neighbours are in
        if f is None:
            before = next((per[j] for j in range(i - 1, -1, -1) if per[j] is not None), frozenset())
            after = next((per[j] for j in range(i + 1, len(per)) if per[j] is not None), frozenset())
            per[i] = before & after
    out, current = [], frozenset()
    for ch, f in zip(body, per):
        f = f - whole
        for kind, opener, closer in (("em", EM_OPEN, EM_CLOSE), ("strong", STRONG_OPEN, STRONG_CLOSE)):
            if kind in current and kind not in f:
                out.append(closer)
            elif kind in f and kind not in current:
                out.append(opener)
        out.append(ch)
        current = f
    out += [closer for kind, closer in (("em", EM_CLOSE), ("strong", STRONG_CLOSE)) if kind in current]
    return "".join(out)


def _own_reader(markup: str, text: Optional[PageText] = None) -> Page:
    """pubpipe's own reader (`pubpipe.read.dom`), when trafilatura finds nothing."""
    from pubpipe.read.dom import html_lines
    lines = html_lines(markup)
    if text is not None:
        for line in lines:
            text.place(line.text)
    return Page(lines, tuple(text.left_out()) if text is not None else (), "html-reader")
