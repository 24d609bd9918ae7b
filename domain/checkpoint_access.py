"""Who may write and read the signed checkpoints of the history.

Checkpoints cover every case at once, so they are not scoped to a region:
inspectors read them (and keep them), coordinators and administrators may also
ask for one to be written now.
"""

from domain.identity import Principal, Role

CHECKPOINT_PERMISSIONS: dict[str, frozenset[Role]] = {
    "read checkpoints": frozenset({Role.COORDINATOR, Role.INSPECTOR, Role.ADMIN}),
    "write checkpoint": frozenset({Role.COORDINATOR, Role.ADMIN}),
}


def may_use_checkpoints(who: Principal, action: str) -> bool:
    return who.role in CHECKPOINT_PERMISSIONS[action]
