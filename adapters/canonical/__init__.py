"""Placeholder until the canonical adapter lands."""

from memconv.format import Format


class _Pending(Format):
    name = "canonical"
    title = "(not yet implemented)"


FORMAT = _Pending()
