"""Web pages saved from a browser, read as sources: the article's blocks as tagged lines.

The article (``<article>``, ``<main>``, ``role=main``, else ``<body>``) is kept: its title,
headings, paragraphs, lists, blockquotes with their ``<cite>``/``<footer>``, captions and byline;
navigation, scripts, styles, forms, site headers and footers, asides and cookie banners are dropped.
Line numbers are those of the elements in the HTML file (beautifulsoup4's ``sourceline``);
each line carries its tag, so structure recovery need not guess what the page already says.
"""

import re

from bs4 import BeautifulSoup, Tag

from pubpipe import inline
from pubpipe.read.lines import INVISIBLE, Line

CHROME = ["script", "style", "noscript", "template", "nav", "form", "iframe", "svg", "button", "select",
          "input", "menu", "dialog", "aside"]
BLOCKS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "figcaption", "dt", "dd"]
BYLINE_CLASSES = ("byline", "author", "by-line", "article-author")


def _text(tag: Tag) -> str:
    """The tag's text with inline markup flattened: no space invented before punctuation."""
    for br in tag.find_all("br"):
        br.replace_with("\n")
    return " ".join(tag.get_text().split())


def _main(soup: BeautifulSoup) -> Tag:
    """The element most likely to hold the article."""
    for found in (soup.find("article"), soup.find("main"), soup.find(attrs={"role": "main"}), soup.body):
        if found is not None and _text(found):
            return found
    return soup


def _drop_chrome(soup: BeautifulSoup, root: Tag) -> None:
    """Remove page furniture; a header or footer is furniture unless it belongs to the article or a quote."""
    for name in CHROME:
        for tag in soup.find_all(name):
            tag.decompose()
    for tag in soup.find_all(["header", "footer"]):
        if root not in tag.parents and tag is not root:
            tag.decompose()  # the site's own header or footer, not the article's
    for tag in soup.find_all(attrs={"role": ["dialog", "banner", "contentinfo", "navigation", "complementary"]}):
        tag.decompose()
    for tag in soup.find_all(class_=lambda c: c and any(k in c.lower() for k in ("cookie", "share", "newsletter", "related", "subscribe"))):
        tag.decompose()


def _classes(tag: Tag) -> str:
    return " ".join(tag.get("class") or []).lower()


def _line(tag: Tag, text: str, kind: str) -> Line:
    return Line(tag.sourceline or 1, text, kind)


def _quote_lines(tag: Tag) -> list:
    cite = tag.find(["cite", "footer"])
    who = _text(cite) if cite is not None else ""
    if cite is not None:
        cite.extract()
    paras = [_text(p) for p in tag.find_all("p")] or [_text(tag)]
    out = [_line(tag, p, "quote") for p in paras if p]
    if who:
        out.append(Line(cite.sourceline or tag.sourceline or 1, who.lstrip("—–-― ").strip(), "cite"))
    return out


def _block_lines(tag: Tag) -> list:
    text = _text(tag)
    if tag.name == "blockquote":
        return _quote_lines(tag)
    if not text:
        return []
    if tag.name == "h1":
        return [_line(tag, text, "title")]
    if tag.name in ("h2", "h3", "h4", "h5", "h6"):
        return [_line(tag, text, "heading")]
    if tag.name == "li":
        return [_line(tag, text, "ol" if tag.find_parent("ol") is not None else "ul")]
    if tag.name == "figcaption":
        return [_line(tag, text, "caption")]
    if any(k in _classes(tag) for k in BYLINE_CLASSES):
        return [_line(tag, text, "byline")]
    return [_line(tag, text, "p")]


DASH = re.compile(r"^\s*[—–―-]+\s*")


def mark_attributions(soup: BeautifulSoup) -> None:
    """A quote's attribution as its ``<footer>``: its last paragraph, or a short paragraph right after
    it, that starts with a dash (a Word document, a Markdown file: a saved page marks its own)."""
    for quote in soup.find_all("blockquote"):
        paragraphs = quote.find_all("p", recursive=False)
        last = paragraphs[-1] if len(paragraphs) > 1 else None
        after = quote.find_next_sibling()
        if last is not None and DASH.match(last.get_text()) and len(last.get_text().split()) <= 15:
            last.name = "footer"
        elif after is not None and after.name == "p" and DASH.match(after.get_text()) \
                and len(after.get_text().split()) <= 15:
            quote.append(after.extract())
            after.name = "footer"


EMPHASIS = {"em": "em", "i": "em", "strong": "strong", "b": "strong"}


def _mark_emphasis(root: Tag) -> None:
    """Put pubpipe.inline's marks around the words a page sets in <em>/<i> or <strong>/<b>. Not around
    a block's whole text: that is the block's style (a bold line as a subheading, an italic note), and
    the rules that read a line's first and last words see it as it is."""
    for text in root.find_all(string=True):
        if INVISIBLE.search(text):  # a page cannot forge the marks (entities are decoded only now)
            text.replace_with(INVISIBLE.sub("", text))
    for el in root.find_all(list(EMPHASIS)):
        block = el.find_parent(BLOCKS) or el.parent
        words = " ".join(el.get_text().split())
        if not words or block is None or words == " ".join(block.get_text().split()):
            continue
        kind = EMPHASIS[el.name]
        el.insert(0, inline.EM_OPEN if kind == "em" else inline.STRONG_OPEN)
        el.append(inline.EM_CLOSE if kind == "em" else inline.STRONG_CLOSE)


def html_lines(markup: str, prepare=None) -> tuple:
    """The article of an HTML page as tagged, numbered Lines (words set in emphasis marked, pubpipe.inline).
    `prepare`: a function given the parsed page first (it keeps the elements' line numbers, which
    writing the page out and parsing it again would not)."""
    soup = BeautifulSoup(markup, "html.parser")
    if prepare is not None:
        prepare(soup)
    root = _main(soup)
    _drop_chrome(soup, root)
    _mark_emphasis(root)
    out: list[Line] = []
    if root.find("h1") is None and soup.title is not None and _text(soup.title):
        out.append(_line(soup.title, _text(soup.title), "title"))
    for tag in root.find_all(BLOCKS):
        if tag.find_parent(["blockquote", "li", "figcaption"]) is not None:
            continue  # its text is part of the enclosing block
        if tag.name == "p" and tag.find_parent(["dd", "dt"]) is not None:
            continue
        out.extend(_block_lines(tag))
    return tuple(out)
