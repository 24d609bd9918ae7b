"""Every rule name the README and docs/ show is a rule the code answers with.

A refusal names its rule (`rule` in every problem), and people write scripts and
runbooks against those names from what the README says; a name the code never
answers is a promise nobody keeps (`peer_not_from_own_council` was documented
while the one deployment path answered `peer_own_council`).

The code's rules are found by reading its source: every `rule=` given to a
refusal, every constant or class attribute named for a rule, every
PydanticCustomError's type, every `refusal(line, field, rule, ...)` of an
import, and pydantic's own error types (which 422 problems carry as their rule).
A name in backticks in a Markdown paragraph, list item or table row that talks
of a rule is taken as a rule name, unless the code uses it as some other name (a
field, a command, a setting), which such paragraphs name too.
"""

import ast
import re
import typing
from pathlib import Path

from pydantic_core.core_schema import ErrorType

ROOT = Path(__file__).resolve().parents[2]
CODE = ("domain", "services", "api", "workflows")
# Read for names only (the docs cite tests and commands by name; neither gives rules).
NAMED_ONLY = ("deploy", "tests", "bench")
NAME_IN_BACKTICKS = re.compile(r"`([a-z][a-z0-9]*(?:_[a-z0-9]+)+)`")
BLOCKS = re.compile(r"\n\s*\n|\n(?=\s*(?:[-*] |\d+\. |\|))")
# Named in such paragraphs, not rules, and not spelled whole in the code: the identity
# provider's claims, the prefix `casework_` and a name (services/identity/service.py).
NOT_RULES = {"casework_role", "casework_region", "casework_authority"}
RULE_WORD = re.compile(r"\b(?:rules?|refus\w*|4[0-9][0-9])\b", re.IGNORECASE)


class _Source(ast.NodeVisitor):
    """The rules a module gives, the constants it names, and every other name it uses."""

    def __init__(self) -> None:
        self.given: list[ast.expr] = []
        self.constants: dict[str, set[str]] = {}
        self.rules: set[str] = set()
        self.names: set[str] = set()
        self.docstrings: set[ast.Constant] = set()

    def visit_Module(self, node: ast.Module) -> None:
        self._docstring(node)
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._docstring(node)
        self.names.add(node.name)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._docstring(node)
        self.names.add(node.name)
        self.names.update(a.arg for a in ast.walk(node.args) if isinstance(a, ast.arg))
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef  # noqa: N815 - ast's naming

    def _docstring(self, node: ast.AST) -> None:
        body = getattr(node, "body", [])
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            self.docstrings.add(body[0].value)

    def visit_Assign(self, node: ast.Assign | ast.AnnAssign) -> None:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        value = node.value
        for target in targets:
            name = getattr(target, "id", None) or getattr(target, "attr", None)
            if name and isinstance(value, ast.Constant) and isinstance(value.value, str):
                self.constants.setdefault(name, set()).add(value.value)
                if "rule" in name.lower():
                    self.rules.add(value.value)
        self.generic_visit(node)

    visit_AnnAssign = visit_Assign  # noqa: N815 - ast's naming

    def visit_Call(self, node: ast.Call) -> None:
        called = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
        self.given += [k.value for k in node.keywords if k.arg == "rule"]
        self.names.update(k.arg for k in node.keywords if k.arg)
        if called == "PydanticCustomError" and node.args:
            self.given.append(node.args[0])
        if called == "refusal" and len(node.args) >= 3:
            self.given.append(node.args[2])
        if called == "getattr" and len(node.args) == 3 and _text(node.args[1]) == "rule":
            self.given.append(node.args[2])
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:
        self.given += [v for k, v in zip(node.keys, node.values, strict=True)
                       if k is not None and _text(k) == "rule"]
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        self.names.add(node.id)

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.names.add(node.attr)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node not in self.docstrings:
            self.names.update(re.findall(r"[a-z][a-z0-9_]*", node.value))


def _text(node: ast.expr) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def code_names() -> tuple[set[str], set[str]]:
    """(the rules the code answers with, every other name the code uses)."""
    source = _Source()
    for folder in CODE:
        for path in sorted((ROOT / folder).rglob("*.py")):
            source.visit(ast.parse(path.read_text(), str(path)))
    rules = set(source.rules) | set(typing.get_args(ErrorType))
    for folder in NAMED_ONLY:  # functions and classes only: a test's strings are no names
        for path in sorted((ROOT / folder).rglob("*.py")):
            source.names |= {node.name for node in ast.walk(ast.parse(path.read_text()))
                             if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef
                                           | ast.ClassDef)}
    for given in source.given:
        if _text(given) is not None:
            rules.add(_text(given))  # type: ignore[arg-type]
        elif isinstance(given, ast.Name | ast.Attribute):
            rules |= source.constants.get(getattr(given, "id", None) or given.attr, set())
    return rules, source.names - rules


def rule_names_shown(text: str) -> set[str]:
    """Names in backticks in the paragraphs, list items and table rows that talk of rules."""
    return {name for block in BLOCKS.split(text) if RULE_WORD.search(block)
            for name in NAME_IN_BACKTICKS.findall(block)}


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def unknown_rules(text: str, rules: set[str], other_names: set[str]) -> set[str]:
    return {n for n in rule_names_shown(text)
            if n not in rules and n not in other_names and n not in NOT_RULES}


def test_the_scan_finds_the_codes_rules_and_would_catch_a_wrong_name():
    """The test below can fail: the scan knows the rules and flags a name the code lacks."""
    rules, other_names = code_names()
    assert {"peer_own_council", "plan_agreed_first", "no_control_characters",
            "date_out_of_range", "csv_malformed", "owner_unchanged", "max_body_size",
            "role_may_not", "string_too_short"} <= rules
    page = ("The rules are `plan_agreed_first` and `peer_from_nowhere`.\n\n"
            "Refused with 409, field `commission_id`.\n\n"
            "- a field: `peer_from_elsewhere`, shown as it is")
    assert unknown_rules(page, rules, other_names) == {"peer_from_nowhere"}


def test_every_rule_name_the_documents_show_is_a_rule_in_the_code():
    rules, other_names = code_names()
    wrong = {f"{path.relative_to(ROOT)}: `{name}`"
             for path in documents()
             for name in unknown_rules(path.read_text(), rules, other_names)}
    checked = {n for path in documents() for n in rule_names_shown(path.read_text())}
    assert len(checked & rules) >= 20, "the scan no longer finds the README's rule names"
    assert sorted(wrong) == [], "documented rule names the code never answers with"
