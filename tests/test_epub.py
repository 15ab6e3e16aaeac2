"""The EPUB anthology: valid (EPUBCheck), reproducible, readable, safe.

Story semantics and the pandoc round trip: test_epub_content.py; DAISY Ace: test_ace.py.
"""

import dataclasses
import io
import json
import time
from datetime import datetime, timezone
import posixpath
import re
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image

from pubpipe.render.epub.book import book_identifier
from helpers import write_epub
from pubpipe.render.epub.cover import DEFAULT_PUBLISHER
from pubpipe.publish.epubcheck import EpubInvalid, assert_publishable, validate_epub
from pubpipe.model import Anthology

FIXTURE = Path(__file__).parent / "fixtures" / "anthology.json"
NS = {"h": "http://www.w3.org/1999/xhtml", "opf": "http://www.idpf.org/2007/opf",
      "ncx": "http://www.daisy.org/z3986/2005/ncx/", "dc": "http://purl.org/dc/elements/1.1/"}
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="EPUBCheck needs Java")


@pytest.fixture(scope="module")
def anthology() -> Anthology:
    return Anthology.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def built(anthology, tmp_path_factory) -> Path:
    mp = pytest.MonkeyPatch()
    mp.delenv("SOURCE_DATE_EPOCH", raising=False)
    try:
        return write_epub(anthology, tmp_path_factory.mktemp("epub") / "anthology.epub")
    finally:
        mp.undo()


@pytest.fixture(scope="module")
def files(built) -> dict:
    with zipfile.ZipFile(built) as z:
        return {name: z.read(name) for name in z.namelist()}


def xml(files, name):
    return etree.fromstring(files[name])


@needs_java
def test_epubcheck_reports_no_fatal_error_or_warning(built):
    messages = validate_epub(built, usage=True)
    assert [str(m) for m in messages if m.severity in ("FATAL", "ERROR", "WARNING")] == []


@needs_java
def test_assert_publishable_lists_problems(built, tmp_path):
    broken = tmp_path / "broken.epub"
    with zipfile.ZipFile(built) as zin, zipfile.ZipFile(broken, "w") as zout:
        for info in zin.infolist():
            if info.filename != "EPUB/stories/promise.xhtml":
                zout.writestr(info, zin.read(info))
    with pytest.raises(EpubInvalid) as caught:
        assert_publishable(broken)
    assert isinstance(caught.value, ValueError)
    assert any("promise.xhtml" in m.message or "promise.xhtml" in m.location for m in caught.value.messages)


