"""The command line: ``pubpipe build``, ``serve``, ``check``, ``preview`` and ``server``.

``build`` runs the Prefect flow on the embedded default: no server to start — the first build
starts a local one in the background and later builds reuse it until it has been idle for 30
minutes (pubpipe.orchestrate.localserver; ``pubpipe server status`` / ``stop``); PUBPIPE_SERVER=temporary gives each
build a server of its own (pubpipe.orchestrate.tempserver). None at all when the output is up to date.
"""

import os
import sys
from contextlib import ExitStack, contextmanager
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
DASK_ENV, FORCE_ENV = "PUBPIPE_DASK", "PUBPIPE_FORCE"
"""The environment's say in ``--dask`` (build, serve) and ``--force`` (serve): read here, as the
options' values, and passed on as parameters; no stage reads the environment for them."""


def _up_to_date(sources: Path, output: Path, config: Optional[Path]):
    """The stored result when `output` already holds what this build would publish (see
    pubpipe.publish.manifest), checked before Prefect is even imported; else None."""
    from pubpipe.read import intake
    from pubpipe.publish.manifest import already_published, build_key
    settings = intake.load_settings(str(sources), str(config) if config else None)
    return already_published(output, build_key(intake.snapshot(str(sources), settings), settings))


@contextmanager
def _embedded(server):
    """Settings for a flow run on the build's server — its temporary one, or the local one kept
    between builds (None: a server the user runs).

    Heartbeats let a watched server notice a crashed run. The temporary and local servers have no UI
    and nobody watches them: none are sent there (Prefect's would only cost the wait for their thread
    at the end, up to 1 s). A server the user runs gets them from the flow itself
    (`pubpipe.orchestrate.heartbeat`: the same events, without that wait)."""
    if server is None:
        from pubpipe.orchestrate import heartbeat
        with heartbeat.instead_of_prefects():
            yield
        return
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_LOGGING_TO_API_ENABLED, temporary_settings
    server.wait_ready()
    # No run logs shipped (they are in the log file): a temporary server dies with the build, and
    # the log worker would complain on stderr when the server stops before it flushed.
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None, PREFECT_LOGGING_TO_API_ENABLED: False}):
        yield


def _bad_prefect_setting(exc: BaseException) -> Optional[str]:
    """A one-line message for a Prefect setting its settings refuse (pydantic's ValidationError from
    one of Prefect's settings models, e.g. PREFECT_FLOWS_HEARTBEAT_FREQUENCY=10), naming the setting
    and what is wrong with it; None for any other error."""
    title = getattr(exc, "title", None)
    errors = getattr(exc, "errors", None)
    if type(exc).__name__ != "ValidationError" or not title or not callable(errors):
        return None
    try:
        from prefect.settings.base import PrefectBaseSettings
    except Exception:
        return None
    classes, prefix = list(PrefectBaseSettings.__subclasses__()), None
    while classes:
        model = classes.pop()
        if model.__name__ == title:
            prefix = model.model_config.get("env_prefix")
            break
        classes += model.__subclasses__()
    if prefix is None:
        return None
    first = errors()[0]
    name = prefix + "_".join(str(part) for part in first.get("loc", ())).upper()
    return (f"Prefect's setting {name}={first.get('input')!r} is refused: {first.get('msg', 'invalid')}; fix it or "
            "unset it (in the environment, the Prefect profile: `prefect config view --show-sources`, "
            "or prefect.toml / pyproject.toml)")


def _fail(message: str, output: Optional[Path] = None, code: int = 2) -> None:
    """Say what went wrong in one line (and where the detail is in a second) and exit with `code`."""
    from pubpipe.orchestrate import logfile
    _stop_display()
    err.print(f"[red]pubpipe: nothing published: {escape(message)}[/red]")
    log = logfile.path() if _STARTED else None
    if log or (output is not None and Path(output).is_dir()):
        where = f"The previous {escape(str(output))}/ is unchanged" if Path(output).is_dir() else "Nothing was written"
        err.print(f"{where}" + (f"; details in {escape(str(log))}" if log else "") + ".")
    raise typer.Exit(code)


_DISPLAY: list = []
_STARTED: list = []
"""Non-empty once the flow started: a failure from then on has detail in the log file."""


