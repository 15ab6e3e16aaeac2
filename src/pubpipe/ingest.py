"""Ingest: read every source file, decode it, repair encoding damage, reject what can't be used.

The result keeps the source's own line numbers so that every later message and every removed
line can point at the line a person would find in their editor.
"""

import hashlib
import html
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import ftfy

from . import charsets
from .config import Limits
from .errors import SourceError

TEXT_SUFFIXES = {".txt", ".text", ".md", ""}
HTML_SUFFIXES = {".html", ".htm", ".xhtml"}
WORD_SUFFIXES = {".docx"}
SKIP_NAMES = {"anthology.toml", "thumbs.db", "ehthumbs.db", "desktop.ini"}  # (lower case) never articles

ERROR, WARNING = "error", "warning"

# Invisible characters that only get in the way of text: zero-width space, word joiner,
# byte order mark, soft hyphen and the bidi embedding/override/isolate controls.
INVISIBLE = re.compile("[\u200b\u2060\ufeff\u00ad\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]")
# ZWJ and ZWNJ shape Arabic, Indic and emoji text; they are noise only next to Latin, digits or spaces.
STRAY_JOINER = re.compile(r"(?<=[\sA-Za-z0-9])[\u200c\u200d]|[\u200c\u200d](?=[\sA-Za-z0-9]|$)|^[\u200c\u200d]", re.M)
ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
BREAK_TAG = re.compile(r"\s*<(?:br\s*/?|/?p(?:\s[^<>]*)?)>\s*", re.I)


@dataclass(frozen=True)
class Line:
    """One line of a source after decoding, with the 1-based line number it had in the file."""

    number: int
    """Line number in the source file (1-based)."""
    text: str
    """The line's text, without its line ending."""
    tag: str = ""
    """For lines read from an HTML page, what the page marked them as (title, heading, p, ul, ol,
    quote, cite, byline, caption); empty for text sources."""

    def __reduce__(self):
        # Pickled as a plain tuple, never as a __dict__: a pickle of a dict memoises its keys, so a
        # value that happens to be the same object as a key (kind="text" and the field name `text`)
        # pickles differently before and after a round trip. The build's cache keys digest these
        # pickles; with the dict form an unchanged rebuild missed the cache of clean and structure.
        return (Line, (self.number, self.text, self.tag))


@dataclass(frozen=True)
class RawSource:
    """A decoded source file, ready for cleaning."""

    file: str
    """File name relative to the sources folder."""
    lines: tuple
    """Its lines, as a tuple of Line."""
    encoding: str
    """The encoding it was decoded from."""
    repairs: tuple = ()
    """What ingest changed, in words, for the report."""
    kind: str = "text"
    """"text" or "html"."""

    def __reduce__(self):
        # A plain tuple, for the same reason as Line.__reduce__.
        return (RawSource, (self.file, self.lines, self.encoding, self.repairs, self.kind))


@dataclass(frozen=True)
class Skipped:
    """A file of the sources folder that is not read, and why."""

    file: str
    """Its name relative to the sources folder."""
    reason: str
    """What happened and what to do, in words."""
    code: str
    """A stable code (source.outside, source.backup…)."""
    severity: str = ERROR
    """"error" (the build exits 1) or "warning" (listed, exit code unchanged)."""


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


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def scan_sources(folder: Path) -> tuple:
    """(files, skipped): every source file to read (sorted by name), and the files the build will
    not read, each a `Skipped`. Hidden files and folders are passed over silently, like the
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
            skipped.append(Skipped(name_of(directory), f"cannot be read: {exc.strerror or exc}", "source.unreadable"))
            return
        for entry in entries:
            path = directory / entry.name
            if entry.name.lower() in SKIP_NAMES:
                continue
            temporary = None if entry.is_dir() else temporary_kind(entry.name)
            if temporary:
                skipped.append(Skipped(name_of(path), f"looks like {temporary[0]}, not an article; skipped "
                                       f"({temporary[1]})", "source.backup", WARNING))
                continue
            if entry.name.startswith("."):
                continue
            if entry.is_symlink():
                target = Path(os.path.realpath(path))
                if not _inside(target, root):
                    what = "folder" if target.is_dir() else "file"
                    skipped.append(Skipped(name_of(path), f"is a link to a {what} outside the sources folder; not "
                                           f"read (copy the {what} into the sources folder if it belongs in the "
                                           "anthology)", "source.outside"))
                elif not target.exists():
                    skipped.append(Skipped(name_of(path), "is a link to a file that does not exist; remove the "
                                           "link, or put the file in its place", "source.broken-link"))
                elif target.is_dir():
                    linked_folders.append(path)
                elif target.is_file():
                    files.append(path)
            elif entry.is_dir(follow_symlinks=False):
                if Path(entry.name).suffix.lower() in DOCUMENTS:  # a macOS package (.pages) is a folder
                    skipped.append(Skipped(name_of(path), DOCUMENTS[Path(entry.name).suffix.lower()], "source.document"))
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
    """`Skipped` warnings for the files whose bytes equal an earlier-ranked file's. `files` holds
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
        skipped += [Skipped(n, f"has the same content as {kept}, which is published; skipped (delete one of "
                            "the two to silence this warning)", "source.duplicate", WARNING) for n in others]
    return sorted(skipped, key=lambda s: s.file)


