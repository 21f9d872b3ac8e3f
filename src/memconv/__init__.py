"""memconv: convert AI-agent memory between Letta, mem0 and AgentMemory through one canonical model.

Library use::

    import memconv
    bundle = memconv.read("agent.af")                       # a Bundle: header + records
    memconv.write(bundle, "agentmemory", "out.json")        # returns a Report
    report = memconv.convert("agent.af", to="agentmemory", output="out.json")
    for item in memconv.iter_records("agent.af"):           # the stream: Header, then records
        ...
    memconv.write_records(items, "agentmemory", "out.json")
"""

from typing import Any

_EXPORTS = {
    "convert": ".pipeline", "iter_records": ".pipeline", "read": ".pipeline", "write": ".pipeline",
    "write_records": ".pipeline", "Bundle": ".model", "Header": ".model", "SCHEMA_VERSION": ".model",
    "Report": ".report", "ExitCode": ".errors", "MemconvError": ".errors",
}


def __getattr__(name: str) -> Any:
    """The public names, imported on first use: ``import memconv`` stays cheap, so the command line
    installs its signal handlers before the heavy modules (pydantic models) load."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version as _version

        try:
            value = _version("memconv")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            value = "0.0.0"
    elif name in _EXPORTS:
        from importlib import import_module

        value = getattr(import_module(_EXPORTS[name], __name__), name)
    else:
        raise AttributeError(f"module 'memconv' has no attribute {name!r}")
    globals()[name] = value
    return value


__all__ = ["convert", "iter_records", "read", "write", "write_records", "Bundle", "Header", "Report",
           "ExitCode", "MemconvError", "SCHEMA_VERSION", "__version__"]
