"""``python -m memconv`` and the ``memconv`` console script.

Signals are handled before anything heavy is imported: a Ctrl-C, SIGTERM or SIGHUP during start-up
exits at once with 128 + the signal number (there is nothing to clean up yet) and prints no traceback.
Once the command has ended, signals are ignored while the interpreter shuts down: the exit code is the
run's own.
"""

from __future__ import annotations

import os
import signal


def _early(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def main() -> None:
    """Install the start-up signal handlers, then run :func:`memconv.cli.main`."""
    for name in ("SIGINT", "SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            signal.signal(getattr(signal, name), _early)
    from .cli import main as cli_main

    try:
        cli_main()
    finally:
        # The run has ended and said so (its exit code is set): a signal during the interpreter's
        # shutdown is ignored. (Python puts back the default action of every signal that had a handler
        # as it shuts down, so a SIGTERM in that last tenth of a second killed a run whose output was
        # already committed, exit -15 instead of its own code.)
        for name in ("SIGINT", "SIGTERM", "SIGHUP"):
            if hasattr(signal, name):
                signal.signal(getattr(signal, name), signal.SIG_IGN)


if __name__ == "__main__":
    main()
