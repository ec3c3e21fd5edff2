"""Entity tags: 32 hex digits, never the same twice, not even across a fork."""

from __future__ import annotations

import os
import re

from chargeplane.db.base import new_etag


def test_etags_are_32_hex_digits_and_unique() -> None:
    etags = [new_etag() for _ in range(100_000)]
    assert all(re.fullmatch("[0-9a-f]{32}", etag) for etag in etags)
    assert len(set(etags)) == len(etags)


def test_a_forked_child_makes_etags_of_its_own() -> None:
    """The ``random`` module reseeds in a forked child (a server forked into workers after
    import would otherwise hand out the parent's next etags)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(write, "".join(new_etag() for _ in range(3)).encode())
        os._exit(0)
    os.close(write)
    parent = "".join(new_etag() for _ in range(3))
    child = os.read(read, 200).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert len(child) == len(parent) == 96
    assert child != parent
