"""Merging an ``ExportData`` into an existing one, keyed as AgentMemory's importer keys records.

Keys (``shared/formats/agentmemory.md`` section 1.3): ``id`` for every collection except
``summaries`` (``sessionId``), ``profiles`` (``project``) and ``accessLogs`` (``memoryId``);
observations by (bucket, ``id``). Strategies as ``mem::import`` 0.9.29 applies them
(:mod:`memconv.strategies`). The result keeps the new document's ``version`` and ``exportedAt``, and
is checked against the caps again.
"""

from __future__ import annotations

from typing import Any, BinaryIO

import orjson

from memconv.errors import InputInvalid, LimitExceeded
from memconv.io import Input, read_all
from memconv.jsonutil import loads
from memconv.strategies import Plan, merge_keyed

from .shape import CAPS, OPTIONAL_COLLECTIONS, REQUIRED_TOP

KEY_FIELD = {"summaries": "sessionId", "profiles": "project", "accessLogs": "memoryId"}


def _load(inp: Input, role: str) -> dict[str, Any]:
    with inp.open() as fh:
        doc = loads(read_all(fh), inp.name)
    if not isinstance(doc, dict) or any(k not in doc for k in REQUIRED_TOP):
        raise InputInvalid(f"{inp.name}: the {role} is not an AgentMemory ExportData document "
                           f"(expected {', '.join(REQUIRED_TOP)})")
    return doc


def _key(coll: str):
    field = KEY_FIELD.get(coll, "id")
    return lambda r: r.get(field) if isinstance(r, dict) else orjson.dumps(r)


def merge_exports(existing: Input, new: Input, out: BinaryIO, strategy: str) -> Plan:
    """Write ``existing`` combined with ``new`` under ``strategy`` to ``out``; return the plan.

    Raises:
        InputInvalid: either document is not ExportData.
        LimitExceeded: the combined document is over one of AgentMemory's caps.
    """
    old, fresh = _load(existing, "destination"), _load(new, "converted input")
    plan = Plan(strategy)
    result: dict[str, Any] = {"version": fresh["version"], "exportedAt": fresh["exportedAt"]}
    result["sessions"] = merge_keyed(old["sessions"], fresh["sessions"], _key("sessions"), strategy, plan, "sessions")
    flat_old = [(b, o) for b, rows in (old.get("observations") or {}).items() for o in rows]
    flat_new = [(b, o) for b, rows in (fresh.get("observations") or {}).items() for o in rows]
    merged = merge_keyed(flat_old, flat_new, lambda t: (t[0], t[1].get("id")), strategy, plan, "observations")
    buckets: dict[str, list[Any]] = {}
    for b, o in merged:
        buckets.setdefault(b, []).append(o)
    result["observations"] = buckets
    for coll in ("memories", "summaries", *OPTIONAL_COLLECTIONS):
        a, b = old.get(coll) or [], fresh.get(coll) or []
        if not a and not b:
            if coll in ("memories", "summaries"):
                result[coll] = []
            continue
        rows = merge_keyed(a, b, _key(coll), strategy, plan, coll)
        if rows or coll in ("memories", "summaries"):
            result[coll] = rows
    counts = {"MAX_SESSIONS": len(result["sessions"]), "MAX_MEMORIES": len(result["memories"]),
              "MAX_SUMMARIES": len(result["summaries"]), "MAX_OBS_BUCKETS": len(buckets),
              "MAX_OBS_PER_SESSION": max((len(v) for v in buckets.values()), default=0),
              "MAX_TOTAL_OBSERVATIONS": sum(len(v) for v in buckets.values()),
              "MAX_ACCESS_LOGS": len(result.get("accessLogs") or [])}
    for cap, n in counts.items():
        if n > CAPS[cap]:
            raise LimitExceeded(f"after {strategy}, the destination would hold {n} against AgentMemory's "
                                f"{cap} of {CAPS[cap]}; write to a new file with --split instead")
    out.write(orjson.dumps(result))
    return plan
