"""Where a region's webhook may post: one rule, checked when a policy is set and again
at every delivery.

A webhook is a request the service makes on a coordinator's say-so from inside
the network it runs in. Pointed at http://169.254.169.254/ (a cloud's metadata
service) or http://10.0.0.5/admin, it would reach what no user should. So a
webhook must use https (plain http only to this machine, for local use), and
every address its host resolves to must be a public one, unless the operator
names the host as allowed (a receiver inside their own network).

The domain does no I/O: the caller resolves the host (services/reminders/webhooks.py) and
hands the addresses in. Checking again at delivery matters because DNS can
change after the policy was set.
"""

from dataclasses import dataclass
from ipaddress import IPv4Address, IPv6Address, ip_address
from urllib.parse import urlsplit

from domain.errors import InvalidField

FIELD = "webhook_url"
HTTPS_ONLY = "webhook_https_only"
NOT_PUBLIC = "webhook_address_not_public"
UNRESOLVED = "webhook_host_unresolved"


@dataclass(frozen=True)
class WebhookAddress:
    """A webhook URL that passed the scheme rule: its host (lower case, no brackets)
    and the port a connection goes to."""

    url: str
    scheme: str
    host: str
    port: int


def webhook_address(url: str) -> WebhookAddress:
    """The URL's parts, refusing anything but https, or http to this machine itself."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise _refused(f"webhook_url must be an https URL; got {url!r}", HTTPS_ONLY) from None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").lower()
    if scheme not in ("https", "http") or not host:
        raise _refused(f"webhook_url must be an https URL; got {url!r}", HTTPS_ONLY)
    if scheme == "http" and not _loopback_name(host):
        raise _refused("webhook_url must use https; plain http is allowed only to this "
                       f"machine (localhost, 127.0.0.1, ::1); got {url!r}", HTTPS_ONLY)
    return WebhookAddress(url, scheme, host, port or (443 if scheme == "https" else 80))


def check_resolved(address: WebhookAddress, resolved: list[str],
                   allowed_hosts: frozenset[str]) -> None:
    """Refuse a host that resolves to nothing, or to any address that is not public
    (private, link-local, loopback, reserved, multicast), unless the operator allows
    the host by name. Every address counts: a connection may go to any of them."""
    if address.host in allowed_hosts:
        return
    if not resolved:
        raise _refused(f"webhook_url's host {address.host} does not resolve to any address",
                       UNRESOLVED)
    inside = [each for each in resolved if not is_public(each)]
    if inside:
        raise _refused(
            f"webhook_url's host {address.host} resolves to {inside[0]}, a private, "
            "link-local or loopback address; a webhook may reach one only on a host the "
            "operator allows (CASEWORK_WEBHOOK_ALLOWED_HOSTS)", NOT_PUBLIC)


def is_public(text: str) -> bool:
    """An address on the public internet; anything unreadable counts as not."""
    try:
        ip = ip_address(text.split("%", 1)[0])  # a scoped IPv6 address names its interface
    except ValueError:
        return False
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is 127.0.0.1 (Python 3.11 does not say so)
    return ip.is_global and not ip.is_multicast


def _loopback_name(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ip: IPv4Address | IPv6Address = ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback


def _refused(message: str, rule: str) -> InvalidField:
    return InvalidField(message, field=FIELD, rule=rule)
