"""What the web output gives other programs: ``snippets.json`` for a CMS and ``feed.xml`` (Atom).

Both are built from the cards ``pubpipe.render.web.site`` computes once per story; every piece of HTML they
carry has been through ``web_safe.clean_fragment``.
"""

import json
import xml.etree.ElementTree as ET

from pubpipe.render.templates import render_template
from pubpipe.render.web.sanitize import clean_fragment

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def snippets_json(cards: list[dict], snippets: list[str], updated: str) -> str:
    """snippets.json: one record per story, for staff embedding stories elsewhere (HTML-safe JSON).

    Each record: id, title, dek, url (relative to ``web/``, or absolute with a base URL), html
    (the snippet, byte for byte the file ``snippets/<id>.html``), language, reading_minutes,
    author and published (the story's, as its sources say, or null), updated (the build's date).
    """
    records = [{"id": c["id"], "title": c["story"].title, "dek": c["dek"], "url": c["public_url"],
                "html": html, "language": c["story"].language, "reading_minutes": c["minutes"],
                "author": c["story"].author, "published": c["date"] or None,
                "updated": updated} for c, html in zip(cards, snippets)]
    text = json.dumps(records, ensure_ascii=False, indent=2)
    # Same data once parsed; but no raw "<" means it is safe even pasted into a <script>.
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") + "\n"


def atom_feed(anthology, cards: list[dict], updated: str, base_url: str) -> str:
    """An Atom feed (RFC 4287) with one entry per story, built with ElementTree. ``updated``: the
    build's moment (W3C date-time; Atom requires one), the ``updated`` of an entry whose story has no
    date of its own."""
    def add(parent, tag, text=None, **attrs):
        element = ET.SubElement(parent, tag, attrs)
        element.text = text
        return element
    stamp = updated if "T" in updated else f"{updated}T00:00:00Z"
    feed = ET.Element("feed", {"xmlns": ATOM, XML_LANG: anthology.language})
    add(feed, "id", f"urn:pubpipe:{anthology.slug}")
    add(feed, "title", anthology.title)
    if anthology.subtitle:
        add(feed, "subtitle", anthology.subtitle)
    add(feed, "updated", stamp)
    add(add(feed, "author"), "name", anthology.author or anthology.publisher or anthology.title)
    add(feed, "link", rel="self", type="application/atom+xml", href=base_url + "feed.xml")
    add(feed, "link", rel="alternate", type="text/html", href=base_url + "index.html")
    add(feed, "generator", "pubpipe")
    for card in cards:
        _entry(add, feed, card, stamp, base_url)
    ET.indent(feed)
    return ET.tostring(feed, encoding="unicode") + "\n"


def _entry(add, feed: ET.Element, card: dict, stamp: str, base_url: str) -> None:
    """One story's entry: id, title, dates, author, link, the dek as summary, the story as HTML."""
    story = card["story"]
    entry = add(feed, "entry", **({XML_LANG: story.language} if card["own_lang"] else {}))
    add(entry, "id", card["urn"])
    add(entry, "title", story.title)
    add(entry, "updated", f"{card['date']}T00:00:00Z" if card["date"] else stamp)
    if card["date"]:
        add(entry, "published", f"{card['date']}T00:00:00Z")
    if story.author:
        add(add(entry, "author"), "name", story.author)
    add(entry, "link", rel="alternate", type="text/html", href=base_url + card["url"])
    add(entry, "summary", card["dek"])
    html = clean_fragment(render_template("web/feed-content.html.j2", card=card).strip())
    add(entry, "content", str(html), type="html")


__all__ = ["snippets_json", "atom_feed"]
