"""mem0's Markdown export (the mem0 plugin's export/import skills, issue 14 item 3): mem0 -> Markdown ->
mem0 gives the same memories, and the file is what the plugin's own import parser reads
(``fixtures/mem0-plugin/parse_export_file.py``, mem0ai/mem0 ``integrations/mem0-plugin/scripts``)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import memconv
from memconv.report import Report

from helpers import FIXTURES, REPO

PARSER = REPO / "fixtures" / "mem0-plugin" / "parse_export_file.py"
MEM0 = FIXTURES / "mem0"
SOURCES = [MEM0 / "get_all_v11.json", MEM0 / "get_all_v11_user_bob.json", MEM0 / "openmemory" / "memories.json",
           MEM0 / "get_all_v10_legacy_list.json"]


def plugin_import(path) -> list[dict]:
    """What the plugin's import skill reads from ``path`` (its parser script, run as the skill runs it)."""
    done = subprocess.run([sys.executable, str(PARSER), str(path)], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_mem0_to_markdown_and_back_gives_the_same_memories(tmp_path, src):
    md = tmp_path / "mem0-export-demo-2026-12-04.md"
    report = memconv.convert(src, to="mem0", output=str(md))
    assert md.read_text().count("\nid: ") == sum(report.read.get(k, 0) for k in ("memory",))
    assert memconv.read(md).header.source_system == "mem0"  # detected from its content
    memconv.convert(md, to="mem0", output=str(tmp_path / "back.json"))
    memconv.convert(src, to="mem0", output=str(tmp_path / "direct.json"))
    back, direct = (json.loads((tmp_path / n).read_bytes()) for n in ("back.json", "direct.json"))
    if isinstance(direct, list):  # a v1.0 bare list is written back as one
        back, direct = {"results": back}, {"results": direct}
    assert back["results"] == direct["results"]  # the memories: ids, text, times, categories, scope, metadata
    lost = {k for k, _ in report.losses}
    assert lost <= {"event"} and (("event" in lost) == ("history" in direct))  # history is said lost, not hidden


@pytest.mark.parametrize("src", SOURCES, ids=lambda p: p.name)
def test_the_plugin_import_reads_every_memory(tmp_path, src):
    md = tmp_path / "mem0-export-demo-2026-12-04.md"
    memconv.convert(src, to="mem0", output=str(md))
    parsed = plugin_import(md)
    memories = memconv.read(src).of("memory")
    assert [p["id"] for p in parsed] == [m.id for m in memories]
    for p, m in zip(parsed, memories):
        assert p["content"] == m.text.strip()
        assert p.get("created_at", "") == (m.created_at or "")
        assert p["categories"] == (m.categories or [])
        assert p["type"] == ((m.metadata or {}).get("type") or m.memory_type or "")


def test_a_file_the_plugin_wrote_reads_into_memories(tmp_path):
    md = tmp_path / "mem0-export-letta-memconv-2026-12-04.md"
    md.write_text("---\nid: abc123\ncreated_at: 2024-01-01T00:00:00Z\ntype: task_learnings\nconfidence: 0.9\n"
                  "branch: main\nfiles: src/foo.py, src/bar.py\ncategories: coding_conventions, task_learnings\n---\n"
                  "Use ruff.\n\n---\nid: def456\ncreated_at:\ntype:\nconfidence:\nbranch:\nfiles:\ncategories:\n---\n"
                  "\n---\nid: ghi789\ncreated_at: 2024-01-02T00:00:00Z\ntype:\nconfidence:\nbranch:\nfiles:\n"
                  "categories: a\n---\nSecond: with a colon\n")
    report = Report()
    items = list(memconv.iter_records(md, report=report))
    mems = items[1:]
    assert [m.id for m in mems] == ["abc123", "ghi789"] == [p["id"] for p in plugin_import(md)]
    first = mems[0]
    assert first.text == "Use ruff." and first.created_at == "2024-01-01T00:00:00Z"
    assert first.categories == ["coding_conventions", "task_learnings"]
    assert first.metadata == {"type": "task_learnings", "confidence": "0.9", "branch": "main",
                              "files": ["src/foo.py", "src/bar.py"]}
    assert first.scope.app_id == "letta-memconv"  # the project, from the file's name
    assert any("line 12: a block with no text; skipped" in w for w in report.warnings), report.warnings


def test_text_the_format_cannot_hold_is_kept_exactly(tmp_path):
    from memconv.model import Header, Memory

    recs = [Header(), Memory(id="m1", text="before\n---\nafter", categories=["a, b"], metadata={"confidence": 0.7}),
            Memory(id="m2", text="  padded  ", memory_type="fact")]
    md = tmp_path / "x.md"
    report = memconv.write_records(recs, "mem0", str(md))
    assert not report.losses
    parsed = plugin_import(md)
    assert [p["id"] for p in parsed] == ["m1", "m2"]  # the '---' line did not split the memory
    assert parsed[0]["confidence"] == "0.7" and parsed[1]["type"] == "fact"
    back = memconv.read(md).records
    assert [r.model_dump() for r in back] == [r.model_dump() for r in recs[1:]]


def test_other_kinds_are_reported_lost(tmp_path):
    report = memconv.convert(MEM0 / "history" / "history_09043585-dcdf-4285-bd44-155fd7386fd1.json", to="mem0",
                             output=str(tmp_path / "h.md"))
    assert ("event", "*") in report.losses


def test_a_broken_memconv_line_is_one_clear_error(tmp_path):
    md = tmp_path / "x.md"
    md.write_text("---\nid: a\ncreated_at: 2024-01-01\ntype: t\nmemconv: {not json\n---\ntext\n")
    done = subprocess.run([sys.executable, "-m", "memconv", str(md), "--to", "canonical"], capture_output=True)
    assert done.returncode == 4
    assert done.stderr.decode().strip().splitlines()[-1].startswith(f"memconv: error: {md}: line 5: memconv: "
                                                                   f"expected a JSON object")
