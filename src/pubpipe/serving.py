"""`pubpipe serve`: the publish flow as a deployment on a running Prefect server.

One deployment carries both the nightly schedule (cron and timezone from anthology.toml) and
on-demand runs (the UI's Run button, ``prefect deployment run``); at most one run at a time.
"""

from pathlib import Path
from typing import Optional

from .errors import ConfigError, PubpipeError
from .stages import load_settings


def deployment_parameters(sources: Path, output: Path, config: Optional[Path]) -> dict:
    """The deployment's default parameters: absolute paths, so a run works from any directory."""
    return {"sources": str(Path(sources).resolve()), "output": str(Path(output).resolve()),
            "config": str(Path(config).resolve()) if config else ""}


def serve(sources: Path, output: Path, config: Optional[Path], name: str = "pubpipe") -> None:
    """Register the deployment `pubpipe-publish/<name>` and serve it until interrupted."""
    from prefect.client.schemas.schedules import CronSchedule
    from prefect.settings import PREFECT_API_URL

    if not PREFECT_API_URL.value():
        raise PubpipeError("no Prefect server to serve on: start one with `prefect server start` and set "
                           "PREFECT_API_URL (e.g. `prefect config set PREFECT_API_URL=http://127.0.0.1:4200/api`)")
    settings = load_settings(str(sources), str(config) if config else None)
    try:
        schedule = CronSchedule(cron=settings.schedule, timezone=settings.timezone)
    except ValueError as exc:
        raise ConfigError(f"{settings.path or 'anthology.toml'}: schedule {settings.schedule!r} / timezone "
                          f"{settings.timezone!r}: {exc}") from exc
    from pubpipe_flows.publish import publish

    publish.serve(
        name=name,
        schedules=[schedule],
        global_limit=1,
        parameters=deployment_parameters(sources, output, config),
        description="Build the anthology of the sources folder and publish it (PDF, EPUB, web).",
        tags=["pubpipe"],
    )
