"""Canonical stream -> a Letta Code memory folder (its files, in memory), then a folder or an archive.

:func:`build` turns the stream into ``{relative path: bytes}``: one Markdown file per block
(attached blocks of the folder's agent under ``system/``, others at their label's path), one per
memory (``reference/<system>/<scope>/<id>.md``), one per skill file (``skills/<name>/...``), and the
hidden :data:`~.shape.SIDECAR` holding every record whole (minus the text its file holds) so that
reading the folder back gives the same records. :func:`stage_folder` writes those files into a
scratch folder beside the destination (merged with it under a strategy, committed with git on
request) and :class:`StagedFolder` swaps it into place; :func:`write_archive` writes them as a tar
(or zip) stream instead.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import zipfile
from typing import Any, BinaryIO, Container, Iterable

import orjson

from memconv.commit import fsync_path
from memconv.errors import OutputUnwritable
from memconv.format import WriteOptions
from memconv.model import KIND_ORDER, Header
from memconv.scratch import temp_dir
from memconv.strategies import Plan
from memconv.logmessages import SEVERAL_AGENTS

from .mapping import BLOCK_FILE, MAPPING, MEMORY_FILE
from .reader import SYSTEM
from .shape import (FILES, SIDECAR, SIDECAR_FORMAT, SIDECAR_VERSION, SKILLS_DIR, escape_label, is_hidden, label_to_path,
                    path_to_label, render)

_TEXT_FIELD = {"block": "value", "memory": "text", "passage": "text"}


def _dump(rec: Any) -> dict[str, Any]:
    return orjson.loads(rec.__pydantic_serializer__.to_json(rec, exclude_none=True))


def _memory_path(rec: Any) -> str:
    system = rec.source_system() or "memory"
    scope = rec.scope
    parts = []
    for name in ("user_id", "agent_id", "run_id", "project", "session_id", "app_id"):
        v = getattr(scope, name)
        if v:
            parts.append(f"{name.replace('_id', '')}-{v}")
            break
    if rec.memory_type:
        parts.append(rec.memory_type)
    segs = ["reference", system, *parts, rec.id]
    return "/".join(escape_label(s).replace("/", "%2F") for s in segs) + ".md"


class Built:
    """The files of one folder: ``files`` (path -> bytes, the sidecar included) and ``sidecar``."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.sidecar: dict[str, Any] = {}
        self.counts: dict[str, int] = {}


def _file_of(rec: Any) -> bytes | None:
    """The bytes of a folder file read as a :class:`~memconv.model.Raw` record
    (:func:`.reader.file_record`), or None when the record is no such file or its path is not a safe
    relative path for one (absolute, ``..``, hidden, a block's ``.md``, the skills folder)."""
    data = rec.data if isinstance(rec.data, dict) else {}
    path = data.get("path")
    if rec.system != SYSTEM or rec.collection != FILES or not isinstance(path, str) or not path \
            or path.startswith("/") or "\\" in path or path.endswith(".md") or path.startswith(SKILLS_DIR + "/") \
            or is_hidden(path) or "" in path.split("/"):  # (is_hidden: ".", ".." and dot files too)
        return None
    if isinstance(data.get("text"), str):
        return data["text"].encode("utf-8", "surrogateescape")
    if isinstance(data.get("base64"), str):
        try:
            return base64.b64decode(data["base64"], validate=True)
        except ValueError:
            return None
    return None


