"""Template DLMS associations in the states the fuzzer feeds inputs to, and every APDU they exchanged getting there
(a part of the corpus): client and server fresh (public and LLS), associated public with a get, a set and an action
outstanding, a long get or a long set in progress, awaiting the HLS-GMAC passes 3/4 and associated HLS; :func:`fresh`
copies a template for each input, and :func:`cipher_for` wraps an input as the peer of a ciphered state would send
it, so that mutated APDUs reach the code behind the decryption.
"""

from __future__ import annotations

import copy
import dataclasses
import random
from typing import Any

from meterhub.dlms import apdu as A
from meterhub.dlms.acse import Mechanism
from meterhub.dlms.association import (
    Action,
    Associate,
    ClientAssociation,
    ClientSettings,
    Get,
    GetReply,
    GetWithList,
    Release,
    ServerAssociation,
    ServerPolicy,
    Set,
    State,
)
from meterhub.dlms.axdr import DateTime, DoubleLongUnsigned, Unsigned
from meterhub.dlms.security import encrypt
from tests.fuzz.dlms_values import (
    CLIENT_TITLE,
    CLOCK,
    CTOS,
    HLS_METHOD,
    KEYS,
    PASSWORD,
    PROFILE,
    PUBLIC_TITLE,
    SERVER_TITLE,
    STOC,
    rand_date_time,
)
from tests.sansio import receive


def _client_settings(hls: bool, **kw: Any) -> ClientSettings:
    if hls:
        return ClientSettings(
            authentication=Mechanism.HIGH_GMAC,
            keys=KEYS,
            system_title=CLIENT_TITLE,
            invoke_id_increment=False,
            **kw,
        )
    return ClientSettings(**kw)


def _server_policy(hls: bool, **kw: Any) -> ServerPolicy:
    if hls:
        return ServerPolicy(
            system_title=SERVER_TITLE, authentication=Mechanism.HIGH_GMAC, keys=KEYS, invocation_counter=0x101, **kw
        )
    return ServerPolicy(system_title=PUBLIC_TITLE, **kw)


def association_pair(
    hls: bool, client_kw: dict[str, Any] | None = None, server_kw: dict[str, Any] | None = None
) -> Any:
    client = ClientAssociation(_client_settings(hls, **(client_kw or {})), random=lambda n: CTOS[:n])
    server = ServerAssociation(_server_policy(hls, **(server_kw or {})), random=lambda n: STOC[:n])
    return client, server


def open_association(client: ClientAssociation, server: ServerAssociation, log: list[bytes]) -> None:
    """Run the association (and HLS passes 3/4), recording every APDU in ``log``."""
    pending = [client.send(Associate())]
    to_server = True
    while pending:
        log.extend(pending)
        nxt: list[bytes] = []
        for apdu in pending:
            receive(server if to_server else client, apdu)
            nxt += (server if to_server else client).data_to_send()
        pending, to_server = nxt, not to_server
    assert client.state == State.ASSOCIATED and server.state == State.ASSOCIATED


@dataclasses.dataclass
class Sessions:
    """Template associations in interesting states, and every APDU they exchanged getting there."""

    servers: dict[str, ServerAssociation]
    clients: dict[str, ClientAssociation]
    apdus: list[bytes]
    #: per state name: the peer system title a correctly ciphered input must use, for the ciphered states
    ciphered: dict[str, bytes]


