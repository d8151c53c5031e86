"""The demo's tariffs: each of the four suppliers publishes one (flat, day/night, three periods with weekend and
holiday rates, seasonal) at 2026 Luxembourg energy prices, every household's supplier of record has one in force,
and running the market again publishes nothing twice."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from meterhub.demo_market import SUPPLIERS, populate
from meterhub.mdm.tariffs import tariff_from_dict
from meterhub.store import Store

START = datetime(2024, 12, 1, tzinfo=UTC)


def test_four_suppliers_publish_tariffs_and_every_household_has_one(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    dso = store.add_dso("creos", "Creos")
    points = [store.add_metering_point(f"LU00000000000000000000000000{n:05d}", dso) for n in range(30)]
    market = populate(store, START)
    assert market.tariffs == 5  # Enovos's 2026 price is a second version
    kinds = {}
    for code, _name in SUPPLIERS:
        party = store.party_by_code("supplier", code)
        assert party is not None
        versions = store.tariff_versions(party.id)
        assert versions and versions[0].valid_from == date(2024, 12, 1)
        tariff = tariff_from_dict(versions[-1].definition)
        assert all(0.11 <= r.price_eur_kwh <= 0.20 for r in tariff.rates), tariff
        assert 0 < tariff.fixed_eur_month < 10
        kinds[code] = (len(tariff.rates), len(tariff.seasons), tariff.holiday_day_id is not None)
    assert kinds == {"enovos": (1, 1, False), "leo": (2, 1, True), "electris": (3, 1, True),
                     "sudenergie": (2, 2, False)}  # fmt: skip
    enovos = store.tariff_versions(store.party_by_code("supplier", "enovos").id)  # type: ignore[union-attr]
    assert [(v.valid_from, v.valid_to) for v in enovos] == [
        (date(2024, 12, 1), date(2026, 1, 1)),
        (date(2026, 1, 1), None),
    ]
    today = date(2026, 12, 2)
    in_force = {t.supplier_id for t in store.tariffs_on(today)}
    for pid, history in store.point_histories(points).items():
        assert history.suppliers and history.suppliers[-1].party_id in in_force, pid
    populate(store, START)
    assert len(store.tariff_versions()) == 5
    store.close()
