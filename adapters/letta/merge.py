"""Merging a Letta agent file into an existing one: agents by name, blocks by label within an agent.

* ``replace``: the destination holds exactly the input's agents afterwards.
* ``skip``: the destination's agents stay as they are; agents whose name is new are added.
* ``merge``: agents whose name is new are added; an agent in both takes the input's definition
  (system prompt, config, messages), its blocks are updated by label and the destination's other
  blocks are kept on it; passages are the union (matched by text); tools are matched by name (the
  input's wins), as Letta's importer upserts tools by name.

Both files are read whole (agent files are small; their passages come from the sidecars). The new
side's file-local ids (the kinds in :data:`RENUMBERED`, which the writer renumbers) are moved out of the
way (``new:`` prefix) so they do not clash with the destination's ``agent-0``/``block-0``; the ids of
the sidecar's records (passages, sessions...) are written as they are, so they are not moved.

The plan counts what is written (issue 16.9): per collection, the destination's records ``keep`` or
``delete``, the input's ``insert`` or ``update`` when written and ``skip`` when not, so a ``--dry-run``
and the real run agree.
"""

from __future__ import annotations

from typing import Any, BinaryIO

from pathlib import Path

from memconv.format import ReadOptions, WriteOptions
from memconv.commit import active
from memconv.io import Input
from memconv.strategies import Plan

from .shape import sidecar_path

NEW = "new:"

RENUMBERED = frozenset({"agent", "group", "block", "tool", "source", "file", "mcp_server", "message"})
"""Kinds whose ids the Letta writer renumbers to file-local ``<prefix>-<n>`` ids."""

ARCHIVAL = ("passage", "memory")
"""Kinds written as archival passages and matched by agent and text."""


def _ren(v: Any) -> Any:
    if isinstance(v, str):
        return NEW + v
    if isinstance(v, list):
        return [NEW + x if isinstance(x, str) else x for x in v]
    return v


def _move(rec: Any, agent_ids: set[str]) -> Any:
    """The record with its id (when its kind is renumbered) and the file-local ids it references
    prefixed with ``new:``; an archival record's ``scope.agent_id`` only when it names one of the
    file's agents (``agent_ids``): else it is the scope memconv built an agent for (a mem0 agent id),
    which the writer matches to that agent again."""
    k = rec.kind
    upd: dict[str, Any] = {"id": NEW + rec.id} if k in RENUMBERED else {}
    if k == "agent":
        for f in ("block_ids", "tool_ids", "source_ids", "group_ids", "in_context_message_ids"):
            upd[f] = _ren(getattr(rec, f))
        ex = rec.extras.get("letta")
        if ex and isinstance(ex.get("files_agents"), list):
            fa = [{**x, **{f: _ren(x[f]) for f in ("file_id", "source_id", "agent_id") if isinstance(x, dict) and f in x}}
                  if isinstance(x, dict) else x for x in ex["files_agents"]]
            upd["extras"] = {**rec.extras, "letta": {**ex, "files_agents": fa}}
    elif k == "group":
        upd["agent_ids"] = _ren(rec.agent_ids)
        if rec.manager_config and isinstance(rec.manager_config.get("manager_agent_id"), str):
            upd["manager_config"] = {**rec.manager_config, "manager_agent_id": NEW + rec.manager_config["manager_agent_id"]}
    elif k == "file":
        upd["source_id"] = _ren(rec.source_id)
    elif k == "message":
        upd["agent_id"] = _ren(rec.agent_id)
    elif k in ARCHIVAL and rec.scope.agent_id in agent_ids:
        upd["scope"] = rec.scope.model_copy(update={"agent_id": NEW + rec.scope.agent_id})
    return rec.model_copy(update=upd) if upd else rec


def _owner(rec: Any, agents: list[Any]) -> Any:
    """The agent an archival record belongs to: the one its ``scope.agent_id`` names, else the agent
    memconv built for its scope (tag ``memconv``, ``metadata.memconv.scope``, as the writer keys it:
    agent, user, project, session); None when neither."""
    scope = rec.scope
    for a in agents:
        if a.id == scope.agent_id:
            return a
    for key, value in (("agent", scope.agent_id), ("user", scope.user_id), ("project", scope.project),
                       ("session", scope.session_id)):
        if value is None:
            continue
        for a in agents:
            built = ((a.metadata or {}).get("memconv") or {}).get("scope") if "memconv" in a.tags else None
            if isinstance(built, dict) and built.get(key) == value:
                return a
        return None
    return None


def _owner_key(rec: Any, agents: list[Any]) -> Any:
    """What two archival records of the same text must share to be one passage: their agent's name,
    else their scope."""
    a = _owner(rec, agents)
    return ("agent", a.name) if a is not None else ("scope", rec.scope.model_dump_json())


