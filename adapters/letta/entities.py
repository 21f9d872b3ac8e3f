"""The entities of a Letta agent file that are not agents or messages: groups, blocks, tools,
sources, files, MCP servers and skills, and the parts of an agent that are lists of them (tool rules,
``files_agents``). Each is serialised through the key table its reader splits with (:mod:`.shape`:
``BLOCK_KEYS``, ``TOOL_KEYS``...): a record read from a Letta v2 file is put back key for key
(:func:`as_read`); another record's extras of this system are kept, and the keys letta 0.16.8's
strict schemas forbid are dropped and reported (:meth:`EntitySerialisers._strict`).

:class:`EntitySerialisers` is the part of :class:`.writer.LettaWriter` that does this; the id maps and
the report live on the writer.
"""

from __future__ import annotations

from typing import Any, Iterable

from memconv.fields import join, without_markers
from memconv.model import Base, RecordKind, is_marker
from memconv.logmessages import RECORD_DROPPED, REFERENCE_DROPPED, VALUE_CHANGED

from .shape import (CORE_MEMORY_BLOCK_CHAR_LIMIT, FILE_KEYS, MCP_KEYS, SKILL_KEYS, SOURCE_KEYS, SYSTEM,
                    TOOL_KEYS, TOOL_RULE_KEYS, BLOCK_KEYS, V2_BLOCK_KEYS, V2_FILE_AGENT_KEYS, V2_FILE_KEYS,
                    V2_GROUP_KEYS, V2_MCP_KEYS, V2_SKILL_KEYS, V2_SOURCE_KEYS, V2_TOOL_KEYS)

LETTA_FREE_EMBEDDING_CONFIG = {
    "embedding_endpoint_type": "openai", "embedding_endpoint": "https://embeddings.letta.com/",
    "embedding_model": "letta-free", "embedding_dim": 1536, "embedding_chunk_size": 300,
    "handle": "letta/letta-free", "batch_size": 32, "azure_endpoint": None, "azure_version": None,
    "azure_deployment": None,
}
"""Letta's ``EmbeddingConfig.default_config("letta")`` (letta 0.16.8), for sources that have none."""

def from_v2(rec: Base) -> bool:
    """True for a record read from a Letta v2 file (rebuilt exactly from its extras)."""
    return rec.came_from(SYSTEM, "v2")


