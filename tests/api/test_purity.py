"""The policy core (api.policy, rights, spans) and the security modules stay pure: their imports, and no clock.

import-linter's contracts (pyproject.toml) keep the layers apart; this test pins the narrower promise of these
modules' docstrings — the standard library's pure parts, their own package and the libraries named here, nothing
else (no store, no web framework, no hes/sim/portal/cli) — and that no module reads the clock.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "meterhub"
PURE_STDLIB = {
    "__future__", "base64", "collections", "dataclasses", "datetime", "functools", "gzip", "hashlib", "hmac",
    "importlib", "ipaddress", "math", "re", "secrets", "threading", "typing", "unicodedata",
}  # fmt: skip
ALLOWED = {
    "api": PURE_STDLIB - {"secrets", "threading", "gzip", "importlib", "hashlib", "hmac", "base64"} | {"meterhub.api"},
    "security": PURE_STDLIB | {"argon2", "zxcvbn", "pyotp", "segno", "meterhub.security"},
}
CLOCK = ("datetime.now", "datetime.utcnow", "date.today", "time.time", "time.monotonic", ".now(")


PURE_CORE = {"api": ("__init__", "policy", "rights", "spans")}
"""The pure modules of a package that also holds impure ones (api's web layer, its store-backed service)."""


def modules(package: str) -> list[Path]:
    found = sorted((SRC / package).glob("*.py"))
    core = PURE_CORE.get(package)
    return found if core is None else [p for p in found if p.stem in core]


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def allowed(name: str, package: str) -> bool:
    return any(name == a or name.startswith(a + ".") for a in ALLOWED[package])


@pytest.mark.parametrize("package", ["api", "security"])
def test_imports_are_pure(package: str) -> None:
    assert modules(package)
    for path in modules(package):
        bad = sorted(n for n in imported(path) if not allowed(n, package))
        assert not bad, f"{path.relative_to(SRC)} imports {bad}"


@pytest.mark.parametrize("package", ["api", "security"])
def test_no_clock(package: str) -> None:
    for path in modules(package):
        text = path.read_text()
        assert not [c for c in CLOCK if c in text], f"{path.relative_to(SRC)} reads the clock: pass now in"
