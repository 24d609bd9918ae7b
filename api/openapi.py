"""The OpenAPI document: every status a route can answer, each refusal as problem+json.

FastAPI lists only a route's success and its 422, and that as plain JSON in its
own shape. The statuses below follow from what every route shares (the bearer
token, the role gate, the body limit, the case's version), so they are added here
once, by the shape of each operation, rather than written on each route.
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from api.errors import PROBLEM
from api.schemas import FieldProblem, Problem

REFUSALS = {
    "401": "No valid bearer token (`WWW-Authenticate` says how to send one).",
    "403": "Your role may not take this action here (`rule`: role_may_not).",
    "404": "Not found, or a case you may not know of (it is not revealed to exist).",
    "409": "Refused in the current state: a stale version (`current_version`), "
           "a rule of the case's lifecycle, or a name already taken; or, on a case, its "
           "history cannot be read from a version on (`rule`: case_history_unreadable, "
           "with `version` and `reason`; see docs/poison-events.md).",
    "413": "The body is over the size limit (CASEWORK_API_MAX_BODY_BYTES; for a document's "
           "file, CASEWORK_DOCUMENT_SIZE_LIMIT).",
    "415": "The file is not of a type casework keeps, judged by its bytes (`found` names "
           "what it is; `rule`: type_not_accepted or markup_in_file).",
    "422": "Invalid input: the problem names each field and the rule it breaks "
           "(malformed JSON: its line and column).",
    "428": "A write must name the case version it was decided on: send If-Match "
           "(or expected_version in the body).",
    "429": "Too many wrong tokens from this address or for this account "
           "(`rule`: too_many_failed_sign_ins): wait `Retry-After` seconds.",
}
_RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before trying again.",
                                "schema": {"type": "integer", "minimum": 1}}}
_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_WRITES = ("post", "put", "patch", "delete")


def statuses(path: str, method: str, operation: dict[str, Any]) -> list[str]:
    """The refusals an operation can answer, from its shape."""
    if path == "/health":
        return []
    found = ["401", "403"]
    names_something = any(p.get("required") and p["in"] == "query"
                          for p in operation.get("parameters", []))
    if "{" in path or method in _WRITES or names_something:
        found.append("404")
    if method in _WRITES or path.startswith("/cases/{case_id}"):
        found.append("409")
    if "requestBody" in operation:
        found.append("413")
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        found.append("415")
    if operation.get("parameters") or "requestBody" in operation:
        found.append("422")
    if _is_case_command(path, method):
        found.append("428")
    found.append("429")  # with the 401: wrong tokens are throttled (api/throttling.py)
    return found


def _is_case_command(path: str, method: str) -> bool:
    return method == "post" and path.startswith("/cases/{case_id}/")


def _document(app: FastAPI) -> dict[str, Any]:
    spec = get_openapi(title=app.title, version=app.version, summary=app.summary,
                       description=app.description, routes=app.routes)
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}")
    schemas["Problem"].pop("$defs", None)
    schemas["FieldProblem"] = FieldProblem.model_json_schema()
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            _declare(path, method, operation)
    _health(spec)
    _link_cases(spec)
    return spec


def _health(spec: dict[str, Any]) -> None:
    """/health answers 503 when the event store or Temporal is down."""
    operation = spec.get("paths", {}).get("/health", {}).get("get")
    if operation is not None:
        ok = operation["responses"]["200"]["content"]
        operation["responses"]["503"] = {"description": "The event store or Temporal is down.",
                                         "content": ok}


def _declare(path: str, method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own, in its own shape
    for status in statuses(path, method, operation):
        responses[status] = {"description": REFUSALS[status],
                             "content": {PROBLEM: {"schema": _PROBLEM_REF}}}
        if status == "429":
            responses[status]["headers"] = _RETRY_AFTER
    if _is_case_command(path, method):
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "header" and parameter["name"].lower() == "if-match":
                parameter["required"] = True
                parameter["schema"] = {"type": "string", "maxLength": 50,
                                       "examples": ['"3"']}


_CASE = "/cases/{case_id}"


def _link_cases(spec: dict[str, Any]) -> None:
    """OpenAPI links: the case an answer shows (its `id`, and its version as the ETag) feeds
    every operation on that case, so a client, or a fuzzer's stateful phase, can follow an
    opened case through sequences of commands without guessing its id or version.

    Each link is written once under components/links and referred to from every answer
    that shows a case (the opening, the case itself, every command)."""
    paths = spec.get("paths", {})
    targets = [(path, method, operation) for path, operations in paths.items()
               if path == _CASE or path.startswith(_CASE + "/")
               for method, operation in operations.items()]
    if "/cases" not in paths or not targets:
        return
    links = {_link_name(path, method): _link(path, method, operation)
             for path, method, operation in targets}
    spec["components"]["links"] = links
    refs = {name: {"$ref": f"#/components/links/{name}"} for name in links}
    sources = [(paths["/cases"]["post"], "201")]
    sources += [(operation, "200") for path, method, operation in targets
                if _is_case_command(path, method) or (path, method) == (_CASE, "get")]
    for operation, status in sources:
        if status in operation["responses"]:  # (not a document's upload: it shows the
            operation["responses"][status]["links"] = refs  # document, not the case)


def _link_name(path: str, method: str) -> str:
    """`diagnosis.post` for POST /cases/{case_id}/diagnosis; `case.get` for the case."""
    return f"{path.removeprefix(_CASE).strip('/').replace('/', '-') or 'case'}.{method}"


def _link(path: str, method: str, operation: dict[str, Any]) -> dict[str, Any]:
    parameters = {"path.case_id": "$response.body#/id"}
    if _is_case_command(path, method):
        parameters["header.if-match"] = "$response.header.ETag"
    return {"operationId": operation["operationId"], "parameters": parameters,
            "description": f"{operation.get('summary', path)}, on the case in this answer"}


def install(app: FastAPI) -> None:
    """Serve the full document at /openapi.json (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
