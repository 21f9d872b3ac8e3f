"""The ``memconv`` command line: a thin layer over :mod:`memconv.pipeline`.

``memconv INPUT... --to FORMAT [-o OUTPUT]`` converts (the ``convert`` command is the default, so
``memconv convert`` may be left out); ``memconv formats``, ``memconv inspect FILE`` and
``memconv schema`` describe. Data goes to stdout, everything else to stderr. Errors are one line,
``memconv: error: ...``, with the exit code of :class:`memconv.errors.ExitCode`.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
import orjson

from . import __version__, registry
from .errors import ExitCode, LossRefused, MemconvError, PartialWrite, UsageError, memconv_cause
from .model import KIND_ORDER, PLURALS, SCHEMA_VERSION, json_schema
from .pipeline import convert as run_convert
from .pipeline import iter_records
from .filters import parse_rename
from .progress import wanted
from .guards import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS
from .jobs import default_jobs
from .commit import check_file_path
from .report import Report, write_report
from .strategies import STRATEGIES, Plan
from .remote import is_remote
from .transport import redact

SUBCOMMANDS_FIRST = ("--help", "-h", "--version")


class _DefaultGroup(click.Group):
    """A group whose default command is ``convert``: ``memconv a.af --to x`` = ``memconv convert a.af --to x``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in SUBCOMMANDS_FIRST:
            args = ["convert", *args]
        return super().parse_args(ctx, args)


def _err(msg: str) -> None:
    click.echo(redact(msg), err=True)  # a token never reaches the terminal


def _print_report(report: Report, quiet: bool, whole: bool = True) -> None:
    """Warnings, then (``whole``: the run wrote, or refused a loss, or pushed part-way) the loss lines
    and where each kind went. A run that failed otherwise wrote nothing: its one error line is enough."""
    if quiet:
        return
    for w in report.warnings:
        _err(f"memconv: warning: {w}")
    if not whole:
        return
    for line in report.format_losses():
        _err(f"memconv: {line}")
    ledger = report.ledger()
    if any(d["side_channel"] or d["lost"] or d["filtered"] or d["read"] != d["native"] for d in ledger.values()
           if d["read"]):  # where each kind went, unless every record became a native target record
        for line in report.format_ledger():
            _err(f"memconv: records: {line}")


@click.group(cls=_DefaultGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="memconv",
                      message=f"%(prog)s %(version)s (canonical schema {SCHEMA_VERSION})")
def cli() -> None:
    """Convert AI-agent memory between Letta, mem0 and AgentMemory.

    \b
    memconv agent.af --to agentmemory -o agent.json
    memconv - --from mem0 --to canonical --jsonl < get_all.json
    memconv formats | memconv inspect FILE | memconv schema
    """


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--to", "to", metavar="FORMAT", help="Target format (see `memconv formats`); implied by -o URL.")
@click.option("--from", "from_", metavar="FORMAT", help="Input format; default: detected from content.")
@click.option("-o", "--output", default="-", show_default=True, metavar="PATH",
              help="Output file (`-` is stdout; `.gz` compresses; written atomically), or a live system: "
                   "letta+http://HOST:PORT, agentmemory+http://HOST:PORT, mem0+config:PATH.")
@click.option("--target-version", metavar="VERSION", help="Version of the target format to write.")
@click.option("--timestamp", metavar="ISO8601", help="Export time to write when the input carries none.")
@click.option("--jsonl", is_flag=True, help="Write the target's line form (canonical, mem0).")
@click.option("--fail-on-loss", is_flag=True, help="Exit 6, writing nothing, if the target cannot hold everything.")
@click.option("--strategy", type=click.Choice(STRATEGIES), help="What to do when -o exists: merge, replace or skip.")
@click.option("--dry-run", is_flag=True, help="Write nothing; print the plan (inserted, updated, skipped, deleted, lost).")
@click.option("--report", "report_path", metavar="PATH", help="Write the conversion report as JSON.")
@click.option("--wait", type=click.FloatRange(min=0), default=0, show_default=True, metavar="SECONDS",
              help="Wait this long for another memconv writing the same -o (default: refuse at once, exit 12).")
