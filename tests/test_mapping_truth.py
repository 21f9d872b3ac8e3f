"""The AgentMemory, mem0 and Letta mapping tables tell the truth (issue 12, item 3, write direction).

For every row that names a native AgentMemory path (``memories[].createdAt``,
``observations{}[].facts``), a record of another system with a distinctive value in that field is
written, and the value is looked up at that path of the output (in AgentMemory's form: a time as ISO
8601 with milliseconds). Rows that say ``memconv.<field>`` are checked in the record's ``memconv``
key. This is the test that would have caught ``docs/mappings.md`` saying ``memconv.created_at`` where
the writer wrote ``createdAt``.
"""

from __future__ import annotations

import json
import re

import pytest

import memconv
from memconv.adapters.agentmemory.mapping import MAPPING
from memconv.model import RECORD_TYPES, Header, Provenance, Scope
from memconv.timeutil import to_iso_z

TIME = "2021-03-04T05:06:07.890+00:00"
SPECIAL = {"memory_type": "pattern", "observation_type": "decision", "status": "abandoned",
           "importance": 7, "confidence": 0.42, "weight": 0.25, "observation_count": 3, "embedding": [0.125, 0.5],
           "limit": 4321, "read_only": True, "is_deleted": True, "event": "DELETE"}
PATH = re.compile(r"^(\w+)(?:\[\]|\{[^}]*\}\[\])\.(\w+)")
KINDS = ("memory", "passage", "observation", "summary", "session", "entity", "block", "tool", "source", "file",
         "skill", "mcp_server", "group", "relation", "agent", "message")
"""Kinds written one record to one target object (relations need their nodes; messages their agent)."""


def _value(field: str, annotation: str):
    if field in SPECIAL:
        return SPECIAL[field]
    if field.endswith("_at") or field == "timestamp":
        return TIME
    if field == "scope":
        return Scope(agent_id="distinct-agent", project="distinct-project")
    if "list" in annotation:
        return [f"distinct-{field}"]
    if "dict" in annotation:
        return {"distinct": field}
    return f"distinct-{field}"


def _valid_value(kind: str, field: str):
    """A distinctive value of ``kind.field`` that the model accepts: Letta's shapes for message parts,
    tool calls and rules (:data:`LETTA_SHAPED`), a handle for an agent's embedding, True for in_context."""
    if field in LETTA_SHAPED and kind != "file":
        return LETTA_SHAPED[field]
    if (kind, field) in (("agent", "embedding"), ("message", "in_context")):
        return {"embedding": "distinct/embedding", "in_context": True}[field]
    return _value(field, str(RECORD_TYPES[kind].model_fields[field].annotation))


def _rows():
    for row in MAPPING.rows:
        if row.kind in KINDS and row.target and (PATH.match(row.target) or row.target.startswith("memconv.")):
            yield row


def _required(kind: str) -> dict:
    return {"memory": {"text": "t"}, "passage": {"text": "t"}, "observation": {"session_id": "s1"},
            "summary": {"session_id": "s1"}, "session": {}, "entity": {"name": "n"},
            "block": {"label": "persona", "value": "v"}, "tool": {"name": "t", "source_code": "x = 1"}, "source": {"name": "s"},
            "file": {"file_name": "f.txt"}, "skill": {"name": "sk"}, "mcp_server": {"server_name": "m"},
            "group": {}, "relation": {"source": "a", "relationship": "r", "target": "b"}, "agent": {"name": "a"},
            "message": {"role": "user", "content": [{"type": "text", "text": "hi"}]}}[kind]


