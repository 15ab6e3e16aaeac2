"""Word documents are read (mammoth, into the saved-page path) with their structure; documents
pubpipe cannot read (old Word, OpenDocument, RTF, Pages, PDF, images) are named with what to do."""

import io
import json
import zipfile

import docx
import pytest
from PIL import Image

from pubpipe import pipeline
from pubpipe.read import intake
from pubpipe.publish import summary
from pubpipe.config import Config, Limits
from pubpipe.errors import SourceError
from pubpipe.read.ingest import parse_source, read_bytes


def word_document(*, title=True, image=False) -> bytes:
    """A .docx as Word writes it (python-docx's default template and its built-in styles)."""
    document = docx.Document()
    if title:
        document.add_paragraph("The Harbour at Dawn", style="Title")
    else:
        document.add_heading("The Harbour at Dawn", level=1)
    document.add_paragraph("By Jane Doe")
    document.add_paragraph("The boats went out before sunrise, as they had every morning for a hundred years.")
    if image:
        picture = io.BytesIO()
        Image.new("RGB", (8, 8), "navy").save(picture, "PNG")
        document.add_picture(io.BytesIO(picture.getvalue()))
    document.add_heading("What the fishermen said", level=1)
    document.add_paragraph("Nets are mended by hand", style="List Bullet")
    document.add_paragraph("Prices are set at the quay", style="List Bullet")
    document.add_paragraph("Load the boat", style="List Number")
    document.add_paragraph("Sail at four", style="List Number")
    document.add_paragraph("The sea gives and the sea takes, and it never asks first.", style="Quote")
    document.add_paragraph("— Tom Reed, fisherman")
    document.add_heading("The market", level=2)
    closing = document.add_paragraph("By noon the fish were sold and the boats were ")
    closing.add_run("back").bold = True
    closing.add_run(" in the harbour.")
    document.add_paragraph("Nobody leaves the harbour hungry.", style="Intense Quote")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def blocks_of(tmp_path, files: dict) -> tuple:
    """(anthology.json as written, the ingested sources) of a sources folder holding `files`."""
    sources = tmp_path / "sources"
    sources.mkdir()
    for name, data in files.items():
        (sources / name).write_bytes(data)
    ingested, anthology = pipeline.ingest_and_recover(sources, Config())
    path = summary.write_anthology(anthology, tmp_path)
    return json.loads(path.read_text(encoding="utf-8")), ingested


def test_word_document_keeps_its_structure(tmp_path):
    data, ingested = blocks_of(tmp_path, {"harbour.docx": word_document()})
    assert not ingested.problems
    [story] = data["stories"]
    assert (story["title"], story["byline"]) == ("The Harbour at Dawn", {"name": "Jane Doe", "role": None})
    assert [{k: v for k, v in b.items() if k != "line"} for b in story["blocks"]] == [
        {"type": "paragraph", "text": "The boats went out before sunrise, as they had every morning for a hundred years."},
        {"type": "heading", "text": "What the fishermen said"},
        {"type": "list", "ordered": False, "items": ["Nets are mended by hand", "Prices are set at the quay"]},
        {"type": "list", "ordered": True, "items": ["Load the boat", "Sail at four"]},
        {"type": "quote", "text": "The sea gives and the sea takes, and it never asks first.", "attribution": "Tom Reed, fisherman"},
        {"type": "heading", "text": "The market"},
        # the bold run is emphasis beside the plain text (Word's bold and italic: <strong>, <em>)
        {"type": "paragraph", "text": "By noon the fish were sold and the boats were back in the harbour.",
         "html": "By noon the fish were sold and the boats were <strong>back</strong> in the harbour."},
        {"type": "quote", "text": "Nobody leaves the harbour hungry.", "attribution": None},
    ]
    # a line of a Word source is its paragraph: the heading is the 4th, the first quote the 9th
    assert [b["line"] for b in story["blocks"]] == [3, 4, 5, 7, 9, 11, 12, 13]
    assert data["sources"][0]["repairs"] == ["read as a Word document (a line is a paragraph)"]


def test_without_a_title_style_an_opening_heading_is_the_title(tmp_path):
    data, _ = blocks_of(tmp_path, {"harbour.docx": word_document(title=False)})
    [story] = data["stories"]
    assert story["title"] == "The Harbour at Dawn"
    assert [b["text"] for b in story["blocks"] if b["type"] == "heading"] == ["What the fishermen said", "The market"]


def test_images_are_left_out_and_said(tmp_path):
    source = parse_source("harbour.docx", word_document(image=True))
    assert "1 image(s) left out" in source.repairs
    assert not any("data:" in line.text or "base64" in line.text for line in source.lines)


def test_a_word_document_under_another_name_is_read_as_one():
    source = parse_source("harbour.txt", word_document())
    assert source.kind == "html" and source.lines[0].text == "The Harbour at Dawn"


@pytest.mark.parametrize("data, says", [
    (b"This is not a Word document at all.\n", "it is damaged or is not a Word file"),
    (b"PK\x03\x04" + bytes(40), "it is damaged or is not a Word file"),
])
def test_a_damaged_word_document_is_named_with_what_to_do(data, says):
    with pytest.raises(SourceError) as info:
        parse_source("minutes.docx", data)
    message = str(info.value)
    assert info.value.code == "source.docx-unreadable" and "\n" not in message
    assert message == (f"minutes.docx: cannot be read as a Word document ({says}); open it in Word or LibreOffice "
                       "and save it again as .docx, or copy its text into a .txt file")


