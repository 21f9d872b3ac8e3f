"""Generators of canonical inputs of any size, for cap, split and filter tests."""

from __future__ import annotations

import orjson

from memconv.model import Agent, Block, Header, Memory, Message, Scope


def agent_stream(n_messages: int, name: str = "big_agent", agent_id: str = "agent-0", blocks: int = 2):
    """A Letta-like agent with ``blocks`` blocks and ``n_messages`` messages, as canonical items."""
    yield Header(source_system="letta", source_variant="v2", exported_at="2026-01-01T00:00:00+00:00")
    msg_ids = [f"message-{i}" for i in range(n_messages)]
    yield Agent(id=agent_id, name=name, system="be brief", block_ids=[f"block-{i}" for i in range(blocks)],
                in_context_message_ids=msg_ids[-10:], llm_config={"model": "x", "model_endpoint_type": "openai",
                                                                 "context_window": 8000, "handle": "openai/x"})
    for i in range(blocks):
        yield Block(id=f"block-{i}", label=f"label{i}", value=f"value {i}")
    for i in range(n_messages):
        yield Message(id=msg_ids[i], agent_id=agent_id, role="user" if i % 2 else "assistant",
                      content=[{"type": "text", "text": f"message number {i}"}],
                      created_at=f"2026-01-01T00:{(i // 60) % 60:02d}:{i % 60:02d}+00:00")


def memory_stream(n: int, users=("alice", "bob")):
    """``n`` mem0-like memories spread over ``users``."""
    yield Header(source_system="mem0", source_variant="get_all")
    for i in range(n):
        yield Memory(id=f"00000000-0000-4000-8000-{i:012d}", text=f"fact number {i}",
                     scope=Scope(user_id=users[i % len(users)]), created_at=f"2026-0{1 + i % 9}-01T00:00:00+00:00",
                     hash=None)


def write_jsonl(path, items) -> None:
    """Write canonical items as JSON-L."""
    with open(path, "wb") as f:
        for it in items:
            data = it.model_dump(mode="json", exclude_defaults=True)
            f.write(orjson.dumps({"kind": it.kind, **data}) + b"\n")