def build(items: Iterable[Any], options: WriteOptions) -> Built:
    """Turn a canonical stream into the files of one MemFS folder.

    The folder's agent is the stream's first agent: its attached blocks (``block_ids``) go under
    ``system/``; every other block is detached. Other agents, tools, messages, passages and every
    record with no file of its own are kept whole in the sidecar.

    Returns:
        :class:`Built`; counts go to ``options.report`` (``letta-memfs:<kind>``).
    """
    report = options.report
    out = Built()
    header: Header | None = None
    main_agent: Any = None
    attached: set[str] = set()
    agents: list[str] = []
    taken: dict[str, str] = {}  # lower-cased path -> path (a case-insensitive file system)
    files_meta: dict[str, Any] = {}
    records: list[dict[str, Any]] = []
    kinds_seen = set(KIND_ORDER)

    def place(path: str) -> str:
        base, n = path[:-3], 1
        while path.lower() in taken:
            n += 1
            path = f"{base}~{n}.md"
        taken[path.lower()] = path
        return path

    for item in items:
        if isinstance(item, Header):
            header = item
            continue
        kind = item.kind
        if kind not in kinds_seen:
            continue
        if kind == "raw":  # a file of a memory folder that holds no block: back at its path
            data, path = _file_of(item), item.data.get("path") if isinstance(item.data, dict) else None
            if data is not None and isinstance(path, str) and path.lower() not in taken:
                MAPPING.account(item, report, place="native")
                taken[path.lower()] = path
                out.files[path] = data
                report.wrote("letta-memfs:file")
                continue
        # counted where it lands: a file of the folder, or only .memconv.json (memconv's side channel)
        MAPPING.account(item, report, place="side_channel" if kind == "raw" or kind == "skill" and not item.files
                        else True)
        if kind == "agent":
            agents.append(item.name)
            if main_agent is None:
                main_agent = item
                attached = set(item.block_ids)
            records.append(_dump(item))
            report.wrote(f"letta-memfs:{kind}")
            continue
        if kind == "block":
            path = place(label_to_path(item.label, item.id in attached))
            # Letta's default limit says nothing a file without one does not: left out, so a block that went
            # through an .af (whose writer fills the default in) is written back as it was
            data = render(BLOCK_FILE.fill({}, item, None))
        elif kind == "memory":
            path = place(_memory_path(item))
            data = render(MEMORY_FILE.fill({}, item, None))
        elif kind == "skill" and item.files:
            folder = escape_label(item.name).replace("/", "%2F")
            for name, text in sorted(item.files.items()):
                rel = "/".join(escape_label(s).replace("/", "%2F") for s in name.split("/"))
                out.files[f"{SKILLS_DIR}/{folder}/{rel}"] = text.encode("utf-8")
            records.append(_dump(item))
            report.wrote(f"letta-memfs:{kind}")
            continue
        else:
            records.append(_dump(item))
            report.wrote(f"letta-memfs:{kind}")
            continue
        dump = _dump(item)
        dump.pop(_TEXT_FIELD[kind], None)
        files_meta[path] = {"sha256": hashlib.sha256(data).hexdigest(), "n": len(files_meta), "record": dump}
        out.files[path] = data
        report.wrote(f"letta-memfs:{kind}")
    if len(agents) > 1:
        report.warn(f"letta-memfs: the input holds {len(agents)} agents; a memory folder is one agent's: "
                    f"{agents[0]!r}'s blocks are attached (system/), the other agents "
                    f"({', '.join(map(repr, agents[1:]))}) are kept in {SIDECAR} and their blocks written "
                    f"as detached files", SEVERAL_AGENTS)
    out.sidecar = {
        "format": SIDECAR_FORMAT, "version": SIDECAR_VERSION,
        "note": "kept by memconv: what Letta Code's memory folder has no place for (Letta Code ignores hidden "
                "files); the Markdown files win where they differ",
        "header": _dump(header) if header is not None else {"kind": "header"},
        "agent_id": main_agent.id if main_agent is not None else None,
        "files": files_meta,
        "records": records,
    }
    out.files[SIDECAR] = orjson.dumps(out.sidecar, option=orjson.OPT_INDENT_2)
    return out


# ---------------------------------------------------------------------------------------- archives


def write_archive(built: Built, out: BinaryIO, zip_form: bool) -> None:
    """Write the files as an uncompressed tar (the output layer gzips a ``.tar.gz``) or a zip."""
    if zip_form:
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path, data in sorted(built.files.items()):
                zf.writestr(zipfile.ZipInfo(path, date_time=(1980, 1, 1, 0, 0, 0)), data)
        return
    with tarfile.open(fileobj=out, mode="w|", format=tarfile.PAX_FORMAT) as tf:
        for path, data in sorted(built.files.items()):
            info = tarfile.TarInfo(path)
            info.size = len(data)
            info.mode = 0o644
            tf.addfile(info, io.BytesIO(data))


