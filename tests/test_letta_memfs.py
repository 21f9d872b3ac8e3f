"""Letta Code's memory folder (MemFS, issue 14): every real .af into a folder that Letta Code's own
pre-commit hook accepts and back to the same .af; a folder built by hand from the rules (attached and
detached blocks, nested labels, CRLF, a BOM, a read-only block, three commits) into every format.

The front matter rules are checked by Letta Code's own validator, ``validateMemoryFileFrontmatter`` of
the published npm package ``@letta-ai/letta-code`` (``./memory-constraints``), the function its pre-commit
hook runs; the ``letta_code`` fixture (``tests/letta_code.py``) fetches the package with ``npm pack`` at
test time, outside the repository. Where a test needs a hook in a real git repository, :func:`install_hook`
writes one that runs that validator on the staged files as Letta Code's hook does.
"""

from __future__ import annotations

import json
import os
import subprocess
import tarfile
from pathlib import Path

import pytest

import memconv
from memconv.errors import DestinationExists

from helpers import FIXTURES, GOOD_AF, run_cli

TS = "2026-01-01T00:00:00+00:00"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false",
       "-c", "init.defaultBranch=main"]


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([*GIT, *args], cwd=repo, capture_output=True, text=True, check=check)


def _md_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md")
                  if not any(s.startswith(".") for s in p.relative_to(folder).parts)
                  and p.relative_to(folder).parts[0] != "skills")


HOOK_SCRIPT = """#!/usr/bin/env node
// pre-commit hook written by memconv's tests (not Letta Code's file): Letta Code's own validator,
// validateMemoryFileFrontmatter of the npm package @letta-ai/letta-code, run as Letta Code's
// PRE_COMMIT_HOOK_SCRIPT runs it on the classic layout: every staged (memory/)?(system|reference)/*.md
// file, its HEAD content as previousContent.
const {{ execFileSync, spawnSync }} = require("node:child_process");
const git = (args) => spawnSync("git", args, {{ encoding: "utf8", maxBuffer: Infinity }});
import({module_url}).then(({{ validateMemoryFileFrontmatter }}) => {{
  const staged = execFileSync("git", ["diff", "--cached", "--name-only", "--diff-filter=ACM"], {{ encoding: "utf8" }})
    .split("\\n").filter((path) => /^(memory\\/)?(system|reference)\\/.*\\.md$/.test(path));
  const errors = [];
  for (const path of staged) {{
    const content = execFileSync("git", ["show", ":" + path], {{ encoding: "utf8", maxBuffer: Infinity }});
    const previous = git(["show", "HEAD:" + path]);
    const previousContent = previous.status === 0 ? previous.stdout : null;
    errors.push(...validateMemoryFileFrontmatter({{ path, content, previousContent, format: "legacy" }}));
  }}
  if (errors.length) {{
    console.log("Frontmatter validation failed:");
    for (const error of errors) console.log("  " + error);
    process.exit(1);
  }}
}});
"""


def install_hook(repo: Path, letta_code) -> None:
    """Install :data:`HOOK_SCRIPT` as ``repo``'s pre-commit hook: Letta Code's published validator (the
    ``letta_code`` fixture's npm package) run by node on the staged files, as Letta Code's hook runs it."""
    hook = repo / ".git" / "hooks" / "pre-commit"
    hook.parent.mkdir(parents=True, exist_ok=True)
    hook.write_text(HOOK_SCRIPT.format(module_url=json.dumps(letta_code.module_url)))
    os.chmod(hook, 0o755)


def test_the_validator_is_live(letta_code, tmp_path):
    """The checks below would pass anything if the validator did not run: it refuses what Letta Code
    refuses, for a whole folder (``letta_code.check``) and for an edit against ``HEAD``."""
    folder = tmp_path / "memory"
    (folder / "system").mkdir(parents=True)
    (folder / "system" / "a.md").write_text("---\ndescription: a\ntags: x\n---\nA")
    (folder / "b.md").write_text("---\ndescription:\n---\nB")
    (folder / "system" / "c.md").write_text("C")
    (folder / "system" / "d.md").write_text("---\ndescription: d\nread_only: true\n---\nD")  # server-set
    assert sorted(letta_code.check(folder)) == [
        "reference/b.md: 'description' must not be empty",
        "system/a.md: unknown frontmatter key 'tags' (allowed: description read_only limit)",
        "system/c.md: missing frontmatter (must start with ---)"]
    ro = "---\ndescription: d\nread_only: true\n---\nD"
    assert letta_code.check_file("system/d.md", ro + "!", ro) == [
        "system/d.md: file is read_only and cannot be modified"]
    assert letta_code.check_file("system/d.md", ro) == [
        "system/d.md: 'read_only' is a protected field and cannot be set by the agent"]


