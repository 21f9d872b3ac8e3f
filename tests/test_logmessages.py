"""Coded warnings (:mod:`memconv.logmessages`): every warning memconv gives passes its kind.

* An AST scan of ``src/`` and ``adapters/``: every ``report.warn(...)`` (``self.report``, ``ctx.report``...)
  passes a kind imported from ``memconv.logmessages``, not ``OTHER``; a helper that forwards a kind it is
  given (AgentMemory's ``note``) is checked at each of its calls instead.
* Every code of the catalogue is given by at least one call; each constant is named after its code.
* The catalogue is closed: ``Report.warn`` refuses an unknown code, ``register`` a second kind under a code.
* Real conversions list their warnings under the right code in ``warnings_by_code``.
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

import memconv
from memconv import logmessages
from memconv.logmessages import CATALOGUE, LogMessage, register
from memconv.report import Report

from helpers import FIXTURES, run_cli

REPO = Path(__file__).resolve().parents[1]
SCANNED = ("src", "adapters")

FORWARDS_RECORDED_CODE = {("src/memconv/report.py", "absorb"), ("adapters/agentmemory/reader.py", "rows")}
"""Calls that pass on the code another report already recorded (``Report.absorb``; the AgentMemory
reader's kept memories, whose duplicate-key warnings are given when each is read), not a kind of their own."""


def _constants() -> dict[str, LogMessage]:
    """The module-level kinds of :mod:`memconv.logmessages`, by constant name."""
    return {n: v for n, v in vars(logmessages).items() if isinstance(v, LogMessage) and n.isupper()}


@dataclass
class Call:
    where: str  # "path:line"
    func: str  # the enclosing function's name
    kind: ast.expr | None


@dataclass
class Forwarder:
    """A function that passes one of its parameters on as the kind of a ``report.warn``."""

    path: str
    name: str
    param: str
    index: int  # the parameter's position among the call's positional arguments (self left out)


def _is_report(node: ast.expr) -> bool:
    """``report``, ``options_report``, ``self.report``, ``ctx.report``, ``self.ctx.report``..."""
    if isinstance(node, ast.Name):
        return node.id == "report" or node.id.endswith("_report")
    return isinstance(node, ast.Attribute) and node.attr == "report"


def _kind_arg(call: ast.Call, index: int = 1, name: str = "kind") -> ast.expr | None:
    if len(call.args) > index:
        return call.args[index]
    return next((k.value for k in call.keywords if k.arg == name), None)


def _kind_names(tree: ast.Module, rel: str) -> tuple[set[str], set[str]]:
    """Names bound to kinds from ``memconv.logmessages`` in this module, and names bound to the module."""
    kinds, modules = set(), set()
    inside = rel.startswith("src/memconv/")
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            from_lm = (node.level == 0 and node.module == "memconv.logmessages") or \
                (inside and node.level == 1 and node.module == "logmessages")
            from_pkg = (node.level == 0 and node.module == "memconv") or (inside and node.level == 1 and not node.module)
            for a in node.names:
                if from_lm:
                    kinds.add(a.asname or a.name)
                elif from_pkg and a.name == "logmessages":
                    modules.add(a.asname or a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "memconv.logmessages" and a.asname:
                    modules.add(a.asname)
    return kinds, modules


def _constant_of(expr: ast.expr | None, kinds: set[str], modules: set[str]) -> str | None:
    """The name of the :mod:`memconv.logmessages` constant ``expr`` is, else None."""
    if isinstance(expr, ast.Name) and expr.id in kinds and expr.id in _constants():
        return expr.id
    if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) and expr.value.id in modules \
            and expr.attr in _constants():
        return expr.attr
    return None


def _calls_by_function(tree: ast.Module):
    """``(call, name of the innermost function around it, its parameters)`` for every call of the module;
    a method's parameters leave out ``self``; a call outside any function is in ``"<module>"``."""
    def walk(node, func, params, in_class):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                ps = [a.arg for a in (*child.args.posonlyargs, *child.args.args)]
                yield from walk(child, child.name, ps[1:] if in_class and ps else ps, False)
            elif isinstance(child, ast.ClassDef):
                yield from walk(child, func, params, True)
            else:
                if isinstance(child, ast.Call):
                    yield child, func, params
                yield from walk(child, func, params, in_class)
    yield from walk(tree, "<module>", [], False)


def _scan():
    """Every report warning call, the forwarders, the calls to forwarders, and each module's kind names."""
    warns: list[Call] = []
    forwarders: list[Forwarder] = []
    modules: dict[str, tuple[ast.Module, set[str], set[str]]] = {}
    for top in SCANNED:
        for path in sorted((REPO / top).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            tree = ast.parse(path.read_text(), filename=rel)
            kinds, mods = _kind_names(tree, rel)
            modules[rel] = (tree, kinds, mods)
            in_report = rel == "src/memconv/report.py"
            for node, func, params in _calls_by_function(tree):
                if not (isinstance(node.func, ast.Attribute) and node.func.attr == "warn"):
                    continue
                recv = node.func.value
                if not (_is_report(recv) or (in_report and isinstance(recv, ast.Name) and recv.id == "self")):
                    continue
                kind = _kind_arg(node)
                warns.append(Call(f"{rel}:{node.lineno}", func, kind))
                if isinstance(kind, ast.Name) and kind.id in params and kind.id not in kinds:
                    forwarders.append(Forwarder(rel, func, kind.id, params.index(kind.id)))
    forwarded: list[Call] = []
    for fw in forwarders:
        tree, _kinds, _mods = modules[fw.path]
        for node, func, _params in _calls_by_function(tree):
            if (isinstance(node.func, ast.Attribute) and node.func.attr == fw.name) \
                    or (isinstance(node.func, ast.Name) and node.func.id == fw.name):
                forwarded.append(Call(f"{fw.path}:{node.lineno}", fw.name, _kind_arg(node, fw.index, fw.param)))
    return warns, forwarders, forwarded, modules


WARNS, FORWARDERS, FORWARDED, MODULES = _scan()


def _module_of(where: str) -> str:
    return where.rsplit(":", 1)[0]


def test_the_scan_finds_the_warnings():
    # a scan that matched nothing would pass everything below
    assert len(WARNS) >= 100, len(WARNS)
    assert any(w.where.startswith("adapters/mem0/") for w in WARNS)
    assert any(w.where.startswith("src/memconv/jsonutil.py") for w in WARNS)
    assert {(f.path, f.name) for f in FORWARDERS} >= {("adapters/agentmemory/reader.py", "note")}
    assert len(FORWARDED) >= 4


def test_every_report_warning_passes_a_kind_from_the_catalogue():
    bad = []
    forwarder_sites = {(f.path, f.name) for f in FORWARDERS}
    for w in WARNS:
        path = _module_of(w.where)
        if (path, w.func) in FORWARDS_RECORDED_CODE or (path, w.func) in forwarder_sites:
            continue
        _tree, kinds, mods = MODULES[path]
        const = _constant_of(w.kind, kinds, mods)
        if const is None or const == "OTHER":
            bad.append(f"{w.where}: {ast.unparse(w.kind) if w.kind is not None else 'no kind'}")
    assert not bad, "warnings without a kind of their own:\n" + "\n".join(bad)


def test_a_forwarded_kind_is_given_by_every_caller():
    bad = []
    for w in FORWARDED:
        _tree, kinds, mods = MODULES[_module_of(w.where)]
        const = _constant_of(w.kind, kinds, mods)
        if const is None or const == "OTHER":
            bad.append(f"{w.where}: {w.func}(...) {ast.unparse(w.kind) if w.kind is not None else 'no kind'}")
    assert not bad, "calls to a helper that forwards its kind, without one:\n" + "\n".join(bad)


def test_every_code_is_given_somewhere():
    used = set()
    for w in [*WARNS, *FORWARDED]:
        _tree, kinds, mods = MODULES[_module_of(w.where)]
        const = _constant_of(w.kind, kinds, mods)
        if const:
            used.add(const)
    unused = sorted(set(_constants()) - used - {"OTHER"})
    assert not unused, f"codes no warning gives: {unused}"


def test_each_constant_is_named_after_its_code_and_is_in_the_catalogue():
    consts = _constants()
    assert 20 <= len(consts) - 1 <= 40, len(consts)
    for name, m in consts.items():
        assert name == m.code.upper().replace("-", "_"), (name, m.code)
        assert m.code == m.code.lower() and " " not in m.code and "_" not in m.code, m.code
        assert CATALOGUE[m.code] is m
        assert m.summary and "\n" not in m.summary and not m.summary.endswith("."), m


# ---------------------------------------------------------------- the closed catalogue


def test_warn_refuses_a_code_not_in_the_catalogue():
    r = Report()
    with pytest.raises(ValueError, match="unknown warning code"):
        r.warn("x: something", "no-such-code")
    with pytest.raises(ValueError, match="unknown warning code"):
        r.warn("x: something", LogMessage("no-such-code-either", "never registered"))
    assert r.warnings == [] and r.codes == {}
    r.warn("x: a key twice", logmessages.DUPLICATE_KEY)
    r.warn("x: another", "duplicate-key")  # its code is as good
    assert r.warnings_by_code() == {"duplicate-key": ["x: a key twice", "x: another"]}


def test_register_refuses_a_second_kind_under_a_code():
    with pytest.raises(ValueError, match="already"):
        register(LogMessage("duplicate-key", "something else entirely"))
    assert CATALOGUE["duplicate-key"] is logmessages.DUPLICATE_KEY
    assert register(LogMessage("duplicate-key", logmessages.DUPLICATE_KEY.summary)) == logmessages.DUPLICATE_KEY


def test_a_plugin_kind_is_accepted_once_registered():
    code = "test-logmessages-plugin-kind"
    try:
        mine = register(LogMessage(code, "a plugin's own kind, for this test"))
        r = Report()
        r.warn("plugin: something", mine)
        assert r.to_dict()["warnings_by_code"] == {code: ["plugin: something"]}
    finally:
        CATALOGUE.pop(code, None)


# ---------------------------------------------------------------- real conversions


def _by_code(report: Report) -> dict[str, list[str]]:
    by_code = report.to_dict()["warnings_by_code"]
    assert sum(len(v) for v in by_code.values()) == len(report.warnings)
    assert "other" not in by_code, by_code["other"]
    return by_code


def test_mem0_item_without_id_is_a_derived_id_warning(tmp_path):
    src = tmp_path / "get_all.json"
    src.write_text(json.dumps({"results": [{"memory": "no id here", "user_id": "u"}]}))
    report = memconv.convert(str(src), "canonical", str(tmp_path / "o.json"))
    by_code = _by_code(report)
    assert len(by_code.get("derived-id", [])) == 1, by_code
    assert "derived id" in by_code["derived-id"][0] and "results[0]" in by_code["derived-id"][0]


def test_a_key_given_twice_is_a_duplicate_key_warning(tmp_path):
    src = tmp_path / "get_all.json"
    src.write_text('{"results": [{"id": "m1", "memory": "first", "memory": "second", "user_id": "u"}]}')
    report = memconv.convert(str(src), "canonical", str(tmp_path / "o.json"))
    by_code = _by_code(report)
    dup = by_code.get("duplicate-key", [])
    assert len(dup) == 1 and "'memory'" in dup[0] and "results[0]" in dup[0], by_code
    assert memconv.read(src).records[0].text == "second"


def test_canonical_top_level_key_twice_is_a_duplicate_key_warning(tmp_path):
    first = tmp_path / "c.json"
    memconv.convert(str(FIXTURES / "agentmemory" / "real_export_seeded.json"), "canonical", str(first))
    raw = first.read_text()
    assert raw.lstrip().startswith("{")
    twice = tmp_path / "twice.json"
    twice.write_text('{"format": "memconv-canonical", ' + raw.lstrip()[1:])
    report = memconv.convert(str(twice), "canonical", str(tmp_path / "o.json"))
    dup = _by_code(report).get("duplicate-key", [])
    assert any("'format'" in w and "$" in w for w in dup), report.warnings


def test_agentmemory_notes_carry_their_kind(tmp_path):
    """AgentMemory's ``note`` forwards the kind its caller gives: a row without an id is ``derived-id``,
    a value of the wrong type ``bad-value``."""
    doc = orjson.loads((FIXTURES / "agentmemory" / "real_export_seeded.json").read_bytes())
    doc["memories"][0].pop("id")
    doc["exportedAt"] = 7
    src = tmp_path / "am.json"
    src.write_bytes(orjson.dumps(doc))
    report = memconv.convert(str(src), "canonical", str(tmp_path / "o.json"))
    by_code = _by_code(report)
    assert any("memories[0]" in w and "derived id" in w for w in by_code.get("derived-id", [])), by_code
    assert any(w.startswith(f"{src}: exportedAt: expected a string") for w in by_code.get("bad-value", [])), by_code


def test_report_file_lists_warnings_by_code(tmp_path):
    src = tmp_path / "get_all.json"
    src.write_text(json.dumps({"results": [{"memory": "no id here", "user_id": "u"}]}))
    rep = tmp_path / "report.json"
    proc = run_cli(src, "--to", "canonical", "-o", tmp_path / "o.json", "--report", rep)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(rep.read_text())
    assert list(data["warnings_by_code"]) == ["derived-id"]
    assert data["warnings_by_code"]["derived-id"] == data["warnings"]
