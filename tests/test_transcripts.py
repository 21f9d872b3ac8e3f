"""CLI transcripts (issue 12, item 5; pandoc's ``test/command/*.md`` style): the commands of the
README with their standard output, standard error and exit code, run in-process.

Each ``tests/transcripts/*.txt`` holds cases separated by blank lines::

    # what the case shows
    $ memconv inspect fixtures/sample-agent.af
    > a line of standard output
    ! a line of standard error
    ? 0

Commands run from the repository's folder through :func:`memconv.cli.main`, the console script's own
entry point (so errors map to exit codes exactly as for a user), inside click's ``CliRunner``
isolation rather than a process each. ``$TMP`` stands for a fresh temporary folder, in commands and
in output. After an intended change, ``MEMCONV_UPDATE_TRANSCRIPTS=1 pytest tests/test_transcripts.py``
rewrites the expected output; review the diff.
"""

from __future__ import annotations

import os
import shlex
import signal
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from memconv import transport
from memconv.cli import main

from helpers import REPO

FOLDER = REPO / "tests" / "transcripts"


@dataclass
class Case:
    comment: list[str]
    command: str
    stdout: list[str] = field(default_factory=list)
    stderr: list[str] = field(default_factory=list)
    code: int = 0


def parse(text: str) -> list[Case]:
    cases = []
    for block in text.strip().split("\n\n"):
        lines = block.splitlines()
        comment = [ln for ln in lines if ln.startswith("#")]
        (command,) = [ln[2:] for ln in lines if ln.startswith("$ ")]
        case = Case(comment, command)
        for ln in lines:
            if ln.startswith("> ") or ln == ">":
                case.stdout.append(ln[2:])
            elif ln.startswith("! ") or ln == "!":
                case.stderr.append(ln[2:])
            elif ln.startswith("? "):
                case.code = int(ln[2:])
        cases.append(case)
    return cases


def render(cases: list[Case]) -> str:
    out = []
    for c in cases:
        lines = [*c.comment, f"$ {c.command}", *(f"> {x}".rstrip() for x in c.stdout),
                 *(f"! {x}".rstrip() for x in c.stderr), f"? {c.code}"]
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def run(command: str, tmp: Path) -> tuple[list[str], list[str], int]:
    args = shlex.split(command.replace("$TMP", str(tmp)))
    assert args[0] == "memconv"
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    secrets = set(transport._SECRETS)  # tokens other tests registered in this process, as a fresh run has none
    transport._SECRETS.clear()
    cwd = os.getcwd()
    os.chdir(REPO)
    try:
        with CliRunner().isolation() as (out, err, _):
            try:
                main(args[1:])
                code = 0
            except SystemExit as e:
                code = int(e.code or 0)
            stdout, stderr = out.getvalue(), err.getvalue()
    finally:
        transport._SECRETS.update(secrets)
        os.chdir(cwd)
        for s, h in saved.items():
            signal.signal(s, h)

    def lines(b: bytes) -> list[str]:
        return b.decode("utf-8").replace(str(tmp), "$TMP").splitlines()

    return lines(stdout), lines(stderr), code


@pytest.mark.parametrize("path", sorted(FOLDER.glob("*.txt")), ids=lambda p: p.stem)
def test_transcript(path, tmp_path):
    cases = parse(path.read_text(encoding="utf-8"))
    got = []
    for c in cases:
        stdout, stderr, code = run(c.command, tmp_path)
        got.append(Case(c.comment, c.command, stdout, stderr, code))
    if os.environ.get("MEMCONV_UPDATE_TRANSCRIPTS"):
        path.write_text(render(got), encoding="utf-8")
    for want, have in zip(cases, got):
        assert (have.stdout, have.stderr, have.code) == (want.stdout, want.stderr, want.code), want.command