# ----------------------------------------------------------------------------------------- folders


def _existing_files(dest: str) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for root, dirs, names in os.walk(dest):
        rel_root = os.path.relpath(root, dest).replace(os.sep, "/")
        dirs[:] = [d for d in dirs if d != ".git"]
        for n in names:
            rel = n if rel_root == "." else f"{rel_root}/{n}"
            with open(os.path.join(root, n), "rb") as fh:
                files[rel] = fh.read()
    return files


def _block_paths(files: Iterable[str], ours: Container[str] | None) -> dict[tuple[str, bool], str]:
    """``(label, attached) -> path`` of the block files among ``files``; a file not in ``ours`` (the
    paths memconv's sidecar lists; None: all) is labelled as Letta Code reads it
    (:func:`~.shape.path_to_label`)."""
    out: dict[tuple[str, bool], str] = {}
    for p in files:
        if p.endswith(".md") and not is_hidden(p) and not p.startswith(SKILLS_DIR + "/"):
            out.setdefault(path_to_label(p, literal=ours is not None and p not in ours), p)
    return out


def _same_blocks(existing: dict[str, bytes], new: dict[str, bytes]) -> dict[str, str]:
    """New block paths -> the destination's path of the same block (label and attachment) when the two
    differ: ``my notes.md`` that Letta Code wrote is the block memconv would write as ``my%20notes.md``."""
    ours: Container[str] = ()
    if SIDECAR in existing:
        try:
            listed = orjson.loads(existing[SIDECAR]).get("files") or {}
            ours = {p for p, m in listed.items() if not (isinstance(m, dict) and m.get("literal"))}
        except (orjson.JSONDecodeError, AttributeError):
            ours = ()
    old = _block_paths(existing, ours)
    moved: dict[str, str] = {}
    for key, path in _block_paths(new, None).items():
        there = old.get(key)
        if there is not None and there != path and there not in new:
            moved[path] = there
    return moved


def _moved(built: Built, moved: dict[str, str]) -> Built:
    """``built`` with its files (and their sidecar entries) at the paths ``moved`` gives."""
    out = Built()
    out.counts = built.counts
    out.sidecar = dict(built.sidecar)
    if isinstance(out.sidecar.get("files"), dict):  # a moved file keeps the name Letta Code gave it: literal
        out.sidecar["files"] = {moved.get(p, p): ({**m, "literal": True} if p in moved and isinstance(m, dict) else m)
                                for p, m in out.sidecar["files"].items()}
    out.files = {moved.get(p, p): d for p, d in built.files.items()}
    if SIDECAR in out.files:
        out.files[SIDECAR] = orjson.dumps(out.sidecar, option=orjson.OPT_INDENT_2)
    return out


