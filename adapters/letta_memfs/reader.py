"""A Letta Code memory folder (MemFS), or a tar/zip of one -> canonical records.

Every non-hidden ``.md`` file is a block: label from its path (:func:`~.shape.path_to_label`), value
from its body, ``description``, ``read_only`` and ``limit`` from its front matter, parsed as Letta
Code parses it (:func:`~.shape.parse`). Files under ``system/`` are attached to the folder's agent
(``Agent.block_ids``); the others are detached blocks (blocks no agent lists). ``skills/<name>/``
folders are skills. Hidden files are ignored, except memconv's :data:`~.shape.SIDECAR`: where a file is
byte for byte the one memconv wrote, the record it keeps there is restored whole (a Letta block id,
metadata, tags, exact label and description, a mem0 memory); where the file was edited, the file wins
and the kept record supplies the rest.

With the ``history`` option, a folder that is a git repository gives its history: every change of a
block file in every commit (first parent), oldest first, as canonical history events (``ADD``,
``UPDATE``, ``DELETE``; ``memory_id`` is the block's id), read with dulwich.
"""

from __future__ import annotations

import base64
import hashlib
import os
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import orjson
from pydantic import ValidationError

from memconv.model import KIND_ORDER, RECORD_ADAPTER, Agent, Block, Header, HistoryEvent, Provenance, Raw, Skill
from memconv.logmessages import (BAD_VALUE, EDITED_SINCE_WRITTEN, FILE_SKIPPED, FRONT_MATTER_PROBLEM,
                                 MEMCONV_DATA_INVALID, NOT_UTF8, OPTION_IGNORED)

from .shape import (FILES, FRONT_MATTER_KEYS, DETACHED_ESCAPE, SIDECAR, SIDECAR_FORMAT, SKILLS_DIR, SYSTEM_DIR, is_hidden, parse, path_to_label,
                    unescape_label)

SYSTEM = "letta-memfs"


