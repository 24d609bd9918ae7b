"""Users, their bearer tokens, and OIDC tokens from an identity provider.

Local users are added in the People pages (and let in by an emailed sign-in link,
services/identity/sign_in_links.py), through the users API, or with the command line
(`casework users`); a person makes tokens for their programs on their account page.
Only a SHA-256 digest of each token is stored, so a copy of the database
gives no one a way in. Tokens are long random strings, which is why a plain
digest (not a slow password hash) is enough. In production an identity
provider's JWTs are accepted too, when an issuer and a JWKS URL are set.

    casework users add alice --role coordinator --region "North West" --email alice@riep.example
    casework users issue-token alice
"""

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import jwt
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import register_topic

from domain.authorities import check_registered
from domain.errors import DomainError
from domain.identity import Principal, Reach, Role, User, may_manage, parse_role
from domain.ownership import Person
from services.eventstore.store import EventStoreApplication
from services.identity.sign_in_links import SignInLinks
from services.platform.settings import Settings, private_sqlite_file

_NAMESPACE = uuid.UUID("6f1d6c1e-3b1a-4d35-9a52-5b0c4c1e7a10")
TOKEN_PREFIX = "cw_"


class Unauthenticated(DomainError):
    """No token, or a token that is unknown, expired, revoked or badly signed."""

    rule = "unauthenticated"


class UserNotFound(DomainError):
    rule = "user_not_found"


class UserExists(DomainError):
    rule = "user_exists"


def user_id(username: str) -> UUID:
    return User.create_id(username)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_index_id(digest: str) -> UUID:
    return uuid.uuid5(_NAMESPACE, f"token:{digest}")


class TokenIndex(Aggregate):
    """Finds a user by the digest of a token, without storing the token."""

    @staticmethod
    def create_id(digest: str, **_: Any) -> UUID:
        return token_index_id(digest)

    def __init__(self, *, digest: str, username: str) -> None:
        self.username = username


# Stored before services/ became packages: old events keep their topic and still load.
register_topic("services.identity:TokenIndex", TokenIndex)


def build_identity_service(settings: Settings, *,
                           authorities: Callable[[str], str | None] | None = None,
                           links: SignInLinks | None = None) -> "IdentityService":
    """Users live beside the cases, in their own SQLite file or PostgreSQL tables."""
    env = settings.eventsourcing_env()
    if settings.store == "sqlite":
        env["SQLITE_DBNAME"] = str(private_sqlite_file(settings.data_dir / "access.sqlite"))
    return IdentityService(env, authorities=authorities, links=links,
                           token_cache_seconds=settings.token_cache_seconds)


