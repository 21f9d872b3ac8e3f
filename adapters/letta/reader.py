"""Read Letta agent files into the canonical stream.

Shapes read (``shared/formats/letta-af.md``, ``bundle-layout.md``):

* ``AgentFileSchema`` ("v2", letta 0.8.16+): top-level ``agents``, ``groups``, ``blocks``, ``files``,
  ``sources``, ``tools``, ``mcp_servers``, ``skills``, ``metadata.revision_id``, ``created_at``.
* Legacy ``AgentSchema`` (letta 0.6.40 - 0.11.x): one flat agent with ``core_memory``, ``tools``,
  ``messages``, and either ``in_context_message_indices`` (0.6.46+) or per-message ``in_context``.
* Double-encoded files of either (a JSON string holding the document).
* ``AgentState`` (``GET /v1/agents/{id}``), a list of them (``GET /v1/agents/``), and the hand-made
  bundle (folder or ``.tar.gz`` of ``agent.json``, ``memory.json``, ``documents/``, ``metadata.json``).
* Archival passages: a ``GET /v1/agents/{id}/archival-memory`` list, and memconv's sidecar
  ``<stem>.passages.jsonl``, read automatically when it sits beside an ``.af``.

Stream order (:data:`memconv.model.KIND_ORDER`): header, agents, groups, blocks, tools, sources,
files, MCP servers, skills, then each agent's messages in file order, then passages. Ids are the file's own (``block-3``); legacy files
have none, so blocks, tools and messages get ``block-<i>``, ``tool-<i>``, ``message-<i>``.
"""

from __future__ import annotations

from typing import Any, Callable, Container, Iterator, Sequence

from memconv.errors import InputInvalid
from memconv.fields import build, split
from memconv.jsonutil import jpath, json_type
from memconv.model import (Agent, Block, File, Group, Header, McpServer, Memory, Message, Observation, Passage,
                           Provenance, Relation, Session, Skill, Source, Summary, Tool)
from memconv.report import Report
from memconv.uniqueids import Fingerprints
from memconv.logmessages import (BAD_VALUE, INCOMPLETE_INPUT, MEMCONV_DATA_INVALID, REFERENCE_UNRESOLVED,
                                 SHAPE_CONVERTED, UNKNOWN_KEY, VERSION_GUESSED)
from memconv.timeutil import conversation_keys

from .mapping import LINE_VERBATIM, OWNER_MARK, SIDECAR_KINDS
from .shape import (SYSTEM, REVISION_ONLY, AGENT_KEYS, BLOCK_KEYS, FILE_KEYS, GROUP_KEYS, KNOWN_REVISIONS, LEGACY_VERSIONS,
                    MCP_KEYS, MESSAGE_KEYS, SKILL_KEYS, SOURCE_KEYS, TOOL_KEYS, version_tuple)



class _Ctx:
    """Input name, report and provenance version for one document."""

    def __init__(self, name: str, report: Report, version: str | None, variant: str):
        self.name = name
        self.report = report
        self.version = version
        self.variant = variant

    def prov(self, source_id: str | None) -> dict[str, Any]:
        """The record's :class:`Provenance`, as the fields its record's one validation checks."""
        return {"system": SYSTEM, "id": source_id, "version": self.version, "variant": self.variant}

    def fail(self, path: str, what: str) -> InputInvalid:
        return InputInvalid(f"{self.name}: {path}: {what}")


