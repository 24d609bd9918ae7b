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
    "deploy a registered peer": frozenset({C}),
    "manage support budget": frozenset({C}),
}


def may_use_registers(who: Principal, action: str) -> bool:
    return who.role in REGISTER_PERMISSIONS[action]


def may_act_in_region(who: Principal, region: str) -> bool:
    """A RIEP coordinator spends and commissions for their own region's councils only."""
    return who.region is None or who.region == region
