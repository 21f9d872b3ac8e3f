"""Paths and small helpers shared by the tests (reference data lives in ../shared, beside the repo)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
FIXTURES = SHARED / "fixtures"
LETTA = FIXTURES / "letta"
CORRUPT_AF = LETTA / "agent-file-history__INVALID-JSON__agent2.af"
ALL_AF = sorted(LETTA.glob("*.af"))
GOOD_AF = [p for p in ALL_AF if p != CORRUPT_AF]
SAMPLE_AF = REPO / "fixtures" / "sample-agent.af"


def run_cli(*args: str, input: bytes | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m memconv ARGS`` as a real process; stdout and stderr captured as bytes."""
    return subprocess.run([sys.executable, "-m", "memconv", *map(str, args)], input=input,
                          capture_output=True, cwd=cwd, timeout=300)


SIDECAR_MARK = "memconv_passages_sha256"


def without_sidecar_mark(doc):
    """An ``.af`` document without the key memconv adds to its ``metadata`` (the sha256 of the passages
    sidecar written with it, ``""`` for none), so that a round trip compares with the source file."""
    if isinstance(doc, dict) and isinstance(doc.get("metadata"), dict):
        doc["metadata"].pop(SIDECAR_MARK, None)
    return doc
