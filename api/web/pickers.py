"""The people and records a form offers, for this case and this person, by name.

A command's body names a person or a record by its id (a username, a register
id, `deployment-2`), which is right for the API and wrong for a page: nobody
should type an id. Each field below is asked as a choice of names, roles and
organisations, filtered to those the rules allow: a peer the domain would refuse
for this council (`domain/peers.py` `conflict_of`) is left out with the reason,
and a peer recording a visit is offered only their own deployments (the
command's own rule, `CommandSpec.allows`). A posted value that is not among the
choices is refused before the command is tried.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from fastapi import Request

from api.commands import CommandSpec
from api.threads import in_thread
from api.web.forms import Choice, FieldError, FormField
from api.web.people import Directory, Person, directory
from api.web.rendering import day
from domain.identity import Principal, Role
from domain.peers import conflict_of
from services.registers.service import RegisterService


@dataclass(frozen=True)
class Asking:
    """What a picker reads: who asks, about which case, and where people are found."""

    who: Principal
    case: dict[str, Any]
    people: Directory
    registers: RegisterService
    spec: CommandSpec | None = None

    @property
    def region(self) -> str | None:
        return self.case.get("region") or self.who.region

    @property
    def authority(self) -> str:
        return str(self.case.get("authority") or "")


Picker = Callable[[Asking, FormField], FormField]


def _people(found: list[Person]) -> tuple[Choice, ...]:
    return tuple(Choice(p.username, p.described) for p in found)


def owners(asking: Asking, f: FormField) -> FormField:
    """The active coordinators of the case's region (on a case, not its owner now). Always
    asked: a new case's form has the person opening it chosen, as the API defaults."""
    owner = asking.case.get("owner")
    return replace(f, kind="select", label="Owner", required=True, options=_people(
        [p for p in asking.people.choose(Role.COORDINATOR, region=asking.region)
         if p.username != owner]),
        hint=f"The coordinator of {asking.region or 'the region'} who owns the case.")


def advisers(asking: Asking, f: FormField) -> FormField:
    return replace(f, kind="select", label="Improvement adviser",
                   options=_people(asking.people.choose(Role.ADVISER)),
                   hint="The improvement adviser who oversees the plan.")


def grantees(asking: Asking, f: FormField) -> FormField:
    """Advisers and inspectors not yet granted; for a revocation, those granted."""
    granted = set(asking.case.get("confidential_access") or {})
    if asking.spec is not None and asking.spec.method == "revoke_confidential_access":
        return replace(f, kind="select", label="Person", hint="", options=tuple(
            Choice(u, asking.people.describe(u)) for u in sorted(granted)))
    return replace(f, kind="select", label="Person", options=_people(
        [p for p in asking.people.choose(Role.ADVISER, Role.INSPECTOR)
         if p.username not in granted]), hint="An improvement adviser or an inspector.")


def peer_accounts(asking: Asking, f: FormField) -> FormField:
    return replace(f, kind="select", label="The peer's casework account",
                   options=_people(asking.people.choose(Role.PEER)),
                   hint="Lets the peer read the case and record visits. Leave it as it "
                        "is to use the account the register links to the peer.")


def peers(asking: Asking, f: FormField) -> FormField:
    """The register's peers with days left, each as "Name, role, organisation, N days
    left"; those the domain would refuse for this council are left out, with why."""
    offered, left_out = [], []
    for p in asking.registers.list_peers():
        refused = conflict_of(name=p["name"], organisation=p["organisation"],
                              council=p.get("council"), authority=asking.authority,
                              conflicts_of_interest=p.get("conflicts_of_interest") or ())
        if refused is not None:
            left_out.append(_why_not(p, refused[0], asking.authority))
        elif int(p.get("days_left") or 0) < 1:
            left_out.append(f"{p['name']} has no days left this quarter")
        else:
            offered.append(Choice(str(p["id"]), _peer_label(p)))
    return replace(f, kind="select", label="Peer", options=tuple(offered),
                   left_out=tuple(left_out), hint="Accredited peers with days left.")


def _peer_label(p: dict[str, Any]) -> str:
    days = int(p.get("days_left") or 0)
    return (f"{p['name']}, {p['role']}, {p['organisation']}, "
            f"{days} day{'' if days == 1 else 's'} left")


def _why_not(p: dict[str, Any], rule: str, authority: str) -> str:
    if rule == "peer_own_council":
        return f"{p['name']} works for {p['organisation']}, the council this case supports"
    return f"{p['name']} has a conflict of interest with {authority}"