def test_the_hook_is_live(letta_code, tmp_path):
    """The hook the tests install (:func:`install_hook`, Letta Code's published validator run by node on
    the staged files) refuses a commit with what Letta Code refuses, and lets a good one through."""
    repo = tmp_path / "repo"
    (repo / "system").mkdir(parents=True)
    (repo / "reference").mkdir()
    _git(repo, "init", "-q")
    install_hook(repo, letta_code)
    (repo / "system" / "a.md").write_text("---\ndescription: a\ntags: x\n---\nA")
    (repo / "reference" / "b.md").write_text("---\ndescription:\n---\nB")
    (repo / "system" / "c.md").write_text("C")
    _git(repo, "add", "-A")
    done = _git(repo, "commit", "-q", "-m", "bad", check=False)
    said = (done.stdout + done.stderr).splitlines()  # git gives a hook's output on stderr
    assert done.returncode == 1 and said[0] == "Frontmatter validation failed:"
    assert sorted(ln.strip() for ln in said[1:]) == [
        "reference/b.md: 'description' must not be empty",
        "system/a.md: unknown frontmatter key 'tags' (allowed: description read_only limit)",
        "system/c.md: missing frontmatter (must start with ---)"]
    assert _git(repo, "rev-parse", "--verify", "-q", "HEAD", check=False).returncode != 0  # nothing committed
    for name in ("system/a.md", "reference/b.md", "system/c.md"):
        (repo / name).write_text("---\ndescription: fine\n---\nok")
    _git(repo, "add", "-A")
    assert _git(repo, "commit", "-q", "-m", "good", check=False).returncode == 0


# ------------------------------------------------------------------------------- .af -> folder -> .af


@pytest.mark.parametrize("af", GOOD_AF, ids=lambda p: p.name)
def test_every_af_becomes_a_folder_letta_code_accepts_and_comes_back(letta_code, tmp_path, af):
    folder = tmp_path / "memory"
    report = memconv.convert(af, to="letta-memfs", output=str(folder), timestamp=TS)
    assert not report.losses, report.format_losses()
    errors = letta_code.check(folder)
    assert errors == [], errors
    read_only = letta_code.read_only_files(folder)
    # the folder itself: only the allowed keys, a non-empty description, attached blocks under system/
    bundle = memconv.read(af)
    attached = {i for a in bundle.of("agent")[:1] for i in a.block_ids}
    n_system = sum(1 for b in bundle.of("block") if b.id in attached)
    assert len([p for p in _md_files(folder) if p.startswith("system/")]) == n_system
    assert len(_md_files(folder)) == len(bundle.of("block"))
    assert len(read_only) == sum(1 for b in bundle.of("block") if b.read_only)
    # and back: the same .af as a direct .af -> .af
    memconv.convert(folder, to="letta", output=str(tmp_path / "back.af"), timestamp=TS)
    memconv.convert(af, to="letta", output=str(tmp_path / "direct.af"), timestamp=TS)
    assert json.loads((tmp_path / "back.af").read_bytes()) == json.loads((tmp_path / "direct.af").read_bytes())


def test_read_only_block_stays_read_only_for_letta_code(letta_code, tmp_path):
    """deep_research_agent.af has a read-only block: after memconv's commit, Letta Code's validator refuses
    an edit of it, as it refuses an edit of any block the server made read-only. The hook is the one the
    test writes (:func:`install_hook`): Letta Code's published validator on the staged files, ``HEAD`` as
    the previous content."""
    folder = tmp_path / "memory"
    memconv.convert(GOOD_AF[0].parent / "deep_research_agent.af", to="letta-memfs", output=str(folder), git=True)
    ro = [p for p in _md_files(folder) if "read_only: true" in (folder / p).read_text()]
    assert len(ro) == 1
    install_hook(folder, letta_code)
    assert _git(folder, "status", "--porcelain").stdout == ""  # memconv committed everything
    with open(folder / ro[0], "a") as fh:
        fh.write("\nedited")
    _git(folder, "add", "-A")
    done = _git(folder, "commit", "-m", "edit", check=False)
    assert done.returncode == 1 and f"{ro[0]}: file is read_only and cannot be modified" in done.stdout + done.stderr
    # the validator itself, on the same edit
    head = _git(folder, "show", f"HEAD:{ro[0]}").stdout
    assert letta_code.check_file(ro[0], (folder / ro[0]).read_text(), head) == [
        f"{ro[0]}: file is read_only and cannot be modified"]


# ------------------------------------------------------------------------------------ a folder by hand


def _block(description: str | None, body: str, *, read_only: bool = False, limit: int | None = None,
           crlf: bool = False, bom: bool = False) -> bytes:
    lines = ["---"]
    if description is not None:
        lines.append(f"description: {description}")
    if read_only:
        lines.append("read_only: true")
    if limit is not None:
        lines.append(f"limit: {limit}")
    lines += ["---", body]
    nl = "\r\n" if crlf else "\n"
    text = nl.join(lines) + nl
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode()


