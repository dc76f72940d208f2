"""A request's network zone from its client address (the `[zones]` CIDR map)."""

from __future__ import annotations

from ipaddress import ip_address

from schemas.accounts import Zone
from schemas.settings import ZoneSettings


def zone_of(address: str | None, zones: ZoneSettings) -> Zone | None:
    """The zone whose most specific range holds `address`; None when no range does."""
    if not address:
        return None
    try:
        ip = ip_address(address)
    except ValueError:
        return None
    best: tuple[int, Zone] | None = None
    for zone in ("SA", "SJ", "MN"):
        for network in getattr(zones, zone):
            inside = ip.version == network.version and ip in network
            if inside and (best is None or network.prefixlen > best[0]):
                best = (network.prefixlen, zone)
    return best[1] if best else None