@needs_java
def test_a_warning_alone_blocks_publication(built, tmp_path):
    """The build's EPUB check (validate.check_epub) refuses warnings, not only errors."""
    from pubpipe.publish.validate import Findings, check_epub
    warned = tmp_path / "warned.epub"
    with zipfile.ZipFile(built) as zin, zipfile.ZipFile(warned, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "EPUB/content.opf":
                data = data.replace(b"<dc:title>", b"<dc:date>someday</dc:date><dc:title>")
            zout.writestr(info, data)
    found = Findings()
    check_epub(warned, found)
    assert len(found.errors) == 1 and "WARNING OPF-053" in found.errors[0]


def test_two_builds_are_byte_identical(anthology, tmp_path, monkeypatch):
    """With SOURCE_DATE_EPOCH set (without it, dcterms:modified is the build's own time)."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    first = write_epub(anthology, tmp_path / "first.epub")
    again = write_epub(anthology, tmp_path / "again.epub")
    assert again.read_bytes() == first.read_bytes()


def test_source_date_epoch_sets_modified_and_zip_times(anthology, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")  # 2023-11-14T22:13:20Z
    with zipfile.ZipFile(write_epub(anthology, tmp_path / "a.epub")) as z:
        opf = z.read("EPUB/content.opf").decode()
        assert {i.date_time for i in z.infolist()} == {(2023, 11, 14, 22, 13, 20)}
    assert '<meta property="dcterms:modified">2023-11-14T22:13:20Z</meta>' in opf


def test_mimetype_is_first_and_stored(built):
    with zipfile.ZipFile(built) as z:
        first = z.infolist()[0]
        assert first.filename == "mimetype"
        assert first.compress_type == zipfile.ZIP_STORED
        assert first.extra == b""
        assert z.read(first) == b"application/epub+zip"
        names = [i.filename for i in z.infolist()[1:]]
    assert names == sorted(names)


def test_package_metadata(anthology, files):
    opf = xml(files, "EPUB/content.opf")
    assert opf.get(XML_LANG) == "en"
    meta = lambda prop: [m.text for m in opf.iterfind(f"opf:metadata/opf:meta[@property='{prop}']", NS)]
    # EPUB requires dcterms:modified: the build's own time without SOURCE_DATE_EPOCH, never a made-up date
    modified = meta("dcterms:modified")
    assert len(modified) == 1 and modified[0] != "2000-01-01T00:00:00Z"
    assert abs(datetime.strptime(modified[0], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()
               - time.time()) < 600
    assert opf.findtext("opf:metadata/dc:identifier", namespaces=NS) == book_identifier(anthology)
    assert re.fullmatch(r"urn:uuid:[0-9a-f-]{36}", book_identifier(anthology))
    assert opf.findtext("opf:metadata/dc:title", namespaces=NS) == "Stories of Courage"
    # the stories' authors, never the publisher or the tool; the publisher as dc:publisher
    assert [e.text for e in opf.iterfind("opf:metadata/dc:creator", NS)] == \
        list(dict.fromkeys(s.byline.name for s in anthology.stories if s.byline))
    assert opf.findtext("opf:metadata/dc:publisher", namespaces=NS) == anthology.publisher
    assert [e.text for e in opf.iterfind("opf:metadata/dc:language", NS)] == ["en", "ko"]
    assert set(meta("schema:accessibilityFeature")) >= {"structuralNavigation", "tableOfContents", "readingOrder",
                                                        "alternativeText", "displayTransformability"}
    assert set(meta("schema:accessMode")) == {"textual", "visual"}
    assert meta("schema:accessModeSufficient") == ["textual"]
    assert meta("schema:accessibilityHazard") == ["none"]
    assert meta("dcterms:conformsTo") == ["EPUB Accessibility 1.1 - WCAG 2.1 Level AA"]
    assert meta("schema:accessibilitySummary")


def test_publisher_names_creator_publisher_and_certifier(anthology, tmp_path):
    named = dataclasses.replace(anthology, publisher="Example Org")
    with zipfile.ZipFile(write_epub(named, tmp_path / "named.epub")) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert opf.findtext("opf:metadata/dc:publisher", namespaces=NS) == "Example Org"
    assert "Example Org" not in [e.text for e in opf.iterfind("opf:metadata/dc:creator", NS)]  # a publisher is no author
    assert opf.findtext("opf:metadata/opf:meta[@property='a11y:certifiedBy']", namespaces=NS) == "Example Org"
    unnamed = dataclasses.replace(anthology, publisher=None)
    with zipfile.ZipFile(write_epub(unnamed, tmp_path / "unnamed.epub")) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert opf.find("opf:metadata/dc:publisher", NS) is None
    assert opf.findtext("opf:metadata/opf:meta[@property='a11y:certifiedBy']", namespaces=NS) == DEFAULT_PUBLISHER
    edited = dataclasses.replace(anthology, author="Ann Author", editor="Ed Editor")
    with zipfile.ZipFile(write_epub(edited, tmp_path / "edited.epub")) as z:
        opf = etree.fromstring(z.read("EPUB/content.opf"))
    assert [e.text for e in opf.iterfind("opf:metadata/dc:creator", NS)] == ["Ann Author"]
    assert opf.findtext("opf:metadata/dc:contributor[@id='editor']", namespaces=NS) == "Ed Editor"
    assert opf.findtext("opf:metadata/opf:meta[@refines='#editor'][@property='role']", namespaces=NS) == "edt"


def test_identifier_depends_on_title_and_story_ids(anthology):
    renamed = dataclasses.replace(anthology, stories=anthology.stories[:2])
    assert book_identifier(anthology) == book_identifier(dataclasses.replace(anthology, publisher="X"))
    assert book_identifier(renamed) != book_identifier(anthology)


def test_spine_is_front_matter_then_stories_in_order(anthology, files):
    opf = xml(files, "EPUB/content.opf")
    spine = [i.get("idref") for i in opf.iterfind("opf:spine/opf:itemref", NS)]
    assert spine == ["cover", "titlepage", "contents", *(f"story-{s.id}" for s in anthology.stories), "colophon"]
    assert opf.find("opf:spine", NS).get("toc") == "ncx"


def test_story_documents(anthology, files):
    for story in anthology.stories:
        root = xml(files, f"EPUB/stories/{story.id}.xhtml")
        section = root.find("h:body/h:section", NS)
        assert section.get("{http://www.idpf.org/2007/ops}type") == "chapter"
        assert section.get("role") == "doc-chapter"
        assert "".join(section.find("h:header/h:h1", NS).itertext()) == story.title


def test_korean_story_is_marked_korean(files):
    root = xml(files, "EPUB/stories/korean.xhtml")
    assert root.get(XML_LANG) == "ko" and root.get("lang") == "ko"
    nav_item = xml(files, "EPUB/nav.xhtml").find(".//h:li[@lang='ko']", NS)
    assert nav_item is not None and nav_item.get(XML_LANG) == "ko"


def test_script_in_source_is_text_not_element(files):
    raw = files["EPUB/stories/love-and-dating.xhtml"]
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    for name, data in files.items():
        if name.endswith(".xhtml"):
            assert xml(files, name).xpath("//*[local-name()='script']") == [], name
            assert b"<script" not in data, name
    texts = ["".join(p.itertext()) for p in xml(files, "EPUB/stories/love-and-dating.xhtml").iterfind(".//h:p", NS)]
    assert "The end <script>alert(1)</script> & done." in texts


def test_nav_has_stories_headings_and_landmarks(anthology, files):
    nav = xml(files, "EPUB/nav.xhtml")
    toc = nav.find(".//h:nav[@id='toc']/h:ol", NS)
    titles = ["".join(li.find("h:a", NS).itertext()) for li in toc.iterfind("h:li", NS)]
    assert titles == [s.title for s in anthology.stories] + ["Sources and credits"]
    nested = toc.findall("h:li", NS)[0].findall("h:ol/h:li/h:a", NS)
    assert [a.text for a in nested] == ["So, how do they do it?"]
    marks = {a.get("{http://www.idpf.org/2007/ops}type"): a.get("href")
             for a in nav.iterfind(".//h:nav[@id='landmarks']//h:a", NS)}
    assert marks["toc"] == "contents.xhtml"
    assert marks["bodymatter"] == f"stories/{anthology.stories[0].id}.xhtml"


def test_every_nav_and_ncx_link_resolves(files):
    links = [a.get("href") for a in xml(files, "EPUB/nav.xhtml").iterfind(".//h:a", NS)]
    links += [c.get("src") for c in xml(files, "EPUB/toc.ncx").iterfind(".//ncx:content", NS)]
    assert links
    for link in links:
        path, _, fragment = link.partition("#")
        target = posixpath.join("EPUB", path)
        assert target in files, link
        if fragment:
            assert xml(files, target).xpath("//*[@id=$f]", f=fragment), link


def test_cover_image(files):
    image = Image.open(io.BytesIO(files["EPUB/images/cover.png"]))
    assert (image.format, image.size) == ("PNG", (1600, 2560))
    cover = xml(files, "EPUB/cover.xhtml").find(".//h:img", NS)
    assert cover.get("src") == "images/cover.png" and "Stories of Courage" in cover.get("alt")


def test_the_cover_is_drawn_once_for_what_it_shows(anthology, monkeypatch):
    """The EPUB and the web pages ask for the same cover from two tasks at once: it is drawn once;
    a book that shows anything else on its cover gets its own."""
    import threading
    from pubpipe.render.epub import cover
    drawn = []
    real = cover._draw
    monkeypatch.setattr(cover, "_draw", lambda a: drawn.append(a.title) or real(a))
    monkeypatch.setattr(cover, "_DRAWN", {})
    fewer = dataclasses.replace(anthology, stories=anthology.stories[:1])  # the same cover
    got = []
    threads = [threading.Thread(target=lambda a=a: got.append(cover.cover_png(a))) for a in (anthology, fewer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert drawn == [anthology.title] and got[0] is got[1]
    for change in ({"title": "Another Title"}, {"subtitle": "Another"}, {"author": "Someone Else"},
                   {"editor": "An Editor"}, {"publisher": "Another Press"}):
        other = cover.cover_png(dataclasses.replace(anthology, **change))
        assert other != got[0], change
    assert len(drawn) == 6 and len(cover._DRAWN) <= 4  # (a long-lived process keeps a few)


def test_empty_anthology_is_refused(anthology, tmp_path):
    with pytest.raises(ValueError):
        write_epub(dataclasses.replace(anthology, stories=()), tmp_path / "empty.epub")
