"""The pages and the API record a fact the same way: no page calls a route function.

A page that called the API's route would bypass nothing, but it would make the
route the use case; the use case is the command handler (services/cases/handler.py),
which both call. This reads the page modules and fails on any call of a function
the app serves as a route.
"""

import ast
from pathlib import Path

from api.main import create_app
from api.role_table import api_routes

WEB = Path(__file__).parents[2] / "api" / "web"


def _route_functions() -> set[str]:
    return {route.endpoint.__name__ for route in api_routes(create_app())}


def _calls_through_route_modules(source: str) -> set[str]:
    """Names called as `<routes module>.<name>(...)` in a page module."""
    tree = ast.parse(source)
    modules = {alias.asname or alias.name for node in ast.walk(tree)
               if isinstance(node, ast.ImportFrom) and node.module == "api.routes"
               for alias in node.names}
    return {node.func.attr for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and isinstance(node.func.value, ast.Name) and node.func.value.id in modules}


def test_no_page_calls_a_route_function():
    routes = _route_functions()
    assert {"open_case", "export_history"} <= routes  # the ones pages used to call
    for page in sorted(WEB.glob("*.py")):
        called = _calls_through_route_modules(page.read_text()) & routes
        assert not called, f"{page.name} calls the route function(s) {sorted(called)}"


def test_the_check_finds_a_page_that_calls_a_route():
    page = "from api.routes import cases as case_routes\ncase_routes.open_case(1, 2)\n"
    assert _calls_through_route_modules(page) & _route_functions() == {"open_case"}