def offers(asking: Asking, f: FormField) -> FormField:
    """The support matrix's offers open to this region, with days left this year."""
    found = [o for o in asking.registers.list_offers()
             if o.get("region") in (None, "", asking.region) and int(o.get("days_left") or 0)]
    return replace(f, kind="select", label="Support", options=tuple(
        Choice(str(o["id"]), f"{o['title']}, {o['provider']}, {o['days_left']} days left")
        for o in found), hint="Offers of the support matrix open to this region.")


def deployments(asking: Asking, f: FormField) -> FormField:
    """This case's active deployments by peer name and role; a peer sees only their own."""
    found = [(key, d) for key, d in (asking.case.get("deployments") or {}).items()
             if d.get("status", "active") == "active" and _allowed(asking, key)]
    return replace(f, kind="select", label="Peer deployment", options=tuple(
        Choice(key, f"{_peer_of(asking, d)}, {d.get('role', '')}, {d.get('peer_council', '')}"
                    f"{_since(d.get('deployed_at'))}")
        for key, d in found))


def _since(deployed_at: Any) -> str:
    """When the peer was deployed: two deployments of one peer read apart."""
    return f", deployed {day(deployed_at)}" if deployed_at else ""


def _allowed(asking: Asking, deployment_id: str) -> bool:
    spec = asking.spec
    if spec is None or spec.allows is None:
        return True
    return spec.allows(asking.who, _Named(deployment_id), asking.case)


@dataclass(frozen=True)
class _Named:
    """A body naming one deployment, to ask a command's own rule about it."""

    deployment_id: str


def _peer_of(asking: Asking, d: dict[str, Any]) -> str:
    return _peer_name(asking.people, d)


def _peer_name(people: Directory, d: dict[str, Any]) -> str:
    """The deployed peer's name: the register's, else their account's."""
    registered = people.peers.get(str(d.get("registered_peer_id") or ""))
    return registered.name if registered else people.peer_name(d.get("peer_id"))


def deployment_peers(people: Directory, case: dict[str, Any]) -> dict[str, str]:
    """Each deployment's peer by name, as the case's table shows them."""
    return {key: _peer_name(people, d) for key, d in (case.get("deployments") or {}).items()}


def commissions(asking: Asking, f: FormField) -> FormField:
    """This case's commissions still running, by provider and support."""
    running = [(c.get("commission_id") or f"commission-{i + 1}", c)
               for i, c in enumerate(asking.case.get("commissions") or [])]
    return replace(f, kind="select", label="Commissioned support", options=tuple(
        Choice(key, f"{c.get('description', '')}, {c.get('provider', '')}")
        for key, c in running if c.get("status", "active") == "active"))


def councils(asking: Asking, f: FormField) -> FormField:
    """The register's councils: a coordinator's own region's only."""
    found = asking.registers.list_authorities(
        asking.who.region if asking.who.role == Role.COORDINATOR else None)
    return replace(f, kind="select", label="Council", autocomplete=True, hint=(
        "Start typing the council's name." if found else "No council of your region is in "
        "the register yet."), options=tuple(Choice(a["name"], a["name"]) for a in found))


PICKERS: dict[str, Picker] = {
    "owner": owners, "adviser_id": advisers, "grantee": grantees, "peer_user": peer_accounts,
    "peer_id": peers, "offer_id": offers, "deployment_id": deployments,
    "commission_id": commissions, "authority": councils,
}


async def choices(request: Request, who: Principal, fields: list[FormField], *,
                  case: dict[str, Any] | None = None,
                  spec: CommandSpec | None = None) -> list[FormField]:
    """The form's fields, each naming a person or record asked as a choice of names."""
    if not any(f.name in PICKERS for f in fields):
        return fields
    asking = Asking(who, case or {}, await directory(request), request.app.state.registers,
                    spec)
    return await in_thread(lambda: [PICKERS[f.name](asking, f) if f.name in PICKERS else f
                                    for f in fields])


def unchosen(fields: list[FormField], form: dict[str, Any],
             errors: list[FieldError]) -> list[FieldError]:
    """The form's errors, a posted value that is not among a field's choices refused in
    plain words (in place of what the API would say of that field)."""
    refused = [FieldError(f.name, "not_a_choice", f"Choose {f.label.lower()} from the list")
               for f in fields if f.kind == "select" and _posted(form, f.name)
               and _posted(form, f.name) not in {c.value for c in f.options}]
    named = {e.field for e in refused}
    return refused + [e for e in errors if e.field not in named]


def _posted(form: dict[str, Any], name: str) -> str:
    return str(form.get(name) or "").strip()
