"""Markdown files (.md, .markdown) read as sources: markdown-it-py (CommonMark; pubpipe.inline
already uses it for emphasis) turns the file into HTML, which goes into the saved-page path
(`pubpipe.read.dom`) as a Word document's does, so the structure the writer marked — title,
headings, lists, quotes, emphasis — is kept instead of guessed, and no ``#`` or ``*`` reaches a reader.

- A level-1 heading (``# Title``, or a line underlined with ``===``) is a story's title: each one
  starts a story, as an ``<h1>`` does in a saved page. Other headings are headings.
- A front-matter block at the top (YAML between ``---`` lines, as Jekyll, Hugo and Pandoc write
  it; or TOML between ``+++`` lines, as Hugo may) gives the story its ``title`` when the text
  does not open with a level-1 heading, and its ``author`` (or ``authors``) and ``date`` as
  byline and dateline. Front matter that is not a mapping is left as the file's text.
- Links keep their words (not their addresses); images, and raw HTML's scripts, forms and menus, are left out.
- A file named .md that shows no Markdown at all (no heading, list, quote, link, code fence or
  front matter: a browser copy saved under that name, one paragraph a line) is read as plain text,
  where the line model reads it, rather than having its lines run together as Markdown would.
- Line numbers are the Markdown file's own: each block's HTML is put on the line its Markdown
  starts on, so `removed` and the report point into the file staff edit.
"""

import datetime
import re

from pubpipe.read.lines import Line, one_line

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
TOML_FRONT_MATTER = re.compile(r"\A\+\+\+[ \t]*\n(.*?\n)?\+\+\+[ \t]*(?:\n|\Z)", re.S)
MARKDOWN_SIGNS = re.compile(
    r"\A(?:---|\+\+\+)[ \t]*\n"                # front matter
    r"|^ {0,3}#{1,6}[ \t]+\S"                  # an ATX heading
    r"|^ {0,3}\S[^\n]*\n {0,3}(?:=+|-{2,})[ \t]*$"  # a setext heading
    r"|^ {0,3}(?:[-*+]|\d{1,9}[.)])[ \t]+\S"     # a list item
    r"|^ {0,3}>"                                # a quote
    r"|^ {0,3}(?:```|~~~)"                      # a code fence
    r"|!?\[[^\]\n]+\]\([^)\s]+[^)\n]*\)",          # a link or an image
    re.M)
FRONT_MATTER_LINES = 200
"""A front-matter block longer than this is not one (a document that opens with a rule)."""


def looks_like_markdown(text: str) -> bool:
    """Whether the text shows any of Markdown's own syntax (`MARKDOWN_SIGNS`)."""
    return MARKDOWN_SIGNS.search(text) is not None


def _parser():
    from markdown_it import MarkdownIt
    # CommonMark as written (raw HTML allowed: the saved-page reader drops what is not text);
    # no tables or other extensions: a table stays a paragraph of its words rather than being lost
    return MarkdownIt("commonmark")


def _front_matter(text: str) -> tuple:
    """(the front matter as a dict, or None; the number of lines it takes)."""
    found = FRONT_MATTER.match(text) or TOML_FRONT_MATTER.match(text)
    if found is None or found.group(0).count("\n") > FRONT_MATTER_LINES:
        return None, 0
    if found.re is TOML_FRONT_MATTER:  # Hugo's
        import tomllib
        try:
            meta = tomllib.loads(found.group(1) or "")
        except tomllib.TOMLDecodeError:
            return None, 0
    else:
        import yaml
        try:
            meta = yaml.safe_load(found.group(1) or "")
        except yaml.YAMLError:
            return None, 0
    if not isinstance(meta, dict):
        return None, 0
    return {str(k).strip().lower(): v for k, v in meta.items()}, found.group(0).count("\n")


def _authors(value) -> str:
    """An author field as a byline's names: a string, a list of strings, or of mappings with a name."""
    if isinstance(value, dict):
        value = value.get("name")
    if isinstance(value, (list, tuple)):
        names = [_authors(v) for v in value]
        names = [n for n in names if n]
        if len(names) < 2:
            return "".join(names)
        return ", ".join(names[:-1]) + " and " + names[-1]
    return one_line(value)


def _date(value) -> str:
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return one_line(value)


def _key_line(text: str, key: str, size: int) -> int:
    """The 1-based line of `key:` (YAML) or `key =` (TOML), or its plural, in the front matter (its
    first line when not found)."""
    for number, line in enumerate(text.split("\n")[:size], start=1):
        if re.match(rf"\s*{re.escape(key)}s?\s*[:=]", line, re.I):
            return number
    return 2


def markdown_html(text: str) -> str:
    """The Markdown `text` as HTML, each block starting on the line its Markdown starts on."""
    md = _parser()
    env: dict = {}
    tokens = md.parse(text, env)
    renderer = md.renderer
    out, line = [], 0  # line: the line breaks written so far
    for i, token in enumerate(tokens):
        if token.map and token.nesting >= 0 and token.type != "inline" and token.map[0] > line:
            out.append("\n" * (token.map[0] - line))
            line = token.map[0]
        # what RendererHTML.render does for each token, with the whole stream at hand
        if token.type == "inline":
            piece = renderer.renderInline(token.children or [], md.options, env)
        elif token.type in renderer.rules:
            piece = renderer.rules[token.type](tokens, i, md.options, env)
        else:
            piece = renderer.renderToken(tokens, i, md.options, env)
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        if token.nesting == 1 and token.map and following is not None and following.map \
                and following.map[0] == token.map[0] and piece.endswith("\n"):
            piece = piece[:-1]  # a list's first item, a quote's first paragraph: on the line they share
        out.append(piece)
        line += piece.count("\n")
    return "".join(out)


def markdown_lines(text: str) -> tuple:
    """The Markdown `text` (decoded and normalised) as tagged, numbered Lines."""
    from pubpipe.read.dom import html_lines, mark_attributions
    meta, size = _front_matter(text)
    lines = text.split("\n")
    body = "\n" * size + "\n".join(lines[size:]) if meta is not None else text
    # "— Name" closing a quote is its attribution, as in a Word document
    read = list(html_lines(markdown_html(body), prepare=mark_attributions))
    if meta is None:
        return tuple(read)
    opens_titled = bool(read) and read[0].tag == "title"

    def where(key: str) -> int:  # with the text's own title, the metadata is on its line
        return read[0].number if opens_titled else _key_line(text, key, size)
    head = []
    title = one_line(meta.get("title"))
    if title and not opens_titled:
        head.append(Line(where("title"), title, "title"))
    author = _authors(meta.get("author", meta.get("authors")))
    if author:
        head.append(Line(where("author"), author, "byline"))
    date = _date(meta.get("date"))
    if date:
        head.append(Line(where("date"), date, "dateline"))
    return tuple(read[:1] + head + read[1:]) if opens_titled else tuple(head + read)