@pytest.mark.parametrize("row", list(_rows()), ids=lambda r: f"{r.kind}.{r.field}")
def test_row_says_where_the_value_lands(tmp_path, row):
    cls = RECORD_TYPES[row.kind]
    value = _value(row.field, str(cls.model_fields[row.field].annotation))
    if (row.kind, row.field) == ("group", "manager_config"):
        value = {"manager_type": "distinct-manager"}
    elif (row.kind, row.field) == ("skill", "files"):
        value = {"SKILL.md": "distinct skill text"}
    elif (row.kind, row.field) == ("agent", "llm_config"):
        value = {"handle": "distinct/handle"}
    elif row.kind in ("agent", "message"):
        value = _valid_value(row.kind, row.field)
    rec = cls(id="r1", provenance=Provenance(system="zep", id="r1"), **{**_required(row.kind), row.field: value})
    out = tmp_path / "out.json"
    memconv.write_records([Header(source_system="zep"), rec], "agentmemory", str(out))
    doc = json.loads(out.read_text())
    if row.target.startswith("memconv."):
        coll = MAPPING.kinds[row.kind][0]
        objs = doc[coll] if isinstance(doc[coll], list) else [o for v in doc[coll].values() for o in v]
        embeds = [o["memconv"] for o in objs if isinstance(o.get("memconv"), dict) and o["memconv"].get("id") == "r1"]
        assert embeds and row.field in embeds[0], (row, objs)
        # and no native field holds it: else the table should say so (the drift this test is for)
        obj = next(o for o in objs if o.get("memconv") is embeds[0])
        if isinstance(value, Scope):
            shown = {json.dumps("distinct-agent"), json.dumps("distinct-project")}
        else:
            shown = {json.dumps(v) for v in (value, to_iso_z(TIME) if value == TIME else None)
                 if v is not None and not isinstance(v, bool)}  # True is AgentMemory's own isLatest too
        if isinstance(value, list):
            shown |= {json.dumps(v) for v in value}
        native = {k: v for k, v in obj.items() if k not in ("memconv", "id", "origin")}
        hits = [k for k, v in native.items() if json.dumps(v) in shown
                or (isinstance(v, list) and any(json.dumps(x) in shown for x in v))]
        assert not hits, f"{row.kind}.{row.field} is also written natively to {hits}; the table says only {row.target}"
        return
    coll, key = PATH.match(row.target).groups()
    objs = doc[coll] if isinstance(doc[coll], list) else [o for v in doc[coll].values() for o in v]
    ours = [o for o in objs if (o.get("memconv") or {}).get("id") == "r1"] or objs
    assert ours, f"{row.kind}.{row.field}: nothing written to {coll}"
    got = ours[0].get(key)
    if row.field == "scope":  # split over several keys (agentId, project, a passage's sessionIds): each is there
        keys = [PATH.match(p.strip()).group(2) for p in row.target.split(",")]
        assert all(k in ours[0] for k in keys), (row, ours[0])
        assert {"distinct-agent", "distinct-project"} & {json.dumps(ours[0][k]).strip('"') for k in keys}, (row, ours[0])
    elif isinstance(value, str) and value == TIME:
        assert got == to_iso_z(TIME), (row, got)
    elif (row.kind, row.field) == ("message", "content"):  # the text of its parts
        assert "distinct-content" in got, (row, got)
    elif isinstance(value, list):
        assert isinstance(got, list) and value[0] in got, (row, got)
    elif row.transform == "node-id":  # the id of the graph node written for that entity
        from memconv.adapters.agentmemory.mapping import NODE_ID

        assert got == NODE_ID.fn("zep", value), (row, got)
    elif isinstance(value, dict) and row.kind in ("group", "skill", "agent"):  # the text of one of its values
        assert any(isinstance(v, str) and v in str(got) for v in value.values()), (row, got)
    else:  # as is, or inside a text composed from it ("tool: <name>", a fenced source code block)
        assert got == value or (isinstance(value, str) and isinstance(got, str) and value in got), (row, got)


