"""Who owns a case, and who beyond the coordinators may read its confidential material.

Every case has an owner: a coordinator of the case's region, who is reminded of
its deadlines and answers for it. The owner is set when the case is opened and
changed only by a recorded reassignment.

Seed 003's Chatham House group (the government office, the improvement agency,
the audit body and the RIEP's own team) exchanges intelligence whose sources
must not travel beyond it. Coordinators are the RIEP's team and always see
them. The other members are known to casework by their roles: the government
office's people (the ministry's locality team) by the "government office" role,
the improvement agency's as advisers, the audit body's as inspectors. Each sees
the sources on one case only once a coordinator of that case has granted it,
until it is revoked; the government office reads no case at all without a grant.

The people these rules judge are looked up by the services (the user store) and
handed in as `Person`s, so the rules stay here and do no I/O. Naming the wrong
person is an invalid field (422); asking for what the case already has (the
same owner, a second grant, revoking none) is a rule of its state (409).
"""

from dataclasses import dataclass

from domain.errors import InvalidField
from domain.identity import Role

OWNER_RULE = "owner_is_region_coordinator"
OWNER_REQUIRED = "owner_required"
OWNER_UNCHANGED = "owner_unchanged"
GROUP_RULE = "grant_to_confidential_group"
ALREADY_GRANTED = "confidential_access_already_granted"
NOT_GRANTED = "confidential_access_not_granted"

CONFIDENTIAL_GROUP_ROLES = frozenset({Role.GOVERNMENT_OFFICE, Role.ADVISER, Role.INSPECTOR})
"""The roles whose holders may be granted a case's confidential material: the group's
members as casework knows them (coordinators see it already; a council's own liaison
and peers from other councils are never part of the group)."""


@dataclass(frozen=True)
class Person:
    """A user as the rules need them: who, in which role and region, and whether active."""

    username: str
    role: str | None = None  # None: no such user
    region: str | None = None
    active: bool = False

    @classmethod
    def unknown(cls, username: str) -> "Person":
        """Someone the user store does not know: no role, never active."""
        return cls(username=username)


def check_owner(person: Person, region: str) -> str:
    """The owner's username; refused unless an active coordinator of the case's region."""
    if person.active and person.role == Role.COORDINATOR.value and person.region == region:
        return person.username
    raise InvalidField(
        f"the owner must be an active coordinator of {region}; {person.username!r} is not",
        rule=OWNER_RULE, field="owner")


def opening_owner(named: Person | None, region: str, *, actor_id: str, actor_role: str) -> str:
    """Who owns a new case: the coordinator named, else the coordinator who opens it.

    Anyone else opening a case (an administrator, an automated import) must name
    its owner: a case nobody owns would remind nobody in particular.
    """
    if named is not None:
        return check_owner(named, region)
    if actor_role == Role.COORDINATOR.value:
        return actor_id
    raise InvalidField("name the case's owner: only a coordinator who opens a case owns it "
                        "without naming one", rule=OWNER_REQUIRED, field="owner")


def check_confidential_grantee(person: Person) -> str:
    """The grantee's username; refused unless an active member of the confidential group."""
    if person.active and person.role in {r.value for r in CONFIDENTIAL_GROUP_ROLES}:
        return person.username
    roles = ", ".join(sorted(r.value for r in CONFIDENTIAL_GROUP_ROLES))
    raise InvalidField(
        f"confidential material is granted only to an active {roles} (the Chatham House "
        f"group's members); {person.username!r} is not", rule=GROUP_RULE, field="grantee")
