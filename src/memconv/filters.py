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

No dangling references: a kept record never names one the filters left out. A group loses the
members left out, and goes when its manager or all its members went; an agent loses the block, tool,
source and group ids left out, and its context (``in_context_message_ids``) with ``exclude`` messages;
a file goes with its source, observations and summaries with their session, messages with their
conversation's session, history events with their memory, relations with an endpoint entity; an
``agent_id`` naming an agent left out becomes None. ``since`` keeps the messages of a kept agent's
context whatever their time, and judges a session by its end (an open session is never older).

An ``agents`` value matching no agent record matches agent scopes (mem0 ``agent_id``, AgentMemory
``agentId``); a value that matched nothing, a ``rename`` key and a ``user_ids`` value that matched nothing, raise
:class:`~memconv.errors.UsageError` at the end of the stream, so that nothing is written.

Small kinds are buffered until the first large record (or the end), since whether a block is kept
depends on the agents, which may come in any order among the small kinds. What the filters leave
out is counted in ``report.info["filtered"]`` (kind -> count), apart from what a writer loses.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from .errors import UsageError
from .model import PLURALS, RECORD_TYPES, SMALL_KINDS, Header, RecordKind
from .report import Report
from .timeutil import parse_ts

KIND_ALIASES: dict[str, RecordKind] = {
    **{k: k for k in RECORD_TYPES},
    **{PLURALS[k]: k for k in RECORD_TYPES if k != "raw"},  # memories, summaries, entities, messages...
    "history": "event", "histories": "event", "conversation": "message",
    "archival": "passage", "mcp": "mcp_server", "graph": "entity", "core_memory": "block",
}
"""Names accepted by ``--exclude``: canonical kinds, their plurals, and a few synonyms users type."""


def parse_kinds(names: Sequence[str]) -> set[RecordKind]:
    """Canonical kinds for ``--exclude`` names (``graph`` means entities and relations).

    Raises:
        UsageError: an unknown name, listing the accepted ones.
    """
    out: set[RecordKind] = set()
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
    if rec.kind == "session":  # a session changes until it ends: an open one is never older than --since
        if rec.ended_at:
            return parse_ts(rec.ended_at)
        return None if rec.status in (None, "active") else (parse_ts(rec.started_at) if rec.started_at else None)
    for f in ("updated_at", "created_at", "timestamp", "started_at"):
        v = getattr(rec, f, None)
        if v:
            dt = parse_ts(v)
            if dt is not None:
                return dt
    return None


OWNED_BY_AGENT = ("session", "message", "observation")
"""Kinds whose ``agent_id`` names an :class:`~memconv.model.Agent` record."""


