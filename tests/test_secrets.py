"""Secrets (issue 16 item 6): every form read, every place blanked, no value ever printed."""

from __future__ import annotations

import json

import pytest

import memconv

from helpers import SAMPLE_AF, run_cli

SECRETS = ("sk-list-secret-9876", "tok-meta-secret-5555", "pw-url-4444", "qk-secret-3333", "PASS-mcp-2222",
           "KEY-mcp-1111", "sk-dict-secret-7777")


def _af(tmp_path, secrets, name="s.af"):
    doc = json.loads(SAMPLE_AF.read_text())
    a = doc["agents"][0]
    a["secrets"] = secrets
    a["metadata"] = {"token": "tok-meta-secret-5555", "note": "fine",
                     "endpoint": "https://bob:pw-url-4444@api.example.com/v1?key=qk-secret-3333&x=1"}
    doc["mcp_servers"] = [{"id": "mcp_server-0", "server_type": "sse", "server_name": "srv", "metadata_": {},
                           "server_url": "https://user:PASS-mcp-2222@host/sse?api_key=KEY-mcp-1111&mode=a"}]
    p = tmp_path / name
    p.write_text(json.dumps(doc))
    return p


def _leaks(*texts: bytes | str) -> list[str]:
    blob = "".join(t.decode() if isinstance(t, bytes) else t for t in texts)
    return [s for s in SECRETS if s in blob]


@pytest.mark.parametrize("target", ["letta", "agentmemory", "mem0", "canonical"])
@pytest.mark.parametrize("secrets", [[{"key": "K2", "value": "sk-list-secret-9876"}],
                                     {"K": None, "K3": "sk-dict-secret-7777"}], ids=["list", "null"])
def test_secrets_in_every_form_and_place_are_blanked(tmp_path, target, secrets):
    src = _af(tmp_path, secrets)
    out, rep = tmp_path / "out.json", tmp_path / "rep.json"
    proc = run_cli(src, "--to", target, "-o", out, "--report", rep)
    assert proc.returncode == 0, proc.stderr.decode()
    assert not _leaks(out.read_bytes(), proc.stderr, rep.read_text())
    assert json.loads(rep.read_text())["secrets_blanked"] >= 6


def test_the_forms_are_read_keys_kept(tmp_path):
    agent = memconv.read(str(_af(tmp_path, [{"key": "K2", "value": "v-2"}]))).of("agent")[0]
    assert agent.secrets == {"K2": "v-2"}
    agent = memconv.read(str(_af(tmp_path, {"K": None, "K3": "v"}))).of("agent")[0]
    assert agent.secrets == {"K": "", "K3": "v"}
    out = tmp_path / "out.af"
    assert run_cli(_af(tmp_path, {"K": None}), "--to", "letta", "-o", out).returncode == 0
    doc = json.loads(out.read_text())
    assert doc["agents"][0]["secrets"] == {"K": ""}
    assert doc["agents"][0]["metadata"]["token"] == "" and doc["agents"][0]["metadata"]["note"] == "fine"
    assert doc["agents"][0]["metadata"]["endpoint"] == "https://api.example.com/v1?key=&x=1"
    assert doc["mcp_servers"][0]["server_url"] == "https://host/sse?api_key=&mode=a"


def test_keep_secrets_keeps_them(tmp_path):
    out = tmp_path / "out.af"
    proc = run_cli(_af(tmp_path, [{"key": "K2", "value": "sk-list-secret-9876"}]), "--to", "letta", "-o", out,
                   "--keep-secrets")
    assert proc.returncode == 0, proc.stderr.decode()
    assert set(_leaks(out.read_text())) == set(SECRETS) - {"sk-dict-secret-7777"}


