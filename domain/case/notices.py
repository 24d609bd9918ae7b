"""What became of each notice sent about a case: delivered, or failed after its retries."""

from datetime import datetime

from eventsourcing.domain import Aggregate

from domain.case.state import AUTOMATION, CaseState, a_moment, required_text


def outcome_key(notice_key: str, channel: str, address: str) -> str:
    return f"{notice_key}|{channel}|{address}"


def note_outcome(case: CaseState, key: str) -> None:
    # set here rather than at opening, so cases (and snapshots) from before it load
    case.__dict__.setdefault("notice_outcomes", []).append(key)


class NoticeDelivered(Aggregate.Event):
    notice_key: str
    channel: str
    address: str
    delivered_at: datetime
    attempts: int
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        note_outcome(aggregate, outcome_key(self.notice_key, self.channel, self.address))


class NoticeFailed(Aggregate.Event):
    notice_key: str
    channel: str
    address: str
    failed_at: datetime
    attempts: int
    reason: str
    actor_id: str
    actor_role: str

    def apply(self, aggregate: CaseState) -> None:
        note_outcome(aggregate, outcome_key(self.notice_key, self.channel, self.address))


class NoticesPart(CaseState):
    """Recording each notice's outcome once per notice, channel and address."""

    def record_notice_outcome(self, *, notice_key: str, channel: str, address: str,
                              delivered: bool, at: datetime, attempts: int, reason: str,
                              actor_id: str) -> bool:
        """Record once per notice, channel and address whether it arrived; False if recorded.

        Recorded on a closed case too: it says what became of a notice sent while
        the case was open, which coordinators and inspectors need to see.
        """
        if outcome_key(notice_key, channel, address) in self.__dict__.get("notice_outcomes", ()):
            return False
        notice_key = required_text(notice_key, "notice_key")
        channel, address = required_text(channel, "channel"), required_text(address, "address")
        where = dict(notice_key=notice_key, channel=channel, address=address)
        if delivered:
            self.trigger_event(NoticeDelivered, **where, delivered_at=a_moment(at, "at"),
                               attempts=attempts, actor_id=actor_id, actor_role=AUTOMATION)
        else:
            self.trigger_event(NoticeFailed, **where, failed_at=a_moment(at, "at"),
                               attempts=attempts, reason=required_text(reason, "reason"),
                               actor_id=actor_id, actor_role=AUTOMATION)
        return True
