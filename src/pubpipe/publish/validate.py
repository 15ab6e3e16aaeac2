"""Validate an output folder: anthology.json, the PDFs, the EPUB (EPUBCheck) and the web folder.

Used by the build before it publishes, and by ``pubpipe check`` on an existing output.
"""

import json
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from pypdf import PdfReader
from pypdf.errors import PdfReadError
from pypdf.generic import RectangleObject

from pubpipe.errors import ValidationFailed
from pubpipe.model import Anthology
from pubpipe.workfolders import work_folder

A5 = (419.5, 595.3)
SCRIPT = re.compile(r"<script(?![^>]*application/ld\+json)", re.I)
LINK = re.compile(r"""(?:\b(?:href|src)="([^"]*)"|url\(\s*["']?([^"')]+)["']?\s*\))""")
"""A link of a page (``href``, ``src``) or a stylesheet (``url(…)``)."""


@dataclass
class Findings:
    """What validation found: errors stop publication; passed lists what was checked."""

    errors: list = field(default_factory=list)
    passed: list = field(default_factory=list)

    def check(self, ok: bool, passed: str, error: str) -> bool:
        (self.passed if ok else self.errors).append(passed if ok else error)
        return ok


def check_anthology(folder: Path, found: Findings):
    """anthology.json exists, parses and has the pubpipe/anthology@1 schema; returns the Anthology or None."""
    path = Path(folder) / "anthology.json"
    try:
        anthology = Anthology.from_dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        found.errors.append(f"{path}: cannot be read as pubpipe/anthology@1: {exc}")
        return None
    found.passed.append(f"anthology.json: {len(anthology.stories)} stories, schema pubpipe/anthology@1")
    return anthology


def _pdfinfo(path: Path):
    """(pages, width, height, tagged) from poppler's pdfinfo, or None without it.

    pdfinfo reads a long tagged book in a tenth of a second; pypdf first parses the whole object
    stream WeasyPrint writes (structure tree included), a second or more per 400 pages."""
    if not shutil.which("pdfinfo"):
        return None
    done = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, errors="replace")
    if done.returncode != 0:
        raise PdfReadError((done.stderr.strip().splitlines() or ["pdfinfo failed"])[-1])
    fields = dict(line.split(":", 1) for line in done.stdout.splitlines() if ":" in line)
    size = re.match(r"\s*([\d.]+) x ([\d.]+) pts", fields.get("Page size", ""))
    if not size or not fields.get("Pages", "").strip().isdigit():
        raise PdfReadError("pdfinfo found no pages")
    return (int(fields["Pages"]), float(size[1]), float(size[2]), fields.get("Tagged", "").strip() == "yes")


def _pypdf_facts(path: Path, reader: PdfReader) -> tuple:
    """The same facts as `_pdfinfo`, read with pypdf (the page count from the page tree's /Count)."""
    root = reader.trailer["/Root"]
    node = root["/Pages"]
    count = int(node["/Count"])
    box = node.get("/MediaBox")
    while node.get("/Type") != "/Page":
        node = node["/Kids"][0].get_object()
        box = node.get("/MediaBox", box)
    box = RectangleObject(box)
    tagged = bool(root.get("/MarkInfo", {}).get("/Marked")) and "/StructTreeRoot" in root
    return count, float(box.width), float(box.height), tagged


def check_pdf(path: Path, found: Findings, landscape: bool = False, thorough: bool = True) -> int:
    """The PDF opens, has pages, and is A5 portrait (reading: tagged, and with bookmarks when
    `thorough`) or landscape with A5 halves (print). The build checks its staging folder with
    thorough=False: page facts from pdfinfo; the bookmarks need pypdf's slow full parse."""
    try:
        facts = None if thorough else _pdfinfo(path)
        reader = None
        if facts is None:
            reader = PdfReader(str(path))
            facts = _pypdf_facts(path, reader)
        pages, width, height, tagged = facts
    except (OSError, PdfReadError, IndexError, KeyError, TypeError, ValueError) as exc:
        found.errors.append(f"{path.name}: not a readable PDF: {exc}")
        return 0
    if landscape:
        ok = width > height and abs(width - 2 * A5[0]) < 3 and abs(height - A5[1]) < 3 and pages % 2 == 0
        found.check(ok, f"{path.name}: {pages} landscape A4 sides", f"{path.name}: not 2-up landscape A4 "
                    f"({width:.0f}×{height:.0f} pt, {pages} pages)")
    else:
        ok = abs(width - A5[0]) < 3 and abs(height - A5[1]) < 3 and pages > 0
        found.check(ok, f"{path.name}: {pages} A5 pages", f"{path.name}: not A5 ({width:.0f}×{height:.0f} pt)")
        found.check(tagged, f"{path.name}: tagged PDF", f"{path.name}: not a tagged PDF (no /MarkInfo or structure tree)")
        if reader is not None:
            found.check("/Outlines" in reader.trailer["/Root"], f"{path.name}: bookmarks", f"{path.name}: no bookmarks")
    return pages


