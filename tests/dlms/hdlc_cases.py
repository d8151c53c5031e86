"""Shared cases of the IEC 62056-46 HDLC tests: the client and server addresses of the reference session (client SAP
16, server logical device 1 at physical address 17), the steps of the ``hdlc_public_session`` vector as (who, what,
wire bytes), and Hypothesis strategies of addresses of every size and of frames of every kind.
"""

from __future__ import annotations

from hypothesis import strategies as st

from meterhub.dlms.hdlc import FrameKind, HdlcAddress, HdlcFrame
from tests.conftest import hx, load_vector

CLIENT = HdlcAddress.client(16)
SERVER = HdlcAddress.server(1, 17)


def session_steps() -> list[tuple[str, str, bytes]]:
    steps = load_vector("hdlc_public_session")["expected"]["steps"]
    return [(who, what, hx(h)) for who, what, h in steps]


addresses = st.one_of(
    st.builds(HdlcAddress.client, st.integers(0, 0x7F)),
    st.builds(lambda u, lo: HdlcAddress(u, lo, 2), st.integers(0, 0x7F), st.integers(0, 0x7F)),
    st.builds(lambda u, lo: HdlcAddress(u, lo, 4), st.integers(0, 0x3FFF), st.integers(0, 0x3FFF)),
)


kinds_with_info = [FrameKind.I, FrameKind.UI, FrameKind.SNRM, FrameKind.UA, FrameKind.DM, FrameKind.FRMR]


@st.composite
def frames(draw: st.DrawFn, max_info: int = 300) -> HdlcFrame:
    kind = draw(st.sampled_from(list(FrameKind)))
    info = b"" if kind in (FrameKind.RR, FrameKind.RNR, FrameKind.DISC) else draw(st.binary(max_size=max_info))
    return HdlcFrame(
        destination=draw(addresses),
        source=draw(addresses),
        kind=kind,
        send_seq=draw(st.integers(0, 7)) if kind is FrameKind.I else 0,
        recv_seq=draw(st.integers(0, 7)) if kind in (FrameKind.I, FrameKind.RR, FrameKind.RNR) else 0,
        poll_final=draw(st.booleans()),
        segmented=draw(st.booleans()),
        info=info,
    )
