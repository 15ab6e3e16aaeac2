"""What is in the sources folder, and what kind of file each is.

`scan_sources` lists the files to read: hidden files pass silently, editor backups and temporary
files are skipped with a warning, and no link (symlink) is followed out of the folder. `duplicates`
names the files whose bytes equal another source's. `source_format` says how to read a file (text,
saved page, Word document) or refuses, saying what to do instead, a PDF, an image or a document
pubpipe cannot read — by its name, or for a text name by its first bytes.
"""

import hashlib
import os
import re
from pathlib import Path

from pubpipe.errors import SourceError
from pubpipe.model import WARNING, problem

HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
WORD_SUFFIXES = {".docx"}
MARKDOWN_SUFFIXES = {".md", ".markdown", ".mdown", ".mkd"}
MAIL_SUFFIXES = {".eml"}
SKIP_NAMES = {"anthology.toml", "thumbs.db", "ehthumbs.db", "desktop.ini"}  # (lower case) never articles

# Files that editors, office suites and browsers keep beside a document while it is open, being
# saved or downloaded: never an article. (Pattern of the file name, what it is, what to do.)
_WHILE_OPEN = "it goes away when the document is closed"
_RENAME = "rename it if it is an article"
TEMPORARY = (
    (re.compile(r"^~\$"), "a Word lock file", _WHILE_OPEN),  # ~$report.docx
    (re.compile(r"^\.~lock\..*#$"), "a LibreOffice lock file", _WHILE_OPEN),  # .~lock.report.docx#
    (re.compile(r"^\..*\.sw[a-p]$|\.swp$"), "a Vim swap file", "it goes away when Vim closes the file"),
    (re.compile(r"^#.*#$"), "an Emacs autosave file", "it goes away when the file is saved"),  # #report.txt#
    (re.compile(r"^\.#"), "an Emacs lock file", _WHILE_OPEN),  # .#report.txt
    (re.compile(r"~$"), "an editor backup", _RENAME),  # report.txt~
    (re.compile(r"\.(bak|orig)$", re.I), "a backup copy", _RENAME),
    (re.compile(r"\.(tmp|temp|kate-swp)$", re.I), "a temporary file", _RENAME),
    (re.compile(r"\.(crdownload|part|partial)$", re.I), "an unfinished download", "finish the download, or delete it"),
)
# What file managers name a copy: "x (copy)", "x - Copy", "x copy 2", "Copy of x", "x (1)".
COPY_NAME = re.compile(r"^copy of |[ _-]*\(copy(?: \d+)?\)$|[ _-]+copy(?: \d+)?$|[ _-]+copy \(\d+\)$| \(\d{1,2}\)$", re.I)


def temporary_kind(name: str):
    """(what it is, what to do), in words, when the name is an editor backup's or a temporary
    file's; else None."""
    return next(((what, todo) for pattern, what, todo in TEMPORARY if pattern.search(name)), None)


def looks_like_copy(name: str) -> bool:
    """Whether a file's name is what a file manager gives a copy, or a backup's."""
    return bool(COPY_NAME.search(Path(name).stem)) or temporary_kind(Path(name).name) is not None


def inside(path: Path, root: Path) -> bool:
    """Whether `path` is `root` or lies under it (both resolved)."""
    return path == root or root in path.parents


