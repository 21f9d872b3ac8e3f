"""Progress on stderr for long conversions: records done and the rate, redrawn at most twice a second.

Shown when stderr is a terminal or ``--progress`` is given, never with ``--quiet``; never on stdout,
which carries data.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, Iterable, Iterator, TextIO

INTERVAL = 0.5


def progress(items: Iterable[Any], enabled: bool, stream: TextIO | None = None) -> Iterator[Any]:
    """Pass ``items`` through, drawing ``memconv: N records (R/s)`` on ``stream`` (stderr)."""
    if not enabled:
        return iter(items)
    return _draw(items, stream or sys.stderr)


def _draw(items: Iterable[Any], out: TextIO) -> Iterator[Any]:
    start = last = time.monotonic()
    n = 0
    for item in items:
        n += 1
        now = time.monotonic()
        if now - last >= INTERVAL:
            last = now
            out.write(f"\rmemconv: {n:,} records ({n / (now - start):,.0f}/s)")
            out.flush()
        yield item
    elapsed = max(time.monotonic() - start, 1e-9)  # a closing line, also for runs too short to redraw
    out.write(f"\rmemconv: {n:,} records ({n / elapsed:,.0f}/s), done\n")
    out.flush()


def in_workers(enabled: bool, stream: TextIO | None = None) -> tuple[Callable[[int], None], Callable[[int], None]]:
    """For a conversion in worker processes (``--jobs``), which draw nothing while they run:
    ``(started, done)``. ``started(workers)`` says they run; ``done(n)`` draws the closing line
    (``memconv: N records (R/s), done``) once the parts are joined. Both do nothing when not ``enabled``."""
    if not enabled:
        return (lambda workers: None), (lambda n: None)
    out = stream or sys.stderr
    start = time.monotonic()

    def started(workers: int) -> None:
        out.write(f"memconv: converting in {workers} worker processes (no count while they run)\n")
        out.flush()

    def done(n: int) -> None:
        out.write(f"memconv: {n:,} records ({n / max(time.monotonic() - start, 1e-9):,.0f}/s), done\n")
        out.flush()
    return started, done


def wanted(flag: bool, quiet: bool, stream: TextIO | None = None) -> bool:
    """``--progress`` given, or stderr is a terminal; and not ``--quiet``."""
    if quiet:
        return False
    s = stream or sys.stderr
    return flag or (hasattr(s, "isatty") and s.isatty())
