"""Shared test fixtures: the reference vectors in ../shared/vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

# Hypothesis' default 200 ms deadline per example is a wall-clock assertion: it fails on a loaded 2-core machine.
# Speed belongs in benchmarks/, so no property test has a deadline; pytest-timeout remains the hang guard.
settings.register_profile("meterhub", deadline=None)
settings.load_profile("meterhub")

ROOT = Path(__file__).resolve().parent.parent
VECTORS = Path(os.environ.get("MH_VECTORS", ROOT.parent / "shared" / "vectors"))


def load_vector(name: str) -> dict[str, Any]:
    """Load one DLMS reference vector by name (file name without .json)."""
    path = VECTORS / "dlms" / f"{name}.json"
    if not path.exists():
        pytest.fail(f"reference vector {path} is missing: ../shared must lie beside the checkout")
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def hx(s: str) -> bytes:
    """Hex string from a vector to bytes."""
    return bytes.fromhex(s)
