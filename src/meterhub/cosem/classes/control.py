"""Interface classes for time- and event-bound control (DLMS UA 1000-1 Blue Book 4.5): the attribute and method
indices of Clock (4.5.1), Script table (4.5.2), Special days table (4.5.3), Activity calendar (4.5.5), Register
monitor (4.5.6), Single action schedule (4.5.7) and Disconnect control (4.5.8), with their value enumerations —
clock base, schedule type, the disconnector's control states, modes and triggers — and
:func:`disconnect_transition`, the Blue Book state diagram of the disconnector (transitions a–h per control mode).
"""

from __future__ import annotations

from enum import IntEnum
from typing import Final

__all__ = [
    "ActivityCalendarAttribute",
    "ActivityCalendarMethod",
    "ClockAttribute",
    "ClockBase",
    "ClockMethod",
    "ControlMode",
    "ControlState",
    "DisconnectControlAttribute",
    "DisconnectControlMethod",
    "DisconnectTrigger",
    "RegisterMonitorAttribute",
    "RegisterMonitorMethod",
    "ScriptTableAttribute",
    "ScriptTableMethod",
    "SingleActionScheduleAttribute",
    "SingleActionScheduleMethod",
    "SingleActionScheduleType",
    "SpecialDaysTableAttribute",
    "SpecialDaysTableMethod",
    "disconnect_transition",
]


class ClockAttribute(IntEnum):
    """Clock (class_id 8, version 0), Blue Book 4.5.1."""

    LOGICAL_NAME = 1
    TIME = 2
    TIME_ZONE = 3
    STATUS = 4
    DAYLIGHT_SAVINGS_BEGIN = 5
    DAYLIGHT_SAVINGS_END = 6
    DAYLIGHT_SAVINGS_DEVIATION = 7
    DAYLIGHT_SAVINGS_ENABLED = 8
    CLOCK_BASE = 9


class ClockMethod(IntEnum):
    """Clock methods."""

    ADJUST_TO_QUARTER = 1
    ADJUST_TO_MEASURING_PERIOD = 2
    ADJUST_TO_MINUTE = 3
    ADJUST_TO_PRESET_TIME = 4
    PRESET_ADJUSTING_TIME = 5
    SHIFT_TIME = 6


class ClockBase(IntEnum):
    """Clock ``clock_base`` (Blue Book 4.5.1)."""

    NOT_DEFINED = 0
    INTERNAL_CRYSTAL = 1
    MAINS_FREQUENCY_50HZ = 2
    MAINS_FREQUENCY_60HZ = 3
    GPS = 4
    RADIO_CONTROLLED = 5


class ScriptTableAttribute(IntEnum):
    """Script table (class_id 9, version 0), Blue Book 4.5.2."""

    LOGICAL_NAME = 1
    SCRIPTS = 2


class ScriptTableMethod(IntEnum):
    """Script table methods."""

    EXECUTE = 1


class SpecialDaysTableAttribute(IntEnum):
    """Special days table (class_id 11, version 0), Blue Book 4.5.3: ``entries`` is an array of
    ``{index: long-unsigned, specialday_date: octet-string (date), day_id: unsigned}``."""

    LOGICAL_NAME = 1
    ENTRIES = 2


class SpecialDaysTableMethod(IntEnum):
    """Special days table methods."""

    INSERT = 1
    DELETE = 2


class ActivityCalendarAttribute(IntEnum):
    """Activity calendar (class_id 20, version 0), Blue Book 4.5.5."""

    LOGICAL_NAME = 1
    CALENDAR_NAME_ACTIVE = 2
    SEASON_PROFILE_ACTIVE = 3
    WEEK_PROFILE_TABLE_ACTIVE = 4
    DAY_PROFILE_TABLE_ACTIVE = 5
    CALENDAR_NAME_PASSIVE = 6
    SEASON_PROFILE_PASSIVE = 7
    WEEK_PROFILE_TABLE_PASSIVE = 8
    DAY_PROFILE_TABLE_PASSIVE = 9
    ACTIVATE_PASSIVE_CALENDAR_TIME = 10


class ActivityCalendarMethod(IntEnum):
    """Activity calendar methods."""

    ACTIVATE_PASSIVE_CALENDAR = 1


class RegisterMonitorAttribute(IntEnum):
    """Register monitor (class_id 21, version 0), Blue Book 4.5.6."""

    LOGICAL_NAME = 1
    THRESHOLDS = 2
    MONITORED_VALUE = 3
    ACTIONS = 4


class RegisterMonitorMethod(IntEnum):
    """Register monitor has no methods."""


class SingleActionScheduleAttribute(IntEnum):
    """Single action schedule (class_id 22, version 0), Blue Book 4.5.7."""

    LOGICAL_NAME = 1
    EXECUTED_SCRIPT = 2
    TYPE = 3
    EXECUTION_TIME = 4


class SingleActionScheduleMethod(IntEnum):
    """Single action schedule has no methods."""