def test_a_zip_without_a_document_and_a_locked_document_are_named():
    package = io.BytesIO()
    with zipfile.ZipFile(package, "w") as z:
        z.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(SourceError, match="a zip file without a Word document in it"):
        parse_source("budget.docx", package.getvalue())
    with pytest.raises(SourceError, match="is password-protected, or an old Word document") as info:
        parse_source("locked.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))
    assert info.value.code == "source.docx-unreadable"


def test_size_limits_apply_to_word_documents(tmp_path):
    data = word_document()
    (tmp_path / "big.docx").write_bytes(data)
    small = Limits(max_file_bytes=len(data) - 1)
    with pytest.raises(SourceError, match="over the limit") as info:
        read_bytes(tmp_path / "big.docx", "big.docx", small)
    assert info.value.code == "source.too-large"
    with pytest.raises(SourceError, match="over the limit"):
        parse_source("big.docx", data, small)
    bomb = io.BytesIO(data)
    with zipfile.ZipFile(bomb, "a", zipfile.ZIP_DEFLATED) as z:  # 10 MB of padding, 10 KB packed
        z.writestr("word/padding.xml", b"<a/>" + b" " * 10_000_000)
    assert len(bomb.getvalue()) < 64_000
    with pytest.raises(SourceError, match="unpacks to 10,") as info:  # refused before mammoth unpacks it
        parse_source("big.docx", bomb.getvalue(), Limits(max_file_bytes=64_000))
    assert info.value.code == "source.too-large"


@pytest.mark.parametrize("name, code, says", [
    ("minutes.doc", "source.document", "is an old Word document (.doc), which pubpipe cannot read; open it in Word or "
     "LibreOffice and save it as a Word document (.docx), or copy its text into a .txt file"),
    ("minutes.odt", "source.document", "is an OpenDocument text (.odt), which pubpipe cannot read; open it in Word or "
     "LibreOffice and save it as a Word document (.docx)"),
    ("minutes.rtf", "source.document", "is a Rich Text file (.rtf), which pubpipe cannot read;"),
    ("minutes.pages", "source.document", "is an Apple Pages document, which pubpipe cannot read; in Pages choose "
     "File > Export To > Word (.docx), or copy its text into a .txt file"),
    ("report.pdf", "source.pdf", "is a PDF, which pubpipe cannot read; copy the article's text into a .txt file "
     "(or save the web page as .html)"),
    *[(f"photo.{ext}", "source.image", f"is an image ({ext.upper()}), not text; copy the article's text into a .txt "
       "file (or save the web page as .html)") for ext in ("png", "jpg", "jpeg", "gif", "webp", "tiff", "heic", "bmp", "svg")],
])
def test_documents_pubpipe_cannot_read_say_what_to_do(tmp_path, name, code, says):
    (tmp_path / name).write_bytes(b"\x00\x01 whatever the bytes are \x00")
    with pytest.raises(SourceError) as info:
        read_bytes(tmp_path / name, name)
    assert info.value.code == code and str(info.value).startswith(f"{name}: {says}")
    with pytest.raises(SourceError) as info:
        parse_source(name, b"\x00\x01 whatever the bytes are \x00")
    assert info.value.code == code and "binary" not in str(info.value)


@pytest.mark.parametrize("data, code", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "source.pdf"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "source.image"),
    (b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} Hello}", "source.document"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "source.document"),
])
def test_what_the_first_bytes_say_wins_over_a_text_name(data, code):
    with pytest.raises(SourceError) as info:
        parse_source("article.txt", data)
    assert info.value.code == code


def test_a_pages_package_folder_is_one_problem(tmp_path):
    sources = tmp_path / "sources"
    (sources / "minutes.pages" / "Data").mkdir(parents=True)
    (sources / "minutes.pages" / "Index.zip").write_bytes(b"PK\x03\x04" + bytes(30))
    (sources / "minutes.pages" / "preview.jpg").write_bytes(b"\xff\xd8\xff" + bytes(30))
    (sources / "story.txt").write_text("A Title\n\nSome text of the story, long enough to be one.\n", encoding="utf-8")
    snap = intake.snapshot(str(sources), Config())
    assert [name for name, _ in snap.files] == ["story.txt"]
    assert [(p.file, p.code) for p in snap.problems] == [("minutes.pages", "source.document")]


def test_each_unreadable_document_costs_only_itself(tmp_path):
    data, ingested = blocks_of(tmp_path, {"harbour.docx": word_document(), "scan.pdf": b"%PDF-1.4\n",
                                          "old.doc": b"\xd0\xcf\x11\xe0", "broken.docx": b"not a zip"})
    assert [s["title"] for s in data["stories"]] == ["The Harbour at Dawn"]
    assert [(p.file, p.code) for p in ingested.problems] == [
        ("broken.docx", "source.docx-unreadable"), ("old.doc", "source.document"), ("scan.pdf", "source.pdf")]
    assert summary.result(tmp_path / "out", {}, ingested).exit_code == 1