def _obj(ctx: _Ctx, value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ctx.fail(path, f"expected an object, got {json_type(value)}")
    return value


def _list(ctx: _Ctx, value: Any, path: str, *, required: bool = True) -> list[Any]:
    if value is None and not required:
        return []
    if not isinstance(value, list):
        raise ctx.fail(path, f"expected a list, got {json_type(value)}")
    return value


def _record(ctx: _Ctx, cls: type, obj: dict[str, Any], keys: dict[str, str], path: str,
            rid: str, **more: Any) -> Any:
    fields, extras = split(obj, keys)
    extras.pop("id", None)
    fields.update(more)
    return build(cls, ctx.name, path, id=rid, provenance=ctx.prov(obj.get("id", rid)),
                 extras={SYSTEM: extras} if extras else {}, **fields)


def _ref(ctx: _Ctx, ref: Any, path: str) -> Any:
    """``ref``, a reference to another record (``block_ids[2]``); a list or an object there is refused
    (Letta's importer wants a string id) with its place, not looked up."""
    if isinstance(ref, (list, dict)):
        raise ctx.fail(path, f"expected a string id, got {json_type(ref)}")
    return ref


def _id(ctx: _Ctx, obj: dict[str, Any], path: str) -> str:
    rid = obj.get("id")
    if not isinstance(rid, str) or not rid:
        raise ctx.fail(jpath(path, "id"), "expected a string id")
    return rid


# ---------------------------------------------------------------- v2 (AgentFileSchema)


def read_v2(doc: dict[str, Any], name: str, report: Report,
            message_source: Callable[..., Iterator[tuple[int, Any]]] | None = None,
            message_ids: Sequence[Container[Any]] | None = None) -> Iterator[Any]:
    """Yield the canonical stream of an ``AgentFileSchema`` document (already parsed).

    ``message_source``, when given, yields ``(agent index, message)`` pairs (the streaming reader's pass 2,
    :mod:`.stream`; called with ``quiet=True`` it warns of nothing); ``doc``'s agents then hold no
    messages, and ``message_ids[i]`` answers whether agent ``i`` has a message of a given id
    (:class:`.stream.MessageIds`).

    Memory: the small records, and 16 bytes per message (message ids are checked for repeats as
    fingerprints; a repeat is confirmed, and its first place found, by reading the messages again).

    Raises:
        InputInvalid: a required list is missing or not a list, an id is missing or duplicated with
            different content, or a reference (``block_ids``, ``tool_ids``...) names no record.
    """
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), dict) else {}
    revision = meta.get("revision_id") if isinstance(meta.get("revision_id"), str) else None
    ctx = _Ctx(name, report, revision, "v2")
    if revision is None:
        report.warn(f"{name}: metadata.revision_id missing; the Letta version is unknown", VERSION_GUESSED)
    elif revision not in KNOWN_REVISIONS:
        report.warn(f"{name}: metadata.revision_id {revision!r} is not one memconv has seen; "
                    f"reading it as the 0.16.x AgentFileSchema", VERSION_GUESSED)
    for key in ("agents", "groups", "blocks", "files", "sources", "tools"):
        if key in doc:
            _list(ctx, doc[key], key)
        elif key == "agents":
            raise ctx.fail("agents", "missing (expected a list of agents)")
    for key in ("mcp_servers", "skills"):
        if key in doc:
            _list(ctx, doc[key], key, required=False)
    top_extras = {k: v for k, v in doc.items()
                  if k not in ("agents", "groups", "blocks", "files", "sources", "tools",
                               "mcp_servers", "skills", "created_at")}
    unknown = sorted(k for k in top_extras if k != "metadata")
    if unknown:  # a newer Letta's or a client's addition: kept for a round trip, and said
        report.warn(f"{name}: top-level key{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                    f"not in letta 0.16.8's AgentFileSchema: kept as is when written back as an .af, lost in "
                    f"other formats", UNKNOWN_KEY)
    absent = [k for k in ("groups", "blocks", "files", "sources", "tools", "mcp_servers", "skills",
                          "created_at") if k not in doc]
    if absent:
        top_extras["$absent"] = absent
    if revision and top_extras.get("metadata") == {"revision_id": revision}:  # only the version, said above
        del top_extras["metadata"]
        top_extras[REVISION_ONLY] = True
    yield Header(source_system=SYSTEM, source_format_version=revision, source_variant="v2",
                 exported_at=doc.get("created_at") if isinstance(doc.get("created_at"), str) else None,
                 extras={SYSTEM: top_extras} if top_extras else {})

    seen: dict[str, str] = {}

    def unique(rid: str, path: str) -> str:
        if rid in seen:
            raise ctx.fail(jpath(path, "id"), f"duplicate id {rid!r} (also at {seen[rid]})")
        seen[rid] = path
        return rid

    agents = [_obj(ctx, a, f"agents[{i}]") for i, a in enumerate(doc["agents"])]
    agent_ids = {unique(_id(ctx, a, f"agents[{i}]"), f"agents[{i}]") for i, a in enumerate(agents)}

    groups = []
    for i, g in enumerate(doc.get("groups") or []):
        path = f"groups[{i}]"
        g = _obj(ctx, g, path)
        rid = unique(_id(ctx, g, path), path)
        for j, aid in enumerate(g.get("agent_ids") or []):
            if _ref(ctx, aid, f"{path}.agent_ids[{j}]") not in agent_ids:
                raise ctx.fail(f"{path}.agent_ids[{j}]", f"{aid!r} names no agent in the file")
        groups.append(_record(ctx, Group, g, GROUP_KEYS, path, rid))
    group_ids = {g.id for g in groups}
    small: list[Any] = list(groups)

    block_ids = set()
    for i, b in enumerate(doc.get("blocks") or []):
        path = f"blocks[{i}]"
        b = _obj(ctx, b, path)
        rid = unique(_id(ctx, b, path), path)
        block_ids.add(rid)
        if b.get("value") is None:
            b = {**b, "value": ""}
        small.append(_record(ctx, Block, b, BLOCK_KEYS, path, rid))

    tool_ids = set()
    for i, t in enumerate(doc.get("tools") or []):
        path = f"tools[{i}]"
        t = _obj(ctx, t, path)
        rid = unique(_id(ctx, t, path), path)
        tool_ids.add(rid)
        small.append(_record(ctx, Tool, t, TOOL_KEYS, path, rid))

    source_ids = set()
    for i, s in enumerate(doc.get("sources") or []):
        path = f"sources[{i}]"
        s = _obj(ctx, s, path)
        rid = unique(_id(ctx, s, path), path)
        source_ids.add(rid)
        small.append(_record(ctx, Source, s, SOURCE_KEYS, path, rid))

    for i, f in enumerate(doc.get("files") or []):
        path = f"files[{i}]"
        f = _obj(ctx, f, path)
        rid = unique(_id(ctx, f, path), path)
        if _ref(ctx, f.get("source_id"), f"{path}.source_id") not in source_ids:
            raise ctx.fail(f"{path}.source_id", f"{f.get('source_id')!r} names no source in the file")
        small.append(_record(ctx, File, f, FILE_KEYS, path, rid))

    for i, m in enumerate(doc.get("mcp_servers") or []):
        path = f"mcp_servers[{i}]"
        m = _obj(ctx, m, path)
        rid = unique(_id(ctx, m, path), path)
        small.append(_record(ctx, McpServer, m, MCP_KEYS, path, rid))

    for i, s in enumerate(doc.get("skills") or []):
        path = f"skills[{i}]"
        s = _obj(ctx, s, path)
        if not isinstance(s.get("name"), str):
            raise ctx.fail(f"{path}.name", "expected the skill's name (a string)")
        small.append(_record(ctx, Skill, s, SKILL_KEYS, path, f"skill:{s['name']}"))

    agent_recs: list[Agent] = []
    refs = {"block_ids": block_ids, "tool_ids": tool_ids, "source_ids": source_ids, "group_ids": group_ids}
    for i, a in enumerate(agents):
        path = f"agents[{i}]"
        for key, known in refs.items():
            for j, ref in enumerate(_list(ctx, a.get(key), f"{path}.{key}", required=False)):
                if _ref(ctx, ref, f"{path}.{key}[{j}]") in known:
                    continue
                if key == "group_ids":  # Letta's importer does not resolve group_ids (letta-af.md 2.2)
                    report.warn(f"{name}: {path}.{key}[{j}]: {ref!r} names no group in the file; kept as is",
                                REFERENCE_UNRESOLVED)
                    continue
                raise ctx.fail(f"{path}.{key}[{j}]", f"{ref!r} names no {key[:-4]} in the file")
        messages = _list(ctx, a.get("messages"), f"{path}.messages", required=False)
        msg_ids = message_ids[i] if message_ids is not None else \
            {m.get("id") for m in messages if isinstance(m, dict) and not isinstance(m.get("id"), (list, dict))}
        for j, ref in enumerate(_list(ctx, a.get("in_context_message_ids"), f"{path}.in_context_message_ids",
                                      required=False)):
            if _ref(ctx, ref, f"{path}.in_context_message_ids[{j}]") not in msg_ids:
                raise ctx.fail(f"{path}.in_context_message_ids[{j}]", f"{ref!r} names no message of this agent")
        agent_recs.append(_agent(ctx, a, path))
    yield from agent_recs  # stream order: agents first (KIND_ORDER), then the other small kinds
    yield from small

    def from_doc(quiet: bool = False) -> Iterator[tuple[int, Any]]:
        for i, a in enumerate(agents):
            for m in a.get("messages") or []:
                yield i, m

    source = message_source or from_doc

    def first_place(rid: str, before: tuple[int, int]) -> str | None:
        """Where a message before ``before`` (agent, position) has id ``rid``; None when none has
        (two ids shared a fingerprint). Reads the messages again: only when an id repeats."""
        pos = [0] * len(agents)
        for i, m in source(quiet=True):
            j = pos[i]
            pos[i] += 1
            if (i, j) == before:
                return None
            if isinstance(m, dict) and m.get("id") == rid:
                return f"agents[{i}].messages[{j}]"
        return None

    msg_seen = Fingerprints()  # 16 bytes a message, not a dict entry and a path
    in_ctx = [set(a.get("in_context_message_ids") or []) for a in agents]
    position = [0] * len(agents)
    for i, m in source():
        j = position[i]
        position[i] += 1
        mpath = f"agents[{i}].messages[{j}]"
        m = _obj(ctx, m, mpath)
        rid = _id(ctx, m, mpath)
        if rid in seen:  # an agent's, a block's... id
            unique(rid, mpath)
        if not msg_seen.add(rid):
            first = first_place(rid, (i, j))
            if first is not None:
                raise ctx.fail(jpath(mpath, "id"), f"duplicate id {rid!r} (also at {first})")
        yield _message(ctx, m, mpath, rid, agent_id=agents[i]["id"], in_context=rid in in_ctx[i])