def check_web(folder: Path, anthology: Anthology, found: Findings) -> None:
    """Every web page and snippet is there, runs no script, and the JSON and feed match the stories."""
    web = Path(folder) / "web"
    ids = [s.id for s in anthology.stories]
    pages = [web / "index.html"] + [web / "stories" / f"{i}.html" for i in ids]
    snippets = [web / "snippets" / f"{i}.html" for i in ids]
    extras = [web / "cover.png", web / "site.css", web / "snippets" / "pubpipe-snippet.css"]
    missing = [str(p.relative_to(folder)) for p in pages + snippets + extras if not p.is_file()]
    if not found.check(not missing, f"web: {len(pages)} pages and {len(snippets)} snippets",
                       f"web: missing {', '.join(missing[:5])}"):
        return
    scripted = [p.name for p in pages + snippets if SCRIPT.search(p.read_text(encoding="utf-8"))]
    found.check(not scripted, "web: no executable script", f"web: <script> in {', '.join(scripted[:5])}")
    bad_fragment = [p.name for p in snippets if re.search(r"<(?:html|head|body)\b", p.read_text(encoding="utf-8"), re.I)]
    found.check(not bad_fragment, "web: snippets are fragments", f"web: snippets with <html>/<head>/<body>: {bad_fragment[:5]}")
    try:
        cards = json.loads((web / "snippets.json").read_text(encoding="utf-8"))
        card_ids = [c["id"] for c in cards]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        found.errors.append(f"web/snippets.json: unreadable: {exc}")
    else:
        found.check(card_ids == ids, "web/snippets.json: one entry per story", "web/snippets.json: ids differ from the stories")
    broken = broken_links(web)
    found.check(not broken, "web: every link within web/ resolves",
                f"web: links that lead nowhere or out of web/: {', '.join(broken[:5])}")
    try:
        entries = ET.parse(web / "feed.xml").getroot().findall("{http://www.w3.org/2005/Atom}entry")
    except (OSError, ET.ParseError) as exc:
        found.errors.append(f"web/feed.xml: not well-formed Atom: {exc}")
    else:
        found.check(len(entries) == len(ids), f"web/feed.xml: {len(entries)} entries", "web/feed.xml: entry count differs from the stories")


def broken_links(web: Path) -> list:
    """``page: link`` for every relative link of the web folder's pages and stylesheets that does
    not lead to a file inside it (a download beside ``web/`` breaks when only ``web/`` is
    published). Absolute addresses (``base_url``) and in-page anchors are not followed."""
    web = Path(web).resolve()
    broken = []
    folders, files, pages = _real_tree(web)
    for page in pages:
        here = page.parent.relative_to(web).parts
        for match in LINK.finditer(page.read_text(encoding="utf-8")):
            link = match.group(1) if match.group(1) is not None else match.group(2)
            if not link or link.startswith(("#", "//")) or re.match(r"[a-z][a-z0-9+.-]*:", link, re.I):
                continue
            path = unquote(link.split("#", 1)[0].split("?", 1)[0])
            if _within(here, path, folders, files):
                continue
            target = (page.parent / path).resolve()  # (a symbolic link on the way, or nothing there)
            if not target.is_relative_to(web) or not target.is_file():
                broken.append(f"{page.relative_to(web).as_posix()}: {link}")
    return broken


def _real_tree(root: Path) -> tuple:
    """(folders, files, pages) under ``root``: the folders and files that are no symbolic link and lie
    under none, as tuples of path parts (the links of `broken_links` that lead to one are resolved
    without asking the file system: a Path.resolve per link, 1,400 at 100 stories, was 0.2 s of the
    build's last step), and the pages and stylesheets to read (sorted paths; a linked file among them,
    as ``root.rglob`` finds it, which enters no linked folder either)."""
    folders, files, pages = {()}, set(), []
    for top, dirs, names in os.walk(root):
        base = Path(top).relative_to(root).parts
        dirs[:] = [d for d in dirs if not os.path.islink(os.path.join(top, d))]
        folders.update(base + (d,) for d in dirs)
        for name in names:
            path = os.path.join(top, name)
            if not os.path.isfile(path):
                continue
            if not os.path.islink(path):
                files.add(base + (name,))
            if os.path.splitext(name)[1] in (".html", ".css"):
                pages.append(Path(path))
    return folders, files, sorted(pages)