@click.option("--no-fsync", is_flag=True, help="Do not fsync the output before reporting success (scratch work).")
@click.option("--agent", "agents", multiple=True, metavar="NAME_OR_ID", help="Keep only this agent (repeatable).")
@click.option("--user-id", "user_ids", multiple=True, metavar="ID", help="Keep only this user's memories (repeatable).")
@click.option("--since", metavar="DATE", help="Keep only records changed at or after DATE (ISO-8601).")
@click.option("--exclude", multiple=True, metavar="KIND", help="Leave out a kind: messages, passages, history... (repeatable).")
@click.option("--rename-agent", "rename", multiple=True, metavar="OLD=NEW", help="Rename an agent (repeatable).")
@click.option("--keep-secrets", is_flag=True, help="Do not blank tool environment variables, secrets and MCP tokens.")
@click.option("--max-records", type=int, default=DEFAULT_MAX_RECORDS, show_default=True, help="Refuse inputs with more records (0: no limit).")
@click.option("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, show_default=True, help="Refuse larger inputs (0: no limit).")
@click.option("--split", is_flag=True, help="AgentMemory: write OUT.part-0001.json... each within AgentMemory's caps (needs -o).")
@click.option("--passages", metavar="PATH", help="Letta: where to write the passages sidecar when the .af goes to stdout.")
@click.option("--source-token", metavar="TOKEN", help="Token of the live system read (default: LETTA_API_KEY, AGENTMEMORY_SECRET or MEM0_API_KEY).")
@click.option("--target-token", metavar="TOKEN", help="Token of the live system written (default: its system's variable, as for --source-token).")
@click.option("--history", is_flag=True, help="Letta Code memory folder: read its git history (commits) as history events.")
@click.option("--git", "git_commit", is_flag=True, help="Letta Code memory folder (-o DIR): commit what is written (a new repository on branch main when there is none).")
@click.option("--all-messages", is_flag=True, help="Letta server: the whole message history, not only the context window.")
@click.option("--model", metavar="HANDLE", help="Letta server: import with this model handle (provider/name).")
@click.option("--embedding", metavar="HANDLE", help="Letta server: import with this embedding handle.")
@click.option("--secrets", "secrets_file", metavar="FILE", help="Letta server: tool secrets for the import, a JSON object {KEY: value}.")
@click.option("--progress", "show_progress", is_flag=True, help="Show progress on stderr (default: when stderr is a terminal).")
@click.option("-O", "--option", "format_options", multiple=True, metavar="NAME=VALUE",
              help="An option of the target format (see `memconv formats`), e.g. -O check_caps=false (repeatable).")
@click.option("-j", "--jobs", type=click.IntRange(min=1), metavar="N",
              help="Worker processes for a large JSON-L input (canonical or mem0), a mem0 get_all document, or "
                   "several inputs of canonical or mem0, written as JSON-L or mem0's document (default: the cores, "
                   "at most 8); the output is the same as with --jobs 1.")
@click.option("-q", "--quiet", is_flag=True, help="No warnings, progress or loss report on stderr.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def convert(inputs: tuple[str, ...], to: str, from_: str | None, output: str, target_version: str | None,
            timestamp: str | None, jsonl: bool, fail_on_loss: bool, strategy: str | None, dry_run: bool,
            report_path: str | None, agents: tuple[str, ...], user_ids: tuple[str, ...], since: str | None,
            exclude: tuple[str, ...], rename: tuple[str, ...], keep_secrets: bool, max_records: int,
            max_bytes: int, split: bool, passages: str | None, source_token: str | None,
            target_token: str | None, history: bool, git_commit: bool, all_messages: bool, model: str | None, embedding: str | None,
            secrets_file: str | None, show_progress: bool, quiet: bool, debug: bool, wait: float,
            no_fsync: bool, jobs: int | None, format_options: tuple[str, ...]) -> None:
    """Convert INPUTS (files, folders, `-` for stdin, or live systems) to --to FORMAT."""
    report = Report()
    extra: dict[str, Any] = {}
    if report_path is not None:
        check_file_path(report_path, "--report")
    if split:
        extra["split"] = True
    if passages:
        extra["passages"] = passages
    live_out = is_remote(output)
    if not to and not live_out:
        to = registry.format_for_name(output)
        if not to:
            raise UsageError("--to FORMAT is required (it may be left out when -o names a live system, an .af "
                             "file or a .canonical.json/.canonical.jsonl file)")
        if not quiet:
            _err(f"memconv: note: writing {to}, from the name of -o {output}")
    extra.update(parse_format_options(format_options, registry.get(to) if to else None, extra))
    if not live_out:
        extra["wait"] = wait
        extra["fsync"] = not no_fsync
    if all_messages:
        extra["read_all_messages"] = True
    if history:
        extra["read_history"] = True
    if git_commit:
        extra["git"] = True
    for key, val in (("model", model), ("embedding", embedding), ("secrets_file", secrets_file)):
        if val:
            if not live_out:
                raise UsageError(f"--{key.replace('_file', '')} is for a push to a live Letta server (-o letta+http://...)")
            extra[key] = val
    try:
        run_convert(list(inputs), to=to, output=output, from_=from_, report=report,
                    target_version=target_version, timestamp=timestamp, jsonl=jsonl,
                    fail_on_loss=fail_on_loss, strategy=strategy, dry_run=dry_run, agents=agents,
                    user_ids=user_ids, since=since, exclude=exclude, rename=parse_rename(rename),
                    keep_secrets=keep_secrets, max_records=max_records, max_bytes=max_bytes,
                    show_progress=wanted(show_progress, quiet), source_token=source_token,
                    target_token=target_token, jobs=jobs or default_jobs(), **extra)
    except PartialWrite:
        if report_path:  # what was written is in the report too
            write_report(report_path, report, inputs=list(inputs), output="-", dry_run=dry_run)
        _print_report(report, quiet)
        raise
    except LossRefused:
        _print_report(report, quiet)
        raise
    except BaseException:
        _print_report(report, quiet, whole=False)
        raise
    _print_report(report, quiet)
    if (dry_run or strategy or live_out) and not quiet:
        prefix = "plan (dry run, nothing written)" if dry_run else "done"
        _err(f"memconv: {prefix}: " + ("; ".join(Plan.from_dict(report.info["plan"]).lines()) or "nothing to write"))
    if report_path:  # a live target is named in report.info["target"]["url"], not as a path
        write_report(report_path, report, inputs=list(inputs), output="-" if live_out else output, dry_run=dry_run)


@cli.command()
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def formats(as_json: bool) -> None:
    """List the formats with the versions each reads and writes, and the options its writer takes."""
    rows = []
    for name, fmt in sorted(registry.formats().items()):
        rows.append({"name": name, "title": fmt.title,
                     "reads": fmt.read_versions if fmt.can_read else None,
                     "writes": fmt.write_versions if fmt.can_write else None,
                     "write_options": [o.to_dict() for o in fmt.write_options]})
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for r in rows:
        click.echo(f"{r['name']}: {r['title']}")
        click.echo(f"  reads:  {r['reads'] or '-'}")
        click.echo(f"  writes: {r['writes'] or '-'}")
        for o in r["write_options"]:
            flag = f" (also {o['flag']})" if o["flag"] else ""
            click.echo(f"  -O {o['name']}=<{o['type']}>{flag}: {o['help']}")


def parse_format_options(pairs: tuple[str, ...], fmt: Any, given: dict[str, Any]) -> dict[str, Any]:
    """``-O NAME=VALUE`` pairs as keyword options of ``fmt``'s writer, each parsed by its declared type.

    Raises:
        UsageError: no ``=``, a name ``fmt`` does not declare (the names it does are listed), a value
            of the wrong type, or an option also given by its own flag.
    """
    out: dict[str, Any] = {}
    if not pairs:
        return out
    if fmt is None:
        raise UsageError("-O needs --to FORMAT: the options are the target format's")
    declared = {o.name: o for o in fmt.write_options}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name:
            raise UsageError(f"-O {pair!r}: expected NAME=VALUE")
        o = declared.get(name)
        if o is None:
            raise UsageError(f"-O {name}: {fmt.name} takes {'no options' if not declared else 'only ' + ', '.join(sorted(declared))}"
                             f" (see memconv formats)")
        if name in given:
            raise UsageError(f"-O {name}: given twice (also as {o.flag or '-O'})")
        try:
            out[name] = o.parse(text)
        except ValueError as e:
            raise UsageError(f"-O {name}: {e}") from None
    return out



NATIVE_KINDS: dict[str, dict[str, str | None]] = {
    "letta": {"agent": "agents", "group": "groups", "block": "blocks", "tool": "tools", "source": "sources",
              "file": "files", "mcp_server": "mcp_servers", "skill": "skills", "message": "messages",
              "passage": "archival passages"},
    "mem0": {"memory": "memories", "block": "memories", "passage": "memories", "event": "history events",
             "relation": "relations", "entity": None},
    "agentmemory": {"session": "sessions", "observation": "observations", "memory": "memories",
                    "summary": "summaries", "entity": "graphNodes", "relation": "graphEdges"},
}
"""Per source system, canonical kind -> the system's own name for those records, in the order its
files list them (Letta ``AgentFileSchema`` lists, mem0 ``results``/history/``relations``, AgentMemory
``ExportData`` keys; an AgentMemory collection read as raw records is named by its key). A record of
another system whose kind is listed sits in one of the file's own records (a Letta block in a mem0
item); one whose kind is not is counted as kept by memconv (the file's side channel). None: a kind
the reader derives (mem0 entities are the ends of its relations), not one the file holds."""


def _plural(kind: str) -> str:
    return PLURALS.get(kind, kind + "s")  # type: ignore[call-overload]


def native_name(system: str, rec: Any) -> str | None:
    """The source system's own name for the collection ``rec`` came from, None for a derived record
    (or a record of a system memconv has no table for, counted under its canonical kind)."""
    table = NATIVE_KINDS.get(system)
    if table is None:
        return _plural(rec.kind)
    if rec.kind == "raw" and getattr(rec, "system", None) == system:
        return rec.collection
    return table.get(rec.kind, _plural(rec.kind))


NATIVE_KEYS: dict[str, dict[str, str]] = {
    "letta": {"agents": "agents", "groups": "groups", "blocks": "blocks", "core_memory": "blocks",
              "tools": "tools", "sources": "sources", "files": "files", "mcp_servers": "mcp_servers",
              "skills": "skills", "messages": "messages", "agents.item.messages": "messages"},
    "mem0": {"results": "memories", "records": "memories", "history": "history events",
             "rows": "history events", "relations": "relations", "memories": "memories",
             "memconv": "memconv"},
}
"""Per system, the JSON arrays that hold its records -> the name ``inspect`` gives them (Letta's
``AgentFileSchema`` lists and legacy ``core_memory``, mem0's ``results`` and history rows). Every
top-level array of an AgentMemory ``ExportData`` is its own kind, and ``observations`` counts the
observations of every session bucket."""


def native_counts(spec: str, fmt: str, variant: str | None) -> dict[str, int] | None:
    """Count the records of file ``spec`` as its own format lays them out (a second, structural pass
    with ijson: lengths of its record arrays). None when that cannot be done (standard input, a
    folder, a live system, JSON-L, a zip, or a format without a table)."""
    import ijson

    from .io import Input
    from .remote import is_remote

    if spec == "-" or is_remote(spec) or fmt not in ("letta", "mem0", "agentmemory") or os.path.isdir(spec):
        return None
    if fmt == "letta" and variant not in ("v2", "legacy"):  # an AgentState is one agent's object
        return None
    inp = Input(spec)
    try:
        head = inp.peek(64).lstrip(b"\xef\xbb\xbf \t\r\n")
        if head[:1] not in (b"{", b"["):
            return None
        table = NATIVE_KEYS.get(fmt, {})
        counts: dict[str, int] = {}
        stack: list[str] = []
        with inp.open() as fh:
            for prefix, event, _ in ijson.parse(fh):
                if event in ("end_map", "end_array"):
                    stack.pop()
                    continue
                if event == "map_key":
                    continue
                if stack and stack[-1] == "array":
                    path = prefix[: -len(".item")] if prefix.endswith(".item") else ""
                    if not path and len(stack) == 1:  # a bare top-level list
                        name = "history events" if variant and "history" in variant else "memories"
                        name = name if fmt == "mem0" else None
                    elif fmt == "agentmemory":
                        name = path if len(stack) == 2 else "observations" if (
                            len(stack) == 3 and path.startswith("observations.")) else None
                    else:
                        name = table.get(path)
                    if name:
                        counts[name] = counts.get(name, 0) + 1
                if event in ("start_map", "start_array"):
                    stack.append("map" if event == "start_map" else "array")
        if fmt == "letta" and variant == "legacy":
            counts = {"agents": 1, **counts}
        return counts
    except (ijson.JSONError, OSError, ValueError, EOFError):
        return None
    finally:
        inp.close()


def inspect_inputs(inputs: list[str], from_: str | None) -> dict[str, Any]:
    """Read each of ``inputs`` and describe it: its format and version (for a canonical file the
    canonical schema version, with ``source`` naming the system it was first read from), the source's
    own record kinds (``native``, in :data:`NATIVE_KINDS` order) and the canonical kinds (``records``),
    with plural names.

    Returns:
        ``{"inputs": [{name, format, version, variant, exported_at, native, memconv, records}],
        "format", "version", "variant", "exported_at" (of the first input), "counts" (canonical kind ->
        n over all inputs), "warnings"}``. ``memconv`` counts the records memconv kept in the file's
        side channel (records of another system).

    Raises:
        what :func:`memconv.pipeline.iter_records` raises.
    """
    from collections import Counter

    described: list[dict[str, Any]] = []
    total: Counter[str] = Counter()
    warnings: list[str] = []
    from .pipeline import _as_inputs
    from .several import expand

    for spec in expand(_as_inputs(inputs), from_, Report()):  # a folder of exports: each file
        report = Report()
        items = iter_records([spec], format=from_, report=report)
        header = next(items)
        entry = report.info["inputs"][0]
        fmt = entry["format"]
        native: Counter[str] = Counter()
        kept: Counter[str] = Counter()
        for rec in items:
            if fmt == "canonical":
                continue
            table = NATIVE_KINDS.get(fmt)
            prov = rec.source_system()
            foreign = prov not in (None, fmt) or (rec.kind == "raw" and rec.system != fmt)
            if foreign and (table is None or rec.kind not in table or rec.kind == "raw"):
                kept[_plural(rec.kind)] += 1
                continue
            name = native_name(fmt, rec)
            if name is not None:
                native[name] += 1
        order = [v for v in NATIVE_KINDS.get(fmt, {}).values() if v]
        structural = native_counts(getattr(spec, "spec", "-"), fmt, header.source_variant)
        if structural is not None:
            structural.pop("memconv", None)  # its records are counted by kind in ``kept``
            if native.get("archival passages"):  # the .af's passages sidecar, read beside it
                structural["archival passages"] = native["archival passages"]
            native = Counter(structural)
            order = list(dict.fromkeys([*order, *NATIVE_KEYS.get(fmt, {}).values()]))
        d: dict[str, Any] = {
            "name": entry["name"], "format": fmt, "version": entry.get("version"), "variant": header.source_variant,
            "exported_at": header.exported_at,
            "native": dict(sorted(native.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order
                                                                 else len(order), kv[0]))),
            "memconv": dict(kept),
            "records": {_plural(k): report.read[k] for k in KIND_ORDER if report.read.get(k)},
        }
        if fmt == "canonical":
            d["version"] = header.schema_version
            d["source"] = {"system": header.source_system if header.source_system != "canonical" else None,
                           "version": header.source_format_version, "variant": header.source_variant}
        described.append(d)
        total.update(report.read)
        warnings += report.warnings
    first = described[0]
    return {"inputs": described, "format": first["format"], "version": first["version"],
            "variant": first["variant"], "exported_at": first["exported_at"],
            "counts": dict(sorted(total.items())), "warnings": warnings}