def _stop_display() -> None:
    """End the live progress display, if one is shown, before printing a message."""
    for display in _DISPLAY:
        live = getattr(display, "live", None)
        if live is not None and live.is_started:
            live.stop()


def _check_server() -> None:
    """When PREFECT_API_URL names a server, make sure it answers before the build relies on it."""
    url = os.environ.get("PREFECT_API_URL")
    if not url:
        return
    import httpx
    from pubpipe.errors import ServerUnreachable
    try:
        httpx.get(f"{url.rstrip('/')}/health", timeout=5).raise_for_status()
    except httpx.HTTPError as exc:
        raise ServerUnreachable(f"the Prefect server at {url} (PREFECT_API_URL) does not answer ({type(exc).__name__}); "
                                "start it with `prefect server start`, or unset PREFECT_API_URL to build "
                                "on a temporary server of the build's own") from None


def _server():
    """The Prefect server of this build (a context manager yielding it; None: PREFECT_API_URL names
    one the user runs): the local server kept between builds (`pubpipe.orchestrate.localserver`), or with
    PUBPIPE_SERVER=temporary a server of the build's own that stops with it (`pubpipe.orchestrate.tempserver`)."""
    choice = os.environ.get("PUBPIPE_SERVER", "").strip().lower()
    if choice not in ("", "local", "temporary"):
        from pubpipe.errors import PubpipeError
        raise PubpipeError(f"PUBPIPE_SERVER={choice!r}: use 'local' (the default: a server kept between builds) "
                           "or 'temporary' (one per build)")
    if os.environ.get("PREFECT_API_URL") or choice == "temporary":
        from pubpipe.orchestrate.tempserver import temporary_server
        return temporary_server()
    return _local_server()


@contextmanager
def _local_server():
    from pubpipe.orchestrate import localserver
    server = localserver.acquire()
    os.environ["PREFECT_API_URL"] = server.api_url
    try:
        yield server
    finally:
        os.environ.pop("PREFECT_API_URL", None)


def _run(sources: Path, output: Path, config: Optional[Path], force: bool, dask: Optional[str], quiet: bool):
    """The build itself, under the lock: the up-to-date check, then the flow on a Prefect server."""
    from pubpipe.orchestrate import terminal as cli_progress
    from pubpipe.orchestrate import logfile
    from pubpipe.orchestrate import progress
    from pubpipe.orchestrate import timeline
    from pubpipe.publish.swap import build_lock
    # The lock at once, before Prefect starts (the flow takes it again: re-entrant); then the
    # temporary Prefect server boots in a child process while this one imports the flow.
    with build_lock(output):
        with timeline.span("already published? (before Prefect)"):
            result = None if force else _up_to_date(sources, output, config)
        if result is not None:
            return result
        # The helper processes and EPUBCheck's JVM (kept between builds) start on the other core
        # while this one imports Prefect and the flow; the flow uses them (issue 19).
        from pubpipe.orchestrate import processes
        from pubpipe.publish import checkservice
        with timeline.span("start the helpers"):
            long = processes.may_be_long(sources)  # (its layout processes start after its stories are recovered)
            processes.start_helpers(layout=not long)
            # The stories recovered meanwhile too, as the flow will (its recovery steps find them).
            recovered = processes.recover_ahead(str(sources), str(config) if config else None)
            if not long:  # (a long book checks its EPUB in a JVM of its own)
                checkservice.warm()
        _check_server()
        with cli_progress.showing(err, quiet) as display:
            _DISPLAY[:] = [display] if display else []
            progress.emit("stage", name="starting Prefect")
            _STARTED.append(True)
            with ExitStack() as stack:
                with timeline.span("the Prefect server"):
                    server = stack.enter_context(_server())
                with timeline.span("import Prefect and the flow"):
                    from pubpipe_flows.publish import lay_out_ahead, publish
                if not long:  # (a long book's layout processes are retired while it is recovered)
                    lay_out_ahead(recovered)  # a changed piece or two, as soon as the stories are recovered
                logfile.quiet_console()
                with timeline.span("wait for the Prefect server"):
                    stack.enter_context(_embedded(server))
                with timeline.span("flow run (as the CLI sees it)"):
                    return publish(sources=str(sources), output=str(output), config=str(config) if config else "",
                                   force=force, dask=dask)


