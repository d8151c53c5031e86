"""schemathesis over the API's OpenAPI document on a small market (SQLite): generated requests to every operation,
as the operator with a session and CSRF token, answer without a server error, and every error is problem+json.

The operations are driven through schemathesis's programmatic API (each operation's hypothesis strategy) rather
than its pytest plugin, which does not run under pytest 9 yet.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from meterhub.api.app import create_api
from meterhub.api.auth import Settings
from meterhub.security.throttle import BucketPolicy
from tests.api.conftest import make_market
from tests.pg import open_store

EXAMPLES = 40
"""Generated requests per operation."""


@pytest.mark.parametrize("who", ["op", "carol"])
def test_no_server_error_and_every_error_is_problem_json(tmp_path: Path, who: str) -> None:
    """As the operator (every read) and as a customer (the consent operations)."""
    with open_store("sqlite", tmp_path) as store:
        market = make_market(store)
        headers = market.login(who)
        cookies = dict(market.client.cookies)
        roomy = BucketPolicy(capacity=1_000_000, refill_per_s=1)
        settings_ = Settings(store, market.clock, client_bucket=roomy, user_bucket=roomy, anonymous_bucket=roomy)
        schema = schemathesis.openapi.from_asgi("/openapi.json", create_api(store, settings=settings_))
        # logging out ends the session the other operations use: last
        operations = sorted((r.ok() for r in schema.get_all_operations()), key=lambda op: op.label.endswith("logout"))
        assert len(operations) >= 16
        seen: dict[str, set[int]] = {}
        for operation in operations:

            @given(case=operation.as_strategy())
            @settings(
                max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None,
                derandomize=True,  # the same requests every run: the figures below are facts, not luck
            )  # fmt: skip
            def check(case: Any) -> None:
                label = case.operation.label
                r = case.call(headers=headers, cookies=cookies)
                seen.setdefault(label, set()).add(r.status_code)
                assert r.status_code < 500, f"{label} {case.formatted_path}: {r.status_code} {r.text[:300]}"
                if r.status_code >= 400:
                    ctype = r.headers.get("content-type") or [""]
                    ctype = ctype[0] if isinstance(ctype, list) else ctype
                    assert ctype.startswith("application/problem+json"), f"{label}: {r.status_code} {r.text[:300]}"
                    body = r.json()
                    assert body["status"] == r.status_code and body["type"].startswith("https://")

            check()
        assert set(seen) == {op.label for op in operations}
        answered = {label for label, statuses in seen.items() if statuses & {200, 201}}
        assert len(answered) >= 6, seen  # the session held: many operations answered successfully too
