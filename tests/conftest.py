"""Shared test fixtures: the reference vectors in ../shared/vectors."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

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
