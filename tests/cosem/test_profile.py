"""The national meter profile: complete, unique, consistent with the interface classes."""

from __future__ import annotations

from decimal import Decimal

import pytest

from meterhub.cosem import obis as o
from meterhub.cosem.classes import INTERFACE_CLASSES, CaptureObject, ClassId
from meterhub.cosem.obis import Obis
from meterhub.cosem.profile import (
    LOAD_PROFILE_CAPTURE_OBJECTS,
    LOAD_PROFILE_CAPTURE_PERIOD,
    MBUS_PROFILE_CAPTURE_PERIOD,
    NATIONAL_PROFILE,
    PROFILE_BY_OBIS,
    PROFILE_GENERICS,
    mbus_profile_capture_objects,
    profile_object,
    public_objects,
)
from meterhub.cosem.units import Unit


def test_obis_codes_are_unique() -> None:
    codes = [p.obis for p in NATIONAL_PROFILE]
    assert len(codes) == len(set(codes))
    assert len(PROFILE_BY_OBIS) == len(NATIONAL_PROFILE)


def test_every_class_is_registered() -> None:
    for p in NATIONAL_PROFILE:
        assert p.class_id in INTERFACE_CLASSES, p
        assert p.interface_class.class_id == p.class_id
        assert p.description


@pytest.mark.parametrize(
    ("code", "class_id"),
    [
        ("0.0.1.0.0.255", 8),
        ("0.0.42.0.0.255", 1),
        ("0.0.96.1.0.255", 1),
        ("0.0.43.1.0.255", 1),
        ("0.0.43.0.0.255", 64),
        ("0.0.40.0.0.255", 15),
        ("1.0.1.8.0.255", 3),
        ("1.0.2.8.0.255", 3),
        ("1.0.3.8.0.255", 3),
        ("1.0.4.8.0.255", 3),
        ("1.0.1.8.1.255", 3),
        ("1.0.1.8.2.255", 3),
        ("1.0.2.8.1.255", 3),
        ("1.0.2.8.2.255", 3),
        ("1.0.99.1.0.255", 7),
        ("0.0.96.10.1.255", 1),
        ("0.1.24.1.0.255", 72),
        ("0.4.24.1.0.255", 72),
        ("0.2.24.2.1.255", 4),
        ("0.1.24.3.0.255", 7),
        ("0.0.96.3.10.255", 70),
        ("0.3.24.4.0.255", 70),
        ("0.0.96.3.1.255", 70),
        ("0.0.96.3.2.255", 70),
        ("0.0.13.0.0.255", 20),
        ("0.0.99.98.0.255", 7),
        ("0.0.99.98.5.255", 7),
        ("0.0.99.97.0.255", 7),
        ("1.0.32.7.0.255", 3),
        ("1.0.52.7.0.255", 3),
        ("1.0.72.7.0.255", 3),
        ("1.0.31.7.0.255", 3),
        ("1.0.51.7.0.255", 3),
        ("1.0.71.7.0.255", 3),
        ("1.0.32.32.0.255", 1),
        ("1.0.32.36.0.255", 1),
        ("1.0.72.36.0.255", 1),
        ("0.0.97.98.0.255", 1),
        ("0.0.97.98.10.255", 1),
        ("0.0.25.9.0.255", 40),
        ("0.0.44.0.0.255", 18),
    ],
)
def test_design_table_objects_present(code: str, class_id: int) -> None:
    assert profile_object(code).class_id == class_id


def test_profile_object_lookup() -> None:
    assert profile_object(o.CLOCK).public_readable
    assert profile_object("0-0:1.0.0").obis == o.CLOCK
    with pytest.raises(KeyError):
        profile_object(Obis(1, 0, 1, 8, 3))


def test_public_client_reads_only_the_public_objects() -> None:
    public = {p.obis for p in public_objects()}
    assert public == {o.LOGICAL_DEVICE_NAME, o.CLOCK, o.INVOCATION_COUNTER, o.ASSOCIATION_LN}


def test_register_scaler_units() -> None:
    for code in (o.ACTIVE_ENERGY_IMPORT, o.ACTIVE_ENERGY_EXPORT, o.ACTIVE_ENERGY_IMPORT_T1):
        su = profile_object(code).scaler_unit
        assert su is not None and su.unit is Unit.WATT_HOUR
    su = profile_object(o.REACTIVE_ENERGY_EXPORT).scaler_unit
    assert su is not None and su.unit is Unit.VAR_HOUR
    su = profile_object(o.VOLTAGE_L2).scaler_unit
    assert su is not None and su.unit is Unit.VOLT and su.apply(2301) == Decimal("230.1")
    for p in NATIONAL_PROFILE:
        if p.scaler_unit is not None:
            assert p.class_id in (ClassId.REGISTER, ClassId.EXTENDED_REGISTER, ClassId.DEMAND_REGISTER)


def test_load_profile_capture_objects() -> None:
    expected = (
        CaptureObject(8, o.CLOCK, 2, 0),
        CaptureObject(1, o.PROFILE_STATUS, 2, 0),
        CaptureObject(3, o.ACTIVE_ENERGY_IMPORT, 2, 0),
        CaptureObject(3, o.ACTIVE_ENERGY_EXPORT, 2, 0),
        CaptureObject(3, o.REACTIVE_ENERGY_IMPORT, 2, 0),
        CaptureObject(3, o.REACTIVE_ENERGY_EXPORT, 2, 0),
    )
    assert expected == LOAD_PROFILE_CAPTURE_OBJECTS
    lp = PROFILE_GENERICS[o.LOAD_PROFILE_15MIN]
    assert lp.capture_period == LOAD_PROFILE_CAPTURE_PERIOD == 900
    assert lp.capture_objects == LOAD_PROFILE_CAPTURE_OBJECTS


def test_mbus_profile_capture_objects() -> None:
    hourly = PROFILE_GENERICS[o.MBUS_HOURLY_PROFILE]
    assert hourly.capture_period == MBUS_PROFILE_CAPTURE_PERIOD == 3600
    assert hourly.capture_objects == mbus_profile_capture_objects(1)
    assert [(c.class_id, c.obis, c.attribute_index) for c in hourly.capture_objects] == [
        (8, o.CLOCK, 2),
        (1, o.mbus_profile_status(1), 2),
        (4, o.mbus_value(1), 2),
        (4, o.mbus_value(1), 5),
    ]


def test_every_captured_object_is_served() -> None:
    for definition in PROFILE_GENERICS.values():
        assert profile_object(definition.obis).class_id == ClassId.PROFILE_GENERIC
        for column in definition.capture_objects:
            served = profile_object(column.obis)
            assert served.class_id == column.class_id, column
            served.interface_class.attribute(column.attribute_index)
