"""Dependencies shared by the routes: the services, the signed-in person, their access.

`authorize(action)` is the one gate every route passes: it names the action the
route performs (the role table in docs/api-and-roles.md is generated from these
names), checks the bearer token, and for a case route loads the case and applies
the role rules of domain/identity.py: a person who may not know the case gets
404, one who may know it but not act on it gets 403.
"""

from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.references import ASKED
from api.threads import in_thread
from api.throttling import checked
from domain.errors import DomainError
from domain.identity import CaseRelations, Principal, may, may_know_case
from services.cases.handler import CaseCommandHandler
from services.cases.service import CaseDisposed, CaseNotFound, CaseService
from services.cases.workflow_gateway import WorkflowGateway
from services.identity.service import IdentityService, OidcVerifier, Unauthenticated, looks_like_jwt
from services.platform import logs

_bearer = HTTPBearer(auto_error=False, description="A casework token or an OIDC JWT.")


class Forbidden(Exception):
    """The person is known and may know of the case, but may not take this action."""

    def __init__(self, action: str, role: str) -> None:
        article = "an" if role[:1].lower() in "aeiou" else "a"
        super().__init__(f"{article} {role} may not {action} here")
        self.action = action


class PreconditionRequired(DomainError):
    """A write must say which version of the case it was decided on."""

    rule = "if_match_required"


# The lookups below are `async def` on purpose: FastAPI runs a plain `def`
# dependency in the thread pool, a thread hop per request for an attribute read.


async def _cases(request: Request) -> CaseService:
    return request.app.state.cases


async def _gateway(request: Request) -> WorkflowGateway | None:
    return request.app.state.gateway


async def _commands(request: Request) -> CaseCommandHandler:
    return request.app.state.commands


async def _identity(request: Request) -> IdentityService:
    return request.app.state.identity


async def current_principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The person behind the bearer token: a local token, or a JWT from the OIDC issuer.

    Wrong tokens are throttled per client address and account (api/throttling.py)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Unauthenticated("send a bearer token: Authorization: Bearer <token>",
                              field="Authorization")
    return await checked(request, credentials.credentials, "bearer", principal_for_token)


async def principal_for_token(request: Request, token: str) -> Principal:
    """Who a token belongs to; the web pages' session holds a token and asks here too."""
    oidc: OidcVerifier | None = request.app.state.oidc
    if oidc is not None and looks_like_jwt(token):
        principal = await in_thread(oidc.verify, token)
        directory: IdentityService = request.app.state.identity
        if not directory.seen_signed_in(principal):
            await in_thread(directory.signed_in, principal)
    else:
        identity: IdentityService = request.app.state.identity
        recognised = identity.recognised(token)
        principal = recognised if recognised is not None else await in_thread(
            identity.authenticate, token)
    request.state.actor = principal.id
    request.state.principal = principal  # who the access log records (api/access_reads.py)
    logs.actor.set(principal.id)
    return principal


def relations_of(case: dict[str, Any]) -> CaseRelations:
    """Who is related to a case, read from its view: its adviser(s), deployed peers and
    the people granted its confidential material as it stands now."""
    return CaseRelations(region=case["region"], authority=case["authority"],
                         advisers=frozenset(case.get("advisers") or ()),
                         peers=frozenset(case.get("peers") or ()),
                         grantees=frozenset(case.get("confidential_access") or ()))


class Access:
    """The result of the gate: who is acting, and (for case routes) the case they see."""

    def __init__(self, principal: Principal, case: dict[str, Any] | None = None) -> None:
        self.principal = principal
        self.case = case

    @property
    def seen_case(self) -> dict[str, Any]:
        """The case an action on a case was allowed on (the gate read it to decide)."""
        if self.case is None:
            raise TypeError("this action was not authorized on a case")
        return self.case

    @property
    def id(self) -> str:
        return self.principal.id

    @property
    def role(self) -> str:
        return self.principal.role.value


def authorize(action: str, *, on_case: bool = True, who: Any = current_principal):
    """The dependency for a route performing `action` (a key of domain PERMISSIONS).

    `who` resolves the person: the bearer token for the API, the session for the pages.
    """

    async def gate(request: Request, principal: Annotated[Principal, Depends(who)]) -> Access:
        return await check_access(request, principal, action, on_case=on_case)

    gate.action = action  # type: ignore[attr-defined]  # read by the role table
    return gate


async def check_access(request: Request, principal: Principal, action: str, *,
                       on_case: bool = True) -> Access:
    """The role rules for one action: 404 for a case the person may not know, else 403."""
    if not on_case:
        if not may(principal, action):
            raise Forbidden(action, principal.role.value)
        return Access(principal)
    case_id = UUID(request.path_params["case_id"]) if _is_uuid(request) else None
    if case_id is None:
        raise CaseNotFound("no case with that id", field="case_id")
    return await check_case_access(request, principal, action, case_id)


async def check_case_access(request: Request, principal: Principal, action: str,
                            case_id: UUID) -> Access:
    """The same rules for a case a route found rather than named in its path (the
    register's route for ending a commission finds the case it belongs to)."""
    try:
        case = await in_thread(request.app.state.cases.readable_case, case_id)
    except CaseDisposed:
        raise  # gone for good (410), with when and under which rule
    except CaseNotFound:
        raise _no_case(request, case_id) from None
    relations = relations_of(case)
    if not may_know_case(principal, relations) and not may(principal, action, relations):
        raise _no_case(request, case_id)  # (an admin's case actions reach cases the admin
        # does not otherwise read)
    if not may(principal, action, relations):
        raise Forbidden(action, principal.role.value)
    request.state.case_reference = case.get("reference")  # for the access log's record
    return Access(principal, case)


def _no_case(request: Request, case_id: UUID) -> CaseNotFound:
    """Not found, naming what the person asked for: a reference stays a reference."""
    reference = request.scope.get("state", {}).get(ASKED)
    return CaseNotFound(f"no case with reference {reference}" if reference
                        else f"no case with id {case_id}", field="case_id")


def _is_uuid(request: Request) -> bool:
    try:
        UUID(request.path_params.get("case_id", ""))
        return True
    except ValueError:
        return False


CasesDep = Annotated[CaseService, Depends(_cases)]
GatewayDep = Annotated[WorkflowGateway | None, Depends(_gateway)]
CommandsDep = Annotated[CaseCommandHandler, Depends(_commands)]
IdentityDep = Annotated[IdentityService, Depends(_identity)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
# The person acting, for routes that only need to know who (their events' actor).
ActorDep = Annotated[Access, Depends(authorize("read case", on_case=False))]
