"""Golden outputs (issue 12, item 5: ``validate_all``): a sample of each built-in format converted to
every built-in format, byte for byte, against the files committed under ``tests/golden/``.

They were reviewed once when written; every run diffs against them, so any change in what memconv
writes shows in review as a change of these files. After an intended change, rewrite them with
``MEMCONV_UPDATE_GOLDEN=1 pytest tests/test_golden.py`` and read the diff.

The export time is fixed (``timestamp``), so the outputs do not depend on the clock. A folder output
(Letta Code's memory folder) and a file with companions (an ``.af`` and its passages sidecar) are
kept as one text: each file under a ``=== name ===`` line, in name order.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import memconv

from helpers import REPO

GOLDEN = REPO / "tests" / "golden"
TIMESTAMP = "2026-01-01T00:00:00.000Z"
SOURCES = {
    "letta": REPO / "fixtures" / "letta" / "notes-keeper.af",
    "mem0": REPO / "fixtures" / "mem0" / "migration_export.json",
    "agentmemory": REPO / "fixtures" / "agentmemory" / "quirks.json",
    "canonical": REPO / "fixtures" / "canonical" / "mem0-items.canonical.json",
    "letta-memfs": REPO / "fixtures" / "letta-memfs" / "sample-agent",
}
TARGETS = {"letta": "out.af", "mem0": "out.json", "agentmemory": "out.json", "canonical": "out.json",
           "letta-memfs": "out"}


def _as_text(folder: Path) -> str:
    parts = []
    for p in sorted(q for q in folder.rglob("*") if q.is_file()):
        parts.append(f"=== {p.relative_to(folder).as_posix()} ===\n{p.read_text(encoding='utf-8')}")
    return "\n".join(parts)


@pytest.mark.parametrize("target", sorted(TARGETS))
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_golden(source, target, tmp_path):
    out_dir = tmp_path / "o"
    out_dir.mkdir()
    memconv.convert(str(SOURCES[source]), target, str(out_dir / TARGETS[target]), timestamp=TIMESTAMP)
    got = _as_text(out_dir)
    golden = GOLDEN / f"{source}__{target}.txt"
    if os.environ.get("MEMCONV_UPDATE_GOLDEN"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with MEMCONV_UPDATE_GOLDEN=1 and review it"
    assert got == golden.read_text(encoding="utf-8"), f"{source} -> {target} differs from {golden.name}"