# Documents pubpipe cannot read, and what to do instead.
_SAVE_AS_DOCX = "open it in Word or LibreOffice and save it as a Word document (.docx), or copy its text into a .txt file"
_COPY_TEXT = "copy the article's text into a .txt file (or save the web page as .html)"
DOCUMENTS = {
    ".doc": f"is an old Word document (.doc), which pubpipe cannot read; {_SAVE_AS_DOCX}",
    ".odt": f"is an OpenDocument text (.odt), which pubpipe cannot read; {_SAVE_AS_DOCX}",
    ".rtf": f"is a Rich Text file (.rtf), which pubpipe cannot read; {_SAVE_AS_DOCX}",
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
    """"html", "docx" or "text": how to read a source; raises SourceError for a PDF, an image or a
    document pubpipe does not read, by its name or, for a text name, by its first bytes."""
    suffix = Path(name).suffix.lower()
    refuse_format(name)
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in WORD_SUFFIXES:
        return "docx"
    sniffed = _sniffed(data)
    if sniffed == ".docx":
        return "docx"
    _refuse(name, sniffed)
    return "text"


def _too_large(name: str, size: int, limits: Limits) -> SourceError:
    return SourceError(name, f"file is {size:,} bytes, over the limit of {limits.max_file_bytes:,} "
                       "(raise limits.max_file_bytes in anthology.toml)", "source.too-large")


def decode(name: str, data: bytes, limits: Limits = Limits()) -> tuple[str, str, list]:
    """Bytes to text: (text, encoding, repairs). UTF-8 (with or without a byte order mark), UTF-16
    and UTF-32 with one, UTF-16 without one, else a legacy code page (`pubpipe.charsets`).
    Raises SourceError for empty or binary data."""
    if len(data) > limits.max_file_bytes:
        raise _too_large(name, len(data), limits)
    if not data.strip():
        raise SourceError(name, "file is empty or holds only whitespace", "source.empty")
    repairs: list[str] = []
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            text, encoding = data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
            repairs.append("UTF-8 byte order mark removed")
        elif data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
            text, encoding = data.decode("utf-32"), "utf-32"
        elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
            text, encoding = data.decode("utf-16"), "utf-16"
        elif b"\x00" in data[:8192]:
            encoding = charsets.utf16_without_bom(data)
            if encoding is None:
                raise SourceError(name, "file looks binary (it holds NUL bytes), not text", "source.binary")
            text = data.decode(encoding)
            repairs.append(f"decoded as {charsets.label(encoding)} (it has no byte order mark)")
        else:
            try:
                text, encoding = data.decode("utf-8"), "utf-8"
            except UnicodeDecodeError:
                encoding = charsets.legacy(data)
                if encoding is None:
                    raise SourceError(name, "file is not text in any encoding pubpipe knows", "source.binary")
                text = data.decode(encoding, errors="replace")
                repairs.append(f"decoded as {charsets.label(encoding)} (not UTF-8)")
    except UnicodeDecodeError as exc:  # a byte order mark followed by something else
        raise SourceError(name, f"file starts like {charsets.label(exc.encoding)} text but is not; save it again as UTF-8",
                          "source.binary") from exc
    if _control_ratio(text) > 0.01:
        raise SourceError(name, "file looks binary (it holds many control characters), not text", "source.binary")
    return text, encoding, repairs


def _control_ratio(text: str) -> float:
    sample = text[:65536]
    # C0 controls only: C1 controls (U+0080–U+009F) are typical of mojibake, which ftfy repairs.
    controls = sum(1 for ch in sample if (ch < " " or ch == "\x7f") and ch not in "\n\r\t\f\v")
    return controls / max(1, len(sample))


def normalise(text: str, repairs: list) -> str:
    """Repair mojibake (ftfy, keeping curly quotes), unify line endings, NFC, drop invisible characters."""
    fixed = ftfy.fix_text(text, uncurl_quotes=False, fix_line_breaks=True, normalization="NFC",
                          fix_latin_ligatures=False, fix_character_width=False, remove_control_chars=True)
    if fixed != unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n")):
        repairs.append("encoding damage (mojibake) repaired with ftfy")
    if INVISIBLE.search(fixed) or STRAY_JOINER.search(fixed):
        repairs.append("zero-width and bidi control characters removed")
        fixed = STRAY_JOINER.sub("", INVISIBLE.sub("", fixed))
    return fixed


def text_lines(text: str, repairs: list) -> tuple:
    """Split text into numbered Lines; decode entities and turn <br>/<p> into line breaks."""
    out = []
    decoded = broken = False
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw
        if "&" in line and ENTITY.search(line):
            line = ENTITY.sub(lambda m: html.unescape(m.group(0)), line).replace("\u00a0", " ")
            decoded = True
        if "<" in line and BREAK_TAG.search(line):
            parts = BREAK_TAG.split(line)
            broken = True
            out.extend(Line(number, part) for part in parts)
            continue
        out.append(Line(number, line))
    if decoded:
        repairs.append("HTML entities decoded")
    if broken:
        repairs.append("<br> and <p> tags turned into line breaks")
    return tuple(out)


def read_bytes(path: Path, name: str, limits: Limits = Limits(), root: Path = None) -> bytes:
    """A source's bytes, refusing (before reading) a PDF, an image or a document pubpipe cannot read,
    and a file over the size limit: memory stays bounded. With `root`, the file is opened only where
    its links lead inside `root` (a link swapped in after `scan_sources` looked is not followed out)."""
    refuse_format(name)
    try:
        if root is not None:
            real = os.path.realpath(path)
            if not _inside(Path(real), Path(os.path.realpath(root))):
                raise SourceError(name, "is a link to a file outside the sources folder; not read (copy the file "
                                  "into the sources folder if it belongs in the anthology)", "source.outside")
            path = real
        handle = os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)), "rb")
        with handle:
            size = os.fstat(handle.fileno()).st_size
            if size > limits.max_file_bytes:
                raise _too_large(name, size, limits)
            return handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        raise SourceError(name, f"cannot be read: {exc.strerror or exc}", "source.unreadable") from exc