def test_mappings_json_gives_the_rows_as_data():
    """``memconv mappings --json``: one object per row, the same tables as docs/mappings.md."""
    from click.testing import CliRunner

    from memconv.cli import cli

    res = CliRunner().invoke(cli, ["mappings", "--json"])
    assert res.exit_code == 0, res.output
    rows = [json.loads(line) for line in res.output.splitlines()]
    assert all(set(r) == {"format", "direction", "kind", "field", "path", "fate", "transform", "note"} for r in rows)
    assert {r["fate"] for r in rows if r["direction"] == "write"} <= {"native", "embedded", "lost"}
    assert {r["fate"] for r in rows if r["direction"] == "read"} == {"native", "extras"}
    read = next(r for r in rows if (r["format"], r["direction"], r["path"]) == ("agentmemory", "read",
                                                                                "memories[].createdAt"))
    assert read["field"] == "created_at"
    row = next(r for r in rows if (r["format"], r["kind"], r["field"]) == ("agentmemory", "memory", "created_at"))
    assert (row["path"], row["fate"], row["transform"]) == ("memories[].createdAt", "native", "iso8601-ms")
    event = next(r for r in rows if (r["format"], r["kind"]) == ("agentmemory", "event"))
    assert (event["field"], event["fate"]) == ("*", "lost")
    assert {r["format"] for r in rows} >= {"agentmemory", "mem0", "letta", "canonical"}


# ---------------------------------------------------------------- mem0

from memconv.adapters.mem0.mapping import MAPPING as MEM0_MAPPING  # noqa: E402

MEM0_KINDS = {"memory": {"text": "t"}, "passage": {"text": "t"}, "block": {"label": "persona", "value": "v"},
              "observation": {"session_id": "s1"}, "summary": {"session_id": "s1"},
              "event": {"memory_id": "m1", "event": "ADD"},
              # kinds mem0 has no item for, kept whole in the document's memconv list
              "agent": {"name": "a"}, "tool": {"name": "t"}, "source": {"name": "s"}, "file": {"file_name": "f"},
              "skill": {"name": "sk"}, "mcp_server": {"server_name": "m"}, "group": {}, "session": {},
              "message": {"role": "user", "content": [{"type": "text", "text": "hi"}]},
              "relation": {"source": "a", "relationship": "r", "target": "b"}, "entity": {"name": "n"}}
"""Kinds the mem0 writer turns into one object (a results[] item or a history[] row), with the fields
each needs."""


def _mem0_paths(target: str) -> list[str]:
    return [p.strip().split(" ")[0] for p in target.split(",") if p.strip()]


def _dig(obj, path: str):
    for key in path.split("."):
        if not isinstance(obj, dict) or key not in obj:
            return None
        obj = obj[key]
    return obj


def _shows(got, value) -> bool:
    """``got`` holds ``value``: equal, or the distinctive text inside a composed string or a list."""
    if isinstance(value, Scope):
        if isinstance(got, dict):
            return bool({"distinct-agent", "distinct-project"} & set(map(str, got.values())))
        return got in ("distinct-agent", "distinct-project") or (
            isinstance(got, str) and ("distinct-agent" in got or "distinct-project" in got))
    if got == value:
        return True
    if value == TIME and isinstance(got, str) and got.startswith("2021-03-04T05:06:07"):
        return True  # mem0 keeps a time as its source wrote it (the row's note says verbatim)
    if isinstance(value, list):
        return all(_shows(got, v) or (isinstance(got, list) and v in got) for v in value)
    if isinstance(value, dict):
        return isinstance(got, dict) and all(got.get(k) == v for k, v in value.items())
    if isinstance(value, str) and isinstance(got, str):
        return value in got
    if isinstance(got, list):
        return value in got
    return False


def _mem0_rows():
    for row in MEM0_MAPPING.rows:
        if row.kind in MEM0_KINDS and row.target:
            yield row


