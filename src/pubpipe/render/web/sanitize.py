"""The last line of defence of the web output: an nh3 allow-list over every HTML fragment.

Source text reaches the templates as text (Jinja autoescape), so the fragments pubpipe renders
hold only its own markup. Every fragment that leaves as HTML for somebody else to embed or show
(story bodies, snippets, the HTML in snippets.json and in the feed) still passes through
``clean_fragment``: even a template bug cannot let a script, an event handler, a ``javascript:``
link, a style or a remote image through. On pubpipe's own markup it changes nothing.
"""

import nh3
from markupsafe import Markup

TAGS = frozenset({
    "a", "article", "aside", "blockquote", "div", "em", "figcaption", "figure", "h2", "h3", "h4",
    "br", "header", "li", "ol", "p", "span", "strong", "time", "ul",
})
"""The elements a story fragment may hold (no img, no iframe, no form, no script, no style)."""

ATTRIBUTES = {
    "*": {"class", "id", "lang", "dir"},
    "a": {"href", "rel"},
    "aside": {"role"},
    "time": {"datetime"},
}
"""Attributes kept per element; no ``on*`` handler and no ``style`` is ever kept."""

URL_SCHEMES = frozenset({"http", "https", "mailto"})
"""Schemes an absolute link may use (``javascript:``, ``data:``… are dropped); relative links stay."""

DROP_WITH_CONTENT = frozenset({"script", "style", "template", "noscript", "iframe", "object", "svg", "math"})
"""Elements removed together with everything inside them."""


def clean_fragment(html: str) -> Markup:
    """``html`` with everything outside the allow-list removed, as Markup for the templates."""
    cleaned = nh3.clean(
        str(html),
        tags=set(TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=None,
        strip_comments=True,
    )
    return Markup(cleaned)


__all__ = ["clean_fragment", "TAGS", "ATTRIBUTES", "URL_SCHEMES"]
