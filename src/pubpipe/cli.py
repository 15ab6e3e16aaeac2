"""The command line: ``pubpipe build``, ``serve``, ``check`` and ``preview``.

``build`` runs the Prefect flow on the embedded default: no server to start (it starts a
temporary one for the run, see pubpipe.tempserver), and none at all when the output is up to date.
"""

import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="pubpipe: raw article text in; a PDF booklet, an EPUB and web snippets out.")
# soft_wrap: messages stay one line each (grep-able in logs); escape() keeps file names literal.
err = Console(stderr=True, soft_wrap=True, highlight=False)
out = Console(soft_wrap=True, highlight=False)


def _quiet_prefect() -> None:
    """Keep Prefect's console to warnings and its server free of analytics noise, unless the user chose."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")


def _up_to_date(sources: Path, output: Path, config: Optional[Path]):
    """The stored result when `output` already holds what this build would publish (see
    pubpipe.manifest), checked before Prefect is even imported; else None."""
    from pubpipe import stages
    from pubpipe.manifest import already_published, build_key
    settings = stages.load_settings(str(sources), str(config) if config else None)
    return already_published(output, build_key(stages.snapshot(str(sources), settings), settings))


@contextmanager
def _embedded(server):
    """Settings for a flow run on the build's own temporary server (None: a server the user runs).

    Heartbeats let a lasting server notice a crashed run; the temporary server dies with the
    build, so they would only cost the wait for their thread at the end (up to 1 s)."""
    if server is None:
        yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings
    server.wait_ready()
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        yield


@app.command()
def build(
    sources: Path = typer.Option(Path("sources"), help="Folder of raw source files."),
    output: Path = typer.Option(Path("output"), help="Folder to publish into (replaced whole on success)."),
    config: Optional[Path] = typer.Option(None, help="anthology.toml (default: beside the sources folder)."),
    dask: Optional[str] = typer.Option(None, help="Render the story pages on Dask: 'local' (a LocalCluster here) "
                                                  "or a scheduler address (tcp://host:8786)."),
    force: bool = typer.Option(False, "--force", help="Build even when the output is already up to date."),
) -> None:
    """Build every output from the sources and publish it into the output folder."""
    _quiet_prefect()
    if dask is not None:
        os.environ["PUBPIPE_DASK"] = dask  # read with anthology.toml by the flow's settings step
    os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")  # no cluster chatter unless asked
    from pubpipe.errors import PubpipeError
    from pubpipe.publish import build_lock
    from pubpipe.tempserver import temporary_server

    if not sources.is_dir():
        err.print(f"[red]pubpipe: sources folder {escape(str(sources))} does not exist[/red]")
        raise typer.Exit(2)
    try:
        # The lock at once, before Prefect starts (the flow takes it again: re-entrant); then the
        # temporary Prefect server boots in a child process while this one imports the flow.
        with build_lock(output):
            if force:
                os.environ["PUBPIPE_FORCE"] = "1"  # the flow checks too (scheduled runs); not this time
            result = None if force else _up_to_date(sources, output, config)
            if result is None:
                with temporary_server() as server:
                    from pubpipe_flows.publish import publish
                    with _embedded(server):
                        result = publish(sources=str(sources), output=str(output),
                                         config=str(config) if config else "")
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: nothing published: {escape(str(exc))}[/red]")
        err.print(f"The previous {escape(str(output))}/ is unchanged.")
        raise typer.Exit(2)
    if result.message == "up to date":
        out.print(f"[bold]{escape(result.output)} is up to date[/bold]: nothing changed since the build that "
                  "published it (sources, anthology.toml, pubpipe, fonts); use --force to build anyway")
    else:
        out.print(f"[bold]Published into {escape(result.output)}[/bold]")
    for name, info in result.outputs.items():
        pages = f", {info['pages']} pages" if info.get("pages") else ""
        out.print(f"  {escape(str(Path(result.output) / name))}  ({info['size']:,} bytes{pages})")
    out.print(f"  {escape(str(Path(result.output) / 'web'))}/stories/, web/snippets/  (a page and a snippet per story)")
    for name in result.edited:
        err.print(f"[yellow]pubpipe: {escape(name)} changed while the build ran; this build used the version "
                  "read at its start: build again to publish the change[/yellow]")
    if result.problems:
        err.print(f"[yellow]{len(result.problems)} problem(s) with sources (skipped, or a story left out); see report.md:[/yellow]")
        for p in result.problems:
            err.print(f"  {escape(p.file)}: {escape(p.reason)}")
    raise typer.Exit(result.exit_code)


@app.command()
def serve(
    sources: Path = typer.Option(Path("sources"), help="Default sources folder of the deployment."),
    output: Path = typer.Option(Path("output"), help="Default output folder of the deployment."),
    config: Optional[Path] = typer.Option(None, help="anthology.toml (schedule and timezone; default beside the sources)."),
    name: str = typer.Option("pubpipe", help="Deployment name."),
) -> None:
    """Register the scheduled and on-demand deployment with a running Prefect server and serve it."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from pubpipe.errors import PubpipeError
    from pubpipe.serving import serve as serve_deployment

    try:
        serve_deployment(sources, output, config, name)
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: {escape(str(exc))}[/red]")
        raise typer.Exit(2)


@app.command()
def check(output: Path = typer.Option(Path("output"), help="Output folder to validate.")) -> None:
    """Validate an existing output folder: anthology.json, PDFs, EPUB (EPUBCheck) and web."""
    from pubpipe.validate import check_output

    if not output.is_dir():
        err.print(f"[red]pubpipe: {escape(str(output))} is not a folder[/red]")
        raise typer.Exit(2)
    found = check_output(output)
    for line in found.passed:
        out.print(f"[green]ok[/green]   {escape(line)}")
    for line in found.errors:
        err.print(f"[red]FAIL[/red] {escape(line)}")
    raise typer.Exit(1 if found.errors else 0)


@app.command()
def preview(
    output: Path = typer.Option(Path("output"), help="Output folder (or its web/ folder) to serve."),
    port: int = typer.Option(8000, help="Port on 127.0.0.1 (0 picks a free one)."),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the readers' page in a browser."),
) -> None:
    """Serve the built web pages on http://127.0.0.1 for a look before publishing (Ctrl+C stops)."""
    from pubpipe.errors import PubpipeError
    from pubpipe.preview import serve as serve_preview

    try:
        serve_preview(output, port, open_browser)
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: {escape(str(exc))}[/red]")
        raise typer.Exit(2)


def main() -> None:
    """Console-script entry point."""
    app(prog_name="pubpipe")


if __name__ == "__main__":
    sys.exit(main())
