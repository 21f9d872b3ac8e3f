"""Done-when of issue 11: every real file in ../shared/fixtures converts to every target, and the report
accounts for every record read (read = native + side channel + lost + filtered, per kind); every
invalid file fails with one line and a documented exit code.

The library API carries the corpus (fast); a few CLI runs check the process: exit code and stderr.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import memconv
from memconv.errors import ExitCode, MemconvError

from helpers import FIXTURES, run_cli

FOLDERS = ("letta", "letta-bundle", "letta-rest", "mem0", "agentmemory", "external/letta", "external/mem0")
TARGETS = (("letta", False), ("mem0", False), ("mem0", True), ("agentmemory", False), ("canonical", False))

INVALID = {
    "letta/agent-file-history__INVALID-JSON__agent2.af": "broken JSON",
    "external/letta/letta-evals__test-fetch-webpage-simple-agent.2025-10-15.INVALID-JSON.af": "broken JSON",
    "external/letta/MANIFEST.md": "notes, not data",
    "external/mem0/MANIFEST.md": "notes, not data",
    "mem0/manifest.json": "how the fixtures were made, not data",
    "mem0/add_results.json": "a log of add() calls and their returns, not a mem0 export",
    "external/mem0/memlink__mem0_samples__partial_invalid.json": "a broken fixture: records without id or memory",
}
"""Files that are not valid input, and why (``MANIFEST.md`` and ``mem0/manifest.json`` describe the others)."""


def _corpus() -> list[str]:
    """Every file (and bundle folder) under :data:`FOLDERS`, relative to the fixtures folder."""
    out = []
    for folder in FOLDERS:
        for dirpath, dirnames, filenames in os.walk(FIXTURES / folder):
            if (Path(dirpath) / "agent.json").is_file():  # a bundle folder is one input
                out.append(os.path.relpath(dirpath, FIXTURES))
                dirnames[:] = []
                continue
            out += [os.path.relpath(Path(dirpath) / f, FIXTURES) for f in filenames]
    return sorted(out)


CORPUS = _corpus()
VALID = [p for p in CORPUS if p not in INVALID]


def test_the_corpus_is_there():
    assert len(CORPUS) > 100 and set(INVALID) <= set(CORPUS)
    assert {p.split("/")[0] for p in VALID} >= {"letta", "letta-bundle", "letta-rest", "mem0", "agentmemory",
                                                 "external"}


@pytest.mark.parametrize("rel", VALID)
def test_every_valid_file_converts_to_every_target_and_adds_up(rel, tmp_path):
    src = str(FIXTURES / rel)
    for to, jsonl in TARGETS:
        out = tmp_path / f"{to}{'-jsonl' if jsonl else ''}" / "out"
        out.parent.mkdir()
        report = memconv.convert(src, to=to, output=str(out), jsonl=jsonl)
        assert out.is_file() and sum(report.read.values()) > 0 or rel.endswith("real_export_empty.json"), (to, rel)
        ledger = report.ledger()
        for kind, d in ledger.items():
            assert d["read"] == d["native"] + d["side_channel"] + d["lost"] + d["filtered"], (to, jsonl, kind, d)
        assert set(ledger) >= set(report.read)
        if to == "canonical":
            assert all(d["native"] == d["read"] for d in ledger.values()), ledger
        whole = {k for (k, f) in report.losses if f == "*"}
        assert {k for k, d in ledger.items() if d["lost"]} == whole, (to, ledger, report.format_losses())


@pytest.mark.parametrize("rel", sorted(INVALID))
def test_every_invalid_file_fails_with_one_line(rel, tmp_path):
    with pytest.raises(MemconvError) as e:
        memconv.convert(str(FIXTURES / rel), to="canonical", output=str(tmp_path / "out"))
    assert e.value.exit_code in (ExitCode.UNREADABLE, ExitCode.INVALID)
    assert "\n" not in str(e.value) and str(FIXTURES / rel) in str(e.value)
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("rel", ["letta/evie.af", "agentmemory/real_export_seeded.json", "mem0/get_all_v11.json",
                                 "letta/agent-file-history__INVALID-JSON__agent2.af"])
def test_cli_on_the_corpus(rel, tmp_path):
    proc = run_cli(str(FIXTURES / rel), "--to", "mem0", "-o", str(tmp_path / "o.json"))
    err = proc.stderr.decode()
    if rel in INVALID:
        assert proc.returncode == ExitCode.INVALID and len(err.strip().splitlines()) == 1, err
        assert err.startswith("memconv: error: ") and "Traceback" not in err
        assert not (tmp_path / "o.json").exists()
    else:
        assert proc.returncode == 0, err
        assert "Traceback" not in err and "unaccounted" not in err
