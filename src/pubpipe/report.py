"""report.md: what the build did, in words a member of staff can act on."""

from collections import Counter
from pathlib import Path

from .model import Anthology
from .pdfglyphs import CODE as GLYPHS

PRINTING = """\
## Printing the booklet

`{print_name}` holds {sheets} A4 sheet(s) printed on both sides, two A5 pages a side, in
saddle-stitch order ({pages} pages, {blanks} of them intentionally blank). Print it duplex on A4,
landscape, **flip on short edge**, at 100 % (no "fit to page"); stack the sheets in the order they
come out (the first sheet, with the cover, stays on the outside), fold the stack in half and
staple on the fold.
"""


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def human_size(size: int) -> str:
    """1234567 -> '1.2 MB'."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if size < 1000 or unit == "GB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1000
    return f"{size} bytes"


def render_report(anthology: Anthology, outputs: dict, problems: tuple = (), validation: tuple = (),
                  printing: dict = None, edited: tuple = ()) -> str:
    """The report's Markdown text."""
    out = [f"# Build report: {anthology.title}", ""]
    errors = [p for p in problems if getattr(p, "severity", "error") != "warning"]
    skipped = [p for p in problems if getattr(p, "severity", "error") == "warning"]
    out.append(f"{len(anthology.stories)} stories from {len(anthology.sources)} source file(s); "
               f"{len(anthology.removed)} line(s) removed; {len(errors)} problem(s) with sources; "
               f"{len(skipped)} file(s) skipped on purpose; {len(anthology.warnings)} warning(s). "
               f"Language: {anthology.language}.")
    out += ["", "## Outputs", "", "| file | size | pages |", "| --- | --- | --- |"]
    for name, info in outputs.items():
        out.append(f"| `{name}` | {human_size(info.get('size', 0))} | {info.get('pages') or ''} |")
    placeholders = [p for p in errors if p.code == GLYPHS]
    errors = [p for p in errors if p.code != GLYPHS]
    if errors:
        out += ["", "## Sources skipped or cut short", ""]
        out += [f"- **{_cell(p.file)}**: {_cell(p.reason)} `[{p.code}]`" for p in errors]
    if skipped:
        out += ["", "## Files skipped on purpose (warnings)", "",
                "Editor backups, temporary files and copies of other sources: not articles, so not published.", ""]
        out += [f"- `{_cell(p.file)}`: {_cell(p.reason)} `[{p.code}]`" for p in skipped]
    if placeholders:
        out += ["", "## Characters the PDF cannot show", "",
                "No installed font has these characters. Every story is published; the PDF shows a "
                "placeholder (a boxed ?) in their place, while the EPUB, the web pages and anthology.json "
                "keep them. Install a font that has them and build again, or edit the source.", ""]
        out += [f"- **{_cell(p.file)}**: {_cell(p.reason)} `[{p.code}]`" for p in placeholders]
    if edited:
        out += ["", "## Sources changed during the build", "",
                "This build used each file as it was when the build started; build again to publish the change.", ""]
        out += [f"- `{_cell(name)}`" for name in edited]
    out += ["", "## Sources", "", "| file | encoding | lines | repairs |", "| --- | --- | --- | --- |"]
    for s in anthology.sources:
        out.append(f"| `{_cell(s['file'])}` | {s['encoding']} | {s['lines']} | {_cell('; '.join(s['repairs'])) or '—'} |")
    out += ["", "## Stories", "", "| # | title | id | source lines | language | blocks |", "| --- | --- | --- | --- | --- | --- |"]
    for n, story in enumerate(anthology.stories, 1):
        kinds = Counter(b.type for b in story.blocks)
        summary = ", ".join(f"{v} {k}" for k, v in sorted(kinds.items()))
        out.append(f"| {n} | {_cell(story.title)} | `{story.id}` | {_cell(story.source.file)} "
                   f"{story.source.first_line}–{story.source.last_line} | {story.language} | {summary} |")
    out += ["", "## Removed lines", ""]
    if anthology.removed:
        out += ["| file | line | rule | text |", "| --- | --- | --- | --- |"]
        out += _removed_rows(anthology.removed)
    else:
        out.append("None.")
    out += ["", "## Warnings", ""]
    out += [f"- {_cell(w)}" for w in anthology.warnings] or ["None."]
    out += ["", "## Validation", ""]
    out += [f"- {_cell(v)}" for v in validation] or ["Not run."]
    if printing:
        out += ["", PRINTING.format(**printing).rstrip()]
    return "\n".join(out) + "\n"


PAGE_RULES = ("trafilatura", "html-reader")
"""Rules of what a saved page's reader left out (pubpipe.webpage): hundreds of menu and link blocks
a page, so the report gives one row per page and anthology.json the list."""
PAGE_SAMPLE = 12


def _removed_rows(removed: tuple) -> list:
    rows, pages = [], {}
    for r in removed:
        if r.rule in PAGE_RULES:
            if (r.file, r.rule) not in pages:
                pages[(r.file, r.rule)] = []
                rows.append((r.file, r.rule))
            pages[(r.file, r.rule)].append(r)
        else:
            rows.append(r)
    out = []
    for row in rows:
        if not isinstance(row, tuple):
            rule = row.rule if row.confidence is None else f"{row.rule} ({row.confidence:.2f})"
            out.append(f"| `{_cell(row.file)}` | {row.line} | {rule} | {_cell(row.text)} |")
            continue
        blocks = pages[row]
        lines = sorted({b.line for b in blocks})
        span = f"{lines[0]}–{lines[-1]}" if len(lines) > 1 else str(lines[0])
        words = sum(len(b.text.split()) for b in blocks)
        sample = "; ".join(b.text if len(b.text) <= 60 else b.text[:59] + "…" for b in blocks[:PAGE_SAMPLE])
        more = f"; … ({len(blocks) - PAGE_SAMPLE} more)" if len(blocks) > PAGE_SAMPLE else ""
        out.append(f"| `{_cell(row[0])}` | {span} | {row[1]} | {len(blocks)} block(s) of the page ({words:,} words) "
                   f"left out of the article, each in anthology.json's `removed`: {_cell(sample + more)} |")
    return out


def write_report(folder: Path, *args, **kwargs) -> Path:
    """Write report.md into `folder`."""
    path = Path(folder) / "report.md"
    path.write_text(render_report(*args, **kwargs), encoding="utf-8")
    return path
