"""Where a region's webhook may point, checked with the host resolved now.

The rule is domain/webhook_address.py's; this adds the lookup. It runs when a
policy is set (services/policy/service.py) and again before every delivery
(services/reminders/notifiers.py), since what a name resolves to can change.
"""

import socket

from domain.webhook_address import WebhookAddress, check_resolved, webhook_address


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to now; none when it does not resolve."""
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        return []
    return sorted({str(info[4][0]) for info in found})


def checked_address(url: str, allowed_hosts: frozenset[str]) -> WebhookAddress:
    """The webhook address rule (domain/webhook_address.py) with the host resolved now:
    when a policy is set, and again before every delivery, since DNS can change."""
    address = webhook_address(url)
    resolved = [] if address.host in allowed_hosts else resolve(address.host, address.port)
    check_resolved(address, resolved, allowed_hosts)
    return address
