"""Letta -> AgentMemory: the main job, on every real agent file (issue 2's "done when")."""

from __future__ import annotations

import gzip
import json

import hypothesis
import pytest
from hypothesis import strategies as st

import memconv
from memconv.errors import UnsupportedVersion

from exportdata_model import check_export
from helpers import CORRUPT_AF, FIXTURES, GOOD_AF, LETTA, SAMPLE_AF, run_cli


def _doc(path):
    d = json.loads(path.read_bytes())
    return json.loads(d) if isinstance(d, str) else d


@pytest.mark.parametrize("path", GOOD_AF, ids=lambda p: p.name)
def test_every_af_converts_to_valid_exportdata(path, tmp_path):
    out = tmp_path / "out.json"
    proc = run_cli(path, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 0, proc.stderr.decode()
    export = check_export(json.loads(out.read_bytes()))
    assert export.version == "0.9.29"
    bundle = memconv.read(path)
    agents = bundle.of("agent")
    # one session per agent, named after it
    assert sorted(s.project for s in export.sessions) == sorted(a.name for a in agents)
    # every message is an observation in its agent's bucket
    n_obs = sum(len(v) for v in export.observations.values())
    assert n_obs == len(bundle.of("message"))
    # every block is a memory with its label and value, and a letta:block concept
    block_mems = [m for m in export.memories if any(c.startswith("letta:block:") for c in m.concepts)]
    assert sorted((m.title, m.content) for m in block_mems) == sorted((b.label, b.value) for b in bundle.of("block"))
    tool_mems = [m for m in export.memories if any(c.startswith("letta:tool:") for c in m.concepts)]
    assert len(tool_mems) == len(bundle.of("tool"))
    sys_mems = [m for m in export.memories if "letta:system" in m.concepts]
    assert len(sys_mems) == sum(1 for a in agents if a.system)
    assert len([m for m in export.memories if "letta:file" in m.concepts]) == len(bundle.of("file"))


def test_messages_are_in_conversation_order():
    """A compacted legacy agent (in-context indices 89, 81, 80, ...): observations by time, not
    in-context ones first (issue 11.3; tests/test_unique_ids.py has the untimed and suffix cases)."""
    path = LETTA / "letta-tests__memgpt_agent_with_convo.af"
    doc = _doc(path)
    export = json.loads(run_cli(path, "--to", "agentmemory").stdout)
    obs = next(iter(export["observations"].values()))
    by_time = sorted(range(len(doc["messages"])), key=lambda i: (doc["messages"][i]["created_at"], i))
    assert [o["memconv"]["id"] for o in obs] == [f"message-{i}" for i in by_time]
    assert len(obs) == len(doc["messages"])


def test_session_fields_follow_the_mapping():
    export = json.loads(run_cli(SAMPLE_AF, "--to", "agentmemory").stdout)
    (s,) = export["sessions"]
    assert s["project"] == "support_helper" and s["agentId"] == "support_helper"
    assert s["cwd"] == "" and s["status"] == "completed"
    assert s["model"] == "letta/letta-free"
    assert s["startedAt"] == "2026-11-20T09:00:00.000Z" and s["endedAt"] == "2026-11-20T09:00:10.000Z"
    assert s["observationCount"] == 4
    obs = export["observations"][s["id"]]
    assert [o["type"] for o in obs] == ["conversation"] * 4
    assert obs[1]["title"].startswith("user: My invoice")
    assert "send_message" in obs[2]["narrative"] and "refund the double charge" in obs[2]["narrative"]
    assert all(o["origin"]["channel"] == "import" and o["origin"]["detail"].startswith("letta:support_helper/")
               for o in obs)
    persona = next(m for m in export["memories"] if "letta:block:persona" in m["concepts"])
    assert persona["type"] == "fact" and persona["sessionIds"] == [s["id"]]
    assert persona["memconv"]["read_only"] is True and persona["memconv"]["limit"] == 5000


def test_output_is_deterministic(tmp_path):
    # evie.af carries its export time; the legacy file does not, so --timestamp pins exportedAt.
    for path, extra in ((LETTA / "evie.af", ()), (LETTA / "letta-tests__max_messages.af",
                                                  ("--timestamp", "2030-01-01T00:00:00.000Z"))):
        a = run_cli(path, "--to", "agentmemory", *extra).stdout
        b = run_cli(path, "--to", "agentmemory", *extra).stdout
        assert a == b and a


def test_exported_at_is_now_unless_timestamp_when_input_has_none():
    legacy = LETTA / "letta-tests__deep-thought.af"  # legacy files carry no export time
    a = json.loads(run_cli(legacy, "--to", "agentmemory").stdout)["exportedAt"]
    assert a.endswith("Z") and a[:2] == "20" and a != "2030-01-02T03:04:05.000Z"
    fixed = run_cli(legacy, "--to", "agentmemory", "--timestamp", "2030-01-02T03:04:05.000Z").stdout
    assert json.loads(fixed)["exportedAt"] == "2030-01-02T03:04:05.000Z"
    again = run_cli(legacy, "--to", "agentmemory", "--timestamp", "2030-01-02T03:04:05.000Z").stdout
    assert fixed == again


def test_exported_at_comes_from_the_af_when_it_has_one():
    doc = _doc(LETTA / "loop.af")
    export = json.loads(run_cli(LETTA / "loop.af", "--to", "agentmemory").stdout)
    assert export["exportedAt"].startswith(doc["created_at"][:19])


def test_corrupt_file_fails_with_one_line_and_exit_4(tmp_path):
    out = tmp_path / "out.json"
    proc = run_cli(CORRUPT_AF, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 4
    err = proc.stderr.decode().strip().splitlines()
    assert len(err) == 1 and err[0].startswith("memconv: error: ") and CORRUPT_AF.name in err[0]
    assert "line 1, column" in err[0] and "Traceback" not in proc.stderr.decode()
    assert not out.exists() and list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("version", ["0.9.29", "0.9.22", "0.3.0", "0.7.9"])
def test_target_version_in_allow_list(version):
    export = json.loads(run_cli(SAMPLE_AF, "--to", "agentmemory", "--target-version", version).stdout)
    assert export["version"] == version


@pytest.mark.parametrize("version", ["0.7.8", "0.9.30", "0.1.0", "v0.9.29", "1.0.0"])
def test_target_version_outside_allow_list_is_refused(version, tmp_path):
    out = tmp_path / "o.json"
    proc = run_cli(SAMPLE_AF, "--to", "agentmemory", "--target-version", version, "-o", out)
    assert proc.returncode == 5, proc.stderr
    assert version in proc.stderr.decode() and not out.exists()
    with pytest.raises(UnsupportedVersion):
        memconv.convert(SAMPLE_AF, to="agentmemory", output=str(out), target_version=version)


def test_gzip_in_and_out(tmp_path):
    gz_in = tmp_path / "agent.af.gz"
    gz_in.write_bytes(gzip.compress(SAMPLE_AF.read_bytes()))
    out = tmp_path / "out.json.gz"
    proc = run_cli(gz_in, "--to", "agentmemory", "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert out.read_bytes()[:2] == b"\x1f\x8b"
    plain = run_cli(SAMPLE_AF, "--to", "agentmemory").stdout
    assert gzip.decompress(out.read_bytes()) == plain


def test_stdin_to_stdout():
    proc = run_cli("-", "--to", "agentmemory", input=SAMPLE_AF.read_bytes())
    assert proc.returncode == 0
    assert proc.stdout == run_cli(SAMPLE_AF, "--to", "agentmemory").stdout


def test_bundle_and_rest_to_agentmemory():
    for path in (FIXTURES / "letta-bundle" / "support-desk.af.tar.gz", FIXTURES / "letta-rest" / "agents-list.json"):
        proc = run_cli(path, "--to", "agentmemory")
        assert proc.returncode == 0, proc.stderr
        check_export(json.loads(proc.stdout))


def test_passages_become_memories_in_their_agents_session():
    proc = run_cli(FIXTURES / "letta-rest" / "archival-memory.support-desk.json", "--to", "agentmemory")
    export = json.loads(proc.stdout)
    check_export(export)
    texts = [m["content"] for m in export["memories"] if "letta:passage" in m["concepts"]]
    src = json.loads((FIXTURES / "letta-rest" / "archival-memory.support-desk.json").read_text())
    assert texts == [p["text"] for p in src]


def test_timestamp_applies_only_when_the_input_carries_no_export_time(tmp_path):
    """``--timestamp`` is the export time "when the input carries none" (README, WriteOptions): an
    ``.af`` with its own ``created_at`` keeps it as ``exportedAt``, and records with no time of their
    own take that, not the option's."""
    src = LETTA / "letta-tests__test_agent.af"
    own = json.loads(src.read_text())["created_at"]
    assert own
    out = tmp_path / "a.json"
    memconv.convert(str(src), "agentmemory", str(out), timestamp="2001-01-01T00:00:00.000Z")
    text = out.read_text()
    assert json.loads(text)["exportedAt"][:19] == own[:19]
    assert "2001-01-01" not in text
    bare = tmp_path / "bare.jsonl"
    bare.write_text('{"kind":"memory","id":"m1","text":"likes tea"}\n')
    memconv.convert(str(bare), "agentmemory", str(tmp_path / "b.json"), timestamp="2001-01-01T00:00:00.000Z")
    doc = json.loads((tmp_path / "b.json").read_text())
    assert doc["exportedAt"] == "2001-01-01T00:00:00.000Z" == doc["memories"][0]["createdAt"]


def test_access_logs_that_are_not_an_array(tmp_path):
    """AgentMemory's importer fails on an ``accessLogs`` that is not an array (``'accessLogs must be an
    array'``, after writing the other collections in 0.9.2x): a non-empty one is refused with its place,
    as validate says (it said ok, and the value was written back); a null one is read, and not written."""
    doc = json.loads((FIXTURES / "agentmemory" / "example_minimal.json").read_text())
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**doc, "accessLogs": {"a": 1}}))
    r = run_cli("validate", bad)
    assert r.returncode == 1 and b"accessLogs: expected an array" in r.stdout + r.stderr
    r = run_cli(bad, "--to", "agentmemory", "-o", tmp_path / "o.json")
    assert r.returncode == 4 and b"accessLogs must be an array" in r.stderr and not (tmp_path / "o.json").exists()
    null = tmp_path / "null.json"
    null.write_text(json.dumps({**doc, "accessLogs": None}))
    out = tmp_path / "n.json"
    assert run_cli(null, "--to", "agentmemory", "-o", out).returncode == 0
    assert "accessLogs" not in json.loads(out.read_text())


