"""``meterhub webhooks deliver --once`` sends the store's due deliveries to a real endpoint on 127.0.0.1, signed,
and records them; ``--json`` prints the run's counts."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from meterhub.api.webhooks import HEADER, verify
from tests.api.receiver import Receiver, receiver_fixture  # noqa: F401 (the fixture)
from tests.cli.conftest import Country

QUEUED = datetime(2026, 1, 1, tzinfo=UTC)


def test_deliver_once_sends_what_is_due(country: Country, receiver: Receiver) -> None:
    store = country.store()
    try:
        esp = store.add_party("esp", "esp-hooks", "ESP with hooks")
        store.add_webhook(esp, receiver.url, ("data.new",), "whsec_cli", QUEUED)
        assert store.enqueue_webhook(esp, "data.new", {"event": "data.new", "metering_point": 7}, QUEUED) == 1
    finally:
        store.close()
    res = country.invoke("webhooks", "deliver", "--once", "--json", "--deployment", "test")  # http to 127.0.0.1
    assert res.exit_code == 0, res.stdout
    run = json.loads(res.stdout)
    assert (run["delivered"], run["retrying"], run["given_up"]) == (1, 0, 0)
    ((headers, body),) = receiver.got
    t = int(headers[HEADER].split(",")[0].removeprefix("t="))
    assert verify("whsec_cli", body, headers[HEADER], t) and json.loads(body)["metering_point"] == 7
    res = country.invoke("webhooks", "deliver", "--once", "--deployment", "test")
    assert res.exit_code == 0 and "delivered 0" in res.stdout
    assert len(receiver.got) == 1
