"""The web output: a readers' index, a page per story, embeddable snippets and a feed.

Everything is rendered from the frozen model with the shared Jinja environment
(autoescape on), so source text always reaches the page as text; every HTML fragment
(story bodies, snippets, the HTML in snippets.json and the feed) also passes the nh3
allow-list of ``web_safe``. The cover is the EPUB's (``web_cover``); snippets.json and the
feed are built in ``web_feed``. Outputs depend only on the input (and SOURCE_DATE_EPOCH):
two builds are byte-identical.

`render` is the web renderer's entry point (see `pubpipe.render`): the site (`site_of`), the
stories' pages in batches (`batches`, `render_batch`: a cached task each in the publish flow) and
the folder's files put together (`assemble`), each step through a runner (`pubpipe.orchestrate.runner`).
"""

import dataclasses
import re
from dataclasses import dataclass
from urllib.parse import quote

from markupsafe import escape

from pubpipe import dates
from pubpipe.render import labels
from pubpipe.config import is_base_url
from pubpipe.units import human_size
from pubpipe.render.templates import environment, render_template, styles_dir
from pubpipe.model import Anthology, Story
from pubpipe.render import Rendered
from pubpipe.render.web.cover import cover_facts, cover_image
from pubpipe.render.web.feed import atom_feed, snippets_json
from pubpipe.render.web.fonts import web_fonts
from pubpipe.render.web.sanitize import clean_fragment

WORDS_PER_MINUTE = 230
CJK_CHARS_PER_MINUTE = 400
SNIPPET_PREFIX = "pp-"
FOLDER = "web"
"""The web output's folder, inside the output folder."""
LANGUAGE_NAMES = {
    "ar": "Arabic", "de": "German", "en": "English", "es": "Spanish", "fr": "French",
    "it": "Italian", "ja": "Japanese", "ko": "Korean", "nl": "Dutch", "pt": "Portuguese",
    "ru": "Russian", "zh": "Chinese", "zh-cn": "Chinese", "zh-tw": "Chinese", "und": "Undetermined",
}
_KINDS = {"pdf": ("PDF for reading", "A5 pages, for screens and tablets", "application/pdf"),
          "print": ("Print edition", "A4 sheets printed on both sides, folded into an A5 booklet", "application/pdf"),
          "epub": ("EPUB", "E-book for reading apps", "application/epub+zip")}
DOWNLOADS = "downloads"
"""The downloads' folder inside ``web/``: the PDFs and the EPUB are copied there, so the links work
wherever ``web/`` alone is published (they are also beside ``web/``, as the contract says)."""
_SAFE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_SENTENCE = re.compile(r"\S.*?(?:[.!?。！？…]+[\"'”’»)\]]*(?=\s|$)|$)", re.S)


@dataclass(frozen=True)
class Download:
    """A file readers can download, in ``web/downloads/``."""

    kind: str
    """``"pdf"`` (the reading edition), ``"print"`` (the print edition) or ``"epub"``."""
    filename: str
    """The file's name (no folder), e.g. ``stories-of-courage.pdf``."""
    size_bytes: int
    """Its size in bytes, shown as ``1.2 MB``."""
    pages: int | None = None
    """Its page count, when it has pages (the PDF)."""
    sheets: int | None = None
    """The print edition: sheets of A4 paper."""
    signatures: int = 1
    """The print edition: sections folded each on its own (1: one booklet, stapled)."""
    data: bytes | None = dataclasses.field(default=None, repr=False, compare=False)
    """The file itself, copied into ``web/downloads/``; None when it is put there otherwise."""

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown download kind {self.kind!r} (expected pdf, print or epub)")
        if not self.filename or "/" in self.filename or "\\" in self.filename:
            raise ValueError(f"download filename must be a bare file name, not {self.filename!r}")


def reading_minutes(story: Story) -> int:
    """Minutes to read the story (at least 1): about 230 words a minute, and 400 characters a
    minute of Chinese or Japanese script, which has no spaces between words."""
    text = " ".join(b.words() for b in story.blocks)
    cjk = len(_CJK.findall(text))
    # (a word that starts with a letter or digit is one without looking further: most are; every
    # character of every word looked at was 0.04-0.08 s of the web's assembly at 100 stories)
    words = sum(1 for w in _CJK.sub(" ", text).split() if w[0].isalnum() or any(c.isalnum() for c in w))
    return max(1, round(words / WORDS_PER_MINUTE + cjk / CJK_CHARS_PER_MINUTE))