def ordered(obj: dict[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """``obj`` with ``keys`` first in that order, then its other keys."""
    out = {k: obj[k] for k in keys if k in obj}
    for k, v in obj.items():
        if k not in out:
            out[k] = v
    return out


def as_read(values: dict[str, Any], extras: dict[str, Any], new_id: str, order: tuple[str, ...]) -> dict[str, Any]:
    """A record read from this very shape, put back key for key (:func:`memconv.fields.join`) under its
    new id, in the schema's key ``order``."""
    obj = join(values, extras)
    obj["id"] = new_id
    return ordered(obj, order)


ENTITY_KEYS: dict[str, tuple[dict[str, str], tuple[str, ...]]] = {
    "block": (BLOCK_KEYS, V2_BLOCK_KEYS), "tool": (TOOL_KEYS, V2_TOOL_KEYS), "source": (SOURCE_KEYS, V2_SOURCE_KEYS),
    "file": (FILE_KEYS, V2_FILE_KEYS), "mcp_server": (MCP_KEYS, V2_MCP_KEYS), "skill": (SKILL_KEYS, V2_SKILL_KEYS),
}
"""Per entity kind: the key table its reader splits with and the writer serialises through (Letta key ->
canonical field), and the key order of letta 0.16.8's schema."""


class EntitySerialisers:
    """Serialisers of groups, blocks, tools, sources, files, MCP servers, skills, tool rules and
    ``files_agents`` (mixed into :class:`.writer.LettaWriter`, whose ``new_ids``, ``ids``, ``report``,
    ``_ref``/``_refs`` and ``_drop`` they use)."""

    new_ids: dict[int, str]
    ids: dict[str, Any]
    report: Any

    def _tool_rules(self, rules: list[dict[str, Any]], where: str) -> list[dict[str, Any]]:
        """An agent's tool rules as letta 0.16.8 takes them; a rule it would refuse is dropped with a
        warning naming it, and the agent counted once as losing some of its ``tool_rules`` (the count of
        a loss is of records, here agents, not of rules)."""
        out = []
        dropped: list[str] = []
        for r in rules:
            t = r.get("type")
            spec = TOOL_RULE_KEYS.get(t) if isinstance(t, str) else None
            if spec is None or not isinstance(r.get("tool_name"), str):
                self.report.warn(f"letta: {where}: tool rule {r!r} is not one letta 0.16.8 knows; dropped",
                                 RECORD_DROPPED)
                dropped.append("a tool rule letta 0.16.8 does not know")
                continue
            allowed, required = spec
            missing = [k for k in required if r.get(k) is None]
            if missing:
                self.report.warn(f"letta: {where}: {t} rule on {r['tool_name']!r} lacks {missing} (required by "
                                 f"letta 0.16.8); dropped", RECORD_DROPPED)
                dropped.append("a tool rule without a key letta 0.16.8 requires")
                continue
            rule = {k: r[k] for k in ("tool_name", "type", "prompt_template", *allowed) if k in r}
            for k, v in r.items():
                if k not in rule:
                    self._drop("agent", f"tool_rules.{k}", v)
            out.append(rule)
        if dropped:
            self.report.lost("agent", "tool_rules", " or ".join(dict.fromkeys(dropped)))
        return out

    def _files_agents(self, items: list[Any], agent_id: str, where: str, strict: bool) -> list[Any]:
        out = []
        for fa in items:
            if not isinstance(fa, dict):
                continue
            fid, sid = (self.ids[kind].map.get(ref) if isinstance(ref, str) else None  # a list or an object: no id
                        for kind, ref in (("file", fa.get("file_id")), ("source", fa.get("source_id"))))
            if fid is None or sid is None:
                self.report.warn(f"letta: {where}.files_agents: file {fa.get('file_id')!r} is not in the output; "
                                 f"attachment dropped", REFERENCE_DROPPED)
                continue
            new = {**fa, "agent_id": agent_id, "file_id": fid, "source_id": sid}
            if strict:
                for k in list(new):
                    if k not in V2_FILE_AGENT_KEYS:
                        self._drop("agent", f"files_agents.{k}", new.pop(k))
                new = ordered(new, V2_FILE_AGENT_KEYS)
            out.append(new)
        return out

    def _strict(self, kind: RecordKind, obj: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
        out = {}
        for k, v in obj.items():
            if is_marker(k):
                continue
            if k in keys:
                out[k] = v
            else:
                self._drop(kind, k, v)
        return ordered(out, keys)

    def _group(self, g: Any) -> dict[str, Any] | None:
        new_id = self.new_ids[id(g)]
        where = f"group {g.id}"
        agent_ids = self._refs("agent", g.agent_ids, f"{where}.agent_ids")
        if g.agent_ids and not agent_ids:
            self.report.warn(f"letta: {where}: none of its agents is in the output; group dropped", RECORD_DROPPED)
            self.report.lost("group", "*", "none of its agents is in the output")
            return None
        cfg = dict(g.manager_config) if g.manager_config is not None else None
        if cfg and isinstance(cfg.get("manager_agent_id"), str):
            mgr = self._ref("agent", cfg["manager_agent_id"], f"{where}.manager_config.manager_agent_id")
            if mgr is None:
                self.report.warn(f"letta: {where}: its manager agent is not in the output; group dropped",
                                 RECORD_DROPPED)
                self.report.lost("group", "*", "its manager agent is not in the output")
                return None
            cfg["manager_agent_id"] = mgr
        ex = dict(g.extra(SYSTEM))
        if isinstance(ex.get("shared_block_ids"), list):
            ex["shared_block_ids"] = [self.ids["block"].map.get(b, b) for b in ex["shared_block_ids"]]
        values = {"agent_ids": agent_ids, "description": g.description, "manager_config": cfg}
        if from_v2(g):
            return as_read(values, ex, new_id, V2_GROUP_KEYS)
        obj = {**ex, "agent_ids": agent_ids, "description": g.description or "",
               "manager_config": cfg or {"manager_type": "round_robin"}, "id": new_id}
        return self._strict("group", obj, V2_GROUP_KEYS)

    def _start(self, rec: Any, new_id: str | None, **override: Any) -> tuple[dict[str, Any], dict[str, Any], bool]:
        """``(values, obj, exact)`` for an entity of :data:`ENTITY_KEYS`: its values by its kind's key table
        (``override`` replacing some: a file's renumbered source id); ``obj`` the object put back as read
        (``exact`` True: a record of a Letta v2 file, under ``new_id``), else its Letta extras without
        memconv's markers, to build the object on."""
        keys, order = ENTITY_KEYS[rec.kind]
        values = {**{k: getattr(rec, f) for k, f in keys.items()}, **override}
        ex = rec.extra(SYSTEM)
        if from_v2(rec):
            return values, as_read(values, ex, new_id, order) if new_id else ordered(join(values, ex), order), True
        return values, without_markers(ex), False

    def _block(self, b: Any) -> dict[str, Any]:
        new_id = self.new_ids[id(b)]
        values, obj, exact = self._start(b, new_id)
        if exact:
            return obj
        obj.pop("id", None)
        if "metadata_" in obj and "metadata" not in obj:
            obj["metadata"] = obj.pop("metadata_")
        obj.update({k: v for k, v in values.items() if v is not None or k in ("description",)})
        if obj.get("metadata") is None:
            obj["metadata"] = {}
        limit = obj.get("limit") or CORE_MEMORY_BLOCK_CHAR_LIMIT
        if len(obj.get("value") or "") > limit:
            self.report.warn(f"letta: block {b.label!r}: value ({len(obj['value'])} characters) exceeds its limit "
                             f"{limit}; limit raised (Letta refuses a block over its limit)", VALUE_CHANGED)
            limit = len(obj["value"])
        obj["limit"] = limit
        obj["id"] = new_id
        return self._strict("block", obj, V2_BLOCK_KEYS)

    def _tool(self, t: Any) -> dict[str, Any]:
        new_id = self.new_ids[id(t)]
        values, obj, exact = self._start(t, new_id)
        if exact:
            return obj
        if "metadata" in obj and "metadata_" not in obj:
            obj["metadata_"] = obj.pop("metadata")
        obj.update(values)
        if obj.get("tags") is None:
            obj["tags"] = []
        obj["id"] = new_id
        return self._strict("tool", obj, V2_TOOL_KEYS)

    def _source(self, s: Any, src_emb: dict[str, Any]) -> dict[str, Any]:
        new_id = self.new_ids[id(s)]
        values, obj, exact = self._start(s, new_id)
        if exact:
            return obj
        obj.update(values)
        if not obj.get("embedding_config"):
            obj["embedding_config"] = src_emb.get(s.id) or dict(LETTA_FREE_EMBEDDING_CONFIG)
            self.report.warn(f"letta: source {s.name!r} has no embedding_config (Letta requires one); wrote "
                             f"{'its agent' if s.id in src_emb else 'letta/letta-free'}'s; Letta re-embeds the "
                             f"files on import", VALUE_CHANGED)
        obj["id"] = new_id
        return self._strict("source", obj, V2_SOURCE_KEYS)

    def _file(self, f: Any) -> dict[str, Any] | None:
        new_id = self.new_ids[id(f)]
        src = self.ids["source"].map.get(f.source_id) if f.source_id else None
        if src is None:
            self.report.warn(f"letta: file {f.file_name!r}: its source {f.source_id!r} is not in the output; dropped",
                             RECORD_DROPPED)
            self.report.lost("file", "*", "its source (folder) is not in the output")
            return None
        values, obj, exact = self._start(f, new_id, source_id=src)
        if exact:
            return obj
        obj.update(values)
        if f.created_at and not obj.get("file_creation_date"):
            obj["file_creation_date"] = f.created_at
        obj["id"] = new_id
        return self._strict("file", obj, V2_FILE_KEYS)

    def _mcp(self, m: Any) -> dict[str, Any] | None:
        new_id = self.new_ids[id(m)]
        values, obj, exact = self._start(m, new_id)
        if exact:
            return obj
        if not m.server_type:
            self.report.warn(f"letta: MCP server {m.server_name!r} has no server_type (required); dropped",
                             RECORD_DROPPED)
            self.report.lost("mcp_server", "*", "no server_type (sse, stdio, streamable_http)")
            return None
        obj.update(values)
        obj["id"] = new_id
        return self._strict("mcp_server", obj, V2_MCP_KEYS)

    def _skill(self, s: Any) -> dict[str, Any] | None:
        values, obj, exact = self._start(s, None)
        if exact:
            return obj
        if not ((s.files and "SKILL.md" in s.files) or s.source_url):
            self.report.warn(f"letta: skill {s.name!r} has neither files with SKILL.md nor a source_url; dropped",
                             RECORD_DROPPED)
            self.report.lost("skill", "*", "a skill needs files with SKILL.md or a source_url")
            return None
        obj.update(values)
        return self._strict("skill", obj, V2_SKILL_KEYS)
