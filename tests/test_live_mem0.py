"""Live mem0: a self-hosted store through the real mem0ai library, and the Platform's paged API.

Self-hosted stores are real ``mem0.Memory`` objects (mem0ai 2.x), fully offline: Qdrant in local
mode and a SQLite history database in a temporary folder, the ``openai`` LLM and embedder providers
with dummy keys, the embedder pointed at :class:`live_standins.EmbeddingServer` (an OpenAI-compatible
stand-in on 127.0.0.1), ``MEM0_TELEMETRY=False`` and ``MEM0_DIR`` in a temporary folder
(``shared/tools/make_mem0_export.py`` shows the same offline setup).

The Platform is a hosted service, so its tests use :class:`live_standins.Mem0PlatformServer`, an
in-process stand-in following the documented paging contract (``shared/formats/mem0.md`` section 2).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Iterator

import pytest

os.environ.setdefault("MEM0_TELEMETRY", "False")  # before mem0 is imported anywhere in this session
os.environ.setdefault("MEM0_DIR", tempfile.mkdtemp(prefix="memconv-test-mem0dir-"))

pytest.importorskip("mem0", reason="mem0ai is not installed (pip install 'memconv[test]')")

import memconv  # noqa: E402
from memconv.errors import ExitCode  # noqa: E402

from live_standins import EmbeddingServer, Mem0PlatformServer  # noqa: E402

DIMS = 64
KEY = "m0-platform-key-77aa31"


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if k != "MEM0_API_KEY"}
    e.update({"MEMCONV_HTTP_BACKOFF": "0.01", "MEM0_TELEMETRY": "False", **(env or {})})
    return subprocess.run([sys.executable, "-m", "memconv", *args], capture_output=True, env=e, timeout=600)


@pytest.fixture()
def emb() -> Iterator[EmbeddingServer]:
    with EmbeddingServer(DIMS) as srv:
        yield srv


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Refuse (and record) any connection that leaves the machine, in this process."""
    import socket

    attempts: list[str] = []
    real = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and not (
                isinstance(host, str) and (host.startswith("127.") or host in ("localhost", "::1"))):
            attempts.append(repr(address))
            raise OSError(f"network disabled in tests: {address!r}")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    yield attempts
    assert attempts == []


def make_config(folder: Path, name: str, emb: EmbeddingServer) -> Path:
    cfg = {"vector_store": {"provider": "qdrant", "config": {"collection_name": name, "embedding_model_dims": DIMS,
                                                             "path": str(folder / f"{name}-qdrant"), "on_disk": True}},
           "embedder": {"provider": "openai", "config": {"api_key": "sk-offline-dummy-0001", "embedding_dims": DIMS,
                                                         "openai_base_url": emb.url + "/v1"}},
           "llm": {"provider": "openai", "config": {"api_key": "sk-offline-dummy-0001", "model": "gpt-4.1-nano"}},
           "history_db_path": str(folder / f"{name}-history.db")}
    path = folder / f"{name}.json"
    path.write_text(json.dumps(cfg))
    return path


def memory(path: Path) -> Any:
    from mem0 import Memory

    return Memory.from_config(json.loads(path.read_text()))


def close(m: Any) -> None:
    m.vector_store.client.close()
    m.db.close()


def seed(path: Path, extra: int = 0) -> dict[str, Any]:
    """A store written with mem0's own API: three scopes, metadata, an actor, an expiration date, an
    update, a delete; plus ``extra`` plain memories. Returns the ids."""
    m = memory(path)
    try:
        add = lambda *a, **k: m.add(*a, infer=False, **k)["results"]  # noqa: E731
        veg = add("I am vegetarian and allergic to peanuts.", user_id="alice",
                  metadata={"category": "health", "confidence": 0.95, "nested": {"tz": "Europe/Lisbon"}})[0]["id"]
        add([{"role": "user", "content": "Remind me my passport expires in June.", "name": "alice_phone"}],
            user_id="alice", metadata={"category": "documents"})
        add("Ticket #4411 resolved by resetting the API key.", agent_id="support-bot", run_id="run-7",
            metadata={"kind": "episode", "ticket": 4411})
        add("Temporary note: badge pickup at desk 4.", user_id="alice", expiration_date="2099-12-31")
        add("Bob runs 5k every Saturday.", user_id="bob", metadata={"created_at": "2020-01-02T03:04:05+00:00"})
        gone = add("Bob dislikes cilantro.", user_id="bob")[0]["id"]
        for i in range(extra):
            add(f"Extra memory number {i}.", user_id="carol", metadata={"i": i})
        m.update(veg, "I am vegan and allergic to peanuts.", metadata={"category": "health", "level": 2})
        m.delete(gone)
        return {"updated": veg, "deleted": gone}
    finally:
        close(m)