def test_an_output_over_agentmemorys_payload_limit_is_warned_about(tmp_path):
    """Without ``--split``, a document over the ~15 MiB AgentMemory takes in one import request is still
    written (files can be imported other ways), with a warning that says to use --split (there was none)."""
    src = tmp_path / "big.jsonl"
    text = "x" * 6000
    src.write_text("".join(json.dumps({"kind": "memory", "id": f"m{i}", "text": f"{i} {text}"}) + "\n"
                           for i in range(3000)))
    r = run_cli(src, "--to", "agentmemory", "-o", tmp_path / "o.json")
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "o.json").stat().st_size > 15 * 2 ** 20
    assert b"over the ~15 MiB AgentMemory takes in one import request; write it with --split" in r.stderr
    small = run_cli(FIXTURES / "agentmemory" / "example_full.json", "--to", "agentmemory", "-o", tmp_path / "s.json")
    assert b"15 MiB" not in small.stderr


@hypothesis.settings(max_examples=400, deadline=None)
@hypothesis.given(st.text(alphabet=st.sampled_from([" ", "\n", "\t", "\u3000", "\u00a0", "a", "é", "字", "😀", "b"]),
                          max_size=1200), st.sampled_from(["", "user: "]))
def test_title_of_equals_the_whole_text_collapse(text, prefix):
    """title_of collapses only a head of a long text; the title must be the one the whole text gives."""
    from memconv.adapters.agentmemory.shape import TITLE_CHARS, title_of

    first = " ".join(text.split())
    if len(first) > TITLE_CHARS:
        first = first[: TITLE_CHARS - 1].rstrip() + "…"
    assert title_of(text, prefix) == (f"{prefix}{first}" if prefix else (first or "(empty)"))


