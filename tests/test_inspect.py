"""memconv inspect (issue 11 item 16): the source's own record kinds first, in its own words, then the
canonical ones; a canonical file's schema version; plural English kind names."""

from __future__ import annotations

import gzip
import json

from memconv.model import SCHEMA_VERSION

from helpers import FIXTURES, LETTA, SAMPLE_AF, run_cli


def _inspect(*paths):
    proc = run_cli("inspect", *paths, "--json")
    assert proc.returncode == 0, proc.stderr.decode()
    return json.loads(proc.stdout)


def _text(*paths):
    proc = run_cli("inspect", *paths)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_agentmemory_export_in_its_own_words():
    (inp,) = _inspect(FIXTURES / "agentmemory" / "example_full.json")["inputs"]
    assert list(inp["native"])[:6] == ["sessions", "observations", "memories", "summaries", "graphNodes", "graphEdges"]
    assert inp["native"]["observations"] == 7 and inp["native"]["accessLogs"] == 2
    assert inp["records"]["memories"] == 4 and inp["records"]["entities"] == 3 and inp["records"]["summaries"] == 1
    text = _text(FIXTURES / "agentmemory" / "example_full.json")
    assert text.index("agentmemory records:") < text.index("canonical records:")
    assert "memorys" not in text and "entitys" not in text and "summarys" not in text


def test_agentmemory_written_by_memconv_counts_what_the_file_holds(tmp_path):
    out = tmp_path / "a.json.gz"
    assert run_cli(SAMPLE_AF, "--to", "agentmemory", "-o", out).returncode == 0
    (inp,) = _inspect(out)["inputs"]
    doc = json.loads(gzip.decompress(out.read_bytes()))
    assert inp["native"]["sessions"] == len(doc["sessions"])
    assert inp["native"]["observations"] == sum(len(v) for v in doc["observations"].values())
    assert inp["records"] == {"agents": 1, "blocks": 2, "tools": 1, "messages": 4}


def test_mem0_file_memories_history_and_memconv_side_channel(tmp_path):
    (inp,) = _inspect(FIXTURES / "mem0" / "get_all_v11.json")["inputs"]
    assert inp["native"] == {"memories": 19} and inp["records"] == {"memories": 19}
    (inp,) = _inspect(FIXTURES / "mem0" / "history_table_raw.json")["inputs"]
    assert list(inp["native"]) == ["history events"] and list(inp["records"]) == ["events"]
    out = tmp_path / "m.json"
    assert run_cli(SAMPLE_AF, "--to", "mem0", "-o", out).returncode == 0
    (inp,) = _inspect(out)["inputs"]
    assert inp["native"] == {"memories": 2}  # the two blocks are mem0 items
    assert inp["memconv"] == {"agents": 1, "tools": 1, "messages": 4}


def test_letta_file_agents_blocks_messages_tools():
    (inp,) = _inspect(LETTA / "evie.af")["inputs"]
    assert inp["native"] == {"agents": 2, "groups": 1, "blocks": 13, "tools": 17, "messages": 3}
    (inp,) = _inspect(LETTA / "letta-tests__deep-thought.af")["inputs"]  # legacy: core_memory is its blocks
    assert inp["native"]["agents"] == 1 and inp["native"]["blocks"] == inp["records"]["blocks"]


def test_canonical_file_shows_the_schema_version(tmp_path):
    out = tmp_path / "c.json"
    assert run_cli(LETTA / "evie.af", "--to", "canonical", "-o", out).returncode == 0
    info = _inspect(out)
    (inp,) = info["inputs"]
    assert inp["format"] == "canonical" and inp["version"] == SCHEMA_VERSION == info["version"]
    assert inp["source"]["system"] == "letta" and inp["source"]["version"] == "3e54e2fa2f7e"
    assert f"canonical schema {SCHEMA_VERSION}" in _text(out)


def test_each_input_described_on_its_own(tmp_path):
    info = _inspect(SAMPLE_AF, FIXTURES / "mem0" / "get_all_v11.json")
    assert [i["format"] for i in info["inputs"]] == ["letta", "mem0"]
    assert info["inputs"][1]["records"] == {"memories": 19}
    assert info["counts"]["memory"] == 19 and info["counts"]["agent"] == 1
