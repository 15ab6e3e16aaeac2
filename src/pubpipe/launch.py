"""The ``pubpipe`` command's entry point: a build is handed to the warm build process of the session
if one runs (`pubpipe.orchestrate.warm`) before anything heavy is imported (the command line's own
modules, Typer and Rich, ~0.1 s); any other command, or a build no warm process takes, runs in
`pubpipe.cli`."""

import os
import sys


def main() -> None:
    """Console-script entry point."""
    environment = dict(os.environ)  # as the command started (the build sets Prefect's defaults in it)
    from pubpipe.orchestrate import warm
    code = warm.run(sys.argv, environment)
    if code is not None:
        sys.exit(code)
    from pubpipe import cli
    from pubpipe.orchestrate import framestack
    framestack.call(cli.main, environment)


if __name__ == "__main__":
    main()
