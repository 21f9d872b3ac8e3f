"""Live-system addressing, tokens, redaction and the HTTP transport (no real server needed).

Servers here are in-process stand-ins on 127.0.0.1 (:mod:`live_standins`, or a tiny one defined
below that answers as each test needs).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from memconv.errors import ExitCode, RemoteError, UsageError
from memconv.remote import RemoteInput, is_remote, parse, resolve_token
from memconv.transport import HTTPError, Transport, redact, register_secret

from agentmemory_server import start_worker

SECRET = "tok-3f9a7c1e-never-print-me"


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m memconv ARGS`` with ``env`` added to a clean copy of the environment (no tokens)."""
    e = {k: v for k, v in os.environ.items() if k not in ("LETTA_API_KEY", "AGENTMEMORY_SECRET", "MEM0_API_KEY")}
    e.update({"MEMCONV_HTTP_BACKOFF": "0.01", **(env or {})})
    return subprocess.run([sys.executable, "-m", "memconv", *args], capture_output=True, env=e, cwd=cwd,
                          timeout=300)


# ---------------------------------------------------------------- addresses


@pytest.mark.parametrize("spec, system, base, agent", [
    ("letta+http://127.0.0.1:8283", "letta", "http://127.0.0.1:8283", None),
    ("letta+http://127.0.0.1:8283/", "letta", "http://127.0.0.1:8283", None),
    ("letta+https://api.example.com/agents/agent-1234", "letta", "https://api.example.com", "agent-1234"),
    ("letta+http://host:1/prefix/v1/agents/agent-9/", "letta", "http://host:1/prefix", "agent-9"),
    ("letta+http://host:1/agents", "letta", "http://host:1", None),
    ("LETTA+HTTP://host:1", "letta", "http://host:1", None),
    ("agentmemory+http://127.0.0.1:3111", "agentmemory", "http://127.0.0.1:3111", None),
    ("agentmemory+https://mem.example/agentmemory", "agentmemory", "https://mem.example", None),
    ("mem0+https://api.mem0.ai", "mem0", "https://api.mem0.ai", None),
    ("mem0+https://api.mem0.ai/v3/", "mem0", "https://api.mem0.ai", None),
    ("agentmemory+http://[::1]:3111", "agentmemory", "http://[::1]:3111", None),
])
def test_parse_http_addresses(spec: str, system: str, base: str, agent: str | None) -> None:
    assert is_remote(spec)
    u = parse(spec)
    assert (u.system, u.base_url, u.agent_id) == (system, base, agent)
    assert u.display == spec


def test_parse_mem0_config(tmp_path: Path) -> None:
    u = parse(f"mem0+config:{tmp_path}/m.yaml")
    assert (u.system, u.transport, u.config_path, u.base_url) == ("mem0", "config", f"{tmp_path}/m.yaml", "")
    assert parse("mem0+config://etc/mem0.json").config_path == "etc/mem0.json"
    assert parse("mem0+config:~/x.json").config_path == os.path.expanduser("~/x.json")


@pytest.mark.parametrize("spec, words", [
    ("letta+http://user:pw@host:1", "token or password in the address is refused"),
    ("letta+http://tok@host:1", "LETTA_API_KEY"),
    ("agentmemory+http://host:1?maxSessions=3", "query string"),
    ("letta+http://host:99999", "bad address"),
    ("letta+http://", "no host"),
    ("letta+config:/x.json", "only mem0"),
    ("mem0+config:", "name the mem0 config file"),
    ("http://host:1", "not a live-system address"),
])
def test_parse_refuses(spec: str, words: str) -> None:
    with pytest.raises(UsageError) as e:
        parse(spec)
    assert words in e.value.message
    assert "pw@" not in e.value.message and "tok@" not in e.value.message


def test_files_are_not_addresses(tmp_path: Path) -> None:
    for spec in ("agent.af", "-", str(tmp_path / "letta+http.json"), "./letta+http://x", 3, None):
        assert not is_remote(spec)
    assert RemoteInput("letta+http://h:1").size() is None


# ---------------------------------------------------------------- tokens