def test_an_empty_system_prompt_or_description_comes_back_empty_not_missing(tmp_path):
    """AgentMemory holds an agent's system prompt as a workflow memory and its description as the
    session's summary, written only when they are set: an empty one (``""``) came back as None, and
    Letta gives an agent with no system prompt its default one. It rides in the session's memconv key."""
    from memconv.model import Agent, Header
    out = tmp_path / "am.json"
    agents = [Agent(id="agent-0", name="blank", system="", description=""),
              Agent(id="agent-1", name="unset"),
              Agent(id="agent-2", name="set", system="You help.", description="A helper.")]
    memconv.write_records([Header(source_system="letta"), *agents], "agentmemory", str(out))
    back = {a.name: (a.system, a.description) for a in memconv.read(str(out)).of("agent")}
    assert back == {"blank": ("", ""), "unset": (None, None), "set": ("You help.", "A helper.")}
    check_export(json.loads(out.read_text()))


def test_an_observation_id_two_sessions_share_comes_back_through_canonical(tmp_path):
    """AgentMemory keys observations per session, so two sessions may hold ``obs_m1``; canonical keys
    them per kind and gives the second ``obs_m1~2`` (its provenance keeps ``obs_m1``). Written back to
    AgentMemory, each has its own id again (it was ``obs_m1~2``, a second record on a merge push; found
    against the real 0.9.29 worker)."""
    import copy

    doc = json.loads((FIXTURES / "agentmemory" / "example_full.json").read_text())
    buckets = doc["observations"]
    first, second = list(buckets)[:2]
    twin = copy.deepcopy(buckets[first][0])
    twin["sessionId"] = second
    buckets[second].append(twin)
    src = tmp_path / "in.json"
    src.write_text(json.dumps(doc))
    canon = tmp_path / "c.json"
    memconv.convert(str(src), "canonical", str(canon))
    assert f'{twin["id"]}~2' in canon.read_text()
    out = tmp_path / "back.json"
    memconv.convert(str(canon), "agentmemory", str(out))
    back = json.loads(out.read_text())["observations"]
    assert [o["id"] for o in back[second]].count(twin["id"]) == 1
    assert not any("~2" in o["id"] for rows in back.values() for o in rows)


def test_an_observation_id_changed_in_canonical_on_purpose_is_kept(tmp_path):
    """Only an id canonical derived from the AgentMemory one (``obs_x~2``) goes back to it: an id a user
    gave in a canonical file stays theirs (found by review)."""
    canon = tmp_path / "c.jsonl"
    memconv.convert(str(FIXTURES / "agentmemory" / "example_full.json"), "canonical", str(canon), jsonl=True)
    lines = [json.loads(x) for x in canon.read_text().splitlines()]
    obs = next(r for r in lines if r.get("kind") == "observation")
    old = obs["id"]
    obs["id"] = "obs_renamed_1"
    canon.write_text("\n".join(json.dumps(r) for r in lines) + "\n")
    out = tmp_path / "back.json"
    memconv.convert(str(canon), "agentmemory", str(out))
    ids = [o["id"] for rows in json.loads(out.read_text())["observations"].values() for o in rows]
    assert "obs_renamed_1" in ids and old not in ids
