"""Letta Code's own front matter validator for the tests, taken from npm at test time.

``@letta-ai/letta-code`` (the published CLI package) exports ``./memory-constraints``
(``dist/memory-constraints.js``), an ES module whose ``validateMemoryFileFrontmatter({path, content,
previousContent, format})`` returns the error lines for one memory file. Letta Code's pre-commit hook
(``PRE_COMMIT_HOOK_SCRIPT`` in the package's ``letta.js``) is built from that same function: it runs it
with node on every staged ``(memory/)?(system|reference)/*.md`` file, the file's ``HEAD`` content as
``previousContent`` and ``format`` ``"legacy"`` for the classic layout (any value but ``"memfs-v2"``, the
new layout, is the classic rules).

The package is fetched once with ``npm pack`` into ``/tmp/memconv-letta-code/<version>``
(``$MEMCONV_LETTA_CODE_DIR``), outside the repository, and reused while it is there; nothing of it is
kept in the repository. When npm or node cannot provide it, the fixture FAILS (it never skips).

Use the :func:`letta_code` fixture (imported in ``conftest.py``); it yields a :class:`LettaCode`.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

import pytest

PACKAGE = "@letta-ai/letta-code"
VERSION = "0.32.18"
DEFAULT_DIR = f"/tmp/memconv-letta-code/{VERSION}"

_RUN = """
const { validateMemoryFileFrontmatter } = await import(process.argv[1]);
let input = "";
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map((file) => validateMemoryFileFrontmatter(file));
process.stdout.write(JSON.stringify(out));
"""


def _md_files(folder: Path) -> list[str]:
    """The block files of a memory folder: every ``.md`` file, hidden ones and ``skills/`` left out."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*.md")
                  if not any(s.startswith(".") for s in p.relative_to(folder).parts)
                  and p.relative_to(folder).parts[0] != "skills")


def _read_only(text: str) -> bool:
    """True when the front matter says ``read_only: true``."""
    return "\nread_only: true\n" in text.split("\n---\n", 1)[0] + "\n"


class LettaCode:
    """Letta Code's published validator, run with node."""

    def __init__(self, package: Path):
        self.package = package
        exports = json.loads((package / "package.json").read_text())["exports"]["./memory-constraints"]
        self.module = (package / (exports["import"] if isinstance(exports, dict) else exports)).resolve()
        self.module_url = self.module.as_uri()

    def validate(self, files: list[dict]) -> list[list[str]]:
        """``validateMemoryFileFrontmatter`` on each of ``files`` (dicts of its arguments ``path``,
        ``content``, ``previousContent``, ``format``), in one node process; its error lists, in order."""
        done = subprocess.run(["node", "--input-type=module", "-e", _RUN, self.module_url],
                              input=json.dumps(files), capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            pytest.fail(f"node could not run Letta Code's validator {self.module}: {done.stderr.strip()}")
        return json.loads(done.stdout)

    def check_file(self, path: str, content: str, previous: str | None = None,
                   format: str = "legacy") -> list[str]:
        """The errors Letta Code's hook gives for ``content`` staged at ``path``, ``previous`` being the
        file's content at ``HEAD`` (``None``: a new file)."""
        (errors,) = self.validate([{"path": path, "content": content, "previousContent": previous,
                                    "format": format}])
        return errors

    def check(self, folder: Path) -> list[str]:
        """The errors Letta Code's validator gives for every block file of ``folder``, each checked as a
        new file, as the hook checks a first commit of it.

        The hook checks files under ``system/`` and ``reference/``; detached files elsewhere are checked
        as ``reference/<path>`` so that the rules cover every file. A file with ``read_only: true`` is
        one the server wrote (the hook refuses an agent that sets ``read_only``): every rule is checked
        on it but that one, ``'read_only' is a protected field and cannot be set by the agent``."""
        files, server_set = [], set()
        for rel in _md_files(folder):
            dest = rel if rel.startswith("system/") else f"reference/{rel}"
            text = (folder / rel).read_bytes().decode("utf-8", errors="replace")
            files.append({"path": dest, "content": text, "previousContent": None, "format": "legacy"})
            if _read_only(text):
                server_set.add(f"{dest}: 'read_only' is a protected field and cannot be set by the agent")
        errors = [e for errs in self.validate(files) for e in errs]
        return [e for e in errors if e not in server_set]

    def read_only_files(self, folder: Path) -> list[str]:
        """The block files of ``folder`` whose front matter says ``read_only: true``."""
        return [rel for rel in _md_files(folder) if _read_only((folder / rel).read_text(encoding="utf-8"))]


def _fetch(where: Path) -> Path:
    """The package extracted under ``where/package``, fetched with ``npm pack`` when it is not there."""
    package = where / "package"
    lock = where.parent / f"{where.name}.lock"
    where.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # another test session may be fetching it
        if (package / "package.json").is_file():
            return package
        for tool in ("npm", "node"):
            if shutil.which(tool) is None:
                pytest.fail(f"{tool} is not installed: Letta Code's validator ({PACKAGE}@{VERSION} from npm) "
                            f"cannot be run")
        scratch = Path(tempfile.mkdtemp(prefix=".fetch-", dir=where.parent))
        try:
            done = subprocess.run(["npm", "pack", f"{PACKAGE}@{VERSION}", "--json", "--pack-destination",
                                   str(scratch)], cwd=scratch, capture_output=True, text=True, timeout=600)
            if done.returncode != 0:
                pytest.fail(f"npm pack {PACKAGE}@{VERSION} failed: {done.stderr.strip()[-2000:]}")
            (info,) = json.loads(done.stdout)
            with tarfile.open(scratch / info["filename"]) as tf:
                tf.extractall(scratch / "x", filter="data")
            got = json.loads((scratch / "x" / "package" / "package.json").read_text())
            if (got["name"], got["version"]) != (PACKAGE, VERSION):
                pytest.fail(f"npm pack gave {got['name']}@{got['version']}, not {PACKAGE}@{VERSION}")
            where.mkdir(exist_ok=True)
            os.replace(scratch / "x" / "package", package)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return package


@pytest.fixture(scope="session")
def letta_code() -> LettaCode:
    """Letta Code's published validator (npm ``@letta-ai/letta-code`` at :data:`VERSION`)."""
    lc = LettaCode(_fetch(Path(os.environ.get("MEMCONV_LETTA_CODE_DIR", DEFAULT_DIR))))
    if shutil.which("node") is None:
        pytest.fail("node is not installed: Letta Code's validator cannot be run")
    if lc.check_file("system/x.md", "---\ndescription: x\n---\nx") != []:
        pytest.fail(f"Letta Code's validator {lc.module} refuses a valid file")
    return lc
