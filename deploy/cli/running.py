"""One way to run a command on casework's services: built, used, closed, refusals said."""

import sys
from collections.abc import Callable

from domain.errors import DomainError
from services.bootstrap import Services, build_services
from services.platform.settings import Settings


def on_services(action: Callable[[Services], object]) -> int:
    """Build this process's services (services/bootstrap.py), run `action`, close them.
    A refusal by a rule of casework is exit 2, with its reason on standard error."""
    services = build_services(Settings())
    try:
        action(services)
    except DomainError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 2
    finally:
        services.close()
    return 0