def snapshot(path: Path) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Every memory (as ``Memory.get`` returns it) and every history row, through mem0's own API and DB."""
    m = memory(path)
    try:
        ids = [str(p.id) for p in m.vector_store.list(filters=None, top_k=10_000)[0]]
        items = {i: m.get(i) for i in ids}
        rows = sorted(m.db.connection.execute("SELECT id, memory_id, old_memory, new_memory, event, created_at, "
                                              "updated_at, is_deleted, actor_id, role FROM history").fetchall())
        return items, rows
    finally:
        close(m)


def test_self_hosted_export_and_reimport_keep_ids_text_scopes_metadata_timestamps(tmp_path: Path,
                                                                                 emb: EmbeddingServer) -> None:
    a, b = make_config(tmp_path, "a", emb), make_config(tmp_path, "b", emb)
    ids = seed(a)
    exported = tmp_path / "export.jsonl"
    p = cli(f"mem0+config:{a}", "--to", "canonical", "--jsonl", "-o", str(exported))
    assert p.returncode == 0, p.stderr
    recs = [json.loads(line) for line in exported.read_text().splitlines()[1:]]
    assert sum(r["kind"] == "memory" for r in recs) == 5
    assert {r["memory_id"] for r in recs if r["kind"] == "event"} >= {ids["updated"], ids["deleted"]}
    p = cli(str(exported), "-o", f"mem0+config:{b}")
    assert p.returncode == 0, p.stderr
    assert b"memories: 5 insert" in p.stderr
    items_a, rows_a = snapshot(a)
    items_b, rows_b = snapshot(b)
    assert items_b == items_a  # ids, text, hash, scopes, actor, role, metadata, created_at, updated_at
    assert items_b[ids["updated"]]["memory"] == "I am vegan and allergic to peanuts."
    assert {i["created_at"] for i in items_b.values()} >= {"2020-01-02T03:04:05+00:00"}
    assert rows_b == rows_a  # history: same rows, ids included; the deleted memory's rows too
    assert any(r[1] == ids["deleted"] and r[4] == "DELETE" for r in rows_b)
    m = memory(b)
    try:  # mem0's own read paths see the restored store
        assert {r["id"] for r in m.get_all(filters={"user_id": "alice"})["results"]} == \
            {i for i, v in items_a.items() if v.get("user_id") == "alice"}
        assert [h["event"] for h in m.history(ids["updated"])] == ["ADD", "UPDATE"]
    finally:
        close(m)


def test_store_to_store_strategies_and_no_duplicates(tmp_path: Path, emb: EmbeddingServer) -> None:
    a, b = make_config(tmp_path, "a", emb), make_config(tmp_path, "b", emb)
    seed(a)
    p = cli(f"mem0+config:{a}", "-o", f"mem0+config:{b}")
    assert p.returncode == 0, p.stderr
    first = snapshot(b)
    p = cli(f"mem0+config:{a}", "-o", f"mem0+config:{b}")
    assert p.returncode == ExitCode.EXISTS and b"memory id(s) exist" in p.stderr
    for strategy in ("skip", "merge"):
        dry = memconv.convert([f"mem0+config:{a}"], "mem0", f"mem0+config:{b}", strategy=strategy, dry_run=True)
        assert snapshot(b) == first
        real = memconv.convert([f"mem0+config:{a}"], "mem0", f"mem0+config:{b}", strategy=strategy)
        assert dry.info["plan"] == real.info["plan"]
        assert real.info["plan"]["collections"]["memories"][{"skip": "skip", "merge": "update"}[strategy]] == 5
        assert snapshot(b) == first  # same memories, not one history row more
    p = cli("ls", f"mem0+config:{b}", "--json")
    rows = {(r["scope"], r["id"]): r for r in json.loads(p.stdout)}
    assert rows[("user_id", "alice")]["memories"] == 3 and rows[("agent_id", "support-bot")]["memories"] == 1
    assert rows[("(all)", "")]["memories"] == 5 and rows[("(all)", "")]["history"] == len(first[1])


def test_replace_leaves_exactly_the_input(tmp_path: Path, emb: EmbeddingServer) -> None:
    a, b = make_config(tmp_path, "a", emb), make_config(tmp_path, "b", emb)
    seed(a)
    m = memory(b)
    other = m.add("Something only the destination had.", user_id="zed", infer=False)["results"][0]["id"]
    close(m)
    report = memconv.convert([f"mem0+config:{a}"], "mem0", f"mem0+config:{b}", strategy="replace")
    assert report.info["plan"]["collections"]["memories"]["delete"] == 1
    items_a, rows_a = snapshot(a)
    items_b, rows_b = snapshot(b)
    assert items_b == items_a and other not in items_b
    assert rows_b == rows_a


