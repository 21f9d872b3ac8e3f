"""The contract every registered format passes (issue 12, item 5), parametrized over the registry.

A format is one adapter package plus its samples: this file tests it without a new test file. The
built-in formats' samples are the small files in ``fixtures/<format>/``; a plugin names its own
(:attr:`memconv.format.Format.samples`). To show that a plugin found through the ``memconv.adapters``
entry point is tested too, this module installs one for real: a ``toy-notes`` adapter, written to a
temporary folder with a ``.dist-info`` holding its ``entry_points.txt`` and put on ``sys.path``, so
``importlib.metadata`` finds it as it finds any installed package.

The contract, per format:
* it detects its own samples, and no other format's sample is taken for it;
* identity: a sample read and written in the same format reads back as the same records;
* it converts each sample to every other writable format, and every record read is accounted for in
  the report's ledger (native, side channel, lost or filtered);
* a damaged sample fails with one line that names the file, never a traceback.
"""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

import memconv
from memconv import registry
from memconv.errors import MemconvError
from memconv.io import Input

from helpers import REPO

PLUGIN_DIR = Path(tempfile.mkdtemp(prefix="memconv-contract-plugin-"))
PLUGIN = textwrap.dedent('''
    """A toy memconv adapter: a JSON list of notes ``[{"id": ..., "text": ...}]``, as memories."""
    from pathlib import Path
    from typing import Any, BinaryIO, Iterable, Iterator

    import orjson

    from memconv.errors import InputInvalid
    from memconv.format import Format, ReadOptions, WriteOptions
    from memconv.io import Input
    from memconv.mapping import FieldMap, MappingTable
    from memconv.model import Header, Memory, Provenance

    HERE = Path(__file__).parent

    class ToyNotes(Format):
        name = "toy-notes"
        title = "Toy notes (a contract-suite plugin)"
        system = "toy"
        extensions = (".notes.json",)
        samples = (str(HERE / "sample.notes.json"),)
        mapping = MappingTable(target="toy-notes", system="toy",
                               rows=[FieldMap("memory", "text", "[].text")],
                               kinds={"memory": ("[]", "a note")})

        def detect(self, inp: Input) -> int:
            head = inp.peek(64).lstrip()
            return 60 if inp.name.endswith(".notes.json") and head.startswith(b"[") else 0

        def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
            try:
                notes = orjson.loads(inp.open().read())
            except orjson.JSONDecodeError as e:
                raise InputInvalid(f"{inp.name}: not JSON: {e}") from None
            if not isinstance(notes, list):
                raise InputInvalid(f"{inp.name}: expected a list of notes")
            yield Header(source_system="toy")
            for i, n in enumerate(notes):
                if not isinstance(n, dict) or not isinstance(n.get("text"), str):
                    raise InputInvalid(f"{inp.name}: [{i}]: expected a note with a text")
                yield Memory(id=str(n.get("id", i)), text=n["text"], provenance=Provenance(system="toy", id=n.get("id")))

        def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
            it = iter(items)
            next(it)
            notes = []
            for rec in it:
                if self.mapping.account(rec, options.report) and rec.kind == "memory":
                    notes.append({"id": rec.id, "text": rec.text})
                    options.report.wrote("toy-notes:notes")
            out.write(orjson.dumps(notes))

    FORMAT = ToyNotes()
''')