def test_token_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    u = parse("agentmemory+http://h:1")
    monkeypatch.delenv("AGENTMEMORY_SECRET", raising=False)
    assert resolve_token(u) is None
    monkeypatch.setenv("AGENTMEMORY_SECRET", "from-env-1234")
    assert resolve_token(u) == "from-env-1234"
    assert resolve_token(u, "from-flag-5678") == "from-flag-5678"  # --source/--target-token wins
    assert resolve_token(u, "") == "from-env-1234"  # an empty flag is no flag
    monkeypatch.setenv("LETTA_API_KEY", "letta-key-0000")
    assert resolve_token(parse("letta+http://h:1")) == "letta-key-0000"  # each system its own variable
    monkeypatch.delenv("MEM0_API_KEY", raising=False)
    assert resolve_token(parse("mem0+https://h")) is None


def test_source_and_target_tokens_go_to_their_servers(tmp_path: Path) -> None:
    """One command between two servers with different secrets: each gets its own token."""
    src_secret, dst_secret = "src-secret-aaaa1111", "dst-secret-bbbb2222"
    fixture = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "agentmemory" / "example_full.json"
    with start_worker(secret=src_secret) as src, start_worker(secret=dst_secret) as dst:  # real workers
        p = cli(str(fixture), "-o", f"agentmemory+{src.url}", env={"AGENTMEMORY_SECRET": src_secret})
        assert p.returncode == 0, p.stderr
        p = cli(f"agentmemory+{src.url}", "-o", f"agentmemory+{dst.url}", "--source-token", src_secret,
                "--target-token", dst_secret)
        assert p.returncode == 0, p.stderr
        assert dst.counts() == src.counts()
        # the wrong way round: the source refuses the target's token, nothing is written
        p = cli(f"agentmemory+{src.url}", "-o", f"agentmemory+{dst.url}", "--source-token", dst_secret,
                "--target-token", src_secret, "--strategy", "merge")
        assert p.returncode == ExitCode.REMOTE
        assert b"401" in p.stderr and b"--source-token" in p.stderr
        assert dst_secret.encode() not in p.stderr and src_secret.encode() not in p.stderr


# ---------------------------------------------------------------- redaction


class _Echo(BaseHTTPRequestHandler):
    """Answers 500 with the request's Authorization header in the body (a badly behaved server)."""

    def log_message(self, *a: Any) -> None:
        pass

    def _do(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        status, body = self.server.plan(self)  # type: ignore[attr-defined]
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _do


class _Tiny:
    def __init__(self, plan: Any):
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
        self.httpd.plan = plan  # type: ignore[attr-defined]
        self.httpd.hits = 0  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    @property
    def hits(self) -> int:
        return self.httpd.hits  # type: ignore[attr-defined]

    def __enter__(self) -> "_Tiny":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *a: Any) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def test_redact_hides_registered_secrets() -> None:
    register_secret("abc")  # too short to hide safely: ignored
    register_secret("sk-redact-me-42")
    assert redact("key sk-redact-me-42 and abc") == "key *** and abc"


def test_token_echoed_by_a_server_never_reaches_the_user(tmp_path: Path) -> None:
    """A server that puts the Authorization header in its error body: the message, stderr and the
    --report file hold no token."""
    with _Tiny(lambda h: (500, {"error": f"bad request, you sent {h.headers.get('Authorization')}"})) as srv:
        report = tmp_path / "report.json"
        p = cli(f"agentmemory+{srv.url}", "--to", "canonical", "-o", str(tmp_path / "out.json"),
                "--report", str(report), env={"AGENTMEMORY_SECRET": SECRET})
        assert p.returncode == ExitCode.REMOTE
        assert b"HTTP 500" in p.stderr and b"you sent Bearer ***" in p.stderr
        assert SECRET.encode() not in p.stderr + p.stdout
        assert not report.exists() or SECRET not in report.read_text()
        p = cli("ls", f"agentmemory+{srv.url}", "--token", SECRET)
        assert p.returncode == ExitCode.REMOTE and SECRET.encode() not in p.stderr + p.stdout


def test_token_not_in_report_of_a_push(tmp_path: Path) -> None:
    fixture = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "agentmemory" / "example_minimal.json"
    with start_worker(secret=SECRET) as srv:  # the real AgentMemory worker
        report = tmp_path / "r.json"
        p = cli(str(fixture), "-o", f"agentmemory+{srv.url}", "--target-token", SECRET, "--report", str(report))
        assert p.returncode == 0, p.stderr
        text = report.read_text()
        assert SECRET not in text and json.loads(text)["plan"]["collections"]
        assert json.loads(text)["target"]["url"] == f"agentmemory+{srv.url}"
        assert json.loads(text)["output"]["path"] is None
        assert SECRET.encode() not in p.stderr


