"""General guards for any input: ``--max-records`` and ``--max-bytes``.

Defaults (0 turns a guard off): :data:`DEFAULT_MAX_RECORDS` records read, :data:`DEFAULT_MAX_BYTES`
bytes of input. Over a guard, memconv stops with :class:`~memconv.errors.LimitExceeded` (exit 7)
before anything is written, naming the guard, the count and the option that raises it.
"""

from __future__ import annotations

from typing import Mapping, Sequence

from .errors import LimitExceeded
from .io import Input

DEFAULT_MAX_RECORDS = 50_000_000
DEFAULT_MAX_BYTES = 64 * 1024 ** 3


def check_bytes(inputs: Sequence[Input], max_bytes: int) -> None:
    """Refuse inputs whose raw size adds up to more than ``max_bytes`` (0: no limit).

    Raises:
        LimitExceeded: naming the size and ``--max-bytes``.
    """
    if not max_bytes:
        return
    total = sum(inp.size() or 0 for inp in inputs)
    if total > max_bytes:
        raise LimitExceeded(f"input is {total} bytes, over --max-bytes {max_bytes}; raise it (0 turns the guard off)")


def check_count(counts: Mapping[str, int], max_records: int) -> None:
    """Refuse when the records read so far (``counts`` per kind) exceed ``max_records`` (0: no limit).

    Raises:
        LimitExceeded: naming ``--max-records``.
    """
    if not max_records:
        return
    n = sum(counts.values())
    if n > max_records:
        raise LimitExceeded(f"input has more than {max_records} records, over --max-records; "
                            f"raise it (0 turns the guard off)")