def _install_plugin() -> None:
    (PLUGIN_DIR / "memconv_toy_notes.py").write_text(PLUGIN)
    (PLUGIN_DIR / "sample.notes.json").write_text(json.dumps(
        [{"id": "n1", "text": "Dana prefers pnpm"}, {"id": "n2", "text": "Invoices round half up"}]))
    info = PLUGIN_DIR / "memconv_toy_notes-0.1.dist-info"
    info.mkdir(exist_ok=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: memconv-toy-notes\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[memconv.adapters]\ntoy-notes = memconv_toy_notes:FORMAT\n")
    if str(PLUGIN_DIR) not in sys.path:
        sys.path.insert(0, str(PLUGIN_DIR))
    registry.reset()


def _uninstall_plugin() -> None:
    """Take the plugin off ``sys.path`` again, so that the other test modules see the built-ins only."""
    if str(PLUGIN_DIR) in sys.path:
        sys.path.remove(str(PLUGIN_DIR))
    registry.reset()


@pytest.fixture(scope="module", autouse=True)
def plugin_installed():
    _install_plugin()
    yield
    _uninstall_plugin()


_install_plugin()  # for the parameters below, gathered when the module is collected

BUILTIN_SAMPLES = {
    "letta": ["sample-agent.af", "letta/notes-keeper.af"],
    "mem0": ["mem0/items.jsonl", "mem0/migration_export.json", "mem0/history_ts.json"],
    "agentmemory": ["agentmemory/quirks.json", "agentmemory/letta_hand_edited.json"],
    "canonical": ["canonical/sample-agent.canonical.jsonl", "canonical/mem0-items.canonical.json"],
    "letta-memfs": ["letta-memfs/sample-agent"],
}


def samples(fmt) -> list[Path]:
    """A format's samples: its own (a plugin's ``samples``), else the built-in ones in fixtures/."""
    own = [Path(p) for p in getattr(fmt, "samples", ())]
    return own or [REPO / "fixtures" / p for p in BUILTIN_SAMPLES.get(fmt.name, [])]


FORMATS = sorted(registry.formats().values(), key=lambda f: f.name)
READABLE = [f for f in FORMATS if f.can_read]
WRITABLE = [f for f in FORMATS if f.can_write]
CASES = [(f, s) for f in READABLE for s in samples(f)]
_uninstall_plugin()


def _id(case) -> str:
    f, s = case
    return f"{f.name}:{s.name}"


def test_the_plugin_is_registered_and_every_format_has_samples():
    assert "toy-notes" in registry.formats()
    assert all(samples(f) for f in READABLE), [f.name for f in READABLE if not samples(f)]
    assert all(p.exists() for f in READABLE for p in samples(f))


@pytest.mark.parametrize("case", CASES, ids=_id)
def test_detects_its_own_samples(case):
    fmt, sample = case
    assert registry.detect(Input(str(sample))).name == fmt.name


@pytest.mark.parametrize("fmt", READABLE, ids=lambda f: f.name)
def test_claims_no_other_formats_sample(fmt):
    for owner, sample in CASES:
        if owner.name != fmt.name:
            assert fmt.detect(Input(str(sample))) < owner.detect(Input(str(sample))), (fmt.name, sample)


def _records(path: Path, fmt: str) -> list:
    return [r.model_dump(mode="json", exclude={"provenance"}) for r in memconv.read(str(path), format=fmt).records]


@pytest.mark.parametrize("case", [c for c in CASES if c[0].can_write], ids=_id)
def test_identity(case, tmp_path):
    """Read a sample, write it in its own format, read it again: the same records."""
    fmt, sample = case
    out = tmp_path / (sample.name if fmt.name != "letta-memfs" else "out")
    memconv.convert(str(sample), fmt.name, str(out))
    assert _records(out, fmt.name) == _records(sample, fmt.name)


@pytest.mark.parametrize("target", WRITABLE, ids=lambda f: f.name)
@pytest.mark.parametrize("case", CASES, ids=_id)
def test_converts_to_every_format_and_accounts_for_every_record(case, target, tmp_path):
    fmt, sample = case
    ext = {"letta": "out.af", "letta-memfs": "out", "toy-notes": "out.notes.json"}.get(target.name, "out.json")
    report = memconv.convert(str(sample), target.name, str(tmp_path / ext))
    assert sum(report.read.values()) > 0
    assert report.unaccounted() == {}, report.ledger()


@pytest.mark.parametrize("case", [c for c in CASES if c[1].is_file()], ids=_id)
def test_a_damaged_sample_fails_with_one_line(case, tmp_path):
    fmt, sample = case
    data = sample.read_bytes()
    bad = tmp_path / sample.name
    bad.write_bytes(data[: len(data) // 2])
    with pytest.raises(MemconvError) as e:
        for _ in memconv.iter_records(str(bad), format=fmt.name):
            pass
    assert "\n" not in e.value.message and bad.name in e.value.message