def _within(here: tuple, link: str, folders: set, files: set) -> bool:
    """Whether the relative ``link`` from the folder ``here`` (parts under the root) leads to one of
    ``files`` through ``folders`` only (`_real_tree`: no symbolic link on the way, so "…/.." is the
    folder above, as the file system takes it). False means: ask the file system."""
    if link.startswith("/"):
        return False  # (the file system's root)
    at = list(here)
    parts = link.split("/")
    for n, part in enumerate(parts):
        if part in ("", "."):
            if n == len(parts) - 1:
                return False  # a folder, not a file
            continue
        if part == "..":
            if not at:
                return False
            at.pop()
            continue
        at.append(part)
        if n < len(parts) - 1 and tuple(at) not in folders:
            return False
    return tuple(at) in files


def check_output(folder: Path, run_epubcheck: bool = True) -> Findings:
    """Validate everything in an output folder (`run_epubcheck=False`: the build's own quicker
    check of its staging folder, whose EPUB was checked already)."""
    folder = Path(folder)
    found = Findings()
    anthology = check_anthology(folder, found)
    if anthology is None:
        return found
    for name, landscape in ((f"{anthology.slug}.pdf", False), (f"{anthology.slug}-print.pdf", True)):
        if found.check((folder / name).is_file(), "", f"{name}: missing"):
            found.passed.pop()
            check_pdf(folder / name, found, landscape, thorough=run_epubcheck)
    epub = folder / f"{anthology.slug}.epub"
    if found.check(epub.is_file(), "", f"{epub.name}: missing"):
        found.passed.pop()
        if run_epubcheck:
            check_epub(epub, found)
    check_web(folder, anthology, found)
    if not (folder / "report.md").is_file():
        found.errors.append("report.md: missing")
    check_manifest(folder, found)
    return found


def check_manifest(folder: Path, found: Findings) -> None:
    """When the build's record (.pubpipe-build.json) is there: every file is as that build published it."""
    from pubpipe.publish.manifest import NAME, differences, read_manifest
    try:
        data = read_manifest(folder)
    except ValueError as exc:
        found.errors.append(str(exc))
        return
    if data is None:
        return
    changed = differences(folder, data["files"])
    found.check(not changed, f"{NAME}: all {len(data['files'])} files as published",
                f"{NAME}: changed, missing or added since the build published them: {', '.join(changed[:5])}")


def check_epub(path: Path, found: Findings, timeout: float = 0) -> None:
    """EPUBCheck 5.3: no fatal, error or warning (``timeout``: see `epubcheck.validate_epub`)."""
    from pubpipe.publish.epubcheck import EpubcheckTimeout, validate_epub
    try:
        messages = validate_epub(path, timeout=timeout)
    except EpubcheckTimeout as exc:
        found.check(False, "", f"{exc}; the machine may be busy: try again, or raise epubcheck_seconds "
                               "under [limits] in anthology.toml")
        return
    except FileNotFoundError as exc:  # no Java: a set-up problem, not a broken book
        found.check(False, "", f"{path.name}: cannot run EPUBCheck: {exc}; run ./setup.sh, which "
                               "installs Java (default-jre-headless)")
        return
    bad = [m for m in messages if str(m.severity).upper() in ("FATAL", "ERROR", "WARNING")]
    found.check(not bad, f"{path.name}: EPUBCheck 5.3 passed (no fatal, error or warning)",
                f"{path.name}: EPUBCheck: " + "; ".join(f"{m.severity} {m.id} {m.location}: {m.message}" for m in bad[:10]))


def check_rendered_epub(epub, seconds: int = 0) -> str:
    """EPUBCheck a rendered EPUB (`pubpipe.render.Rendered`); raise ValidationFailed on any fatal,
    error or warning, or when it runs past ``seconds`` (0: a limit that grows with the book,
    `pubpipe.publish.epubcheck.time_limit`). Returns what passed, for the report."""
    found = Findings()
    with work_folder("epubcheck") as tmp:  # removed even if the build is stopped meanwhile
        path = tmp / epub.name
        path.write_bytes(epub.data)
        check_epub(path, found, timeout=seconds)
    if found.errors:
        raise ValidationFailed("; ".join(found.errors))
    return found.passed[0]
