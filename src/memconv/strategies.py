"""Write strategies against a destination that already holds data: merge, replace, skip.

Semantics (AgentMemory's importer, ``mem::import`` 0.9.29, generalised; keys are the target's own):

* ``merge``: records of the input overwrite destination records with the same key (whole-record,
  no field-level merge); new keys are inserted; destination records the input lacks are kept.
* ``replace``: the destination holds exactly the input afterwards (the others are deleted).
* ``skip``: destination records are kept as they are; only input records with new keys are added.

A :class:`Plan` counts, per target collection, what is inserted, updated, skipped, deleted and kept.
The same code computes the plan for ``--dry-run`` and performs the real run, so their counts agree.
Adapters implement :meth:`memconv.format.Format.merge` with :func:`merge_keyed` per collection.
"""

from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Iterable, TypeVar

from .errors import UsageError
from .localids import merge_ordinal, qualify

STRATEGIES = ("merge", "replace", "skip")
ACTIONS = ("insert", "update", "skip", "delete", "keep")
T = TypeVar("T")


def check_strategy(strategy: str | None) -> str | None:
    """Validate a ``--strategy`` value.

    Raises:
        UsageError: not one of :data:`STRATEGIES`.
    """
    if strategy is not None and strategy not in STRATEGIES:
        raise UsageError(f"--strategy {strategy!r}: expected one of {', '.join(STRATEGIES)}")
    return strategy


class Plan:
    """Per-collection counts of ``insert``/``update``/``skip``/``delete``/``keep``."""

    def __init__(self, strategy: str | None = None):
        self.strategy = strategy
        self.counts: dict[str, Counter] = {}

    def add(self, collection: str, action: str, n: int = 1) -> None:
        """Count ``n`` records of ``collection`` under ``action``."""
        if n:
            self.counts.setdefault(collection, Counter())[action] += n

    def to_dict(self) -> dict[str, Any]:
        """``{"strategy": ..., "collections": {name: {action: n}}}`` with every action present."""
        return {"strategy": self.strategy,
                "collections": {c: {a: int(n.get(a, 0)) for a in ACTIONS} for c, n in sorted(self.counts.items())}}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Plan":
        """The inverse of :meth:`to_dict`."""
        plan = cls(data.get("strategy"))
        for c, acts in data.get("collections", {}).items():
            for a, n in acts.items():
                plan.add(c, a, n)
        return plan

    def lines(self) -> list[str]:
        """One human-readable line per collection."""
        out = []
        for c, n in sorted(self.counts.items()):
            parts = [f"{n[a]} {a}" for a in ACTIONS if n.get(a)]
            out.append(f"{c}: " + ", ".join(parts))
        return out


def merge_keyed(existing: Iterable[T], new: Iterable[T], key: Callable[[T], Any], strategy: str,
                plan: Plan, collection: str) -> list[T]:
    """Combine two record lists of one collection by ``key`` under ``strategy``.

    Returns:
        The destination's records afterwards: for ``merge``, kept destination records in their order,
        then the input's; for ``skip``, the destination's, then the input's new ones; for
        ``replace``, the input's.
    """
    new = list(new)
    new_keys = {key(r) for r in new}
    old_keys: set[Any] = set()
    kept: list[T] = []
    for r in existing:
        k = key(r)
        old_keys.add(k)
        if strategy == "skip" or (strategy == "merge" and k not in new_keys):
            kept.append(r)
    both = old_keys & new_keys
    if strategy == "replace":
        plan.add(collection, "delete", len(old_keys - new_keys))
        plan.add(collection, "update", len(both))
        plan.add(collection, "insert", len(new_keys - old_keys))
        return new
    if strategy == "merge":
        plan.add(collection, "keep", len(old_keys - new_keys))
        plan.add(collection, "update", len(both))
        plan.add(collection, "insert", len(new_keys - old_keys))
        return kept + new
    plan.add(collection, "keep", len(old_keys))
    plan.add(collection, "skip", len(both))
    plan.add(collection, "insert", len(new_keys - old_keys))
    return kept + [r for r in new if key(r) not in old_keys]


def merge_streams(existing: Callable[[], Iterable[Any]], new: Callable[[], Iterable[Any]], strategy: str,
                  plan: Plan, key: Callable[[Any], Any] = lambda r: (r.kind, r.id)) -> Iterable[Any]:
    """Combine two canonical streams (each a header, then records) by ``key`` under ``strategy``.

    Only keys (and agent names) are held in memory: each side is called twice, once to collect its
    keys and once to stream its records. When an agent of the new side has the file-local id of an
    existing agent with another name, the new side's file-local ids are qualified first
    (:func:`memconv.localids.merge_ordinal`), so a different agent is added, not folded in. Yields the
    new stream's header, then the destination's records it keeps, then the input's records. Plan
    counts are per ``kind``; they are complete once the stream is consumed.
    """
    def survey(stream: Iterable[Any]) -> tuple[set[Any], dict[str, str]]:
        keys: set[Any] = set()
        agents: dict[str, str] = {}
        for r in stream:
            if r.kind != "header":
                keys.add(key(r))
                if r.kind == "agent":
                    agents[r.id] = r.name
        return keys, agents

    old_keys, old_agents = survey(existing())
    new_keys, new_agents = survey(new())
    ordinal = merge_ordinal(old_agents, new_agents)
    new_side = new
    if ordinal > 1:  # a different agent under the same file-local ids: a third pass for its keys
        new_side = lambda: qualify(new(), ordinal)  # noqa: E731
        new_keys, _ = survey(new_side())
    items = iter(new_side())
    yield next(items)
    for r in existing():
        if r.kind == "header":
            continue
        k = key(r)
        if strategy == "skip" or (strategy == "merge" and k not in new_keys):
            yield r
    for r in items:
        if strategy != "skip" or key(r) not in old_keys:
            yield r
    for kind in sorted({k[0] if isinstance(k, tuple) else "records" for k in old_keys | new_keys}):
        o = {k for k in old_keys if (k[0] if isinstance(k, tuple) else "records") == kind}
        n = {k for k in new_keys if (k[0] if isinstance(k, tuple) else "records") == kind}
        if strategy == "replace":
            plan.add(kind, "delete", len(o - n))
            plan.add(kind, "update", len(o & n))
        elif strategy == "merge":
            plan.add(kind, "keep", len(o - n))
            plan.add(kind, "update", len(o & n))
        else:
            plan.add(kind, "keep", len(o))
            plan.add(kind, "skip", len(o & n))
        plan.add(kind, "insert", len(n - o))
