"""The retention schedule, and the rules for disposing of a case when it allows.

A public body must say how long it keeps each record. casework keeps a closed case
for a period after its closure: six years unless the operator sets another
(CASEWORK_RETENTION_CASE), and a region or an outcome may be kept longer or shorter
(CASEWORK_RETENTION_BY_REGION, CASEWORK_RETENTION_BY_OUTCOME). When several rules
apply to one case, the longest wins: a case is never disposed of while any rule
that applies to it still keeps it. A reminder or notice about a case is one of its
events, kept and disposed of with it; the access log (who read which case) is kept
as CASEWORK_ACCESS_LOG_RETENTION says.

Disposal is never automatic. The retention sweep proposes it to administrators; an
administrator confirms it, with a reason. The rules, by name:

- `only_an_administrator_disposes`: nobody else may dispose of a case.
- `case_still_open`: an open case is never disposed of (close it first).
- `retention_not_over`: not before the date the schedule allows.
- `reason_needed`: the administrator says why, in words kept on the disposal record.
- `already_disposed`: a case is disposed of once.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from domain.calendar import PolicyDuration, london_date
from domain.errors import InvalidField, RuleViolation
from domain.registers import Region
from domain.text import text_problem
from domain.vocabulary import CaseOutcome, CaseStatus

DEFAULT_CASE_PERIOD = "P6Y"

_PERIOD = re.compile(r"^P(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?P<rest>(?:\d+[WD])*"
                     r"(?:T.*)?)$")


@dataclass(frozen=True, order=True)
class RetentionPeriod:
    """How long a closed case is kept: whole years and months on the calendar, and an
    exact time besides (tests and demonstrations keep cases for seconds)."""

    years: int = 0
    months: int = 0
    elapsed: timedelta = timedelta(0)

    @classmethod
    def parse(cls, text: str, *, field: str) -> "RetentionPeriod":
        """Read an ISO-8601 duration: 'P6Y', 'P7Y6M', 'P30D' or 'PT10S'."""
        value = str(text).strip().upper()
        match = _PERIOD.match(value)
        if not match or value in ("P", "PT"):
            raise InvalidField(f"{field} must be an ISO-8601 duration such as 'P6Y' (six "
                               f"years), 'P18M' or 'PT30S'; got {text!r}", field=field,
                               rule="retention_period_unreadable")
        rest = match["rest"]
        elapsed = PolicyDuration.parse("P" + rest, field=field).elapsed if rest else None
        period = cls(int(match["years"] or 0), int(match["months"] or 0),
                     elapsed or timedelta(0))
        if period.is_zero:
            raise InvalidField(f"{field} must be longer than no time at all; got {text!r}",
                               field=field, rule="retention_period_zero")
        return period

    @property
    def is_zero(self) -> bool:
        return not self.years and not self.months and not self.elapsed

    def after(self, moment: datetime) -> datetime:
        """The moment this period after `moment` ends (29 February: the 28th in a year
        without one)."""
        month = moment.month - 1 + self.months
        year = moment.year + self.years + month // 12
        month = month % 12 + 1
        day = moment.day
        while True:
            try:
                moved = moment.replace(year=year, month=month, day=day)
                break
            except ValueError:
                day -= 1
        return moved + self.elapsed

    def shortest(self) -> timedelta:
        """The least time this period can span (a month is at least 28 days, a year 365)."""
        return timedelta(days=365 * self.years + 28 * self.months) + self.elapsed

    def words(self) -> str:
        """'6 years', '1 year and 6 months', '30 seconds'."""
        parts = [_count(self.years, "year"), _count(self.months, "month")]
        if self.elapsed:
            seconds = self.elapsed.total_seconds()
            if seconds % 86400 == 0:
                parts.append(_count(int(seconds // 86400), "day"))
            else:
                parts.append(_count(int(seconds) if seconds.is_integer() else seconds,
                                    "second"))
        shown = [p for p in parts if p]
        return " and ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + \
            " and " + shown[-1]


def _count(n: float, unit: str) -> str:
    if not n:
        return ""
    return f"{n:g} {unit}" + ("" if n == 1 else "s")


@dataclass(frozen=True)
class RetentionRule:
    """The rule of the schedule that decides how long one case is kept."""

    name: str
    """In words, as the disposal record keeps it: 'kept 6 years after closure (every
    case)', 'kept 10 years after closure (closed as government intervention)'."""
    period: RetentionPeriod

    def disposal_allowed_from(self, closed_at: datetime) -> datetime:
        return self.period.after(closed_at)


