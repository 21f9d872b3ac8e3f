"""The installed package ships ``py.typed`` (PEP 561), so users' type checkers read memconv's types."""

from importlib.resources import files


def test_py_typed_is_shipped():
    assert (files("memconv") / "py.typed").is_file()
