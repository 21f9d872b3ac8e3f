"""JSON parsing and writing shared by the adapters, with errors that name the place.

orjson parses and serialises; :func:`loads` parses a whole document or one JSON-L line, strips a
UTF-8 byte-order mark, and undoes double encoding (a JSON string holding a JSON document, as
``json.dump(client.agents.export_file(...))`` writes Letta files).

One error mapping for every parse path: :func:`json_error` turns a failure of orjson, pydantic's
parser or ijson (yajl2_c or pure-Python backend, on a streamed file) into one line,
``FILE: line L, column C: <what was expected>``, found again by :func:`locate` in constant memory:
:class:`~memconv.errors.InputUnreadable` (exit 3) for bytes that are not UTF-8,
:class:`~memconv.errors.InputInvalid` (exit 4) for the rest (truncated input, a trailing comma...).

Lone surrogate escapes (``"\ud800"`` with no low surrogate after it, a lone ``"\udc00"``) are refused
on every path (exit 4, with the place): orjson refuses them, ijson's C backend would turn a high one
into ``?`` and fail on a low one, no UTF-8 output can hold them, and Letta's and mem0's stores cannot
either. :func:`scan_numbers`, the pass every streamed reader makes first, finds them.

Duplicate keys keep the last value (as orjson, Python's ``json`` and JavaScript's ``JSON.parse`` do)
and are warned about with the JSON path of their object (``results[7]``, ``$`` for the top level,
``line 3`` for a JSON-L line): :func:`loads` (whole documents), :class:`DupDict` and
:func:`check_dups` (ijson's streamed items), :func:`line_dups` (JSON-L lines).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, BinaryIO, Iterable, Iterator

import orjson

from .errors import InputInvalid, InputUnreadable, MemconvError
from .logmessages import DOUBLE_ENCODED, DUPLICATE_KEY

BOM = b"\xef\xbb\xbf"


def json_type(v: Any) -> str:
    """A JSON value's type in words, for messages: ``an object``, ``an array``, ``a string``,
    ``a number``, ``a boolean``, ``null``."""
    if isinstance(v, bool):
        return "a boolean"
    if isinstance(v, dict):  # also an object the streaming parser built (DupDict)
        return "an object"
    return {list: "an array", str: "a string", type(None): "null", int: "a number",
            float: "a number"}.get(type(v), type(v).__name__)


def json_type_at(obj: dict[str, Any], key: str) -> str:
    """:func:`json_type` of ``obj[key]``, or ``no such key`` when ``obj`` lacks it (a missing key is
    not a null)."""
    return json_type(obj[key]) if key in obj else f"no {key!r} key"


def open_skip_bom(inp: Any) -> BinaryIO:
    """``inp.open()`` (a :class:`memconv.io.Input`), positioned after a UTF-8 byte order mark when the
    file starts with one (JSON readers that parse with ijson need the bare text)."""
    fh = inp.open()
    if fh.read(3) != BOM:
        fh.seek(0)
    return fh
BIG_INT_LITERAL = re.compile(rb"[:\[,]\s*-?[0-9]{19}")
"""An integer literal of 19 or more digits in value position (after ``:``, ``[`` or ``,``): possibly
beyond 64 bits, which orjson would make a float and ijson's C backend refuses."""


_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_RUN = b"0" * 19
"""19 digits in a row once every digit is ``0``: what any :data:`BIG_INT_LITERAL` match holds."""
_WINDOW = 1 << 14
"""Bytes :func:`has_big_int` filters at a time (its copies stay this small)."""


def has_big_int(data: bytes) -> bool:
    """True when ``data`` may hold a JSON integer of 19 or more digits (a digit run inside a string
    right after ``: `` also counts; that only costs speed).

    A byte filter runs first, at C speed, on windows of up to 16 KiB (the copies it makes stay that
    small): every digit made ``0``, then 19 zeros in a row searched for. Whatever
    :data:`BIG_INT_LITERAL` matches holds 19 digits in a row, so the pattern itself is searched only in
    a window where the filter found such a run. A window ends just after a ``"``, which no match
    holds, so no match is cut in two."""
    n, start = len(data), 0
    while start < n:
        end = min(n, start + _WINDOW)
        if end < n:
            cut = data.rfind(b'"', start, end)
            if cut < start:  # no quote in 16 KiB (a vast run of digits or spaces): the pattern on the rest
                return BIG_INT_LITERAL.search(data, start) is not None
            end = cut + 1
        if _RUN in data[start:end].translate(_DIGITS_AS_ZERO) and BIG_INT_LITERAL.search(data, start, end):
            return True
        start = end
    return False


DUP_CHECK_BYTES = 64 * 1024 * 1024
"""Documents up to this size are also checked for duplicate keys (a second, stdlib parse)."""


def loads(data: bytes, name: str, *, undo_double: bool = True, report: Any = None,
          line: int | None = None) -> Any:
    """Parse one JSON document (a whole file, or one JSON-L line).

    Args:
        data: the bytes. name: the input's display name for messages.
        undo_double: when the document is a JSON string that itself parses as an object or array,
            return that (and warn through ``report`` if given).
        report: receives warnings (duplicate keys, with the JSON path of each object; double encoding).
        line: the line number of a JSON-L line: places are then ``line N, column C`` of the file, and
            JSON paths start with ``line N``.

    Raises:
        InputUnreadable: the bytes are not UTF-8 (line and column of the first bad byte).
        InputInvalid: not JSON, a lone surrogate escape, an empty document; the message has line and
            column and what was expected (:func:`json_error`).
    """
    if data.startswith(BOM):
        data = data[len(BOM):]
    if not data.strip():
        where = f"line {line}: " if line is not None else ""
        raise InputInvalid(f"{name}: {where}{EXPECTED['empty']}")
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError as e:
        raise json_error(name, data, e, line=line) from None
    big = has_big_int(data)
    if len(data) <= DUP_CHECK_BYTES or big:
        exact = _stdlib_loads(data, name, report, line)
        if big:
            doc = exact  # orjson turned integers beyond 64 bits into floats; keep them exact
    if undo_double and isinstance(doc, str) and doc.lstrip()[:1] in ("{", "["):
        inner_bytes = doc.encode("utf-8", "surrogatepass")
        try:
            inner = orjson.loads(inner_bytes)
        except orjson.JSONDecodeError as e:
            err = json_error(f"{name}: double-encoded JSON: the inner document", inner_bytes, e)
            raise type(err)(err.message) from None
        if report is not None:
            report.warn(f"{name}: JSON was double-encoded (a string holding the document); decoded it", DOUBLE_ENCODED)
        return inner
    return doc


def _stdlib_loads(data: bytes, name: str, report: Any, line: int | None = None) -> Any:
    """Parse with the standard library: exact big integers, and duplicate keys reported with the
    JSON path of their object."""
    dups: list[tuple[dict[str, Any], str]] = []

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out = dict(items)
        if len(out) != len(items):
            seen: set[str] = set()
            for k, _ in items:
                if k in seen:
                    dups.append((out, k))
                seen.add(k)
        return out

    def bad_constant(c: str) -> Any:
        raise InputInvalid(f"{name}: {c} is not valid JSON (NaN and Infinity are refused)")

    def check_float(text: str) -> float:
        value = float(text)
        if value in (float("inf"), float("-inf")):
            raise InputInvalid(f"{name}: the number {text} is beyond float range (infinity)")
        return value

    try:
        doc = json.loads(data, object_pairs_hook=pairs, parse_constant=bad_constant, parse_float=check_float)
    except (ValueError, RecursionError):
        return orjson.loads(data)
    if dups and report is not None:
        warn_duplicates(report, name, doc, dups, f"line {line}" if line is not None else "")
    return doc


# ---------------------------------------------------------------- duplicate keys


_DUPS: list[list[Any]] = []
"""``[object, key, age]`` for each key :class:`DupDict` saw given twice; :func:`check_dups` takes them."""
_DUPS_AGE = 100_000
"""Checks after which a noted duplicate no value claimed is dropped (ijson's C backend builds the items
of a whole buffer before it yields the first, so a duplicate may be noted a few items early)."""


class DupDict(dict):  # type: ignore[type-arg]
    """A ``dict`` that notes a key given twice (the last value is kept, as orjson, Python's ``json``
    and JavaScript's ``JSON.parse`` keep it). Pass it as ijson's ``map_type`` (``items``,
    ``kvitems``, ``ObjectBuilder``), then call :func:`check_dups` on each value built."""

    __slots__ = ()

    def __setitem__(self, key: str, value: Any) -> None:
        if key in self:
            _DUPS.append([self, key, 0])
        dict.__setitem__(self, key, value)


def check_dups(value: Any, report: Any, name: str, path: str) -> None:
    """Warn (through ``report``, when given) about the duplicate keys :class:`DupDict` noted in the
    objects of ``value``; ``path`` is the JSON path of ``value`` (``results[7]``). Costs nothing when
    no key was given twice."""
    if not _DUPS:
        return
    paths = _paths_of(value, {id(d[0]) for d in _DUPS}, path)
    mine = [(d[0], d[1]) for d in _DUPS if id(d[0]) in paths]
    rest = [d for d in _DUPS if id(d[0]) not in paths and d[2] < _DUPS_AGE]
    for d in rest:
        d[2] += 1
    _DUPS[:] = rest
    if mine and report is not None:
        warn_duplicates(report, name, value, mine, path)


def warn_duplicates(report: Any, name: str, doc: Any, dups: list[tuple[Any, str]], base: str = "") -> None:
    """One warning per object with duplicate keys: ``FILE: results[7]: duplicate key(s) 'memory' in
    one object; the last value of each was used``. ``base`` is the JSON path of ``doc`` ("" or
    ``$``: the top level)."""
    keys: dict[int, list[str]] = {}
    objs: dict[int, Any] = {}
    for obj, key in dups:
        keys.setdefault(id(obj), [])
        if key not in keys[id(obj)]:
            keys[id(obj)].append(key)
        objs[id(obj)] = obj
    paths = _paths_of(doc, set(keys), base)
    for n, oid in enumerate(keys):
        if n == 20:
            report.warn(f"{name}: {len(keys) - 20} more objects with duplicate keys", DUPLICATE_KEY)
            break
        where = paths.get(oid) or base or "$"
        shown = ", ".join(repr(k) for k in keys[oid][:5])
        report.warn(f"{name}: {where}: duplicate key(s) {shown} in one object; the last value of each was used",
                    DUPLICATE_KEY)


def _paths_of(doc: Any, wanted: set[int], base: str) -> dict[int, str]:
    """The JSON path of each object in ``doc`` whose ``id`` is in ``wanted``."""
    out: dict[int, str] = {}
    stack: list[tuple[Any, str]] = [(doc, base)]
    while stack and len(out) < len(wanted):
        value, path = stack.pop()
        if isinstance(value, dict):
            if id(value) in wanted:
                out[id(value)] = path or "$"
            for k, v in value.items():
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{path}.{k}" if path else str(k)))
        elif isinstance(value, list):
            for i, v in enumerate(value):
                if isinstance(v, (dict, list)):
                    stack.append((v, f"{path}[{i}]"))
    return out


def quoted_counts(open_: Any, names: tuple[str, ...]) -> dict[str, int]:
    """How many times each of ``names`` occurs quoted (``"name"``) anywhere in a document's bytes: one
    pass at C speed, 1 MiB at a time, no parse. 0 means the name is no key of the document (a key spelled
    with ``\\u`` escapes of plain letters is not counted, which no JSON writer does); more may count
    the name in values too.

    Args:
        open_: a callable returning a fresh binary stream of the document (BOM skipped).
    """
    needles = [b'"' + n.encode() + b'"' for n in names]
    counts = [0] * len(names)
    keep = max(len(n) for n in needles) - 1
    with open_() as fh:
        tail = b""
        while True:
            chunk = fh.read(1 << 20)
            if not chunk:
                break
            for i, nd in enumerate(needles):  # in the chunk, and across its start (no copy of the chunk)
                k = len(nd) - 1
                counts[i] += chunk.count(nd) + (tail[len(tail) - k:] + chunk[:k]).count(nd)
            tail = (tail + chunk[:keep])[-keep:] if len(chunk) < keep else chunk[-keep:]
            del chunk
    return dict(zip(names, counts))


def top_keys_twice(open_: Any, names: tuple[str, ...], ij: Any,
                   found: dict[str, int] | None = None) -> dict[str, int]:
    """How many times each of ``names`` is given at the top level of a streamed document, for the
    names given more than once (``{}`` almost always).

    A byte count of each quoted name runs first (:func:`quoted_counts`); only when a name occurs twice
    anywhere does an event pass (ijson backend ``ij``) count the top-level keys exactly.

    Args:
        open_: a callable returning a fresh binary stream of the document (BOM skipped).
        found: receives the byte counts of :func:`quoted_counts` (0: the key is not there, so a streamed
            pass over it can be skipped).
    """
    counts = quoted_counts(open_, names)
    if found is not None:
        found.update(counts)
    suspects = {n for n, c in counts.items() if c > 1}
    if not suspects:
        return {}
    import ijson

    given: dict[str, int] = {}
    depth = 0
    with open_() as fh:
        try:
            for ev, val in ij.basic_parse(fh, use_float=True):
                if ev == "map_key" and depth == 1 and val in suspects:
                    given[val] = given.get(val, 0) + 1
                elif ev in ("start_map", "start_array"):
                    depth += 1
                elif ev in ("end_map", "end_array"):
                    depth -= 1
        except (ijson.JSONError, UnicodeDecodeError):
            pass  # bad JSON: the reading pass that follows says where
    return {k: n for k, n in given.items() if n > 1}


def last_items(fh: BinaryIO, key: str, times: int, ij: Any, whole: bool = False) -> Iterator[Any]:
    """The elements of the array at top-level ``key`` given ``times`` times: those of its last
    occurrence (as ``JSON.parse``, orjson and Python's ``json`` keep it), built one at a time as
    :class:`DupDict` (``whole``: the last value itself, once). Python-speed: only for a key given twice."""
    it = iter(ij.basic_parse(fh, use_float=True))
    depth, seen = 0, 0
    for ev, val in it:
        if ev == "map_key" and depth == 1 and val == key:
            seen += 1
            if seen == times:
                ev, val = next(it)
                if whole or ev != "start_array":
                    yield build_value(it, ev, val)
                    return
                for ev, val in it:
                    if ev == "end_array":
                        return
                    yield build_value(it, ev, val)
                return
        elif ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1


def build_value(it: Iterator[tuple[str, Any]], ev: str, val: Any) -> Any:
    """The whole value that starts with ijson event ``(ev, val)`` of ``it``, objects built as
    :class:`DupDict` (so repeated keys can be reported); a scalar is returned as it is."""
    if ev not in ("start_map", "start_array"):
        return val
    import ijson

    b = ijson.ObjectBuilder(map_type=DupDict)
    b.event(ev, val)
    depth = 1
    for ev, val in it:
        b.event(ev, val)
        if ev in ("start_map", "start_array"):
            depth += 1
        elif ev in ("end_map", "end_array"):
            depth -= 1
            if not depth:
                break
    return b.value


def count_keys(value: Any) -> int:
    """The number of object keys in ``value`` (dicts and lists as orjson builds them), nested ones
    included."""
    n = 0
    if value.__class__ is dict:
        n = len(value)
        value = value.values()
    elif value.__class__ is not list:
        return 0
    for v in value:
        c = v.__class__
        if c is dict or c is list:
            n += count_keys(v)
    return n


_SCALARS = (int, bool, type(None))


def first_unplain(record: Any) -> tuple[str, str, bool] | None:
    """The first thing in a record (a pydantic model: its fields, and the fields of the models it holds
    as fields, ``scope``, ``provenance``) that is not a JSON value as a parser builds it (a dict with
    string keys, a list, a string, a finite number, a boolean, None): a set, a tuple, bytes, a
    Decimal, a datetime, a model inside a JSON value, a dict with other keys, a NaN or infinite float,
    a string holding a lone surrogate (no UTF-8 for it). None when everything is plain.

    Returns:
        ``(place, what, fixable)``: a JSON path (``metadata.when``), what is there (``a Python set``,
        ``a key that is a Python int``), and whether pydantic's JSON mode gives it a JSON form (a lone
        surrogate has none).
    """
    for name, v in record.__dict__.items():
        c = v.__class__
        if c in _SCALARS or (c is str and v.isascii()):
            continue
        if hasattr(c, "__pydantic_fields__"):  # a nested model field (Scope, Provenance)
            found = first_unplain(v)
            if found is not None:
                return (f"{name}.{found[0]}" if found[0] else name), found[1], found[2]
        elif not _plain(v):  # walked again with paths only when something is there to name
            return _unplain_at(v, name)
    return None


def _plain(value: Any) -> bool:
    c = value.__class__
    if c in _SCALARS:
        return True
    if c is str:
        return value.isascii() or _surrogate(value, "") is None
    if c is float:
        return math.isfinite(value)
    if c is dict:
        for k, v in value.items():
            if k.__class__ is not str or not (k.isascii() or _surrogate(k, "") is None):
                return False
            if v.__class__ not in _SCALARS and not (v.__class__ is str and v.isascii()) and not _plain(v):
                return False
        return True
    if c is list:
        for v in value:
            if v.__class__ not in _SCALARS and not (v.__class__ is str and v.isascii()) and not _plain(v):
                return False
        return True
    return False


def _unplain_at(value: Any, path: str) -> tuple[str, str, bool] | None:
    c = value.__class__
    if c in _SCALARS:
        return None
    if c is str:
        return _surrogate(value, path)
    if c is float:
        return None if math.isfinite(value) else (path, f"a float {value!r}, which JSON has no number for", True)
    if c is dict:
        for k, v in value.items():
            if k.__class__ is not str:
                return jpath(path, str(k)), f"a key that is {_python_type(k)}", True
            where = jpath(path, k)
            found = _surrogate(k, where) or _unplain_at(v, where)
            if found is not None:
                return found
        return None
    if c is list:
        for i, v in enumerate(value):
            found = _unplain_at(v, f"{path}[{i}]")
            if found is not None:
                return found
        return None
    return path, _python_type(value), True


def _surrogate(text: str, path: str) -> tuple[str, str, bool] | None:
    if text.isascii():
        return None
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        return path, f"a lone surrogate (U+{ord(text[e.start]):04X}) in a string", False
    return None


def _python_type(value: Any) -> str:
    name = type(value).__name__
    return f"a Python {name}" if name != "object" else "a Python object"


def json_lines(fh: Iterable[bytes], name: str, report: Any, exact_ints: bool = True) -> Iterator[tuple[int, bytes, Any]]:
    """``(line number, line, value)`` for each non-blank line of a JSON-L file: a UTF-8 byte order mark
    on line 1 is skipped; integers beyond 64 bits are parsed exactly (``exact_ints``; a caller that
    parses the line again itself, exactly, passes False and skips that check); a key given twice in
    an object is warned about through ``report`` with its line and JSON path.

    Raises:
        InputInvalid: a line that is not JSON, with its line and column.
    """
    for lineno, raw in enumerate(fh, 1):
        if lineno == 1 and raw.startswith(BOM):
            raw = raw[len(BOM):]
        if not raw.strip():
            continue
        try:
            obj = orjson.loads(raw)
        except orjson.JSONDecodeError as e:
            body = raw.rstrip(b"\r\n")  # a line cut short is placed where it ends, not after its newline
            try:
                orjson.loads(body)
            except orjson.JSONDecodeError as inner:
                e = inner
            raise json_error(name, body, e, line=lineno) from None
        if exact_ints and has_big_int(raw):  # orjson made integers beyond 64 bits floats; parse exactly
            obj = loads(raw, name, undo_double=False, report=report, line=lineno)
        else:
            line_dups(raw, obj, name, lineno, report)
        yield lineno, raw, obj


def line_dups(raw: bytes, parsed: Any, name: str, line: int, report: Any) -> None:
    """Warn about duplicate keys in one JSON-L line already parsed (by orjson) into ``parsed``.

    A key given twice leaves fewer keys in ``parsed`` than the line has ``":``, so a second, exact
    parse runs only when the two counts differ (a key given twice, or a line with a space before a
    colon or ``\":`` inside a string). About 1.5 µs a line otherwise.
    """
    if raw.count(b'":') != count_keys(parsed):
        _stdlib_loads(raw, name, report, line)


def scan_numbers(fh: BinaryIO, name: str) -> bool:
    """Scan a stream before it is streamed: for integers that ijson's C backend cannot keep (it
    refuses them with "integer overflow"; numbers beyond float range it refuses too, which is what
    memconv wants), and for lone surrogate escapes, which ijson's C backend would turn into ``?``
    (high) or fail on (low) and its Python backend would keep, where orjson refuses them.

    Returns:
        True when it may hold an integer of 19+ digits: read it with ijson's pure-Python backend.
        (A long digit run inside a string also counts; that only costs speed.)

    Raises:
        InputInvalid: a lone surrogate escape (``\\ud800`` not followed by a low one, or a lone
            ``\\udc00``-``\\udfff``), with its line and column.
    """
    origin = fh.tell()
    tail = b""
    start = 0  # bytes of ``tail`` already judged (context for backslash runs)
    big = False
    base = 0  # offset of ``tail + chunk`` in the stream
    while True:
        chunk = fh.read(1 << 20)  # 1 MiB at a time: memory stays flat
        buf = tail + chunk
        stop = len(buf) if not chunk else len(buf) - 12  # a high surrogate's partner may follow
        found = _surrogates(buf, start, stop) if stop > start else None
        if found is not None:
            raise _surrogate_error(fh, origin, name, base + found[0], found[1])
        if not chunk:
            return big
        if not big and has_big_int(buf):
            big = True
        judged = max(start, stop)
        keep = min(len(buf), len(buf) - judged + 64)
        start = keep - (len(buf) - judged)
        base += len(buf) - keep
        tail = buf[-keep:] if keep else b""
        del buf, chunk  # before the next read: one MiB in memory at a time, not three


def _surrogate_error(fh: BinaryIO, origin: int, name: str, offset: int, esc: str) -> InputInvalid:
    fh.seek(origin)
    line, col = _line_col(iter(lambda: fh.read(CHUNK), b""), offset)
    return InputInvalid(f"{name}: line {line}, column {col}: invalid JSON: "
                        + EXPECTED["surrogate"].replace("{esc}", esc))


def ijson_backend(big_ints: bool) -> Any:
    """ijson's C backend, or its pure-Python one when the input holds integers beyond 64 bits
    (the C backend refuses them with "integer overflow")."""
    import ijson

    return ijson.get_backend("python") if big_ints else ijson


# ---------------------------------------------------------------- one error mapping for every parse path
#
# orjson (whole documents, JSON-L lines), pydantic's parser (canonical JSON-L lines) and ijson (streamed
# documents, yajl2_c or pure-Python backend) each fail in their own words, some with a character or
# byte offset and some (yajl2_c: "premature EOF (right here) ------^") with none. Whatever failed,
# :func:`json_error` finds the fault again with :func:`locate`, which reads the text in constant memory
# (a streamed file of any size gets an exact line and column), and words it one way.

CHUNK = 64 * 1024

EXPECTED = {
    "eof": "the document ends early (truncated?): expected more JSON",
    "trailing-comma-array": "a trailing comma before ']': expected another value after ','",
    "trailing-comma-object": "a trailing comma before '}': expected another key after ','",
    "trailing-data": "more data after the end of the JSON document: expected the end of the input",
    "colon": "expected ':' after an object key",
    "key": "expected an object key in double quotes",
    "array-sep": "expected ',' or ']' after an array element",
    "object-sep": "expected ',' or '}' after an object member",
    "value": "expected a JSON value (NaN, Infinity, comments, single quotes and bare words are not JSON)",
    "number": "a malformed number",
    "control": "a control character inside a string: expected it escaped (\\n, \\t, \\u0000...)",
    "escape": "an invalid escape in a string: expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\u and four hex digits",
    "surrogate": ("a lone surrogate escape {esc} in a string: expected a high surrogate (\\ud800-\\udbff) "
                  "followed by a low one (\\udc00-\\udfff); memconv refuses lone surrogates"),
    "infinity": "a number beyond float range (infinity)",
    "empty": "empty input: expected a JSON document",
}
"""memconv's words for each kind of JSON fault (``{esc}``: the surrogate escape)."""

_YAJL = (  # (text in the message of yajl2_c or ijson's Python backend, kind)
    ("premature EOF", "eof"),
    ("Incomplete", "eof"),
    ("trailing garbage", "trailing-data"),
    ("Additional data", "trailing-data"),
    ("separated by a colon", "colon"),
    ("invalid object key", "key"),
    ("after array element", "array-sep"),
    ("after key and value", "object-sep"),
    ("malformed number", "number"),
    ("Invalid JSON number", "number"),
    ("invalid character inside string", "control"),
    ("control character", "control"),
    ("occurs before a character which it may not", "escape"),
    ("non-hex", "escape"),
    ("escape", "escape"),
    ("UTF8", "utf8"),
)
_ORJSON = (  # (text in orjson's or pydantic's message, kind)
    ("unexpected end", "eof"),
    ("EOF", "eof"),
    ("empty", "empty"),
    ("trailing comma", "trailing-comma"),
    ("after document", "trailing-data"),
    ("trailing characters", "trailing-data"),
    ("expected ':'", "colon"),
    ("expected `:`", "colon"),
    ("string key", "key"),
    ("key must be a string", "key"),
    ("expected ',' or ']'", "array-sep"),
    ("expected `,` or `]`", "array-sep"),
    ("expected ',' or '}'", "object-sep"),
    ("expected `,` or `}`", "object-sep"),
    ("surrogate", "surrogate"),
    ("infinity", "infinity"),
    ("digit", "number"),
    ("number", "number"),
    ("control character", "control"),
    ("escape", "escape"),
)

_SURROGATE_HINT = re.compile(rb"\\u[dD][89a-fA-F]")
_ESCAPE_U = re.compile(rb"(\\+)u([dD][89a-fA-F][0-9a-fA-F]{2})")
_LOW = re.compile(rb"\\u[dD][c-fC-F][0-9a-fA-F]{2}")
_TOKEN_CHARS = frozenset(b"0123456789+-.eEtruefalsn")


class JsonFault:
    """Where a JSON text goes wrong: byte ``offset``, 1-based ``line`` and ``column`` (characters),
    ``kind`` (a key of :data:`EXPECTED`, or ``"utf8"``: bytes that are not UTF-8) and ``detail`` (the
    surrogate escape, the bad byte)."""

    __slots__ = ("offset", "line", "column", "kind", "detail")

    def __init__(self, offset: int, kind: str, detail: str = "", line: int = 1, column: int = 1):
        self.offset, self.kind, self.detail, self.line, self.column = offset, kind, detail, line, column

    def what(self) -> str:
        """memconv's words for the fault."""
        if self.kind == "utf8":
            return f"not UTF-8 text (byte {self.detail})"
        return "invalid JSON: " + EXPECTED.get(self.kind, self.kind).replace("{esc}", self.detail)

    def __repr__(self) -> str:
        return f"JsonFault({self.kind!r}, line {self.line}, column {self.column}, offset {self.offset})"


def _surrogates(buf: bytes, start: int, stop: int) -> tuple[int, str] | None:
    """The first lone surrogate escape whose backslash is at an offset in ``[start, stop)`` of
    ``buf``: ``(offset, escape)``. A high surrogate's partner must be within ``buf`` (callers keep 12
    bytes past ``stop``); backslash runs are counted from ``buf``'s start."""
    if _SURROGATE_HINT.search(buf, start) is None:
        return None
    paired_low = -1
    for m in _ESCAPE_U.finditer(buf):
        if len(m.group(1)) % 2 == 0:
            continue  # an escaped backslash, then the letters "ud8.."
        esc = m.end(1) - 1
        if esc >= stop:
            return None
        if esc == paired_low:
            continue
        if int(m.group(2), 16) <= 0xDBFF and _LOW.match(buf, m.end()):
            paired_low = m.end()
            continue
        if esc >= start:
            return esc, "\\u" + m.group(2).decode().lower()
    return None


def _line_col(chunks: Iterable[bytes], offset: int) -> tuple[int, int]:
    """1-based line and column (in characters) of byte ``offset`` of the text given in ``chunks``."""
    line, chars, seen = 1, 0, 0
    for chunk in chunks:
        part = chunk[:max(0, offset - seen)]
        nl = part.count(b"\n")
        if nl:
            line += nl
            chars = len(part[part.rfind(b"\n") + 1:].decode("utf-8", "replace"))
        else:
            chars += len(part.decode("utf-8", "replace"))
        seen += len(chunk)
        if seen >= offset:
            break
    return line, chars + 1


def _chunks(source: Any) -> Iterator[bytes]:
    """The text of ``source`` (bytes, or a callable opening a fresh binary stream), BOM skipped."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        if data.startswith(BOM):
            data = data[len(BOM):]
        for i in range(0, len(data), CHUNK):
            yield data[i:i + CHUNK]
        return
    with source() as fh:
        first = True
        while True:
            chunk = fh.read(CHUNK)
            if first and chunk.startswith(BOM):
                chunk = chunk[len(BOM):]
            first = False
            if not chunk:
                return
            yield chunk


class _Sink:
    def send(self, value: Any) -> None:
        pass


def _kind(text: str, table: tuple[tuple[str, str], ...]) -> str | None:
    for needle, kind in table:
        if needle in text:
            return kind
    return None


def _token_start(buf: bytes, j: int) -> int:
    """Start of the token that yajl completed at ``buf[j]`` (it reports a fault once the token
    that causes it is read whole: the closing quote of a string, the byte after a number)."""
    if buf[j:j + 1] == b'"':
        i = j - 1
        while i >= 0:
            if buf[i:i + 1] == b'"':
                k = i
                while k > 0 and buf[k - 1:k] == b"\\":
                    k -= 1
                if (i - k) % 2 == 0:
                    return i
            i -= 1
        return j
    if j > 0 and buf[j - 1] in _TOKEN_CHARS and buf[j:j + 1] not in (b"{", b"["):
        i = j - 1
        while i > 0 and buf[i - 1] in _TOKEN_CHARS:
            i -= 1
        return i
    return j


def locate(source: Any) -> JsonFault | None:
    """The first fault of a JSON text, or None when it is valid JSON.

    Args:
        source: the bytes, or a callable returning a fresh binary stream of them (a leading UTF-8
            byte-order mark is skipped), e.g. :meth:`memconv.io.Input.open`.

    Returns:
        A :class:`JsonFault`: bytes that are not UTF-8 (``"utf8"``), a lone surrogate escape, or the
        first syntax fault, found by yajl (ijson's C backend) fed the text 64 KiB at a time and then
        the failing 64 KiB one byte at a time (the faulty token's start is reported; a trailing
        comma is reported at the comma). Constant memory; at most three passes over the text.
        yajl accepts numbers beyond float range, which orjson refuses: None then.
    """
    import codecs

    import ijson

    yajl = ijson.get_backend("yajl2_c") if ijson.backend == "yajl2_c" else ijson
    decoder = codecs.getincrementaldecoder("utf-8")()
    parser = yajl.basic_parse_coro(_Sink())
    tail, start, base = b"", 0, 0  # as in scan_numbers
    content = False
    fault: JsonFault | None = None
    failed: tuple[int, int] | None = None  # (index, offset) of the 64 KiB yajl failed in
    for index, chunk in enumerate(_chunks(source)):
        content = content or bool(chunk.strip())
        pending = decoder.getstate()[0]
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as u:
            bad = (pending + chunk)[u.start:u.start + 1]
            fault = JsonFault(max(base + len(tail) - len(pending) + u.start, 0), "utf8",
                              f"0x{bad.hex()}" if bad else "sequence")
        buf = tail + chunk
        found = _surrogates(buf, start, len(buf) - 12)
        if found is not None and (fault is None or base + found[0] < fault.offset):
            fault = JsonFault(base + found[0], "surrogate", found[1])
        if failed is None:
            try:
                parser.send(chunk)
            except Exception:
                failed = (index, base + len(tail))
        if fault is not None or failed is not None:
            break
        judged = max(start, len(buf) - 12)
        keep = min(len(buf), len(buf) - judged + 64)
        start = keep - (len(buf) - judged)
        base += len(buf) - keep
        tail = buf[-keep:] if keep else b""
    else:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            fault = JsonFault(base + len(tail), "utf8", "sequence cut short at the end")
        found = _surrogates(tail, start, len(tail)) if fault is None else None
        if found is not None:
            fault = JsonFault(base + found[0], "surrogate", found[1])
        if fault is None:
            try:
                parser.close()
            except Exception as e:
                kind = "empty" if not content else _kind(str(e), _YAJL) or "eof"
                fault = JsonFault(base + len(tail), kind)
    if failed is not None:
        syntax = _replay(source, yajl, *failed)
        if syntax is not None and (fault is None or syntax.offset < fault.offset):
            fault = syntax
    if fault is not None:
        fault.line, fault.column = _line_col(_chunks(source), fault.offset)
    return fault


def _replay(source: Any, yajl: Any, index: int, offset: int) -> JsonFault | None:
    """Feed yajl the text again, the ``index``-th 64 KiB one byte at a time: the exact fault."""
    parser = yajl.basic_parse_coro(_Sink())
    prev = b""
    for i, chunk in enumerate(_chunks(source)):
        if i < index:
            parser.send(chunk)
            prev = chunk
            continue
        window = prev[-4096:] + chunk
        shift = offset - (len(window) - len(chunk))
        for j in range(len(chunk)):
            try:
                parser.send(chunk[j:j + 1])
            except Exception as e:
                w = len(window) - len(chunk) + j
                if isinstance(e, UnicodeDecodeError):  # yajl2_c building a str from a lone low surrogate
                    found = _surrogates(window, _token_start(window, w), w + 1)
                    if found is not None:
                        return JsonFault(shift + found[0], "surrogate", found[1])
                    return JsonFault(shift + _token_start(window, w), "utf8", "sequence")
                kind = _kind(str(e), _YAJL)
                if kind == "utf8":  # the UTF-8 decoder of the first pass has the exact byte
                    return JsonFault(shift + w, "utf8", "sequence")
                before = window[:w].rstrip()
                if kind in (None, "key", "value") and before[-1:] == b"," and window[w:w + 1] in (b"]", b"}"):
                    return JsonFault(shift + len(before) - 1,
                                     "trailing-comma-array" if window[w:w + 1] == b"]" else "trailing-comma-object")
                return JsonFault(shift + _token_start(window, w), kind or "value")
        return None
    return None


def json_error(name: str, source: Any, exc: BaseException | None = None, *, line: int | None = None,
               where: str = "") -> MemconvError:
    """The one mapping from a JSON parse failure to memconv's one-line error.

    Args:
        name: the input's display name. source: the text (bytes, or a callable opening a fresh
            binary stream of it, as :meth:`memconv.io.Input.open`). exc: what the parser raised
            (orjson's ``JSONDecodeError``, pydantic's ``ValidationError`` of type ``json_invalid``,
            ijson's ``JSONError`` from yajl2_c or the Python backend, ``UnicodeDecodeError``), used
            only when :func:`locate` finds no fault (a number beyond float range).
        line: the JSON-L line number the text is: the place is that line of the file.
        where: a JSON path or record to name as well (``results[7]``).

    Returns:
        :class:`~memconv.errors.InputUnreadable` (exit 3) for bytes that are not UTF-8,
        :class:`~memconv.errors.InputInvalid` (exit 4) otherwise, worded
        ``FILE: line L, column C: <what was expected>``.
    """
    fault = locate(source)
    if fault is None and exc is not None:
        fault = _from_exception(exc)
    prefix = f"{name}: {where}: " if where else f"{name}: "
    if fault is None:
        text = " ".join(str(exc).split())[:200] if exc is not None else "unknown fault"
        return InputInvalid(f"{prefix}invalid JSON ({text})")
    ln = line if line is not None else fault.line
    if fault.kind == "empty":
        place = f"line {line}: " if line is not None else ""
        return InputInvalid(f"{prefix}{place}{EXPECTED['empty']}")
    cls = InputUnreadable if fault.kind == "utf8" else InputInvalid
    return cls(f"{prefix}line {ln}, column {fault.column}: {fault.what()}")


def _from_exception(exc: BaseException) -> JsonFault | None:
    """A fault from a parser's own report, when :func:`locate` finds none (yajl accepts 1e400)."""
    if isinstance(exc, orjson.JSONDecodeError):
        kind = _kind(exc.msg, _ORJSON) or exc.msg
        return JsonFault(exc.pos, kind, "", exc.lineno, exc.colno)
    text = str(exc)
    m = re.search(r"line (\d+) column (\d+)", text)
    if m:
        return JsonFault(0, _kind(text, _ORJSON) or text, "", int(m.group(1)), int(m.group(2)))
    return None


def dumps(value: Any, *, indent: bool = False) -> bytes:
    """Serialise with orjson (UTF-8; ``indent`` gives 2-space indentation, as Letta's exporter).

    Integers beyond 64 bits, which orjson cannot write, are written exactly by the standard library.
    """
    opts = orjson.OPT_NON_STR_KEYS
    if indent:
        opts |= orjson.OPT_INDENT_2
    try:
        return orjson.dumps(value, option=opts)
    except TypeError as e:
        if "64-bit" not in str(e):
            raise
        return json.dumps(value, ensure_ascii=False, indent=2 if indent else None,
                          separators=None if indent else (",", ":")).encode()


def jpath(*parts: str | int) -> str:
    """A JSON path such as ``agents[0].block_ids[2]``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            out += ("." if out else "") + p
    return out
