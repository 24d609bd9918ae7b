"""Who may read and change a region's escalation policy.

A region's timetable is the RIEP's own business: an administrator sets any
region's, a coordinator their own region's only. Everyone else is refused with
the reason, so a person knows whom to ask.
"""

from domain.identity import Principal, Role

POLICY_PERMISSIONS: dict[str, frozenset[Role]] = {
    "read region policy": frozenset({Role.COORDINATOR, Role.ADMIN}),
    "set region policy": frozenset({Role.COORDINATOR, Role.ADMIN}),
}


def policy_refusal(who: Principal, action: str, region: str) -> str | None:
    """Why `who` may not take `action` on `region`'s policy, or None when they may."""
    if who.role not in POLICY_PERMISSIONS[action]:
        return (f"a {who.role.value} may not {action}: only an admin, or a coordinator "
                f"of the region, may")
    if who.role is Role.ADMIN:
        return None
    if who.region is None:
        return (f"a {who.role.value} with no region (the user or token names none) may "
                f"not {action} for any region")
    if who.region != region:
        return (f"a {who.role.value} of {who.region} may not {action} for {region}: "
                f"only {region}'s coordinators or an admin may")
    return None