@pytest.mark.parametrize("row", list(_mem0_rows()), ids=lambda r: f"{r.kind}.{r.field}")
def test_mem0_row_says_where_the_value_lands(tmp_path, row):
    cls = RECORD_TYPES[row.kind]
    value = Scope(agent_id="distinct-agent") if (row.kind, row.field) == ("passage", "scope") else \
        _valid_value(row.kind, row.field)
    fields = {**MEM0_KINDS[row.kind], row.field: value}
    rec = cls(id="r1", provenance=Provenance(system="zep", id="r1"), **fields)
    out = tmp_path / "out.json"
    memconv.write_records([Header(source_system="zep"), rec], "mem0", str(out), keep_secrets=True)
    doc = json.loads(out.read_text())
    if row.kind in ("relation", "entity"):  # a relation object; the other system's rest in its memconv key or list
        kept = [r for r in doc.get("memconv", []) if r.get("id") == "r1"]
        obj = {"relations[]": (doc.get("relations") or [{}])[0], "memconv[]": kept[0] if kept else {}}
    elif row.target.startswith("memconv[]."):  # a kind mem0 has no item for: kept whole in the memconv list
        (obj,) = [r for r in doc["memconv"] if r.get("id") == "r1"]
        obj = {"memconv[]": obj}
    elif row.kind == "event":  # a stream of history events alone is written as mem0's history table
        (obj,) = doc if isinstance(doc, list) else doc["history"]
    else:
        obj = next(o for o in doc["results"] if (o.get("metadata") or {}).get("memconv_source_id") == "r1")
    if row.transform == "uuid5":
        from memconv.adapters.mem0.writer import mem0_id

        value = mem0_id("zep", value)
    found = []
    for path in _mem0_paths(row.target):
        path = path.removeprefix("history[].").replace("memconv[].", "memconv[].", 1)
        head, _, rest = path.partition(".")
        got = _dig(obj[head], rest) if head in ("memconv[]", "relations[]") else _dig(obj, path)
        if isinstance(value, Scope) and isinstance(got, dict):
            got = {k: v for k, v in got.items() if v is not None}
        found.append(_shows(got, value) or (isinstance(value, (int, float)) and got == value))
    assert any(found), f"{row.kind}.{row.field}: not at {row.target}: {obj}"


# ---------------------------------------------------------------- Letta

from memconv.adapters.letta.mapping import MAPPING as LETTA_MAPPING  # noqa: E402

LETTA_KINDS = {"memory": {"text": "t"}, "passage": {"text": "t"}, "session": {},
               "summary": {"session_id": "s1"}, "observation": {"session_id": "s1"},
               "agent": {"name": "a"}, "block": {"label": "persona", "value": "v"},
               "tool": {"name": "distinct_tool", "source_code": "def distinct_tool():\n    return 1\n"},
               "source": {"name": "docs"}, "mcp_server": {"server_name": "search", "server_type": "sse"},
               "skill": {"name": "distinct-skill", "source_url": "https://skills.example/s"},
               "file": {"file_name": "a.txt", "source_id": "src-1"},
               "group": {"agent_ids": ["a1"]},
               "message": {"role": "user", "agent_id": "a1", "content": [{"type": "text", "text": "hi"}]},
               "relation": {"source": "a", "relationship": "r", "target": "b"}}
"""Kinds checked row by row: the sidecar's (one line each) and the agent file's agent and block (a
block is written on an agent that names it)."""


def _letta_paths(target: str) -> list[str]:
    paths = [p.strip().split(" ")[0] for p in re.split(r";|,| and ", target) if p.strip()]
    return paths + re.findall(r"\(agents\[\]\.(messages\[\]\.\w+)\)", target)  # "(agents[].messages[].agent_id)"


def _letta_rows():
    for row in LETTA_MAPPING.rows:
        if row.kind in LETTA_KINDS and row.target and row.field not in ("block_ids", "tool_ids", "source_ids",
                                                                         "group_ids", "in_context_message_ids"):
            yield row