def _agent(ctx: _Ctx, a: dict[str, Any], path: str) -> Agent:
    body = {k: v for k, v in a.items() if k != "messages"}
    fields, extras = split(body, AGENT_KEYS)
    extras.pop("id", None)
    for key in ("tags", "tool_rules", "tool_ids", "block_ids", "source_ids", "group_ids",
                "in_context_message_ids"):
        if fields.get(key) is None:
            if key in fields:
                extras.setdefault("$null", []).append(key)
            fields[key] = []
    if not isinstance(fields.get("name"), str):
        given = fields.get("name")
        fields["name"] = str(given) if isinstance(given, (int, float)) and not isinstance(given, bool) else a["id"]
        if given is not None:  # Letta's importer wants a string; a missing name is given one on import
            ctx.report.warn(f"{ctx.name}: {path}.name: expected a string, got {json_type(given)}; read as "
                            f"{fields['name']!r}", BAD_VALUE)
    if fields.get("secrets") is not None:  # {KEY: value}, as AgentState's [{key, value}], null values empty
        if not isinstance(fields["secrets"], (dict, list)):
            raise ctx.fail(f"{path}.secrets", f"expected an object of KEY: value strings, got {json_type(fields['secrets'])}")
        fields["secrets"] = env_to_dict(fields["secrets"]) or {}
    return build(Agent, ctx.name, path, id=a["id"], provenance=ctx.prov(a["id"]),
                 extras={SYSTEM: extras} if extras else {}, **fields)


