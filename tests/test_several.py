"""A folder or an archive that no format reads as a whole is read as the exports in it, one input each
(memconv.several): as mem0's repository keeps its evaluation dumps (``exp_data/Memory/*.json``, and the
same zipped)."""

from __future__ import annotations

import io
import json
import os
import shutil
import tarfile
import zipfile

import pytest

import memconv
from memconv.errors import InputInvalid

from helpers import FIXTURES, REPO, run_cli

MEM0 = FIXTURES / "mem0"
EXPORTS = [MEM0 / "get_all_v11_user_alice.json", MEM0 / "get_all_v11_user_bob.json",
           FIXTURES / "agentmemory" / "real_export_seeded.json"]


def _one_by_one(tmp_path):
    out = tmp_path / "one_by_one.canonical.json"
    report = memconv.convert([str(p) for p in sorted(EXPORTS, key=lambda p: p.name)], "canonical", str(out))
    return json.loads(out.read_text())["records"], report


def _folder(tmp_path):
    folder = tmp_path / "dumps"
    (folder / "nested").mkdir(parents=True)
    for p in EXPORTS:
        shutil.copy(p, (folder / "nested" if "agentmemory" in str(p) else folder) / p.name)
    (folder / "README.md").write_text("# my dumps\n")
    (folder / ".hidden.json").write_text("not json")
    return folder


def test_a_folder_of_exports_reads_as_its_files_one_by_one(tmp_path):
    """The records are those of the files given one by one (in path order), whatever their formats;
    a file not named as an export is passed over with a warning naming it; hidden ones are not
    looked at. Library and command line alike."""
    folder = _folder(tmp_path)
    expected, _ = _one_by_one(tmp_path)
    out = tmp_path / "folder.canonical.json"
    report = memconv.convert(str(folder), "canonical", str(out))
    got = json.loads(out.read_text())["records"]
    key = lambda r: (r["kind"], r["id"])  # noqa: E731  (the folder's order is its paths', not the names')
    assert sorted(got, key=key) == sorted(expected, key=key) and len(got) > 10
    assert [i["name"] for i in report.info["inputs"]] == [
        f"{folder}/get_all_v11_user_alice.json", f"{folder}/get_all_v11_user_bob.json",
        f"{folder}/nested/real_export_seeded.json"]
    assert any("README.md: not named as a memory export" in w for w in report.warnings_by_code()["file-skipped"])
    assert not any(".hidden" in w for w in report.warnings)
    r = run_cli(folder, "--to", "mem0", "-o", tmp_path / "cli.json")
    assert r.returncode == 0, r.stderr
    assert b"README.md: not named as a memory export" in r.stderr
    r = run_cli(folder, "--from", "mem0", "--to", "mem0", "-o", tmp_path / "cli2.json")
    assert r.returncode == 4 and b"real_export_seeded.json" in r.stderr  # an AgentMemory file read as mem0


@pytest.mark.parametrize("kind", ["zip", "tar.gz"])
def test_an_archive_of_exports_reads_as_its_members_in_memory(tmp_path, kind):
    expected, _ = _one_by_one(tmp_path)
    archive = tmp_path / f"dumps.{kind}"
    members = {f"Memory/{p.name}": p.read_bytes() for p in EXPORTS}
    members["Memory/notes.txt"] = b"hello"
    members["__MACOSX/Memory/._get_all_v11_user_bob.json"] = b"\x00\x05"
    if kind == "zip":
        with zipfile.ZipFile(archive, "w") as zf:
            for name, data in members.items():
                zf.writestr(name, data)
    else:
        with tarfile.open(archive, "w:gz") as tf:
            for name, data in members.items():
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    out = tmp_path / "archive.canonical.json"
    report = memconv.convert(str(archive), "canonical", str(out))
    got = json.loads(out.read_text())["records"]
    key = lambda r: (r["kind"], r["id"])  # noqa: E731
    assert sorted(got, key=key) == sorted(expected, key=key)
    assert [i["name"] for i in report.info["inputs"]][0] == f"{archive}:Memory/get_all_v11_user_alice.json"
    assert any("Memory/notes.txt: not named" in w for w in report.warnings)


