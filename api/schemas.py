"""Request and response bodies, kept apart from the domain's own objects."""

from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from api.fields import Moment
from api.text import Line, RequestBody
from domain.vocabulary import ConcernSource, IssueType


class CaseOpen(RequestBody):
    """A concern raised about one authority, which opens a case."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{
                "authority": "Northshire County Council",
                "region": "North West",
                "summary": "Children's services judged inadequate; leadership turnover",
                "source": "inspectorate report",
                "issue_type": "service-specific issue",
            }]
        },
    )

    authority: Line = Field(min_length=1, max_length=200)
    region: Line = Field(min_length=1, max_length=100)
    summary: str = Field(min_length=1, max_length=5000)
    source: ConcernSource
    issue_type: IssueType
    diagnosis_due: Moment | None = Field(
        None, description="Overrides the policy's diagnosis deadline (timezone-aware)."
    )
    owner: Line | None = Field(
        None, min_length=1, max_length=200,
        description="The username of the coordinator who will own the case (an active "
                    "coordinator of its region); by default, the coordinator opening it.")


class CasePublic(BaseModel):
    """The case's current state; other fields of the lifecycle appear as they are recorded."""

    model_config = ConfigDict(extra="allow")

    id: UUID
    version: int
    reference: str = Field("", description="The case's reference, like NW-2026-0042 (region, "
                                           "UK year raised, number); \"\" until a case from "
                                           "before references is given one.")
    authority: str
    region: str
    summary: str
    source: str
    issue_type: str
    stage: str
    status: str
    raised_at: datetime
    deadlines: dict[str, datetime]
    red_flag: dict[str, Any] | None = Field(
        None, description="Raised by a joint local meeting whose regulator is not satisfied: "
                          "{reason, raised_at, raised_by}. Further government or inspectorate "
                          "action follows; the case may go from local straight to a "
                          "government meeting.")


class MarkedText(BaseModel):
    """A part of a text, and whether a search matched it."""

    text: str
    matched: bool


class CaseRow(BaseModel):
    """One line of the case list."""

    model_config = ConfigDict(extra="allow")

    case_id: UUID
    reference: str | None = Field(None, description="The case's reference, like NW-2026-0042.")
    authority: str
    region: str
    stage: str
    status: str
    risk_band: str | None = None
    next_due: datetime | None = None
    owner: str | None = Field(None, description="The coordinator who owns the case; null "
                                                "for a case opened before cases had owners.")
    version: int
    red_flag: bool = Field(False, description="Whether a red flag has been raised: a joint "
                                              "local meeting at which the regulator was not "
                                              "satisfied (when: `red_flag_raised_at`).")
    red_flag_raised_at: datetime | None = None
    escalation_proposed_to: str | None = Field(None, description=(
        "The stage an escalation proposed and not yet decided would move the case to "
        "(proposed at `escalation_proposed_at`); null when none is pending."))
    escalation_proposed_at: datetime | None = None
    joint_meeting_proposed_at: datetime | None = Field(None, description=(
        "When a joint local meeting was proposed, if it is not yet held or declined."))
    verification: dict[str, Any] | None = Field(
        None, description="Present only when the case's history could not be projected: "
                          "{ok: false, problem}. The row then shows what could be applied.")
    snippet: list[MarkedText] | None = Field(None, description=(
        "With `q`: a few words of the case where the search matched, in parts, each "
        "saying whether it `matched` (plain text: mark it up yourself)."))
    authority_marked: list[MarkedText] | None = Field(None, description=(
        "With `q`: the council's name in parts, each saying whether it `matched`."))


class CasePage(BaseModel):
    cases: list[CaseRow]
    next_cursor: str | None = Field(None, description="Pass as `cursor` for the next page.")
    total: int | None = Field(None, description="With `q`: how many cases the search found.")
    page: int | None = Field(None, description="With `q`: this page's number.")
    next_page: int | None = Field(None, description="With `q`: pass as `page` for the next "
                                                    "page; null on the last.")


class StageAndDeadlines(BaseModel):
    """What the case's escalation workflow knows: stage, running deadlines, what it waits for."""

    model_config = ConfigDict(extra="allow")

    stage: str
    status: str
    deadlines: dict[str, Any]
    pending_proposal: Any = None
    next_step: dict[str, Any] | None = None
    source: str = Field(description="'workflow' when the escalation workflow answered, "
                                    "'case' when read from the case itself.")


class UserCreate(RequestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "username": "priya", "name": "Priya Shah", "role": "coordinator", "region": "North West",
        "email": "priya.shah@riep.example",
    }]})

    username: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    name: Line = Field("", max_length=200)
    role: str = Field(description="coordinator, adviser, authority liaison, peer, "
                                  "inspector or admin")
    region: Line | None = Field(None, max_length=100)
    authority: Line | None = Field(None, max_length=200)
    email: str | None = Field(None, max_length=254,
                              description="Where the user's reminders and notices go")
    digest: bool = Field(False, description="One email at 09:00 (UK time) on working days "
                                            "instead of each reminder as it falls")


class UserUpdate(RequestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "email": "priya.shah@riep.example"}]})

    email: str | None = Field(None, max_length=254,
                              description="Where the user's notices go; blank or null for none")
    digest: bool | None = Field(None, description="The morning digest instead of each "
                                                  "reminder (true), or each reminder (false)")


class UserPublic(BaseModel):
    username: str
    name: str
    role: str
    region: str | None
    authority: str | None
    email: str = ""
    digest: bool = False
    active: bool
    tokens: int
    last_signed_in: str = ""


class UserCreated(UserPublic):
    token: str = Field(description="Shown once; only its digest is stored.")


class TokenIssued(BaseModel):
    token: str = Field(description="Shown once; only its digest is stored.")


class Actor(BaseModel):
    id: str | None
    role: str | None


class EventPublic(BaseModel):
    type: str
    version: int
    recorded_at: datetime
    actor: Actor
    data: dict[str, Any]


class FieldProblem(BaseModel):
    """One field's problem: which field, the rule it breaks, and in words."""

    model_config = ConfigDict(extra="allow")

    field: str | int | None = None
    rule: str
    message: str


class Problem(BaseModel):
    """Every refusal (RFC 9457, application/problem+json): what went wrong, the rule, the field."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    rule: str | None = None
    field: str | None = None
    errors: list[FieldProblem] | None = None


class Liveness(BaseModel):
    status: str


class Health(BaseModel):
    status: str
    event_store: str
    temporal: str