def scan_sources(folder: Path) -> tuple:
    """(files, skipped): every source file to read (sorted by name), and the files the build will
    not read, each a `model.problem` Diagnostic. Hidden files and folders are passed over silently, like the
    system's own (Thumbs.db); editor backups and temporary files are skipped with a warning; a
    link (file or folder) that leads outside the sources folder is never followed: it is an error,
    as is a link to nothing. Links that stay inside are read (a folder's files once)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SourceError(str(folder), "the sources folder does not exist or is not a folder", "source.missing")
    root = Path(os.path.realpath(folder))
    files, skipped, linked_folders, walked = [], [], [], set()

    def name_of(path: Path) -> str:
        return str(path.relative_to(folder))

    def walk(directory: Path) -> None:
        walked.add(os.path.realpath(directory))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            skipped.append(problem(name_of(directory), f"cannot be read: {exc.strerror or exc}", "source.unreadable"))
            return
        for entry in entries:
            path = directory / entry.name
            if entry.name.lower() in SKIP_NAMES:
                continue
            temporary = None if entry.is_dir() else temporary_kind(entry.name)
            if temporary:
                skipped.append(problem(name_of(path), f"looks like {temporary[0]}, not an article; skipped "
                                      f"({temporary[1]})", "source.backup", WARNING))
                continue
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not inside(target, root):
                    what = "folder" if target.is_dir() else "file"
                    skipped.append(problem(name_of(path), f"is a link to a {what} outside the sources folder; not "
                                          f"read (copy the {what} into the sources folder if it belongs in the "
                                          "anthology)", "source.outside"))
                elif not target.exists():
                    skipped.append(problem(name_of(path), "is a link to a file that does not exist; remove the "
                                          "link, or put the file in its place", "source.broken-link"))
                elif target.is_dir():
                    linked_folders.append(path)
                elif target.is_file():
                    files.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if Path(entry.name).suffix.lower() in DOCUMENTS:  # a macOS package (.pages) is a folder
                    skipped.append(problem(name_of(path), DOCUMENTS[Path(entry.name).suffix.lower()], "source.document"))
                else:
                    walk(path)
            elif entry.is_file(follow_symlinks=False):
                files.append(path)

    walk(folder)
    while linked_folders:  # after the real folders, so their files keep their real names
        path = linked_folders.pop(0)
        if os.path.realpath(path) not in walked:
            walk(path)
    return sorted(files, key=name_of), sorted(skipped, key=lambda s: s.file)


def list_sources(folder: Path) -> list[Path]:
    """Every source file the build reads (see `scan_sources`), sorted by name."""
    return scan_sources(folder)[0]


def duplicates(files: list, links: frozenset = frozenset()) -> list:
    """Warnings (`model.problem`) for the files whose bytes equal an earlier-ranked file's. `files` holds
    (name, bytes); of equal files the one kept is the one whose name looks least like a copy
    ("x (copy).txt", "Copy of x.txt"), then not a link (`links`), then the shallowest, shortest
    and first by name. Empty files are left to fail on their own."""
    groups: dict = {}
    for name, data in files:
        if data.strip():
            groups.setdefault(hashlib.sha256(data).digest(), []).append(name)
    skipped = []
    for names in groups.values():
        if len(names) < 2:
            continue
        kept, *others = sorted(names, key=lambda n: (looks_like_copy(n), n in links, n.count(os.sep), len(n), n))
        skipped += [problem(n, f"has the same content as {kept}, which is published; skipped (delete one of "
                           "the two to silence this warning)", "source.duplicate", WARNING) for n in others]
    return sorted(skipped, key=lambda s: s.file)


# Documents pubpipe cannot read, and what to do instead.
_SAVE_AS_DOCX = "open it in Word or LibreOffice and save it as a Word document (.docx), or copy its text into a .txt file"
_COPY_TEXT = "copy the article's text into a .txt file (or save the web page as .html)"
DOCUMENTS = {
    ".doc": f"is an old Word document (.doc), which pubpipe cannot read; {_SAVE_AS_DOCX}",
    ".odt": f"is an OpenDocument text (.odt), which pubpipe cannot read; {_SAVE_AS_DOCX}",
    ".rtf": f"is a Rich Text file (.rtf), which pubpipe cannot read; {_SAVE_AS_DOCX}",
    ".msg": "is an Outlook message (.msg), which pubpipe cannot read; in Outlook open it and choose File > "
            "Save As > HTML, or drag it out of a web mail program as .eml, or copy its text into a .txt file",
    ".pages": "is an Apple Pages document, which pubpipe cannot read; in Pages choose File > Export To > Word "
              "(.docx), or copy its text into a .txt file",
}
PDF = f"is a PDF, which pubpipe cannot read; {_COPY_TEXT}"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".webp", ".tif", ".tiff", ".heic", ".heif", ".bmp", ".svg"}
IMAGE = "is an image ({}), not text; " + _COPY_TEXT
# The first bytes of the same kinds of file, whatever their name says (a PDF saved as .txt).
MAGIC = ((b"%PDF-", ".pdf"), (b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"GIF87a", ".gif"),
         (b"GIF89a", ".gif"), (b"II*\x00", ".tiff"), (b"MM\x00*", ".tiff"), (b"{\\rtf", ".rtf"),
         (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", ".doc"))


def _sniffed(data: bytes) -> str:
    """The suffix the first bytes say the file has ("" when they say nothing)."""
    for magic, suffix in MAGIC:
        if data.startswith(magic):
            return suffix
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return ".webp"
    if data[4:8] == b"ftyp" and data[8:12] in (b"heic", b"heix", b"mif1", b"msf1"):
        return ".heic"
    if data.startswith(b"PK\x03\x04") and b"word/" in data[:65536]:
        return ".docx"  # a Word document under another name (its parts' names are in the zip's headers)
    return ""


def refuse_format(name: str) -> None:
    """Raise SourceError, saying what to do instead, when the file's name says it is a PDF, an image or
    a document pubpipe does not read (before its bytes are read at all)."""
    _refuse(name, Path(name).suffix.lower())


def _refuse(name: str, suffix: str) -> None:
    if suffix in DOCUMENTS:
        raise SourceError(name, DOCUMENTS[suffix], "source.document")
    if suffix == ".pdf":
        raise SourceError(name, PDF, "source.pdf")
    if suffix in IMAGE_SUFFIXES:
        raise SourceError(name, IMAGE.format(suffix.lstrip(".").upper()), "source.image")


def source_format(name: str, data: bytes) -> str:
    """"html", "docx", "markdown", "mail" or "text": how to read a source; raises SourceError for a PDF, an image or a
    document pubpipe does not read, by its name or, for a text name, by its first bytes."""
    suffix = Path(name).suffix.lower()
    refuse_format(name)
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in WORD_SUFFIXES:
        return "docx"
    sniffed = _sniffed(data)
    if suffix in MARKDOWN_SUFFIXES and not sniffed:
        return "markdown"
    if suffix in MAIL_SUFFIXES and not sniffed:
        from pubpipe.read.mailfile import looks_like_mail
        if looks_like_mail(data):  # else text someone named .eml
            return "mail"
    if sniffed == ".docx":
        return "docx"
    _refuse(name, sniffed)
    return "text"
