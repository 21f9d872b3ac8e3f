"""Pull from and push to a real Letta 0.16.8 server (``letta+http://HOST:PORT[/agents/ID]``).

The server is the one :mod:`letta_server` starts (``../shared/letta-server/serve.sh``; set
``MEMCONV_LETTA_URL`` to use one already running, ``MEMCONV_SKIP_LETTA=1`` to skip), through the
:func:`live_letta` fixture below, which shares it with the other test modules. Agents are made
over REST in the tests (``POST /v1/agents/`` with ``model: letta/letta-free`` and no embedding, memory
blocks, an initial message sequence, archival passages), each with a unique name, so the tests share
the server with the other Letta tests.

The failure test cuts the connection part-way through a push with :data:`memconv.transport.TRANSPORT_WRAPPER`
(a wrapper around httpx's transport that refuses every request after the Nth passage insert, as a
server that went away would), then runs the push again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest

import memconv
from memconv import transport
from memconv.errors import ExitCode, PartialWrite

from letta_server import LettaServer

pytestmark = pytest.mark.letta_server

BLOCKS = [{"label": "human", "value": "Name: Dana. Prefers email. Timezone Europe/Oslo.", "limit": 5000},
          {"label": "persona", "value": "I am a careful support agent.", "description": "Who the agent is",
           "limit": 8000},
          {"label": "policies", "value": "Refunds up to $50 without approval.", "read_only": True, "limit": 2000}]
PASSAGES = [("Dana was refunded $40 on 2026-03-02 for a double charge.", ["refund", "billing"]),
            ("Dana asked to switch invoices to quarterly billing.", ["billing"]),
            ("Dana's company has 40 seats.", []),
            ("Dana was refunded $40 on 2026-03-02 for a double charge.", ["refund", "billing"])]  # a repeat
MESSAGES = [{"role": "user", "content": "Hi, I am Dana from Acme."},
            {"role": "assistant", "content": "Hello Dana, how can I help?"},
            {"role": "user", "content": "I was charged twice in March."},
            {"role": "assistant", "content": "I have refunded the double charge."},
            {"role": "user", "content": "Thanks! Please send invoices quarterly."}]


@pytest.fixture(scope="session")
def live_letta(letta_server: LettaServer) -> LettaServer:
    """The real Letta server of this test session (``letta_server`` from conftest.py, shared by every
    module that needs one)."""
    return letta_server


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "LETTA_API_KEY"}
    e.update({"MEMCONV_HTTP_BACKOFF": "0.05", **(env or {})})
    return subprocess.run([sys.executable, "-m", "memconv", *args], capture_output=True, env=e, timeout=600)


def create_agent(srv: LettaServer, name: str, *, history: bool = True) -> str:
    """An agent with three blocks, five messages (the first two moved out of the context window when
    ``history``) and four archival passages; returns its id."""
    c = srv.client
    assert c is not None
    r = c.post("/v1/agents/", json={"name": name, "model": "letta/letta-free", "memory_blocks": BLOCKS,
                                    "initial_message_sequence": MESSAGES, "tags": ["memconv-live"]})
    assert r.status_code == 200, r.text
    agent = r.json()
    for text, tags in PASSAGES:
        assert srv.add_passage(agent["id"], text, tags).status_code == 200
    if history:  # keep the system message and the last turn in context; the rest is recall history
        ids = agent["message_ids"]
        r = c.patch(f"/v1/agents/{agent['id']}", json={"message_ids": [ids[0], *ids[-2:]]})
        assert r.status_code == 200, r.text
    return agent["id"]


def by_name(srv: LettaServer, name: str) -> list[dict[str, Any]]:
    assert srv.client is not None
    r = srv.client.get("/v1/agents/", params={"name": name, "limit": 100})
    r.raise_for_status()
    return [a for a in r.json() if a["name"] == name]


def blocks_of(agent: dict[str, Any]) -> dict[str, tuple[Any, ...]]:
    return {b["label"]: (b["value"], b["limit"], bool(b["read_only"])) for b in agent["blocks"]}


def passages_of(srv: LettaServer, agent_id: str) -> Counter:
    return Counter((p["text"], tuple(sorted(p.get("tags") or []))) for p in srv.passages(agent_id))


def texts(srv: LettaServer, agent_id: str) -> list[str]:
    return [m["content"] for m in srv.messages(agent_id)
            if m["message_type"] in ("user_message", "assistant_message") and isinstance(m.get("content"), str)]


def pulled_as(source: dict[str, Any], tmp_path: Path, suffix: str) -> tuple[str, Path]:
    """The source agent pulled into canonical JSON-L under the name ``<name>-<suffix>``: the name and
    the file."""
    name, f = f"{source['name']}-{suffix}", tmp_path / "a.jsonl"
    p = cli(f"{source['url']}/agents/{source['id']}", "--to", "canonical", "--jsonl", "-o", str(f),
            "--rename-agent", f"{source['name']}={name}")
    assert p.returncode == 0, p.stderr
    return name, f


@pytest.fixture(scope="module")
def source(live_letta: LettaServer) -> Iterator[dict[str, Any]]:
    name = f"live-src-{uuid.uuid4().hex[:8]}"
    agent_id = create_agent(live_letta, name)
    yield {"id": agent_id, "name": name, "url": f"letta+{live_letta.url}", "state": live_letta.agent(agent_id)}


@pytest.mark.parametrize("fmt, ext", [
    ("canonical", "jsonl"),
    ("agentmemory", "json"),
    ("mem0", "json"),
    ("mem0", "jsonl"),
])
def test_agent_moves_through_each_format_and_back(live_letta: LettaServer, source: dict[str, Any],
                                                  tmp_path: Path, fmt: str, ext: str) -> None:
    """The 'done when' of the issue: blocks (label, value, limit, read-only) and passages (text, tags) of
    an agent pulled from the real Letta come back into it through canonical, AgentMemory and mem0."""
    src_url = f"{source['url']}/agents/{source['id']}"
    mid = tmp_path / f"agent.{ext}"
    p = cli(src_url, "--to", fmt, "-o", str(mid), *(["--jsonl"] if ext == "jsonl" else []))
    assert p.returncode == 0, p.stderr
    new_name = f"{source['name']}-via-{fmt}-{ext}"
    p = cli(str(mid), "-o", source["url"], "--rename-agent", f"{source['name']}={new_name}")
    assert p.returncode == 0, p.stderr
    assert b"done: agents: 1 insert" in p.stderr
    [back] = by_name(live_letta, new_name)
    assert blocks_of(back) == blocks_of(source["state"])
    assert passages_of(live_letta, back["id"]) == passages_of(live_letta, source["id"])
    assert sum(passages_of(live_letta, back["id"]).values()) == 4


def test_all_messages_brings_the_whole_history(live_letta: LettaServer, source: dict[str, Any],
                                               tmp_path: Path) -> None:
    src_url = f"{source['url']}/agents/{source['id']}"
    only_context, everything = tmp_path / "ctx.jsonl", tmp_path / "all.jsonl"
    assert cli(src_url, "--to", "canonical", "--jsonl", "-o", str(only_context)).returncode == 0
    p = cli(src_url, "--to", "canonical", "--jsonl", "-o", str(everything), "--all-messages")
    assert p.returncode == 0, p.stderr
    count = lambda f: sum(json.loads(line)["kind"] == "message" for line in f.read_text().splitlines())  # noqa: E731
    assert count(everything) > count(only_context)
    new_name = f"{source['name']}-history"
    p = cli(str(everything), "-o", source["url"], "--rename-agent", f"{source['name']}={new_name}")
    assert p.returncode == 0, p.stderr
    [back] = by_name(live_letta, new_name)
    # every user/assistant turn, in order, though only the last ones were in the context window
    assert texts(live_letta, back["id"]) == [m["content"] for m in MESSAGES]
    assert len(back["message_ids"]) == len(source["state"]["message_ids"])


def test_several_agents_in_one_run_and_ls(live_letta: LettaServer, tmp_path: Path) -> None:
    url = f"letta+{live_letta.url}"
    a, b = f"live-a-{uuid.uuid4().hex[:6]}", f"live-b-{uuid.uuid4().hex[:6]}"
    ids = {a: create_agent(live_letta, a, history=False), b: create_agent(live_letta, b, history=False)}
    out = tmp_path / "two.jsonl"
    p = cli(url, "--agent", a, "--agent", b, "--to", "canonical", "--jsonl", "-o", str(out))
    assert p.returncode == 0, p.stderr
    recs = [json.loads(line) for line in out.read_text().splitlines()]
    agents = {r["id"]: r["name"] for r in recs if r["kind"] == "agent"}
    assert sorted(agents.values()) == sorted([a, b]) and len(set(agents)) == 2
    owners = Counter(agents[r["scope"]["agent_id"]] for r in recs if r["kind"] == "passage")
    assert owners == {a: 4, b: 4}
    p = cli(str(out), "-o", url, "--rename-agent", f"{a}={a}-copy", "--rename-agent", f"{b}={b}-copy")
    assert p.returncode == 0, p.stderr
    for n in (a, b):
        [copy] = by_name(live_letta, f"{n}-copy")
        assert blocks_of(copy) == blocks_of(live_letta.agent(ids[n]))
        assert passages_of(live_letta, copy["id"]) == passages_of(live_letta, ids[n])
    p = cli("ls", f"{url}/agents/{ids[a]}", "--json")
    assert p.returncode == 0, p.stderr
    [row] = json.loads(p.stdout)
    assert (row["name"], row["blocks"], row["passages"]) == (a, 3, 4)
    assert row["messages"] > len(MESSAGES) and row["messages_in_context"] > len(MESSAGES)  # + system, tool returns
    p = cli("ls", url)
    assert p.returncode == 0 and a.encode() in p.stdout and b.encode() in p.stdout, p.stderr


def test_strategies_on_a_live_letta(live_letta: LettaServer, source: dict[str, Any],
                                    tmp_path: Path) -> None:
    url = source["url"]
    name, f = pulled_as(source, tmp_path, "strat")
    assert cli(str(f), "-o", url).returncode == 0
    [first] = by_name(live_letta, name)
    p = cli(str(f), "-o", url)
    assert p.returncode == ExitCode.EXISTS and b"exist on the server" in p.stderr
    p = cli(str(f), "-o", url, "--strategy", "skip")
    assert p.returncode == 0 and b"agents: 1 skip" in p.stderr
    assert passages_of(live_letta, first["id"]) == passages_of(live_letta, source["id"])
    # change the input: a block value, a new block, a new passage
    recs = [json.loads(line) for line in f.read_text().splitlines()]
    agent = next(r for r in recs if r["kind"] == "agent")
    for r in recs:
        if r["kind"] == "block" and r["label"] == "human":
            r["value"] = "Name: Dana. Prefers phone now."
    recs.insert(3, {"kind": "block", "id": "block-new", "label": "plans", "value": "Q3 renewal", "limit": 1000})
    agent["block_ids"].append("block-new")
    recs.append({"kind": "passage", "id": "passage-new", "text": "Dana renewed for a year.", "tags": ["renewal"],
                 "scope": {"agent_id": agent["id"]}})
    g = tmp_path / "b.jsonl"
    g.write_text("".join(json.dumps(r) + "\n" for r in recs))
    dry = memconv.convert([g], "letta", url, strategy="merge", dry_run=True).info["plan"]
    assert passages_of(live_letta, first["id"])[("Dana renewed for a year.", ("renewal",))] == 0
    real = memconv.convert([g], "letta", url, strategy="merge").info["plan"]
    assert dry == real
    assert real["collections"]["blocks"] == {"insert": 1, "update": 1, "skip": 2, "delete": 0, "keep": 0}
    assert real["collections"]["passages"] == {"insert": 1, "update": 0, "skip": 4, "delete": 0, "keep": 0}
    [merged] = by_name(live_letta, name)
    assert merged["id"] == first["id"]
    blocks = blocks_of(merged)
    assert blocks["human"][0] == "Name: Dana. Prefers phone now." and blocks["plans"] == ("Q3 renewal", 1000, False)
    assert blocks["policies"] == blocks_of(source["state"])["policies"]
    again = memconv.convert([g], "letta", url, strategy="merge").info["plan"]  # nothing left to add
    assert again["collections"]["passages"]["insert"] == 0 and again["collections"]["blocks"]["skip"] == 4
    assert sum(passages_of(live_letta, first["id"]).values()) == 5
    real = memconv.convert([f], "letta", url, strategy="replace").info["plan"]
    assert real["collections"]["passages"] == {"insert": 4, "update": 0, "skip": 0, "delete": 5, "keep": 0}
    [replaced] = by_name(live_letta, name)
    assert replaced["id"] != first["id"]
    assert blocks_of(replaced) == blocks_of(source["state"])
    assert passages_of(live_letta, replaced["id"]) == passages_of(live_letta, source["id"])


class _DiesAfter(httpx.BaseTransport):
    """Passes requests through until ``n`` passage inserts were answered, then refuses every request."""

    def __init__(self, inner: httpx.BaseTransport, n: int):
        self.inner, self.left = inner, n

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.left <= 0:
            raise httpx.ConnectError("connection refused (the test cut the server off)", request=request)
        if request.method == "POST" and request.url.path.endswith("/archival-memory"):
            self.left -= 1
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_failure_mid_push_is_reported_and_a_retry_leaves_no_duplicates(live_letta: LettaServer,
                                                                      source: dict[str, Any], tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    url = source["url"]
    name, f = pulled_as(source, tmp_path, "cut")
    monkeypatch.setenv("MEMCONV_HTTP_BACKOFF", "0.01")
    monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", lambda inner: _DiesAfter(inner, 2))
    report = memconv.Report()
    with pytest.raises(PartialWrite) as e:
        memconv.convert([f], "letta", url, report=report)
    assert e.value.exit_code == ExitCode.PARTIAL == 10
    msg = e.value.message
    assert "1 agents imported" in msg and f"2 passages into {name!r}" in msg and "--strategy merge" in msg
    assert "under way when it failed may have been carried out" in msg
    # the report's written is what the server confirmed, not what the push prepared (4 passages)
    assert report.written == {"letta:agents imported": 1, f"letta:passages into {name!r}": 2}
    assert report.info["prepared"]
    [half] = by_name(live_letta, name)
    assert sum(passages_of(live_letta, half["id"]).values()) == 2
    monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", None)  # the server is back
    plan = memconv.convert([f], "letta", url, strategy="merge").info["plan"]
    assert plan["collections"]["passages"] == {"insert": 2, "update": 0, "skip": 2, "delete": 0, "keep": 0}
    [done] = by_name(live_letta, name)  # still one agent of that name
    assert done["id"] == half["id"]
    assert blocks_of(done) == blocks_of(source["state"])
    assert passages_of(live_letta, done["id"]) == passages_of(live_letta, source["id"])  # 4, none twice


def test_a_replace_cut_off_among_the_passages_keeps_the_old_agent(live_letta: LettaServer, source: dict[str, Any],
                                                                  tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--strategy replace`` deletes the old agent of that name last, once the new one has its passages:
    cut off after two of four passages (the server refusing one, or a signal), the old agent and its
    passages are all still there (they were deleted before the passages went in, and lost), and a second
    replace leaves one whole agent. A stand-in transport makes the fault half-way."""
    url = source["url"]
    name, f = pulled_as(source, tmp_path, "rep")
    memconv.convert([f], "letta", url)
    [old] = by_name(live_letta, name)
    monkeypatch.setenv("MEMCONV_HTTP_BACKOFF", "0.01")
    monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", lambda inner: _DiesAfter(inner, 2))
    with pytest.raises(PartialWrite) as e:
        memconv.convert([f], "letta", url, strategy="replace")
    assert "--strategy replace" in e.value.message and "old agents deleted" not in e.value.message
    monkeypatch.setattr(transport, "TRANSPORT_WRAPPER", None)
    agents = by_name(live_letta, name)
    assert old["id"] in {a["id"] for a in agents} and len(agents) == 2  # the old one whole, the new one half
    assert passages_of(live_letta, old["id"]) == passages_of(live_letta, source["id"])
    memconv.convert([f], "letta", url, strategy="replace")
    [new] = by_name(live_letta, name)
    assert new["id"] != old["id"] and passages_of(live_letta, new["id"]) == passages_of(live_letta, source["id"])