# ---------------------------------------------------------------- transport


def test_get_is_retried_on_503_then_succeeds() -> None:
    calls = {"n": 0}

    def plan(h: Any) -> tuple[int, Any]:
        calls["n"] += 1
        return (503, {"error": "busy"}) if calls["n"] < 3 else (200, {"ok": True})

    with _Tiny(plan) as srv, Transport(srv.url, retries=3, backoff=0.0) as t:
        assert t.json("GET", "/x") == {"ok": True}
        assert srv.hits == 3


def test_retries_are_bounded_and_the_error_names_url_and_status() -> None:
    with _Tiny(lambda h: (502, {"error": "bad gateway"})) as srv, Transport(srv.url, retries=2, backoff=0.0) as t:
        with pytest.raises(HTTPError) as e:
            t.json("GET", "/v1/agents/")
        assert srv.hits == 3
        assert e.value.status == 502 and e.value.exit_code == ExitCode.REMOTE
        assert f"GET {srv.url}/v1/agents/: HTTP 502" in e.value.message


def test_post_not_repeated_on_500_but_on_429() -> None:
    """A write that may have been applied is never sent twice; a 429 (not applied) is."""
    with _Tiny(lambda h: (500, {"error": "boom"})) as srv, Transport(srv.url, retries=3, backoff=0.0) as t:
        with pytest.raises(HTTPError):
            t.request("POST", "/v1/agents/x/archival-memory", json={"text": "a"})
        assert srv.hits == 1
    seq = iter([(429, {"error": "slow down"}), (200, {"ok": 1})])
    with _Tiny(lambda h: next(seq)) as srv, Transport(srv.url, retries=3, backoff=0.0) as t:
        assert t.json("POST", "/x", json={}) == {"ok": 1}
        assert srv.hits == 2


def test_connection_refused_is_remote_error_naming_the_url() -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    slept: list[float] = []
    t = Transport(f"http://127.0.0.1:{port}", retries=2, backoff=0.5, sleep=slept.append)
    with pytest.raises(RemoteError) as e:
        t.request("GET", "/agentmemory/export")
    assert f"http://127.0.0.1:{port}/agentmemory/export" in e.value.message and "cannot connect" in e.value.message
    assert len(slept) == 2 and 0.4 < slept[0] < 0.6 and 0.9 < slept[1] < 1.2  # backoff doubles


def test_cli_errors_for_live_addresses(tmp_path: Path) -> None:
    p = cli(str(tmp_path / "none.json"))
    assert p.returncode == ExitCode.USAGE and b"--to FORMAT is required" in p.stderr
    p = cli("ls", "notes.af")
    assert p.returncode == ExitCode.USAGE
    p = cli("letta+http://127.0.0.1:1", "--to", "canonical", "--model", "openai/gpt-4o")
    assert p.returncode == ExitCode.USAGE and b"--model" in p.stderr
    p = cli(str(Path(__file__).parent.parent / "fixtures" / "sample-agent.af"), "--to", "mem0",
            "-o", "agentmemory+http://127.0.0.1:1")
    assert p.returncode == ExitCode.USAGE and b"does not match" in p.stderr


# ---------------------------------------------------------------- Letta pieces that need no server


