"""Flow-run heartbeats that end with the flow, for a build run from the terminal.

A server the user runs (`prefect server start`, Prefect Cloud) gets heartbeats from each flow run
(`prefect.flow-run.heartbeat` events, every PREFECT_FLOWS_HEARTBEAT_FREQUENCY seconds, 180 by
default): an automation watching them marks a run whose process died as crashed. Prefect 3.8 sends
them from a thread that sleeps in steps of one second, and its engine waits for that thread as the
flow ends: 0–1 s at the end of every build (0.54–0.65 s measured through `prefect server start`:
benchmarks/RESULTS.md, stop 40, and stop 41). `pubpipe build` therefore turns Prefect's own off
(`instead_of_prefects`) and the flow sends the same events (`beating`) from a thread that stops the
moment the flow's work is done. The events are Prefect's: what ``FlowRunEngine._emit_flow_run_heartbeat``
sends (its resource and related resources: the flow, the deployment, the tags), written out here
because Prefect has no public call for them. A run of a deployment (`pubpipe serve`, a worker)
keeps Prefect's own; the local and temporary servers get none (`pubpipe.cli._embedded`).
"""

import contextvars
import threading
from contextlib import contextmanager

_EVERY: list = []
"""Seconds between the heartbeats `beating` sends, while `instead_of_prefects` is in force; else empty."""


@contextmanager
def instead_of_prefects():
    """Around a flow run started in this process: Prefect's heartbeats turned off, and the flow's
    `beating` sending them instead, as often as the settings ask (none when they ask for none)."""
    from prefect.flow_engine import MINIMUM_HEARTBEAT_INTERVAL
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, get_current_settings, temporary_settings
    every = get_current_settings().flows.heartbeat_frequency
    if every is None:
        yield
        return
    with temporary_settings({PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        _EVERY[:] = [max(every, MINIMUM_HEARTBEAT_INTERVAL)]  # (as Prefect's engine bounds it)
        try:
            yield
        finally:
            _EVERY.clear()


@contextmanager
def beating():
    """In the body of a flow: its run's heartbeats, the first at once, then every `_EVERY` seconds,
    until the body's work is done (the thread's wait ends at once, and it is joined for at most
    2 s); nothing outside a flow run, nor unless `instead_of_prefects` asked for them."""
    from prefect.context import FlowRunContext
    context = FlowRunContext.get()
    if not _EVERY or context is None or context.flow_run is None:
        yield
        return
    every = _EVERY[0]
    resource, related = _template(context)
    stop = threading.Event()

    def beat() -> None:
        from prefect.events.utilities import emit_event
        while not stop.is_set():
            try:
                emit_event(event="prefect.flow-run.heartbeat", resource=resource, related=related)
            except Exception:  # (as Prefect's: a missed heartbeat is not the build's failure)
                pass
            stop.wait(every)
    # The flow's context copied: the thread sends to the flow's server (PREFECT_API_URL as the flow sees it).
    thread = threading.Thread(target=contextvars.copy_context().run, args=(beat,), name="flow-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=2)  # (as Prefect's: a heartbeat stuck on its way to the server is left, a daemon)


def _template(context) -> tuple:
    """(resource, related) of the heartbeat of the flow run of ``context`` (a FlowRunContext), as
    Prefect's engine makes them (``FlowRunEngine._build_heartbeat_event_template``)."""
    from prefect import __version__
    from prefect.events.related import RelatedResource, tags_as_related_resources
    run = context.flow_run
    resource = {"prefect.resource.id": f"prefect.flow-run.{run.id}", "prefect.resource.name": run.name or "",
                "prefect.version": __version__}
    related = []
    if run.flow_id:
        related.append(RelatedResource.model_validate({"prefect.resource.id": f"prefect.flow.{run.flow_id}",
                                                       "prefect.resource.role": "flow",
                                                       "prefect.resource.name": context.flow.name if context.flow else ""}))
    if run.deployment_id:
        related.append(RelatedResource.model_validate({"prefect.resource.id": f"prefect.deployment.{run.deployment_id}",
                                                       "prefect.resource.role": "deployment"}))
    return resource, related + tags_as_related_resources(set(run.tags or []))