def test_failure_mid_push_is_reported_and_a_retry_leaves_no_duplicates(tmp_path: Path) -> None:
    with EmbeddingServer(DIMS) as emb:
        a, b = make_config(tmp_path, "a", emb), make_config(tmp_path, "b", emb)
        seed(a, extra=80)  # 85 memories: two batches of inserts
        emb.calls, emb.fail_after = 0, 1  # the embedder dies after the first batch
        report = tmp_path / "report.json"
        p = cli(f"mem0+config:{a}", "-o", f"mem0+config:{b}", "--report", str(report))
        assert p.returncode == ExitCode.PARTIAL, p.stderr
        err = p.stderr.decode()
        assert "the push failed part-way" in err and "64 memories inserted" in err and "--strategy skip" in err
        assert "sk-offline-dummy-0001" not in err
        written = json.loads(report.read_text())["remote_written"]
        assert written["memories inserted"] == 64 and written["history rows"] >= 64
        assert len(snapshot(b)[0]) == 64
        emb.fail_after = None  # back up
        p = cli(f"mem0+config:{a}", "-o", f"mem0+config:{b}", "--strategy", "skip")
        assert p.returncode == 0, p.stderr
        items_a, rows_a = snapshot(a)
        items_b, rows_b = snapshot(b)
        assert items_b == items_a and rows_b == rows_a  # 85 memories, each history row once


def test_platform_pull_pages_through_every_memory(tmp_path: Path) -> None:
    mems = [{"id": f"00000000-0000-4000-8000-{i:012d}", "memory": f"fact {i}", "user_id": f"u{i % 4}",
             "agent_id": None, "app_id": None, "session_id": None, "metadata": {"i": i}, "categories": ["misc"],
             "created_at": "2026-01-01T00:00:00-07:00", "updated_at": "2026-01-01T00:00:00-07:00",
             "expiration_date": None, "structured_attributes": None} for i in range(450)]
    history = {mems[0]["id"]: [{"id": "h1", "memory_id": mems[0]["id"], "input": [], "old_memory": None,
                                "new_memory": "fact 0", "user_id": "u0", "event": "ADD",
                                "created_at": "2026-01-01T00:00:00-07:00", "updated_at": "2026-01-01T00:00:00-07:00"}]}
    with Mem0PlatformServer(KEY, mems, history) as srv:
        out = tmp_path / "all.json"
        p = cli(f"mem0+{srv.url}", "--to", "mem0", "-o", str(out), env={"MEM0_API_KEY": KEY})
        assert p.returncode == 0, p.stderr
        assert [x["page"] for x in srv.pages] == [1, 2, 3] and {x["page_size"] for x in srv.pages} == {200}
        doc = json.loads(out.read_text())
        assert [r["id"] for r in doc["results"]] == [m["id"] for m in mems]
        assert doc["results"][7]["metadata"]["i"] == 7 and doc["history"][0]["memory_id"] == mems[0]["id"]
        p = cli(f"mem0+{srv.url}", "--to", "mem0", env={"MEM0_API_KEY": "wrong-key-1234"})
        assert p.returncode == ExitCode.REMOTE and b"401" in p.stderr and b"MEM0_API_KEY" in p.stderr
        p = cli("ls", f"mem0+{srv.url}", "--token", KEY, "--json")
        assert {r["id"]: r["memories"] for r in json.loads(p.stdout) if r["scope"] == "user_id"} == \
            {"u0": 113, "u1": 113, "u2": 112, "u3": 112}
        p = cli(str(out), "-o", f"mem0+{srv.url}", env={"MEM0_API_KEY": KEY})
        assert p.returncode == ExitCode.USAGE and b"not supported" in p.stderr


def test_missing_or_bad_config_is_a_usage_error(tmp_path: Path) -> None:
    p = cli(f"mem0+config:{tmp_path}/nope.json", "--to", "canonical")
    assert p.returncode == ExitCode.USAGE and b"No such file" in p.stderr
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    p = cli(f"mem0+config:{bad}", "--to", "canonical")
    assert p.returncode == ExitCode.USAGE and b"expected a mem0 config object" in p.stderr


def test_yaml_config(tmp_path: Path, emb: EmbeddingServer) -> None:
    yaml = pytest.importorskip("yaml")
    a = make_config(tmp_path, "a", emb)
    seed(a)
    y = tmp_path / "a.yaml"
    y.write_text(yaml.safe_dump(json.loads(a.read_text())))
    report = memconv.convert([f"mem0+config:{y}"], "canonical", tmp_path / "c.jsonl", jsonl=True)
    assert report.read["memory"] == 5