def hand_built(root: Path) -> Path:
    """A MemFS folder written from Letta Code's rules, with a git history of three commits."""
    mem = root / "agents" / "agent-123" / "memory"
    (mem / "system" / "human").mkdir(parents=True)
    (mem / "reference").mkdir()
    _git(mem, "init", "-q")
    (mem / "system" / "persona.md").write_bytes(_block("Who I am", "I am Sam."))
    (mem / "system" / "human" / "prefs.md").write_bytes(_block("What the user likes", "Tea.", crlf=True))
    _git(mem, "add", "-A")
    _git(mem, "commit", "-q", "-m", "one")
    (mem / "system" / "persona.md").write_bytes(_block("Who I am", "I am Sam, a helper.", limit=5000))
    (mem / "system" / "policy.md").write_bytes(_block("Rules set by the server", "Be kind.", read_only=True,
                                                      bom=True))
    (mem / "reference" / "api.md").write_bytes(_block("API notes", "GET /v1/agents"))
    _git(mem, "add", "-A")
    _git(mem, "commit", "-q", "-m", "two")
    (mem / "notes.md").write_bytes(_block("Loose notes", "a detached note"))
    (mem / "reference" / "old.md").write_bytes(_block("Old", "gone soon"))
    _git(mem, "add", "-A")
    _git(mem, "commit", "-q", "-m", "three")
    (mem / ".hidden.md").write_text("---\ndescription: never read\n---\nsecret")
    (mem / ".cache").mkdir()
    (mem / ".cache" / "x.md").write_text("---\ndescription: never read\n---\nno")
    (mem / "reference" / "old.md").unlink()  # deleted in the working tree, not committed
    return mem


def test_hand_built_folder_reads_as_letta_code_sees_it(tmp_path):
    mem = hand_built(tmp_path)
    bundle = memconv.read(mem)
    assert bundle.header.source_system == "letta-memfs"
    (agent,) = bundle.of("agent")
    assert agent.name == "agent-123"
    blocks = {b.label: b for b in bundle.of("block")}
    assert set(blocks) == {"persona", "human/prefs", "policy", "reference/api", "notes"}
    assert blocks["human/prefs"].value == "Tea."  # CRLF read as LF, body trimmed as Letta Code does
    assert blocks["policy"].value == "Be kind." and blocks["policy"].read_only  # BOM stripped
    assert blocks["persona"].limit == 5000 and blocks["persona"].description == "Who I am"
    attached = {b.label for b in bundle.of("block") if b.id in agent.block_ids}
    assert attached == {"persona", "human/prefs", "policy"}  # system/ is attached, the rest detached


def test_hand_built_folder_history_and_counts_in_every_format(tmp_path):
    mem = hand_built(tmp_path)
    canon = memconv.read(mem, history=True)
    counts = canon.counts()
    assert counts == {"agent": 1, "block": 5, "event": 7}
    events = canon.of("event")
    # commits oldest first; within a commit, in path order
    assert [e.event for e in events] == ["ADD", "ADD", "ADD", "UPDATE", "ADD", "ADD", "ADD"]
    persona = next(b for b in canon.of("block") if b.label == "persona")
    (upd,) = [e for e in events if e.event == "UPDATE"]
    assert upd.memory_id == persona.id and upd.old_text == "I am Sam." and upd.new_text == "I am Sam, a helper."
    # the removed file's history keeps its path
    assert any(e.memory_id == "memfs:reference/old.md" for e in events)
    expected = {  # every record read is written natively, kept (mem0's memconv list), or said lost
        "agentmemory": ({"agentmemory:sessions": 1, "agentmemory:memories": 5}, {("event", "*"): 7}),
        "mem0": ({"mem0:memconv": 1, "mem0:results": 5, "mem0:history": 7}, {}),
        "canonical": ({"canonical:agent": 1, "canonical:block": 5, "canonical:event": 7}, {}),
    }
    for to, (written, lost) in expected.items():
        out = tmp_path / f"out-{to}"
        report = memconv.convert(mem, to=to, output=str(out), read_history=True, timestamp=TS,
                                 jsonl=to == "canonical")
        assert dict(report.read) == counts
        assert dict(report.written) == written
        assert {k: v.count for k, v in report.losses.items()} == lost
        assert sum(written.values()) + sum(lost.values()) == sum(counts.values())
    back = memconv.read(tmp_path / "out-canonical")
    assert back.counts() == counts


def test_bad_front_matter_is_read_with_a_warning_naming_file_and_line(tmp_path):
    mem = tmp_path / "memory"
    (mem / "system").mkdir(parents=True)
    (mem / "system" / "a.md").write_text("no front matter here\n")
    (mem / "system" / "b.md").write_text("---\ndescription: b\ncolor: blue\nlimit: lots\n---\nbody\n")
    (mem / "system" / "c.md").write_bytes(b"---\ndescription: c\n---\n\xff\xfe")
    from memconv.report import Report

    report = Report()
    items = list(memconv.iter_records(mem, report=report))
    blocks = {b.label: b for b in items[1:] if b.kind == "block"}
    assert blocks["a"].value == "no front matter here" and blocks["a"].description is None
    assert blocks["b"].metadata == {"frontmatter": {"color": "blue"}} and blocks["b"].limit is None
    assert "c" not in blocks
    text = "\n".join(report.warnings)
    assert "system/a.md: line 1: no front matter" in text
    assert "system/b.md: line 3: front matter key 'color'" in text
    assert "system/b.md: line 4: limit: expected a whole number, got 'lots'" in text
    assert "system/c.md: line 4: not UTF-8" in text


