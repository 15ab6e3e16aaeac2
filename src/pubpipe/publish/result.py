"""What a build did: its exit code, outputs and problems, for the command line, the report and the
manifest (a record of its own, so that none of them imports another to get it)."""

from dataclasses import dataclass, field


@dataclass
class BuildResult:
    """What a build did, for the CLI and the report."""

    exit_code: int
    output: str
    outputs: dict = field(default_factory=dict)
    problems: tuple = ()
    """The errors (Diagnostics of severity "error": what makes the exit code 1)."""
    message: str = ""
    edited: tuple = ()
    warnings: tuple = ()
    """The sources' Diagnostics of severity "warning": files skipped on purpose (backups, duplicates)."""