def _message(ctx: _Ctx, m: dict[str, Any], path: str, rid: str, *, agent_id: str | None,
             in_context: bool | None, provenance_id: str | None = None) -> Message:
    fields, extras = split(m, MESSAGE_KEYS)
    extras.pop("id", None)
    content = fields.get("content")
    if isinstance(content, str):
        fields["content"] = [{"type": "text", "text": content}]
        extras["$content"] = "str"
    elif content is None:
        fields["content"] = []
        if "content" in m:
            extras["$content"] = "null"
    if not isinstance(fields.get("role"), str):
        raise ctx.fail(jpath(path, "role"), "expected the message role (a string)")
    fields.setdefault("agent_id", agent_id)
    if fields.get("agent_id") is None:
        fields["agent_id"] = agent_id
    return build(Message, ctx.name, path, id=rid, provenance=ctx.prov(provenance_id or rid),
                 extras={SYSTEM: extras} if extras else {}, in_context=in_context, **fields)


# ---------------------------------------------------------------- legacy AgentSchema


def read_legacy(doc: dict[str, Any], name: str, report: Report) -> Iterator[Any]:
    """Yield the canonical stream of a legacy ``AgentSchema`` document (letta 0.6.40 - 0.11.x).

    Raises:
        InputInvalid: a list field is not a list, an in-context index is out of range.
    """
    version = doc.get("version") if isinstance(doc.get("version"), str) else None
    vt = version_tuple(version) if version else None
    if version is None:
        report.warn(f"{name}: legacy agent file without a version; reading it by its shape", VERSION_GUESSED)
    elif vt is None or not (LEGACY_VERSIONS[0] <= vt <= LEGACY_VERSIONS[1]):
        report.warn(f"{name}: legacy agent file of Letta {version}, a version memconv has not seen "
                    f"(legacy files come from 0.6.40 to 0.11.x); reading it by its shape", VERSION_GUESSED)
    ctx = _Ctx(name, report, version, "legacy")
    yield Header(source_system=SYSTEM, source_format_version=version, source_variant="legacy",
                 exported_at=None)

    small: list[Any] = []
    block_ids: list[str] = []
    for i, b in enumerate(_list(ctx, doc.get("core_memory"), "core_memory", required=False)):
        path = f"core_memory[{i}]"
        b = dict(_obj(ctx, b, path))
        if "metadata_" in b and "metadata" not in b:
            b["metadata"] = b.pop("metadata_")
        if b.get("value") is None:
            b["value"] = ""
        rid = f"block-{i}"
        block_ids.append(rid)
        created, updated = b.pop("created_at", None), b.pop("updated_at", None)
        rec = _record(ctx, Block, b, BLOCK_KEYS, path, rid, created_at=created, updated_at=updated)
        rec.provenance.id = None
        small.append(rec)

    tool_ids: list[str] = []
    for i, t in enumerate(_list(ctx, doc.get("tools"), "tools", required=False)):
        path = f"tools[{i}]"
        t = dict(_obj(ctx, t, path))
        if "metadata" in t and "metadata_" not in t:
            t["metadata_"] = t.pop("metadata")
        rid = f"tool-{i}"
        tool_ids.append(rid)
        rec = _record(ctx, Tool, t, TOOL_KEYS, path, rid)
        rec.provenance.id = None
        small.append(rec)

    messages = _list(ctx, doc.get("messages"), "messages", required=False)
    indices = doc.get("in_context_message_indices")
    if indices is not None:
        indices = _list(ctx, indices, "in_context_message_indices")
        for j, ix in enumerate(indices):
            if not isinstance(ix, int) or isinstance(ix, bool) or not 0 <= ix < len(messages):
                raise ctx.fail(f"in_context_message_indices[{j}]",
                               f"{ix!r} is not an index into messages (0..{len(messages) - 1})")
        in_ctx_ids = [f"message-{ix}" for ix in indices]
    elif any(isinstance(m, dict) and "in_context" in m for m in messages):
        in_ctx_ids = _flagged_context(ctx, messages)
    else:
        in_ctx_ids = [f"message-{i}" for i in range(len(messages))]

    a = {k: v for k, v in doc.items()
         if k not in ("core_memory", "tools", "messages", "in_context_message_indices", "version")}
    tags = []
    for j, t in enumerate(_list(ctx, a.pop("tags", None), "tags", required=False)):
        if isinstance(t, dict) and isinstance(t.get("tag"), str):
            tags.append(t["tag"])
        elif isinstance(t, str):
            tags.append(t)
        else:
            raise ctx.fail(f"tags[{j}]", "expected {\"tag\": string}")
    env = a.pop("tool_exec_environment_variables", None)
    secrets = env_to_dict(env)
    metadata = a.pop("metadata_", None)
    if metadata is None:
        metadata = a.pop("metadata", None)
    else:
        a.pop("metadata", None)
    created, updated = a.pop("created_at", None), a.pop("updated_at", None)
    fields, extras = split(a, {k: v for k, v in AGENT_KEYS.items() if k in (
        "name", "description", "system", "agent_type", "llm_config", "embedding_config", "tool_rules")})
    extras.pop("$absent", None)
    if env:
        extras["tool_exec_environment_variables"] = env
    if not isinstance(fields.get("name"), str):
        fields["name"] = "agent"
    fields["tool_rules"] = fields.get("tool_rules") or []
    yield build(Agent, name, "(agent)", id="agent-0", provenance=ctx.prov(None),
                extras={SYSTEM: extras} if extras else {}, tags=tags, secrets=secrets, metadata=metadata,
                block_ids=block_ids, tool_ids=tool_ids, in_context_message_ids=in_ctx_ids,
                created_at=created, updated_at=updated, **fields)
    yield from small

    in_ctx = set(in_ctx_ids)
    for i, m in enumerate(messages):
        path = f"messages[{i}]"
        m = dict(_obj(ctx, m, path))
        m.pop("in_context", None)
        if m.get("tool_calls") == []:
            m["tool_calls"] = None
        if m.get("tool_returns") == []:
            m["tool_returns"] = None
        rid = f"message-{i}"
        msg = _message(ctx, m, path, rid, agent_id="agent-0", in_context=rid in in_ctx, provenance_id=None)
        msg.provenance.id = None
        yield msg