def test_a_folder_or_archive_with_no_export_in_it_is_one_line(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    with pytest.raises(InputInvalid, match="holding no file named as an export"):
        memconv.convert(str(tmp_path / "empty"), "canonical", str(tmp_path / "o.json"))
    with zipfile.ZipFile(tmp_path / "a.zip", "w") as zf:
        zf.writestr("../evil.json", b"{}")
    r = run_cli(tmp_path / "a.zip", "--to", "canonical", "-o", tmp_path / "o2.json")
    assert r.returncode == 4 and b"'..' in a member path refused" in r.stderr and b"Traceback" not in r.stderr
    assert not (tmp_path / "o.json").exists() and not (tmp_path / "o2.json").exists()


def test_a_folder_or_archive_a_format_reads_whole_is_still_one_input(tmp_path):
    """A Letta bundle folder and an OpenMemory backup zip keep their own readers."""
    for path in [*sorted((FIXTURES / "letta-bundle").iterdir())[:1], *sorted((MEM0 / "openmemory").glob("*.zip"))]:
        report = memconv.convert(str(path), "canonical", str(tmp_path / f"{path.name}.json"))
        assert [i["name"] for i in report.info["inputs"]] == [str(path)]


def test_what_a_folder_of_exports_holds_besides_files(tmp_path):
    """An ``.af`` with its passages sidecar is one input (the sidecar is read with it); a Letta bundle
    folder and a bundle ``.tar.gz`` inside are inputs whole; a README.md beside dumps one level down
    does not make the folder a Letta Code memory folder; ``inspect`` and ``validate`` take the folder
    file by file."""
    from memconv.cli import inspect_inputs
    from memconv.validate import validate

    keeper = REPO / "fixtures" / "letta" / "notes-keeper.af"
    folder = tmp_path / "d"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(keeper, folder / "notes-keeper.af")
    shutil.copy(keeper.with_name("notes-keeper.passages.jsonl"), folder / "notes-keeper.passages.jsonl")
    shutil.copytree(FIXTURES / "letta-bundle", folder / "bundles")
    shutil.copy(EXPORTS[0], folder / "sub" / EXPORTS[0].name)
    (folder / "README.md").write_text("# dumps\n")
    report = memconv.convert(str(folder), "canonical", str(tmp_path / "o.json"))
    names = [i["name"] for i in report.info["inputs"]]
    assert names == [f"{folder}/bundles/support-desk.af", f"{folder}/bundles/support-desk.af.tar.gz",
                     f"{folder}/notes-keeper.af", f"{folder}/sub/{EXPORTS[0].name}"]
    alone = memconv.convert(str(keeper), "canonical", str(tmp_path / "k.json"))
    assert report.read["passage"] == alone.read["passage"] > 0
    assert [d["name"] for d in inspect_inputs([str(folder)], None)["inputs"]] == names
    from memconv.io import Input
    from memconv.several import expand
    assert all(validate(i).ok for i in expand([Input(str(folder))], None, memconv.Report()))


def test_a_folder_named_with_from_letta_memfs_is_read_whole(tmp_path):
    """``--from letta-memfs`` takes the folder whole, whatever files it holds."""
    folder = tmp_path / "memory"
    (folder / "system").mkdir(parents=True)
    (folder / "system" / "persona.md").write_text("---\ndescription: who I am\n---\nI help.\n")
    (folder / "notes.json").write_text("{}")
    (folder / "system").rename(folder / "core")  # no marker of Letta Code's left: its detector is unsure
    report = memconv.convert(str(folder), "canonical", str(tmp_path / "o.json"), from_="letta-memfs")
    assert [i["name"] for i in report.info["inputs"]] == [str(folder)] and report.read["block"] >= 1


def test_the_report_file_gives_each_input_its_own_path_and_hash(tmp_path):
    """A folder given with a file: the report paired the inputs it read (the folder's members, then the
    file) with the arguments given, so a member got the file's path and sha256."""
    import hashlib

    folder = tmp_path / "dumps"
    folder.mkdir()
    for k in range(2):
        (folder / f"{k}.json").write_text(json.dumps({"results": [{"id": f"m{k}", "memory": f"text {k}"}]}))
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"results": [{"id": "m9", "memory": "nine"}]}))
    r = run_cli(folder, one, "--to", "canonical", "-o", tmp_path / "o.jsonl", "--report", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    entries = json.loads((tmp_path / "r.json").read_text())["inputs"]
    assert [os.path.basename(e["path"]) for e in entries] == ["0.json", "1.json", "one.json"]
    for e in entries:
        assert e["sha256"] == hashlib.sha256(open(e["path"], "rb").read()).hexdigest()
