"""Every case has a reference no other case shares: opened at once in one region, or
given one afterwards because it was opened before references."""

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from uuid import UUID

from domain.case import Case
from domain.case_reference import CaseReference
from services.cases.service import CaseService
from services.ops.references import give_references
from tests.helpers import OPEN_CASE

ACTOR = dict(actor_id="cora", actor_role="coordinator")


def test_cases_opened_at_once_in_one_region_never_share_a_reference(settings, cases):
    """Two processes (services on one store), four threads each, three cases a thread."""
    other = CaseService(settings.eventsourcing_env())
    try:
        def open_three(service: CaseService) -> list[str]:
            return [service.get_case(service.open_case(**OPEN_CASE, **ACTOR))["reference"]
                    for _ in range(3)]

        with ThreadPoolExecutor(8) as pool:
            taken = [ref for refs in pool.map(open_three, [cases, other] * 4) for ref in refs]
    finally:
        other.close()
    year = datetime.now(UTC).year  # (a test run across midnight on New Year's Eve aside)
    assert sorted(taken) == [f"NW-{year}-{n:04d}" for n in range(1, 25)]



def test_cases_opened_at_once_in_one_process_take_one_number_each(cases, monkeypatch):
    """Sixteen requests at once in one region, one process: each takes the next number
    once. Without a turn at the counter, all but one were refused on its version and took
    a number again, and opening cases slowed the more people opened them at once."""
    taken = []
    take = cases._next_reference

    def counted(*args, **kwargs):
        taken.append(1)
        return take(*args, **kwargs)

    monkeypatch.setattr(cases, "_next_reference", counted)
    with ThreadPoolExecutor(16) as pool:
        opened = list(pool.map(lambda _: cases.open_case(**OPEN_CASE, **ACTOR), range(64)))
    assert len(set(opened)) == 64
    assert len(taken) == 64

def test_each_region_counts_its_own_cases(cases):
    north_west = cases.get_case(cases.open_case(**OPEN_CASE, **ACTOR))["reference"]
    london = cases.get_case(cases.open_case(**{**OPEN_CASE, "region": "London"},
                                            **ACTOR))["reference"]
    assert CaseReference.parse(north_west).code == "NW"
    assert CaseReference.parse(london).code == "LN"
    assert CaseReference.parse(london).number == 1


def _opened_before_references(cases: CaseService, raised_at: datetime) -> UUID:
    """A case as the release before references stored it: its concern carries none."""
    case = Case.raise_concern(**OPEN_CASE, raised_at=raised_at,
                              diagnosis_due=raised_at + timedelta(days=14), **ACTOR)
    cases.save(case)
    return case.id


def test_cases_from_before_references_are_given_one_each_in_raised_order_once(cases):
    last_year = datetime(2025, 6, 2, 9, tzinfo=UTC)
    older = [_opened_before_references(cases, last_year + timedelta(days=n)) for n in range(3)]
    new = cases.open_case(**OPEN_CASE, **ACTOR)
    assert cases.cases_without_reference() == 3
    told: list[tuple[int, int]] = []

    first = give_references(cases, progress=lambda done, total: told.append((done, total)),
                            every=2)

    assert (first.given, first.had_one, first.broken) == (3, 1, [])
    assert told == [(2, 4), (4, 4)]
    given = [cases.get_case(case_id)["reference"] for case_id in older]
    assert given == ["NW-2025-0001", "NW-2025-0002", "NW-2025-0003"]
    assert cases.get_case(new)["reference"].endswith("-0001")  # its own year's first
    for case_id in older:
        history = [e["type"] for e in cases.history(case_id)]
        assert history == ["ConcernRaised", "ReferenceGiven"]
    assert cases.cases_without_reference() == 0

    again = give_references(cases)

    assert (again.given, again.had_one) == (0, 4)
    assert all(len(cases.history(c)) == 2 for c in older)


def test_a_reference_given_later_is_the_next_of_its_region_and_year(cases):
    """Opened since the upgrade in the same year: the old case takes the number after."""
    now = datetime.now(UTC)
    old = _opened_before_references(cases, now - timedelta(minutes=5))
    opened = cases.get_case(cases.open_case(**OPEN_CASE, **ACTOR))["reference"]
    give_references(cases)
    assert opened.endswith("-0001")
    assert cases.get_case(old)["reference"].endswith("-0002")


def test_migrate_says_when_cases_lack_references_and_give_references_gives_them(
        settings, cases, monkeypatch, capsys):
    from deploy.cli import main

    old = _opened_before_references(cases, datetime(2025, 6, 2, 9, tzinfo=UTC))
    for name, value in settings.model_dump().items():
        if value is not None and not isinstance(value, (dict, list)):
            monkeypatch.setenv(f"CASEWORK_{name.upper()}", str(value))

    assert main(["migrate"]) == 0
    assert "1 case has no reference yet: run `casework give-references`" in \
        capsys.readouterr().out
    assert main(["give-references"]) == 0
    said = capsys.readouterr()
    assert "gave 1 case a reference" in said.out and "1 of 1 cases" in said.err
    assert main(["migrate"]) == 0
    assert "no reference" not in capsys.readouterr().out
    assert cases.get_case(old)["reference"] == "NW-2025-0001"
