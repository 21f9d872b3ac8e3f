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

from importlib.metadata import PackageNotFoundError, version as _version

from .errors import ExitCode, MemconvError
from .model import SCHEMA_VERSION, Bundle, Header
from .pipeline import convert, iter_records, read, write, write_records
from .report import Report

try:
    __version__ = _version("memconv")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

__all__ = ["convert", "iter_records", "read", "write", "write_records", "Bundle", "Header", "Report",
           "ExitCode", "MemconvError", "SCHEMA_VERSION", "__version__"]