@pytest.mark.parametrize("row", list(_letta_rows()), ids=lambda r: f"{r.kind}.{r.field}")
def test_letta_row_says_where_the_value_lands(tmp_path, row):
    cls = RECORD_TYPES[row.kind]
    value = _value(row.field, str(cls.model_fields[row.field].annotation))
    if row.field == "secrets":
        value = {"K": "v"}
    elif (row.kind, row.field) == ("agent", "embedding"):
        value = "distinct/embedding-handle"
    elif row.field == "tool_rules":
        value = [{"type": "run_first", "tool_name": "distinct_tool"}]
    elif row.kind == "message" and row.field in LETTA_SHAPED:
        value = LETTA_SHAPED[row.field]
    elif (row.kind, row.field) == ("message", "in_context"):
        value = True
    renumbered = None  # a reference: the value is the record it names, under its id in the .af
    if (row.kind, row.field) in (("file", "source_id"), ("group", "agent_ids"), ("message", "agent_id")):
        value = LETTA_KINDS[row.kind][row.field]
        renumbered = {"source_id": "source-0", "agent_ids": ["agent-0"], "agent_id": "agent-0"}[row.field]
    fields = {**LETTA_KINDS[row.kind], row.field: value}
    rec = cls(id="r1", provenance=Provenance(system="zep", id="r1"), **fields)
    items = [Header(source_system="zep"), rec]
    if row.kind in ("block", "tool", "source", "group", "message", "file"):  # on an agent that names it
        refs = {"block": "block_ids", "tool": "tool_ids", "source": "source_ids"}
        items.insert(1, RECORD_TYPES["agent"](id="a1", name="owner", **({refs[row.kind]: ["r1"]}
                                                                        if row.kind in refs else {})))
    if row.kind == "file":
        items.insert(2, RECORD_TYPES["source"](id="src-1", name="docs"))
    if renumbered is not None:
        value = renumbered
    out = tmp_path / "out.af"
    memconv.write_records(items, "letta", str(out), keep_secrets=True)
    doc = json.loads(out.read_text())
    side = tmp_path / "out.passages.jsonl"
    lines = [json.loads(x) for x in side.read_text().splitlines()] if side.exists() else []
    if (row.kind, row.field) == ("message", "in_context"):  # the message's id is listed in its agent's context
        (agent,) = doc["agents"]
        (msg,) = [m for m in agent["messages"] if m["role"] != "system"]
        assert msg["id"] in agent["in_context_message_ids"], agent["in_context_message_ids"]
        return
    found = []
    for path in _letta_paths(row.target):
        if path.startswith("sidecar."):
            objs, key = lines, path[len("sidecar."):]
        else:
            coll, key = PATH.match(path).groups() if PATH.match(path) else (None, None)
            if coll is None:
                continue
            objs = doc[coll] if coll in doc else [m for a in doc["agents"] for m in a.get(coll, ())]  # messages
            if row.kind == "agent":
                objs = [o for o in objs if o.get("name") != "owner"]
            if row.kind == "message":  # not the system message memconv adds
                objs = [o for o in objs if o.get("role") != "system"]
        for obj in objs:
            got = _dig(obj, key)
            if isinstance(value, str) and value != TIME and isinstance(got, str) and row.field == "name":
                got = got.replace("_", "-")
            found.append(_shows(got, value) or (value == TIME and isinstance(got, str) and
                                                got.replace("Z", "+00:00").startswith("2021-03-04T05:06:07")))
    assert any(found), f"{row.kind}.{row.field}: not at {row.target}: {doc if not lines else lines}"


# ---------------------------------------------------------------- the read direction

from memconv import registry  # noqa: E402

from helpers import FIXTURES  # noqa: E402

AGENTMEMORY_FULL = FIXTURES / "agentmemory" / "example_full.json"

READ_BASES = {"mem0": {"results[]": FIXTURES / "mem0" / "get_all_v11.json",
                       "[]": FIXTURES / "mem0" / "history" / "history_09043585-dcdf-4285-bd44-155fd7386fd1.json"},
              "letta": {"blocks[]": FIXTURES / "letta" / "letta-tests__test_agent.af",
                        "tools[]": FIXTURES / "letta" / "letta-tests__test_agent.af",
                        "sources[]": FIXTURES / "letta" / "letta-tests__test_agent_with_files_and_sources.af",
                        "mcp_servers[]": None, "skills[]": FIXTURES / "letta" / "ezra.af",
                        "agents[]": FIXTURES / "letta" / "letta-tests__test_agent.af",
                        "agents[].messages[]": FIXTURES / "letta" / "letta-tests__test_agent.af",
                        "files[]": FIXTURES / "letta" / "letta-tests__test_agent_with_files_and_sources.af",
                        "groups[]": FIXTURES / "letta" / "evie.af"},
              "agentmemory": {p: AGENTMEMORY_FULL for p in ("sessions[]", "observations{}[]", "memories[]",
                                                            "summaries[]", "graphNodes[]", "graphEdges[]")}}