def dek(story: Story, limit: int = 240) -> str:
    """The first sentence or two of the story's first paragraph, as a teaser."""
    source = next((b.text for b in story.blocks if b.type == "paragraph" and b.text.strip()), "")
    source = " ".join((source or story.subtitle or "").split())
    sentences = [m.group(0).strip() for m in _SENTENCE.finditer(source)]
    text = sentences[0] if sentences else ""
    if len(sentences) > 1 and len(text) < 100 and len(text) + len(sentences[1]) < limit:
        text += " " + sentences[1]
    if len(text) > limit:
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return text


def language_name(code: str) -> str:
    """English name of a BCP 47 tag's language (``ko`` -> ``Korean``), else the tag."""
    code = (code or "und").lower()
    return LANGUAGE_NAMES.get(code) or LANGUAGE_NAMES.get(code.split("-")[0], code)


@dataclass(frozen=True)
class Site:
    """What every page shows of the anthology as a whole (title, language, dates, cover, links).

    A story's page and snippet depend only on this, the story and its neighbours' titles, so
    a change to one story re-renders only its own page and snippet (and its neighbours', when
    its title changes): see ``story_web`` and the flow's per-story tasks. Templates read it as
    ``anthology`` (same attribute names)."""

    title: str
    language: str
    slug: str
    subtitle: str | None
    publisher: str | None
    base_url: str
    """Checked public address of ``web/`` with a trailing ``/``, or ``""``."""
    cover: dict
    """``cover_facts`` of ``cover.png``: src, width, height, alt."""
    author: str | None = None
    """The book's author (`pubpipe.model.Anthology.author`)."""
    credits: tuple = ()
    """Where the stories come from (`pubpipe.model.Credit`s): each story page's source line."""

    def credit(self, story: Story):
        """The Credit of ``story``'s source file, or None."""
        return next((c for c in self.credits if c.file == story.source.file), None)


@dataclass(frozen=True)
class StoryBatch:
    """Some stories' page inputs — (story, previous, next) each — rendered together in one task:
    a task per story costs more in orchestration than the page itself (see README)."""

    items: tuple


@dataclass(frozen=True)
class StoryWeb:
    """A story's rendered page and snippet. The page's download facts (sizes, page count) are
    placeholders until ``assemble`` fills them in: the PDF and EPUB change with every story."""

    id: str
    page: str
    snippet: str


def _facts_token(kind: str) -> str:
    # NUL cannot come from a source (ingest refuses files holding it), so no text can imitate this.
    return f"\x00pubpipe-download-facts:{kind}\x00"


def site_of(anthology: Anthology, base_url: str = "", cover: bytes | None = None) -> tuple[Site, bytes]:
    """The anthology's ``Site`` and the cover PNG (default: the EPUB's cover, see ``cover_image``)."""
    _check_ids(anthology)
    cover = cover_image(anthology) if cover is None else cover
    site = Site(title=anthology.title, language=anthology.language, slug=anthology.slug,
                subtitle=anthology.subtitle, publisher=anthology.publisher,
                base_url=_check_base_url(base_url), cover=cover_facts(anthology, cover),
                author=anthology.author, credits=tuple(anthology.credits))
    return site, cover


def neighbour(site: Site, story: Story | None) -> dict | None:
    """What a page's previous/next link shows of another story."""
    if story is None:
        return None
    return {"id": story.id, "title": story.title, "own_lang": _langs(site, story)[1]}


def story_web(site: Site, story: Story, prev: dict | None, next: dict | None,
              files: tuple = ()) -> StoryWeb:
    """One story's page and embeddable snippet. ``prev``/``next``: ``neighbour`` dicts;
    ``files``: (kind, file name) of the downloads (default: ``<slug>.pdf`` and ``<slug>.epub``)."""
    files = files or (("pdf", f"{site.slug}.pdf"), ("print", f"{site.slug}-print.pdf"), ("epub", f"{site.slug}.epub"))
    card = _card(site, story, site.base_url)
    links = _downloads([Download(kind, name, 0) for kind, name in files], f"../{DOWNLOADS}/")
    for link in links:
        link["facts"] = _facts_token(link["kind"])
    body = story_fragment(story, heading_level=2, prefix="")
    page = render_template("web/story.html.j2", card=card, body_html=body, root="../", path=card["url"], downloads=links,
                  prev=prev, next=next, jsonld=_article_ld(site, card, site.base_url),
                  **_common(site))
    return StoryWeb(story.id, page, _snippet(card, site.base_url))