def test_cli_reads_a_folder_by_content(tmp_path):
    mem = hand_built(tmp_path)
    out = tmp_path / "am.json"
    done = run_cli(mem, "--to", "agentmemory", "-o", out, "--history")
    assert done.returncode == 0, done.stderr
    assert len(json.loads(out.read_bytes())["memories"]) >= 5
    done = run_cli("inspect", mem)
    assert done.returncode == 0 and b"letta-memfs" in done.stdout


# ------------------------------------------------------------------------ writing: memories, git, strategies


def test_mem0_memories_become_detached_files_and_come_back(letta_code, tmp_path):
    src = FIXTURES / "mem0" / "get_all_v11.json"
    folder = tmp_path / "memory"
    report = memconv.convert(src, to="letta-memfs", output=str(folder))
    assert not report.losses
    files = _md_files(folder)
    n = len(json.loads(src.read_bytes())["results"])
    assert len(files) == n and all(f.startswith("reference/mem0/") for f in files)
    assert letta_code.check(folder) == []
    memconv.convert(folder, to="mem0", output=str(tmp_path / "back.json"))
    memconv.convert(src, to="mem0", output=str(tmp_path / "direct.json"))
    assert json.loads((tmp_path / "back.json").read_bytes()) == json.loads((tmp_path / "direct.json").read_bytes())


def test_agentmemory_memories_become_detached_files(tmp_path):
    src = FIXTURES / "agentmemory" / "real_export_seeded.json"
    folder = tmp_path / "memory"
    report = memconv.convert(src, to="letta-memfs", output=str(folder))
    assert not report.losses
    n = len(json.loads(src.read_bytes())["memories"])
    assert len([f for f in _md_files(folder) if f.startswith("reference/agentmemory/")]) == n
    memconv.convert(folder, to="agentmemory", output=str(tmp_path / "back.json"), timestamp=TS)
    memconv.convert(src, to="agentmemory", output=str(tmp_path / "direct.json"), timestamp=TS)
    assert json.loads((tmp_path / "back.json").read_bytes()) == json.loads((tmp_path / "direct.json").read_bytes())


def test_an_edited_file_wins_over_the_sidecar(tmp_path):
    folder = tmp_path / "memory"
    memconv.convert(FIXTURES / "letta" / "memgpt_agent.af", to="letta-memfs", output=str(folder))
    persona = folder / "system" / "persona.md"
    persona.write_text("---\ndescription: New persona\n---\nI am Ada.\n")
    (folder / "system" / "human.md").rename(folder / "human.md")  # detached by moving it out of system/
    from memconv.report import Report

    report = Report()
    items = list(memconv.iter_records(folder, report=report))
    blocks = {b.label: b for b in items if getattr(b, "kind", "") == "block"}
    (agent,) = [i for i in items if getattr(i, "kind", "") == "agent"]
    assert blocks["persona"].value == "I am Ada." and blocks["persona"].description == "New persona"
    assert blocks["persona"].id in agent.block_ids and blocks["human"].id not in agent.block_ids
    assert any("system/persona.md: edited since memconv wrote it" in w for w in report.warnings)


def test_git_commits_a_new_repository_then_adds_commits(tmp_path):
    folder = tmp_path / "memory"
    memconv.convert(FIXTURES / "letta" / "memgpt_agent.af", to="letta-memfs", output=str(folder), git=True)
    assert _git(folder, "rev-parse", "--abbrev-ref", "HEAD").stdout.strip() == "main"
    assert _git(folder, "status", "--porcelain").stdout == ""
    memconv.convert(FIXTURES / "letta" / "customer_service.af", to="letta-memfs", output=str(folder),
                    strategy="merge", git=True)
    assert len(_git(folder, "log", "--oneline").stdout.splitlines()) == 2
    assert _git(folder, "status", "--porcelain").stdout == ""
    hist = memconv.read(folder, history=True)
    assert {e.event for e in hist.of("event")} == {"ADD", "UPDATE"}


def test_strategies_and_dry_run(tmp_path):
    folder = tmp_path / "memory"
    a, b = FIXTURES / "letta" / "memgpt_agent.af", FIXTURES / "letta" / "customer_service.af"
    memconv.convert(a, to="letta-memfs", output=str(folder))
    before = {p: (folder / p).read_bytes() for p in _md_files(folder)}
    with pytest.raises(DestinationExists):
        memconv.convert(b, to="letta-memfs", output=str(folder))
    dry = memconv.convert(b, to="letta-memfs", output=str(folder), strategy="merge", dry_run=True)
    assert {p: (folder / p).read_bytes() for p in _md_files(folder)} == before
    real = memconv.convert(b, to="letta-memfs", output=str(folder), strategy="merge")
    assert dry.info["plan"] == real.info["plan"]
    assert real.info["plan"]["collections"]["files"]["update"] == 2
    merged = {p: (folder / p).read_bytes() for p in _md_files(folder)}
    assert merged != before and set(merged) == set(before)
    memconv.convert(a, to="letta-memfs", output=str(folder), strategy="skip")
    assert {p: (folder / p).read_bytes() for p in _md_files(folder)} == merged
    (folder / "extra.md").write_text("---\ndescription: mine\n---\nx")
    memconv.convert(a, to="letta-memfs", output=str(folder), strategy="merge")
    assert (folder / "extra.md").exists()
    (folder / ".gitignore").write_text("*.tmp\n")
    memconv.convert(a, to="letta-memfs", output=str(folder), strategy="replace")
    assert not (folder / "extra.md").exists()
    assert (folder / ".gitignore").read_text() == "*.tmp\n"  # hidden files are Letta Code's, not the input's
    assert {p: (folder / p).read_bytes() for p in _md_files(folder)} == before
    assert not [n for n in os.listdir(tmp_path) if "memconv-" in n]  # no scratch left


