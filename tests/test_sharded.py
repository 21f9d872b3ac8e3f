"""Beyond one machine (issue 13, item 4): shards converted as tasks of a real Dask cluster (a
``LocalCluster`` of two worker processes), joined, equal byte for byte what one process writes from
the same shards, for both targets with a line form."""

from __future__ import annotations

import hashlib
import json
import os
import random

import pytest
from dask.distributed import Client, LocalCluster

import memconv
from memconv.errors import UsageError
from memconv.sharded import convert_shards, join_jsonl, merge_reports

TIMESTAMP = "2026-01-01T00:00:00.000Z"


def _shards(folder, n_shards=4, per_shard=300):
    rng = random.Random(7)
    paths = []
    for s in range(n_shards):
        path = folder / f"shard-{s:02d}.jsonl"
        lines = []
        for i in range(per_shard):
            text = " ".join(rng.choice(["café", "用户", "hiking", "jazz", "☕", "budget"]) for _ in range(rng.randint(3, 12)))
            item = {"id": f"{s:02d}{i:06d}-0000-4000-8000-000000000000", "memory": text,
                    "hash": hashlib.md5(text.encode()).hexdigest(),
                    "metadata": rng.choice([None, {"score": rng.random()}, {"ctx": {"n": [1, 2.5]}}]),
                    "created_at": f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:00:00+00:00",
                    "updated_at": None, "user_id": f"user-{rng.randint(0, 20)}"}
            if rng.random() < 0.3:
                item["agent_id"] = f"agent-{rng.randint(0, 3)}"
            lines.append(json.dumps(item, ensure_ascii=False))
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        paths.append(str(path))
    return paths


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as c:
        yield c


@pytest.mark.parametrize("to", ["canonical", "mem0"])
def test_shards_on_a_dask_cluster_join_to_what_one_process_writes(tmp_path, client, to):
    shards = _shards(tmp_path)
    one = tmp_path / "one.jsonl"
    single = memconv.convert(shards, to, str(one), jsonl=True, timestamp=TIMESTAMP)
    out_dir = tmp_path / "parts"
    out_dir.mkdir()
    results = convert_shards(shards, to, str(out_dir), options={"timestamp": TIMESTAMP})
    assert [r["shard"] for r in results] == shards
    workers = set(client.run(os.getpid).values())
    assert {r["pid"] for r in results} <= workers and os.getpid() not in workers  # run by the cluster
    joined = tmp_path / "joined.jsonl"
    n = join_jsonl([r["output"] for r in results], str(joined))
    assert joined.read_bytes() == one.read_bytes()
    assert n == len(one.read_bytes().splitlines())
    totals = merge_reports(results)
    assert totals["read"] == dict(single.read) == {"memory": 1200}


def test_a_target_without_a_line_form_is_refused(tmp_path):
    with pytest.raises(UsageError, match="line form"):
        convert_shards(_shards(tmp_path, 1, 2), "agentmemory", str(tmp_path))
