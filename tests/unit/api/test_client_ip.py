"""Unit tests for the client address behind reverse proxies."""

from __future__ import annotations

import pytest

from chargeplane.api.client import client_ip, in_networks

PROXIES = ["127.0.0.1/32", "10.0.0.0/8", "::1/128"]


def xff(value: str) -> dict[str, str]:
    return {"x-forwarded-for": value}


def test_without_trusted_proxies_the_peer_is_the_client() -> None:
    assert client_ip("127.0.0.1", xff("203.0.113.9"), []) == "127.0.0.1"


def test_an_untrusted_peers_header_is_ignored() -> None:
    assert client_ip("198.51.100.4", xff("203.0.113.9"), PROXIES) == "198.51.100.4"


def test_a_trusted_peer_without_header_is_the_client() -> None:
    assert client_ip("127.0.0.1", {}, PROXIES) == "127.0.0.1"
    assert client_ip("127.0.0.1", xff(" , "), PROXIES) == "127.0.0.1"


def test_a_trusted_peer_vouches_for_the_hop_it_appended() -> None:
    assert client_ip("127.0.0.1", xff("203.0.113.9"), PROXIES) == "203.0.113.9"


def test_hops_are_walked_right_to_left_past_trusted_proxies() -> None:
    # client → 10.0.0.5 (proxy) → 127.0.0.1 (proxy) → us; the leftmost entry is forged.
    chain = "192.0.2.1, 203.0.113.9, 10.0.0.5"
    assert client_ip("127.0.0.1", xff(chain), PROXIES) == "203.0.113.9"


def test_when_every_hop_is_trusted_the_leftmost_is_the_client() -> None:
    assert client_ip("127.0.0.1", xff("10.0.0.7, 10.0.0.5"), PROXIES) == "10.0.0.7"


def test_garbage_left_of_the_client_is_ignored() -> None:
    assert client_ip("127.0.0.1", xff("not-an-ip, , 203.0.113.9"), PROXIES) == "203.0.113.9"


def test_garbage_as_the_nearest_hop_matches_no_allowlist() -> None:
    # A hop that is not an address is not walked past (it could be anything a client sent):
    # whatever is returned must not pass any allowlist, nor be an address left of it.
    found = client_ip("127.0.0.1", xff("203.0.113.9, garbage"), PROXIES)
    assert found != "203.0.113.9"
    assert not in_networks(found, ["0.0.0.0/0", "::/0"])


def test_ipv6_peers_and_hops() -> None:
    assert client_ip("::1", xff("2001:db8::7"), PROXIES) == "2001:db8::7"
    assert client_ip("2001:db8::1", xff("203.0.113.9"), PROXIES) == "2001:db8::1"
    assert client_ip("127.0.0.1", xff("2001:db8::7, ::1"), PROXIES) == "2001:db8::7"
    assert in_networks("2001:db8::7", ["2001:db8::/32"])
    assert not in_networks("2001:db8::7", ["10.0.0.0/8"])


def test_no_peer_is_no_client() -> None:
    assert client_ip(None, xff("203.0.113.9"), PROXIES) is None
    assert client_ip(None, {}, []) is None


@pytest.mark.parametrize(
    ("address", "cidrs", "inside"),
    [
        ("10.1.2.3", ["10.0.0.0/8"], True),
        ("10.1.2.3", ["127.0.0.0/8"], False),
        ("10.1.2.3", ["127.0.0.0/8", "10.1.2.3/32"], True),
        ("10.1.2.3", [], False),
        (None, ["0.0.0.0/0"], False),
        ("garbage", ["0.0.0.0/0"], False),
    ],
)
def test_in_networks(address: str | None, cidrs: list[str], inside: bool) -> None:
    assert in_networks(address, cidrs) is inside