def test_archives_both_ways(tmp_path):
    af = FIXTURES / "letta" / "memgpt_agent.af"
    memconv.convert(af, to="letta", output=str(tmp_path / "direct.af"), timestamp=TS)
    for name in ("mem.tar.gz", "mem.zip", "mem.tgz"):
        out = tmp_path / name
        memconv.convert(af, to="letta-memfs", output=str(out), timestamp=TS)
        assert memconv.read(out).header.source_system is not None
        memconv.convert(out, to="letta", output=str(tmp_path / f"{name}.af"), timestamp=TS)
        assert json.loads((tmp_path / f"{name}.af").read_bytes()) == json.loads((tmp_path / "direct.af").read_bytes())
    # a tarball of a hand-made folder, with a top folder
    mem = hand_built(tmp_path / "h")
    with tarfile.open(tmp_path / "hand.tar.gz", "w:gz") as tf:
        tf.add(mem, arcname="memory")
    bundle = memconv.read(tmp_path / "hand.tar.gz")
    assert bundle.counts() == {"agent": 1, "block": 5}


def test_output_folder_rules(tmp_path):
    af = FIXTURES / "letta" / "memgpt_agent.af"
    (tmp_path / "file").write_text("x")
    done = run_cli(af, "--to", "letta-memfs", "-o", tmp_path / "file", "--strategy", "replace")
    assert done.returncode == 2 and b"is a file" in done.stderr
    (tmp_path / "empty").mkdir()
    done = run_cli(af, "--to", "letta-memfs", "-o", str(tmp_path / "empty") + "/", "--git")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "empty" / "system" / "persona.md").is_file()
    assert (tmp_path / "empty" / ".git").is_dir()
    done = run_cli(af, "--to", "letta-memfs", "-o", tmp_path / "m.zip", "--git")
    assert done.returncode == 2 and b"--git commits a folder" in done.stderr and not (tmp_path / "m.zip").exists()
    done = run_cli(af, "--to", "letta", "-o", tmp_path / "m.af", "--git")
    assert done.returncode == 2 and b"unknown option 'git'" in done.stderr


def test_label_paths_are_reversible():
    from memconv.adapters.letta_memfs.shape import is_hidden, label_to_path, path_to_label

    for label in ["persona", "/note_directory", "system//references/lettabot", "a/", "a///b", "x%y", ".hidden/x",
                  "a:b", "", "reference/api", "trail.", "two words", "système/é", "system", "_detached/x",
                  "skills/x"]:
        for attached in (True, False):
            path = label_to_path(label, attached)
            want = label[len("system/"):] if attached and label.startswith("system/") else label
            assert path_to_label(path) == (want, attached), (label, path)
            assert not is_hidden(path) and " " not in path


# ---------------------------------------------------------------------------------- Letta Code's .af


def test_unknown_top_level_key_of_a_current_af_is_kept_and_reported(tmp_path):
    """Letta Code adds client-side keys to the server's .af (``skills``, written by ``/export``); a key
    memconv does not know is carried through (.af, and a memory folder) and said, never dropped."""
    from memconv.report import Report

    doc = json.loads((FIXTURES / "letta" / "lettabot.af").read_bytes())
    assert doc["skills"] and {"name", "files"} <= set(doc["skills"][0])
    doc["client_extension"] = {"by": "a newer Letta Code"}
    src = tmp_path / "in.af"
    src.write_text(json.dumps(doc))
    report = Report()
    memconv.convert(src, to="letta-memfs", output=str(tmp_path / "memory"), report=report)
    assert any("'client_extension' not in letta 0.16.8's AgentFileSchema" in w for w in report.warnings)
    memconv.convert(tmp_path / "memory", to="letta", output=str(tmp_path / "back.af"))
    back = json.loads((tmp_path / "back.af").read_bytes())
    assert back["client_extension"] == {"by": "a newer Letta Code"}
    assert [s["name"] for s in back["skills"]] == [s["name"] for s in doc["skills"]]
    skill = doc["skills"][0]
    for rel, text in skill["files"].items():  # skills are folders of the memory folder, as in Letta Code
        assert (tmp_path / "memory" / "skills" / skill["name"] / rel).read_text() == text


