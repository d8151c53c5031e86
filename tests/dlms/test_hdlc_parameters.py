"""IEC 62056-46 HDLC parameter negotiation: the SNRM/UA parameters of the ``hdlc_snrm_ua`` vector, the encoding of
the information field (defaults left out, values of any accepted width, unknown parameters skipped), what the decoder
refuses, the round trip of any parameters, and the properties of :func:`negotiate` (limits respected, the peer
computing the mirror image).
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from meterhub.dlms.errors import DecodeError, EncodeError
from meterhub.dlms.hdlc import MAX_INFO_LENGTH, HdlcParameters, decode_frame, negotiate
from tests.conftest import hx, load_vector


def test_snrm_ua_vector_parameters() -> None:
    vector = load_vector("hdlc_snrm_ua")
    snrm = decode_frame(hx(vector["expected"]["snrm_frame"]))
    ua = decode_frame(hx(vector["expected"]["ua_frame_example"]))
    tx = int.from_bytes(hx(vector["inputs"]["client_max_info_tx"]), "big")
    rx = int.from_bytes(hx(vector["inputs"]["client_max_info_rx"]), "big")
    proposal = HdlcParameters.decode(snrm.info)
    assert proposal == HdlcParameters(max_info_tx=tx, max_info_rx=rx)
    assert proposal.encode(omit_defaults=True) == snrm.info
    server_view = HdlcParameters.decode(ua.info)
    assert server_view == HdlcParameters(max_info_tx=256, max_info_rx=512, window_tx=1, window_rx=1)
    assert server_view.encode() == ua.info
    client_view = negotiate(server_view, proposal)
    decoded = vector["decoded"]["negotiated_client_view"]
    assert client_view == HdlcParameters(
        decoded["max_info_tx"], decoded["max_info_rx"], decoded["window_tx"], decoded["window_rx"]
    )
    # the server side of the same negotiation: limits tx 256, rx >= 512
    assert negotiate(proposal, HdlcParameters(max_info_tx=256, max_info_rx=1024)) == server_view
    assert client_view == server_view.peer_view()


def test_parameters_defaults_and_encoding() -> None:
    assert HdlcParameters.decode(b"") == HdlcParameters()
    assert HdlcParameters.decode(bytes.fromhex("818000")) == HdlcParameters()
    assert HdlcParameters().encode(omit_defaults=True) == b""
    assert HdlcParameters().encode() == bytes.fromhex("818012050180060180070400000001080400000001")
    assert HdlcParameters(max_info_tx=0x10000).encode(omit_defaults=True) == bytes.fromhex("818006050400010000")
    assert HdlcParameters(window_rx=7).encode(omit_defaults=True) == bytes.fromhex("818006080400000007")
    # values of any accepted width, unknown parameters (09) skipped
    wire = bytes.fromhex("81800A06020100090101070103")
    assert HdlcParameters.decode(wire) == HdlcParameters(max_info_rx=256, window_tx=3)


@pytest.mark.parametrize(
    "wire",
    [
        "81",
        "8180",
        "828000",
        "818100",
        "818001",
        "81800305",
        "8180020501",
        "818003050300",
        "818003050201",
        "818003050100",
        "818006070400000000",
        "818006080400000008",
        "818006050180050180",
    ],
)
def test_parameters_decode_errors(wire: str) -> None:
    with pytest.raises(DecodeError):
        HdlcParameters.decode(bytes.fromhex(wire))


parameters = st.builds(
    HdlcParameters,
    st.integers(1, 0xFFFFFFFF),
    st.integers(1, 0xFFFFFFFF),
    st.integers(1, 7),
    st.integers(1, 7),
)


@given(parameters, st.booleans())
def test_parameters_round_trip(params: HdlcParameters, omit: bool) -> None:
    assert HdlcParameters.decode(params.encode(omit_defaults=omit)) == params


@given(parameters, parameters)
def test_negotiation_properties(proposal: HdlcParameters, limits: HdlcParameters) -> None:
    agreed = negotiate(proposal, limits)
    assert agreed.max_info_tx <= min(proposal.max_info_rx, limits.max_info_tx, MAX_INFO_LENGTH)
    assert agreed.max_info_rx <= min(proposal.max_info_tx, limits.max_info_rx)
    assert agreed.window_tx <= proposal.window_rx and agreed.window_rx <= proposal.window_tx
    # the other side computes the mirror image from our answer
    back = negotiate(agreed, proposal)
    assert back.max_info_tx == agreed.max_info_rx and back.max_info_rx == agreed.max_info_tx
    assert back == agreed.peer_view()


def test_parameter_validation() -> None:
    with pytest.raises(EncodeError):
        HdlcParameters(window_tx=8)
    with pytest.raises(EncodeError):
        HdlcParameters(max_info_rx=0)