"""Real files to put each distinctive value into: the first object at the table's path."""
READ_VALUES = {"timestamp": "2021-03-04T05:06:07.890Z", "type": None, "status": "abandoned", "event": "DELETE",
               "limit": 4321, "read_only": True, "tool_type": "custom", "source_type": "python", "server_type": "sse",
               "server_url": "https://distinct.example/sse",
               "is_deleted": True, "importance": 7, "confidence": 0.42, "weight": 0.25, "observationCount": 3}


LETTA_REFS = ("tool_ids", "block_ids", "source_ids", "in_context_message_ids", "agent_ids", "source_id")
"""Letta keys whose values are references the reader checks (an id that names nothing is refused)."""
LETTA_SHAPED = {
    "tool_rules": [{"type": "run_first", "tool_name": "distinct_tool"}],
    "secrets": {"DISTINCT_KEY": "distinct-value"},
    "content": [{"type": "text", "text": "distinct-content"}],
    "tool_calls": [{"id": "call_distinct", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
    "tool_returns": [{"tool_call_id": "call_distinct", "status": "success", "func_response": "distinct"}],
}
"""Distinctive values in the shape Letta's schema gives these keys."""


def _read_rows(formats=("mem0", "letta", "agentmemory")):
    for fmt, tables in registry.read_tables().items():
        for t in tables if fmt in formats else ():
            for key, fld in t.keys.items():
                yield pytest.param(fmt, t, key, fld, id=f"{fmt}:{t.path}.{key}")


def _first(doc, path):
    if path == "[]":
        return doc[0]
    if path == "agents[].messages[]":
        return doc["agents"][0]["messages"][0]
    coll = path.split("[")[0].split("{")[0]
    v = doc[coll]
    return next(iter(v.values()))[0] if isinstance(v, dict) else v[0]


@pytest.mark.parametrize("fmt,table,key,fld", list(_read_rows()))
def test_read_row_says_where_the_key_lands(tmp_path, fmt, table, key, fld):
    """For every key of every read table: a real file with a distinctive value at that key of its first
    object, read, gives the value in the row's canonical field of that record."""
    base = READ_BASES[fmt][table.path]
    if base is None:  # no real Letta file here has an MCP server: one added to a real file
        doc = json.loads((FIXTURES / "letta" / "letta-tests__test_agent.af").read_text())
        doc["mcp_servers"] = [{"id": "mcp_server-0", "server_name": "search", "server_type": "sse",
                               "server_url": "https://mcp.example/sse"}]
    else:
        doc = json.loads(base.read_text())
    obj = _first(doc, table.path)
    if key.endswith(("_at", "At")):
        value = "2021-03-04T05:06:07.890Z"
    elif (table.kind, key) == ("skill", "files"):
        value = {"SKILL.md": "distinct"}
    elif key in LETTA_REFS and fmt == "letta":  # a reference must name a record of the file: the same ones, reordered
        value = obj[key][::-1] if isinstance(obj[key], list) else obj[key]
    elif key in LETTA_SHAPED and fmt == "letta" and not (table.kind, key) == ("file", "content"):
        value = LETTA_SHAPED[key]
    elif key in READ_VALUES and READ_VALUES[key] is not None:
        value = READ_VALUES[key]
    elif isinstance(obj.get(key), list) or fld in ("concepts", "facts", "files", "tags", "categories",
                                                    "key_decisions", "files_modified", "commit_shas", "aliases"):
        value = [f"distinct-{key}"]
    elif isinstance(obj.get(key), dict) or fld in ("metadata", "properties", "origin"):
        value = {"distinct": key}
    elif key == "type":
        value = {"memory": "pattern", "observation": "decision", "entity": "person", "relation": "uses"}[table.kind]
    else:
        value = f"distinct-{key}"
    obj[key] = value
    src = tmp_path / ("in.af" if fmt == "letta" else "in.json")
    src.write_text(json.dumps(doc))
    recs = [r for r in memconv.read(str(src), format=fmt).records if r.kind == table.kind]
    rid = obj.get("id") or obj.get("sessionId") or (f"skill:{obj['name']}" if table.kind == "skill" else None)
    rec = next((r for r in recs if r.original_id == rid or r.id == rid), None)
    assert rec is not None, f"no {table.kind} record for {rid}"
    got = rec
    for part in fld.split("."):
        got = getattr(got, part)
    assert got == value, (fld, got, value)


def test_every_format_declares_read_rows():
    """Each built-in format says where its source keys land (docs/mappings.md's read half)."""
    assert {f for f, ts in registry.read_tables().items() if ts} == {"mem0", "letta", "agentmemory", "letta-memfs",
                                                                    "canonical"}


@pytest.mark.parametrize("fmt,table,key,fld", list(_read_rows(("canonical",))))
def test_canonical_read_row_says_where_the_key_lands(tmp_path, fmt, table, key, fld):
    """A canonical line with a distinctive value at ``key`` is read with that value in ``fld``."""
    cls = RECORD_TYPES[table.kind]
    need = {n: _value(n, str(f.annotation)) for n, f in cls.model_fields.items() if f.is_required() and n != "id"}
    if table.kind == "event":
        need["event"] = "DELETE"
    if key in ("id", "provenance", "extras"):
        value = {"id": "distinct-id", "provenance": {"system": "zep", "id": "z1"},
                 "extras": {"zep": {"distinct": 1}}}[key]
    else:
        value = _valid_value(table.kind, key)
        if isinstance(value, Scope):
            value = value.model_dump(exclude_none=True)
    line = cls(**{"id": "r1", **need, key: value}).model_dump(mode="json", exclude_none=True)
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"kind": "header", "schema_version": "1.0"}) + "\n" + json.dumps(line) + "\n")
    (rec,) = [r for r in memconv.read(str(src), format="canonical").records if r.kind == table.kind]
    got = getattr(rec, fld)
    got = got.model_dump(mode="json", exclude_none=True) if hasattr(got, "model_dump") else got
    assert got == line[key], (fld, got, line[key])


