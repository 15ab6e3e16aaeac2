"""report.md: what the build did, in words a member of staff can act on."""

from collections import Counter
from pathlib import Path

from pubpipe.model import Anthology
from pubpipe.render.pdf.glyphs import CODE as GLYPHS
from pubpipe.units import human_size

PRINTING = """\
## Printing the booklet

`{print_name}` holds {sheets} A4 sheet(s) printed on both sides, two A5 pages a side, in
saddle-stitch order ({pages} pages, {blanks} of them intentionally blank). Print it duplex on A4,
landscape, **flip on short edge**, at 100 % (no "fit to page"); stack the sheets in the order they
come out (the first sheet, with the cover, stays on the outside), fold the stack in half and
staple on the fold.
"""
PRINTING_SIGNATURES = """\
## Printing the book

`{print_name}` holds {sheets} A4 sheets printed on both sides, two A5 pages a side ({pages}
pages, {blanks} of them intentionally blank): too many to fold and staple as one booklet, so they
are imposed as {count} signatures (sections) of {sizes} sheets, in order. Print it duplex on A4,
landscape, **flip on short edge**, at 100 % (no "fit to page"). Take the sheets as they come out in
groups of {sizes}: each group is one signature; keep its first sheet on the outside and fold it
in half on its own. Stack the folded signatures in order (the one with the cover on top) and bind
them at the spine: sew through the folds (section sewing), or trim the spine and glue it (perfect
binding); a copy shop does either. Staples do not go through the stack.
"""


def _printing(printing: dict) -> str:
    sizes = list(printing.get("signatures") or ())
    if len(sizes) <= 1:
        return PRINTING.format(**printing).rstrip()
    said = ", ".join(str(s) for s in sizes[:-1]) + f" and {sizes[-1]}"
    return PRINTING_SIGNATURES.format(**printing, count=len(sizes), sizes=said).rstrip()


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_report(anthology: Anthology, outputs: dict, problems: tuple = (), validation: tuple = (),
                  printing: dict = None, edited: tuple = (), notes: tuple = ()) -> str:
    """The report's Markdown text. Each Diagnostic is listed once: ``problems`` (the build's
    sources skipped, files skipped on purpose, characters the PDF cannot show) each in a section of
    its own, the anthology's dropped lines under "Removed lines", its other warnings (those not
    among ``problems``) under "Warnings", after ``notes``, the build's own warnings (about its settings)."""
    out = [f"# Build report: {anthology.title}", ""]
    errors = [p for p in problems if p.is_error]
    skipped = [p for p in problems if not p.is_error]
    listed = set(problems)
    warnings = [*notes, *(w for w in anthology.warnings if w not in listed)]
    out.append(f"{len(anthology.stories)} stories from {len(anthology.sources)} source file(s); "
               f"{len(anthology.removed)} line(s) removed; {len(errors)} problem(s) with sources; "
               f"{len(skipped)} file(s) skipped on purpose; {len(warnings)} warning(s). "
               f"Language: {anthology.language}.")
    out += ["", "## Outputs", "", "| file | size | pages |", "| --- | --- | --- |"]
    for name, info in outputs.items():
        out.append(f"| `{name}` | {human_size(info.get('size', 0))} | {info.get('pages') or ''} |")
    placeholders = [p for p in errors if p.code == GLYPHS]
    errors = [p for p in errors if p.code != GLYPHS]
    if errors:
        out += ["", "## Sources skipped or cut short", ""]
        out += [f"- **{_cell(p.file)}**: {_cell(p.message)} `[{p.code}]`" for p in errors]
    if skipped:
        out += ["", "## Files skipped on purpose (warnings)", "",
                "Editor backups, temporary files and copies of other sources: not articles, so not published.", ""]
        out += [f"- `{_cell(p.file)}`: {_cell(p.message)} `[{p.code}]`" for p in skipped]
    if placeholders:
        out += ["", "## Characters the PDF cannot show", "",
                "No installed font has these characters. Every story is published; the PDF shows a "
                "placeholder (a boxed ?) in their place, while the EPUB, the web pages and anthology.json "
                "keep them. Install a font that has them and build again, or edit the source.", ""]
        out += [f"- **{_cell(p.file)}**: {_cell(p.message)} `[{p.code}]`" for p in placeholders]
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
    out += _review(anthology)
    out += ["", "## Removed lines", ""]
    if anthology.removed:
        out += ["| file | line | rule | text |", "| --- | --- | --- | --- |"]
        out += _removed_rows(anthology.removed)
    else:
        out.append("None.")
    out += ["", "## Warnings", ""]
    out += [f"- {_cell(w)}" for w in warnings] or ["None."]
    out += ["", "## Validation", ""]
    out += [f"- {_cell(v)}" for v in validation] or ["Not run."]
    if printing:
        out += ["", _printing(printing)]
    return "\n".join(out) + "\n"


KEEP_HINT = ("To keep a dropped line, add its text as the report shows it to `keep` in anthology.toml "
             "(`keep = [\"the line\"]`) and build again; to start a story at a line, add it to `split_before`.")


def _review(anthology: Anthology) -> list:
    """The least certain decisions of each story, for a person to check in a minute."""
    doubtful = [d for d in anthology.review if d.what != "kept"]
    kept = [d for d in anthology.review if d.what == "kept"]
    if not doubtful and not kept:
        return []
    out = ["", "## Decisions to check", "",
           "The least certain decisions of each story (at most five each: lines dropped, headings, where "
           "stories start), least certain first. Each rule has a fixed confidence (a learned model gives "
           "its own per line). " + KEEP_HINT, ""]
    if doubtful:
        out += ["| story | line | decision | rule | confidence | text |", "| --- | --- | --- | --- | --- | --- |"]
        out += [f"| `{d.story}` | {d.line} | {d.what} | {d.rule} | {d.confidence:.2f} | {_cell(_short(d.text))} |"
                for d in doubtful]
    if kept:
        out += ["", "Kept because `keep` in anthology.toml lists them (a rule would have dropped them):", ""]
        out += [f"- `{_cell(d.file)}` line {d.line} ({d.rule}): {_cell(_short(d.text))}" for d in kept]
    return out


def _short(text: str, limit: int = 120) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


PAGE_RULES = ("trafilatura", "html-reader")
"""Rules of what a saved page's reader left out (pubpipe.read.webpage): hundreds of menu and link blocks
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