def render(anthology: Anthology, downloads=(), *, base_url: str = "", cover: bytes | None = None,
           dask: str = "", run=None) -> Rendered:
    """The ``web/`` folder of ``anthology`` (the web renderer's entry point, see `pubpipe.render`):
    index.html, cover.png, stories/<id>.html, snippets/<id>.html, snippets/pubpipe-snippet.css,
    snippets.json, feed.xml and site.css.

    ``downloads``: what the pages offer for download, beside ``web/`` — `Download`s, or the
    rendered PDF and EPUB themselves (or a runner's futures of them: only the index and the
    pages' sizes wait for them). Story pages link to the `Download`s' names, else to the
    renderers' own (``<slug>.pdf``, ``<slug>.epub``). ``base_url`` (the public http(s) address of
    ``web/``) makes links in snippets, snippets.json, the feed and the social meta absolute;
    without it they stay relative. ``cover`` is the PNG to show (default: the EPUB's cover, see
    ``cover_image``). The steps — `site_of`, `render_batch` per batch of stories (`batches`),
    `assemble` — go through ``run`` (`pubpipe.orchestrate.runner`; default: here); ``dask``: the Dask cluster
    the runner sends the batches to, if it can (see `pubpipe.config.Config.dask`)."""
    from pubpipe.orchestrate.runner import Local
    run = run or Local()
    site, cover = run.call(site_of, anthology, base_url, cover)
    files = tuple((d.kind, d.filename) for d in downloads if isinstance(d, Download))
    pages = run.map(render_batch, [(site, batch, files) for batch in batches(site, anthology, DASK_WEB_TASKS if dask else WEB_TASKS)],
                    cluster=dask)
    return run.call(assemble, anthology, site, cover, pages, list(downloads))


WEB_TASKS = 4
"""At most this many batches of story pages (each a cached task of the flow): up to 4 stories, a
batch per story; beyond, the stories shared out evenly. A task run costs 25-30 ms of CPU in Prefect's
engine and the local server, a story's page about 1.5 ms: 20 batches (as before issue 19's stop 38)
were 0.4-0.5 s of CPU more at 100 stories, taken from the layout beside them, for a story changed
re-rendering 5 pages instead of 25 (0.03 s)."""
DASK_WEB_TASKS = 20
"""The same on a Dask cluster (``--dask``), where the batches run on its workers, side by side."""


