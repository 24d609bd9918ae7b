"""Who may read and change the registers, the support matrix and the budgets.

Everyone signed in may read them (a peer sees which offers exist; an inspector
sees what was committed). Only RIEP coordinators commission support, deploy
peers and commit money; administrators may also keep the registers.
"""

from domain.identity import Principal, Role

C, A, L, P, I, ADM = (Role.COORDINATOR, Role.ADVISER, Role.AUTHORITY_LIAISON, Role.PEER,
                      Role.INSPECTOR, Role.ADMIN)

REGISTER_PERMISSIONS: dict[str, frozenset[Role]] = {
    "read registers": frozenset({C, A, L, P, I, ADM}),
    "match support": frozenset({C, A}),
    "keep registers": frozenset({C, ADM}),
    "commission from the matrix": frozenset({C}),
    "manage support budget": frozenset({C}),
}


def may_use_registers(who: Principal, action: str) -> bool:
    return who.role in REGISTER_PERMISSIONS[action]


def region_refusal(who: Principal, region: str | None) -> str | None:
    """Why `who` may not change `region`'s registers, or None when they may.

    A RIEP coordinator keeps, commissions, deploys and spends for their own region
    only; one whose user or token names no region (an OIDC token without the
    region claim) acts in none, never in all. An administrator keeps every
    region's registers. `region` None is a national offer, which no region owns.
    """
    if who.role is ADM:
        return None
    if who.region is None:
        return (f"a {who.role.value} with no region (the user or token names none, e.g. no "
                f"casework_region claim) may not change any region's registers")
    if region is not None and who.region != region:
        return f"a {who.role.value} of {who.region} may not change {region}'s registers"
    return None
