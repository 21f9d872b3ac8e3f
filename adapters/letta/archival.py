"""Archival records in a Letta agent file's sidecar: which agent owns each passage, memory and other
system's record (an agent of the file, or one memconv builds for a scope), the sidecar line each
becomes, and the sidecar itself (``<stem>.passages.jsonl``; letta-af.md section 5).

:class:`ArchivalRecords` is the part of :class:`.writer.LettaWriter` that does this: its state (the
spooled lines by owner key, the users and systems of each key) lives on the writer.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from memconv.io import AtomicOutput
from memconv.jsonutil import dumps
from memconv.model import Agent, is_marker
from memconv.logmessages import RECORD_BUILT, REFERENCE_UNRESOLVED, SIDECAR_MISMATCH, VALUE_CHANGED

from .mapping import SIDECAR_LINES, source_block
from .shape import SYSTEM, safe_name, sidecar_path

class Owner:
    """An agent memconv builds for archival records whose scope matches no agent."""

    def __init__(self, key: tuple[str, str]):
        self.key = key
        self.users: dict[str, None] = {}
        self.systems: dict[str, None] = {}
        self.count = 0
        self.new_id = ""
        self.name = ""



class ArchivalRecords:
    """The sidecar side of :class:`.writer.LettaWriter` (a mixin: it uses the writer's state)."""

    # ------------------------------------------------------------------ archival records (sidecar)

    def _archival(self, rec: Any) -> None:
        if rec.kind == "memory" and rec.extra("agentmemory").get("isLatest") is False:
            self.superseded += 1
        line, key, users = self._line(rec)
        line["id"] = self.passage_ids.claim("passages", line["id"], within=rec.kind)
        handle = self.pas_spool.add(dumps(line))
        self.pas_groups.setdefault(key, []).append(handle)
        self.pas_kinds[rec.kind] = self.pas_kinds.get(rec.kind, 0) + 1
        system = rec.source_system((self.header.source_system or "memconv"))
        self.pas_systems.setdefault(key, {})[system] = None
        for u in users:
            self.pas_users.setdefault(key, {})[u] = None

    def _owner_ids(self, rec: Any, key: tuple[str, str] | None) -> set[str]:
        """The input agent ids a record's ``scope.agent_id`` may name as its owner: those of the input
        when the record is owned by the agent its scope names (owner key ``("agent", id)``), else none."""
        scope = getattr(rec, "scope", None)
        if key is None or scope is None or key != ("agent", scope.agent_id):
            return set()
        return self._agent_ids()

    def _agent_ids(self) -> set[str]:
        """Ids of the input's agents so far (agents come first in the stream)."""
        if len(self._ids_cache) != len(self.small["agent"]):
            self._ids_cache = {a.id for a in self.small["agent"]}
        return self._ids_cache

    def _line(self, rec: Any) -> tuple[dict[str, Any], tuple[str, str], list[str]]:
        """A sidecar line (without ``agent_id``), its owner key and the user ids it names: the line's keys
        from its kind's table (:data:`.mapping.SIDECAR_LINES`), then its ``source`` object; the owner
        key is this writer's (it depends on the agents and sessions of the stream)."""
        kind = rec.kind
        users: list[str] = []
        from_letta = kind == "passage" and rec.came_from(SYSTEM)
        if kind in ("memory", "passage", "relation"):
            key = self._scope_key(rec.scope, rec)
            if rec.scope.user_id:
                users.append(rec.scope.user_id)
        elif kind == "session":
            key = (("project", rec.project) if rec.project else ("agent", rec.agent_id) if rec.agent_id
                   else ("none", self._system_of(rec)))
        elif kind == "observation":
            key = ("session", rec.session_id)
            if rec.agent_id:
                self.session_agents.setdefault(rec.session_id, rec.agent_id)
        else:  # summary
            key = ("project", rec.project) if rec.project else ("session", rec.session_id)
        line = SIDECAR_LINES[kind].fill({}, rec, from_letta)
        # a Letta passage has a source block only when it gained fields Letta has no key for
        src = source_block(rec, self.header.source_system or "memconv", letta_passage=from_letta,
                           agent_ids=self._owner_ids(rec, key))
        if src or kind not in ("memory", "passage"):
            line["source"] = src or {}
        if kind in ("memory", "passage"):
            for k, v in rec.extra(SYSTEM).items():  # Letta's own keys, also on a record of no provenance
                if not is_marker(k) and k not in line and k != "agent_id":
                    line[k] = v
        return line, key, users

    def _system_of(self, rec: Any) -> str:
        return rec.source_system((self.header.source_system or "memconv"))

    def _scope_key(self, scope: Any, rec: Any) -> tuple[str, str]:
        """Owner key of a scoped record: mem0 (and others) agent_id > user_id > project; AgentMemory
        project > agentId (its agentId names the coding tool, the same across projects)."""
        if scope.project and self._system_of(rec) == "agentmemory":
            return ("project", scope.project)
        if scope.agent_id:
            return ("agent", scope.agent_id)
        if scope.user_id:
            return ("user", scope.user_id)
        if scope.project:
            return ("project", scope.project)
        if scope.session_id:
            return ("session", scope.session_id)
        return ("none", self._system_of(rec))

    # ------------------------------------------------------------------ owners of archival records

    def _owners(self, agents: list[Agent]) -> dict[tuple[str, str], Any]:
        """Owner key -> the real Agent or a built :class:`_Owner` (rules in the module docstring)."""
        by_id = {a.id: a for a in agents}
        names: dict[str, list[Agent]] = {}
        for a in agents:
            names.setdefault(a.name, []).append(a)
        sessions = {s.id: s for s in self.small["session"]}

        def normal(key: tuple[str, str]) -> tuple[str, str]:
            if key[0] != "session":
                return key
            s = sessions.get(key[1])
            if s is not None and s.project:
                return ("project", s.project)
            if s is not None and s.agent_id:
                return ("agent", s.agent_id)
            fallback = self.session_agents.get(key[1])
            if fallback:
                return ("agent", fallback)
            return ("none", next(iter(self.pas_systems.get(key, {"memconv": None}))))

        result: dict[tuple[str, str], Any] = {}
        built: dict[tuple[str, str], Owner] = {}
        unscoped: list[tuple[tuple[str, str], tuple[str, str]]] = []
        attached_single = 0

        def build(key: tuple[str, str], k: tuple[str, str]) -> Owner:
            o = built.get(k)
            if o is None:
                o = built[k] = Owner(k)
            o.count += len(self.pas_groups[key])
            o.users.update(self.pas_users.get(key, {}))
            o.systems.update(self.pas_systems.get(key, {}))
            return o

        # agents memconv built in an earlier conversion (tag memconv, metadata.memconv.scope), by scope:
        # records of that scope go back to them rather than to a new agent
        earlier: dict[tuple[str, str], Agent] = {}
        for a in agents:
            bs = built_scope(a)
            if bs is not None:
                earlier.setdefault(bs, a)

        for key, handles in self.pas_groups.items():
            k = normal(key)
            owner: Any = None
            if k[0] == "agent":
                owner = by_id.get(k[1])
                if owner is None and len(names.get(k[1], [])) == 1:
                    owner = names[k[1]][0]
                if owner is None:  # the name made safe earlier; not an agent memconv built for another scope
                    cands = [a for a in names.get(safe_name(k[1]), []) if built_scope(a) in (None, k)]
                    if len(cands) == 1:
                        owner = cands[0]
            if owner is None:
                owner = earlier.get(k)
            if owner is None and len(agents) == 1:
                owner = agents[0]
                attached_single += len(handles)
            if owner is None and k[0] == "none":
                unscoped.append((key, k))
                continue
            result[key] = owner if owner is not None else build(key, k)
        for key, k in unscoped:  # records with no scope join the only owner there is, else get their own
            owners = {id(o): o for o in result.values()}
            if len(owners) == 1:
                result[key] = next(iter(owners.values()))
                if isinstance(result[key], Owner):
                    result[key].count += len(self.pas_groups[key])
                    result[key].systems.update(self.pas_systems.get(key, {}))
            else:
                result[key] = build(key, k)
        if attached_single:
            self.report.warn(f"letta: {attached_single} archival record(s) whose scope names no agent of the input "
                             f"were given to its only agent, {agents[0].name!r}", REFERENCE_UNRESOLVED)
        for o in built.values():
            o.new_id = self.ids["agent"].fresh()
            kind, val = o.key
            systems = " and ".join(o.systems) or "memconv"
            if kind == "project":
                base = val.rstrip("/\\").replace("\\", "/").rsplit("/", 1)[-1] or val
            elif kind == "none":
                base = f"{systems} memories"
            elif kind == "user":
                base = f"{systems} {val}"
            else:
                base = val
            o.name = safe_name(base)
            if o.name != base:
                self.report.warn(f"letta: agent name {base!r} is not one Letta accepts (letters, digits, _, space, "
                                 f"' and -); written as {o.name!r}", VALUE_CHANGED)
            whose = "that name no user, agent or project" if kind == "none" else f"of {kind} {val!r}"
            self.report.warn(f"letta: built agent {o.name!r} ({o.new_id}) for {o.count} {systems} archival record(s) "
                             f"{whose} (letta/letta-free model, no embedding_config)", RECORD_BUILT)
        return result

    # ------------------------------------------------------------------ sidecar

    def _sidecar_target(self) -> str | None:
        explicit = self.opts.extra.get("passages")
        if explicit:
            return str(explicit)
        if self.opts.output_path:
            return str(sidecar_path(self.opts.output_path))
        return None

    def _write_sidecar(self, agents: list[Agent], owners: dict[tuple[str, str], Any]) -> None:
        total = sum(len(h) for h in self.pas_groups.values())
        if not total:
            target = self._sidecar_target()
            if target and self.opts.output_path and Path(target).exists() and not self.opts.extra.get("passages"):
                self.report.warn(f"letta: {target} exists beside the output but this conversion has no passages; "
                                 f"memconv would read it with the new file (remove it if it is stale)",
                                 SIDECAR_MISMATCH)
            return
        target = self._sidecar_target()
        if target is None:
            for kind, n in self.pas_kinds.items():
                self.report.lost(kind, "*", "archival memory has no place in an .af written to standard output; "
                                            "name a sidecar with --passages FILE", count=n)
            return
        order: list[str] = [self.new_ids[id(a)] for a in agents]
        per_agent: dict[str, list[tuple[str, str]]] = {}
        for key, owner in owners.items():
            new = owner.new_id if isinstance(owner, Owner) else self.new_ids[id(owner)]
            if new not in order:
                order.append(new)
            per_agent.setdefault(new, []).append(key)
        digest = hashlib.sha256()
        with AtomicOutput(target) as fh:
            for new in order:
                prefix = b'{"agent_id":' + dumps(new)
                for key in per_agent.get(new, []):
                    for blob in self.pas_spool.all(self.pas_groups[key]):
                        line = prefix + (b"," + blob[1:] if blob != b"{}" else b"}") + b"\n"
                        digest.update(line)
                        fh.write(line)
        self.sidecar_sha256 = digest.hexdigest()  # the .af records it: a reader can tell a mixed pair
        self.report.wrote("letta:passages", total)
        self.report.info["sidecar"] = target


def built_scope(a: Agent) -> tuple[str, str] | None:
    """The owner key an agent memconv built in an earlier conversion stands for (tag ``memconv``,
    ``metadata.memconv.scope`` of one key: ``("agent", "Ada")``), or None for any other agent."""
    return a.built_for()