def _utf8_name(rel: str) -> bool:
    """False for a path whose bytes are not UTF-8 (``os.walk`` hands them over as lone surrogates)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def folder_files(root: Path, name: str, report: Any, others: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """The files of a memory folder that memconv reads: ``.md`` files and skills not hidden, and the
    sidecar; ``{relative path: bytes}``. Links are not followed (a warning names each). ``others``
    receives the folder's other files that are not hidden (an agent's images, scripts, tables: Letta
    Code keeps them in the memory's repository but reads no block from them); without it they are
    counted in a warning."""
    files: dict[str, bytes] = {}
    skipped = 0
    for dirpath, dirs, names in os.walk(root):
        rel_root = os.path.relpath(dirpath, root).replace(os.sep, "/")
        rel_root = "" if rel_root == "." else rel_root + "/"
        keep_dirs = []
        for d in sorted(dirs):
            full = os.path.join(dirpath, d)
            if d.startswith("."):
                continue
            if os.path.islink(full):
                report.warn(f"{name}: {rel_root}{d}: a link to a folder; not followed", FILE_SKIPPED)
                continue
            if not _utf8_name(d):
                report.warn(f"{name}: {(rel_root + d).encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')}: "
                            f"a folder name that is not UTF-8; not read", NOT_UTF8)
                continue
            keep_dirs.append(d)
        dirs[:] = keep_dirs
        for n in sorted(names):
            rel = rel_root + n
            full = os.path.join(dirpath, n)
            if not _utf8_name(rel):
                report.warn(f"{name}: {rel.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')}: "
                            f"a file name that is not UTF-8; not read", NOT_UTF8)
                continue
            if rel != SIDECAR and is_hidden(rel):
                continue
            if os.path.islink(full):
                report.warn(f"{name}: {rel}: a link; not followed", FILE_SKIPPED)
                continue
            if rel == SIDECAR or rel.endswith(".md") or rel.startswith(SKILLS_DIR + "/"):
                with open(full, "rb") as fh:
                    files[rel] = fh.read()
            elif others is not None:
                with open(full, "rb") as fh:
                    others[rel] = fh.read()
            else:
                skipped += 1
    if skipped:
        report.warn(f"{name}: {skipped} file(s) that are not Markdown (external memory: images, tables...) "
                    f"are not read", FILE_SKIPPED)
    return files


OWN_FOLDERS = frozenset({SYSTEM_DIR, SKILLS_DIR, "reference", DETACHED_ESCAPE})
"""Top folders of a memory folder itself (Letta Code's ``system/``, ``reference/``, ``skills/``; memconv's
``_detached/``): an archive whose only top folder is one of these is the memory folder, not inside one."""


def archive_root(members: dict[str, bytes], name: str = "", report: Any = None,
                 others: dict[str, bytes] | None = None) -> dict[str, bytes]:
    """Members of a tar or zip with a single top folder (``memory/system/...``) taken from inside it;
    a member whose name is not UTF-8 is left out (with a warning through ``report``). ``others``
    receives the members that are not hidden and are no block, skill or sidecar (as
    :func:`folder_files`)."""
    bad = [m for m in members if not _utf8_name(m)]
    for m in bad:
        del members[m]
        if report is not None:
            report.warn(f"{name}: {m.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')}: a file name "
                        f"that is not UTF-8; not read", NOT_UTF8)
    names = [m for m in members if not m.endswith("/")]
    tops = {m.split("/", 1)[0] for m in names}
    # a single top folder is the memory folder itself, unless it is one of the folder's own (an archive of
    # a fresh memory folder holds only system/)
    if len(tops) == 1 and all("/" in m for m in names) and not tops & OWN_FOLDERS:
        top = tops.pop() + "/"
        members = {m[len(top):]: data for m, data in members.items() if m.startswith(top)}
    kept = {m: d for m, d in members.items() if not m.endswith("/") and (m == SIDECAR or not is_hidden(m))}
    if others is not None:
        others.update((m, d) for m, d in kept.items()
                      if not (m == SIDECAR or m.endswith(".md") or m.startswith(SKILLS_DIR + "/")))
    return {m: d for m, d in kept.items() if m == SIDECAR or m.endswith(".md") or m.startswith(SKILLS_DIR + "/")}


def _text(name: str, path: str, data: bytes, report: Any) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        report.warn(f"{name}: {path}: line {line}: not UTF-8 text; the file is not read", NOT_UTF8)
        return None


def _sidecar(name: str, files: dict[str, bytes], report: Any) -> dict[str, Any] | None:
    raw = files.pop(SIDECAR, None)
    if raw is None:
        return None
    try:
        side = orjson.loads(raw)
    except orjson.JSONDecodeError as e:
        report.warn(f"{name}: {SIDECAR}: not JSON ({e}); the folder is read without it", MEMCONV_DATA_INVALID)
        return None
    if not isinstance(side, dict) or side.get("format") != SIDECAR_FORMAT:
        report.warn(f"{name}: {SIDECAR}: not memconv's sidecar (\"format\": {SIDECAR_FORMAT!r} expected); "
                    f"the folder is read without it", MEMCONV_DATA_INVALID)
        return None
    return side


def _record(name: str, where: str, data: Any, report: Any) -> Any:
    try:
        return RECORD_ADAPTER.validate_python(data)
    except ValidationError as e:
        err = e.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ()))
        report.warn(f"{name}: {SIDECAR}: {where}: {loc}: {err.get('msg')}; the record is not restored",
                    MEMCONV_DATA_INVALID)
        return None


def read_files(name: str, files: dict[str, bytes], report: Any, *, variant: str, agent_name: str,
               history_root: Path | None = None, others: dict[str, bytes] | None = None) -> Iterator[Any]:
    """Yield a :class:`Header` then the records of one memory folder given as its files.

    Args:
        name: the input's name, for messages. files: :func:`folder_files` or :func:`archive_root`.
        variant: ``folder``, ``tar`` or ``zip``. agent_name: the agent's name when no sidecar names it.
        history_root: a git repository whose commits give history events (None: no history).

    Problems in a file (no front matter, an unknown key, a bad ``limit``) are warnings naming the file
    and the line: Letta Code reads such files, so memconv does too. ``others``: the folder's other files
    (:func:`folder_files`), each read as a :class:`~memconv.model.Raw` record (:func:`file_record`).
    """
    side = _sidecar(name, files, report)
    header = Header(source_system=SYSTEM, source_variant=variant)
    if side and isinstance(side.get("header"), dict):
        try:
            header = Header.model_validate(side["header"])
        except ValidationError:
            report.warn(f"{name}: {SIDECAR}: header: not a canonical header; not restored", MEMCONV_DATA_INVALID)
    kept_files: dict[str, Any] = dict((side or {}).get("files") or {})
    by_sha = {meta.get("sha256"): p for p, meta in kept_files.items() if isinstance(meta, dict)}
    used: set[str] = set()
    out: list[Any] = []
    position: dict[int, int] = {}  # restored records keep the order they were written in
    blocks_by_path: dict[str, Any] = {}
    skills: dict[str, dict[str, str]] = {}
    for path in sorted(files):
        data = files[path]
        if path.startswith(SKILLS_DIR + "/") and path.count("/") >= 2:
            text = _text(name, path, data, report)
            if text is not None:
                _, skill, rest = path.split("/", 2)
                skills.setdefault(skill, {})[rest] = text
            continue
        text = _text(name, path, data, report)
        if text is None:
            continue
        # a file memconv wrote (its sidecar lists it) has escaped names; any other is read as Letta Code reads it
        meta = kept_files.get(path)
        label, attached = path_to_label(path, literal=meta is None or isinstance(meta, dict) and bool(meta.get("literal")))
        sha = hashlib.sha256(data).hexdigest()
        kept_path = path if path in kept_files else None
        if kept_path is None and sha in by_sha and by_sha[sha] not in files:
            kept_path = by_sha[sha]  # moved (attached or detached) but not edited
        meta = kept_files.get(kept_path) if kept_path else None
        if isinstance(meta, dict) and isinstance(meta.get("record"), dict):
            used.add(kept_path)  # type: ignore[arg-type]
            rec = _restore(name, path, text, meta, sha, label, kept_path != path, report)
            if rec is not None:
                n = meta.get("n")
                position[id(rec)] = n if isinstance(n, int) else len(kept_files)
                out.append(rec)
                if rec.kind == "block":
                    blocks_by_path[path] = rec
                continue
        parsed = parse(text)
        for p in parsed.problems:
            report.warn(f"{name}: {path}: {p}", FRONT_MATTER_PROBLEM)
        block = _block_from_file(name, path, label, parsed, report)
        blocks_by_path[path] = block
        out.append(block)
    taken = {b.id for b in blocks_by_path.values() if b.id}
    n = 0
    for b in blocks_by_path.values():  # new files: the first free file-local ids, in path order
        if b.id == "":
            while f"block-{n}" in taken:
                n += 1
            b.id = f"block-{n}"
            taken.add(b.id)
    for path in sorted(set(kept_files) - used):
        report.warn(f"{name}: {path}: memconv wrote this file and it is gone; its block is not read",
                    EDITED_SINCE_WRITTEN)
    # the agent: the kept one, its attached blocks following the files in system/
    attached_ids = [b.id for p, b in sorted(blocks_by_path.items()) if p.startswith(SYSTEM_DIR + "/")]
    records = []
    main_id = (side or {}).get("agent_id")
    for i, data in enumerate((side or {}).get("records") or []):
        rec = _record(name, f"records[{i}]", data, report)
        if rec is not None:
            records.append(rec)
    main = next((r for r in records if r.kind == "agent" and r.id == main_id), None)
    if main is None and not any(r.kind == "agent" for r in records) and (side is None or attached_ids):
        main = Agent(id="agent-0", name=agent_name, provenance=Provenance(system=SYSTEM, variant=variant))
        records.insert(0, main)
    if main is not None:
        keep = [i for i in main.block_ids if i in attached_ids]
        main.block_ids = keep + [i for i in attached_ids if i not in keep]
    kept_skill_names = {r.name for r in records if r.kind == "skill"}
    undo = (lambda x: x) if side is None else unescape_label  # names escaped only in folders memconv wrote
    for skill_name, skill_files in sorted(skills.items()):
        real = undo(skill_name)
        found = next((r for r in records if r.kind == "skill" and r.name == real), None)
        if found is not None:
            found.files = {undo(k): v for k, v in skill_files.items()}
        elif real not in kept_skill_names:
            records.append(Skill(id=f"skill-{len(kept_skill_names)}", name=real,
                                 files={undo(k): v for k, v in skill_files.items()},
                                 provenance=Provenance(system=SYSTEM, variant=variant)))
            kept_skill_names.add(real)
    events: list[Any] = []
    if history_root is not None:
        ids = {p: b.id for p, b in blocks_by_path.items()}
        events = list(read_history(name, history_root, ids, report))
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    out.sort(key=lambda r: position.get(id(r), len(kept_files)))  # stable: new files stay in path order
    raws = [file_record(path, data, variant) for path, data in sorted((others or {}).items())]
    everything = sorted(records + out + events + raws, key=lambda r: order.get(r.kind, len(order)))
    yield header
    yield from everything


def file_record(path: str, data: bytes, variant: str) -> Raw:
    """A file of the memory folder that holds no block (an image, a script, a table the agent keeps in its
    memory's repository) as a :class:`~memconv.model.Raw` record: id and ``data.path`` its path in the
    folder, ``data.text`` its text when it is UTF-8, else ``data.base64``. The Letta Code writer puts it
    back at its path; other targets report it lost whole (their mapping tables)."""
    try:
        body: dict[str, Any] = {"text": data.decode("utf-8")}
    except UnicodeDecodeError:
        body = {"base64": base64.b64encode(data).decode("ascii")}
    return Raw(id=path, system=SYSTEM, collection=FILES, data={"path": path, **body},
               provenance=Provenance(system=SYSTEM, id=path, variant=variant))


def _restore(name: str, path: str, text: str, meta: dict[str, Any], sha: str, label: str, moved: bool,
             report: Any) -> Any:
    data = dict(meta["record"])
    kind = data.get("kind")
    field = "value" if kind == "block" else "text"
    if meta.get("sha256") == sha:
        parsed = parse(text, exact=True)
        data[field] = parsed.body
    else:
        parsed = parse(text)
        for p in parsed.problems:
            report.warn(f"{name}: {path}: {p}", FRONT_MATTER_PROBLEM)
        report.warn(f"{name}: {path}: edited since memconv wrote it; its text and front matter are read "
                    f"from the file, the rest from {SIDECAR}", EDITED_SINCE_WRITTEN)
        data[field] = parsed.body
        if kind == "block":
            desc = parsed.keys.get("description", "").strip()
            if desc and desc != data.get("description"):
                data["description"] = desc
            data["read_only"] = parsed.keys.get("read_only", "").strip().lower() == "true"
            lim = parsed.keys.get("limit")
            if lim is not None and lim.strip().isdigit():
                data["limit"] = int(lim)
            elif lim is None:
                data.pop("limit", None)
    if moved and kind == "block":
        data["label"] = label
    return _record(name, f"files.{path}", data, report)


def _block_from_file(name: str, path: str, label: str, parsed: Any, report: Any) -> Block:
    keys = parsed.keys
    read_only = False
    ro = keys.get("read_only")
    if ro is not None:
        if ro.strip().lower() in ("true", "false"):
            read_only = ro.strip().lower() == "true"
        else:
            report.warn(f"{name}: {path}: line {parsed.key_lines['read_only']}: read_only: expected true or "
                        f"false, got {ro!r}; read as false", BAD_VALUE)
    limit = None
    lim = keys.get("limit")
    if lim is not None:
        try:
            limit = int(lim.strip())
        except ValueError:
            report.warn(f"{name}: {path}: line {parsed.key_lines['limit']}: limit: expected a whole number, got "
                        f"{lim!r}; ignored", BAD_VALUE)
    others = {k: v for k, v in keys.items() if k not in FRONT_MATTER_KEYS}
    desc = keys.get("description", "").strip() or None
    return Block(id="", label=label, value=parsed.body, limit=limit, description=desc,
                 read_only=read_only, metadata={"frontmatter": others} if others else None,
                 provenance=Provenance(system=SYSTEM, id=path, variant="folder"))


def _iso(ts: int, offset: int) -> str:
    return datetime.fromtimestamp(ts, timezone(timedelta(seconds=offset))).isoformat()


def read_history(name: str, root: Path, ids: dict[str, str], report: Any) -> Iterator[HistoryEvent]:
    """History events from the git repository at ``root``: one per block file changed by a commit
    (against its first parent), oldest commit first.

    Args:
        ids: ``path -> block id`` of the blocks read; a file no block has any more gives the id
            ``memfs:<path>``.
    """
    from dulwich.diff_tree import tree_changes
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    try:
        repo = Repo(str(root))
    except NotGitRepository:
        report.warn(f"{name}: --history: not a git repository; no history read", OPTION_IGNORED)
        return
    with repo:
        try:
            head = repo.head()
        except KeyError:
            report.warn(f"{name}: --history: the repository has no commits; no history read", OPTION_IGNORED)
            return
        walker = repo.get_walker(include=[head], reverse=True)
        for entry in walker:
            commit = entry.commit
            parent_tree = repo[commit.parents[0]].tree if commit.parents else None
            when = _iso(commit.commit_time, commit.commit_timezone)
            actor = commit.author.decode("utf-8", "replace")
            for change in tree_changes(repo.object_store, parent_tree, commit.tree):
                old_path = change.old.path.decode("utf-8", "replace") if change.old and change.old.path else None
                new_path = change.new.path.decode("utf-8", "replace") if change.new and change.new.path else None
                for path in {p for p in (old_path, new_path) if p}:
                    if not path.endswith(".md") or is_hidden(path) or path.startswith(SKILLS_DIR + "/"):
                        break
                else:
                    path = new_path or old_path
                    old = _blob_text(repo, change.old) if old_path else None
                    new = _blob_text(repo, change.new) if new_path else None
                    if old is None and new is None:
                        continue
                    event = "ADD" if old is None else "DELETE" if new is None else "UPDATE"
                    yield HistoryEvent(id=f"{commit.id.decode()[:12]}:{path}",
                                       memory_id=ids.get(path, f"memfs:{path}"), event=event,  # type: ignore[arg-type]
                                       old_text=old, new_text=new, created_at=when, actor_id=actor,
                                       provenance=Provenance(system=SYSTEM, id=commit.id.decode(), variant="git"))


def _blob_text(repo: Any, entry: Any) -> str | None:
    if entry is None or entry.sha is None:
        return None
    try:
        data = repo[entry.sha].data.decode("utf-8")
    except (UnicodeDecodeError, KeyError):
        return None
    return parse(data).body
