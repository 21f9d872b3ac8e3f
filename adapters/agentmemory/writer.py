"""Write the canonical stream as AgentMemory ``ExportData`` (0.9.29 by default).

Streaming: small records (agents, blocks, tools, sessions...) are buffered; every large record is
converted on arrival and spooled to disk (:class:`memconv.spool.Spool`), so memory does not grow with
the input. At the end the caps are checked, then the document is written in the exporter's key
order: ``version``, ``exportedAt``, ``sessions``, ``observations``, ``memories``, ``summaries``, then
the optional collections that are not empty.

Mapping (the field-by-field table is :data:`MAPPING`, rendered in ``docs/mappings.md``):

* agent -> ``Session`` (``project`` and ``agentId`` = agent name, ``cwd`` "", ``model`` = model
  handle, ``status`` "completed", ``startedAt`` = first message time, else the agent's creation
  time, else the export time);
* message -> ``CompressedObservation`` of type ``conversation`` in its agent's bucket, in context
  order then file order (``title`` = role and the start of the text, ``narrative`` = full text with
  tool calls rendered), concept ``letta:message``;
* block -> ``Memory`` ``fact`` (``title`` = label, ``content`` = value), concept ``letta:block:<label>``;
* system prompt, tool, skill -> ``Memory`` ``workflow`` (``letta:system``, ``letta:tool:<name>``,
  ``letta:skill:<name>``); file, source, MCP server, group -> ``Memory`` ``fact`` (``letta:file``...);
* memory and passage -> ``Memory``; observation, session, summary -> themselves; entity ->
  ``GraphNode``; relation -> ``GraphEdge``; AgentMemory raw records -> their own collection.

What AgentMemory has no field for is kept in the record's undeclared ``memconv`` key (AgentMemory
stores and re-exports unknown record fields verbatim), so a later conversion can restore it.
Records that came from AgentMemory are written back exactly as read. Ids are derived from source
ids (``ses_``/``obs_``/``mem_`` + 20 hex of a SHA-256), so output is deterministic.
"""

from __future__ import annotations

import re
from array import array
from typing import Any, BinaryIO, Iterable

import orjson

from memconv.errors import LimitExceeded, UnsupportedVersion
from memconv.fields import ABSENT, absent_keys, join, set_fields
from memconv.jsonutil import dumps
from memconv.format import WriteOptions
from memconv.mapping import account_header
from memconv.model import Agent, Base, Header, Message
from memconv.spool import Handles, Spool
from memconv.timeutil import EARLIEST, epoch_us, iso_z, now_iso_z, parse_ts, to_iso_z
from memconv.uniqueids import Fingerprints, UniqueIds, suffixed
from memconv.logmessages import (BUILT_RECORD_LEFT_OUT, RECORD_FOLDED, REFERENCE_DROPPED, REFERENCE_UNRESOLVED,
                                 SIZE_NEAR_CAP)

from .document import chain, write_doc
from .mapping import (EDGE_OUT, MAPPING, MEMORY_OUT, NODE_ID, NODE_OUT, OBSERVATION_OUT, PASSAGE_OUT, SESSION_OUT,
                      SMALL_OUT, SUMMARY_OUT, SYSTEM_PROMPT_OUT, native_fields)
from .split import write_parts
from .shape import (SYSTEM, hid, title_of, CAPS, DEFAULT_VERSION, EMBED_KEY, SEQ_KEY, GRAPH_EDGE_KEYS, GRAPH_NODE_KEYS, MEMORY_KEYS,
                    MEMORY_SCOPE_KEYS, OBSERVATION_KEYS, OPTIONAL_COLLECTIONS,
                    SAFE_PAYLOAD_BYTES, SESSION_KEYS, SUMMARY_KEYS, SUPPORTED_VERSIONS)


def derived_id(rid: str, n: int) -> str:
    """The id of the ``n``-th record that came with ``rid`` (:class:`memconv.uniqueids.UniqueIds`): an
    AgentMemory-shaped ``<prefix>_<hex>`` when ``rid`` has a prefix, else ``<rid>~<n>``."""
    return hid(rid.split("_", 1)[0], rid, n) if "_" in rid else suffixed(rid, n)


def _dump(obj: Any) -> bytes:
    return dumps(obj)


