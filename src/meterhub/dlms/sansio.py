"""The one shape every protocol core of the stack has, after h11: bytes in, events out, explicit state tables.

Every core — :class:`~meterhub.dlms.wrapper.WrapperStream` (IEC 62056-47), the HDLC links
(:class:`~meterhub.dlms.hdlc.HdlcClientLink`, :class:`~meterhub.dlms.hdlc.HdlcServerLink`, IEC 62056-46) and the
associations (:class:`~meterhub.dlms.association.ClientAssociation`,
:class:`~meterhub.dlms.association.ServerAssociation`, Green Book §9.4) — answers to the same verbs:

* ``receive_data(data)`` — hand over what the peer sent (bytes of a stream; one whole APDU for an
  association). It only buffers; ``receive_data(b"")`` on a byte stream says the stream ended.
* ``next_event()`` — the next thing that happened, or :data:`NEED_DATA` when the data so far completes
  nothing. This is where received data is parsed and where the peer's faults are raised.
* ``send(request) -> bytes`` — what to put on the wire for one of our requests (a frame, a link command, a
  get, a reply), refused with :class:`~meterhub.dlms.errors.LocalProtocolError` when the state does not allow
  it.
* ``data_to_send()`` — what the core wants sent on its own while handling received data (an HDLC RR between
  segments, the next get-request of a block transfer, an exception-response): bytes for a byte-stream core,
  the list of whole APDUs for an association (each is framed on its own).

No core reads a clock, opens a socket or starts a task; the asyncio drivers are in :mod:`meterhub.transport`.
None needs time today — HDLC response timeouts and retransmission, the association's inactivity, belong to the
driver, which has the clock; a core that comes to need it takes ``now`` as an argument, as aioquic's
``handle_timer(now)`` does, and never reads it.

State: each machine's states and the inputs each state accepts are one explicit :class:`TransitionTable` in a
module of its own (:mod:`meterhub.dlms.association.state`, :mod:`meterhub.dlms.hdlc.state`), as h11 keeps its
in ``_state.py``; the machines change state only through it. A request the table does not allow is our fault
(:class:`~meterhub.dlms.errors.LocalProtocolError`, nothing changes). A received message the table does not
allow is the peer's (:class:`~meterhub.dlms.errors.RemoteProtocolError`) and the machine goes to its error
state, which accepts nothing: the connection is over and a new machine is needed. (HDLC, whose procedures
discard the frames a state does not expect, ignores and counts those instead; its error state is entered on a
frame reject or a broken reassembly cap.) What is refused as a whole before it reaches the table — bytes that
do not decode, a tag that does not verify, an HDLC sequence error — leaves the machine as it was.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from typing import Final, Generic, TypeVar

from meterhub.dlms.errors import LocalProtocolError, RemoteProtocolError

__all__ = ["NEED_DATA", "MachineEnum", "NeedData", "TransitionTable"]


class MachineEnum(enum.Enum):
    """Base of the states and inputs of the machines: members hash by identity.

    :class:`enum.Enum` hashes a member with a Python-level ``__hash__`` (the hash of its name); members are
    singletons that compare by identity, so the identity hash agrees with equality, and a table lookup keyed by
    them stays one C-level dictionary lookup — it happens for every APDU and frame.
    """

    __hash__ = object.__hash__


class NeedData(enum.Enum):
    """The type of :data:`NEED_DATA` (an enum member, so that ``event is NEED_DATA`` narrows for mypy)."""

    NEED_DATA = "NEED_DATA"

    def __repr__(self) -> str:
        return "NEED_DATA"


NEED_DATA: Final = NeedData.NEED_DATA
"""What ``next_event()`` returns when the data received so far completes no event (h11's ``NEED_DATA``)."""

S = TypeVar("S", bound=enum.Enum)
I = TypeVar("I", bound=enum.Enum)  # noqa: E741 - the input alphabet, as in automata


class TransitionTable(Generic[S, I]):
    """A state machine's explicit transitions: for each state, the inputs it accepts and the state they lead to.

    ``transitions[state][input]`` is the next state; an input missing from a state's row is not allowed there
    (a state missing altogether accepts nothing). ``error`` is the terminal state, whose row must be empty.
    :meth:`ours` checks one of our requests, :meth:`theirs` something the peer sent; each is two dictionary
    lookups, keyed by :class:`MachineEnum` members (identity hash).
    """

    def __init__(self, machine: str, transitions: Mapping[S, Mapping[I, S]], error: S) -> None:
        if transitions.get(error):
            raise ValueError(f"{machine}: the error state {error.value} must accept nothing")
        self.machine: Final = machine
        self.error: Final = error
        # every state of the enum gets a row (empty: accepts nothing), so that a lookup is rows[state].get(input)
        self._rows: Final[dict[S, dict[I, S]]] = {state: dict(transitions.get(state, {})) for state in type(error)}

    def allows(self, state: S, what: I) -> bool:
        """Whether ``what`` is allowed in ``state``."""
        return what in self._rows[state]

    def get(self, state: S, what: I) -> S | None:
        """The state ``what`` leads to from ``state``, or None where it is not allowed."""
        return self._rows[state].get(what)

    def ours(self, state: S, what: I) -> S:
        """The next state after our request ``what``; :class:`LocalProtocolError` where it is not allowed."""
        nxt = self._rows[state].get(what)
        if nxt is None:
            raise LocalProtocolError(f"{self.machine}: cannot {what.value} while {state.value}")
        return nxt

    def theirs(self, state: S, what: I) -> S:
        """The next state after the peer's ``what``; :class:`RemoteProtocolError` where it is not allowed."""
        nxt = self._rows[state].get(what)
        if nxt is None:
            raise RemoteProtocolError(f"{self.machine}: the peer sent {what.value} while {state.value}")
        return nxt

    def __iter__(self) -> Iterator[tuple[S, I, S]]:
        """Every allowed transition as (state, input, next state), for documentation and tests."""
        for state, row in self._rows.items():
            for what, nxt in row.items():
                yield state, what, nxt