@pytest.mark.parametrize("fmt,table,key,fld", list(_read_rows(("letta-memfs",))))
def test_letta_code_read_row_says_where_the_key_lands(tmp_path, fmt, table, key, fld):
    """A block file of a Letta Code folder with ``key`` in its front matter gives the block that value."""
    text, want = {"description": ("distinct description", "distinct description"), "read_only": ("true", True),
                  "limit": ("4321", 4321)}[key]
    folder = tmp_path / "memory"
    (folder / "system").mkdir(parents=True)
    (folder / "system" / "persona.md").write_text(f"---\n{key}: {text}\ncolour: blue\n---\nI am distinct.\n")
    (block,) = [r for r in memconv.read(str(folder), format="letta-memfs").records if r.kind == "block"]
    assert (block.label, block.value.strip()) == ("persona", "I am distinct.")
    assert getattr(block, fld) == want
    assert block.metadata == {"frontmatter": {"colour": "blue"}}  # the table's other keys: metadata.frontmatter


# ---------------------------------------------------------------- Letta Code's memory folder, write direction

from memconv.adapters.letta_memfs.mapping import MAPPING as MEMFS_MAPPING  # noqa: E402

MEMFS_KINDS = {"block": {"label": "persona", "value": "v"}, "memory": {"text": "t"},
               "skill": {"name": "distinct-skill", "files": {"SKILL.md": "s"}}, "tool": {"name": "t"},
               "message": {"role": "user", "content": [{"type": "text", "text": "hi"}]}, "agent": {"name": "a"},
               "passage": {"text": "t"}, "source": {"name": "s"}, "file": {"file_name": "f"},
               "mcp_server": {"server_name": "m"}, "group": {}, "session": {}, "observation": {"session_id": "s1"},
               "summary": {"session_id": "s1"}, "event": {"memory_id": "m1", "event": "ADD"},
               "entity": {"name": "n"}, "relation": {"source": "a", "relationship": "r", "target": "b"}}
"""Kinds written to a file of the folder (block, memory, skill) or only to ``.memconv.json``."""


MEMFS_REFS = ("block_ids", "tool_ids", "source_ids", "group_ids", "in_context_message_ids", "agent_id")
"""References to other records (kept in .memconv.json as they are; the round-trip tests check them)."""


