"""MDM fixtures: ``store`` and the module-wide ``shared_store`` on every backend (SQLite and, from
``MH_PG_DSN``, PostgreSQL; see :mod:`tests.pg`). A test module that defines its own ``store`` keeps it."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from meterhub.store import Store
from tests.pg import BACKENDS, open_store


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


@pytest.fixture(scope="module", params=BACKENDS)
def shared_store(request: pytest.FixtureRequest) -> Iterator[Store]:
    with tempfile.TemporaryDirectory() as d, open_store(request.param, Path(d)) as s:
        yield s
