"""The warm build process's program (``python -m pubpipe.orchestrate.warmserver KEY``, started by
`pubpipe.orchestrate.warm.start`): `pubpipe.orchestrate.warm.serve`, each build it forks running the
command line as ``pubpipe`` would. (A module of its own: the command line imports `warm` for
``pubpipe server``, and `warm` imports no command line.)"""

import sys

from pubpipe import background
from pubpipe.orchestrate import warm


def _command() -> None:
    # Imported in the build's own process, not in the warm one: the command line's consoles decide
    # as they are made whether they write to a terminal (colours, a live display).
    from pubpipe import cli
    from pubpipe.orchestrate import framestack
    framestack.call(cli.main)


def main() -> None:
    if len(sys.argv) != 2:
        raise SystemExit(f"usage: python -m {warm.MODULE} KEY")
    warm.serve(sys.argv[1], background.idle_seconds(), _command)


if __name__ == "__main__":
    main()