def test_letta_blocks_and_passages_keep_their_letta_fields_in_a_store(tmp_path: Path, emb: EmbeddingServer) -> None:
    """A Letta agent pushed into a real self-hosted store and pulled back: blocks (label, value, limit,
    read-only) and passages (text, tags, owner) ride in each memory's ``metadata.memconv``, which mem0
    stores as it stores any metadata; the agent, its tools and messages have no place in a store and
    are reported lost."""
    af = Path(__file__).resolve().parents[1] / "fixtures" / "letta" / "notes-keeper.af"
    b = make_config(tmp_path, "b", emb)
    p = cli(str(af), "-o", f"mem0+config:{b}")
    assert p.returncode == 0, p.stderr
    lost = [ln for ln in p.stderr.decode().splitlines() if ln.startswith("memconv: lost: ") and ", whole: " in ln]
    assert any(" agent" in ln and " message" in ln for ln in lost), p.stderr
    out = tmp_path / "back.jsonl"
    p = cli(f"mem0+config:{b}", "--to", "canonical", "--jsonl", "-o", str(out))
    assert p.returncode == 0, p.stderr
    back, orig = memconv.read(out), memconv.read(af)
    blocks = lambda bundle: sorted((x.label, x.value, x.limit, x.read_only) for x in bundle.of("block"))  # noqa: E731
    passages = lambda bundle: sorted((x.text, tuple(x.tags or []), x.scope.agent_id)  # noqa: E731
                                     for x in bundle.of("passage"))
    assert blocks(back) == blocks(orig) and len(blocks(orig)) == 2
    assert passages(back) == passages(orig) and len(passages(orig)) == 3
    assert not back.of("agent")


def test_replacing_a_store_with_its_own_dump_leaves_its_history(tmp_path: Path, emb: EmbeddingServer) -> None:
    """A ``get_all`` dump holds no history. ``--strategy replace`` with the store's own dump deleted the
    history of every memory it rewrote (found with real mem0ai 2.2.1 output): a memory the input gives
    no history of keeps the store's now, and the plan counts the history rows a replace deletes."""
    a = make_config(tmp_path, "a", emb)
    ids = seed(a)
    items, rows = snapshot(a)
    dump = tmp_path / "get_all.json"
    dump.write_text(json.dumps({"results": list(items.values())}))
    report = memconv.convert([dump], "mem0", f"mem0+config:{a}", strategy="replace")
    assert report.info["plan"]["collections"].get("history", {}).get("delete", 0) == 0
    assert snapshot(a) == (items, rows)
    m = memory(a)
    try:
        assert [h["event"] for h in m.history(ids["updated"])] == ["ADD", "UPDATE"]
    finally:
        close(m)


def test_a_merge_that_changes_a_text_writes_the_update_row(tmp_path: Path, emb: EmbeddingServer) -> None:
    """mem0 writes an UPDATE history row whenever it changes a memory (``_update_memory``); a merge push
    that rewrites a text writes one too (old text -> new), and a key an item and its metadata both give
    keeps the metadata's, reported lost rather than overwritten in silence."""
    a = make_config(tmp_path, "a", emb)
    ids = seed(a)
    items, _ = snapshot(a)
    item = dict(items[ids["updated"]])
    item["memory"] = "I am vegan, allergic to peanuts, and live in Québec."
    item["hash"] = None
    item["categories"] = None  # a Platform item's own key, over metadata.categories
    item["metadata"] = {**(item.get("metadata") or {}), "categories": ["food", "préférences"]}
    src = tmp_path / "one.json"
    src.write_text(json.dumps({"results": [item]}))
    report = memconv.convert([src], "mem0", f"mem0+config:{a}", strategy="merge")
    m = memory(a)
    try:
        hist = m.history(ids["updated"])
        assert [h["event"] for h in hist] == ["ADD", "UPDATE", "UPDATE"]
        assert hist[-1]["old_memory"] == "I am vegan and allergic to peanuts." and \
            hist[-1]["new_memory"] == item["memory"]
        assert m.get(ids["updated"])["metadata"]["categories"] == ["food", "préférences"]
    finally:
        close(m)
    assert any("categories" in json.dumps(l) for l in report.to_dict()["losses"]), report.to_dict()["losses"]


