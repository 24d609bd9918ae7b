"""The errors the domain raises, each naming the field or rule it enforces.

The API maps these to 4xx responses; keeping them here means a rule and its
refusal message are written exactly once.
"""


class DomainError(Exception):
    """Base of every refusal the domain makes."""

    rule: str = "domain_rule"

    def __init__(self, message: str, *, field: str | None = None, rule: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if rule is not None:
            self.rule = rule


class InvalidField(DomainError):
    """A value given for a field breaks that field's rule."""

    rule = "invalid_field"


class RuleViolation(DomainError):
    """A command is well formed but breaks a rule of the case's lifecycle."""

    rule = "case_rule"
