"""``python -m memconv`` and the ``memconv`` console script.

Signals are handled before anything heavy is imported: a Ctrl-C, SIGTERM or SIGHUP during start-up
exits at once with 128 + the signal number (there is nothing to clean up yet) and prints no traceback.
Once the command has ended, its exit code is the run's own whatever signal comes: while the
interpreter's exit handlers run, a signal ends the process at once with that code (its output is
committed and flushed), and for the last of the shutdown, after them, signals are ignored.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys

from .signals import SIGNALS as _SIGNALS  # (light: the standard library's signal and memconv.errors)


def _early(signum: int, frame: object) -> None:
    os._exit(128 + signum)


def _ignore_signals() -> None:
    """The last exit handler (registered first): signals are ignored from here on. Python puts back the
    default action of every signal whose handler is a function as it shuts down (not of an ignored
    one), so a SIGTERM in that last tenth of a second killed a run whose output was already committed:
    exit -15 instead of its own code."""
    for s in _SIGNALS:
        signal.signal(s, signal.SIG_IGN)


def _exit_with(code: int) -> None:
    """From now on a signal ends the process at once with ``code``: the command has ended, said so, and
    flushed what it printed; only the exit handlers are left, and one that waits (for a process, a
    thread) can still be stopped."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass

    def now(signum: int, frame: object) -> None:
        os._exit(code)

    for s in _SIGNALS:
        signal.signal(s, now)


def main() -> None:
    """Install the start-up signal handlers, then run :func:`memconv.cli.main`."""
    for s in _SIGNALS:
        signal.signal(s, _early)
    atexit.register(_ignore_signals)  # first registered, so it runs after every other exit handler
    from .cli import main as cli_main

    try:
        cli_main()
    except SystemExit as e:
        _exit_with(e.code if isinstance(e.code, int) else 0 if e.code is None else 1)
        raise


if __name__ == "__main__":
    main()
