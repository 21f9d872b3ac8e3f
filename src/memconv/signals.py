"""Signals: SIGTERM and SIGHUP stop memconv as cleanly as Ctrl-C does.

:func:`handle_signals` (called by the command line, not by the library, whose caller owns the process's
signals) makes SIGINT, SIGTERM and SIGHUP raise :class:`~memconv.errors.Interrupted` in the main thread.
The exception unwinds every ``with`` block: staged outputs are removed, scratch folders deleted, the
destination lock released, and nothing is committed. The exit code is 128 + the signal number
(SIGHUP 129, SIGINT 130, SIGTERM 143). A second signal while cleaning up is ignored, so the cleanup
finishes. What only SIGKILL or a power loss can leave behind is swept by a later run
(:mod:`memconv.scratch`).
"""

from __future__ import annotations

import signal
from contextlib import contextmanager
from typing import Any, Iterator

from .errors import Interrupted

SIGNALS = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None),
                            getattr(signal, "SIGHUP", None)) if s is not None)


_deferring = False
_done = False
_pending: list[int] = []


def mark_done() -> None:
    """The outputs are committed: a signal from now on is ignored, since stopping would undo nothing
    and the run is ending anyway (its exit code must not claim that nothing was written)."""
    global _done
    _done = True


@contextmanager
def deferred() -> Iterator[None]:
    """Hold signals back while the outputs are renamed into place: a run stopped there would be
    neither before nor after. A signal that arrives meanwhile is dropped once the commit is complete
    (the work it would have stopped is done; the run ends normally)."""
    global _deferring
    _deferring = True
    try:
        yield
    finally:
        _deferring = False
        _pending.clear()


def _raise(signum: int, frame: Any) -> None:
    if _deferring or _done:
        _pending.append(signum)
        return
    for s in SIGNALS:  # let the cleanup that this exception starts run to its end
        signal.signal(s, signal.SIG_IGN)
    raise Interrupted(signum)


def handle_signals() -> None:
    """Install the handlers (main thread only; elsewhere this does nothing)."""
    global _done
    _done = False
    try:
        for s in SIGNALS:
            signal.signal(s, _raise)
    except ValueError:  # not the main thread
        return
