"""Generate large, realistic inputs for the benchmarks (deterministic: the same sizes give the same bytes).

    python benchmarks/generate.py [--out benchmarks/data] [--small]

Writes:
  mem0_get_all_200k.json, mem0_get_all_1m.json   mem0 OSS get_all output ({"results": [...]}), as mem0ai 2.2.1 writes it
  agentmemory_50k_500k.json                       AgentMemory 0.9.29 ExportData: 50k memories, 500k observations in 100 buckets
  letta_100k_messages.af                          Letta AgentFileSchema: 1 agent, 1k blocks, 100k messages
  canonical_1m.jsonl                              memconv canonical JSON-L: 1M memory records
  mem0_get_all_200k_varied.json, mem0_get_all_1m_varied.json
                                                  mem0 get_all as a real store varies: ~97 users, 13 agents,
                                                  1,000 runs, actor ids, roles, metadata null, flat or nested
                                                  (floats, unicode), texts of 6-30 words in several scripts,
                                                  optional keys present or absent at random (seeded)
  canonical_1m_varied.jsonl                       the varied mem0 items as canonical JSON-L records
  mem0_1m_varied.jsonl                            the varied mem0 items as mem0 JSON-L, one item a line
  letta_100k_messages_varied.af                   Letta AgentFileSchema as a real agent file varies: 4 agents,
                                                  400 blocks, 12 tools, 100k messages of every role with
                                                  reasoning and text parts, tool calls and their returns
  mem0_8x25k_varied/                              a folder of 8 mem0 get_all dumps of 25k varied items each
                                                  (several inputs: one part each under --jobs)
  agentmemory_50k_500k_varied.json                AgentMemory ExportData as a real store varies: 1,000 sessions
                                                  of uneven size, observations of every type with facts,
                                                  memories of every type with versions, summaries
``--small`` writes one tenth of each, for a quick run.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import uuid

import orjson

USERS = ["alice", "bob", "carol", "dave", "erin"]
CATS = ["food", "travel", "work", "health", "music"]


def _uuid(i: int, salt: str) -> str:
    return str(uuid.UUID(hashlib.md5(f"{salt}{i}".encode()).hexdigest(), version=4))


def _text(i: int) -> str:
    return (f"User {USERS[i % 5]} mentioned preference number {i}: likes {CATS[i % 5]} and "
            f"wants reminders every {i % 7 + 1} days; context line with a bit more detail {i * 7919 % 100003}.")


def mem0_item(i: int) -> dict:
    text = _text(i)
    ts = f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:{(i * 7) % 60:02d}.{i % 1000000:06d}+00:00"
    item = {"id": _uuid(i, "m"), "memory": text, "hash": hashlib.md5(text.encode()).hexdigest(),
            "metadata": {"category": CATS[i % 5], "source": "chat", "n": i} if i % 3 else None,
            "created_at": ts, "updated_at": ts, "user_id": USERS[i % 5]}
    if i % 4 == 0:
        item["agent_id"] = "support-bot"
    if i % 2:
        item["role"] = "user"
    return item


WORDS = {
    "latin": "the user prefers short answers and likes hiking coffee jazz travel budget meeting notes "
             "deadline project review family weekend running recipe vegetarian morning evening".split(),
    "accented": "café naïve résumé über façade jalapeño crème brûlée señor déjà vu smörgåsbord".split(),
    "cyrillic": "пользователь любит кофе путешествия музыку работа встреча неделя".split(),
    "cjk": "用户 喜欢 咖啡 旅行 音乐 工作 会议 周末 早上 晚上".split(),
    "arabic": "المستخدم يحب القهوة السفر الموسيقى العمل".split(),
    "emoji": "☕ 🎵 ✈️ 🏃 📅 🍲".split(),
}
SCRIPTS = ("latin",) * 6 + ("accented", "cyrillic", "cjk", "arabic", "emoji")


def varied_item(i: int, rng) -> dict:
    """A mem0 OSS get_all item as varied as a real store (see the module docstring); ``rng`` is a
    seeded :class:`random.Random`, so the same ``i`` sequence gives the same bytes."""
    words = WORDS[rng.choice(SCRIPTS)]
    text = " ".join(rng.choice(words) for _ in range(rng.randint(6, 30)))
    day = rng.randint(0, 700)
    ts = f"{2025 + day // 365}-{1 + day % 365 // 31:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}:" \
         f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999999):06d}-0{rng.randint(0, 8)}:00"
    shape = rng.random()
    if shape < 0.25:
        meta = None
    elif shape < 0.6:
        meta = {"category": rng.choice(CATS), "score": round(rng.random(), 4)}
    elif shape < 0.85:
        meta = {"category": rng.choice(CATS), "source": rng.choice(["chat", "email", "import", "voice"]),
                "tags": [rng.choice(CATS) for _ in range(rng.randint(0, 3))]}
    else:
        meta = {"context": {"channel": rng.choice(["slack", "web", "sms"]), "locale": rng.choice(["en", "fr", "ja"]),
                            "weights": [round(rng.uniform(-1, 1), 6) for _ in range(3)]},
                "note": rng.choice(["ok", "À revoir", "確認済み", "☑"])}
    item = {"id": _uuid(i, "v"), "memory": text, "hash": hashlib.md5(text.encode()).hexdigest(), "metadata": meta,
            "created_at": ts, "updated_at": ts if rng.random() < 0.7 else ts.replace("T", "T").replace(":00", ":30", 1)}
    if rng.random() < 0.9:
        item["user_id"] = f"user-{rng.randint(0, 96):03d}"
    if rng.random() < 0.4:
        item["agent_id"] = f"agent-{rng.randint(0, 12)}"
    if rng.random() < 0.3:
        item["run_id"] = f"run-{rng.randint(0, 999):04d}"
    if rng.random() < 0.2:
        item["actor_id"] = f"actor-{rng.randint(0, 40)}"
    if rng.random() < 0.5:
        item["role"] = rng.choice(["user", "assistant"])
    return item


def write_mem0_varied(path: str, n: int, seed: int = 20261207) -> None:
    import random

    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.write(b'{"results": [')
        for i in range(n):
            f.write((b",\n" if i else b"\n") + orjson.dumps(varied_item(i, rng)))
        f.write(b"\n]}\n")


def write_mem0_varied_shards(path: str, shards: int, n: int, seed: int = 20261208) -> None:
    """A folder of ``shards`` mem0 ``get_all`` documents holding ``n`` varied items between them (as a
    store dumped user by user, or page by page): ``dump-01.json``... (read as several inputs)."""
    import random

    rng = random.Random(seed)
    tmp = path + ".part"
    os.makedirs(tmp, exist_ok=True)
    i = 0
    for k in range(shards):
        with open(os.path.join(tmp, f"dump-{k + 1:02d}.json"), "wb") as f:
            f.write(b'{"results": [')
            for j in range(n // shards):
                f.write((b",\n" if j else b"\n") + orjson.dumps(varied_item(i, rng)))
                i += 1
            f.write(b"\n]}\n")
    os.rename(tmp, path)


def write_mem0_varied_lines(path: str, n: int, seed: int = 20261207) -> None:
    """The same items as :func:`write_mem0_varied`, one a line (mem0 JSON-L, as ``--jsonl`` writes it)."""
    import random

    rng = random.Random(seed)
    with open(path, "wb") as f:
        for i in range(n):
            f.write(orjson.dumps(varied_item(i, rng)) + b"\n")


def write_canonical_varied(path: str, n: int, seed: int = 20261207) -> None:
    import random

    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.write(b'{"kind":"header","source_system":"mem0","source_variant":"jsonl"}\n')
        for i in range(n):
            it = varied_item(i, rng)
            scope = {k: it[k] for k in ("user_id", "agent_id", "run_id", "actor_id") if k in it}
            rec = {"kind": "memory", "id": it["id"], "provenance": {"system": "mem0", "id": it["id"]},
                   "text": it["memory"], "scope": scope, "hash": it["hash"], "metadata": it["metadata"],
                   "created_at": it["created_at"], "updated_at": it["updated_at"]}
            if "role" in it:
                rec["role"] = it["role"]
            f.write(orjson.dumps(rec) + b"\n")


def write_mem0(path: str, n: int) -> None:
    with open(path, "wb") as f:
        f.write(b'{"results": [')
        for i in range(n):
            f.write((b",\n" if i else b"\n") + orjson.dumps(mem0_item(i)))
        f.write(b"\n]}\n")


def write_agentmemory(path: str, n_mem: int, n_obs: int, buckets: int = 100) -> None:
    sessions = [{"id": f"ses_{b:05d}", "project": f"proj-{b % 10}", "cwd": f"/home/dev/proj-{b % 10}",
                 "startedAt": "2026-01-01T00:00:00.000Z", "status": "completed",
                 "observationCount": n_obs // buckets} for b in range(buckets)]
    with open(path, "wb") as f:
        f.write(b'{"version":"0.9.29","exportedAt":"2026-11-01T00:00:00.000Z","sessions":')
        f.write(orjson.dumps(sessions))
        f.write(b',"observations":{')
        per = n_obs // buckets
        for b in range(buckets):
            f.write((b"," if b else b"") + orjson.dumps(f"ses_{b:05d}") + b":[")
            for j in range(per):
                i = b * per + j
                o = {"id": f"obs_{i:08d}", "sessionId": f"ses_{b:05d}", "timestamp": "2026-01-01T00:00:00.000Z",
                     "type": "file_edit" if i % 3 else "conversation", "title": f"Edit {i}",
                     "facts": [f"fact {i}"], "narrative": _text(i), "concepts": [CATS[i % 5]],
                     "files": [f"src/mod_{i % 50}.py"], "importance": 1 + i % 10,
                     "origin": {"channel": "tool", "capturedAt": "2026-01-01T00:00:00.000Z"}}
                f.write((b"," if j else b"") + orjson.dumps(o))
            f.write(b"]")
        f.write(b'},"memories":[')
        for i in range(n_mem):
            m = {"id": f"mem_{i:08d}", "createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
                 "type": "fact", "title": f"Memory {i}", "content": _text(i), "concepts": [CATS[i % 5]],
                 "files": [], "sessionIds": [f"ses_{i % buckets:05d}"], "strength": 7, "version": 1, "isLatest": True}
            f.write((b"," if i else b"") + orjson.dumps(m))
        f.write(b'],"summaries":[]}')


def write_letta(path: str, n_msgs: int, n_blocks: int) -> None:
    blocks = [{"id": f"block-{i}", "label": f"notes_{i}", "value": _text(i), "limit": 5000,
               "description": f"block {i}", "read_only": False, "metadata": {}} for i in range(n_blocks)]
    agent_head = {"name": "bench_agent", "memory_blocks": [], "tools": [], "tool_ids": [], "source_ids": [],
                  "block_ids": [b["id"] for b in blocks], "tool_rules": [], "tags": ["bench"],
                  "system": "You are a benchmark agent.", "agent_type": "letta_v1_agent",
                  "llm_config": {"model": "gpt-4o-mini", "model_endpoint_type": "openai", "context_window": 32000,
                                 "handle": "openai/gpt-4o-mini"},
                  "embedding_config": None, "id": "agent-0",
                  "in_context_message_ids": [f"message-{i}" for i in range(max(0, n_msgs - 50), n_msgs)]}
    with open(path, "wb") as f:
        head = orjson.dumps(agent_head)
        f.write(b'{"agents":[' + head[:-1] + b',"messages":[')
        for i in range(n_msgs):
            role = ("user", "assistant", "tool")[i % 3]
            m = {"type": "message", "role": role, "content": [{"type": "text", "text": _text(i)}], "name": None,
                 "id": f"message-{i}", "model": "gpt-4o-mini", "agent_id": "agent-0",
                 "tool_calls": [{"id": f"call_{i}", "type": "function", "function": {"name": "send_message",
                                 "arguments": orjson.dumps({"message": _text(i)}).decode()}}] if role == "assistant" else None,
                 "tool_call_id": f"call_{i - 1}" if role == "tool" else None, "tool_returns": [],
                 "created_at": f"2026-01-01T{(i // 3600) % 24:02d}:{(i // 60) % 60:02d}:{i % 60:02d}+00:00"}
            f.write((b"," if i else b"") + orjson.dumps(m))
        f.write(b'],"files_agents":[],"group_ids":[]}],"groups":[],"blocks":')
        f.write(orjson.dumps(blocks))
        f.write(b',"files":[],"sources":[],"tools":[],"mcp_servers":[],"skills":[],'
                b'"metadata":{"revision_id":"1c28e167b74f"},"created_at":"2026-11-01T00:00:00+00:00"}')


def _words(rng, lo: int, hi: int) -> str:
    words = WORDS[rng.choice(SCRIPTS)]
    return " ".join(rng.choice(words) for _ in range(rng.randint(lo, hi)))


def _ts(rng, micro: bool = True) -> str:
    day = rng.randint(0, 700)
    frac = f".{rng.randint(0, 999999):06d}" if micro else ""
    return (f"{2025 + day // 365}-{1 + day % 365 // 31:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}{frac}+00:00")


TOOL_NAMES = ["send_message", "memory_replace", "memory_insert", "conversation_search", "archival_memory_search",
              "archival_memory_insert", "web_search", "fetch_webpage", "run_code", "Bash", "Read", "Glob"]


def _letta_message(i: int, agent: int, role: str, rng, calls: list[str]) -> dict:
    """One Letta 0.16 message of ``role`` with every key the server writes; ``calls`` carries the open
    tool-call ids from an assistant or approval message to the tool message that answers them."""
    m = {"type": "message", "role": role, "content": [], "name": None, "otid": None, "sender_id": None,
         "batch_item_id": None, "group_id": None, "id": f"message-{i}", "model": None, "agent_id": f"agent-{agent}",
         "tool_calls": None, "tool_call_id": None, "tool_returns": [], "created_at": _ts(rng), "approve": None,
         "approval_request_id": None, "denial_reason": None, "approvals": []}
    if role in ("system", "user"):
        m["content"] = [{"type": "text", "text": _words(rng, 3, 120 if role == "system" else 40), "signature": None}]
        if role == "user" and rng.random() < 0.2:
            m["otid"] = _uuid(i, "otid")
            m["sender_id"] = f"identity-{rng.randint(0, 20)}"
    elif role in ("assistant", "approval"):
        m["model"] = rng.choice(["gpt-4o-mini", "claude-sonnet-4-5-20250929", "gpt-4.1"])
        if rng.random() < 0.5:
            m["content"].append({"type": "reasoning", "is_native": True, "reasoning": _words(rng, 10, 80),
                                 "signature": _uuid(i, "sig") * 3 if rng.random() < 0.5 else None})
        if rng.random() < 0.4:
            m["content"].append({"type": "text", "text": _words(rng, 3, 60), "signature": None})
        n_calls = rng.choice((0, 1, 1, 1, 2)) if role == "assistant" else 1
        if n_calls:
            m["tool_calls"] = []
            for k in range(n_calls):
                cid = f"call_{_uuid(i * 4 + k, 'call')[:24]}"
                calls.append(cid)
                args = {"message": _words(rng, 2, 30)} if rng.random() < 0.5 else \
                    {"query": _words(rng, 1, 6), "page": rng.randint(0, 3), "request_heartbeat": rng.random() < 0.5}
                m["tool_calls"].append({"id": cid, "function": {"arguments": orjson.dumps(args).decode(),
                                                                "name": rng.choice(TOOL_NAMES)}, "type": "function"})
            m["tool_call_id"] = m["tool_calls"][0]["id"]
    else:  # tool
        m["model"] = "gpt-4o-mini"
        m["name"] = rng.choice(TOOL_NAMES)
        cid = calls.pop(0) if calls else f"call_orphan_{i}"
        m["tool_call_id"] = cid
        response = orjson.dumps({"status": rng.choice(["OK", "OK", "Failed"]), "message": _words(rng, 0, 50),
                                 "time": "2026-01-01 05:49:45 PM UTC+0000"}, option=orjson.OPT_INDENT_2).decode()
        if rng.random() < 0.5:
            m["content"] = [{"type": "text", "text": response, "signature": None}]
        m["tool_returns"] = [{"tool_call_id": cid, "status": "error" if "Failed" in response else "success",
                              "stdout": None if rng.random() < 0.8 else [_words(rng, 1, 10)],
                              "stderr": None, "func_response": response}]
    return m


def write_letta_varied(path: str, n_msgs: int, n_blocks: int, n_agents: int = 4, seed: int = 20261207) -> None:
    """A Letta 0.16.8 ``AgentFileSchema`` as varied as a real agent file: ``n_agents`` agents sharing
    ``n_msgs`` messages unevenly (the first holds half); system, user, assistant, tool and approval
    messages in conversation order; reasoning and text parts; one or two tool calls an assistant
    message, answered by tool messages with ``tool_returns``; every key Letta writes, mostly null;
    blocks of 1-400 words in several scripts; tools with JSON schemas and source code (seeded)."""
    import random

    rng = random.Random(seed)
    blocks = [{"value": _words(rng, 1, 400), "limit": rng.choice([2000, 5000, 20000]), "project_id": None,
               "template_name": None, "is_template": False, "preserve_on_migration": False,
               "label": ["human", "persona"][i] if i < 2 else f"notes_{i}", "read_only": rng.random() < 0.1,
               "description": _words(rng, 3, 20) if rng.random() < 0.7 else None,
               "metadata": {} if rng.random() < 0.8 else {"origin": rng.choice(["sleeptime", "import"])},
               "id": f"block-{i}"} for i in range(n_blocks)]
    tools = [{"id": f"tool-{t}", "tool_type": "letta_core" if t < 5 else "custom", "description": _words(rng, 4, 20),
              "source_type": "python", "name": name, "tags": ["letta_core"] if t < 5 else [],
              "source_code": None if t < 5 else f"def {name.lower()}(query: str) -> str:\n    return query\n",
              "json_schema": {"name": name, "description": _words(rng, 4, 12),
                              "parameters": {"type": "object", "properties": {
                                  "query": {"type": "string", "description": _words(rng, 2, 8)}},
                                  "required": ["query"]}},
              "args_json_schema": None, "return_char_limit": 50000, "pip_requirements": None,
              "npm_requirements": None, "metadata_": {}} for t, name in enumerate(TOOL_NAMES)]
    shares = [n_msgs // 2] + [n_msgs // 2 // (n_agents - 1)] * (n_agents - 1) if n_agents > 1 else [n_msgs]
    shares[-1] += n_msgs - sum(shares)
    with open(path, "wb") as f:
        f.write(b'{"agents":[')
        first = 0
        for a, count in enumerate(shares):
            ids = list(range(first, first + count))
            mine = rng.sample(range(n_blocks), k=min(n_blocks, rng.randint(2, 40)))
            head = {"name": f"agent_{a}_{_words(rng, 1, 2)}", "memory_blocks": [], "tools": [],
                    "tool_ids": [f"tool-{t}" for t in range(len(TOOL_NAMES)) if rng.random() < 0.6],
                    "source_ids": [], "block_ids": [f"block-{b}" for b in sorted(mine)],
                    "tool_rules": [{"tool_name": "send_message", "type": "exit_loop", "prompt_template": None}],
                    "tags": [rng.choice(CATS) for _ in range(rng.randint(0, 3))], "system": _words(rng, 20, 200),
                    "agent_type": rng.choice(["letta_v1_agent", "memgpt_v2_agent"]),
                    "llm_config": {"model": "gpt-4o-mini", "model_endpoint_type": "openai", "context_window": 32000,
                                   "handle": "openai/gpt-4o-mini", "temperature": round(rng.random(), 2)},
                    "embedding_config": None, "description": _words(rng, 3, 20) if rng.random() < 0.5 else None,
                    "metadata": None, "timezone": rng.choice(["UTC", "Europe/Paris", "Asia/Tokyo"]),
                    "id": f"agent-{a}",
                    "in_context_message_ids": [f"message-{i}" for i in ids[:1] + ids[max(1, count - 40):]]}
            f.write((b"," if a else b"") + orjson.dumps(head)[:-1] + b',"messages":[')
            calls: list[str] = []
            for j, i in enumerate(ids):
                if j == 0:
                    role = "system"
                elif calls:
                    role = "tool"
                else:
                    role = rng.choice(("user", "user", "assistant", "assistant", "assistant", "approval"))
                f.write((b"," if j else b"") + orjson.dumps(_letta_message(i, a, role, rng, calls)))
            f.write(b'],"files_agents":[],"group_ids":[]}')
            first += count
        f.write(b'],"groups":[],"blocks":' + orjson.dumps(blocks) + b',"files":[],"sources":[],"tools":')
        f.write(orjson.dumps(tools) + b',"mcp_servers":[],"skills":[],'
                b'"metadata":{"revision_id":"1c28e167b74f"},"created_at":"2026-11-01T00:00:00+00:00"}')


OBS_TYPES = ["file_read", "file_write", "file_edit", "command_run", "search", "web_fetch", "conversation", "error",
             "decision", "discovery", "subagent", "notification", "task", "image", "other"]
MEM_TYPES = ["pattern", "preference", "architecture", "bug", "workflow", "fact"]


def _iso(rng) -> str:
    day = rng.randint(0, 700)
    return (f"{2025 + day // 365}-{1 + day % 365 // 31:02d}-{1 + day % 28:02d}T{rng.randint(0, 23):02d}:"
            f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}.{rng.randint(0, 999):03d}Z")


def write_agentmemory_varied(path: str, n_mem: int, n_obs: int, buckets: int = 1000, seed: int = 20261207) -> None:
    """An AgentMemory 0.9.29 ``ExportData`` as varied as a real store: ``buckets`` sessions of uneven
    size over 20 projects, some active or abandoned, with models, tags and agents; observations of
    every ``ObservationType`` with 0-6 facts, concepts and files, optional subtitle, confidence,
    agentId and origin; memories of every ``Memory.type``, versions with ``parentId``/``supersedes``,
    related and source observation ids; a summary for a third of the sessions (seeded)."""
    import random

    rng = random.Random(seed)
    # Uneven sessions (Pareto), none over 4,000 observations: a long coding session's hooks capture
    # hundreds to a few thousand; the ~15 MiB export frame bounds a real page below that again.
    weights = [min(rng.paretovariate(1.2), 12.0) for _ in range(buckets)]
    total = sum(weights)
    per = [int(n_obs * w / total) for w in weights]
    for b in range(n_obs - sum(per)):
        per[b % buckets] += 1
    sessions = []
    for b in range(buckets):
        s = {"id": f"ses_{_uuid(b, 'ses')[:12]}", "project": f"proj-{b % 20}", "cwd": f"/home/dev/proj-{b % 20}",
             "startedAt": _iso(rng), "status": rng.choice(["completed"] * 6 + ["active", "abandoned"]),
             "observationCount": per[b]}
        if s["status"] == "completed":
            s["endedAt"] = _iso(rng)
        if rng.random() < 0.6:
            s["model"] = rng.choice(["claude-sonnet-4-5", "gpt-4.1", "claude-opus-4-5"])
        if rng.random() < 0.4:
            s["tags"] = [rng.choice(CATS) for _ in range(rng.randint(1, 3))]
        if rng.random() < 0.5:
            s["firstPrompt"] = _words(rng, 3, 40)
        if rng.random() < 0.3:
            s["agentId"] = f"agent-{rng.randint(0, 5)}"
        sessions.append(s)
    obs_ids: list[str] = []
    with open(path, "wb") as f:
        f.write(b'{"version":"0.9.29","exportedAt":"2026-11-01T00:00:00.000Z","sessions":')
        f.write(orjson.dumps(sessions))
        f.write(b',"observations":{')
        i = 0
        for b, s in enumerate(sessions):
            f.write((b"," if b else b"") + orjson.dumps(s["id"]) + b":[")
            for j in range(per[b]):
                o = {"id": f"obs_{_uuid(i, 'obs')[:16]}", "sessionId": s["id"], "timestamp": _iso(rng),
                     "type": rng.choice(OBS_TYPES), "title": _words(rng, 2, 10),
                     "facts": [_words(rng, 3, 15) for _ in range(rng.randint(0, 6))], "narrative": _words(rng, 5, 80),
                     "concepts": [rng.choice(CATS) for _ in range(rng.randint(0, 4))],
                     "files": [f"src/mod_{rng.randint(0, 300)}.{rng.choice(['py', 'ts', 'md'])}"
                               for _ in range(rng.randint(0, 3))], "importance": rng.randint(1, 10)}
                if rng.random() < 0.3:
                    o["subtitle"] = _words(rng, 2, 8)
                if rng.random() < 0.4:
                    o["confidence"] = round(rng.random(), 3)
                if rng.random() < 0.2:
                    o["agentId"] = f"agent-{rng.randint(0, 5)}"
                if rng.random() < 0.7:
                    o["origin"] = {"channel": rng.choice(["user", "agent", "tool", "import"]), "capturedAt": o["timestamp"]}
                    if rng.random() < 0.3:
                        o["origin"]["detail"] = rng.choice(["PostToolUse", "hook", "mcp"])
                if o["type"] == "image" and rng.random() < 0.5:
                    o["modality"] = "image"
                    o["imageRef"] = f"img/{i}.png"
                    o["imageDescription"] = _words(rng, 3, 20)
                if len(obs_ids) < 100_000:
                    obs_ids.append(o["id"])
                f.write((b"," if j else b"") + orjson.dumps(o))
                i += 1
            f.write(b"]")
        f.write(b'},"memories":[')
        for i in range(n_mem):
            created = _iso(rng)
            m = {"id": f"mem_{_uuid(i, 'mem')[:16]}", "createdAt": created,
                 "updatedAt": created if rng.random() < 0.6 else _iso(rng), "type": rng.choice(MEM_TYPES),
                 "title": _words(rng, 2, 10), "content": _words(rng, 5, 120),
                 "concepts": [rng.choice(CATS) for _ in range(rng.randint(0, 4))],
                 "files": [f"src/mod_{rng.randint(0, 300)}.py" for _ in range(rng.randint(0, 2))],
                 "sessionIds": [rng.choice(sessions)["id"] for _ in range(rng.randint(0, 3))],
                 "strength": rng.randint(1, 10), "version": 1, "isLatest": True}
            if i and rng.random() < 0.15:
                m["version"] = rng.randint(2, 5)
                m["parentId"] = f"mem_{_uuid(i - 1, 'mem')[:16]}"
                m["supersedes"] = [m["parentId"]]
            if rng.random() < 0.2:
                m["relatedIds"] = [f"mem_{_uuid(rng.randint(0, n_mem - 1), 'mem')[:16]}"]
            if obs_ids and rng.random() < 0.3:
                m["sourceObservationIds"] = [rng.choice(obs_ids) for _ in range(rng.randint(1, 3))]
            if rng.random() < 0.3:
                m["project"] = f"proj-{rng.randint(0, 19)}"
            if rng.random() < 0.05:
                m["forgetAfter"] = _iso(rng)
            if rng.random() < 0.5:
                m["origin"] = {"channel": rng.choice(["user", "agent", "import"]), "capturedAt": created}
            f.write((b"," if i else b"") + orjson.dumps(m))
        f.write(b'],"summaries":')
        summaries = [{"sessionId": s["id"], "project": s["project"], "createdAt": _iso(rng),
                      "title": _words(rng, 2, 10), "narrative": _words(rng, 20, 200),
                      "keyDecisions": [_words(rng, 3, 12) for _ in range(rng.randint(0, 4))],
                      "filesModified": [f"src/mod_{rng.randint(0, 300)}.py" for _ in range(rng.randint(0, 5))],
                      "concepts": [rng.choice(CATS) for _ in range(rng.randint(0, 3))],
                      "observationCount": s["observationCount"]} for s in sessions if rng.random() < 0.33]
        f.write(orjson.dumps(summaries) + b"}")


def write_canonical(path: str, n: int) -> None:
    with open(path, "wb") as f:
        f.write(b'{"kind":"header","source_system":"mem0","source_variant":"jsonl"}\n')
        for i in range(n):
            it = mem0_item(i)
            rec = {"kind": "memory", "id": it["id"], "provenance": {"system": "mem0", "id": it["id"]},
                   "text": it["memory"], "scope": {"user_id": it["user_id"]}, "hash": it["hash"],
                   "metadata": it["metadata"], "created_at": it["created_at"], "updated_at": it["updated_at"]}
            f.write(orjson.dumps(rec) + b"\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "data"))
    ap.add_argument("--small", action="store_true")
    args = ap.parse_args()
    k = 10 if args.small else 1
    os.makedirs(args.out, exist_ok=True)
    jobs = [
        ("mem0_get_all_200k.json", lambda p: write_mem0(p, 200_000 // k)),
        ("mem0_get_all_1m.json", lambda p: write_mem0(p, 1_000_000 // k)),
        ("agentmemory_50k_500k.json", lambda p: write_agentmemory(p, 50_000 // k, 500_000 // k)),
        ("letta_100k_messages.af", lambda p: write_letta(p, 100_000 // k, 1_000 // k)),
        ("canonical_1m.jsonl", lambda p: write_canonical(p, 1_000_000 // k)),
        ("mem0_get_all_200k_varied.json", lambda p: write_mem0_varied(p, 200_000 // k)),
        ("mem0_get_all_1m_varied.json", lambda p: write_mem0_varied(p, 1_000_000 // k)),
        ("canonical_1m_varied.jsonl", lambda p: write_canonical_varied(p, 1_000_000 // k)),
        ("mem0_1m_varied.jsonl", lambda p: write_mem0_varied_lines(p, 1_000_000 // k)),
        ("letta_100k_messages_varied.af", lambda p: write_letta_varied(p, 100_000 // k, 400 // k)),
        ("mem0_8x25k_varied", lambda p: write_mem0_varied_shards(p, 8, 200_000 // k)),
        ("agentmemory_50k_500k_varied.json", lambda p: write_agentmemory_varied(p, 50_000 // k, 500_000 // k)),
    ]
    for name, fn in jobs:
        path = os.path.join(args.out, name)
        if not os.path.exists(path):
            fn(path)
        size = sum(os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)) if os.path.isdir(path) \
            else os.path.getsize(path)
        print(f"{path}: {size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