class _Selection:
    def __init__(self, agents: Sequence[str], user_ids: Sequence[str], since: datetime | None,
                 exclude: set[str], rename: dict[str, str], report: Report):
        self.agents = set(agents)
        self.users = set(user_ids)
        self.since = since
        self.exclude = exclude
        self.rename = rename
        self.report = report
        report.info.setdefault("filtered", {})  # present, if empty, whenever a selection ran
        self.kept_agents: set[str] = set()      # ids and names of kept agents
        self.owners: set[str] = set()           # kept agents' ids and names, and --agent names no agent record has
        self.kept_refs: set[str] = set()        # block/tool/source/group ids referenced by kept agents
        self.kept_sources: set[str] = set()
        self.kept_sessions: set[str] = set()
        self.kept_memories: set[str] = set()
        self.dropped_memories: set[str] = set()
        self.removed: dict[str, set[str]] = defaultdict(set)  # kind -> ids of the records left out
        self.removed_entity_names: set[str] = set()
        self.in_context: set[str] = set()       # message ids in a kept agent's context: --since keeps them
        self.matched: set[str] = set()          # --agent values that matched a record
        self.renamed_seen: set[str] = set()     # --rename-agent OLD values that matched a record
        self.users_seen: set[str] = set()       # --user-id values that matched a record
        self.agent_names: list[str] = []        # names of the input's agents, for the error message

    def drop(self, rec: Any) -> None:
        self.report.filter(rec.kind)
        self.removed[rec.kind].add(rec.id)
        if rec.kind == "entity":
            self.removed_entity_names.add(rec.name)

    def owned(self, agent_id: str | None) -> bool:
        if agent_id in self.owners:
            if agent_id in self.agents:
                self.matched.add(agent_id)
            return True
        return False

    def decide_small(self, small: list[Any]) -> Iterator[Any]:
        agents = [r for r in small if r.kind == "agent"]
        self.agent_names += [a.name for a in agents]
        self.renamed_seen |= {a.name for a in agents} & set(self.rename)  # even one another filter drops
        if self.agents:
            for a in agents:
                hit = self.agents & {a.id, a.name, a.original_id}
                if hit:
                    self.matched |= hit
                    self.kept_agents |= {a.id, a.name}
                    self.kept_refs |= set(a.block_ids) | set(a.tool_ids) | set(a.source_ids) | set(a.group_ids)
                    self.kept_sources |= set(a.source_ids)
            # a value no agent record has may still name an agent scope (mem0 agent_id, AgentMemory agentId)
            self.owners = self.kept_agents | (self.agents - self.matched)
        keep = {id(rec): self.keep(rec) for rec in small}
        for rec in small:
            if not keep[id(rec)]:
                self.drop(rec)
        # a kept record must not name one left out: groups lose dropped members (and go when their
        # manager or every member went), files go with their source
        changed = True
        while changed:
            changed = False
            for rec in small:
                if keep[id(rec)] and self._orphaned(rec):
                    keep[id(rec)] = False
                    self.drop(rec)
                    changed = True
        if "message" not in self.exclude:
            for a in agents:
                if keep[id(a)]:
                    self.in_context.update(a.in_context_message_ids)
        for rec in small:
            if keep[id(rec)]:
                yield self.renamed(self.rewrite(rec))

    def _orphaned(self, rec: Any) -> bool:
        """True when ``rec`` cannot stand without a record that was left out."""
        if rec.kind == "group":
            gone = self.removed["agent"]
            manager = (rec.manager_config or {}).get("manager_agent_id")
            return manager in gone or bool(rec.agent_ids) and all(a in gone for a in rec.agent_ids)
        if rec.kind == "file":
            return rec.source_id is not None and rec.source_id in self.removed["source"]
        if rec.kind in ("observation", "summary"):
            return rec.session_id in self.removed["session"]
        if rec.kind == "message":
            return rec.conversation_id is not None and rec.conversation_id in self.removed["session"]
        if rec.kind == "event":
            return rec.memory_id in self.removed["memory"]
        if rec.kind == "relation":
            ents = self.removed["entity"] | self.removed_entity_names
            return rec.source in ents or rec.target in ents
        return False

    def rewrite(self, rec: Any) -> Any:
        """``rec`` without references to records left out (an agent's block, tool, source and group
        ids, its context when messages are excluded; a group's members; an owner agent excluded)."""
        kind = rec.kind
        update: dict[str, Any] = {}
        if kind == "agent":
            for field, target in (("block_ids", "block"), ("tool_ids", "tool"), ("source_ids", "source"),
                                  ("group_ids", "group")):
                ids = getattr(rec, field)
                gone = self.removed[target]
                if any(i in gone for i in ids):
                    update[field] = [i for i in ids if i not in gone]
            if "message" in self.exclude and rec.in_context_message_ids:
                update["in_context_message_ids"] = []
        elif kind == "group":
            gone = self.removed["agent"]
            if any(a in gone for a in rec.agent_ids):
                update["agent_ids"] = [a for a in rec.agent_ids if a not in gone]
            ex = rec.extras.get("letta")
            shared = ex.get("shared_block_ids") if ex else None
            if isinstance(shared, list) and any(b in self.removed["block"] for b in shared):
                ex = {**ex, "shared_block_ids": [b for b in shared if b not in self.removed["block"]]}
                update["extras"] = {**rec.extras, "letta": ex}
        elif kind in OWNED_BY_AGENT and rec.agent_id is not None and rec.agent_id in self.removed["agent"]:
            update["agent_id"] = None
        elif kind == "passage" and rec.scope.agent_id is not None and rec.scope.agent_id in self.removed["agent"]:
            update["scope"] = rec.scope.model_copy(update={"agent_id": None})
        return rec.model_copy(update=update) if update else rec

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
                ok = self.owned(rec.agent_id) and self._recent(rec)
                if ok:
                    self.kept_sessions.add(rec.id)
                return ok
            if kind == "message":
                if not self.owned(rec.agent_id):
                    return False
            elif kind == "observation":
                if not (rec.session_id in self.kept_sessions or self.owned(rec.agent_id)):
                    return False
            elif kind == "summary":
                if rec.session_id not in self.kept_sessions:
                    return False
            elif kind in ("memory", "passage", "entity", "relation"):
                if not self.owned(rec.scope.agent_id):
                    return False
            elif kind == "event":
                if rec.memory_id not in self.kept_memories:
                    return False
        if self.users:
            if kind in ("memory", "passage", "entity", "relation"):
                if rec.scope.user_id not in self.users:
                    return False
                self.users_seen.add(rec.scope.user_id)
            if kind == "event" and rec.memory_id not in self.kept_memories:
                return False
        return self._recent(rec)

    def _recent(self, rec: Any) -> bool:
        if self.since is None or (rec.kind in SMALL_KINDS and rec.kind != "session"):
            return True
        if rec.kind == "message" and rec.id in self.in_context:
            return True  # the agent's context names it
        t = _time(rec)
        return t is None or t >= self.since

    def renamed(self, rec: Any) -> Any:
        if not self.rename:
            return rec
        if rec.kind == "agent" and rec.name in self.rename:
            self.renamed_seen.add(rec.name)
            return rec.model_copy(update={"name": self.rename[rec.name]})
        scope = getattr(rec, "scope", None)
        if scope is not None and scope.agent_id in self.rename:
            self.renamed_seen.add(scope.agent_id)
            return rec.model_copy(update={"scope": scope.model_copy(update={"agent_id": self.rename[scope.agent_id]})})
        if rec.kind == "session" and rec.agent_id in self.rename:
            self.renamed_seen.add(rec.agent_id)
            return rec.model_copy(update={"agent_id": self.rename[rec.agent_id]})
        return rec

    def one(self, rec: Any) -> Any | None:
        """Decide a record met on its own (a large one, or a small one after large ones)."""
        ok = self.keep(rec) and not self._orphaned(rec)
        if rec.kind == "memory" or rec.kind == "passage":
            (self.kept_memories if ok else self.dropped_memories).add(rec.id)
        if not ok:
            self.drop(rec)
            return None
        return self.renamed(self.rewrite(rec))

    def check_end(self) -> None:
        """Raise when an ``--agent`` or ``--rename-agent`` value named nothing in the input.

        Raises:
            UsageError: naming the values and the input's agents.
        """
        problems = []
        missing = sorted(self.agents - self.matched)
        if missing:
            problems.append(f"--agent {', '.join(map(repr, missing))}: no such agent in the input")
        unused = sorted(set(self.rename) - self.renamed_seen)
        if unused:
            problems.append(f"--rename-agent {', '.join(map(repr, unused))}: no such agent in the input")
        nobody = sorted(self.users - self.users_seen)
        if nobody:
            raise UsageError(f"--user-id {', '.join(map(repr, nobody))}: no memory, passage or graph record "
                             f"of that user in the input" + ("; " + "; ".join(problems) if problems else ""))
        if problems:
            names = sorted(set(self.agent_names))
            shown = ", ".join(map(repr, names[:10])) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
            raise UsageError("; ".join(problems) + (f" (its agents: {shown})" if names else " (it has no agent records)"))


def select(items: Iterable[Any], *, agents: Sequence[str] = (), user_ids: Sequence[str] = (),
           since: datetime | None = None, exclude: set[str] | frozenset[str] = frozenset(),
           rename: dict[str, str] | None = None, report: Report | None = None) -> Iterator[Any]:
    """Apply the selection to a canonical stream (header first); see the module docstring.

    Args:
        items: a header then records. agents: names or ids. user_ids: mem0 user ids.
        since: an aware datetime. exclude: canonical kinds. rename: ``{old name: new name}``.
        report: receives ``info["filtered"]``.

    Raises:
        UsageError: at the end of the stream (so a writer writes nothing), when an ``agents`` value
            matched no agent record and no record's agent scope, a ``rename`` key matched no agent, or
            a ``user_ids`` value matched no record's user scope.
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
        kept = sel.one(item)
        if kept is not None:
            yield kept
    if not flushed:
        yield from sel.decide_small(small)
    sel.check_end()