def _js_number(v: Any) -> Any:
    """A whole float as an int, as JavaScript's ``JSON.stringify`` writes it (``5.0`` -> ``5``): the
    canonical model's float fields (importance, confidence, weight) turn AgentMemory's ``5`` into 5.0."""
    return int(v) if isinstance(v, float) and v.is_integer() else v


def choose_version(options: WriteOptions, header: Header) -> str:
    """The ``version`` to write: ``--target-version``, else the source's when it is AgentMemory,
    else 0.9.29.

    Raises:
        UnsupportedVersion: the requested version is not in AgentMemory's allow-list.
    """
    v = options.target_version
    if v is None and header.source_system == SYSTEM and header.source_format_version in SUPPORTED_VERSIONS:
        v = header.source_format_version
    v = v or DEFAULT_VERSION
    if v not in SUPPORTED_VERSIONS:
        raise UnsupportedVersion(
            f"AgentMemory version {v!r} is not one AgentMemory imports (its importer would answer "
            f"'Unsupported export version'); supported: {SUPPORTED_VERSIONS[0]} to {SUPPORTED_VERSIONS[-1]} "
            f"except 0.7.1 and 0.7.8")
    return v



def _own_id(o: Any) -> str:
    """The id an observation read from AgentMemory is written under: its AgentMemory id (provenance),
    unique within its session there, where canonical, whose ids are unique per kind, gave an id two
    sessions share a new one (``obs_m1`` -> ``obs_m1~2``, :mod:`memconv.uniqueids`); the canonical id
    itself when it is not derived so (an id changed on purpose in a canonical file)."""
    pid = o.provenance.id if o.provenance is not None else None
    if isinstance(pid, str) and pid and o.id != pid and re.fullmatch(re.escape(pid) + r"~[0-9]+", o.id):
        return pid
    return o.id

