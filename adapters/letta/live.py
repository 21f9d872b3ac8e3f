"""A running Letta server: pull agents from it, push agents into it, list what it holds.

REST endpoints of letta 0.16.x (``shared/formats/letta-af.md`` sections 5 and 7), all under ``/v1``:

**Pull** (``letta+http://HOST:PORT`` = every agent, ``.../agents/AGENT_ID`` = one):

1. ``GET /agents/`` (paged with ``after``/``limit``, oldest first) or ``GET /agents/{id}``.
2. ``GET /agents/{id}/export`` for each agent: the ``.af`` document, read by the Letta reader
   (:func:`memconv.adapters.letta.read_document`). Several agents make one document: each export's
   file-local ids (``agent-0``, ``block-3``...) are renumbered to stay unique, tools, MCP servers,
   sources and skills the exports share are kept once, and an agent an earlier export already
   carried (a member of a multi-agent group is exported with its group) is not exported again.
3. ``GET /agents/{id}/archival-memory`` (paged), so archival passages come along; each becomes a
   :class:`~memconv.model.Passage` whose ``scope.agent_id`` is the agent's id in the document.
4. With ``--all-messages``, ``GET /agents/{id}/messages`` (paged, oldest first) for the whole history.
   **Decision:** the export's messages are kept as they are (they are Letta's own ``MessageSchema``,
   exact, and they are the context window: the export's ``in_context_message_ids[i]`` is the server's
   ``message_ids[i]``); the history adds only the messages whose server id is not in the agent's
   ``message_ids``, converted from the REST ``LettaMessage`` view (``system_message``,
   ``user_message``, ``assistant_message``, ``reasoning_message``, ``tool_call_message``,
   ``tool_return_message``...; the parts of one stored message, which share its id, become one
   canonical message) with ``in_context`` false. All messages are then ordered by time. The REST
   view is not the stored form: user text comes unwrapped from Letta's JSON envelope, and the tool
   return of ``send_message`` is not listed; a warning says so.

**Push** (``-o letta+http://HOST:PORT``; ``-o .../agents/ID`` merges into, replaces or skips that
agent): the stream is written with the Letta writer into a temporary ``.af`` and its passages
sidecar, then ``POST /agents/import`` (multipart, ``append_copy_suffix=false`` so names stay,
``override_existing_tools=false`` so tools other agents of the server use are not rewritten, and
``model``/``embedding``/``secrets`` from ``--model``/``--embedding``/``--secrets FILE``), then one
``POST /agents/{id}/archival-memory`` (``{text, tags, created_at}``) per passage.

Agents of the input are matched with the server's by name. **Strategies on a live Letta:**

* none: an agent whose name exists stops the push before anything is written (exit 8);
* ``skip``: such an agent is left as it is, and nothing of the input's is written for it;
* ``replace``: the input's agent is imported and its passages added, then the old one(s) of that name
  are deleted (in this order, so a failed import, a passage the server refuses or a signal half-way
  loses nothing: the old agent is there until the new one is whole);
* ``merge``: the existing agent's blocks are updated by label (value, limit, description, read-only
  through ``PATCH /agents/{id}/core-memory/blocks/{label}``; identical blocks are left alone; missing
  labels are created with ``POST /blocks/`` and attached), and the passages it lacks are added
  (matched by text, counting repeats); its other settings and its messages are not changed (Letta
  has no endpoint to add stored messages to an agent), which a warning says.

The plan (``--dry-run``) is computed from the same reads as the real run, so the counts agree. When the
server fails part-way, :class:`~memconv.errors.PartialWrite` (exit 10) says what was written; running
the same command again with ``--strategy merge`` adds only what is missing (blocks by label,
passages by text), so a retry leaves no duplicates.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from typing import Any, Iterable, Iterator

import orjson

from memconv.errors import DestinationExists, MemconvError, RemoteError, UsageError
from memconv.format import ReadOptions, WriteOptions
from memconv.model import Message, Provenance
from memconv.remote import RemoteURL, WriteLog, check_loss, note, staging_options
from memconv.strategies import Plan
from memconv.timeutil import parse_ts
from memconv.logmessages import COUNT_MISMATCH, INCOMPLETE_INPUT, RECORD_DROPPED

from .client import LettaAPI, connect
from .reader import passage_from_letta
from .shape import ID_RE, SYSTEM, sidecar_path

_FREE_TEXT = frozenset({"content", "text", "value", "system", "source_code", "description", "instructions",
                        "reasoning", "tool_return", "func_response", "stdout", "stderr", "arguments"})
"""Keys whose values are free text, never ids: left alone when ids are renumbered."""


# ---------------------------------------------------------------- documents


def _ids_of(doc: dict[str, Any]) -> set[str]:
    ids: set[str] = set()
    for key in ("agents", "groups", "blocks", "files", "sources", "tools", "mcp_servers"):
        for e in doc.get(key) or []:
            if isinstance(e, dict) and isinstance(e.get("id"), str):
                ids.add(e["id"])
    for a in doc.get("agents") or []:
        for m in (a.get("messages") or []) if isinstance(a, dict) else []:
            if isinstance(m, dict) and isinstance(m.get("id"), str):
                ids.add(m["id"])
    return ids


def _rewrite(obj: Any, mapping: dict[str, str]) -> Any:
    """``obj`` with every string equal to a key of ``mapping`` replaced (free-text keys left alone)."""
    if isinstance(obj, str):
        return mapping.get(obj, obj)
    if isinstance(obj, list):
        return [_rewrite(v, mapping) for v in obj]
    if isinstance(obj, dict):
        return {k: (v if k in _FREE_TEXT else _rewrite(v, mapping)) for k, v in obj.items()}
    return obj


class _Combined:
    """Several exports made into one ``AgentFileSchema`` document (see the module docstring)."""

    DEDUP = (("tools", "name"), ("mcp_servers", "server_name"))

    def __init__(self) -> None:
        self.doc: dict[str, Any] | None = None
        self.next: dict[str, int] = {}
        self.by_name: dict[str, dict[str, str]] = {k: {} for k, _ in self.DEDUP}

    def add(self, doc: dict[str, Any]) -> dict[str, str]:
        """Fold ``doc`` in; return its agent ids -> their ids in the combined document."""
        old_agents = [a["id"] for a in doc.get("agents") or [] if isinstance(a, dict) and "id" in a]
        mapping: dict[str, str] = {}
        if self.doc is not None:
            dropped: set[str] = set()
            for key, field in self.DEDUP:
                for e in doc.get(key) or []:
                    if isinstance(e, dict) and e.get(field) in self.by_name[key]:
                        mapping[e["id"]] = self.by_name[key][e[field]]
                        dropped.add(e["id"])
            for old in sorted(_ids_of(doc) - set(mapping)):
                m = ID_RE.match(old)
                if m:
                    mapping[old] = f"{m.group(1)}-{int(m.group(2)) + self.next.get(m.group(1), 0)}"
            doc = {k: ([e for e in v if not (isinstance(e, dict) and e.get("id") in dropped)]
                       if isinstance(v, list) else v) for k, v in doc.items()}
            doc = _rewrite(doc, mapping)
        for new in _ids_of(doc):
            m = ID_RE.match(new)
            if m:
                self.next[m.group(1)] = max(self.next.get(m.group(1), 0), int(m.group(2)) + 1)
        for key, field in self.DEDUP:
            for e in doc.get(key) or []:
                if isinstance(e, dict) and isinstance(e.get(field), str):
                    self.by_name[key].setdefault(e[field], e["id"])
        if self.doc is None:
            self.doc = doc
        else:
            for key in ("agents", "groups", "blocks", "files", "sources", "tools", "mcp_servers"):
                self.doc.setdefault(key, []).extend(doc.get(key) or [])
            names = {s.get("name") for s in self.doc.get("skills") or [] if isinstance(s, dict)}
            for s in doc.get("skills") or []:
                if isinstance(s, dict) and s.get("name") not in names:
                    self.doc.setdefault("skills", []).append(s)
        return {old: mapping.get(old, old) for old in old_agents}


# ---------------------------------------------------------------- REST messages -> canonical


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if isinstance(content, list):
        return [p if isinstance(p, dict) else {"type": "text", "text": str(p)} for p in content]
    return []


def message_from_rest(group: list[dict[str, Any]], agent_id: str) -> Message:
    """One canonical :class:`Message` from the REST ``LettaMessage`` items of one stored message
    (they share its ``id``): text, reasoning, tool calls and tool returns as Letta stores them."""
    first = group[0]
    types = [g.get("message_type") for g in group]
    content: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []
    tool_returns: list[dict[str, Any]] = []
    tool_call_id = None
    name = None
    for g in group:
        t = g.get("message_type")
        if t in ("system_message", "user_message", "assistant_message"):
            content += _parts(g.get("content"))
        elif t == "reasoning_message":
            content.append({"type": "reasoning", "is_native": True, "reasoning": g.get("reasoning") or "",
                            "signature": g.get("signature")})
        elif t == "hidden_reasoning_message":
            content.append({"type": "redacted_reasoning", "data": g.get("hidden_reasoning") or ""})
        elif t in ("tool_call_message", "approval_request_message"):
            calls = g.get("tool_calls") or ([g["tool_call"]] if isinstance(g.get("tool_call"), dict) else [])
            for c in calls:
                if isinstance(c, dict):
                    tool_calls.append({"id": c.get("tool_call_id"), "type": "function",
                                       "function": {"name": c.get("name"), "arguments": c.get("arguments") or ""}})
        elif t == "tool_return_message":
            text = g.get("tool_return")
            content.append({"type": "text", "text": text if isinstance(text, str) else json.dumps(text)})
            tool_call_id = g.get("tool_call_id")
            name = g.get("name")
            tool_returns.append({"tool_call_id": tool_call_id, "status": g.get("status") or "success",
                                 "stdout": g.get("stdout"), "stderr": g.get("stderr"),
                                 "func_response": text if isinstance(text, str) else json.dumps(text)})
        else:  # a message type memconv does not know: its JSON as text, nothing dropped silently
            content.append({"type": "text", "text": json.dumps({k: v for k, v in g.items() if k != "id"})})
    if "tool_return_message" in types:
        role = "tool"
    elif "system_message" in types:
        role = "system"
    elif "user_message" in types:
        role = "user"
    else:
        role = "assistant"
    extras: dict[str, Any] = {"$message_types": types}
    for k in ("otid", "sender_id"):
        if first.get(k) is not None:
            extras[k] = first[k]
    return Message(id=first["id"], agent_id=agent_id, role=role, content=content, name=name,
                   tool_calls=tool_calls or None, tool_call_id=tool_call_id, tool_returns=tool_returns or None,
                   created_at=first.get("date"), in_context=False,
                   provenance=Provenance(system=SYSTEM, id=first["id"], variant="rest_message"),
                   extras={SYSTEM: extras})


def _history(api: LettaAPI, db_id: str, in_context: set[str], local: str) -> tuple[list[Message], dict[str, int]]:
    """The messages outside the context window, and the position of every listed message id (the
    server's order, oldest first)."""
    out: list[Message] = []
    order: dict[str, int] = {}
    group: list[dict[str, Any]] = []
    listed_calls: set[Any] = set()
    for m in api.messages(db_id):
        if not isinstance(m, dict) or not isinstance(m.get("id"), str):
            continue
        order.setdefault(m["id"], len(order))
        if m.get("message_type") in ("tool_call_message", "approval_request_message"):
            calls = m.get("tool_calls") or ([m["tool_call"]] if isinstance(m.get("tool_call"), dict) else [])
            listed_calls.update(c.get("tool_call_id") for c in calls if isinstance(c, dict))
        if m["id"] in in_context:
            continue
        if m.get("message_type") == "tool_return_message" and m.get("tool_call_id") not in listed_calls:
            continue  # the return of a call shown as an assistant_message (send_message), listed by accident
        if group and group[0]["id"] != m["id"]:
            out.append(message_from_rest(group, local))
            group = []
        group.append(m)
    if group:
        out.append(message_from_rest(group, local))
    return out, order


# ---------------------------------------------------------------- pull


def _wanted(states: list[dict[str, Any]], only: list[str]) -> list[dict[str, Any]]:
    if not only:
        return states
    keep = set(only)
    return [s for s in states if s.get("id") in keep or s.get("name") in keep]


def pull(url: RemoteURL, options: ReadOptions) -> Iterator[Any]:
    """Yield the canonical stream of the agent(s) at ``url`` (see the module docstring).

    Raises:
        RemoteError: the server is unreachable, refuses the token, or has no such agent.
    """
    from . import read_document

    report = options.report
    extra = options.extra
    skip = set(extra.get("skip_kinds") or ())
    api = connect(url, options, "source")
    try:
        if url.agent_id:
            states = [api.agent(url.agent_id)]
        else:
            states = _wanted(api.agents(), list(extra.get("only_agents") or ()))
        note(options, f"letta: {len(states)} agent(s) at {url.display}")
        combined = _Combined()
        covered: set[str] = set()
        owners: list[tuple[str, str, dict[str, Any]]] = []  # (local id, server id, AgentState)
        for i, st in enumerate(states):
            if st["id"] in covered:
                continue
            note(options, f"letta: exporting agent {i + 1}/{len(states)} {st.get('name')!r}")
            doc = api.export(st["id"])
            members = _group_members(api, st)
            amap = combined.add(doc)
            local_agents = [a for a in doc.get("agents") or [] if isinstance(a, dict)]
            for j, a in enumerate(local_agents):
                if j == 0:
                    server = st
                else:
                    named = [m for m in members if m.get("name") == a.get("name")]
                    if len(named) != 1:
                        report.warn(f"{url.display}: agent {a.get('name')!r} came with {st.get('name')!r}'s group "
                                    f"export and cannot be told apart by name; its passages are not pulled",
                                    INCOMPLETE_INPUT)
                        continue
                    server = named[0]
                covered.add(server["id"])
                owners.append((amap[a["id"]], server["id"], server))
        doc = combined.doc or {"agents": [], "groups": [], "blocks": [], "files": [], "sources": [], "tools": [],
                               "mcp_servers": []}
        messages: list[Any] = []
        context: dict[str, list[str]] = {}
        for rec in read_document(doc, url.display, report):
            kind = getattr(rec, "kind", None)
            if kind == "message":
                messages.append(rec)
                continue
            if kind == "agent":
                context[rec.id] = list(rec.in_context_message_ids)
            yield rec
        if "passage" not in skip:
            for local, server_id, st in owners:
                n = 0
                for n, p in enumerate(api.passages(server_id), 1):
                    yield passage_from_letta(p, url.display, f"agents/{server_id}/archival-memory[{n - 1}]",
                                             None, agent_id=local)
                note(options, f"letta: {n} passage(s) of {st.get('name')!r}")
        if extra.get("all_messages") and "message" not in skip:
            total = 0
            for local, server_id, st in owners:
                server_ctx = list(st.get("message_ids") or ())
                try:
                    h, order = _history(api, server_id, set(server_ctx), local)
                except RemoteError as e:  # a server bug in one agent's listing: keep its context window
                    report.warn(f"{url.display}: the message history of {st.get('name')!r} cannot be listed "
                                f"({e.message}); only its context window is pulled", INCOMPLETE_INPUT)
                    continue
                note(options, f"letta: {len(h)} message(s) of {st.get('name')!r} outside the context window")
                total += len(h)
                file_to_server = dict(zip(context.get(local, []), server_ctx))
                messages = _in_server_order(messages, h, local, file_to_server, order)
            if total:
                report.warn(f"{url.display}: {total} message(s) outside the context window come from the "
                            f"REST message list, not Letta's stored form: user text unwrapped from its JSON "
                            f"envelope, send_message tool returns not listed", INCOMPLETE_INPUT)
        yield from messages
    finally:
        api.close()


def _group_members(api: LettaAPI, st: dict[str, Any]) -> list[dict[str, Any]]:
    g = st.get("multi_agent_group")
    if not isinstance(g, dict):
        return []
    ids = [x for x in [*(g.get("agent_ids") or []), g.get("manager_agent_id")] if isinstance(x, str) and x != st["id"]]
    out = []
    for x in dict.fromkeys(ids):
        try:
            out.append(api.agent(x))
        except RemoteError:
            continue
    return out


def _in_server_order(messages: list[Any], history: list[Message], local: str, file_to_server: dict[str, str],
                     order: dict[str, int]) -> list[Any]:
    """``messages`` with agent ``local``'s exported messages and its ``history`` merged in the server's
    order (the REST listing); an exported message the listing does not show keeps its place after the
    one before it. Other agents' messages stay where they are."""
    mine = [m for m in messages if m.agent_id == local]
    if not mine and not history:
        return messages
    keyed: list[tuple[float, int, Any]] = []
    last = -1.0
    for i, m in enumerate(mine):
        pos = order.get(file_to_server.get(m.id, ""))
        last = float(pos) if pos is not None else last + 1e-6
        keyed.append((last, i, m))
    for j, m in enumerate(history):
        keyed.append((float(order.get(m.id, len(order) + j)), len(mine) + j, m))
    keyed.sort(key=lambda k: (k[0], k[1]))
    merged = iter([m for _, _, m in keyed])
    out: list[Any] = []
    placed = False
    for m in messages:
        if m.agent_id == local:
            if not placed:
                out.extend(merged)
                placed = True
            continue
        out.append(m)
    if not placed:
        out.extend(merged)
    return out


# ---------------------------------------------------------------- list


def list_remote(url: RemoteURL, options: ReadOptions) -> list[dict[str, Any]]:
    """One row per agent: id, name, blocks, in-context and total (REST-listed) messages, passages."""
    api = connect(url, options, "source")
    try:
        states = [api.agent(url.agent_id)] if url.agent_id else api.agents()
        rows = []
        for st in states:
            row: dict[str, Any] = {"id": st.get("id"), "name": st.get("name"),
                                   "blocks": len(st.get("blocks") or (st.get("memory") or {}).get("blocks") or []),
                                   "messages_in_context": len(st.get("message_ids") or [])}
            errors = []
            for key, listing in (("messages", api.messages), ("passages", api.passages)):
                try:  # one agent the server cannot list must not hide the others
                    row[key] = len({m.get("id") for m in listing(st["id"]) if isinstance(m, dict)})
                except RemoteError as e:
                    row[key] = None
                    errors.append(e.message)
            if errors:
                row["error"] = "; ".join(errors)
            rows.append(row)
        return rows
    finally:
        api.close()


# ---------------------------------------------------------------- push


class _Target:
    """One agent of the file being pushed, and what happens to it."""

    def __init__(self, agent: dict[str, Any], blocks: list[dict[str, Any]], passages: list[dict[str, Any]]):
        self.agent = agent
        self.local = agent["id"]
        self.name = agent.get("name") or agent["id"]
        self.blocks = blocks
        self.passages = passages
        self.existing: list[dict[str, Any]] = []
        self.action = "new"
        self.server_id: str | None = None
        self.block_ops: list[tuple[str, dict[str, Any]]] = []  # ("update"|"insert", block)
        self.passage_ops: list[dict[str, Any]] = []
        self.existing_passages = 0


_BLOCK_FIELDS = ("value", "limit", "description", "read_only")


def _block_body(b: dict[str, Any]) -> dict[str, Any]:
    body = {k: b.get(k) for k in _BLOCK_FIELDS if k in b}
    if body.get("read_only") is None:
        body["read_only"] = False
    if body.get("value") is None:
        body["value"] = ""
    return {k: v for k, v in body.items() if v is not None or k == "description"}


def _same_block(new: dict[str, Any], old: dict[str, Any]) -> bool:
    return all(_norm(new.get(k), k) == _norm(old.get(k), k) for k in _BLOCK_FIELDS
               if k in new and not (k == "limit" and new.get(k) is None))


def _norm(v: Any, k: str) -> Any:
    if k == "read_only":
        return bool(v)
    if k in ("value",):
        return v or ""
    return v


def _load_secrets(extra: dict[str, Any]) -> dict[str, str] | None:
    secrets = extra.get("tool_secrets")
    path = extra.get("secrets_file")
    if path:
        try:
            with open(path, "rb") as f:
                secrets = orjson.loads(f.read())
        except OSError as e:
            raise UsageError(f"--secrets {path}: {e.strerror or e}") from None
        except orjson.JSONDecodeError as e:
            raise UsageError(f"--secrets {path}: not JSON ({e})") from None
    if secrets is None:
        return None
    if not isinstance(secrets, dict) or not all(isinstance(v, str) for v in secrets.values()):
        raise UsageError("--secrets: expected a JSON object of KEY: \"value\" strings")
    from memconv.transport import register_secret

    for v in secrets.values():
        register_secret(v)
    return secrets


def _subset(doc: dict[str, Any], keep: set[str], report: Any) -> dict[str, Any]:
    """The document with only the agents in ``keep`` and what they reference."""
    out = dict(doc)
    agents = [a for a in doc["agents"] if a["id"] in keep]
    out["agents"] = agents
    groups = []
    for g in doc.get("groups") or []:
        members = set(g.get("agent_ids") or []) | {(g.get("manager_config") or {}).get("manager_agent_id")} - {None}
        if members <= keep:
            groups.append(g)
        elif members & keep:
            report.warn(f"letta: group {g.get('id')} is left out: some of its agents are skipped or merged",
                        RECORD_DROPPED)
    gids = {g["id"] for g in groups}
    out["groups"] = groups
    for a in agents:
        if a.get("group_ids"):
            a["group_ids"] = [x for x in a["group_ids"] if x in gids]
    used = {k: set() for k in ("block_ids", "tool_ids", "source_ids")}
    for a in agents:
        for k in used:
            used[k].update(a.get(k) or [])
    for g in groups:
        used["block_ids"].update(g.get("shared_block_ids") or [])
    out["blocks"] = [b for b in doc.get("blocks") or [] if b["id"] in used["block_ids"]]
    out["tools"] = [t for t in doc.get("tools") or [] if t["id"] in used["tool_ids"]]
    out["sources"] = [s for s in doc.get("sources") or [] if s["id"] in used["source_ids"]]
    out["files"] = [f for f in doc.get("files") or [] if f.get("source_id") in used["source_ids"]]
    return out


def _passage_body(line: dict[str, Any], report: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"text": line.get("text") or ""}
    if line.get("tags"):
        body["tags"] = [str(t) for t in line["tags"]]
    t = parse_ts(line.get("created_at"))
    if t is not None:
        body["created_at"] = t.isoformat()
    if line.get("metadata") or line.get("source"):
        report.lost("passage", "metadata", "Letta's archival-memory endpoint takes only text, tags and created_at")
    return body


def push(items: Iterable[Any], url: RemoteURL, options: WriteOptions) -> Plan:
    """Write the stream into the Letta server at ``url``; return the plan (see the module docstring).

    Raises:
        UsageError: ``-o .../agents/ID`` with more than one agent in the input; several agents of one
            name on the server for merge. DestinationExists: an agent exists and no strategy was given.
        RemoteError: the server failed before anything was written. PartialWrite: after.
    """
    from .writer import write_agent_file

    report = options.report
    extra = options.extra
    strategy = extra.get("strategy")
    dry = bool(extra.get("dry_run"))
    secrets = _load_secrets(extra)
    with tempfile.TemporaryDirectory(prefix="memconv-letta-push-") as d:
        af = os.path.join(d, "push.af")
        wopts = staging_options(options, af)
        with open(af, "wb") as fh:
            write_agent_file(items, fh, wopts)
        report.info.pop("sidecar", None)
        check_loss(options, "letta")
        with open(af, "rb") as fh:
            doc = orjson.loads(fh.read())
        lines: dict[str, list[dict[str, Any]]] = {}
        side = sidecar_path(af)
        if side.is_file():
            with open(side, "rb") as fh:
                for raw in fh:
                    if raw.strip():
                        obj = orjson.loads(raw)
                        lines.setdefault(obj.get("agent_id"), []).append(obj)
    blocks = {b["id"]: b for b in doc.get("blocks") or []}
    targets = [_Target(a, [blocks[b] for b in a.get("block_ids") or [] if b in blocks], lines.get(a["id"], []))
               for a in doc.get("agents") or []]
    if url.agent_id and len(targets) != 1:
        raise UsageError(f"-o {url.display} names one agent, but the input has {len(targets)}; "
                         f"select one with --agent or push to {url.base_url.split('://', 1)[-1]} as a whole")
    api = connect(url, options, "target")
    try:
        plan = _plan(api, url, targets, strategy, report)
        if dry:
            return plan
        _execute(api, url, doc, targets, extra, secrets, report)
        return plan
    finally:
        api.close()


def _plan(api: LettaAPI, url: RemoteURL, targets: list[_Target], strategy: str | None, report: Any) -> Plan:
    plan = Plan(strategy)
    conflicts = []
    for t in targets:
        t.existing = [api.agent(url.agent_id)] if url.agent_id else api.agents(name=t.name)
        if not t.existing:
            t.action = "new"
        elif strategy is None:
            conflicts.append(t.name)
            continue
        else:
            t.action = strategy
    if conflicts:
        shown = ", ".join(repr(n) for n in conflicts[:5]) + (" ..." if len(conflicts) > 5 else "")
        raise DestinationExists(f"{url.display}: agent(s) {shown} exist on the server; choose --strategy "
                                f"merge|replace|skip (nothing was written)")
    for t in targets:
        n_msgs = len(t.agent.get("messages") or [])
        if t.action == "new":
            plan.add("agents", "insert")
            plan.add("blocks", "insert", len(t.blocks))
            plan.add("passages", "insert", len(t.passages))
            plan.add("messages", "insert", n_msgs)
            t.passage_ops = list(t.passages)
        elif t.action == "skip":
            plan.add("agents", "skip", len(t.existing))
            plan.add("blocks", "skip", len(t.blocks))
            plan.add("passages", "skip", len(t.passages))
            plan.add("messages", "skip", n_msgs)
        elif t.action == "replace":
            old_blocks = sum(len(e.get("blocks") or []) for e in t.existing)
            old_passages = sum(sum(1 for _ in api.passages(e["id"])) for e in t.existing)
            plan.add("agents", "update")
            plan.add("agents", "delete", len(t.existing) - 1)
            plan.add("blocks", "delete", old_blocks)
            plan.add("blocks", "insert", len(t.blocks))
            plan.add("passages", "delete", old_passages)
            plan.add("passages", "insert", len(t.passages))
            plan.add("messages", "insert", n_msgs)
            t.passage_ops = list(t.passages)
        else:  # merge
            if len(t.existing) > 1:
                raise UsageError(f"{url.display}: {len(t.existing)} agents are named {t.name!r}; merge into one of them "
                                 f"with -o {url.display.rstrip('/')}/agents/AGENT_ID")
            e = t.existing[0]
            t.server_id = e["id"]
            plan.add("agents", "update")
            old = {b.get("label"): b for b in e.get("blocks") or (e.get("memory") or {}).get("blocks") or []}
            for b in t.blocks:
                ob = old.pop(b.get("label"), None)
                if ob is None:
                    t.block_ops.append(("insert", b))
                    plan.add("blocks", "insert")
                elif _same_block(b, ob):
                    plan.add("blocks", "skip")
                else:
                    t.block_ops.append(("update", b))
                    plan.add("blocks", "update")
            plan.add("blocks", "keep", len(old))
            have = Counter(p.get("text") for p in api.passages(e["id"]) if isinstance(p, dict))
            t.existing_passages = sum(have.values())
            for p in t.passages:
                if have.get(p.get("text"), 0) > 0:
                    have[p.get("text")] -= 1
                    plan.add("passages", "skip")
                else:
                    t.passage_ops.append(p)
                    plan.add("passages", "insert")
            plan.add("passages", "keep", sum(have.values()))
            if n_msgs:
                plan.add("messages", "skip", n_msgs)
                report.warn(f"letta: merge into the existing agent {t.name!r} updates its blocks and adds passages; "
                            f"its settings stay, and the input's {n_msgs} message(s) are not added (Letta has no "
                            f"endpoint to add stored messages to an agent; use --strategy replace for them)",
                            RECORD_DROPPED)
    return plan


def _execute(api: LettaAPI, url: RemoteURL, doc: dict[str, Any], targets: list[_Target], extra: dict[str, Any],
             secrets: dict[str, str] | None, report: Any) -> None:
    log = WriteLog(url)
    done: list[dict[str, Any]] = []
    report.info["remote"] = {"agents": done}
    hint = "Run the same command again with --strategy merge to add what is missing without duplicates."
    try:
        imports = [t for t in targets if t.action in ("new", "replace")]
        if imports:
            keep = {t.local for t in imports}
            sub = doc if len(keep) == len(targets) else _subset(doc, keep, report)
            form = {"append_copy_suffix": "false", "override_existing_tools": "false"}
            if extra.get("model"):
                form["model"] = str(extra["model"])
            if extra.get("embedding"):
                form["embedding"] = str(extra["embedding"])
            if secrets:
                form["secrets"] = json.dumps(secrets)
            note_opts = _Opts(extra)
            note(note_opts, f"letta: importing {len(imports)} agent(s) into {url.display}")
            ids = api.import_af(orjson.dumps(sub), form)
            if len(ids) != len(sub["agents"]):
                report.warn(f"letta: the import answered {len(ids)} agent id(s) for {len(sub['agents'])} agent(s)",
                            COUNT_MISMATCH)
            by_local = dict(zip([a["id"] for a in sub["agents"]], ids))
            for t in imports:
                t.server_id = by_local.get(t.local)
                log.add("agents imported")
                done.append({"name": t.name, "id": t.server_id, "action": "imported"})
            if any(t.action == "replace" for t in imports):
                hint = ("Run the same command again with --strategy replace: it deletes every agent of that name "
                        "and imports it once more.")
        for t in targets:
            if t.action != "merge":
                continue
            for op, b in t.block_ops:
                if op == "update":
                    api.patch_block(t.server_id, b["label"], _block_body(b))
                    log.add("blocks updated")
                else:
                    api.add_block(t.server_id, {"label": b["label"], **_block_body(b)})
                    log.add("blocks added")
            done.append({"name": t.name, "id": t.server_id, "action": "merged"})
        for t in targets:
            if t.action == "skip" or t.server_id is None:
                continue
            for i, p in enumerate(t.passage_ops):
                api.add_passage(t.server_id, _passage_body(p, report))
                log.add(f"passages into {t.name!r}")
            if t.passage_ops:
                note(_Opts(extra), f"letta: {len(t.passage_ops)} passage(s) into {t.name!r}")
        for t in targets:  # last: the old agents go once the new ones are whole (and known: an id answered)
            if t.action == "replace" and t.server_id is not None:
                for e in t.existing:
                    api.delete_agent(e["id"])
                    log.add("old agents deleted")
                    done.append({"name": t.name, "id": e["id"], "action": "deleted"})
    except (MemconvError, OSError) as e:
        raise log.fail(e, hint, report) from None
    for k, n in log.steps.items():
        report.info.setdefault("remote_written", {})[k] = n


class _Opts:
    """Just enough of an options object for :func:`memconv.remote.note`."""

    def __init__(self, extra: dict[str, Any]):
        self.extra = extra


__all__ = ["LettaAPI", "list_remote", "message_from_rest", "pull", "push"]