def batches(site: Site, anthology: Anthology, tasks: int = WEB_TASKS) -> list:
    """The stories' page inputs, (story, previous, next) each, in `StoryBatch`es of as many
    stories as ``tasks`` batches allow (`WEB_TASKS`), in order: `render_batch`'s inputs."""
    stories = anthology.stories
    size = max(1, -(-len(stories) // tasks))
    items = [(story, neighbour(site, stories[i - 1] if i else None),
              neighbour(site, stories[i + 1] if i + 1 < len(stories) else None)) for i, story in enumerate(stories)]
    return [StoryBatch(tuple(items[i:i + size])) for i in range(0, len(items), size)]


def render_batch(site: Site, batch: StoryBatch, files: tuple = ()) -> list:
    """The page and snippet (`StoryWeb`) of each story of a `StoryBatch` (``files`` as in `story_web`)."""
    return [story_web(site, story, prev, next_, files) for story, prev, next_ in batch.items]


def download_of(item) -> Download:
    """A `Download` as it is; a rendered PDF, print edition or EPUB (`pubpipe.render.Rendered`) as
    the download of its file, its bytes with it."""
    if isinstance(item, Download):
        return item
    info = item.info
    if hasattr(info, "sheets"):  # the print edition's ImposeInfo
        return Download("print", item.name, len(item.data), sheets=info.sheets,
                        signatures=max(1, len(info.signatures)), data=item.data)
    kind = item.name.rsplit(".", 1)[-1]
    return Download(kind, item.name, len(item.data), getattr(info, "pages", None), data=item.data)


def assemble(anthology: Anthology, site: Site, cover: bytes, batches_: list, downloads: list) -> Rendered:
    """The web folder's files from the rendered batches of story pages (`render_batch`): the
    index, cover, feed, snippets.json and stylesheets, and each story's page (the downloads' real
    sizes filled in, see `download_of`) and snippet. The stories' pages and snippets are the
    renderer's own (`Rendered.owns`): writing it removes those of stories no longer there."""
    base_url = site.base_url
    downloads = [download_of(d) for d in downloads]
    pieces = {p.id: p for batch in batches_ for p in batch}
    if set(pieces) != {s.id for s in anthology.stories}:
        raise ValueError("the web folder needs exactly one rendered page per story")
    cards = [_card(site, story, base_url) for story in anthology.stories]
    common = dict(_common(site), intro=_intro(site, cards))
    files = {"cover.png": cover, "index.html": render_template(
        "web/index.html.j2", cards=cards, root="", path="", downloads=_downloads(downloads, f"{DOWNLOADS}/"),
        jsonld=_collection_ld(site, cards, base_url), **common)}
    facts = {link["kind"]: str(escape(link["facts"])) for link in _downloads(downloads, "")}
    for card in cards:
        page = pieces[card["id"]].page
        for kind in _KINDS:
            page = page.replace(_facts_token(kind), facts.get(kind, ""))
        files[card["url"]] = page
    snippets = [pieces[c["id"]].snippet for c in cards]
    files.update({f"snippets/{c['id']}.html": html for c, html in zip(cards, snippets)})
    stamp = dates.stamp()  # the build's moment: the feed's `updated` (Atom requires one), snippets.json's
    files["snippets.json"] = snippets_json(cards, snippets, stamp.date().isoformat())
    files["feed.xml"] = atom_feed(site, cards, dates.w3c(stamp), base_url)
    for source, target in (("site.css", "site.css"), ("pubpipe-snippet.css", "snippets/pubpipe-snippet.css")):
        files[target] = (styles_dir() / "web" / source).read_text("utf-8")
    files.update(web_fonts())
    files.update({f"{DOWNLOADS}/{d.filename}": d.data for d in downloads if d.data is not None})
    return Rendered({f"{FOLDER}/{name}": _file_bytes(name, content) for name, content in files.items()},
                    owns=(f"{FOLDER}/stories/*.html", f"{FOLDER}/snippets/*.html", f"{FOLDER}/{DOWNLOADS}/*"))


def _common(site: Site) -> dict:
    """The template context every page shares."""
    return dict(anthology=site, base_url=site.base_url, cover=site.cover)


def story_fragment(story: Story, heading_level: int = 2, prefix: str = ""):
    """The story's body from the shared macro (``styles/story.html.j2``), sanitised, as Markup."""
    macro = environment().get_template("story.html.j2").module.story_body
    return clean_fragment(macro(story, target="web", heading_level=heading_level, prefix=prefix))


def _check_base_url(base_url: str) -> str:
    """``base_url`` must be an absolute http(s) address; it is given a trailing ``/``."""
    if not base_url:
        return ""
    if not is_base_url(base_url):
        raise ValueError(f"base_url must be an absolute http(s) address like https://example.org/web/, not {base_url!r}")
    return base_url if base_url.endswith("/") else base_url + "/"


def _check_ids(anthology: Anthology) -> None:
    """Story ids become file names: they must be safe slugs, and unique."""
    seen = set()
    for story in anthology.stories:
        if not _SAFE_ID.fullmatch(story.id) or story.id in seen:
            raise ValueError(f"story id {story.id!r} is not a unique lowercase ASCII slug")
        seen.add(story.id)


def _langs(anthology, story: Story) -> tuple:
    """(the story's language, or ""; the same if it is not the book's, else "")."""
    lang = story.language if story.language and story.language != "und" else ""
    return lang, lang if lang and lang != anthology.language else ""


def _card(anthology, story: Story, base_url: str = "") -> dict:
    """What the templates need to know about one story, computed once."""
    lang, own = _langs(anthology, story)
    raw = story.dateline.date if story.dateline and story.dateline.date else ""
    url = f"stories/{story.id}.html"
    credit = anthology.credit(story) if isinstance(anthology, Site) else None
    return {"id": story.id, "story": story, "url": url, "public_url": base_url + url, "dek": dek(story),
            # a web page stands alone: it names its author even where the book's cover already does
            "byline": labels.byline(story), "dateline": labels.dateline(story),
            "source": labels.source_line(story, credit), "credit": credit,
            "minutes": reading_minutes(story), "words": story.word_count(),
            "lang": lang, "language": language_name(story.language), "own_lang": own,
            "ui_lang": anthology.language if own else "", "date_text": dates.date_text(raw),
            "date": raw if dates.ISO_DATE.fullmatch(raw) else "",
            "urn": f"urn:pubpipe:{anthology.slug}:{story.id}"}


def _intro(anthology, cards: list[dict]) -> str:
    """One sentence for the index: ``3 stories in English and Korean, about 9 minutes of reading.``"""
    names = list(dict.fromkeys(c["language"] for c in cards if c["lang"]))
    names = names or [language_name(anthology.language)]
    langs = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    count, minutes = len(cards), sum(c["minutes"] for c in cards)
    return (f"{count} stor{'y' if count == 1 else 'ies'} in {langs}, "
            f"about {minutes} minute{'' if minutes == 1 else 's'} of reading.")


def _downloads(downloads: list[Download], prefix: str) -> list[dict]:
    """Download links as the templates show them, relative to the page (``prefix``)."""
    out = []
    for d in downloads:
        label, blurb, mime = _KINDS[d.kind]
        facts = [human_size(d.size_bytes)]
        if d.pages:
            facts.append(f"{d.pages} page{'' if d.pages == 1 else 's'}")
        if d.sheets:
            facts.append(f"{d.sheets} sheet{'' if d.sheets == 1 else 's'}, fold and staple" if d.signatures <= 1 else
                         f"{d.sheets} sheets in {d.signatures} sections: fold each, then sew or glue")
        out.append({"kind": d.kind, "label": label, "blurb": blurb, "mime": mime,
                    "href": prefix + quote(d.filename), "filename": d.filename,
                    "facts": " · ".join(facts)})
    return out


def _collection_ld(anthology, cards: list[dict], base_url: str) -> dict:
    """JSON-LD for the index: a CollectionPage whose main entity lists the stories."""
    items = [{"@type": "ListItem", "position": i, "url": base_url + c["url"], "name": c["story"].title}
             for i, c in enumerate(cards, 1)]
    data = {"@context": "https://schema.org", "@type": "CollectionPage", "name": anthology.title,
            "inLanguage": anthology.language,
            "mainEntity": {"@type": "ItemList", "numberOfItems": len(items), "itemListElement": items}}
    if anthology.subtitle:
        data["description"] = anthology.subtitle
    if anthology.publisher:
        data["publisher"] = {"@type": "Organization", "name": anthology.publisher}
    if base_url:
        data["url"] = base_url
    return data


def _article_ld(anthology, card: dict, base_url: str) -> dict:
    """JSON-LD for a story page: an Article, part of the collection; its author and dates only as
    the sources say (no build date: schema.org requires none)."""
    story = card["story"]
    data = {"@context": "https://schema.org", "@type": "Article", "headline": story.title,
            "description": card["dek"], "inLanguage": story.language, "wordCount": card["words"],
            "url": base_url + card["url"] if base_url else f"{card['id']}.html",
            "isPartOf": {"@type": "CollectionPage", "name": anthology.title, "url": base_url or "../index.html"}}
    if story.author:
        data["author"] = {"@type": "Person", "name": story.author}
    if card["date"]:
        data["datePublished"] = card["date"]
    credit = card["credit"]
    if credit is not None and credit.url:
        data["isBasedOn"] = credit.url
    if credit is not None and credit.rights:
        data["copyrightNotice" if not credit.rights_url else "usageInfo"] = credit.rights_url or credit.rights
    if anthology.publisher:
        data["publisher"] = {"@type": "Organization", "name": anthology.publisher}
    return data


def _snippet(card: dict, base_url: str) -> str:
    """The embeddable fragment of one story (classes under ``pp-``, no document tags), sanitised."""
    href = card["public_url"] if base_url else "../" + card["url"]
    body = story_fragment(card["story"], heading_level=3, prefix=SNIPPET_PREFIX)
    html = render_template("web/snippet.html.j2", card=card, body_html=body, href=href, prefix=SNIPPET_PREFIX)
    return str(clean_fragment(html.strip())) + "\n"


def _file_bytes(name: str, content: str | bytes) -> bytes:
    """Bytes as they are; text as UTF-8 with ``\\n`` line ends (same bytes on every platform),
    an XML file's with its declaration."""
    if isinstance(content, str) and name.endswith(".xml"):
        content = '<?xml version="1.0" encoding="utf-8"?>\n' + content
    return content.encode("utf-8") if isinstance(content, str) else content


__all__ = ["Download", "Site", "StoryBatch", "StoryWeb", "render", "site_of", "batches", "render_batch", "assemble",
           "download_of", "neighbour", "story_web", "cover_image", "story_fragment", "reading_minutes", "dek",
           "language_name"]