class _Writer:
    def __init__(self, out: BinaryIO, options: WriteOptions):
        self.out = out
        self.opts = options
        self.report = options.report
        self.header = Header()
        self.source = "memconv"
        self.small: dict[str, list[Any]] = {}
        self.agents: dict[str, Agent] = {}
        self.agent_msgs: dict[str, dict[str, Any]] = {}
        self.buckets: dict[str, _Bucket] = {}
        self.obs_spool = Spool()
        self.mem_spool = Spool()
        self.sum_spool = Spool()
        self.raw: dict[str, Spool] = {}
        self.raw_handles: dict[str, Handles] = {}
        self.mem_handles = Handles()
        self.sum_handles = Handles()
        self.export_time = ""
        self.ids = UniqueIds(self.report, SYSTEM, derived_id)
        self.built: dict[str, list[Message]] = {}  # agent id -> its messages held back
        self.built_agents: dict[str, Agent] = {}
        self.edited_built: set[str] = set()  # ids of built blocks edited since (Block.edited_since_built)
        self.summary_sessions = Fingerprints()
        self.repeated_summaries: list[str] = []
        self.left_out: dict[str, int] = {}
        self._sids: dict[str, tuple[Agent, str]] = {}  # agent id -> (the agent, its session id), per message
        self._skips: dict[tuple[str, bool], frozenset[str]] = {}  # (kind, agent_id kept) -> what embed leaves out

    # ------------------------------------------------------------------ helpers

    def origin(self, rec: Base, captured: str | None, label: str | None = None) -> dict[str, Any]:
        """``{channel: "import", detail: "<system>:<label or id>", capturedAt}`` (issue: provenance)."""
        system = rec.source_system(self.source)
        src_id = rec.original_id
        return {"channel": "import", "detail": f"{system}:{label + '/' if label else ''}{src_id}",
                "capturedAt": captured or self.export_time}

    def embed(self, rec: Base, into: dict[str, Any]) -> dict[str, Any]:
        """Add the ``memconv`` key: every set canonical field AgentMemory has no field for. A message's
        ``agent_id`` rides natively as its agent's session bucket; when that agent is not in the
        stream, no session names it, so the embed keeps it."""
        keep_agent = rec.kind == "message" and rec.agent_id not in self.agents  # type: ignore[attr-defined]
        skip = self._skips.get((rec.kind, keep_agent))
        if skip is None:
            skip = native_fields(rec.kind) | {"kind"}
            skip = self._skips[(rec.kind, keep_agent)] = frozenset(skip - {"agent_id"} if keep_agent else skip)
        data = set_fields(rec, skip)
        data = {"kind": rec.kind, "id": rec.id, **{k: v for k, v in data.items() if k != "id"}}
        into[EMBED_KEY] = data
        MAPPING.account(rec, self.report, place=False)  # placed in the report's ledger by run()
        return into

    def bucket(self, sid: str) -> "_Bucket":
        b = self.buckets.get(sid)
        if b is None:
            b = self.buckets[sid] = _Bucket()
        return b

    def session_id_of(self, agent_id: str | None) -> str | None:
        if agent_id is None:
            return None
        a = self.agents.get(agent_id)
        if a is None:
            self.report.warn(f"records refer to agent {agent_id!r}, which came after them or not at all; "
                             f"its session id is derived from the id alone", REFERENCE_UNRESOLVED)
            return hid("ses", self.source, agent_id)
        known = self._sids.get(agent_id)
        if known is None or known[0] is not a:
            known = self._sids[agent_id] = (a, self.session_id(a))
        return known[1]

    def session_id(self, a: Agent) -> str:
        system = a.source_system(self.source)
        return hid("ses", system, a.name, a.id)

    def agent_name(self, agent_id: str | None) -> str | None:
        a = self.agents.get(agent_id) if agent_id else None
        return a.name if a else agent_id

    # ------------------------------------------------------------------ large records

    def message(self, m: Message) -> None:
        sid = self.session_id_of(m.agent_id) or hid("ses", self.source, "conversation", m.conversation_id)
        dt = parse_ts(m.created_at)
        ts = iso_z(dt) if dt else None
        text = m.text()
        stats = self.agent_msgs.setdefault(m.agent_id or "", {"first": None, "last": None, "prompt": None, "n": 0})
        if ts:
            stats["first"] = ts if stats["first"] is None or ts < stats["first"] else stats["first"]
            stats["last"] = ts if stats["last"] is None or ts > stats["last"] else stats["last"]
        if m.role == "user" and stats["prompt"] is None and text:
            stats["prompt"] = text
        stats["n"] += 1
        obs = {"id": self.ids.claim("observations", hid("obs", sid, m.id, m.created_at), sid),
               "sessionId": sid, "timestamp": ts or "", "type": "conversation",
               "title": title_of(text, f"{m.role}: "), "facts": [], "narrative": text,
               "concepts": ["letta:message", f"letta:role:{m.role}"], "files": [], "importance": 5}
        name = self.agent_name(m.agent_id)
        if name:
            obs["agentId"] = name
        obs["origin"] = self.origin(m, ts, name)
        self.embed(m, obs)
        bucket = self.bucket(sid)
        obs[EMBED_KEY][SEQ_KEY] = len(bucket)  # the source order, which the time order may not be (a reader puts it back)
        bucket.add(self.obs_spool.add(_dump(obs)), epoch_us(dt), conversation=True)
        self.report.wrote("agentmemory:observations")

    def observation(self, o: Any) -> None:
        if o.came_from(SYSTEM):
            ext = o.extra(SYSTEM)
            values = {k: _js_number(getattr(o, f)) for k, f in OBSERVATION_KEYS.items()}
            if "sessionId" in ext or "sessionId" in absent_keys(ext.get(ABSENT)):
                del values["sessionId"]  # the row's own sessionId differed from its bucket key, or was absent
            obj = {"id": self.ids.claim("observations", _own_id(o), o.session_id), **join(values, ext)}
        else:
            obj = OBSERVATION_OUT.fill({"id": self.ids.claim("observations", o.id, o.session_id)}, o, self)
            self.embed(o, obj)
        self.bucket(o.session_id).add(self.obs_spool.add(_dump(obj)), epoch_us(o.timestamp),
                                      conversation=not o.came_from(SYSTEM))
        self.report.wrote("agentmemory:observations")

    def memory(self, m: Any) -> None:
        self.mem_handles.append(self.mem_spool.add(_dump(self.memory_obj(m))))
        self.report.wrote("agentmemory:memories")

    def memory_obj(self, m: Any) -> dict[str, Any]:
        if m.came_from(SYSTEM) and m.kind == "memory":
            values = {k: getattr(m, f) for k, f in MEMORY_KEYS.items()}
            values.update({k: getattr(m.scope, f) for k, f in MEMORY_SCOPE_KEYS.items()})
            return {"id": self.ids.claim("memories", m.id), **join(values, m.extra(SYSTEM))}
        passage = m.kind == "passage"
        name = self.agent_name(m.scope.agent_id) if passage else m.scope.agent_id
        obj = {"id": self.ids.claim("memories", hid("mem", m.source_system(self.source), m.kind, m.id, name))}
        return self.embed(m, (PASSAGE_OUT if passage else MEMORY_OUT).fill(obj, m, self))

    def summary(self, s: Any) -> None:
        if s.came_from(SYSTEM):
            obj = join({k: getattr(s, f) for k, f in SUMMARY_KEYS.items()}, s.extra(SYSTEM))
        else:
            obj = self.embed(s, SUMMARY_OUT.fill({}, s, self))
        sid = obj.get("sessionId")
        if isinstance(sid, str) and not self.summary_sessions.add(sid):
            # AgentMemory keys summaries by session (kv.set(KV.summaries, sessionId)): the last one wins
            self.report.lost("summary", "*", "AgentMemory keeps one summary per session (the last one "
                                             "imported); an earlier summary of the same session is replaced")
            self.repeated_summaries.append(sid)
        self.sum_handles.append(self.sum_spool.add(_dump(obj)))
        self.report.wrote("agentmemory:summaries")

    def graph(self, r: Any) -> None:
        if r.kind == "entity":
            coll = "graphNodes"
            if r.came_from(SYSTEM):
                obj = {"id": self.ids.claim("graphNodes", r.id),
                       **join({k: getattr(r, f) for k, f in GRAPH_NODE_KEYS.items()}, r.extra(SYSTEM))}
            else:
                obj = NODE_OUT.fill({"id": self.ids.claim("graphNodes", NODE_ID.fn(r.source_system(""), r.id))}, r, self)
                self.embed(r, obj)
        else:
            coll = "graphEdges"
            if r.came_from(SYSTEM):
                obj = {"id": self.ids.claim("graphEdges", r.id),
                       **join({k: _js_number(getattr(r, f)) for k, f in GRAPH_EDGE_KEYS.items()},
                                          r.extra(SYSTEM))}
            else:
                obj = EDGE_OUT.fill({"id": self.ids.claim("graphEdges", hid("ge", r.source_system(""), r.id))}, r, self)
                self.embed(r, obj)
        self.add_raw(coll, obj)

    def add_raw(self, coll: str, obj: Any) -> None:
        sp = self.raw.setdefault(coll, Spool())
        self.raw_handles.setdefault(coll, Handles()).append(sp.add(_dump(obj)))
        self.report.wrote(f"agentmemory:{coll}")

    # ------------------------------------------------------------------ small records, at the end

    def small_memories(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        users: dict[str, list[Agent]] = {}
        for a in self.agents.values():
            for ref in a.block_ids + a.tool_ids + a.source_ids + a.group_ids:
                users.setdefault(ref, []).append(a)

        def mem(rec: Base, key: str, table: Any, agents: list[Agent] | None = None, embed: bool = True) -> None:
            agents = agents if agents is not None else users.get(rec.id, [])
            obj = {"id": self.ids.claim("memories", hid("mem", rec.source_system(self.source), rec.kind, key))}
            table.fill(obj, rec, (self, agents))
            out.append(self.embed(rec, obj) if embed else obj)

        for a in self.agents.values():
            if a.system:
                mem(a, f"{a.id}/{a.name}/system", SYSTEM_PROMPT_OUT, agents=[a], embed=False)
        for b in self.small.get("block", []):
            owners = users.get(b.id, [])
            mem(b, f"{owners[0].name if owners else ''}/{b.label}/{b.id}", SMALL_OUT["block"])
        for t in self.small.get("tool", []):
            mem(t, f"{t.id}/{t.name or ''}", SMALL_OUT["tool"])
        for s in self.small.get("source", []):
            mem(s, f"{s.id}/{s.name}", SMALL_OUT["source"])
        for f in self.small.get("file", []):
            mem(f, f"{f.source_id}/{f.id}/{f.file_name or ''}", SMALL_OUT["file"], agents=users.get(f.source_id or "", []))
        for s in self.small.get("skill", []):
            mem(s, f"{s.id}/{s.name}", SMALL_OUT["skill"])
        for m in self.small.get("mcp_server", []):
            mem(m, f"{m.id}/{m.server_name}", SMALL_OUT["mcp_server"])
        for g in self.small.get("group", []):
            members = [self.agents[i] for i in g.agent_ids if i in self.agents]
            mem(g, g.id + "/" + ",".join(a.name for a in members), SMALL_OUT["group"], agents=members or None)
        return out

    def sessions(self) -> list[dict[str, Any]]:
        out = []
        for a in self.agents.values():
            sid = self.session_id(a)
            stats = self.agent_msgs.get(a.id, {})
            started = stats.get("first") or to_iso_z(a.created_at) or self.export_time
            model = a.model or (a.llm_config or {}).get("handle") or (a.llm_config or {}).get("model")
            obj: dict[str, Any] = {"id": self.ids.claim("sessions", sid), "project": a.name, "cwd": "", "startedAt": started,
                                   "status": "completed", "observationCount": len(self.buckets.get(sid, []))}
            if stats.get("last"):
                obj["endedAt"] = stats["last"]
            if model:
                obj["model"] = model
            if a.tags:
                obj["tags"] = list(a.tags)
            if stats.get("prompt"):
                obj["firstPrompt"] = stats["prompt"][:500]
            if a.description:
                obj["summary"] = a.description
            obj["agentId"] = a.name
            self.embed(a, obj)
            for f in ("system", "description"):  # native only when set: an empty one rides in the embed
                if getattr(a, f) == "":
                    obj[EMBED_KEY][f] = ""
            out.append(obj)
        for s in self.small.get("session", []):
            if s.came_from(SYSTEM):
                obj = {"id": self.ids.claim("sessions", s.id),
                       **join({k: getattr(s, f) for k, f in SESSION_KEYS.items()}, s.extra(SYSTEM))}
            else:
                obj = self.embed(s, SESSION_OUT.fill({"id": self.ids.claim("sessions", s.id)}, s, self))
            out.append(obj)
        return out

    # ------------------------------------------------------------------ run

    def run(self, items: Iterable[Any]) -> None:
        it = iter(items)
        self.header = next(it)
        self.source = self.header.source_system or "memconv"
        version = choose_version(self.opts, self.header)
        # the input's own export time first; --timestamp only when it carries none (WriteOptions.timestamp)
        if self.header.source_system == SYSTEM and self.header.exported_at:
            self.export_time = self.header.exported_at
        else:
            self.export_time = to_iso_z(self.header.exported_at) or self.opts.timestamp or now_iso_z()
        self.report.info["target"] = {"format": "agentmemory", "version": version}
        for rec in it:
            kind = rec.kind
            if kind == "agent" and rec.built_by_memconv() and self.edited_built.isdisjoint(rec.block_ids):
                self.built[rec.id] = []
                self.built_agents[rec.id] = rec
                continue
            if kind == "message" and rec.agent_id in self.built:
                if rec.role == "system":
                    self.built[rec.agent_id].append(rec)
                    continue
                self.promote(rec.agent_id)  # a conversation of its own: a real agent, written as one
            if kind == "block" and rec.edited_since_built():  # the user's own words since: its agent is kept
                self.edited_built.add(rec.id)  # (an agent that comes later: not held back as built)
                for agent_id in [a for a, agent in self.built_agents.items() if rec.id in agent.block_ids]:
                    self.promote(agent_id)
            if kind == "agent":
                self.agents[rec.id] = rec
            elif kind in ("group", "block", "tool", "source", "file", "mcp_server", "skill", "session"):
                self.small.setdefault(kind, []).append(rec)
            elif kind == "message":
                self.message(rec)
            elif kind == "observation":
                self.observation(rec)
            elif kind in ("memory", "passage"):
                self.memory(rec)
            elif kind == "summary":
                self.summary(rec)
            elif kind in ("entity", "relation"):
                self.graph(rec)
            elif kind == "raw" and rec.system == SYSTEM and rec.collection in OPTIONAL_COLLECTIONS:
                self.add_raw(rec.collection, rec.data)
            elif kind == "raw":
                self.report.lost("raw", f"{rec.system}:{rec.collection}",
                                 f"AgentMemory has no place for {rec.system} {rec.collection} records")
                self.report.place("raw", "lost")
                continue
            else:
                MAPPING.account(rec, self.report)
                continue
            self.report.place(kind, "native")
        try:
            self.finish(version)
        finally:
            for sp in (self.obs_spool, self.mem_spool, self.sum_spool, *self.raw.values()):
                sp.close()

    def promote(self, agent_id: str) -> None:
        """An agent memconv built that has a conversation of its own, or a block edited (used in Letta
        since: :meth:`memconv.model.Block.edited_since_built`): written as any agent, with the system
        messages held back for it."""
        held = self.built.pop(agent_id)
        agent = self.built_agents.pop(agent_id)
        self.agents[agent_id] = agent
        self.report.place("agent", "native")
        for m in held:
            self.message(m)
            self.report.place("message", "native")

    def leave_out(self, rec: Base) -> None:
        """Leave out a record of memconv's own scaffolding (an agent it built around archival records
        when it wrote a Letta file, and its blocks and system message): the source never had it.
        Counted ``filtered`` in the ledger, with one warning at the end."""
        self.left_out[rec.kind] = self.left_out.get(rec.kind, 0) + 1
        self.report.filter(rec.kind)

    def finish(self, version: str) -> None:
        if self.repeated_summaries:
            shown = ", ".join(repr(x) for x in self.repeated_summaries[:3])
            more = f" and {len(self.repeated_summaries) - 3} more" if len(self.repeated_summaries) > 3 else ""
            self.report.warn(f"agentmemory: {len(self.repeated_summaries)} session(s) have more than one summary "
                             f"({shown}{more}); AgentMemory keeps the last one of each, so the earlier ones are "
                             f"reported lost", RECORD_FOLDED)
        if self.built:
            for agent_id, held in self.built.items():
                self.leave_out(self.built_agents[agent_id])
                for m in held:
                    self.leave_out(m)
            built_blocks = {b for a in self.built_agents.values() for b in a.block_ids}
            owned = {b for a in self.agents.values() for b in a.block_ids}
            blocks = self.small.get("block", [])
            for b in [b for b in blocks if b.id not in owned and b.id in built_blocks]:
                blocks.remove(b)
                self.leave_out(b)
                self.report.unplace("block", "native")
            what = ", ".join(f"{n} {k}(s)" for k, n in sorted(self.left_out.items()))
            self.report.warn(f"agentmemory: left out {what} that memconv built when it wrote a Letta file (tag "
                             f"memconv: an agent around archival records, its blocks and system message); the "
                             f"source had none of them", BUILT_RECORD_LEFT_OUT)
        small_mems = self.small_memories()
        sessions = self.sessions()
        self.ids.finish()
        self.report.wrote("agentmemory:sessions", len(sessions))
        self.report.wrote("agentmemory:memories", len(small_mems))
        counts = {"MAX_SESSIONS": len(sessions), "MAX_MEMORIES": len(small_mems) + len(self.mem_handles),
                  "MAX_SUMMARIES": len(self.sum_handles), "MAX_OBS_BUCKETS": len(self.buckets),
                  "MAX_OBS_PER_SESSION": max((len(v) for v in self.buckets.values()), default=0),
                  "MAX_TOTAL_OBSERVATIONS": sum(len(v) for v in self.buckets.values()),
                  "MAX_ACCESS_LOGS": len(self.raw_handles.get("accessLogs", []))}
        self.report.info["caps"] = counts
        session_blobs = {s["id"]: _dump(s) for s in sessions}
        mem_blobs = [_dump(m) for m in small_mems]
        self.check_access_logs(small_mems)
        split = bool(self.opts.extra.get("split"))
        # the source document's top-level fields: an AgentMemory source's go back (not into parts)
        account_header(self.header, self.report, "agentmemory", kept=() if split else (SYSTEM,))
        if split:
            write_parts(self, version, session_blobs, mem_blobs)
            return
        if self.opts.extra.get("check_caps", True):
            for cap, n in counts.items():
                if n > CAPS[cap]:
                    raise LimitExceeded(
                        f"AgentMemory caps {cap} at {CAPS[cap]} and this output has {n}; AgentMemory would "
                        f"refuse the import. Write it in parts with --split -o OUT.json, or select less "
                        f"(--agent, --exclude)")
        write_doc(self.out, version, self.export_time, list(session_blobs.values()),
                   ((sid, self.obs_spool.all(b.ordered())) for sid, b in self.buckets.items()),
                   chain(mem_blobs, self.mem_spool.all(self.mem_handles)),
                   self.sum_spool.all(self.sum_handles),
                   {c: self.raw[c].all(h) for c, h in self.raw_handles.items()},
                   top=self.header.extras.get(SYSTEM))  # also when it came back through another format
        self.check_payload()

    def check_payload(self) -> None:
        """Warn when the document is over what AgentMemory takes in one import request (~15 MiB, its
        engine's 16 MiB frame cap): ``--split`` writes parts that fit."""
        try:
            size = self.out.tell()
        except (OSError, AttributeError, ValueError):
            return
        if size > SAFE_PAYLOAD_BYTES:
            self.report.warn(f"agentmemory: the output is {size / 2 ** 20:.1f} MiB, over the ~15 MiB AgentMemory "
                             f"takes in one import request; write it with --split (parts that fit), or import it "
                             f"by another route", SIZE_NEAR_CAP)

    def check_access_logs(self, small_mems: list[dict[str, Any]]) -> None:
        """Warn of access logs whose ``memoryId`` is no memory of this output: ``mem::import`` (0.9.29)
        keeps an access log only when its memory is in the same import, and drops the others in silence
        (AgentMemory's own export may hold such logs, keyed by an observation id)."""
        handles = self.raw_handles.get("accessLogs")
        if not handles:
            return
        ids = {m.get("id") for m in small_mems}
        ids |= {orjson.loads(b).get("id") for b in self.mem_spool.all(self.mem_handles)}
        rows = [orjson.loads(b) for b in self.raw["accessLogs"].all(handles)]
        orphans = [r.get("memoryId") if isinstance(r, dict) else None for r in rows]
        orphans = [m for m in orphans if isinstance(m, (list, dict)) or m not in ids]  # a list names no memory
        if orphans:
            self.report.warn(f"accessLogs: {len(orphans)} of {len(rows)} name no memory of this output (first: "
                             f"{orphans[0]!r}); AgentMemory's importer keeps an access log only with its memory "
                             f"in the same import and drops these", REFERENCE_DROPPED)


class _Bucket:
    """One session's observations: spool handles and their times, in machine-integer arrays.

    Observations are written in conversation order (issue 11.3): by time, then in the order they came.
    A record without a time takes the time of the one before it, so it stays after it. A bucket of
    AgentMemory's own observations only keeps their order as read (its export lists them in its own
    key order, and an AgentMemory -> AgentMemory run gives the file back); a bucket that holds any
    message or another system's observation is sorted.
    """

    __slots__ = ("keys", "handles", "last", "sort")

    def __init__(self) -> None:
        self.keys = array("q")
        self.handles = Handles()
        self.last = EARLIEST
        self.sort = False

    def add(self, handle: tuple[int, int], us: int | None, conversation: bool) -> None:
        """Add one observation's spool ``handle``, its time (``us``, microseconds since 1970, None: none) and whether
        it is a conversation record to be put in time order."""
        if us is not None:
            self.last = us
        self.keys.append(self.last)
        self.handles.append(handle)
        self.sort = self.sort or conversation

    def __len__(self) -> int:
        return len(self.keys)

    def ordered(self) -> Iterable[tuple[int, int]]:
        """Handles in conversation order (time, then arrival), or in arrival order (see the class)."""
        keys = self.keys
        if not self.sort or all(keys[i] <= keys[i + 1] for i in range(len(keys) - 1)):
            return iter(self.handles)
        return (self.handles[i] for i in sorted(range(len(keys)), key=keys.__getitem__))


def write_export(items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
    """Write ``items`` (header, records) as one ``ExportData`` document to ``out``.

    Raises:
        UnsupportedVersion: ``--target-version`` outside AgentMemory's allow-list.
        LimitExceeded: over one of AgentMemory's import caps (nothing is written).
    """
    _Writer(out, options).run(items)


__all__ = ["write_export", "choose_version", "hid", "SAFE_PAYLOAD_BYTES", "parse_ts"]