@pytest.mark.parametrize("where,value", [
    ("secrets", [{"key": "K", "value": {"deep": "sk-bad-secret-6666"}}]),
    ("secrets", "sk-bad-secret-6666"),
    ("server_url", ["https://u:sk-bad-secret-6666@host"]),
])
def test_an_error_never_prints_a_secret(tmp_path, where, value):
    doc = json.loads(_af(tmp_path, {}).read_text())
    if where == "server_url":
        doc["mcp_servers"][0]["server_url"] = value
    else:
        doc["agents"][0]["secrets"] = value
    src = tmp_path / "bad.af"
    src.write_text(json.dumps(doc))
    proc = run_cli(src, "--to", "letta")
    assert "sk-bad-secret-6666" not in proc.stderr.decode() + proc.stdout.decode()
    if proc.returncode:
        assert proc.returncode == 4 and "secret" in proc.stderr.decode()


def test_canonical_secret_error_hides_the_value(tmp_path):
    src = tmp_path / "c.jsonl"
    src.write_text('{"kind":"header","schema_version":"1.0"}\n'
                   '{"kind":"agent","id":"a","name":"A","secrets":{"K":["sk-bad-secret-6666"]}}\n')
    proc = run_cli(src, "--to", "letta")
    err = proc.stderr.decode()
    assert proc.returncode == 4 and "agent.secrets.K" in err and "sk-bad-secret-6666" not in err


def test_canonical_null_secret_is_read_as_empty(tmp_path):
    """``{"K": null}`` (which Letta's importer accepts) is read as an empty value in every format."""
    src = tmp_path / "c.jsonl"
    src.write_text('{"kind":"header","schema_version":"1.0"}\n'
                   '{"kind":"agent","id":"a","name":"A","secrets":{"K":null,"K2":"v2-secret"}}\n')
    agent = next(r for r in memconv.read(str(src)).records if r.kind == "agent")
    assert agent.secrets == {"K": "", "K2": "v2-secret"}
    proc = run_cli(src, "--to", "letta", "-o", tmp_path / "a.af")
    assert proc.returncode == 0, proc.stderr
    (written,) = json.loads((tmp_path / "a.af").read_text())["agents"]
    assert "v2-secret" not in json.dumps(written)


@pytest.mark.parametrize("url,expected,n", [
    ("https://user:PASS@host/sse?api_key=KEY", "https://host/sse?api_key=", 2),
    ("https://TOKEN@host/x", "https://host/x", 1),
    ("https://host/x?token=t&page=2&secret=s&password=p&key=k", "https://host/x?token=&page=2&secret=&password=&key=", 4),
    ("https://host/x?max_tokens=5&q=a%20b#frag", "https://host/x?max_tokens=5&q=a%20b#frag", 0),
    ("not a url", "not a url", 0),
])
def test_blank_url(url, expected, n):
    from memconv.secrets import blank_url

    assert blank_url(url) == (expected, n)


def test_secret_key_names():
    from memconv.secrets import is_secret_key

    for k in ("api_key", "OPENAI_API_KEY", "token", "github-token", "key", "secret", "password", "db.password",
              "Authorization", "client_secret"):
        assert is_secret_key(k), k
    for k in ("max_tokens", "token_count", "keys", "monkey", "note", "handle", "model_endpoint"):
        assert not is_secret_key(k), k


def test_the_report_file_hides_secrets_inside_strings_only_and_escapes_undecodable_names(tmp_path, monkeypatch):
    """A secret whose value is ``false`` made the report invalid JSON (``"dry_run": ***``); a file name with
    bytes that are not UTF-8 crashed it (exit 70). Secrets are now hidden inside strings, and such a
    name shows its bytes escaped."""
    import json as _json

    from memconv import transport
    from memconv.report import Report, write_report
    from memconv.transport import register_secret

    monkeypatch.setattr(transport, "_SECRETS", set())  # this test's secrets only, gone after it
    register_secret("false")
    register_secret("s3cr3t-value")
    r = Report()
    r.read["memory"] += 1
    r.info["inputs"] = [{"name": "caf\udce9.json", "format": "mem0"}]
    r.info["dry_run"] = False
    r.warn("a message naming s3cr3t-value")
    path = tmp_path / "r.json"
    write_report(str(path), r, inputs=["caf\udce9.json"], output="-", dry_run=False)
    doc = _json.loads(path.read_text())
    assert doc["dry_run"] is False
    assert doc["inputs"][0]["name"] == "caf\\xe9.json"
    assert "s3cr3t-value" not in path.read_text() and "***" in path.read_text()
