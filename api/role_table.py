"""The role table: every endpoint against every role, generated from the routes.

Each route declares its action through `authorize(action)`; domain/identity.py
says which roles may take each action and how far each role reaches.
docs/api-and-roles.md carries this table (between the role-table markers) and a
test checks that the page, these rules and the API's real answers all agree.

    python -m api.role_table     # print the table for docs/api-and-roles.md
"""

from fastapi import FastAPI
from fastapi.routing import APIRoute

from domain.checkpoint_access import CHECKPOINT_PERMISSIONS
from domain.identity import PERMISSIONS, REACH, Role
from domain.policy_access import POLICY_PERMISSIONS
from domain.register_access import REGISTER_PERMISSIONS

NOT_ALLOWED = "—"


def api_routes(app: FastAPI) -> list[APIRoute]:
    found: list[APIRoute] = []
    for route in app.routes:
        inner = getattr(route, "original_router", None)
        found += [r for r in (inner.routes if inner else [route])
                  if isinstance(r, APIRoute) and r.include_in_schema]  # pages are not API
    return found


def endpoint_actions(app: FastAPI) -> list[tuple[str, str, str | None]]:
    """(method, path, action) for every API route; action None means open to all."""
    rows = []
    for route in api_routes(app):
        actions = [getattr(d.call, "action", None) for d in route.dependant.dependencies]
        action = next((a for a in actions if a), None)
        for method in sorted((route.methods or set()) - {"HEAD"}):
            rows.append((method, route.path, action))
    return rows


def cell(role: Role, action: str | None) -> str:
    """What the role may do at an endpoint: how far it reaches, or nothing."""
    if action is None:
        return "anyone"
    if action in REGISTER_PERMISSIONS:  # the registers are region-wide, not per case
        return "yes" if role in REGISTER_PERMISSIONS[action] else NOT_ALLOWED
    if action in POLICY_PERMISSIONS:  # an admin any region's, a coordinator their own
        return REACH[role] if role in POLICY_PERMISSIONS[action] else NOT_ALLOWED
    if action in CHECKPOINT_PERMISSIONS:  # checkpoints cover every case at once
        return "yes" if role in CHECKPOINT_PERMISSIONS[action] else NOT_ALLOWED
    return REACH[role] if role in PERMISSIONS[action] else NOT_ALLOWED


def render(app: FastAPI) -> str:
    header = "| Endpoint | Action | " + " | ".join(r.value for r in Role) + " |"
    lines = [header, "|---|---|" + "---|" * len(Role)]
    for method, path, action in endpoint_actions(app):
        cells = " | ".join(cell(r, action) for r in Role)
        lines.append(f"| `{method} {path}` | {action or 'health'} | {cells} |")
    return "\n".join(lines)


if __name__ == "__main__":
    from api.main import create_app

    print(render(create_app()))
