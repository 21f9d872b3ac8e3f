"""Timestamps: parse what the sources write, format what the targets expect.

Sources write ISO-8601 with any UTC offset (mem0 wrote US/Pacific ``-08:00`` before 1.0.7), with or
without microseconds, or naive (Letta legacy ``2025-04-01T03:47:27``, taken as UTC).
"""

from __future__ import annotations

from datetime import datetime, timezone


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
    return dt.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def to_iso_z(value: str | None) -> str | None:
    """Re-format a source timestamp as :func:`iso_z`; None when it does not parse."""
    dt = parse_ts(value)
    return iso_z(dt) if dt else None


def now_iso_z() -> str:
    """The current time as :func:`iso_z`."""
    return iso_z(datetime.now(timezone.utc))
