"""Selective migration: stream stages that keep part of the input.

:func:`select` wraps a canonical stream and applies, in one pass:

* ``agents``: keep only these agents (by name, id, or source id) and what belongs to them: the
  blocks, tools, sources, files and groups they reference, their messages, their sessions and
  observations, and passages and memories scoped to them (``scope.agent_id`` equal to the agent's
  id or name). Memories scoped to no agent are dropped.
* ``user_ids``: keep memories, passages, entities and relations whose ``scope.user_id`` is one of
  these, and the history events of kept memories; records of other kinds are not user-scoped and
  pass.
* ``since``: keep large records (memories, passages, messages, observations, summaries, events,
  sessions) changed at or after this time (``updated_at``, else ``created_at`` / ``timestamp`` /
  ``started_at``); records with no time pass, since nothing says they are older.
* ``exclude``: drop whole kinds (``messages``, ``passages``, ``history``... see :data:`KIND_ALIASES`).
* ``rename``: ``{old: new}`` agent names (also applied to ``scope.agent_id`` and ``Session.agent_id``
  when they hold the old name).

Small kinds are buffered until the first large record (or the end), since whether a block is kept
depends on the agents, which may come in any order among the small kinds. What the filters leave
out is counted in ``report.info["filtered"]`` (kind -> count), apart from what a writer loses.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from .errors import UsageError
from .model import RECORD_TYPES, SMALL_KINDS, Header
from .report import Report
from .timeutil import parse_ts

KIND_ALIASES: dict[str, str] = {
    **{k: k for k in RECORD_TYPES},
    **{k + "s": k for k in RECORD_TYPES},
    "history": "event", "events": "event", "histories": "event", "conversation": "message",
    "archival": "passage", "mcp_servers": "mcp_server", "mcp": "mcp_server", "summaries": "summary",
    "entities": "entity", "graph": "entity", "core_memory": "block",
}
"""Names accepted by ``--exclude``: canonical kinds, their plurals, and a few synonyms users type."""


def parse_kinds(names: Sequence[str]) -> set[str]:
    """Canonical kinds for ``--exclude`` names (``graph`` means entities and relations).

    Raises:
        UsageError: an unknown name, listing the accepted ones.
    """
    out: set[str] = set()
    for n in names:
        key = n.strip().lower()
        if key not in KIND_ALIASES:
            raise UsageError(f"--exclude {n!r}: unknown kind; use one of: {', '.join(sorted(set(KIND_ALIASES)))}")
        out.add(KIND_ALIASES[key])
        if key == "graph":
            out.add("relation")
    return out


def parse_rename(pairs: Sequence[str]) -> dict[str, str]:
    """``["old=new", ...]`` -> ``{"old": "new"}``.

    Raises:
        UsageError: a pair without ``=`` or with an empty side.
    """
    out = {}
    for p in pairs:
        old, sep, new = p.partition("=")
        if not sep or not old or not new:
            raise UsageError(f"--rename-agent {p!r}: expected OLD=NEW")
        out[old] = new
    return out


def parse_since(value: str | None) -> datetime | None:
    """``--since`` as an aware datetime (a date alone means its midnight UTC).

    Raises:
        UsageError: not an ISO-8601 date or time.
    """
    if value is None:
        return None
    dt = parse_ts(value if "T" in value or " " in value else value + "T00:00:00")
    if dt is None:
        raise UsageError(f"--since {value!r}: expected an ISO-8601 date or time, e.g. 2026-01-31")
    return dt


def _time(rec: Any) -> datetime | None:
    for f in ("updated_at", "created_at", "timestamp", "started_at"):
        v = getattr(rec, f, None)
        if v:
            dt = parse_ts(v)
            if dt is not None:
                return dt
    return None


class _Selection:
    def __init__(self, agents: Sequence[str], user_ids: Sequence[str], since: datetime | None,
                 exclude: set[str], rename: dict[str, str], report: Report):
        self.agents = set(agents)
        self.users = set(user_ids)
        self.since = since
        self.exclude = exclude
        self.rename = rename
        self.report = report
        self.filtered = report.info.setdefault("filtered", {})
        self.kept_agents: set[str] = set()      # ids and names of kept agents
        self.kept_refs: set[str] = set()        # block/tool/source/group ids referenced by kept agents
        self.kept_sources: set[str] = set()
        self.kept_sessions: set[str] = set()
        self.kept_memories: set[str] = set()
        self.dropped_memories: set[str] = set()

    def drop(self, rec: Any) -> None:
        self.filtered[rec.kind] = self.filtered.get(rec.kind, 0) + 1

    def decide_small(self, small: list[Any]) -> Iterator[Any]:
        if self.agents:
            matched: set[str] = set()
            for a in (r for r in small if r.kind == "agent"):
                hit = self.agents & {a.id, a.name, a.provenance.id if a.provenance else None}
                if hit:
                    matched |= hit
                    self.kept_agents |= {a.id, a.name}
                    self.kept_refs |= set(a.block_ids) | set(a.tool_ids) | set(a.source_ids) | set(a.group_ids)
                    self.kept_sources |= set(a.source_ids)
            missing = self.agents - matched
            if missing:
                self.report.warn(f"--agent {', '.join(sorted(missing))}: no such agent in the input")
        for rec in small:
            if self.keep(rec):
                yield self.renamed(rec)
            else:
                self.drop(rec)

    def keep(self, rec: Any) -> bool:
        kind = rec.kind
        if kind in self.exclude:
            return False
        if self.agents:
            if kind == "agent":
                return rec.id in self.kept_agents
            if kind in ("block", "tool", "source", "group"):
                return rec.id in self.kept_refs or (kind == "group" and bool(self.kept_agents & set(rec.agent_ids)))
            if kind == "file":
                return rec.source_id in self.kept_sources
            if kind in ("mcp_server", "skill"):
                return bool(self.kept_agents)
            if kind == "session":
                ok = rec.agent_id in self.kept_agents
                if ok:
                    self.kept_sessions.add(rec.id)
                return ok
            if kind == "message":
                return rec.agent_id in self.kept_agents
            if kind == "observation":
                return rec.session_id in self.kept_sessions or rec.agent_id in self.kept_agents
            if kind == "summary":
                return rec.session_id in self.kept_sessions
            if kind in ("memory", "passage", "entity", "relation"):
                return rec.scope.agent_id in self.kept_agents
            if kind == "event":
                return rec.memory_id in self.kept_memories
        if self.users:
            if kind in ("memory", "passage", "entity", "relation") and rec.scope.user_id not in self.users:
                return False
            if kind == "event" and rec.memory_id not in self.kept_memories:
                return False
        if self.since is not None and (kind not in SMALL_KINDS or kind == "session"):
            t = _time(rec)
            if t is not None and t < self.since:
                return False
        return True

    def renamed(self, rec: Any) -> Any:
        if not self.rename:
            return rec
        if rec.kind == "agent" and rec.name in self.rename:
            return rec.model_copy(update={"name": self.rename[rec.name]})
        scope = getattr(rec, "scope", None)
        if scope is not None and scope.agent_id in self.rename:
            return rec.model_copy(update={"scope": scope.model_copy(update={"agent_id": self.rename[scope.agent_id]})})
        if rec.kind == "session" and rec.agent_id in self.rename:
            return rec.model_copy(update={"agent_id": self.rename[rec.agent_id]})
        return rec

    def large(self, rec: Any) -> Any | None:
        if rec.kind == "memory" or rec.kind == "passage":
            ok = self.keep(rec)
            (self.kept_memories if ok else self.dropped_memories).add(rec.id)
        else:
            ok = self.keep(rec)
        if not ok:
            self.drop(rec)
            return None
        return self.renamed(rec)


def select(items: Iterable[Any], *, agents: Sequence[str] = (), user_ids: Sequence[str] = (),
           since: datetime | None = None, exclude: set[str] | frozenset[str] = frozenset(),
           rename: dict[str, str] | None = None, report: Report | None = None) -> Iterator[Any]:
    """Apply the selection to a canonical stream (header first); see the module docstring.

    Args:
        items: a header then records. agents: names or ids. user_ids: mem0 user ids.
        since: an aware datetime. exclude: canonical kinds. rename: ``{old name: new name}``.
        report: receives ``info["filtered"]``.
    """
    if not (agents or user_ids or since or exclude or rename):
        return iter(items)
    return _select(items, _Selection(agents, user_ids, since, set(exclude), rename or {},
                                     report if report is not None else Report()))


def _select(items: Iterable[Any], sel: _Selection) -> Iterator[Any]:
    small: list[Any] = []
    flushed = False
    for item in items:
        if isinstance(item, Header):
            yield item
            continue
        if item.kind in SMALL_KINDS and not flushed:
            small.append(item)
            continue
        if not flushed:
            flushed = True
            yield from sel.decide_small(small)
            small = []
        if item.kind in SMALL_KINDS:  # a small record after large ones: decide it on its own
            if sel.keep(item):
                yield sel.renamed(item)
            else:
                sel.drop(item)
            continue
        kept = sel.large(item)
        if kept is not None:
            yield kept
    if not flushed:
        yield from sel.decide_small(small)