def test_a_pull_reads_only_its_own_store_s_history(tmp_path: Path, emb: EmbeddingServer) -> None:
    """Two stores sharing one history file (mem0's default $MEM0_DIR/history.db when the config names
    none): a pull of one read the other's rows too (found with real mem0ai). Only its memories' rows and
    deleted memories' rows are read; the rest is warned of."""
    a, b = make_config(tmp_path, "a", emb), make_config(tmp_path, "b", emb)
    shared = str(tmp_path / "shared-history.db")
    for cfg in (a, b):
        c = json.loads(cfg.read_text())
        c["history_db_path"] = shared
        cfg.write_text(json.dumps(c))
    ids = seed(a)
    m = memory(b)
    try:
        b_ids = [m.add(f"b memory {i}", user_id="bee", infer=False)["results"][0]["id"] for i in range(3)]
    finally:
        close(m)
    m = memory(b)  # b deletes one of its memories, and a push brings it back under its id: live again
    try:
        back = dict(m.get(b_ids[0]))
        m.delete(b_ids[0])
    finally:
        close(m)
    again = tmp_path / "again.json"
    again.write_text(json.dumps({"results": [back]}))
    memconv.convert([again], "mem0", f"mem0+config:{b}", strategy="merge")
    out = tmp_path / "a.jsonl"
    report = memconv.convert([f"mem0+config:{a}"], "canonical", str(out), jsonl=True)
    events = [json.loads(x) for x in out.read_text().splitlines() if '"kind":"event"' in x]
    assert not {e["memory_id"] for e in events} & set(b_ids)  # (b_ids[0]: a DELETE row, but not its last)
    assert ids["deleted"] in {e["memory_id"] for e in events}  # a deleted memory's rows are still read
    assert any("3 memories that are neither in this store nor deleted" in w for w in report.warnings)


def test_a_push_reports_the_source_document_s_fields_without_a_ledger_row(tmp_path: Path,
                                                                          emb: EmbeddingServer) -> None:
    """An AgentMemory file pushed into a store: its document's top-level fields (``pagination``) have no
    place there and are reported lost by name; the header is no record, so the ledger has no row for it
    (it had ``read 0, lost 1``)."""
    a = make_config(tmp_path, "a", emb)
    src = Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "agentmemory" / "example_full.json"
    report = memconv.convert([src], "mem0", f"mem0+config:{a}")
    assert "header" not in report.ledger() and report.unaccounted() == {}
    [loss] = [l for l in report.to_dict()["losses"] if l["kind"] == "header"]
    assert loss["fields"] == ["agentmemory.pagination", "exported_at"]


def test_changes_back_and_forth_each_get_their_update_row_last(tmp_path: Path, emb: EmbeddingServer) -> None:
    """Three merge pushes of one memory, A -> B -> A -> B: three UPDATE rows, each after the store's
    earlier ones (an id per change: one derived from the new text alone was dropped by INSERT OR IGNORE,
    and one dated by the item's own updated_at sorted before later changes; found by review)."""
    a = make_config(tmp_path, "a", emb)
    ids = seed(a)
    items, _ = snapshot(a)
    base = dict(items[ids["updated"]])
    texts = ["Text B.", "I am vegan and allergic to peanuts.", "Text B."]
    for text in texts:
        src = tmp_path / "one.json"
        src.write_text(json.dumps({"results": [{**base, "memory": text, "hash": None}]}))
        memconv.convert([src], "mem0", f"mem0+config:{a}", strategy="merge")
    m = memory(a)
    try:
        hist = m.history(ids["updated"])
        assert [h["event"] for h in hist] == ["ADD", "UPDATE", "UPDATE", "UPDATE", "UPDATE"]
        assert [h["new_memory"] for h in hist[-3:]] == texts
        assert m.get(ids["updated"])["memory"] == hist[-1]["new_memory"]
    finally:
        close(m)


def test_item_keys_over_metadata_are_one_loss_of_one_memory(tmp_path: Path, emb: EmbeddingServer) -> None:
    """Two item keys that the metadata also gives: one memory loses them (count 1, both named); neither is
    said to be written as metadata (found by review)."""
    a = make_config(tmp_path, "a", emb)
    item = {"id": "00000000-0000-4000-8000-000000000001", "memory": "likes tea", "user_id": "u",
            "categories": None, "immutable": True, "metadata": {"categories": ["food"], "immutable": False}}
    src = tmp_path / "one.json"
    src.write_text(json.dumps({"results": [item]}))
    report = memconv.convert([src], "mem0", f"mem0+config:{a}")
    [loss] = [l for l in report.to_dict()["losses"] if l["field"] == "extras.mem0"]
    assert loss["count"] == 1 and sorted(loss["fields"]) == ["categories", "immutable"]
    assert not any("written as metadata" in w for w in report.warnings)