def _flagged_context(ctx: _Ctx, messages: list[Any]) -> list[str]:
    """The context of a pre-0.6.46 legacy file, which marks it with per-message ``in_context`` flags
    and so does not say its order (``messages`` is not in time order; 0.6.46 replaced the flags with
    ``in_context_message_indices`` for this, commit 612956a28). Letta keeps a context as the system
    prompt, then the conversation in time: the flagged messages are put in that order, by
    ``created_at`` (one without a time right after the one before it), the system prompt first (the
    first flagged ``system`` message that is not a packed JSON ``system_alert``, else the first
    ``system`` one). Without this the writer found no system message first, and added a second system
    prompt to the context. A changed order is warned of (``shape-converted``).

    Returns:
        the ids (``message-<index>``) of the flagged messages, in that order.
    """
    flagged = [i for i, m in enumerate(messages) if isinstance(m, dict) and m.get("in_context")]
    keys = conversation_keys([t if isinstance(t := messages[i].get("created_at"), str) else None for i in flagged])
    order = [i for _, i in sorted(zip(keys, flagged), key=lambda p: p[0])]
    systems = [i for i in order if messages[i].get("role") == "system"]
    prompt = next((i for i in systems if not _message_text(messages[i]).lstrip().startswith("{")),
                  systems[0] if systems else None)
    if prompt is not None:
        order.remove(prompt)
        order.insert(0, prompt)
    if order != flagged:
        ctx.report.warn(f"{ctx.name}: messages: the in_context flags of a file before letta 0.6.46 do not say the "
                        f"context's order; read as Letta keeps a context: the system prompt "
                        f"(messages[{prompt}]) first, then by created_at" if prompt is not None else
                        f"{ctx.name}: messages: the in_context flags of a file before letta 0.6.46 do not say the "
                        f"context's order; read by created_at", SHAPE_CONVERTED)
    return [f"message-{i}" for i in order]


