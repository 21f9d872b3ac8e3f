"""Write the canonical stream as a Letta agent file: the ``AgentFileSchema`` letta 0.16.x imports.

Target: ``POST /v1/agents/import`` of letta 0.16.8 (``letta/schemas/agent_file.py`` and
``agent_serialization_manager.py`` at ``56ba9c255``; ``shared/formats/letta-af.md`` sections 2 and 4).
The output has the seven required top-level lists (``agents``, ``groups``, ``blocks``, ``files``,
``sources``, ``tools``, ``mcp_servers``), ``skills``, ``metadata`` (string values) and a tz-aware
``created_at``; it is plain UTF-8 JSON indented by 2 spaces, as Letta's exporter writes it.

**Fidelity.** Records read from a Letta v2 file (provenance ``letta``/``v2``) are rebuilt from their
canonical fields plus ``extras["letta"]`` (:func:`memconv.fields.join`; ``$absent``, ``$null`` and
``$content`` undo the reader's normalisations), so ``.af`` -> canonical -> ``.af`` gives the same JSON.
A double-encoded input comes back single-encoded (a documented normalisation).

**Other Letta shapes** (legacy ``AgentSchema``, ``AgentState`` JSON, bundles) are converted to the
current shape (letta-af.md 6.5): tags as strings, environment variables as a dict, ``metadata_`` ->
``metadata``, ``include_base_tools``/``include_base_tool_rules`` false, keys the strict entities
(tools, sources, files, files_agents, tool rules) forbid are dropped, naive message times get
``+00:00``, tool rules missing a required key are dropped, ``enable_sleeptime`` false (the group in the
file carries the sleep-time agent), an ``AgentState``'s ``multi_agent_group`` becomes a group, a source
without ``embedding_config`` gets its agent's (Letta requires one), and an agent with no system message
gets one (Letta reads ``message_ids[0]`` as the system message and rebuilds its text from ``system``
and the memory blocks on the first step). Each change is reported through ``report.warn``.

**Ids.** Letta's importer wants ``<prefix>-<int>`` ids, unique across the file. Ids that already have
that form are kept; the others (legacy files have none, ``AgentState`` has ``block-<uuid>``, other
systems their own) are renumbered to the lowest free ``<prefix>-<n>``, and every reference is rewritten
(``block_ids``, ``tool_ids``, ``source_ids``, ``group_ids``, ``in_context_message_ids``,
``files[].source_id``, ``files_agents``, ``groups[].agent_ids``, ``manager_agent_id``, messages'
``agent_id``). References that name nothing in the output are dropped with a warning, so the import
never fails on a ``KeyError``.

**Archival memory** has no place in an ``.af`` (letta-af.md section 5). Passages, memories (mem0,
AgentMemory), and AgentMemory sessions, observations, summaries and graph relations go to the sidecar
``<stem>.passages.jsonl`` beside the output, one JSON object per line (``agent_id`` = the owning
agent's id in the ``.af``, ``id``, ``text``, ``tags``, ``created_at``, ``updated_at``, ``metadata``,
``embedding``/``embedding_model`` when known, and for non-Letta records a ``source`` object with the
fields Letta has no place for). The sidecar is written first, atomically, then the ``.af``. With the
``.af`` on standard output the sidecar goes to ``options.extra["passages"]``; without one the passages
are reported lost. Feed a line to ``POST /v1/agents/{id}/archival-memory`` (``text``, ``tags``,
``created_at``) to load it into the imported agent.

**Owners of archival records.** A record belongs to the agent whose id (or name) is its scope's
``agent_id``; else, when the output has exactly one agent, to that agent; else to an agent memconv
builds for it: one per mem0 ``agent_id``, else per ``user_id``; one per AgentMemory ``project`` (an
observation or summary takes its session's), else per ``agentId`` (AgentMemory's ``agentId`` names the
coding tool, the same across projects); records with no scope at all join the only owner there is, else
one ``<system> memories`` agent. A built agent has
the ``letta/letta-free`` ``llm_config``, no ``embedding_config`` (Letta then stores passages without
calling an embedding service), a ``human`` block naming its user(s), a ``persona`` block, Letta's
default system prompt (``system`` left out), its base tools plus ``archival_memory_search`` and
``archival_memory_insert`` (by name), and a system message.

**AgentMemory.** Records memconv wrote into AgentMemory come back (through the AgentMemory reader)
as canonical agents, blocks, tools and messages and are written like any Letta record. Native
AgentMemory sessions, observations and summaries are episodic memory of coding sessions, not turns of
one conversation: they become archival passages of the agent built for their ``agentId``/project
(searchable with ``archival_memory_search``), not messages (which would fill the context window with
tool logs and claim turns that never happened) and not one agent per session (which would split one
user's memory into hundreds of agents). Graph entities, mem0 history events and other systems' raw
records are reported lost.

**Streaming.** Small kinds are buffered; messages are converted on arrival and spooled to disk
(:class:`memconv.spool.Spool`) with a few integers per message kept in memory; archival records are
spooled as sidecar lines and grouped by owner at the end.

**Secrets.** Values of ``secrets`` and ``tool_exec_environment_variables`` are blanked (keys kept)
unless ``options.extra["keep_secrets"]``; ``report.info["secrets_blanked"]`` counts them.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime, timezone
from typing import Any, BinaryIO, Iterable

import orjson

from memconv import __version__
from memconv.jsonutil import dumps, has_big_int, json_type
from memconv.errors import UnsupportedVersion
from memconv.fields import ABSENT, absent_keys, join
from memconv.format import WriteOptions
from memconv.mapping import account_header
from memconv.model import BUILT_MARK, Agent, Group, Header, Message, Provenance, RecordKind, built_mark, is_marker
from memconv.report import Report
from memconv.spool import Spool
from memconv.timeutil import parse_ts
from memconv.uniqueids import UniqueIds, suffixed
from memconv.logmessages import (ID_RENUMBERED, INACTIVE_AS_LIVE, RECORD_BUILT, RECORD_DROPPED, RECORD_FOLDED,
                                 REFERENCE_DROPPED, REFERENCE_UNRESOLVED, SHAPE_CONVERTED, VALUE_CHANGED)

from .archival import ArchivalRecords, Owner
from .entities import LETTA_FREE_EMBEDDING_CONFIG, EntitySerialisers, from_v2, ordered
from .ids import FileLocalIds, renumber
from .mapping import MAPPING
from .shape import (AGENT_KEYS, ARCHIVAL_TOOL_NAMES, CORE_MEMORY_BLOCK_CHAR_LIMIT, ID_RE, LETTA_FREE_LLM_CONFIG,
                    MESSAGE_KEYS, REVISION_ONLY, SIDECAR_SHA256_KEY, SYSTEM, TOP_LEVEL_LISTS, TOP_LEVEL_ORDER,
                    V2_AGENT_KEYS, V2_MESSAGE_KEYS, WRITE_REVISION, WRITE_VERSION, dedup, safe_name)

LLM_REQUIRED = ("model", "model_endpoint_type", "context_window")
"""Keys of ``llm_config`` Letta's importer requires (letta 0.16.8 ``schemas/llm_config.py`` ``LLMConfig``)."""
EMBEDDING_REQUIRED = ("embedding_endpoint_type", "embedding_model", "embedding_dim")
"""Keys of ``embedding_config`` it requires (``schemas/embedding_config.py`` ``EmbeddingConfig``)."""