def _folder(given: Optional[Path], option: Path, name: str, fail=None) -> Path:
    """The folder named as a plain argument (as staff name one to cp or ls) or by its option: one of
    the two; both, and different, is a one-line error (`fail`'s; default: "pubpipe: …", exit 2)."""
    if given is None:
        return option
    if option != Path(name) and option != given:
        message = f"two {name} folders given ({given} and --{name} {option}); give one"
        if fail is not None:
            fail(message)
        err.print(f"[red]pubpipe: {escape(message)}[/red]")
        raise typer.Exit(2)
    return given


@app.command()
def build(
    folder: Optional[Path] = typer.Argument(None, metavar="SOURCES", show_default=False,
                                            help="Folder of raw source files (the same as --sources)."),
    sources: Path = typer.Option(Path("sources"), help="Folder of raw source files."),
    output: Path = typer.Option(Path("output"), help="Folder to publish into (replaced whole on success; "
                                                     "only a new or empty folder, or one pubpipe made)."),
    config: Optional[Path] = typer.Option(None, help="anthology.toml (default: beside the sources folder)."),
    dask: Optional[str] = typer.Option(None, envvar=DASK_ENV,
                                       help="Render the story pages on Dask: 'local' (a LocalCluster here) "
                                            "or a scheduler address (tcp://host:8786)."),
    force: bool = typer.Option(False, "--force", help="Build even when the output is already up to date."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Show no progress and no list of outputs; only problems."),
) -> None:
    """Build every output from the sources and publish it into the output folder.

    Exit code 0: published; 1: published, but some sources had problems; 2: nothing published
    (the output folder is as it was); 130: stopped with Ctrl-C."""
    from pubpipe.orchestrate import logfile
    logfile.quiet_defaults()  # (before Prefect is imported, as the warm process does: its settings)
    from pubpipe import dates
    from pubpipe.orchestrate import interrupts
    from pubpipe.config import default_config_path
    from pubpipe.errors import PubpipeError
    from pubpipe.publish.swap import refuse_unsafe_output, unwritable

    try:
        logfile.start("build")
    except OSError:
        pass  # no log file: messages still reach the terminal
    from pubpipe import background
    if os.environ.get(background.WARM_CHILD):  # forked from the warm build process (pubpipe.orchestrate.warm)
        logfile.quiet_console()  # (Prefect configured its logging there, as it was imported)
        import logging
        logging.getLogger("pubpipe").info("build forked from the warm build process (pid %d)", os.getppid())
    interrupts.install(output, lambda line: (_stop_display(), err.print(escape(line))))
    try:
        dates.source_date_epoch()
    except PubpipeError as exc:
        _fail(str(exc))
    sources = _folder(folder, sources, "sources", _fail)
    if sources.is_file():  # one article given: the build reads a folder of them
        _fail(f"{sources} is a file, not a folder; pass --sources the folder that holds it "
              f"({sources.parent}), or put it in a folder of its own")
    if not sources.is_dir():
        _fail(f"sources folder {sources} does not exist; pass --sources the folder that holds the articles")
    if not any(path.is_file() for path in sources.rglob("*")):  # (files it skips are named by the build)
        _fail(f"sources folder {sources} holds no files; put the articles there (.txt, .md, .html, .docx)")
    try:
        refuse_unsafe_output(output, sources, config or default_config_path(sources))
        result = _run(sources, output, config, force, dask, quiet)
    except typer.Exit:
        raise
    except PubpipeError as exc:
        logfile.exception("build failed")
        _fail(str(exc), output)
    except OSError as exc:
        logfile.exception("build failed")
        known = unwritable(exc, output)
        _fail(str(known) if known else f"{exc.filename or output}: {exc.strerror or exc}", output)
    except Exception as exc:  # a bug: one line here, the traceback in the log
        logfile.exception("build failed")
        _fail(_bad_prefect_setting(exc)
              or f"unexpected error ({type(exc).__name__}: {str(exc)[:200]}); please report it with the log file", output)
    finally:
        _stop_display()
    _report(result, quiet)


def _report(result, quiet: bool) -> None:
    """Print what the build published (or that nothing changed) and exit with its code."""
    if not quiet:
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
    shown = any(getattr(d, "state", None) and d.state.problems_shown for d in _DISPLAY)
    if result.problems:
        err.print(f"[yellow]{len(result.problems)} problem(s) with sources (skipped, or characters the PDF shows as placeholders); see "
                  f"report.md{'' if shown else ':'}[/yellow]")
        if not shown:  # (else each was shown as the build found it)
            for p in result.problems:
                err.print(f"  {escape(p.file)}: {escape(p.message)}")
    if not shown:
        for p in getattr(result, "warnings", ()):
            err.print(f"pubpipe: warning: {escape(p.file)}: {escape(p.message)}", style="dim")
    raise typer.Exit(result.exit_code)


@app.command()
def serve(
    sources: Path = typer.Option(Path("sources"), help="Default sources folder of the deployment."),
    output: Path = typer.Option(Path("output"), help="Default output folder of the deployment."),
    config: Optional[Path] = typer.Option(None, help="anthology.toml (schedule and timezone; default beside the sources)."),
    name: str = typer.Option("pubpipe", help="Deployment name."),
    force: bool = typer.Option(False, "--force", envvar=FORCE_ENV,
                               help="Every run builds, even when the output is already up to date."),
    dask: Optional[str] = typer.Option(None, envvar=DASK_ENV,
                                       help="Render the story pages on Dask: 'local' or a scheduler address "
                                            "(in place of anthology.toml's `dask`)."),
) -> None:
    """Register the scheduled and on-demand deployment with a running Prefect server and serve it
    until Ctrl-C (exit 130) or SIGTERM (exit 0); a run in progress is cancelled, the output kept."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from pubpipe.errors import PubpipeError
    from pubpipe.orchestrate.serving import DETACHED, serve_deployment, supervise

    if not os.environ.get(DETACHED):  # serve in a session of its own; see pubpipe.orchestrate.serving.supervise
        raise typer.Exit(supervise(sources, output, config, name, force, dask))
    try:
        stopped = serve_deployment(sources, output, config, name, ready=lambda line: out.print(escape(line)),
                                   force=force, dask=dask)
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: {escape(str(exc))}[/red]")
        raise typer.Exit(2)
    except Exception as exc:  # Prefect failing (or a bug): one line here, the traceback in a log file
        import traceback
        setting = _bad_prefect_setting(exc)
        if setting:
            err.print(f"[red]pubpipe: {escape(setting)}[/red]")
            raise typer.Exit(2)

        from pubpipe.orchestrate import logfile
        try:
            where = f"; details in {logfile.start('serve')}"
            logfile.stream().write(traceback.format_exc())
            logfile.flush()
        except OSError:
            where = ""
        err.print(f"[red]pubpipe: serve failed ({type(exc).__name__}: {escape(str(exc).splitlines()[0].split(' - ')[0][:200] if str(exc) else '')})"
                  f"{escape(where)}[/red]")
        raise typer.Exit(2)
    err.print(escape(stopped.message()))
    raise typer.Exit(stopped.exit_code)


server_app = typer.Typer(no_args_is_help=True, help="The processes builds keep between them: the local Prefect server, the EPUBCheck service, the warm build process.")
app.add_typer(server_app, name="server")


@server_app.command("status")
def server_status() -> None:
    """Say whether a local Prefect server runs (for this PREFECT_HOME), and where."""
    from pubpipe.orchestrate import localserver
    from pubpipe.publish import checkservice
    from pubpipe.orchestrate import warm
    out.print(escape(localserver.status()))
    out.print(escape(checkservice.status()))
    for line in warm.status() or ["no warm build process"]:
        out.print(escape(line))


@server_app.command("stop")
def server_stop(force: bool = typer.Option(False, "--force", help="Stop it even while a build uses it (that build fails).")) -> None:
    """Stop the local Prefect server, the EPUBCheck service and the warm build process now (each also
    stops itself after 30 idle minutes)."""
    from pubpipe.orchestrate import localserver
    from pubpipe.orchestrate import warm
    from pubpipe.errors import PubpipeError
    from pubpipe.publish import checkservice
    # The warm process and the EPUBCheck service in any case: builds forked from the one go on to
    # their end; a build checking its EPUB meanwhile checks it in a JVM of its own.
    for line in warm.stop_all() or ["no warm build process"]:
        out.print(escape(line))
    out.print(escape(checkservice.stop_service() or "no EPUBCheck service"))
    try:
        out.print(escape(localserver.stop(force)))
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: {escape(str(exc))}[/red]")
        raise typer.Exit(1)


@app.command()
def check(folder: Optional[Path] = typer.Argument(None, metavar="OUTPUT", show_default=False,
                                                  help="Output folder to validate (the same as --output)."),
          output: Path = typer.Option(Path("output"), help="Output folder to validate.")) -> None:
    """Validate an existing output folder: anthology.json, PDFs, EPUB (EPUBCheck) and web."""
    from pubpipe.publish.validate import check_output

    output = _folder(folder, output, "output")

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
    folder: Optional[Path] = typer.Argument(None, metavar="OUTPUT", show_default=False,
                                            help="Output folder (or its web/ folder) to serve (the same as --output)."),
    output: Path = typer.Option(Path("output"), help="Output folder (or its web/ folder) to serve."),
    port: int = typer.Option(8000, help="Port on 127.0.0.1 (0 picks a free one)."),
    open_browser: bool = typer.Option(True, "--open/--no-open", help="Open the readers' page in a browser."),
) -> None:
    """Serve the built web pages on http://127.0.0.1 for a look before publishing (Ctrl+C stops)."""
    from pubpipe.errors import PubpipeError
    from pubpipe.publish.preview import serve_folder

    output = _folder(folder, output, "output")
    try:
        serve_folder(output, port, open_browser)
    except PubpipeError as exc:
        err.print(f"[red]pubpipe: {escape(str(exc))}[/red]")
        raise typer.Exit(2)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version
        out.print(f"pubpipe {version('pubpipe')} (Prefect {version('prefect')}, WeasyPrint {version('weasyprint')})",
                  markup=False)
        raise typer.Exit(0)


@app.callback()
def _options(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                          help="Show pubpipe's version and exit.")) -> None:
    """pubpipe: raw article text in; a PDF booklet, an EPUB and web snippets out."""


