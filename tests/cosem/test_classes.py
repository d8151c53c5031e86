"""Interface classes: ids, versions, attribute and method indices, descriptors, disconnector states."""

from __future__ import annotations

from enum import IntEnum

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.cosem import obis as o
from meterhub.cosem.classes import (
    INTERFACE_CLASSES,
    ActivityCalendarMethod,
    AssociationLnAttribute,
    AssociationLnMethod,
    AttributeDescriptor,
    CaptureObject,
    ClassId,
    ClockAttribute,
    ClockBase,
    ClockMethod,
    ControlMode,
    ControlState,
    DisconnectControlAttribute,
    DisconnectControlMethod,
    DisconnectTrigger,
    ImageTransferMethod,
    ImageTransferStatus,
    MBusClientAttribute,
    MBusClientMethod,
    MethodDescriptor,
    ProfileGenericAttribute,
    ProfileGenericMethod,
    PushSetupMethod,
    RegisterAttribute,
    SecurityPolicy,
    SecuritySetupMethod,
    SortMethod,
    attribute,
    disconnect_transition,
    interface_class,
    method,
)
from meterhub.cosem.obis import Obis


def test_registry_ids_and_versions() -> None:
    expected = {
        1: 0,
        3: 0,
        4: 0,
        5: 0,
        7: 1,
        8: 0,
        9: 0,
        11: 0,
        15: 2,
        18: 0,
        20: 0,
        21: 0,
        22: 0,
        40: 0,
        64: 1,
        70: 0,
        72: 1,
    }
    assert {cid: ic.version for cid, ic in INTERFACE_CLASSES.items()} == expected
    for cid, ic in INTERFACE_CLASSES.items():
        assert ic.class_id == cid == ClassId(cid)
        assert ic.attributes(1).name == "LOGICAL_NAME"  # attribute 1 is always logical_name
        assert [int(a) for a in ic.attributes] == list(range(1, len(ic.attributes) + 1))
        assert [int(m) for m in ic.methods] == list(range(1, len(ic.methods) + 1))


def test_attribute_and_method_indices() -> None:
    assert int(RegisterAttribute.SCALER_UNIT) == 3
    assert int(ProfileGenericAttribute.CAPTURE_OBJECTS) == 3
    assert int(ProfileGenericAttribute.PROFILE_ENTRIES) == 8
    assert int(ProfileGenericMethod.RESET) == 1
    assert int(ProfileGenericMethod.CAPTURE) == 2
    assert int(ClockAttribute.CLOCK_BASE) == 9
    assert int(ClockMethod.ADJUST_TO_QUARTER) == 1
    assert int(ClockMethod.PRESET_ADJUSTING_TIME) == 5
    assert int(ClockMethod.SHIFT_TIME) == 6
    assert int(AssociationLnAttribute.OBJECT_LIST) == 2
    assert int(AssociationLnAttribute.SECURITY_SETUP_REFERENCE) == 9
    assert int(AssociationLnMethod.REPLY_TO_HLS_AUTHENTICATION) == 1
    assert int(DisconnectControlMethod.REMOTE_DISCONNECT) == 1
    assert int(DisconnectControlMethod.REMOTE_RECONNECT) == 2
    assert int(DisconnectControlAttribute.CONTROL_MODE) == 4
    assert int(SecuritySetupMethod.SECURITY_ACTIVATE) == 1
    assert int(SecuritySetupMethod.KEY_TRANSFER) == 2
    assert int(SecuritySetupMethod.KEY_AGREEMENT) == 3
    assert int(ImageTransferMethod.IMAGE_TRANSFER_INITIATE) == 1
    assert int(ImageTransferMethod.IMAGE_BLOCK_TRANSFER) == 2
    assert int(ImageTransferMethod.IMAGE_VERIFY) == 3
    assert int(ImageTransferMethod.IMAGE_ACTIVATE) == 4
    assert int(PushSetupMethod.PUSH) == 1
    assert int(ActivityCalendarMethod.ACTIVATE_PASSIVE_CALENDAR) == 1
    assert int(MBusClientMethod.SLAVE_INSTALL) == 1
    assert int(MBusClientMethod.TRANSFER_KEY) == 8
    assert int(MBusClientAttribute.ENCRYPTION_KEY_STATUS) == 14


def test_interface_class_lookups() -> None:
    register = interface_class(3)
    assert register.name == "Register"
    assert register.attribute_name(3) == "scaler_unit"
    assert register.method_name(1) == "reset"
    assert interface_class(70).method(2) is DisconnectControlMethod.REMOTE_RECONNECT
    assert interface_class(15).method_name(1) == "reply_to_hls_authentication"
    with pytest.raises(KeyError):
        interface_class(2)
    with pytest.raises(KeyError):
        register.attribute(4)
    with pytest.raises(KeyError):
        interface_class(1).method(1)


def test_attribute_descriptor() -> None:
    d = AttributeDescriptor.of(o.CLOCK, ClockAttribute.TIME)
    assert d == AttributeDescriptor(8, o.CLOCK, 2)
    assert str(d) == "8/0.0.1.0.0.255/2"
    assert d.attribute_name == "time"
    assert d.interface_class.name == "Clock"
    assert attribute("1-0:1.8.0", RegisterAttribute.SCALER_UNIT) == AttributeDescriptor(3, o.ACTIVE_ENERGY_IMPORT, 3)
    assert len({d, AttributeDescriptor(8, Obis.parse("0-0:1.0.0"), 2)}) == 1
    assert AttributeDescriptor(9999, o.CLOCK, 5).attribute_name == "attribute_5"
    assert AttributeDescriptor(3, o.CLOCK, 9).attribute_name == "attribute_9"


