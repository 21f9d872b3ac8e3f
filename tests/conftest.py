"""Shared fixtures. The real Letta server is one session-scoped fixture for every test module
(``tests/letta_server.py``); a module that imported the fixture itself would get its own instance,
which would wait on the port lock the first one holds."""

from letta_server import letta_server  # noqa: F401
from agentmemory_server import agentmemory_server, agentmemory_worker  # noqa: F401,E402
from letta_code import letta_code  # noqa: F401,E402