_ENVIRONMENT: dict = {}
"""The command's environment as it started (before this module set Prefect's defaults in it): what
the warm build process it may start as it ends is started with (`pubpipe.orchestrate.warm`)."""


def main(environment: Optional[dict] = None) -> None:
    """The command line, run in this process (`pubpipe.launch` hands a build to the warm build
    process first, when one runs). ``environment``: the command's environment as it started."""
    _ENVIRONMENT.update(os.environ if environment is None else environment)
    from pubpipe.orchestrate import processes
    processes.tune_malloc()  # before any thread: the build's memory (issue 19)
    try:
        app(prog_name="pubpipe")
    except SystemExit as exc:
        if _STARTED:  # a build that ran its flow: reported, its files closed
            _leave(exc.code)
        raise


def _leave(code) -> None:
    """Leave at once, once a build has said what it published (or why it did not): what is left of
    the process then is the layout processes' shutdown, waited for (they exit with it anyway,
    `processes.exit_with_parent`), and the interpreter freeing the book's objects one by one — at
    100 stories 0.8 s between the last line printed and the prompt (issue 19). The terminal's
    streams and the log are flushed, the exit handlers of the logging module run; no file of the
    build is open by then (published, or the output left as it was)."""
    import logging

    from pubpipe.orchestrate import logfile
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logfile.flush()
    logging.shutdown()
    try:
        from pubpipe.orchestrate import processes
        processes.end_workers()  # (idle by now; they hold the command's output until they leave)
    except Exception:
        pass
    if _ENVIRONMENT:  # the next build of the session forked from a warm process (issue 19)
        try:
            from pubpipe.orchestrate import warm
            warm.start(_ENVIRONMENT)
        except Exception:  # (it only saves the next build a second: never this one's exit)
            pass
    os._exit(code if isinstance(code, int) else (0 if code is None else 1))


if __name__ == "__main__":
    sys.exit(main())
