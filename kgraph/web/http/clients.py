"""Who a client is: one rule for the front, the fair-share limits and the access log.

Behind ``--proxy-hops N`` reverse proxies, the client is the N-th address from the
right of ``X-Forwarded-For`` (each proxy appends the address it was connected from;
what the client itself wrote is further left and is not trusted), as Werkzeug's
``ProxyFix`` reads it; without proxies, the connection's own address.  For limits,
an IPv6 client is its /64 (one machine gets a /64 and could use a new address for
every request).

>>> client_address("10.0.0.1", "203.0.113.9, 198.51.100.7", hops=1)
'198.51.100.7'
>>> client_address("10.0.0.1", "198.51.100.7", hops=2)
'10.0.0.1'
>>> client_key("2001:db8::1") == client_key("2001:db8::ffff:2")
True
"""

from __future__ import annotations

import functools
import ipaddress

#: The front puts the client's address in ``REMOTE_ADDR`` (read once, here) and the
#: address of the connection's other end (a proxy's, behind one) under this key.
PEER_KEY = "kgraph.peer"


def client_address(remote: str, forwarded: str | None, hops: int) -> str:
    """The client's address, given the connection's and ``X-Forwarded-For``."""
    if hops <= 0 or not forwarded:
        return remote
    values = [value.strip() for value in forwarded.split(",")]
    if len(values) < hops:
        return remote
    return values[-hops] or remote


@functools.lru_cache(maxsize=4096)
def client_key(address: str) -> str:
    """Who a client is for its limits: its IPv4 address, or its IPv6 /64 (remembered
    for the last few thousand addresses: it is asked several times per request)."""
    try:
        parsed = ipaddress.ip_address(address.strip("[]").split("%")[0])
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)
