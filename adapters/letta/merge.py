"""Merging a Letta agent file into an existing one: agents by name, blocks by label within an agent.

* ``replace``: the destination holds exactly the input's agents afterwards.
* ``skip``: the destination's agents stay as they are; agents whose name is new are added.
* ``merge``: agents whose name is new are added; an agent in both takes the input's definition
  (system prompt, config, messages), its blocks are updated by label and the destination's other
  blocks are kept on it; passages are the union (matched by text); tools are matched by name (the
  input's wins), as Letta's importer upserts tools by name.

Both files are read whole (agent files are small; their passages come from the sidecars). The new
side's ids are moved out of the way (``new:`` prefix) so the writer renumbers them without clashing
with the destination's ``agent-0``/``block-0``.
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


def _ren(v: Any) -> Any:
    if isinstance(v, str):
        return NEW + v
    if isinstance(v, list):
        return [NEW + x if isinstance(x, str) else x for x in v]
    return v


def _move(rec: Any) -> Any:
    """The record with its id and the ids it references prefixed with ``new:``."""
    upd: dict[str, Any] = {"id": NEW + rec.id}
    k = rec.kind
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
    elif k in ("passage", "memory") and rec.scope.agent_id:
        upd["scope"] = rec.scope.model_copy(update={"agent_id": NEW + rec.scope.agent_id})
    return rec.model_copy(update=upd)


def _owned(records: list[Any], agent_ids: set[str]) -> set[str]:
    """Ids of everything the given agents own or use."""
    keep = set(agent_ids)
    for r in records:
        if r.kind == "agent" and r.id in agent_ids:
            keep |= set(r.block_ids) | set(r.tool_ids) | set(r.source_ids) | set(r.group_ids)
            keep |= set(r.in_context_message_ids)
    for r in records:
        if (r.kind == "message" and r.agent_id in agent_ids) or (r.kind == "file" and r.source_id in keep) \
                or (r.kind in ("passage", "memory") and r.scope.agent_id in agent_ids) \
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
    new = [_move(r) for r in new_items[1:]]
    plan = Plan(strategy)
    old_agents = {r.name: r for r in old if r.kind == "agent"}
    new_agents = {r.name: r for r in new if r.kind == "agent"}
    blocks = {r.id: r for r in old + new if r.kind == "block"}

    def labels(agent: Any) -> dict[str, str]:
        return {blocks[b].label: b for b in agent.block_ids if b in blocks}

    def passages(recs: list[Any], agent: Any) -> list[Any]:
        return [r for r in recs if r.kind in ("passage", "memory") and r.scope.agent_id == agent.id]

    both = set(old_agents) & set(new_agents)
    if strategy == "replace":
        out_records = new
        plan.add("agents", "delete", len(set(old_agents) - set(new_agents)))
        plan.add("agents", "update", len(both))
        plan.add("agents", "insert", len(set(new_agents) - set(old_agents)))
    elif strategy == "skip":
        added = {new_agents[n].id for n in set(new_agents) - set(old_agents)}
        owned = _owned(new, added)
        old_tools = {r.name: r.id for r in old if r.kind == "tool"}
        to_old = {r.id: old_tools[r.name] for r in new if r.kind == "tool" and r.name in old_tools}
        out_records = old + [_retool(r, to_old) for r in new
                             if r.id in owned and not (r.kind == "tool" and r.name in old_tools)]
        plan.add("agents", "keep", len(old_agents))
        plan.add("agents", "skip", len(both))
        plan.add("agents", "insert", len(added))
    else:
        new_tools = {r.name: r.id for r in new if r.kind == "tool"}
        to_new = {r.id: new_tools[r.name] for r in old if r.kind == "tool" and r.name in new_tools}
        replaced_ids = {old_agents[n].id for n in both}
        kept_old = [r for r in old if not (r.kind == "agent" and r.id in replaced_ids)
                    and not (r.kind == "message" and r.agent_id in replaced_ids)
                    and not (r.kind == "tool" and r.name in new_tools)]
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
                texts = {p.text for p in passages(old, o)}
                for p in passages(new, r):
                    plan.add("passages", "keep" if p.text in texts else "insert")
            merged_new.append(r)
        # blocks the input redefines by label are dropped from the destination's copy
        dropped = set()
        for n in both:
            nl, ol = labels(new_agents[n]), labels(old_agents[n])
            dropped |= {ol[lab] for lab in ol if lab in nl}
        # passages of agents in both: the destination's stay, on the merged agent; the input's
        # that repeat one of them (same text) are left out
        moved = {old_agents[n].id: new_agents[n].id for n in both}
        old_texts = {(moved.get(p.scope.agent_id), p.text) for p in old if p.kind in ("passage", "memory")}
        out_records = []
        for r in kept_old:
            if r.kind == "block" and r.id in dropped:
                continue
            if r.kind in ("passage", "memory") and r.scope.agent_id in moved:
                r = r.model_copy(update={"scope": r.scope.model_copy(update={"agent_id": moved[r.scope.agent_id]})})
            if r.kind == "group":
                r = r.model_copy(update={"agent_ids": [moved.get(a, a) for a in r.agent_ids]})
            out_records.append(_retool(r, to_new))
        out_records += [r for r in merged_new if not (r.kind in ("passage", "memory")
                                                       and (r.scope.agent_id, r.text) in old_texts)]
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


def _retool(rec: Any, mapping: dict[str, str]) -> Any:
    """An agent with its tool ids mapped (a tool of the same name on the other side replaced it)."""
    if rec.kind != "agent" or not mapping:
        return rec
    return rec.model_copy(update={"tool_ids": list(dict.fromkeys(mapping.get(t, t) for t in rec.tool_ids))})


def _ordered(records: list[Any]) -> list[Any]:
    from memconv.model import KIND_ORDER

    rank = {k: i for i, k in enumerate(KIND_ORDER)}
    return sorted(records, key=lambda r: rank[r.kind])