def test_method_descriptor() -> None:
    d = MethodDescriptor.of(o.DISCONNECT_CONTROL, DisconnectControlMethod.REMOTE_DISCONNECT)
    assert d == MethodDescriptor(70, o.DISCONNECT_CONTROL, 1)
    assert d.method_name == "remote_disconnect"
    assert str(d) == "70/0.0.96.3.10.255/m1"
    assert method(o.ASSOCIATION_LN, AssociationLnMethod.REPLY_TO_HLS_AUTHENTICATION).class_id == 15
    assert method(o.mbus_valve(1), DisconnectControlMethod.REMOTE_RECONNECT).method_id == 2
    assert MethodDescriptor(70, o.CLOCK, 9).method_name == "method_9"


def test_descriptor_errors() -> None:
    with pytest.raises(TypeError):
        AttributeDescriptor.of(o.CLOCK, ClockMethod.SHIFT_TIME)  # a method is not an attribute
    with pytest.raises(TypeError):
        MethodDescriptor.of(o.CLOCK, ClockAttribute.TIME)

    class Foreign(IntEnum):
        X = 1

    with pytest.raises(TypeError):
        AttributeDescriptor.of(o.CLOCK, Foreign.X)
    with pytest.raises(ValueError):
        AttributeDescriptor(70000, o.CLOCK, 2)
    with pytest.raises(ValueError):
        AttributeDescriptor(8, o.CLOCK, 128)
    with pytest.raises(ValueError):
        MethodDescriptor(8, o.CLOCK, -129)
    with pytest.raises(TypeError):
        AttributeDescriptor(8, "0.0.1.0.0.255", 2)  # type: ignore[arg-type]


@given(
    st.integers(min_value=0, max_value=0xFFFF),
    st.binary(min_size=6, max_size=6),
    st.integers(min_value=-128, max_value=127),
)
def test_descriptors_accept_full_ranges(class_id: int, raw: bytes, index: int) -> None:
    obis = Obis.from_bytes(raw)
    assert AttributeDescriptor(class_id, obis, index).obis.to_bytes() == raw
    assert MethodDescriptor(class_id, obis, index).method_id == index


def test_capture_object() -> None:
    c = CaptureObject.of(o.ACTIVE_ENERGY_IMPORT, RegisterAttribute.VALUE)
    assert c == CaptureObject(3, o.ACTIVE_ENERGY_IMPORT, 2, 0)
    assert c.descriptor == AttributeDescriptor(3, o.ACTIVE_ENERGY_IMPORT, 2)
    assert c.to_structure() == (3, bytes.fromhex("0100010800ff"), 2, 0)
    with pytest.raises(ValueError):
        CaptureObject(3, o.ACTIVE_ENERGY_IMPORT, 2, -1)


def test_value_enums() -> None:
    assert [int(s) for s in ControlState] == [0, 1, 2]
    assert ControlState(2) is ControlState.READY_FOR_RECONNECTION
    assert [int(m) for m in ControlMode] == list(range(7))
    assert [int(s) for s in SortMethod] == [1, 2, 3, 4, 5, 6]
    assert ClockBase(2) is ClockBase.MAINS_FREQUENCY_50HZ
    assert ImageTransferStatus(6) is ImageTransferStatus.ACTIVATION_SUCCESSFUL
    assert int(SecurityPolicy.AUTHENTICATED_REQUEST | SecurityPolicy.ENCRYPTED_REQUEST) == 0x0C


C, D, R = ControlState.CONNECTED, ControlState.DISCONNECTED, ControlState.READY_FOR_RECONNECTION
T = DisconnectTrigger


@pytest.mark.parametrize(
    ("mode", "state", "trigger", "expected"),
    [
        (ControlMode.NONE, C, T.REMOTE_DISCONNECT, None),
        (ControlMode.MODE_1, C, T.REMOTE_DISCONNECT, D),  # b
        (ControlMode.MODE_1, R, T.REMOTE_DISCONNECT, D),  # c
        (ControlMode.MODE_1, D, T.REMOTE_RECONNECT, R),  # d
        (ControlMode.MODE_2, D, T.REMOTE_RECONNECT, C),  # a
        (ControlMode.MODE_4, D, T.REMOTE_RECONNECT, C),  # a
        (ControlMode.MODE_6, D, T.REMOTE_RECONNECT, R),  # d
        (ControlMode.MODE_1, R, T.MANUAL_RECONNECT, C),  # e
        (ControlMode.MODE_2, C, T.MANUAL_DISCONNECT, R),  # f
        (ControlMode.MODE_3, C, T.MANUAL_DISCONNECT, None),
        (ControlMode.MODE_3, C, T.LOCAL_DISCONNECT, R),  # g
        (ControlMode.MODE_5, R, T.LOCAL_RECONNECT, C),  # h
        (ControlMode.MODE_1, R, T.LOCAL_RECONNECT, None),
        (ControlMode.MODE_1, D, T.REMOTE_DISCONNECT, None),
        (ControlMode.MODE_1, C, T.REMOTE_RECONNECT, None),
    ],
)
def test_disconnect_transitions(
    mode: ControlMode, state: ControlState, trigger: DisconnectTrigger, expected: ControlState | None
) -> None:
    assert disconnect_transition(mode, state, trigger) is expected


@pytest.mark.parametrize("mode", list(ControlMode)[1:])
def test_every_mode_can_disconnect_and_come_back(mode: ControlMode) -> None:
    state = disconnect_transition(mode, C, T.REMOTE_DISCONNECT)
    assert state is D
    state = disconnect_transition(mode, state, T.REMOTE_RECONNECT)
    assert state in (C, R)
    if state is R:
        assert disconnect_transition(mode, state, T.MANUAL_RECONNECT) is C