class IdentityService(EventStoreApplication):
    """Registers users, issues their tokens and recognises them when they return."""

    name = "identity"
    not_found_error = UserNotFound
    # How long a recognised token is believed without reading the store again.
    # Deactivating through this service forgets the user's tokens at once; a
    # deactivation made elsewhere (the command line) takes effect within this time.
    token_cache_seconds = 0.0
    # The register of authorities (a council's region, None if unknown): when set, an
    # authority liaison must name a registered council.
    authorities: Callable[[str], str | None] | None = None

    # The sign-in links sent by email: deactivating someone cancels theirs.
    links: SignInLinks | None = None

    def __init__(self, env: dict[str, str] | None = None, *,
                 authorities: Callable[[str], str | None] | None = None,
                 token_cache_seconds: float = 0.0, links: SignInLinks | None = None) -> None:
        super().__init__(env)
        self.authorities = authorities
        self.links = links
        self.token_cache_seconds = token_cache_seconds
        self._recognised: dict[str, tuple[Principal, float]] = {}
        self._signed_in: dict[str, tuple[Principal, float]] = {}

    def register_user(self, *, username: str, role: str, region: str | None = None,
                      authority: str | None = None, name: str = "",
                      email: str | None = None, digest: bool = False) -> dict[str, Any]:
        if authority and self.authorities is not None:
            check_registered(authority, self.authorities(authority))
        if self._find(username) is not None:
            raise UserExists(f"a user named {username!r} already exists", field="username")
        user = User.register(username=username, name=name, role=role, region=region,
                             authority=authority, email=email, digest=digest)
        self.save(user)
        return user_view(user)

    def change_email(self, username: str, email: str | None) -> dict[str, Any]:
        """Where the user's notices go from now on; blank for none. Links already sent
        went to the old address, which may no longer be theirs: they stop working."""
        user = self._get(username)
        if user.change_email(email):
            self.save(user)
            if self.links is not None:
                self.links.cancel(username)
        return user_view(user)

    def user(self, username: str) -> dict[str, Any]:
        return user_view(self._get(username))

    def choose_digest(self, username: str, digest: bool) -> dict[str, Any]:
        """A morning digest instead of each reminder (True), or each reminder again."""
        user = self._get(username)
        if user.choose_digest(digest):
            self.save(user)
        return user_view(user)

    def digest_addresses(self) -> set[str]:
        """The addresses of active users who chose the morning digest."""
        return {u["email"] for u in self.users() if u["digest"] and u["active"] and u["email"]}

    def email_of(self, username: str) -> str:
        """An active user's address; blank for an unknown, inactive or address-less user."""
        user = self._find(username)
        return user.__dict__.get("email", "") if user is not None and user.active else ""

    def coordinators_of(self, region: str) -> list[str]:
        """The addresses of the region's active coordinators who gave one."""
        return [u["email"] for u in self.users()
                if u["role"] == Role.COORDINATOR.value and u["region"] == region
                and u["active"] and u["email"]]

    def liaisons_of(self, authority: str) -> list[str]:
        """The addresses of the council's active liaisons who gave one."""
        return [u["email"] for u in self.users()
                if u["role"] == Role.AUTHORITY_LIAISON.value and u["authority"] == authority
                and u["active"] and u["email"]]

    def name_of(self, username: str) -> str:
        """A person's name as notices give it (the username only for one unknown)."""
        user = self._find(username)
        return str(user.name or username) if user is not None else username

    def person(self, username: str) -> Person:
        """A user as the case's rules judge them (owners, grantees); unknown if none."""
        user = self._find(username)
        if user is None:
            return Person.unknown(username)
        return Person(username=user.username, role=user.role, region=user.region,
                      active=user.active)

    def issue_token(self, username: str, *, label: str = "") -> str:
        """A new token for the user; shown once, only its digest is kept."""
        user = self._get(username)
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        user.issue_token(token_hash=digest, label=label, issued_at=_now())
        self.save(user, TokenIndex(digest=digest, username=user.username))
        return token

    def tokens_of(self, username: str) -> list[dict[str, str]]:
        """The person's tokens still accepted, by label and when made (never the token)."""
        return [{"id": digest[:16], "label": label, "issued_at": issued_at}
                for digest, label, issued_at in self._get(username).tokens()]

    def revoke_token(self, username: str, token_id: str) -> bool:
        """Stop accepting one of the person's tokens, named by the start of its digest."""
        user = self._get(username)
        digest = next((h for h, _, _ in user.tokens() if token_id and h[:16] == token_id), "")
        if not user.revoke_token(digest):
            return False
        self.save(user)
        self._recognised.pop(digest, None)
        return True

    def deactivate(self, username: str) -> None:
        user = self._get(username)
        user.deactivate()
        self.save(user)
        self._forget(username)
        if self.links is not None:  # their sessions end too: their tokens are refused
            self.links.cancel(username)

    def signed_out(self, username: str, token: str) -> None:
        """A page session made by a sign-in link has ended: its token goes with it, so no
        credential outlives the session (a token pasted by the person stays theirs)."""
        user = self._find(username)
        digest = token_digest(token)
        if user is not None and any(h == digest and label == SIGNED_IN_BY_LINK
                                    for h, label, _ in user.tokens()):
            user.revoke_token(digest)
            self.save(user)
            self._recognised.pop(digest, None)

    # -- who manages whom (domain/identity.py `may_manage`) ------------------------

    def may_give(self, by: Principal, reach: Reach) -> bool:
        """Whether `by` may give someone this role and reach."""
        region = (self.authorities(reach.authority) if self.authorities and reach.authority
                  else None)
        return may_manage(by, reach, council_region=region)

    def may_manage(self, by: Principal, username: str) -> bool:
        """Whether `by` may manage this person as they are now (raises UserNotFound)."""
        user = self._get(username)
        return self.may_give(by, Reach(Role(user.role), user.region, user.authority))

    def managed_by(self, by: Principal) -> list[dict[str, Any]]:
        """The people `by` sees on the people pages, by name."""
        return sorted((u for u in self.users() if self.may_give(
            by, Reach(Role(u["role"]), u["region"], u["authority"]))),
            key=lambda u: (str(u["name"] or u["username"]).casefold(), u["username"]))

    def change_reach(self, username: str, *, role: str, region: str | None,
                     authority: str | None) -> dict[str, Any]:
        """A person's new role or reach (a council liaison names a registered council)."""
        if authority and self.authorities is not None:
            check_registered(authority, self.authorities(authority))
        user = self._get(username)
        if user.change_reach(Reach.of(role, region, authority)):
            self.save(user)
            self._forget(username)
        return user_view(user)

    # -- sign-in links (services/identity/sign_in_links.py keeps the links) ---------

    def sign_in_link_sent(self, username: str, *, sent_by: str) -> dict[str, Any]:
        """Records on the person's stream that a link was sent, and by whom."""
        user = self._get(username)
        user.send_sign_in_link(sent_by=sent_by)
        self.save(user)
        return user_view(user)

    def sign_in_link_handed_over(self, username: str, *, handed_by: str) -> dict[str, Any]:
        """Records on the person's stream that a link was shown to `handed_by` to pass on."""
        user = self._get(username)
        user.hand_over_sign_in_link(handed_by=handed_by)
        self.save(user)
        return user_view(user)

    def signed_in_by_link(self, username: str) -> str:
        """A token for the page session of a person who used a link, and the fact recorded;
        Unauthenticated when the person is unknown or deactivated."""
        user = self._find(username)
        if user is None or not user.active:
            raise Unauthenticated("the sign-in link's user is deactivated")
        user.sign_in_link_used(at=_now())
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        digest = token_digest(token)
        user.issue_token(token_hash=digest, label=SIGNED_IN_BY_LINK, issued_at=_now())
        self.save(user, TokenIndex(digest=digest, username=user.username))
        return token

    def recognised(self, token: str) -> Principal | None:
        """The person behind a token recognised within the cache time; no I/O, so an
        event loop may call it directly."""
        known = self._recognised.get(token_digest(token))
        if known is not None and known[1] > time.monotonic():
            return known[0]
        return None

    def authenticate(self, token: str) -> Principal:
        principal = self.recognised(token)
        if principal is not None:
            return principal
        digest = token_digest(token)
        principal = self._authenticate(digest)
        if self.token_cache_seconds > 0:
            if len(self._recognised) > 10_000:
                self._recognised.clear()
            self._recognised[digest] = (principal, time.monotonic() + self.token_cache_seconds)
        return principal

    def seen_signed_in(self, principal: Principal) -> bool:
        """Whether this person, signed in by the identity provider with this reach, was
        entered in the directory within the cache time; no I/O."""
        known = self._signed_in.get(principal.id)
        return known is not None and known[0] == principal and known[1] > time.monotonic()

    def signed_in(self, principal: Principal) -> None:
        """Enter a person the identity provider vouches for in the directory, or bring
        their role and reach up to date, so that a coordinator can name them as a case's
        owner or grant them its confidential discussion (the rules look people up here).

        A person deactivated here is refused even with a valid identity token. Claims
        the directory cannot place (a coordinator without a region) are not entered;
        the person still acts as the token says, and is not looked up again until the
        cache time has passed."""
        user = self._find(principal.id)
        if user is not None and not user.active:
            raise Unauthenticated("the identity token's user is deactivated here")
        try:
            reach = Reach.of(principal.role, principal.region, principal.authority)
            if user is None:
                self._enter(principal, reach)
            elif user.follow_identity_provider(reach):
                self.save(user)
        except DomainError:
            pass
        if len(self._signed_in) > 10_000:
            self._signed_in.clear()
        self._signed_in[principal.id] = (principal, time.monotonic() + self.token_cache_seconds)

    def _enter(self, principal: Principal, reach: Reach) -> None:
        user = User.register(username=principal.id, name=principal.name,
                             role=reach.role.value, region=reach.region,
                             authority=reach.authority)
        try:
            self.save(user)
        except IntegrityError:  # another process entered them first: theirs stands
            pass

    def _forget(self, username: str) -> None:
        self._signed_in.pop(username, None)
        for digest, (principal, _) in list(self._recognised.items()):
            if principal.id == username:
                self._recognised.pop(digest, None)

    def _authenticate(self, digest: str) -> Principal:
        try:
            index = self.repository.get(token_index_id(digest))
        except Exception:  # noqa: BLE001 - any miss is the same answer to the caller
            raise Unauthenticated("the bearer token is not recognised") from None
        user = self._find(index.username)
        if user is None or not user.active:
            raise Unauthenticated("the bearer token's user is deactivated")
        if digest not in user.token_hashes:
            raise Unauthenticated("the bearer token was revoked")
        return user.principal()

    def users(self) -> list[dict[str, Any]]:
        return [user_view(self.repository.get(i))
                for i in self.ids_with_topic("User.UserRegistered")]

    def has_users(self) -> bool:
        return bool(self.users())

    def _find(self, username: str) -> User | None:
        try:
            return self.repository.get(user_id(username))
        except Exception:  # noqa: BLE001 - not found
            return None

    def _get(self, username: str) -> User:
        user = self._find(username)
        if user is None:
            raise UserNotFound(f"no user named {username!r}", field="username")
        return user


