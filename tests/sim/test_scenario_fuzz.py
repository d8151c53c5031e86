"""Fault scenario files are external input: whatever JSON they hold, :meth:`FaultScenario.from_dict` gives a
scenario or a :class:`ScenarioError` naming the JSON path, never another exception. Random documents near the
schema (the right keys with values of any JSON type, huge integers, NaN and infinities as ``json.loads`` reads
them), a short run in the default suite and a long one marked ``slow``.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from meterhub.sim.consumption.scenarios import FAULT_TYPES, FaultScenario, ScenarioError

_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**300, max_value=10**400),  # json.loads reads any size of integer
    st.floats(allow_nan=True, allow_infinity=True),  # json.loads reads NaN, Infinity, -Infinity
    st.text(max_size=12),
    st.sampled_from(["all", "2026-01-05T00:00:00+01:00", "2026-01-05T06:00:00Z", "2026-01-05", "x"]),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12,
)
_times = st.one_of(
    st.sampled_from(["2026-01-05T00:00:00+01:00", "2026-01-06T00:00:00Z", "2026-01-04T23:00:00Z"]), _json
)
_params = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "channels": st.one_of(
                st.lists(st.one_of(st.sampled_from([1, 2, 4, 101, 104, 0, 5]), _json), max_size=4), _json
            ),
            "value": st.one_of(st.integers(), st.floats(), _json),
            "offset_s": st.one_of(st.integers(), st.floats(), _json),
            "persistent": _json,
        },
    ),
    _json,
)
_meters = st.one_of(
    st.lists(st.one_of(st.text(min_size=1, max_size=6), _json), max_size=3),
    st.fixed_dictionaries({}, optional={"fraction": _json, "seed": _json}),
    st.just("all"),
    _json,
)
_fault = st.one_of(
    st.fixed_dictionaries(
        {"type": st.one_of(st.sampled_from(FAULT_TYPES), _json)},
        optional={"meters": _meters, "start": _times, "end": _times, "params": _params, "other": _json},
    ),
    _json,
)
_document = st.one_of(
    st.fixed_dictionaries({"faults": st.one_of(st.lists(_fault, max_size=3), _json)}, optional={"name": _json}),
    _json,
)


def _parse(document: Any) -> None:
    try:
        scenario = FaultScenario.from_dict(document)
    except ScenarioError as exc:
        assert str(exc).startswith("$"), f"the message does not start with a JSON path: {exc}"
        return
    for fault in scenario.faults:  # what parses is usable: numbers are finite, windows ordered
        assert fault.type in FAULT_TYPES and fault.start < fault.end
        assert math.isfinite(fault.offset_s) and fault.value > 0 and 0.0 <= fault.fraction <= 1.0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document)
def test_any_scenario_document_parses_or_names_its_bad_field(document: Any) -> None:
    _parse(document)


@pytest.mark.slow
@pytest.mark.timeout(1800)
@settings(max_examples=3_000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_document)
def test_any_scenario_document_parses_or_names_its_bad_field_long_run(document: Any) -> None:
    _parse(document)


@pytest.mark.parametrize(
    "text",
    [
        '{"faults": [{"type": "spike", "meters": "all", "start": "2026-01-05T00:00:00Z",'
        ' "end": "2026-01-05T01:00:00Z", "params": {"value": 1e400}}]}',
        '{"faults": [{"type": "spike", "meters": "all", "start": "2026-01-05T00:00:00Z",'
        ' "end": "2026-01-05T01:00:00Z", "params": {"value": NaN}}]}',
        '{"faults": [{"type": "spike", "meters": {"fraction": 1' + "0" * 400 + "},"
        ' "start": "2026-01-05T00:00:00Z", "end": "2026-01-05T01:00:00Z"}]}',
        '{"faults": [{"type": "spike", "meters": "all", "start": "2026-01-05T00:00:00Z",'
        ' "end": "2026-01-05T01:00:00Z", "params": {"channels": [[1]]}}]}',
        '{"faults": [{"type": "clock_shift", "meters": "all", "start": "2026-01-05T00:00:00Z",'
        ' "end": "2026-01-05T01:00:00Z", "params": {"offset_s": Infinity}}]}',
    ],
)
def test_numbers_json_reads_but_a_scenario_cannot_use_are_refused_by_path(text: str) -> None:
    with pytest.raises(ScenarioError, match=r"^\$\.faults\[0\]"):
        FaultScenario.from_dict(json.loads(text))
