"""Golden outputs (as Standard Ebooks and Pelican keep them): the project's sample sources built
into anthology.json, the EPUB unpacked and the web folder, checked in under tests/golden/ and
compared file by file; the PDFs by their text, page by page, and their bookmarks, never their
bytes. A change to what readers get shows here as a diff to review; when it is meant:

    .venv/bin/python -m pytest tests/test_golden.py --save-golden

and commit tests/golden/ with the change. Images are compared by kind and pixel size (their bytes
follow the installed fonts and Pillow)."""

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from pubpipe import pipeline

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).parent / "golden" / "sources"
EPOCH = "1700000000"  # fixed dates in every output
BINARY = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".woff", ".woff2", ".ttf", ".otf", ".pdf", ".epub"}


STYLES = {p.read_bytes(): p.relative_to(ROOT).as_posix() for p in (ROOT / "styles").rglob("*.css")}


def _text(data: bytes) -> str:
    """A file's text, or, for a stylesheet copied as it is from styles/, which one (kept once, there)."""
    return f"<copy of {STYLES[data]}>\n" if data in STYLES else data.decode("utf-8")


def _image(data: bytes) -> str:
    from PIL import Image
    with Image.open(io.BytesIO(data)) as image:
        return f"<{image.format} image {image.width}x{image.height}>\n"


def _binary(name: str, data: bytes) -> str:
    """What is compared of a binary file: an image's kind and size; a download copied into web/
    (the PDFs' text is compared apart) or a web font, only that it is one."""
    for magic, what in ((b"%PDF", "PDF"), (b"PK\x03\x04", "EPUB (zip)"), (b"wOF2", "WOFF2 font")):
        if data.startswith(magic):
            return f"<{what}>\n"
    return _image(data)


def _pdf_text(data: bytes, tmp: Path) -> str:
    """Each page's text (pdftotext), then the bookmarks with their pages (pikepdf)."""
    import pikepdf
    path = tmp / "book.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True,
                          text=True).stdout
    pages = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    out = [f"--- page {n} ---\n" + "\n".join(line.rstrip() for line in page.strip("\n").splitlines()) + "\n"
           for n, page in enumerate(pages, 1)]
    with pikepdf.open(path) as pdf:
        numbers = {page.objgen: n for n, page in enumerate(pdf.pages, 1)}
        with pdf.open_outline() as outline:
            def walk(items, depth):
                for item in items:
                    dest = item.destination
                    page = numbers.get(dest[0].objgen) if isinstance(dest, pikepdf.Array) and len(dest) else None
                    out.append(f"{'  ' * depth}- {item.title} (page {page})\n")
                    walk(item.children, depth + 1)
            out.append("--- bookmarks ---\n")
            walk(outline.root, 0)
        out.append(f"--- {len(pdf.pages)} pages; title {str(pdf.docinfo.get('/Title', ''))!r}; "
                   f"language {str(pdf.Root.get('/Lang', ''))!r} ---\n")
    return "".join(out)


def published(out: Path, tmp: Path) -> dict:
    """Relative path -> the text compared for it, of what a build published in `out`: anthology.json,
    the web folder, the EPUB unpacked, the two PDFs' text and bookmarks."""
    found = {}
    for path in sorted(out.rglob("*")):
        name = path.relative_to(out).as_posix()
        if path.is_file() and (name == "anthology.json" or name.startswith("web/")):
            data = path.read_bytes()
            found[name] = _binary(name, data) if path.suffix in BINARY else _text(data)
    [book] = sorted(out.glob("*.epub"))  # not web/downloads/'s copy
    with zipfile.ZipFile(book) as epub:
        for info in sorted(epub.infolist(), key=lambda i: i.filename):
            if not info.is_dir():
                data = epub.read(info)
                suffix = Path(info.filename).suffix
                found[f"epub/{info.filename}"] = _image(data) if suffix in BINARY else _text(data)
    [printed] = sorted(out.glob("*-print.pdf"))
    [reading] = sorted(set(out.glob("*.pdf")) - {printed})
    found["pdf/reading.txt"] = _pdf_text(reading.read_bytes(), tmp)
    found["pdf/print.txt"] = _pdf_text(printed.read_bytes(), tmp)
    return found


def _outputs(tmp: Path) -> dict:
    """What the build (`pipeline.build`, as `pubpipe build` runs it without Prefect) publishes
    from the sample sources, as compared."""
    result = pipeline.build(ROOT / "sources", tmp / "out")
    assert result.exit_code == 0, result.message
    return published(tmp / "out", tmp)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    saved = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = EPOCH
    try:
        yield _outputs(tmp_path_factory.mktemp("golden"))
    finally:
        if saved is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = saved


def test_outputs_of_the_sample_sources_are_as_checked_in(outputs, request):
    if request.config.getoption("--save-golden"):
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for name, text in outputs.items():
            path = GOLDEN / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        pytest.skip(f"golden outputs saved in {GOLDEN.relative_to(ROOT)}: review `git diff` and commit them")
    assert GOLDEN.is_dir(), "no golden outputs: run pytest tests/test_golden.py --save-golden"
    golden = {p.relative_to(GOLDEN).as_posix(): p.read_text(encoding="utf-8")
              for p in sorted(GOLDEN.rglob("*")) if p.is_file()}
    assert sorted(outputs) == sorted(golden), "files made and files checked in differ"
    changed = [name for name in golden if outputs[name] != golden[name]]
    if changed:
        import difflib
        first = changed[0]
        diff = "".join(list(difflib.unified_diff(golden[first].splitlines(True), outputs[first].splitlines(True),
                                                 f"golden/{first}", f"built/{first}"))[:80])
        pytest.fail(f"{len(changed)} output(s) differ from tests/golden/ ({', '.join(changed[:8])}); "
                    f"if meant, run with --save-golden and commit. First diff:\n{diff}")


def test_the_golden_anthology_is_the_contract_schema():
    data = json.loads((GOLDEN / "anthology.json").read_text(encoding="utf-8"))
    assert data["schema"].startswith("pubpipe/anthology@") and len(data["stories"]) >= 3


def _pages(text: str) -> list:
    """The pages of a golden PDF text (`_pdf_text`), each its text."""
    body = text.split("--- bookmarks ---")[0]
    return [page.split("---\n", 1)[1].strip() for page in body.split("--- page ")[1:]]


def test_the_sample_booklet_wastes_no_paper(outputs):
    """Before (issue 18): 25 pages, 4 of them blank (every story opened on a recto), and a print
    edition of 28 pages (7 sheets), 7 of them blank, the back cover white."""
    pages = _pages(outputs["pdf/reading.txt"])
    assert [n for n, text in enumerate(pages, 1) if not text] == []
    assert len(pages) % 2 == 0 and "5 STORIES" in pages[-1]  # the back cover, a verso
    sides = len(_pages(outputs["pdf/print.txt"]))  # two A5 pages a side
    assert sides * 2 - len(pages) <= 3