class SingleActionScheduleType(IntEnum):
    """Single action schedule ``type`` (Blue Book 4.5.7)."""

    SINGLE_TIME_WILDCARDS_ALLOWED = 1
    SAME_TIMES_WILDCARDS_ALLOWED = 2
    DIFFERENT_TIMES_WILDCARDS_ALLOWED = 3
    SAME_TIMES_NO_WILDCARDS = 4
    DIFFERENT_TIMES_NO_WILDCARDS = 5


class DisconnectControlAttribute(IntEnum):
    """Disconnect control (class_id 70, version 0), Blue Book 4.5.8."""

    LOGICAL_NAME = 1
    OUTPUT_STATE = 2
    CONTROL_STATE = 3
    CONTROL_MODE = 4


class DisconnectControlMethod(IntEnum):
    """Disconnect control methods."""

    REMOTE_DISCONNECT = 1
    REMOTE_RECONNECT = 2


class ControlState(IntEnum):
    """Disconnect control ``control_state`` (Blue Book 4.5.8)."""

    DISCONNECTED = 0
    CONNECTED = 1
    READY_FOR_RECONNECTION = 2


class ControlMode(IntEnum):
    """Disconnect control ``control_mode`` (Blue Book 4.5.8): which transitions a–h are allowed.

    ====  =============================================  ==========================================
    mode  disconnection                                  reconnection
    ====  =============================================  ==========================================
    0     none: always connected                         none
    1     remote (b, c), manual (f), local (g)           remote (d), manual (e)
    2     remote (b, c), manual (f), local (g)           remote (a), manual (e)
    3     remote (b, c), local (g)                       remote (d), manual (e)
    4     remote (b, c), local (g)                       remote (a), manual (e)
    5     remote (b, c), manual (f), local (g)           remote (d), manual (e), local (h)
    6     remote (b, c), local (g)                       remote (d), manual (e), local (h)
    ====  =============================================  ==========================================
    """

    NONE = 0
    MODE_1 = 1
    MODE_2 = 2
    MODE_3 = 3
    MODE_4 = 4
    MODE_5 = 5
    MODE_6 = 6


class DisconnectTrigger(IntEnum):
    """What asks the disconnector to move: the two methods, the button (manual) or the meter (local)."""

    REMOTE_DISCONNECT = 1
    REMOTE_RECONNECT = 2
    MANUAL_DISCONNECT = 3
    MANUAL_RECONNECT = 4
    LOCAL_DISCONNECT = 5
    LOCAL_RECONNECT = 6


_DC = ControlState
_T = DisconnectTrigger
_ALL_MODES: Final = frozenset({1, 2, 3, 4, 5, 6})
# (trigger, from state) -> (to state, modes in which the transition exists); letters as in the Blue Book.
_DISCONNECT_TRANSITIONS: Final[
    dict[tuple[DisconnectTrigger, ControlState], list[tuple[ControlState, frozenset[int]]]]
] = {
    # b: remote_disconnect, connected -> disconnected; c: ready_for_reconnection -> disconnected
    (_T.REMOTE_DISCONNECT, _DC.CONNECTED): [(_DC.DISCONNECTED, _ALL_MODES)],
    (_T.REMOTE_DISCONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.DISCONNECTED, _ALL_MODES)],
    # a: remote_reconnect, disconnected -> connected; d: disconnected -> ready_for_reconnection
    (_T.REMOTE_RECONNECT, _DC.DISCONNECTED): [
        (_DC.CONNECTED, frozenset({2, 4})),
        (_DC.READY_FOR_RECONNECTION, frozenset({1, 3, 5, 6})),
    ],
    # f: manual_disconnect, connected -> ready_for_reconnection
    (_T.MANUAL_DISCONNECT, _DC.CONNECTED): [(_DC.READY_FOR_RECONNECTION, frozenset({1, 2, 5}))],
    # e: manual_reconnect, ready_for_reconnection -> connected
    (_T.MANUAL_RECONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.CONNECTED, _ALL_MODES)],
    # g: local_disconnect, connected -> ready_for_reconnection
    (_T.LOCAL_DISCONNECT, _DC.CONNECTED): [(_DC.READY_FOR_RECONNECTION, _ALL_MODES)],
    # h: local_reconnect, ready_for_reconnection -> connected
    (_T.LOCAL_RECONNECT, _DC.READY_FOR_RECONNECTION): [(_DC.CONNECTED, frozenset({5, 6}))],
}


def disconnect_transition(mode: ControlMode, state: ControlState, trigger: DisconnectTrigger) -> ControlState | None:
    """The state a disconnector in ``mode`` reaches from ``state`` on ``trigger``, or ``None`` when the
    Blue Book state diagram has no such transition in that mode (the request is refused or has no effect).
    ``output_state`` is ``True`` exactly in :attr:`ControlState.CONNECTED`.
    """
    for target, modes in _DISCONNECT_TRANSITIONS.get((trigger, state), []):
        if int(mode) in modes:
            return target
    return None
