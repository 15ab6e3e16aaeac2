"""Tests of the web output: pages, snippets, snippets.json, the Atom feed, safety, determinism."""

import dataclasses
import json
from datetime import date
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from pubpipe.model import Anthology
from pubpipe.render.web.site import Download, dek, reading_minutes
from pubpipe.units import human_size
from helpers import write_web

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
ATOM = "{http://www.w3.org/2005/Atom}"
DOWNLOADS = [Download("pdf", "stories-of-courage.pdf", 1_234_567, 48),
             Download("epub", "stories-of-courage.epub", 345_678, None)]
SCRIPT_TEXT = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def anthology() -> Anthology:
    return Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def web(anthology, tmp_path_factory) -> Path:
    """The fixture rendered once (without SOURCE_DATE_EPOCH) into <tmp>/web."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("SOURCE_DATE_EPOCH", raising=False)
        out = tmp_path_factory.mktemp("build") / "web"
        write_web(anthology, out, DOWNLOADS)
    return out


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text_files(folder: Path) -> list[Path]:
    """Every text file of a web folder (all but cover.png, the fonts and the downloads)."""
    return [p for p in sorted(folder.rglob("*")) if p.is_file() and p.suffix not in (".png", ".woff2", ".pdf", ".epub")]


def pages(web: Path) -> list[Path]:
    return [web / "index.html", *sorted((web / "stories").glob("*.html"))]


def json_ld(page: BeautifulSoup) -> list[dict]:
    return [json.loads(s.string) for s in page.find_all("script", type="application/ld+json")]


def lang_of(element) -> str:
    """The language in force at an element (nearest lang attribute)."""
    while element is not None and not element.get("lang"):
        element = element.parent
    return element.get("lang") if element is not None else ""


def test_returns_every_file_written(anthology, tmp_path):
    written = write_web(anthology, tmp_path / "web", DOWNLOADS)
    names = sorted(p.relative_to(tmp_path / "web").as_posix() for p in written)
    ids = [s.id for s in anthology.stories]
    assert names == sorted(["index.html", "cover.png", "snippets.json", "feed.xml", "site.css", "snippets/pubpipe-snippet.css",
                            "fonts/literata.woff2", "fonts/literata-italic.woff2", "fonts/inter.woff2",
                            *[f"stories/{i}.html" for i in ids], *[f"snippets/{i}.html" for i in ids]])
    assert all(p.is_file() for p in written)


def test_index_page(web, anthology):
    page = soup(web / "index.html")
    assert page.html["lang"] == anthology.language
    assert anthology.title in page.title.string
    assert [h.get_text(strip=True) for h in page.find_all("h1")] == [anthology.title]
    assert anthology.subtitle in page.get_text()
    assert "3 stories in English and Korean" in page.get_text()
    for story in anthology.stories:
        link = page.find("a", href=f"stories/{story.id}.html")
        assert link is not None and link.get_text(strip=True) == story.title
        assert (web / link["href"]).is_file()
        assert dek(story) in page.get_text()
        assert f"{reading_minutes(story)} min read" in page.get_text()
    assert page.find("link", rel="stylesheet")["href"] == "site.css"
    assert (web / "site.css").is_file()


def test_index_social_meta_and_json_ld(web, anthology):
    page = soup(web / "index.html")
    assert page.find("meta", property="og:title")["content"] == anthology.title
    assert page.find("meta", property="og:description")["content"]
    assert page.find("meta", attrs={"name": "twitter:card"})["content"] == "summary"
    [data] = json_ld(page)
    assert data["@type"] == "CollectionPage" and data["mainEntity"]["@type"] == "ItemList"
    items = data["mainEntity"]["itemListElement"]
    assert [i["name"] for i in items] == [s.title for s in anthology.stories]
    assert [i["position"] for i in items] == [1, 2, 3]


@pytest.mark.parametrize("name,prefix", [("index.html", "downloads/"), ("stories/promise.html", "../downloads/")])
def test_download_links(web, name, prefix):
    page = soup(web / name)
    pdf = page.find("a", href=f"{prefix}stories-of-courage.pdf")
    epub = page.find("a", href=f"{prefix}stories-of-courage.epub")
    assert pdf is not None and epub is not None
    assert "1.2 MB" in pdf.get_text() and "48 pages" in pdf.get_text()
    assert "346 KB" in epub.get_text() and "page" not in epub.get_text()


def test_story_pages(web, anthology):
    stories = anthology.stories
    for i, story in enumerate(stories):
        page = soup(web / "stories" / f"{story.id}.html")
        assert page.title.string.startswith(story.title)
        [h1] = page.find_all("h1")
        assert h1.get_text(strip=True) == story.title
        assert lang_of(page.find("article")) == story.language
        assert lang_of(h1) == story.language
        assert page.find("a", href="../index.html") is not None
        prev, nxt = page.find("a", rel="prev"), page.find("a", rel="next")
        assert (prev["href"] if prev else None) == (f"{stories[i - 1].id}.html" if i else None)
        assert (nxt["href"] if nxt else None) == (f"{stories[i + 1].id}.html" if i + 1 < len(stories) else None)
        [data] = json_ld(page)
        assert data["@type"] == "Article" and data["headline"] == story.title
        assert data["inLanguage"] == story.language
        assert page.find("meta", property="og:type")["content"] == "article"
        assert page.find("link", rel="stylesheet")["href"] == "../site.css"


def test_story_structure(web):
    page = soup(web / "stories" / "love-and-dating.html")
    body = page.find("article")
    assert [h.get_text() for h in body.find_all("h2")] == ["So, how do they do it?"]
    figure = body.find("figure")
    assert figure.blockquote is not None
    assert figure.figcaption.get_text(strip=True) == "— Miso, escaped in 2010"
    assert len(body.find("ul").find_all("li")) == 3 and len(body.find("ol").find_all("li")) == 2
    assert body.find("aside", role="note") is not None
    assert "Jane Doe" in body.get_text() and body.find("time", datetime="2016-11-03") is not None


def test_no_script_except_json_ld(web):
    for path in pages(web) + sorted((web / "snippets").glob("*.html")):
        for script in soup(path).find_all("script"):
            assert script.get("type") == "application/ld+json", path
    for path in text_files(web):
        assert "<script>" not in path.read_text(encoding="utf-8"), path


def test_script_text_shown_as_text(web):
    page = soup(web / "stories" / "love-and-dating.html")
    assert SCRIPT_TEXT in page.find("article").get_text()
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; done." in (web / "stories" / "love-and-dating.html").read_text()
    assert SCRIPT_TEXT in soup(web / "snippets" / "love-and-dating.html").get_text()


def test_snippets_are_prefixed_fragments(web, anthology):
    for story in anthology.stories:
        path = web / "snippets" / f"{story.id}.html"
        fragment = soup(path)
        for tag in ("html", "head", "body", "script", "style", "link", "meta"):
            assert fragment.find(tag) is None, (path, tag)
        classes = [c for el in fragment.find_all(class_=True) for c in el["class"]]
        assert classes and all(c.startswith("pp-") for c in classes), classes
        assert all(el["id"].startswith("pp-") for el in fragment.find_all(id=True))
        root = fragment.find("article")
        assert root["class"] == ["pp-story"] and root["lang"] == story.language
        assert fragment.find("a", href=f"../stories/{story.id}.html") is not None


def test_snippet_css_selectors_all_prefixed(web):
    css = re.sub(r"/\*.*?\*/", "", (web / "snippets" / "pubpipe-snippet.css").read_text(), flags=re.S)
    assert "@" not in css
    selectors = [s.strip() for block in re.findall(r"([^{}]+)\{", css) for s in block.split(",")]
    assert selectors and all(s.startswith(".pp-") for s in selectors), selectors


def test_snippets_json(web, anthology):
    records = json.loads((web / "snippets.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in records] == [s.id for s in anthology.stories]
    for record, story in zip(records, anthology.stories):
        assert set(record) == {"id", "title", "dek", "url", "html", "language", "reading_minutes", "updated",
                               "author", "published"}
        assert record["title"] == story.title and record["language"] == story.language
        assert record["url"] == f"stories/{story.id}.html" and (web / record["url"]).is_file()
        assert record["html"] == (web / "snippets" / f"{story.id}.html").read_text(encoding="utf-8")
        assert record["dek"] == dek(story) and record["reading_minutes"] == reading_minutes(story)
        # the build's date (no SOURCE_DATE_EPOCH: today), never one story's dateline copied onto all
        assert record["updated"] == date.today().isoformat()
        assert record["author"] == story.author
        assert record["published"] == (story.dateline.date if story.dateline else None)


def test_atom_feed(web, anthology):
    root = ET.parse(web / "feed.xml").getroot()
    assert root.tag == f"{ATOM}feed"
    assert root.findtext(f"{ATOM}id") == "urn:pubpipe:stories-of-courage"
    assert root.findtext(f"{ATOM}title") == anthology.title
    assert root.findtext(f"{ATOM}updated").startswith(date.today().isoformat() + "T")  # the build's moment
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "feed.xml"
    assert root.findtext(f"{ATOM}author/{ATOM}name")
    entries = root.findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in entries] == [s.title for s in anthology.stories]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert ids == [f"urn:pubpipe:{anthology.slug}:{s.id}" for s in anthology.stories] and len(set(ids)) == len(ids)
    for entry, story in zip(entries, anthology.stories):
        assert entry.find(f"{ATOM}link").get("href") == f"stories/{story.id}.html"
        assert entry.findtext(f"{ATOM}summary") == dek(story)
        assert entry.findtext(f"{ATOM}updated").endswith("Z")
        if story.dateline and story.dateline.date:  # a story's own date, where it has one
            assert entry.findtext(f"{ATOM}published") == f"{story.dateline.date}T00:00:00Z"
        content = entry.find(f"{ATOM}content")
        assert content.get("type") == "html" and content.text.startswith("<")
    love = entries[0].find(f"{ATOM}content").text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in love and SCRIPT_TEXT not in love


def test_two_builds_are_byte_identical(anthology, web, tmp_path, monkeypatch):
    """The pages carry no build date: identical from build to build; the feed and snippets.json
    (whose formats require one) only with SOURCE_DATE_EPOCH set."""
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = tmp_path / "web"
    write_web(anthology, again, DOWNLOADS)
    dated = {Path("feed.xml"), Path("snippets.json")}
    first = {p.relative_to(web): p.read_bytes() for p in web.rglob("*") if p.is_file()}
    second = {p.relative_to(again): p.read_bytes() for p in again.rglob("*") if p.is_file()}
    assert {k: v for k, v in first.items() if k not in dated} == {k: v for k, v in second.items() if k not in dated}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_web(anthology, tmp_path / "a", DOWNLOADS)
    write_web(anthology, tmp_path / "b", DOWNLOADS)
    assert [p.read_bytes() for p in sorted((tmp_path / "a").rglob("*")) if p.is_file()] == \
        [p.read_bytes() for p in sorted((tmp_path / "b").rglob("*")) if p.is_file()]


def test_source_date_epoch(anthology, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    write_web(anthology, tmp_path, DOWNLOADS)
    assert {r["updated"] for r in json.loads((tmp_path / "snippets.json").read_text())} == {"2023-11-14"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    with pytest.raises(ValueError):
        write_web(anthology, tmp_path / "again", DOWNLOADS)


def test_absolute_urls_with_base_url(anthology, tmp_path):
    write_web(anthology, tmp_path, DOWNLOADS, base_url="https://example.org/courage/web/")
    snippet = soup(tmp_path / "snippets" / "promise.html")
    assert snippet.find("a", href="https://example.org/courage/web/stories/promise.html") is not None
    records = {r["id"]: r for r in json.loads((tmp_path / "snippets.json").read_text(encoding="utf-8"))}
    for story in anthology.stories:  # one base: the snippet's links, its copy in snippets.json and its url
        url = f"https://example.org/courage/web/stories/{story.id}.html"
        links = {a["href"] for a in soup(tmp_path / "snippets" / f"{story.id}.html").find_all("a")}
        assert links == {url} and records[story.id]["url"] == url
        assert {a["href"] for a in BeautifulSoup(records[story.id]["html"], "html.parser").find_all("a")} == {url}
        page = soup(tmp_path / "stories" / f"{story.id}.html")
        assert page.find("link", rel="canonical")["href"] == url
        assert page.find("meta", property="og:url")["content"] == url
        assert page.find("meta", property="og:image")["content"] == "https://example.org/courage/web/cover.png"
    assert soup(tmp_path / "index.html").find("link", rel="canonical")["href"] == "https://example.org/courage/web/"
    assert soup(tmp_path / "index.html").find("meta", property="og:url")["content"] == "https://example.org/courage/web/"
    root = ET.parse(tmp_path / "feed.xml").getroot()
    assert root.find(f"{ATOM}link[@rel='self']").get("href") == "https://example.org/courage/web/feed.xml"


def test_stale_story_pages_are_removed(anthology, tmp_path):
    write_web(anthology, tmp_path, DOWNLOADS)
    write_web(dataclasses.replace(anthology, stories=anthology.stories[:1]), tmp_path, [])
    assert sorted(p.name for p in (tmp_path / "stories").iterdir()) == ["love-and-dating.html"]
    assert not soup(tmp_path / "index.html").find("section", class_="downloads")


def test_unsafe_story_ids_are_refused(anthology, tmp_path):
    bad = dataclasses.replace(anthology.stories[0], id="../escape")
    with pytest.raises(ValueError):
        write_web(dataclasses.replace(anthology, stories=(bad,)), tmp_path, [])
    twice = dataclasses.replace(anthology, stories=anthology.stories[:1] * 2)
    with pytest.raises(ValueError):
        write_web(twice, tmp_path, [])


def test_helpers(anthology):
    assert human_size(999) == "999 bytes" and human_size(1) == "1 byte"
    assert human_size(45_000) == "45 KB" and human_size(1_234_567) == "1.2 MB"
    assert human_size(999_999) == "1.0 MB" and human_size(12_500_000) == "12 MB"
    from pubpipe.publish.report import render_report  # the report says sizes as the download links do
    assert "| `anthology.pdf` | 45 KB |" in render_report(anthology, {"anthology.pdf": {"size": 45_000}})
    promise = anthology.stories[1]
    assert reading_minutes(promise) == round(promise.word_count() / 230)
    assert reading_minutes(anthology.stories[2]) == 1
    assert dek(anthology.stories[0]).startswith("According to historians")
    assert dek(anthology.stories[2]).endswith("시작입니다.")
    assert len(dek(promise, limit=40)) <= 41
    with pytest.raises(ValueError):
        Download("zip", "a.zip", 1, None)


def test_hostile_title_stays_text(anthology, tmp_path):
    evil = '</script><script>alert(2)</script> "quoted" & <b>bold</b>'
    story = dataclasses.replace(anthology.stories[0], title=evil)
    write_web(dataclasses.replace(anthology, stories=(story,)), tmp_path, DOWNLOADS)
    page = soup(tmp_path / "stories" / f"{story.id}.html")
    assert page.find("h1").get_text() == evil and page.find("b") is None
    assert [s.get("type") for s in page.find_all("script")] == ["application/ld+json"]
    assert json_ld(page)[0]["headline"] == evil
    assert page.find("meta", property="og:title")["content"] == evil
    assert ET.parse(tmp_path / "feed.xml").getroot().findtext(f"{ATOM}entry/{ATOM}title") == evil
    for path in text_files(tmp_path):
        assert "<script>" not in path.read_text(encoding="utf-8"), path


def test_cover_on_the_index_and_in_social_meta(web, anthology):
    from PIL import Image
    with Image.open(web / "cover.png") as image:
        assert image.format == "PNG" and image.size == (640, 1024)
    index = soup(web / "index.html")
    img = index.find("img", class_="masthead-cover")
    assert img["src"] == "cover.png" and (int(img["width"]), int(img["height"])) == (640, 1024)
    assert anthology.title in img["alt"]
    assert index.find("meta", property="og:image")["content"] == "cover.png"
    assert index.find("meta", attrs={"name": "twitter:image"})["content"] == "cover.png"
    story = soup(web / "stories" / "promise.html")
    assert story.find("meta", property="og:image")["content"] == "../cover.png"
    assert story.find("meta", property="og:image:alt")["content"] == img["alt"]


def test_cover_is_the_epub_cover_scaled(anthology, tmp_path):
    import io
    from PIL import Image
    from pubpipe.render.epub.book import cover_png
    write_web(anthology, tmp_path, DOWNLOADS)
    with Image.open(io.BytesIO(cover_png(anthology))) as full, Image.open(tmp_path / "cover.png") as web_cover:
        assert abs(web_cover.height - web_cover.width * full.height / full.width) < 1
    given = io.BytesIO()
    Image.new("RGB", (300, 480), (10, 20, 30)).save(given, "PNG")
    write_web(anthology, tmp_path, DOWNLOADS, cover=given.getvalue())
    assert (tmp_path / "cover.png").read_bytes() == given.getvalue()
    assert soup(tmp_path / "index.html").find("img", class_="masthead-cover")["height"] == "480"


def test_base_url_is_checked_and_makes_everything_absolute(anthology, tmp_path):
    for bad in ("javascript:alert(1)//", "example.org/web/", "ftp://example.org/", 'https://x.org/"><b>'):
        with pytest.raises(ValueError):
            write_web(anthology, tmp_path, DOWNLOADS, base_url=bad)
    write_web(anthology, tmp_path, DOWNLOADS, base_url="https://example.org/web")
    index = soup(tmp_path / "index.html")
    assert index.find("meta", property="og:image")["content"] == "https://example.org/web/cover.png"
    records = json.loads((tmp_path / "snippets.json").read_text(encoding="utf-8"))
    assert [r["url"] for r in records] == [f"https://example.org/web/stories/{s.id}.html" for s in anthology.stories]
    assert index.find("a", href="downloads/stories-of-courage.pdf") is not None  # downloads stay relative


def test_reading_minutes_of_scripts_without_spaces(anthology):
    from pubpipe.model import Block
    japanese = dataclasses.replace(anthology.stories[2], language="ja",
                                   blocks=(Block("paragraph", "日本語の文章です。" * 500),))
    assert reading_minutes(japanese) == round(8 * 500 / 400)  # 8 characters a sentence, "。" not counted
    mixed = dataclasses.replace(japanese, blocks=(Block("paragraph", "東京 " * 800 + "word " * 460),))
    assert reading_minutes(mixed) == round(1600 / 400 + 460 / 230)


def test_base_url_from_anthology_toml_reaches_the_feed(anthology, tmp_path):
    """anthology.toml's base_url is checked when read, and web.render makes the feed absolute with it."""
    from pubpipe.render.web import site as web
    from pubpipe.render import Rendered, write
    from pubpipe.config import load_config
    from pubpipe.errors import ConfigError
    toml = tmp_path / "anthology.toml"
    toml.write_text('base_url = "javascript:alert(1)"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"anthology\.toml: 'base_url' must be an absolute http\(s\) address"):
        load_config(toml)
    toml.write_text('base_url = "https://example.org/anthology/web/"\n', encoding="utf-8")
    base = load_config(toml).base_url
    info = type("Info", (), {"pages": 3})()
    pdf = Rendered({"a.pdf": b"%PDF"}, info)
    epub = Rendered({"a.epub": b"PK"}, None)
    write(web.render(anthology, [pdf, epub], base_url=base), tmp_path)
    feed = ET.parse(tmp_path / "web" / "feed.xml").getroot()
    hrefs = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert hrefs and all(h.startswith("https://example.org/anthology/web/") for h in hrefs)


def test_story_pages_are_batched_only_beyond_four_stories_or_twenty_on_a_cluster(anthology):
    """Up to WEB_TASKS stories, one task per story; beyond, at most WEB_TASKS even batches, in order
    (DASK_WEB_TASKS on a Dask cluster)."""
    import dataclasses
    from pubpipe.render.web.site import DASK_WEB_TASKS, batches as web_batches, site_of
    site, _ = site_of(anthology)
    story = anthology.stories[0]
    for count, sizes, tasks in ((3, [1, 1, 1], None), (4, [1] * 4, None), (5, [2, 2, 1], None), (100, [25] * 4, None),
                                (1000, [250] * 4, None), (20, [1] * 20, DASK_WEB_TASKS),
                                (21, [2] * 10 + [1], DASK_WEB_TASKS), (100, [5] * 20, DASK_WEB_TASKS)):
        many = dataclasses.replace(anthology, stories=tuple(dataclasses.replace(story, id=f"s{i}") for i in range(count)))
        batches = web_batches(site, many) if tasks is None else web_batches(site, many, tasks)
        assert [len(b.items) for b in batches] == sizes
        assert [item[0].id for b in batches for item in b.items] == [f"s{i}" for i in range(count)]


def _rendered_downloads():
    """The three downloads as the renderers hand them to the web renderer."""
    from pubpipe.render.pdf.imposition import ImposeInfo
    from pubpipe.render.pdf.parts import PdfInfo
    from pubpipe.render import Rendered
    return [Rendered({"stories-of-courage.pdf": b"%PDF-1.7 reading"}, PdfInfo(pages=22, story_pages={})),
            Rendered({"stories-of-courage-print.pdf": b"%PDF-1.3 print"},
                     ImposeInfo(pages_in=22, pages_padded=24, sheets=6, signatures=(6,))),
            Rendered({"stories-of-courage.epub": b"PK epub"}, None)]


def test_every_link_resolves_inside_web_alone(anthology, tmp_path):
    """Before (issue 18): the downloads were linked as ../<file>, outside web/, and broke when only
    web/ was published. Now they are copied into web/downloads/; every relative link of every page,
    snippet and stylesheet leads to a file inside web/."""
    from pubpipe.publish.validate import broken_links
    web = tmp_path / "web"
    write_web(anthology, web, _rendered_downloads())
    assert (web / "downloads" / "stories-of-courage-print.pdf").read_bytes() == b"%PDF-1.3 print"
    found = []
    for page in sorted(p for p in web.rglob("*") if p.suffix in (".html", ".css")):
        text = page.read_text(encoding="utf-8")
        for link in re.findall(r'(?:href|src)="([^"#?]+)[^"]*"', text) + re.findall(r'url\("([^"]+)"\)', text):
            if re.match(r"[a-z]+:", link):
                continue
            target = (page.parent / link).resolve()
            found.append(link)
            assert target.is_relative_to(web.resolve()) and target.is_file(), f"{page.name}: {link}"
    assert any("downloads/" in link for link in found) and any("fonts/" in link for link in found)
    assert broken_links(web) == []
    (web / "downloads" / "stories-of-courage.epub").unlink()
    assert "index.html: downloads/stories-of-courage.epub" in broken_links(web)


def test_links_are_followed_as_the_file_system_follows_them(tmp_path):
    """`broken_links` takes the links it can without asking the file system (no symbolic link on the
    way), and follows the others as the file system does: a link out of web/ by a symbolic link, to a
    folder, above web/, or through a folder that is a link, is judged as Path.resolve judges it."""
    from pubpipe.publish.validate import broken_links
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("x")
    (outside / "deep" / "x.css").write_text("x")
    web = tmp_path / "web"
    (web / "a" / "b").mkdir(parents=True)
    (web / "a" / "b" / "c.css").write_text("x")
    (web / "real.css").write_text("x")
    (web / "escape.css").symlink_to(outside / "secret.txt")  # a file inside that is a link out
    (web / "inside-link.css").symlink_to(web / "real.css")  # a link to a file inside
    (web / "door").symlink_to(outside / "deep")  # a folder that is a link out
    links = ["real.css", "./real.css", "a/b/c.css", "a/b/../b/c.css", "a/../real.css", "a/b/", "a", "../outside/secret.txt",
             "escape.css", "inside-link.css", "door/x.css", "door/../real.css", "missing.css", "a/missing/../b/c.css"]
    hrefs = ["../" + link for link in links] + ["/b/c.css", f"/{web.resolve().relative_to('/')}/real.css", "b/c.css"]
    (web / "a" / "page.html").write_text("".join(f'<a href="{href}">' for href in hrefs))
    got = {line.split(": ", 1)[1] for line in broken_links(web)}
    expected = set()
    for href in hrefs:
        target = (web / "a" / href).resolve()
        if not target.is_relative_to(web.resolve()) or not target.is_file():
            expected.add(href)
    assert got == expected and "/b/c.css" in got
    assert {"../escape.css", "../door/x.css", "../a/b/", "../../outside/secret.txt", "../missing.css"} <= got
    assert not {"../real.css", "../a/b/c.css", "../inside-link.css", "../a/b/../b/c.css"} & got


def test_both_pdfs_and_the_epub_are_offered_with_honest_labels(anthology, tmp_path):
    """Before: the reading PDF was labelled "Printable booklet" and the print edition not offered."""
    write_web(anthology, tmp_path, _rendered_downloads())
    for name, prefix in (("index.html", "downloads/"), ("stories/promise.html", "../downloads/")):
        page = soup(tmp_path / name)
        links = page.find("section", class_="downloads").find_all("a")
        assert [a["href"] for a in links] == [prefix + f for f in ("stories-of-courage.pdf", "stories-of-courage-print.pdf",
                                                                    "stories-of-courage.epub")]
        reading, printed, epub = (" ".join(a.get_text(" ").split()) for a in links)
        assert reading.startswith("PDF for reading") and "22 pages" in reading
        assert printed.startswith("Print edition") and "A4" in printed and "6 sheets, fold and staple" in printed
        assert epub.startswith("EPUB") and "Printable" not in reading + printed + epub


def test_the_books_fonts_are_served_from_web_as_woff2(anthology, tmp_path):
    """Before: system fonts (DejaVu on Linux) while the PDF and the cover use Literata and Inter."""
    write_web(anthology, tmp_path, [])
    css = (tmp_path / "site.css").read_text(encoding="utf-8")
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    served = {}
    for face in faces:
        family = re.search(r'font-family:\s*"([^"]+)"', face)[1]
        src = re.search(r'url\("([^"]+)"\)\s*format\("woff2"\)', face)[1]
        data = (tmp_path / src).read_bytes()
        assert data[:4] == b"wOF2", src  # a WOFF2 file
        served.setdefault(family, []).append(src)
    assert set(served) == {"Literata", "Inter"} and len(served["Literata"]) == 2
    assert re.search(r'--serif:\s*"Literata"', css) and re.search(r'--sans:\s*"Inter"', css)
    from fontTools.ttLib import TTFont
    import io
    font = TTFont(io.BytesIO((tmp_path / "fonts" / "literata.woff2").read_bytes()))
    assert "fvar" in font and {a.axisTag for a in font["fvar"].axes} == {"wght", "opsz"}  # still variable
    assert {ord(c) for c in "Kim’s “Seoul” café — Đà Nẵng €"} <= set(font.getBestCmap())


def test_reading_time_counts_the_words_that_hold_a_letter_or_digit(anthology):
    """Words of punctuation alone (dashes, ellipses, bullets) are not read; a word with a letter or a
    digit anywhere is (also when it starts with punctuation: quotes, brackets); Chinese and
    Japanese characters count apart (`reading_minutes`)."""
    from pubpipe.model import Block
    words = ["word"] * 200 + ["—", "…", "•", "--"] * 100 + ["«quoted»", "(1987)", "“said”", "'tis", "-x-"] * 10
    story = dataclasses.replace(anthology.stories[0], blocks=(Block(type="paragraph", text=" ".join(words)),))
    assert reading_minutes(story) == round(250 / 230)
    story = dataclasses.replace(story, blocks=(Block(type="paragraph", text=" ".join(["«a»"] * 690)),))
    assert reading_minutes(story) == 3
    story = dataclasses.replace(story, blocks=(Block(type="paragraph", text=" ".join(["…"] * 690)),))
    assert reading_minutes(story) == 1  # (at least a minute)
    story = dataclasses.replace(story, blocks=(Block(type="paragraph", text="漢" * 1200 + " " + " ".join(["»a"] * 460)),))
    assert reading_minutes(story) == round(460 / 230 + 1200 / 400)