def test_the_destination_repositorys_hook_is_obeyed_and_stdout_stays_clean(letta_code, tmp_path):
    """Merging a read-only block into a repository whose Letta Code hook protects read_only: the hook
    refuses, memconv exits 11 in one line with the hook's reason, and nothing is written. The hook is the
    one the test writes (:func:`install_hook`): Letta Code's published validator run by node on the
    staged files, ``HEAD`` as the previous content."""
    folder = tmp_path / "memory"
    memconv.convert(FIXTURES / "letta" / "memgpt_agent.af", to="letta-memfs", output=str(folder), git=True)
    install_hook(folder, letta_code)
    before = {p: (folder / p).read_bytes() for p in _md_files(folder)}
    done = run_cli(FIXTURES / "letta" / "deep_research_agent.af", "--to", "letta-memfs", "-o", folder, "--git",
                   "--strategy", "merge")
    assert done.returncode == 11 and done.stdout == b""
    assert done.stderr.decode().strip().splitlines()[-1].endswith(
        "the repository's pre-commit hook refused the commit (nothing was written): system/persona.md: "
        "'read_only' is a protected field and cannot be changed by the agent")
    assert {p: (folder / p).read_bytes() for p in _md_files(folder)} == before
    assert len(_git(folder, "log", "--oneline").stdout.splitlines()) == 1
    assert not [n for n in os.listdir(tmp_path) if "memconv-" in n]


def test_validate_lists_what_letta_code_would_refuse(tmp_path):
    mem = tmp_path / "memory"
    (mem / "system").mkdir(parents=True)
    (mem / "system" / "a.md").write_text("---\ndescription: a\ntags: x\n---\nA")
    (mem / "b.md").write_text("B")
    (mem / "c.md").write_text("---\ndescription: c\n---\nC")
    done = run_cli("validate", mem)
    assert done.returncode == 1
    out = done.stdout.decode()
    assert "b.md: line 1: no front matter" in out and "system/a.md: line 3: front matter key 'tags'" in out
    assert "c.md" not in out


# ---------------------------------------------------------------- folders Letta Code wrote (a tester's finds)

def _letta_code_folder(root: Path) -> Path:
    (root / "system" / "human").mkdir(parents=True)
    (root / "system" / "persona.md").write_text("---\ndescription: who I am\n---\nI help.")
    (root / "system" / "human" / "prefs.md").write_text("---\ndescription: what they like\n---\nTea.")
    (root / "system" / "my notes.md").write_text("---\ndescription: notes\n---\nA space in the name.")
    (root / "notes").mkdir()
    (root / "notes" / "discount%20codes.md").write_text("---\ndescription: codes\n---\nSAVE10")
    (root / "_detached").mkdir()
    (root / "_detached" / "notes.md").write_text("---\ndescription: d\n---\nfrom _detached/notes.md")
    (root / "notes.md").write_text("---\ndescription: n\n---\nfrom notes.md")
    return root


def _labels(src) -> dict[str, str]:
    return {b.label: b.value for b in memconv.read(str(src)).of("block")}


def test_a_folder_letta_code_wrote_is_labelled_as_letta_code_labels_it(tmp_path):
    """No memconv sidecar: the label is the path (Letta Code's labelFromRelativePath): a literal %20 and
    a _detached/ folder are kept (they were decoded, and _detached/notes collided with notes)."""
    labels = _labels(_letta_code_folder(tmp_path / "mem"))
    assert labels["notes/discount%20codes"] == "SAVE10"
    assert labels["_detached/notes"] == "from _detached/notes.md" and labels["notes"] == "from notes.md"
    assert labels["my notes"] == "A space in the name."


@pytest.mark.parametrize("kind", ["tar", "zip"])
def test_an_archive_of_only_system_keeps_its_blocks_attached(tmp_path, kind):
    """``tar czf x.tgz system`` of a fresh memory folder: system/ is the memory folder's own, not a folder
    around it (every block came out detached, in silence)."""
    import shutil

    root = tmp_path / "fresh"
    (root / "system" / "human").mkdir(parents=True)
    (root / "system" / "persona.md").write_text("---\ndescription: who I am\n---\nI help.")
    (root / "system" / "human" / "prefs.md").write_text("---\ndescription: likes\n---\nTea.")
    arc = shutil.make_archive(str(tmp_path / "fresh"), "gztar" if kind == "tar" else "zip", root_dir=root,
                              base_dir="system")
    bundle = memconv.read(arc)
    (agent,) = bundle.of("agent")
    attached = {b.label for b in bundle.of("block") if b.id in agent.block_ids}
    assert attached == {"persona", "human/prefs"} == {b.label for b in memconv.read(str(root)).of("block")}


def test_a_file_name_that_is_not_utf8_is_skipped_with_a_warning(tmp_path):
    """A Latin-1 file name gave an internal error (exit 70); now a warning naming it, the rest read."""
    root = tmp_path / "mem"
    (root / "system").mkdir(parents=True)
    (root / "system" / "persona.md").write_text("---\ndescription: who\n---\nI help.")
    os.close(os.open(os.path.join(os.fsencode(root / "system"), b"caf\xe9.md"), os.O_CREAT | os.O_WRONLY))
    out = tmp_path / "o.af"
    r = run_cli(root, "--to", "letta", "-o", out)
    assert r.returncode == 0, r.stderr
    assert b"a file name that is not UTF-8; not read" in r.stderr
    assert [b["label"] for b in json.loads(out.read_text())["blocks"]] == ["persona"]