SIDECAR_KINDS = ("memory", "passage", "session", "observation", "summary", "relation")
SMALL = ("agent", "group", "block", "tool", "source", "file", "mcp_server", "skill", "session")

SYSTEM_MESSAGE_PLACEHOLDER = ("You are {name}, a Letta agent. Letta rebuilds this system message from the "
                              "agent's system prompt and memory blocks on its first step.")

_SHAPE_NOTES = {
    "legacy": ("legacy AgentSchema (letta {version}) written as the AgentFileSchema of letta " + WRITE_VERSION
               + ": tags as strings, tool_exec_environment_variables as a dict (also secrets), metadata_ as "
               "metadata, messages numbered message-<n> with in_context_message_ids from the indices, "
               "include_base_tools and include_base_tool_rules false, tool/block/message timestamps dropped"),
    "agent_state": ("AgentState (GET /v1/agents/{{id}}) written as the AgentFileSchema of letta " + WRITE_VERSION
                    + ": database ids renumbered to file-local ids, server-side fields (created_by_id, "
                    "model_settings, last_run_*...) dropped, include_base_tools false"),
    "bundle": ("hand-made bundle written as the AgentFileSchema of letta " + WRITE_VERSION + ": agent.json as the "
               "agent, documents/ as the files of one source, database ids renumbered to file-local ids"),
}
_SHAPE_NOTES["agent_list"] = _SHAPE_NOTES["agent_state"]

_SECRET_DICTS = ("secrets", "tool_exec_environment_variables")


def accepts_version(v: str | None) -> bool:
    """True when ``v`` names the AgentFileSchema this writer writes (letta 0.16.x, ``v2``)."""
    if v is None:
        return True
    s = v.strip().lower().lstrip("v")
    return s in ("2", "0.16", "0.16.x", "agentfileschema") or re.fullmatch(r"0\.16\.\d+", s) is not None


FOLDED_BY_NAME = {"tool": ("name", ("source_code", "json_schema")),
                  "source": ("name", ("description", "instructions")),
                  "mcp_server": ("server_name", ("server_type", "server_url"))}
"""Kinds Letta keys by name in an import: kind -> (the name attribute, the attributes that must agree for
a later record of the name to be the same one)."""

def _built_in(t: Any) -> bool:
    """A tool Letta supplies itself (``tool_type`` ``letta_core``, ``letta_memory_core``, ``letta_builtin``...):
    the server runs its own code for it, whatever code the file carries."""
    return isinstance(t.tool_type, str) and t.tool_type.startswith("letta_")


def _tz(ts: str | None) -> str | None:
    """A source timestamp with an explicit offset (naive ones are UTC, letta-af.md 6.2)."""
    if not isinstance(ts, str) or not ts.strip():
        return ts
    s = ts.strip()
    if s[-1:] in ("Z", "z"):
        return ts
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return ts
    return ts if dt.tzinfo is not None else s + "+00:00"


def _dump(obj: Any, indent: bool = False) -> bytes:
    return dumps(obj, indent=indent)  # orjson; integers beyond 64 bits written exactly


def _load(blob: bytes) -> Any:
    """A spooled object back; integers beyond 64 bits exactly (orjson would make them floats)."""
    return json.loads(blob) if has_big_int(blob) else orjson.loads(blob)


class _Msg:
    """What the writer keeps in memory per message: spool handle, id, flags."""

    __slots__ = ("handle", "old", "new", "in_ctx", "is_system")

    def __init__(self, handle: tuple[int, int], old: str, new: str | None, in_ctx: bool | None, is_system: bool):
        self.handle = handle
        self.old = old
        self.new = new
        self.in_ctx = in_ctx
        self.is_system = is_system