def _message_text(m: dict[str, Any]) -> str:
    """A legacy message's text: its ``text``, else its first text content part's (``""`` when none)."""
    if isinstance(m.get("text"), str):
        return m["text"]
    content = m.get("content")
    if isinstance(content, str):
        return content
    for part in content if isinstance(content, list) else ():
        if isinstance(part, dict) and isinstance(part.get("text"), str):
            return part["text"]
    return ""


# ---------------------------------------------------------------- AgentState, bundles, passages


def env_to_dict(env: Any) -> dict[str, str] | None:
    """Tool environment variables as ``{key: value}``: legacy and ``AgentState`` write a list of
    ``{key, value, ...}`` objects, v2 a dict. None when there are none."""
    if isinstance(env, list):
        out = {e["key"]: "" if e.get("value") is None else str(e["value"])
               for e in env if isinstance(e, dict) and isinstance(e.get("key"), str)}
        return out or None
    if isinstance(env, dict):
        return {str(k): "" if v is None else str(v) for k, v in env.items()} or None
    return None


def is_agent_state(doc: Any) -> bool:
    """True for an ``AgentState`` object (``GET /v1/agents/{id}``)."""
    return (isinstance(doc, dict) and isinstance(doc.get("id"), str) and doc["id"].startswith("agent-")
            and ("llm_config" in doc or "blocks" in doc or "memory" in doc) and "agents" not in doc)


