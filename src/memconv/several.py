"""Inputs that stand for several: a folder, or a zip or tar archive, that no format reads as a whole.

A Letta bundle, a Letta Code memory folder and an OpenMemory backup zip are one input each: their
format recognises them (:func:`memconv.registry.detect`). Any other folder or archive is taken for a
collection of exports, as mem0's own repository keeps its evaluation dumps (``exp_data/Memory/`` of
``Tim_4.json``...): each file in it whose name ends as a memory export does (:data:`EXPORT_ENDINGS`)
becomes an input of its own, in path order, named ``<folder>/<path>`` or ``<archive>:<member>``, as if
the files had been given one by one. The others are passed over with a ``file-skipped`` warning;
hidden files and folders (``.git``) are not looked at, links are not followed. Archive members are
read in memory with :mod:`memconv.archive`'s caps and path checks, never extracted.
"""

from __future__ import annotations

import io
import os
import tarfile
import zlib
from typing import Any

from . import registry
from .archive import read_tar, read_zip
from .errors import InputInvalid, MemconvError
from .io import Input
from .logmessages import FILE_SKIPPED
from .report import Report

EXPORT_ENDINGS = (".json", ".jsonl", ".ndjson", ".af", ".json.gz", ".jsonl.gz", ".ndjson.gz", ".af.gz")
"""The names of the files of a folder or archive that are read: what memory exports are called."""

ZIP_MAGIC = b"PK\x03\x04"

NOT_AN_EXPORT = f"not named as a memory export ({', '.join(EXPORT_ENDINGS[:4])}); not read"
"""What a ``file-skipped`` warning says of a file of a folder or archive that is not read."""


def _is_archive(inp: Input) -> str | None:
    """``"zip"`` or ``"tar"`` for an input file that is one (a gzipped tar too), else None."""
    if inp.path is None or inp.is_dir:
        return None
    head = inp.raw_peek(4)
    if head == ZIP_MAGIC:
        return "zip"
    try:
        with inp.open_raw() as fh:
            return "tar" if tarfile.is_tarfile(fh) else None
    except (OSError, EOFError, zlib.error, tarfile.TarError):  # a damaged gzip: its reader says so
        return None


def _claimed(inp: Input, format: str | None) -> bool:
    """True when ``format`` (or, with none given, some format) reads ``inp`` as a whole: its detector
    claims it, or, named with ``--from``, it reads such inputs whole (:attr:`Format.reads_whole`)."""
    if format:
        fmt = registry.get(format)
        return fmt.reads_whole or fmt.detect(inp) > 0
    try:
        registry.detect(inp)
    except InputInvalid:
        return False
    return True


def expand(inputs: list[Any], format: str | None, report: Report) -> list[Any]:
    """``inputs`` with each folder or archive no format reads whole replaced by its export files.

    Args:
        inputs: :class:`~memconv.io.Input` objects (other kinds, live systems, pass as they are).
        format: the format given with ``--from``, or None (detected by content).
        report: receives a ``file-skipped`` warning for each file passed over.

    Raises:
        InputInvalid: a folder or archive holding no file named as an export (what it holds said), an
            unsafe or corrupt archive (:mod:`memconv.archive`).
        LimitExceeded: an archive over a cap.
    """
    out: list[Any] = []
    for inp in inputs:
        kind = "folder" if isinstance(inp, Input) and inp.is_dir else _is_archive(inp) if isinstance(inp, Input) \
            else None
        if kind is None or _claimed(inp, format):
            out.append(inp)
            continue
        found = _folder(inp, report) if kind == "folder" else _archive(inp, kind, report)
        if not found:
            raise InputInvalid(f"{inp.name}: a {kind} that no format reads as a whole (a Letta bundle, a Letta Code "
                               f"memory folder, an OpenMemory backup), holding no file named as an export "
                               f"({', '.join(EXPORT_ENDINGS[:4])}) to read one by one")
        out.extend(found)
    return _without_companions(out, format, report)


def _without_companions(inputs: list[Any], format: str | None, report: Report) -> list[Any]:
    """``inputs`` less the files another of them is read with (a Letta ``.af``'s passages sidecar, given
    beside it: ``memconv agent.af agent.passages.jsonl``, a shell's ``./*``), each with a ``file-skipped``
    warning: read twice, every passage was two memories. A folder's files are sorted so already."""
    local = [(os.path.realpath(str(i.path)), i) for i in inputs if isinstance(i, Input) and i.path is not None
             and not i.is_dir]
    if len(local) < 2:
        return inputs
    given = {p for p, _ in local}
    owner: dict[str, str] = {}
    for p, inp in local:
        try:
            fmt = registry.get(format) if format else registry.detect(inp)
        except (MemconvError, ValueError, OSError):  # (the input's own error comes when it is read)
            continue
        for c in fmt.read_with(inp):
            c = os.path.realpath(c)
            if c in given and c != p:
                owner.setdefault(c, inp.name)
    if not owner:
        return inputs
    out = []
    for inp in inputs:
        p = os.path.realpath(str(inp.path)) if isinstance(inp, Input) and inp.path is not None else None
        if p in owner:
            report.warn(f"{inp.name}: read with {owner[p]}, the file it goes with; not read as an input of its own",
                        FILE_SKIPPED)
            continue
        out.append(inp)
    return out


def _folder(inp: Input, report: Report) -> list[Input]:
    """The inputs a folder stands for: its export files, and the folders and archives in it that a
    format reads whole (a Letta bundle, an OpenMemory zip), which are not looked into."""
    root = str(inp.path)
    found: list[tuple[str, Input]] = []

    def walk(folder: str) -> None:
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            rel = os.path.relpath(path, root)
            if entry.startswith("."):
                continue
            if os.path.islink(path):
                report.warn(f"{inp.name}: {rel}: a link; not followed", FILE_SKIPPED)
            elif os.path.isdir(path):
                sub = Input(path)
                if _claimed(sub, None):
                    found.append((path, sub))
                else:
                    walk(path)
            elif not os.path.isfile(path):
                report.warn(f"{inp.name}: {rel}: not a regular file; not read", FILE_SKIPPED)
            else:
                file = Input(path)
                if entry.lower().endswith(EXPORT_ENDINGS) or (_is_archive(file) and _claimed(file, None)):
                    found.append((path, file))
                else:
                    report.warn(f"{inp.name}: {rel}: {NOT_AN_EXPORT}", FILE_SKIPPED)

    walk(root)
    side = {os.path.normpath(c) for p, _ in found for c in registry.companions(p)}  # read with their file
    return [i for p, i in found if os.path.normpath(p) not in side]


def _archive(inp: Input, kind: str, report: Report) -> list[Input]:
    with inp.open_raw() as fh:
        members = read_zip(inp.name, fh) if kind == "zip" else read_tar(inp.name, fh)
    found: list[Input] = []
    for name in sorted(members):
        if any(part.startswith(".") for part in name.split("/")) or name.startswith("__MACOSX/"):
            continue  # hidden, or the resource forks macOS zips add
        if not name.lower().endswith(EXPORT_ENDINGS):
            report.warn(f"{inp.name}: {name}: {NOT_AN_EXPORT}", FILE_SKIPPED)
            continue
        member = Input("-", stdin=io.BytesIO(members[name]))
        member.name = f"{inp.name}:{name}"
        found.append(member)
    return found
