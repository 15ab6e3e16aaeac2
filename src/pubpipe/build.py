"""Render, validate and publish steps the flow calls, as plain functions over a staging folder."""

from pathlib import Path

from .errors import ValidationFailed
from .model import Anthology
from .report import write_report
from .stages import BuildResult
from .validate import Findings, check_output


def render_pdf(anthology: Anthology, staging: Path):
    """The A5 reading edition, `<slug>.pdf`."""
    from .pdf import render_pdf as render
    return render(anthology, Path(staging) / f"{anthology.slug}.pdf")


def impose_pdf(anthology: Anthology, staging: Path):
    """The saddle-stitch print edition, `<slug>-print.pdf`, from the reading edition."""
    from .impose import impose
    return impose(Path(staging) / f"{anthology.slug}.pdf", Path(staging) / f"{anthology.slug}-print.pdf")


def render_epub(anthology: Anthology, staging: Path) -> Path:
    """The EPUB 3, `<slug>.epub`."""
    from .epub import render_epub as render
    return render(anthology, Path(staging) / f"{anthology.slug}.epub")


def validate_epub(path: Path) -> str:
    """EPUBCheck the EPUB; raise ValidationFailed on any fatal, error or warning."""
    found = Findings()
    from .validate import check_epub
    check_epub(Path(path), found)
    if found.errors:
        raise ValidationFailed("; ".join(found.errors))
    return found.passed[0]


def render_web(anthology: Anthology, staging: Path, pdf_info, epub_path: Path) -> list:
    """The web folder, with download links to the PDF and EPUB."""
    from .web import Download, render_web as render
    staging = Path(staging)
    pdf = staging / f"{anthology.slug}.pdf"
    downloads = [Download("pdf", pdf.name, pdf.stat().st_size, pdf_info.pages),
                 Download("epub", Path(epub_path).name, Path(epub_path).stat().st_size, None)]
    return render(anthology, staging / "web", downloads)


def outputs_table(staging: Path, anthology: Anthology, pdf_info, print_info) -> dict:
    """File name -> size and page count, for the report and the CLI."""
    staging = Path(staging)
    pages = {f"{anthology.slug}.pdf": pdf_info.pages, f"{anthology.slug}-print.pdf": print_info.pages_padded // 2}
    names = ["anthology.json", f"{anthology.slug}.pdf", f"{anthology.slug}-print.pdf", f"{anthology.slug}.epub",
             "web/index.html", "web/snippets.json", "web/feed.xml"]
    return {n: {"size": (staging / n).stat().st_size, "pages": pages.get(n)} for n in names if (staging / n).exists()}


def finish(staging: Path, anthology: Anthology, ingested, pdf_info, print_info, epub_check: str) -> dict:
    """Write the report, validate the whole staging folder; raise ValidationFailed if anything is wrong."""
    outputs = outputs_table(staging, anthology, pdf_info, print_info)
    printing = {"print_name": f"{anthology.slug}-print.pdf", "sheets": print_info.pages_padded // 4,
                "pages": print_info.pages_padded, "blanks": print_info.pages_padded - print_info.pages_in}
    write_report(staging, anthology, outputs, ingested.problems, (epub_check,), printing)
    found = check_output(Path(staging), run_epubcheck=False)
    if found.errors:
        raise ValidationFailed("output failed validation: " + "; ".join(found.errors))
    write_report(staging, anthology, outputs, ingested.problems, (epub_check, *found.passed), printing)
    return outputs


def result(output: Path, outputs: dict, ingested) -> BuildResult:
    """The build's result: exit code 1 when some sources had problems, else 0."""
    code = 1 if ingested.problems else 0
    return BuildResult(code, str(output), outputs, tuple(ingested.problems))
