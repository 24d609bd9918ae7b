"""People by name: who a username or a peer's register entry is, in the pages' words.

The history and the case hold people by their casework username (and peers by
their register entry), which is right for the record and wrong for a page: a
person reads "Lia Liaison, council liaison, Northshire County Council", never
`lia` or a UUID. This directory is read from the identity service and the peer
register, held for a few seconds (a page names a dozen people; the users are
few and change rarely), and asked by every page that shows or offers a person.
"""

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from api.threads import in_thread
from domain.identity import Role

ROLE_WORDS = {
    Role.COORDINATOR.value: "regional coordinator",
    Role.ADVISER.value: "improvement adviser",
    Role.AUTHORITY_LIAISON.value: "council liaison",
    Role.PEER.value: "peer",
    Role.INSPECTOR.value: "inspector",
    Role.GOVERNMENT_OFFICE.value: "government office",
    Role.ADMIN.value: "administrator",
}
HELD_FOR = 5.0  # seconds: a person added is offered on the next page after this


def role_words(role: Any) -> str:
    """A role as people say it ("council liaison", not "authority liaison")."""
    value = getattr(role, "value", role)
    return ROLE_WORDS.get(str(value), str(value or ""))


@dataclass(frozen=True)
class Person:
    """A casework account as a page names it."""

    username: str
    name: str
    role: str
    region: str | None = None
    authority: str | None = None
    active: bool = True

    @property
    def shown(self) -> str:
        """The person's name; their username only when no name was given."""
        return self.name or self.username

    @property
    def organisation(self) -> str:
        return self.authority or (f"{self.region} region" if self.region else "")

    @property
    def described(self) -> str:
        """Name, role and organisation: "Lia Liaison, council liaison, Northshire County
        Council"."""
        return ", ".join(p for p in (self.shown, role_words(self.role), self.authority
                                     or (f"{self.region}" if self.region else "")) if p)


@dataclass(frozen=True)
class RegisteredPeer:
    """A peer in the register: a person from a council or partner organisation."""

    id: str
    name: str
    organisation: str
    role: str
    user: str | None = None


@dataclass(frozen=True)
class Directory:
    """Everyone casework knows by name: accounts and the register's peers."""

    people: dict[str, Person] = field(default_factory=dict)
    peers: dict[str, RegisteredPeer] = field(default_factory=dict)

    def person(self, username: str | None) -> Person | None:
        return self.people.get(username or "")

    def name_of(self, username: str | None) -> str:
        """A person's name; "casework" for what the system recorded of itself."""
        if not username:
            return "casework"
        known = self.people.get(username)
        return known.shown if known else username

    def describe(self, username: str | None) -> str:
        if not username:
            return "casework"
        known = self.people.get(username)
        return known.described if known else username

    def peer_name(self, peer_id: str | None) -> str:
        known = self.peers.get(str(peer_id or ""))
        if known is not None:
            return known.name
        return self.name_of(peer_id) if peer_id in self.people else "a peer"

    def choose(self, *roles: str, region: str | None = None,
               authority: str | None = None) -> list[Person]:
        """Active people with one of these roles (within a region or council, if given),
        by name: the people a form may offer."""
        wanted = {getattr(r, "value", r) for r in roles}
        return sorted((p for p in self.people.values() if p.active and p.role in wanted
                       and (region is None or p.region == region)
                       and (authority is None or p.authority == authority)),
                      key=lambda p: p.shown.casefold())


def _read(app: Any) -> Directory:
    people = {u["username"]: Person(u["username"], u.get("name") or "", u["role"],
                                    u.get("region"), u.get("authority"), u.get("active", True))
              for u in app.state.identity.users()}
    peers = {}
    for p in app.state.registers.list_peers():
        peers[str(p["id"])] = RegisteredPeer(
            str(p["id"]), p.get("name", ""), p.get("organisation") or p.get("council") or "",
            p.get("role", ""), p.get("account"))
    return Directory(people, peers)


async def directory(request: Request) -> Directory:
    """The directory, read at most every few seconds per process."""
    app = request.app
    held: tuple[Directory, float] | None = getattr(app.state, "people_directory", None)
    if held is not None and held[1] > time.monotonic():
        return held[0]
    found = await in_thread(_read, app)
    app.state.people_directory = (found, time.monotonic() + HELD_FOR)
    return found


def forget(request: Request) -> None:
    """Read the directory afresh on the next page (after a person or peer is added)."""
    request.app.state.people_directory = None