def test_a_merge_back_into_a_letta_code_folder_updates_its_files(tmp_path):
    """Folder -> canonical -> the same folder with merge: each block updates its own file (``my notes.md``
    gained a twin ``my%20notes.md``, read back as two blocks), twice over."""
    root = _letta_code_folder(tmp_path / "mem")
    before = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md"))
    want = _labels(root)
    for _ in range(2):
        mid = tmp_path / "mid.canonical.json"
        if mid.exists():
            mid.unlink()
        memconv.convert(str(root), "canonical", str(mid))
        memconv.convert(str(mid), "letta-memfs", str(root), strategy="merge")
        assert sorted(p.relative_to(root).as_posix() for p in root.rglob("*.md")) == before
        assert _labels(root) == want


def test_a_block_without_a_limit_comes_back_without_one_through_an_agent_file(tmp_path):
    """Folder -> .af -> folder: the .af writer fills Letta's default limit in; the folder writer leaves
    it out again, so the file comes back byte for byte (a ``limit: 100000`` added to a read-only file
    made Letta Code's hook refuse the merge back: "file is read_only and cannot be modified")."""
    root = tmp_path / "mem"
    (root / "system").mkdir(parents=True)
    ro = root / "system" / "ro.md"
    ro.write_bytes(b"---\ndescription: protected\nread_only: true\n---\nDo not edit.")  # as Letta Code writes it
    af = tmp_path / "a.af"
    assert run_cli(root, "--to", "letta", "-o", af).returncode == 0
    assert json.loads(af.read_text())["blocks"][0]["limit"] == 100000
    back = tmp_path / "back"
    assert run_cli(af, "--to", "letta-memfs", "-o", back).returncode == 0
    assert (back / "system" / "ro.md").read_bytes() == ro.read_bytes()


def test_a_front_matter_list_is_read_as_a_list(tmp_path):
    """``tags:`` then ``  - a`` / ``  - b``, as Letta Code's parseFrontmatter reads it: a list (it was an
    empty string, with an "indented line is ignored" warning and no loss reported)."""
    root = tmp_path / "mem"
    (root / "notes").mkdir(parents=True)
    (root / "system").mkdir()
    (root / "system" / "persona.md").write_text("---\ndescription: who\n---\nI help.")
    (root / "notes" / "extra.md").write_text("---\ndescription: extra\ntags:\n  - a\n  - b\n---\nBody.")
    (block,) = [b for b in memconv.read(str(root)).of("block") if b.label == "notes/extra"]
    assert block.metadata["frontmatter"]["tags"] == ["a", "b"]
    r = run_cli(root, "--to", "canonical", "-o", tmp_path / "o.jsonl")
    assert b"indented line" not in r.stderr


def test_front_matter_as_letta_server_writes_it_is_read_whole(tmp_path):
    """Letta's server wrote block files with ``yaml.dump`` (letta 0.16.8 ``block_markdown.py``), which folds
    a long description over indented lines and writes non-default metadata as a mapping; it read them
    back with ``yaml.safe_load``. memconv reads those keys as YAML does (the description was cut at its
    first line, the mapping an empty string, with no loss reported), with a warning naming the line; and
    a description the server quoted (a value with ``: ``) or wrote as ``null`` (no description), as YAML
    reads it too (it kept the quotes, and read "null" as text). Any other value is read as Letta Code
    reads it."""
    from memconv.report import Report

    root = tmp_path / "mem"
    (root / "system").mkdir(parents=True)
    (root / "system" / "persona.md").write_text(
        "---\ndescription: 'The persona block: Stores details about your current persona, guiding\n"
        "  how you behave and respond.'\nmetadata:\n  source: ade\n  rank: 2\n---\nI am Letta.", encoding="utf-8")
    (root / "system" / "human.md").write_text(
        "---\ndescription: Who I am, what I value, and how I work with people. This\n  evolves as I learn.\n"
        "read_only: true\n---\nBody.", encoding="utf-8")
    (root / "system" / "skills.md").write_text("---\ndescription: 'Skills: an index'\n---\nList.", encoding="utf-8")
    (root / "system" / "none.md").write_text("---\ndescription: null\nread_only: false\n---\nText.", encoding="utf-8")
    (root / "system" / "plain.md").write_text("---\ndescription: it's a 'plain' one: as is\n---\nT.", encoding="utf-8")
    report = Report()
    blocks = {b.label: b for b in list(memconv.iter_records(str(root), report=report))[1:] if b.kind == "block"}
    assert blocks["persona"].description == ("The persona block: Stores details about your current persona, "
                                             "guiding how you behave and respond.")
    assert blocks["persona"].metadata == {"frontmatter": {"metadata": {"source": "ade", "rank": 2}}}
    assert blocks["human"].description == ("Who I am, what I value, and how I work with people. This evolves "
                                           "as I learn.")
    assert blocks["human"].read_only is True
    assert blocks["skills"].description == "Skills: an index"
    assert blocks["none"].description is None
    assert blocks["plain"].description == "it's a 'plain' one: as is"
    text = "\n".join(report.warnings)
    assert "system/persona.md: line 3: description: indented lines read as YAML" in text
    assert "system/persona.md: line 5: metadata: indented lines read as YAML" in text
    assert "system/human.md: line 3: description" in text