def read_agent_states(states: list[dict[str, Any]], name: str, report: Report, *,
                      memory: dict[str, Any] | None = None, documents: list[tuple[str, str]] = (),
                      metadata: dict[str, Any] | None = None, variant: str = "agent_state") -> Iterator[Any]:
    """Yield the canonical stream of one or more ``AgentState`` objects (letta 0.16.x REST).

    ``memory`` (``GET /v1/agents/{id}/core-memory``) adds blocks the state lacks; ``documents``
    (``(file name, text)`` pairs from a bundle's ``documents/``) become files of one source named
    ``documents``; ``metadata`` is the bundle's ``metadata.json``.

    An ``AgentState`` has no messages, only ``message_ids``; the loss is reported as a warning.
    """
    version = None
    if metadata and isinstance(metadata.get("letta_version"), str):
        version = metadata["letta_version"]
    ctx = _Ctx(name, report, version, variant)
    yield Header(source_system=SYSTEM, source_format_version=version, source_variant=variant,
                 exported_at=(metadata or {}).get("exported_at"),
                 extras={SYSTEM: {"bundle_metadata": metadata}} if metadata else {})
    seen_blocks: set[str] = set()
    seen_tools: set[str] = set()
    agents: list[Agent] = []
    small: list[Any] = []
    source_id = "source-documents" if documents else None
    for i, st in enumerate(states):
        path = f"[{i}]" if len(states) > 1 else "(agent)"
        st = _obj(ctx, st, path)
        blocks = list(_list(ctx, st.get("blocks"), f"{path}.blocks", required=False))
        if not blocks and isinstance(st.get("memory"), dict):
            blocks = list(_list(ctx, st["memory"].get("blocks"), f"{path}.memory.blocks", required=False))
        if memory and i == 0:
            labels = {b.get("label") for b in blocks if isinstance(b, dict) and isinstance(b.get("label"), str)}
            blocks += [b for b in _list(ctx, memory.get("blocks"), "core-memory.blocks", required=False)
                       if isinstance(b, dict) and b.get("label") not in labels]
        block_ids = []
        for j, b in enumerate(blocks):
            bpath = f"{path}.blocks[{j}]"
            b = _obj(ctx, b, bpath)
            rid = _id(ctx, b, bpath)
            block_ids.append(rid)
            if rid in seen_blocks:
                continue
            seen_blocks.add(rid)
            small.append(_record(ctx, Block, b, BLOCK_KEYS, bpath, rid))
        tool_ids = []
        for j, t in enumerate(_list(ctx, st.get("tools"), f"{path}.tools", required=False)):
            tpath = f"{path}.tools[{j}]"
            t = _obj(ctx, t, tpath)
            rid = _id(ctx, t, tpath)
            tool_ids.append(rid)
            if rid in seen_tools:
                continue
            seen_tools.add(rid)
            small.append(_record(ctx, Tool, t, TOOL_KEYS, tpath, rid))
        body = {k: v for k, v in st.items() if k not in ("blocks", "memory", "tools", "sources", "message_ids")}
        tags = _list(ctx, body.pop("tags", None), f"{path}.tags", required=False)
        body["tags"] = [t.get("tag") if isinstance(t, dict) else t for t in tags]  # {tag} objects, or strings
        created, updated = body.pop("created_at", None), body.pop("updated_at", None)
        secrets = env_to_dict(body.pop("secrets", None)) or env_to_dict(body.get("tool_exec_environment_variables"))
        fields, extras = split(body, AGENT_KEYS)
        extras.pop("id", None)
        extras.pop("$absent", None)
        fields["secrets"] = secrets
        if _list(ctx, st.get("message_ids"), f"{path}.message_ids", required=False):
            report.warn(f"{name}: {path}: an AgentState lists {len(st['message_ids'])} message id(s) "
                        f"but not the messages; the conversation is not in this input", INCOMPLETE_INPUT)
            extras["message_ids"] = st["message_ids"]
        for key in ("tool_rules", "tags"):
            fields[key] = fields.get(key) or []
        aid = _id(ctx, st, path)
        agents.append(build(Agent, name, path, id=aid, provenance=ctx.prov(aid),
                            extras={SYSTEM: extras} if extras else {}, block_ids=block_ids, tool_ids=tool_ids,
                            source_ids=[source_id] if source_id else [], created_at=created,
                            updated_at=updated, **fields))
    if documents:
        small.append(Source(id=source_id, name="documents", provenance=ctx.prov(None),
                     description="documents/ of a hand-made agent bundle"))
        for k, (fname, text) in enumerate(documents):
            small.append(File(id=f"file-doc-{k}", source_id=source_id, file_name=fname, content=text,
                       file_type="text/markdown" if fname.endswith(".md") else "text/plain",
                       provenance=ctx.prov(None)))
    yield from agents
    yield from small


