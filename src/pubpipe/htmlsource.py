"""Web pages saved from a browser, read as sources: the article's text in the shape of a text source.

Headings become bare short lines, paragraphs one line each, list items ``- `` lines, blockquotes
quoted lines; navigation, scripts, styles, forms, headers and footers are dropped. Line numbers are
those of the element in the HTML file (beautifulsoup4's ``sourceline``).
"""

from bs4 import BeautifulSoup, NavigableString, Tag

from .ingest import Line

DROP = ["script", "style", "noscript", "template", "nav", "form", "footer", "header", "aside",
        "iframe", "svg", "button", "select", "input", "menu", "dialog"]
BLOCKS = {"h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "blockquote", "pre", "dt", "dd", "figcaption", "tr"}


def _text(tag: Tag) -> str:
    return " ".join(tag.get_text(" ", strip=True).split())


def _main(soup: BeautifulSoup) -> Tag:
    """The element most likely to hold the article: <article>, <main>, role=main, else <body>."""
    for finder in (lambda: soup.find("article"), lambda: soup.find("main"),
                   lambda: soup.find(attrs={"role": "main"}), lambda: soup.body):
        found = finder()
        if found is not None and _text(found):
            return found
    return soup


def html_lines(markup: str) -> tuple:
    """The article of an HTML page as numbered Lines, blank lines between blocks."""
    soup = BeautifulSoup(markup, "html.parser")
    for name in DROP:
        for tag in soup.find_all(name):
            tag.decompose()
    root = _main(soup)
    out: list[Line] = []
    title = soup.title.get_text(strip=True) if soup.title else ""
    if title and not root.find(["h1"]):
        out += [Line(soup.title.sourceline or 1, title), Line(soup.title.sourceline or 1, "")]
    for tag in root.find_all(list(BLOCKS)):
        if tag.find_parent(list(BLOCKS - {"tr"})) is not None and tag.name != "li":
            continue  # nested block: its text is part of the enclosing block's
        text = _text(tag)
        if not text:
            continue
        line = tag.sourceline or 1
        if tag.name == "li":
            marker = "1. " if tag.find_parent("ol") is not None else "- "
            out.append(Line(line, marker + text))
        elif tag.name == "blockquote":
            paras = [_text(p) for p in tag.find_all("p")] or [text]
            cite = tag.find(["cite", "footer"])
            out.extend(Line(line, f"“{p}”") for p in paras if p and (cite is None or p != _text(cite)))
            if cite is not None:
                out.append(Line(cite.sourceline or line, "— " + _text(cite)))
        else:
            out.append(Line(line, text))
        if tag.name != "li":
            out.append(Line(line, ""))
    return tuple(out)