def _check_lines(name: str, text: str, limits: Limits) -> None:
    longest = max((len(line) for line in text.split("\n")), default=0)
    if longest > limits.max_line_chars:  # before the repairs, whose time grows with a line's length
        raise SourceError(name, f"a line is {longest:,} characters long, over the limit of "
                          f"{limits.max_line_chars:,} (raise limits.max_line_chars in anthology.toml)",
                          "source.line-too-long")


def parse_source(name: str, data: bytes, limits: Limits = Limits()) -> RawSource:
    """Decode and repair one source's bytes into numbered lines. Raises SourceError naming the problem."""
    kind = source_format(name, data)
    if kind == "docx":
        return _parse_docx(name, data, limits)
    text, encoding, repairs = decode(name, data, limits)
    _check_lines(name, text, limits)
    text = normalise(text, repairs)
    if kind == "html":
        from .htmlsource import html_lines
        lines = html_lines(text)
        if not any(line.text.strip() for line in lines):
            raise SourceError(name, "the page holds no article text", "source.empty")
        return RawSource(name, lines, encoding, tuple(repairs + ["read as an HTML page"]), "html")
    lines = text_lines(text, repairs)
    if not any(line.text.strip() for line in lines):
        raise SourceError(name, "file holds no text after decoding", "source.empty")
    return RawSource(name, lines, encoding, tuple(repairs))


def _parse_docx(name: str, data: bytes, limits: Limits) -> RawSource:
    """A Word document through the saved-page path: mammoth's HTML (`pubpipe.docxsource`), one
    line per paragraph, read by `pubpipe.htmlsource`."""
    from .docxsource import docx_html
    from .htmlsource import html_lines
    if len(data) > limits.max_file_bytes:
        raise _too_large(name, len(data), limits)
    markup, repairs = docx_html(name, data, limits)
    _check_lines(name, markup, limits)
    lines = html_lines(normalise(markup, repairs))
    if not any(line.text.strip() for line in lines):
        raise SourceError(name, "the Word document holds no text; check that it is the right file", "source.empty")
    return RawSource(name, lines, "docx", tuple(repairs), "html")


def read_source(path: Path, root: Path, limits: Limits = Limits()) -> RawSource:
    """Read and decode one source file. Raises SourceError naming the file and the problem."""
    name = str(Path(path).relative_to(root)) if root else Path(path).name
    return parse_source(name, read_bytes(path, name, limits), limits)
