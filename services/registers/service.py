"""The registers application: authorities, peers, the support matrix and budgets.

One method per use case (load, call the domain, save). Changes that touch two
registers at once, such as commissioning a paid offer (its days and the
budget's money), are saved together in one transaction, so the regional
picture never shows one without the other.
"""

import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import IntegrityError, JSONTranscoder, Transcoding

from domain.authorities import Authority, check_authority_fields
from domain.budget import SupportBudget, financial_year
from domain.calendar import LONDON
from domain.errors import InvalidField, RuleViolation
from domain.matching import Need, match_support
from domain.offers import SupportOffer
from domain.peers import Peer, one_organisation
from domain.regional_picture import regional_picture
from services.eventstore.store import EventStoreApplication, NotFound
from services.registers.authority_csv import ImportRefused, read_csv, refusal
from services.registers.views import (
    authority_view,
    budget_view,
    duty_view,
    match_view,
    offer_view,
    peer_view,
)

A = TypeVar("A", bound=Aggregate)


class NotRegistered(NotFound):
    rule = "not_registered"


class AlreadyRegistered(RuleViolation):
    rule = "already_registered"


class ChangedMeanwhile(RuleViolation):
    rule = "changed_meanwhile"


class DateAsISO(Transcoding):
    """Calendar dates (not datetimes) in stored events, as YYYY-MM-DD."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


def utc_now() -> datetime:
    return datetime.now(UTC)


_CREATED = {Authority: "Registered", Peer: "Accredited", SupportOffer: "Published",
            SupportBudget: "Set"}


class RegisterService(EventStoreApplication):
    """The regional registers behind matching, commissioning and the regional picture."""

    name = "registers"
    not_found_error = NotRegistered
    snapshotting_intervals = {Peer: 50, SupportOffer: 50, SupportBudget: 50}

    def __init__(self, env: dict[str, str] | None = None, *,
                 clock: Callable[[], datetime] = utc_now) -> None:
        super().__init__(env)
        self.clock = clock
        self._seen: dict[str, tuple[int, list[UUID]]] = {}  # kind -> (log read to, ids)
        self._seen_lock = threading.Lock()

    def today(self) -> date:
        """Today in England: capacity is counted in its quarter (peers) or year (offers)."""
        return self.clock().astimezone(LONDON).date()

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        transcoder.register(DateAsISO())

    # -- authorities ----------------------------------------------------------

    def register_authority(self, *, actor_id: str, **fields: Any) -> UUID:
        authority = Authority.register(actor_id=actor_id, **fields)
        self._save_new(authority, f"{authority.name} is already registered", "name")
        return authority.id

    def import_authorities_csv(self, text: str | bytes, *, actor_id: str,
                               only_region: str | None = None) -> dict[str, Any]:
        """Import a whole file or nothing; every bad row is reported with its line number.

        `only_region`: the importer keeps that region's registers only (a coordinator);
        a row of another region is refused like any other bad row.
        """
        rows = read_csv(text)
        authorities: list[Any] = []
        refused: list[Any] = []
        seen: dict[UUID, int] = {}
        for line, row in rows:
            extra_cells = row.pop(None, None)  # type: ignore[call-overload]  # DictReader's key for cells beyond the header
            if extra_cells:
                refused.append(refusal(line, "file", "csv_extra_cells",
                                        "the row has more cells than the header has columns"))
                continue
            fields, problems = check_authority_fields(row)
            if problems:
                refused += [refusal(line, p.field, p.rule, p.message) for p in problems]
                continue
            authority = Authority.register(actor_id=actor_id, **fields)
            if only_region is not None and authority.region != only_region:
                refused.append(refusal(line, "region", "own_region_only",
                                        f"{authority.name} is in {authority.region}; this "
                                        f"importer keeps {only_region}'s registers only"))
            elif authority.id in seen:
                refused.append(refusal(line, "name", "duplicate_in_file",
                                        f"{authority.name} is also on line {seen[authority.id]}"))
            elif self._exists(authority.id):
                refused.append(refusal(line, "name", AlreadyRegistered.rule,
                                        f"{authority.name} is already registered"))
            else:
                seen[authority.id] = line
                authorities.append(authority)
        if refused:
            bad = sorted({r["line"] for r in refused})
            raise ImportRefused(
                f"nothing imported: {len(bad)} of {len(rows)} rows refused (lines "
                f"{', '.join(map(str, bad))}); " + "; ".join(
                    f"line {r['line']}: {r['message']}" for r in refused), refused)
        self._save(*authorities)
        return {"imported": len(authorities), "names": [a.name for a in authorities]}

    def record_self_evaluation(self, name: str, *, on: Any, actor_id: str) -> dict[str, Any]:
        return self._change_authority(name, lambda a: a.record_self_evaluation(
            on=on, actor_id=actor_id))

    def record_peer_challenge(self, name: str, *, on: Any, actor_id: str) -> dict[str, Any]:
        return self._change_authority(name, lambda a: a.record_peer_challenge(
            on=on, actor_id=actor_id))

    def sign_mutuality_statement(self, name: str, *, on: Any, actor_id: str) -> dict[str, Any]:
        return self._change_authority(name, lambda a: a.sign_mutuality_statement(
            on=on, actor_id=actor_id))

    def authority_region(self, name: str) -> str | None:
        """The region of a registered authority; None when the register does not know it."""
        if not isinstance(name, str) or not name.strip():
            return None
        try:
            return self._authority(name).region
        except NotRegistered:
            return None

    def get_authority(self, name: str) -> dict[str, Any]:
        return authority_view(self._authority(name))

    def list_authorities(self, region: str | None = None) -> list[dict[str, Any]]:
        found = [a for a in self._all(Authority) if region is None or a.region == region]
        return [authority_view(a) for a in sorted(found, key=lambda a: (a.region, a.name))]

    def authority_duties(self, as_of: date | None = None) -> list[dict[str, Any]]:
        """Every authority's self-evaluation and peer challenge duty, soonest due first.

        The escalation workflows keep one reminder schedule per authority and duty
        from this list (`authority_id` and `duty` name the schedule).
        """
        as_of = as_of or self.today()  # London's date: after midnight BST, UTC's is yesterday
        duties = [(d, a.id) for a in self._all(Authority) for d in a.duties(as_of)]
        duties.sort(key=lambda pair: (pair[0].due, pair[0].authority, pair[0].duty))
        return [duty_view(d, authority_id) for d, authority_id in duties]

    # -- peers ------------------------------------------------------------------

    def accredit_peer(self, *, actor_id: str, council: str | None = None,
                      organisation: str | None = None, account: str | None = None,
                      **fields: Any) -> UUID:
        """Add a peer from a council (`council`, as before partners were admitted, or
        `organisation`) or from a partner organisation (`organisation` with its
        `organisation_kind`); the register of authorities is consulted for the rules.
        `account` is the peer's casework account, if they have one."""
        named, field = one_organisation(council, organisation)
        peer = Peer.accredit(organisation=named, organisation_field=field,
                             registered=self.registered_name, actor_id=actor_id, **fields)
        if account is not None:
            peer.link_account(account=account, actor_id=actor_id)
        self._save_new(peer, f"{peer.name} of {peer.organisation} is already accredited",
                       "name")
        return peer.id

    def registered_name(self, name: str) -> str | None:
        """A council's name as the register of authorities holds it; None if not there."""
        try:
            return self._authority(name).name
        except (NotRegistered, InvalidField):
            return None

    def list_peers(self) -> list[dict[str, Any]]:
        today = self.today()
        return [peer_view(p, today) for p in sorted(self._all(Peer), key=lambda p: p.name)]

    def get_peer(self, peer_id: UUID) -> dict[str, Any]:
        return peer_view(self._get(Peer, peer_id), self.today())

    def link_peer_account(self, peer_id: UUID, *, account: str | None,
                          actor_id: str) -> dict[str, Any]:
        """Link the peer's casework account (or unlink it, with None), so that a
        deployment made from the register names it and the peer sees the case."""
        peer = self._get(Peer, peer_id)
        peer.link_account(account=account, actor_id=actor_id)
        self._save(peer)
        return peer_view(peer, self.today())

    def deploy_peer(self, peer_id: UUID, *, case_id: str, authority: str, days: int,
                    actor_id: str) -> dict[str, Any]:
        peer = self._get(Peer, peer_id)
        supported = self._authority(authority)
        deployment_id = str(uuid4())
        today = self.today()
        peer.deploy(deployment_id=deployment_id, case_id=str(case_id),
                    authority=supported.name, days=days, on=today, actor_id=actor_id)
        self._save(peer)
        return {"deployment_id": deployment_id, "peer": peer_view(peer, today)}

    def end_peer_deployment(self, peer_id: UUID, deployment_id: str, *,
                            actor_id: str) -> dict[str, Any]:
        peer = self._get(Peer, peer_id)
        peer.end_deployment(deployment_id=deployment_id, actor_id=actor_id)
        self._save(peer)
        return peer_view(peer, self.today())

    # -- the support matrix -----------------------------------------------------

    def publish_offer(self, *, actor_id: str, **fields: Any) -> UUID:
        offer = SupportOffer.publish(actor_id=actor_id, **fields)
        self._save_new(offer, f"{offer.title} from {offer.provider} is already published",
                       "title")
        return offer.id

    def list_offers(self) -> list[dict[str, Any]]:
        offers = sorted(self._all(SupportOffer), key=lambda o: (o.region or "", o.title))
        today = self.today()
        return [offer_view(o, today) for o in offers]

    def get_offer(self, offer_id: UUID) -> dict[str, Any]:
        return offer_view(self._get(SupportOffer, offer_id), self.today())

    def commission_offer(self, offer_id: UUID, *, case_id: str, authority: str, days: int,
                         actor_id: str) -> dict[str, Any]:
        """Reserve the offer's days and, when it is paid for, commit its cost to the budget."""
        offer = self._get(SupportOffer, offer_id)
        supported = self._authority(authority)
        commission_id = str(uuid4())
        today = self.today()
        offer.commission(commission_id=commission_id, case_id=str(case_id),
                         authority=supported.name, region=supported.region, days=days,
                         on=today, actor_id=actor_id)
        cost = offer.commissions[commission_id]["cost"]
        changed: list[Aggregate] = [offer]
        if cost:
            budget = self._current_budget(supported.region)
            budget.commit(commitment_id=commission_id, case_id=str(case_id),
                          authority=supported.name, amount=cost,
                          purpose=f"{offer.title} ({offer.provider}), {days} days",
                          actor_id=actor_id)
            changed.append(budget)
        self._save(*changed)
        return {"commission_id": commission_id, "cost": cost, "offer": offer_view(offer, today)}

    def end_commission(self, offer_id: UUID, commission_id: str, *,
                       actor_id: str) -> dict[str, Any]:
        """Give the days back and release whatever of the commitment was not spent."""
        offer = self._get(SupportOffer, offer_id)
        ended = offer.end_commission(commission_id=commission_id, actor_id=actor_id)
        changed: list[Aggregate] = [offer]
        budget = self._budget_holding(commission_id) if ended["cost"] else None
        if budget is not None:
            budget.release(commitment_id=commission_id, actor_id=actor_id)
            changed.append(budget)
        self._save(*changed)
        return offer_view(offer, self.today())

    def match(self, *, authority: str, problem_natures: list[str],
              service_areas: Sequence[str] = (), days: int = 1) -> dict[str, Any]:
        """Rank the offers and peers for a diagnosis of `authority`'s problems."""
        supported = self._authority(authority)
        need = Need.of(authority=supported.name, region=supported.region,
                       problem_natures=problem_natures, service_areas=service_areas,
                       days=days, on=self.today())
        return match_view(need, match_support(need, self._all(SupportOffer), self._all(Peer)))

    # -- budgets ----------------------------------------------------------------

    def set_budget(self, *, region: str, financial_year: str, total: int, allocation: int,
                   actor_id: str) -> dict[str, Any]:
        """Set a region's budget for a year, or revise it if one is already set."""
        try:
            budget = self._get(SupportBudget, SupportBudget.create_id(region, financial_year))
            budget.revise(total=total, allocation=allocation, actor_id=actor_id)
        except NotRegistered:
            budget = SupportBudget.set(region=region, financial_year=financial_year,
                                       total=total, allocation=allocation, actor_id=actor_id)
        self._save(budget)
        return budget_view(budget)

    def get_budget(self, region: str, financial_year: str) -> dict[str, Any]:
        return budget_view(self._budget(region, financial_year))

    def commit_budget(self, *, region: str, financial_year: str, case_id: str, authority: str,
                      amount: int, purpose: str, actor_id: str) -> dict[str, Any]:
        """Set money aside for a case directly (support bought outside the matrix)."""
        budget = self._budget(region, financial_year)
        supported = self._authority(authority)
        if supported.region != budget.region:
            raise RuleViolation(f"{supported.name} is in {supported.region}, not {region}: "
                                f"a region's budget supports its own councils",
                                rule="budget_of_own_region", field="authority")
        commitment_id = str(uuid4())
        budget.commit(commitment_id=commitment_id, case_id=str(case_id),
                      authority=supported.name, amount=amount, purpose=purpose,
                      actor_id=actor_id)
        self._save(budget)
        return {"commitment_id": commitment_id, "budget": budget_view(budget)}

    def record_spend(self, commitment_id: str, *, amount: int, actor_id: str) -> dict[str, Any]:
        budget = self._budget_holding(commitment_id)
        if budget is None:
            raise NotRegistered(f"no commitment {commitment_id}", field="commitment_id")
        budget.record_spend(commitment_id=commitment_id, amount=amount, actor_id=actor_id)
        self._save(budget)
        return budget_view(budget)

    # -- whose region a write touches (None: not found, or a national offer) -----

    def region_of_authority(self, name: str) -> str | None:
        try:
            return self._authority(name).region
        except (NotRegistered, InvalidField):
            return None

    def region_of_commission(self, offer_id: UUID, commission_id: str) -> str | None:
        try:
            commission = self._get(SupportOffer, offer_id).commissions.get(commission_id)
        except NotRegistered:
            return None
        return commission["region"] if commission else None

    def case_of_commission(self, offer_id: UUID, commission_id: str) -> str | None:
        """The case a current commission of the offer was made for, as the register
        recorded it; None when the offer holds no such commission now."""
        try:
            commission = self._get(SupportOffer, offer_id).commissions.get(commission_id)
        except NotRegistered:
            return None
        return str(commission["case_id"]) if commission else None

    def region_of_commitment(self, commitment_id: str) -> str | None:
        budget = self._budget_holding(commitment_id)
        return budget.region if budget else None

    # -- the regional picture ---------------------------------------------------

    def regional_picture(self, financial_year: str | None = None) -> list[dict[str, Any]]:
        """Per region: authorities, offers in use, peers deployed, the year's budget."""
        year = financial_year or self._this_year()
        budgets = [b for b in self._all(SupportBudget) if b.financial_year == year]
        return regional_picture(self._all(Authority), self._all(SupportOffer),
                                self._all(Peer), budgets)

    # -- helpers ----------------------------------------------------------------

    def _this_year(self) -> str:
        return financial_year(self.clock().date())

    def _authority(self, name: str, *, field: str = "authority") -> Authority:
        if not isinstance(name, str) or not name.strip():
            raise InvalidField(f"{field} is required and must not be blank", field=field)
        try:
            return self.repository.get(Authority.create_id(name))
        except AggregateNotFoundError:
            raise NotRegistered(f"{name!r} is not a registered authority",
                                field=field) from None

    def _change_authority(self, name: str, change: Callable[[Authority], None]
                          ) -> dict[str, Any]:
        authority = self._authority(name)
        change(authority)
        self._save(authority)
        return authority_view(authority)

    def _budget(self, region: str, year: str) -> SupportBudget:
        try:
            return self._get(SupportBudget, SupportBudget.create_id(region, year))
        except NotRegistered:
            raise NotRegistered(f"no support budget is set for {region} {year}",
                                field="financial_year") from None

    def _current_budget(self, region: str) -> SupportBudget:
        """This year's budget; paid support cannot be commissioned without one."""
        year = self._this_year()
        try:
            return self._get(SupportBudget, SupportBudget.create_id(region, year))
        except NotRegistered:
            raise RuleViolation(f"no support budget is set for {region} {year}: set one "
                                f"before commissioning paid support", rule="no_budget",
                                field="authority") from None

    def _budget_holding(self, commitment_id: str) -> SupportBudget | None:
        return next((b for b in self._all(SupportBudget) if commitment_id in b.commitments),
                    None)

    def _get(self, cls: type[A], aggregate_id: UUID) -> A:
        try:
            found = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, cls):
            raise NotRegistered(f"no {cls.__name__} with id {aggregate_id}", field="id")
        return found

    def _exists(self, aggregate_id: UUID) -> bool:
        return bool(list(self.events.get(aggregate_id, limit=1)))

    def _all(self, cls: type[A]) -> list[A]:
        return [self.repository.get(i) for i in self._ids(cls)]

    def _ids(self, cls: type[A]) -> Iterator[UUID]:
        """Every aggregate of a kind, in the order created, from the notification log.

        The registers share their log with every case, so the whole log was read (and
        each event decrypted) on every call: My work's council filter took 2.3 s with
        100,000 cases. Registers are never disposed of, so the ids found are kept and
        only the log written since is read, its ids and topics as stored, unopened."""
        suffix = f":{cls.__qualname__}.{_CREATED[cls]}"
        recorder = getattr(self.recorder, "inner", self.recorder)
        with self._seen_lock:
            read_to, ids = self._seen.get(suffix, (0, []))
            while batch := recorder.select_notifications(start=read_to + 1, limit=500):
                ids = ids + [UUID(str(n.originator_id)) for n in batch
                             if n.topic.endswith(suffix)]
                read_to = batch[-1].id
            self._seen[suffix] = (read_to, ids)
        return iter(ids)

    def _save_new(self, aggregate: Aggregate, message: str, field: str) -> None:
        if self._exists(aggregate.id):
            raise AlreadyRegistered(message, field=field)
        self._save(aggregate)

    def _save(self, *aggregates: Aggregate) -> None:
        try:
            self.save(*aggregates)
        except IntegrityError:
            raise ChangedMeanwhile("the register changed while this command ran; try again",
                                   field=None) from None