def build_sessions() -> Sessions:
    log: list[bytes] = []
    servers: dict[str, ServerAssociation] = {}
    clients: dict[str, ClientAssociation] = {}

    c, s = association_pair(False)
    servers["server-fresh-public"], clients["client-fresh"] = fresh(s), fresh(c)
    log.append(c.send(Associate()))
    clients["client-awaiting-aare-public"] = fresh(c)
    lls = ServerAssociation(ServerPolicy(system_title=PUBLIC_TITLE, authentication=Mechanism.LOW, password=PASSWORD))
    servers["server-fresh-lls"] = lls
    log.append(ClientAssociation(ClientSettings(authentication=Mechanism.LOW, password=PASSWORD)).send(Associate()))

    # public association; the client has a get, a set and an action outstanding
    c, s = association_pair(False, client_kw={"max_receive_pdu_size": 256}, server_kw={"max_receive_pdu_size": 256})
    open_association(c, s, log)
    servers["server-associated-public"] = fresh(s)
    for request in (
        c.send(Get(CLOCK)),
        c.send(Set(CLOCK, rand_date_time(random.Random(1)).to_bytes())),
        c.send(Action(HLS_METHOD)),
    ):
        log.append(request)
        receive(s, request)
    clients["client-associated-public"] = fresh(c)
    clients["client-associated-public-plain"] = bulk = fresh(c)
    bulk.settings.plain_integers = True  # a bulk reader: get results with plain ints
    log.append(s.send(GetReply(0xC1, Unsigned(7))))
    # long get in progress on both sides
    request = c.send(Get(PROFILE))
    log.append(request)
    receive(s, request)
    rows = [
        (DateTime(2026, 1, 1 + h // 24, 0xFF, h % 24, 0, 0, 0, -60, 0).to_bytes(), Unsigned(0), DoubleLongUnsigned(h))
        for h in range(40)
    ]
    first = s.send(GetReply(request[2], rows))
    log.append(first)
    servers["server-long-get"] = fresh(s)
    receive(c, first)
    (nxt,) = c.data_to_send()
    log.append(nxt)
    clients["client-long-get"] = fresh(c)
    # long set in progress on both sides
    c2, s2 = association_pair(False, server_kw={"max_receive_pdu_size": 128})
    open_association(c2, s2, log)
    request = c2.send(Set(PROFILE, rows))
    log.append(request)
    clients["client-long-set"] = fresh(c2)
    receive(s2, request)
    log.extend(s2.data_to_send())
    servers["server-long-set"] = fresh(s2)

    # HLS-GMAC, ciphered
    c, s = association_pair(True)
    servers["server-fresh-hls"] = fresh(s)
    aarq = c.send(Associate())
    log.append(aarq)
    clients["client-awaiting-aare-hls"] = fresh(c)
    receive(s, aarq)
    servers["server-awaiting-hls"] = fresh(s)
    (aare,) = s.data_to_send()
    log.append(aare)
    receive(c, aare)
    clients["client-awaiting-hls"] = fresh(c)
    (reply,) = c.data_to_send()
    log.append(reply)
    receive(s, reply)
    (answer,) = s.data_to_send()
    log.append(answer)
    receive(c, answer)
    servers["server-associated-hls"] = fresh(s)
    for request in (c.send(Get(CLOCK)), c.send(GetWithList(((CLOCK, None), (PROFILE, None))))):
        log.append(request)
    clients["client-associated-hls"] = fresh(c)
    log.append(s.send(GetReply(0xC1, CLOCK.instance)))
    log.append(c.send(Release()))
    ciphered = {
        "server-awaiting-hls": CLIENT_TITLE,
        "server-associated-hls": CLIENT_TITLE,
        "client-awaiting-hls": SERVER_TITLE,
        "client-associated-hls": SERVER_TITLE,
    }
    return Sessions(servers, clients, log, ciphered)


def fresh(template: Any) -> Any:
    """An independent copy of a template association (the AES objects of the shared keys are not copied)."""
    return copy.deepcopy(template, {id(KEYS): KEYS})


def cipher_for(plain: bytes, counter: int, general: bool, peer_title: bytes) -> bytes:
    """``plain`` as the peer would send it, ciphered with the session key and a fresh counter."""
    content = encrypt(KEYS, peer_title, counter, plain)
    if general or not plain:
        return A.GeneralGloCiphering(peer_title, content).encode()
    return A.ServiceSpecificCiphered(A.GLO_TAG.get(plain[0], A.Tag.GLO_GET_REQUEST), content).encode()