class LettaWriter(ArchivalRecords, EntitySerialisers):
    """One conversion to an agent file; see the module docstring. Use :func:`write_agent_file`."""

    def __init__(self, out: BinaryIO, options: WriteOptions):
        self.out = out
        self.opts = options
        self.report: Report = options.report
        self.keep_secrets = bool(options.extra.get("keep_secrets"))
        self.header = Header()
        self.small: dict[str, list[Any]] = {k: [] for k in SMALL}
        self.msg_spool = Spool()
        self.msgs: dict[str | None, list[_Msg]] = {}
        self.msg_kept: set[int] = set()
        self.msg_ids = FileLocalIds("message")
        self.pas_spool = Spool()
        self.pas_groups: dict[tuple[str, str], list[tuple[int, int]]] = {}
        self.pas_kinds: dict[str, int] = {}
        self.pas_users: dict[tuple[str, str], dict[str, None]] = {}
        self.pas_systems: dict[tuple[str, str], dict[str, None]] = {}
        self.secrets_blanked = 0
        self.sidecar_sha256: str | None = None
        self.export_time = ""
        self.token = uuid.uuid4().hex
        self.built_blocks: list[dict[str, Any]] = []
        self.agent_new_ids: dict[int, str] = {}
        self.agent_msg_keys: dict[int, str | None] = {}
        self.pre: dict[int, list[dict[str, Any]]] = {}
        self.session_agents: dict[str, str] = {}
        self._ids_cache: set[str] = set()
        self.superseded = 0
        self.passage_ids = UniqueIds(self.report, "letta", suffixed)

    # ------------------------------------------------------------------ run

    def run(self, items: Iterable[Any]) -> None:
        """Consume the stream, then write the sidecar and the agent file.

        Raises:
            UnsupportedVersion: ``options.target_version`` is not a 0.16.x AgentFileSchema.
        """
        it = iter(items)
        self.header = next(it)
        if not accepts_version(self.opts.target_version):
            raise UnsupportedVersion(
                f"letta: memconv writes the AgentFileSchema of letta 0.16.x (default {WRITE_VERSION}), not "
                f"{self.opts.target_version!r}; the legacy AgentSchema is refused by letta 0.12 and later")
        self.export_time = self._export_time()
        self.report.info["target"] = {"format": "letta", "version": WRITE_VERSION}
        note = _SHAPE_NOTES.get(self.header.source_variant or "") if self.header.source_system == SYSTEM else None
        if note:
            v = self.header.source_format_version
            self.report.warn(f"letta: {note.format(version=v or 'unknown')}", SHAPE_CONVERTED)
        try:
            for rec in it:
                kind = rec.kind
                if kind in SMALL:
                    MAPPING.account(rec, self.report)
                    self.small[kind].append(rec)
                    if kind == "session":
                        self._archival(rec)
                elif kind == "message":
                    MAPPING.account(rec, self.report)
                    self._message(rec)
                elif kind in SIDECAR_KINDS:
                    MAPPING.account(rec, self.report)
                    self._archival(rec)
                else:
                    MAPPING.account(rec, self.report)
            self._finish()
        finally:
            self.msg_spool.close()
            self.pas_spool.close()

    def _export_time(self) -> str:
        h = self.header
        if h.exported_at and h.source_system == SYSTEM and h.source_variant == "v2":
            return h.exported_at
        for cand in (h.exported_at, self.opts.timestamp):
            dt = parse_ts(cand)
            if dt is not None:
                return dt.astimezone(timezone.utc).isoformat()
        return datetime.now(timezone.utc).isoformat()

    def _drop(self, kind: RecordKind, key: str, value: Any) -> None:
        """Note a Letta key the target shape has no place for (reported as lost when it had a value)."""
        if value in (None, [], {}, "", False):
            return
        self.report.lost(kind, f"letta.{key}", "the current AgentFileSchema has no such key "
                                               "(or forbids extra keys here)")

    # ------------------------------------------------------------------ messages

    def _message(self, m: Message) -> None:
        obj = self._message_obj(m)
        handle = self.msg_spool.add(_dump(obj))
        mm = ID_RE.match(m.id or "")
        if mm and mm.group(1) == "message" and int(mm.group(2)) not in self.msg_ids.used:
            n = int(mm.group(2))
            self.msg_ids.used.add(n)
            self.msg_kept.add(n)
            new: str | None = m.id
        else:
            new = None
        self.msgs.setdefault(m.agent_id, []).append(_Msg(handle, m.id, new, m.in_context, m.role == "system"))
        self.report.wrote("letta:messages")

    def _message_obj(self, m: Message) -> dict[str, Any]:
        """The ``MessageSchema`` object, with ``id``/``agent_id`` filled in at the end."""
        if from_v2(m):
            ex = dict(m.extra(SYSTEM))
            content_kind = ex.pop("$content", None)
            absent = set(absent_keys(ex.get(ABSENT)))
            values = {k: getattr(m, f) for k, f in MESSAGE_KEYS.items()}
            if content_kind == "str":
                values["content"] = "".join(str(p.get("text", "")) for p in m.content)
            elif content_kind == "null":
                values["content"] = None
            obj = join(values, ex)
            if "agent_id" in absent:
                obj.pop("agent_id", None)
            else:
                obj["agent_id"] = ""
            obj["id"] = ""
            return ordered(obj, V2_MESSAGE_KEYS)
        ex = m.extra(SYSTEM)
        obj: dict[str, Any] = {
            "type": "message", "role": m.role, "content": m.content, "name": m.name, "otid": None,
            "sender_id": None, "batch_item_id": None, "group_id": None, "id": "", "model": m.model,
            "agent_id": "", "tool_calls": m.tool_calls or None, "tool_call_id": m.tool_call_id,
            "tool_returns": m.tool_returns or [], "created_at": _tz(m.created_at), "approve": None,
            "approval_request_id": None, "denial_reason": None, "approvals": [],
        }
        for k, v in ex.items():
            if is_marker(k):
                continue
            if k in ("otid", "sender_id", "batch_item_id", "group_id", "approve", "approval_request_id",
                     "denial_reason", "approvals", "type"):
                obj[k] = v
            else:
                self._drop("message", k, v)
        if obj["created_at"] is None:
            del obj["created_at"]
        if obj["approvals"] is None:
            obj["approvals"] = []
        return obj

    # ------------------------------------------------------------------ finish

    def _finish(self) -> None:
        self.passage_ids.finish()
        agents: list[Agent] = self.small["agent"]
        self._groups_from_agent_states(agents)
        folded = self._fold_by_name()
        self.ids, self.new_ids = renumber(self.small, self.report)
        for kind, pairs in folded.items():  # references to a folded record name the one written
            for later, first in pairs.items():
                self.ids[kind].map[later] = self.ids[kind].map[first]

        # messages: renumber what could not be kept; attach orphans
        agent_keys = {a.id for a in agents}
        for key in list(self.msgs):
            if key in agent_keys:
                continue
            entries = self.msgs.pop(key)
            if len(agents) == 1:
                self.report.warn(f"letta: {len(entries)} message(s) name agent {key!r}, which is not in the "
                                 f"input; attached to the only agent, {agents[0].name!r}", REFERENCE_UNRESOLVED)
                self.msgs.setdefault(agents[0].id, []).extend(entries)
            else:
                self.report.lost("message", "*", f"its agent ({key!r}) is not in the input", count=len(entries))
                self.report.written["letta:messages"] -= len(entries)
        self.msg_renamed: dict[tuple[str, str], str] = {}
        renum = 0
        for key, entries in self.msgs.items():
            for e in entries:
                if e.new is None:
                    e.new = self.msg_ids.fresh()
                    self.msg_renamed.setdefault((key, e.old), e.new)
                    renum += 1
        if renum:
            self.report.warn(f"letta: renumbered {renum} message id(s) to file-local message-<n> ids", ID_RENUMBERED)

        if self.superseded:
            self.report.warn(f"letta: {self.superseded} AgentMemory memories are superseded by newer versions "
                             f"(isLatest false); Letta has no such state, so they are written as archival passages "
                             f"like the others (the flag is kept in the sidecar's source object)", INACTIVE_AS_LIVE)
        owners = self._owners(agents)
        self._write_sidecar(agents, owners)
        self._write_af(agents, owners)
        self.report.info["secrets_blanked"] = self.report.info.get("secrets_blanked", 0) + self.secrets_blanked

    def _fold_by_name(self) -> dict[str, dict[str, str]]:
        """One record per name where Letta keys them by name (:data:`FOLDED_BY_NAME`): its importer
        upserts a file's tools, sources and MCP servers by name in one statement, and two of one name
        fail the whole import (letta 0.16.8: ``ON CONFLICT DO UPDATE command cannot affect row a second
        time``; two ``.af`` files given together often share ``web_search`` or ``memory``). A later
        record of a name already written is left out and its references name the first; when it differs
        in what Letta keeps of it, it is reported lost, with a warning (not a built-in tool, ``letta_*``
        tool types, whose code the server supplies itself).

        Returns:
            kind -> ``{later record id: first record id}``, for the references.
        """
        out: dict[str, dict[str, str]] = {}
        for kind, (attr, same) in FOLDED_BY_NAME.items():
            first: dict[str, Any] = {}
            folded: dict[str, str] = {}
            kept: list[Any] = []
            differ: list[str] = []
            for r in self.small[kind]:
                name = getattr(r, attr)
                if not name or name not in first:
                    if name:
                        first[name] = r
                    kept.append(r)
                    continue
                one = first[name]
                folded[r.id] = one.id
                if [getattr(r, f) for f in same] != [getattr(one, f) for f in same] and \
                        not (kind == "tool" and _built_in(r) and _built_in(one)):
                    differ.append(name)
                    self.report.lost(kind, "*", f"Letta keeps one {kind} per name (its importer upserts them by "
                                                f"name); the first {kind} of the name is written and references "
                                                f"name it")
            if folded:
                self.small[kind] = kept
                out[kind] = folded
                same_n = len(folded) - len(differ)
                self.report.warn(f"letta: {len(folded)} {kind}(s) had the name of an earlier {kind} and were folded "
                                 f"into it (Letta keeps one per name): {same_n} the same"
                                 + (" or a Letta built-in" if kind == "tool" else "")
                                 + (f", {len(differ)} different, lost ({', '.join(map(repr, dedup(differ)[:5]))})"
                                    if differ else ""), RECORD_FOLDED)
        return out

    # ------------------------------------------------------------------ groups from AgentState

    def _groups_from_agent_states(self, agents: list[Agent]) -> None:
        """An ``AgentState``'s ``multi_agent_group`` becomes a group when all its agents are in the input."""
        have = {g.id for g in self.small["group"]}
        by_id = {a.id: a for a in agents}
        for i, a in enumerate(agents):
            if from_v2(a):
                continue
            mag = a.extra(SYSTEM).get("multi_agent_group")
            if not isinstance(mag, dict) or not isinstance(mag.get("id"), str) or mag["id"] in have:
                continue
            members = [x for x in mag.get("agent_ids") or [] if isinstance(x, str)]
            manager = mag.get("manager_agent_id")
            missing = [x for x in [*members, *([manager] if manager else [])] if x not in by_id]
            if missing:
                self.report.warn(f"letta: agent {a.name!r} is in group {mag['id']} whose agent(s) {missing} are "
                                 f"not in the input; the group is left out", RECORD_DROPPED)
                continue
            mtype = mag.get("manager_type") or "round_robin"
            cfg: dict[str, Any] = {"manager_type": mtype}
            for k in {"round_robin": ("max_turns",), "supervisor": ("manager_agent_id",),
                      "dynamic": ("manager_agent_id", "termination_token", "max_turns"),
                      "sleeptime": ("manager_agent_id", "sleeptime_agent_frequency"),
                      "voice_sleeptime": ("manager_agent_id", "max_message_buffer_length",
                                          "min_message_buffer_length")}.get(mtype, ()):
                if mag.get(k) is not None:
                    cfg[k] = mag[k]
            g = Group(id=mag["id"], agent_ids=members, description=mag.get("description") or "",
                      manager_config=cfg, provenance=Provenance(system=SYSTEM, id=mag["id"], variant="agent_state"))
            self.small["group"].append(g)
            have.add(g.id)
            owner = by_id.get(manager) if manager else a
            if owner is not None and g.id not in owner.group_ids:
                idx = agents.index(owner)
                agents[idx] = owner.model_copy(update={"group_ids": [*owner.group_ids, g.id]})
            self.report.warn(f"letta: {a.name!r}: multi_agent_group {g.id} ({mtype}) written as a group",
                             SHAPE_CONVERTED)

    # ------------------------------------------------------------------ the agent file

    def _ref(self, prefix: str, old: str, where: str) -> str | None:
        new = self.ids[prefix].map.get(old)
        if new is None:
            self.report.warn(f"letta: {where}: {old!r} names no {prefix} in the output; dropped", REFERENCE_DROPPED)
        return new

    def _refs(self, prefix: str, olds: Iterable[str], where: str) -> list[str]:
        return [n for n in (self._ref(prefix, o, where) for o in olds) if n is not None]

    def _blank(self, d: Any) -> Any:
        if not isinstance(d, dict) or self.keep_secrets:
            return d
        out = {}
        for k, v in d.items():
            if v not in (None, ""):
                self.secrets_blanked += 1
            out[k] = ""
        return out

    def _write_af(self, agents: list[Agent], owners: dict[tuple[str, str], Any]) -> None:
        h = self.header
        hx = dict(h.extras.get(SYSTEM, {})) if (h.source_system == SYSTEM and h.source_variant == "v2") else None
        agent_objs: list[dict[str, Any]] = []
        # embedding_config of the first agent using each source (a source needs one, letta-af.md 4)
        src_emb: dict[str, Any] = {}
        for a in agents:
            for s in a.source_ids:
                if a.embedding_config and s not in src_emb:
                    src_emb[s] = a.embedding_config
        for i, a in enumerate(agents):
            agent_objs.append(self._agent(a, i))
        built = list({id(o): o for o in owners.values() if isinstance(o, Owner)}.values())
        for j, o in enumerate(built):
            agent_objs.append(self._built_agent(o, len(agents) + j))
        groups = [g for g in (self._group(g) for g in self.small["group"]) if g is not None]
        blocks = [self._block(b) for b in self.small["block"]] + self.built_blocks
        sources = [self._source(s, src_emb) for s in self.small["source"]]
        files = [f for f in (self._file(f) for f in self.small["file"]) if f is not None]
        tools = [self._tool(t) for t in self.small["tool"]]
        mcps = [m for m in (self._mcp(m) for m in self.small["mcp_server"]) if m is not None]
        skills = [s for s in (self._skill(s) for s in self.small["skill"]) if s is not None]
        lists = {"agents": agent_objs, "groups": groups, "blocks": blocks, "files": files, "sources": sources,
                 "tools": tools, "mcp_servers": mcps, "skills": skills}
        doc: dict[str, Any] = {}
        if hx is not None:
            absent = set(absent_keys(hx.pop(ABSENT, None)))
            if hx.pop(REVISION_ONLY, False) and h.source_format_version:
                hx["metadata"] = {"revision_id": h.source_format_version}
            for k, v in lists.items():
                if not (k in absent and not v):
                    doc[k] = v
            for k, v in hx.items():
                doc[k] = v
            if "created_at" not in absent:
                doc["created_at"] = h.exported_at
            doc = ordered(doc, TOP_LEVEL_ORDER)
        else:
            doc.update(lists)
            src = " ".join(x for x in (h.source_system, h.source_variant, h.source_format_version) if x)
            doc["metadata"] = {"revision_id": WRITE_REVISION, "converted_by": f"memconv {__version__}",
                               **({"converted_from": src} if src else {})}
            # a Letta file's own metadata keys, come back through another format (its revision_id
            # names the schema of that file, not of this one: this file's is WRITE_REVISION)
            own = h.extras.get(SYSTEM) or {}
            if isinstance(own.get("metadata"), dict):
                for k, v in own["metadata"].items():
                    if k != "revision_id" and isinstance(v, str):
                        doc["metadata"].setdefault(k, v)
            doc["created_at"] = self.export_time
        account_header(h, self.report, "letta", kept=[SYSTEM] if hx is not None else [],
                       kept_keys={SYSTEM: ["metadata"]})
        given = doc.get("metadata")
        if given is not None and not isinstance(given, dict):  # the source file's own, of the wrong type
            self.report.warn(f"letta: metadata: {json_type(given)} in the input, where Letta's AgentFileSchema has "
                             f"an object of strings; written as an object without it", VALUE_CHANGED)
            given = None
        meta = {k: v for k, v in (given or {}).items() if k != SIDECAR_SHA256_KEY}
        if self.opts.output_path and not self.opts.extra.get("passages"):  # a file, its sidecar beside it
            meta[SIDECAR_SHA256_KEY] = self.sidecar_sha256 or ""  # "": this .af has no sidecar
        doc["metadata"] = meta
        for k in TOP_LEVEL_LISTS:
            doc.setdefault(k, [])
        doc = ordered(doc, TOP_LEVEL_ORDER)
        for kind, n in (("agents", len(agent_objs)), ("blocks", len(blocks)), ("tools", len(tools)),
                        ("groups", len(groups)), ("sources", len(sources)), ("files", len(files)),
                        ("mcp_servers", len(mcps)), ("skills", len(skills))):
            if n:
                self.report.wrote(f"letta:{kind}", n)
        self._emit(doc, agent_objs)

    def _emit(self, doc: dict[str, Any], agent_objs: list[dict[str, Any]]) -> None:
        """Serialise ``doc`` with each agent's ``messages`` streamed from the spool at its token."""
        text = _dump(doc, indent=True)
        pos = 0
        out = self.out
        for i in range(len(agent_objs)):
            tok = b'"' + f"@@memconv-messages-{self.token}-{i}@@".encode() + b'"'
            at = text.index(tok, pos)
            line_start = text.rfind(b"\n", 0, at) + 1
            indent = len(text[line_start:at]) - len(text[line_start:at].lstrip(b" "))
            out.write(text[pos:at])
            self._emit_messages(i, indent)
            pos = at + len(tok)
        out.write(text[pos:])
        out.write(b"\n")

    def _emit_messages(self, i: int, indent: int) -> None:
        pad = b" " * (indent + 2)
        first = True
        agent_new = self.agent_new_ids[i]
        key = self.agent_msg_keys.get(i)
        entries = self.msgs.get(key, []) if key is not None else []
        msgs = [*((None, m) for m in self.pre.get(i, [])), *((e, None) for e in entries)]
        if not msgs:
            self.out.write(b"[]")
            return
        self.out.write(b"[")
        for e, pre in msgs:
            if e is not None:
                obj = _load(self.msg_spool.get(e.handle))
                obj["id"] = e.new
                if "agent_id" in obj:
                    obj["agent_id"] = agent_new
            else:
                obj = pre
            blob = _dump(obj, indent=True)
            self.out.write((b"\n" if first else b",\n") + pad + blob.replace(b"\n", b"\n" + pad))
            first = False
        self.out.write(b"\n" + b" " * indent + b"]")

    # ------------------------------------------------------------------ entities

    def _in_context(self, a: Agent, key: str, exact: bool) -> list[str]:
        entries = self.msgs.get(key, [])
        out = []
        dropped = 0
        for old in a.in_context_message_ids:
            new = self.msg_renamed.get((key, old))
            if new is None:
                m = ID_RE.match(old)
                if m and m.group(1) == "message" and int(m.group(2)) in self.msg_kept:
                    new = old
            if new is None:
                dropped += 1
            else:
                out.append(new)
        if dropped:
            self.report.warn(f"letta: agent {a.name!r}: {dropped} in-context message id(s) name no message in the "
                             f"output; dropped", REFERENCE_DROPPED)
        if not out and not exact and entries:
            flagged = [e.new for e in entries if e.in_ctx]
            out = flagged if flagged else [e.new for e in entries]
        return out

    def _complete(self, config: dict[str, Any], required: tuple[str, ...], default: dict[str, Any],
                  where: str) -> dict[str, Any]:
        """``config`` with the keys Letta's importer requires (``required``) that it lacks or holds null
        taken from ``default`` (letta/letta-free's), with a warning naming them: a config trimmed by hand
        (an ``AgentState`` pasted with ``{"model": "deepseek-chat"}`` alone) would make Letta refuse the
        whole file (letta 0.16.8 ``LLMConfig``: ``model``, ``model_endpoint_type``, ``context_window``;
        ``EmbeddingConfig``: ``embedding_endpoint_type``, ``embedding_model``, ``embedding_dim``)."""
        missing = [k for k in required if config.get(k) is None]
        if not missing:
            return config
        self.report.warn(f"letta: {where} has no {', '.join(missing)} (Letta requires them); wrote "
                         f"letta/letta-free's ({', '.join(f'{k}={default[k]!r}' for k in missing)}); set the "
                         f"model after import", VALUE_CHANGED)
        return {**config, **{k: default[k] for k in missing}}

    def _agent(self, a: Agent, i: int) -> dict[str, Any]:
        exact = from_v2(a)
        new_id = self.new_ids[id(a)]
        self.agent_new_ids[i] = new_id
        self.agent_msg_keys[i] = a.id
        where = f"agent {a.name!r}"
        name = safe_name(a.name)
        if name != a.name:
            self.report.warn(f"letta: agent name {a.name!r} is not one Letta accepts (letters, digits, _, space, ' "
                             f"and -); written as {name!r}", VALUE_CHANGED)
        refs = {
            "tool_ids": dedup(self._refs("tool", a.tool_ids, f"{where}.tool_ids")),
            "block_ids": self._refs("block", a.block_ids, f"{where}.block_ids"),
            "source_ids": dedup(self._refs("source", a.source_ids, f"{where}.source_ids")),
        }
        group_ids = [self.ids["group"].map.get(g, g) if exact else self.ids["group"].map.get(g) for g in a.group_ids]
        if not exact and None in group_ids:
            self.report.warn(f"letta: {where}.group_ids: group(s) not in the output; dropped", REFERENCE_DROPPED)
        group_ids = [g for g in group_ids if g is not None]
        in_ctx = self._in_context(a, a.id, exact)
        ex = dict(a.extra(SYSTEM))
        if exact:
            nulls = set(ex.pop("$null", ()))
            values: dict[str, Any] = {k: getattr(a, f) for k, f in AGENT_KEYS.items()}
            values.update(refs)
            values["group_ids"] = group_ids
            values["in_context_message_ids"] = in_ctx
            values["name"] = name
            for k in nulls:
                if values.get(k) == []:
                    values[k] = None
            values["secrets"] = self._blank(values["secrets"])
            if "tool_exec_environment_variables" in ex:
                ex["tool_exec_environment_variables"] = self._blank(ex["tool_exec_environment_variables"])
            if isinstance(ex.get("files_agents"), list):
                ex["files_agents"] = self._files_agents(ex["files_agents"], new_id, where, strict=False)
            obj = join(values, ex)
            obj["id"] = new_id
            obj["messages"] = f"@@memconv-messages-{self.token}-{i}@@"
            if a.in_context_message_ids and not in_ctx:  # its messages were left out (--exclude, --since)
                self._ensure_system(i, a, name, new_id, obj)
            return ordered(obj, V2_AGENT_KEYS)
        # converted: legacy AgentSchema, AgentState, bundles, other systems
        env = a.secrets
        if env is None and isinstance(ex.get("tool_exec_environment_variables"), (dict, list)):
            raw = ex["tool_exec_environment_variables"]
            env = ({e["key"]: e.get("value") or "" for e in raw if isinstance(e, dict) and "key" in e}
                   if isinstance(raw, list) else {str(k): "" if v is None else str(v) for k, v in raw.items()})
        env = self._blank(env) if env else None
        llm = a.llm_config
        for field, value, cfg, config in (("model", a.model, "llm_config", a.llm_config),
                                          ("embedding", a.embedding, "embedding_config", a.embedding_config)):
            if config and value and value != config.get("handle"):  # Letta takes the config; the handle must agree
                self.report.lost("agent", field, f"Letta takes it from {cfg} when both are given, and that "
                                                 f"config's handle is not {value!r}")
        if not llm:
            llm = dict(LETTA_FREE_LLM_CONFIG)
            self.report.warn(f"letta: {where} has no llm_config (Letta requires one); wrote letta/letta-free's",
                             VALUE_CHANGED)
        if llm.get("model") is None and isinstance(llm.get("handle"), str) and "/" in llm["handle"]:
            llm = {**llm, "model": llm["handle"].split("/", 1)[1]}  # the handle names it: provider/model
        llm = self._complete(llm, LLM_REQUIRED, LETTA_FREE_LLM_CONFIG, f"{where}: llm_config")
        emb = self._complete(a.embedding_config, EMBEDDING_REQUIRED, LETTA_FREE_EMBEDDING_CONFIG,
                             f"{where}: embedding_config") if a.embedding_config else None  # {}: none, as null
        obj = {
            "name": name, "memory_blocks": [], "tools": [], "tool_ids": refs["tool_ids"],
            "source_ids": refs["source_ids"], "folder_ids": None, "block_ids": refs["block_ids"],
            "tool_rules": self._tool_rules(a.tool_rules, where), "tags": list(a.tags), "system": a.system,
            "agent_type": a.agent_type or "letta_v1_agent", "llm_config": llm, "embedding_config": emb,
            "initial_message_sequence": None, "include_base_tools": False, "include_multi_agent_tools": False,
            "include_base_tool_rules": False, "include_default_source": False, "description": a.description,
            "metadata": a.metadata, "model": None if a.llm_config else a.model,
            "embedding": None if a.embedding_config else a.embedding, "model_settings": None,
            "compaction_settings": None, "context_window_limit": None, "embedding_chunk_size": None,
            "max_tokens": None, "max_reasoning_tokens": None, "enable_reasoner": False, "reasoning": None,
            "from_template": None, "template": False, "project": None,
            "tool_exec_environment_variables": dict(env) if env else {}, "secrets": env, "memory_variables": None,
            "project_id": None, "template_id": None, "base_template_id": None, "identity_ids": None,
            "message_buffer_autoclear": False, "enable_sleeptime": False, "response_format": None,
            "timezone": None, "max_files_open": None, "per_file_view_window_char_limit": None, "hidden": None,
            "parallel_tool_calls": None, "id": new_id, "in_context_message_ids": in_ctx,
            "messages": f"@@memconv-messages-{self.token}-{i}@@", "files_agents": [], "group_ids": group_ids,
        }
        keep = ("message_buffer_autoclear", "response_format", "timezone", "max_files_open",
                "per_file_view_window_char_limit", "hidden", "parallel_tool_calls", "include_base_tools",
                "include_multi_agent_tools", "include_base_tool_rules", "include_default_source",
                "context_window_limit", "embedding_chunk_size", "max_tokens", "max_reasoning_tokens",
                "enable_reasoner", "reasoning", "initial_message_sequence")
        for k, v in ex.items():
            if is_marker(k) or k in ("tool_exec_environment_variables", "multi_agent_group", "managed_group"):
                continue
            if k in keep:
                obj[k] = v
            elif k == "enable_sleeptime":
                if v and a.agent_type != "voice_convo_agent":
                    self.report.warn(f"letta: {where}: enable_sleeptime written false (Letta would build a second "
                                     f"sleep-time agent on import; the file's group carries the existing one)",
                                     VALUE_CHANGED)
                else:
                    obj[k] = v
            elif k == "tools" and isinstance(v, list) and all(isinstance(x, str) for x in v):
                obj[k] = v
            elif k == "files_agents" and isinstance(v, list):
                obj[k] = self._files_agents(v, new_id, where, strict=True)
            elif k == "message_ids":
                continue  # the reader already warned that an AgentState has no messages
            else:
                self._drop("agent", k, v)
        if a.agent_type == "voice_convo_agent":
            obj["enable_sleeptime"] = True
        self._ensure_system(i, a, name, new_id, obj)
        return obj

    def _ensure_system(self, i: int, a: Agent, name: str, new_id: str, obj: dict[str, Any]) -> None:
        """Letta reads ``message_ids[0]`` as the system message (and fails on an empty context): give
        one to an agent whose context does not start with one."""
        in_ctx = obj["in_context_message_ids"]
        entries = self.msgs.get(a.id, [])
        first_sys = bool(in_ctx) and next((e.is_system for e in entries if e.new == in_ctx[0]), False)
        if first_sys:
            return
        sys_id = self.msg_ids.fresh()
        # dated when the agent was created (so it sorts before the agent's messages, and the output does
        # not change from run to run), else at the export time
        born = parse_ts(a.created_at)
        try:
            when = born.astimezone(timezone.utc).isoformat() if born else None
        except (OverflowError, ValueError):  # a time past year 9999 in UTC
            when = None
        self.pre[i] = [self._system_message(sys_id, new_id, a.system or SYSTEM_MESSAGE_PLACEHOLDER.format(
            name=name), a.llm_config, when)]
        obj["in_context_message_ids"] = [sys_id, *in_ctx]
        self.report.warn(f"letta: agent {a.name!r}: no system message in context; added {sys_id} with the system "
                         f"prompt (Letta recompiles it with the memory blocks on the agent's first step)", RECORD_BUILT)

    def _system_message(self, mid: str, agent_id: str, text: str, llm: dict[str, Any] | None,
                        created_at: str | None = None) -> dict[str, Any]:
        self.report.wrote("letta:messages")
        return {"type": "message", "role": "system", "content": [{"type": "text", "text": text, "signature": None}],
                "name": None, "otid": None, "sender_id": None, "batch_item_id": None, "group_id": None, "id": mid,
                "model": (llm or {}).get("model"), "agent_id": agent_id, "tool_calls": None, "tool_call_id": None,
                "tool_returns": [], "created_at": created_at or self.export_time, "approve": None, "approval_request_id": None,
                "denial_reason": None, "approvals": []}

    def _built_agent(self, o: Owner, i: int) -> dict[str, Any]:
        """The agent memconv builds around archival records of one scope (mem0, AgentMemory...)."""
        self.agent_new_ids[i] = o.new_id
        self.agent_msg_keys[i] = None
        systems = " and ".join(o.systems) or "memconv"
        kind, val = o.key
        users = list(o.users)
        if kind == "user":
            human = f"User: {val}\nThe user's id in {systems} is {val!r}. Facts about the user are in archival memory."
        elif users:
            human = ("Users: " + ", ".join(users) + f"\nThe ids of the people this agent served in {systems}. "
                     "Facts about them are in archival memory.")
        elif kind == "project":
            human = f"The user works on the project {val}."
        else:
            human = "Nothing is known about the user yet."
        whose = f" about {val}" if kind == "user" else ""
        persona = (f"I am {o.name}, an assistant whose long-term memories{whose} were imported from {systems} by "
                   f"memconv: {o.count} archival memories. I search them with archival_memory_search before "
                   f"answering questions about the past, and store new ones with archival_memory_insert.")
        hb, pb = self.ids["block"].fresh(), self.ids["block"].fresh()
        self.built_blocks += [{"value": human, "limit": max(CORE_MEMORY_BLOCK_CHAR_LIMIT, len(human)), "label": "human",
                    "read_only": False, "description": None, "metadata": {BUILT_MARK: built_mark(human)}, "id": hb},
                   {"value": persona, "limit": max(CORE_MEMORY_BLOCK_CHAR_LIMIT, len(persona)), "label": "persona",
                    "read_only": False, "description": None, "metadata": {BUILT_MARK: built_mark(persona)},
                    "id": pb}]
        sys_id = self.msg_ids.fresh()
        self.pre[i] = [self._system_message(sys_id, o.new_id, SYSTEM_MESSAGE_PLACEHOLDER.format(name=o.name),
                                            LETTA_FREE_LLM_CONFIG)]
        return {
            "name": o.name, "memory_blocks": [], "tools": list(ARCHIVAL_TOOL_NAMES), "tool_ids": [], "source_ids": [],
            "folder_ids": None, "block_ids": [hb, pb], "tool_rules": [],
            "tags": ["memconv", *(f"from:{s}" for s in o.systems)],
            "agent_type": "letta_v1_agent", "llm_config": dict(LETTA_FREE_LLM_CONFIG), "embedding_config": None,
            "include_base_tools": True, "description": f"Memories of {systems} {kind} {val} (imported by memconv)",
            "metadata": {"memconv": {"source": systems, "scope": {kind: val}}}, "id": o.new_id,
            "in_context_message_ids": [sys_id], "messages": f"@@memconv-messages-{self.token}-{i}@@",
            "files_agents": [], "group_ids": [],
        }



def write_agent_file(items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
    """Write ``items`` (a header, then canonical records) as one Letta agent file to ``out``.

    Also writes the archival-passage sidecar (``<stem>.passages.jsonl`` beside
    ``options.output_path``, or ``options.extra["passages"]``) when there are archival records.

    Raises:
        UnsupportedVersion: ``options.target_version`` is not a letta 0.16.x AgentFileSchema.
    """
    LettaWriter(out, options).run(items)