def test_indented_lines_that_are_not_yaml_are_ignored_with_a_warning(tmp_path):
    from memconv.report import Report

    root = tmp_path / "mem"
    (root / "system").mkdir(parents=True)
    (root / "system" / "a.md").write_text("---\ndescription: a: b\n  c: [\n---\nBody.", encoding="utf-8")
    report = Report()
    (block,) = [b for b in list(memconv.iter_records(str(root), report=report))[1:] if b.kind == "block"]
    assert block.description == "a: b"  # as Letta Code reads it
    assert any("line 3: an indented line in the front matter is ignored" in w for w in report.warnings)


def _folder_with_files(root: Path) -> Path:
    (root / "system").mkdir(parents=True)
    (root / "mods").mkdir()
    (root / "system" / "persona.md").write_text("---\ndescription: who\n---\nI help.", encoding="utf-8")
    (root / "mods" / "tool.ts").write_text("export const x = 1;\n", encoding="utf-8")
    (root / "profile.png").write_bytes(bytes(range(256)) * 4)
    (root / ".letta").mkdir()
    (root / ".letta" / "config.json").write_text("{}")  # hidden: Letta Code's own, not read
    return root


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_files_that_hold_no_block_travel_with_the_folder(tmp_path, form):
    """A memory folder's other files (an agent's scripts, images; found in real Letta Code memory
    repositories) were not read: a folder converted to a folder lost them with one warning and no loss
    counted, and an archive of it lost them in silence. They are read as raw records now: a Letta Code
    folder gets them back byte for byte at their paths; a target with no place for them reports them
    lost whole, by path."""
    import zipfile

    root = _folder_with_files(tmp_path / "mem")
    src = root
    if form == "zip":
        src = tmp_path / "mem.zip"
        with zipfile.ZipFile(src, "w") as zf:
            for p in sorted(root.rglob("*")):
                if p.is_file():
                    zf.write(p, f"mem/{p.relative_to(root).as_posix()}")
    raws = [r for r in memconv.read(str(src)).records if r.kind == "raw"]
    assert [(r.id, sorted(r.data)) for r in raws] == [("mods/tool.ts", ["path", "text"]),
                                                      ("profile.png", ["base64", "path"])]
    out = tmp_path / "out"
    r = run_cli(src, "--to", "letta-memfs", "-o", out, "--report", tmp_path / "r.json")
    assert r.returncode == 0, r.stderr
    assert (out / "mods" / "tool.ts").read_bytes() == (root / "mods" / "tool.ts").read_bytes()
    assert (out / "profile.png").read_bytes() == (root / "profile.png").read_bytes()
    assert not (out / ".letta").exists()
    assert json.loads((tmp_path / "r.json").read_text())["ledger"]["raw"] == {
        "read": 2, "native": 2, "side_channel": 0, "lost": 0, "filtered": 0}
    r = run_cli(src, "--to", "letta", "-o", tmp_path / "o.af", "--report", tmp_path / "r2.json")
    assert r.returncode == 0 and b"2 raw record(s), whole (letta-memfs files)" in r.stderr
    assert json.loads((tmp_path / "r2.json").read_text())["ledger"]["raw"]["lost"] == 2


def test_a_file_record_with_an_unsafe_path_is_kept_in_the_sidecar(tmp_path):
    from memconv.model import Block, Header, Raw

    recs = [Header(), Block(id="block-0", label="persona", value="v", description="d"),
            Raw(id="x", system="letta-memfs", collection="files", data={"path": "../escape.txt", "text": "t"}),
            Raw(id="y", system="letta-memfs", collection="files", data={"path": ".git/config", "text": "t"})]
    out = tmp_path / "out"
    report = memconv.write_records(recs, "letta-memfs", str(out))
    assert not (tmp_path / "escape.txt").exists() and not (out / ".git").exists()
    assert report.ledger()["raw"]["side_channel"] == 2
    side = json.loads((out / ".memconv.json").read_text())
    assert sorted(r["id"] for r in side["records"] if r["kind"] == "raw") == ["x", "y"]


def test_front_matter_with_yaml_aliases_is_not_expanded(tmp_path):
    """Nested YAML aliases would expand a few lines into billions of values; such front matter is not read
    as YAML (its indented lines are ignored, with a warning), and the conversion ends at once."""
    from memconv.report import Report

    root = tmp_path / "mem"
    (root / "system").mkdir(parents=True)
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]" for i in range(8)]
    (root / "system" / "p.md").write_text("---\ndescription: d\nmetadata:\n" + "\n".join("  " + l for l in lines)
                                         + "\n---\nBody.", encoding="utf-8")
    report = Report()
    (block,) = [b for b in list(memconv.iter_records(str(root), report=report))[1:] if b.kind == "block"]
    assert block.description == "d" and block.value == "Body."
    assert any("an indented line in the front matter is ignored (the front matter is not YAML either)" in w
               for w in report.warnings)
