"""Fixtures of the fuzz tests: :func:`dlms_cpu_alarm` installs the DLMS fuzzer's CPU-time alarm handler around a
test (the modules that need it ask for it with ``pytestmark = pytest.mark.usefixtures("dlms_cpu_alarm")``), so
that :func:`tests.fuzz.dlms_harness.guarded` can stop a call that would never return."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fuzz.dlms_harness import cpu_alarm


@pytest.fixture
def dlms_cpu_alarm() -> Iterator[None]:
    with cpu_alarm():
        yield
