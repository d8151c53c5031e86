"""Supplier tariff versions in the store (migration 0007), on SQLite and PostgreSQL: publishing closes the open
version, history is not rewritten, only suppliers publish, and the versions in force on a day."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest

from meterhub.mdm.costing import cost_with_versions, versions_of
from meterhub.mdm.tariffs import single_rate, tariff_from_dict
from meterhub.store import Store
from meterhub.store.tariffs import TariffStoreError
from tests.mdm.tariff_cases import tou
from tests.pg import BACKENDS, open_store

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    with open_store(request.param, tmp_path) as s:
        yield s


def test_versions_over_time(store: Store) -> None:
    enovos = store.add_party("supplier", "enovos", "Enovos")
    sudstroum = store.add_party("supplier", "sudstroum", "Sudstroum")
    old = tou(fixed=3.0)
    store.publish_tariff(enovos, old.name, old.to_dict(), date(2025, 1, 1), now=NOW)
    new = single_rate(old.name, 0.25)
    store.publish_tariff(enovos, new.name, new.to_dict(), date(2026, 1, 1), now=NOW)
    store.publish_tariff(
        sudstroum, "Naturstroum", single_rate("Naturstroum", 0.27).to_dict(), date(2025, 6, 1), now=NOW
    )

    versions = store.tariff_versions(enovos)
    assert [(v.valid_from, v.valid_to) for v in versions] == [
        (date(2025, 1, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), None),
    ]
    assert tariff_from_dict(versions[0].definition) == old  # the JSON comes back as published
    assert versions[0].created_at == NOW
    on_2025 = store.tariffs_on(date(2025, 12, 31))
    assert [(v.supplier_id, v.name, v.valid_from) for v in on_2025] == [
        (enovos, "Heim TOU", date(2025, 1, 1)),
        (sudstroum, "Naturstroum", date(2025, 6, 1)),
    ]
    assert [v.valid_from for v in store.tariffs_on(date(2026, 1, 1), enovos)] == [date(2026, 1, 1)]
    assert store.tariffs_on(date(2024, 12, 31)) == []
    # the stored versions price a series: Wednesday 31 Dec 2025 under the TOU version, 1 Jan 2026 flat
    kwh = np.full(192, 0.25)
    c = cost_with_versions(versions_of(versions), kwh, date(2025, 12, 31), date(2026, 1, 1))
    assert c.energy_eur == pytest.approx(15 * 0.30 + 9 * 0.20 + 24 * 0.25)
    assert c.fixed_eur == pytest.approx(3.0 / 31)  # the flat version has no standing charge


def test_refusals(store: Store) -> None:
    supplier = store.add_party("supplier", "leo", "LEO")
    dso = store.add_party("dso", "creos", "Creos")
    flat = single_rate("Flat", 0.25).to_dict()
    with pytest.raises(TariffStoreError, match="not a supplier"):
        store.publish_tariff(dso, "Flat", flat, date(2026, 1, 1), now=NOW)
    store.publish_tariff(supplier, "Flat", flat, date(2026, 1, 1), now=NOW)
    with pytest.raises(TariffStoreError, match="already has a version from 2026-01-01"):
        store.publish_tariff(supplier, "Flat", flat, date(2026, 1, 1), now=NOW)
    with pytest.raises(TariffStoreError, match="not after"):
        store.publish_tariff(supplier, "Other", flat, date(2026, 1, 1), now=NOW, valid_to=date(2025, 1, 1))
    assert len(store.tariff_versions()) == 1  # nothing else written


def test_drafts_publication_and_withdrawal(store: Store) -> None:
    """Migration 0013: a draft has no period and is in force nowhere; publishing cuts the running version; a
    withdrawal ends a version, and one withdrawn before it starts never was in force (its predecessor runs on)."""
    leo = store.add_party("supplier", "leo", "Leo")
    flat = single_rate("Duo", 0.15).to_dict()
    draft = store.add_tariff_draft(leo, "Duo", flat, now=NOW)
    got = store.get_tariff(draft)
    assert got is not None and got.status == "draft" and got.valid_from is None and not got.covers(date(2026, 1, 1))
    assert store.tariff_versions(leo) == [] and store.tariffs_on(date(2030, 1, 1)) == []
    assert [t.id for t in store.tariff_versions(leo, statuses=("draft",))] == [draft]
    store.publish_tariff_draft(draft, date(2026, 1, 1))
    with pytest.raises(TariffStoreError, match="not a draft"):
        store.publish_tariff_draft(draft, date(2026, 2, 1))
    v2 = store.add_tariff_draft(leo, "Duo", single_rate("Duo", 0.14).to_dict(), now=NOW)
    with pytest.raises(TariffStoreError, match="later day"):
        store.publish_tariff_draft(v2, date(2026, 1, 1))
    store.publish_tariff_draft(v2, date(2026, 7, 1))
    assert [(t.valid_from, t.valid_to) for t in store.tariff_versions(leo)] == [
        (date(2026, 1, 1), date(2026, 7, 1)), (date(2026, 7, 1), None)
    ]  # fmt: skip
    # v2 withdrawn before it starts: never in force, v1 runs on
    store.withdraw_tariff(v2, date(2026, 6, 1), now=NOW)
    w = store.get_tariff(v2)
    assert w is not None and w.status == "withdrawn" and w.valid_from is None and w.withdrawn_at == NOW
    assert [(t.id, t.valid_to) for t in store.tariffs_on(date(2026, 8, 1), leo)] == [(draft, None)]
    # v1 withdrawn from 1 September: in force up to then, nowhere after
    store.withdraw_tariff(draft, date(2026, 9, 1), now=NOW)
    assert [t.status for t in store.tariffs_on(date(2026, 8, 31), leo)] == ["withdrawn"]
    assert store.tariffs_on(date(2026, 9, 1), leo) == []
    with pytest.raises(TariffStoreError, match="only a published tariff"):
        store.withdraw_tariff(draft, date(2026, 10, 1), now=NOW)
    # priced up to the withdrawal (versions_of leaves out what never was in force)
    versions = versions_of(store.tariff_versions(leo))
    assert [(v.valid_from, v.valid_to) for v in versions] == [(date(2026, 1, 1), date(2026, 9, 1))]
