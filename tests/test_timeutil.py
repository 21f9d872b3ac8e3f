"""memconv.timeutil: source timestamps re-formatted as JavaScript's ``Date.prototype.toISOString()``
writes them (AgentMemory's ``createdAt``/``timestamp``), checked against a reference made another way."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, strategies as st

from memconv.timeutil import iso_z, parse_ts, to_iso_z


def _reference(dt: datetime) -> str:
    """toISOString(): UTC fields, milliseconds truncated, ``Z``; built field by field."""
    u = (dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return (f"{u.year:04d}-{u.month:02d}-{u.day:02d}T{u.hour:02d}:{u.minute:02d}:{u.second:02d}."
            f"{u.microsecond // 1000:03d}Z")


offsets = st.one_of(st.none(), st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m))))


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31)), offsets,
       st.sampled_from(["seconds", "milliseconds", "microseconds"]), st.booleans())
def test_to_iso_z_is_to_iso_string(dt, tz, spec, zulu):
    dt = dt.replace(tzinfo=tz)
    text = dt.isoformat(timespec=spec)
    if zulu and tz is not None and tz.utcoffset(None) == timedelta(0):
        text = text[:-6] + "Z"
    want = _reference(parse_ts(text))
    assert iso_z(parse_ts(text)) == want
    assert to_iso_z(text) == want
    assert to_iso_z(text) == want  # the answer kept for a repeated value is the same


def test_what_does_not_parse_is_none_and_not_kept_for_the_next():
    assert to_iso_z("2025-04-01T03:47:27-02:00") == "2025-04-01T05:47:27.000Z"
    assert to_iso_z("not a time") is None
    assert to_iso_z(None) is None and to_iso_z("") is None
    assert to_iso_z("2025-04-01T03:47:27Z") == "2025-04-01T03:47:27.000Z"