def test_a_block_edited_in_letta_comes_back_from_a_built_agent(live_letta: LettaServer, tmp_path: Path) -> None:
    """mem0 memories pushed to Letta get an agent memconv builds (tag ``memconv``); its human block is
    then edited in Letta. Pulled to AgentMemory, the agent and its edited block are kept (they were left
    out as memconv's scaffolding, counted filtered): the real server keeps the block's
    ``metadata.memconv_built`` mark, which tells the edit."""
    user = f"u-{uuid.uuid4().hex[:8]}"
    src = tmp_path / "m.json"
    src.write_text(json.dumps({"results": [{"id": str(uuid.uuid4()), "memory": "likes green tea", "hash": None,
                                            "metadata": None, "created_at": None, "updated_at": None,
                                            "user_id": user}]}))
    url = f"letta+{live_letta.url}"
    memconv.convert([src], "letta", url)
    [agent] = by_name(live_letta, f"mem0 {user}")
    state = live_letta.agent(agent["id"])
    human = next(b for b in state["blocks"] if b["label"] == "human")
    assert (human.get("metadata") or {}).get("memconv_built")  # the server kept the mark
    assert live_letta.client is not None
    r = live_letta.client.patch(f"/v1/blocks/{human['id']}", json={"value": f"USER EDITED: {user} is the PM"})
    assert r.status_code == 200, r.text
    out = tmp_path / "back.json"
    report = memconv.convert([f"{url}/agents/{agent['id']}"], "agentmemory", out)
    assert f"USER EDITED: {user} is the PM" in out.read_text()
    assert report.ledger()["agent"]["native"] == 1


