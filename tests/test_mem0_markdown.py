"""mem0's Markdown export (the mem0 plugin's export/import skills, issue 14 item 3): mem0 -> Markdown ->
mem0 gives the same memories, and the file is what the plugin's import reads.

The mem0 plugin is not published on a package registry (npm has no ``mem0-plugin`` nor
``@mem0/mem0-plugin``, PyPI no ``mem0-plugin``, and neither the wheel nor the sdist of ``mem0ai`` 2.2.1
holds ``integrations/``), so its import parser cannot be run here. :func:`plugin_import` instead reads the
file by the rules the plugin's skills state, written down below in this test's own words: mem0ai/mem0
``integrations/mem0-plugin/skills/import/SKILL.md`` (what the import reads from each block and keeps)
and ``integrations/mem0-plugin/skills/export/SKILL.md`` (the block format it reads), at f6d17ec.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import memconv
from memconv.report import Report

from helpers import FIXTURES, run_cli

MEM0 = FIXTURES / "mem0"
SOURCES = [MEM0 / "get_all_v11.json", MEM0 / "get_all_v11_user_bob.json", MEM0 / "openmemory" / "memories.json",
           MEM0 / "get_all_v10_legacy_list.json"]

# The rules, from the plugin's import/SKILL.md (Step 2 and Step 4) and the block format of export/SKILL.md
# (Step 3) that the import reads:
#  1. The file is a run of blocks. A block is a line that is exactly "---", then front matter lines
#     "key: value", then a line that is exactly "---", then the memory text up to the next line that is
#     exactly "---" or the end of the file ("The --- delimiters must be on their own lines with no extra
#     whitespace"). Anything before the first "---" line is not a block.
#  2. A front matter line is split at its first ":"; key and value are trimmed. The keys read are id,
#     created_at, type, confidence, branch, files, categories; a key that is missing reads as "" ("If a
#     field is missing or null, write an empty string"); other keys are not read.
#  3. files and categories are comma-separated values on one line: split on ",", each trimmed, empty
#     ones dropped; an empty value is [].
#  4. The memory text is the text after the block's closing "---", without the blank line left after
#     it "for readability" (surrounding white space trimmed).
#  5. A block whose text is empty is skipped ("Skip records where content is empty").
PLUGIN_KEYS = ("id", "created_at", "type", "confidence", "branch", "files", "categories")


def plugin_import(path) -> list[dict]:
    """What the plugin's import skill reads from ``path``, by the rules above: one dict per memory with
    the keys of ``PLUGIN_KEYS`` and ``content``."""
    lines = path.read_text(encoding="utf-8").split("\n")
    cuts = [i for i, line in enumerate(lines) if line == "---"]  # rule 1
    records = []
    for k in range(0, len(cuts) - 1, 2):
        head = lines[cuts[k] + 1:cuts[k + 1]]
        end = cuts[k + 2] if k + 2 < len(cuts) else len(lines)
        fields = dict.fromkeys(PLUGIN_KEYS, "")
        for line in head:  # rule 2
            key, sep, value = line.partition(":")
            if sep and key.strip() in fields:
                fields[key.strip()] = value.strip()
        for key in ("files", "categories"):  # rule 3
            fields[key] = [v.strip() for v in fields[key].split(",") if v.strip()]
        content = "\n".join(lines[cuts[k + 1] + 1:end]).strip()  # rule 4
        if content:  # rule 5
            records.append({**fields, "content": content})
    return records


def test_the_rules_read_what_the_export_skill_writes(tmp_path):
    """The reader above on a file written as export/SKILL.md Step 3 says, by hand."""
    md = tmp_path / "mem0-export-p-2026-12-04.md"
    md.write_text("---\nid: a1\ncreated_at: 2024-01-01T00:00:00Z\ntype: decision\nconfidence: 0.9\nbranch: dev\n"
                  "files: x.py, y.py\ncategories: one, two\n---\nFirst: text\n --- not a delimiter\n\n"
                  "---\nid: a2\ncreated_at:\ntype:\nconfidence:\nbranch:\nfiles:\ncategories:\n---\n\n"
                  "---\nid: a3\n---\nThird\n")
    assert plugin_import(md) == [
        {"id": "a1", "created_at": "2024-01-01T00:00:00Z", "type": "decision", "confidence": "0.9", "branch": "dev",
         "files": ["x.py", "y.py"], "categories": ["one", "two"], "content": "First: text\n --- not a delimiter"},
        {"id": "a3", "created_at": "", "type": "", "confidence": "", "branch": "", "files": [], "categories": [],
         "content": "Third"}]


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
        assert p["created_at"] == (m.created_at or "")
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


def test_the_ledger_adds_up_for_the_markdown_export(tmp_path):
    """Every memory written as a block is placed (native) in the report's ledger; the report said
    "10 unaccounted" for a plain mem0 file written as Markdown."""
    src = FIXTURES / "mem0" / "get_all_v11_user_alice.json"
    r = run_cli(src, "--to", "mem0", "-o", tmp_path / "alice.md", "--report", tmp_path / "r.json")
    assert r.returncode == 0 and b"unaccounted" not in r.stderr, r.stderr
    ledger = json.loads((tmp_path / "r.json").read_text())["ledger"]
    assert ledger["memory"]["read"] == ledger["memory"]["native"] == 10


def test_block_lines_are_right_far_into_a_long_export(tmp_path):
    """The line of each block's opening ``---`` is counted on from the one before (it was counted from the
    file's start for every block: 21,000 memories took over 100 s to read)."""
    blocks = "".join(f"---\nid: m{i}\ntype: fact\ncreated_at: 2025-01-01\n---\nmemory {i}\n\n" for i in range(3000))
    blocks += "---\nid: \n---\n\n"  # the last block: no text, line 21001
    src = tmp_path / "mem0-export-p-2025-01-01.md"
    src.write_text(blocks)
    report = memconv.Report()
    items = list(memconv.iter_records(str(src), report=report))
    assert len(items) == 3001
    assert any("line 21001: a block with no text" in w for w in report.warnings)


def test_a_memory_with_no_text_is_counted_in_the_side_channel(tmp_path):
    """mem0's import skips a block with no text; memconv writes it (and reads it back), so the ledger counts
    it in memconv's side channel, not as native."""
    from memconv.model import Header, Memory

    out = tmp_path / "mem0-export-p-2026-01-01.md"
    report = memconv.write_records([Header(), Memory(id="a", text="tea"), Memory(id="b", text="")], "mem0", str(out))
    assert report.ledger()["memory"] == {"read": 2, "native": 1, "side_channel": 1, "lost": 0, "filtered": 0}
    assert [m.id for m in memconv.read(str(out)).records] == ["a", "b"]