@dataclass(frozen=True)
class RetentionSchedule:
    """How long casework keeps what it records (see the module's docstring)."""

    case: RetentionPeriod = field(default_factory=lambda: RetentionPeriod(years=6))
    by_region: tuple[tuple[str, RetentionPeriod], ...] = ()
    by_outcome: tuple[tuple[str, RetentionPeriod], ...] = ()
    access_log_days: int | None = None
    """None: the access log is kept as long as casework keeps its records."""

    @classmethod
    def parse(cls, case: str = DEFAULT_CASE_PERIOD, *, by_region: str = "",
              by_outcome: str = "", access_log: str = "case") -> "RetentionSchedule":
        """From the settings' text: 'P6Y'; 'London=P7Y, North West=P8Y';
        'government intervention=P10Y'; the access log's 'case' or a number of days."""
        period = RetentionPeriod.parse(case, field="retention_case")
        regions = tuple(r.value for r in Region)
        regional = _overrides(by_region, "retention_by_region", regions, "a region")
        outcomes = tuple(o.value for o in CaseOutcome)
        by_outcomes = _overrides(by_outcome, "retention_by_outcome", outcomes, "an outcome")
        days = None if str(access_log).strip() in ("", "case") else int(access_log)
        return cls(period, regional, by_outcomes, days)

    def rules_for(self, *, region: str, outcome: str | None) -> list[RetentionRule]:
        """Every rule that applies to a case of this region closed with this outcome."""
        applying = [RetentionRule(f"kept {self.case.words()} after closure (every case)",
                                  self.case)]
        applying += [RetentionRule(f"kept {p.words()} after closure (cases in {name})", p)
                     for name, p in self.by_region if name.lower() == region.lower()]
        applying += [RetentionRule(f"kept {p.words()} after closure (closed as {name})", p)
                     for name, p in self.by_outcome if name == outcome]
        return applying

    def rule_for(self, *, region: str, outcome: str | None, closed_at: datetime
                 ) -> RetentionRule:
        """The rule that keeps this case longest: every rule that applies must be over.
        The first listed wins a tie (the default before a region's, before an outcome's)."""
        applying = self.rules_for(region=region, outcome=outcome)
        latest = max(r.disposal_allowed_from(closed_at) for r in applying)
        return next(r for r in applying if r.disposal_allowed_from(closed_at) == latest)

    def shortest(self) -> timedelta:
        """The least time any closed case is kept: no case closed since then is due."""
        return min(p.shortest() for p in (self.case, *(p for _, p in self.by_region),
                                          *(p for _, p in self.by_outcome)))

    def in_words(self) -> list[str]:
        """The schedule as people read it, one line a rule."""
        lines = [f"A closed case is kept for {self.case.words()} after it was closed."]
        lines += [f"A case in {name} is kept for {p.words()} after it was closed."
                  for name, p in self.by_region]
        lines += [f"A case closed as {name} is kept for {p.words()} after it was closed."
                  for name, p in self.by_outcome]
        if self.by_region or self.by_outcome:
            lines.append("Where more than one of these applies, the longest does.")
        lines.append("Reminders and notices about a case are part of its history, kept and "
                     "disposed of with it.")
        lines.append("The record of who read each case is kept "
                     + ("as long as casework keeps its records." if self.access_log_days
                        is None else f"for {self.access_log_days} days."))
        lines.append("A case is disposed of only when an administrator confirms it.")
        return lines


def _overrides(text: str, name: str, allowed: tuple[str, ...], what: str
               ) -> tuple[tuple[str, RetentionPeriod], ...]:
    found: list[tuple[str, RetentionPeriod]] = []
    for part in (p.strip() for p in str(text or "").split(",")):
        if not part:
            continue
        key, sep, value = part.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InvalidField(f"{name} must read like 'London=P7Y, North West=P8Y'; got "
                               f"{part!r}", field=name, rule="retention_override_unreadable")
        known = {a.lower(): a for a in allowed}
        if allowed and key.lower() not in known:
            raise InvalidField(f"{name} names {key!r}, which is not {what}; it must be one "
                               f"of {', '.join(allowed)}", field=name,
                               rule="retention_override_unknown")
        found.append((known.get(key.lower(), key), RetentionPeriod.parse(value, field=name)))
    return tuple(found)


@dataclass(frozen=True)
class DisposalCandidate:
    """What the rules need to know of a case to decide its disposal."""

    status: str
    region: str
    outcome: str | None
    closed_at: datetime | None


def disposal_allowed_from(schedule: RetentionSchedule, case: DisposalCandidate
                          ) -> tuple[RetentionRule, datetime] | None:
    """The rule applying to a closed case and the moment it allows disposal; None for
    an open case."""
    if case.status != CaseStatus.CLOSED.value or case.closed_at is None:
        return None
    rule = schedule.rule_for(region=case.region, outcome=case.outcome,
                             closed_at=case.closed_at)
    return rule, rule.disposal_allowed_from(case.closed_at)


def check_disposal(schedule: RetentionSchedule, case: DisposalCandidate, *, by_admin: bool,
                   reason: str, now: datetime, disposed: bool = False) -> RetentionRule:
    """Refuses a disposal the rules do not allow, naming the rule; the rule applied."""
    if not by_admin:
        raise RuleViolation("only an administrator may dispose of a case",
                            field="role", rule="only_an_administrator_disposes")
    if disposed:
        raise RuleViolation("the case has been disposed of already", field="case_id",
                            rule="already_disposed")
    allowed = disposal_allowed_from(schedule, case)
    if allowed is None:
        raise RuleViolation("the case is open: only a closed case is disposed of, once the "
                            "retention schedule allows", field="status",
                            rule="case_still_open")
    rule, from_moment = allowed
    if now < from_moment:
        raise RuleViolation(f"the retention schedule keeps this case until "
                            f"{_day(from_moment)} ({rule.name})", field="closed_at",
                            rule="retention_not_over")
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidField("say why the case is being disposed of", field="reason",
                           rule="reason_needed")
    found = text_problem(reason, "reason")  # the record keeps it: plain text, as every door
    if found is not None:
        raise InvalidField(found[1], field="reason", rule=found[0])
    if len(reason) > 2000:
        raise InvalidField("the reason must be at most 2000 characters", field="reason",
                           rule="reason_too_long")
    return rule


def _day(moment: datetime) -> str:
    """'3 March 2032' (London's date)."""
    day = london_date(moment)
    return f"{day.day} {day.strftime('%B %Y')}"