def _owned(records: list[Any], agent_ids: set[str]) -> set[str]:
    """Ids of everything the given agents own or use."""
    keep = set(agent_ids)
    agents = [r for r in records if r.kind == "agent"]
    for r in records:
        if r.kind == "agent" and r.id in agent_ids:
            keep |= set(r.block_ids) | set(r.tool_ids) | set(r.source_ids) | set(r.group_ids)
            keep |= set(r.in_context_message_ids)
    for r in records:
        if (r.kind == "message" and r.agent_id in agent_ids) or (r.kind == "file" and r.source_id in keep) \
                or (r.kind in ARCHIVAL and getattr(_owner(r, agents), "id", None) in agent_ids) \
                or (r.kind in ("mcp_server", "skill")):
            keep.add(r.id)
    return keep


def merge_agent_files(fmt: Any, existing: Input, new: Input, out: BinaryIO, strategy: str,
                      options: WriteOptions) -> Plan:
    """Write ``existing`` combined with ``new`` under ``strategy``; return the plan (agents by name,
    blocks by agent and label, passages by agent and text).

    Raises:
        InputInvalid: either file is not a Letta agent file.
    """
    ropts = ReadOptions(report=options.report)
    old_items = list(fmt.read(existing, ropts))
    new_items = list(fmt.read(new, ropts))
    header = new_items[0]
    old = old_items[1:]
    new_agent_ids = {r.id for r in new_items[1:] if r.kind == "agent"}
    new = [_move(r, new_agent_ids) for r in new_items[1:]]
    plan = Plan(strategy)
    old_agents = {r.name: r for r in old if r.kind == "agent"}
    new_agents = {r.name: r for r in new if r.kind == "agent"}
    blocks = {r.id: r for r in old + new if r.kind == "block"}

    def labels(agent: Any) -> dict[str, str]:
        return {blocks[b].label: b for b in agent.block_ids if b in blocks}

    both = set(old_agents) & set(new_agents)
    if strategy == "replace":
        out_records = new
        for r in filter(_sidecar_kind, old):
            plan.add(_collection(r.kind), "delete")
        for r in filter(_sidecar_kind, new):
            plan.add(_collection(r.kind), "insert")
        plan.add("agents", "delete", len(set(old_agents) - set(new_agents)))
        plan.add("agents", "update", len(both))
        plan.add("agents", "insert", len(set(new_agents) - set(old_agents)))
        for n, a in old_agents.items():
            ol, nl = labels(a), labels(new_agents[n]) if n in new_agents else {}
            plan.add("blocks", "delete", len(set(ol) - set(nl)))
        for n, a in new_agents.items():
            nl, ol = labels(a), labels(old_agents[n]) if n in old_agents else {}
            plan.add("blocks", "update", len(set(nl) & set(ol)))
            plan.add("blocks", "insert", len(set(nl) - set(ol)))
    elif strategy == "skip":
        added = {new_agents[n].id for n in set(new_agents) - set(old_agents)}
        owned = _owned(new, added)
        old_tools = {r.name: r.id for r in old if r.kind == "tool"}
        to_old = {r.id: old_tools[r.name] for r in new if r.kind == "tool" and r.name in old_tools}
        out_records = old + [_retool(r, to_old) for r in new
                             if r.id in owned and not (r.kind == "tool" and r.name in old_tools)]
        for r in filter(_sidecar_kind, old):
            plan.add(_collection(r.kind), "keep")
        for r in filter(_sidecar_kind, new):
            plan.add(_collection(r.kind), "insert" if r.id in owned else "skip")
        plan.add("agents", "keep", len(old_agents))
        plan.add("agents", "skip", len(both))
        plan.add("agents", "insert", len(added))
        plan.add("blocks", "keep", sum(len(labels(a)) for a in old_agents.values()))
        plan.add("blocks", "skip", sum(len(labels(new_agents[n])) for n in both))
        plan.add("blocks", "insert", sum(len(labels(a)) for a in new_agents.values() if a.id in added))
    else:
        new_tools = {r.name: r.id for r in new if r.kind == "tool"}
        to_new = {r.id: new_tools[r.name] for r in old if r.kind == "tool" and r.name in new_tools}
        replaced_ids = {old_agents[n].id for n in both}
        # a session, observation, summary or relation the input has again (same kind and id) is updated
        redone = {(r.kind, r.id) for r in new if _sidecar_kind(r) and r.kind not in ARCHIVAL}
        # a group of the destination whose agents the input all brings again is the input's to give
        regrouped = {r.id for r in old if r.kind == "group" and _group_agents(r) and _group_agents(r) <= replaced_ids}
        kept_old = [r for r in old if not (r.kind == "agent" and r.id in replaced_ids)
                    and not (r.kind == "message" and r.agent_id in replaced_ids)
                    and not (r.kind == "tool" and r.name in new_tools)
                    and (r.kind, r.id) not in redone and r.id not in regrouped]
        new_groups = sum(1 for r in new if r.kind == "group")
        plan.add("groups", "update", min(len(regrouped), new_groups))
        plan.add("groups", "delete", max(0, len(regrouped) - new_groups))
        plan.add("groups", "insert", max(0, new_groups - len(regrouped)))
        plan.add("groups", "keep", sum(1 for r in old if r.kind == "group" and r.id not in regrouped))
        merged_new = []
        for r in new:
            if r.kind == "agent" and r.name in both:
                o = old_agents[r.name]
                nl, ol = labels(r), labels(o)
                plan.add("blocks", "update", len(set(nl) & set(ol)))
                plan.add("blocks", "insert", len(set(nl) - set(ol)))
                plan.add("blocks", "keep", len(set(ol) - set(nl)))
                extra_blocks = [ol[lab] for lab in ol if lab not in nl]
                r = r.model_copy(update={"block_ids": r.block_ids + extra_blocks})
            elif r.kind == "agent":
                plan.add("blocks", "insert", len(labels(r)))
            merged_new.append(r)
        # blocks the input redefines by label are dropped from the destination's copy
        dropped = set()
        for n in both:
            nl, ol = labels(new_agents[n]), labels(old_agents[n])
            dropped |= {ol[lab] for lab in ol if lab in nl}
        # passages of agents in both: the destination's stay, on the merged agent; the input's
        # that repeat one of them (same text) are left out
        moved = {old_agents[n].id: new_agents[n].id for n in both}
        old_side = [r for r in old if r.kind == "agent"]
        new_side = [r for r in new if r.kind == "agent"]
        old_texts = {(_owner_key(p, old_side), p.text) for p in old if p.kind in ARCHIVAL}
        out_records = []
        for r in kept_old:
            if r.kind == "block" and r.id in dropped:
                continue
            if r.kind in ("passage", "memory") and r.scope.agent_id in moved:
                r = r.model_copy(update={"scope": r.scope.model_copy(update={"agent_id": moved[r.scope.agent_id]})})
            if r.kind == "group":
                upd: dict[str, Any] = {"agent_ids": [moved.get(a, a) for a in r.agent_ids]}
                manager = (r.manager_config or {}).get("manager_agent_id")
                if manager in moved:
                    upd["manager_config"] = {**r.manager_config, "manager_agent_id": moved[manager]}
                r = r.model_copy(update=upd)
            out_records.append(_retool(r, to_new))
        repeated = [r for r in merged_new if r.kind in ARCHIVAL and (_owner_key(r, new_side), r.text) in old_texts]
        skipped = {id(r) for r in repeated}
        out_records += [r for r in merged_new if id(r) not in skipped]
        for r in filter(_sidecar_kind, old):
            plan.add(_collection(r.kind), "update" if (r.kind, r.id) in redone else "keep")
        for r in filter(_sidecar_kind, merged_new):
            if id(r) in skipped:
                plan.add("passages", "skip")
            elif (r.kind, r.id) not in redone:
                plan.add(_collection(r.kind), "insert")
        for n in set(old_agents) - set(new_agents):
            plan.add("blocks", "keep", len(labels(old_agents[n])))
        plan.add("agents", "keep", len(set(old_agents) - set(new_agents)))
        plan.add("agents", "update", len(both))
        plan.add("agents", "insert", len(set(new_agents) - set(old_agents)))
    fmt.write([header, *_ordered(out_records)], out, options)
    if not any(r.kind in ("passage", "memory") for r in out_records) and existing.path is not None \
            and options.output_path and Path(options.output_path).resolve() == existing.path.resolve():
        stale = sidecar_path(existing.path)
        outputs = active()
        if stale.is_file() and outputs is not None:  # its old passages belonged to agents it no longer holds
            outputs.remove_on_commit(str(stale))
    return plan


def _group_agents(g: Any) -> set[str]:
    """The agents a group names: its members and its manager."""
    manager = (g.manager_config or {}).get("manager_agent_id")
    return set(g.agent_ids) | ({manager} if isinstance(manager, str) else set())


def _sidecar_kind(r: Any) -> bool:
    """Records the sidecar holds: archival passages, and other systems' sessions, observations,
    summaries and relations (written as passages)."""
    return r.kind not in RENUMBERED and r.kind not in ("entity", "raw", "skill")


def _collection(kind: str) -> str:
    return "passages" if kind in ARCHIVAL else {"summary": "summaries"}.get(kind, kind + "s")


def _retool(rec: Any, mapping: dict[str, str]) -> Any:
    """An agent with its tool ids mapped (a tool of the same name on the other side replaced it)."""
    if rec.kind != "agent" or not mapping:
        return rec
    return rec.model_copy(update={"tool_ids": list(dict.fromkeys(mapping.get(t, t) for t in rec.tool_ids))})


def _ordered(records: list[Any]) -> list[Any]:
    from memconv.model import KIND_ORDER

    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(records, key=lambda r: rank[r.kind])
