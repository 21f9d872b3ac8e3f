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
    ]
    for name, fn in jobs:
        path = os.path.join(args.out, name)
        if not os.path.exists(path):
            fn(path)
        print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
