"""What a build tells its user: the problems it met (as it meets them, `say_problems`), report.md,
the table of outputs, anthology.json and the `BuildResult` (exit code) — after the renderers, before
publishing (see `pubpipe.pipeline`)."""

import dataclasses
import json
import sys
from pathlib import Path

from pubpipe.errors import ValidationFailed
from pubpipe.model import WARNING, Anthology, problem
from pubpipe.render import Rendered
from pubpipe.publish.report import write_report
from pubpipe.publish.result import BuildResult
from pubpipe.read.intake import Ingested
from pubpipe.publish.validate import check_output


def note_placeholders(anthology: Anthology, ingested: Ingested, pdf: Rendered, config_path=None) -> Ingested:
    """``ingested`` with a problem for each story (on its source file) and for the book's title,
    subtitle or publisher (on ``config_path``, the anthology.toml) holding characters the PDF showed
    as placeholders (`pubpipe.render.pdf.glyphs.problems`): the story is published everywhere, the build ends
    with exit code 1."""
    from pubpipe.render.pdf.glyphs import CODE, problems
    config = Path(config_path).name if config_path else "anthology.toml"
    found = [problem(file, reason, CODE) for file, reason in problems(anthology, pdf.info.placeholders, config)]
    if not found:
        return ingested
    return dataclasses.replace(ingested, problems=tuple(sorted([*ingested.problems, *found], key=lambda p: p.file)))


def outputs_table(staging: Path, anthology: Anthology, pdf: Rendered, printed: Rendered) -> dict:
    """File name -> size and page count, for the report, the CLI and the Prefect artifact."""
    staging = Path(staging)
    pages = {pdf.name: pdf.info.pages, printed.name: printed.info.pages_padded // 2}
    names = ["anthology.json", pdf.name, printed.name, f"{anthology.slug}.epub",
             "web/index.html", "web/snippets.json", "web/feed.xml", "report.md"]
    return {n: {"size": (staging / n).stat().st_size, "pages": pages.get(n)} for n in names if (staging / n).exists()}


NO_BASE_URL = problem("anthology.toml", "'base_url' is not set, so the web pages have no canonical address and "
                      "their share image, snippet and feed links are relative (they break once embedded or shared): "
                      "set base_url to the address web/ is published at, e.g. "
                      "base_url = \"https://example.org/anthology/web/\"", "base-url", WARNING)
"""The report's warning for a build without ``base_url`` (one line)."""


def report_and_validate(staging: Path, anthology: Anthology, ingested, pdf: Rendered, printed: Rendered,
                        epub_check: str, edited: list = (), base_url: str = "") -> dict:
    """Write report.md into the staging folder and validate the whole folder (the EPUB was
    EPUBChecked already: ``epub_check`` says so); raise ValidationFailed if anything is wrong, else
    write the report again with the checks that passed and return the outputs table.

    `edited`: sources changed on disk while the build ran (it used the bytes read at its start);
    `base_url`: anthology.toml's (without one, the report warns, `NO_BASE_URL`)."""
    info = printed.info
    printing = {"print_name": printed.name, "sheets": info.pages_padded // 4,
                "pages": info.pages_padded, "blanks": info.pages_padded - info.pages_in,
                "signatures": info.signatures}
    report = dict(problems=ingested.problems, printing=printing, edited=tuple(edited),
                  notes=() if base_url else (NO_BASE_URL,))
    write_report(staging, anthology, outputs_table(staging, anthology, pdf, printed), validation=(epub_check,), **report)
    found = check_output(Path(staging), run_epubcheck=False)
    if found.errors:
        raise ValidationFailed("output failed validation: " + "; ".join(found.errors))
    write_report(staging, anthology, outputs_table(staging, anthology, pdf, printed),
                 validation=(epub_check, *found.passed), **report)
    return outputs_table(staging, anthology, pdf, printed)


def result(output: Path, outputs: dict, ingested, edited: list = ()) -> BuildResult:
    """The build's result: exit code 1 when some sources had problems (errors), else 0; files
    skipped with a warning (editor backups, duplicates) are listed apart and leave the code alone."""
    errors = tuple(p for p in ingested.problems if p.is_error)
    warnings = tuple(p for p in ingested.problems if not p.is_error)
    return BuildResult(1 if errors else 0, str(output), outputs, errors, edited=tuple(edited), warnings=warnings)


def write_anthology(anthology: Anthology, folder: Path) -> Path:
    """Write anthology.json (schema pubpipe/anthology@1) into `folder`."""
    path = Path(folder) / "anthology.json"
    path.write_text(json.dumps(anthology.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def say_problems(problems: tuple) -> None:
    """Name each bad source and the reason as the build finds them (warnings as warnings): as a
    progress event (`pubpipe build` shows it on the terminal) and in the flow run's log (the
    Prefect UI)."""
    from pubpipe.orchestrate import progress as progress
    logger = _run_logger()
    for p in problems:
        verb = ("skipped " if p.code.startswith("source.") else "") if p.is_error else "warning: "
        line = f"{verb}{p.file}: {p.message} [{p.code}]"
        progress.emit("problem", text=line, error=p.is_error)
        if logger is not None:
            logger.info(line)


def _run_logger():
    """The Prefect flow run's logger, or None outside a flow run (Prefect not even imported)."""
    context = sys.modules.get("prefect.context")
    if context is None or context.FlowRunContext.get() is None:
        return None
    from prefect.logging import get_run_logger
    return get_run_logger()
