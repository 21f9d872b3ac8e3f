#!/bin/sh
# Install the peer tool, memlink-bridge ("Pandoc for AI memories"), from PyPI into its own venv:
#     benchmarks/peer/.venv/bin/memlink
# Pinned for reproducible numbers; MEMLINK_VERSION=x.y.z overrides, PYTHON=... picks the interpreter.
# `pip index versions memlink-bridge` lists what PyPI has (1.0.11 was the newest when measured).
# None of memlink's code is kept in this repository: only this script and the command in ../run.py.
set -eu
cd "$(dirname "$0")"
VERSION="${MEMLINK_VERSION:-1.0.11}"
PY="${PYTHON:-python3}"
if [ -x .venv/bin/memlink ] && .venv/bin/python -m pip show memlink-bridge 2>/dev/null | grep -qx "Version: $VERSION"; then
    exit 0
fi
"$PY" -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check "memlink-bridge==$VERSION"
.venv/bin/python -m pip show memlink-bridge | grep -x "Version: $VERSION"
