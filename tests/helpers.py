"""Helpers shared by the tests: word counts of sources and of an anthology; renderers writing where a test wants their files."""

import json
import re
from collections import Counter

from pubpipe.typography import typeset

LIST_MARK = re.compile(r"^\s*(?:\d{1,3}[.)]|[IVXLC]{1,6}\.|by)\s+", re.I)


def words(text: str) -> list:
    """Words as the scorer sees them: typographic quotes folded, case folded; the underscores of
    plain text's emphasis (`_the_ woman`) are marks, not letters of the word."""
    text = typeset(text).replace("’", "'").replace("‘", "'")
    return [w for w in (w.strip("_") for w in re.findall(r"\w+", text.casefold())) if w]


def source_words(lines_by_file: dict, removed: set) -> Counter:
    """Words of every line not listed as removed; list numbers and a byline's 'By' are structure."""
    out: Counter = Counter()
    for name, lines in lines_by_file.items():
        for n, line in enumerate(lines, 1):
            if (name, n) not in removed:
                out.update(words(LIST_MARK.sub("", line)))
    return out


def anthology_words(anthology) -> Counter:
    """Every word the anthology keeps: titles, subtitles, blocks, byline, dateline and series."""
    out: Counter = Counter()
    for s in anthology.stories:
        d = s.to_dict()
        out.update(words(" ".join([s.title, s.subtitle or "", *(b.words() for b in s.blocks),
                                   json.dumps(d["byline"], ensure_ascii=False),
                                   json.dumps(d["dateline"], ensure_ascii=False),
                                   json.dumps(d["series"], ensure_ascii=False)])))
    return out


def lost_words(lines_by_file: dict, anthology) -> dict:
    """Words of the sources (less removed lines) that the anthology has fewer of."""
    removed = {(r.file, r.line) for r in anthology.removed}
    want, got = source_words(lines_by_file, removed), anthology_words(anthology)
    return {w: n - got[w] for w, n in want.items() if got[w] < n}


def previous_output(folder, files: dict) -> dict:
    """Make `folder` look like an output an earlier build published: `files` (name -> text) and the
    build record that marks it as pubpipe's (a build refuses to replace any other folder). Returns
    every file's bytes, record included, to compare with afterwards."""
    from pathlib import Path

    from pubpipe.publish.manifest import write_manifest
    from pubpipe.publish.result import BuildResult
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    write_manifest(folder, "an earlier build", BuildResult(0, str(folder)))
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def write_web(anthology, folder, downloads=(), **options) -> list:
    """`pubpipe.render.web.site.render` written into ``folder`` as the web folder itself (its files named
    without the ``web/`` an output folder puts them in); the paths written."""
    from pubpipe.render.web import site as web
    from pubpipe.render import Rendered, write
    rendered = web.render(anthology, downloads, **options)
    inside = Rendered({name.removeprefix("web/"): data for name, data in rendered.files.items()},
                      owns=tuple(pattern.removeprefix("web/") for pattern in rendered.owns))
    return write(inside, folder)


def write_as(rendered, path):
    """The one file of a single-file `Rendered` (the PDF, the EPUB) written at ``path``; its info."""
    from pathlib import Path
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rendered.data)
    return rendered.info


def write_epub(anthology, path):
    """`pubpipe.render.epub.book.render` written at ``path``; the path."""
    from pathlib import Path
    from pubpipe.render.epub import book as epub
    write_as(epub.render(anthology), path)
    return Path(path)