def _merge(existing: dict[str, bytes], built: Built, strategy: str, plan: Plan) -> dict[str, bytes]:
    """The destination's files combined with the new ones under ``strategy``; files are keyed by path
    (a block's path is its label's), sidecar records by ``(kind, id)``. ``replace`` keeps the
    destination's hidden files (its ``.gitignore``, Letta Code's own state) but memconv's sidecar."""
    old_side: dict[str, Any] = {}
    if SIDECAR in existing:
        try:
            old_side = orjson.loads(existing[SIDECAR])
        except orjson.JSONDecodeError:
            old_side = {}
    new_side = built.sidecar
    if strategy != "replace":  # a block the destination holds under another file name is written there
        moved = _same_blocks(existing, built.files)
        if moved:
            built = _moved(built, moved)
            new_side = built.sidecar
    if strategy == "replace":
        for path in existing:
            if path not in built.files and not is_hidden(path):
                plan.add("files", "delete")
        for path in built.files:
            if not is_hidden(path):
                plan.add("files", "update" if path in existing else "insert")
        kept = {p: d for p, d in existing.items() if is_hidden(p) and p != SIDECAR}  # Letta Code's own state
        return {**kept, **built.files}
    result = dict(existing)
    for path, data in built.files.items():
        if path == SIDECAR:
            continue
        if path in existing:
            if strategy == "merge":
                result[path] = data
                plan.add("files", "update")
            else:
                plan.add("files", "skip")
        else:
            result[path] = data
            plan.add("files", "insert")
    for path in existing:
        if path not in built.files and not is_hidden(path):
            plan.add("files", "keep")
    # the sidecar: file entries follow the files; records by (kind, id)
    files_meta = dict(old_side.get("files") or {})
    for path, meta in (new_side.get("files") or {}).items():
        if strategy == "merge" or path not in existing:
            files_meta[path] = meta
    key = lambda r: (r.get("kind"), r.get("id"))  # noqa: E731
    old_records = list(old_side.get("records") or [])
    index = {key(r): i for i, r in enumerate(old_records)}
    for r in new_side.get("records") or []:
        k = key(r)
        if k in index:
            if strategy == "merge":
                old_records[index[k]] = r
                plan.add("records", "update")
            else:
                plan.add("records", "skip")
        else:
            index[k] = len(old_records)
            old_records.append(r)
            plan.add("records", "insert")
    side = dict(new_side)
    side["files"] = files_meta
    side["records"] = old_records
    if old_side.get("agent_id"):
        side["agent_id"] = old_side["agent_id"]
        side["header"] = old_side.get("header") or new_side.get("header")
    result[SIDECAR] = orjson.dumps(side, option=orjson.OPT_INDENT_2)
    return result


class StagedFolder:
    """A folder written beside its destination, swapped into place by :meth:`commit`.

    Attributes:
        dest: the destination folder. path: the staged folder (``.memconv-<pid>-*.d``, swept when its
            owner is gone). plan: what the write does to the destination's files and sidecar records.
    """

    def __init__(self, dest: str, path: str, plan: Plan):
        self.dest = dest
        self.path = path
        self.plan = plan

    def commit(self, fsync: bool = True) -> None:
        """Put the staged folder in the destination's place: a rename when there is none (or an empty
        one), else the old folder renamed aside, the new one renamed in, the old one removed.

        Raises:
            OutputUnwritable: a rename failed (the destination is left as it was).
        """
        parent = os.path.dirname(self.dest) or "."
        if fsync:
            _fsync_tree(self.path)
        try:
            if os.path.isdir(self.dest) and os.listdir(self.dest):
                aside = temp_dir(parent)
                os.rmdir(aside)
                os.rename(self.dest, aside)
                try:
                    os.rename(self.path, self.dest)
                except OSError:
                    os.rename(aside, self.dest)
                    raise
                shutil.rmtree(aside, ignore_errors=True)
            else:
                os.rename(self.path, self.dest)
        except OSError as e:
            raise OutputUnwritable(f"{self.dest}: cannot write the output: {e.strerror or e}") from None
        if fsync:
            fsync_path(parent)

    def discard(self) -> None:
        """Remove the staged folder if it is still there."""
        if os.path.isdir(self.path):
            shutil.rmtree(self.path, ignore_errors=True)


def stage_folder(built: Built, dest: str, strategy: str | None, options: WriteOptions) -> StagedFolder:
    """Write ``built`` into a scratch folder beside ``dest``: under ``strategy`` against the files
    ``dest`` holds, keeping ``dest``'s git repository (``.git``) and, with the ``git`` option, making
    a commit of the result in it (a new repository on branch ``main`` when there is none).

    Raises:
        OutputUnwritable: the scratch folder cannot be written, or git refused the commit (a
            pre-commit hook of the destination's repository, named with its output).
    """
    report = options.report
    parent = os.path.dirname(dest) or "."
    plan = Plan(strategy)
    exists = os.path.isdir(dest) and bool(os.listdir(dest))
    if exists and strategy:
        files = _merge(_existing_files(dest), built, strategy, plan)
    else:
        files = built.files
        for path in files:
            if not is_hidden(path):
                plan.add("files", "insert")
    try:
        staged = temp_dir(parent)
    except OSError as e:
        raise OutputUnwritable(f"{dest}: cannot write the output: {e.strerror or e}") from None
    result = StagedFolder(dest, staged, plan)
    try:
        for path, data in files.items():
            full = os.path.join(staged, *path.split("/"))
            os.makedirs(os.path.dirname(full), exist_ok=True)
            with open(full, "wb") as fh:
                fh.write(data)
        if exists and os.path.isdir(os.path.join(dest, ".git")):
            shutil.copytree(os.path.join(dest, ".git"), os.path.join(staged, ".git"), symlinks=True)
        if options.extra.get("git"):
            _git_commit(staged, options)
    except OSError as e:
        result.discard()
        raise OutputUnwritable(f"{dest}: cannot write the output: {e.strerror or e}") from None
    except BaseException:
        result.discard()
        raise
    report.info.setdefault("target", {})["folder"] = dest
    return result