SIGNED_IN_BY_LINK = "signed in by link"
"""The label of the token a page session holds after a sign-in link (not listed as a
program's token on the account page)."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def user_view(user: User) -> dict[str, Any]:
    return {"username": user.username, "name": user.name, "role": user.role,
            "region": user.region, "authority": user.authority,
            "email": user.__dict__.get("email", ""),
            "digest": user.__dict__.get("digest", False), "active": user.active,
            "tokens": len(user.token_hashes),
            "last_signed_in": user.__dict__.get("last_signed_in", "")}


class OidcVerifier:
    """Accepts JWTs signed by the configured issuer's keys (fetched from its JWKS URL).

    The role, region and authority come from claims named in the settings; the
    subject (`sub`) is the person's id on every event they record.
    """

    def __init__(self, *, issuer: str, jwks_url: str, audience: str = "",
                 claim_prefix: str = "casework_") -> None:
        self.issuer = issuer
        self.audience = audience or None
        self.claim_prefix = claim_prefix
        self.keys = jwt.PyJWKClient(jwks_url, cache_keys=True, lifespan=300, timeout=5)

    def verify(self, token: str) -> Principal:
        try:
            key = self.keys.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token, key.key, algorithms=["RS256", "ES256"], issuer=self.issuer,
                audience=self.audience, options={"require": ["exp", "sub", "iss"],
                                                 "verify_aud": self.audience is not None},
            )
        except jwt.PyJWTError as error:
            raise Unauthenticated(f"the identity token was refused: {error}") from None
        try:
            role = parse_role(claims.get(self.claim_prefix + "role"))
        except DomainError:
            raise Unauthenticated(
                f"the identity token carries no valid {self.claim_prefix}role claim") from None
        return Principal(id=str(claims["sub"]), role=role, name=str(claims.get("name", "")),
                         region=claims.get(self.claim_prefix + "region"),
                         authority=claims.get(self.claim_prefix + "authority"))


def looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2 and not token.startswith(TOKEN_PREFIX)