@cli.command()
@click.argument("inputs", nargs=-1, required=True)
@click.option("--from", "from_", metavar="FORMAT", help="Input format; default: detected from content.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def inspect(inputs: tuple[str, ...], from_: str | None, as_json: bool, debug: bool) -> None:
    """Print the detected format, version and record counts of INPUTS: the source's own record kinds
    first, then the canonical ones (for a canonical file, its schema version)."""
    result = inspect_inputs(list(inputs), from_)
    if as_json:
        click.echo(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode())
        return
    for inp in result["inputs"]:
        fmt = inp["format"]
        if fmt == "canonical":
            src = inp["source"]
            line = f"{inp['name']}: canonical schema {inp['version'] or 'unknown'}"
            if src.get("system"):
                line += f" (read from {src['system']}" + (f" {src['version']}" if src.get("version") else "") + ")"
        else:
            line = (f"{inp['name']}: {fmt} {inp.get('variant') or ''} "
                    f"version {inp.get('version') or 'unknown'}").replace("  ", " ")
        click.echo(line)
        if inp["native"]:
            click.echo(f"  {fmt} records:")
            for kind, n in inp["native"].items():
                click.echo(f"    {kind}: {n}")
        if inp["memconv"]:
            click.echo("  kept by memconv in the file:")
            for kind, n in inp["memconv"].items():
                click.echo(f"    {kind}: {n}")
        click.echo("  canonical records:" + ("" if inp["records"] else " none"))
        for kind, n in inp["records"].items():
            click.echo(f"    {kind}: {n}")
        if inp["exported_at"]:
            click.echo(f"  exported at: {inp['exported_at']}")
    for w in result["warnings"]:
        _err(f"memconv: warning: {w}")


@cli.command(name="validate")
@click.argument("files", nargs=-1, required=True)
@click.option("--from", "from_", metavar="FORMAT", help="Check against this format; default: detected.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def validate_cmd(files: tuple[str, ...], from_: str | None, as_json: bool, debug: bool) -> int:
    """Check FILES against their format; print every problem with its place (exit 1 when any)."""
    from .validate import validate

    from .io import Input
    from .several import expand

    # a folder or archive of exports is validated file by file (memconv.several)
    results = [validate(i, format=from_) for f in files for i in expand([Input(f)], from_, Report())]
    if as_json:
        click.echo(orjson.dumps([r.to_dict() for r in results], option=orjson.OPT_INDENT_2).decode())
    else:
        for r in results:
            if r.ok:
                total = sum(r.counts.values())
                click.echo(f"{r.name}: ok ({r.format} {r.version or ''}, {total} records)".replace(" ,", ","))
            for p in r.problems:
                click.echo(f"{r.name}: problem: {p}" if not p.startswith(r.name) else f"problem: {p}")
            for w in r.warnings:
                _err(f"memconv: warning: {w}")
    return int(ExitCode.PROBLEMS) if any(not r.ok for r in results) else 0


@cli.command(name="diff")
@click.argument("a")
@click.argument("b")
@click.option("--extras", is_flag=True, help="Compare the extras (source fields with no canonical home) too.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def diff_cmd(a: str, b: str, extras: bool, as_json: bool, debug: bool) -> int:
    """Compare two memory files of any formats through the hub (exit 1 when they differ)."""
    from .diff import diff_files

    d = diff_files(a, b, include_extras=extras)
    if as_json:
        click.echo(orjson.dumps(d.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        for line in d.lines():
            click.echo(line)
        if d.same:
            _err("memconv: no differences")
    return int(ExitCode.PROBLEMS) if not d.same else 0


@cli.command()
@click.option("--json", "as_json", is_flag=True,
              help="The tables as data: one JSON object per row, one per line (JSON-L).")
def mappings(as_json: bool) -> None:
    """Print, field by field, where each canonical field goes in each target and where each source key
    lands in the canonical model (docs/mappings.md)."""
    from .registry import mappings_markdown, mappings_rows

    if as_json:
        for row in mappings_rows():
            click.echo(orjson.dumps(row).decode())
        return
    click.echo(mappings_markdown(), nl=False)


@cli.command(name="warnings")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per code, one per line (JSON-L).")
def warnings_cmd(as_json: bool) -> None:
    """Print the kinds of warning memconv gives, by code (docs/warnings.md); --report lists warnings
    by these codes."""
    from .logmessages import CATALOGUE, render_markdown

    if as_json:
        for m in sorted(CATALOGUE.values(), key=lambda m: m.code):
            click.echo(orjson.dumps({"code": m.code, "summary": m.summary}).decode())
        return
    click.echo(render_markdown(), nl=False)


@cli.command(name="ls")
@click.argument("url")
@click.option("--token", metavar="TOKEN", help="Token (default: LETTA_API_KEY, AGENTMEMORY_SECRET or MEM0_API_KEY).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def ls_cmd(url: str, token: str | None, as_json: bool, debug: bool) -> None:
    """List what the live system at URL holds.

    \b
    letta+http://HOST:PORT      agents: id, name, blocks, messages, passages
    agentmemory+http://HOST:PORT  records per collection, sessions per project
    mem0+config:PATH | mem0+https://HOST  memories per user, agent and run
    """
    from .format import ReadOptions
    from .remote import parse

    if not is_remote(url):
        raise UsageError(f"{url!r}: memconv ls takes a live-system address (letta+http://..., agentmemory+http://..., "
                         f"mem0+config:PATH, mem0+https://...)")
    u = parse(url)
    rows = registry.get(u.system).list_remote(u, ReadOptions(extra={"token": token}))
    if as_json:
        click.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    cols: list[str] = []
    for r in rows:
        cols += [k for k in r if k not in cols]
    table = [cols] + [["" if r.get(c) is None else str(r.get(c)) for c in cols] for r in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(cols))]
    for row in table:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())
    if not rows:
        _err(f"memconv: {url}: nothing there")


@cli.command()
def schema() -> None:
    """Print the JSON Schema of the canonical model."""
    click.echo(orjson.dumps(json_schema(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS).decode())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``memconv`` console script; exits with an :class:`ExitCode`."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args or os.environ.get("MEMCONV_DEBUG") == "1"
    from .signals import handle_signals

    handle_signals()
    try:
        rv = cli.main(args=args, prog_name="memconv", standalone_mode=False)
        code = rv if isinstance(rv, int) else 0
    except MemconvError as e:
        _err(f"memconv: error: {e.message}")
        code = int(e.exit_code)
    except click.exceptions.Exit as e:
        code = e.exit_code
    except click.exceptions.Abort:
        _err("memconv: interrupted")
        code = ExitCode.INTERRUPTED
    except click.ClickException as e:  # click's own usage errors: the same one line as every other error
        _err(f"memconv: error: {' '.join(e.format_message().split())}")
        code = ExitCode.USAGE
    except KeyboardInterrupt:
        _err("memconv: interrupted")
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        code = ExitCode.OK
    except Exception as e:  # a bug: one line, the traceback only with --debug
        cause = memconv_cause(e)
        if cause is not None:  # e.g. a signal's Interrupted raised inside a C extension's callback
            _err(f"memconv: error: {cause.message}")
            code = int(cause.exit_code)
        else:
            if debug:
                import traceback

                traceback.print_exc()
            _err(f"memconv: internal error: {type(e).__name__}: {redact(e)} (this is a bug in memconv; "
                 f"rerun with --debug for the traceback)")
            code = ExitCode.INTERNAL
    sys.exit(int(code))