def test_import_overrides_and_secrets(live_letta: LettaServer, tmp_path: Path) -> None:
    c = live_letta.client
    assert c is not None
    name = f"live-sec-{uuid.uuid4().hex[:6]}"
    r = c.post("/v1/agents/", json={"name": name, "model": "letta/letta-free", "secrets": {"WEATHER_KEY": "orig-1"},
                                    "memory_blocks": [{"label": "human", "value": "x"}]})
    assert r.status_code == 200, r.text
    out = tmp_path / "s.jsonl"
    assert cli(f"letta+{live_letta.url}/agents/{r.json()['id']}", "--to", "canonical", "--jsonl",
               "-o", str(out)).returncode == 0
    assert "orig-1" not in out.read_text()  # blanked on the way, keys kept
    secrets = tmp_path / "secrets.json"
    secrets.write_text(json.dumps({"WEATHER_KEY": "wk-7f3e21aa"}))
    p = cli(str(out), "-o", f"letta+{live_letta.url}", "--rename-agent", f"{name}={name}-2",
            "--secrets", str(secrets), "--model", "letta/letta-free")
    assert p.returncode == 0, p.stderr
    assert b"wk-7f3e21aa" not in p.stderr
    [a] = by_name(live_letta, f"{name}-2")
    got = c.get(f"/v1/agents/{a['id']}", params={"include": "agent.secrets"}).json()
    assert {s["key"]: s["value"] for s in got.get("secrets") or []} == {"WEATHER_KEY": "wk-7f3e21aa"}
    assert got["llm_config"]["handle"] == "letta/letta-free"


