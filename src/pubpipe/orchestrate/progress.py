"""What a build is doing, for whoever shows it: events the flow emits, one listener that shows them.

The flow (flows/publish.py) emits an event as each step starts or ends; `pubpipe build` listens
and draws a live display on a terminal (or plain lines, or nothing with --quiet: pubpipe.orchestrate.terminal).
A run of a deployment has no listener: Prefect's UI shows its steps. Listeners must be quick and
never raise: events come from the flow's threads while it works.
"""

import logging
import threading

_listeners: list = []
_lock = threading.RLock()  # (held while the listeners are called: `hush` waits for one that is)
_hushed: list = []
log = logging.getLogger("pubpipe.orchestrate.progress")


def listen(listener) -> None:
    """Call ``listener(event, data)`` for every event from now on."""
    with _lock:
        _listeners.append(listener)


def stop_listening(listener) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def emit(event: str, **data) -> None:
    """Tell the listeners that `event` happened (see `EVENTS`); also written to the log."""
    log.info("%s %s", event, " ".join(f"{k}={v}" for k, v in data.items()))
    with _lock:
        if _hushed:
            return
        for listener in list(_listeners):
            try:
                listener(event, data)
            except Exception:  # a display must never stop a build
                log.exception("progress listener failed on %s", event)


def hush() -> None:
    """Call no listener from now on, once one being called has returned: a build that stops says
    its last line (`pubpipe.orchestrate.interrupts`), and no step its threads finish meanwhile is
    shown after it."""
    with _lock:
        _hushed.append(True)


EVENTS = {
    "flow-run": "the flow run started (id)",
    "stage": "a step started (name)",
    "sources": "the sources were read (files, problems)",
    "stories": "the stories were recovered (count)",
    "pdf-parts": "the PDF's stories are laid out in this many parts (count)",
    "pdf-part": "one part of the PDF was laid out (pages)",
    "pdf": "the PDF was assembled (pages)",
    "validator": "a validator started or finished (name, state: running|done)",
    "web": "the story pages were rendered (count)",
    "problem": "a source was skipped or has a problem (text, error: False for a warning)",
}
"""The events the flow emits, and what they carry."""
