"""``python -m memconv`` and the ``memconv`` console script.

Signals are handled before anything heavy is imported: a Ctrl-C, SIGTERM or SIGHUP during start-up
exits at once with 128 + the signal number (there is nothing to clean up yet) and prints no traceback.
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

    cli_main()


if __name__ == "__main__":
    main()