def _memfs_rows():
    for row in MEMFS_MAPPING.rows:
        if row.kind in MEMFS_KINDS and row.target and row.field not in MEMFS_REFS:
            yield row


@pytest.mark.parametrize("row", list(_memfs_rows()), ids=lambda r: f"{r.kind}.{r.field}")
def test_letta_code_row_says_where_the_value_lands(tmp_path, row):
    """A ``native`` row's distinctive value shows in the folder's own files (a path or a file's text);
    an ``embedded`` row's is in the record ``.memconv.json`` keeps, and in no file of the folder."""
    from memconv.mapping import fate

    cls = RECORD_TYPES[row.kind]
    value = {"distinct-file.md": "distinct text"} if (row.kind, row.field) == ("skill", "files") else \
        _valid_value(row.kind, row.field)
    if row.field == "memory_type":
        value = "distinct_type"
    rec = cls(id="r1", provenance=Provenance(system="zep", id="r1"), **{**MEMFS_KINDS[row.kind], row.field: value})
    out = tmp_path / "folder"
    memconv.write_records([Header(source_system="zep"), rec], "letta-memfs", str(out))
    files = {p.relative_to(out).as_posix(): p.read_text() for p in out.rglob("*") if p.is_file()
             and ".git" not in p.parts}
    side = json.loads(files.pop(".memconv.json"))
    kept = next(r for r in side["records"] + [f["record"] for f in side.get("files", {}).values()]
                if r.get("id") == "r1")
    if isinstance(value, Scope):
        shown = ["distinct-agent", "distinct-project"]
    elif isinstance(value, dict):
        shown = [str(v) for v in value.values()] + list(value)
    elif isinstance(value, list):
        shown = [str(v) for v in value]
    elif value == TIME:
        shown = ["2021-03-04"]
    else:
        shown = [str(value).lower() if isinstance(value, bool) else str(value)]
    in_files = any(s in path or s in text for s in shown for path, text in files.items())
    if fate(row.target) == "native":
        assert in_files, f"{row.kind}.{row.field}: {shown} not in the folder's files {files}"
    else:
        assert row.field in kept, f"{row.kind}.{row.field}: not kept in .memconv.json: {kept}"


def test_letta_code_ledger_counts_what_only_the_sidecar_holds():
    """.af -> Letta Code folder: blocks are files (native); the agent, its messages and tools are kept
    only in .memconv.json, memconv's side channel, and the report says so."""
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        rep = memconv.convert(str(FIXTURES / "letta" / "letta-tests__test_agent.af"), "letta-memfs", f"{d}/f")
    ledger = rep.to_dict()["ledger"]
    assert ledger["block"]["native"] == ledger["block"]["read"] > 0
    for kind in ("agent", "message", "tool"):
        assert ledger[kind]["side_channel"] == ledger[kind]["read"] > 0 and ledger[kind]["native"] == 0, kind


# ---------------------------------------------------------------- canonical, write direction

from memconv.adapters.canonical import CanonicalFormat  # noqa: E402


@pytest.mark.parametrize("row", [r for r in CanonicalFormat.mapping.rows], ids=lambda r: f"{r.kind}.{r.field}")
def test_canonical_row_says_where_the_value_lands(tmp_path, row):
    """Every field of every kind is written under its own name, with its value (JSON types)."""
    cls = RECORD_TYPES[row.kind]
    value = _valid_value(row.kind, row.field)
    need = {n: _value(n, str(f.annotation)) for n, f in cls.model_fields.items() if f.is_required() and n != "id"}
    if row.kind == "event":
        need["event"] = "DELETE"
    rec = cls(id="r1", **{**need, row.field: value})
    out = tmp_path / "out.jsonl"
    memconv.write_records([Header(source_system="zep"), rec], "canonical", str(out), keep_secrets=True)
    (line,) = [json.loads(x) for x in out.read_text().splitlines() if json.loads(x)["kind"] == row.kind]
    want = getattr(rec, row.field)
    want = want.model_dump(mode="json", exclude_none=True) if hasattr(want, "model_dump") else want
    assert row.target == row.field and line[row.target] == want, (line, want)
