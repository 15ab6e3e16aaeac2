"""How `pubpipe build` shows its progress: a live display on a terminal, plain lines otherwise.

It listens to the flow's events (pubpipe.orchestrate.progress). The live display (rich) shows the step, the
stories, the PDF's pages laid out and the validators running, and is gone when the build ends;
plain lines (one per step, when stderr is not a terminal: a log, a cron mail) say the same in a few
lines; ``--quiet`` shows neither.
"""

import time
from contextlib import contextmanager

from rich.console import Group
from rich.live import Live
from rich.spinner import Spinner
from rich.text import Text

from pubpipe.orchestrate import progress as progress


class State:
    """What the events said so far."""

    def __init__(self):
        self.stage = "starting"
        self.started = time.monotonic()
        self.files = self.problems = self.stories = None
        self.parts = self.parts_done = self.pages = 0
        self.book_pages = None
        self.validators: dict = {}
        self.problems_shown = 0

    def update(self, event: str, data: dict) -> None:
        if event == "stage":
            self.stage = data["name"]
        elif event == "sources":
            self.files, self.problems = data["files"], data["problems"]
        elif event == "stories":
            self.stories = data["count"]
        elif event == "pdf-parts":
            self.parts = data["count"]
        elif event == "pdf-part":
            self.parts_done += 1
            self.pages += data.get("pages", 0)
        elif event == "pdf":
            self.book_pages = data["pages"]
        elif event == "validator":
            self.validators[data["name"]] = data["state"]
        elif event == "problem":
            self.problems_shown += 1

    def lines(self) -> list:
        out = []
        if self.files is not None:
            skipped = f", {self.problems} with problems" if self.problems else ""
            out.append(f"sources: {self.files} read{skipped}")
        if self.stories is not None:
            out.append(f"stories: {self.stories}")
        if self.book_pages is not None:
            out.append(f"PDF: {self.book_pages} pages")
        elif self.parts:
            out.append(f"PDF: {self.parts_done} of {self.parts} part(s) laid out, {self.pages} pages")
        for name, state in self.validators.items():
            out.append(f"{name}: {'passed' if state == 'done' else 'running'}")
        return out


class LiveDisplay:
    """A spinner with the step and elapsed time, and the facts so far below it."""

    def __init__(self, console):
        self.state = State()
        # get_renderable: redrawn at each refresh, so the elapsed time ticks between events too
        self.live = Live(console=console, refresh_per_second=8, transient=True, get_renderable=self._render)

    def _render(self):
        elapsed = time.monotonic() - self.state.started
        head = Spinner("dots", Text(f"{self.state.stage} ({elapsed:.0f} s)", style="bold"))
        return Group(head, *(Text(f"  {line}") for line in self.state.lines()))

    def __call__(self, event: str, data: dict) -> None:
        self.state.update(event, data)
        if event == "problem":  # printed above the display, where it stays
            self.live.console.print(problem_line(data), highlight=False)

    @contextmanager
    def shown(self):
        with self.live:
            yield


class PlainLines:
    """One line per step and per finished part, on a console that is not a terminal."""

    def __init__(self, console):
        self.console = console
        self.state = State()

    def __call__(self, event: str, data: dict) -> None:
        self.state.update(event, data)
        elapsed = f"[{time.monotonic() - self.state.started:5.1f} s]"
        text = {
            "stage": lambda: f"{data['name']}",
            "sources": lambda: self.state.lines()[0],
            "stories": lambda: f"stories: {data['count']}",
            "pdf-part": lambda: f"PDF: part {self.state.parts_done} of {self.state.parts} laid out "
                                f"({self.state.pages} pages so far)",
            "pdf": lambda: f"PDF: {data['pages']} pages",
            "validator": lambda: f"{data['name']}: {'passed' if data['state'] == 'done' else 'running'}",
        }.get(event)
        if text:
            self.console.print(f"pubpipe {elapsed} {text()}", markup=False, highlight=False)
        elif event == "problem":
            self.console.print(problem_line(data), highlight=False)

    @contextmanager
    def shown(self):
        yield


def problem_line(data: dict):
    """A skipped source (yellow) or a warning, as one line."""
    from rich.text import Text
    return Text(f"pubpipe: {data['text']}", style="yellow" if data.get("error") else "dim")


@contextmanager
def showing(console, quiet: bool = False):
    """Show the build's progress on `console` (stderr) for the block: live on a terminal, plain lines
    otherwise, nothing when `quiet`."""
    if quiet:
        yield
        return
    display = LiveDisplay(console) if console.is_terminal else PlainLines(console)
    progress.listen(display)
    try:
        with display.shown():
            yield display
    finally:
        progress.stop_listening(display)