def test_rest_messages_of_one_stored_message_become_one_canonical_message() -> None:
    from memconv.adapters.letta.live import message_from_rest

    mid = "message-7d0c"
    m = message_from_rest([
        {"id": mid, "date": "2026-01-01T00:00:00+00:00", "message_type": "reasoning_message", "reasoning": "think",
         "otid": "o-1"},
        {"id": mid, "date": "2026-01-01T00:00:00+00:00", "message_type": "tool_call_message",
         "tool_call": {"name": "archival_memory_search", "arguments": "{\"query\": \"x\"}", "tool_call_id": "call-1"}},
    ], "agent-3")
    assert (m.id, m.agent_id, m.role, m.in_context) == (mid, "agent-3", "assistant", False)
    assert m.content == [{"type": "reasoning", "is_native": True, "reasoning": "think", "signature": None}]
    assert m.tool_calls == [{"id": "call-1", "type": "function",
                             "function": {"name": "archival_memory_search", "arguments": "{\"query\": \"x\"}"}}]
    assert m.extras["letta"]["otid"] == "o-1"
    r = message_from_rest([{"id": "message-8", "message_type": "tool_return_message", "tool_return": "[]",
                            "status": "success", "tool_call_id": "call-1", "date": "2026-01-01T00:00:01+00:00"}],
                          "agent-3")
    assert (r.role, r.tool_call_id, r.content) == ("tool", "call-1", [{"type": "text", "text": "[]"}])
    assert r.tool_returns[0]["func_response"] == "[]"
    u = message_from_rest([{"id": "message-9", "message_type": "user_message", "content": "hi"}], "agent-3")
    assert (u.role, u.content) == ("user", [{"type": "text", "text": "hi"}])


def test_exports_of_several_agents_make_one_document_with_unique_ids() -> None:
    from memconv.adapters.letta import read_document
    from memconv.adapters.letta.live import _Combined, _ids_of
    from memconv.report import Report

    path = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "letta-rest" / "export.support-desk.af"
    one = json.loads(path.read_text())
    c = _Combined()
    first = c.add(json.loads(path.read_text()))
    second_doc = json.loads(path.read_text())
    second_doc["agents"][0]["name"] = "second"
    second = c.add(second_doc)
    doc = c.doc
    assert first == {"agent-0": "agent-0"} and second["agent-0"] != "agent-0"
    assert len(doc["agents"]) == 2 and len(doc["blocks"]) == 2 * len(one["blocks"])
    assert len(doc["tools"]) == len(one["tools"])  # the same tools, kept once
    ids = [e["id"] for k in ("agents", "blocks", "tools") for e in doc[k]]
    assert len(ids) == len(set(ids)) and len(_ids_of(doc)) == 2 * len(_ids_of(one)) - len(one["tools"])
    a2 = doc["agents"][1]
    assert set(a2["tool_ids"]) == set(doc["agents"][0]["tool_ids"])  # references rewritten to the kept tools
    assert all(m["agent_id"] == a2["id"] for m in a2["messages"])
    assert set(a2["in_context_message_ids"]) <= {m["id"] for m in a2["messages"]}
    recs = list(read_document(doc, "combined", Report()))  # the reader's reference checks pass
    assert sum(getattr(r, "kind", "") == "agent" for r in recs) == 2


def test_replace_keeps_an_old_agent_whose_new_one_the_import_did_not_name(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stand-in Letta API answers one agent id for two imported agents (Letta warned COUNT_MISMATCH):
    the agent with no known new id gets no passages, and its old agent of that name is not deleted
    (it was: "the old agent stays until the new one is whole" did not hold; found by review)."""
    from memconv import Report
    from memconv.adapters.letta import live

    class API:
        def __init__(self) -> None:
            self.calls: list[str] = []

        def import_af(self, body: bytes, form: dict[str, str]) -> list[str]:
            self.calls.append("import")
            return ["agent-new-A"]

        def add_passage(self, agent_id: str, body: Any) -> None:
            self.calls.append(f"passage {agent_id}")

        def delete_agent(self, agent_id: str) -> None:
            self.calls.append(f"delete {agent_id}")

    def target(local: str, name: str, old: str) -> Any:
        t = live._Target({"id": local, "name": name}, [], [{"text": "p"}])
        t.action, t.existing, t.passage_ops = "replace", [{"id": old}], [{"text": f"passage of {name}"}]
        return t

    monkeypatch.setattr(live, "_passage_body", lambda p, report: p)
    api, report = API(), Report()
    doc = {"agents": [{"id": "agent-0", "name": "alpha"}, {"id": "agent-1", "name": "beta"}]}
    live._execute(api, parse("letta+http://127.0.0.1:1"), doc,
                  [target("agent-0", "alpha", "old-A"), target("agent-1", "beta", "old-B")], {}, None, report)
    assert api.calls == ["import", "passage agent-new-A", "delete old-A"]
    assert any("answered 1 agent id(s) for 2" in w for w in report.warnings)
