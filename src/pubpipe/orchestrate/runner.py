"""How the build's steps are run: the `Runner` interface `pipeline.build` and the multi-step
renderers call their steps through, and `Local`, the default one.

A runner has four methods, each given a step (a plain function of pubpipe) and its arguments:

- ``call(step, *args)``: run it, return its result;
- ``submit(step, *args)``: start it, return something whose ``.result()`` waits for it;
- ``map(step, calls, cluster="")``: ``submit`` for each argument tuple of ``calls`` (``cluster``:
  a Dask cluster to run them on, where the runner has one: see `pubpipe.config.Config.dask`);
- ``spawn(compose, *args, **options)``: start a composition of steps (a renderer's ``render``, which calls
  this runner itself) beside the caller; something with ``.result()``.

Arguments may be what ``submit`` or ``spawn`` returned, or lists of them: the runner waits for
them and passes their results; or a `Later`, which it passes as it is (the step waits for it when
it needs it). `Local` runs each step as a plain call in this process, submitted
ones on threads of their own; the Prefect flow (flows/publish.py) runs each step as its task,
cached, retried and shown in the Prefect UI.
"""

import contextvars
import threading
from concurrent.futures import Future


def resolve(value):
    """``value``, or the result of it when it is a future of `Local` or ``spawn`` (also in a list)."""
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value.result() if isinstance(value, Future) else value


class Later:
    """A step's input that the step waits for only when it needs it, not before it starts: a runner
    hands it over as it is (``.result()`` waits), and the flow's cache keys leave it out
    (`pubpipe.cache.canonical`), so it must be a function of the step's other inputs. The PDF's back
    matter is one: `bind` starts on the front matter while it is laid out (issue 19)."""

    def __init__(self, future):
        self.future = future

    def result(self):
        return resolve(self.future)


def done(value) -> Future:
    """A future that already holds ``value``."""
    future: Future = Future()
    future.set_result(value)
    return future


def in_thread(function, *args, **options) -> Future:
    """``function(*args, **options)`` on a thread of its own (a daemon: a stopped build does not wait for
    it), in the caller's context (Prefect's flow run, for one); a Future of its result."""
    future: Future = Future()
    context = contextvars.copy_context()

    def work():
        if not future.set_running_or_notify_cancel():
            return
        try:
            future.set_result(context.run(function, *args, **options))
        except BaseException as exc:  # handed to whoever waits on the future
            future.set_exception(exc)
    threading.Thread(target=work, name=f"pubpipe-{getattr(function, '__name__', 'step')}", daemon=True).start()
    return future


class Local:
    """The default runner: every step a plain function call in this process; submitted steps on
    threads of their own (the PDF's layouts in `pubpipe.orchestrate.processes`' pool of processes), so the
    renderers work side by side as they do under Prefect. Nothing is cached; ``cluster`` is ignored."""

    def call(self, step, *args):
        return step(*[resolve(a) for a in args])

    def submit(self, step, *args) -> Future:
        return in_thread(self.call, step, *args)

    def map(self, step, calls, cluster: str = "") -> list:
        return [self.submit(step, *args) for args in calls]

    def spawn(self, compose, *args, **options) -> Future:
        return in_thread(compose, *args, **options)
