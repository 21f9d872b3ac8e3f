"""The committed JSON Schema of the canonical model must match the models."""

from __future__ import annotations

import json

import jsonschema

import memconv
from memconv.model import SCHEMA_VERSION, json_schema

from helpers import REPO, SAMPLE_AF, run_cli

COMMITTED = REPO / "src" / "memconv" / "schema" / "canonical.schema.json"


def test_committed_schema_matches_the_models():
    committed = json.loads(COMMITTED.read_text())
    assert committed == json_schema(), (
        "src/memconv/schema/canonical.schema.json is stale: run `memconv schema > "
        "src/memconv/schema/canonical.schema.json` and commit it")
    assert committed["$id"].endswith(f"canonical-{SCHEMA_VERSION}.json")


def test_schema_command_prints_it():
    assert json.loads(run_cli("schema").stdout) == json.loads(COMMITTED.read_text())


def test_canonical_output_validates_against_the_schema():
    schema = json.loads(COMMITTED.read_text())
    lines = run_cli(SAMPLE_AF, "--to", "canonical", "--jsonl").stdout.splitlines()
    assert len(lines) > 5
    for line in lines:
        jsonschema.validate(json.loads(line), schema)


def test_schema_rejects_a_record_of_unknown_kind():
    schema = json.loads(COMMITTED.read_text())
    try:
        jsonschema.validate({"kind": "nonsense", "id": "x"}, schema)
    except jsonschema.ValidationError:
        return
    raise AssertionError("schema accepted an unknown kind")


def test_read_gives_a_bundle():
    bundle = memconv.read(SAMPLE_AF)
    assert bundle.header.schema_version == SCHEMA_VERSION
    assert bundle.counts() == {"agent": 1, "block": 2, "tool": 1, "message": 4}