def test_unknown_agent_is_exit_9(live_letta: LettaServer) -> None:
    p = cli(f"letta+{live_letta.url}/agents/agent-00000000-0000-4000-8000-000000000000", "--to", "canonical")
    assert p.returncode == ExitCode.REMOTE and b"no agent" in p.stderr


def test_small_pages_give_the_same_pull(live_letta: LettaServer, source: dict[str, Any], tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Paging (agents, passages, messages with ``after``) with one item a page gives what one big page
    gives; the message listing's pages are not cut at ``limit`` REST messages (Letta counts stored ones)."""
    from memconv.adapters.letta import client

    def pull(out: Path) -> list[dict[str, Any]]:
        memconv.convert([source["url"]], "canonical", out, jsonl=True, agents=[source["name"]],
                        read_all_messages=True)
        recs = [json.loads(line) for line in out.read_text().splitlines()[1:]]
        for r in recs:  # Letta's exporter gives each exported message a new random otid
            if r.get("provenance", {}).get("variant") == "v2":
                r.get("extras", {}).get("letta", {}).pop("otid", None)
        return recs

    big = pull(tmp_path / "big.jsonl")
    monkeypatch.setattr(client, "PAGE", 1)
    small = pull(tmp_path / "small.jsonl")
    # Tools are not paged: they come from the export, once per agent. In 2 of 7 full-suite runs (never
    # when this module ran alone) conversation_search differed between the two pulls; tools are the
    # server's, shared by name with every agent imported in the session, so the likely cause is another
    # test's import rewriting it. Paging is what this test checks: tools are compared by id and name.
    # Their order in the export moved too (conversation_search as tool-2 in one pull, tool-0 in the other, in
    # one of this stop's CI runs), and the file-local ids follow it: tools are compared as a set of names,
    # and an agent's tool ids as those names.
    def shape(recs: list[dict[str, Any]]) -> list[Any]:
        names = {r["id"]: r.get("name") for r in recs if r["kind"] == "tool"}
        out: list[Any] = [sorted(n or "" for n in names.values())]
        for r in recs:
            if r["kind"] == "tool":
                continue
            if r["kind"] == "agent":
                r = {**r, "tool_ids": sorted(names.get(t, t) or "" for t in r.get("tool_ids") or [])}
            out.append(r)
        return out

    for a, b in zip(shape(small), shape(big)):
        assert a == b, f"paged pull differs from one big page:\n{json.dumps(a, sort_keys=True)}\n{json.dumps(b, sort_keys=True)}"
    assert len(small) == len(big)
    assert sum(r["kind"] == "passage" for r in small) == 4
    history = [r for r in small if r["kind"] == "message" and r.get("in_context") is False]
    assert [r["content"][0]["text"] for r in history] == [m["content"] for m in MESSAGES[:4]]
