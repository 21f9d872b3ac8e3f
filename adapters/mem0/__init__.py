"""Placeholder until the mem0 adapter lands."""

from memconv.format import Format


class _Pending(Format):
    name = "mem0"
    title = "(not yet implemented)"


FORMAT = _Pending()