def passage_from_letta(obj: dict[str, Any], name: str, path: str, version: str | None,
                       agent_id: str | None = None, report: Report | None = None) -> Any:
    """A canonical record from a Letta ``Passage`` object or a sidecar line.

    Letta fields: ``id``, ``text``, ``tags``, ``metadata``, ``created_at``, ``updated_at``,
    ``embedding``, ``embedding_config`` (its ``embedding_model`` becomes ``embedding_model``);
    sidecar lines add ``agent_id`` (the agent's id in the ``.af``) and, for records memconv wrote from
    another system (or a Letta passage that gained fields elsewhere), a ``source`` object
    (:func:`.mapping.source_block`): the record comes back as it was read there (a mem0 memory with its
    ``user_id``, ``run_id``, ``role``...; an AgentMemory memory, session, observation, summary or graph
    relation with its type and the fields only AgentMemory holds), its provenance that system's.
    A ``source`` that does not describe a record gives a warning to ``report`` (with the line and the
    field) and a plain passage.
    Other keys go to extras.

    Returns:
        A :class:`Passage`, or the :class:`Memory`, :class:`Session`, :class:`Observation`,
        :class:`Summary` or :class:`Relation` the ``source`` object describes.

    Raises:
        InputInvalid: no ``text`` string.
    """
    if not isinstance(obj, dict):
        raise InputInvalid(f"{name}: {path}: expected a passage object, got {json_type(obj)}")
    if not isinstance(obj.get("text"), str):
        raise InputInvalid(f"{name}: {path}.text: expected the passage text (a string)")
    keys = {"text": "text", "tags": "tags", "metadata": "metadata", "created_at": "created_at",
            "updated_at": "updated_at", "embedding": "embedding"}
    fields, extras = split(obj, keys)
    extras.pop("$absent", None)
    rid = extras.pop("id", None) or f"passage-{path}"
    emb_model = obj.get("embedding_model")
    if isinstance(obj.get("embedding_config"), dict):
        emb_model = obj["embedding_config"].get("handle") or obj["embedding_config"].get("embedding_model")
    extras.pop("embedding_model", None)
    aid = extras.pop("agent_id", None) or agent_id
    source = extras.get("source")
    if isinstance(source, dict) and source.get("kind") in SIDECAR_KINDS and isinstance(source.get("system"), str):
        rec = _from_source(obj, source, str(rid), name, path, aid, emb_model, extras, report)
        if rec is not None:
            return rec
    return build(Passage, name, path, id=str(rid),
                 provenance=Provenance(system=SYSTEM, id=obj.get("id") if isinstance(obj.get("id"), str) else None,
                                       version=version, variant="passage"),
                 extras={SYSTEM: extras} if extras else {}, scope={"agent_id": aid},
                 embedding_model=emb_model, **fields)


_RECORDS = {"memory": Memory, "passage": Passage, "session": Session, "observation": Observation,
            "summary": Summary, "relation": Relation}
_SOURCE_META = ("system", "kind", "id", "version", "variant", "extras")


def _from_source(obj: dict[str, Any], source: dict[str, Any], rid: str, name: str, path: str, aid: str | None,
                 emb_model: str | None, line_extras: dict[str, Any], report: Report | None) -> Any:
    """The record a sidecar line's ``source`` object describes (None, with a warning, when it does not)."""
    from pydantic import ValidationError

    kind, system = source["kind"], source["system"]
    letta_passage = system == SYSTEM and kind == "passage"
    fields: dict[str, Any] = {k: v for k, v in source.items() if k not in _SOURCE_META}
    for field_name, key in LINE_VERBATIM[kind].items():
        if field_name == "metadata" and "metadata" in fields:
            continue  # null in the record, {} on the line
        if field_name == "embedding_model":
            if emb_model is not None:
                fields[field_name] = emb_model
        elif obj.get(key) is not None:
            fields[field_name] = obj[key]
    extras: dict[str, Any] = {}
    src_extras = source.get("extras")
    if isinstance(src_extras, dict):
        extras.update({s: e for s, e in src_extras.items() if isinstance(e, dict)})
    rest = {k: v for k, v in line_extras.items() if k != "source"}
    if fields.pop(OWNER_MARK, None) == "owner" and aid is not None:  # scope.agent_id was the line's owner
        fields["scope"] = {**(fields.get("scope") or {}), "agent_id": aid}
    if letta_passage:
        fields["tags"] = obj.get("tags")
        scope = dict(fields.get("scope") or {})
        scope["agent_id"] = aid
        fields["scope"] = scope
        if rest:
            extras[SYSTEM] = rest
    prov = Provenance(system=system, id=source.get("id") if isinstance(source.get("id"), str) else None,
                      version=source.get("version") if isinstance(source.get("version"), str) else None,
                      variant=source.get("variant") if isinstance(source.get("variant"), str) else None)
    try:
        return _RECORDS[kind].model_validate({**fields, "id": rid, "provenance": prov, "extras": extras})
    except ValidationError as e:
        first = e.errors()[0]
        where = ".".join(str(x) for x in first["loc"])
        if report is not None:
            report.warn(f"{name}: {path}: source.{where}: {first['msg'].lower()}; read as a plain Letta passage",
                        MEMCONV_DATA_INVALID)
        return None

