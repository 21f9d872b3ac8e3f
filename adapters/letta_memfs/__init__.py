"""Letta Code's memory folder (MemFS): read and write, as a folder, a ``.tar.gz`` or a ``.zip``.

Letta Code (npm ``@letta-ai/letta-code``; ``pip install letta`` since the Letta server's last release,
0.16.8) keeps an agent's core memory as a git repository of Markdown files, one block each, with YAML
front matter (``~/.letta/agents/<agent-id>/memory``). Rules: :mod:`.shape`; reading: :mod:`.reader`;
writing: :mod:`.writer`; field mapping: :data:`.mapping.MAPPING`. Upstream checked: letta-ai/letta-code
at 1f4d3e3 (2026-08-22) and the npm package 0.32.18.

Detection is by content: a folder holding ``.md`` files, a ``system/`` folder or memconv's sidecar (and
no Letta bundle's ``agent.json``), or a tar/zip whose members are such a folder.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Any, BinaryIO, Iterable, Iterator

from memconv.archive import read_tar, read_zip
from memconv.format import Format, Option, ReadOptions, WriteOptions
from memconv.io import Input
from memconv.several import EXPORT_ENDINGS
from memconv.mapping import ReadTable
from memconv.logmessages import OPTION_IGNORED

from .mapping import MAPPING
from .reader import archive_root, folder_files, read_files
from .shape import FRONT_MATTER_KEYS, SIDECAR, SYSTEM_DIR
from .writer import StagedFolder, build, stage_folder, write_archive

__all__ = ["FORMAT", "LettaMemfsFormat"]

ARCHIVE_ENDINGS = (".tar", ".tar.gz", ".tgz", ".zip")


class LettaMemfsFormat(Format):
    """Letta Code memory folders: a folder, or a tar/zip of one, both ways."""

    name = "letta-memfs"
    title = "Letta Code memory folder (MemFS): Markdown blocks with front matter, in a git repository"
    system = "letta"
    extensions = (".tar.gz", ".tgz", ".zip")
    read_versions = "Letta Code MemFS (letta-code 0.32.x), a folder, .tar.gz or .zip; --history: its git commits"
    write_versions = "a folder Letta Code's pre-commit hook accepts (-o DIR, --git commits it), or .tar.gz/.zip"
    mapping = MAPPING
    read_tables = (
        ReadTable("block", "<label>.md front matter", FRONT_MATTER_KEYS, "letta", "label from the file's path "
                  "(under system/: attached to the folder's agent); value = the body after the front matter, "
                  "verbatim; a file memconv wrote takes the rest of its block from .memconv.json",
                  others="metadata.frontmatter"),
    )
    write_options = (
        Option("git", bool, "commit what is written to -o DIR (a new repository on branch main when there is "
                            "none)", "--git"),
        Option("git_message", str, "the commit message of --git"),
    )
    writes_folder = True
    reads_whole = True

    # ------------------------------------------------------------------------------------ reading

    def detect(self, inp: Input) -> int:
        if inp.is_dir:
            root = inp.path
            assert root is not None
            if (root / "agent.json").is_file():
                return 0  # a Letta bundle
            if (root / SIDECAR).is_file() or (root / SYSTEM_DIR).is_dir():
                return 90
            try:
                names = os.listdir(root)
            except OSError:
                return 0
            # Markdown files alone (no marker of Letta Code's): a memory folder, unless it holds exports
            # too (a folder of dumps with its README.md, read file by file: memconv.several)
            if any(n.endswith(".md") and not n.startswith(".") for n in names) and not _holds_exports(str(root)):
                return 70
            return 0
        members = self._archive_names(inp)
        if members is None:
            return 0
        if any(m.rsplit("/", 1)[-1] == "agent.json" for m in members):
            return 0
        tops = [m.split("/", 2) for m in members]
        if any(m.endswith("/" + SIDECAR) or m == SIDECAR for m in members) or \
                any(SYSTEM_DIR in t[:2] for t in tops):
            return 90
        return 60 if any(m.endswith(".md") for m in members) and \
            not any(m.lower().endswith(EXPORT_ENDINGS) for m in members) else 0

    def _archive_names(self, inp: Input) -> list[str] | None:
        raw = inp.raw_peek(4)
        if raw[:4] == b"PK\x03\x04":
            try:
                with inp.open_raw() as fh, zipfile.ZipFile(fh) as zf:
                    return zf.namelist()[:2000]
            except (zipfile.BadZipFile, OSError):
                return None
        if raw[:2] == b"\x1f\x8b" or inp.name.endswith(".tar"):
            import tarfile

            names: list[str] = []
            try:
                with inp.open_raw() as fh, tarfile.open(fileobj=fh, mode="r:*") as tf:
                    for m in tf:
                        names.append(m.name.lstrip("./") if m.name.startswith("./") else m.name)
                        if len(names) > 2000:
                            break
            except (tarfile.TarError, OSError, EOFError):
                return None
            return names
        return None

    def read(self, inp: Input, options: ReadOptions) -> Iterator[Any]:
        """Yield a :class:`~memconv.model.Header`, then the records of a memory folder (see
        :mod:`.reader`); ``options.extra["history"]`` reads the folder's git history too.

        Raises:
            InputInvalid: an archive that is not a tar or zip, or unsafe member paths.
            LimitExceeded: an archive over the caps (:mod:`memconv.archive`).
        """
        report = options.report
        history = bool(options.extra.get("history"))
        if inp.is_dir:
            root = inp.path
            assert root is not None
            others: dict[str, bytes] = {}
            files = folder_files(root, inp.name, report, others)
            agent_name = _agent_name(root)
            yield from read_files(inp.name, files, report, variant="folder", agent_name=agent_name,
                                  history_root=root if history else None, others=others)
            return
        raw = inp.raw_peek(4)
        with inp.open_raw() as fh:
            if raw[:4] == b"PK\x03\x04":
                members, variant = read_zip(inp.name, fh), "zip"
            else:
                members, variant = read_tar(inp.name, fh), "tar"
        if history:
            report.warn(f"{inp.name}: --history reads a folder's git repository; an archive's history is not read",
                        OPTION_IGNORED)
        stem = Path(inp.name).name
        for end in ARCHIVE_ENDINGS:
            if stem.endswith(end):
                stem = stem[: -len(end)]
        others = {}
        yield from read_files(inp.name, archive_root(members, inp.name, report, others), report, variant=variant,
                              agent_name=stem or "agent", others=others)

    def problems(self, inp: Input) -> list[str]:
        """What Letta Code's pre-commit hook would refuse in the folder (``memconv validate``): a block
        file without front matter, a key other than ``description``, ``read_only``, ``limit``, an empty
        description; one line each, naming the file and the line."""
        from memconv.report import Report

        from .shape import parse

        if inp.is_dir:
            assert inp.path is not None
            files = folder_files(inp.path, inp.name, Report())
        else:
            raw = inp.raw_peek(4)
            with inp.open_raw() as fh:
                files = archive_root(read_zip(inp.name, fh) if raw[:4] == b"PK\x03\x04" else read_tar(inp.name, fh))
        out = []
        for path, data in sorted(files.items()):
            if path == SIDECAR or path.startswith("skills/") or not path.endswith(".md"):
                continue
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                continue  # the reader reports it
            out += [f"{inp.name}: {path}: {p}" for p in parse(text).problems]
        return out

    # ------------------------------------------------------------------------------------ writing

    def is_folder_output(self, path: str) -> bool:
        """True when ``-o path`` names a folder to write (anything but ``-`` and archive names)."""
        return path != "-" and not path.lower().endswith(ARCHIVE_ENDINGS) and not path.startswith("/dev/")

    def write(self, items: Iterable[Any], out: BinaryIO, options: WriteOptions) -> None:
        """Write the folder as an archive to ``out``: a zip when the output's name ends in ``.zip``,
        else a tar (gzipped by the output layer for ``.tar.gz``/``.tgz``; ``.tgz`` is gzipped here).

        Raises:
            UsageError: ``--git`` (a commit needs a folder: ``-o DIR``).
        """
        if options.extra.get("git"):
            from memconv.errors import UsageError

            raise UsageError("--git commits a folder: name one with -o DIR (not an archive or standard output)")
        built = build(items, options)
        path = (options.output_path or "").lower()
        if path.endswith(".tgz"):
            import gzip

            with gzip.GzipFile(fileobj=out, mode="wb", mtime=0) as gz:
                write_archive(built, gz, zip_form=False)  # type: ignore[arg-type]
            return
        write_archive(built, out, zip_form=path.endswith(".zip"))

    def stage_folder(self, items: Iterable[Any], dest: str, strategy: str | None,
                     options: WriteOptions) -> StagedFolder:
        """Write the folder into a scratch folder beside ``dest`` (merged with ``dest`` under
        ``strategy``, committed with ``options.extra["git"]``); the caller commits or discards it.

        Raises:
            OutputUnwritable: the scratch folder cannot be written, or a git hook refused the commit.
        """
        return stage_folder(build(items, options), dest, strategy, options)


def _agent_name(root: Path) -> str:
    """``agent-123`` for ``~/.letta/agents/agent-123/memory``, else the folder's name."""
    root = root.resolve()
    if root.name == "memory" and root.parent.name:
        return root.parent.name
    return root.name or "agent"


FORMAT = LettaMemfsFormat()


def _holds_exports(root: str, limit: int = 10_000) -> bool:
    """True when a file named as a memory export (:data:`memconv.several.EXPORT_ENDINGS`) lies anywhere
    in the folder (hidden folders aside; at most ``limit`` entries looked at): a folder of dumps with a
    README.md, not a Letta Code memory folder."""
    seen = 0
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for f in files:
            seen += 1
            if not f.startswith(".") and f.lower().endswith(EXPORT_ENDINGS):
                return True
            if seen >= limit:
                return False
    return False