def _git_commit(folder: str, options: WriteOptions) -> None:
    """Commit the folder's whole content (every file, hidden ones but ``.git`` included; removed
    files removed) with dulwich, running the repository's own hooks.

    Raises:
        OutputUnwritable: a hook refused the commit.
    """
    from dulwich import porcelain
    from dulwich.errors import CommitError
    from dulwich.repo import Repo

    if os.path.isdir(os.path.join(folder, ".git")):
        repo = Repo(folder)
    else:
        repo = Repo.init(folder)
        repo.refs.set_symbolic_ref(b"HEAD", b"refs/heads/main")
    with repo:
        tracked = {p.decode() for p in repo.open_index()}
        present = set()
        for root, dirs, names in os.walk(folder):
            dirs[:] = [d for d in dirs if d != ".git"]
            for n in names:
                present.add(os.path.relpath(os.path.join(root, n), folder).replace(os.sep, "/"))
        gone = sorted(tracked - present)
        if gone:
            porcelain.remove(repo, [os.path.join(folder, p) for p in gone], cached=True)
        porcelain.add(repo, [os.path.join(folder, p) for p in sorted(present)])
        when = options.timestamp
        stamp = None
        if when:
            from memconv.timeutil import parse_ts

            dt = parse_ts(when)
            stamp = int(dt.timestamp()) if dt is not None else None
        ident = b"memconv <memconv@localhost>"
        message = (options.extra.get("git_message") or "memconv: memory converted into a Letta Code memory folder")
        _pre_commit(folder, options)
        try:
            porcelain.commit(repo, message=message.encode(), author=ident, committer=ident,
                             author_timestamp=stamp, commit_timestamp=stamp, author_timezone=0, commit_timezone=0,
                             no_verify=True)
        except CommitError as e:
            raise OutputUnwritable(f"{options.output_path}: git refused the commit: {' '.join(str(e).split())}") from None


def _pre_commit(folder: str, options: WriteOptions) -> None:
    """Run the repository's own pre-commit hook (Letta Code installs one that checks the front matter)
    on what is staged, its output captured: standard output carries only data.

    Raises:
        OutputUnwritable: the hook refused, with its messages.
    """
    import subprocess

    hook = os.path.join(folder, ".git", "hooks", "pre-commit")
    if not (os.path.isfile(hook) and os.access(hook, os.X_OK)):
        return
    try:
        done = subprocess.run([hook], cwd=folder, capture_output=True, text=True, timeout=600)
    except OSError as e:
        raise OutputUnwritable(f"{options.output_path}: the repository's pre-commit hook could not run: "
                               f"{e.strerror or e}") from None
    if done.returncode != 0:
        said = [ln.strip() for ln in (done.stdout + done.stderr).splitlines()
                if ln.strip() and "validation failed" not in ln.lower()]
        raise OutputUnwritable(f"{options.output_path}: the repository's pre-commit hook refused the commit "
                               f"(nothing was written): {'; '.join(said) or f'exit {done.returncode}'}")


def _fsync_tree(folder: str) -> None:
    for root, _dirs, names in os.walk(folder):
        for n in names:
            fsync_path(os.path.join(root, n))
        fsync_path(root)


__all__ = ["Built", "StagedFolder", "build", "stage_folder", "write_archive"]
