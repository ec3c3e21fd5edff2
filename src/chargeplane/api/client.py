"""The client's address: the socket peer, or ``X-Forwarded-For`` when the peer is a trusted
proxy (walked right to left past trusted hops)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=64)
def networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def in_networks(address: str | None, cidrs: Sequence[str]) -> bool:
    if address is None:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks(tuple(cidrs)))


def client_ip(
    peer: str | None, headers: Mapping[str, str], trusted_proxies: Sequence[str]
) -> str | None:
    if not trusted_proxies or not in_networks(peer, trusted_proxies):
        return peer
    forwarded = [h.strip() for h in headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(forwarded):
        if not in_networks(hop, trusted_proxies):
            return hop if _is_ip(hop) else None
    return forwarded[0] if forwarded else peer


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
