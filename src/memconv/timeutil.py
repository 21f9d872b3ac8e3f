"""Timestamps: parse what the sources write, format what the targets expect.

Sources write ISO-8601 with any UTC offset (mem0 wrote US/Pacific ``-08:00`` before 1.0.7), with or
without microseconds, or naive (Letta legacy ``2025-04-01T03:47:27``, taken as UTC).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterable


def parse_ts(value: str | None) -> datetime | None:
    """Parse an ISO-8601 string into an aware datetime (naive means UTC); None when unparsable."""
    if not value or not isinstance(value, str):
        return None
    s = value.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt


def iso_z(dt: datetime) -> str:
    """``2025-04-01T03:47:27.000Z``: UTC with milliseconds, as JavaScript's ``toISOString()``."""
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"  # "+00:00" -> "Z"


_LAST: tuple[str | None, str | None] = (None, None)


def to_iso_z(value: str | None) -> str | None:
    """Re-format a source timestamp as :func:`iso_z`; None when it does not parse. (The last answer is
    kept: a record's ``created_at`` and ``updated_at`` are often the same string.)"""
    global _LAST
    last = _LAST
    if value == last[0] and value is not None:
        return last[1]
    dt = parse_ts(value)
    out = iso_z(dt) if dt else None
    _LAST = (value, out)
    return out


def now_iso_z() -> str:
    """The current time as :func:`iso_z`."""
    return iso_z(datetime.now(timezone.utc))


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
EARLIEST = -(1 << 62)
"""The conversation key of a record with no time before any record that has one."""


def epoch_us(value: str | datetime | None) -> int | None:
    """Microseconds since 1970 of an ISO-8601 time or a parsed one (exact integer arithmetic); None when
    there is none or it does not parse. Microseconds, because Letta stamps messages of one step within
    the same millisecond."""
    dt = parse_ts(value) if isinstance(value, str) or value is None else value
    return None if dt is None else (dt - _EPOCH) // timedelta(microseconds=1)


def conversation_keys(times: Iterable[str | None]) -> list[int]:
    """Sort keys that put records in conversation order: by time, and a record with no time takes the
    time of the record before it (so a stable sort keeps it right after that one). Used by the
    AgentMemory writer and reader alike, so a round trip keeps its order."""
    out: list[int] = []
    last = EARLIEST
    for t in times:
        us = epoch_us(t)
        if us is not None:
            last = us
        out.append(last)
    return out
