"""The import contracts bite: a forbidden import added to a temporary copy of the source tree makes ``lint-imports``
fail, naming the contract and the import — the layers one (dlms → p1, cosem → p1, store → mdm, mdm → transport,
hes ↔ sim), the rules beside it (sim → store, portal → hes, the p1 core → transport, transport → store), and a
new package, which fails until it is given a layer and then fails again if it imports upward or is imported from
below (the layers contract is exhaustive: nothing slips past it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

LAYERS = (
    "meterhub layers: cli > demo > portal > api > ops > hes | sim > p1 : transport > mdm > security > store > cosem"
    " > dlms > country"
)
SIM = "sim never imports the platform (mdm, store) nor the p1 reader's edges"
PORTAL = "portal reads through mdm/store, never hes, sim or the transport"
P1_CORE = "the p1 core is sans-io: only its own modules, no I/O, no clock, no asyncio, none of its own edges"
TRANSPORT = "transport drives the sans-io cores: it imports only dlms and the p1 core"
NOT_LISTED = "The following modules are not listed as layers"


def _lint_imports() -> str:
    found = Path(sys.executable).with_name("lint-imports")
    return str(found) if found.exists() else shutil.which("lint-imports") or "lint-imports"


def _tree(tmp_path: Path) -> Path:
    """A copy of src/ and pyproject.toml in ``tmp_path``; returns the copy of src/meterhub."""
    shutil.copytree(ROOT / "src", tmp_path / "src", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path / "src" / "meterhub"


def _run(tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports on the copy (its src/ first on the path, before the editable install of the checkout)."""
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "COLUMNS": "400", "NO_COLOR": "1"}
    return subprocess.run(
        [_lint_imports(), "--config", str(tmp_path / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def _add_import(package: Path, module: str) -> None:
    """Append ``import module`` to a package's ``__init__.py`` (every package has one, whatever its layout)."""
    init = package / "__init__.py"
    init.write_text(init.read_text() + f"\nimport {module}  # added by tests/test_layers.py\n")


def _place_layer(tmp_path: Path, above: str, new: str) -> None:
    """Give the new package a layer of its own just above ``above`` in the copy's layers contract."""
    config = tmp_path / "pyproject.toml"
    text = config.read_text()
    marker = f'  "{above}",\n'
    assert text.count(marker) == 1, f"layer {above!r} not found once in the layers contract"
    config.write_text(text.replace(marker, f'  "{new}",\n{marker}'))


def test_the_copy_of_the_tree_keeps_every_contract(tmp_path: Path) -> None:
    _tree(tmp_path)
    result = _run(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("importer", "imported", "contract", "message"),
    [
        ("dlms", "meterhub.p1", LAYERS, "meterhub.dlms is not allowed to import meterhub.p1"),
        ("cosem", "meterhub.p1.frame", LAYERS, "meterhub.cosem is not allowed to import meterhub.p1"),
        ("store", "meterhub.mdm", LAYERS, "meterhub.store is not allowed to import meterhub.mdm"),
        ("mdm", "meterhub.transport", LAYERS, "meterhub.mdm is not allowed to import meterhub.transport"),
        ("hes", "meterhub.sim", LAYERS, "meterhub.hes is not allowed to import meterhub.sim"),
        ("sim", "meterhub.hes", LAYERS, "meterhub.sim is not allowed to import meterhub.hes"),
        ("sim", "meterhub.store", SIM, "meterhub.sim -> meterhub.store"),
        ("portal", "meterhub.hes", PORTAL, "meterhub.portal -> meterhub.hes"),
        ("p1/receiver.py", "meterhub.transport", P1_CORE, "meterhub.p1.receiver -> meterhub.transport"),
        ("transport", "meterhub.store", TRANSPORT, "meterhub.transport -> meterhub.store"),
    ],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, importer: str, imported: str, contract: str, message: str
) -> None:
    src = _tree(tmp_path)
    if importer.endswith(".py"):
        module = src / importer
        module.write_text(module.read_text() + f"\nimport {imported}  # added by tests/test_layers.py\n")
    else:
        _add_import(src / importer, imported)
    result = _run(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    broken = result.stdout.split("Broken contracts", 1)[-1]
    assert f"{contract} BROKEN" in result.stdout and message in broken, result.stdout


def _new_package(src: Path, body: str = "") -> None:
    (src / "newpkg").mkdir()
    (src / "newpkg" / "__init__.py").write_text(f'"""A package the contracts have not heard of."""\n{body}')


def test_a_new_package_fails_until_it_is_given_a_layer(tmp_path: Path) -> None:
    _new_package(_tree(tmp_path))
    result = _run(tmp_path)
    assert result.returncode == 1 and f"{LAYERS} BROKEN" in result.stdout, result.stdout
    assert NOT_LISTED in result.stdout and "- meterhub.newpkg" in result.stdout


def test_a_new_module_fails_until_it_is_given_a_layer(tmp_path: Path) -> None:
    (_tree(tmp_path) / "newmod.py").write_text('"""A module the contracts have not heard of."""\n')
    result = _run(tmp_path)
    assert result.returncode == 1 and NOT_LISTED in result.stdout and "- meterhub.newmod" in result.stdout


def test_a_placed_new_package_is_held_to_its_layer(tmp_path: Path) -> None:
    src = _tree(tmp_path)
    _new_package(src)
    _place_layer(tmp_path, "dlms", "newpkg")  # between cosem and dlms
    assert _run(tmp_path).returncode == 0  # placed and importing nothing: kept
    (src / "newpkg" / "__init__.py").write_text('"""Imports upward."""\nimport meterhub.store\n')
    result = _run(tmp_path)
    assert result.returncode == 1, result.stdout
    assert "meterhub.newpkg is not allowed to import meterhub.store" in result.stdout
    (src / "newpkg" / "__init__.py").write_text('"""Imports nothing."""\n')
    _add_import(src / "dlms", "meterhub.newpkg")  # and imported from below
    result = _run(tmp_path)
    assert result.returncode == 1 and "meterhub.dlms is not allowed to import meterhub.newpkg" in result.stdout
