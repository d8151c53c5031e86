"""The SSRF guard on webhook URLs: where the platform may send a market party's events.

A webhook URL is the one place where a market party makes the platform open a connection, so it must not reach
inside: the platform's own services, the cloud's metadata address, the operator's network. :func:`check_url`
refuses, with a sentence for the party, a URL that is not ``https`` (``http`` only to ``127.0.0.1`` and only when
the deployment is ``test`` or ``demo``), that carries a user name or password, or whose host resolves to any
address that is not global unicast (private, loopback, link-local, multicast, reserved, unspecified, shared,
IPv4-mapped or 6to4 forms of those — :mod:`ipaddress`); every address the name resolves to must pass, not just
the first. It runs when a subscription is made (a 422 problem) and again at delivery: :class:`GuardedTransport`
resolves and checks at connect time and connects to the very address it checked (the TLS name check and SNI
still use the host name), so a name that later resolves inside (DNS rebinding) is refused too. Redirects are not
followed (:func:`guarded_client`): a ``3xx`` answer is a failed delivery. ``resolve`` is injectable: tests give
names fixed addresses without a network.
"""

from __future__ import annotations

import ipaddress
import socket
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal
from urllib.parse import urlsplit

import httpcore
import httpx

Deployment = Literal["production", "test", "demo"]
DEPLOYMENTS: Final[tuple[Deployment, ...]] = ("production", "test", "demo")
Resolver = Callable[[str, int], Sequence[str]]
"""A host name and port → the addresses it resolves to (as text)."""
LOOPBACK_HOST: Final = "127.0.0.1"


class UnsafeURL(ValueError):
    """The URL may not receive webhooks; the message says why, in words for the party."""


def system_resolve(host: str, port: int) -> list[str]:
    """The host's addresses by the system's resolver (every family)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as e:
        raise UnsafeURL(f"The host {host} does not resolve.") from e
    return sorted({str(info[4][0]) for info in infos})


def _embedded_v4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    return ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)


def refusal(address: str) -> str | None:
    """Why ``address`` may not receive webhooks (None: a global unicast address)."""
    try:
        ip: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address} is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address) and (inner := _embedded_v4(ip)) is not None:
        ip = inner
    for what, bad in (
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("unspecified", ip.is_unspecified),
        ("reserved", ip.is_reserved),
    ):
        if bad:
            return f"{address} is a {what} address"
    if not ip.is_global:
        return f"{address} is not a public address"
    return None


@dataclass(frozen=True, slots=True)
class Egress:
    """Where webhooks may go: the deployment (``http`` to 127.0.0.1 only in ``test`` / ``demo``) and the
    resolver."""

    deployment: Deployment = "production"
    resolve: Resolver = field(default=system_resolve)

    @property
    def loopback_http(self) -> bool:
        return self.deployment in ("test", "demo")

    def check_url(self, url: str) -> list[str]:
        """The addresses ``url`` may be sent to; :class:`UnsafeURL` if none may (see the module docstring)."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as e:
            raise UnsafeURL("The URL is not valid.") from e
        host = (parts.hostname or "").lower()
        if not host:
            raise UnsafeURL("The URL needs a host.")
        if parts.username is not None or parts.password is not None:
            raise UnsafeURL("The URL may not carry a user name or password.")
        if parts.scheme == "http" and self.loopback_http and host == LOOPBACK_HOST:
            return [LOOPBACK_HOST]
        if parts.scheme != "https":
            extra = " (http only to 127.0.0.1 in a test or demo deployment)" if self.loopback_http else ""
            raise UnsafeURL(f"Webhooks are sent over https only{extra}.")
        return self.check_host(host, port or 443)

    def check_host(self, host: str, port: int) -> list[str]:
        """Every address ``host`` resolves to, if all are global unicast; :class:`UnsafeURL` otherwise."""
        if self.loopback_http and host == LOOPBACK_HOST:
            return [LOOPBACK_HOST]
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = list(self.resolve(host, port))
        if not addresses:
            raise UnsafeURL(f"The host {host} does not resolve.")
        for a in addresses:
            why = refusal(a)
            if why is not None:
                raise UnsafeURL(f"Webhooks are not sent inside networks: {host} resolves to {why}.")
        return addresses


PRODUCTION: Final = Egress()
"""The default: https to public addresses only, by the system's resolver."""


class _GuardedBackend(httpcore.SyncBackend):
    """Resolves and checks the host at connect time, then connects to the checked address itself."""

    def __init__(self, egress: Egress) -> None:
        self.egress = egress

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = self.egress.check_host(host.lower(), port)
        except UnsafeURL as e:
            raise httpcore.ConnectError(f"refused: {e}") from e
        return super().connect_tcp(addresses[0], port, timeout, local_address, socket_options)


class GuardedTransport(httpx.HTTPTransport):
    """An httpx transport that refuses a non-https URL (but loopback http in test/demo) before sending and checks
    every connection's address (see the module docstring)."""

    def __init__(self, egress: Egress) -> None:
        super().__init__()
        self.egress = egress
        # the pool httpx made, rebuilt with the guarded network backend (httpx exposes no option for it)
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(), network_backend=_GuardedBackend(egress)
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https":
            try:
                self.egress.check_url(str(request.url))
            except UnsafeURL as e:
                raise httpx.ConnectError(f"refused: {e}", request=request) from e
        return super().handle_request(request)


def guarded_client(egress: Egress, timeout: float = 10.0) -> httpx.Client:
    """The client webhooks are delivered with: guarded, no redirects followed, no proxy from the environment."""
    return httpx.Client(transport=GuardedTransport(egress), timeout=timeout, follow_redirects=False, trust_env=False)


__all__ = [
    "DEPLOYMENTS",
    "PRODUCTION",
    "Deployment",
    "Egress",
    "GuardedTransport",
    "Resolver",
    "UnsafeURL",
    "guarded_client",
    "refusal",
    "system_resolve",
]
