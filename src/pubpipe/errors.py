"""pubpipe's exceptions: one base class and a few documented kinds.

A bad source is a per-source problem (SourceError) that the build records in the report and
skips; the other kinds stop a build.
"""


class PubpipeError(Exception):
    """Base of every error pubpipe raises on purpose; its message is meant for the user."""


class SourceError(PubpipeError):
    """A source file cannot be used (empty, binary, too large…). The build skips it."""

    def __init__(self, file: str, reason: str, code: str = "source.unreadable") -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason
        self.code = code


class ConfigError(PubpipeError):
    """anthology.toml cannot be read or holds a value of the wrong kind."""


class NothingToPublish(PubpipeError):
    """No source gave a publishable story; the previous output is left as it was."""


class ValidationFailed(PubpipeError):
    """A rendered output failed its validation (EPUBCheck, PDF or HTML checks)."""


class BuildLocked(PubpipeError):
    """Another build is writing the same output folder."""


class UnsafeOutput(PubpipeError):
    """The output folder names a place a build must not replace (a file, the sources, a folder of
    someone's files…): refused before anything is written."""


class UnwritableOutput(PubpipeError):
    """The output (or the folder beside it, where the build stages) cannot be written: permission,
    a read-only file system, a full disk."""


class ServerUnreachable(PubpipeError):
    """The Prefect server named by PREFECT_API_URL does not answer."""


class Interrupted(PubpipeError):
    """The build was stopped (Ctrl-C, SIGTERM) before it published."""


class FetchRefused(PubpipeError):
    """WeasyPrint asked for a resource outside the project's styles and fonts
    (`pubpipe.render.pdf.fetcher.SafeFetcher`)."""
